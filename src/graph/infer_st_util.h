// Helpers shared by the shape inference of the data-movement ops (infer_shape_ops.cc,
// infer_st_*.cc).
#pragma once

#include <string>
#include <vector>

#include "graph/infer.h"

namespace sl {

// An integer list that ONNX moved from an attribute to an input across opsets (Split's split,
// Squeeze/Unsqueeze axes, Slice's starts/ends/axes/steps). Reads input `input_index` when present
// (it must be a constant integer tensor of rank <= 1), else attribute `attr` when present.
// `given` is false when neither is present; `dynamic` is set when the input is present but not
// constant (the caller decides what it can still infer). A negative `input_index` reads only the
// attribute.
struct IntListArg {
  bool given = false;
  std::vector<int64_t> values;
  bool dynamic = false;
};
Result<IntListArg> ReadIntListArg(const InferContext& ctx, int input_index, const char* attr,
                                  const char* what);

// Rejects shapes whose known dims alone exceed kMaxTensorBytes (absurd reshape / expand targets).
Status CheckKnownDims(const InferContext& ctx, const Shape& dims, DType dtype, const char* what);

// Product of dims, or -1 when any is unknown or the product exceeds 2^62.
int64_t KnownProduct(const Shape& dims, size_t begin, size_t end);

}  // namespace sl

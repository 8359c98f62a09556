// ONNX Slice index arithmetic, shared by InferSlice and RefSlice, and an allocation-free reader
// for shape-like integer tensors (int32 / int64) that kernels use on their runtime inputs.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/tensor.h"

namespace sl {

// One sliced axis after clamping: elements first, first + step, ... (count of them).
struct SliceAxis {
  int64_t first = 0;
  int64_t step = 1;
  int64_t count = 0;
};

// Applies the ONNX rules: negative start/end count from the end, then clamp to [0, dim] for a
// positive step or to [0, dim - 1] / [-1, dim - 1] for a negative one. `step` must be non-zero.
inline SliceAxis ClampSliceAxis(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  SliceAxis a;
  a.step = step;
  if (dim <= 0) return a;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    a.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    a.count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  a.first = start;
  return a;
}

// Element i of an integer tensor view as int64; false when the dtype is not an integer type.
inline bool ReadIndexAt(const TensorView& t, int64_t i, int64_t* out) {
  switch (t.dtype) {
    case DType::kI64:
      *out = t.data_as<const int64_t>()[i];
      return true;
    case DType::kI32:
      *out = t.data_as<const int32_t>()[i];
      return true;
    case DType::kI16:
      *out = t.data_as<const int16_t>()[i];
      return true;
    case DType::kI8:
      *out = t.data_as<const int8_t>()[i];
      return true;
    case DType::kU8:
      *out = t.data_as<const uint8_t>()[i];
      return true;
    case DType::kU16:
      *out = t.data_as<const uint16_t>()[i];
      return true;
    default:
      return false;
  }
}

}  // namespace sl

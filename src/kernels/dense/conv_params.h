// Conv geometry resolved from ONNX attributes (auto_pad included), normalised to 2-D.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "kernels/kernel.h"

namespace sl::dense {

struct ConvParams {
  int64_t batch = 0, in_channels = 0, out_channels = 0, groups = 1;
  // Spatial geometry as (height, width); a 1-D conv has height 1.
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0, kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool is_1d = false;
  bool has_bias = false;
};

// Reads shapes and attributes of a Conv request: checks float32, constant weights, ranks 3/4,
// channel/group consistency, resolves auto_pad (SAME_UPPER, SAME_LOWER, VALID, NOTSET) and checks
// the bound output shape. Unsupported for what the dense path does not run (3-D conv, non-constant
// weights, other dtypes); InvalidArgument for inconsistent nodes.
Result<ConvParams> ResolveConvParams(const KernelRequest& req);

}  // namespace sl::dense

// Sliding-window geometry shared by the shape inference and the reference kernels of Conv,
// MaxPool and AveragePool, plus allocation-free attribute accessors for kernels.
//
// The geometry follows ONNX: per spatial dim i, with kernel k, stride s, dilation d and pads
// (b, e), the effective kernel is (k - 1) * d + 1 and
//   NOTSET / VALID:  out = floor_or_ceil((in + b + e - eff) / s) + 1   (VALID forces b = e = 0)
//   SAME_UPPER/LOWER: out = ceil(in / s), total pad = max(0, (out - 1) * s + eff - in), split with
//                     the extra element at the end (UPPER) or the beginning (LOWER).
// With ceil_mode, a last window that would start inside the end padding is dropped (as PyTorch and
// the ONNX reference do).
//
// Everything here allocates nothing on success, so kernels may call it from Execute().
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/status.h"
#include "graph/graph.h"
#include "graph/infer.h"

namespace sl {

// Returns the attribute `name`, or nullptr; a linear scan that never builds a std::string.
const AttrValue* FindAttrNoAlloc(const Attributes& attrs, std::string_view name);
// Integer-list attribute as a span (empty when absent or of another type).
std::span<const int64_t> AttrInts(const Attributes& attrs, std::string_view name);
int64_t AttrInt(const Attributes& attrs, std::string_view name, int64_t fallback);
float AttrFloat(const Attributes& attrs, std::string_view name, float fallback);
// String attribute (empty view when absent); the view lives as long as `attrs`.
std::string_view AttrString(const Attributes& attrs, std::string_view name);

// Conv / pools support up to this many spatial dims (1D, 2D, 3D), which keeps the geometry in a
// fixed array so kernels need no heap memory.
inline constexpr int kMaxSpatialDims = 3;

struct WindowDim {
  int64_t in = 0;  // input extent (-1: unknown)
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t pad_begin = 0;  // meaningful only when `in` is known under SAME_* auto_pad
  int64_t pad_end = 0;
  int64_t out = 0;  // -1 when `in` is unknown
};

struct WindowGeometry {
  int rank = 0;  // number of spatial dims
  std::array<WindowDim, kMaxSpatialDims> dims{};
  const WindowDim& operator[](int i) const { return dims[i]; }
};

// Computes the geometry from the node's attributes (kernel_shape unless `kernel` is non-empty,
// strides, dilations, pads, auto_pad, and ceil_mode when `allow_ceil_mode`). `spatial_in` are the
// input's spatial extents (-1 allowed). Errors (plain messages, the caller adds the node) for bad
// attribute lengths, non-positive strides/dilations/kernels, negative pads, windows larger than
// the padded input, more than kMaxSpatialDims dims.
Result<WindowGeometry> ComputeWindowGeometry(const Attributes& attrs,
                                             std::span<const int64_t> spatial_in,
                                             std::span<const int64_t> kernel, bool allow_ceil_mode);

// Wraps a ComputeWindowGeometry failure with the node's name, keeping kUnsupported apart.
Status WindowError(const InferContext& ctx, const Status& status);

}  // namespace sl

#include "graph/infer_st_window.h"

#include <algorithm>
#include <string>

namespace sl {

const AttrValue* FindAttrNoAlloc(const Attributes& attrs, std::string_view name) {
  for (const auto& [key, value] : attrs.all())
    if (key == name) return &value;
  return nullptr;
}

std::span<const int64_t> AttrInts(const Attributes& attrs, std::string_view name) {
  const AttrValue* v = FindAttrNoAlloc(attrs, name);
  if (v == nullptr) return {};
  if (auto* list = std::get_if<std::vector<int64_t>>(v)) return *list;
  if (auto* one = std::get_if<int64_t>(v)) return std::span<const int64_t>(one, 1);
  return {};
}

int64_t AttrInt(const Attributes& attrs, std::string_view name, int64_t fallback) {
  const AttrValue* v = FindAttrNoAlloc(attrs, name);
  if (v == nullptr) return fallback;
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  if (auto* f = std::get_if<float>(v)) return static_cast<int64_t>(*f);
  return fallback;
}

float AttrFloat(const Attributes& attrs, std::string_view name, float fallback) {
  const AttrValue* v = FindAttrNoAlloc(attrs, name);
  if (v == nullptr) return fallback;
  if (auto* f = std::get_if<float>(v)) return *f;
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<float>(*i);
  return fallback;
}

std::string_view AttrString(const Attributes& attrs, std::string_view name) {
  const AttrValue* v = FindAttrNoAlloc(attrs, name);
  if (v == nullptr) return {};
  if (auto* s = std::get_if<std::string>(v)) return *s;
  return {};
}

namespace {

Status CheckLength(std::span<const int64_t> values, size_t want, const char* name) {
  if (values.empty() || values.size() == want) return Status::Ok();
  return InvalidArgument(std::string(name) + " has " + std::to_string(values.size()) +
                         " values, expected " + std::to_string(want));
}

int64_t CeilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

Result<WindowGeometry> ComputeWindowGeometry(const Attributes& attrs,
                                             std::span<const int64_t> spatial_in,
                                             std::span<const int64_t> kernel,
                                             bool allow_ceil_mode) {
  const size_t n = spatial_in.size();
  if (n == 0) return InvalidArgument("input needs at least one spatial dim");
  if (n > static_cast<size_t>(kMaxSpatialDims)) {
    return Unsupported(std::to_string(n) + " spatial dims (at most " +
                       std::to_string(kMaxSpatialDims) + " supported)");
  }
  if (kernel.empty()) kernel = AttrInts(attrs, "kernel_shape");
  if (kernel.size() != n) {
    return InvalidArgument("kernel_shape has " + std::to_string(kernel.size()) +
                           " values, expected " + std::to_string(n));
  }
  std::span<const int64_t> strides = AttrInts(attrs, "strides");
  std::span<const int64_t> dilations = AttrInts(attrs, "dilations");
  std::span<const int64_t> pads = AttrInts(attrs, "pads");
  SL_RETURN_IF_ERROR(CheckLength(strides, n, "strides"));
  SL_RETURN_IF_ERROR(CheckLength(dilations, n, "dilations"));
  SL_RETURN_IF_ERROR(CheckLength(pads, 2 * n, "pads"));
  std::string_view auto_pad = AttrString(attrs, "auto_pad");
  const bool same_upper = auto_pad == "SAME_UPPER";
  const bool same_lower = auto_pad == "SAME_LOWER";
  const bool valid = auto_pad == "VALID";
  if (!auto_pad.empty() && auto_pad != "NOTSET" && !same_upper && !same_lower && !valid)
    return InvalidArgument("unknown auto_pad '" + std::string(auto_pad) + "'");
  const bool ceil_mode = allow_ceil_mode && AttrInt(attrs, "ceil_mode", 0) != 0;

  WindowGeometry g;
  g.rank = static_cast<int>(n);
  for (size_t i = 0; i < n; ++i) {
    WindowDim& d = g.dims[i];
    d.in = spatial_in[i];
    d.kernel = kernel[i];
    d.stride = strides.empty() ? 1 : strides[i];
    d.dilation = dilations.empty() ? 1 : dilations[i];
    if (d.kernel <= 0 || d.stride <= 0 || d.dilation <= 0) {
      return InvalidArgument("kernel " + std::to_string(d.kernel) + ", stride " +
                             std::to_string(d.stride) + " and dilation " +
                             std::to_string(d.dilation) + " must be positive (spatial dim " +
                             std::to_string(i) + ")");
    }
    const int64_t eff = (d.kernel - 1) * d.dilation + 1;
    if (same_upper || same_lower) {
      if (d.in < 0) {
        d.out = -1;
        continue;
      }
      d.out = CeilDiv(d.in, d.stride);
      int64_t total = std::max<int64_t>(0, (d.out - 1) * d.stride + eff - d.in);
      d.pad_begin = same_upper ? total / 2 : total - total / 2;
      d.pad_end = total - d.pad_begin;
      continue;
    }
    if (!valid && !pads.empty()) {
      d.pad_begin = pads[i];
      d.pad_end = pads[i + n];
      if (d.pad_begin < 0 || d.pad_end < 0)
        return InvalidArgument("negative pads on spatial dim " + std::to_string(i));
    }
    if (d.in < 0) {
      d.out = -1;
      continue;
    }
    const int64_t span = d.in + d.pad_begin + d.pad_end - eff;
    if (span < 0) {
      return InvalidArgument("window of extent " + std::to_string(eff) + " is larger than the " +
                             "padded input extent " +
                             std::to_string(d.in + d.pad_begin + d.pad_end) + " on spatial dim " +
                             std::to_string(i));
    }
    d.out = (ceil_mode ? CeilDiv(span, d.stride) : FloorDiv(span, d.stride)) + 1;
    // A last window starting in the end padding covers no input: drop it.
    if (ceil_mode && (d.out - 1) * d.stride >= d.in + d.pad_begin) --d.out;
  }
  return g;
}

Status WindowError(const InferContext& ctx, const Status& status) {
  Status wrapped = ctx.Error(status.message());
  if (status.code() == StatusCode::kUnsupported) return Unsupported(wrapped.message());
  return wrapped;
}

}  // namespace sl

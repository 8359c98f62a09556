// Reference kernels for Cast, QuantizeLinear and DequantizeLinear.
//
// Cast follows numpy where ONNX leaves room: float -> int truncates toward zero (NaN gives 0,
// out-of-range values saturate instead of being undefined), int -> int wraps, anything -> bool is
// "nonzero", float64 -> float16 rounds through float32.
// Quantization is per tensor (scalar or one-element scale) or per axis (1-D scale of length
// X.shape[axis], axis default 1), rounds half to even and saturates to the output type.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

using ref::ComputeT;
using ref::Load;
using ref::Store;

template <typename D, typename S>
ComputeT<D> ConvertElement(S v) {
  using CD = ComputeT<D>;
  if constexpr (std::is_same_v<CD, bool>) {
    return v != S(0);
  } else if constexpr (std::is_integral_v<CD> && std::is_floating_point_v<S>) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<S>(std::numeric_limits<CD>::lowest()))
      return std::numeric_limits<CD>::lowest();
    if (v >= static_cast<S>(std::numeric_limits<CD>::max())) return std::numeric_limits<CD>::max();
    return static_cast<CD>(v);
  } else {
    return static_cast<CD>(v);
  }
}

bool SameShape(const TensorView& a, const TensorView& b) {
  return a.rank() == b.rank() && std::equal(a.shape.begin(), a.shape.end(), b.shape.begin());
}

// Per-tensor or per-axis layout of a quantization parameter (scale / zero point).
struct QuantLayout {
  int64_t channels = 1;  // 1 for per-tensor
  int64_t inner = 1;     // elements per channel step
  int64_t Channel(int64_t i) const { return channels == 1 ? 0 : (i / inner) % channels; }
};

Status MakeQuantLayout(const Node& node, const TensorView& x, const TensorView& scale,
                       const TensorView* zero_point, QuantLayout* layout) {
  if (zero_point && zero_point->numel() != scale.numel()) {
    return ref::NodeInvalid(node, "zero point shape " + ShapeToString(zero_point->shape) +
                                      " differs from scale shape " + ShapeToString(scale.shape));
  }
  if (scale.rank() == 0 || (scale.rank() == 1 && scale.numel() == 1)) return Status::Ok();
  if (scale.rank() != 1) {
    return ref::NodeUnsupported(node, "scale of shape " + ShapeToString(scale.shape) +
                                          " (only scalar or 1-D scales are supported)");
  }
  int64_t axis = node.attrs.GetInt("axis", 1);
  if (axis < -x.rank() || axis >= x.rank()) {
    return ref::NodeInvalid(node, "axis " + std::to_string(axis) + " out of range for rank " +
                                      std::to_string(x.rank()));
  }
  if (axis < 0) axis += x.rank();
  if (x.shape[axis] != scale.numel()) {
    return ref::NodeInvalid(node, "scale has " + std::to_string(scale.numel()) +
                                      " elements but X has " + std::to_string(x.shape[axis]) +
                                      " along axis " + std::to_string(axis));
  }
  layout->channels = scale.numel();
  for (int d = static_cast<int>(axis) + 1; d < x.rank(); ++d) layout->inner *= x.shape[d];
  return Status::Ok();
}

}  // namespace

Status RefCast(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (!SameShape(x, y)) return ref::NodeInvalid(node, "output shape differs from input shape");
  bool dst_ok = true;
  bool src_ok = ref::VisitDType<ref::kAllTypes>(x.dtype, [&](auto src_tag) {
    using S = typename decltype(src_tag)::type;
    dst_ok = ref::VisitDType<ref::kAllTypes>(y.dtype, [&](auto dst_tag) {
      using D = typename decltype(dst_tag)::type;
      const S* px = x.data_as<S>();
      D* py = y.data_as<D>();
      for (int64_t i = 0, n = x.numel(); i < n; ++i) Store(py, i, ConvertElement<D>(Load(px, i)));
    });
  });
  if (!src_ok) return ref::UnsupportedDType(node, x.dtype);
  if (!dst_ok) return ref::UnsupportedDType(node, y.dtype);
  return Status::Ok();
}

Status RefQuantizeLinear(const Node& node, std::span<const TensorView> inputs,
                         std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  const TensorView& x = inputs[0];
  const TensorView& scale = inputs[1];
  const TensorView* zp = inputs.size() > 2 && inputs[2].data ? &inputs[2] : nullptr;
  const TensorView& y = outputs[0];
  if (!SameShape(x, y)) return ref::NodeInvalid(node, "output shape differs from input shape");
  if (scale.dtype != x.dtype) return ref::NodeInvalid(node, "scale dtype differs from X dtype");
  if (zp && zp->dtype != y.dtype)
    return ref::NodeInvalid(node, "zero point dtype differs from output dtype");
  QuantLayout layout;
  SL_RETURN_IF_ERROR(MakeQuantLayout(node, x, scale, zp, &layout));
  bool out_ok = true;
  bool in_ok = ref::VisitDType<ref::kFloatTypes>(x.dtype, [&](auto in_tag) {
    using T = typename decltype(in_tag)::type;
    using C = ComputeT<T>;
    out_ok = ref::VisitDType<ref::kSignedInts | ref::kUnsignedInts>(y.dtype, [&](auto out_tag) {
      using Q = typename decltype(out_tag)::type;
      const T* px = x.data_as<T>();
      const T* ps = scale.data_as<T>();
      const Q* pz = zp ? zp->data_as<Q>() : nullptr;
      Q* py = y.data_as<Q>();
      constexpr double kLo = static_cast<double>(std::numeric_limits<Q>::lowest());
      constexpr double kHi = static_cast<double>(std::numeric_limits<Q>::max());
      for (int64_t i = 0, n = x.numel(); i < n; ++i) {
        int64_t c = layout.Channel(i);
        C scaled = Load(px, i) / Load(ps, c);
        double q = std::nearbyint(static_cast<double>(scaled)) + (pz ? pz[c] : 0);
        if (std::isnan(q)) q = 0;
        py[i] = static_cast<Q>(q < kLo ? kLo : (q > kHi ? kHi : q));
      }
    });
  });
  if (!in_ok) return ref::UnsupportedDType(node, x.dtype);
  if (!out_ok) return ref::UnsupportedDType(node, y.dtype);
  return Status::Ok();
}

Status RefDequantizeLinear(const Node& node, std::span<const TensorView> inputs,
                           std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  const TensorView& x = inputs[0];
  const TensorView& scale = inputs[1];
  const TensorView* zp = inputs.size() > 2 && inputs[2].data ? &inputs[2] : nullptr;
  const TensorView& y = outputs[0];
  if (!SameShape(x, y)) return ref::NodeInvalid(node, "output shape differs from input shape");
  if (scale.dtype != y.dtype) return ref::NodeInvalid(node, "scale dtype differs from output");
  if (zp && zp->dtype != x.dtype)
    return ref::NodeInvalid(node, "zero point dtype differs from X dtype");
  QuantLayout layout;
  SL_RETURN_IF_ERROR(MakeQuantLayout(node, x, scale, zp, &layout));
  bool out_ok = true;
  bool in_ok = ref::VisitDType<ref::kSignedInts | ref::kUnsignedInts>(x.dtype, [&](auto in_tag) {
    using Q = typename decltype(in_tag)::type;
    out_ok = ref::VisitDType<ref::kFloatTypes>(y.dtype, [&](auto out_tag) {
      using T = typename decltype(out_tag)::type;
      using C = ComputeT<T>;
      const Q* px = x.data_as<Q>();
      const T* ps = scale.data_as<T>();
      const Q* pz = zp ? zp->data_as<Q>() : nullptr;
      T* py = y.data_as<T>();
      for (int64_t i = 0, n = x.numel(); i < n; ++i) {
        int64_t c = layout.Channel(i);
        C diff = static_cast<C>(px[i]) - static_cast<C>(pz ? pz[c] : Q{0});
        Store(py, i, static_cast<C>(diff * Load(ps, c)));
      }
    });
  });
  if (!in_ok) return ref::UnsupportedDType(node, x.dtype);
  if (!out_ok) return ref::UnsupportedDType(node, y.dtype);
  return Status::Ok();
}

}  // namespace sl

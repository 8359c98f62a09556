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

// The operands of QuantizeLinear (X float, Y integer) or DequantizeLinear (X integer, Y float):
// X, scale, the optional zero point and Y, with the scale's layout.
struct QuantOperands {
  const TensorView* x = nullptr;
  const TensorView* scale = nullptr;
  const TensorView* zero_point = nullptr;  // null when absent
  const TensorView* y = nullptr;
  QuantLayout layout;
};

// Checks arity, shapes and the dtype agreements: the scale has the float side's dtype and the
// zero point the integer side's (Y when quantizing, X when dequantizing).
Status PrepareQuant(const Node& node, std::span<const TensorView> inputs,
                    std::span<const TensorView> outputs, bool quantize, QuantOperands* q) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  q->x = &inputs[0];
  q->scale = &inputs[1];
  q->zero_point = ref::Optional(inputs, 2);
  q->y = &outputs[0];
  const TensorView& float_side = quantize ? *q->x : *q->y;
  const TensorView& int_side = quantize ? *q->y : *q->x;
  if (!SameShape(*q->x, *q->y))
    return ref::NodeInvalid(node, "output shape differs from input shape");
  if (q->scale->dtype != float_side.dtype) {
    return ref::NodeInvalid(
        node, quantize ? "scale dtype differs from X dtype" : "scale dtype differs from output");
  }
  if (q->zero_point && q->zero_point->dtype != int_side.dtype) {
    return ref::NodeInvalid(node, quantize ? "zero point dtype differs from output dtype"
                                           : "zero point dtype differs from X dtype");
  }
  return MakeQuantLayout(node, *q->x, *q->scale, q->zero_point, &q->layout);
}

}  // namespace

Status RefCast(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (!SameShape(x, y)) return ref::NodeInvalid(node, "output shape differs from input shape");
  return ref::VisitDTypePair<ref::kAllTypes, ref::kAllTypes>(
      node, x.dtype, y.dtype, [&](auto src_tag, auto dst_tag) {
        using S = typename decltype(src_tag)::type;
        using D = typename decltype(dst_tag)::type;
        const S* px = x.data_as<S>();
        D* py = y.data_as<D>();
        for (int64_t i = 0, n = x.numel(); i < n; ++i) Store(py, i, ConvertElement<D>(Load(px, i)));
      });
}

Status RefQuantizeLinear(const Node& node, std::span<const TensorView> inputs,
                         std::span<const TensorView> outputs) {
  QuantOperands q;
  SL_RETURN_IF_ERROR(PrepareQuant(node, inputs, outputs, /*quantize=*/true, &q));
  const TensorView &x = *q.x, &scale = *q.scale, &y = *q.y;
  const TensorView* zp = q.zero_point;
  return ref::VisitDTypePair<ref::kFloatTypes, ref::kSignedInts | ref::kUnsignedInts>(
      node, x.dtype, y.dtype, [&](auto in_tag, auto out_tag) {
        using T = typename decltype(in_tag)::type;
        using C = ComputeT<T>;
        using Q = typename decltype(out_tag)::type;
        const T* px = x.data_as<T>();
        const T* ps = scale.data_as<T>();
        const Q* pz = zp ? zp->data_as<Q>() : nullptr;
        Q* py = y.data_as<Q>();
        constexpr double kLo = static_cast<double>(std::numeric_limits<Q>::lowest());
        constexpr double kHi = static_cast<double>(std::numeric_limits<Q>::max());
        for (int64_t i = 0, n = x.numel(); i < n; ++i) {
          int64_t c = q.layout.Channel(i);
          C scaled = Load(px, i) / Load(ps, c);
          double v = std::nearbyint(static_cast<double>(scaled)) + (pz ? pz[c] : 0);
          if (std::isnan(v)) v = 0;
          py[i] = static_cast<Q>(v < kLo ? kLo : (v > kHi ? kHi : v));
        }
      });
}

Status RefDequantizeLinear(const Node& node, std::span<const TensorView> inputs,
                           std::span<const TensorView> outputs) {
  QuantOperands q;
  SL_RETURN_IF_ERROR(PrepareQuant(node, inputs, outputs, /*quantize=*/false, &q));
  const TensorView &x = *q.x, &scale = *q.scale, &y = *q.y;
  const TensorView* zp = q.zero_point;
  return ref::VisitDTypePair<ref::kSignedInts | ref::kUnsignedInts, ref::kFloatTypes>(
      node, x.dtype, y.dtype, [&](auto in_tag, auto out_tag) {
        using Q = typename decltype(in_tag)::type;
        using T = typename decltype(out_tag)::type;
        using C = ComputeT<T>;
        const Q* px = x.data_as<Q>();
        const T* ps = scale.data_as<T>();
        const Q* pz = zp ? zp->data_as<Q>() : nullptr;
        T* py = y.data_as<T>();
        for (int64_t i = 0, n = x.numel(); i < n; ++i) {
          int64_t c = q.layout.Channel(i);
          C diff = static_cast<C>(px[i]) - static_cast<C>(pz ? pz[c] : Q{0});
          Store(py, i, static_cast<C>(diff * Load(ps, c)));
        }
      });
}

}  // namespace sl

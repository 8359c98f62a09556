// Reference kernels for the unary elementwise ops: Sqrt Erf Exp Log Neg Abs Relu LeakyRelu Clip
// Sigmoid Tanh HardSigmoid HardSwish Gelu. Math functions take float types; Neg, Abs, Relu and Clip
// also take integers.
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

Status CheckSameShape(const Node& node, const TensorView& x, const TensorView& y) {
  if (x.dtype != y.dtype) return ref::NodeInvalid(node, "output dtype differs from input dtype");
  if (x.shape.size() != y.shape.size() ||
      !std::equal(x.shape.begin(), x.shape.end(), y.shape.begin())) {
    return ref::NodeInvalid(node, "output shape " + ShapeToString(y.shape) +
                                      " differs from input shape " + ShapeToString(x.shape));
  }
  return Status::Ok();
}

// Applies fn(value) -> value to every element of inputs[0] for dtypes in `types`.
template <unsigned kTypes, typename Fn>
Status MapUnary(const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs, Fn&& fn) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  SL_RETURN_IF_ERROR(CheckSameShape(node, x, y));
  bool ok = ref::VisitDType<kTypes>(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data_as<T>();
    T* py = y.data_as<T>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i) Store(py, i, fn(Load(px, i)));
  });
  if (!ok) return ref::UnsupportedDType(node, x.dtype);
  return Status::Ok();
}

template <typename C>
C StableSigmoid(C v) {
  if (v >= 0) return C(1) / (C(1) + std::exp(-v));
  C e = std::exp(v);
  return e / (C(1) + e);
}

}  // namespace

#define SL_REF_FLOAT_UNARY(Op, expr)                                                     \
  Status Ref##Op(const Node& node, std::span<const TensorView> inputs,                   \
                 std::span<const TensorView> outputs) {                                  \
    return MapUnary<ref::kFloatTypes>(node, inputs, outputs, [](auto v) -> decltype(v) { \
      using C = decltype(v);                                                             \
      (void)sizeof(C);                                                                   \
      return expr;                                                                       \
    });                                                                                  \
  }

SL_REF_FLOAT_UNARY(Sqrt, std::sqrt(v))
SL_REF_FLOAT_UNARY(Erf, std::erf(v))
SL_REF_FLOAT_UNARY(Exp, std::exp(v))
SL_REF_FLOAT_UNARY(Log, std::log(v))
SL_REF_FLOAT_UNARY(Tanh, std::tanh(v))
SL_REF_FLOAT_UNARY(Sigmoid, StableSigmoid<C>(v))
SL_REF_FLOAT_UNARY(HardSwish, v* std::max(C(0), std::min(C(1), v / C(6) + C(0.5))))

#undef SL_REF_FLOAT_UNARY

Status RefNeg(const Node& node, std::span<const TensorView> inputs,
              std::span<const TensorView> outputs) {
  return MapUnary<ref::kFloatTypes | ref::kSignedInts>(
      node, inputs, outputs, [](auto v) -> decltype(v) {
        using C = decltype(v);
        if constexpr (std::is_integral_v<C>) {
          // Wraps for the lowest value instead of overflowing.
          using U = std::make_unsigned_t<C>;
          return static_cast<C>(U{0} - static_cast<U>(v));
        } else {
          return -v;
        }
      });
}

Status RefAbs(const Node& node, std::span<const TensorView> inputs,
              std::span<const TensorView> outputs) {
  return MapUnary<ref::kNumericTypes>(node, inputs, outputs, [](auto v) -> decltype(v) {
    using C = decltype(v);
    if constexpr (std::is_unsigned_v<C>) {
      return v;
    } else if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return v < 0 ? static_cast<C>(U{0} - static_cast<U>(v)) : v;
    } else {
      return std::abs(v);
    }
  });
}

Status RefRelu(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  return MapUnary<ref::kFloatTypes | ref::kSignedInts>(
      node, inputs, outputs, [](auto v) -> decltype(v) { return v > 0 ? v : decltype(v)(0); });
}

Status RefLeakyRelu(const Node& node, std::span<const TensorView> inputs,
                    std::span<const TensorView> outputs) {
  float alpha = node.attrs.GetFloat("alpha", 0.01f);
  return MapUnary<ref::kFloatTypes>(node, inputs, outputs, [alpha](auto v) -> decltype(v) {
    using C = decltype(v);
    return v >= 0 ? v : static_cast<C>(alpha) * v;
  });
}

// Gelu: x * Phi(x), Phi the standard normal CDF, from erfc so that the left tail keeps its relative
// precision (1 + erf(x / sqrt 2) cancels there); "tanh": the tanh approximation of the spec.
// Computed in double. Where Phi underflows to 0 the result is -0 (the limit; -inf * 0 is NaN).
Status RefGelu(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  const bool tanh_form = node.attrs.GetString("approximate", "none") == "tanh";
  return MapUnary<ref::kFloatTypes>(node, inputs, outputs, [tanh_form](auto v) -> decltype(v) {
    using C = decltype(v);
    const double x = static_cast<double>(v);
    const double phi =
        tanh_form ? 0.5 * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
                  : 0.5 * std::erfc(-x * 0.7071067811865476);
    return static_cast<C>(phi == 0.0 ? -0.0 : x * phi);
  });
}

Status RefHardSigmoid(const Node& node, std::span<const TensorView> inputs,
                      std::span<const TensorView> outputs) {
  float alpha = node.attrs.GetFloat("alpha", 0.2f);
  float beta = node.attrs.GetFloat("beta", 0.5f);
  return MapUnary<ref::kFloatTypes>(node, inputs, outputs, [=](auto v) -> decltype(v) {
    using C = decltype(v);
    return std::max(C(0), std::min(C(1), static_cast<C>(alpha) * v + static_cast<C>(beta)));
  });
}

// Clip: bounds come from the optional inputs 1 and 2 (opset 11+) or, when those are absent, from
// the "min" / "max" attributes (older opsets); unset bounds are the dtype's limits.
Status RefClip(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& x = inputs[0];
  for (size_t i = 1; i < inputs.size() && i < 3; ++i) {
    if (inputs[i].data == nullptr) continue;
    if (inputs[i].dtype != x.dtype) {
      return ref::NodeInvalid(node, "bound input " + std::to_string(i) + " has dtype " +
                                        std::string(DTypeName(inputs[i].dtype)) + ", expected " +
                                        std::string(DTypeName(x.dtype)));
    }
    if (inputs[i].numel() != 1) {
      return ref::NodeInvalid(node, "bound input " + std::to_string(i) + " must be a scalar, got " +
                                        ShapeToString(inputs[i].shape));
    }
  }
  SL_RETURN_IF_ERROR(CheckSameShape(node, x, outputs[0]));
  bool ok = ref::VisitDType<ref::kNumericTypes>(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeT<T>;
    C lo = std::numeric_limits<C>::lowest();
    C hi = std::numeric_limits<C>::max();
    if (inputs.size() > 1 && inputs[1].data != nullptr) {
      lo = Load(inputs[1].data_as<T>(), 0);
    } else if (node.attrs.Has("min")) {
      lo = static_cast<C>(node.attrs.GetFloat("min", 0.f));
    }
    if (inputs.size() > 2 && inputs[2].data != nullptr) {
      hi = Load(inputs[2].data_as<T>(), 0);
    } else if (node.attrs.Has("max")) {
      hi = static_cast<C>(node.attrs.GetFloat("max", 0.f));
    }
    const T* px = x.data_as<T>();
    T* py = outputs[0].data_as<T>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i) {
      // min(max(x, lo), hi): when lo > hi every element becomes hi, as in ONNX.
      C v = Load(px, i);
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      Store(py, i, v);
    }
  });
  if (!ok) return ref::UnsupportedDType(node, x.dtype);
  return Status::Ok();
}

}  // namespace sl

// Reference kernels for the broadcasting elementwise ops: Add Sub Mul Div Pow Max Min Equal Less
// Greater Where. Integer arithmetic wraps (two's complement) instead of overflowing; integer
// division truncates toward zero and fails on a zero divisor.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

using ref::BroadcastOffset;
using ref::ComputeT;
using ref::Load;
using ref::Store;

// Unsigned type wide enough that arithmetic on it never promotes to (signed) int.
template <typename T>
using WrapT = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

enum class Arith { kAdd, kSub, kMul, kDiv };

template <typename C>
C ApplyArith(Arith op, C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    using U = WrapT<C>;
    switch (op) {
      case Arith::kAdd:
        return static_cast<C>(static_cast<U>(a) + static_cast<U>(b));
      case Arith::kSub:
        return static_cast<C>(static_cast<U>(a) - static_cast<U>(b));
      case Arith::kMul:
        return static_cast<C>(static_cast<U>(a) * static_cast<U>(b));
      case Arith::kDiv:
        // The caller rejected b == 0; lowest / -1 wraps to lowest like the other ops.
        if constexpr (std::is_signed_v<C>) {
          if (b == -1) return static_cast<C>(U{0} - static_cast<U>(a));
        }
        return static_cast<C>(a / b);
    }
  } else {
    switch (op) {
      case Arith::kAdd:
        return a + b;
      case Arith::kSub:
        return a - b;
      case Arith::kMul:
        return a * b;
      case Arith::kDiv:
        return a / b;
    }
  }
  return C{};
}

// Checks every input broadcasts to outputs[0] and has the dtype `dtype`.
Status CheckBroadcastInputs(const Node& node, std::span<const TensorView> inputs,
                            const TensorView& out, DType dtype, size_t first = 0) {
  for (size_t i = first; i < inputs.size(); ++i) {
    if (inputs[i].dtype != dtype) {
      return ref::NodeInvalid(node, "input " + std::to_string(i) + " has dtype " +
                                        std::string(DTypeName(inputs[i].dtype)) + ", expected " +
                                        std::string(DTypeName(dtype)));
    }
    if (!ref::BroadcastsTo(inputs[i].shape, out.shape)) {
      return ref::NodeInvalid(
          node, "input " + std::to_string(i) + " of shape " + ShapeToString(inputs[i].shape) +
                    " does not broadcast to output shape " + ShapeToString(out.shape));
    }
  }
  return Status::Ok();
}

Status RefArith(Arith op, const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  const TensorView& a = inputs[0];
  const TensorView& b = inputs[1];
  const TensorView& y = outputs[0];
  if (y.dtype != a.dtype) return ref::NodeInvalid(node, "output dtype differs from input dtype");
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs.first(2), y, a.dtype));
  Status status;
  bool ok = ref::VisitDType<ref::kNumericTypes>(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeT<T>;
    const T* pa = a.data_as<T>();
    const T* pb = b.data_as<T>();
    T* py = y.data_as<T>();
    int64_t n = y.numel();
    if constexpr (std::is_integral_v<C>) {
      if (op == Arith::kDiv) {
        for (int64_t i = 0; i < b.numel(); ++i) {
          if (pb[i] == 0) {
            status = ref::NodeInvalid(node, "integer division by zero");
            return;
          }
        }
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      C va = Load(pa, BroadcastOffset(i, a.shape, y.shape));
      C vb = Load(pb, BroadcastOffset(i, b.shape, y.shape));
      Store(py, i, ApplyArith<C>(op, va, vb));
    }
  });
  if (!ok) return ref::UnsupportedDType(node, a.dtype);
  return status;
}

enum class Compare { kEqual, kLess, kGreater };

Status RefCompare(Compare op, const Node& node, std::span<const TensorView> inputs,
                  std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  const TensorView& a = inputs[0];
  const TensorView& b = inputs[1];
  const TensorView& y = outputs[0];
  if (y.dtype != DType::kBool) return ref::NodeInvalid(node, "output dtype must be bool");
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs.first(2), y, a.dtype));
  if (a.dtype == DType::kBool && op != Compare::kEqual) return ref::UnsupportedDType(node, a.dtype);
  bool ok = ref::VisitDType<ref::kAllTypes>(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pa = a.data_as<T>();
    const T* pb = b.data_as<T>();
    bool* py = y.data_as<bool>();
    for (int64_t i = 0, n = y.numel(); i < n; ++i) {
      auto va = Load(pa, BroadcastOffset(i, a.shape, y.shape));
      auto vb = Load(pb, BroadcastOffset(i, b.shape, y.shape));
      switch (op) {
        case Compare::kEqual:
          py[i] = va == vb;
          break;
        case Compare::kLess:
          py[i] = va < vb;
          break;
        case Compare::kGreater:
          py[i] = va > vb;
          break;
      }
    }
  });
  if (!ok) return ref::UnsupportedDType(node, a.dtype);
  return Status::Ok();
}

// Variadic Max / Min: NaN in any input propagates (as numpy.maximum does).
Status RefExtremum(bool is_max, const Node& node, std::span<const TensorView> inputs,
                   std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& y = outputs[0];
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs, y, y.dtype));
  bool ok = ref::VisitDType<ref::kNumericTypes>(y.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeT<T>;
    T* py = y.data_as<T>();
    for (int64_t i = 0, n = y.numel(); i < n; ++i) {
      C best = Load(inputs[0].data_as<T>(), BroadcastOffset(i, inputs[0].shape, y.shape));
      for (size_t k = 1; k < inputs.size(); ++k) {
        C v = Load(inputs[k].data_as<T>(), BroadcastOffset(i, inputs[k].shape, y.shape));
        if constexpr (std::is_floating_point_v<C>) {
          if (std::isnan(v) || std::isnan(best)) {
            best = std::numeric_limits<C>::quiet_NaN();
            continue;
          }
        }
        if (is_max ? v > best : v < best) best = v;
      }
      Store(py, i, best);
    }
  });
  if (!ok) return ref::UnsupportedDType(node, y.dtype);
  return Status::Ok();
}

// Integer power by squaring with wrapping multiplication; negative exponents give 0 except for
// bases 1 and -1.
template <typename C>
C IntPow(C base, int64_t exp) {
  if (exp < 0) {
    if (base == 1) return 1;
    if constexpr (std::is_signed_v<C>) {
      if (base == -1) return (exp % 2 == 0) ? 1 : -1;
    }
    return 0;
  }
  using U = WrapT<C>;
  U result = 1;
  U b = static_cast<U>(base);
  while (exp > 0) {
    if (exp & 1) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
    exp >>= 1;
  }
  return static_cast<C>(result);
}

// Converts a double to an integer type, truncating toward zero and saturating (NaN gives 0).
template <typename C>
C SaturatingTruncate(double v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<C>::lowest())) {
    return std::numeric_limits<C>::lowest();
  }
  if (v >= static_cast<double>(std::numeric_limits<C>::max())) return std::numeric_limits<C>::max();
  return static_cast<C>(v);
}

}  // namespace

SL_REF_KERNEL_VIA(Add, RefArith, Arith::kAdd)
SL_REF_KERNEL_VIA(Sub, RefArith, Arith::kSub)
SL_REF_KERNEL_VIA(Mul, RefArith, Arith::kMul)
SL_REF_KERNEL_VIA(Div, RefArith, Arith::kDiv)
SL_REF_KERNEL_VIA(Equal, RefCompare, Compare::kEqual)
SL_REF_KERNEL_VIA(Less, RefCompare, Compare::kLess)
SL_REF_KERNEL_VIA(Greater, RefCompare, Compare::kGreater)
SL_REF_KERNEL_VIA(Max, RefExtremum, true)
SL_REF_KERNEL_VIA(Min, RefExtremum, false)

// Pow: the output has the base's dtype; the exponent may have any numeric dtype. Integer bases
// with integer exponents are computed exactly; otherwise in double, truncated back to integers.
Status RefPow(const Node& node, std::span<const TensorView> inputs,
              std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  const TensorView& a = inputs[0];
  const TensorView& b = inputs[1];
  const TensorView& y = outputs[0];
  if (y.dtype != a.dtype) return ref::NodeInvalid(node, "output dtype differs from base dtype");
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs.first(1), y, a.dtype));
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs.first(2), y, b.dtype, 1));
  return ref::VisitDTypePair<ref::kNumericTypes, ref::kNumericTypes>(
      node, a.dtype, b.dtype, [&](auto base_tag, auto exp_tag) {
        using T = typename decltype(base_tag)::type;
        using C = ComputeT<T>;
        using E = typename decltype(exp_tag)::type;
        using CE = ComputeT<E>;
        const T* pa = a.data_as<T>();
        const E* pb = b.data_as<E>();
        T* py = y.data_as<T>();
        for (int64_t i = 0, n = y.numel(); i < n; ++i) {
          C va = Load(pa, BroadcastOffset(i, a.shape, y.shape));
          CE vb = Load(pb, BroadcastOffset(i, b.shape, y.shape));
          if constexpr (std::is_integral_v<C> && std::is_integral_v<CE>) {
            Store(py, i, IntPow<C>(va, static_cast<int64_t>(vb)));
          } else if constexpr (std::is_integral_v<C>) {
            Store(
                py, i,
                SaturatingTruncate<C>(std::pow(static_cast<double>(va), static_cast<double>(vb))));
          } else {
            Store(py, i, static_cast<C>(std::pow(va, static_cast<C>(vb))));
          }
        }
      });
}

// Where(condition, X, Y): three-way broadcast; any dtype for X and Y.
Status RefWhere(const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 3, 1));
  const TensorView& c = inputs[0];
  const TensorView& x = inputs[1];
  const TensorView& yv = inputs[2];
  const TensorView& out = outputs[0];
  if (c.dtype != DType::kBool) return ref::NodeInvalid(node, "condition must be bool");
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs.first(1), out, DType::kBool));
  SL_RETURN_IF_ERROR(CheckBroadcastInputs(node, inputs.first(3), out, out.dtype, 1));
  bool ok = ref::VisitDType<ref::kAllTypes>(out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const uint8_t* pc = c.data_as<uint8_t>();
    const T* px = x.data_as<T>();
    const T* py = yv.data_as<T>();
    T* po = out.data_as<T>();
    for (int64_t i = 0, n = out.numel(); i < n; ++i) {
      bool take_x = pc[BroadcastOffset(i, c.shape, out.shape)] != 0;
      po[i] = take_x ? px[BroadcastOffset(i, x.shape, out.shape)]
                     : py[BroadcastOffset(i, yv.shape, out.shape)];
    }
  });
  if (!ok) return ref::UnsupportedDType(node, out.dtype);
  return Status::Ok();
}

}  // namespace sl

// Small helpers shared by the reference kernels: numpy broadcasting offsets, dtype dispatch onto
// C++ storage types (float16 held as Half and computed in float) and error messages that name
// the node. Everything here is allocation-free and header-only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "core/dtype.h"
#include "core/tensor.h"
#include "graph/graph.h"
#include "graph/infer_st_window.h"

namespace sl::ref {

// Element offset of batch index `bi` of the output into an operand whose batch dims are
// `operand` (right-aligned against `out`, size-1 dims broadcast), in units of one matrix.
inline int64_t MatMulBatchOffset(std::span<const int64_t> out, std::span<const int64_t> operand,
                                 int64_t bi) {
  int64_t offset = 0, stride = 1;
  const int64_t shift = static_cast<int64_t>(out.size() - operand.size());
  for (int64_t i = static_cast<int64_t>(out.size()) - 1; i >= 0; --i) {
    const int64_t coord = bi % out[i];
    bi /= out[i];
    const int64_t j = i - shift;
    if (j < 0) continue;
    if (operand[j] != 1) offset += coord * stride;
    stride *= operand[j];
  }
  return offset;
}

// float16 storage; arithmetic on it happens in float (see Load / Store).
struct Half {
  uint16_t bits;
};

template <typename T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<Half> {
  using type = float;
};
// The type arithmetic on elements stored as T happens in.
template <typename T>
using ComputeT = typename ComputeOf<T>::type;

template <typename T>
inline ComputeT<T> Load(const T* p, int64_t i) {
  return p[i];
}
inline float Load(const Half* p, int64_t i) { return HalfToFloat(p[i].bits); }
template <typename T>
inline void Store(T* p, int64_t i, ComputeT<T> v) {
  p[i] = v;
}
inline void Store(Half* p, int64_t i, float v) { p[i].bits = FloatToHalf(v); }

template <typename T>
struct Tag {
  using type = T;
};

// Sets of dtypes a kernel accepts, combined with |.
enum TypeSet : unsigned {
  kFloatTypes = 1,    // float32, float64, float16
  kSignedInts = 2,    // int8, int16, int32, int64
  kUnsignedInts = 4,  // uint8, uint16
  kBoolType = 8,
  kNumericTypes = kFloatTypes | kSignedInts | kUnsignedInts,
  kAllTypes = kNumericTypes | kBoolType,
};

// Calls fn(Tag<T>{}) with T the storage type of `dtype` when `dtype` belongs to `kSet`; returns
// false (without calling fn) otherwise. Only the types in kSet are instantiated.
template <unsigned kSet, typename Fn>
bool VisitDType(DType dtype, Fn&& fn) {
#define SL_REF_VISIT_CASE(dt, set, T)    \
  case DType::dt:                        \
    if constexpr ((kSet & (set)) != 0) { \
      fn(Tag<T>{});                      \
      return true;                       \
    }                                    \
    break;
  switch (dtype) {
    SL_REF_VISIT_CASE(kF32, kFloatTypes, float)
    SL_REF_VISIT_CASE(kF64, kFloatTypes, double)
    SL_REF_VISIT_CASE(kF16, kFloatTypes, Half)
    SL_REF_VISIT_CASE(kI8, kSignedInts, int8_t)
    SL_REF_VISIT_CASE(kI16, kSignedInts, int16_t)
    SL_REF_VISIT_CASE(kI32, kSignedInts, int32_t)
    SL_REF_VISIT_CASE(kI64, kSignedInts, int64_t)
    SL_REF_VISIT_CASE(kU8, kUnsignedInts, uint8_t)
    SL_REF_VISIT_CASE(kU16, kUnsignedInts, uint16_t)
    SL_REF_VISIT_CASE(kBool, kBoolType, bool)
    default:
      break;
  }
#undef SL_REF_VISIT_CASE
  return false;
}

// "node 'name' (Op)" as graph.Describe() writes it, for kernels that only see the node.
inline std::string NodeLabel(const Node& node) {
  return "node '" + node.name + "' (" + std::string(OpTypeName(node.op)) + ")";
}
inline Status NodeUnsupported(const Node& node, const std::string& message) {
  return Unsupported(NodeLabel(node) + ": " + message);
}
inline Status NodeInvalid(const Node& node, const std::string& message) {
  return InvalidArgument(NodeLabel(node) + ": " + message);
}
inline Status UnsupportedDType(const Node& node, DType dtype) {
  return NodeUnsupported(node, "dtype " + std::string(DTypeName(dtype)) + " is not supported");
}

// Calls fn(Tag<A>{}, Tag<B>{}) with A the storage type of `a` (in kSetA) and B that of `b` (in
// kSetB). Returns UnsupportedDType naming `a` when it is outside kSetA, else naming `b` when it is
// outside kSetB (fn is not called then), else Ok.
template <unsigned kSetA, unsigned kSetB, typename Fn>
Status VisitDTypePair(const Node& node, DType a, DType b, Fn&& fn) {
  bool b_ok = true;
  const bool a_ok = VisitDType<kSetA>(
      a, [&](auto a_tag) { b_ok = VisitDType<kSetB>(b, [&](auto b_tag) { fn(a_tag, b_tag); }); });
  if (!a_ok) return UnsupportedDType(node, a);
  if (!b_ok) return UnsupportedDType(node, b);
  return Status::Ok();
}

// Product of `dims` (1 for none).
inline int64_t Product(std::span<const int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

// True when optional tensor i is given (present in the span and not a null placeholder).
inline bool Present(std::span<const TensorView> views, size_t i) {
  return i < views.size() && views[i].data != nullptr;
}
// Optional tensor i, or nullptr when it is absent (see Present).
inline const TensorView* Optional(std::span<const TensorView> views, size_t i) {
  return Present(views, i) ? &views[i] : nullptr;
}

// Defines the reference kernel `Ref<name>` as impl(arg, node, inputs, outputs), for op families
// that share one implementation selected by `arg`.
#define SL_REF_KERNEL_VIA(name, impl, arg)                               \
  Status Ref##name(const Node& node, std::span<const TensorView> inputs, \
                   std::span<const TensorView> outputs) {                \
    return impl(arg, node, inputs, outputs);                             \
  }

// Checks the kernel got at least `min_inputs` present inputs and `min_outputs` outputs.
inline Status CheckArity(const Node& node, std::span<const TensorView> inputs,
                         std::span<const TensorView> outputs, size_t min_inputs,
                         size_t min_outputs) {
  if (inputs.size() < min_inputs || outputs.size() < min_outputs) {
    return NodeInvalid(node, "expects at least " + std::to_string(min_inputs) + " inputs and " +
                                 std::to_string(min_outputs) + " outputs, got " +
                                 std::to_string(inputs.size()) + " and " +
                                 std::to_string(outputs.size()));
  }
  for (size_t i = 0; i < min_inputs; ++i) {
    if (inputs[i].data == nullptr && inputs[i].numel() != 0)
      return NodeInvalid(node, "input " + std::to_string(i) + " is missing");
  }
  return Status::Ok();
}

// True when `in` broadcasts to `out` under numpy rules (right-aligned, each dim equal or 1).
inline bool BroadcastsTo(std::span<const int64_t> in, std::span<const int64_t> out) {
  if (in.size() > out.size()) return false;
  size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != 1 && in[i] != out[lead + i]) return false;
  return true;
}

// Offset into a tensor of shape `in` of the element that broadcasts onto the element at linear
// index `out_index` of a tensor of shape `out` (numpy rules; `in` must broadcast to `out`).
inline int64_t BroadcastOffset(int64_t out_index, std::span<const int64_t> in,
                               std::span<const int64_t> out) {
  int64_t offset = 0;
  int64_t stride = 1;
  int j = static_cast<int>(in.size()) - 1;
  for (int i = static_cast<int>(out.size()) - 1; i >= 0 && j >= 0; --i, --j) {
    int64_t coord = out_index % out[i];
    out_index /= out[i];
    if (in[j] != 1) offset += coord * stride;
    stride *= in[j];
  }
  return offset;
}

// Visits the taps of window `o` (flat output position) on one plane of a Conv / pool: calls
// visit(k, in_index, inside_input, inside_padded_input) for every kernel position k in order,
// in_index the flat position in the input plane (meaningful only when inside_input).
template <typename Visit>
void ForEachTap(const WindowGeometry& g, int64_t o, int64_t kernel_size, Visit&& visit) {
  for (int64_t k = 0; k < kernel_size; ++k) {
    int64_t in_index = 0, in_stride = 1, o_rest = o, k_rest = k;
    bool inside = true, inside_padded = true;
    for (int i = g.rank - 1; i >= 0; --i) {
      const WindowDim& d = g[i];
      const int64_t oi = o_rest % d.out, ki = k_rest % d.kernel;
      o_rest /= d.out;
      k_rest /= d.kernel;
      const int64_t pos = oi * d.stride - d.pad_begin + ki * d.dilation;
      if (pos < 0 || pos >= d.in) inside = false;
      if (pos < -d.pad_begin || pos >= d.in + d.pad_end) inside_padded = false;
      in_index += pos * in_stride;
      in_stride *= d.in;
    }
    visit(k, in_index, inside, inside_padded);
  }
}

}  // namespace sl::ref

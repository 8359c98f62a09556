// Reference Gemm (float32) and MatMul (float32, int32, int64), with the fused activation and
// MatMul's optional fused bias (input 2, one value per output column or a single value).
// Float sums are accumulated in double, integer sums wrap like two's complement. Nothing is
// allocated.
#include <algorithm>
#include <string>
#include <type_traits>

#include "graph/infer_st_window.h"
#include "kernels/ref/activation_util.h"
#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

Status OpError(const Node& node, const char* op, const std::string& message) {
  return InvalidArgument("node '" + node.name + "' (" + op + "): " + message);
}

// Accumulator per element type: double for float, unsigned 64-bit (wrapping) for integers.
template <typename T>
struct Acc {
  using type = uint64_t;
};
template <>
struct Acc<float> {
  using type = double;
};

template <typename T>
typename Acc<T>::type Widen(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  }
}

template <typename T>
Status MatMulTyped(const Node& node, const TensorView& a, const TensorView& b,
                   const TensorView* bias, const TensorView& y, const FusedActivation& act) {
  const bool a_vec = a.rank() == 1, b_vec = b.rank() == 1;
  const int64_t m = a_vec ? 1 : a.dim(-2), k = a.dim(-1);
  const int64_t kb = b_vec ? b.dim(0) : b.dim(-2), n = b_vec ? 1 : b.dim(-1);
  if (k != kb) {
    return OpError(
        node, "MatMul",
        "inner dims of " + ShapeToString(a.shape) + " and " + ShapeToString(b.shape) + " differ");
  }
  std::span<const int64_t> a_batch = a.shape.first(a_vec ? 0 : a.shape.size() - 2);
  std::span<const int64_t> b_batch = b.shape.first(b_vec ? 0 : b.shape.size() - 2);
  const size_t tail = (a_vec ? 0 : 1) + (b_vec ? 0 : 1);
  bool shape_ok = y.shape.size() == std::max(a_batch.size(), b_batch.size()) + tail;
  std::span<const int64_t> y_batch = shape_ok ? y.shape.first(y.shape.size() - tail) : y.shape;
  for (size_t i = 0; shape_ok && i < y_batch.size(); ++i) {
    const size_t from_end = y_batch.size() - i;
    const int64_t da = from_end <= a_batch.size() ? a_batch[a_batch.size() - from_end] : 1;
    const int64_t db = from_end <= b_batch.size() ? b_batch[b_batch.size() - from_end] : 1;
    shape_ok = (da == db || da == 1 || db == 1) && y_batch[i] == (da == 1 ? db : da);
  }
  if (shape_ok && !a_vec) shape_ok = y.dim(b_vec ? -1 : -2) == m;
  if (shape_ok && !b_vec) shape_ok = y.dim(-1) == n;
  if (!shape_ok) {
    return OpError(node, "MatMul",
                   "output shape " + ShapeToString(y.shape) + " does not match " +
                       ShapeToString(a.shape) + " x " + ShapeToString(b.shape));
  }
  if (bias != nullptr && bias->numel() != n && bias->numel() != 1)
    return OpError(
        node, "MatMul",
        "bias " + ShapeToString(bias->shape) + " needs " + std::to_string(n) + " values");

  const T* ad = a.data_as<const T>();
  const T* bd = b.data_as<const T>();
  const T* biasd = bias != nullptr ? bias->data_as<const T>() : nullptr;
  T* yd = y.data_as<T>();
  const int64_t batches = NumElements(y_batch);
  for (int64_t bi = 0; bi < batches; ++bi) {
    const T* am = ad + ref::MatMulBatchOffset(y_batch, a_batch, bi) * m * k;
    const T* bm = bd + ref::MatMulBatchOffset(y_batch, b_batch, bi) * k * n;
    T* ym = yd + bi * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        typename Acc<T>::type acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += Widen(am[i * k + p]) * Widen(bm[p * n + j]);
        if (biasd != nullptr) acc += Widen(biasd[bias->numel() == 1 ? 0 : j]);
        if constexpr (std::is_same_v<T, float>) {
          ym[i * n + j] = act.Apply(static_cast<float>(acc));
        } else {
          ym[i * n + j] = static_cast<T>(acc);
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status RefMatMul(const Node& node, std::span<const TensorView> inputs,
                 std::span<const TensorView> outputs) {
  if (inputs.size() < 2 || outputs.empty()) return OpError(node, "MatMul", "expects A, B and Y");
  const TensorView& a = inputs[0];
  const TensorView& b = inputs[1];
  const TensorView* bias = inputs.size() > 2 && inputs[2].data != nullptr ? &inputs[2] : nullptr;
  const TensorView& y = outputs[0];
  if (a.rank() < 1 || b.rank() < 1) return OpError(node, "MatMul", "scalar operands");
  const DType t = a.dtype;
  if (b.dtype != t || y.dtype != t || (bias != nullptr && bias->dtype != t))
    return OpError(node, "MatMul", "operands, bias and output must share one dtype");
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(node));
  switch (t) {
    case DType::kF32:
      return MatMulTyped<float>(node, a, b, bias, y, act);
    case DType::kI32:
    case DType::kI64:
      if (act.kind != FusedActivation::Kind::kNone) {
        return Unsupported("node '" + node.name + "' (MatMul): fused activation on " +
                           std::string(DTypeName(t)));
      }
      return t == DType::kI32 ? MatMulTyped<int32_t>(node, a, b, bias, y, act)
                              : MatMulTyped<int64_t>(node, a, b, bias, y, act);
    default:
      return Unsupported("node '" + node.name + "' (MatMul): reference kernel does not support " +
                         std::string(DTypeName(t)));
  }
}

// Y = alpha * op(A) * op(B) + beta * C, C broadcast (right-aligned) to [M, N].
Status RefGemm(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  if (inputs.size() < 2 || outputs.empty()) return OpError(node, "Gemm", "expects A, B and Y");
  const TensorView& a = inputs[0];
  const TensorView& b = inputs[1];
  const TensorView* c = inputs.size() > 2 && inputs[2].data != nullptr ? &inputs[2] : nullptr;
  const TensorView& y = outputs[0];
  if (a.dtype != DType::kF32 || b.dtype != DType::kF32 || y.dtype != DType::kF32 ||
      (c != nullptr && c->dtype != DType::kF32)) {
    return Unsupported("node '" + node.name + "' (Gemm): reference kernel supports float32 only");
  }
  if (a.rank() != 2 || b.rank() != 2 || y.rank() != 2)
    return OpError(node, "Gemm", "A, B and Y must be 2-D");
  const bool trans_a = AttrInt(node.attrs, "transA", 0) != 0;
  const bool trans_b = AttrInt(node.attrs, "transB", 0) != 0;
  const float alpha = AttrFloat(node.attrs, "alpha", 1.f);
  const float beta = AttrFloat(node.attrs, "beta", 1.f);
  const int64_t m = trans_a ? a.dim(1) : a.dim(0), k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = trans_b ? b.dim(1) : b.dim(0), n = trans_b ? b.dim(0) : b.dim(1);
  if (k != kb || y.dim(0) != m || y.dim(1) != n) {
    return OpError(node, "Gemm",
                   "shapes A " + ShapeToString(a.shape) + ", B " + ShapeToString(b.shape) + ", Y " +
                       ShapeToString(y.shape) + " do not match");
  }
  // C's row / column strides under broadcasting (0 along broadcast dims).
  int64_t c_row = 0, c_col = 0;
  if (c != nullptr) {
    const int64_t cm = c->rank() == 2 ? c->dim(0) : 1;
    const int64_t cn = c->rank() >= 1 ? c->dim(-1) : 1;
    if (c->rank() > 2 || (cm != 1 && cm != m) || (cn != 1 && cn != n))
      return OpError(node, "Gemm", "C " + ShapeToString(c->shape) + " cannot be broadcast");
    c_row = cm == 1 ? 0 : cn;
    c_col = cn == 1 ? 0 : 1;
  }
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(node));
  const float* ad = a.data_as<const float>();
  const float* bd = b.data_as<const float>();
  float* yd = y.data_as<float>();
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? ad[p * m + i] : ad[i * k + p];
        const float bv = trans_b ? bd[j * k + p] : bd[p * n + j];
        acc += static_cast<double>(av) * bv;
      }
      acc *= alpha;
      if (c != nullptr) {
        acc += static_cast<double>(beta) * c->data_as<const float>()[i * c_row + j * c_col];
      }
      yd[i * n + j] = act.Apply(static_cast<float>(acc));
    }
  }
  return Status::Ok();
}

}  // namespace sl

// Shape inference for Conv, Gemm and MatMul (ONNX opsets 11-17), including the fused-activation
// attributes and MatMul's optional fused bias input.
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_window.h"

namespace sl {

namespace {

std::string S(int64_t v) { return std::to_string(v); }

// Two dims that must agree; -1 (unknown) agrees with anything.
bool DimsCompatible(int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; }

Status CheckFusedActivation(const InferContext& ctx) {
  std::string_view act = AttrString(ctx.attrs(), "_act");
  if (act.empty() || act == "Relu" || act == "Clip") return Status::Ok();
  return ctx.Error("unknown fused activation _act='" + std::string(act) + "'");
}

Status CheckSameDtype(const InferContext& ctx, int a, int b) {
  if (ctx.input(a).dtype == ctx.input(b).dtype) return Status::Ok();
  return ctx.Error("input " + S(a) + " is " + std::string(DTypeName(ctx.input(a).dtype)) +
                   " but input " + S(b) + " is " + std::string(DTypeName(ctx.input(b).dtype)));
}

// Gemm / MatMul: A, B and an optional bias / C, a valid fused activation, A and B of one dtype.
Status CheckMatMulInputs(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 3));
  SL_RETURN_IF_ERROR(CheckFusedActivation(ctx));
  return CheckSameDtype(ctx, 0, 1);
}

}  // namespace

Status InferConv(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 3));
  SL_RETURN_IF_ERROR(CheckFusedActivation(ctx));
  SL_RETURN_IF_ERROR(CheckSameDtype(ctx, 0, 1));
  const Value& x = ctx.input(0);
  const Value& w = ctx.input(1);
  if (!x.known_rank || !w.known_rank) return ctx.Error("input X or weight W has unknown rank");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank < 3) return ctx.Error("input X " + ShapeToString(x.shape) + " needs rank >= 3");
  if (static_cast<int64_t>(w.shape.size()) != rank) {
    return ctx.Error("weight W " + ShapeToString(w.shape) + " must have the rank of X " +
                     ShapeToString(x.shape));
  }
  const int64_t group = AttrInt(ctx.attrs(), "group", 1);
  if (group <= 0) return ctx.Error("group " + S(group) + " must be positive");
  const int64_t c = x.shape[1];
  const int64_t m = w.shape[0];
  if (c >= 0 && w.shape[1] >= 0 && c != w.shape[1] * group) {
    return ctx.Error("X has " + S(c) + " channels but W " + ShapeToString(w.shape) +
                     " with group " + S(group) + " expects " + S(w.shape[1] * group));
  }
  if (m >= 0 && m % group != 0)
    return ctx.Error("W has " + S(m) + " output channels, not divisible by group " + S(group));

  // Kernel extents come from W; kernel_shape, when given, must agree.
  Shape kernel(w.shape.begin() + 2, w.shape.end());
  std::span<const int64_t> kernel_attr = AttrInts(ctx.attrs(), "kernel_shape");
  if (!kernel_attr.empty()) {
    if (kernel_attr.size() != kernel.size())
      return ctx.Error("kernel_shape length does not match W " + ShapeToString(w.shape));
    for (size_t i = 0; i < kernel.size(); ++i) {
      if (!DimsCompatible(kernel[i], kernel_attr[i]))
        return ctx.Error("kernel_shape disagrees with W " + ShapeToString(w.shape));
      kernel[i] = kernel_attr[i];
    }
  }
  for (int64_t k : kernel)
    if (k < 0) return ctx.Error("kernel extents of W " + ShapeToString(w.shape) + " are unknown");

  if (ctx.has_input(2)) {
    const Value& b = ctx.input(2);
    if (b.known_rank && (b.shape.size() != 1 || !DimsCompatible(b.shape[0], m)))
      return ctx.Error("bias B " + ShapeToString(b.shape) + " must be [" + S(m) + "]");
  }

  std::span<const int64_t> spatial(x.shape.begin() + 2, x.shape.end());
  Result<WindowGeometry> g = ComputeWindowGeometry(ctx.attrs(), spatial, kernel, false);
  if (!g.ok()) return WindowError(ctx, g.status());
  Shape out = {x.shape[0], m};
  for (int i = 0; i < g->rank; ++i) out.push_back((*g)[i].out);
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

Status InferGemm(InferContext& ctx) {
  SL_RETURN_IF_ERROR(CheckMatMulInputs(ctx));
  const Value& a = ctx.input(0);
  const Value& b = ctx.input(1);
  if (a.shape.size() != 2 || b.shape.size() != 2) {
    return ctx.Error("A " + ShapeToString(a.shape) + " and B " + ShapeToString(b.shape) +
                     " must both be 2-D");
  }
  const bool trans_a = AttrInt(ctx.attrs(), "transA", 0) != 0;
  const bool trans_b = AttrInt(ctx.attrs(), "transB", 0) != 0;
  const int64_t m = trans_a ? a.shape[1] : a.shape[0];
  const int64_t ka = trans_a ? a.shape[0] : a.shape[1];
  const int64_t kb = trans_b ? b.shape[1] : b.shape[0];
  const int64_t n = trans_b ? b.shape[0] : b.shape[1];
  if (!DimsCompatible(ka, kb)) {
    return ctx.Error("inner dims differ: A " + ShapeToString(a.shape) + " (transA=" + S(trans_a) +
                     ") and B " + ShapeToString(b.shape) + " (transB=" + S(trans_b) + ")");
  }
  if (ctx.has_input(2)) {
    const Value& c = ctx.input(2);
    Shape mn = {m, n};
    if (c.known_rank) {
      Result<Shape> bc = BroadcastShapes(c.shape, mn);
      bool ok = bc.ok() && c.shape.size() <= 2;
      for (size_t i = 0; ok && i < 2; ++i) ok = DimsCompatible((*bc)[i], mn[i]);
      if (!ok) {
        return ctx.Error("C " + ShapeToString(c.shape) + " cannot be broadcast to " +
                         ShapeToString(mn));
      }
    }
  }
  ctx.SetOutput(0, a.dtype, {m, n});
  return Status::Ok();
}

Status InferMatMul(InferContext& ctx) {
  SL_RETURN_IF_ERROR(CheckMatMulInputs(ctx));
  const Value& a = ctx.input(0);
  const Value& b = ctx.input(1);
  if (!a.known_rank || !b.known_rank) return ctx.Error("inputs of unknown rank");
  if (a.shape.empty() || b.shape.empty()) return ctx.Error("scalar operands are not allowed");
  // 1-D operands are promoted ([K] -> [1,K] for A, [K] -> [K,1] for B) and the added dim removed.
  Shape sa = a.shape.size() == 1 ? Shape{1, a.shape[0]} : a.shape;
  Shape sb = b.shape.size() == 1 ? Shape{b.shape[0], 1} : b.shape;
  const int64_t k_a = sa[sa.size() - 1];
  const int64_t k_b = sb[sb.size() - 2];
  if (!DimsCompatible(k_a, k_b)) {
    return ctx.Error("inner dims differ: A " + ShapeToString(a.shape) + ", B " +
                     ShapeToString(b.shape));
  }
  Shape batch_a(sa.begin(), sa.end() - 2);
  Shape batch_b(sb.begin(), sb.end() - 2);
  Result<Shape> batch = BroadcastShapes(batch_a, batch_b);
  if (!batch.ok()) return ctx.Error("batch dims: " + batch.status().message());
  Shape out = *batch;
  const int64_t n = sb[sb.size() - 1];
  if (a.shape.size() != 1) out.push_back(sa[sa.size() - 2]);
  if (b.shape.size() != 1) out.push_back(n);
  if (ctx.has_input(2)) {
    const Value& bias = ctx.input(2);
    if (b.shape.size() == 1) return ctx.Error("a fused bias needs a matrix B");
    int64_t count = NumElements(bias.shape);
    if (bias.known_rank && count >= 0 && n >= 0 && count != n && count != 1) {
      return ctx.Error("bias " + ShapeToString(bias.shape) + " must hold " + S(n) +
                       " values (one per output column)");
    }
  }
  ctx.SetOutput(0, a.dtype, std::move(out));
  return Status::Ok();
}

}  // namespace sl

// Shape inference for MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool.
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_window.h"

namespace sl {

namespace {

// Sets output 0; with `indices`, also output 1 (int64, same shape).
Status InferWindowPool(InferContext& ctx, bool indices) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input X has unknown rank");
  if (x.shape.size() < 3)
    return ctx.Error("input X " + ShapeToString(x.shape) + " needs rank >= 3 (N, C, spatial...)");
  if (AttrInts(ctx.attrs(), "kernel_shape").empty())
    return ctx.Error("attribute kernel_shape is required");
  std::span<const int64_t> spatial(x.shape.begin() + 2, x.shape.end());
  Result<WindowGeometry> g = ComputeWindowGeometry(ctx.attrs(), spatial, {}, true);
  if (!g.ok()) return WindowError(ctx, g.status());
  Shape out = {x.shape[0], x.shape[1]};
  for (int i = 0; i < g->rank; ++i) out.push_back((*g)[i].out);
  if (indices) ctx.SetOutput(1, DType::kI64, out);
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

Status InferGlobalPool(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input X has unknown rank");
  if (x.shape.size() < 3)
    return ctx.Error("input X " + ShapeToString(x.shape) + " needs rank >= 3 (N, C, spatial...)");
  Shape out(x.shape.size(), 1);
  out[0] = x.shape[0];
  out[1] = x.shape[1];
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

}  // namespace

// MaxPool's optional second output (Indices) holds the int64 flat NCHW index of each maximum.
Status InferMaxPool(InferContext& ctx) {
  if (ctx.num_outputs() > 2) return ctx.Error("expects at most 2 outputs");
  return InferWindowPool(ctx, ctx.num_outputs() > 1 && ctx.node().outputs[1] != kNoValue);
}

Status InferAveragePool(InferContext& ctx) { return InferWindowPool(ctx, false); }
Status InferGlobalAveragePool(InferContext& ctx) { return InferGlobalPool(ctx); }
Status InferGlobalMaxPool(InferContext& ctx) { return InferGlobalPool(ctx); }

}  // namespace sl

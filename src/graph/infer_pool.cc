// Shape inference for MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool.
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_window.h"

namespace sl {

namespace {

Status InferWindowPool(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input X has unknown rank");
  if (x.shape.size() < 3)
    return ctx.Error("input X " + ShapeToString(x.shape) + " needs rank >= 3 (N, C, spatial...)");
  if (AttrInts(ctx.attrs(), "kernel_shape").empty())
    return ctx.Error("attribute kernel_shape is required");
  if (AttrInt(ctx.attrs(), "storage_order", 0) != 0)
    return Unsupported(ctx.Error("storage_order=1 is not supported").message());
  std::span<const int64_t> spatial(x.shape.begin() + 2, x.shape.end());
  Result<WindowGeometry> g = ComputeWindowGeometry(ctx.attrs(), spatial, {}, true);
  if (!g.ok()) return WindowError(ctx, g.status());
  Shape out = {x.shape[0], x.shape[1]};
  for (int i = 0; i < g->rank; ++i) out.push_back((*g)[i].out);
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

Status InferMaxPool(InferContext& ctx) {
  // The optional Indices output (argmax positions) is not computed by any kernel.
  for (int i = 1; i < ctx.num_outputs(); ++i) {
    if (ctx.node().outputs[i] != kNoValue)
      return Unsupported(ctx.Error("the Indices output is not supported").message());
  }
  return InferWindowPool(ctx);
}

Status InferAveragePool(InferContext& ctx) { return InferWindowPool(ctx); }
Status InferGlobalAveragePool(InferContext& ctx) { return InferGlobalPool(ctx); }
Status InferGlobalMaxPool(InferContext& ctx) { return InferGlobalPool(ctx); }

}  // namespace sl

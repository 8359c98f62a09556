// Shape inference for reductions, normalizations and (de)quantization: ReduceMean ReduceSum
// ReduceMax Softmax LayerNormalization BatchNormalization QuantizeLinear DequantizeLinear.
#include <string>
#include <vector>

#include "graph/infer.h"

namespace sl {

namespace {

bool HasOutput(InferContext& ctx, int i) {
  return i < ctx.num_outputs() && ctx.node().outputs[i] != kNoValue;
}

Result<int64_t> AxisAttr(InferContext& ctx, int64_t fallback, int64_t rank) {
  int64_t axis = ctx.attrs().GetInt("axis", fallback);
  Result<int64_t> r = NormalizeAxis(axis, rank);
  if (!r.ok()) return ctx.Error(r.status().message());
  return r;
}

// Reduce*: axes come from input 1 when present (ReduceSum from opset 13, all Reduce ops from
// opset 18) or else from the "axes" attribute. When the axes input is not a constant, the output
// rank is still known from keepdims or the axes count, but its dims are not.
Status InferReduce(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 2));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  const Value& x = ctx.input(0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  bool keepdims = ctx.attrs().GetInt("keepdims", 1) != 0;
  bool noop_empty = ctx.attrs().GetInt("noop_with_empty_axes", 0) != 0;
  std::vector<int64_t> axes;
  if (ctx.has_input(1)) {
    const Value& axes_value = ctx.input(1);
    if (axes_value.dtype != DType::kI64) return ctx.Error("axes input must be int64");
    const Tensor* constant = ctx.constant_input(1);
    if (constant == nullptr) {
      int64_t count =
          axes_value.known_rank && axes_value.shape.size() == 1 ? axes_value.shape[0] : -1;
      if (count != 0) {
        if (keepdims) {
          ctx.SetOutput(0, x.dtype, Shape(static_cast<size_t>(rank), -1));
          return Status::Ok();
        }
        if (count < 0) return ctx.Error("axes input must be a constant when keepdims is 0");
        if (count > rank) return ctx.Error("more axes than the input rank");
        ctx.SetOutput(0, x.dtype, Shape(static_cast<size_t>(rank - count), -1));
        return Status::Ok();
      }
      // count == 0: empty axes, handled below.
    } else {
      axes = constant->ToInt64s();
    }
  } else {
    axes = ctx.attrs().GetInts("axes");
  }
  if (axes.empty() && noop_empty) {
    ctx.SetOutput(0, x.dtype, x.shape);
    return Status::Ok();
  }
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    Result<int64_t> axis = NormalizeAxis(a, rank);
    if (!axis.ok()) return ctx.Error(axis.status().message());
    if (reduced[*axis]) return ctx.Error("axis " + std::to_string(a) + " is repeated");
    reduced[*axis] = true;
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      out.push_back(x.shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

// Checks `param` (input i) broadcasts onto `target` unidirectionally.
Status RequireBroadcastsOnto(InferContext& ctx, int i, const Shape& target) {
  const Value& p = ctx.input(i);
  if (!p.known_rank) return Status::Ok();
  bool ok = p.shape.size() <= target.size();
  for (size_t k = 0; ok && k < p.shape.size(); ++k) {
    int64_t d = p.shape[k], t = target[target.size() - p.shape.size() + k];
    ok = d == 1 || d == -1 || t == -1 || d == t;
  }
  if (!ok) {
    return ctx.Error("input '" + p.name + "' of shape " + ShapeToString(p.shape) +
                     " does not broadcast to " + ShapeToString(target));
  }
  return Status::Ok();
}

}  // namespace

Status InferReduceMean(InferContext& ctx) { return InferReduce(ctx); }
Status InferReduceSum(InferContext& ctx) { return InferReduce(ctx); }
Status InferReduceMax(InferContext& ctx) { return InferReduce(ctx); }

Status InferSoftmax(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  const Value& x = ctx.input(0);
  bool legacy = ctx.attrs().GetInt("_legacy_flatten", 0) != 0;
  SL_RETURN_IF_ERROR(AxisAttr(ctx, legacy ? 1 : -1, static_cast<int64_t>(x.shape.size())).status());
  ctx.SetOutput(0, x.dtype, x.shape);
  return Status::Ok();
}

// LayerNormalization(X, Scale, B?): Y like X; optional Mean and InvStdDev of shape
// X.shape[:axis] followed by ones, in the stash type (float32 unless stash_type says double).
Status InferLayerNormalization(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 3));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  const Value& x = ctx.input(0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  SL_ASSIGN_OR_RETURN(int64_t axis, AxisAttr(ctx, -1, rank));
  Shape norm_shape(x.shape.begin() + axis, x.shape.end());
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    if (ctx.input(i).dtype != x.dtype)
      return ctx.Error("input '" + ctx.input(i).name + "' dtype differs from X");
    SL_RETURN_IF_ERROR(RequireBroadcastsOnto(ctx, i, norm_shape));
  }
  ctx.SetOutput(0, x.dtype, x.shape);
  Shape stat_shape(x.shape.begin(), x.shape.begin() + axis);
  stat_shape.resize(static_cast<size_t>(rank), 1);
  DType stash = ctx.attrs().GetInt("stash_type", 1) == 11 ? DType::kF64 : DType::kF32;
  for (int i = 1; i < 3; ++i)
    if (HasOutput(ctx, i)) ctx.SetOutput(i, stash, stat_shape);
  return Status::Ok();
}

// BatchNormalization(X[N,C,...], scale, B, mean, var): Y like X. In training mode the optional
// outputs 1 and 2 (running mean / var) have shape [C].
Status InferBatchNormalization(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(5, 5));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  const Value& x = ctx.input(0);
  if (x.shape.size() < 2) return ctx.Error("X must have rank >= 2, got " + ShapeToString(x.shape));
  int64_t channels = x.shape[1];
  for (int i = 1; i < 5; ++i) {
    const Value& p = ctx.input(i);
    if (!p.known_rank) continue;
    int64_t n = NumElements(p.shape);
    if (p.shape.size() != 1 || (n >= 0 && channels >= 0 && n != channels)) {
      return ctx.Error("input '" + p.name + "' has shape " + ShapeToString(p.shape) +
                       ", expected [" + std::to_string(channels) + "]");
    }
  }
  ctx.SetOutput(0, x.dtype, x.shape);
  bool training = ctx.attrs().GetInt("training_mode", 0) != 0;
  for (int i = 1; i < 3; ++i) {
    if (!HasOutput(ctx, i)) continue;
    if (!training) return ctx.Error("outputs 1-2 need training_mode = 1");
    ctx.SetOutput(i, ctx.input(3).dtype, Shape{channels});
  }
  if (HasOutput(ctx, 3) || HasOutput(ctx, 4))
    return Unsupported(ctx.Error("saved mean / var outputs are not supported").message());
  return Status::Ok();
}

namespace {

// Scale (and zero point) are scalars / one-element (per tensor) or 1-D of X.shape[axis].
Status CheckQuantParams(InferContext& ctx) {
  const Value& x = ctx.input(0);
  const Value& scale = ctx.input(1);
  if (scale.known_rank && scale.shape.size() > 1)
    return ctx.Error("scale must be a scalar or 1-D, got " + ShapeToString(scale.shape));
  int64_t n = scale.known_rank ? NumElements(scale.shape) : -1;
  if (scale.known_rank && scale.shape.size() == 1 && n != 1) {
    SL_ASSIGN_OR_RETURN(int64_t axis, AxisAttr(ctx, 1, static_cast<int64_t>(x.shape.size())));
    if (n >= 0 && x.shape[axis] >= 0 && x.shape[axis] != n) {
      return ctx.Error("scale has " + std::to_string(n) + " elements but X has " +
                       std::to_string(x.shape[axis]) + " along axis " + std::to_string(axis));
    }
  }
  if (ctx.has_input(2)) {
    const Value& zp = ctx.input(2);
    if (zp.known_rank && scale.known_rank && NumElements(zp.shape) != n)
      return ctx.Error("zero point shape " + ShapeToString(zp.shape) + " differs from scale's");
  }
  return Status::Ok();
}

}  // namespace

// QuantizeLinear(X, scale, zero_point?): the output takes the zero point's dtype (uint8 without
// one).
Status InferQuantizeLinear(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 3));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  SL_RETURN_IF_ERROR(CheckQuantParams(ctx));
  DType out = ctx.has_input(2) ? ctx.input(2).dtype : DType::kU8;
  if (out != DType::kU8 && out != DType::kI8 && out != DType::kU16 && out != DType::kI16) {
    return Unsupported(
        ctx.Error("zero point dtype " + std::string(DTypeName(out)) + " is not supported")
            .message());
  }
  ctx.SetOutput(0, out, ctx.input(0).shape);
  return Status::Ok();
}

// DequantizeLinear(X, scale, zero_point?): the output takes the scale's dtype.
Status InferDequantizeLinear(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 3));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  SL_RETURN_IF_ERROR(CheckQuantParams(ctx));
  if (ctx.has_input(2) && ctx.input(2).dtype != ctx.input(0).dtype)
    return ctx.Error("zero point dtype differs from X dtype");
  ctx.SetOutput(0, ctx.input(1).dtype, ctx.input(0).shape);
  return Status::Ok();
}

}  // namespace sl

// Shape inference for the elementwise ops: broadcasting binary and variadic ops, comparisons,
// unary math and activations, Clip, Where and Cast.
#include <string>

#include "graph/infer.h"

namespace sl {

namespace {

Status RequireSameDType(InferContext& ctx, int i, DType dtype) {
  if (ctx.input(i).dtype != dtype) {
    return ctx.Error("input " + std::to_string(i) + " '" + ctx.input(i).name + "' has dtype " +
                     std::string(DTypeName(ctx.input(i).dtype)) + ", expected " +
                     std::string(DTypeName(dtype)));
  }
  return Status::Ok();
}

// Broadcasts inputs [first, num_inputs) together.
Result<Shape> BroadcastInputs(InferContext& ctx, int first) {
  Shape shape;
  for (int i = first; i < ctx.num_inputs(); ++i) {
    SL_RETURN_IF_ERROR(ctx.RequireKnownRank(i));
    Result<Shape> next = BroadcastShapes(shape, ctx.input(i).shape);
    if (!next.ok()) return ctx.Error(next.status().message());
    shape = std::move(next).value();
  }
  return shape;
}

// Binary ops whose inputs share one dtype; the output has `out` dtype or, when kUndefined, the
// inputs' dtype.
Status InferBinary(InferContext& ctx, DType out) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 2));
  DType dtype = ctx.input(0).dtype;
  SL_RETURN_IF_ERROR(RequireSameDType(ctx, 1, dtype));
  SL_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0));
  ctx.SetOutput(0, out == DType::kUndefined ? dtype : out, std::move(shape));
  return Status::Ok();
}

Status InferVariadic(InferContext& ctx) {
  if (ctx.num_inputs() < 1) return ctx.Error("expects at least 1 input");
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(ctx.num_inputs(), ctx.num_inputs()));
  DType dtype = ctx.input(0).dtype;
  for (int i = 1; i < ctx.num_inputs(); ++i) SL_RETURN_IF_ERROR(RequireSameDType(ctx, i, dtype));
  SL_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0));
  ctx.SetOutput(0, dtype, std::move(shape));
  return Status::Ok();
}

// One input; the output has its dtype and shape.
Status InferUnary(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  ctx.SetOutput(0, ctx.input(0).dtype, ctx.input(0).shape);
  return Status::Ok();
}

}  // namespace

Status InferAdd(InferContext& ctx) { return InferBinary(ctx, DType::kUndefined); }
Status InferSub(InferContext& ctx) { return InferBinary(ctx, DType::kUndefined); }
Status InferMul(InferContext& ctx) { return InferBinary(ctx, DType::kUndefined); }
Status InferDiv(InferContext& ctx) { return InferBinary(ctx, DType::kUndefined); }
Status InferEqual(InferContext& ctx) { return InferBinary(ctx, DType::kBool); }
Status InferLess(InferContext& ctx) { return InferBinary(ctx, DType::kBool); }
Status InferGreater(InferContext& ctx) { return InferBinary(ctx, DType::kBool); }
Status InferMax(InferContext& ctx) { return InferVariadic(ctx); }
Status InferMin(InferContext& ctx) { return InferVariadic(ctx); }

// Pow: base and exponent may differ in dtype; the output takes the base's.
Status InferPow(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 2));
  SL_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0));
  ctx.SetOutput(0, ctx.input(0).dtype, std::move(shape));
  return Status::Ok();
}

Status InferSqrt(InferContext& ctx) { return InferUnary(ctx); }
Status InferErf(InferContext& ctx) { return InferUnary(ctx); }
Status InferExp(InferContext& ctx) { return InferUnary(ctx); }
Status InferLog(InferContext& ctx) { return InferUnary(ctx); }
Status InferNeg(InferContext& ctx) { return InferUnary(ctx); }
Status InferAbs(InferContext& ctx) { return InferUnary(ctx); }
Status InferRelu(InferContext& ctx) { return InferUnary(ctx); }
Status InferLeakyRelu(InferContext& ctx) { return InferUnary(ctx); }
Status InferSigmoid(InferContext& ctx) { return InferUnary(ctx); }
Status InferTanh(InferContext& ctx) { return InferUnary(ctx); }
Status InferHardSigmoid(InferContext& ctx) { return InferUnary(ctx); }
Status InferHardSwish(InferContext& ctx) { return InferUnary(ctx); }

// Gelu (opset 20): approximate "none" (the erf form) or "tanh".
Status InferGelu(InferContext& ctx) {
  const std::string approximate = ctx.attrs().GetString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return ctx.Error("approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  return InferUnary(ctx);
}

// Clip: optional min / max inputs (opset 11+) must be one-element tensors of X's dtype.
Status InferClip(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 3));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    SL_RETURN_IF_ERROR(RequireSameDType(ctx, i, ctx.input(0).dtype));
    const Value& bound = ctx.input(i);
    int64_t n = NumElements(bound.shape);
    if (bound.known_rank && n >= 0 && n != 1) {
      return ctx.Error("bound '" + bound.name + "' must be a scalar, got shape " +
                       ShapeToString(bound.shape));
    }
  }
  ctx.SetOutput(0, ctx.input(0).dtype, ctx.input(0).shape);
  return Status::Ok();
}

// Where(condition, X, Y): bool condition, X and Y of one dtype, all three broadcast together.
Status InferWhere(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(3, 3));
  SL_RETURN_IF_ERROR(RequireSameDType(ctx, 0, DType::kBool));
  SL_RETURN_IF_ERROR(RequireSameDType(ctx, 2, ctx.input(1).dtype));
  SL_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0));
  ctx.SetOutput(0, ctx.input(1).dtype, std::move(shape));
  return Status::Ok();
}

// Cast: the "to" attribute holds an ONNX TensorProto.DataType value.
Status InferCast(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  SL_RETURN_IF_ERROR(ctx.RequireKnownRank(0));
  if (!ctx.attrs().Has("to")) return ctx.Error("missing attribute 'to'");
  int64_t to = ctx.attrs().GetInt("to", 0);
  DType dtype = DTypeFromOnnx(static_cast<int32_t>(to));
  if (dtype == DType::kUndefined)
    return Unsupported(ctx.Error("unsupported target type " + std::to_string(to)).message());
  ctx.SetOutput(0, dtype, ctx.input(0).shape);
  return Status::Ok();
}

}  // namespace sl

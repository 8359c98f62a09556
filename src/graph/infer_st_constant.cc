// Shape inference for the ops that produce constants or value sequences: Constant,
// ConstantOfShape, Range.
#include <cmath>
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_util.h"

namespace sl {

namespace {

std::string S(int64_t v) { return std::to_string(v); }

}  // namespace

// Constant: exactly one of value (a Tensor attribute), value_float(s), value_int(s).
Status InferConstant(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(0, 0));
  const Attributes& a = ctx.attrs();
  int given = 0;
  for (const char* name : {"value", "value_float", "value_floats", "value_int", "value_ints",
                           "sparse_value", "value_string", "value_strings"}) {
    given += a.Has(name) ? 1 : 0;
  }
  if (given != 1) return ctx.Error("needs exactly one value attribute, got " + S(given));
  if (a.Has("value")) {
    const Tensor* t = a.GetTensor("value");
    if (t == nullptr || !t->defined()) return ctx.Error("attribute value is not a tensor");
    ctx.SetOutput(0, t->dtype(), t->shape());
  } else if (a.Has("value_float")) {
    ctx.SetOutput(0, DType::kF32, {});
  } else if (a.Has("value_floats")) {
    ctx.SetOutput(0, DType::kF32, {static_cast<int64_t>(a.GetFloats("value_floats").size())});
  } else if (a.Has("value_int")) {
    ctx.SetOutput(0, DType::kI64, {});
  } else if (a.Has("value_ints")) {
    ctx.SetOutput(0, DType::kI64, {static_cast<int64_t>(a.GetInts("value_ints").size())});
  } else {
    return Unsupported(ctx.Error("sparse and string constants are not supported").message());
  }
  return Status::Ok();
}

// ConstantOfShape: output shape from the int64 input, dtype and value from attribute value
// (a one-element tensor, default float 0).
Status InferConstantOfShape(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  DType dtype = DType::kF32;
  if (ctx.attrs().Has("value")) {
    const Tensor* t = ctx.attrs().GetTensor("value");
    if (t == nullptr || t->numel() != 1)
      return ctx.Error("attribute value must be a one-element tensor");
    dtype = t->dtype();
  }
  SL_ASSIGN_OR_RETURN(IntListArg arg, ReadIntListArg(ctx, 0, nullptr, "shape"));
  if (arg.dynamic) {
    const Value& s = ctx.input(0);
    if (s.shape.size() == 1 && s.shape[0] >= 0) {
      ctx.SetOutput(0, dtype, Shape(s.shape[0], -1));
      return Status::Ok();
    }
    return ctx.Error("dynamic shape input not supported");
  }
  Shape out = arg.values;
  Status s = CheckShape(out, dtype, "output shape");
  if (!s.ok()) return ctx.Error(s.message());
  ctx.SetOutput(0, dtype, std::move(out));
  return Status::Ok();
}

// Range: [ceil((limit - start) / delta)] elements (at least 0) of start's dtype.
Status InferRange(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(3, 3));
  const DType dtype = ctx.input(0).dtype;
  for (int i = 0; i < 3; ++i) {
    if (ctx.input(i).dtype != dtype) return ctx.Error("start, limit and delta differ in dtype");
    if (NumElements(ctx.input(i).shape) > 1 || !ctx.input(i).known_rank)
      return ctx.Error("input " + S(i) + " must be a scalar");
  }
  const Tensor* start = ctx.constant_input(0);
  const Tensor* limit = ctx.constant_input(1);
  const Tensor* delta = ctx.constant_input(2);
  if (start == nullptr || limit == nullptr || delta == nullptr) {
    ctx.SetOutput(0, dtype, {-1});
    return Status::Ok();
  }
  if (start->numel() != 1 || limit->numel() != 1 || delta->numel() != 1)
    return ctx.Error("start, limit and delta must hold one value each");
  int64_t count = 0;
  if (dtype == DType::kF32 || dtype == DType::kF64 || dtype == DType::kF16) {
    double s = start->ToDoubles()[0], l = limit->ToDoubles()[0], d = delta->ToDoubles()[0];
    if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      return ctx.Error("delta must be non-zero and all values finite");
    double n = std::ceil((l - s) / d);
    if (n > 9e15) return ctx.Error("range of " + std::to_string(n) + " elements is too large");
    count = n > 0 ? static_cast<int64_t>(n) : 0;
  } else {
    int64_t s = start->ToInt64s()[0], l = limit->ToInt64s()[0], d = delta->ToInt64s()[0];
    if (d == 0) return ctx.Error("delta must be non-zero");
    // Computed in a wider type so that extreme limits cannot overflow.
    __int128 span = static_cast<__int128>(l) - s;
    __int128 n = d > 0 ? (span > 0 ? (span + d - 1) / d : 0) : (span < 0 ? (span + d + 1) / d : 0);
    if (n > (__int128{1} << 50)) return ctx.Error("range is too large");
    count = static_cast<int64_t>(n);
  }
  Shape out = {count};
  Status s = CheckShape(out, dtype, "range output");
  if (!s.ok()) return ctx.Error(s.message());
  ctx.SetOutput(0, dtype, std::move(out));
  return Status::Ok();
}

}  // namespace sl

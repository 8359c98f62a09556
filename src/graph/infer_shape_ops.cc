// Shape inference for the data-movement ops that only rearrange or reinterpret their input:
// Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze, Shape, Expand, Identity.
// Slice / Split / Gather live in infer_st_slice_gather.cc, the constant producers in
// infer_st_constant.cc.
#include <algorithm>
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_util.h"

namespace sl {

namespace {

std::string S(int64_t v) { return std::to_string(v); }

std::string ListToString(const std::vector<int64_t>& v) { return ShapeToString(v); }

bool IsIntegerType(DType t) {
  return t == DType::kI64 || t == DType::kI32 || t == DType::kI16 || t == DType::kI8 ||
         t == DType::kU8 || t == DType::kU16;
}

}  // namespace

Status CheckKnownDims(const InferContext& ctx, const Shape& dims, DType dtype, const char* what) {
  Shape known;
  for (int64_t d : dims)
    if (d >= 0) known.push_back(d);
  Status s = CheckShape(known, dtype, what);
  if (!s.ok()) return ctx.Error(s.message() + " (shape " + ShapeToString(dims) + ")");
  return Status::Ok();
}

int64_t KnownProduct(const Shape& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    if (dims[i] < 0) return -1;
    if (dims[i] != 0 && p > (int64_t{1} << 62) / dims[i]) return -1;
    p *= dims[i];
  }
  return p;
}

Result<IntListArg> ReadIntListArg(const InferContext& ctx, int input_index, const char* attr,
                                  const char* what) {
  IntListArg arg;
  if (input_index >= 0 && ctx.has_input(input_index)) {
    const Tensor* t = ctx.constant_input(input_index);
    if (t == nullptr) {
      arg.dynamic = true;
      return arg;
    }
    if (!IsIntegerType(t->dtype()) || t->rank() > 1) {
      return ctx.Error(std::string(what) + " must be a 1-D integer tensor, got " +
                       std::string(DTypeName(t->dtype())) + " " + ShapeToString(t->shape()));
    }
    arg.given = true;
    arg.values = t->ToInt64s();
    return arg;
  }
  if (attr != nullptr && ctx.attrs().Has(attr)) {
    arg.given = true;
    arg.values = ctx.attrs().GetInts(attr);
  }
  return arg;
}

Status InferIdentity(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  ctx.SetOutput(0, x.dtype, x.shape);
  return Status::Ok();
}

Status InferFlatten(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = ctx.attrs().GetInt("axis", 1);
  if (axis < -rank || axis > rank)
    return ctx.Error("axis " + S(axis) + " out of range for rank " + S(rank));
  if (axis < 0) axis += rank;
  ctx.SetOutput(0, x.dtype,
                {KnownProduct(x.shape, 0, axis), KnownProduct(x.shape, axis, x.shape.size())});
  return Status::Ok();
}

namespace {

// Checks the inputs of Reshape / Expand (X of known rank, then the target shape, input 1) and
// reads the target shape. A target that is not constant (`dynamic`) is accepted only when it is
// 1-D of known length; the caller then reads that length from input 1's shape.
Result<IntListArg> ReadTargetShape(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 2));
  if (!ctx.input(0).known_rank) return ctx.Error("input has unknown rank");
  SL_ASSIGN_OR_RETURN(IntListArg arg, ReadIntListArg(ctx, 1, nullptr, "shape"));
  if (arg.dynamic) {
    const Value& s = ctx.input(1);
    if (s.shape.size() != 1 || s.shape[0] < 0)
      return ctx.Error("dynamic shape input not supported");
  }
  return arg;
}

}  // namespace

// Reshape: 0 copies the input dim (unless allowzero), a single -1 is inferred from the rest.
Status InferReshape(InferContext& ctx) {
  SL_ASSIGN_OR_RETURN(IntListArg arg, ReadTargetShape(ctx));
  const Value& x = ctx.input(0);
  if (arg.dynamic) {
    ctx.SetOutput(0, x.dtype, Shape(ctx.input(1).shape[0], -1));
    return Status::Ok();
  }
  Shape out = arg.values;
  const bool allow_zero = ctx.attrs().GetInt("allowzero", 0) != 0;
  int infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0) return ctx.Error("shape " + ListToString(out) + " has more than one -1");
      infer_at = static_cast<int>(i);
    } else if (out[i] < -1) {
      return ctx.Error("shape " + ListToString(out) + " has invalid value " + S(out[i]));
    } else if (out[i] == 0) {
      has_zero = true;
      if (allow_zero) continue;
      if (i >= x.shape.size()) {
        return ctx.Error("shape " + ListToString(out) + " copies dim " + S(i) +
                         " (0) of an input of rank " + S(x.shape.size()));
      }
      out[i] = x.shape[i];
    }
  }
  if (allow_zero && has_zero && infer_at >= 0)
    return ctx.Error("shape " + ListToString(out) + " has both 0 and -1 with allowzero=1");
  const int64_t total = KnownProduct(x.shape, 0, x.shape.size());
  Shape others = out;
  if (infer_at >= 0) others[infer_at] = 1;
  const int64_t rest = KnownProduct(others, 0, others.size());
  if (infer_at >= 0) {
    if (total >= 0 && rest > 0) {
      if (total % rest != 0) {
        return ctx.Error("cannot reshape " + ShapeToString(x.shape) + " to " +
                         ShapeToString(arg.values));
      }
      out[infer_at] = total / rest;
    } else if (total >= 0 && rest == 0) {
      return ctx.Error("cannot infer the -1 of " + ShapeToString(arg.values) +
                       " next to a zero dim");
    }
  } else if (total >= 0 && rest >= 0 && total != rest) {
    return ctx.Error("cannot reshape " + ShapeToString(x.shape) + " (" + S(total) +
                     " elements) to " + ShapeToString(arg.values) + " (" + S(rest) + ")");
  }
  SL_RETURN_IF_ERROR(CheckKnownDims(ctx, out, x.dtype, "reshape target"));
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

Status InferTranspose(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  const size_t rank = x.shape.size();
  std::vector<int64_t> perm = ctx.attrs().GetInts("perm");
  if (!ctx.attrs().Has("perm")) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  }
  if (perm.size() != rank)
    return ctx.Error("perm " + ListToString(perm) + " does not match rank " + S(rank));
  std::vector<bool> seen(rank, false);
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t p = perm[i];
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p])
      return ctx.Error("perm " + ListToString(perm) + " is not a permutation");
    seen[p] = true;
    out[i] = x.shape[p];
  }
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

Status InferConcat(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1 << 20));
  if (!ctx.attrs().Has("axis")) return ctx.Error("attribute axis is required");
  const Value& first = ctx.input(0);
  if (!first.known_rank) return ctx.Error("input 0 has unknown rank");
  const int64_t rank = static_cast<int64_t>(first.shape.size());
  Result<int64_t> axis = NormalizeAxis(ctx.attrs().GetInt("axis", 0), rank);
  if (!axis.ok()) return ctx.Error(axis.status().message());
  Shape out = first.shape;
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return ctx.Error("input " + S(i) + " is missing");
    const Value& v = ctx.input(i);
    if (!v.known_rank || static_cast<int64_t>(v.shape.size()) != rank) {
      return ctx.Error("input " + S(i) + " " + ShapeToString(v.shape) + " does not have rank " +
                       S(rank));
    }
    if (v.dtype != first.dtype) return ctx.Error("input " + S(i) + " has another dtype");
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis) {
        out[d] = (out[d] < 0 || v.shape[d] < 0) ? -1 : out[d] + v.shape[d];
      } else if (out[d] < 0) {
        out[d] = v.shape[d];
      } else if (v.shape[d] >= 0 && v.shape[d] != out[d]) {
        return ctx.Error("input " + S(i) + " " + ShapeToString(v.shape) + " differs from " +
                         ShapeToString(first.shape) + " outside axis " + S(*axis));
      }
    }
  }
  ctx.SetOutput(0, first.dtype, std::move(out));
  return Status::Ok();
}

Status InferSqueeze(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 2));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  SL_ASSIGN_OR_RETURN(IntListArg arg, ReadIntListArg(ctx, 1, "axes", "axes"));
  if (arg.dynamic) return ctx.Error("dynamic axes input not supported");
  std::vector<bool> drop(rank, false);
  if (!arg.given) {
    for (int64_t d = 0; d < rank; ++d) {
      if (x.shape[d] < 0)
        return ctx.Error("cannot squeeze the unknown dims of an input " + ShapeToString(x.shape) +
                         " without axes");
      drop[d] = x.shape[d] == 1;
    }
  } else {
    for (int64_t a : arg.values) {
      Result<int64_t> axis = NormalizeAxis(a, rank);
      if (!axis.ok()) return ctx.Error(axis.status().message());
      if (x.shape[*axis] > 1 || x.shape[*axis] == 0) {
        return ctx.Error("cannot squeeze axis " + S(a) + " of " + ShapeToString(x.shape) +
                         ": it is not 1");
      }
      drop[*axis] = true;
    }
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d]) out.push_back(x.shape[d]);
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

Status InferUnsqueeze(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 2));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  SL_ASSIGN_OR_RETURN(IntListArg arg, ReadIntListArg(ctx, 1, "axes", "axes"));
  if (arg.dynamic) return ctx.Error("dynamic axes input not supported");
  if (!arg.given || arg.values.empty()) return ctx.Error("axes are required");
  const int64_t out_rank = static_cast<int64_t>(x.shape.size() + arg.values.size());
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : arg.values) {
    Result<int64_t> axis = NormalizeAxis(a, out_rank);
    if (!axis.ok()) return ctx.Error(axis.status().message());
    if (inserted[*axis]) return ctx.Error("axes " + ListToString(arg.values) + " repeat an axis");
    inserted[*axis] = true;
  }
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) out.push_back(inserted[d] ? 1 : x.shape[next++]);
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

Status InferShape(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 1));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t start = ctx.attrs().GetInt("start", 0);
  int64_t end = ctx.attrs().GetInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  ctx.SetOutput(0, DType::kI64, {std::max<int64_t>(0, end - start)});
  return Status::Ok();
}

Status InferExpand(InferContext& ctx) {
  SL_ASSIGN_OR_RETURN(IntListArg arg, ReadTargetShape(ctx));
  const Value& x = ctx.input(0);
  if (arg.dynamic) {
    int64_t rank = std::max<int64_t>(ctx.input(1).shape[0], static_cast<int64_t>(x.shape.size()));
    ctx.SetOutput(0, x.dtype, Shape(rank, -1));
    return Status::Ok();
  }
  for (int64_t d : arg.values)
    if (d < 0) return ctx.Error("shape " + ListToString(arg.values) + " has a negative dim");
  Result<Shape> out = BroadcastShapes(x.shape, arg.values);
  if (!out.ok()) return ctx.Error(out.status().message());
  SL_RETURN_IF_ERROR(CheckKnownDims(ctx, *out, x.dtype, "expanded shape"));
  ctx.SetOutput(0, x.dtype, std::move(*out));
  return Status::Ok();
}

}  // namespace sl

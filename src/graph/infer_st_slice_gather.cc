// Shape inference for Slice, Split and Gather.
#include <algorithm>
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_slice.h"
#include "graph/infer_st_util.h"

namespace sl {

namespace {

std::string S(int64_t v) { return std::to_string(v); }

}  // namespace

// Slice: starts/ends/axes/steps are inputs 1-4 since opset 10 and attributes before.
Status InferSlice(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 5));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const bool from_inputs = ctx.num_inputs() > 1;
  if (from_inputs && (!ctx.has_input(1) || !ctx.has_input(2)))
    return ctx.Error("inputs starts and ends are required");
  SL_ASSIGN_OR_RETURN(IntListArg starts,
                      ReadIntListArg(ctx, from_inputs ? 1 : -1, "starts", "starts"));
  SL_ASSIGN_OR_RETURN(IntListArg ends, ReadIntListArg(ctx, from_inputs ? 2 : -1, "ends", "ends"));
  SL_ASSIGN_OR_RETURN(IntListArg axes, ReadIntListArg(ctx, from_inputs ? 3 : -1, "axes", "axes"));
  SL_ASSIGN_OR_RETURN(IntListArg steps,
                      ReadIntListArg(ctx, from_inputs ? 4 : -1, nullptr, "steps"));
  if (axes.dynamic || steps.dynamic) return ctx.Error("dynamic axes or steps not supported");
  if (!starts.dynamic && !starts.given) return ctx.Error("starts are required");
  if (!ends.dynamic && !ends.given) return ctx.Error("ends are required");

  // Which axes are sliced, normalised; defaults to 0..n-1.
  size_t n = starts.given ? starts.values.size()
             : ends.given ? ends.values.size()
             : axes.given ? axes.values.size()
                          : static_cast<size_t>(rank);
  std::vector<int64_t> axis_list;
  if (axes.given) {
    axis_list = axes.values;
  } else {
    for (size_t i = 0; i < n; ++i) axis_list.push_back(static_cast<int64_t>(i));
  }
  std::vector<bool> seen(rank, false);
  for (int64_t& a : axis_list) {
    Result<int64_t> axis = NormalizeAxis(a, rank);
    if (!axis.ok()) return ctx.Error("axes: " + axis.status().message());
    if (seen[*axis]) return ctx.Error("axes repeat axis " + S(*axis));
    seen[*axis] = true;
    a = *axis;
  }
  auto length_ok = [&](const IntListArg& arg) {
    return !arg.given || arg.values.size() == axis_list.size();
  };
  if (!length_ok(starts) || !length_ok(ends) || !length_ok(steps))
    return ctx.Error("starts, ends, axes and steps must have the same length");
  if (steps.given) {
    for (int64_t st : steps.values)
      if (st == 0) return ctx.Error("steps must be non-zero");
  }

  Shape out = x.shape;
  for (size_t i = 0; i < axis_list.size(); ++i) {
    const int64_t a = axis_list[i];
    if (starts.dynamic || ends.dynamic || x.shape[a] < 0) {
      out[a] = -1;
      continue;
    }
    const int64_t step = steps.given ? steps.values[i] : 1;
    out[a] = ClampSliceAxis(starts.values[i], ends.values[i], step, x.shape[a]).count;
  }
  ctx.SetOutput(0, x.dtype, std::move(out));
  return Status::Ok();
}

// Split: sizes from input 1 (opset 13+) or attribute split, else equal parts (opset 18's
// num_outputs rule: ceil-sized parts with a smaller last one, when the dim does not divide).
Status InferSplit(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(1, 2));
  const Value& x = ctx.input(0);
  if (!x.known_rank) return ctx.Error("input has unknown rank");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  Result<int64_t> axis = NormalizeAxis(ctx.attrs().GetInt("axis", 0), rank);
  if (!axis.ok()) return ctx.Error(axis.status().message());
  SL_ASSIGN_OR_RETURN(IntListArg split, ReadIntListArg(ctx, 1, "split", "split"));
  if (split.dynamic) return ctx.Error("dynamic split input not supported");
  const int64_t parts = ctx.num_outputs();
  if (parts < 1) return ctx.Error("needs at least one output");
  const int64_t dim = x.shape[*axis];
  std::vector<int64_t> sizes;
  if (split.given) {
    sizes = split.values;
    if (static_cast<int64_t>(sizes.size()) != parts) {
      return ctx.Error("split has " + S(sizes.size()) + " sizes for " + S(parts) + " outputs");
    }
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.Error("split sizes must be non-negative");
      sum += s;
    }
    if (dim >= 0 && sum != dim) {
      return ctx.Error("split sizes sum to " + S(sum) + " but axis " + S(*axis) + " of " +
                       ShapeToString(x.shape) + " is " + S(dim));
    }
  } else if (dim < 0) {
    sizes.assign(parts, -1);
  } else {
    const bool uneven_ok = ctx.attrs().Has("num_outputs");
    if (dim % parts != 0 && !uneven_ok) {
      return ctx.Error("axis " + S(*axis) + " of " + ShapeToString(x.shape) +
                       " does not split into " + S(parts) + " equal parts");
    }
    const int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  for (int64_t i = 0; i < parts; ++i) {
    if (ctx.node().outputs[i] == kNoValue) continue;
    Shape out = x.shape;
    out[*axis] = sizes[i];
    ctx.SetOutput(static_cast<int>(i), x.dtype, std::move(out));
  }
  return Status::Ok();
}

Status InferGather(InferContext& ctx) {
  SL_RETURN_IF_ERROR(ctx.ExpectInputs(2, 2));
  const Value& data = ctx.input(0);
  const Value& indices = ctx.input(1);
  if (!data.known_rank || !indices.known_rank) return ctx.Error("inputs of unknown rank");
  if (indices.dtype != DType::kI32 && indices.dtype != DType::kI64) {
    return ctx.Error("indices must be int32 or int64, got " +
                     std::string(DTypeName(indices.dtype)));
  }
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  if (rank < 1) return ctx.Error("data must have rank >= 1");
  Result<int64_t> axis = NormalizeAxis(ctx.attrs().GetInt("axis", 0), rank);
  if (!axis.ok()) return ctx.Error(axis.status().message());
  const int64_t dim = data.shape[*axis];
  if (const Tensor* c = ctx.constant_input(1); c != nullptr && dim >= 0) {
    for (int64_t idx : c->ToInt64s()) {
      if (idx < -dim || idx >= dim) {
        return ctx.Error("index " + S(idx) + " out of range for axis " + S(*axis) + " of " +
                         ShapeToString(data.shape));
      }
    }
  }
  Shape out(data.shape.begin(), data.shape.begin() + *axis);
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + *axis + 1, data.shape.end());
  ctx.SetOutput(0, data.dtype, std::move(out));
  return Status::Ok();
}

}  // namespace sl

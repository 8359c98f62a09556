// Tables generated from ops.def: names and shape-inference functions.
#include <array>

#include "graph/graph.h"
#include "graph/infer.h"

namespace sl {

namespace {
constexpr std::array<std::string_view, static_cast<size_t>(OpType::kCount)> kOpNames = {
#define SL_OP(name) #name,
#include "graph/ops.def"
#undef SL_OP
};
constexpr std::array<InferFn, static_cast<size_t>(OpType::kCount)> kInferFns = {
#define SL_OP(name) &Infer##name,
#include "graph/ops.def"
#undef SL_OP
};
}  // namespace

std::string_view OpTypeName(OpType op) {
  size_t i = static_cast<size_t>(op);
  return i < kOpNames.size() ? kOpNames[i] : std::string_view("?");
}

std::optional<OpType> OpTypeFromName(std::string_view name) {
  for (size_t i = 0; i < kOpNames.size(); ++i)
    if (kOpNames[i] == name) return static_cast<OpType>(i);
  return std::nullopt;
}

InferFn GetInferFn(OpType op) { return kInferFns[static_cast<size_t>(op)]; }

Status InferContext::ExpectInputs(int min, int max) const {
  int n = num_inputs();
  if (n < min || n > max) {
    return Error("expects " + std::to_string(min) + (min == max ? "" : "-" + std::to_string(max)) +
                 " inputs, got " + std::to_string(n));
  }
  for (int i = 0; i < min; ++i)
    if (!has_input(i)) return Error("required input " + std::to_string(i) + " is missing");
  return Status::Ok();
}

Result<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else if (db == 1)
      out[i] = da;
    else if (da == -1 || db == -1)
      out[i] = -1;
    else
      return InvalidArgument("shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                             " cannot be broadcast");
  }
  return out;
}

Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return OutOfRange("axis " + std::to_string(axis) + " out of range for rank " +
                      std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace sl

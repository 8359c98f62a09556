// Data-movement ops on the CUDA backend (Transpose, Concat, Split, Slice, Expand, Gather, Cast)
// as strided copies, plus the helpers every op family shares: index maps, the fused clamp, and
// the per-op dispatcher.
#include <cmath>
#include <limits>

#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_support.h"
#include "graph/infer_st_slice.h"
#include "graph/infer_st_window.h"
#include "kernels/ref/activation_util.h"

namespace sl::cuda {

std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

std::vector<int64_t> BroadcastStrides(std::span<const int64_t> in, std::span<const int64_t> out) {
  std::vector<int64_t> s(out.size(), 0);
  const std::vector<int64_t> own = ContiguousStrides(in);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) s[lead + i] = in[i] == 1 ? 0 : own[i];
  return s;
}

Result<IndexMap> MakeIndexMap(std::span<const int64_t> dims,
                              const std::vector<std::vector<int64_t>>& strides) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    return Unsupported("rank " + std::to_string(dims.size()) + " is above " +
                       std::to_string(kMaxRank));
  if (strides.size() > 4) return Internal("index map with more than four operands");
  IndexMap m;
  m.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) m.dims[d] = dims[d];
  for (size_t k = 0; k < strides.size(); ++k) {
    if (strides[k].size() != dims.size()) return Internal("index map strides of another rank");
    for (size_t d = 0; d < dims.size(); ++d) m.strides[k][d] = strides[k][d];
  }
  return m;
}

bool ClampRange::active() const {
  return lo != -std::numeric_limits<float>::infinity() ||
         hi != std::numeric_limits<float>::infinity();
}

Result<ClampRange> FusedClamp(const Node& node) {
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(node));
  ClampRange c{-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
  if (act.kind == FusedActivation::Kind::kRelu) c.lo = 0.f;
  if (act.kind == FusedActivation::Kind::kClip) {
    c.lo = act.min;
    c.hi = act.max;
  }
  return c;
}

namespace {

int ElemBytes(DType t) { return static_cast<int>(DTypeSize(t)); }

Result<ElemType> ToElemType(DType t) {
  switch (t) {
    case DType::kF32:
      return ElemType::kF32;
    case DType::kF16:
      return ElemType::kF16;
    case DType::kF64:
      return ElemType::kF64;
    case DType::kI8:
      return ElemType::kI8;
    case DType::kU8:
      return ElemType::kU8;
    case DType::kI16:
      return ElemType::kI16;
    case DType::kU16:
      return ElemType::kU16;
    case DType::kI32:
      return ElemType::kI32;
    case DType::kI64:
      return ElemType::kI64;
    case DType::kBool:
      return ElemType::kBool;
    default:
      return Unsupported("dtype " + std::string(DTypeName(t)));
  }
}

Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return InvalidArgument("axis " + std::to_string(axis) + " out of range for rank " +
                           std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

// One strided copy from input `in` to output `out`.
struct CopyPiece {
  IndexMap map;
  int64_t n = 0;
  int in = 0, out = 0;
};

class CopyOp final : public CudaOp {
 public:
  CopyOp(int elem_bytes, std::vector<CopyPiece> pieces)
      : elem_bytes_(elem_bytes), pieces_(std::move(pieces)) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    for (const CopyPiece& p : pieces_)
      SL_CUDA_RETURN_IF_ERROR("LaunchStridedCopy",
                              ctx.kernels->LaunchStridedCopy(elem_bytes_, p.map, p.n, in[p.in],
                                                             out[p.out], ctx.stream));
    return Status::Ok();
  }

 private:
  int elem_bytes_;
  std::vector<CopyPiece> pieces_;
};

Result<CopyPiece> Piece(std::span<const int64_t> dims, std::vector<int64_t> out_strides,
                        int64_t out_base, std::vector<int64_t> in_strides, int64_t in_base, int in,
                        int out) {
  CopyPiece p;
  SL_ASSIGN_OR_RETURN(p.map, MakeIndexMap(dims, {std::move(out_strides), std::move(in_strides)}));
  p.map.base[0] = out_base;
  p.map.base[1] = in_base;
  p.n = NumElements(dims);
  p.in = in;
  p.out = out;
  return p;
}

Result<std::unique_ptr<CudaOp>> CompileTranspose(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const Shape& ys = c.output(0).shape;
  const int rank = static_cast<int>(xs.size());
  std::vector<int64_t> perm = c.node.attrs.GetInts("perm");
  if (perm.empty())
    for (int i = 0; i < rank; ++i) perm.push_back(rank - 1 - i);
  if (static_cast<int>(perm.size()) != rank || ys.size() != xs.size())
    return InvalidArgument("perm of length " + std::to_string(perm.size()) + " for rank " +
                           std::to_string(rank));
  const std::vector<int64_t> xstr = ContiguousStrides(xs);
  std::vector<int64_t> in_strides(rank);
  for (int i = 0; i < rank; ++i) {
    int64_t p = perm[i] < 0 ? perm[i] + rank : perm[i];
    if (p < 0 || p >= rank) return InvalidArgument("perm entry out of range");
    in_strides[i] = xstr[p];
  }
  SL_ASSIGN_OR_RETURN(CopyPiece p, Piece(ys, ContiguousStrides(ys), 0, in_strides, 0, 0, 0));
  return std::unique_ptr<CudaOp>(
      std::make_unique<CopyOp>(ElemBytes(c.output(0).dtype), std::vector<CopyPiece>{p}));
}

// Concat (inputs into slabs of output 0) or Split (slabs of input 0 into the outputs).
Result<std::unique_ptr<CudaOp>> CompileConcatSplit(const CompileContext& c, bool concat) {
  const Shape& whole = concat ? c.output(0).shape : c.input(0).shape;
  SL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(c.node.attrs.GetInt("axis", 0),
                                                  static_cast<int64_t>(whole.size())));
  const std::vector<int64_t> wstr = ContiguousStrides(whole);
  const auto& parts = concat ? c.node.inputs : c.node.outputs;
  std::vector<CopyPiece> pieces;
  int64_t offset = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (parts[k] == kNoValue) continue;
    const Shape& ps = c.graph.values[parts[k]].shape;
    if (ps.size() != whole.size()) return InvalidArgument("Concat / Split parts differ in rank");
    if (NumElements(ps) > 0) {
      const int64_t base = offset * wstr[axis];
      SL_ASSIGN_OR_RETURN(
          CopyPiece p,
          concat ? Piece(ps, wstr, base, ContiguousStrides(ps), 0, static_cast<int>(k), 0)
                 : Piece(ps, ContiguousStrides(ps), 0, wstr, base, 0, static_cast<int>(k)));
      pieces.push_back(p);
    }
    offset += ps[axis];
  }
  if (offset != whole[axis]) return InvalidArgument("Concat / Split parts do not add up");
  return std::unique_ptr<CudaOp>(
      std::make_unique<CopyOp>(ElemBytes(c.output(0).dtype), std::move(pieces)));
}

// Element j of the list in constant input `input` (when the node has it) or attribute `attr`.
bool ListElement(const CompileContext& c, int input, const char* attr, int64_t j, int64_t* v) {
  if (c.has_input(input)) {
    const Tensor& t = c.input(input).constant;
    return j < t.numel() && ReadIndexAt(t.view(), j, v);
  }
  if (input < static_cast<int>(c.node.inputs.size())) return false;  // omitted: empty list
  if (attr == nullptr) return false;
  std::span<const int64_t> list = AttrInts(c.node.attrs, attr);
  if (j >= static_cast<int64_t>(list.size())) return false;
  *v = list[j];
  return true;
}

// The slice of dim `d`, as kernels/ref RefSlice reads it.
Result<SliceAxis> SliceOfDim(const CompileContext& c, int d) {
  const Shape& xs = c.input(0).shape;
  const bool from_inputs = c.node.inputs.size() > 1;
  const int rank = static_cast<int>(xs.size());
  int64_t start = 0, end = 0, step = 1;
  bool has_axes = false;
  for (int64_t j = 0;; ++j) {
    int64_t axis = j;
    bool more = ListElement(c, from_inputs ? 3 : 99, "axes", j, &axis);
    has_axes = has_axes || more;
    if (!more && has_axes) break;
    if (!ListElement(c, from_inputs ? 1 : 99, "starts", j, &start)) break;
    if (axis < 0) axis += rank;
    if (axis != d) continue;
    if (!ListElement(c, from_inputs ? 2 : 99, "ends", j, &end))
      return InvalidArgument("ends are shorter than starts");
    if (!ListElement(c, from_inputs ? 4 : 99, nullptr, j, &step)) step = 1;
    if (step == 0) return InvalidArgument("steps must be non-zero");
    return ClampSliceAxis(start, end, step, xs[d]);
  }
  return SliceAxis{0, 1, xs[d]};
}

Result<std::unique_ptr<CudaOp>> CompileSlice(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const Shape& ys = c.output(0).shape;
  if (xs.size() != ys.size()) return InvalidArgument("Slice output rank differs");
  const std::vector<int64_t> xstr = ContiguousStrides(xs);
  std::vector<int64_t> in_strides(xs.size());
  int64_t base = 0;
  for (size_t d = 0; d < xs.size(); ++d) {
    SL_ASSIGN_OR_RETURN(SliceAxis s, SliceOfDim(c, static_cast<int>(d)));
    if (s.count != ys[d])
      return InvalidArgument("output " + ShapeToString(ys) + " does not match the slice of " +
                             ShapeToString(xs) + " on axis " + std::to_string(d));
    base += s.first * xstr[d];
    in_strides[d] = s.step * xstr[d];
  }
  SL_ASSIGN_OR_RETURN(CopyPiece p, Piece(ys, ContiguousStrides(ys), 0, in_strides, base, 0, 0));
  return std::unique_ptr<CudaOp>(
      std::make_unique<CopyOp>(ElemBytes(c.output(0).dtype), std::vector<CopyPiece>{p}));
}

Result<std::unique_ptr<CudaOp>> CompileExpand(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const Shape& ys = c.output(0).shape;
  if (xs.size() > ys.size()) return InvalidArgument("Expand to a lower rank");
  for (size_t i = 0; i < xs.size(); ++i) {
    const int64_t o = ys[ys.size() - xs.size() + i];
    if (xs[i] != 1 && xs[i] != o) return InvalidArgument("Expand input does not broadcast");
  }
  SL_ASSIGN_OR_RETURN(CopyPiece p,
                      Piece(ys, ContiguousStrides(ys), 0, BroadcastStrides(xs, ys), 0, 0, 0));
  return std::unique_ptr<CudaOp>(
      std::make_unique<CopyOp>(ElemBytes(c.output(0).dtype), std::vector<CopyPiece>{p}));
}

class GatherOp final : public CudaOp {
 public:
  GatherOp(int elem_bytes, bool i64, int64_t outer, int64_t count, int64_t inner, int64_t dim)
      : elem_bytes_(elem_bytes),
        i64_(i64),
        outer_(outer),
        count_(count),
        inner_(inner),
        dim_(dim) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR(
        "LaunchGather", ctx.kernels->LaunchGather(elem_bytes_, in[0], in[1], i64_, out[0], outer_,
                                                  count_, inner_, dim_, ctx.stream));
    return Status::Ok();
  }

 private:
  int elem_bytes_;
  bool i64_;
  int64_t outer_, count_, inner_, dim_;
};

Result<std::unique_ptr<CudaOp>> CompileGather(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  SL_ASSIGN_OR_RETURN(
      int64_t axis, NormalizeAxis(c.node.attrs.GetInt("axis", 0), static_cast<int64_t>(xs.size())));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xs[d];
  for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  const int64_t count = NumElements(c.input(1).shape);
  if (NumElements(c.output(0).shape) != outer * count * inner)
    return InvalidArgument("Gather output has the wrong size");
  // Constant indices are checked here, as the reference kernel checks them.
  if (c.input(1).is_constant()) {
    for (int64_t j = 0; j < count; ++j) {
      int64_t i = 0;
      ReadIndexAt(c.input(1).constant.view(), j, &i);
      if (i < -xs[axis] || i >= xs[axis])
        return InvalidArgument("index " + std::to_string(i) + " out of range for axis " +
                               std::to_string(axis) + " of " + ShapeToString(xs));
    }
  }
  return std::unique_ptr<CudaOp>(std::make_unique<GatherOp>(ElemBytes(c.output(0).dtype),
                                                            c.input(1).dtype == DType::kI64, outer,
                                                            count, inner, xs[axis]));
}

class CastOp final : public CudaOp {
 public:
  CastOp(ElemType from, ElemType to, int64_t n) : from_(from), to_(to), n_(n) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR("LaunchCast",
                            ctx.kernels->LaunchCast(from_, to_, in[0], out[0], n_, ctx.stream));
    return Status::Ok();
  }

 private:
  ElemType from_, to_;
  int64_t n_;
};

Result<std::unique_ptr<CudaOp>> CompileCast(const CompileContext& c) {
  SL_ASSIGN_OR_RETURN(ElemType from, ToElemType(c.input(0).dtype));
  SL_ASSIGN_OR_RETURN(ElemType to, ToElemType(c.output(0).dtype));
  const int64_t n = NumElements(c.output(0).shape);
  if (n != NumElements(c.input(0).shape)) return InvalidArgument("Cast changes the size");
  return std::unique_ptr<CudaOp>(std::make_unique<CastOp>(from, to, n));
}

}  // namespace

Result<std::unique_ptr<CudaOp>> CompileShapeOp(const CompileContext& c) {
  switch (c.node.op) {
    case OpType::kTranspose:
      return CompileTranspose(c);
    case OpType::kConcat:
      return CompileConcatSplit(c, true);
    case OpType::kSplit:
      return CompileConcatSplit(c, false);
    case OpType::kSlice:
      return CompileSlice(c);
    case OpType::kExpand:
      return CompileExpand(c);
    case OpType::kGather:
      return CompileGather(c);
    case OpType::kCast:
      return CompileCast(c);
    default:
      return Unsupported("no CUDA data-movement kernel for " + std::string(OpTypeName(c.node.op)));
  }
}

Result<std::unique_ptr<CudaOp>> CompileOp(const CompileContext& c) {
  Result<std::unique_ptr<CudaOp>> op = [&]() -> Result<std::unique_ptr<CudaOp>> {
    switch (c.node.op) {
      case OpType::kConv:
        return CompileConv(c);
      case OpType::kGemm:
      case OpType::kMatMul:
        return CompileGemmLike(c);
      case OpType::kTranspose:
      case OpType::kConcat:
      case OpType::kSplit:
      case OpType::kSlice:
      case OpType::kExpand:
      case OpType::kGather:
      case OpType::kCast:
        return CompileShapeOp(c);
      case OpType::kSoftmax:
      case OpType::kLayerNormalization:
      case OpType::kReduceMean:
      case OpType::kReduceSum:
      case OpType::kReduceMax:
      case OpType::kBatchNormalization:
      case OpType::kMaxPool:
      case OpType::kAveragePool:
      case OpType::kGlobalAveragePool:
      case OpType::kGlobalMaxPool:
        return CompileNormOp(c);
      default:
        return CompileElementwise(c);
    }
  }();
  return op;
}

}  // namespace sl::cuda

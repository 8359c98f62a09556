// Lowering of Conv, Gemm, MatMul, pools, Softmax, LayerNormalization, BatchNormalization and
// the reductions.
#include <algorithm>

#include "backend/opencl/opencl_lower_util.h"
#include "graph/infer.h"
#include "graph/infer_st_window.h"
#include "kernels/ref/activation_util.h"
#include "kernels/ref/ref_util.h"

namespace sl::opencl {

namespace {

struct Act {
  int kind = 0;
  float lo = 0.f, hi = 0.f;
};

Result<Act> ReadAct(const Node& node) {
  SL_ASSIGN_OR_RETURN(FusedActivation a, FusedActivation::FromNode(node));
  Act act;
  act.kind =
      a.kind == FusedActivation::Kind::kRelu ? 1 : (a.kind == FusedActivation::Kind::kClip ? 2 : 0);
  act.lo = a.min;
  act.hi = a.max;
  return act;
}

// The geometry padded to 3 spatial dims (leading size-1 dims) as
// [ID IH IW OD OH OW KD KH KW SD SH SW PD PH PW DD DH DW ED EH EW].
std::vector<int64_t> Geometry3(const WindowGeometry& g) {
  std::vector<int64_t> p(21, 1);
  for (int k = 12; k < 15; ++k) p[k] = 0;
  for (int k = 18; k < 21; ++k) p[k] = 0;
  for (int i = 0; i < g.rank; ++i) {
    const int d = 3 - g.rank + i;
    const WindowDim& w = g[i];
    p[0 + d] = w.in;
    p[3 + d] = w.out;
    p[6 + d] = w.kernel;
    p[9 + d] = w.stride;
    p[12 + d] = w.pad_begin;
    p[15 + d] = w.dilation;
    p[18 + d] = w.pad_end;
  }
  return p;
}

Status LowerConv(Emitter& e) {
  if (!e.has_input(0) || !e.has_input(1)) return e.No("missing X or W");
  SL_RETURN_IF_ERROR(e.RequireF32({0, 1, 2}, {0}));
  const Shape& xs = e.input(0).shape;
  const Shape& ws = e.input(1).shape;
  const Shape& ys = e.output(0).shape;
  if (xs.size() < 3 || xs.size() > 5 || ws.size() != xs.size()) return e.No("rank of X or W");
  const int64_t group = e.node().attrs.GetInt("group", 1);
  if (group <= 0 || xs[1] != ws[1] * group || ws[0] % group != 0)
    return InvalidArgument("Conv: channels do not match group");
  SL_ASSIGN_OR_RETURN(WindowGeometry g,
                      ComputeWindowGeometry(e.node().attrs, std::span(xs).subspan(2),
                                            std::span(ws).subspan(2), false));
  for (int i = 0; i < g.rank; ++i)
    if (ys[2 + i] != g[i].out) return InvalidArgument("Conv: output shape mismatch");
  if (e.has_input(2) && NumElements(e.input(2).shape) != ws[0])
    return InvalidArgument("Conv: bias needs one value per output channel");
  SL_ASSIGN_OR_RETURN(Act act, ReadAct(e.node()));
  const std::vector<int64_t> geo = Geometry3(g);
  std::vector<int64_t> p = {xs[0], xs[1], ws[0], ws[1], ws[0] / group};
  p.insert(p.end(), geo.begin(), geo.begin() + 18);  // no end pads
  const int64_t out_size = geo[3] * geo[4] * geo[5];
  e.Add("conv",
        {e.In(0), e.In(1), e.In(2), e.Out(0), e.Params(p), Emitter::Int(e.has_input(2) ? 1 : 0),
         Emitter::Int(act.kind), Emitter::Float(act.lo), Emitter::Float(act.hi)},
        out_size, ws[0], xs[0]);
  return Status::Ok();
}

Status LowerPool(Emitter& e) {
  if (!e.has_input(0)) return e.No("missing X");
  SL_RETURN_IF_ERROR(e.RequireF32({0}, {0}));
  const bool want_idx = e.has_output(1);
  if (want_idx && (e.node().op != OpType::kMaxPool || e.output(1).dtype != DType::kI64))
    return e.No("Indices output");
  const Shape& xs = e.input(0).shape;
  const Shape& ys = e.output(0).shape;
  if (xs.size() < 3 || xs.size() > 5) return e.No("rank of X");
  SL_ASSIGN_OR_RETURN(WindowGeometry g,
                      ComputeWindowGeometry(e.node().attrs, std::span(xs).subspan(2), {}, true));
  for (int i = 0; i < g.rank; ++i)
    if (ys[2 + i] != g[i].out) return InvalidArgument("pool: output shape mismatch");
  const std::vector<int64_t> geo = Geometry3(g);
  const bool max = e.node().op == OpType::kMaxPool;
  const int include_pad = e.node().attrs.GetInt("count_include_pad", 0) != 0 ? 1 : 0;
  e.Add("pool",
        {e.In(0), e.Out(0), e.Params(geo), Emitter::Int(max ? 0 : 1), Emitter::Int(include_pad),
         e.Out(1), Emitter::Int(want_idx ? 1 : 0),
         Emitter::Int(e.node().attrs.GetInt("storage_order", 0) != 0 ? 1 : 0)},
        geo[3] * geo[4] * geo[5], xs[0] * xs[1]);
  return Status::Ok();
}

// Reduction of X over the dims marked in `reduced` (kind 0 sum, 1 mean, 2 max) into output 0.
void EmitReduce(Emitter& e, const Shape& xs, const std::vector<bool>& reduced, int kind) {
  const std::vector<int64_t> st = Strides(xs);
  // Kept and reduced dims in order, adjacent contiguous dims of one kind merged.
  std::vector<int64_t> kd, ks, rd, rs;
  int last_kind = -1;
  for (size_t d = 0; d < xs.size(); ++d) {
    const bool r = reduced[d];
    std::vector<int64_t>& dims = r ? rd : kd;
    std::vector<int64_t>& strides = r ? rs : ks;
    if (last_kind == static_cast<int>(r) && !dims.empty() && strides.back() == xs[d] * st[d]) {
      dims.back() *= xs[d];
      strides.back() = st[d];
    } else {
      dims.push_back(xs[d]);
      strides.push_back(st[d]);
    }
    last_kind = static_cast<int>(r);
  }
  std::vector<int64_t> p = {static_cast<int64_t>(kd.size())};
  p.insert(p.end(), kd.begin(), kd.end());
  p.insert(p.end(), ks.begin(), ks.end());
  p.push_back(static_cast<int64_t>(rd.size()));
  p.insert(p.end(), rd.begin(), rd.end());
  p.insert(p.end(), rs.begin(), rs.end());
  const int64_t kept = NumElements(kd), count = NumElements(rd);
  e.Add(
      "reduce",
      {e.In(0), e.Out(0), e.Params(p), Emitter::Int(kind), Emitter::Int(count), Emitter::Int(kept)},
      kept);
}

Status LowerGlobalPool(Emitter& e) {
  if (!e.has_input(0)) return e.No("missing X");
  SL_RETURN_IF_ERROR(e.RequireF32({0}, {0}));
  const Shape& xs = e.input(0).shape;
  if (xs.size() < 3) return e.No("rank of X");
  std::vector<bool> reduced(xs.size(), true);
  reduced[0] = reduced[1] = false;
  EmitReduce(e, xs, reduced, e.node().op == OpType::kGlobalAveragePool ? 1 : 2);
  return Status::Ok();
}

Status LowerGemm(Emitter& e) {
  if (!e.has_input(0) || !e.has_input(1)) return e.No("missing A or B");
  SL_RETURN_IF_ERROR(e.RequireF32({0, 1, 2}, {0}));
  const Shape& as = e.input(0).shape;
  const Shape& bs = e.input(1).shape;
  if (as.size() != 2 || bs.size() != 2) return e.No("A and B must be 2-D");
  const Node& n = e.node();
  const bool ta = n.attrs.GetInt("transA", 0) != 0, tb = n.attrs.GetInt("transB", 0) != 0;
  const int64_t m = ta ? as[1] : as[0], k = ta ? as[0] : as[1];
  const int64_t nn = tb ? bs[0] : bs[1];
  if ((tb ? bs[1] : bs[0]) != k) return InvalidArgument("Gemm: inner dims differ");
  int64_t c_row = 0, c_col = 0;
  if (e.has_input(2)) {
    const Shape& cs = e.input(2).shape;
    const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
    if (cs.size() > 2 || (cm != 1 && cm != m) || (cn != 1 && cn != nn))
      return InvalidArgument("Gemm: C " + ShapeToString(cs) + " cannot be broadcast");
    c_row = cm == 1 ? 0 : cn;
    c_col = cn == 1 ? 0 : 1;
  }
  SL_ASSIGN_OR_RETURN(Act act, ReadAct(n));
  const std::vector<int64_t> p = {m,          nn,    k,     ta ? 1 : k, ta ? m : 1, tb ? 1 : nn,
                                  tb ? k : 1, c_row, c_col, 1,          0,          0};
  e.Add("matmul",
        {e.In(0), e.In(1), e.In(2), e.Out(0), e.Params(p),
         Emitter::Float(n.attrs.GetFloat("alpha", 1.f)),
         Emitter::Float(n.attrs.GetFloat("beta", 1.f)), Emitter::Int(e.has_input(2) ? 1 : 0),
         Emitter::Int(act.kind), Emitter::Float(act.lo), Emitter::Float(act.hi)},
        nn, m);
  return Status::Ok();
}

Status LowerMatMul(Emitter& e) {
  if (!e.has_input(0) || !e.has_input(1)) return e.No("missing A or B");
  SL_RETURN_IF_ERROR(e.RequireF32({0, 1, 2}, {0}));
  const Shape& as = e.input(0).shape;
  const Shape& bs = e.input(1).shape;
  if (as.empty() || bs.empty()) return e.No("scalar operands");
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  const int64_t m = a_vec ? 1 : as[as.size() - 2], k = as.back();
  const int64_t kb = b_vec ? bs[0] : bs[bs.size() - 2], n = b_vec ? 1 : bs.back();
  if (k != kb) return InvalidArgument("MatMul: inner dims differ");
  const Shape a_batch = a_vec ? Shape{} : Shape(as.begin(), as.end() - 2);
  const Shape b_batch = b_vec ? Shape{} : Shape(bs.begin(), bs.end() - 2);
  const Shape& ys = e.output(0).shape;
  const size_t tail = (a_vec ? 0 : 1) + (b_vec ? 0 : 1);
  if (ys.size() < tail) return InvalidArgument("MatMul: output rank");
  const Shape y_batch(ys.begin(), ys.end() - tail);
  const int64_t batches = NumElements(y_batch);
  if (batches * m * n != NumElements(ys)) return InvalidArgument("MatMul: output shape");
  int64_t bias_cs = 0;
  if (e.has_input(2)) {
    const int64_t bn = NumElements(e.input(2).shape);
    if (bn != n && bn != 1) return InvalidArgument("MatMul: bias needs one value per column");
    bias_cs = bn == 1 ? 0 : 1;
  }
  SL_ASSIGN_OR_RETURN(Act act, ReadAct(e.node()));
  std::vector<int64_t> p = {m, n,       k,      a_vec ? 0 : k, 1, b_vec ? 1 : n, b_vec ? 0 : 1,
                            0, bias_cs, batches};
  for (int64_t bi = 0; bi < batches; ++bi) {
    p.push_back(ref::MatMulBatchOffset(y_batch, a_batch, bi) * m * k);
    p.push_back(ref::MatMulBatchOffset(y_batch, b_batch, bi) * k * n);
  }
  for (int64_t v : p)
    if (v > INT32_MAX) return e.No("offsets beyond 32 bits");
  e.Add("matmul",
        {e.In(0), e.In(1), e.In(2), e.Out(0), e.Params(p), Emitter::Float(1.f), Emitter::Float(1.f),
         Emitter::Int(e.has_input(2) ? 1 : 0), Emitter::Int(act.kind), Emitter::Float(act.lo),
         Emitter::Float(act.hi)},
        n, m, batches);
  return Status::Ok();
}

Status LowerSoftmax(Emitter& e) {
  SL_RETURN_IF_ERROR(e.RequireF32({0}, {0}));
  const Shape& xs = e.input(0).shape;
  const bool legacy = e.node().attrs.GetInt("_legacy_flatten", 0) != 0;
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t axis = e.node().attrs.GetInt("axis", legacy ? 1 : -1);
  if (axis < -rank || axis >= rank) return InvalidArgument("Softmax: axis out of range");
  if (axis < 0) axis += rank;
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : (d == axis || legacy ? n : inner)) *= xs[d];
  if (n == 0) return Status::Ok();
  e.Add("softmax",
        {e.In(0), e.Out(0), Emitter::Int(n), Emitter::Int(inner), Emitter::Int(outer * inner)},
        outer * inner);
  return Status::Ok();
}

// A LayerNormalization scale or bias as n values: used directly when it has n elements, else
// expanded from a constant.
Result<LaunchArg> NormParam(Emitter& e, int i, const Shape& norm_shape) {
  const Value& v = e.input(i);
  const int64_t n = NumElements(norm_shape);
  if (NumElements(v.shape) == n) return e.In(i);
  if (!Broadcasts(v.shape, norm_shape)) return InvalidArgument("LayerNormalization: scale shape");
  if (!v.is_constant()) return e.No("scale or bias that must be broadcast at run time");
  Tensor t(DType::kF32, {n});
  const std::vector<int64_t> st = BroadcastStrides(v.shape, norm_shape);
  for (int64_t j = 0; j < n; ++j) {
    int64_t rest = j, off = 0;
    for (int d = static_cast<int>(norm_shape.size()) - 1; d >= 0; --d) {
      off += (rest % norm_shape[d]) * st[d];
      rest /= norm_shape[d];
    }
    t.data<float>()[j] = v.constant.data<float>()[off];
  }
  return e.Weight(std::move(t));
}

Status LowerLayerNorm(Emitter& e) {
  if (!e.has_input(0) || !e.has_input(1)) return e.No("missing X or Scale");
  SL_RETURN_IF_ERROR(e.RequireF32({0, 1, 2}, {0, 1, 2}));
  const Shape& xs = e.input(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t axis = e.node().attrs.GetInt("axis", -1);
  if (axis < -rank || axis >= rank) return InvalidArgument("LayerNormalization: axis");
  if (axis < 0) axis += rank;
  const Shape norm_shape(xs.begin() + axis, xs.end());
  const int64_t n = NumElements(norm_shape), rows = NumElements(xs) / std::max<int64_t>(n, 1);
  SL_ASSIGN_OR_RETURN(LaunchArg scale, NormParam(e, 1, norm_shape));
  LaunchArg bias;
  if (e.has_input(2)) {
    SL_ASSIGN_OR_RETURN(bias, NormParam(e, 2, norm_shape));
  }
  if (n == 0) return Status::Ok();
  e.Add("layernorm",
        {e.In(0), scale, bias, e.Out(0), e.Out(1), e.Out(2), Emitter::Int(n),
         Emitter::Float(e.node().attrs.GetFloat("epsilon", 1e-5f)),
         Emitter::Int(e.has_input(2) ? 1 : 0), Emitter::Int(e.has_output(1) ? 1 : 0),
         Emitter::Int(e.has_output(2) ? 1 : 0), Emitter::Int(rows)},
        rows);
  return Status::Ok();
}

Status LowerBatchNorm(Emitter& e) {
  for (int i = 0; i < 5; ++i)
    if (!e.has_input(i)) return e.No("missing input");
  SL_RETURN_IF_ERROR(e.RequireF32({0, 1, 2, 3, 4}, {0}));
  if (e.node().attrs.GetInt("training_mode", 0) != 0)
    return e.No("training_mode is not supported by the opencl backend");
  if (e.has_output(1) || e.has_output(2)) return e.No("running statistics outputs");
  const Shape& xs = e.input(0).shape;
  if (xs.size() < 2) return e.No("rank of X");
  for (int i = 1; i < 5; ++i)
    if (NumElements(e.input(i).shape) != xs[1])
      return InvalidArgument("BatchNormalization: one value per channel expected");
  int64_t spatial = 1;
  for (size_t d = 2; d < xs.size(); ++d) spatial *= xs[d];
  const int64_t n = NumElements(xs);
  e.Add("batchnorm",
        {e.In(0), e.In(1), e.In(2), e.In(3), e.In(4), e.Out(0), Emitter::Int(xs[1]),
         Emitter::Int(std::max<int64_t>(spatial, 1)),
         Emitter::Float(e.node().attrs.GetFloat("epsilon", 1e-5f)), Emitter::Int(n)},
        n);
  return Status::Ok();
}

Status LowerReduce(Emitter& e) {
  SL_RETURN_IF_ERROR(e.RequireF32({0}, {0}));
  const Shape& xs = e.input(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  std::vector<int64_t> axes;
  if (e.has_input(1)) {
    const Value& v = e.input(1);
    if (!v.is_constant()) return e.No("axes computed at run time");
    axes = v.constant.ToInt64s();
  } else if (e.node().attrs.Has("axes")) {
    axes = e.node().attrs.GetInts("axes");
    if (axes.empty()) axes = {e.node().attrs.GetInt("axes", 0)};
  }
  const bool noop = axes.empty() && e.node().attrs.GetInt("noop_with_empty_axes", 0) != 0;
  std::vector<bool> reduced(xs.size(), axes.empty() && !noop);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return InvalidArgument("Reduce: axis out of range");
    reduced[a < 0 ? a + rank : a] = true;
  }
  const int kind =
      e.node().op == OpType::kReduceSum ? 0 : (e.node().op == OpType::kReduceMean ? 1 : 2);
  EmitReduce(e, xs, reduced, kind);
  return Status::Ok();
}

}  // namespace

Status LowerCompute(Emitter& e) {
  const OpType op = e.node().op;
  if (op != OpType::kConv && op != OpType::kGemm && op != OpType::kMatMul &&
      !AttrString(e.node().attrs, "_act").empty())
    return e.No("fused activation on this op");
  switch (op) {
    case OpType::kConv:
      return LowerConv(e);
    case OpType::kGemm:
      return LowerGemm(e);
    case OpType::kMatMul:
      return LowerMatMul(e);
    case OpType::kMaxPool:
    case OpType::kAveragePool:
      return LowerPool(e);
    default:
      return LowerGlobalPool(e);
  }
}

Status LowerNormalize(Emitter& e) {
  if (!AttrString(e.node().attrs, "_act").empty()) return e.No("fused activation on this op");
  if (!e.has_input(0)) return e.No("missing input");
  switch (e.node().op) {
    case OpType::kSoftmax:
      return LowerSoftmax(e);
    case OpType::kLayerNormalization:
      return LowerLayerNorm(e);
    case OpType::kBatchNormalization:
      return LowerBatchNorm(e);
    default:
      return LowerReduce(e);
  }
}

}  // namespace sl::opencl

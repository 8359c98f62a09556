// Lowering of elementwise ops, data movement and conversions, and the per-op dispatch.
#include <cfloat>
#include <cstring>

#include "backend/opencl/opencl_lower_util.h"
#include "graph/infer.h"
#include "graph/infer_st_slice.h"
#include "graph/infer_st_window.h"
#include "kernels/ref/activation_util.h"

namespace sl::opencl {

namespace {

struct Act {
  int kind = 0;
  float lo = 0.f, hi = 0.f;
};

Result<Act> ReadAct(const Emitter& e) {
  SL_ASSIGN_OR_RETURN(FusedActivation a, FusedActivation::FromNode(e.node()));
  Act act;
  act.kind =
      a.kind == FusedActivation::Kind::kRelu ? 1 : (a.kind == FusedActivation::Kind::kClip ? 2 : 0);
  act.lo = a.min;
  act.hi = a.max;
  return act;
}

Status NoFusedActivation(const Emitter& e) {
  if (!AttrString(e.node().attrs, "_act").empty()) return e.No("fused activation on this op");
  return Status::Ok();
}

// The values of a constant integer input as int64, or kUnsupported when it is not constant.
Result<std::vector<int64_t>> ConstInts(const Emitter& e, int i, const char* what) {
  const Value& v = e.input(i);
  if (!v.is_constant()) return e.No(std::string(what) + " computed at run time");
  if (v.dtype != DType::kI64 && v.dtype != DType::kI32) return e.No(std::string(what) + " dtype");
  return v.constant.ToInt64s();
}

void EmitBinary(Emitter& e, LaunchArg a, const Shape& as, LaunchArg b, const Shape& bs, int op,
                const Act& act) {
  const Shape& ys = e.output(0).shape;
  const int64_t n = NumElements(ys);
  e.Add("ew_binary",
        {a, b, e.Out(0), e.Params(BroadcastParams(ys, {as, bs})), Emitter::Int(op), Emitter::Int(n),
         Emitter::Int(act.kind), Emitter::Float(act.lo), Emitter::Float(act.hi)},
        n);
}

Status LowerBinary(Emitter& e, int op) {
  if (e.num_inputs() < (op >= 5 ? 1 : 2)) return e.No("missing inputs");
  for (int i = 0; i < e.num_inputs(); ++i)
    if (!e.has_input(i)) return e.No("omitted input");
  const Shape& ys = e.output(0).shape;
  SL_ASSIGN_OR_RETURN(Act act, ReadAct(e));
  SL_RETURN_IF_ERROR(e.RequireF32({0}, {0}));
  for (int i = 0; i < e.num_inputs(); ++i) {
    if (!Broadcasts(e.input(i).shape, ys)) return e.No("input does not broadcast to the output");
  }
  LaunchArg b = e.num_inputs() > 1 ? e.In(1) : LaunchArg{};
  if (op == 4 && e.input(1).dtype != DType::kF32) {
    // Pow with an integer exponent: constant exponents are converted to float once.
    const Value& ev = e.input(1);
    if (!ev.is_constant() || (ev.dtype != DType::kI64 && ev.dtype != DType::kI32))
      return e.NoDType(ev.dtype);
    Tensor f(DType::kF32, ev.shape);
    const std::vector<double> d = ev.constant.ToDoubles();
    for (size_t i = 0; i < d.size(); ++i) f.data<float>()[i] = static_cast<float>(d[i]);
    b = e.Weight(std::move(f));
  } else {
    for (int i = 1; i < e.num_inputs(); ++i) SL_RETURN_IF_ERROR(e.RequireF32({i}, {}));
  }
  if (e.num_inputs() == 1) {  // Max / Min of one input
    const int64_t n = NumElements(ys);
    EmitStridedCopy(e, "u32", e.In(0), e.Out(0), {n}, 0, {e.input(0).shape == ys ? 1 : 0}, 0, {1});
    return Status::Ok();
  }
  Act none;
  const int last = e.num_inputs() - 1;
  EmitBinary(e, e.In(0), e.input(0).shape, b, e.input(1).shape, op, last == 1 ? act : none);
  for (int i = 2; i <= last; ++i)  // variadic Max / Min fold into the output
    EmitBinary(e, e.Out(0), ys, e.In(i), e.input(i).shape, op, i == last ? act : none);
  return Status::Ok();
}

Status LowerCompare(Emitter& e, int op) {
  if (!e.has_input(0) || !e.has_input(1)) return e.No("missing inputs");
  SL_RETURN_IF_ERROR(e.RequireF32({0, 1}, {}));
  const Shape& ys = e.output(0).shape;
  const int64_t n = NumElements(ys);
  e.Add("ew_compare",
        {e.In(0), e.In(1), e.Out(0),
         e.Params(BroadcastParams(ys, {e.input(0).shape, e.input(1).shape})), Emitter::Int(op),
         Emitter::Int(n)},
        n);
  return Status::Ok();
}

Status LowerUnary(Emitter& e, int op) {
  SL_RETURN_IF_ERROR(NoFusedActivation(e));
  if (!e.has_input(0)) return e.No("missing input");
  SL_RETURN_IF_ERROR(e.RequireF32({0}, {0}));
  const Node& n = e.node();
  float alpha = 0.f, beta = 0.f;
  if (n.op == OpType::kLeakyRelu) alpha = n.attrs.GetFloat("alpha", 0.01f);
  if (n.op == OpType::kHardSigmoid) {
    alpha = n.attrs.GetFloat("alpha", 0.2f);
    beta = n.attrs.GetFloat("beta", 0.5f);
  }
  if (n.op == OpType::kClip) {
    alpha = -FLT_MAX;
    beta = FLT_MAX;
    if (n.attrs.Has("min")) alpha = n.attrs.GetFloat("min", 0.f);
    if (n.attrs.Has("max")) beta = n.attrs.GetFloat("max", 0.f);
    bool runtime = false;
    for (int i = 1; i <= 2; ++i) {
      if (!e.has_input(i)) continue;
      const Value& v = e.input(i);
      if (v.dtype != DType::kF32 || NumElements(v.shape) != 1)
        return e.No("bounds must be float32 scalars");
      if (v.is_constant()) {
        (i == 1 ? alpha : beta) = v.constant.data<float>()[0];
      } else {
        runtime = true;
      }
    }
    if (runtime) {  // bounds read on the device
      LaunchArg lo = e.has_input(1) && !e.input(1).is_constant() ? e.In(1) : Emitter::Null();
      LaunchArg hi = e.has_input(2) && !e.input(2).is_constant() ? e.In(2) : Emitter::Null();
      const int64_t count = NumElements(e.output(0).shape);
      e.Add("clip_buffers",
            {e.In(0), lo, hi, e.Out(0), Emitter::Float(alpha), Emitter::Float(beta),
             Emitter::Int(count)},
            count);
      return Status::Ok();
    }
  }
  const int64_t count = NumElements(e.output(0).shape);
  e.Add("ew_unary",
        {e.In(0), e.Out(0), Emitter::Int(op), Emitter::Float(alpha), Emitter::Float(beta),
         Emitter::Int(count)},
        count);
  return Status::Ok();
}

Status LowerWhere(Emitter& e) {
  for (int i = 0; i < 3; ++i)
    if (!e.has_input(i)) return e.No("missing input");
  if (e.input(0).dtype != DType::kBool) return e.NoDType(e.input(0).dtype);
  const std::string suffix = SizeSuffix(e.output(0).dtype);
  if (suffix.empty()) return e.NoDType(e.output(0).dtype);
  const Shape& ys = e.output(0).shape;
  const int64_t n = NumElements(ys);
  e.Add("where_" + suffix,
        {e.In(0), e.In(1), e.In(2), e.Out(0),
         e.Params(BroadcastParams(ys, {e.input(0).shape, e.input(1).shape, e.input(2).shape})),
         Emitter::Int(n)},
        n);
  return Status::Ok();
}

// Plain contiguous copy of input 0 into output 0.
Status LowerCopy(Emitter& e) {
  if (!e.has_input(0)) return e.No("missing input");
  const std::string suffix = SizeSuffix(e.output(0).dtype);
  if (suffix.empty() || e.input(0).dtype != e.output(0).dtype) return e.NoDType(e.output(0).dtype);
  const int64_t n = NumElements(e.output(0).shape);
  EmitStridedCopy(e, suffix, e.In(0), e.Out(0), {n}, 0, {1}, 0, {1});
  return Status::Ok();
}

Status LowerTranspose(Emitter& e) {
  const Shape& xs = e.input(0).shape;
  const Shape& ys = e.output(0).shape;
  const int rank = static_cast<int>(xs.size());
  std::vector<int64_t> perm = e.node().attrs.GetInts("perm");
  if (!e.node().attrs.Has("perm"))
    for (int i = 0; i < rank; ++i) perm.push_back(rank - 1 - i);
  if (static_cast<int>(perm.size()) != rank) return e.No("perm does not match the input rank");
  const std::vector<int64_t> in_strides = Strides(xs);
  std::vector<int64_t> xst(rank);
  for (int i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank) return e.No("perm out of range");
    xst[i] = in_strides[perm[i]];
  }
  EmitStridedCopy(e, SizeSuffix(e.output(0).dtype), e.In(0), e.Out(0), ys, 0, xst, 0, Strides(ys));
  return Status::Ok();
}

// First element and step of every dim of a Slice, from constant inputs or attributes.
Status SliceGeometry(Emitter& e, std::vector<int64_t>* first, std::vector<int64_t>* step) {
  const Node& n = e.node();
  const Shape& xs = e.input(0).shape;
  const int rank = static_cast<int>(xs.size());
  const bool from_inputs = e.num_inputs() > 1;
  std::vector<int64_t> starts, ends, axes, steps;
  if (from_inputs) {
    SL_ASSIGN_OR_RETURN(starts, ConstInts(e, 1, "starts"));
    SL_ASSIGN_OR_RETURN(ends, ConstInts(e, 2, "ends"));
    if (e.has_input(3)) {
      SL_ASSIGN_OR_RETURN(axes, ConstInts(e, 3, "axes"));
    }
    if (e.has_input(4)) {
      SL_ASSIGN_OR_RETURN(steps, ConstInts(e, 4, "steps"));
    }
  } else {
    starts = n.attrs.GetInts("starts");
    ends = n.attrs.GetInts("ends");
    axes = n.attrs.GetInts("axes");
  }
  first->assign(rank, 0);
  step->assign(rank, 1);
  const Shape& ys = e.output(0).shape;
  for (size_t j = 0; j < starts.size(); ++j) {
    int64_t axis = j < axes.size() ? axes[j] : static_cast<int64_t>(j);
    if (!axes.empty() && j >= axes.size()) break;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || j >= ends.size()) return e.No("bad slice parameters");
    const int64_t s = j < steps.size() ? steps[j] : 1;
    if (s == 0) return e.No("zero step");
    SliceAxis a = ClampSliceAxis(starts[j], ends[j], s, xs[axis]);
    if (a.count != ys[axis]) return e.No("slice does not match the inferred output shape");
    (*first)[axis] = a.first;
    (*step)[axis] = a.step;
  }
  return Status::Ok();
}

Status LowerSlice(Emitter& e) {
  std::vector<int64_t> first, step;
  SL_RETURN_IF_ERROR(SliceGeometry(e, &first, &step));
  const Shape& xs = e.input(0).shape;
  const std::vector<int64_t> in_strides = Strides(xs);
  int64_t base = 0;
  std::vector<int64_t> xst(xs.size());
  for (size_t d = 0; d < xs.size(); ++d) {
    base += first[d] * in_strides[d];
    xst[d] = step[d] * in_strides[d];
  }
  const Shape& ys = e.output(0).shape;
  EmitStridedCopy(e, SizeSuffix(e.output(0).dtype), e.In(0), e.Out(0), ys, base, xst, 0,
                  Strides(ys));
  return Status::Ok();
}

Status LowerExpand(Emitter& e) {
  const Shape& ys = e.output(0).shape;
  if (!Broadcasts(e.input(0).shape, ys)) return e.No("input does not broadcast to the output");
  EmitStridedCopy(e, SizeSuffix(e.output(0).dtype), e.In(0), e.Out(0), ys, 0,
                  BroadcastStrides(e.input(0).shape, ys), 0, Strides(ys));
  return Status::Ok();
}

Status LowerConcat(Emitter& e) {
  const Shape& ys = e.output(0).shape;
  SL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(e.node().attrs.GetInt("axis", 0), ys.size()));
  const std::vector<int64_t> yst = Strides(ys);
  int64_t offset = 0;
  for (int i = 0; i < e.num_inputs(); ++i) {
    if (!e.has_input(i)) return e.No("omitted input");
    const Shape& xs = e.input(i).shape;
    if (xs.size() != ys.size() || e.input(i).dtype != e.output(0).dtype)
      return e.No("input does not fit the output");
    EmitStridedCopy(e, SizeSuffix(e.output(0).dtype), e.In(i), e.Out(0), xs, 0, Strides(xs),
                    offset * yst[axis], yst);
    offset += xs[axis];
  }
  return Status::Ok();
}

Status LowerSplit(Emitter& e) {
  const Shape& xs = e.input(0).shape;
  SL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(e.node().attrs.GetInt("axis", 0), xs.size()));
  const std::vector<int64_t> xst = Strides(xs);
  int64_t offset = 0;
  for (size_t o = 0; o < e.node().outputs.size(); ++o) {
    if (!e.has_output(static_cast<int>(o))) return e.No("omitted output");
    const Shape& ys = e.output(static_cast<int>(o)).shape;
    if (ys.size() != xs.size()) return e.No("output does not fit the input");
    EmitStridedCopy(e, SizeSuffix(e.input(0).dtype), e.In(0), e.Out(static_cast<int>(o)), ys,
                    offset * xst[axis], xst, 0, Strides(ys));
    offset += ys[axis];
  }
  return Status::Ok();
}

Status LowerGather(Emitter& e) {
  const Shape& xs = e.input(0).shape;
  SL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(e.node().attrs.GetInt("axis", 0), xs.size()));
  SL_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ConstInts(e, 1, "indices"));
  const int64_t dim = xs[axis];
  Tensor prepared(DType::kI32, {static_cast<int64_t>(std::max<size_t>(idx.size(), 1))});
  for (size_t j = 0; j < idx.size(); ++j) {
    if (idx[j] < -dim || idx[j] >= dim)
      return InvalidArgument("Gather: index " + std::to_string(idx[j]) + " out of range for axis " +
                             std::to_string(axis) + " of " + ShapeToString(xs));
    prepared.data<int32_t>()[j] = static_cast<int32_t>(idx[j] < 0 ? idx[j] + dim : idx[j]);
  }
  int64_t inner = 1;
  for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  const int64_t n = NumElements(e.output(0).shape);
  const int64_t count = static_cast<int64_t>(idx.size());
  if (inner == 0 || count == 0) return Status::Ok();
  e.Add("gather_" + SizeSuffix(e.output(0).dtype),
        {e.In(0), e.Weight(std::move(prepared)), e.Out(0), Emitter::Int(count), Emitter::Int(inner),
         Emitter::Int(dim), Emitter::Int(n)},
        n);
  return Status::Ok();
}

}  // namespace

void EmitStridedCopy(Emitter& e, const std::string& suffix, LaunchArg x, LaunchArg y,
                     const std::vector<int64_t>& dims, int64_t x_base,
                     const std::vector<int64_t>& x_strides, int64_t y_base,
                     const std::vector<int64_t>& y_strides) {
  std::vector<int64_t> p = {static_cast<int64_t>(dims.size()), x_base, y_base};
  p.insert(p.end(), dims.begin(), dims.end());
  p.insert(p.end(), x_strides.begin(), x_strides.end());
  p.insert(p.end(), y_strides.begin(), y_strides.end());
  const int64_t n = NumElements(dims);
  e.Add("copy_" + suffix, {x, y, e.Params(p), Emitter::Int(n)}, n);
}

Status LowerElementwise(Emitter& e) {
  switch (e.node().op) {
    case OpType::kAdd:
      return LowerBinary(e, 0);
    case OpType::kSub:
      return LowerBinary(e, 1);
    case OpType::kMul:
      return LowerBinary(e, 2);
    case OpType::kDiv:
      return LowerBinary(e, 3);
    case OpType::kPow:
      return LowerBinary(e, 4);
    case OpType::kMax:
      return LowerBinary(e, 5);
    case OpType::kMin:
      return LowerBinary(e, 6);
    case OpType::kEqual:
      return LowerCompare(e, 0);
    case OpType::kLess:
      return LowerCompare(e, 1);
    case OpType::kGreater:
      return LowerCompare(e, 2);
    case OpType::kRelu:
      return LowerUnary(e, 0);
    case OpType::kSigmoid:
      return LowerUnary(e, 1);
    case OpType::kTanh:
      return LowerUnary(e, 2);
    case OpType::kErf:
      return LowerUnary(e, 3);
    case OpType::kSqrt:
      return LowerUnary(e, 4);
    case OpType::kExp:
      return LowerUnary(e, 5);
    case OpType::kLog:
      return LowerUnary(e, 6);
    case OpType::kNeg:
      return LowerUnary(e, 7);
    case OpType::kAbs:
      return LowerUnary(e, 8);
    case OpType::kClip:
      return LowerUnary(e, 9);
    case OpType::kLeakyRelu:
      return LowerUnary(e, 10);
    case OpType::kHardSigmoid:
      return LowerUnary(e, 11);
    case OpType::kHardSwish:
      return LowerUnary(e, 12);
    case OpType::kWhere:
      return LowerWhere(e);
    default:
      return e.No("not an elementwise op");
  }
}

Status LowerDataMovement(Emitter& e) {
  SL_RETURN_IF_ERROR(NoFusedActivation(e));
  if (!e.has_input(0) || e.node().outputs.empty() || !e.has_output(0))
    return e.No("missing input or output");
  const DType t = e.input(0).dtype;
  if (SizeSuffix(t).empty()) return e.NoDType(t);
  switch (e.node().op) {
    case OpType::kTranspose:
      return LowerTranspose(e);
    case OpType::kSlice:
      return LowerSlice(e);
    case OpType::kExpand:
      return LowerExpand(e);
    case OpType::kConcat:
      return LowerConcat(e);
    case OpType::kSplit:
      return LowerSplit(e);
    case OpType::kGather:
      return LowerGather(e);
    default:
      return LowerCopy(e);
  }
}

Status LowerConvert(Emitter& e) {
  SL_RETURN_IF_ERROR(NoFusedActivation(e));
  if (!e.has_input(0)) return e.No("missing input");
  const DType from = e.input(0).dtype, to = e.output(0).dtype;
  const int64_t n = NumElements(e.output(0).shape);
  if (e.node().op == OpType::kCast) {
    if (from == to) return LowerCopy(e);
    auto name = [](DType t) -> std::string {
      switch (t) {
        case DType::kF32:
          return "f32";
        case DType::kI32:
          return "i32";
        case DType::kI64:
          return "i64";
        case DType::kI8:
          return "i8";
        case DType::kU8:
          return "u8";
        case DType::kBool:
          return "bool";
        case DType::kF16:
          return "f16";
        default:
          return "";
      }
    };
    if (name(from).empty() || name(to).empty() || (from != DType::kF32 && to != DType::kF32))
      return e.No(std::string(DTypeName(from)) + " to " + std::string(DTypeName(to)) +
                  " is not supported by the opencl backend");
    e.Add("cast_" + name(from) + "_" + name(to), {e.In(0), e.Out(0), Emitter::Int(n)}, n);
    return Status::Ok();
  }
  const bool quantize = e.node().op == OpType::kQuantizeLinear;
  const DType int_side = quantize ? to : from;
  if (!e.has_input(1)) return e.No("missing scale");
  if ((quantize ? from : to) != DType::kF32) return e.NoDType(quantize ? from : to);
  if (int_side != DType::kU8 && int_side != DType::kI8) return e.NoDType(int_side);
  if (e.input(1).dtype != DType::kF32) return e.NoDType(e.input(1).dtype);
  if (e.has_input(2) && e.input(2).dtype != int_side) return e.No("zero point dtype");
  const Shape& scale = e.input(1).shape;
  const int64_t channels = NumElements(scale);
  int64_t inner = 1;
  if (channels != 1 || scale.size() > 1) {
    if (scale.size() != 1) return e.No("scale of shape " + ShapeToString(scale));
    const Shape& xs = e.input(0).shape;
    SL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(e.node().attrs.GetInt("axis", 1), xs.size()));
    if (xs[axis] != channels) return e.No("scale does not match the axis");
    for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  }
  if (e.has_input(2) && NumElements(e.input(2).shape) != channels)
    return e.No("zero point shape differs from the scale shape");
  const std::string kernel =
      std::string(quantize ? "quantize_" : "dequantize_") + (int_side == DType::kU8 ? "u8" : "i8");
  e.Add(kernel,
        {e.In(0), e.In(1), e.In(2), e.Out(0), Emitter::Int(e.has_input(2) ? 1 : 0),
         Emitter::Int(channels), Emitter::Int(inner), Emitter::Int(n)},
        n);
  return Status::Ok();
}

bool IsAliasOp(OpType op) {
  return op == OpType::kReshape || op == OpType::kFlatten || op == OpType::kSqueeze ||
         op == OpType::kUnsqueeze || op == OpType::kIdentity;
}

Status LowerNode(const KernelRequest& request, Lowering& out) {
  Emitter e(request, out);
  const Node& n = request.node;
  if (n.outputs.empty() || !e.has_output(0)) return e.No("node without output");
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    if (!e.has_output(static_cast<int>(i))) continue;
    const Value& v = request.output(static_cast<int>(i));
    if (NumElements(v.shape) < 0) return e.No("unknown output shape");
    if (NumElements(v.shape) > INT32_MAX) return e.No("tensor of 2^31 elements or more");
  }
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (!e.has_input(static_cast<int>(i))) continue;
    if (NumElements(e.input(static_cast<int>(i)).shape) > INT32_MAX)
      return e.No("tensor of 2^31 elements or more");
  }
  switch (n.op) {
    case OpType::kConv:
    case OpType::kGemm:
    case OpType::kMatMul:
    case OpType::kMaxPool:
    case OpType::kAveragePool:
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
      return LowerCompute(e);
    case OpType::kSoftmax:
    case OpType::kLayerNormalization:
    case OpType::kBatchNormalization:
    case OpType::kReduceMean:
    case OpType::kReduceSum:
    case OpType::kReduceMax:
      return LowerNormalize(e);
    case OpType::kTranspose:
    case OpType::kSlice:
    case OpType::kExpand:
    case OpType::kConcat:
    case OpType::kSplit:
    case OpType::kGather:
    case OpType::kReshape:
    case OpType::kFlatten:
    case OpType::kSqueeze:
    case OpType::kUnsqueeze:
    case OpType::kIdentity:
      return LowerDataMovement(e);
    case OpType::kCast:
    case OpType::kQuantizeLinear:
    case OpType::kDequantizeLinear:
      return LowerConvert(e);
    case OpType::kShape:
    case OpType::kConstant:
    case OpType::kConstantOfShape:
    case OpType::kRange:
      return e.No("computed only at prepare time (its inputs must be constant)");
    default:
      return LowerElementwise(e);
  }
}

}  // namespace sl::opencl

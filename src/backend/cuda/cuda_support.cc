// Capability rules of the CUDA backend (see cuda_support.h). Compute ops run in float32; data
// movement works on any element size; shape-like inputs (Slice starts, Reduce axes, Clip bounds)
// must be constants after folding because the plan reads them at prepare time.
#include "backend/cuda/cuda_support.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "backend/cuda/cuda_kernels.h"
#include "graph/infer_st_window.h"
#include "kernels/ref/activation_util.h"

namespace sl::cuda {

namespace {

std::string Name(DType t) { return std::string(DTypeName(t)); }

bool HasInput(const KernelRequest& r, int i) { return r.has_input(i); }

bool IsF32(const KernelRequest& r, int i) { return r.input(i).dtype == DType::kF32; }

// Every present input (the first `data_inputs` of them, when given) and every output float32.
NodeSupport AllF32(const KernelRequest& r, size_t data_inputs = SIZE_MAX) {
  for (size_t i = 0; i < std::min(data_inputs, r.node.inputs.size()); ++i) {
    if (!HasInput(r, static_cast<int>(i))) continue;
    const DType t = r.input(static_cast<int>(i)).dtype;
    if (t != DType::kF32)
      return NodeSupport::No("input " + std::to_string(i) + " is " + Name(t) +
                             "; this op runs in float32 only on cuda");
  }
  for (size_t i = 0; i < r.node.outputs.size(); ++i) {
    if (r.node.outputs[i] == kNoValue) continue;
    const DType t = r.output(static_cast<int>(i)).dtype;
    if (t != DType::kF32)
      return NodeSupport::No("output " + std::to_string(i) + " is " + Name(t) +
                             "; this op runs in float32 only on cuda");
  }
  return NodeSupport::Yes();
}

NodeSupport RankAtMost(const KernelRequest& r, size_t rank) {
  for (int v : r.node.inputs)
    if (v != kNoValue && r.graph.values[v].shape.size() > rank)
      return NodeSupport::No("rank " + std::to_string(r.graph.values[v].shape.size()) +
                             " is above the " + std::to_string(rank) + " the kernels index");
  for (int v : r.node.outputs)
    if (v != kNoValue && r.graph.values[v].shape.size() > rank)
      return NodeSupport::No("rank " + std::to_string(r.graph.values[v].shape.size()) +
                             " is above the " + std::to_string(rank) + " the kernels index");
  return NodeSupport::Yes();
}

bool ElemBytesOk(DType t) {
  const size_t s = DTypeSize(t);
  return s == 1 || s == 2 || s == 4 || s == 8;
}

bool CastTypeOk(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kF64:
    case DType::kI8:
    case DType::kU8:
    case DType::kI16:
    case DType::kU16:
    case DType::kI32:
    case DType::kI64:
    case DType::kBool:
      return true;
    default:
      return false;
  }
}

bool FitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }

NodeSupport OptionalOutputsAbsent(const KernelRequest& r, size_t from, const char* what) {
  for (size_t i = from; i < r.node.outputs.size(); ++i)
    if (r.node.outputs[i] != kNoValue)
      return NodeSupport::No(std::string(what) + " output is not implemented on cuda");
  return NodeSupport::Yes();
}

// Inputs [first, end) that are present must be constants (read at prepare time).
NodeSupport ConstantInputs(const KernelRequest& r, size_t first, const char* what) {
  for (size_t i = first; i < r.node.inputs.size(); ++i)
    if (HasInput(r, static_cast<int>(i)) && !r.input(static_cast<int>(i)).is_constant())
      return NodeSupport::No(std::string(what) + " (input " + std::to_string(i) +
                             ") must be a constant");
  return NodeSupport::Yes();
}

#define SL_SUPPORT_RETURN_IF_NO(expr) \
  do {                                \
    NodeSupport _s = (expr);          \
    if (!_s.supported) return _s;     \
  } while (0)

NodeSupport SupportsConv(const KernelRequest& r) {
  SL_SUPPORT_RETURN_IF_NO(AllF32(r));
  const Value& x = r.input(0);
  const Value& w = r.input(1);
  if (x.shape.size() < 3 || x.shape.size() > 5 || w.shape.size() != x.shape.size())
    return NodeSupport::No("Conv of rank " + std::to_string(x.shape.size()) +
                           " (1D, 2D and 3D run)");
  auto geo = ComputeWindowGeometry(r.node.attrs, std::span(x.shape).subspan(2),
                                   std::span(w.shape).subspan(2), false);
  if (!geo.ok()) return NodeSupport::No(geo.status().message());
  const int64_t group = r.node.attrs.GetInt("group", 1);
  if (group <= 0 || x.shape[1] % group != 0 || w.shape[0] % group != 0)
    return NodeSupport::No("channels do not divide into group " + std::to_string(group));
  int64_t kernel = 1, out = 1;
  for (int i = 0; i < geo->rank; ++i) {
    kernel *= (*geo)[i].kernel;
    out *= (*geo)[i].out;
  }
  if (!FitsInt(out) || !FitsInt(x.shape[1] / group * kernel) || !FitsInt(w.shape[0]))
    return NodeSupport::No("dims exceed the int range of cuBLAS");
  auto act = FusedActivation::FromNode(r.node);
  if (!act.ok()) return NodeSupport::No(act.status().message());
  return NodeSupport::Yes();
}

NodeSupport SupportsGemm(const KernelRequest& r) {
  SL_SUPPORT_RETURN_IF_NO(AllF32(r));
  const Value& a = r.input(0);
  const Value& b = r.input(1);
  if (a.shape.size() != 2 || b.shape.size() != 2) return NodeSupport::No("Gemm needs 2-D A and B");
  if (HasInput(r, 2) && r.input(2).shape.size() > 2)
    return NodeSupport::No("C of rank " + std::to_string(r.input(2).shape.size()));
  for (int64_t d : {a.shape[0], a.shape[1], b.shape[0], b.shape[1]})
    if (!FitsInt(d)) return NodeSupport::No("dims exceed the int range of cuBLAS");
  auto act = FusedActivation::FromNode(r.node);
  if (!act.ok()) return NodeSupport::No(act.status().message());
  return NodeSupport::Yes();
}

NodeSupport SupportsMatMul(const KernelRequest& r) {
  if (!IsF32(r, 0))
    return NodeSupport::No(Name(r.input(0).dtype) +
                           " MatMul has no cuBLAS path here (float32 only)");
  SL_SUPPORT_RETURN_IF_NO(AllF32(r));
  SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
  const Value& a = r.input(0);
  const Value& b = r.input(1);
  if (a.shape.empty() || b.shape.empty()) return NodeSupport::No("scalar operands");
  for (const Value* v : {&a, &b})
    for (int64_t d : v->shape)
      if (!FitsInt(d)) return NodeSupport::No("dims exceed the int range of cuBLAS");
  auto act = FusedActivation::FromNode(r.node);
  if (!act.ok()) return NodeSupport::No(act.status().message());
  return NodeSupport::Yes();
}

bool IsBinaryMath(OpType op) {
  return op == OpType::kAdd || op == OpType::kSub || op == OpType::kMul || op == OpType::kDiv ||
         op == OpType::kPow || op == OpType::kMax || op == OpType::kMin;
}

bool IsUnaryMath(OpType op) {
  switch (op) {
    case OpType::kSqrt:
    case OpType::kErf:
    case OpType::kExp:
    case OpType::kLog:
    case OpType::kNeg:
    case OpType::kAbs:
    case OpType::kRelu:
    case OpType::kLeakyRelu:
    case OpType::kClip:
    case OpType::kSigmoid:
    case OpType::kTanh:
    case OpType::kHardSigmoid:
    case OpType::kHardSwish:
      return true;
    default:
      return false;
  }
}

NodeSupport SupportsQuant(const KernelRequest& r, bool quantize) {
  const DType x = r.input(0).dtype, y = r.output(0).dtype;
  const DType int_side = quantize ? y : x, float_side = quantize ? x : y;
  if (float_side != DType::kF32)
    return NodeSupport::No("float side is " + Name(float_side) + " (float32 only)");
  if (int_side != DType::kI8 && int_side != DType::kU8)
    return NodeSupport::No("integer side is " + Name(int_side) + " (int8 / uint8 only)");
  if (r.input(1).dtype != DType::kF32) return NodeSupport::No("scale must be float32");
  if (HasInput(r, 2) && r.input(2).dtype != int_side)
    return NodeSupport::No("zero point dtype differs from the integer side");
  const Value& s = r.input(1);
  if (s.shape.size() > 1) return NodeSupport::No("scale of rank " + std::to_string(s.shape.size()));
  if (HasInput(r, 2) && NumElements(r.input(2).shape) != NumElements(s.shape))
    return NodeSupport::No("zero point and scale differ in size");
  return NodeSupport::Yes();
}

}  // namespace

bool IsAliasNode(const Graph& graph, const Node& n) {
  const bool reshape_like = n.op == OpType::kReshape || n.op == OpType::kFlatten ||
                            n.op == OpType::kSqueeze || n.op == OpType::kUnsqueeze ||
                            n.op == OpType::kIdentity;
  return reshape_like && !n.inputs.empty() && n.inputs[0] != kNoValue && n.outputs.size() == 1 &&
         graph.values[n.outputs[0]].dtype == graph.values[n.inputs[0]].dtype &&
         NumElements(graph.values[n.outputs[0]].shape) ==
             NumElements(graph.values[n.inputs[0]].shape);
}

// Inputs every node of `op` must have (present, not omitted) before the rules below read them.
size_t RequiredInputs(OpType op) {
  switch (op) {
    case OpType::kWhere:
      return 3;
    case OpType::kBatchNormalization:
      return 5;
    case OpType::kConv:
    case OpType::kGemm:
    case OpType::kMatMul:
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
    case OpType::kPow:
    case OpType::kEqual:
    case OpType::kLess:
    case OpType::kGreater:
    case OpType::kLayerNormalization:
    case OpType::kGather:
    case OpType::kExpand:
    case OpType::kQuantizeLinear:
    case OpType::kDequantizeLinear:
      return 2;
    case OpType::kConstant:
    case OpType::kRange:
    case OpType::kConstantOfShape:
      return 0;
    default:
      return 1;
  }
}

NodeSupport SupportsNode(const KernelRequest& r) {
  const Node& n = r.node;
  const size_t required = RequiredInputs(n.op);
  if (n.inputs.size() < required)
    return NodeSupport::No("expects at least " + std::to_string(required) + " inputs");
  for (size_t i = 0; i < required; ++i)
    if (n.inputs[i] == kNoValue)
      return NodeSupport::No("input " + std::to_string(i) + " is omitted");
  if (n.outputs.empty() || n.outputs[0] == kNoValue) return NodeSupport::No("no output");
  for (int v : n.outputs) {
    if (v == kNoValue) continue;
    const Value& val = r.graph.values[v];
    if (val.dtype == DType::kUndefined)
      return NodeSupport::No("output '" + val.name + "' has no inferred type");
    for (int64_t d : val.shape)
      if (d < 0) return NodeSupport::No("output '" + val.name + "' has an unbound dim");
  }
  // Fused activations are honoured by Conv / Gemm / MatMul and the binary math ops.
  if (n.attrs.Has("_act") && n.op != OpType::kConv && n.op != OpType::kGemm &&
      n.op != OpType::kMatMul && !IsBinaryMath(n.op))
    return NodeSupport::No("fused activation on " + std::string(OpTypeName(n.op)));
  switch (n.op) {
    case OpType::kConv:
      return SupportsConv(r);
    case OpType::kGemm:
      return SupportsGemm(r);
    case OpType::kMatMul:
      return SupportsMatMul(r);
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
    case OpType::kPow:
    case OpType::kMax:
    case OpType::kMin: {
      SL_SUPPORT_RETURN_IF_NO(AllF32(r));
      SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
      if (n.inputs.empty()) return NodeSupport::No("no inputs");
      for (int v : n.inputs)
        if (v == kNoValue) return NodeSupport::No("an omitted input");
      if ((n.op != OpType::kMax && n.op != OpType::kMin) && n.inputs.size() != 2)
        return NodeSupport::No("expects two inputs");
      auto act = FusedActivation::FromNode(n);
      if (!act.ok()) return NodeSupport::No(act.status().message());
      return NodeSupport::Yes();
    }
    case OpType::kEqual:
    case OpType::kLess:
    case OpType::kGreater: {
      SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
      const DType t = r.input(0).dtype;
      if (t != DType::kF32 && t != DType::kI32 && t != DType::kI64)
        return NodeSupport::No("compares " + Name(t) + " (float32, int32, int64 only)");
      if (r.input(1).dtype != t) return NodeSupport::No("operand dtypes differ");
      return NodeSupport::Yes();
    }
    case OpType::kWhere: {
      SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
      if (r.input(0).dtype != DType::kBool) return NodeSupport::No("condition must be bool");
      if (!ElemBytesOk(r.output(0).dtype)) return NodeSupport::No("element size");
      return NodeSupport::Yes();
    }
    case OpType::kClip:
      SL_SUPPORT_RETURN_IF_NO(AllF32(r));
      for (int i = 1; i < 3; ++i)
        if (HasInput(r, i) && NumElements(r.input(i).shape) != 1)
          return NodeSupport::No("Clip bounds must be scalars");
      return NodeSupport::Yes();
    case OpType::kSoftmax:
      return AllF32(r);
    case OpType::kLayerNormalization: {
      SL_SUPPORT_RETURN_IF_NO(AllF32(r));
      const int64_t rank = static_cast<int64_t>(r.input(0).shape.size());
      int64_t axis = n.attrs.GetInt("axis", -1);
      if (axis < -rank || axis >= rank) return NodeSupport::No("axis out of range");
      if (axis < 0) axis += rank;
      const int64_t norm = NumElements(std::span(r.input(0).shape).subspan(axis));
      for (int i = 1; i < 3; ++i)
        if (HasInput(r, i) && !r.input(i).is_constant() && NumElements(r.input(i).shape) != norm)
          return NodeSupport::No("a broadcast Scale / B must be a constant");
      return NodeSupport::Yes();
    }
    case OpType::kReduceMean:
    case OpType::kReduceSum:
    case OpType::kReduceMax:
      SL_SUPPORT_RETURN_IF_NO(AllF32(r, 1));
      SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
      return ConstantInputs(r, 1, "axes");
    case OpType::kBatchNormalization:
      SL_SUPPORT_RETURN_IF_NO(AllF32(r));
      if (n.attrs.GetInt("training_mode", 0) != 0)
        return NodeSupport::No("training_mode is not implemented on cuda");
      SL_SUPPORT_RETURN_IF_NO(OptionalOutputsAbsent(r, 1, "running mean / var"));
      if (r.input(0).shape.size() < 2) return NodeSupport::No("X needs a channel dim");
      return NodeSupport::Yes();
    case OpType::kMaxPool:
    case OpType::kAveragePool: {
      SL_SUPPORT_RETURN_IF_NO(AllF32(r));
      if (n.op == OpType::kMaxPool)
        SL_SUPPORT_RETURN_IF_NO(OptionalOutputsAbsent(r, 1, "MaxPool Indices"));
      const Value& x = r.input(0);
      if (x.shape.size() < 3 || x.shape.size() > 5)
        return NodeSupport::No("pool of rank " + std::to_string(x.shape.size()));
      auto geo = ComputeWindowGeometry(n.attrs, std::span(x.shape).subspan(2), {}, true);
      if (!geo.ok()) return NodeSupport::No(geo.status().message());
      return NodeSupport::Yes();
    }
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
      SL_SUPPORT_RETURN_IF_NO(AllF32(r));
      if (r.input(0).shape.size() < 2) return NodeSupport::No("X needs N and C");
      return RankAtMost(r, kMaxRank);
    case OpType::kFlatten:
    case OpType::kReshape:
    case OpType::kSqueeze:
    case OpType::kUnsqueeze:
    case OpType::kIdentity:
      if (!IsAliasNode(r.graph, n))
        return NodeSupport::No("output differs from the input in dtype or size");
      return NodeSupport::Yes();
    case OpType::kTranspose:
    case OpType::kConcat:
    case OpType::kSplit:
    case OpType::kExpand:
      SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
      if (!ElemBytesOk(r.output(0).dtype)) return NodeSupport::No("element size");
      return NodeSupport::Yes();
    case OpType::kSlice:
      SL_SUPPORT_RETURN_IF_NO(RankAtMost(r, kMaxRank));
      if (!ElemBytesOk(r.output(0).dtype)) return NodeSupport::No("element size");
      return ConstantInputs(r, 1, "starts / ends / axes / steps");
    case OpType::kGather: {
      const DType t = r.input(1).dtype;
      if (t != DType::kI32 && t != DType::kI64)
        return NodeSupport::No("indices are " + Name(t) + " (int32 / int64 only)");
      if (!ElemBytesOk(r.output(0).dtype)) return NodeSupport::No("element size");
      return NodeSupport::Yes();
    }
    case OpType::kCast:
      if (!CastTypeOk(r.input(0).dtype) || !CastTypeOk(r.output(0).dtype))
        return NodeSupport::No("cast from " + Name(r.input(0).dtype) + " to " +
                               Name(r.output(0).dtype));
      return NodeSupport::Yes();
    case OpType::kQuantizeLinear:
      return SupportsQuant(r, true);
    case OpType::kDequantizeLinear:
      return SupportsQuant(r, false);
    case OpType::kShape:
    case OpType::kConstant:
    case OpType::kConstantOfShape:
    case OpType::kRange:
      return NodeSupport::No("runs only when folded into a constant at prepare time");
    default:
      break;
  }
  if (IsUnaryMath(n.op)) return AllF32(r);
  return NodeSupport::No("no CUDA kernel for " + std::string(OpTypeName(n.op)));
}

bool CudnnSuitsConv(const KernelRequest& r) {
#ifdef SL_HAVE_CUDNN
  if (!r.has_input(0) || !r.has_input(1)) return false;
  const Value& x = r.input(0);
  const Value& w = r.input(1);
  if (x.shape.size() != 4) return false;
  auto geo = ComputeWindowGeometry(r.node.attrs, std::span(x.shape).subspan(2),
                                   std::span(w.shape).subspan(2), false);
  if (!geo.ok()) return false;
  for (int i = 0; i < geo->rank; ++i)
    if ((*geo)[i].pad_begin != (*geo)[i].pad_end) return false;
  for (int64_t d : x.shape)
    if (!FitsInt(d)) return false;
  return true;
#else
  (void)r;
  return false;
#endif
}

std::string KernelNameFor(const KernelRequest& r) {
  switch (r.node.op) {
    case OpType::kConv:
      return CudnnSuitsConv(r) ? "cudnn" : "im2col+cublas";
    case OpType::kGemm:
    case OpType::kMatMul:
      return "cublas";
    default:
      return IsAliasNode(r.graph, r.node) ? "alias" : "cuda";
  }
}

PrepareOptions CudaPrepareOptions(const PrepareOptions& options) {
  PrepareOptions o = options;
  o.quantized_kernels = false;
  o.sparse_kernels = false;
  o.force_sparse = false;
  o.reference_only = false;
  o.fuse_gelu = false;  // no Gelu kernel here: the Erf chain runs as it is
  return o;
}

Result<Graph> PrepareCudaGraph(const Graph& graph, const PrepareOptions& options) {
  SL_ASSIGN_OR_RETURN(Graph g, PrepareGraph(graph, CudaPrepareOptions(options)));
  for (const Node& node : g.nodes) {
    const NodeSupport s = SupportsNode(KernelRequest{g, node, 1});
    if (!s.supported) return Unsupported("cuda: " + g.Describe(node) + ": " + s.reason);
  }
  return g;
}

}  // namespace sl::cuda

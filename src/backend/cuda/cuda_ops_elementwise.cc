// Elementwise ops on the CUDA backend: unary math, broadcasting binary math (with the fused
// activation of a residual Add), comparisons, Where, QuantizeLinear and DequantizeLinear.
#include <limits>
#include <optional>

#include "backend/cuda/cuda_ops.h"
#include "graph/infer_st_window.h"

namespace sl::cuda {

namespace {

class UnaryKernelOp final : public CudaOp {
 public:
  UnaryKernelOp(UnaryOp op, float a, float b, int64_t n) : op_(op), a_(a), b_(b), n_(n) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR("LaunchUnary",
                            ctx.kernels->LaunchUnary(op_, a_, b_, static_cast<const float*>(in[0]),
                                                     static_cast<float*>(out[0]), n_, ctx.stream));
    return Status::Ok();
  }

 private:
  UnaryOp op_;
  float a_, b_;
  int64_t n_;
};

// Clip bounds from constant inputs 1 / 2 (opset 11+) or the min / max attributes.
void ClipBounds(const CompileContext& c, float* lo, float* hi) {
  *lo = std::numeric_limits<float>::lowest();
  *hi = std::numeric_limits<float>::max();
  if (c.has_input(1) && c.input(1).constant.numel() > 0) {
    *lo = c.input(1).constant.data<float>()[0];
  } else if (c.node.attrs.Has("min")) {
    *lo = c.node.attrs.GetFloat("min", 0.f);
  }
  if (c.has_input(2) && c.input(2).constant.numel() > 0) {
    *hi = c.input(2).constant.data<float>()[0];
  } else if (c.node.attrs.Has("max")) {
    *hi = c.node.attrs.GetFloat("max", 0.f);
  }
}

Result<std::unique_ptr<CudaOp>> CompileClipRuntimeBounds(const CompileContext& c);

Result<std::unique_ptr<CudaOp>> CompileUnary(const CompileContext& c) {
  float a = 0.f, b = 0.f;
  UnaryOp op;
  switch (c.node.op) {
    case OpType::kRelu:
      op = UnaryOp::kRelu;
      break;
    case OpType::kLeakyRelu:
      op = UnaryOp::kLeakyRelu;
      a = c.node.attrs.GetFloat("alpha", 0.01f);
      break;
    case OpType::kClip:
      if ((c.has_input(1) && !c.input(1).is_constant()) ||
          (c.has_input(2) && !c.input(2).is_constant()))
        return CompileClipRuntimeBounds(c);
      op = UnaryOp::kClip;
      ClipBounds(c, &a, &b);
      break;
    case OpType::kSigmoid:
      op = UnaryOp::kSigmoid;
      break;
    case OpType::kTanh:
      op = UnaryOp::kTanh;
      break;
    case OpType::kHardSigmoid:
      op = UnaryOp::kHardSigmoid;
      a = c.node.attrs.GetFloat("alpha", 0.2f);
      b = c.node.attrs.GetFloat("beta", 0.5f);
      break;
    case OpType::kHardSwish:
      op = UnaryOp::kHardSwish;
      break;
    case OpType::kSqrt:
      op = UnaryOp::kSqrt;
      break;
    case OpType::kErf:
      op = UnaryOp::kErf;
      break;
    case OpType::kExp:
      op = UnaryOp::kExp;
      break;
    case OpType::kLog:
      op = UnaryOp::kLog;
      break;
    case OpType::kNeg:
      op = UnaryOp::kNeg;
      break;
    case OpType::kAbs:
      op = UnaryOp::kAbs;
      break;
    default:
      return Unsupported("no CUDA kernel for " + std::string(OpTypeName(c.node.op)));
  }
  const int64_t n = NumElements(c.output(0).shape);
  if (n != NumElements(c.input(0).shape)) return InvalidArgument("output size differs");
  return std::unique_ptr<CudaOp>(std::make_unique<UnaryKernelOp>(op, a, b, n));
}

// y = op(x0, x1) (then op(y, x2), ... for variadic Max / Min), each step over the output shape.
class BinaryKernelOp final : public CudaOp {
 public:
  struct Step {
    IndexMap map;
    int a = 0, b = 1;            // input indices; -1 reads the output (the running result)
    std::optional<BinaryOp> op;  // this step's op when it differs from the node's
  };
  BinaryKernelOp(BinaryOp op, std::vector<Step> steps, int64_t n, ClampRange clamp)
      : op_(op), steps_(std::move(steps)), n_(n), clamp_(clamp) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    float* y = static_cast<float*>(out[0]);
    for (size_t s = 0; s < steps_.size(); ++s) {
      const Step& st = steps_[s];
      const float* a = st.a < 0 ? y : static_cast<const float*>(in[st.a]);
      const float* b = static_cast<const float*>(in[st.b]);
      // The activation applies once, to the final result.
      const bool last = s + 1 == steps_.size();
      const float lo = last ? clamp_.lo : -std::numeric_limits<float>::infinity();
      const float hi = last ? clamp_.hi : std::numeric_limits<float>::infinity();
      SL_CUDA_RETURN_IF_ERROR(
          "LaunchBinary",
          ctx.kernels->LaunchBinary(st.op.value_or(op_), st.map, n_, a, b, y, lo, hi, ctx.stream));
    }
    return Status::Ok();
  }

 private:
  BinaryOp op_;
  std::vector<Step> steps_;
  int64_t n_;
  ClampRange clamp_;
};

bool Broadcasts(std::span<const int64_t> in, std::span<const int64_t> out) {
  if (in.size() > out.size()) return false;
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != 1 && in[i] != out[lead + i]) return false;
  return true;
}

Result<std::unique_ptr<CudaOp>> CompileBinary(const CompileContext& c) {
  BinaryOp op;
  switch (c.node.op) {
    case OpType::kAdd:
      op = BinaryOp::kAdd;
      break;
    case OpType::kSub:
      op = BinaryOp::kSub;
      break;
    case OpType::kMul:
      op = BinaryOp::kMul;
      break;
    case OpType::kDiv:
      op = BinaryOp::kDiv;
      break;
    case OpType::kPow:
      op = BinaryOp::kPow;
      break;
    case OpType::kMax:
      op = BinaryOp::kMax;
      break;
    case OpType::kMin:
      op = BinaryOp::kMin;
      break;
    default:
      return Unsupported("no CUDA kernel for " + std::string(OpTypeName(c.node.op)));
  }
  const Shape& ys = c.output(0).shape;
  for (size_t i = 0; i < c.node.inputs.size(); ++i)
    if (!Broadcasts(c.input(static_cast<int>(i)).shape, ys))
      return InvalidArgument("input " + std::to_string(i) + " " +
                             ShapeToString(c.input(static_cast<int>(i)).shape) +
                             " does not broadcast to " + ShapeToString(ys));
  SL_ASSIGN_OR_RETURN(ClampRange clamp, FusedClamp(c.node));
  const std::vector<int64_t> ystr = ContiguousStrides(ys);
  std::vector<BinaryKernelOp::Step> steps;
  const int inputs = static_cast<int>(c.node.inputs.size());
  if (inputs == 1) {
    // Max / Min of one input: y = max(x, x).
    BinaryKernelOp::Step st;
    const auto xs = BroadcastStrides(c.input(0).shape, ys);
    SL_ASSIGN_OR_RETURN(st.map, MakeIndexMap(ys, {ystr, xs, xs}));
    st.a = 0;
    st.b = 0;
    steps.push_back(st);
  }
  for (int k = 1; k < inputs; ++k) {
    BinaryKernelOp::Step st;
    const auto bs = BroadcastStrides(c.input(k).shape, ys);
    const auto as = k == 1 ? BroadcastStrides(c.input(0).shape, ys) : ystr;
    SL_ASSIGN_OR_RETURN(st.map, MakeIndexMap(ys, {ystr, as, bs}));
    st.a = k == 1 ? 0 : -1;
    st.b = k;
    steps.push_back(st);
  }
  return std::unique_ptr<CudaOp>(
      std::make_unique<BinaryKernelOp>(op, std::move(steps), NumElements(ys), clamp));
}

// Clip with bounds that are run-time tensors: y = Min(Max(x, lo), hi) as two binary steps over
// scalar-broadcast bounds (NaN propagates, as std::min / std::max do in the reference).
Result<std::unique_ptr<CudaOp>> CompileClipRuntimeBounds(const CompileContext& c) {
  const Shape& ys = c.output(0).shape;
  const std::vector<int64_t> ystr = ContiguousStrides(ys);
  const std::vector<int64_t> zero(ys.size(), 0);
  std::vector<BinaryKernelOp::Step> steps;
  for (int i = 1; i < 3; ++i) {
    if (!c.has_input(i)) continue;
    BinaryKernelOp::Step st;
    const std::vector<int64_t> as = steps.empty() ? BroadcastStrides(c.input(0).shape, ys) : ystr;
    SL_ASSIGN_OR_RETURN(st.map, MakeIndexMap(ys, {ystr, as, zero}));
    st.a = steps.empty() ? 0 : -1;
    st.b = i;
    st.op = i == 1 ? BinaryOp::kMax : BinaryOp::kMin;
    steps.push_back(st);
  }
  if (steps.empty()) return InvalidArgument("Clip without bounds reached the run-time path");
  const ClampRange none{-std::numeric_limits<float>::infinity(),
                        std::numeric_limits<float>::infinity()};
  return std::unique_ptr<CudaOp>(
      std::make_unique<BinaryKernelOp>(BinaryOp::kMax, std::move(steps), NumElements(ys), none));
}

class CompareKernelOp final : public CudaOp {
 public:
  CompareKernelOp(CompareOp op, ElemType type, IndexMap map, int64_t n)
      : op_(op), type_(type), map_(map), n_(n) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR("LaunchCompare",
                            ctx.kernels->LaunchCompare(op_, type_, map_, n_, in[0], in[1],
                                                       static_cast<bool*>(out[0]), ctx.stream));
    return Status::Ok();
  }

 private:
  CompareOp op_;
  ElemType type_;
  IndexMap map_;
  int64_t n_;
};

Result<std::unique_ptr<CudaOp>> CompileCompare(const CompileContext& c) {
  const CompareOp op = c.node.op == OpType::kEqual  ? CompareOp::kEqual
                       : c.node.op == OpType::kLess ? CompareOp::kLess
                                                    : CompareOp::kGreater;
  const DType t = c.input(0).dtype;
  const ElemType type = t == DType::kF32   ? ElemType::kF32
                        : t == DType::kI32 ? ElemType::kI32
                                           : ElemType::kI64;
  const Shape& ys = c.output(0).shape;
  for (int i = 0; i < 2; ++i)
    if (!Broadcasts(c.input(i).shape, ys)) return InvalidArgument("inputs do not broadcast");
  SL_ASSIGN_OR_RETURN(
      IndexMap map, MakeIndexMap(ys, {ContiguousStrides(ys), BroadcastStrides(c.input(0).shape, ys),
                                      BroadcastStrides(c.input(1).shape, ys)}));
  return std::unique_ptr<CudaOp>(std::make_unique<CompareKernelOp>(op, type, map, NumElements(ys)));
}

class WhereKernelOp final : public CudaOp {
 public:
  WhereKernelOp(int elem_bytes, IndexMap map, int64_t n)
      : elem_bytes_(elem_bytes), map_(map), n_(n) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR(
        "LaunchWhere",
        ctx.kernels->LaunchWhere(elem_bytes_, map_, n_, static_cast<const bool*>(in[0]), in[1],
                                 in[2], out[0], ctx.stream));
    return Status::Ok();
  }

 private:
  int elem_bytes_;
  IndexMap map_;
  int64_t n_;
};

Result<std::unique_ptr<CudaOp>> CompileWhere(const CompileContext& c) {
  const Shape& ys = c.output(0).shape;
  std::vector<std::vector<int64_t>> strides{ContiguousStrides(ys)};
  for (int i = 0; i < 3; ++i) {
    if (!Broadcasts(c.input(i).shape, ys)) return InvalidArgument("inputs do not broadcast");
    strides.push_back(BroadcastStrides(c.input(i).shape, ys));
  }
  SL_ASSIGN_OR_RETURN(IndexMap map, MakeIndexMap(ys, strides));
  return std::unique_ptr<CudaOp>(std::make_unique<WhereKernelOp>(
      static_cast<int>(DTypeSize(c.output(0).dtype)), map, NumElements(ys)));
}

// QuantizeLinear / DequantizeLinear, per tensor or per axis.
class QuantKernelOp final : public CudaOp {
 public:
  QuantKernelOp(bool quantize, bool is_signed, int64_t n, int64_t channels, int64_t inner)
      : quantize_(quantize), signed_(is_signed), n_(n), channels_(channels), inner_(inner) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    const void* zp = in.size() > 2 ? in[2] : nullptr;
    const float* scale = static_cast<const float*>(in[1]);
    if (quantize_) {
      SL_CUDA_RETURN_IF_ERROR(
          "LaunchQuantize",
          ctx.kernels->LaunchQuantize(static_cast<const float*>(in[0]), scale, zp, signed_, out[0],
                                      n_, channels_, inner_, ctx.stream));
    } else {
      SL_CUDA_RETURN_IF_ERROR(
          "LaunchDequantize",
          ctx.kernels->LaunchDequantize(in[0], signed_, scale, zp, static_cast<float*>(out[0]), n_,
                                        channels_, inner_, ctx.stream));
    }
    return Status::Ok();
  }

 private:
  bool quantize_, signed_;
  int64_t n_, channels_, inner_;
};

Result<std::unique_ptr<CudaOp>> CompileQuant(const CompileContext& c) {
  const bool quantize = c.node.op == OpType::kQuantizeLinear;
  const Shape& xs = c.input(0).shape;
  const Shape& ss = c.input(1).shape;
  int64_t channels = 1, inner = 1;
  if (!(ss.empty() || NumElements(ss) == 1)) {
    const int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = c.node.attrs.GetInt("axis", 1);
    if (axis < -rank || axis >= rank) return InvalidArgument("axis out of range");
    if (axis < 0) axis += rank;
    if (xs[axis] != NumElements(ss))
      return InvalidArgument("scale has " + std::to_string(NumElements(ss)) +
                             " elements but X has " + std::to_string(xs[axis]) + " along axis " +
                             std::to_string(axis));
    channels = xs[axis];
    for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  }
  const DType int_side = quantize ? c.output(0).dtype : c.input(0).dtype;
  return std::unique_ptr<CudaOp>(std::make_unique<QuantKernelOp>(quantize, int_side == DType::kI8,
                                                                 NumElements(xs), channels, inner));
}

}  // namespace

Result<std::unique_ptr<CudaOp>> CompileElementwise(const CompileContext& c) {
  switch (c.node.op) {
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
    case OpType::kPow:
    case OpType::kMax:
    case OpType::kMin:
      return CompileBinary(c);
    case OpType::kEqual:
    case OpType::kLess:
    case OpType::kGreater:
      return CompileCompare(c);
    case OpType::kWhere:
      return CompileWhere(c);
    case OpType::kQuantizeLinear:
    case OpType::kDequantizeLinear:
      return CompileQuant(c);
    default:
      return CompileUnary(c);
  }
}

}  // namespace sl::cuda

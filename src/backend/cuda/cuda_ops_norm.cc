// Reductions and normalizations on the CUDA backend: ReduceSum / ReduceMean / ReduceMax,
// the global pools, Softmax, LayerNormalization, BatchNormalization (inference), MaxPool and
// AveragePool.
#include <cmath>

#include "backend/cuda/cuda_ops.h"
#include "graph/infer_st_window.h"

namespace sl::cuda {

namespace {

class ReduceOp final : public CudaOp {
 public:
  ReduceOp(ReduceKind kind, ReduceDesc desc) : kind_(kind), desc_(desc) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR(
        "LaunchReduce", ctx.kernels->LaunchReduce(kind_, desc_, static_cast<const float*>(in[0]),
                                                  static_cast<float*>(out[0]), ctx.stream));
    return Status::Ok();
  }

 private:
  ReduceKind kind_;
  ReduceDesc desc_;
};

// Splits the dims of `xs` into kept and reduced ones.
Result<ReduceDesc> MakeReduceDesc(const Shape& xs, const std::vector<bool>& reduced) {
  if (xs.size() > static_cast<size_t>(kMaxRank))
    return Unsupported("rank " + std::to_string(xs.size()) + " is above " +
                       std::to_string(kMaxRank));
  const std::vector<int64_t> str = ContiguousStrides(xs);
  ReduceDesc d;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (reduced[i]) {
      d.reduced_dims[d.reduced_rank] = xs[i];
      d.reduced_strides[d.reduced_rank++] = str[i];
      d.reduced *= xs[i];
    } else {
      d.kept_dims[d.kept_rank] = xs[i];
      d.kept_strides[d.kept_rank++] = str[i];
      d.kept *= xs[i];
    }
  }
  return d;
}

Result<std::unique_ptr<CudaOp>> CompileReduce(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  std::vector<int64_t> axes;
  if (c.has_input(1)) {
    axes = c.input(1).constant.ToInt64s();
  } else {
    axes = c.node.attrs.GetInts("axes");
    if (axes.empty() && c.node.attrs.Has("axes")) axes = {c.node.attrs.GetInt("axes", 0)};
  }
  const bool noop = axes.empty() && c.node.attrs.GetInt("noop_with_empty_axes", 0) != 0;
  std::vector<bool> reduced(xs.size(), axes.empty() && !noop);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return InvalidArgument("axis " + std::to_string(a) + " out of range for rank " +
                             std::to_string(rank));
    reduced[a < 0 ? a + rank : a] = true;
  }
  SL_ASSIGN_OR_RETURN(ReduceDesc d, MakeReduceDesc(xs, reduced));
  if (d.kept != NumElements(c.output(0).shape))
    return InvalidArgument("output shape " + ShapeToString(c.output(0).shape) +
                           " does not match the reduction of " + ShapeToString(xs));
  const ReduceKind kind = c.node.op == OpType::kReduceSum    ? ReduceKind::kSum
                          : c.node.op == OpType::kReduceMean ? ReduceKind::kMean
                                                             : ReduceKind::kMax;
  return std::unique_ptr<CudaOp>(std::make_unique<ReduceOp>(kind, d));
}

Result<std::unique_ptr<CudaOp>> CompileGlobalPool(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  std::vector<bool> reduced(xs.size(), true);
  reduced[0] = reduced[1] = false;
  SL_ASSIGN_OR_RETURN(ReduceDesc d, MakeReduceDesc(xs, reduced));
  if (d.kept != NumElements(c.output(0).shape)) return InvalidArgument("output shape is wrong");
  const ReduceKind kind =
      c.node.op == OpType::kGlobalAveragePool ? ReduceKind::kMean : ReduceKind::kMax;
  return std::unique_ptr<CudaOp>(std::make_unique<ReduceOp>(kind, d));
}

class SoftmaxOp final : public CudaOp {
 public:
  SoftmaxOp(int64_t outer, int64_t n, int64_t inner) : outer_(outer), n_(n), inner_(inner) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR(
        "LaunchSoftmax",
        ctx.kernels->LaunchSoftmax(static_cast<const float*>(in[0]), static_cast<float*>(out[0]),
                                   outer_, n_, inner_, ctx.stream));
    return Status::Ok();
  }

 private:
  int64_t outer_, n_, inner_;
};

Result<std::unique_ptr<CudaOp>> CompileSoftmax(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const bool legacy = c.node.attrs.GetInt("_legacy_flatten", 0) != 0;
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t axis = c.node.attrs.GetInt("axis", legacy ? 1 : -1);
  if (axis < -rank || axis >= rank) return InvalidArgument("axis out of range");
  if (axis < 0) axis += rank;
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis) {
      outer *= xs[d];
    } else if (d == axis || legacy) {
      n *= xs[d];
    } else {
      inner *= xs[d];
    }
  }
  return std::unique_ptr<CudaOp>(std::make_unique<SoftmaxOp>(outer, n, inner));
}

class LayerNormOp final : public CudaOp {
 public:
  // scale / bias: device pointers made at prepare (nullptr: read the node's input instead).
  LayerNormOp(const float* scale, const float* bias, bool has_bias, int64_t rows, int64_t n,
              float epsilon)
      : scale_(scale), bias_(bias), has_bias_(has_bias), rows_(rows), n_(n), epsilon_(epsilon) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    const float* scale = scale_ ? scale_ : static_cast<const float*>(in[1]);
    const float* bias = !has_bias_ ? nullptr : (bias_ ? bias_ : static_cast<const float*>(in[2]));
    float* mean = out.size() > 1 ? static_cast<float*>(out[1]) : nullptr;
    float* inv_std = out.size() > 2 ? static_cast<float*>(out[2]) : nullptr;
    SL_CUDA_RETURN_IF_ERROR("LaunchLayerNorm",
                            ctx.kernels->LaunchLayerNorm(static_cast<const float*>(in[0]), scale,
                                                         bias, static_cast<float*>(out[0]), mean,
                                                         inv_std, rows_, n_, epsilon_, ctx.stream));
    return Status::Ok();
  }

 private:
  const float* scale_;
  const float* bias_;
  bool has_bias_;
  int64_t rows_, n_;
  float epsilon_;
};

// A constant broadcast onto `norm` (numpy rules), expanded to NumElements(norm) floats.
std::vector<float> ExpandConstant(const Tensor& t, std::span<const int64_t> norm) {
  const int64_t n = NumElements(norm);
  const std::vector<int64_t> str = BroadcastStrides(t.shape(), norm);
  std::vector<float> out(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i, off = 0;
    for (int d = static_cast<int>(norm.size()) - 1; d >= 0; --d) {
      off += (rest % norm[d]) * str[d];
      rest /= norm[d];
    }
    out[i] = t.data<float>()[off];
  }
  return out;
}

Result<std::unique_ptr<CudaOp>> CompileLayerNorm(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t axis = c.node.attrs.GetInt("axis", -1);
  if (axis < -rank || axis >= rank) return InvalidArgument("axis out of range");
  if (axis < 0) axis += rank;
  std::span<const int64_t> norm = std::span(xs).subspan(axis);
  const int64_t n = NumElements(norm), rows = NumElements(std::span(xs).first(axis));
  for (size_t o = 1; o < c.node.outputs.size() && o < 3; ++o)
    if (c.node.outputs[o] != kNoValue && NumElements(c.output(static_cast<int>(o)).shape) != rows)
      return InvalidArgument("statistics output " + std::to_string(o) + " needs " +
                             std::to_string(rows) + " elements");
  const float* dev[2] = {nullptr, nullptr};
  for (int i = 1; i < 3; ++i) {
    if (!c.has_input(i) || !c.input(i).is_constant()) continue;
    const std::vector<float> full = ExpandConstant(c.input(i).constant, norm);
    SL_ASSIGN_OR_RETURN(void* p, c.memory.Upload(full.data(), full.size() * sizeof(float),
                                                 c.input(i).name + " (expanded)"));
    dev[i - 1] = static_cast<const float*>(p);
  }
  return std::unique_ptr<CudaOp>(std::make_unique<LayerNormOp>(
      dev[0], dev[1], c.has_input(2), rows, n, c.node.attrs.GetFloat("epsilon", 1e-5f)));
}

class AffineOp final : public CudaOp {
 public:
  AffineOp(const float* mul, const float* add, int64_t n, int64_t channels, int64_t inner)
      : mul_(mul), add_(add), n_(n), channels_(channels), inner_(inner) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR("LaunchChannelAffine",
                            ctx.kernels->LaunchChannelAffine(static_cast<const float*>(in[0]), mul_,
                                                             add_, static_cast<float*>(out[0]), n_,
                                                             channels_, inner_, ctx.stream));
    return Status::Ok();
  }

 private:
  const float *mul_, *add_;
  int64_t n_, channels_, inner_;
};

// BatchNormalization with parameters that are not constants: read on the device each run.
class BatchNormOp final : public CudaOp {
 public:
  BatchNormOp(float epsilon, int64_t n, int64_t channels, int64_t inner)
      : epsilon_(epsilon), n_(n), channels_(channels), inner_(inner) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    auto f = [&](int i) { return static_cast<const float*>(in[i]); };
    SL_CUDA_RETURN_IF_ERROR("LaunchBatchNorm",
                            ctx.kernels->LaunchBatchNorm(f(0), f(1), f(2), f(3), f(4), epsilon_,
                                                         static_cast<float*>(out[0]), n_, channels_,
                                                         inner_, ctx.stream));
    return Status::Ok();
  }

 private:
  float epsilon_;
  int64_t n_, channels_, inner_;
};

Result<std::unique_ptr<CudaOp>> CompileBatchNorm(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const int64_t channels = xs[1];
  int64_t inner = 1;
  for (size_t d = 2; d < xs.size(); ++d) inner *= xs[d];
  bool all_constant = true;
  for (int i = 1; i < 5; ++i) {
    if (!c.has_input(i) || NumElements(c.input(i).shape) != channels)
      return InvalidArgument("input " + std::to_string(i) + " must hold " +
                             std::to_string(channels) + " channels");
    all_constant = all_constant && c.input(i).is_constant();
  }
  if (!all_constant)
    return std::unique_ptr<CudaOp>(std::make_unique<BatchNormOp>(
        c.node.attrs.GetFloat("epsilon", 1e-5f), NumElements(xs), channels, inner));
  for (int i = 1; i < 5; ++i)
    if (!c.has_input(i) || c.input(i).constant.numel() != channels ||
        c.input(i).constant.dtype() != DType::kF32)
      return InvalidArgument("input " + std::to_string(i) + " must hold " +
                             std::to_string(channels) + " float32 channels");
  const double epsilon = c.node.attrs.GetFloat("epsilon", 1e-5f);
  std::vector<float> mul(channels), add(channels);
  for (int64_t ch = 0; ch < channels; ++ch) {
    const double scale = c.input(1).constant.data<float>()[ch];
    const double bias = c.input(2).constant.data<float>()[ch];
    const double mean = c.input(3).constant.data<float>()[ch];
    const double var = c.input(4).constant.data<float>()[ch];
    const double m = scale / std::sqrt(var + epsilon);
    mul[ch] = static_cast<float>(m);
    add[ch] = static_cast<float>(bias - mean * m);
  }
  SL_ASSIGN_OR_RETURN(void* pm, c.memory.Upload(mul.data(), mul.size() * 4, c.node.name + "/mul"));
  SL_ASSIGN_OR_RETURN(void* pa, c.memory.Upload(add.data(), add.size() * 4, c.node.name + "/add"));
  return std::unique_ptr<CudaOp>(std::make_unique<AffineOp>(static_cast<const float*>(pm),
                                                            static_cast<const float*>(pa),
                                                            NumElements(xs), channels, inner));
}

class PoolOp final : public CudaOp {
 public:
  PoolOp(bool is_max, bool include_pad, int64_t planes, WindowDesc w)
      : is_max_(is_max), include_pad_(include_pad), planes_(planes), w_(w) {}
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    SL_CUDA_RETURN_IF_ERROR(
        "LaunchPool",
        ctx.kernels->LaunchPool(is_max_, include_pad_, static_cast<const float*>(in[0]),
                                static_cast<float*>(out[0]), planes_, w_, ctx.stream));
    return Status::Ok();
  }

 private:
  bool is_max_, include_pad_;
  int64_t planes_;
  WindowDesc w_;
};

}  // namespace

// Shared with the Conv compiler: the geometry as the kernels take it.
WindowDesc ToWindowDesc(const WindowGeometry& g) {
  WindowDesc w;
  w.rank = g.rank;
  for (int i = 0; i < g.rank; ++i) {
    w.in[i] = g[i].in;
    w.out[i] = g[i].out;
    w.kernel[i] = g[i].kernel;
    w.stride[i] = g[i].stride;
    w.dilation[i] = g[i].dilation;
    w.pad_begin[i] = g[i].pad_begin;
    w.pad_end[i] = g[i].pad_end;
  }
  return w;
}

namespace {

Result<std::unique_ptr<CudaOp>> CompilePool(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const Shape& ys = c.output(0).shape;
  auto geo = ComputeWindowGeometry(c.node.attrs, std::span(xs).subspan(2), {}, true);
  if (!geo.ok()) return geo.status();
  for (int i = 0; i < geo->rank; ++i)
    if (ys[2 + i] != (*geo)[i].out)
      return InvalidArgument("output shape " + ShapeToString(ys) + " is wrong");
  const bool is_max = c.node.op == OpType::kMaxPool;
  const bool include_pad = c.node.attrs.GetInt("count_include_pad", 0) != 0;
  return std::unique_ptr<CudaOp>(
      std::make_unique<PoolOp>(is_max, include_pad, xs[0] * xs[1], ToWindowDesc(*geo)));
}

}  // namespace

Result<std::unique_ptr<CudaOp>> CompileNormOp(const CompileContext& c) {
  switch (c.node.op) {
    case OpType::kReduceMean:
    case OpType::kReduceSum:
    case OpType::kReduceMax:
      return CompileReduce(c);
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
      return CompileGlobalPool(c);
    case OpType::kSoftmax:
      return CompileSoftmax(c);
    case OpType::kLayerNormalization:
      return CompileLayerNorm(c);
    case OpType::kBatchNormalization:
      return CompileBatchNorm(c);
    case OpType::kMaxPool:
    case OpType::kAveragePool:
      return CompilePool(c);
    default:
      return Unsupported("no CUDA kernel for " + std::string(OpTypeName(c.node.op)));
  }
}

}  // namespace sl::cuda

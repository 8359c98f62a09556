// Gemm, MatMul and Conv on the CUDA backend. Matrix products go through cuBLAS in float32
// (CUBLAS_DEFAULT_MATH: no TF32), using the row-major identity C^T = B^T A^T so that row-major
// tensors need no transposition. Conv goes through cuDNN (2-D, symmetric pads, FMA math so no
// TF32) when built with it, else im2col + cuBLAS; bias and the fused activation run as one
// epilogue kernel after the product.
#include <algorithm>
#include <climits>

#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_support.h"
#include "graph/infer_st_window.h"
#include "kernels/ref/ref_util.h"

namespace sl::cuda {

namespace {

constexpr float kOne = 1.f;
constexpr float kZero = 0.f;
// cuDNN algorithms needing more workspace than this are skipped.
constexpr size_t kMaxConvWorkspace = size_t{512} << 20;

// --- Gemm ------------------------------------------------------------------------------------

class GemmOp final : public CudaOp {
 public:
  struct Params {
    bool trans_a = false, trans_b = false;
    int m = 0, n = 0, k = 0;
    float alpha = 1.f, beta = 1.f;
    bool has_c = false;
    int64_t c_row = 0, c_col = 0;
    ClampRange clamp{};
  };
  explicit GemmOp(Params p) : p_(p) {}
  std::string name() const override { return "cublas"; }
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    float* y = static_cast<float*>(out[0]);
    if (p_.m == 0 || p_.n == 0) return Status::Ok();
    if (p_.k == 0) {
      SL_CUDA_RETURN_IF_ERROR("cudaMemsetAsync",
                              cudaMemsetAsync(y, 0, size_t(p_.m) * p_.n * 4, ctx.stream));
    } else {
      // Row-major Y[m,n] = op(A) op(B) is column-major Y^T[n,m] = op(B)^T op(A)^T.
      SL_CUBLAS_RETURN_IF_ERROR(
          "cublasSgemm", ctx.blas->sgemm(ctx.cublas, p_.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                         p_.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, p_.n, p_.m, p_.k,
                                         &p_.alpha, static_cast<const float*>(in[1]),
                                         p_.trans_b ? p_.k : p_.n, static_cast<const float*>(in[0]),
                                         p_.trans_a ? p_.m : p_.k, &kZero, y, p_.n));
    }
    if (p_.has_c || p_.clamp.active()) {
      SL_CUDA_RETURN_IF_ERROR(
          "LaunchMatrixBiasAct",
          ctx.kernels->LaunchMatrixBiasAct(y, p_.has_c ? static_cast<const float*>(in[2]) : nullptr,
                                           p_.m, p_.n, p_.c_row, p_.c_col, p_.beta, p_.clamp.lo,
                                           p_.clamp.hi, ctx.stream));
    }
    return Status::Ok();
  }

 private:
  Params p_;
};

Result<std::unique_ptr<CudaOp>> CompileGemm(const CompileContext& c) {
  GemmOp::Params p;
  const Shape& a = c.input(0).shape;
  const Shape& b = c.input(1).shape;
  p.trans_a = c.node.attrs.GetInt("transA", 0) != 0;
  p.trans_b = c.node.attrs.GetInt("transB", 0) != 0;
  p.alpha = c.node.attrs.GetFloat("alpha", 1.f);
  p.beta = c.node.attrs.GetFloat("beta", 1.f);
  const int64_t m = p.trans_a ? a[1] : a[0], k = p.trans_a ? a[0] : a[1];
  const int64_t kb = p.trans_b ? b[1] : b[0], n = p.trans_b ? b[0] : b[1];
  const Shape& ys = c.output(0).shape;
  if (k != kb || ys.size() != 2 || ys[0] != m || ys[1] != n)
    return InvalidArgument("shapes A " + ShapeToString(a) + ", B " + ShapeToString(b) + ", Y " +
                           ShapeToString(ys) + " do not match");
  p.m = static_cast<int>(m);
  p.n = static_cast<int>(n);
  p.k = static_cast<int>(k);
  if (c.has_input(2)) {
    const Shape& cs = c.input(2).shape;
    const int64_t cm = cs.size() == 2 ? cs[0] : 1;
    const int64_t cn = cs.empty() ? 1 : cs.back();
    if ((cm != 1 && cm != m) || (cn != 1 && cn != n))
      return InvalidArgument("C " + ShapeToString(cs) + " cannot be broadcast");
    p.has_c = true;
    p.c_row = cm == 1 ? 0 : cn;
    p.c_col = cn == 1 ? 0 : 1;
  }
  SL_ASSIGN_OR_RETURN(p.clamp, FusedClamp(c.node));
  return std::unique_ptr<CudaOp>(std::make_unique<GemmOp>(p));
}

// --- MatMul ----------------------------------------------------------------------------------

class MatMulOp final : public CudaOp {
 public:
  struct Params {
    int m = 0, n = 0, k = 0;
    int64_t batches = 1;
    // kFolded: one product with m * batches rows; kStrided: one strided-batched call;
    // kLoop: one call per batch at the offsets below.
    enum class Mode { kFolded, kStrided, kLoop } mode = Mode::kFolded;
    int64_t stride_a = 0, stride_b = 0;
    std::vector<int64_t> offsets_a, offsets_b;  // kLoop only, in elements
    bool has_bias = false;
    int64_t bias_channels = 1;
    ClampRange clamp{};
  };
  explicit MatMulOp(Params p) : p_(std::move(p)) {}
  std::string name() const override { return "cublas"; }
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    const float* a = static_cast<const float*>(in[0]);
    const float* b = static_cast<const float*>(in[1]);
    float* y = static_cast<float*>(out[0]);
    const int64_t total = int64_t{p_.m} * p_.n * p_.batches;
    if (total == 0) return Status::Ok();
    if (p_.k == 0) {
      SL_CUDA_RETURN_IF_ERROR("cudaMemsetAsync",
                              cudaMemsetAsync(y, 0, size_t(total) * 4, ctx.stream));
    } else if (p_.mode == Params::Mode::kFolded) {
      const int64_t rows = int64_t{p_.m} * p_.batches;
      if (rows > INT_MAX) return Unsupported("MatMul of more than INT_MAX rows");
      SL_CUBLAS_RETURN_IF_ERROR(
          "cublasSgemm",
          ctx.blas->sgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, p_.n, static_cast<int>(rows), p_.k,
                          &kOne, b, p_.n, a, p_.k, &kZero, y, p_.n));
    } else if (p_.mode == Params::Mode::kStrided) {
      SL_CUBLAS_RETURN_IF_ERROR("cublasSgemmStridedBatched",
                                ctx.blas->sgemm_strided_batched(
                                    ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, p_.n, p_.m, p_.k, &kOne,
                                    b, p_.n, p_.stride_b, a, p_.k, p_.stride_a, &kZero, y, p_.n,
                                    int64_t{p_.m} * p_.n, static_cast<int>(p_.batches)));
    } else {
      for (int64_t bi = 0; bi < p_.batches; ++bi) {
        SL_CUBLAS_RETURN_IF_ERROR(
            "cublasSgemm", ctx.blas->sgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, p_.n, p_.m, p_.k,
                                           &kOne, b + p_.offsets_b[bi], p_.n, a + p_.offsets_a[bi],
                                           p_.k, &kZero, y + bi * int64_t{p_.m} * p_.n, p_.n));
      }
    }
    if (p_.has_bias || p_.clamp.active()) {
      SL_CUDA_RETURN_IF_ERROR(
          "LaunchChannelBiasAct",
          ctx.kernels->LaunchChannelBiasAct(
              y, p_.has_bias ? static_cast<const float*>(in[2]) : nullptr, total, p_.bias_channels,
              1, p_.clamp.lo, p_.clamp.hi, ctx.stream));
    }
    return Status::Ok();
  }

 private:
  Params p_;
};

Result<std::unique_ptr<CudaOp>> CompileMatMul(const CompileContext& c) {
  const Shape& as = c.input(0).shape;
  const Shape& bs = c.input(1).shape;
  const Shape& ys = c.output(0).shape;
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  MatMulOp::Params p;
  const int64_t m = a_vec ? 1 : as[as.size() - 2], k = as.back();
  const int64_t kb = b_vec ? bs[0] : bs[bs.size() - 2], n = b_vec ? 1 : bs.back();
  if (k != kb)
    return InvalidArgument("inner dims of " + ShapeToString(as) + " and " + ShapeToString(bs) +
                           " differ");
  std::span<const int64_t> a_batch = std::span(as).first(a_vec ? 0 : as.size() - 2);
  std::span<const int64_t> b_batch = std::span(bs).first(b_vec ? 0 : bs.size() - 2);
  const size_t tail = (a_vec ? 0 : 1) + (b_vec ? 0 : 1);
  if (ys.size() < tail) return InvalidArgument("output rank is too small");
  std::span<const int64_t> y_batch = std::span(ys).first(ys.size() - tail);
  p.m = static_cast<int>(m);
  p.n = static_cast<int>(n);
  p.k = static_cast<int>(k);
  p.batches = NumElements(y_batch);
  if (NumElements(ys) != p.batches * m * n)
    return InvalidArgument("output shape " + ShapeToString(ys) + " does not match " +
                           ShapeToString(as) + " x " + ShapeToString(bs));
  std::vector<int64_t> oa(p.batches), ob(p.batches);
  for (int64_t bi = 0; bi < p.batches; ++bi) {
    oa[bi] = ref::MatMulBatchOffset(y_batch, a_batch, bi) * m * k;
    ob[bi] = ref::MatMulBatchOffset(y_batch, b_batch, bi) * k * n;
  }
  // Offsets that are bi * stride for one stride (0 when the operand is shared by all batches).
  auto linear = [&](const std::vector<int64_t>& off, int64_t* stride) {
    *stride = p.batches > 1 ? off[1] - off[0] : 0;
    for (int64_t bi = 0; bi < p.batches; ++bi)
      if (off[bi] != bi * *stride) return false;
    return true;
  };
  int64_t sa = 0, sb = 0;
  const bool la = linear(oa, &sa), lb = linear(ob, &sb);
  if (la && lb && sb == 0 && (sa == m * k || p.batches == 1)) {
    p.mode = MatMulOp::Params::Mode::kFolded;  // A's batches stacked as rows, B shared
  } else if (la && lb && p.batches <= INT_MAX) {
    p.mode = MatMulOp::Params::Mode::kStrided;
    p.stride_a = sa;
    p.stride_b = sb;
  } else {
    p.mode = MatMulOp::Params::Mode::kLoop;
    p.offsets_a = std::move(oa);
    p.offsets_b = std::move(ob);
  }
  if (c.has_input(2)) {
    const int64_t bn = NumElements(c.input(2).shape);
    if (bn != n && bn != 1)
      return InvalidArgument("bias " + ShapeToString(c.input(2).shape) + " needs " +
                             std::to_string(n) + " values");
    p.has_bias = true;
    p.bias_channels = bn;
  }
  SL_ASSIGN_OR_RETURN(p.clamp, FusedClamp(c.node));
  return std::unique_ptr<CudaOp>(std::make_unique<MatMulOp>(std::move(p)));
}

// --- Conv ------------------------------------------------------------------------------------

struct ConvShape {
  int64_t batch = 0, channels = 0, out_channels = 0, group = 1;
  int64_t in_size = 1, out_size = 1, kernel_size = 1;
  WindowDesc w;
  bool has_bias = false;
  ClampRange clamp{};
};

// y = W * im2col(x) per image and group, then bias + activation.
class Im2ColConvOp final : public CudaOp {
 public:
  Im2ColConvOp(ConvShape s, bool direct, std::string reason)
      : s_(s), direct_(direct), reason_(std::move(reason)) {}
  std::string name() const override { return direct_ ? "cublas" : "im2col+cublas"; }
  std::string reason() const override { return reason_; }
  size_t scratch_bytes() const override {
    return direct_ ? 0 : size_t(s_.channels * s_.kernel_size * s_.out_size) * sizeof(float);
  }
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    const float* x = static_cast<const float*>(in[0]);
    const float* w = static_cast<const float*>(in[1]);
    float* y = static_cast<float*>(out[0]);
    const int64_t cg = s_.channels / s_.group, mg = s_.out_channels / s_.group;
    const int p = static_cast<int>(s_.out_size), ck = static_cast<int>(cg * s_.kernel_size);
    if (s_.batch * s_.out_channels * s_.out_size == 0) return Status::Ok();
    for (int64_t n = 0; n < s_.batch; ++n) {
      const float* xn = x + n * s_.channels * s_.in_size;
      const float* col = xn;
      if (!direct_) {
        SL_CUDA_RETURN_IF_ERROR("LaunchIm2Col",
                                ctx.kernels->LaunchIm2Col(xn, static_cast<float*>(ctx.scratch),
                                                          s_.channels, s_.w, ctx.stream));
        col = static_cast<const float*>(ctx.scratch);
      }
      // Per group g: Y_g [mg, p] = W_g [mg, ck] x col_g [ck, p]; column-major: Y^T = col^T W^T.
      SL_CUBLAS_RETURN_IF_ERROR(
          "cublasSgemmStridedBatched",
          ctx.blas->sgemm_strided_batched(
              ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, p, static_cast<int>(mg), ck, &kOne, col, p,
              int64_t{ck} * p, w, ck, mg * ck, &kZero, y + n * s_.out_channels * s_.out_size, p,
              mg * p, static_cast<int>(s_.group)));
    }
    return Epilogue(ctx, in, y);
  }

 private:
  Status Epilogue(const RunContext& ctx, std::span<const void* const> in, float* y) const {
    if (!s_.has_bias && !s_.clamp.active()) return Status::Ok();
    SL_CUDA_RETURN_IF_ERROR("LaunchChannelBiasAct",
                            ctx.kernels->LaunchChannelBiasAct(
                                y, s_.has_bias ? static_cast<const float*>(in[2]) : nullptr,
                                s_.batch * s_.out_channels * s_.out_size, s_.out_channels,
                                s_.out_size, s_.clamp.lo, s_.clamp.hi, ctx.stream));
    return Status::Ok();
  }

  ConvShape s_;
  bool direct_;
  std::string reason_;
};

#ifdef SL_HAVE_CUDNN
// Device buffers for trying cuDNN algorithms at prepare time, freed on scope exit.
class TrialBuffers {
 public:
  TrialBuffers() = default;
  TrialBuffers(const TrialBuffers&) = delete;
  TrialBuffers& operator=(const TrialBuffers&) = delete;
  ~TrialBuffers() {
    for (void* p : blocks_) (void)cudaFree(p);
  }
  // A zero-filled block of `bytes` (at least 1), or nullptr when allocation fails.
  void* Get(size_t bytes) {
    void* p = nullptr;
    if (cudaMalloc(&p, bytes == 0 ? 1 : bytes) != cudaSuccess) {
      (void)cudaGetLastError();
      return nullptr;
    }
    blocks_.push_back(p);
    if (cudaMemset(p, 0, bytes == 0 ? 1 : bytes) != cudaSuccess) (void)cudaGetLastError();
    return p;
  }

 private:
  std::vector<void*> blocks_;
};

// cuDNN's legacy convolution API with descriptors and the algorithm fixed at prepare time.
class CudnnConvOp final : public CudaOp {
 public:
  explicit CudnnConvOp(ConvShape s) : s_(s) {}
  std::string name() const override { return "cudnn"; }
  ~CudnnConvOp() override {
    if (x_) cudnnDestroyTensorDescriptor(x_);
    if (y_) cudnnDestroyTensorDescriptor(y_);
    if (w_) cudnnDestroyFilterDescriptor(w_);
    if (conv_) cudnnDestroyConvolutionDescriptor(conv_);
  }
  // Creates the descriptors and picks an algorithm; fails when cuDNN cannot run the shape.
  Status Init(cudnnHandle_t handle, const Shape& xs, const Shape& ws, const Shape& ys) {
    SL_CUDNN_RETURN_IF_ERROR("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(&x_));
    SL_CUDNN_RETURN_IF_ERROR("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(&y_));
    SL_CUDNN_RETURN_IF_ERROR("cudnnCreateFilterDescriptor", cudnnCreateFilterDescriptor(&w_));
    SL_CUDNN_RETURN_IF_ERROR("cudnnCreateConvolutionDescriptor",
                             cudnnCreateConvolutionDescriptor(&conv_));
    auto i = [](int64_t v) { return static_cast<int>(v); };
    SL_CUDNN_RETURN_IF_ERROR("cudnnSetTensor4dDescriptor",
                             cudnnSetTensor4dDescriptor(x_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                        i(xs[0]), i(xs[1]), i(xs[2]), i(xs[3])));
    SL_CUDNN_RETURN_IF_ERROR("cudnnSetFilter4dDescriptor",
                             cudnnSetFilter4dDescriptor(w_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                        i(ws[0]), i(ws[1]), i(ws[2]), i(ws[3])));
    const WindowDesc& w = s_.w;
    SL_CUDNN_RETURN_IF_ERROR(
        "cudnnSetConvolution2dDescriptor",
        cudnnSetConvolution2dDescriptor(conv_, i(w.pad_begin[0]), i(w.pad_begin[1]), i(w.stride[0]),
                                        i(w.stride[1]), i(w.dilation[0]), i(w.dilation[1]),
                                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    SL_CUDNN_RETURN_IF_ERROR("cudnnSetConvolutionGroupCount",
                             cudnnSetConvolutionGroupCount(conv_, i(s_.group)));
    // FMA math: no TF32 tensor cores, so results match float32 references.
    SL_CUDNN_RETURN_IF_ERROR("cudnnSetConvolutionMathType",
                             cudnnSetConvolutionMathType(conv_, CUDNN_FMA_MATH));
    int dims[4] = {0, 0, 0, 0};
    SL_CUDNN_RETURN_IF_ERROR("cudnnGetConvolution2dForwardOutputDim",
                             cudnnGetConvolution2dForwardOutputDim(conv_, x_, w_, &dims[0],
                                                                   &dims[1], &dims[2], &dims[3]));
    for (int d = 0; d < 4; ++d)
      if (dims[d] != ys[d])
        return Unsupported("cuDNN output dims differ from the inferred shape " + ShapeToString(ys));
    SL_CUDNN_RETURN_IF_ERROR("cudnnSetTensor4dDescriptor",
                             cudnnSetTensor4dDescriptor(y_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                        dims[0], dims[1], dims[2], dims[3]));
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int returned = 0;
    SL_CUDNN_RETURN_IF_ERROR(
        "cudnnGetConvolutionForwardAlgorithm_v7",
        cudnnGetConvolutionForwardAlgorithm_v7(handle, x_, w_, conv_, y_,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf));
    // Each candidate is tried once on scratch buffers (contents do not matter), so an algorithm
    // cuDNN lists but cannot run under FMA math is skipped here instead of failing a run.
    TrialBuffers trial;
    const size_t xb = size_t(s_.batch) * s_.channels * s_.in_size * sizeof(float);
    const size_t wb = size_t(s_.out_channels) * (s_.channels / s_.group) * s_.kernel_size * 4;
    const size_t yb = size_t(s_.batch) * s_.out_channels * s_.out_size * sizeof(float);
    void* tx = trial.Get(xb);
    void* tw = trial.Get(wb);
    void* ty = trial.Get(yb);
    if (!tx || !tw || !ty) return Unsupported("no device memory to try cuDNN algorithms");
    for (int r = 0; r < returned; ++r) {
      // Tensor-op (TF32) algorithms are excluded: results must match float32 references.
      if (perf[r].status != CUDNN_STATUS_SUCCESS || perf[r].mathType == CUDNN_TENSOR_OP_MATH ||
          perf[r].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
        continue;
      size_t bytes = 0;
      if (cudnnGetConvolutionForwardWorkspaceSize(handle, x_, w_, conv_, y_, perf[r].algo,
                                                  &bytes) != CUDNN_STATUS_SUCCESS)
        continue;
      if (bytes > kMaxConvWorkspace) continue;
      void* ws = nullptr;
      if (bytes && cudaMalloc(&ws, bytes) != cudaSuccess) {
        (void)cudaGetLastError();
        continue;
      }
      const bool ran = cudnnConvolutionForward(handle, &kOne, x_, tx, w_, tw, conv_, perf[r].algo,
                                               ws, bytes, &kZero, y_, ty) == CUDNN_STATUS_SUCCESS &&
                       cudaStreamSynchronize(cudaStreamLegacy) == cudaSuccess;
      if (ws) (void)cudaFree(ws);
      if (!ran) {
        (void)cudaGetLastError();
        continue;
      }
      algo_ = perf[r].algo;
      workspace_ = bytes;
      return Status::Ok();
    }
    return Unsupported("no cuDNN forward algorithm for this convolution");
  }
  size_t scratch_bytes() const override { return workspace_; }
  Status Run(const RunContext& ctx, std::span<const void* const> in,
             std::span<void* const> out) const override {
    float* y = static_cast<float*>(out[0]);
    if (s_.batch * s_.out_channels * s_.out_size == 0) return Status::Ok();
    SL_CUDNN_RETURN_IF_ERROR(
        "cudnnConvolutionForward",
        cudnnConvolutionForward(ctx.cudnn, &kOne, x_, in[0], w_, in[1], conv_, algo_, ctx.scratch,
                                workspace_, &kZero, y_, y));
    if (!s_.has_bias && !s_.clamp.active()) return Status::Ok();
    SL_CUDA_RETURN_IF_ERROR("LaunchChannelBiasAct",
                            ctx.kernels->LaunchChannelBiasAct(
                                y, s_.has_bias ? static_cast<const float*>(in[2]) : nullptr,
                                s_.batch * s_.out_channels * s_.out_size, s_.out_channels,
                                s_.out_size, s_.clamp.lo, s_.clamp.hi, ctx.stream));
    return Status::Ok();
  }

 private:
  ConvShape s_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspace_ = 0;
};
#endif

}  // namespace

const BlasApi& CublasApi() {
  static const BlasApi api{&cublasSgemm_v2, &cublasSgemmStridedBatched};
  return api;
}

Result<std::unique_ptr<CudaOp>> CompileGemmLike(const CompileContext& c) {
  if (c.node.op == OpType::kGemm) return CompileGemm(c);
  return CompileMatMul(c);
}

Result<std::unique_ptr<CudaOp>> CompileConv(const CompileContext& c) {
  const Shape& xs = c.input(0).shape;
  const Shape& ws = c.input(1).shape;
  const Shape& ys = c.output(0).shape;
  auto geo = ComputeWindowGeometry(c.node.attrs, std::span(xs).subspan(2), std::span(ws).subspan(2),
                                   false);
  if (!geo.ok()) return geo.status();
  ConvShape s;
  s.batch = xs[0];
  s.channels = xs[1];
  s.out_channels = ws[0];
  s.group = c.node.attrs.GetInt("group", 1);
  if (s.group <= 0 || s.channels != ws[1] * s.group || s.out_channels % s.group != 0)
    return InvalidArgument("channels of X " + ShapeToString(xs) + " and W " + ShapeToString(ws) +
                           " do not match group " + std::to_string(s.group));
  s.w = ToWindowDesc(*geo);
  bool shape_ok = ys.size() == xs.size() && ys[0] == s.batch && ys[1] == s.out_channels;
  for (int i = 0; i < geo->rank; ++i) {
    shape_ok = shape_ok && ys[2 + i] == (*geo)[i].out;
    s.in_size *= (*geo)[i].in;
    s.out_size *= (*geo)[i].out;
    s.kernel_size *= (*geo)[i].kernel;
  }
  if (!shape_ok) return InvalidArgument("output shape " + ShapeToString(ys) + " is wrong");
  if (c.has_input(2)) {
    if (NumElements(c.input(2).shape) != s.out_channels)
      return InvalidArgument("bias needs one value per output channel");
    s.has_bias = true;
  }
  SL_ASSIGN_OR_RETURN(s.clamp, FusedClamp(c.node));
  std::string reason;
#ifdef SL_HAVE_CUDNN
  if (!CudnnSuitsConv(c.request())) {
    reason = "cuDNN takes 2-D convolutions with symmetric pads only";
  } else if (c.cudnn == nullptr) {
    reason = "no cuDNN handle (cudnnCreate failed or no device)";
  } else {
    auto op = std::make_unique<CudnnConvOp>(s);
    Status st = op->Init(c.cudnn, xs, ws, ys);
    if (st.ok()) return std::unique_ptr<CudaOp>(std::move(op));
    reason = "cuDNN declined: " + st.message();
  }
#else
  reason = "built without cuDNN";
#endif
  bool direct = s.kernel_size == 1 && s.out_size == s.in_size;
  for (int i = 0; i < geo->rank; ++i)
    direct = direct && (*geo)[i].stride == 1 && (*geo)[i].pad_begin == 0 && (*geo)[i].pad_end == 0;
  if (direct) reason += reason.empty() ? "1x1 convolution" : "; 1x1: no im2col";
  return std::unique_ptr<CudaOp>(std::make_unique<Im2ColConvOp>(s, direct, reason));
}

}  // namespace sl::cuda

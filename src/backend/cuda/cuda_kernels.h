// Launchers of the CUDA backend's own kernels (elementwise.cu, movement.cu, reduce.cu).
//
// This header is shared by nvcc (.cu) and the host compiler (.cc), so it holds only plain structs
// and functions: no STL beyond <cstdint>, no C++20. Every launcher enqueues its work on `stream`
// and returns the launch's error (cudaGetLastError), cudaSuccess when there is nothing to do
// (empty tensors launch nothing). Element counts are int64; kernels use grid-stride loops, so any
// size that fits in device memory works. Nothing here allocates.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sl::cuda {

// Highest tensor rank the index-mapping kernels take (Supports() rejects larger ranks).
inline constexpr int kMaxRank = 8;

// Maps the linear index of an element of the iteration space (`dims`, row-major) to an element
// offset in up to four operands: offset_k = base[k] + sum_d coord_d * strides[k][d]. A stride of
// 0 broadcasts along that dim; negative strides walk backwards (Slice with negative steps).
struct IndexMap {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[4][kMaxRank] = {};
  int64_t base[4] = {};
};

enum class UnaryOp : int32_t {
  kRelu,
  kLeakyRelu,  // a = alpha
  kClip,       // a = min, b = max
  kSigmoid,
  kTanh,
  kHardSigmoid,  // a = alpha, b = beta
  kHardSwish,
  kSqrt,
  kErf,
  kExp,
  kLog,
  kNeg,
  kAbs,
};

enum class BinaryOp : int32_t { kAdd, kSub, kMul, kDiv, kPow, kMax, kMin };
enum class CompareOp : int32_t { kEqual, kLess, kGreater };
enum class ElemType : int32_t { kF32, kF16, kI8, kU8, kI16, kU16, kI32, kI64, kBool, kF64 };
enum class ReduceKind : int32_t { kSum, kMean, kMax };

// y[i] = op(x[i]) for float32, i in [0, n).
cudaError_t LaunchUnary(UnaryOp op, float a, float b, const float* x, float* y, int64_t n,
                        cudaStream_t stream);

// y[map 0] = clamp(op(a[map 1], b[map 2]), lo, hi) over `n` = prod(map.dims) float32 elements.
// The clamp is the fused activation: (-inf, inf) for none, (0, inf) for Relu; NaN passes through.
cudaError_t LaunchBinary(BinaryOp op, const IndexMap& map, int64_t n, const float* a,
                         const float* b, float* y, float lo, float hi, cudaStream_t stream);

// y[map 0] = a[map 1] OP b[map 2], y bool (one byte); a, b of `type` (kF32, kI32, kI64).
cudaError_t LaunchCompare(CompareOp op, ElemType type, const IndexMap& map, int64_t n,
                          const void* a, const void* b, bool* y, cudaStream_t stream);

// y[map 0] = cond[map 1] ? a[map 2] : b[map 3], elements of `elem_bytes` (1, 2, 4 or 8) bytes.
cudaError_t LaunchWhere(int elem_bytes, const IndexMap& map, int64_t n, const bool* cond,
                        const void* a, const void* b, void* y, cudaStream_t stream);

// y[map 0] = x[map 1] for `n` elements of `elem_bytes` (1, 2, 4 or 8) bytes: Transpose, Slice,
// Expand, Concat / Split pieces, and any other strided copy.
cudaError_t LaunchStridedCopy(int elem_bytes, const IndexMap& map, int64_t n, const void* x,
                              void* y, cudaStream_t stream);

// Gather along one axis: y[o, j, i] = x[o, idx[j] (+dim when negative), i] for o < outer,
// j < count, i < inner. An index outside [-dim, dim) writes zeros (a device kernel cannot fail).
cudaError_t LaunchGather(int elem_bytes, const void* x, const void* indices, bool indices_i64,
                         void* y, int64_t outer, int64_t count, int64_t inner, int64_t dim,
                         cudaStream_t stream);

// Element conversion with the reference Cast semantics (float -> int truncates, saturates, NaN
// gives 0; anything -> bool is "nonzero").
cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y, int64_t n,
                       cudaStream_t stream);

// QuantizeLinear: y = saturate(round_half_even(x / scale[c]) + zp[c]), y int8 or uint8;
// DequantizeLinear: y = (x - zp[c]) * scale[c], x int8 or uint8. c = (i / inner) % channels;
// `zero_point` may be null (0).
cudaError_t LaunchQuantize(const float* x, const float* scale, const void* zero_point,
                           bool y_signed, void* y, int64_t n, int64_t channels, int64_t inner,
                           cudaStream_t stream);
cudaError_t LaunchDequantize(const void* x, bool x_signed, const float* scale,
                             const void* zero_point, float* y, int64_t n, int64_t channels,
                             int64_t inner, cudaStream_t stream);

// In place: y[i] = clamp(y[i] + bias[(i / inner) % channels], lo, hi) (bias may be null: just
// the clamp). Conv bias per output channel, MatMul bias per column (inner = 1).
cudaError_t LaunchChannelBiasAct(float* y, const float* bias, int64_t n, int64_t channels,
                                 int64_t inner, float lo, float hi, cudaStream_t stream);

// In place over y [m, n]: y[i, j] = clamp(y[i, j] + beta * c[i * c_row + j * c_col], lo, hi)
// (Gemm's C broadcast to [M, N]).
cudaError_t LaunchMatrixBiasAct(float* y, const float* c, int64_t m, int64_t n, int64_t c_row,
                                int64_t c_col, float beta, float lo, float hi, cudaStream_t stream);

// y[i] = x[i] * mul[c] + add[c], c = (i / inner) % channels (BatchNormalization, inference).
cudaError_t LaunchChannelAffine(const float* x, const float* mul, const float* add, float* y,
                                int64_t n, int64_t channels, int64_t inner, cudaStream_t stream);

// Window geometry of one Conv / pool, spatial dims padded to 3 with extent 1.
struct WindowDesc {
  int rank = 0;
  int64_t in[3] = {1, 1, 1};
  int64_t out[3] = {1, 1, 1};
  int64_t kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1};
  int64_t dilation[3] = {1, 1, 1};
  int64_t pad_begin[3] = {};
  int64_t pad_end[3] = {};
};

// im2col of one image x [channels, in...] into col [channels * kernel_size, out_size] (row-major;
// padding taps read 0).
cudaError_t LaunchIm2Col(const float* x, float* col, int64_t channels, const WindowDesc& w,
                         cudaStream_t stream);

// MaxPool / AveragePool over `planes` planes (N * C), the reference semantics: max ignores
// padding (-inf for an all-padding window); average divides by the taps inside the input, or
// inside the padded input with `count_include_pad`.
cudaError_t LaunchPool(bool is_max, bool count_include_pad, const float* x, float* y,
                       int64_t planes, const WindowDesc& w, cudaStream_t stream);

// Reduction of float32 x into y. The kept dims index y (row-major, `kept` elements); for each,
// the reduced dims are walked with their own strides (`reduced` elements per output).
struct ReduceDesc {
  int kept_rank = 0;
  int64_t kept_dims[kMaxRank] = {};
  int64_t kept_strides[kMaxRank] = {};
  int reduced_rank = 0;
  int64_t reduced_dims[kMaxRank] = {};
  int64_t reduced_strides[kMaxRank] = {};
  int64_t kept = 1;
  int64_t reduced = 1;
};
cudaError_t LaunchReduce(ReduceKind kind, const ReduceDesc& d, const float* x, float* y,
                         cudaStream_t stream);

// Softmax over x viewed as [outer, n, inner] along the middle dim.
cudaError_t LaunchSoftmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                          cudaStream_t stream);

// LayerNormalization over rows of `n`: y = (x - mean) / sqrt(var + eps) * scale[j] + bias[j]
// (scale, bias of length n; bias may be null). `mean` / `inv_std` (one float per row) are written
// when non-null.
cudaError_t LaunchLayerNorm(const float* x, const float* scale, const float* bias, float* y,
                            float* mean, float* inv_std, int64_t rows, int64_t n, float epsilon,
                            cudaStream_t stream);

// BatchNormalization (inference) with per-channel parameters read on the device:
// y[i] = (x[i] - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c], c = (i / inner) % channels.
cudaError_t LaunchBatchNorm(const float* x, const float* scale, const float* bias,
                            const float* mean, const float* var, float epsilon, float* y, int64_t n,
                            int64_t channels, int64_t inner, cudaStream_t stream);

// Every launcher above as a table. The ops launch through RunContext::kernels, which is
// DeviceKernels() in the backend; the device-free tests substitute host implementations of the
// same element math (kernels/elements.cuh) to run compiled ops on host memory.
struct KernelApi {
  decltype(&::sl::cuda::LaunchUnary) LaunchUnary;
  decltype(&::sl::cuda::LaunchBinary) LaunchBinary;
  decltype(&::sl::cuda::LaunchCompare) LaunchCompare;
  decltype(&::sl::cuda::LaunchWhere) LaunchWhere;
  decltype(&::sl::cuda::LaunchStridedCopy) LaunchStridedCopy;
  decltype(&::sl::cuda::LaunchGather) LaunchGather;
  decltype(&::sl::cuda::LaunchCast) LaunchCast;
  decltype(&::sl::cuda::LaunchQuantize) LaunchQuantize;
  decltype(&::sl::cuda::LaunchDequantize) LaunchDequantize;
  decltype(&::sl::cuda::LaunchChannelBiasAct) LaunchChannelBiasAct;
  decltype(&::sl::cuda::LaunchMatrixBiasAct) LaunchMatrixBiasAct;
  decltype(&::sl::cuda::LaunchChannelAffine) LaunchChannelAffine;
  decltype(&::sl::cuda::LaunchIm2Col) LaunchIm2Col;
  decltype(&::sl::cuda::LaunchPool) LaunchPool;
  decltype(&::sl::cuda::LaunchReduce) LaunchReduce;
  decltype(&::sl::cuda::LaunchSoftmax) LaunchSoftmax;
  decltype(&::sl::cuda::LaunchLayerNorm) LaunchLayerNorm;
  decltype(&::sl::cuda::LaunchBatchNorm) LaunchBatchNorm;
};
// The launchers linked into this binary (the .cu kernels, or the weak stand-ins).
const KernelApi& DeviceKernels();

}  // namespace sl::cuda

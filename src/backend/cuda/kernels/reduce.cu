// Reduction-shaped kernels of the CUDA backend: ReduceSum / ReduceMean / ReduceMax (and the global
// pools), Softmax, LayerNormalization, MaxPool / AveragePool. Sums accumulate in float with warp
// tree reductions (the reference accumulates in double: results agree to float tolerance).
#include <cmath>

#include "backend/cuda/kernels/kernel_common.cuh"

namespace sl::cuda {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarp = 32;

__device__ __forceinline__ float WarpSum(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}
__device__ __forceinline__ float WarpMax(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v = MaxNan(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}

// One warp per output element; the warp's lanes stride over the reduced elements.
__global__ void ReduceKernel(ReduceKind kind, ReduceDesc d, const float* __restrict__ x,
                             float* __restrict__ y) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps_per_grid = int64_t{gridDim.x} * (blockDim.x / kWarp);
  for (int64_t o = blockIdx.x * int64_t{blockDim.x / kWarp} + threadIdx.x / kWarp; o < d.kept;
       o += warps_per_grid) {
    int64_t base = 0, rest = o;
    for (int k = d.kept_rank - 1; k >= 0; --k) {
      base += (rest % d.kept_dims[k]) * d.kept_strides[k];
      rest /= d.kept_dims[k];
    }
    float acc = kind == ReduceKind::kMax ? -INFINITY : 0.f;
    for (int64_t r = lane; r < d.reduced; r += kWarp) {
      int64_t off = base, rr = r;
      for (int k = d.reduced_rank - 1; k >= 0; --k) {
        off += (rr % d.reduced_dims[k]) * d.reduced_strides[k];
        rr /= d.reduced_dims[k];
      }
      const float v = x[off];
      acc = kind == ReduceKind::kMax ? MaxNan(acc, v) : acc + v;
    }
    acc = kind == ReduceKind::kMax ? WarpMax(acc) : WarpSum(acc);
    if (lane == 0) {
      if (kind == ReduceKind::kMean) acc = acc / static_cast<float>(d.reduced);
      y[o] = acc;
    }
  }
}

// One warp per softmax row (outer, inner): elements x[(o * n + j) * inner + i].
__global__ void SoftmaxKernel(const float* __restrict__ x, float* __restrict__ y, int64_t outer,
                              int64_t n, int64_t inner) {
  const int lane = threadIdx.x % kWarp;
  const int64_t rows = outer * inner;
  const int64_t warps_per_grid = int64_t{gridDim.x} * (blockDim.x / kWarp);
  for (int64_t r = blockIdx.x * int64_t{blockDim.x / kWarp} + threadIdx.x / kWarp; r < rows;
       r += warps_per_grid) {
    const int64_t o = r / inner, i = r % inner;
    const float* xr = x + o * n * inner + i;
    float* yr = y + o * n * inner + i;
    float m = -INFINITY;
    for (int64_t j = lane; j < n; j += kWarp) m = MaxNan(m, xr[j * inner]);
    m = WarpMax(m);
    float s = 0.f;
    for (int64_t j = lane; j < n; j += kWarp) s += expf(xr[j * inner] - m);
    s = WarpSum(s);
    for (int64_t j = lane; j < n; j += kWarp) yr[j * inner] = expf(xr[j * inner] - m) / s;
  }
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float BlockSum(float v, float* shared) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
  v = WarpSum(v);
  __syncthreads();  // `shared` may still be read from a previous call
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : 0.f;
  return WarpSum(v);
}

// One block per row.
__global__ void LayerNormKernel(const float* __restrict__ x, const float* __restrict__ scale,
                                const float* __restrict__ bias, float* __restrict__ y,
                                float* __restrict__ mean_out, float* __restrict__ inv_std_out,
                                int64_t rows, int64_t n, float epsilon) {
  __shared__ float shared[kWarp];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += xr[j];
    const float mean = BlockSum(s, shared) / static_cast<float>(n);
    float sq = 0.f;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const float dv = xr[j] - mean;
      sq += dv * dv;
    }
    const float inv_std = rsqrtf(BlockSum(sq, shared) / static_cast<float>(n) + epsilon);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      float v = (xr[j] - mean) * inv_std * scale[j];
      if (bias) v += bias[j];
      yr[j] = v;
    }
    if (threadIdx.x == 0) {
      if (mean_out) mean_out[r] = mean;
      if (inv_std_out) inv_std_out[r] = inv_std;
    }
  }
}

__global__ void BatchNormKernel(const float* __restrict__ x, const float* __restrict__ scale,
                                const float* __restrict__ bias, const float* __restrict__ mean,
                                const float* __restrict__ var, float epsilon, float* __restrict__ y,
                                int64_t n, int64_t channels, int64_t inner) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t c = (i / inner) % channels;
    const float m = scale[c] / sqrtf(var[c] + epsilon);
    y[i] = x[i] * m + (bias[c] - mean[c] * m);
  }
}

__global__ void PoolKernel(bool is_max, bool include_pad, const float* __restrict__ x,
                           float* __restrict__ y, int64_t planes, WindowDesc w, int64_t in_size,
                           int64_t out_size, int64_t kernel_size) {
  SL_CUDA_GRID_LOOP(i, planes * out_size) {
    y[i] = PoolValue(is_max, include_pad, x, w, in_size, out_size, kernel_size, i);
  }
}

unsigned WarpBlocks(int64_t items) {
  const int64_t per_block = kThreads / kWarp;
  int64_t b = (items + per_block - 1) / per_block;
  if (b > (int64_t{1} << 20)) b = int64_t{1} << 20;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

}  // namespace

cudaError_t LaunchReduce(ReduceKind kind, const ReduceDesc& d, const float* x, float* y,
                         cudaStream_t stream) {
  if (d.kept <= 0) return cudaSuccess;
  ReduceKernel<<<WarpBlocks(d.kept), kThreads, 0, stream>>>(kind, d, x, y);
  return cudaGetLastError();
}

cudaError_t LaunchSoftmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                          cudaStream_t stream) {
  if (outer * n * inner <= 0) return cudaSuccess;
  SoftmaxKernel<<<WarpBlocks(outer * inner), kThreads, 0, stream>>>(x, y, outer, n, inner);
  return cudaGetLastError();
}

cudaError_t LaunchLayerNorm(const float* x, const float* scale, const float* bias, float* y,
                            float* mean, float* inv_std, int64_t rows, int64_t n, float epsilon,
                            cudaStream_t stream) {
  if (rows * n <= 0) return cudaSuccess;
  const int64_t blocks = rows < (int64_t{1} << 20) ? rows : (int64_t{1} << 20);
  LayerNormKernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      x, scale, bias, y, mean, inv_std, rows, n, epsilon);
  return cudaGetLastError();
}

cudaError_t LaunchBatchNorm(const float* x, const float* scale, const float* bias,
                            const float* mean, const float* var, float epsilon, float* y, int64_t n,
                            int64_t channels, int64_t inner, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  BatchNormKernel<<<Blocks(n), kThreads, 0, stream>>>(x, scale, bias, mean, var, epsilon, y, n,
                                                      channels, inner);
  return cudaGetLastError();
}

cudaError_t LaunchPool(bool is_max, bool count_include_pad, const float* x, float* y,
                       int64_t planes, const WindowDesc& w, cudaStream_t stream) {
  int64_t kernel_size = 1, out_size = 1, in_size = 1;
  for (int d = 0; d < w.rank; ++d) {
    kernel_size *= w.kernel[d];
    out_size *= w.out[d];
    in_size *= w.in[d];
  }
  const int64_t n = planes * out_size;
  if (n <= 0) return cudaSuccess;
  PoolKernel<<<Blocks(n), kThreads, 0, stream>>>(is_max, count_include_pad, x, y, planes, w,
                                                 in_size, out_size, kernel_size);
  return cudaGetLastError();
}

}  // namespace sl::cuda

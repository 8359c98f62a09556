// Data-movement kernels of the CUDA backend: the strided copy behind Transpose / Slice / Expand /
// Concat / Split, Gather, and im2col for convolutions without cuDNN.
#include "backend/cuda/kernels/kernel_common.cuh"

namespace sl::cuda {

namespace {

template <typename T>
__global__ void StridedCopyKernel(IndexMap map, int64_t n, const T* __restrict__ x,
                                  T* __restrict__ y) {
  SL_CUDA_GRID_LOOP(i, n) {
    int64_t off[2];
    MapOffsets<2>(map, i, off);
    y[off[0]] = x[off[1]];
  }
}

template <typename T, typename I>
__global__ void GatherKernel(const T* __restrict__ x, const I* __restrict__ idx, T* __restrict__ y,
                             int64_t outer, int64_t count, int64_t inner, int64_t dim) {
  SL_CUDA_GRID_LOOP(i, outer * count * inner) {
    const int64_t src = GatherSource(idx, count, inner, dim, i);
    y[i] = src < 0 ? T{} : x[src];
  }
}

__global__ void Im2ColKernel(const float* __restrict__ x, float* __restrict__ col, int64_t channels,
                             WindowDesc w, int64_t kernel_size, int64_t out_size, int64_t in_size) {
  SL_CUDA_GRID_LOOP(i, channels * kernel_size * out_size) {
    col[i] = Im2ColValue(x, w, kernel_size, out_size, in_size, i);
  }
}

}  // namespace

cudaError_t LaunchStridedCopy(int elem_bytes, const IndexMap& map, int64_t n, const void* x,
                              void* y, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  auto launch = [&](auto tag) {
    using T = decltype(tag);
    StridedCopyKernel<<<Blocks(n), kThreads, 0, stream>>>(map, n, static_cast<const T*>(x),
                                                          static_cast<T*>(y));
  };
  return LaunchBySize(elem_bytes, launch);
}

cudaError_t LaunchGather(int elem_bytes, const void* x, const void* indices, bool indices_i64,
                         void* y, int64_t outer, int64_t count, int64_t inner, int64_t dim,
                         cudaStream_t stream) {
  const int64_t n = outer * count * inner;
  if (n <= 0) return cudaSuccess;
  auto launch = [&](auto tag) {
    using T = decltype(tag);
    if (indices_i64) {
      GatherKernel<<<Blocks(n), kThreads, 0, stream>>>(
          static_cast<const T*>(x), static_cast<const int64_t*>(indices), static_cast<T*>(y), outer,
          count, inner, dim);
    } else {
      GatherKernel<<<Blocks(n), kThreads, 0, stream>>>(
          static_cast<const T*>(x), static_cast<const int32_t*>(indices), static_cast<T*>(y), outer,
          count, inner, dim);
    }
  };
  return LaunchBySize(elem_bytes, launch);
}

cudaError_t LaunchIm2Col(const float* x, float* col, int64_t channels, const WindowDesc& w,
                         cudaStream_t stream) {
  int64_t kernel_size = 1, out_size = 1, in_size = 1;
  for (int d = 0; d < w.rank; ++d) {
    kernel_size *= w.kernel[d];
    out_size *= w.out[d];
    in_size *= w.in[d];
  }
  const int64_t n = channels * kernel_size * out_size;
  if (n <= 0) return cudaSuccess;
  Im2ColKernel<<<Blocks(n), kThreads, 0, stream>>>(x, col, channels, w, kernel_size, out_size,
                                                   in_size);
  return cudaGetLastError();
}

}  // namespace sl::cuda

// Device helpers shared by the CUDA backend's .cu files: launch geometry, index maps, and
// comparisons with std::min / std::max semantics (so NaN behaves as in the reference kernels).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/cuda_kernels.h"

namespace sl::cuda {

inline constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements (n > 0).
inline unsigned Blocks(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b > (int64_t{1} << 20)) b = int64_t{1} << 20;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

// Offset of element `i` (row-major over map.dims) in operand k.
__device__ __forceinline__ int64_t MapOffset(const IndexMap& m, int k, int64_t i) {
  int64_t off = m.base[k];
  for (int d = m.rank - 1; d >= 0; --d) {
    const int64_t dim = m.dims[d];
    const int64_t c = i % dim;
    i /= dim;
    off += c * m.strides[k][d];
  }
  return off;
}

// All operand offsets of element i in one pass over the dims.
template <int K>
__device__ __forceinline__ void MapOffsets(const IndexMap& m, int64_t i, int64_t* off) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = m.base[k];
  for (int d = m.rank - 1; d >= 0; --d) {
    const int64_t dim = m.dims[d];
    const int64_t c = i % dim;
    i /= dim;
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += c * m.strides[k][d];
  }
}

// std::max(a, b) / std::min(a, b): returns `a` when the comparison is false (NaN in a stays).
__device__ __forceinline__ float StdMax(float a, float b) { return a < b ? b : a; }
__device__ __forceinline__ float StdMin(float a, float b) { return b < a ? b : a; }
// The fused activation clamp; NaN passes through.
__device__ __forceinline__ float Clamp(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

// Numeric limits usable in device code (std::numeric_limits needs --expt-relaxed-constexpr).
template <typename T>
struct Limits;
#define SL_CUDA_LIMITS(T, lo, hi)                                  \
  template <>                                                      \
  struct Limits<T> {                                               \
    __host__ __device__ static constexpr T lowest() { return lo; } \
    __host__ __device__ static constexpr T max() { return hi; }    \
  };
SL_CUDA_LIMITS(int8_t, -128, 127)
SL_CUDA_LIMITS(uint8_t, 0, 255)
SL_CUDA_LIMITS(int16_t, -32768, 32767)
SL_CUDA_LIMITS(uint16_t, 0, 65535)
SL_CUDA_LIMITS(int32_t, -2147483647 - 1, 2147483647)
SL_CUDA_LIMITS(int64_t, -9223372036854775807LL - 1, 9223372036854775807LL)
#undef SL_CUDA_LIMITS

// Storage type of a given element size, for byte-copying kernels.
template <int kBytes>
struct Bits;
template <>
struct Bits<1> {
  using type = uint8_t;
};
template <>
struct Bits<2> {
  using type = uint16_t;
};
template <>
struct Bits<4> {
  using type = uint32_t;
};
template <>
struct Bits<8> {
  using type = uint64_t;
};

}  // namespace sl::cuda

// Device helpers shared by the CUDA backend's .cu files: launch geometry and byte-sized storage
// types; the per-element math is in elements.cuh.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/kernels/elements.cuh"

namespace sl::cuda {

inline constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements (n > 0).
inline unsigned Blocks(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b > (int64_t{1} << 20)) b = int64_t{1} << 20;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

// The grid-stride loop every elementwise kernel runs.
#define SL_CUDA_GRID_LOOP(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

// Calls launch(T{}) with the unsigned storage type of `elem_bytes` bytes (1, 2, 4 or 8), for
// kernels that only move elements, and returns the launch's error.
template <typename Launch>
cudaError_t LaunchBySize(int elem_bytes, Launch&& launch) {
  switch (elem_bytes) {
    case 1:
      launch(uint8_t{});
      break;
    case 2:
      launch(uint16_t{});
      break;
    case 4:
      launch(uint32_t{});
      break;
    case 8:
      launch(uint64_t{});
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace sl::cuda

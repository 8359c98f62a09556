// Host-side helpers of the CUDA backend: CUDA / cuBLAS / cuDNN errors as Status (naming the call
// and the library's error string), and the device memory a plan owns.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#ifdef SL_HAVE_CUDNN
#include <cudnn.h>
#endif

#include <string>
#include <vector>

#include "core/status.h"

namespace sl::cuda {

// Ok for cudaSuccess, else Internal("<call>: <error name>: <error string>").
Status CudaStatus(const char* call, cudaError_t error);
Status CublasStatus(const char* call, cublasStatus_t status);
#ifdef SL_HAVE_CUDNN
Status CudnnStatus(const char* call, cudnnStatus_t status);
#endif

// Returns from the enclosing function when a CUDA runtime call fails, naming the call.
#define SL_CUDA_RETURN_IF_ERROR(name, call) SL_RETURN_IF_ERROR(::sl::cuda::CudaStatus(name, call))
#define SL_CUBLAS_RETURN_IF_ERROR(name, call) \
  SL_RETURN_IF_ERROR(::sl::cuda::CublasStatus(name, call))
#define SL_CUDNN_RETURN_IF_ERROR(name, call) SL_RETURN_IF_ERROR(::sl::cuda::CudnnStatus(name, call))

// Device allocations that live as long as their owner (a plan's constants, a runner's arena).
// Not thread-safe; freed on the device that was current when each was made. With `host` (for
// device-free tests only) the blocks are plain host memory.
class DeviceMemory {
 public:
  explicit DeviceMemory(int device, bool host = false) : device_(device), host_(host) {}
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  ~DeviceMemory();

  // cudaMalloc of `bytes` (at least 1), naming `what` on failure.
  Result<void*> Allocate(size_t bytes, const std::string& what);
  // Allocates and copies `bytes` from the host (synchronous).
  Result<void*> Upload(const void* data, size_t bytes, const std::string& what);
  size_t bytes() const { return bytes_; }
  int device() const { return device_; }

 private:
  int device_;
  bool host_;
  size_t bytes_ = 0;
  std::vector<void*> blocks_;
};

}  // namespace sl::cuda

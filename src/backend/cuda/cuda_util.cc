#include "backend/cuda/cuda_util.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sl::cuda {

Status CudaStatus(const char* call, cudaError_t error) {
  if (error == cudaSuccess) return Status::Ok();
  return Internal(std::string(call) + ": " + cudaGetErrorName(error) + ": " +
                  cudaGetErrorString(error));
}

Status CublasStatus(const char* call, cublasStatus_t status) {
  if (status == CUBLAS_STATUS_SUCCESS) return Status::Ok();
  return Internal(std::string(call) + ": " + cublasGetStatusName(status) + ": " +
                  cublasGetStatusString(status));
}

#ifdef SL_HAVE_CUDNN
Status CudnnStatus(const char* call, cudnnStatus_t status) {
  if (status == CUDNN_STATUS_SUCCESS) return Status::Ok();
  return Internal(std::string(call) + ": " + cudnnGetErrorString(status));
}
#endif

DeviceMemory::~DeviceMemory() {
  if (blocks_.empty()) return;
  if (host_) {
    for (void* p : blocks_) std::free(p);
    return;
  }
  int previous = -1;
  const bool restore = cudaGetDevice(&previous) == cudaSuccess && previous != device_;
  if (restore) (void)cudaSetDevice(device_);
  for (void* p : blocks_) (void)cudaFree(p);
  if (restore) (void)cudaSetDevice(previous);
}

Result<void*> DeviceMemory::Allocate(size_t bytes, const std::string& what) {
  void* p = nullptr;
  if (host_) {
    p = std::aligned_alloc(256, (std::max<size_t>(bytes, 1) + 255) / 256 * 256);
    if (p == nullptr) return Internal("host allocation of " + std::to_string(bytes) + " bytes");
    blocks_.push_back(p);
    bytes_ += bytes;
    return p;
  }
  const cudaError_t e = cudaMalloc(&p, bytes == 0 ? 1 : bytes);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky-free allocation error
    return CudaStatus(("cudaMalloc of " + std::to_string(bytes) + " bytes for " + what).c_str(), e);
  }
  blocks_.push_back(p);
  bytes_ += bytes;
  return p;
}

Result<void*> DeviceMemory::Upload(const void* data, size_t bytes, const std::string& what) {
  SL_ASSIGN_OR_RETURN(void* p, Allocate(bytes, what));
  if (bytes > 0 && host_) {
    std::memcpy(p, data, bytes);
  } else if (bytes > 0) {
    SL_RETURN_IF_ERROR(CudaStatus(("cudaMemcpy of " + what).c_str(),
                                  cudaMemcpy(p, data, bytes, cudaMemcpyHostToDevice)));
    // From pageable memory cudaMemcpy may return before the DMA lands, ordered only with the
    // legacy default stream; the runners' streams are non-blocking, so wait for it here.
    SL_RETURN_IF_ERROR(CudaStatus(("cudaStreamSynchronize after uploading " + what).c_str(),
                                  cudaStreamSynchronize(cudaStreamLegacy)));
  }
  return p;
}

}  // namespace sl::cuda

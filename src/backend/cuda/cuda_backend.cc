// The CUDA backend: device discovery, buffers, Upload / Download, and Prepare (cuda_plan.h).
// On a machine without a driver or GPU, OpenCudaBackend fails with one clear line and never
// aborts.
#include <cuda_runtime_api.h>

#include <cstring>

#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_plan.h"
#include "backend/cuda/cuda_support.h"
#include "backend/registry.h"

namespace sl {

namespace {

using cuda::CudaBuffer;
using cuda::CudaStatus;

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, DeviceInfo info) : device_(device), info_(std::move(info)) {}
  const DeviceInfo& device() const override { return info_; }
  NodeSupport Supports(const KernelRequest& request) const override {
    return cuda::SupportsNode(request);
  }
  Result<std::shared_ptr<const DevicePlan>> Prepare(const Graph& graph,
                                                    const PrepareOptions& options) const override {
    return cuda::PrepareCudaPlan(device_, graph, options);
  }
  Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) const override {
    if (bytes > static_cast<size_t>(kMaxTensorBytes))
      return InvalidArgument(Label() + " buffer of " + std::to_string(bytes) +
                             " bytes: above the limit");
    SL_RETURN_IF_ERROR(CudaStatus("cudaSetDevice", cudaSetDevice(device_)).WithContext(Label()));
    const size_t size = bytes == 0 ? 1 : bytes;
    if (info_.unified_memory) {
      // Integrated GPU: mapped pinned host memory, addressable by both sides without a copy.
      void* host = nullptr;
      void* dev = nullptr;
      cudaError_t e = cudaHostAlloc(&host, size, cudaHostAllocMapped);
      if (e == cudaSuccess) e = cudaHostGetDevicePointer(&dev, host, 0);
      if (e == cudaSuccess)
        return std::unique_ptr<DeviceBuffer>(
            std::make_unique<CudaBuffer>(device_, dev, host, bytes));
      if (host) (void)cudaFreeHost(host);
      (void)cudaGetLastError();
      // Fall back to device memory below.
    }
    void* dev = nullptr;
    const cudaError_t e = cudaMalloc(&dev, size);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      return CudaStatus(("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str(), e)
          .WithContext(Label());
    }
    return std::unique_ptr<DeviceBuffer>(
        std::make_unique<CudaBuffer>(device_, dev, nullptr, bytes));
  }
  Status Upload(const void* src, size_t bytes, DeviceBuffer& dst) const override {
    auto* b = dynamic_cast<CudaBuffer*>(&dst);
    if (b == nullptr || b->device() != device_)
      return InvalidArgument(Label() + " upload: the buffer is not on this device");
    if (b->bytes() < bytes) return InvalidArgument(Label() + " upload: buffer too small");
    if (bytes == 0) return Status::Ok();
    if (b->host_data()) {
      std::memcpy(b->host_data(), src, bytes);
      return Status::Ok();
    }
    SL_RETURN_IF_ERROR(CudaStatus("cudaSetDevice", cudaSetDevice(device_)).WithContext(Label()));
    SL_RETURN_IF_ERROR(CudaStatus("cudaMemcpy (upload)",
                                  cudaMemcpy(b->device_ptr(), src, bytes, cudaMemcpyHostToDevice))
                           .WithContext(Label()));
    // From pageable memory cudaMemcpy may return before the DMA lands, ordered only with the
    // legacy default stream; runners use non-blocking streams, so wait for it here.
    return CudaStatus("cudaStreamSynchronize (upload)", cudaStreamSynchronize(cudaStreamLegacy))
        .WithContext(Label());
  }
  Status Download(const DeviceBuffer& src, void* dst, size_t bytes) const override {
    const auto* b = dynamic_cast<const CudaBuffer*>(&src);
    if (b == nullptr || b->device() != device_)
      return InvalidArgument(Label() + " download: the buffer is not on this device");
    if (b->bytes() < bytes) return InvalidArgument(Label() + " download: buffer too small");
    if (bytes == 0) return Status::Ok();
    if (b->host_data()) {
      std::memcpy(dst, b->host_data(), bytes);
      return Status::Ok();
    }
    SL_RETURN_IF_ERROR(CudaStatus("cudaSetDevice", cudaSetDevice(device_)).WithContext(Label()));
    return CudaStatus("cudaMemcpy (download)",
                      cudaMemcpy(dst, b->device_ptr(), bytes, cudaMemcpyDeviceToHost))
        .WithContext(Label());
  }

 private:
  std::string Label() const { return "cuda:" + std::to_string(device_); }

  int device_;
  DeviceInfo info_;
};

}  // namespace

Result<std::shared_ptr<Backend>> OpenCudaBackend(int index) {
  const std::string label = "cuda:" + std::to_string(index);
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return Unsupported(label + ": no CUDA device (cudaGetDeviceCount: " +
                       std::string(cudaGetErrorString(e)) + ")");
  }
  if (count == 0) return Unsupported(label + ": no CUDA device (cudaGetDeviceCount: 0 devices)");
  if (index < 0 || index >= count)
    return Unsupported(label + ": no such device (" + std::to_string(count) + " CUDA device" +
                       (count == 1 ? "" : "s") + " found)");
  cudaDeviceProp prop{};
  SL_RETURN_IF_ERROR(CudaStatus("cudaGetDeviceProperties", cudaGetDeviceProperties(&prop, index))
                         .WithContext(label));
  DeviceInfo info;
  info.backend = "cuda";
  info.name = prop.name;
  info.unified_memory = prop.integrated != 0;
  info.host_buffers = info.unified_memory;  // integrated GPUs: mapped pinned host buffers
  info.memory_bytes = prop.totalGlobalMem;
  return std::shared_ptr<Backend>(std::make_shared<CudaBackend>(index, std::move(info)));
}

}  // namespace sl

// The OpenCL objects one backend owns (context, in-order queue, built program) and the helpers
// that turn OpenCL error codes into Status messages. Internal to src/backend/opencl/.
//
// Thread safety: every member is set once at creation. OpenCL allows concurrent enqueues on one
// queue; cl_kernel objects are never shared (each runner creates its own).
#pragma once

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <memory>
#include <string>

#include "backend/backend.h"

namespace sl::opencl {

// "CL_OUT_OF_RESOURCES (-5)".
std::string ErrorName(cl_int code);
// kInternal: "opencl: <call> failed[ for <what>]: <error name>".
Status ClError(const std::string& call, cl_int code, const std::string& what = "");

struct Device {
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device();

  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  size_t base_align = 128;  // bytes: sub-buffer offsets must be multiples of this
  DeviceInfo info;
};

// Opens device `index` counted over all platforms in order: context, queue, program built from
// KernelSource(). A build failure reports the build log on one line.
Result<std::shared_ptr<const Device>> OpenDevice(int index);

// Device memory of one backend.
class Buffer final : public DeviceBuffer {
 public:
  Buffer(std::shared_ptr<const Device> device, cl_mem mem, size_t bytes)
      : device_(std::move(device)), mem_(mem), bytes_(bytes) {}
  ~Buffer() override {
    if (mem_) clReleaseMemObject(mem_);
  }
  size_t bytes() const override { return bytes_; }
  cl_mem mem() const { return mem_; }
  const Device* device() const { return device_.get(); }

 private:
  std::shared_ptr<const Device> device_;
  cl_mem mem_;
  size_t bytes_;
};

}  // namespace sl::opencl

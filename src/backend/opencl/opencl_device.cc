// Device discovery, context / queue / program creation and OpenCL error names.
#include "backend/opencl/opencl_device.h"

#include <vector>

#include "backend/opencl/opencl_lower.h"

namespace sl::opencl {

namespace {

const char* ErrorText(cl_int code) {
  switch (code) {
#define SL_CL_ERROR(name) \
  case name:              \
    return #name;
    SL_CL_ERROR(CL_SUCCESS)
    SL_CL_ERROR(CL_DEVICE_NOT_FOUND)
    SL_CL_ERROR(CL_DEVICE_NOT_AVAILABLE)
    SL_CL_ERROR(CL_COMPILER_NOT_AVAILABLE)
    SL_CL_ERROR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    SL_CL_ERROR(CL_OUT_OF_RESOURCES)
    SL_CL_ERROR(CL_OUT_OF_HOST_MEMORY)
    SL_CL_ERROR(CL_PROFILING_INFO_NOT_AVAILABLE)
    SL_CL_ERROR(CL_MEM_COPY_OVERLAP)
    SL_CL_ERROR(CL_IMAGE_FORMAT_MISMATCH)
    SL_CL_ERROR(CL_IMAGE_FORMAT_NOT_SUPPORTED)
    SL_CL_ERROR(CL_BUILD_PROGRAM_FAILURE)
    SL_CL_ERROR(CL_MAP_FAILURE)
    SL_CL_ERROR(CL_MISALIGNED_SUB_BUFFER_OFFSET)
    SL_CL_ERROR(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    SL_CL_ERROR(CL_COMPILE_PROGRAM_FAILURE)
    SL_CL_ERROR(CL_LINKER_NOT_AVAILABLE)
    SL_CL_ERROR(CL_LINK_PROGRAM_FAILURE)
    SL_CL_ERROR(CL_DEVICE_PARTITION_FAILED)
    SL_CL_ERROR(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    SL_CL_ERROR(CL_INVALID_VALUE)
    SL_CL_ERROR(CL_INVALID_DEVICE_TYPE)
    SL_CL_ERROR(CL_INVALID_PLATFORM)
    SL_CL_ERROR(CL_INVALID_DEVICE)
    SL_CL_ERROR(CL_INVALID_CONTEXT)
    SL_CL_ERROR(CL_INVALID_QUEUE_PROPERTIES)
    SL_CL_ERROR(CL_INVALID_COMMAND_QUEUE)
    SL_CL_ERROR(CL_INVALID_HOST_PTR)
    SL_CL_ERROR(CL_INVALID_MEM_OBJECT)
    SL_CL_ERROR(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    SL_CL_ERROR(CL_INVALID_IMAGE_SIZE)
    SL_CL_ERROR(CL_INVALID_SAMPLER)
    SL_CL_ERROR(CL_INVALID_BINARY)
    SL_CL_ERROR(CL_INVALID_BUILD_OPTIONS)
    SL_CL_ERROR(CL_INVALID_PROGRAM)
    SL_CL_ERROR(CL_INVALID_PROGRAM_EXECUTABLE)
    SL_CL_ERROR(CL_INVALID_KERNEL_NAME)
    SL_CL_ERROR(CL_INVALID_KERNEL_DEFINITION)
    SL_CL_ERROR(CL_INVALID_KERNEL)
    SL_CL_ERROR(CL_INVALID_ARG_INDEX)
    SL_CL_ERROR(CL_INVALID_ARG_VALUE)
    SL_CL_ERROR(CL_INVALID_ARG_SIZE)
    SL_CL_ERROR(CL_INVALID_KERNEL_ARGS)
    SL_CL_ERROR(CL_INVALID_WORK_DIMENSION)
    SL_CL_ERROR(CL_INVALID_WORK_GROUP_SIZE)
    SL_CL_ERROR(CL_INVALID_WORK_ITEM_SIZE)
    SL_CL_ERROR(CL_INVALID_GLOBAL_OFFSET)
    SL_CL_ERROR(CL_INVALID_EVENT_WAIT_LIST)
    SL_CL_ERROR(CL_INVALID_EVENT)
    SL_CL_ERROR(CL_INVALID_OPERATION)
    SL_CL_ERROR(CL_INVALID_GL_OBJECT)
    SL_CL_ERROR(CL_INVALID_BUFFER_SIZE)
    SL_CL_ERROR(CL_INVALID_MIP_LEVEL)
    SL_CL_ERROR(CL_INVALID_GLOBAL_WORK_SIZE)
    SL_CL_ERROR(CL_INVALID_PROPERTY)
    SL_CL_ERROR(CL_INVALID_IMAGE_DESCRIPTOR)
    SL_CL_ERROR(CL_INVALID_COMPILER_OPTIONS)
    SL_CL_ERROR(CL_INVALID_LINKER_OPTIONS)
    SL_CL_ERROR(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef SL_CL_ERROR
    case -1001:
      return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
      return "unknown OpenCL error";
  }
}

std::string PlatformString(cl_platform_id p, cl_platform_info what) {
  size_t size = 0;
  if (clGetPlatformInfo(p, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "?";
  std::string s(size, '\0');
  clGetPlatformInfo(p, what, size, s.data(), nullptr);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

std::string DeviceString(cl_device_id d, cl_device_info what) {
  size_t size = 0;
  if (clGetDeviceInfo(d, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "?";
  std::string s(size, '\0');
  clGetDeviceInfo(d, what, size, s.data(), nullptr);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

struct Found {
  cl_platform_id platform;
  cl_device_id device;
  std::string name;
};

Result<std::vector<Found>> ListDevices() {
  cl_uint num_platforms = 0;
  cl_int err = clGetPlatformIDs(0, nullptr, &num_platforms);
  if (err == -1001 || (err == CL_SUCCESS && num_platforms == 0))
    return Unsupported("opencl: no OpenCL platform found (is an ICD such as PoCL installed?)");
  if (err != CL_SUCCESS) return ClError("clGetPlatformIDs", err);
  std::vector<cl_platform_id> platforms(num_platforms);
  err = clGetPlatformIDs(num_platforms, platforms.data(), nullptr);
  if (err != CL_SUCCESS) return ClError("clGetPlatformIDs", err);
  std::vector<Found> out;
  for (cl_platform_id p : platforms) {
    cl_uint n = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &n) != CL_SUCCESS || n == 0) continue;
    std::vector<cl_device_id> devices(n);
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, devices.data(), nullptr) != CL_SUCCESS) continue;
    for (cl_device_id d : devices)
      out.push_back(
          {p, d, PlatformString(p, CL_PLATFORM_NAME) + ": " + DeviceString(d, CL_DEVICE_NAME)});
  }
  return out;
}

// The build log on one line.
std::string BuildLog(cl_program program, cl_device_id device) {
  size_t size = 0;
  clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size);
  std::string log(size, '\0');
  if (size) clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr);
  std::string line;
  for (char c : log) {
    if (c == '\0') break;
    if (c == '\n' || c == '\r') c = ' ';
    if (c == ' ' && !line.empty() && line.back() == ' ') continue;
    line.push_back(c);
  }
  if (line.size() > 2000) line = line.substr(0, 2000) + "...";
  return line;
}

}  // namespace

std::string ErrorName(cl_int code) {
  return std::string(ErrorText(code)) + " (" + std::to_string(code) + ")";
}

Status ClError(const std::string& call, cl_int code, const std::string& what) {
  return Internal("opencl: " + call + " failed" + (what.empty() ? "" : " for " + what) + ": " +
                  ErrorName(code));
}

Device::~Device() {
  if (program) clReleaseProgram(program);
  if (queue) clReleaseCommandQueue(queue);
  if (context) clReleaseContext(context);
}

Result<std::shared_ptr<const Device>> OpenDevice(int index) {
  SL_ASSIGN_OR_RETURN(std::vector<Found> found, ListDevices());
  if (index < 0 || index >= static_cast<int>(found.size())) {
    std::string list;
    for (size_t i = 0; i < found.size(); ++i)
      list += (i ? ", " : "") + std::to_string(i) + " = '" + found[i].name + "'";
    return InvalidArgument("opencl:" + std::to_string(index) + ": no such OpenCL device (" +
                           std::to_string(found.size()) + " found" +
                           (list.empty() ? "" : ": " + list) + ")");
  }
  auto dev = std::make_shared<Device>();
  dev->platform = found[index].platform;
  dev->device = found[index].device;
  const std::string where = "device '" + found[index].name + "'";
  cl_int err = CL_SUCCESS;
  dev->context = clCreateContext(nullptr, 1, &dev->device, nullptr, nullptr, &err);
  if (err != CL_SUCCESS) return ClError("clCreateContext", err, where);
  dev->queue = clCreateCommandQueue(dev->context, dev->device, 0, &err);
  if (err != CL_SUCCESS) return ClError("clCreateCommandQueue", err, where);

  cl_bool unified = CL_FALSE;
  cl_ulong mem = 0;
  cl_uint align_bits = 1024;
  cl_device_fp_config fp = 0;
  clGetDeviceInfo(dev->device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, nullptr);
  clGetDeviceInfo(dev->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, nullptr);
  clGetDeviceInfo(dev->device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits,
                  nullptr);
  clGetDeviceInfo(dev->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, nullptr);
  dev->base_align = std::max<size_t>(64, align_bits / 8);
  dev->info = {"opencl", found[index].name, unified == CL_TRUE, static_cast<size_t>(mem)};

  const std::string source = KernelSource();
  const char* src = source.c_str();
  const size_t len = source.size();
  dev->program = clCreateProgramWithSource(dev->context, 1, &src, &len, &err);
  if (err != CL_SUCCESS) return ClError("clCreateProgramWithSource", err, where);
  // Correctly rounded division keeps QuantizeLinear's rounding identical to the reference.
  std::string options = "-cl-std=CL1.2";
  if (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT)
    options += " -cl-fp32-correctly-rounded-divide-sqrt";
  err = clBuildProgram(dev->program, 1, &dev->device, options.c_str(), nullptr, nullptr);
  if (err != CL_SUCCESS)
    return Internal("opencl: clBuildProgram failed for " + where + ": " + ErrorName(err) + ": " +
                    BuildLog(dev->program, dev->device));
  return std::shared_ptr<const Device>(std::move(dev));
}

}  // namespace sl::opencl

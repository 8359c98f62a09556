#include "backend/backend.h"

#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "backend/registry.h"

namespace sl {

bool ZeroCopyHandoff(const Backend& from, const Backend& to) {
  return from.device().host_buffers && to.device().host_buffers;
}

Status Handoff(const Backend& from, const DeviceBuffer& src, const Backend& to, DeviceBuffer& dst,
               size_t bytes) {
  if (src.bytes() < bytes || dst.bytes() < bytes)
    return InvalidArgument("hand-off of " + std::to_string(bytes) + " bytes from " +
                           from.device().name + " to " + to.device().name +
                           ": a buffer is smaller than that");
  if (bytes == 0) return Status::Ok();
  if (void* d = dst.host_data()) {
    if (const void* s = src.host_data()) {
      if (s != d) std::memcpy(d, s, bytes);
      return Status::Ok();
    }
    return from.Download(src, d, bytes);
  }
  if (const void* s = src.host_data()) return to.Upload(s, bytes, dst);
  std::vector<char> staging(bytes);  // device to device across backends: through the host
  SL_RETURN_IF_ERROR(from.Download(src, staging.data(), bytes));
  return to.Upload(staging.data(), bytes, dst);
}

namespace {

Result<std::shared_ptr<Backend>> OpenBackendUncached(const std::string& name) {
  const size_t colon = name.find(':');
  const std::string kind = name.substr(0, colon);
  int index = 0;
  if (colon != std::string::npos) {
    const std::string num = name.substr(colon + 1);
    if (num.empty() || num.size() > 3 || num.find_first_not_of("0123456789") != std::string::npos)
      return InvalidArgument("backend '" + name + "': the device index must be a small number");
    index = std::stoi(num);
  }
  (void)index;  // unused when no GPU backend is built
  if (kind == "cpu") {
    if (colon != std::string::npos)
      return InvalidArgument("backend '" + name + "': the cpu backend takes no device index");
    return OpenCpuBackend();
  }
  if (kind == "opencl") {
#ifdef SL_HAVE_OPENCL
    return OpenOpenClBackend(index);
#else
    return Unsupported("backend '" + name +
                       "': this build has no OpenCL backend (OpenCL headers not found)");
#endif
  }
  if (kind == "cuda") {
#ifdef SL_HAVE_CUDA
    return OpenCudaBackend(index);
#else
    return Unsupported("backend '" + name +
                       "': this build has no CUDA backend (CUDA toolkit not found)");
#endif
  }
  return InvalidArgument("backend '" + name + "': unknown (expected cpu, opencl[:N] or cuda[:N])");
}

}  // namespace

Result<std::shared_ptr<Backend>> OpenBackend(const std::string& name) {
  // One instance per name for the whole process (device contexts are expensive). Never destroyed:
  // drivers may already be gone when static destructors run.
  static std::mutex* mu = new std::mutex;
  static auto* opened = new std::map<std::string, std::shared_ptr<Backend>>;
  std::lock_guard<std::mutex> lock(*mu);
  if (auto it = opened->find(name); it != opened->end()) return it->second;
  SL_ASSIGN_OR_RETURN(std::shared_ptr<Backend> backend, OpenBackendUncached(name));
  (*opened)[name] = backend;
  return backend;
}

std::vector<std::string> BuiltBackends() {
  std::vector<std::string> out{"cpu"};
#ifdef SL_HAVE_OPENCL
  out.push_back("opencl");
#endif
#ifdef SL_HAVE_CUDA
  out.push_back("cuda");
#endif
  return out;
}

Status CheckHostTensors(std::span<const TensorView> given, const std::vector<TensorInfo>& want,
                        const char* what) {
  if (given.size() != want.size())
    return InvalidArgument(std::string(what) + ": " + std::to_string(given.size()) +
                           " tensors given, the plan has " + std::to_string(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    if (given[i].dtype != want[i].dtype)
      return InvalidArgument(std::string(what) + " '" + want[i].name + "': dtype " +
                             std::string(DTypeName(given[i].dtype)) + ", the plan expects " +
                             std::string(DTypeName(want[i].dtype)));
    if (!std::equal(given[i].shape.begin(), given[i].shape.end(), want[i].shape.begin(),
                    want[i].shape.end()))
      return InvalidArgument(std::string(what) + " '" + want[i].name + "': shape " +
                             ShapeToString(given[i].shape) + ", the plan expects " +
                             ShapeToString(want[i].shape));
  }
  return Status::Ok();
}

}  // namespace sl

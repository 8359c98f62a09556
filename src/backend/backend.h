// The backend interface that every kind of processor implements: the CPU (exec/ Plan with our
// dense, sparse and INT8 kernels), OpenCL devices (backend/opencl/) and CUDA devices
// (backend/cuda/).
//
// Life cycle, as for the CPU executor: Backend::Prepare compiles a graph or a segment of one into
// an immutable DevicePlan (kernels chosen per node, weights uploaded once); each thread that runs
// it makes its own SegmentRunner (DevicePlan::NewRunner), whose Run allocates nothing.
//
// Memory: a DeviceBuffer lives in one backend's memory. Run takes buffers of the plan's own
// backend; RunHost takes host tensors and moves them in and out (what a hand-off through host
// memory costs, and nothing where the device shares host memory). Handoff moves a buffer between
// two backends without a copy when both sides can address the same memory.
//
// Thread safety: Backend and DevicePlan are immutable after creation and safe to share; a
// SegmentRunner belongs to one thread at a time.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "exec/plan.h"
#include "exec/prepare.h"
#include "kernels/kernel.h"

namespace sl {

struct DeviceInfo {
  std::string backend;          // "cpu", "opencl", "cuda"
  std::string name;             // the device as its driver names it
  bool unified_memory = false;  // the device shares physical memory with the host
  size_t memory_bytes = 0;      // device memory, 0 if unknown
  bool host_buffers = false;    // Allocate() gives buffers the host addresses (host_data())
};

// Whether a backend runs one node, and why not when it does not.
struct NodeSupport {
  bool supported = false;
  std::string reason;
  static NodeSupport Yes() { return {true, ""}; }
  static NodeSupport No(std::string why) { return {false, std::move(why)}; }
};

// Memory on one device.
class DeviceBuffer {
 public:
  virtual ~DeviceBuffer() = default;
  virtual size_t bytes() const = 0;
  // Host address of the contents where the host can read and write them directly, else nullptr.
  virtual void* host_data() const { return nullptr; }
};

// Per-thread execution state of one DevicePlan.
class SegmentRunner {
 public:
  virtual ~SegmentRunner() = default;
  // `inputs` / `outputs` follow the plan's inputs() / outputs(), are buffers of the plan's backend
  // and at least as large as those tensors. Allocates nothing.
  [[nodiscard]] virtual Status Run(std::span<DeviceBuffer* const> inputs,
                                   std::span<DeviceBuffer* const> outputs) = 0;
  // Host tensors in and out, with exactly the plan's dtypes and shapes (checked, naming the
  // tensor). Moves them through buffers this runner owns; allocates nothing after the first call.
  [[nodiscard]] virtual Status RunHost(std::span<const TensorView> inputs,
                                       std::span<const TensorView> outputs) = 0;
};

class DevicePlan {
 public:
  virtual ~DevicePlan() = default;
  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;
  // Bytes of weights (constants) the plan holds on its device.
  virtual size_t constant_bytes() const = 0;
  // Per node: the kernel that runs it and why (as Plan::steps()).
  virtual const std::vector<StepInfo>& steps() const = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<SegmentRunner>> NewRunner() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const DeviceInfo& device() const = 0;
  // Whether this backend can run `request.node` with its bound shapes, dtypes and constants.
  virtual NodeSupport Supports(const KernelRequest& request) const = 0;
  // Compiles `graph` (its subgraph between options.inputs and options.outputs) for this device.
  // Fails naming the first node it cannot run, with Supports()'s reason.
  [[nodiscard]] virtual Result<std::shared_ptr<const DevicePlan>> Prepare(
      const Graph& graph, const PrepareOptions& options) const = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) const = 0;
  [[nodiscard]] virtual Status Upload(const void* src, size_t bytes, DeviceBuffer& dst) const = 0;
  [[nodiscard]] virtual Status Download(const DeviceBuffer& src, void* dst,
                                        size_t bytes) const = 0;
};

// Moves `bytes` from `src` (on `from`) into `dst` (on `to`). Where either buffer is
// host-addressable this is one upload or download; otherwise it goes through host memory.
[[nodiscard]] Status Handoff(const Backend& from, const DeviceBuffer& src, const Backend& to,
                             DeviceBuffer& dst, size_t bytes);
// True when a hand-off from `from` to `to` needs no copy between devices: both backends' buffers
// are host-addressable, so a stage can read the previous one's output where it lies.
bool ZeroCopyHandoff(const Backend& from, const Backend& to);

// Opens a backend by name: "cpu", "opencl" or "opencl:N" (device N over all platforms),
// "cuda" or "cuda:N"; one shared instance per name for the life of the process. Threads come from PrepareOptions::num_threads. Fails with the reason when
// the backend was not built into this binary or the device does not exist.
[[nodiscard]] Result<std::shared_ptr<Backend>> OpenBackend(const std::string& name);
// Backends compiled into this binary ("cpu" always).
std::vector<std::string> BuiltBackends();

// The CPU backend's DevicePlan around an exec/ Plan (no copy).
std::shared_ptr<const DevicePlan> WrapCpuPlan(std::shared_ptr<const Plan> plan);

// Checks host tensors against a plan's tensor list (count, dtype, shape), naming the mismatch.
[[nodiscard]] Status CheckHostTensors(std::span<const TensorView> given,
                                      const std::vector<TensorInfo>& want, const char* what);

}  // namespace sl

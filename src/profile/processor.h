// Processors: a CPU core set plus a thread count, with threads pinned to them, or a device of a
// GPU backend (backend/backend.h) driven from one unpinned host thread.
//
// Names: "cpu" followed by the core ids as single digits ("cpu0", "cpu1", "cpu01": cores 0 and 1
// with 2 threads), or "cpu[0,1,12]" for multi-digit ids; the thread count is the number of cores.
// "oclN" is OpenCL device N (backend "opencl:N"), "cudaN" is CUDA device N (backend "cuda:N").
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace sl {

struct ProcessorSpec {
  std::string name;
  std::vector<int> cores;  // empty: not pinned (device processors)
  int threads = 1;
  std::string backend = "cpu";  // OpenBackend() name: "cpu", "opencl:N", "cuda:N"
  std::string device;           // what measured it (DeviceInfo::name), filled by the profiler
  bool is_cpu() const { return backend == "cpu"; }
};

// Parses one processor name; fails naming it when malformed or when a core is not usable by
// this process (outside its affinity mask).
[[nodiscard]] Result<ProcessorSpec> ParseProcessor(const std::string& name);
// Comma-separated list.
[[nodiscard]] Result<std::vector<ProcessorSpec>> ParseProcessors(const std::string& list);
// One processor per usable core plus, with 2 or more cores, one over all of them.
std::vector<ProcessorSpec> DefaultProcessors();
// Opens each processor's backend and records its device name in `device`. Fails naming the
// processor when its backend is not built or its device is missing.
[[nodiscard]] Status ResolveDevices(std::vector<ProcessorSpec>& processors);
// Cores this process may run on.
std::vector<int> UsableCores();

// Pins the calling thread to `cores` (sched_setaffinity); no-op for an empty set. Fails naming
// the cores.
[[nodiscard]] Status PinCurrentThread(const std::vector<int>& cores);

// Runs `fn` on a new thread pinned to `cores` and waits for it. The new thread starts without an
// OpenMP team, so teams it creates inherit its affinity.
[[nodiscard]] Status RunPinned(const std::vector<int>& cores, const std::function<Status()>& fn);

}  // namespace sl

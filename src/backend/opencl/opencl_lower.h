// Lowering of graph nodes to OpenCL kernel launches, shared by OpenClBackend::Supports (which
// lowers into a throwaway list and reports the reason) and Prepare (which keeps the launches).
//
// A node becomes zero or more Launches. Their arguments name graph values (resolved per runner
// to the arena, a plan constant or a plan input), plan-owned buffers built here from host tensors
// (parameter arrays, re-laid-out constants), scalars, or null. Nothing here touches OpenCL, so the
// lowering is testable and runs without a device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "kernels/kernel.h"

namespace sl::opencl {

struct LaunchArg {
  enum class Kind { kValue, kBuffer, kInt, kFloat, kNull };
  Kind kind = Kind::kNull;
  int index = -1;  // kValue: value id; kBuffer: index into Lowering::buffers
  int32_t i = 0;
  float f = 0.f;
};

struct Launch {
  std::string kernel;  // __kernel function name in KernelSource()
  std::vector<LaunchArg> args;
  size_t global[3] = {1, 1, 1};
  unsigned dims = 1;
};

// The launches and plan-owned host data of the nodes lowered so far.
struct Lowering {
  std::vector<Launch> launches;
  std::vector<Tensor> buffers;         // uploaded once at prepare, read-only afterwards
  std::vector<bool> buffer_is_weight;  // counted in constant_bytes (parameter arrays are not)
};

// Ops whose output is their input reinterpreted (Reshape, Flatten, Squeeze, Unsqueeze,
// Identity): they run as aliases of their input's storage when the dtypes agree.
bool IsAliasOp(OpType op);

// Appends the launches of `request.node` (a node of a prepared graph: dtypes, shapes and
// constants bound) to `out`. Fails with kUnsupported and a reason ("Conv: float16 is not
// supported by the opencl backend") for what the backend does not run.
[[nodiscard]] Status LowerNode(const KernelRequest& request, Lowering& out);

// The OpenCL C source of every kernel (opencl_sources.cc).
std::string KernelSource();

}  // namespace sl::opencl

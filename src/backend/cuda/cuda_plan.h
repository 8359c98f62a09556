// The CUDA backend's DevicePlan, SegmentRunner and DeviceBuffer.
//
// Prepare (CudaPlan::Create): PrepareCudaGraph (device-free: passes + SupportsNode), then on the
// device: 1. upload every constant a step reads, once; 2. compile each node into a CudaOp
// (reshape-like nodes become aliases of their input's memory); 3. plan one activation arena
// over step lifetimes (exec/memory_planner.h) and size the largest scratch any op needs.
// Run (CudaRunner): each runner owns a non-blocking stream, a cuBLAS and a cuDNN handle, its
// arena and scratch (all made in NewRunner), and enqueues every step on its stream; it
// synchronizes once at the end. RunHost stages through pinned buffers made on its first call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_ops.h"

namespace sl::cuda {

// A buffer on one CUDA device: cudaMalloc memory, or on an integrated GPU (Jetson) mapped pinned
// host memory that the host can read and write directly (host_data() non-null).
class CudaBuffer final : public DeviceBuffer {
 public:
  CudaBuffer(int device, void* device_ptr, void* host_ptr, size_t bytes)
      : device_(device), device_ptr_(device_ptr), host_ptr_(host_ptr), bytes_(bytes) {}
  ~CudaBuffer() override;
  size_t bytes() const override { return bytes_; }
  void* host_data() const override { return host_ptr_; }
  void* device_ptr() const { return device_ptr_; }
  int device() const { return device_; }

 private:
  int device_;
  void* device_ptr_;
  void* host_ptr_;  // non-null: pinned mapped host memory (freed with cudaFreeHost)
  size_t bytes_;
};

// Where every value of a prepared graph lives during a run (device-free; CudaPlan uses it and the
// host-emulation tests run graphs through it):
//   1. reshape-like nodes become aliases: their output shares its root value's storage;
//   2. the other nodes are the steps, in graph order;
//   3. constants a step or an output reads are kConstant (uploaded once), graph inputs kInput;
//   4. values the steps produce get arena offsets from PlanMemory over step lifetimes (graph
//      outputs live to the end), so values share bytes only when their lifetimes are disjoint.
struct CudaLayout {
  enum class SlotKind { kNone, kArena, kConstant, kInput };
  struct Slot {
    SlotKind kind = SlotKind::kNone;
    size_t offset = 0;  // kArena: arena offset; kInput: input index
  };
  std::vector<Slot> slots;    // per value id (aliases carry their root's slot)
  std::vector<int> root;      // per value id: the value owning its storage
  std::vector<size_t> steps;  // indices into graph.nodes of the nodes that run
  size_t arena_bytes = 0;
};
[[nodiscard]] Result<CudaLayout> PlanCudaLayout(const Graph& graph);

[[nodiscard]] Result<std::shared_ptr<const DevicePlan>> PrepareCudaPlan(
    int device, const Graph& graph, const PrepareOptions& options);

}  // namespace sl::cuda

// Helpers shared by the oneDNN-backed dense kernels: the CPU engine, fused activations, error
// conversion, scratch layout and allocation-free primitive execution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "kernels/kernel.h"
#include "kernels/ref/activation_util.h"

namespace sl::dense {

// The process-wide CPU engine (created on first use; throws dnnl::error if that fails, so call
// it inside a try block).
const dnnl::engine& CpuEngine();

// Appends the eltwise post-op of a fused activation (nothing for kNone). The activation itself is
// parsed by the shared FusedActivation::FromNode (kernels/ref/activation_util.h).
void AppendActivation(const FusedActivation& act, dnnl::post_ops& ops);

// "<file>: node 'n' (Op)" for messages about the node of `req`.
std::string DescribeNode(const KernelRequest& req);
// Unsupported("<node>: oneDNN: <what>: <e.what()>").
Status FromDnnlError(const KernelRequest& req, const char* what, const std::exception& e);

// Carves 64-byte aligned regions out of one scratch buffer.
class ScratchLayout {
 public:
  // Reserves `bytes` and returns the region's offset.
  size_t Add(size_t bytes) {
    const size_t offset = total_;
    total_ += (bytes + 63) / 64 * 64;
    return offset;
  }
  size_t total() const { return total_; }

 private:
  size_t total_ = 0;
};
inline void* At(void* base, size_t offset) { return static_cast<char*>(base) + offset; }

// One primitive with its prebuilt argument array (per execution context).
struct BoundPrimitive {
  dnnl_primitive_t primitive = nullptr;  // owned by the kernel
  std::vector<dnnl_exec_arg_t> args;     // memory handles owned by the state
  void Add(int arg, const dnnl::memory& mem) { args.push_back({arg, mem.get()}); }
};

// Sets the OpenMP thread count of the calling thread (oneDNN's CPU runtime is OpenMP).
void SetNumThreads(int num_threads);
// Executes `p` on `stream` and waits; no allocation on our side. Returns Internal on failure.
Status Run(const BoundPrimitive& p, const dnnl::stream& stream);
// Points `mem` at `data` (our tensors are never written through const views by oneDNN).
inline void Bind(const dnnl::memory& mem, const void* data) {
  mem.set_data_handle(const_cast<void*>(data));
}

// Dims of a row-major tensor as oneDNN dims.
inline dnnl::memory::dims ToDims(const std::vector<int64_t>& shape) {
  return dnnl::memory::dims(shape.begin(), shape.end());
}
// A plain row-major f32 descriptor of `dims`.
dnnl::memory::desc PlainDesc(const dnnl::memory::dims& dims);

// Copies `src` (in `src_md`, e.g. plain) into a new library-owned memory in `dst_md` (e.g. the
// layout a primitive chose for its weights). Runs at prepare time.
dnnl::memory ReorderToNew(const dnnl::memory::desc& src_md, const void* src,
                          const dnnl::memory::desc& dst_md);

}  // namespace sl::dense

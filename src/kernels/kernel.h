// The kernel interface the executor runs. A Kernel is created at prepare time for one node with
// fixed input/output shapes (weights packed, primitives created) and is immutable afterwards:
// Execute() may run concurrently from several threads, each with its own ExecContext, and must not
// allocate memory.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/tensor.h"
#include "graph/graph.h"

namespace sl {

// Per-execution-context state of one kernel (e.g. oneDNN memory objects and a stream), created
// once per context by Kernel::CreateState() so that Execute() itself allocates nothing.
class KernelState {
 public:
  virtual ~KernelState() = default;
};

struct ExecContext {
  int num_threads = 1;           // threads this execution may use
  void* scratch = nullptr;       // at least Kernel::scratch_bytes(), 64-byte aligned
  KernelState* state = nullptr;  // what this kernel's CreateState() returned for this context
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Short name of the implementation ("ref", "onednn", "gemv", ...), shown by inspect/traces.
  virtual std::string name() const = 0;
  virtual size_t scratch_bytes() const { return 0; }
  // Called once per execution context, outside Execute(). May return nullptr.
  virtual std::unique_ptr<KernelState> CreateState() const { return nullptr; }
  virtual Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                         const ExecContext& ctx) const = 0;
};

// What a backend factory sees of the node it compiles: the node plus the graph that gives the
// input/output values (dtype, bound shape, constants such as weights).
struct KernelRequest {
  const Graph& graph;
  const Node& node;
  int num_threads = 1;
  // Channel-blocked activations (oneDNN's nChw{B}c): a 4-D [N, C, H, W] value stored as
  // [N, ceil(C/B), H, W, B] with the padded channels zero. The executor's layout pass
  // (exec/layout.h) sets bit i of `blocked_inputs` / `blocked_outputs` for the values it passes
  // this way, only to kernels that accept them; B is `channel_block`. All others are plain.
  int channel_block = 0;
  uint32_t blocked_inputs = 0, blocked_outputs = 0;
  bool input_blocked(int i) const { return (blocked_inputs >> i) & 1u; }
  bool output_blocked(int i) const { return (blocked_outputs >> i) & 1u; }
  bool any_blocked() const { return (blocked_inputs | blocked_outputs) != 0; }
  const Value& input(int i) const { return graph.values[node.inputs[i]]; }
  bool has_input(int i) const {
    return i < static_cast<int>(node.inputs.size()) && node.inputs[i] != kNoValue;
  }
  const Value& output(int i) const { return graph.values[node.outputs[i]]; }
};

}  // namespace sl

// Plan: a prepared graph or subgraph, compiled for the CPU. Immutable after Prepare(), shared by
// any number of ExecutionContexts, each of which may run on its own thread.
//
// Prepare: shape binding, inference with constant folding, passes (exec/prepare.h), then per node
// a kernel (INT8, sparse or oneDNN dense where they take the node, fast CPU kernels for the rest,
// else the reference kernel; the reason is recorded). Dense convolutions and elementwise ops are
// built after the layout pass (exec/layout.h) has chosen which values stay channel-blocked; then
// residual Adds are folded into the convolutions that feed them, and a lifetime-based memory plan
// places all activations (blocked ones at their padded size).
// Execute: ExecutionContext::Run reads caller inputs in place, runs every step over its own arena,
// and copies the outputs into caller buffers. It allocates nothing.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "exec/prepare.h"
#include "kernels/kernel.h"

namespace sl {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

struct StepInfo {
  std::string node;
  OpType op;
  std::string kernel;  // implementation name
  std::string reason;  // why this kernel (e.g. why the optimized one declined)
};

class Plan {
 public:
  static Result<std::shared_ptr<const Plan>> Prepare(const Graph& graph,
                                                     const PrepareOptions& options);

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  const std::vector<StepInfo>& steps() const { return step_info_; }
  size_t arena_bytes() const { return arena_bytes_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  // Bytes of constant tensors the plan reads (weights, after folding and packing-independent).
  size_t constant_bytes() const { return constant_bytes_; }
  int num_threads() const { return num_threads_; }
  const Graph& graph() const { return graph_; }

 private:
  friend class ExecutionContext;
  enum class SlotKind { kArena, kConstant, kInput };
  struct Slot {
    SlotKind kind = SlotKind::kArena;
    size_t offset = 0;  // kArena: arena offset; kInput: input index
  };
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::vector<int> inputs;   // value ids, kNoValue for omitted
    std::vector<int> outputs;  // value ids, kNoValue for omitted
  };

  Status Compile(const PrepareOptions& options);
  // What a step's kernel is, for FuseResidualAdds.
  enum class ConvKind : uint8_t { kNone, kDense, kSparse };
  // Folds an Add (+Relu) into the dense or sparse Conv that produces one of its operands (see
  // plan.cc); conv_kind per step.
  void FuseResidualAdds(const PrepareOptions& options, const std::vector<bool>& blocked, int block,
                        const std::vector<ConvKind>& conv_kind, std::vector<size_t>& step_node);

  Graph graph_;
  std::vector<Slot> slots_;  // per value id
  std::vector<Step> steps_;
  std::vector<StepInfo> step_info_;
  std::vector<TensorInfo> inputs_, outputs_;
  size_t arena_bytes_ = 0, scratch_bytes_ = 0, constant_bytes_ = 0;
  int num_threads_ = 1;
};

class ExecutionContext {
 public:
  explicit ExecutionContext(std::shared_ptr<const Plan> plan);
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  // Runs the plan. `inputs` and `outputs` follow plan.inputs() / plan.outputs() in order, with
  // exactly those dtypes and shapes; outputs are caller-allocated. Fails (naming the tensor) on a
  // count, dtype or shape mismatch.
  Status Run(std::span<const TensorView> inputs, std::span<const TensorView> outputs);
  const Plan& plan() const { return *plan_; }
  // When on, Run() records each step's wall time (summed over runs) in step_time_us().
  void EnableProfiling(bool on) {
    profiling_ = on;
    step_time_us_.assign(plan_->steps().size(), 0.0);
  }
  const std::vector<double>& step_time_us() const { return step_time_us_; }

 private:
  bool profiling_ = false;
  std::vector<double> step_time_us_;
  std::shared_ptr<const Plan> plan_;
  std::shared_ptr<void> arena_, scratch_;
  std::vector<std::unique_ptr<KernelState>> states_;
  // Views per step, prebuilt over this context's arena; input-backed entries are patched per run.
  std::vector<std::vector<TensorView>> step_inputs_, step_outputs_;
  struct InputUse {
    size_t step, slot;
    int input;
  };
  std::vector<InputUse> input_uses_;
};

// Convenience for tools and tests: allocates outputs and runs once.
Result<std::vector<Tensor>> RunOnce(ExecutionContext& ctx, const std::vector<Tensor>& inputs);

}  // namespace sl

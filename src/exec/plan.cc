#include "exec/plan.h"

#include <chrono>
#include <cstring>

#include "exec/memory_planner.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/dense/dense.h"
#include "kernels/quant/quant.h"
#include "kernels/ref/activation_util.h"
#include "kernels/ref/ref.h"
#include "kernels/sparse/sparse.h"

namespace sl {

namespace {

class RefKernel final : public Kernel {
 public:
  RefKernel(const Node* node, RefFn fn) : node_(node), fn_(fn) {
    if (node->op == OpType::kConv || node->op == OpType::kGemm || node->op == OpType::kMatMul)
      return;
    auto act = FusedActivation::FromNode(*node);
    if (act.ok()) act_ = *act;
  }
  std::string name() const override { return "ref"; }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext&) const override {
    SL_RETURN_IF_ERROR(fn_(*node_, inputs, outputs));
    // Conv/Gemm/MatMul apply a fused activation themselves; other ops get it applied here.
    if (act_.kind != FusedActivation::Kind::kNone) {
      float* y = outputs[0].data_as<float>();
      for (int64_t i = 0, n = outputs[0].numel(); i < n; ++i) y[i] = act_.Apply(y[i]);
    }
    return Status::Ok();
  }

 private:
  const Node* node_;
  RefFn fn_;
  FusedActivation act_;
};

// Ops whose output is their first input reinterpreted: they run as aliases, not as steps.
bool IsAliasOp(OpType op) {
  return op == OpType::kReshape || op == OpType::kFlatten || op == OpType::kSqueeze ||
         op == OpType::kUnsqueeze || op == OpType::kIdentity;
}

bool IsDenseCandidate(OpType op) {
  return op == OpType::kConv || op == OpType::kGemm || op == OpType::kMatMul;
}

}  // namespace

Result<std::shared_ptr<const Plan>> Plan::Prepare(const Graph& graph,
                                                  const PrepareOptions& options) {
  auto plan = std::shared_ptr<Plan>(new Plan());
  SL_ASSIGN_OR_RETURN(plan->graph_, PrepareGraph(graph, options));
  SL_RETURN_IF_ERROR(plan->Compile(options));
  return std::shared_ptr<const Plan>(std::move(plan));
}

Status Plan::Compile(const PrepareOptions& options) {
  num_threads_ = std::max(1, options.num_threads);
  Graph& g = graph_;
  slots_.assign(g.values.size(), Slot{});
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    slots_[g.inputs[i]] = Slot{SlotKind::kInput, i};
    const Value& v = g.values[g.inputs[i]];
    inputs_.push_back({v.name, v.dtype, v.shape});
  }
  for (int o : g.outputs)
    outputs_.push_back({g.values[o].name, g.values[o].dtype, g.values[o].shape});
  std::vector<bool> counted(g.values.size(), false);
  for (size_t v = 0; v < g.values.size(); ++v)
    if (g.values[v].is_constant()) slots_[v].kind = SlotKind::kConstant;

  // Kernels, one per node; reshape-like nodes become aliases of their input's storage.
  std::vector<int> root(g.values.size());
  for (size_t v = 0; v < root.size(); ++v) root[v] = static_cast<int>(v);
  for (const Node& n : g.nodes) {
    if (IsAliasOp(n.op) && !n.inputs.empty() && n.inputs[0] != kNoValue && n.outputs.size() == 1 &&
        g.values[n.outputs[0]].dtype == g.values[n.inputs[0]].dtype) {
      root[n.outputs[0]] = root[n.inputs[0]];
      continue;
    }
    Step step;
    step.inputs = n.inputs;
    step.outputs = n.outputs;
    StepInfo info{n.name, n.op, "", ""};
    if (!options.reference_only && IsQuantizedNode(n)) {
      auto k = CreateQuantKernel(KernelRequest{g, n, num_threads_});
      if (k.ok())
        step.kernel = std::move(k.value());
      else
        info.reason = k.status().message();
    } else if (!options.reference_only && IsDenseCandidate(n.op)) {
      KernelRequest req{g, n, num_threads_};
      std::string why_not_sparse;
      if (options.sparse_kernels) {
        SparseOptions so;
        so.force = options.force_sparse;
        auto k = CreateSparseKernel(req, so);
        if (k.ok())
          step.kernel = std::move(k.value());
        else
          why_not_sparse = k.status().message();
      }
      if (!step.kernel) {
        auto k = CreateDenseKernel(req);
        if (k.ok()) step.kernel = std::move(k.value());
        info.reason = why_not_sparse;
        if (!k.ok()) info.reason += (info.reason.empty() ? "" : "; ") + k.status().message();
      }
    } else if (!options.reference_only) {
      KernelRequest req{g, n, num_threads_};
      auto k = CreateCpuKernel(req);
      if (k.ok())
        step.kernel = std::move(k.value());
      else
        info.reason = k.status().message();
    } else {
      info.reason = "reference kernels requested";
    }
    if (!step.kernel) {
      const RefFn ref = IsQuantizedNode(n) ? &RefQuantized : GetRefFn(n.op);
      step.kernel = std::make_unique<RefKernel>(&n, ref);
    }
    info.kernel = step.kernel->name();
    scratch_bytes_ = std::max(scratch_bytes_, step.kernel->scratch_bytes());
    for (int v : n.inputs) {
      if (v != kNoValue && g.values[v].is_constant() && !counted[v]) {
        counted[v] = true;
        constant_bytes_ += g.values[v].constant.bytes();
      }
    }
    steps_.push_back(std::move(step));
    step_info_.push_back(std::move(info));
  }

  // Memory plan over activations: lifetimes in step indices; graph outputs live to the end.
  int end = static_cast<int>(steps_.size());
  std::vector<int> first(g.values.size(), -1), last(g.values.size(), -1);
  for (int s = 0; s < end; ++s) {
    for (int v : steps_[s].outputs)
      if (v != kNoValue && first[v] < 0) first[v] = last[v] = s;
    for (int v : steps_[s].inputs)
      if (v != kNoValue) last[root[v]] = std::max(last[root[v]], s);
  }
  for (int o : g.outputs) last[root[o]] = end;
  std::vector<BufferRequest> requests;
  std::vector<int> request_value;
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (slots_[v].kind != SlotKind::kArena || first[v] < 0) continue;
    const Value& val = g.values[v];
    requests.push_back(
        {static_cast<size_t>(NumElements(val.shape)) * DTypeSize(val.dtype), first[v], last[v]});
    request_value.push_back(static_cast<int>(v));
  }
  MemoryPlan mp = PlanMemory(requests);
  for (size_t r = 0; r < requests.size(); ++r) slots_[request_value[r]].offset = mp.offsets[r];
  arena_bytes_ = mp.arena_bytes;
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (root[v] != static_cast<int>(v)) {
      slots_[v] = slots_[root[v]];
      first[v] = first[root[v]];
    }
  }
  for (int o : g.outputs) {
    if (slots_[o].kind == SlotKind::kArena && first[o] < 0) {
      return Internal(g.source + ": output '" + g.values[o].name + "' is produced by no step");
    }
  }
  return Status::Ok();
}

ExecutionContext::ExecutionContext(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {
  const Plan& p = *plan_;
  arena_ = AllocateAligned(p.arena_bytes_);
  scratch_ = AllocateAligned(p.scratch_bytes_);
  char* base = static_cast<char*>(arena_.get());
  auto view_of = [&](int v) -> TensorView {
    if (v == kNoValue) return TensorView{};
    const Value& val = p.graph_.values[v];
    const Plan::Slot& slot = p.slots_[v];
    void* data = nullptr;
    if (slot.kind == Plan::SlotKind::kArena) data = base + slot.offset;
    if (slot.kind == Plan::SlotKind::kConstant) data = val.constant.raw();
    return TensorView{val.dtype, val.shape, data};
  };
  for (size_t s = 0; s < p.steps_.size(); ++s) {
    const auto& step = p.steps_[s];
    states_.push_back(step.kernel->CreateState());
    std::vector<TensorView> ins, outs;
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      ins.push_back(view_of(step.inputs[i]));
      int v = step.inputs[i];
      if (v != kNoValue && p.slots_[v].kind == Plan::SlotKind::kInput)
        input_uses_.push_back({s, i, static_cast<int>(p.slots_[v].offset)});
    }
    for (int v : step.outputs) outs.push_back(view_of(v));
    step_inputs_.push_back(std::move(ins));
    step_outputs_.push_back(std::move(outs));
  }
}

Status ExecutionContext::Run(std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs) {
  const Plan& p = *plan_;
  const std::string& src = p.graph_.source;
  if (inputs.size() != p.inputs_.size() || outputs.size() != p.outputs_.size()) {
    return InvalidArgument(src + ": expected " + std::to_string(p.inputs_.size()) + " inputs and " +
                           std::to_string(p.outputs_.size()) + " outputs, got " +
                           std::to_string(inputs.size()) + " and " +
                           std::to_string(outputs.size()));
  }
  auto check = [&](const TensorView& t, const TensorInfo& info, const char* what) -> Status {
    bool same = t.dtype == info.dtype && t.shape.size() == info.shape.size() &&
                std::equal(t.shape.begin(), t.shape.end(), info.shape.begin());
    if (!same || (t.data == nullptr && NumElements(info.shape) > 0)) {
      return InvalidArgument(src + ": " + what + " '" + info.name + "' must be " +
                             std::string(DTypeName(info.dtype)) + ShapeToString(info.shape) +
                             ", got " + std::string(DTypeName(t.dtype)) + ShapeToString(t.shape));
    }
    return Status::Ok();
  };
  for (size_t i = 0; i < inputs.size(); ++i)
    SL_RETURN_IF_ERROR(check(inputs[i], p.inputs_[i], "input"));
  for (size_t i = 0; i < outputs.size(); ++i)
    SL_RETURN_IF_ERROR(check(outputs[i], p.outputs_[i], "output"));
  for (const auto& use : input_uses_)
    step_inputs_[use.step][use.slot].data = inputs[use.input].data;

  ExecContext ectx;
  ectx.num_threads = p.num_threads_;
  ectx.scratch = scratch_.get();
  for (size_t s = 0; s < p.steps_.size(); ++s) {
    ectx.state = states_[s].get();
    auto t0 =
        profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    Status st = p.steps_[s].kernel->Execute(step_inputs_[s], step_outputs_[s], ectx);
    if (profiling_) {
      step_time_us_[s] +=
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    }
    if (!st.ok()) return st.WithContext(src + ": " + p.step_info_[s].node);
  }
  char* base = static_cast<char*>(arena_.get());
  for (size_t o = 0; o < outputs.size(); ++o) {
    int v = p.graph_.outputs[o];
    const Plan::Slot& slot = p.slots_[v];
    const void* from = slot.kind == Plan::SlotKind::kArena      ? base + slot.offset
                       : slot.kind == Plan::SlotKind::kConstant ? p.graph_.values[v].constant.raw()
                                                                : inputs[slot.offset].data;
    if (outputs[o].bytes()) std::memmove(outputs[o].data, from, outputs[o].bytes());
  }
  return Status::Ok();
}

Result<std::vector<Tensor>> RunOnce(ExecutionContext& ctx, const std::vector<Tensor>& inputs) {
  std::vector<TensorView> in, out;
  for (const Tensor& t : inputs) in.push_back(t.view());
  std::vector<Tensor> results;
  for (const TensorInfo& info : ctx.plan().outputs()) results.emplace_back(info.dtype, info.shape);
  for (const Tensor& t : results) out.push_back(t.view());
  SL_RETURN_IF_ERROR(ctx.Run(in, out));
  return results;
}

}  // namespace sl

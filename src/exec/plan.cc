#include "exec/plan.h"

#include <chrono>
#include <cstring>

#include "exec/layout.h"
#include "exec/memory_planner.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/dense/cpu_features.h"
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

// A 2-D float convolution whose groups do not split channel blocks (one group, or depthwise, or
// group widths that are whole blocks).
bool BlockableConv(const Graph& g, const Node& n, int block) {
  if (n.op != OpType::kConv || n.inputs.size() < 2 || n.outputs.size() != 1) return false;
  const Value& x = g.values[n.inputs[0]];
  const Value& y = g.values[n.outputs[0]];
  if (x.shape.size() != 4 || y.shape.size() != 4 || x.dtype != DType::kF32) return false;
  const int64_t groups = n.attrs.GetInt("group", 1);
  if (groups <= 1) return true;
  const int64_t in_per = x.shape[1] / groups, out_per = y.shape[1] / groups;
  return (in_per == 1 && out_per == 1) || (in_per % block == 0 && out_per % block == 0);
}

// 2-D max / average pools and global pools of float [N, C, H, W] without the Indices output.
bool BlockablePool(const Graph& g, const Node& n, int block) {
  if (n.op != OpType::kMaxPool && n.op != OpType::kAveragePool &&
      n.op != OpType::kGlobalAveragePool && n.op != OpType::kGlobalMaxPool) {
    return false;
  }
  if (block > 16 || n.inputs.size() != 1 || n.inputs[0] == kNoValue) return false;
  if (n.outputs.size() > 1 && n.outputs[1] != kNoValue) return false;
  const Value& x = g.values[n.inputs[0]];
  return x.shape.size() == 4 && x.dtype == DType::kF32;
}

// Add / Sub / Mul of same-shaped float tensors whose fused activation keeps zero at zero, so the
// padded channels stay zero.
bool BlockableElementwise(const Graph& g, const Node& n) {
  if (n.op != OpType::kAdd && n.op != OpType::kSub && n.op != OpType::kMul) return false;
  if (n.inputs.size() != 2 || n.outputs.size() != 1) return false;
  const Value& y = g.values[n.outputs[0]];
  for (int v : n.inputs)
    if (v == kNoValue || g.values[v].shape != y.shape || g.values[v].dtype != y.dtype) return false;
  auto act = FusedActivation::FromNode(n);
  if (!act.ok()) return false;
  return act->kind != FusedActivation::Kind::kClip || (act->min <= 0.f && act->max >= 0.f);
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

  // Kernels, one per node; reshape-like nodes become aliases of their input's storage. Dense
  // convolutions and elementwise arithmetic wait for the layout pass (exec/layout.h).
  std::vector<int> root(g.values.size());
  for (size_t v = 0; v < root.size(); ++v) root[v] = static_cast<int>(v);
  const int block = options.blocked_layout && !options.reference_only ? dense::ChannelBlock() : 0;
  std::vector<BlockRole> roles(g.nodes.size(), BlockRole::kNone);
  std::vector<size_t> step_node;  // graph node index per step
  std::vector<size_t> deferred;   // step indices created after the layout pass
  std::vector<ConvKind> conv_kind;  // per step (FuseResidualAdds)
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    const Node& n = g.nodes[ni];
    if (IsAliasOp(n.op) && !n.inputs.empty() && n.inputs[0] != kNoValue && n.outputs.size() == 1 &&
        g.values[n.outputs[0]].dtype == g.values[n.inputs[0]].dtype) {
      root[n.outputs[0]] = root[n.inputs[0]];
      continue;
    }
    Step step;
    step.inputs = n.inputs;
    step.outputs = n.outputs;
    StepInfo info{n.name, n.op, "", ""};
    ConvKind kind = ConvKind::kNone;
    if (!options.reference_only && IsQuantizedNode(n)) {
      auto k = CreateQuantKernel(KernelRequest{g, n, num_threads_});
      if (k.ok())
        step.kernel = std::move(k.value());
      else
        info.reason = k.status().message();
    } else if (!options.reference_only && IsDenseCandidate(n.op)) {
      KernelRequest req{g, n, num_threads_};
      if (options.sparse_kernels) {
        SparseOptions so;
        so.force = options.force_sparse;
        auto k = CreateSparseKernel(req, so);
        if (k.ok()) {
          step.kernel = std::move(k.value());
          if (n.op == OpType::kConv) kind = ConvKind::kSparse;
        } else {
          info.reason = k.status().message();
        }
      }
      if (!step.kernel) {
        deferred.push_back(steps_.size());
        if (block > 0 && BlockableConv(g, n, block)) roles[ni] = BlockRole::kInOut;
      }
    } else if (!options.reference_only) {
      deferred.push_back(steps_.size());
      if (block > 0 && BlockableElementwise(g, n)) roles[ni] = BlockRole::kElementwise;
      if (block > 0 && BlockablePool(g, n, block)) roles[ni] = BlockRole::kInOut;
    } else {
      info.reason = "reference kernels requested";
    }
    conv_kind.push_back(kind);
    steps_.push_back(std::move(step));
    step_info_.push_back(std::move(info));
    step_node.push_back(ni);
  }

  // Layout, then the deferred kernels. A blocked kernel that cannot be built drops its node from
  // the pass, which then runs again (at most once per node).
  std::vector<bool> blocked;
  std::vector<std::string> first_reason(steps_.size());  // before the deferred kernel's own
  for (size_t s : deferred) first_reason[s] = step_info_[s].reason;
  for (bool retry = true; retry;) {
    retry = false;
    blocked = ChooseBlockedValues(g, roles);
    for (size_t s : deferred) {
      const Node& n = g.nodes[step_node[s]];
      KernelRequest req{g, n, num_threads_};
      req.channel_block = block;
      for (size_t i = 0; i < n.inputs.size() && i < 32; ++i)
        if (n.inputs[i] != kNoValue && blocked[n.inputs[i]]) req.blocked_inputs |= 1u << i;
      for (size_t i = 0; i < n.outputs.size() && i < 32; ++i)
        if (n.outputs[i] != kNoValue && blocked[n.outputs[i]]) req.blocked_outputs |= 1u << i;
      auto k = IsDenseCandidate(n.op) ? CreateDenseKernel(req) : CreateCpuKernel(req);
      if (!k.ok() && req.any_blocked()) {
        roles[step_node[s]] = BlockRole::kNone;
        retry = true;
        break;
      }
      StepInfo& info = step_info_[s];
      info.reason = first_reason[s];
      if (k.ok()) {
        steps_[s].kernel = std::move(k.value());
      } else {
        steps_[s].kernel.reset();
        info.reason += (info.reason.empty() ? "" : "; ") + k.status().message();
      }
    }
  }
  if (options.fuse) {
    for (size_t s : deferred)
      if (steps_[s].kernel && g.nodes[step_node[s]].op == OpType::kConv)
        conv_kind[s] = ConvKind::kDense;
    FuseResidualAdds(options, blocked, block, conv_kind, step_node);
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Node& n = g.nodes[step_node[s]];
    Step& step = steps_[s];
    if (!step.kernel) {
      const RefFn ref = IsQuantizedNode(n) ? &RefQuantized : GetRefFn(n.op);
      step.kernel = std::make_unique<RefKernel>(&n, ref);
    }
    step_info_[s].kernel = step.kernel->name();
    scratch_bytes_ = std::max(scratch_bytes_, step.kernel->scratch_bytes());
    for (int v : n.inputs) {
      if (v != kNoValue && g.values[v].is_constant() && !counted[v]) {
        counted[v] = true;
        constant_bytes_ += g.values[v].constant.bytes();
      }
    }
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
    const int64_t elements =
        blocked[v] ? BlockedElements(val.shape, block) : NumElements(val.shape);
    requests.push_back({static_cast<size_t>(elements) * DTypeSize(val.dtype), first[v], last[v]});
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

// Residual fusion: Add(y, r) (+Relu), where y comes from a dense or sparse Conv with no activation
// of its own and is read by nothing else, and r is ready before that Conv runs, becomes the Conv
// with r as an input added before the activation ("_residual", input 3) writing the Add's output;
// the Add step goes away. Of two candidate Convs the later one is taken (its sibling is then
// ready). A Conv whose kernel cannot add the residual keeps the separate Add (a sparse Conv: when a
// value is channel-blocked, or when the fused node measures faster dense). The Add node stays in
// the graph (FLOP counts).
void Plan::FuseResidualAdds(const PrepareOptions& options, const std::vector<bool>& blocked,
                            int block, const std::vector<ConvKind>& conv_kind,
                            std::vector<size_t>& step_node) {
  Graph& g = graph_;
  const size_t nv = g.values.size();
  std::vector<int> readers(nv, 0), producer(nv, -1);
  for (const Node& n : g.nodes)
    for (int v : n.inputs)
      if (v != kNoValue) ++readers[v];
  for (int v : g.outputs) ++readers[v];  // a graph output is read from outside
  for (size_t s = 0; s < steps_.size(); ++s)
    for (int v : steps_[s].outputs)
      if (v != kNoValue) producer[v] = static_cast<int>(s);
  std::vector<bool> removed(steps_.size(), false);
  for (size_t t = 0; t < steps_.size(); ++t) {
    const Node& add = g.nodes[step_node[t]];
    if (add.op != OpType::kAdd || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    const int out = add.outputs[0];
    auto act = FusedActivation::FromNode(add);
    if (!act.ok() || act->kind == FusedActivation::Kind::kClip) continue;
    int conv_step = -1, residual = kNoValue;
    for (int i = 0; i < 2; ++i) {
      const int y = add.inputs[i], r = add.inputs[1 - i];
      if (y == kNoValue || r == kNoValue || y == r || readers[y] != 1) continue;
      const int s = producer[y];
      if (s < 0 || conv_kind[s] == ConvKind::kNone || removed[s] || producer[r] >= s) continue;
      const Node& conv = g.nodes[step_node[s]];
      if (conv.attrs.Has("_act") || conv.outputs.size() != 1 ||
          g.values[y].shape != g.values[out].shape || g.values[r].shape != g.values[out].shape ||
          g.values[r].dtype != DType::kF32) {
        continue;
      }
      if (s > conv_step) conv_step = s, residual = r;
    }
    if (conv_step < 0) continue;
    Node fused = g.nodes[step_node[conv_step]];
    if (fused.inputs.size() < 3) fused.inputs.resize(3, kNoValue);
    fused.inputs.resize(4);
    fused.inputs[3] = residual;
    fused.outputs = {out};
    fused.attrs.Set("_residual", int64_t{1});
    if (add.attrs.Has("_act")) fused.attrs.Set("_act", add.attrs.GetString("_act", ""));
    KernelRequest req{g, fused, num_threads_};
    req.channel_block = block;
    if (blocked[fused.inputs[0]]) req.blocked_inputs |= 1u;
    if (blocked[residual]) req.blocked_inputs |= 1u << 3;
    if (blocked[out]) req.blocked_outputs = 1u;
    Result<std::unique_ptr<Kernel>> k = Unsupported("");
    if (conv_kind[conv_step] == ConvKind::kSparse) {
      SparseOptions so;
      so.force = options.force_sparse;
      k = CreateSparseKernel(req, so);
    } else {
      k = CreateDenseKernel(req);
    }
    if (!k.ok()) continue;
    g.nodes[step_node[conv_step]] = std::move(fused);
    const Node& n = g.nodes[step_node[conv_step]];
    steps_[conv_step].kernel = std::move(k.value());
    steps_[conv_step].inputs = n.inputs;
    steps_[conv_step].outputs = n.outputs;
    producer[out] = conv_step;
    removed[t] = true;
  }
  size_t kept = 0;
  for (size_t s = 0; s < steps_.size(); ++s) {
    if (removed[s]) continue;
    if (kept != s) {  // no self-moves: they would empty the vectors
      steps_[kept] = std::move(steps_[s]);
      step_info_[kept] = std::move(step_info_[s]);
      step_node[kept] = step_node[s];
    }
    ++kept;
  }
  steps_.resize(kept);
  step_info_.resize(kept);
  step_node.resize(kept);
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

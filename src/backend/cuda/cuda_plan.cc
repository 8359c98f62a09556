#include "backend/cuda/cuda_plan.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/cuda_support.h"
#include "exec/memory_planner.h"

namespace sl::cuda {

CudaBuffer::~CudaBuffer() {
  int previous = -1;
  const bool restore = cudaGetDevice(&previous) == cudaSuccess && previous != device_;
  if (restore) (void)cudaSetDevice(device_);
  if (host_ptr_ != nullptr) {
    (void)cudaFreeHost(host_ptr_);
  } else if (device_ptr_ != nullptr) {
    (void)cudaFree(device_ptr_);
  }
  if (restore) (void)cudaSetDevice(previous);
}

namespace {

// Set SL_CUDA_SYNC_STEPS=1 to synchronize after every step, so that an asynchronous device
// fault is reported with the node that caused it (slow; for debugging).
bool SyncEachStep() {
  static const bool on = [] {
    const char* v = std::getenv("SL_CUDA_SYNC_STEPS");
    return v != nullptr && v[0] != '\0' && v[0] != '0';
  }();
  return on;
}

size_t ValueBytes(const Value& v) {
  return static_cast<size_t>(NumElements(v.shape)) * DTypeSize(v.dtype);
}

class CudaPlan final : public DevicePlan, public std::enable_shared_from_this<CudaPlan> {
 public:
  using SlotKind = CudaLayout::SlotKind;
  struct Slot {
    SlotKind kind = SlotKind::kNone;
    size_t offset = 0;               // kArena: arena offset; kInput: input index
    const void* constant = nullptr;  // kConstant: device address
  };
  struct Step {
    std::unique_ptr<CudaOp> op;
    const Node* node = nullptr;  // in graph_
    std::vector<int> inputs, outputs;
  };

  explicit CudaPlan(int device) : device_(device), memory_(device) {}

  Status Compile(Graph graph);

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  size_t constant_bytes() const override { return constant_bytes_; }
  const std::vector<StepInfo>& steps() const override { return info_; }
  Result<std::unique_ptr<SegmentRunner>> NewRunner() const override;

  int device() const { return device_; }
  const Graph& graph() const { return graph_; }
  const std::vector<Step>& plan_steps() const { return steps_; }
  const std::vector<Slot>& slots() const { return slots_; }
  size_t arena_bytes() const { return arena_bytes_; }
  size_t scratch_bytes() const { return scratch_bytes_; }

 private:
  int device_;
  Graph graph_;
  DeviceMemory memory_;  // constants and derived tables; outlives steps_ (declared first)
  std::vector<Step> steps_;
  std::vector<StepInfo> info_;
  std::vector<Slot> slots_;  // per value id
  std::vector<TensorInfo> inputs_, outputs_;
  size_t arena_bytes_ = 0, scratch_bytes_ = 0, constant_bytes_ = 0;
};

}  // namespace

Result<CudaLayout> PlanCudaLayout(const Graph& g) {
  using SlotKind = CudaLayout::SlotKind;
  CudaLayout layout;
  layout.slots.assign(g.values.size(), CudaLayout::Slot{});
  for (size_t i = 0; i < g.inputs.size(); ++i) layout.slots[g.inputs[i]] = {SlotKind::kInput, i};

  // 1-2. Aliases and steps.
  std::vector<int>& root = layout.root;
  root.resize(g.values.size());
  for (size_t v = 0; v < root.size(); ++v) root[v] = static_cast<int>(v);
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    if (IsAliasNode(g, node)) {
      root[node.outputs[0]] = root[node.inputs[0]];
    } else {
      layout.steps.push_back(n);
    }
  }

  // 3. Constants that are read.
  std::vector<bool> needed(g.values.size(), false);
  for (size_t n : layout.steps)
    for (int v : g.nodes[n].inputs)
      if (v != kNoValue) needed[root[v]] = true;
  for (int o : g.outputs) needed[root[o]] = true;
  for (size_t v = 0; v < g.values.size(); ++v)
    if (needed[v] && g.values[v].is_constant()) layout.slots[v] = {SlotKind::kConstant, 0};

  // 4. Arena over step lifetimes.
  const int end = static_cast<int>(layout.steps.size());
  std::vector<int> first(g.values.size(), -1), last(g.values.size(), -1);
  for (int s = 0; s < end; ++s) {
    const Node& node = g.nodes[layout.steps[s]];
    for (int v : node.outputs)
      if (v != kNoValue && first[v] < 0) first[v] = last[v] = s;
    for (int v : node.inputs)
      if (v != kNoValue) last[root[v]] = std::max(last[root[v]], s);
  }
  for (int o : g.outputs) last[root[o]] = end;
  std::vector<BufferRequest> requests;
  std::vector<int> request_value;
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (layout.slots[v].kind != SlotKind::kNone || first[v] < 0) continue;
    requests.push_back({ValueBytes(g.values[v]), first[v], last[v]});
    request_value.push_back(static_cast<int>(v));
  }
  const MemoryPlan mp = PlanMemory(requests);
  for (size_t r = 0; r < requests.size(); ++r)
    layout.slots[request_value[r]] = {SlotKind::kArena, mp.offsets[r]};
  layout.arena_bytes = mp.arena_bytes;
  for (size_t v = 0; v < g.values.size(); ++v)
    if (root[v] != static_cast<int>(v)) layout.slots[v] = layout.slots[root[v]];
  for (int o : g.outputs)
    if (layout.slots[o].kind == SlotKind::kNone)
      return Internal(g.source + ": output '" + g.values[o].name + "' is produced by no step");
  return layout;
}

namespace {

Status CudaPlan::Compile(Graph graph) {
  graph_ = std::move(graph);
  const Graph& g = graph_;
  for (int i : g.inputs)
    inputs_.push_back({g.values[i].name, g.values[i].dtype, g.values[i].shape});
  for (int o : g.outputs)
    outputs_.push_back({g.values[o].name, g.values[o].dtype, g.values[o].shape});
  SL_ASSIGN_OR_RETURN(CudaLayout layout, PlanCudaLayout(g));
  arena_bytes_ = layout.arena_bytes;
  slots_.resize(g.values.size());
  for (size_t v = 0; v < g.values.size(); ++v)
    slots_[v] = Slot{layout.slots[v].kind, layout.slots[v].offset, nullptr};

  // Constants, uploaded once (aliases of a constant share its upload).
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (slots_[v].kind != SlotKind::kConstant || layout.root[v] != static_cast<int>(v)) continue;
    const Tensor& t = g.values[v].constant;
    SL_ASSIGN_OR_RETURN(void* p,
                        memory_.Upload(t.raw(), t.bytes(), "constant '" + g.values[v].name + "'"));
    slots_[v].constant = p;
    constant_bytes_ += t.bytes();
  }
  for (size_t v = 0; v < g.values.size(); ++v)
    if (slots_[v].kind == SlotKind::kConstant) slots_[v].constant = slots_[layout.root[v]].constant;

      // One op per step.
#ifdef SL_HAVE_CUDNN
  cudnnHandle_t cudnn = nullptr;
  bool any_conv = false;
  for (size_t n : layout.steps) any_conv = any_conv || g.nodes[n].op == OpType::kConv;
  if (any_conv) {
    const cudnnStatus_t s = cudnnCreate(&cudnn);
    if (s != CUDNN_STATUS_SUCCESS) cudnn = nullptr;  // Conv falls back to im2col, with a reason
  }
  struct HandleGuard {
    cudnnHandle_t h;
    ~HandleGuard() {
      if (h) cudnnDestroy(h);
    }
  } guard{cudnn};
#endif
  for (const Node& n : g.nodes) {
    if (IsAliasNode(g, n)) {
      info_.push_back({n.name, n.op, "alias", "output shares the input's memory"});
      continue;
    }
    CompileContext ctx{g, n, memory_};
#ifdef SL_HAVE_CUDNN
    ctx.cudnn = cudnn;
#endif
    auto op = CompileOp(ctx);
    if (!op.ok()) return op.status().WithContext("cuda: " + g.Describe(n));
    Step step;
    step.op = std::move(op.value());
    step.node = &n;
    step.inputs = n.inputs;
    step.outputs = n.outputs;
    scratch_bytes_ = std::max(scratch_bytes_, step.op->scratch_bytes());
    info_.push_back({n.name, n.op, step.op->name(), step.op->reason()});
    steps_.push_back(std::move(step));
  }
  return Status::Ok();
}

// --- runner ----------------------------------------------------------------------------------

class CudaRunner final : public SegmentRunner {
 public:
  explicit CudaRunner(std::shared_ptr<const CudaPlan> plan)
      : plan_(std::move(plan)), memory_(plan_->device()) {}
  ~CudaRunner() override;
  Status Init();
  Status Run(std::span<DeviceBuffer* const> inputs,
             std::span<DeviceBuffer* const> outputs) override;
  Status RunHost(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override;

 private:
  const void* SlotAddress(int v) const;
  // Runs every step with the plan inputs at `inputs` (device addresses) and copies output o to
  // outputs[o] with `kind`; synchronizes the stream before returning.
  Status Execute(std::span<const void* const> inputs, std::span<void* const> outputs,
                 cudaMemcpyKind kind);
  Status PrepareHostStaging();

  std::shared_ptr<const CudaPlan> plan_;
  DeviceMemory memory_;  // arena, scratch, device-side input staging
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
#ifdef SL_HAVE_CUDNN
  cudnnHandle_t cudnn_ = nullptr;
#endif
  char* arena_ = nullptr;
  void* scratch_ = nullptr;
  std::vector<std::vector<const void*>> step_in_;
  std::vector<std::vector<void*>> step_out_;
  struct InputUse {
    size_t step, slot;
    size_t input;
  };
  std::vector<InputUse> input_uses_;
  std::vector<const void*> input_ptrs_;  // per plan input, reused by Run
  std::vector<void*> output_ptrs_;
  // RunHost staging, made on its first call.
  bool host_ready_ = false;
  std::vector<void*> pinned_in_, pinned_out_, device_in_;
};

CudaRunner::~CudaRunner() {
  int previous = -1;
  const bool restore = cudaGetDevice(&previous) == cudaSuccess && previous != plan_->device();
  if (restore) (void)cudaSetDevice(plan_->device());
  if (stream_) (void)cudaStreamSynchronize(stream_);
  for (void* p : pinned_in_) (void)cudaFreeHost(p);
  for (void* p : pinned_out_) (void)cudaFreeHost(p);
#ifdef SL_HAVE_CUDNN
  if (cudnn_) cudnnDestroy(cudnn_);
#endif
  if (cublas_) cublasDestroy(cublas_);
  if (stream_) (void)cudaStreamDestroy(stream_);
  if (restore) (void)cudaSetDevice(previous);
}

Status CudaRunner::Init() {
  const CudaPlan& p = *plan_;
  SL_CUDA_RETURN_IF_ERROR("cudaStreamCreateWithFlags",
                          cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  SL_CUBLAS_RETURN_IF_ERROR("cublasCreate", cublasCreate(&cublas_));
  SL_CUBLAS_RETURN_IF_ERROR("cublasSetStream", cublasSetStream(cublas_, stream_));
#ifdef SL_HAVE_CUDNN
  bool any_cudnn = false;
  for (const StepInfo& s : p.steps()) any_cudnn = any_cudnn || s.kernel == "cudnn";
  if (any_cudnn) {
    SL_CUDNN_RETURN_IF_ERROR("cudnnCreate", cudnnCreate(&cudnn_));
    SL_CUDNN_RETURN_IF_ERROR("cudnnSetStream", cudnnSetStream(cudnn_, stream_));
  }
#endif
  SL_ASSIGN_OR_RETURN(void* arena, memory_.Allocate(p.arena_bytes(), "the activation arena"));
  arena_ = static_cast<char*>(arena);
  SL_ASSIGN_OR_RETURN(scratch_, memory_.Allocate(p.scratch_bytes(), "scratch"));
  const auto& steps = p.plan_steps();
  for (size_t s = 0; s < steps.size(); ++s) {
    std::vector<const void*> ins;
    for (size_t i = 0; i < steps[s].inputs.size(); ++i) {
      const int v = steps[s].inputs[i];
      ins.push_back(v == kNoValue ? nullptr : SlotAddress(v));
      if (v != kNoValue && p.slots()[v].kind == CudaPlan::SlotKind::kInput)
        input_uses_.push_back({s, i, p.slots()[v].offset});
    }
    std::vector<void*> outs;
    for (int v : steps[s].outputs)
      outs.push_back(v == kNoValue ? nullptr : const_cast<void*>(SlotAddress(v)));
    step_in_.push_back(std::move(ins));
    step_out_.push_back(std::move(outs));
  }
  input_ptrs_.resize(p.inputs().size());
  output_ptrs_.resize(p.outputs().size());
  return Status::Ok();
}

const void* CudaRunner::SlotAddress(int v) const {
  const CudaPlan::Slot& slot = plan_->slots()[v];
  switch (slot.kind) {
    case CudaPlan::SlotKind::kArena:
      return arena_ + slot.offset;
    case CudaPlan::SlotKind::kConstant:
      return slot.constant;
    default:
      return nullptr;  // inputs are patched per run
  }
}

Status CudaRunner::Execute(std::span<const void* const> inputs, std::span<void* const> outputs,
                           cudaMemcpyKind kind) {
  const CudaPlan& p = *plan_;
  const Graph& g = p.graph();
  for (const InputUse& use : input_uses_) step_in_[use.step][use.slot] = inputs[use.input];
  RunContext ctx;
  ctx.stream = stream_;
  ctx.cublas = cublas_;
#ifdef SL_HAVE_CUDNN
  ctx.cudnn = cudnn_;
#endif
  ctx.scratch = scratch_;
  const auto& steps = p.plan_steps();
  const bool sync_each = SyncEachStep();
  for (size_t s = 0; s < steps.size(); ++s) {
    Status st = steps[s].op->Run(ctx, step_in_[s], step_out_[s]);
    if (st.ok() && sync_each)
      st = CudaStatus("cudaStreamSynchronize", cudaStreamSynchronize(stream_));
    if (!st.ok()) {
      (void)cudaStreamSynchronize(stream_);
      return st.WithContext("cuda: " + g.Describe(*steps[s].node));
    }
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    const int v = g.outputs[o];
    const CudaPlan::Slot& slot = p.slots()[v];
    const void* from =
        slot.kind == CudaPlan::SlotKind::kInput ? inputs[slot.offset] : SlotAddress(v);
    const size_t bytes = ValueBytes(g.values[v]);
    if (bytes == 0 || from == outputs[o]) continue;
    // Messages are built only on failure: a successful run allocates nothing.
    const cudaError_t e = cudaMemcpyAsync(outputs[o], from, bytes, kind, stream_);
    if (e != cudaSuccess) {
      (void)cudaStreamSynchronize(stream_);
      return CudaStatus("cudaMemcpyAsync", e)
          .WithContext("cuda: output '" + g.values[v].name + "'");
    }
  }
  const cudaError_t e = cudaStreamSynchronize(stream_);
  if (e != cudaSuccess)
    return CudaStatus("cudaStreamSynchronize", e).WithContext("cuda: " + g.source);
  return Status::Ok();
}

Status CudaRunner::Run(std::span<DeviceBuffer* const> inputs,
                       std::span<DeviceBuffer* const> outputs) {
  const CudaPlan& p = *plan_;
  const size_t ni = p.inputs().size(), no = p.outputs().size();
  if (inputs.size() != ni || outputs.size() != no)
    return InvalidArgument("cuda run: " + std::to_string(inputs.size()) + " inputs and " +
                           std::to_string(outputs.size()) + " outputs given, the plan has " +
                           std::to_string(ni) + " and " + std::to_string(no));
  for (size_t i = 0; i < ni + no; ++i) {
    DeviceBuffer* b = i < ni ? inputs[i] : outputs[i - ni];
    const TensorInfo& t = i < ni ? p.inputs()[i] : p.outputs()[i - ni];
    const auto* cb = dynamic_cast<const CudaBuffer*>(b);
    const size_t need = static_cast<size_t>(NumElements(t.shape)) * DTypeSize(t.dtype);
    if (cb == nullptr || cb->device() != p.device() || cb->bytes() < need)
      return InvalidArgument("cuda run: " + std::string(i < ni ? "input" : "output") + " '" +
                             t.name +
                             "' is missing, not a buffer of cuda:" + std::to_string(p.device()) +
                             ", or smaller than " + std::to_string(need) + " bytes");
    if (i < ni) {
      input_ptrs_[i] = cb->device_ptr();
    } else {
      output_ptrs_[i - ni] = cb->device_ptr();
    }
  }
  SL_CUDA_RETURN_IF_ERROR("cudaSetDevice", cudaSetDevice(p.device()));
  return Execute(input_ptrs_, output_ptrs_, cudaMemcpyDeviceToDevice);
}

Status CudaRunner::PrepareHostStaging() {
  const CudaPlan& p = *plan_;
  auto bytes_of = [](const TensorInfo& t) {
    return std::max<size_t>(1, static_cast<size_t>(NumElements(t.shape)) * DTypeSize(t.dtype));
  };
  for (const TensorInfo& t : p.inputs()) {
    void* h = nullptr;
    SL_CUDA_RETURN_IF_ERROR("cudaHostAlloc", cudaHostAlloc(&h, bytes_of(t), cudaHostAllocDefault));
    pinned_in_.push_back(h);
    SL_ASSIGN_OR_RETURN(void* d, memory_.Allocate(bytes_of(t), "input '" + t.name + "'"));
    device_in_.push_back(d);
  }
  for (const TensorInfo& t : p.outputs()) {
    void* h = nullptr;
    SL_CUDA_RETURN_IF_ERROR("cudaHostAlloc", cudaHostAlloc(&h, bytes_of(t), cudaHostAllocDefault));
    pinned_out_.push_back(h);
  }
  host_ready_ = true;
  return Status::Ok();
}

Status CudaRunner::RunHost(std::span<const TensorView> inputs,
                           std::span<const TensorView> outputs) {
  const CudaPlan& p = *plan_;
  SL_RETURN_IF_ERROR(CheckHostTensors(inputs, p.inputs(), "cuda input"));
  SL_RETURN_IF_ERROR(CheckHostTensors(outputs, p.outputs(), "cuda output"));
  SL_CUDA_RETURN_IF_ERROR("cudaSetDevice", cudaSetDevice(p.device()));
  if (!host_ready_) SL_RETURN_IF_ERROR(PrepareHostStaging());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const size_t bytes = inputs[i].bytes();
    if (bytes == 0) continue;
    if (inputs[i].data == nullptr)
      return InvalidArgument("cuda input '" + p.inputs()[i].name + "' has no data");
    std::memcpy(pinned_in_[i], inputs[i].data, bytes);
    const cudaError_t e =
        cudaMemcpyAsync(device_in_[i], pinned_in_[i], bytes, cudaMemcpyHostToDevice, stream_);
    if (e != cudaSuccess) {
      (void)cudaStreamSynchronize(stream_);
      return CudaStatus("cudaMemcpyAsync", e)
          .WithContext("cuda: input '" + p.inputs()[i].name + "'");
    }
  }
  for (size_t i = 0; i < p.inputs().size(); ++i) input_ptrs_[i] = device_in_[i];
  SL_RETURN_IF_ERROR(Execute(input_ptrs_, pinned_out_, cudaMemcpyDeviceToHost));
  for (size_t o = 0; o < outputs.size(); ++o) {
    const size_t bytes = outputs[o].bytes();
    if (bytes == 0) continue;
    if (outputs[o].data == nullptr)
      return InvalidArgument("cuda output '" + p.outputs()[o].name + "' has no data");
    std::memcpy(outputs[o].data, pinned_out_[o], bytes);
  }
  return Status::Ok();
}

Result<std::unique_ptr<SegmentRunner>> CudaPlan::NewRunner() const {
  SL_CUDA_RETURN_IF_ERROR("cudaSetDevice", cudaSetDevice(device_));
  auto runner = std::make_unique<CudaRunner>(shared_from_this());
  SL_RETURN_IF_ERROR(runner->Init().WithContext("cuda:" + std::to_string(device_) + " runner"));
  return std::unique_ptr<SegmentRunner>(std::move(runner));
}

}  // namespace

Result<std::shared_ptr<const DevicePlan>> PrepareCudaPlan(int device, const Graph& graph,
                                                          const PrepareOptions& options) {
  SL_ASSIGN_OR_RETURN(Graph g, PrepareCudaGraph(graph, options));
  SL_CUDA_RETURN_IF_ERROR("cudaSetDevice", cudaSetDevice(device));
  auto plan = std::make_shared<CudaPlan>(device);
  SL_RETURN_IF_ERROR(plan->Compile(std::move(g)));
  return std::shared_ptr<const DevicePlan>(std::move(plan));
}

}  // namespace sl::cuda

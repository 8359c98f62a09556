// The OpenCL backend: Backend, DevicePlan and SegmentRunner over one OpenCL device.
//
// Prepare:
//   1. PrepareGraph with quantized and sparse kernels off (QDQ runs as float ops);
//   2. per node: reshape-like ops become aliases of their input; every other node is lowered to
//      kernel launches (opencl_lower.h), or the plan fails with kUnsupported naming the node;
//   3. constants the launches read and the lowering's own buffers (parameter arrays, re-laid-out
//      constants) are uploaded once into plan-owned, read-only buffers;
//   4. activations get offsets in one arena (exec/memory_planner.h), rounded to the device's
//      sub-buffer alignment.
// Each runner owns its arena (one sub-buffer per activation), its cl_kernel objects with their
// arguments set once, and staging buffers for RunHost; Run only rebinds the caller's inputs.
#include <algorithm>
#include <cstring>

#include "backend/opencl/opencl_device.h"
#include "backend/opencl/opencl_lower.h"
#include "backend/registry.h"
#include "exec/memory_planner.h"

namespace sl {

namespace {

using opencl::Buffer;
using opencl::ClError;
using opencl::Device;
using opencl::Launch;
using opencl::LaunchArg;

enum class SlotKind { kNone, kArena, kConstant, kInput };

struct Slot {
  SlotKind kind = SlotKind::kNone;
  size_t offset = 0;  // kArena: arena offset; kInput: input index
  size_t bytes = 0;
};

// What a prepared plan holds; shared by the DevicePlan and its runners, immutable.
struct PlanData {
  PlanData() = default;
  PlanData(const PlanData&) = delete;
  PlanData& operator=(const PlanData&) = delete;
  ~PlanData() {
    for (cl_mem m : buffers_)
      if (m) clReleaseMemObject(m);
    for (cl_mem m : constants_)
      if (m) clReleaseMemObject(m);
  }

  std::shared_ptr<const Device> device_;
  Graph graph_;
  std::vector<Launch> launches_;
  std::vector<std::string> launch_node_;  // Describe() of each launch's node
  std::vector<cl_mem> buffers_;           // the lowering's buffers
  std::vector<cl_mem> constants_;         // per value id, uploaded constants (else null)
  std::vector<int> root_;                 // per value id: the value whose storage it uses
  std::vector<Slot> slots_;               // per value id, aliases resolved to their root
  size_t arena_bytes_ = 0;
  std::vector<TensorInfo> inputs_, outputs_;
  std::vector<StepInfo> steps_;
  size_t constant_bytes_ = 0;
};

class ClRunner final : public SegmentRunner {
 public:
  explicit ClRunner(std::shared_ptr<const PlanData> plan) : plan_(std::move(plan)) {}
  ~ClRunner() override {
    for (cl_kernel k : kernels_)
      if (k) clReleaseKernel(k);
    for (cl_mem m : sub_)
      if (m) clReleaseMemObject(m);
    for (cl_mem m : staging_)
      if (m) clReleaseMemObject(m);
    if (arena_) clReleaseMemObject(arena_);
  }

  Status Init();
  Status Run(std::span<DeviceBuffer* const> inputs,
             std::span<DeviceBuffer* const> outputs) override;
  Status RunHost(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override;

 private:
  // RunHost's transfers and launches, without the final wait.
  Status EnqueueHost(std::span<const TensorView> inputs, std::span<const TensorView> outputs);
  // Binds `inputs` (one per plan input) and enqueues every launch.
  Status Enqueue(const std::vector<cl_mem>& inputs);
  // Where output `o` lives: buffer and byte offset.
  std::pair<cl_mem, size_t> OutputSource(size_t o, const std::vector<cl_mem>& inputs) const;

  struct InputUse {
    size_t launch;
    cl_uint arg;
    size_t input;
  };
  std::shared_ptr<const PlanData> plan_;
  cl_mem arena_ = nullptr;
  std::vector<cl_mem> sub_;  // per value id: sub-buffer of the arena (roots only)
  struct Range {
    size_t global[3] = {1, 1, 1};
    size_t local[3] = {1, 1, 1};
  };
  std::vector<cl_kernel> kernels_;
  std::vector<Range> ranges_;  // per launch
  std::vector<InputUse> input_uses_;
  std::vector<cl_mem> staging_;                   // RunHost input buffers
  std::vector<cl_mem> run_inputs_, run_outputs_;  // Run's buffers, sized once
};

Status ClRunner::Init() {
  const PlanData& p = *plan_;
  const Device& dev = *p.device_;
  cl_int err = CL_SUCCESS;
  arena_ = clCreateBuffer(dev.context, CL_MEM_READ_WRITE, std::max<size_t>(p.arena_bytes_, 1),
                          nullptr, &err);
  if (err != CL_SUCCESS)
    return ClError("clCreateBuffer", err,
                   "an arena of " + std::to_string(p.arena_bytes_) + " bytes");
  sub_.assign(p.slots_.size(), nullptr);
  for (size_t v = 0; v < p.slots_.size(); ++v) {
    const Slot& s = p.slots_[v];
    if (s.kind != SlotKind::kArena || s.bytes == 0) continue;
    if (p.root_[v] != static_cast<int>(v)) continue;  // aliases use their root's sub-buffer
    cl_buffer_region region{s.offset, s.bytes};
    sub_[v] =
        clCreateSubBuffer(arena_, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
    if (err != CL_SUCCESS)
      return ClError("clCreateSubBuffer", err, "value '" + p.graph_.values[v].name + "'");
  }
  for (size_t l = 0; l < p.launches_.size(); ++l) {
    const Launch& launch = p.launches_[l];
    cl_kernel k = clCreateKernel(dev.program, launch.kernel.c_str(), &err);
    if (err != CL_SUCCESS)
      return ClError("clCreateKernel(" + launch.kernel + ")", err, p.launch_node_[l]);
    kernels_.push_back(k);
    // Work-groups of up to 64 along dim 0, whose global size is rounded up to a multiple (every
    // kernel checks its range on dim 0): the driver's own choice for a prime size would be 1.
    size_t max_group = 1;
    clGetKernelWorkGroupInfo(k, dev.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof max_group, &max_group,
                             nullptr);
    size_t local = 1;
    while (local * 2 <= std::min<size_t>(64, max_group) && local * 2 <= launch.global[0])
      local *= 2;
    Range range;
    range.local[0] = local;
    for (int d = 0; d < 3; ++d) range.global[d] = launch.global[d];
    range.global[0] = (launch.global[0] + local - 1) / local * local;
    ranges_.push_back(range);
    for (size_t a = 0; a < launch.args.size(); ++a) {
      const LaunchArg& arg = launch.args[a];
      const cl_uint ai = static_cast<cl_uint>(a);
      cl_mem mem = nullptr;
      switch (arg.kind) {
        case LaunchArg::Kind::kInt:
          err = clSetKernelArg(k, ai, sizeof(cl_int), &arg.i);
          break;
        case LaunchArg::Kind::kFloat:
          err = clSetKernelArg(k, ai, sizeof(cl_float), &arg.f);
          break;
        case LaunchArg::Kind::kBuffer:
          mem = p.buffers_[arg.index];
          err = clSetKernelArg(k, ai, sizeof(cl_mem), &mem);
          break;
        case LaunchArg::Kind::kNull:
          err = clSetKernelArg(k, ai, sizeof(cl_mem), nullptr);
          break;
        case LaunchArg::Kind::kValue: {
          const Slot& s = p.slots_[arg.index];
          if (s.kind == SlotKind::kInput) {
            input_uses_.push_back({l, ai, s.offset});
            err = clSetKernelArg(k, ai, sizeof(cl_mem), nullptr);
            break;
          }
          mem = s.kind == SlotKind::kArena
                    ? sub_[p.root_[arg.index]]
                    : (s.kind == SlotKind::kConstant ? p.constants_[arg.index] : nullptr);
          err = clSetKernelArg(k, ai, sizeof(cl_mem), mem ? &mem : nullptr);
          break;
        }
      }
      if (err != CL_SUCCESS)
        return ClError("clSetKernelArg(" + launch.kernel + ", " + std::to_string(a) + ")", err,
                       p.launch_node_[l]);
    }
  }
  run_inputs_.assign(p.inputs_.size(), nullptr);
  run_outputs_.assign(p.outputs_.size(), nullptr);
  for (const TensorInfo& t : p.inputs_) {
    const size_t bytes = static_cast<size_t>(NumElements(t.shape)) * DTypeSize(t.dtype);
    cl_mem m =
        clCreateBuffer(dev.context, CL_MEM_READ_WRITE, std::max<size_t>(bytes, 1), nullptr, &err);
    if (err != CL_SUCCESS) return ClError("clCreateBuffer", err, "input '" + t.name + "'");
    staging_.push_back(m);
  }
  return Status::Ok();
}

Status ClRunner::Enqueue(const std::vector<cl_mem>& inputs) {
  const PlanData& p = *plan_;
  for (const InputUse& use : input_uses_) {
    cl_mem m = inputs[use.input];
    cl_int err = clSetKernelArg(kernels_[use.launch], use.arg, sizeof(cl_mem), &m);
    if (err != CL_SUCCESS)
      return ClError("clSetKernelArg(" + p.launches_[use.launch].kernel + ")", err,
                     p.launch_node_[use.launch]);
  }
  for (size_t l = 0; l < kernels_.size(); ++l) {
    const Launch& launch = p.launches_[l];
    cl_int err = clEnqueueNDRangeKernel(p.device_->queue, kernels_[l], launch.dims, nullptr,
                                        ranges_[l].global, ranges_[l].local, 0, nullptr, nullptr);
    if (err != CL_SUCCESS)
      return ClError("clEnqueueNDRangeKernel(" + launch.kernel + ")", err, p.launch_node_[l]);
  }
  return Status::Ok();
}

std::pair<cl_mem, size_t> ClRunner::OutputSource(size_t o,
                                                 const std::vector<cl_mem>& inputs) const {
  const PlanData& p = *plan_;
  const int v = p.graph_.outputs[o];
  const Slot& s = p.slots_[v];
  switch (s.kind) {
    case SlotKind::kArena:
      return {arena_, s.offset};
    case SlotKind::kConstant:
      return {p.constants_[v], 0};
    case SlotKind::kInput:
      return {inputs[s.offset], 0};
    default:
      return {nullptr, 0};
  }
}

Status ClRunner::Run(std::span<DeviceBuffer* const> inputs,
                     std::span<DeviceBuffer* const> outputs) {
  const PlanData& p = *plan_;
  if (inputs.size() != p.inputs_.size() || outputs.size() != p.outputs_.size())
    return InvalidArgument("opencl run: " + std::to_string(inputs.size()) + " inputs and " +
                           std::to_string(outputs.size()) + " outputs given, the plan has " +
                           std::to_string(p.inputs_.size()) + " and " +
                           std::to_string(p.outputs_.size()));
  auto check = [&](DeviceBuffer* b, const TensorInfo& t, const char* what) -> Result<cl_mem> {
    auto* cb = dynamic_cast<Buffer*>(b);
    const size_t bytes = static_cast<size_t>(NumElements(t.shape)) * DTypeSize(t.dtype);
    if (!cb || cb->device() != p.device_.get() || cb->bytes() < bytes)
      return InvalidArgument(std::string("opencl run: ") + what + " '" + t.name +
                             "': buffer missing, of another backend, or smaller than " +
                             std::to_string(bytes) + " bytes");
    return cb->mem();
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    SL_ASSIGN_OR_RETURN(run_inputs_[i], check(inputs[i], p.inputs_[i], "input"));
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    SL_ASSIGN_OR_RETURN(run_outputs_[o], check(outputs[o], p.outputs_[o], "output"));
  }
  SL_RETURN_IF_ERROR(Enqueue(run_inputs_));
  const cl_command_queue q = p.device_->queue;
  for (size_t o = 0; o < outputs.size(); ++o) {
    const cl_mem dst = run_outputs_[o];
    const size_t bytes =
        static_cast<size_t>(NumElements(p.outputs_[o].shape)) * DTypeSize(p.outputs_[o].dtype);
    auto [src, offset] = OutputSource(o, run_inputs_);
    if (bytes == 0 || src == dst) continue;
    cl_int err = clEnqueueCopyBuffer(q, src, dst, offset, 0, bytes, 0, nullptr, nullptr);
    if (err != CL_SUCCESS)
      return ClError("clEnqueueCopyBuffer", err, "output '" + p.outputs_[o].name + "'");
  }
  cl_int err = clFinish(q);
  if (err != CL_SUCCESS) return ClError("clFinish", err, p.graph_.source);
  return Status::Ok();
}

Status ClRunner::RunHost(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  const PlanData& p = *plan_;
  SL_RETURN_IF_ERROR(CheckHostTensors(inputs, p.inputs_, "opencl input"));
  SL_RETURN_IF_ERROR(CheckHostTensors(outputs, p.outputs_, "opencl output"));
  const cl_command_queue q = p.device_->queue;
  Status st = EnqueueHost(inputs, outputs);
  // Wait even after a failure: queued transfers may still use the caller's memory.
  const cl_int err = clFinish(q);
  if (!st.ok()) return st;
  if (err != CL_SUCCESS) return ClError("clFinish", err, p.graph_.source);
  return Status::Ok();
}

Status ClRunner::EnqueueHost(std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs) {
  const PlanData& p = *plan_;
  const cl_command_queue q = p.device_->queue;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].bytes() == 0) continue;
    cl_int err = clEnqueueWriteBuffer(q, staging_[i], CL_FALSE, 0, inputs[i].bytes(),
                                      inputs[i].data, 0, nullptr, nullptr);
    if (err != CL_SUCCESS)
      return ClError("clEnqueueWriteBuffer", err, "input '" + p.inputs_[i].name + "'");
  }
  SL_RETURN_IF_ERROR(Enqueue(staging_));
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].bytes() == 0) continue;
    auto [src, offset] = OutputSource(o, staging_);
    if (!src) return Internal("opencl: output '" + p.outputs_[o].name + "' has no storage");
    cl_int err = clEnqueueReadBuffer(q, src, CL_FALSE, offset, outputs[o].bytes(), outputs[o].data,
                                     0, nullptr, nullptr);
    if (err != CL_SUCCESS)
      return ClError("clEnqueueReadBuffer", err, "output '" + p.outputs_[o].name + "'");
  }
  return Status::Ok();
}

class ClPlan final : public DevicePlan {
 public:
  explicit ClPlan(std::shared_ptr<const PlanData> plan) : plan_(std::move(plan)) {}
  const std::vector<TensorInfo>& inputs() const override { return plan_->inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return plan_->outputs_; }
  size_t constant_bytes() const override { return plan_->constant_bytes_; }
  const std::vector<StepInfo>& steps() const override { return plan_->steps_; }
  Result<std::unique_ptr<SegmentRunner>> NewRunner() const override {
    auto runner = std::make_unique<ClRunner>(plan_);
    SL_RETURN_IF_ERROR(runner->Init());
    return std::unique_ptr<SegmentRunner>(std::move(runner));
  }

 private:
  std::shared_ptr<const PlanData> plan_;
};

class ClBackend final : public Backend {
 public:
  explicit ClBackend(std::shared_ptr<const Device> device) : device_(std::move(device)) {}
  const DeviceInfo& device() const override { return device_->info; }

  NodeSupport Supports(const KernelRequest& request) const override {
    const Node& n = request.node;
    if (opencl::IsAliasOp(n.op) && request.has_input(0) && !n.outputs.empty() &&
        request.input(0).dtype == request.output(0).dtype)
      return NodeSupport::Yes();
    opencl::Lowering scratch;
    Status st = opencl::LowerNode(request, scratch);
    return st.ok() ? NodeSupport::Yes() : NodeSupport::No(st.message());
  }

  Result<std::shared_ptr<const DevicePlan>> Prepare(const Graph& graph,
                                                    const PrepareOptions& options) const override;

  Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) const override {
    if (bytes > static_cast<size_t>(kMaxTensorBytes))
      return InvalidArgument("opencl buffer of " + std::to_string(bytes) +
                             " bytes: above the limit");
    cl_int err = CL_SUCCESS;
    cl_mem m = clCreateBuffer(device_->context, CL_MEM_READ_WRITE, std::max<size_t>(bytes, 1),
                              nullptr, &err);
    if (err != CL_SUCCESS)
      return ClError("clCreateBuffer", err, "a buffer of " + std::to_string(bytes) + " bytes");
    return std::unique_ptr<DeviceBuffer>(std::make_unique<Buffer>(device_, m, bytes));
  }
  Status Upload(const void* src, size_t bytes, DeviceBuffer& dst) const override {
    SL_ASSIGN_OR_RETURN(cl_mem m, Mem(dst, bytes, "upload"));
    if (bytes == 0) return Status::Ok();
    cl_int err =
        clEnqueueWriteBuffer(device_->queue, m, CL_TRUE, 0, bytes, src, 0, nullptr, nullptr);
    return err == CL_SUCCESS ? Status::Ok() : ClError("clEnqueueWriteBuffer", err, "upload");
  }
  Status Download(const DeviceBuffer& src, void* dst, size_t bytes) const override {
    SL_ASSIGN_OR_RETURN(cl_mem m, Mem(src, bytes, "download"));
    if (bytes == 0) return Status::Ok();
    cl_int err =
        clEnqueueReadBuffer(device_->queue, m, CL_TRUE, 0, bytes, dst, 0, nullptr, nullptr);
    return err == CL_SUCCESS ? Status::Ok() : ClError("clEnqueueReadBuffer", err, "download");
  }

 private:
  Result<cl_mem> Mem(const DeviceBuffer& b, size_t bytes, const char* what) const {
    auto* cb = dynamic_cast<const Buffer*>(&b);
    if (!cb || cb->device() != device_.get())
      return InvalidArgument(std::string("opencl ") + what + ": the buffer is not of this backend");
    if (cb->bytes() < bytes)
      return InvalidArgument(std::string("opencl ") + what + ": buffer of " +
                             std::to_string(cb->bytes()) + " bytes, " + std::to_string(bytes) +
                             " requested");
    return cb->mem();
  }

  std::shared_ptr<const Device> device_;
};

Result<std::shared_ptr<const DevicePlan>> ClBackend::Prepare(const Graph& source,
                                                             const PrepareOptions& options) const {
  PrepareOptions opts = options;
  opts.quantized_kernels = false;
  opts.sparse_kernels = false;
  opts.force_sparse = false;
  opts.fuse_gelu = false;  // no Gelu kernel here: the Erf chain runs as it is
  auto plan = std::make_shared<PlanData>();
  plan->device_ = device_;
  SL_ASSIGN_OR_RETURN(plan->graph_, PrepareGraph(source, opts));
  const Graph& g = plan->graph_;
  const size_t nv = g.values.size();

  // 1. Lower every node; reshape-like nodes alias their input.
  std::vector<int> root(nv);
  for (size_t v = 0; v < nv; ++v) root[v] = static_cast<int>(v);
  opencl::Lowering low;
  std::vector<int> first(nv, -1), last(nv, -1);
  const int end = static_cast<int>(g.nodes.size());
  for (int s = 0; s < end; ++s) {
    const Node& n = g.nodes[s];
    KernelRequest req{g, n, 1};
    for (int v : n.inputs)
      if (v != kNoValue) last[root[v]] = std::max(last[root[v]], s);
    if (opencl::IsAliasOp(n.op) && req.has_input(0) && n.outputs.size() == 1 &&
        n.outputs[0] != kNoValue && req.input(0).dtype == req.output(0).dtype) {
      root[n.outputs[0]] = root[n.inputs[0]];
      plan->steps_.push_back({n.name, n.op, "opencl:alias", "output shares the input's memory"});
      continue;
    }
    const size_t before = low.launches.size();
    Status st = opencl::LowerNode(req, low);
    if (!st.ok()) {
      if (st.code() == StatusCode::kUnsupported)
        return Unsupported("opencl: " + g.Describe(n) + ": " + st.message());
      return st.WithContext("opencl: " + g.Describe(n));
    }
    for (size_t l = before; l < low.launches.size(); ++l)
      plan->launch_node_.push_back(g.Describe(n));
    plan->steps_.push_back({n.name, n.op,
                            "opencl:" + (low.launches.size() > before ? low.launches[before].kernel
                                                                      : std::string("none")),
                            ""});
    for (int v : n.outputs)
      if (v != kNoValue && first[v] < 0) first[v] = s;
  }
  for (int o : g.outputs) last[root[o]] = end;
  plan->launches_ = std::move(low.launches);
  plan->root_ = root;

  // 2. Slots: inputs, constants, arena values (aliases resolved to their root).
  plan->slots_.assign(nv, Slot{});
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value& v = g.values[g.inputs[i]];
    plan->slots_[g.inputs[i]] = {SlotKind::kInput, i, 0};
    plan->inputs_.push_back({v.name, v.dtype, v.shape});
  }
  for (int o : g.outputs)
    plan->outputs_.push_back({g.values[o].name, g.values[o].dtype, g.values[o].shape});
  const size_t align = device_->base_align;
  std::vector<BufferRequest> requests;
  std::vector<int> request_value;
  for (size_t v = 0; v < nv; ++v) {
    const Value& val = g.values[v];
    if (val.is_constant()) {
      plan->slots_[v].kind = SlotKind::kConstant;
      continue;
    }
    if (root[v] != static_cast<int>(v) || plan->slots_[v].kind == SlotKind::kInput || first[v] < 0)
      continue;
    const size_t bytes = static_cast<size_t>(NumElements(val.shape)) * DTypeSize(val.dtype);
    plan->slots_[v] = {SlotKind::kArena, 0, bytes};
    requests.push_back(
        {(std::max<size_t>(bytes, 1) + align - 1) / align * align, first[v], last[v]});
    request_value.push_back(static_cast<int>(v));
  }
  MemoryPlan mp = PlanMemory(requests);
  for (size_t r = 0; r < requests.size(); ++r)
    plan->slots_[request_value[r]].offset = mp.offsets[r];
  plan->arena_bytes_ = mp.arena_bytes;
  for (size_t v = 0; v < nv; ++v)
    if (root[v] != static_cast<int>(v)) plan->slots_[v] = plan->slots_[root[v]];
  for (int o : g.outputs) {
    const Slot& s = plan->slots_[o];
    if (s.kind == SlotKind::kNone || (s.kind == SlotKind::kArena && first[root[o]] < 0))
      return Internal("opencl: " + g.source + ": output '" + g.values[o].name +
                      "' is produced by no step");
  }

  // 3. Uploads: constants read by launches or returned as outputs, then the lowering's buffers.
  const cl_context ctx = device_->context;
  plan->constants_.assign(nv, nullptr);
  auto upload = [&](const void* data, size_t bytes, const std::string& what) -> Result<cl_mem> {
    cl_int err = CL_SUCCESS;
    cl_mem m = clCreateBuffer(ctx, CL_MEM_READ_ONLY | (data ? CL_MEM_COPY_HOST_PTR : 0),
                              std::max<size_t>(bytes, 1), const_cast<void*>(data), &err);
    if (err != CL_SUCCESS) return ClError("clCreateBuffer", err, what);
    return m;
  };
  auto upload_constant = [&](int v) -> Status {
    const Value& val = g.values[root[v]];
    if (plan->constants_[v] || !val.is_constant() || val.constant.bytes() == 0) return Status::Ok();
    SL_ASSIGN_OR_RETURN(plan->constants_[v], upload(val.constant.raw(), val.constant.bytes(),
                                                    "constant '" + val.name + "'"));
    plan->constant_bytes_ += val.constant.bytes();
    return Status::Ok();
  };
  for (const Launch& l : plan->launches_)
    for (const LaunchArg& a : l.args)
      if (a.kind == LaunchArg::Kind::kValue && plan->slots_[a.index].kind == SlotKind::kConstant)
        SL_RETURN_IF_ERROR(upload_constant(a.index));
  for (int o : g.outputs)
    if (plan->slots_[o].kind == SlotKind::kConstant) SL_RETURN_IF_ERROR(upload_constant(o));
  for (size_t b = 0; b < low.buffers.size(); ++b) {
    const Tensor& t = low.buffers[b];
    SL_ASSIGN_OR_RETURN(cl_mem m,
                        upload(t.bytes() ? t.raw() : nullptr, t.bytes(), "a parameter buffer"));
    plan->buffers_.push_back(m);
    if (low.buffer_is_weight[b]) plan->constant_bytes_ += t.bytes();
  }
  return std::shared_ptr<const DevicePlan>(
      std::make_shared<ClPlan>(std::shared_ptr<const PlanData>(std::move(plan))));
}

}  // namespace

Result<std::shared_ptr<Backend>> OpenOpenClBackend(int index) {
  SL_ASSIGN_OR_RETURN(std::shared_ptr<const opencl::Device> device, opencl::OpenDevice(index));
  return std::shared_ptr<Backend>(std::make_shared<ClBackend>(std::move(device)));
}

}  // namespace sl

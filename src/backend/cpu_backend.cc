// The CPU backend: exec/ Plan (oneDNN dense, our sparse and INT8 kernels, reference kernels for
// the rest) behind the Backend interface. Its buffers are host memory, so hand-offs to and from
// it never copy when the other side shares host memory.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/registry.h"
#include "kernels/ref/ref.h"

namespace sl {

namespace {

class HostBuffer final : public DeviceBuffer {
 public:
  explicit HostBuffer(size_t bytes)
      : bytes_(bytes), data_(std::aligned_alloc(64, (std::max<size_t>(bytes, 1) + 63) / 64 * 64)) {}
  ~HostBuffer() override { std::free(data_); }
  size_t bytes() const override { return bytes_; }
  void* host_data() const override { return data_; }
  bool ok() const { return data_ != nullptr; }

 private:
  size_t bytes_;
  void* data_;
};

class CpuRunner final : public SegmentRunner {
 public:
  explicit CpuRunner(std::shared_ptr<const Plan> plan) : ctx_(std::move(plan)) {
    for (const auto* list : {&ctx_.plan().inputs(), &ctx_.plan().outputs()})
      for (const TensorInfo& t : *list) views_.push_back({t.dtype, t.shape, nullptr});
  }
  Status Run(std::span<DeviceBuffer* const> inputs,
             std::span<DeviceBuffer* const> outputs) override {
    const size_t ni = ctx_.plan().inputs().size(), no = ctx_.plan().outputs().size();
    if (inputs.size() != ni || outputs.size() != no)
      return InvalidArgument("cpu run: " + std::to_string(inputs.size()) + " inputs and " +
                             std::to_string(outputs.size()) + " outputs given, the plan has " +
                             std::to_string(ni) + " and " + std::to_string(no));
    for (size_t i = 0; i < ni + no; ++i) {
      DeviceBuffer* b = i < ni ? inputs[i] : outputs[i - ni];
      if (!b || !b->host_data() || b->bytes() < views_[i].bytes())
        return InvalidArgument("cpu run: buffer " + std::to_string(i) +
                               " is missing, not host memory, or too small");
      views_[i].data = b->host_data();
    }
    return ctx_.Run(std::span(views_).first(ni), std::span(views_).subspan(ni));
  }
  Status RunHost(std::span<const TensorView> inputs,
                 std::span<const TensorView> outputs) override {
    return ctx_.Run(inputs, outputs);
  }

 private:
  ExecutionContext ctx_;
  std::vector<TensorView> views_;  // inputs then outputs, shapes borrowed from the plan
};

class CpuPlan final : public DevicePlan {
 public:
  explicit CpuPlan(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}
  const std::vector<TensorInfo>& inputs() const override { return plan_->inputs(); }
  const std::vector<TensorInfo>& outputs() const override { return plan_->outputs(); }
  size_t constant_bytes() const override { return plan_->constant_bytes(); }
  const std::vector<StepInfo>& steps() const override { return plan_->steps(); }
  Result<std::unique_ptr<SegmentRunner>> NewRunner() const override {
    return std::unique_ptr<SegmentRunner>(std::make_unique<CpuRunner>(plan_));
  }

 private:
  std::shared_ptr<const Plan> plan_;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend() {
    info_.backend = "cpu";
    info_.name = "host CPU";
    info_.unified_memory = true;
    info_.host_buffers = true;
  }
  const DeviceInfo& device() const override { return info_; }
  NodeSupport Supports(const KernelRequest& request) const override {
    // Every op in graph/ops.def has at least its reference kernel here.
    if (!GetRefFn(request.node.op))
      return NodeSupport::No("no CPU kernel for " + std::string(OpTypeName(request.node.op)));
    return NodeSupport::Yes();
  }
  Result<std::shared_ptr<const DevicePlan>> Prepare(const Graph& graph,
                                                    const PrepareOptions& options) const override {
    SL_ASSIGN_OR_RETURN(auto plan, Plan::Prepare(graph, options));
    return std::shared_ptr<const DevicePlan>(std::make_shared<CpuPlan>(std::move(plan)));
  }
  Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) const override {
    if (bytes > static_cast<size_t>(kMaxTensorBytes))
      return InvalidArgument("cpu buffer of " + std::to_string(bytes) + " bytes: above the limit");
    auto b = std::make_unique<HostBuffer>(bytes);
    if (!b->ok()) return Internal("cpu buffer of " + std::to_string(bytes) + " bytes: out of memory");
    return std::unique_ptr<DeviceBuffer>(std::move(b));
  }
  Status Upload(const void* src, size_t bytes, DeviceBuffer& dst) const override {
    if (dst.bytes() < bytes) return InvalidArgument("cpu upload: buffer too small");
    std::memcpy(dst.host_data(), src, bytes);
    return Status::Ok();
  }
  Status Download(const DeviceBuffer& src, void* dst, size_t bytes) const override {
    if (src.bytes() < bytes) return InvalidArgument("cpu download: buffer too small");
    std::memcpy(dst, src.host_data(), bytes);
    return Status::Ok();
  }

 private:
  DeviceInfo info_;
};

}  // namespace

std::shared_ptr<const DevicePlan> WrapCpuPlan(std::shared_ptr<const Plan> plan) {
  return std::make_shared<CpuPlan>(std::move(plan));
}

Result<std::shared_ptr<Backend>> OpenCpuBackend() {
  return std::shared_ptr<Backend>(std::make_shared<CpuBackend>());
}

}  // namespace sl

// Pointwise (1x1, stride 1, no padding, one group) Conv at batch 1 as a oneDNN matmul over the
// plain NCHW tensors: Y[OC, HW] = W[OC, IC] * X[IC, HW] (+ bias per row, fused activation), so no
// layout reorders run around the product (the generic conv path reorders source and destination
// to a blocked layout on every call). The constant W is the matmul's source operand and the
// activation X its "weights" operand, both plain row-major. oneDNN 2.6 has only a reference
// matmul for a per-row [OC, 1] bias, so a bias and the activation after it are applied here in
// one pass over the output instead.
#include <algorithm>

#include "kernels/dense/conv_params.h"
#include "kernels/dense/dense.h"
#include "kernels/dense/onednn_common.h"

namespace sl::dense {

namespace {

using memory = dnnl::memory;

struct Conv1x1State final : public KernelState {
  dnnl::stream stream;
  memory src, weights, dst, scratchpad;
  BoundPrimitive matmul;
};

class OnednnConv1x1 final : public Kernel {
 public:
  std::string name() const override { return name_; }
  size_t scratch_bytes() const override { return scratchpad_md_.get_size(); }

  std::unique_ptr<KernelState> CreateState() const override {
    try {
      const dnnl::engine& engine = CpuEngine();
      auto s = std::make_unique<Conv1x1State>();
      s->stream = dnnl::stream(engine);
      s->src = memory(src_md_, engine, constant_weights_.raw());
      s->dst = memory(dst_md_, engine, DNNL_MEMORY_NONE);
      s->weights = memory(wei_md_, engine, DNNL_MEMORY_NONE);
      s->matmul.primitive = matmul_.get();
      s->matmul.Add(DNNL_ARG_SRC, s->src);
      s->matmul.Add(DNNL_ARG_WEIGHTS, s->weights);
      s->matmul.Add(DNNL_ARG_DST, s->dst);
      if (scratchpad_md_.get_size() > 0) {
        s->scratchpad = memory(scratchpad_md_, engine, DNNL_MEMORY_NONE);
        s->matmul.Add(DNNL_ARG_SCRATCHPAD, s->scratchpad);
      }
      return s;
    } catch (const std::exception&) {
      return nullptr;  // Execute reports the missing state
    }
  }

  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    auto* s = dynamic_cast<Conv1x1State*>(ctx.state);
    if (s == nullptr) return Internal("dense Conv 1x1: missing or foreign kernel state");
    if (inputs.empty() || outputs.empty() || inputs[0].data == nullptr ||
        outputs[0].data == nullptr || inputs[0].numel() != src_elements_ ||
        outputs[0].numel() != dst_elements_) {
      return InvalidArgument("dense Conv 1x1: inputs/outputs differ from the prepared shapes");
    }
    if (scratchpad_md_.get_size() > 0 && ctx.scratch == nullptr)
      return InvalidArgument("dense Conv 1x1: missing scratch buffer");
    try {
      SetNumThreads(ctx.num_threads);
      Bind(s->weights, inputs[0].data);
      Bind(s->dst, outputs[0].data);
      if (scratchpad_md_.get_size() > 0) Bind(s->scratchpad, ctx.scratch);
      SL_RETURN_IF_ERROR(Run(s->matmul, s->stream));
      if (has_bias_) AddBiasAndActivate(outputs[0].data_as<float>());
      return Status::Ok();
    } catch (const std::exception& e) {
      return Internal(std::string("dense Conv 1x1: oneDNN: ") + e.what());
    }
  }

  // y[o, :] = act(y[o, :] + bias[o]) over the [OC, HW] output.
  void AddBiasAndActivate(float* y) const {
    const float* b = constant_bias_.data<float>();
    const int64_t oc = constant_bias_.numel(), hw = dst_elements_ / oc;
    for (int64_t o = 0; o < oc; ++o) {
      float* row = y + o * hw;
      const float bo = b[o];
      if (act_.kind == FusedActivation::Kind::kNone) {
        for (int64_t i = 0; i < hw; ++i) row[i] += bo;
      } else if (act_.kind == FusedActivation::Kind::kRelu) {
        for (int64_t i = 0; i < hw; ++i) row[i] = std::max(row[i] + bo, 0.f);
      } else {
        for (int64_t i = 0; i < hw; ++i)
          row[i] = std::min(std::max(row[i] + bo, act_.min), act_.max);
      }
    }
  }

  std::string name_;
  FusedActivation act_;
  dnnl::matmul matmul_;
  memory::desc src_md_, wei_md_, dst_md_, scratchpad_md_;
  Tensor constant_weights_, constant_bias_;
  bool has_bias_ = false;
  int64_t src_elements_ = 0, dst_elements_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> CreateOnednnConv1x1(const KernelRequest& req) {
  SL_ASSIGN_OR_RETURN(const ConvParams p, ResolveConvParams(req));
  SL_ASSIGN_OR_RETURN(const FusedActivation act, FusedActivation::FromNode(req.node));
  if (p.kernel_h != 1 || p.kernel_w != 1 || p.stride_h != 1 || p.stride_w != 1 || p.groups != 1 ||
      p.pad_top || p.pad_left || p.pad_bottom || p.pad_right || p.dilation_h != 1 ||
      p.dilation_w != 1) {
    return Unsupported(DescribeNode(req) + ": not a pointwise convolution");
  }
  if (!req.input(1).is_constant() || (p.has_bias && !req.input(2).is_constant()))
    return Unsupported(DescribeNode(req) + ": non-constant weights or bias");
  try {
    const dnnl::engine& engine = CpuEngine();
    const auto f32 = memory::data_type::f32;
    const int64_t hw = p.out_h * p.out_w, ic = p.in_channels, oc = p.out_channels;
    if (p.batch != 1) return Unsupported(DescribeNode(req) + ": pointwise path is for batch 1");
    const memory::desc src_md({oc, ic}, f32, memory::format_tag::ab);  // W, constant
    const memory::desc wei_md({ic, hw}, f32, memory::format_tag::ab);  // X, the activation
    const memory::desc dst_md({oc, hw}, f32, memory::format_tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops ops;
    if (!p.has_bias) AppendActivation(act, ops);  // else applied after the bias, by us
    attr.set_post_ops(ops);
    dnnl::matmul::desc d(src_md, wei_md, dst_md);
    dnnl::matmul::primitive_desc pd(d, attr, engine);
    std::string impl = pd.impl_info_str();
    if (impl.find("ref") != std::string::npos)
      return Unsupported(DescribeNode(req) + ": oneDNN has only a reference matmul here (" + impl +
                         ")");
    auto k = std::make_unique<OnednnConv1x1>();
    k->name_ = "onednn:matmul-1x1:" + impl;
    k->matmul_ = dnnl::matmul(pd);
    k->src_md_ = src_md;
    k->wei_md_ = wei_md;
    k->dst_md_ = dst_md;
    k->constant_weights_ = req.input(1).constant;
    k->act_ = act;
    k->scratchpad_md_ = pd.scratchpad_desc();
    if (p.has_bias) {
      k->has_bias_ = true;
      k->constant_bias_ = req.input(2).constant;
    }
    k->src_elements_ = ic * p.in_h * p.in_w;
    k->dst_elements_ = oc * hw;
    return std::unique_ptr<Kernel>(std::move(k));
  } catch (const dnnl::error& e) {
    return FromDnnlError(req, "pointwise conv as matmul", e);
  }
}

}  // namespace sl::dense

// Conv through oneDNN's convolution_forward primitive.
//
// Prepare:
//  1. Resolve the geometry (conv_params.h), the fused residual (a binary-add post-op reading
//     input 3 in the output's layout; only where a direct implementation writes the caller's
//     layout) and the fused activation (eltwise post-op, after the residual).
//  2. Create two primitive descriptors with weights in format `any`: (a) src/dst in the caller's
//     layouts (plain NCHW, or nChw16c / nChw8c where the executor's layout pass keeps a value
//     channel-blocked, see exec/layout.h), (b) src/dst in format `any` (chosen by oneDNN).
//  3. Pick (b) with reorders caller -> blocked -> caller inside Execute when (a) lands on a gemm or
//     reference implementation and (b) on a direct jit one (jit/brgconv/brdgmm); otherwise (a).
//     A rule, not a timing: on an AVX-512 machine (1 thread) blocked+reorders measured 2-10x
//     faster for first-layer, depthwise and deep 3x3 convs and within ~15% (either way) for
//     mid-size 3x3 and 1x1 ones, and a rule keeps plans deterministic.
//  4. Reorder the constant weights once into the layout the chosen primitive wants.
// Execute binds the caller's buffers and ctx.scratch (oneDNN scratchpad, blocked src/dst) to the
// per-context memory objects and runs the prebuilt argument arrays.
#include <memory>
#include <optional>
#include <string>

#include "kernels/dense/conv_params.h"
#include "kernels/dense/dense.h"
#include "kernels/dense/onednn_common.h"

namespace sl::dense {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// A direct (non-gemm, non-reference) JIT implementation: "jit:avx2", "jit_dw:avx512_core",
// "brgconv:avx512_core", "brdgmm_dw:avx512_core", ...
bool IsDirectJit(const std::string& impl) {
  const bool jit = impl.find("jit") != std::string::npos || impl.rfind("brg", 0) == 0 ||
                   impl.rfind("brdgmm", 0) == 0;
  return jit && impl.find("gemm") == std::string::npos && impl.find("ref") == std::string::npos;
}

// A reorder between a user layout and a primitive layout, with its scratchpad needs.
struct LayoutReorder {
  dnnl::reorder primitive;
  memory::desc scratchpad_md;
  size_t scratchpad_offset = 0;
};

LayoutReorder MakeReorder(const memory::desc& from, const memory::desc& to,
                          ScratchLayout& scratch) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::reorder::primitive_desc pd(CpuEngine(), from, CpuEngine(), to, attr);
  LayoutReorder r{dnnl::reorder(pd), pd.scratchpad_desc(), 0};
  r.scratchpad_offset = scratch.Add(r.scratchpad_md.get_size());
  return r;
}

struct ConvState : KernelState {
  dnnl::stream stream;
  memory src, weights, bias, dst, scratchpad, residual;
  memory user_src, user_dst, src_reorder_scratchpad, dst_reorder_scratchpad;
  BoundPrimitive conv, src_reorder, dst_reorder;
};

class OnednnConv final : public Kernel {
 public:
  std::string name() const override { return name_; }
  size_t scratch_bytes() const override { return scratch_.total(); }
  std::unique_ptr<KernelState> CreateState() const override;
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

  // Built by CreateOnednnConv.
  std::string name_;
  ScratchLayout scratch_;
  dnnl::convolution_forward conv_;
  memory::desc src_md_, dst_md_, user_src_md_, user_dst_md_, bias_md_, scratchpad_md_;
  size_t scratchpad_offset_ = 0, src_offset_ = 0, dst_offset_ = 0;
  memory packed_weights_;
  Tensor constant_bias_;  // defined when the bias is a constant (kept alive here)
  bool has_bias_ = false, residual_ = false;
  int64_t src_elements_ = 0, dst_elements_ = 0;
  std::optional<LayoutReorder> src_reorder_, dst_reorder_;
};

std::unique_ptr<KernelState> OnednnConv::CreateState() const {
  try {
    const dnnl::engine& engine = CpuEngine();
    auto s = std::make_unique<ConvState>();
    s->stream = dnnl::stream(engine);
    s->src = memory(src_md_, engine, DNNL_MEMORY_NONE);
    s->dst = memory(dst_md_, engine, DNNL_MEMORY_NONE);
    s->weights = memory(packed_weights_.get_desc(), engine, packed_weights_.get_data_handle());
    s->conv.primitive = conv_.get();
    s->conv.Add(DNNL_ARG_SRC, s->src);
    s->conv.Add(DNNL_ARG_WEIGHTS, s->weights);
    s->conv.Add(DNNL_ARG_DST, s->dst);
    if (has_bias_) {
      s->bias = memory(bias_md_, engine, constant_bias_.defined() ? constant_bias_.raw() : nullptr);
      s->conv.Add(DNNL_ARG_BIAS, s->bias);
    }
    if (residual_) {
      s->residual = memory(user_dst_md_, engine, DNNL_MEMORY_NONE);
      s->conv.Add(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, s->residual);
    }
    if (scratchpad_md_.get_size() > 0) {
      s->scratchpad = memory(scratchpad_md_, engine, DNNL_MEMORY_NONE);
      s->conv.Add(DNNL_ARG_SCRATCHPAD, s->scratchpad);
    }
    auto bind_reorder = [&](const LayoutReorder& r, const memory& from, const memory& to,
                            memory& scratchpad, BoundPrimitive& bound) {
      bound.primitive = r.primitive.get();
      bound.Add(DNNL_ARG_FROM, from);
      bound.Add(DNNL_ARG_TO, to);
      if (r.scratchpad_md.get_size() > 0) {
        scratchpad = memory(r.scratchpad_md, engine, DNNL_MEMORY_NONE);
        bound.Add(DNNL_ARG_SCRATCHPAD, scratchpad);
      }
    };
    if (src_reorder_) {
      s->user_src = memory(user_src_md_, engine, DNNL_MEMORY_NONE);
      bind_reorder(*src_reorder_, s->user_src, s->src, s->src_reorder_scratchpad, s->src_reorder);
    }
    if (dst_reorder_) {
      s->user_dst = memory(user_dst_md_, engine, DNNL_MEMORY_NONE);
      bind_reorder(*dst_reorder_, s->dst, s->user_dst, s->dst_reorder_scratchpad, s->dst_reorder);
    }
    return s;
  } catch (const std::exception&) {
    return nullptr;  // Execute reports the missing state
  }
}

Status OnednnConv::Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                           const ExecContext& ctx) const {
  auto* s = dynamic_cast<ConvState*>(ctx.state);
  if (s == nullptr) return Internal("dense Conv: missing or foreign kernel state");
  if (inputs.size() < 2 || outputs.empty() || inputs[0].data == nullptr ||
      outputs[0].data == nullptr || inputs[0].numel() != src_elements_ ||
      outputs[0].numel() != dst_elements_ || (has_bias_ && inputs.size() < 3) ||
      (residual_ &&
       (inputs.size() < 4 || inputs[3].numel() != dst_elements_ || inputs[3].data == nullptr))) {
    return InvalidArgument("dense Conv: inputs/outputs differ from the prepared shapes");
  }
  if (scratch_.total() > 0 && ctx.scratch == nullptr) {
    return InvalidArgument("dense Conv: missing scratch buffer");
  }
  try {
    SetNumThreads(ctx.num_threads);
    if (has_bias_ && !constant_bias_.defined()) {
      if (inputs[2].data == nullptr) return InvalidArgument("dense Conv: missing bias");
      Bind(s->bias, inputs[2].data);
    }
    if (scratchpad_md_.get_size() > 0) Bind(s->scratchpad, At(ctx.scratch, scratchpad_offset_));
    if (residual_) Bind(s->residual, inputs[3].data);
    if (src_reorder_) {
      Bind(s->user_src, inputs[0].data);
      Bind(s->src, At(ctx.scratch, src_offset_));
      if (src_reorder_->scratchpad_md.get_size() > 0) {
        Bind(s->src_reorder_scratchpad, At(ctx.scratch, src_reorder_->scratchpad_offset));
      }
      SL_RETURN_IF_ERROR(Run(s->src_reorder, s->stream));
    } else {
      Bind(s->src, inputs[0].data);
    }
    if (dst_reorder_) {
      Bind(s->dst, At(ctx.scratch, dst_offset_));
      Bind(s->user_dst, outputs[0].data);
      if (dst_reorder_->scratchpad_md.get_size() > 0) {
        Bind(s->dst_reorder_scratchpad, At(ctx.scratch, dst_reorder_->scratchpad_offset));
      }
    } else {
      Bind(s->dst, outputs[0].data);
    }
    SL_RETURN_IF_ERROR(Run(s->conv, s->stream));
    if (dst_reorder_) SL_RETURN_IF_ERROR(Run(s->dst_reorder, s->stream));
  } catch (const std::exception& e) {
    return Internal(std::string("dense Conv: oneDNN: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateOnednnConv(const KernelRequest& req) {
  SL_ASSIGN_OR_RETURN(const ConvParams p, ResolveConvParams(req));
  SL_ASSIGN_OR_RETURN(const FusedActivation act, FusedActivation::FromNode(req.node));
  try {
    const dnnl::engine& engine = CpuEngine();
    const memory::dims src_dims = {p.batch, p.in_channels, p.in_h, p.in_w};
    const memory::dims dst_dims = {p.batch, p.out_channels, p.out_h, p.out_w};
    const bool grouped = p.groups > 1;
    const memory::dims wei_dims =
        grouped ? memory::dims{p.groups, p.out_channels / p.groups, p.in_channels / p.groups,
                               p.kernel_h, p.kernel_w}
                : memory::dims{p.out_channels, p.in_channels, p.kernel_h, p.kernel_w};
    const auto f32 = memory::data_type::f32;
    const memory::desc user_wei_md(wei_dims, f32, grouped ? Tag::goihw : Tag::oihw);
    const memory::desc any_wei_md(wei_dims, f32, Tag::any);
    const memory::desc bias_md =
        p.has_bias ? memory::desc({p.out_channels}, f32, Tag::x) : memory::desc();
    // The caller's layouts: plain NCHW, or channel-blocked where the layout pass says so.
    if (req.any_blocked() && req.channel_block != 8 && req.channel_block != 16) {
      return Unsupported(DescribeNode(req) + ": no blocked layout with " +
                         std::to_string(req.channel_block) + " channels per block");
    }
    const Tag blocked_tag = req.channel_block == 16 ? Tag::nChw16c : Tag::nChw8c;
    if ((req.input_blocked(0) || req.output_blocked(0)) && p.is_1d) {
      return Unsupported(DescribeNode(req) + ": a 1-D convolution has no blocked layout");
    }
    const memory::desc user_src_md(src_dims, f32, req.input_blocked(0) ? blocked_tag : Tag::nchw);
    const memory::desc user_dst_md(dst_dims, f32, req.output_blocked(0) ? blocked_tag : Tag::nchw);

    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops ops;
    // A fused residual ("_residual", input 3, see exec/plan.cc) is added before the activation.
    const bool residual = req.node.attrs.GetInt("_residual", 0) != 0;
    if (residual) {
      if (!req.has_input(3) || req.input(3).shape != req.output(0).shape)
        return InvalidArgument(DescribeNode(req) + ": the fused residual differs from the output");
      if (req.input_blocked(3) != req.output_blocked(0))
        return Unsupported(DescribeNode(req) + ": residual and output layouts differ");
      ops.append_binary(dnnl::algorithm::binary_add, user_dst_md);
    }
    AppendActivation(act, ops);
    attr.set_post_ops(ops);

    const memory::dims strides = {p.stride_h, p.stride_w};
    const memory::dims dilates = {p.dilation_h - 1, p.dilation_w - 1};
    const memory::dims pad_l = {p.pad_top, p.pad_left};
    const memory::dims pad_r = {p.pad_bottom, p.pad_right};
    auto make_pd =
        [&](const memory::desc& src,
            const memory::desc& dst) -> std::optional<dnnl::convolution_forward::primitive_desc> {
      try {
        dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                          dnnl::algorithm::convolution_direct, src, any_wei_md,
                                          bias_md, dst, strides, dilates, pad_l, pad_r);
        return dnnl::convolution_forward::primitive_desc(d, attr, engine);
      } catch (const dnnl::error&) {
        return std::nullopt;
      }
    };
    auto plain = make_pd(user_src_md, user_dst_md);
    auto blocked =
        make_pd(memory::desc(src_dims, f32, Tag::any), memory::desc(dst_dims, f32, Tag::any));
    if (!plain && !blocked) {
      return Unsupported(DescribeNode(req) + ": oneDNN has no convolution for this geometry");
    }
    bool use_blocked = !plain;
    if (plain && blocked) {
      const std::string plain_impl = plain->impl_info_str();
      const bool plain_slow = plain_impl.find("gemm") != std::string::npos ||
                              plain_impl.find("ref") != std::string::npos;
      use_blocked = plain_slow && IsDirectJit(blocked->impl_info_str());
    }
    const auto& pd = use_blocked ? *blocked : *plain;
    if (residual && (pd.dst_desc() != user_dst_md || !IsDirectJit(pd.impl_info_str()))) {
      return Unsupported(DescribeNode(req) +
                         ": no direct convolution adds the residual in place (" +
                         pd.impl_info_str() + ")");
    }

    auto k = std::make_unique<OnednnConv>();
    k->conv_ = dnnl::convolution_forward(pd);
    k->src_md_ = pd.src_desc();
    k->dst_md_ = pd.dst_desc();
    k->user_src_md_ = user_src_md;
    k->user_dst_md_ = user_dst_md;
    k->bias_md_ = bias_md;
    k->scratchpad_md_ = pd.scratchpad_desc();
    k->scratchpad_offset_ = k->scratch_.Add(k->scratchpad_md_.get_size());
    k->has_bias_ = p.has_bias;
    k->residual_ = residual;
    k->src_elements_ = p.batch * p.in_channels * p.in_h * p.in_w;
    k->dst_elements_ = p.batch * p.out_channels * p.out_h * p.out_w;
    if (p.has_bias && req.input(2).is_constant()) k->constant_bias_ = req.input(2).constant;
    k->packed_weights_ = ReorderToNew(user_wei_md, req.input(1).constant.raw(), pd.weights_desc());
    std::string layout;
    if (k->src_md_ != user_src_md) {
      k->src_offset_ = k->scratch_.Add(k->src_md_.get_size());
      k->src_reorder_ = MakeReorder(user_src_md, k->src_md_, k->scratch_);
      layout = "+reorder";
    }
    if (k->dst_md_ != user_dst_md) {
      k->dst_offset_ = k->scratch_.Add(k->dst_md_.get_size());
      k->dst_reorder_ = MakeReorder(k->dst_md_, user_dst_md, k->scratch_);
      layout = "+reorder";
    }
    if (req.input_blocked(0)) layout += "+blocked-in";
    if (req.output_blocked(0)) layout += "+blocked-out";
    if (residual) layout += "+residual";
    k->name_ = std::string("onednn:") + pd.impl_info_str() + layout;
    return std::unique_ptr<Kernel>(std::move(k));
  } catch (const std::exception& e) {
    return FromDnnlError(req, "convolution", e);
  }
}

}  // namespace sl::dense

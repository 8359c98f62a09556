#include "kernels/quant/onednn_int8_kernel.h"

#include <cstring>
#include <memory>

namespace sl::quant {
namespace {

using dense::At;
using dense::Bind;
using dense::BoundPrimitive;
using dnnl::memory;

struct Int8State : KernelState {
  dnnl::stream stream;
  memory src, weights, bias, dst, scratchpad, user_dst, reorder_scratchpad;
  BoundPrimitive main, dst_reorder;
};

constexpr int kBiasArg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1;

}  // namespace

std::vector<float> OutputScales(const QuantNodeSpec& spec, const Tensor& w_scale) {
  std::vector<float> scales(static_cast<size_t>(w_scale.numel()));
  for (size_t i = 0; i < scales.size(); ++i) scales[i] = spec.x.scale * w_scale.data<float>()[i];
  return scales;
}

dnnl::primitive_attr MakeInt8Attr(const QuantNodeSpec& spec, const std::vector<float>& scales,
                                  int channel_mask, const memory::desc& bias_md) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_output_scales(scales.size() == 1 ? 0 : channel_mask, scales);
  if (spec.x.zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {spec.x.zero_point});
  // oneDNN 2.x adds the primitive's own bias before the output scales; the oracle adds it after,
  // so the bias is a post-op, which runs after them.
  dnnl::post_ops ops;
  if (bias_md) ops.append_binary(dnnl::algorithm::binary_add, bias_md);
  dense::AppendActivation(spec.act, ops);
  attr.set_post_ops(ops);
  return attr;
}

QuantInput SplitInput(const QuantInput& x) {
  QuantInput u = x;
  if (x.is_signed) {
    u.is_signed = false;
    u.zero_point = x.zero_point + 128;
  }
  return u;
}

std::vector<int8_t> SplitWeightsAlongInput(const int8_t* w, int64_t outer, int64_t inner) {
  std::vector<int8_t> out(static_cast<size_t>(2 * outer * inner));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int8_t v = w[o * inner + i];
      const auto hi = static_cast<int8_t>(v >> 1);  // floor(v / 2): -64..63
      out[static_cast<size_t>(2 * o * inner + i)] = hi;
      out[static_cast<size_t>((2 * o + 1) * inner + i)] = static_cast<int8_t>(v - hi);  // -64..64
    }
  }
  return out;
}

void OnednnInt8Kernel::Build(const dnnl::primitive_desc& pd, dnnl::primitive primitive,
                             const memory::desc& user_dst_md, const memory::desc& user_wei_md,
                             const void* weights, const memory::desc& bias_md, const Tensor& bias) {
  name_ = std::string("onednn-int8:") + pd.impl_info_str() + (split_groups_ > 0 ? "+split" : "");
  primitive_ = std::move(primitive);
  src_md_ = pd.src_desc(0);
  dst_md_ = pd.dst_desc(0);
  user_dst_md_ = user_dst_md;
  scratchpad_md_ = pd.scratchpad_desc();
  bias_md_ = bias_md;
  bias_ = bias;
  packed_weights_ = dense::ReorderToNew(user_wei_md, weights, pd.weights_desc(0));
  src_offset_ = scratch_.Add(src_md_.get_size());
  if (split_groups_ > 0) stage_offset_ = scratch_.Add(src_md_.get_size() / 2);
  scratchpad_offset_ = scratch_.Add(scratchpad_md_.get_size());
  if (dst_md_ != user_dst_md_) {
    dst_offset_ = scratch_.Add(dst_md_.get_size());
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::reorder::primitive_desc pd(dense::CpuEngine(), dst_md_, dense::CpuEngine(), user_dst_md_,
                                     attr);
    dst_reorder_ = dnnl::reorder(pd);
    reorder_scratchpad_md_ = pd.scratchpad_desc();
    reorder_scratchpad_offset_ = scratch_.Add(reorder_scratchpad_md_.get_size());
    name_ += "+reorder";
  }
}

std::unique_ptr<KernelState> OnednnInt8Kernel::CreateState() const {
  try {
    const dnnl::engine& engine = dense::CpuEngine();
    auto s = std::make_unique<Int8State>();
    s->stream = dnnl::stream(engine);
    s->src = memory(src_md_, engine, DNNL_MEMORY_NONE);
    s->dst = memory(dst_md_, engine, DNNL_MEMORY_NONE);
    s->weights = memory(packed_weights_.get_desc(), engine, packed_weights_.get_data_handle());
    s->main.primitive = primitive_.get();
    s->main.Add(DNNL_ARG_SRC, s->src);
    s->main.Add(DNNL_ARG_WEIGHTS, s->weights);
    s->main.Add(DNNL_ARG_DST, s->dst);
    if (bias_.defined()) {
      s->bias = memory(bias_md_, engine, bias_.raw());
      s->main.Add(kBiasArg, s->bias);
    }
    if (scratchpad_md_.get_size() > 0) {
      s->scratchpad = memory(scratchpad_md_, engine, DNNL_MEMORY_NONE);
      s->main.Add(DNNL_ARG_SCRATCHPAD, s->scratchpad);
    }
    if (dst_reorder_) {
      s->user_dst = memory(user_dst_md_, engine, DNNL_MEMORY_NONE);
      s->dst_reorder.primitive = dst_reorder_->get();
      s->dst_reorder.Add(DNNL_ARG_FROM, s->dst);
      s->dst_reorder.Add(DNNL_ARG_TO, s->user_dst);
      if (reorder_scratchpad_md_.get_size() > 0) {
        s->reorder_scratchpad = memory(reorder_scratchpad_md_, engine, DNNL_MEMORY_NONE);
        s->dst_reorder.Add(DNNL_ARG_SCRATCHPAD, s->reorder_scratchpad);
      }
    }
    return s;
  } catch (const std::exception&) {
    return nullptr;  // Execute reports the missing state
  }
}

Status OnednnInt8Kernel::Execute(std::span<const TensorView> inputs,
                                 std::span<const TensorView> outputs,
                                 const ExecContext& ctx) const {
  auto* s = dynamic_cast<Int8State*>(ctx.state);
  if (s == nullptr) return Internal("int8 kernel: missing or foreign kernel state");
  if (inputs.empty() || outputs.empty() || inputs[0].data == nullptr ||
      outputs[0].data == nullptr || inputs[0].numel() != x_elements_ ||
      outputs[0].numel() != y_elements_) {
    return InvalidArgument("int8 kernel: inputs/outputs differ from the prepared shapes");
  }
  if (ctx.scratch == nullptr) return InvalidArgument("int8 kernel: missing scratch buffer");
  try {
    dense::SetNumThreads(ctx.num_threads);
    void* xq = At(ctx.scratch, src_offset_);
    void* stage = split_groups_ > 0 ? At(ctx.scratch, stage_offset_) : xq;
    const float* x = inputs[0].data_as<const float>();
    if (channels_last_) {
      QuantizeToChannelsLast(x, batch_, channels_, plane_, x_, stage);
    } else {
      QuantizeRow(x, x_elements_, x_, stage);
    }
    if (split_groups_ > 0) {  // each group's channels twice: for the high and the low halves
      const int64_t per_group = channels_ / split_groups_;
      const auto* from = static_cast<const uint8_t*>(stage);
      auto* to = static_cast<uint8_t*>(xq);
      for (int64_t r = 0; r < x_elements_ / per_group; ++r) {
        std::memcpy(to + 2 * r * per_group, from + r * per_group, per_group);
        std::memcpy(to + (2 * r + 1) * per_group, from + r * per_group, per_group);
      }
    }
    Bind(s->src, xq);
    if (scratchpad_md_.get_size() > 0) Bind(s->scratchpad, At(ctx.scratch, scratchpad_offset_));
    if (dst_reorder_) {
      Bind(s->dst, At(ctx.scratch, dst_offset_));
      Bind(s->user_dst, outputs[0].data);
      if (reorder_scratchpad_md_.get_size() > 0) {
        Bind(s->reorder_scratchpad, At(ctx.scratch, reorder_scratchpad_offset_));
      }
    } else {
      Bind(s->dst, outputs[0].data);
    }
    SL_RETURN_IF_ERROR(dense::Run(s->main, s->stream));
    if (dst_reorder_) SL_RETURN_IF_ERROR(dense::Run(s->dst_reorder, s->stream));
  } catch (const std::exception& e) {
    return Internal(std::string("int8 kernel: oneDNN: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace sl::quant

// Quantized Conv through oneDNN's INT8 convolution_forward (u8/s8 source, s8 weights, f32
// destination; VNNI / AMX implementations where the CPU has them, AMX only for layers of at least
// kAmxMinMacs; without VNNI on split weights over twice the input channels, onednn_int8_kernel.h).
//
// Prepare:
//  1. Source in channels-last (what the INT8 JIT implementations read), quantized into it by the
//     kernel; weights and destination in format `any`.
//  2. Output scales x_scale * w_scale[oc], the source zero point, the bias as a binary-add
//     post-op and the fused activation as an eltwise post-op (onednn_int8_kernel.h).
//  3. Reorder the constant int8 weights once into the primitive's layout (oneDNN adds the
//     compensation its s8-source VNNI kernels need); the destination is reordered to NCHW per run
//     when the primitive chose a blocked or channels-last one.
#include "kernels/quant/onednn_int8_kernel.h"

namespace sl::quant {

using dnnl::memory;
using Tag = memory::format_tag;

Result<std::unique_ptr<Kernel>> CreateOnednnInt8Conv(const KernelRequest& req,
                                                     const QuantNodeSpec& spec) {
  const QuantConvGeometry& g = spec.conv;
  const Tensor& w = req.input(1).constant;
  const Tensor& w_scale = req.input(3).constant;
  try {
    const dnnl::engine& engine = dense::CpuEngine();
    const bool split = UseSplitWeights();
    const int64_t in_channels = split ? 2 * g.in_channels : g.in_channels;
    const memory::dims src_dims = {g.batch, in_channels, g.in_h, g.in_w};
    const memory::dims dst_dims = {g.batch, g.out_channels, g.out_h, g.out_w};
    const bool grouped = g.groups > 1;
    const memory::dims wei_dims =
        grouped ? memory::dims{g.groups, g.out_channels / g.groups, in_channels / g.groups,
                               g.kernel_h, g.kernel_w}
                : memory::dims{g.out_channels, in_channels, g.kernel_h, g.kernel_w};
    QuantNodeSpec run = spec;
    if (split) run.x = SplitInput(spec.x);
    const auto s8 = memory::data_type::s8, f32 = memory::data_type::f32;
    const auto src_type = run.x.is_signed ? s8 : memory::data_type::u8;
    const memory::desc src_md(src_dims, src_type, Tag::nhwc);
    const memory::desc user_dst_md(dst_dims, f32, Tag::nchw);
    const memory::desc bias_md =
        spec.has_bias ? memory::desc({1, g.out_channels, 1, 1}, f32, Tag::nchw) : memory::desc();
    const dnnl::primitive_attr attr =
        MakeInt8Attr(run, OutputScales(spec, w_scale), /*channel_mask=*/1 << 1, bias_md);
    dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
        memory::desc(wei_dims, s8, Tag::any), memory::desc(), memory::desc(dst_dims, f32, Tag::any),
        {g.stride_h, g.stride_w}, {g.dilation_h - 1, g.dilation_w - 1}, {g.pad_top, g.pad_left},
        {g.pad_bottom, g.pad_right});
    const double macs = static_cast<double>(g.batch) * g.out_channels * g.out_h * g.out_w *
                        (g.in_channels / g.groups) * g.kernel_h * g.kernel_w;
    const auto pd = AvoidAmxWhenSmall(
        dnnl::convolution_forward::primitive_desc(d, attr, engine), macs,
        [&] { return dnnl::convolution_forward::primitive_desc(d, attr, engine); });

    auto k = std::make_unique<OnednnInt8Kernel>();
    k->x_ = run.x;
    k->channels_last_ = true;
    k->batch_ = g.batch;
    k->channels_ = g.in_channels;
    k->plane_ = g.in_h * g.in_w;
    k->x_elements_ = g.batch * g.in_channels * g.in_h * g.in_w;
    k->y_elements_ = g.batch * g.out_channels * g.out_h * g.out_w;
    std::vector<int8_t> halves;
    if (split) {
      halves = SplitWeightsAlongInput(w.data<int8_t>(), g.out_channels,
                                      g.in_channels / g.groups * g.kernel_h * g.kernel_w);
      k->split_groups_ = g.groups;
    }
    const memory::desc user_wei_md(wei_dims, s8, grouped ? Tag::goihw : Tag::oihw);
    k->Build(pd, dnnl::convolution_forward(pd), user_dst_md, user_wei_md,
             split ? static_cast<const void*>(halves.data()) : w.raw(), bias_md,
             spec.has_bias ? req.input(2).constant : Tensor());
    return std::unique_ptr<Kernel>(std::move(k));
  } catch (const std::exception& e) {
    return dense::FromDnnlError(req, "int8 convolution", e);
  }
}

}  // namespace sl::quant

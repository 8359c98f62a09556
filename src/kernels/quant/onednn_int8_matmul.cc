// Quantized Gemm / MatMul through oneDNN's INT8 matmul: A [rows, K] quantized to u8/s8 in place
// of the float rows (batch dims of a MatMul are rows), constant s8 W [K, N] (read transposed
// through strides for Gemm transB) packed once into the primitive's layout, f32 Y [rows, N].
// Output scales, source zero point, bias and activation as in onednn_int8_kernel.h (without VNNI:
// split weights into an int32 destination, ibid.).
#include "kernels/quant/onednn_int8_kernel.h"

namespace sl::quant {

using dnnl::memory;

Result<std::unique_ptr<Kernel>> CreateOnednnInt8MatMul(const KernelRequest& req,
                                                       const QuantNodeSpec& spec) {
  const Tensor& w = req.input(1).constant;
  const Tensor& w_scale = req.input(3).constant;
  const int64_t m = spec.rows, k = spec.k, n = spec.out_channels;
  try {
    const dnnl::engine& engine = dense::CpuEngine();
    const auto s8 = memory::data_type::s8, f32 = memory::data_type::f32;
    const bool split = UseSplitWeights();
    const QuantInput x = split ? SplitInput(spec.x) : spec.x;
    const auto src_type = x.is_signed ? s8 : memory::data_type::u8;
    const memory::desc src_md({m, k}, src_type, memory::dims{k, 1});
    const memory::desc dst_md({m, n}, split ? memory::data_type::s32 : f32, memory::dims{n, 1});
    const memory::desc user_wei_md({k, n}, s8,
                                   spec.trans_w ? memory::dims{1, k} : memory::dims{n, 1});
    const memory::desc bias_md =
        spec.has_bias && !split ? memory::desc({1, n}, f32, memory::dims{n, 1}) : memory::desc();
    const dnnl::primitive_attr attr =
        split ? MakeSplitAttr(x)
              : MakeInt8Attr(spec, OutputScales(spec, w_scale), /*channel_mask=*/1 << 1, bias_md);
    const dnnl::matmul::desc d(src_md, memory::desc({k, n}, s8, memory::format_tag::any), dst_md);
    const auto pd = AvoidAmxWhenSmall(
        dnnl::matmul::primitive_desc(d, attr, engine), static_cast<double>(m) * k * n,
        [&] { return dnnl::matmul::primitive_desc(d, attr, engine); });

    auto kernel = std::make_unique<OnednnInt8Kernel>();
    kernel->x_ = x;
    kernel->x_elements_ = m * k;
    kernel->y_elements_ = m * n;
    const Tensor bias = spec.has_bias ? req.input(2).constant : Tensor();
    if (split) {
      kernel->BuildSplit(pd, dnnl::matmul(pd), user_wei_md, w.data<int8_t>(), w.numel(),
                         OutputScales(spec, w_scale), bias, spec.act, /*out_plane=*/1, n);
    } else {
      kernel->Build(pd, dnnl::matmul(pd), dst_md, user_wei_md, w.raw(), bias_md, bias);
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  } catch (const std::exception& e) {
    return dense::FromDnnlError(req, "int8 matmul", e);
  }
}

}  // namespace sl::quant

// Quantized Gemm / MatMul through oneDNN's INT8 matmul: A [rows, K] quantized to u8/s8 in place
// of the float rows (batch dims of a MatMul are rows), constant s8 W [K, N] (read transposed
// through strides for Gemm transB) packed once into the primitive's layout, f32 Y [rows, N].
// Output scales, source zero point, bias and activation as in onednn_int8_kernel.h (without VNNI:
// split weights over twice K, ibid.).
#include "kernels/quant/onednn_int8_kernel.h"

namespace sl::quant {

using dnnl::memory;

Result<std::unique_ptr<Kernel>> CreateOnednnInt8MatMul(const KernelRequest& req,
                                                       const QuantNodeSpec& spec) {
  const Tensor& w = req.input(1).constant;
  const Tensor& w_scale = req.input(3).constant;
  const int64_t m = spec.rows, k = spec.k, n = spec.out_channels;
  const bool split = UseSplitWeights();
  const int64_t kk = split ? 2 * k : k;  // the reduction the primitive runs
  try {
    const dnnl::engine& engine = dense::CpuEngine();
    QuantNodeSpec run = spec;
    if (split) run.x = SplitInput(spec.x);
    const auto s8 = memory::data_type::s8, f32 = memory::data_type::f32;
    const auto src_type = run.x.is_signed ? s8 : memory::data_type::u8;
    const memory::desc src_md({m, kk}, src_type, memory::dims{kk, 1});
    const memory::desc dst_md({m, n}, f32, memory::dims{n, 1});
    const memory::desc user_wei_md({kk, n}, s8,
                                   spec.trans_w ? memory::dims{1, kk} : memory::dims{n, 1});
    // Split: W^T [n][k] -> [n][2k]; W [k][n] -> [2k][n] (all high halves, then all low ones).
    std::vector<int8_t> halves;
    if (split)
      halves = spec.trans_w ? SplitWeightsAlongInput(w.data<int8_t>(), n, k)
                            : SplitWeightsAlongInput(w.data<int8_t>(), 1, k * n);
    const memory::desc bias_md =
        spec.has_bias ? memory::desc({1, n}, f32, memory::dims{n, 1}) : memory::desc();
    const dnnl::primitive_attr attr =
        MakeInt8Attr(run, OutputScales(spec, w_scale), /*channel_mask=*/1 << 1, bias_md);
    const dnnl::matmul::desc d(src_md, memory::desc({kk, n}, s8, memory::format_tag::any), dst_md);
    const auto pd = AvoidAmxWhenSmall(
        dnnl::matmul::primitive_desc(d, attr, engine), static_cast<double>(m) * kk * n,
        [&] { return dnnl::matmul::primitive_desc(d, attr, engine); });

    auto kernel = std::make_unique<OnednnInt8Kernel>();
    kernel->x_ = run.x;
    kernel->channels_ = k;  // a row of the quantized input
    kernel->x_elements_ = m * k;
    kernel->y_elements_ = m * n;
    if (split) kernel->split_groups_ = 1;
    kernel->Build(pd, dnnl::matmul(pd), dst_md, user_wei_md,
                  split ? static_cast<const void*>(halves.data()) : w.raw(), bias_md,
                  spec.has_bias ? req.input(2).constant : Tensor());
    return std::unique_ptr<Kernel>(std::move(kernel));
  } catch (const std::exception& e) {
    return dense::FromDnnlError(req, "int8 matmul", e);
  }
}

}  // namespace sl::quant

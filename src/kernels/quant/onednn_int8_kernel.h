// The kernel object shared by the oneDNN INT8 Conv and MatMul factories: quantize the float32
// activation into scratch, run one INT8 primitive (output scales, source zero point, bias and
// activation as attributes / post-ops) writing float32, and reorder the result to the caller's
// layout when the primitive chose another one.
//
// Execute:
//  1. x -> int8/uint8 in ctx.scratch (QuantizeRow, or QuantizeToChannelsLast for Conv);
//  2. the primitive, reading packed constant weights and the constant bias;
//  3. if dst_reorder is set, the primitive's float32 output (in scratch) -> the caller's y.
//
// Split weights, on CPUs without VNNI (UseSplitWeights()): there oneDNN adds pairs of u8 x s8
// products in saturating 16-bit lanes (vpmaddubsw), so a pair of 255 x 127 products overflows.
// Each weight is split into halves of at most 64 in magnitude, w = (w >> 1) + (w - (w >> 1)),
// laid side by side along the reduction (SplitWeightsAlongInput): [high halves | low halves] per
// output channel (Conv, per group) or along K (MatMul), and the quantized input is written twice
// to match (step 1 stages it, then each group's channels or each row is copied twice). The one
// primitive then sums both halves exactly in int32 and applies scales, bias and activation as
// usual. An int8 activation is quantized to uint8 with its zero point + 128 (the same values
// shifted), so no pair exceeds 2 x 255 x 64 < 2^15.
#pragma once

#include <optional>
#include <string>

#include "kernels/dense/onednn_common.h"
#include "kernels/quant/quant.h"

namespace sl::quant {

class OnednnInt8Kernel final : public Kernel {
 public:
  std::string name() const override { return name_; }
  size_t scratch_bytes() const override { return scratch_.total(); }
  std::unique_ptr<KernelState> CreateState() const override;
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

  // Set by the factories before Build().
  QuantInput x_;
  // Quantization layout: channels-last over [batch, channels, plane] (Conv) or a flat row.
  bool channels_last_ = false;
  int64_t batch_ = 0, channels_ = 0, plane_ = 0;
  int64_t x_elements_ = 0, y_elements_ = 0;

  // Creates the primitive of `pd`, packs the constant int8 `weights` (in `user_wei_md`) into its
  // layout, keeps the constant `bias` (for the `bias_md` post-op; undefined when none) and lays
  // out the scratch (quantized src, scratchpad, the primitive's dst when it differs from
  // `user_dst_md`) and the dst reorder. Throws dnnl::error.
  void Build(const dnnl::primitive_desc& pd, dnnl::primitive primitive,
             const dnnl::memory::desc& user_dst_md, const dnnl::memory::desc& user_wei_md,
             const void* weights, const dnnl::memory::desc& bias_md, const Tensor& bias);
  // Split weights when > 0 (set before Build()): the quantized input, rows of channels_ values in
  // this many groups, is staged and each group's channels written twice.
  int64_t split_groups_ = 0;

 private:
  std::string name_;
  dnnl::primitive primitive_;
  dnnl::memory::desc src_md_, dst_md_, user_dst_md_, bias_md_, scratchpad_md_;
  dnnl::memory packed_weights_;
  Tensor bias_;
  dense::ScratchLayout scratch_;
  size_t src_offset_ = 0, scratchpad_offset_ = 0, dst_offset_ = 0;
  std::optional<dnnl::reorder> dst_reorder_;
  dnnl::memory::desc reorder_scratchpad_md_;
  size_t reorder_scratchpad_offset_ = 0;
  size_t stage_offset_ = 0;
};

// The activation quantization the split path runs with: an int8 one as uint8 with zero point + 128
// (clamp(round(x / s) + z + 128, 0, 255) is the int8 value plus 128); uint8 as it is.
QuantInput SplitInput(const QuantInput& x);

// Weights [outer][inner] -> [outer][2 x inner]: each block's high halves, then its low halves.
std::vector<int8_t> SplitWeightsAlongInput(const int8_t* w, int64_t outer, int64_t inner);

// Below this many multiply-accumulates per call, AMX implementations are passed over.
// oneDNN 2.6 prefers AMX wherever the CPU has it, but its per-call tile setup dominates small
// layers: on the zoo's convolutions (0.1-1 M MACs; 2-core Intel Xeon with AMX) AMX took 13-16 us
// per layer where the VNNI kernel took 4-6 us, and the INT8 ResNet 147 us against 64 us.
inline constexpr double kAmxMinMacs = 16.0 * 1024 * 1024;

// `pd`, or when it is an AMX implementation and the problem is below kAmxMinMacs, the next
// implementation of the same descriptor that is neither AMX nor a reference one (pd itself when
// there is none). `make` builds a fresh primitive descriptor (copies share their iterator).
template <typename PD, typename Make>
PD AvoidAmxWhenSmall(PD pd, double macs, const Make& make) {
  auto amx = [](const PD& d) {
    return std::string(d.impl_info_str()).find("amx") != std::string::npos;
  };
  if (macs >= kAmxMinMacs || !amx(pd)) return pd;
  PD other = make();
  while (other.next_impl()) {
    const std::string impl = other.impl_info_str();
    if (impl.find("amx") == std::string::npos && impl.find("ref") == std::string::npos)
      return other;
  }
  return pd;
}

// Output scales x_scale * w_scale[oc] (one value, or one per output channel), each product
// computed in float as the oracle does.
std::vector<float> OutputScales(const QuantNodeSpec& spec, const Tensor& w_scale);

// Attributes common to both primitives: user scratchpad, output scales over `channel_mask`, the
// source zero point, bias as a binary-add post-op of `bias_md` (when defined), then the
// activation.
dnnl::primitive_attr MakeInt8Attr(const QuantNodeSpec& spec, const std::vector<float>& scales,
                                  int channel_mask, const dnnl::memory::desc& bias_md);

}  // namespace sl::quant

// INT8 Conv / Gemm / MatMul: the quantized form that FuseQuantizedOps (exec/quant_fuse.h) makes of
// DequantizeLinear(QuantizeLinear(x)) and DequantizeLinear(int8 constant W) feeding Conv / Gemm /
// MatMul, its naive oracle and its oneDNN INT8 kernel.
//
// A quantized node keeps its op (Conv, Gemm or MatMul) and its float32 output, and carries:
//   attrs  "_qx_scale"       float   scale of the activation's QuantizeLinear (> 0, finite)
//          "_qx_zero_point"  int     its zero point, within the range of "_qx_dtype"
//          "_qx_dtype"       string  "int8" | "uint8": the dtype the activation is quantized to
//          "_act", ...               the fused activation, as for float nodes (graph/graph.h)
//   inputs [0] float32 activation x (before QuantizeLinear)
//          [1] int8 constant weight W, zero point 0: Conv [OC, IC/group, kh(, kw)];
//              Gemm [N, K] with transB = 1 or [K, N] with transB = 0; MatMul [K, N]
//          [2] optional float32 bias with one value per output channel (kNoValue when absent)
//          [3] float32 constant weight scale: 1 value, or one per output channel
// Gemm is quantized only with transA = 0, alpha = 1 and beta = 1; MatMul's A may have batch dims
// (they are rows), its W is 2-D.
//
// Semantics (what the oracle computes and every kernel must match):
//   1. xq = saturate(round_half_even(x / x_scale) + zero_point), as QuantizeLinear; NaN gives 0.
//   2. acc = exact int32 sum of (xq - zero_point) * W over the reduction window (Conv padding
//      contributes 0, i.e. pads hold the zero point, as float Conv pads the dequantized x).
//   3. y = act(float(acc) * (x_scale * w_scale[oc]) + bias[oc]), the scale product in float.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "kernels/kernel.h"
#include "kernels/ref/activation_util.h"

namespace sl {

// The activation quantization of a quantized node.
struct QuantInput {
  float scale = 1.f;
  int32_t zero_point = 0;
  bool is_signed = true;  // int8 (else uint8)
  int32_t lowest() const { return is_signed ? -128 : 0; }
  int32_t highest() const { return is_signed ? 127 : 255; }
};

// Conv geometry normalised to 2-D (a 1-D conv has height 1, kernel 1, no vertical padding).
struct QuantConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0, groups = 1;
  int64_t in_h = 1, in_w = 0, out_h = 1, out_w = 0, kernel_h = 1, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

// Everything about a quantized node that its kernels need, read from the node and the dtypes /
// shapes of its operands. Weight and scale data are not copied.
struct QuantNodeSpec {
  OpType op = OpType::kConv;
  QuantInput x;
  FusedActivation act;
  bool has_bias = false;
  int64_t out_channels = 0;  // Conv OC, Gemm/MatMul N
  // Gemm / MatMul: Y[rows, n] = X[rows, k] * W[k, n] (W stored [n, k] when trans_w).
  int64_t rows = 0, k = 0;
  bool trans_w = false;
  QuantConvGeometry conv;  // Conv only
  int64_t num_w_scales = 1;
};

// True when `node` is in the quantized form above (has "_qx_scale").
bool IsQuantizedNode(const Node& node);

// Validates a quantized node against its operands (views: dtype and shape; data may be null) and
// resolves its geometry. InvalidArgument names the node and the offending value; Unsupported for
// forms the quantized path does not run (auto_pad other than NOTSET, 3-D conv).
Result<QuantNodeSpec> ParseQuantNode(const Node& node, std::span<const TensorView> inputs,
                                     std::span<const TensorView> outputs);

// QuantizeLinear of one value (step 1 above).
inline int32_t QuantizeValue(float x, const QuantInput& q) {
  const float scaled = x / q.scale;
  if (scaled != scaled) return 0;
  const float r = std::nearbyint(scaled) + static_cast<float>(q.zero_point);
  if (r <= static_cast<float>(q.lowest())) return q.lowest();
  if (r >= static_cast<float>(q.highest())) return q.highest();
  return static_cast<int32_t>(r);
}

// Quantizes `n` floats into int8 (q.is_signed) or uint8 storage at `dst`, element i to dst[i]
// (SIMD where the CPU has it; bit-identical to QuantizeValue).
void QuantizeRow(const float* src, int64_t n, const QuantInput& q, void* dst);
// Quantizes an NC(H)W tensor of `channels` planes of `plane` elements per batch item into
// channels-last (NHWC) order at `dst`.
void QuantizeToChannelsLast(const float* src, int64_t batch, int64_t channels, int64_t plane,
                            const QuantInput& q, void* dst);

// The oracle: steps 1-3 with plain loops. Writes every output element; allocates nothing.
Status RefQuantized(const Node& node, std::span<const TensorView> inputs,
                    std::span<const TensorView> outputs);

// Whether oneDNN's INT8 kernels compute exactly here: the ISA oneDNN dispatches to has VNNI
// (AVX512-VNNI or AVX-VNNI). Without it, oneDNN 2.6 sums pairs of u8 x s8 products in saturating
// 16-bit lanes (vpmaddubsw), which silently clips large sums (seen on AMD Zen 3: errors of 1-300
// %). Where it is false the kernels split the weights so that no pair can saturate
// (UseSplitWeights, kernels/quant/onednn_int8_kernel.h).
bool Int8KernelsExact();
// Whether the INT8 kernels split their weights: !Int8KernelsExact(), or forced on for tests.
bool UseSplitWeights();
void SetInt8SplitWeightsForTesting(bool on);

// A prepared oneDNN INT8 kernel for a quantized node (VNNI where the CPU has it, split weights
// where it has not), or Unsupported with the reason, in which case the plan runs RefQuantized.
// Same thread-safety contract as the dense kernels (kernels/dense/dense.h): immutable, Execute()
// allocates nothing.
Result<std::unique_ptr<Kernel>> CreateQuantKernel(const KernelRequest& req);

namespace quant {
Result<std::unique_ptr<Kernel>> CreateOnednnInt8Conv(const KernelRequest& req,
                                                     const QuantNodeSpec& spec);
Result<std::unique_ptr<Kernel>> CreateOnednnInt8MatMul(const KernelRequest& req,
                                                       const QuantNodeSpec& spec);
}  // namespace quant

}  // namespace sl

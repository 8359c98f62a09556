// The INT8 graph pass: recognises QDQ-quantized Conv / Gemm / MatMul and rewrites each into the
// quantized form of kernels/quant/quant.h, which the plan runs on oneDNN INT8 primitives.
#pragma once

#include "graph/graph.h"

namespace sl {

// Rewrites every Conv / Gemm / MatMul `n` of `g` (already inferred, folded and fused) where
//   1. input 0 is DequantizeLinear(QuantizeLinear(x)) with one per-tensor scale and zero point,
//      the same in both nodes, quantizing float32 x to int8 or uint8;
//   2. input 1 was DequantizeLinear(W) of a constant int8 W with zero point 0 and a per-tensor or
//      per-output-channel scale (Conv axis 0, Gemm transB ? 0 : 1, MatMul 2-D W axis 1);
//   3. the bias, if any, is a float32 constant with one value per output channel (Gemm also needs
//      transA = 0, alpha = beta = 1; Conv needs rank 3 or 4 and no auto_pad)
// into the quantized node reading x directly. QuantizeLinear / DequantizeLinear nodes left without
// readers are removed. Anything else is left as it is (it runs as float). On CPUs without VNNI the
// INT8 kernels split their weights to stay exact (UseSplitWeights, kernels/quant/quant.h).
//
// Constant folding has already turned DequantizeLinear(W) into a float constant and dropped the
// node, so the int8 W is found through that value's producer in `source`, the graph `g` was
// prepared from (g started as a copy of it and passes only append values, so ids agree).
Status FuseQuantizedOps(Graph& g, const Graph& source);

}  // namespace sl

// Naive reference kernels: the oracles every optimized kernel is tested against, and the kernels
// constant folding runs. One function per op (Ref<Op>, declared from ops.def).
//
// Contract: inputs and outputs are views whose dtype and shape were set by shape inference; the
// caller allocated every output. An omitted optional input has data == nullptr. A reference kernel
// writes every element of every output, allocates nothing, and honours the fused attributes
// documented in graph/graph.h. Clarity over speed: plain loops, no SIMD.
#pragma once

#include <span>

#include "core/tensor.h"
#include "graph/graph.h"

namespace sl {

using RefFn = Status (*)(const Node& node, std::span<const TensorView> inputs,
                         std::span<const TensorView> outputs);

#define SL_OP(name)                                                      \
  Status Ref##name(const Node& node, std::span<const TensorView> inputs, \
                   std::span<const TensorView> outputs);
#include "graph/ops.def"
#undef SL_OP

RefFn GetRefFn(OpType op);

}  // namespace sl

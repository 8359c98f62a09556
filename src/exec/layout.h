// Channel-blocked layout propagation (see KernelRequest::channel_block in kernels/kernel.h).
//
// oneDNN's direct convolutions work on channel-blocked activations (nChw16c with AVX-512,
// nChw8c with AVX2). A convolution that reads and writes plain NCHW pays a reorder on each side,
// which at batch 1 costs as much as a depthwise or small 3x3 convolution itself. This pass keeps
// values blocked along chains of kernels that accept that layout, so the reorders happen only where
// a chain meets anything else.
#pragma once

#include <span>
#include <vector>

#include "graph/graph.h"

namespace sl {

// What a node can do with blocked values, as decided by the executor from the kernel it will get.
enum class BlockRole {
  kNone,         // plain only
  kInOut,        // input 0 and output 0 may be blocked, each on its own (dense Conv, pools)
  kElementwise,  // inputs and output all the same shape: all blocked or all plain
};

// Per value: true when it is stored blocked. A value is blocked only if it is a float32 rank-4
// activation that is neither a graph input nor a graph output, its producer has a role, and every
// consumer has one (a kInOut consumer reads it as input 0 only); kElementwise nodes are then made
// all-or-nothing until nothing changes.
std::vector<bool> ChooseBlockedValues(const Graph& g, std::span<const BlockRole> roles);

// Elements of a value of `shape` stored blocked by `block` channels (rank 4 only).
int64_t BlockedElements(const Shape& shape, int block);

}  // namespace sl

// Which nodes the CUDA backend runs, and with what: a pure function of the prepared graph that
// needs no device, so tests and tools can ask it on machines without a GPU.
#pragma once

#include <string>

#include "backend/backend.h"

namespace sl::cuda {

// Whether the CUDA backend runs `request.node` (its bound shapes, dtypes, constants and
// attributes), with the reason when it does not. Never touches the device.
NodeSupport SupportsNode(const KernelRequest& request);

// The implementation a supported node gets: "cublas", "cudnn" (when built with cuDNN and the
// geometry suits it, else "im2col+cublas"), "cuda" (own kernel) or "alias" (no work: the output
// shares its input's memory).
std::string KernelNameFor(const KernelRequest& request);

// True when a Conv runs through cuDNN: built with cuDNN, 2-D, symmetric pads.
bool CudnnSuitsConv(const KernelRequest& request);

// Reshape-like ops whose output aliases the first input's memory.
bool IsAliasNode(const Graph& graph, const Node& node);

// The options the CUDA backend prepares with: the caller's, with the CPU-only INT8 and sparse
// kernel rewrites off (QDQ graphs run as float on dequantized weights).
PrepareOptions CudaPrepareOptions(const PrepareOptions& options);

// PrepareGraph with CudaPrepareOptions, then SupportsNode on every node: fails with
// Unsupported("cuda: <node>: <reason>") naming the first node the backend cannot run. This is the
// device-free half of Backend::Prepare.
[[nodiscard]] Result<Graph> PrepareCudaGraph(const Graph& graph, const PrepareOptions& options);

}  // namespace sl::cuda

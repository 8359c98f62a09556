// Fast CPU kernels (float32) for the non-GEMM ops that dominate whole-model latency once Conv,
// Gemm and MatMul run on oneDNN: broadcasting Add/Sub/Mul/Div (with an optional fused "_act"),
// unary activations and math, 2-D pools, Softmax, ReduceMean/ReduceSum, LayerNormalization,
// Transpose, Gather, Concat and Split.
//
// Contract: CreateCpuKernel is called at prepare time with every input/output shape bound. It
// returns a prepared kernel, or Unsupported (with the reason) when it has no fast path for that
// node, shape or dtype; the executor then falls back to the reference kernel. It never throws and
// never crashes on bad input. Results agree with the reference kernels within float rounding
// (vectorised exp/erf/tanh: a few ulp; sums accumulate in float instead of double).
//
// Thread safety: a returned Kernel is immutable; Execute() may run concurrently from several
// threads, each with its own ExecContext. Execute() allocates nothing. It uses up to
// ctx.num_threads OpenMP threads when the node moves more than kParallelMinElements elements.
#pragma once

#include <memory>

#include "core/status.h"
#include "kernels/kernel.h"

namespace sl {

// Returns a prepared fast CPU kernel for `req.node`, or Unsupported (with the reason).
Result<std::unique_ptr<Kernel>> CreateCpuKernel(const KernelRequest& req);

namespace cpu {

// Per-family factories behind CreateCpuKernel (exposed for tests). Each returns Unsupported for
// nodes it cannot handle.
Result<std::unique_ptr<Kernel>> CreateBinaryKernel(const KernelRequest& req);  // Add Sub Mul Div
Result<std::unique_ptr<Kernel>> CreateUnaryKernel(const KernelRequest& req);   // activations
Result<std::unique_ptr<Kernel>> CreatePoolKernel(const KernelRequest& req);    // Max/Avg/Global
// The same pools over a channel-blocked input (exec/layout.h), output blocked or plain.
Result<std::unique_ptr<Kernel>> CreateBlockedPoolKernel(const KernelRequest& req);
Result<std::unique_ptr<Kernel>> CreateSoftmaxKernel(const KernelRequest& req);
Result<std::unique_ptr<Kernel>> CreateReduceKernel(const KernelRequest& req);  // Mean Sum
Result<std::unique_ptr<Kernel>> CreateLayerNormKernel(const KernelRequest& req);
Result<std::unique_ptr<Kernel>> CreateTransposeKernel(const KernelRequest& req);
Result<std::unique_ptr<Kernel>> CreateGatherKernel(const KernelRequest& req);
Result<std::unique_ptr<Kernel>> CreateConcatSplitKernel(const KernelRequest& req);

}  // namespace cpu
}  // namespace sl

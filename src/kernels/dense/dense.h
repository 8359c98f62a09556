// Dense FP32 kernels for Conv, Gemm and MatMul: oneDNN primitives plus a hand-written GEMV for
// batch-1 fully-connected layers.
//
// Contract: CreateDenseKernel is called at prepare time with every input/output shape bound. It
// returns a prepared kernel (weights packed, primitives created) or Unsupported with the reason
// when the node cannot run here, in which case the executor falls back to the reference kernel.
// It never throws and never crashes on bad input.
//
// Thread safety: a returned Kernel is immutable; Execute() may run concurrently from several
// threads, each with its own ExecContext and KernelState. Execute() allocates no tensor memory:
// oneDNN's scratchpad and any layout reorders live in ctx.scratch.
#pragma once

#include <memory>

#include "core/status.h"
#include "kernels/kernel.h"

namespace sl {

// Returns a prepared kernel for a Conv, Gemm or MatMul node, or Unsupported (with the reason).
Result<std::unique_ptr<Kernel>> CreateDenseKernel(const KernelRequest& req);

namespace dense {

// Per-op factories behind CreateDenseKernel (exposed for tests). Each returns Unsupported for
// nodes it cannot handle.
Result<std::unique_ptr<Kernel>> CreateOnednnConv(const KernelRequest& req);
// Pointwise Conv (1x1, stride 1, no padding, one group, constant bias) as a oneDNN matmul over
// strided views of the NCHW tensors: no layout reorders per call.
Result<std::unique_ptr<Kernel>> CreateOnednnConv1x1(const KernelRequest& req);
Result<std::unique_ptr<Kernel>> CreateOnednnMatMul(const KernelRequest& req);
// The batch-1 GEMV path: Gemm/MatMul whose activation has exactly one row and whose weights are a
// constant 2-D matrix.
Result<std::unique_ptr<Kernel>> CreateGemv(const KernelRequest& req);

}  // namespace dense
}  // namespace sl

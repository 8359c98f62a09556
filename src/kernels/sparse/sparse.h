// Sparse FP32 kernels for Conv, Gemm and MatMul with constant weights: the weight's sparsity and
// pattern are detected at prepare time and it is packed into CSR (unstructured), 4x1 blocks or
// 2:4 (packed_matrix.h); all-zero rows and all-zero input columns are skipped. The inner loops are
// dispatched at run time to AVX-512, AVX2 + FMA or scalar code (spmm.h; the level follows
// dense::ActiveSimdLevel(), so dense::ForceSimdLevelForTesting forces it for both paths).
//
// Choice per layer (select.cc):
//   1. Unsupported when the node has no constant float32 weight matrix this module runs;
//   2. unless forced, Unsupported when the weight sparsity is below opts.min_sparsity;
//   3. candidates are every format that represents the weights exactly; with opts.measure each
//      candidate and the dense kernel (CreateDenseKernel) run a few times on the real shapes with
//      req.num_threads threads and the fastest wins; without it a cost model decides;
//   4. the decision is cached process-wide per (op geometry, pattern, 5%-sparsity bucket,
//      threads), so preparing the same layer again does not measure again;
//   5. unless forced, Unsupported("dense measured faster ...") when dense won.
//
// Thread safety: CreateSparseKernel may be called concurrently. A returned Kernel is immutable;
// Execute() may run concurrently with separate ExecContexts, uses ctx.scratch for its operand
// tiles, allocates nothing and runs on up to ctx.num_threads OpenMP threads (capped at the
// req.num_threads it was prepared for, which sizes the scratch).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "kernels/kernel.h"
#include "kernels/sparse/packed_matrix.h"

namespace sl {

struct SparseOptions {
  // Always return a sparse kernel (the best sparse format) when the node is supported, even when
  // dense would be faster or the weights are dense. Used by the forced-sparse conformance run.
  bool force = false;
  // Choose by timing candidates at prepare time (else by the cost model).
  bool measure = true;
  // Below this weight sparsity dense is used without measuring (unless forced).
  double min_sparsity = 0.3;
  // Timed runs per candidate when measuring (after one warm-up run).
  int measure_iterations = 5;
  // Test hook: use exactly this format (implies force; Unsupported if it cannot hold the weights).
  std::optional<sparse::SparseFormat> format;
};

// Returns a prepared sparse kernel for a Conv, Gemm or MatMul node, or Unsupported with the reason
// (e.g. "sparsity 12% below threshold 30%", "dense measured faster: ...") when dense should run.
Result<std::unique_ptr<Kernel>> CreateSparseKernel(const KernelRequest& req,
                                                   const SparseOptions& opts = {});

namespace sparse {

// The per-op factories behind CreateSparseKernel, building one given format (exposed for tests
// and benchmarks). Unsupported for nodes they cannot run or weights `format` cannot hold.
Result<std::unique_ptr<Kernel>> CreateSparseConv(const KernelRequest& req, SparseFormat format);
Result<std::unique_ptr<Kernel>> CreateSparseMatMul(const KernelRequest& req, SparseFormat format);

// The measurement behind the choice: median wall time in us of each of `kernels` on `req`'s node
// with seeded random inputs, in interleaved rounds (each round runs every kernel once, the first
// one further along each round) after one warm-up round that sizes the count (about 2 ms of
// timed runs per kernel, within [iterations, 200]); 1e30 for a kernel that fails.
std::vector<double> MeasureInterleavedUs(const KernelRequest& req,
                                         const std::vector<const Kernel*>& kernels, int iterations);

// Weight statistics of a supported node (merged over groups), for reports and tests.
Result<WeightStats> AnalyzeNodeWeights(const KernelRequest& req);

// Test hook: sparse convolutions created while this is on use the im2col-per-tile operand even
// where the padded grid applies (stride 1), so tests can check both paths.
void SetConvGridDisabledForTesting(bool disabled);

// Empties the process-wide decision cache (tests, benchmarks).
void ClearDecisionCacheForTesting();
// Number of decisions in the cache.
size_t DecisionCacheSize();

}  // namespace sparse
}  // namespace sl

// The compiled form of one node on the CUDA backend: a CudaOp, made at prepare time (attributes
// parsed, index maps built, derived constants uploaded, cuDNN algorithms chosen) and immutable
// afterwards, so any number of runners may run it concurrently, each on its own stream and
// library handles.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#ifdef SL_HAVE_CUDNN
#include <cudnn.h>
#endif

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_util.h"
#include "graph/graph.h"
#include "kernels/kernel.h"

namespace sl {
struct WindowGeometry;
}

namespace sl::cuda {

// The cuBLAS entry points the ops call. Tests replace them with a host emulation to check, without
// a device, the arguments (transposes, leading dims, batch strides) the ops pass.
struct BlasApi {
  cublasStatus_t (*sgemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n, int k,
                          const float* alpha, const float* a, int lda, const float* b, int ldb,
                          const float* beta, float* c, int ldc);
  cublasStatus_t (*sgemm_strided_batched)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                                          int m, int n, int k, const float* alpha, const float* a,
                                          int lda, long long stride_a, const float* b, int ldb,
                                          long long stride_b, const float* beta, float* c, int ldc,
                                          long long stride_c, int batch_count);
};
// cublasSgemm / cublasSgemmStridedBatched.
const BlasApi& CublasApi();

// What one runner lends an op for one run.
struct RunContext {
  cudaStream_t stream = nullptr;
  const BlasApi* blas = &CublasApi();
  const KernelApi* kernels = &DeviceKernels();
  cublasHandle_t cublas = nullptr;
#ifdef SL_HAVE_CUDNN
  cudnnHandle_t cudnn = nullptr;
#endif
  void* scratch = nullptr;  // at least the op's scratch_bytes(), 256-byte aligned
};

class CudaOp {
 public:
  virtual ~CudaOp() = default;
  // The implementation, as StepInfo::kernel shows it ("cublas", "cudnn", "im2col+cublas", "cuda").
  virtual std::string name() const { return "cuda"; }
  // Why this implementation, when a preferred one declined (else empty).
  virtual std::string reason() const { return ""; }
  // Device scratch the op needs per run (im2col buffer, cuDNN workspace).
  virtual size_t scratch_bytes() const { return 0; }
  // Enqueues the node on ctx.stream. `in` / `out` are device pointers following the node's
  // inputs / outputs (nullptr for omitted ones). Fails naming the library call that failed.
  [[nodiscard]] virtual Status Run(const RunContext& ctx, std::span<const void* const> in,
                                   std::span<void* const> out) const = 0;
};

// What the compiler of one node may use at prepare time.
struct CompileContext {
  const Graph& graph;
  const Node& node;
  DeviceMemory& memory;  // the plan's device memory (derived constants go here)
#ifdef SL_HAVE_CUDNN
  cudnnHandle_t cudnn = nullptr;  // for choosing algorithms; not used at run time
#endif
  const Value& input(int i) const { return graph.values[node.inputs[i]]; }
  bool has_input(int i) const {
    return i < static_cast<int>(node.inputs.size()) && node.inputs[i] != kNoValue;
  }
  const Value& output(int i) const { return graph.values[node.outputs[i]]; }
  KernelRequest request() const { return KernelRequest{graph, node, 1}; }
};

// Compiles a node that SupportsNode() accepted and that is not an alias.
[[nodiscard]] Result<std::unique_ptr<CudaOp>> CompileOp(const CompileContext& ctx);

// Per op family (cuda_ops_math.cc, cuda_ops_shape.cc, cuda_ops_norm.cc).
[[nodiscard]] Result<std::unique_ptr<CudaOp>> CompileGemmLike(const CompileContext& ctx);
[[nodiscard]] Result<std::unique_ptr<CudaOp>> CompileConv(const CompileContext& ctx);
[[nodiscard]] Result<std::unique_ptr<CudaOp>> CompileElementwise(const CompileContext& ctx);
[[nodiscard]] Result<std::unique_ptr<CudaOp>> CompileShapeOp(const CompileContext& ctx);
[[nodiscard]] Result<std::unique_ptr<CudaOp>> CompileNormOp(const CompileContext& ctx);

// Index-map builders shared by the op families (cuda_ops_shape.cc).
// Row-major strides of `shape`.
std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape);
// Strides of an operand of shape `in` broadcast (numpy rules, right-aligned) onto `out`: 0 along
// broadcast dims. `in` must broadcast to `out`.
std::vector<int64_t> BroadcastStrides(std::span<const int64_t> in, std::span<const int64_t> out);
// A map over `dims` with the given per-operand strides (each of dims' rank). Fails above kMaxRank.
Result<IndexMap> MakeIndexMap(std::span<const int64_t> dims,
                              const std::vector<std::vector<int64_t>>& strides);

// A Conv / pool geometry as the kernels take it (cuda_ops_norm.cc).
WindowDesc ToWindowDesc(const WindowGeometry& g);

// The fused activation as a clamp range (lo, hi): (-inf, inf) none, (0, inf) Relu.
struct ClampRange {
  float lo, hi;
  bool active() const;
};
[[nodiscard]] Result<ClampRange> FusedClamp(const Node& node);

}  // namespace sl::cuda

// Device-free check of how the CUDA backend drives cuBLAS: the compiled Gemm / MatMul / 1x1 Conv
// ops run on host memory with a host emulation of cublasSgemm / cublasSgemmStridedBatched
// (column-major, exactly as documented), and must match the reference kernels. This exercises
// the row-major-to-column-major mapping, transposes, leading dims, batch strides (0 for
// broadcast), the folded / strided / per-batch MatMul modes and grouped 1x1 convolutions. Ops
// that also need a device kernel (bias / activation epilogue, im2col) are skipped here; they run
// in the device tests.
#include <gtest/gtest.h>

#ifdef SL_HAVE_CUDA
#include <cstring>
#include <map>

#include "backend/backend.h"
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_support.h"
#include "backend/cuda_op_cases.h"

namespace sl {
namespace {

using testing::Attrs;
using testing::GraphBuilder;
using testing::Ints;
using testing::OpCase;

float At(const float* m, cublasOperation_t op, int ld, int row, int col) {
  return op == CUBLAS_OP_N ? m[row + int64_t{col} * ld] : m[col + int64_t{row} * ld];
}

// C[m x n] = alpha op(A)[m x k] op(B)[k x n] + beta C, column-major, as cuBLAS defines it.
cublasStatus_t HostSgemm(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                         int k, const float* alpha, const float* a, int lda, const float* b,
                         int ldb, const float* beta, float* c, int ldc) {
  // cuBLAS argument checks that matter for our calls.
  if (m < 0 || n < 0 || k < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (lda < std::max(1, ta == CUBLAS_OP_N ? m : k)) return CUBLAS_STATUS_INVALID_VALUE;
  if (ldb < std::max(1, tb == CUBLAS_OP_N ? k : n)) return CUBLAS_STATUS_INVALID_VALUE;
  if (ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int p = 0; p < k; ++p)
        acc += static_cast<double>(At(a, ta, lda, i, p)) * At(b, tb, ldb, p, j);
      float& out = c[i + int64_t{j} * ldc];
      out = static_cast<float>(*alpha * acc + (*beta == 0.f ? 0.0 : *beta * out));
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t HostSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                       int m, int n, int k, const float* alpha, const float* a,
                                       int lda, long long stride_a, const float* b, int ldb,
                                       long long stride_b, const float* beta, float* c, int ldc,
                                       long long stride_c, int batches) {
  for (int i = 0; i < batches; ++i) {
    const cublasStatus_t s = HostSgemm(h, ta, tb, m, n, k, alpha, a + i * stride_a, lda,
                                       b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
  }
  return CUBLAS_STATUS_SUCCESS;
}

std::vector<OpCase> BlasCases() {
  std::vector<OpCase> cases;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      cases.push_back(
          {"Gemm_transA" + std::to_string(ta) + "_transB" + std::to_string(tb), [ta, tb] {
             GraphBuilder b;
             const int a = b.Input("a", ta ? Shape{13, 7} : Shape{7, 13});
             const int w = b.RandomConst("w", tb ? Shape{5, 13} : Shape{13, 5}, 3);
             b.Output(b.Node(
                 OpType::kGemm, "g", {a, w}, {"y"},
                 Attrs({{"transA", int64_t{ta}}, {"transB", int64_t{tb}}, {"alpha", 0.5f}})));
             return b.Build();
           }});
    }
  }
  cases.push_back(
      {"Conv1x1Batch2", [] {
         GraphBuilder b;
         const int x = b.Input("x", {2, 5, 3, 4});
         b.Output(b.Node(OpType::kConv, "c", {x, b.RandomConst("w", {7, 5, 1, 1}, 4)}, {"y"}));
         return b.Build();
       }});
  cases.push_back({"Conv1x1Grouped3", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {1, 6, 5, 3});
                     b.Output(b.Node(OpType::kConv, "c", {x, b.RandomConst("w", {9, 2, 1, 1}, 5)},
                                     {"y"}, Attrs({{"group", int64_t{3}}})));
                     return b.Build();
                   }});
  for (OpCase& c : testing::CudaOpCases()) cases.push_back(std::move(c));
  return cases;
}

class CudaBlasArgsTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(CudaBlasArgsTest, HostEmulatedCublasMatchesReference) {
  const OpCase& c = GetParam();
  const Graph g = c.build();
  auto prepared = cuda::PrepareCudaGraph(g, PrepareOptions{});
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  if (prepared->nodes.size() != 1) GTEST_SKIP() << "not a single-node case";
  const Node& node = prepared->nodes[0];
  if (node.op != OpType::kGemm && node.op != OpType::kMatMul && node.op != OpType::kConv)
    GTEST_SKIP() << "not a cuBLAS op";

  // Inputs, then the reference outputs from the CPU backend's reference kernels.
  std::vector<Tensor> inputs;
  uint32_t seed = 50;
  for (int v : prepared->inputs)
    inputs.push_back(testing::RandomTensor(prepared->values[v].shape, seed++));
  PrepareOptions reference;
  reference.reference_only = true;
  auto cpu = OpenBackend("cpu");
  ASSERT_TRUE(cpu.ok());
  auto plan = (*cpu)->Prepare(g, reference);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  auto runner = (*plan)->NewRunner();
  ASSERT_TRUE(runner.ok());
  std::vector<Tensor> want;
  std::vector<TensorView> iv, ov;
  for (const Tensor& t : inputs) iv.push_back(t.view());
  for (const TensorInfo& t : (*plan)->outputs()) want.emplace_back(t.dtype, t.shape);
  for (const Tensor& t : want) ov.push_back(t.view());
  ASSERT_TRUE((*runner)->RunHost(iv, ov).ok());

  // The compiled op on host memory.
  cuda::DeviceMemory memory(0);
  cuda::CompileContext ctx{*prepared, node, memory};
  auto op = cuda::CompileOp(ctx);
  ASSERT_TRUE(op.ok()) << op.status().message();
  std::map<int, const void*> host;
  for (size_t i = 0; i < prepared->inputs.size(); ++i) host[prepared->inputs[i]] = inputs[i].raw();
  std::vector<const void*> in;
  for (int v : node.inputs) {
    if (v == kNoValue) {
      in.push_back(nullptr);
    } else if (prepared->values[v].is_constant()) {
      in.push_back(prepared->values[v].constant.raw());
    } else {
      in.push_back(host.at(v));
    }
  }
  Tensor y(DType::kF32, prepared->values[node.outputs[0]].shape);
  std::memset(y.raw(), 0xff, y.bytes());  // NaN: unwritten elements show
  std::vector<void*> out{y.raw()};
  std::vector<char> scratch((*op)->scratch_bytes() + 1);
  static const cuda::BlasApi kHostBlas{&HostSgemm, &HostSgemmStridedBatched};
  cuda::RunContext run;
  run.blas = &kHostBlas;
  run.scratch = scratch.data();
  const Status st = (*op)->Run(run, in, out);
  if (!st.ok() && st.message().find("cudaErrorNotSupported") != std::string::npos)
    GTEST_SKIP() << "needs a device kernel too: " << st.message();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_LE(testing::MaxRelDiff(y, want[0]), 1e-5f) << c.name << " (" << (*op)->name() << ")";
}

INSTANTIATE_TEST_SUITE_P(Cuda, CudaBlasArgsTest, ::testing::ValuesIn(BlasCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           return info.param.name + "_" + std::to_string(info.index);
                         });

}  // namespace
}  // namespace sl

#endif  // SL_HAVE_CUDA

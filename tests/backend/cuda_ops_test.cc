// The CUDA backend per op, data-driven by cuda_op_cases.h:
//  - everywhere (no GPU needed): every case passes Supports() and the device-free half of
//    Prepare, and each node gets the kernel family it should;
//  - with a GPU: every case runs on cuda and matches the reference kernels (CPU backend with
//    reference_only) on seeded random inputs, outputs pre-filled with NaN.
#include <gtest/gtest.h>

#ifdef SL_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstring>
#include <random>

#include "backend/backend.h"
#include "backend/cuda/cuda_support.h"
#include "backend/cuda_op_cases.h"

namespace sl {
namespace {

using testing::OpCase;

bool HaveGpu(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    *why = std::string("no CUDA device: ") + cudaGetErrorString(e);
    (void)cudaGetLastError();
    return false;
  }
  if (count == 0) {
    *why = "no CUDA device: 0 devices";
    return false;
  }
  return true;
}

class CudaOpTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(CudaOpTest, SupportedWithoutDevice) {
  const Graph g = GetParam().build();
  auto prepared = cuda::PrepareCudaGraph(g, PrepareOptions{});
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  ASSERT_FALSE(prepared->nodes.empty()) << "everything was folded: the case tests nothing";
  for (const Node& n : prepared->nodes) {
    const KernelRequest req{*prepared, n, 1};
    EXPECT_TRUE(cuda::SupportsNode(req).supported) << prepared->Describe(n);
    const std::string kernel = cuda::KernelNameFor(req);
    if (n.op == OpType::kGemm || n.op == OpType::kMatMul) {
      EXPECT_EQ(kernel, "cublas");
    } else if (n.op == OpType::kConv) {
      EXPECT_TRUE(kernel == "cudnn" || kernel == "im2col+cublas") << kernel;
    } else if (n.op == OpType::kReshape || n.op == OpType::kFlatten) {
      EXPECT_EQ(kernel, "alias");
    } else {
      EXPECT_EQ(kernel, "cuda");
    }
  }
}

std::vector<Tensor> RandomInputs(const std::vector<TensorInfo>& infos, uint32_t seed) {
  std::vector<Tensor> out;
  for (const TensorInfo& t : infos) {
    EXPECT_EQ(t.dtype, DType::kF32) << t.name;
    out.push_back(testing::RandomTensor(t.shape, seed++));
  }
  return out;
}

// Runs `g` on `backend_name` with the given options; outputs pre-filled with NaN bytes.
Result<std::vector<Tensor>> RunOn(const std::string& backend_name, const Graph& g,
                                  const PrepareOptions& options, const std::vector<Tensor>& in) {
  SL_ASSIGN_OR_RETURN(auto backend, OpenBackend(backend_name));
  SL_ASSIGN_OR_RETURN(auto plan, backend->Prepare(g, options));
  SL_ASSIGN_OR_RETURN(auto runner, plan->NewRunner());
  std::vector<Tensor> out;
  std::vector<TensorView> iv, ov;
  for (const Tensor& t : in) iv.push_back(t.view());
  for (const TensorInfo& t : plan->outputs()) {
    out.emplace_back(t.dtype, t.shape);
    std::memset(out.back().raw(), 0xff, out.back().bytes());  // NaN for float32
    ov.push_back(out.back().view());
  }
  SL_RETURN_IF_ERROR(runner->RunHost(iv, ov));
  return out;
}

TEST_P(CudaOpTest, MatchesReferenceOnDevice) {
  std::string why;
  if (!HaveGpu(&why)) GTEST_SKIP() << why;
  const OpCase& c = GetParam();
  const Graph g = c.build();
  PrepareOptions reference;
  reference.reference_only = true;
  reference.quantized_kernels = false;
  auto ref_backend = OpenBackend("cpu");
  ASSERT_TRUE(ref_backend.ok());
  auto ref_plan = (*ref_backend)->Prepare(g, reference);
  ASSERT_TRUE(ref_plan.ok()) << ref_plan.status().message();
  for (uint32_t seed : {1u, 2u}) {
    const std::vector<Tensor> inputs = RandomInputs((*ref_plan)->inputs(), seed * 100);
    auto want = RunOn("cpu", g, reference, inputs);
    ASSERT_TRUE(want.ok()) << want.status().message();
    auto got = RunOn("cuda", g, PrepareOptions{}, inputs);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->size(), want->size());
    for (size_t o = 0; o < want->size(); ++o) {
      const Tensor& w = (*want)[o];
      const Tensor& y = (*got)[o];
      ASSERT_EQ(y.dtype(), w.dtype());
      ASSERT_EQ(y.shape(), w.shape());
      if (w.dtype() == DType::kF32) {
        EXPECT_LE(testing::MaxRelDiff(y, w), c.tolerance) << c.name << " output " << o;
      } else {
        EXPECT_EQ(std::memcmp(y.raw(), w.raw(), w.bytes()), 0) << c.name << " output " << o;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cuda, CudaOpTest, ::testing::ValuesIn(testing::CudaOpCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           return info.param.name + "_" + std::to_string(info.index);
                         });

}  // namespace
}  // namespace sl

#endif  // SL_HAVE_CUDA

// Device-free end-to-end check of the CUDA backend's host logic: graphs go through
// PrepareCudaGraph and CompileOp exactly as on a GPU, then every compiled op runs on host memory
// with host implementations of the launchers (same per-element math as the .cu kernels) and of
// cuBLAS (its column-major definition, with its leading-dim checks). Results must match the
// reference kernels. What this cannot check: the CUDA launch itself, warp / block reductions,
// cuDNN, streams and copies; those run in the device tests (cuda_ops_test, cuda_backend_test).
#include <gtest/gtest.h>

#ifdef SL_HAVE_CUDA
#include <cstring>
#include <filesystem>
#include <map>

#include "backend/backend.h"
#include "backend/cuda/cuda_support.h"
#include "backend/cuda_host_kernels.h"
#include "backend/cuda_op_cases.h"
#include "core/npy.h"
#include "onnx/loader.h"
#include "zoo/pool.h"

namespace sl {
namespace {

using testing::Attrs;
using testing::GraphBuilder;
using testing::OpCase;

Result<std::vector<Tensor>> RunReference(const Graph& g, PrepareOptions options,
                                         const std::vector<Tensor>& inputs) {
  options.reference_only = true;
  options.quantized_kernels = false;
  SL_ASSIGN_OR_RETURN(auto cpu, OpenBackend("cpu"));
  SL_ASSIGN_OR_RETURN(auto plan, cpu->Prepare(g, options));
  SL_ASSIGN_OR_RETURN(auto runner, plan->NewRunner());
  std::vector<Tensor> out;
  std::vector<TensorView> iv, ov;
  for (const Tensor& t : inputs) iv.push_back(t.view());
  for (const TensorInfo& t : plan->outputs()) out.emplace_back(t.dtype, t.shape);
  for (const Tensor& t : out) ov.push_back(t.view());
  SL_RETURN_IF_ERROR(runner->RunHost(iv, ov));
  return out;
}

void ExpectSame(const std::vector<Tensor>& got, const std::vector<Tensor>& want, float tolerance,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t o = 0; o < want.size(); ++o) {
    ASSERT_EQ(got[o].dtype(), want[o].dtype()) << what;
    ASSERT_EQ(got[o].shape(), want[o].shape()) << what;
    if (want[o].dtype() == DType::kF32) {
      EXPECT_LE(testing::MaxRelDiff(got[o], want[o]), tolerance) << what << " output " << o;
    } else {
      EXPECT_EQ(std::memcmp(got[o].raw(), want[o].raw(), want[o].bytes()), 0)
          << what << " output " << o;
    }
  }
}

std::vector<OpCase> EmulationCases() {
  std::vector<OpCase> cases;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      cases.push_back(
          {"GemmTransA" + std::to_string(ta) + "TransB" + std::to_string(tb), [ta, tb] {
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
  for (OpCase& c : testing::CudaOpCases()) cases.push_back(std::move(c));
  return cases;
}

class CudaHostEmulationTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(CudaHostEmulationTest, MatchesReference) {
  const OpCase& c = GetParam();
  const Graph g = c.build();
  auto prepared = cuda::PrepareCudaGraph(g, PrepareOptions{});
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  std::vector<Tensor> inputs;
  uint32_t seed = 70;
  for (int v : prepared->inputs)
    inputs.push_back(testing::RandomTensor(prepared->values[v].shape, seed++));
  auto want = RunReference(g, PrepareOptions{}, inputs);
  ASSERT_TRUE(want.ok()) << want.status().message();
  auto got = cuda::host::RunEmulated(g, PrepareOptions{}, inputs);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ExpectSame(*got, *want, c.tolerance, c.name);
}

INSTANTIATE_TEST_SUITE_P(Cuda, CudaHostEmulationTest, ::testing::ValuesIn(EmulationCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           return info.param.name + "_" + std::to_string(info.index);
                         });

class CudaHostEmulationZooTest : public ::testing::TestWithParam<std::string> {};

// Every variant of each task (dense, pruned, int8 as float QDQ), whole and as the two segments
// around a middle cut of the manifest, on two validation rows.
TEST_P(CudaHostEmulationZooTest, VariantsAndSegmentsMatchReference) {
  auto pool = LoadPool(std::string(SL_SOURCE_DIR) + "/zoo/" + GetParam());
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  ASSERT_GT(pool->val_count(), 0);
  Shape shape = pool->val_x.shape();
  shape[0] = 2;
  Tensor x(DType::kF32, shape);
  std::memcpy(x.raw(), pool->val_x.raw(), x.bytes());
  PrepareOptions options;
  options.input_shapes[pool->input_name] = shape;
  ASSERT_FALSE(pool->manifest_cuts.empty());
  const std::string cut = pool->manifest_cuts[pool->manifest_cuts.size() / 2];
  for (const PoolVariant& variant : pool->variants) {
    SCOPED_TRACE(GetParam() + "/" + variant.name + " cut " + cut);
    // Identical float math on both sides except summation order: QDQ rounding can still move an
    // activation by one quantization step, hence the looser bound for int8.
    const float tol = variant.name == "int8" ? 5e-2f : 1e-4f;
    auto want = RunReference(variant.graph, options, {x});
    ASSERT_TRUE(want.ok()) << want.status().message();
    std::vector<std::string> kernels;
    auto got = cuda::host::RunEmulated(variant.graph, options, {x}, &kernels);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSame(*got, *want, tol, "whole");
    EXPECT_FALSE(kernels.empty());

    PrepareOptions head = options;
    head.outputs = {cut};
    auto cut_values = RunReference(variant.graph, head, {x});
    ASSERT_TRUE(cut_values.ok()) << cut_values.status().message();
    auto head_got = cuda::host::RunEmulated(variant.graph, head, {x});
    ASSERT_TRUE(head_got.ok()) << head_got.status().message();
    ExpectSame(*head_got, *cut_values, tol, "head");
    PrepareOptions tail = options;
    tail.inputs = {cut};
    tail.outputs = {pool->output_name};
    auto tail_want = RunReference(variant.graph, tail, *cut_values);
    ASSERT_TRUE(tail_want.ok()) << tail_want.status().message();
    auto tail_got = cuda::host::RunEmulated(variant.graph, tail, *cut_values);
    ASSERT_TRUE(tail_got.ok()) << tail_got.status().message();
    ExpectSame(*tail_got, *tail_want, tol, "tail");
  }
}

INSTANTIATE_TEST_SUITE_P(Cuda, CudaHostEmulationZooTest,
                         ::testing::Values("fmnist-resnet", "fmnist-vit", "kws"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace sl

#endif  // SL_HAVE_CUDA

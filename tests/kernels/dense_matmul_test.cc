// Dense Gemm / MatMul (oneDNN matmul and the dispatch in CreateDenseKernel) against the reference
// kernels on seeded random data.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "graph/infer.h"
#include "kernels/dense/dense.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::InputSpec;

constexpr float kTolerance = 1e-4f;

// One Gemm/MatMul node with random inputs, its output shape inferred.
class MatMulHarness : public kerneltest::NodeHarness {
 public:
  MatMulHarness(OpType op, const std::vector<InputSpec>& specs, Attributes attrs, uint32_t seed)
      : NodeHarness(op, specs, std::move(attrs), seed, "mm", "dense_matmul_test") {}
};

void ExpectNear(const Tensor& got, const Tensor& want, const std::string& what) {
  kerneltest::ExpectNear(got, want, what, kTolerance);
}

struct MatMulCase {
  std::string name;
  OpType op;
  std::vector<InputSpec> inputs;
  int64_t trans_a = 0, trans_b = 0;
  float alpha = 1.f, beta = 1.f;
  std::string act = "";
};

Attributes MakeAttrs(const MatMulCase& c) {
  return kerneltest::GemmAttrs(c.op, c.trans_a, c.trans_b, c.alpha, c.beta, c.act, -0.5f, 1.5f);
}

std::vector<MatMulCase> Cases() {
  const OpType g = OpType::kGemm, m = OpType::kMatMul;
  return {
      {"gemm_plain", g, {{{7, 13}}, {{13, 17}, true}}},
      {"gemm_bias_row", g, {{{7, 13}}, {{13, 17}, true}, {{17}, true}}},
      {"gemm_trans_alpha_beta", g, {{{13, 7}}, {{17, 13}, true}, {{7, 17}, true}}, 1, 1, 0.5f, 2.f},
      {"gemm_bias_column", g, {{{9, 4}}, {{4, 33}, true}, {{9, 1}, true}}, 0, 0, 1.f, -1.f},
      {"gemm_bias_scalar_relu", g, {{{5, 6}}, {{6, 3}, true}, {{}, true}}, 0, 0, 1.f, 1.f, "Relu"},
      {"gemm_k1", g, {{{8, 1}}, {{1, 19}, true}, {{19}, true}}},
      {"gemm_n1_clip", g, {{{8, 31}}, {{31, 1}, true}}, 0, 0, 2.f, 1.f, "Clip"},
      {"gemm_runtime_b_alpha", g, {{{6, 10}}, {{12, 10}}}, 0, 1, 0.25f},
      {"gemm_runtime_c", g, {{{6, 10}}, {{10, 12}, true}, {{12}}}},
      {"gemm_classifier_batch4", g, {{{4, 128}}, {{10, 128}, true}, {{10}, true}}, 0, 1},
      {"matmul_collapse", m, {{{3, 5, 7}}, {{7, 9}, true}}},
      {"matmul_collapse_bias_relu",
       m,
       {{{2, 3, 33}}, {{33, 18}, true}, {{18}, true}},
       0,
       0,
       1.f,
       1.f,
       "Relu"},
      {"matmul_batched_broadcast", m, {{{2, 3, 5, 7}}, {{3, 7, 4}, true}}},
      {"matmul_batched_runtime_b", m, {{{4, 5, 6}}, {{4, 6, 3}}}},
      {"matmul_broadcast_a", m, {{{5, 6}}, {{3, 6, 2}}}},
      {"matmul_runtime_bias", m, {{{6, 17}}, {{17, 20}, true}, {{20}}}},
      {"matmul_vector_b", m, {{{4, 6}}, {{6}, true}}},
      {"matmul_vector_a", m, {{{6}}, {{6, 5}}}},
      {"matmul_k1_n1", m, {{{7, 1}}, {{1, 1}, true}}},
  };
}

class DenseMatMulTest : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(DenseMatMulTest, MatchesReference) {
  const MatMulCase& c = GetParam();
  for (uint32_t seed : {5u, 6u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    MatMulHarness h(c.op, c.inputs, MakeAttrs(c), seed);
    ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
    const Tensor want = h.RunRef();
    // The oneDNN path itself, then whatever the dispatcher picks.
    auto onednn = dense::CreateOnednnMatMul(h.request());
    ASSERT_TRUE(onednn.ok()) << onednn.status().message();
    EXPECT_EQ((*onednn)->name().rfind("onednn:", 0), 0u);
    ExpectNear(h.Run(**onednn, 1), want, c.name + " onednn");
    ExpectNear(h.Run(**onednn, 2), want, c.name + " onednn, 2 threads");
    auto chosen = CreateDenseKernel(h.request());
    ASSERT_TRUE(chosen.ok()) << chosen.status().message();
    RecordProperty("kernel", (*chosen)->name());
    ExpectNear(h.Run(**chosen, 1), want, c.name + " " + (*chosen)->name());
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DenseMatMulTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DenseMatMulTest, ConcurrentContextsGiveIdenticalResults) {
  MatMulHarness h(OpType::kMatMul, {{{2, 37, 64}}, {{64, 50}, true}, {{50}, true}}, Attributes(),
                  9);
  ASSERT_TRUE(h.infer_status().ok());
  auto kernel = CreateDenseKernel(h.request());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  const std::vector<Tensor> results = kerneltest::RunConcurrently(h, **kernel, 2, 5);
  kerneltest::ExpectIdentical(results[0], results[1]);
  ExpectNear(results[0], h.RunRef(), "concurrent");
}

TEST(DenseMatMulTest, Int64IsUnsupported) {
  MatMulHarness h(OpType::kMatMul, {{{3, 4}, false, DType::kI64}, {{4, 2}, true, DType::kI64}},
                  Attributes(), 1);
  ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
  auto kernel = CreateDenseKernel(h.request());
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(kernel.status().message().find("float32"), std::string::npos);
}

TEST(DenseMatMulTest, RuntimeCWithBetaIsUnsupported) {
  Attributes a;
  a.Set("beta", 0.5f);
  MatMulHarness h(OpType::kGemm, {{{3, 4}}, {{4, 2}, true}, {{2}}}, a, 1);
  ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
  auto kernel = CreateDenseKernel(h.request());
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace sl

// The batch-1 GEMV path against the reference Gemm/MatMul, at every SIMD level this CPU supports
// plus the scalar fallback.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "graph/infer.h"
#include "kernels/dense/cpu_features.h"
#include "kernels/dense/dense.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using dense::SimdLevel;

constexpr float kTolerance = 1e-4f;

// One Gemm/MatMul node: a random activation row and constant random weights (and bias).
class GemvHarness : public kerneltest::NodeHarness {
 public:
  GemvHarness(OpType op, const std::vector<Shape>& shapes, Attributes attrs, uint32_t seed)
      : NodeHarness(op, Specs(shapes), std::move(attrs), seed, "fc", "dense_gemv_test") {}

  // The reference kernel (kernel == nullptr) or `kernel` on `threads` threads.
  Tensor Run(const Kernel* kernel, int threads) const {
    return kernel == nullptr ? RunRef() : NodeHarness::Run(*kernel, threads);
  }

 private:
  static std::vector<kerneltest::InputSpec> Specs(const std::vector<Shape>& shapes) {
    std::vector<kerneltest::InputSpec> specs;
    for (size_t i = 0; i < shapes.size(); ++i) specs.push_back({shapes[i], i > 0});
    return specs;
  }
};

void ExpectNear(const Tensor& got, const Tensor& want, const std::string& what) {
  kerneltest::ExpectNear(got, want, what, kTolerance);
}

// Every level up to what this CPU runs; the scalar fallback is always included.
std::vector<SimdLevel> Levels() {
  std::vector<SimdLevel> levels = {SimdLevel::kScalar};
  if (dense::DetectSimdLevel() >= SimdLevel::kAvx2) levels.push_back(SimdLevel::kAvx2);
  if (dense::DetectSimdLevel() >= SimdLevel::kAvx512) levels.push_back(SimdLevel::kAvx512);
  return levels;
}

// Forces a dispatch level for the lifetime of the object.
class ScopedLevel {
 public:
  explicit ScopedLevel(SimdLevel level) { dense::ForceSimdLevelForTesting(level); }
  ~ScopedLevel() { dense::ForceSimdLevelForTesting(std::nullopt); }
};

struct GemvCase {
  std::string name;
  OpType op;
  std::vector<Shape> shapes;  // A (the row), B, optional bias / C
  int64_t trans_a = 0, trans_b = 0;
  float alpha = 1.f, beta = 1.f;
  std::string act = "";
};

Attributes MakeAttrs(const GemvCase& c) {
  return kerneltest::GemmAttrs(c.op, c.trans_a, c.trans_b, c.alpha, c.beta, c.act, -0.75f, 0.75f);
}

std::vector<GemvCase> Cases() {
  const OpType g = OpType::kGemm, m = OpType::kMatMul;
  return {
      {"classifier", g, {{1, 512}, {10, 512}, {10}}, 0, 1},
      {"k1", g, {{1, 1}, {1, 33}, {33}}},
      {"n1", g, {{1, 37}, {37, 1}}},
      {"n15_k3", g, {{1, 3}, {3, 15}, {1, 15}}, 0, 0, 0.5f, 2.f},
      {"n16_relu", g, {{1, 64}, {64, 16}, {16}}, 0, 0, 1.f, 1.f, "Relu"},
      {"n17_clip_trans_a", g, {{65, 1}, {65, 17}, {}}, 1, 0, -1.5f, 0.25f, "Clip"},
      {"wide_trans_b", g, {{1, 257}, {1000, 257}, {1000}}, 0, 1},
      {"matmul_vector", m, {{129}, {129, 70}}},
      {"matmul_row_bias", m, {{1, 1, 96}, {96, 100}, {100}}},
      {"matmul_batched_b_ones", m, {{1, 50}, {1, 50, 31}}},
  };
}

class DenseGemvTest : public ::testing::TestWithParam<GemvCase> {};

TEST_P(DenseGemvTest, MatchesReferenceAtEveryLevel) {
  const GemvCase& c = GetParam();
  GemvHarness h(c.op, c.shapes, MakeAttrs(c), 21);
  ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
  const Tensor want = h.Run(nullptr, 1);
  for (SimdLevel level : Levels()) {
    ScopedLevel scoped(level);
    auto kernel = CreateDenseKernel(h.request());
    ASSERT_TRUE(kernel.ok()) << kernel.status().message();
    const std::string expected_name = "gemv:" + std::string(dense::SimdLevelName(level));
    EXPECT_EQ((*kernel)->name(), expected_name);
    ExpectNear(h.Run(kernel->get(), 1), want, c.name + " " + expected_name);
    ExpectNear(h.Run(kernel->get(), 4), want, c.name + " " + expected_name + ", 4 threads");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DenseGemvTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DenseGemvTest, ForcedLevelIsClampedToTheCpu) {
  ScopedLevel scoped(SimdLevel::kAvx512);
  EXPECT_LE(dense::ActiveSimdLevel(), dense::DetectSimdLevel());
}

TEST(DenseGemvTest, MoreThanOneRowIsNotGemv) {
  GemvHarness h(OpType::kGemm, {{2, 16}, {16, 8}}, Attributes(), 3);
  ASSERT_TRUE(h.infer_status().ok());
  auto gemv = dense::CreateGemv(h.request());
  ASSERT_FALSE(gemv.ok());
  EXPECT_EQ(gemv.status().code(), StatusCode::kUnsupported);
  auto chosen = CreateDenseKernel(h.request());
  ASSERT_TRUE(chosen.ok()) << chosen.status().message();
  EXPECT_EQ((*chosen)->name().rfind("onednn:", 0), 0u);
}

TEST(DenseGemvTest, ConcurrentContextsGiveIdenticalResults) {
  GemvHarness h(OpType::kGemm, {{1, 300}, {300, 200}, {200}}, Attributes(), 4);
  ASSERT_TRUE(h.infer_status().ok());
  auto kernel = CreateDenseKernel(h.request());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  std::vector<Tensor> results(2);
  std::thread a([&] { results[0] = h.Run(kernel->get(), 2); });
  std::thread b([&] { results[1] = h.Run(kernel->get(), 1); });
  a.join();
  b.join();
  kerneltest::ExpectIdentical(results[0], results[1]);
}

}  // namespace
}  // namespace sl

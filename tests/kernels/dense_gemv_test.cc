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
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using dense::SimdLevel;

constexpr float kTolerance = 1e-4f;

// One Gemm/MatMul node: a random activation row and constant random weights (and bias).
class GemvHarness {
 public:
  GemvHarness(OpType op, std::vector<Shape> shapes, Attributes attrs, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    Node node;
    node.op = op;
    node.name = "fc";
    node.attrs = std::move(attrs);
    for (size_t i = 0; i < shapes.size(); ++i) {
      const int id = graph_.GetOrAddValue("in" + std::to_string(i));
      Value& v = graph_.values[id];
      v.dtype = DType::kF32;
      v.shape = shapes[i];
      v.known_rank = true;
      Tensor t(DType::kF32, shapes[i]);
      for (int64_t j = 0; j < t.numel(); ++j) t.data<float>()[j] = dist(rng);
      if (i > 0) v.constant = t;
      data_.push_back(t);
      node.inputs.push_back(id);
    }
    node.outputs.push_back(graph_.GetOrAddValue("y"));
    graph_.source = "dense_gemv_test";
    graph_.nodes.push_back(std::move(node));
    InferContext ctx(graph_, graph_.nodes[0]);
    infer_status_ = GetInferFn(op)(ctx);
  }

  const Status& infer_status() const { return infer_status_; }
  KernelRequest request() const { return KernelRequest{graph_, graph_.nodes[0], 1}; }
  Tensor Run(const Kernel* kernel, int threads) const {
    Tensor y(DType::kF32, graph_.values[graph_.nodes[0].outputs[0]].shape);
    for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = std::nanf("");
    const TensorView out = y.view();
    std::vector<TensorView> in;
    for (const Tensor& t : data_) in.push_back(t.view());
    Status s;
    if (kernel == nullptr) {
      s = GetRefFn(graph_.nodes[0].op)(graph_.nodes[0], in, {&out, 1});
    } else {
      std::unique_ptr<KernelState> state = kernel->CreateState();
      std::shared_ptr<void> scratch =
          AllocateAligned(std::max<size_t>(kernel->scratch_bytes(), 64));
      s = kernel->Execute(in, {&out, 1}, ExecContext{threads, scratch.get(), state.get()});
    }
    EXPECT_TRUE(s.ok()) << s.message();
    return y;
  }

 private:
  Graph graph_;
  std::vector<Tensor> data_;
  Status infer_status_;
};

void ExpectNear(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.numel(), want.numel()) << what;
  int reported = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    if (!(std::fabs(g - w) <= kTolerance * std::max(1.f, std::fabs(w))) && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", reference " << w;
    }
  }
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
  Attributes a;
  if (c.op == OpType::kGemm) {
    a.Set("transA", c.trans_a);
    a.Set("transB", c.trans_b);
    a.Set("alpha", c.alpha);
    a.Set("beta", c.beta);
  }
  if (!c.act.empty()) a.Set("_act", c.act);
  if (c.act == "Clip") {
    a.Set("_act_min", -0.75f);
    a.Set("_act_max", 0.75f);
  }
  return a;
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
  for (int64_t i = 0; i < results[0].numel(); ++i) {
    ASSERT_EQ(results[0].data<float>()[i], results[1].data<float>()[i]) << "element " << i;
  }
}

}  // namespace
}  // namespace sl

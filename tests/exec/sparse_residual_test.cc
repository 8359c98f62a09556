// Residual Adds folded into sparse convolutions (Plan::FuseResidualAdds with sparse kernels): every
// sparse path (padded grid, direct 1x1, im2col tiles) adds the residual before its activation, and
// whole plans match the reference kernels.
#include <gtest/gtest.h>

#include <random>

#include "exec/graph_builder.h"
#include "exec/plan.h"
#include "exec/prepare.h"

namespace sl {
namespace {

using testing::GraphBuilder;
using testing::MaxRelDiff;

// A seeded weight with a fraction `sparsity` of its entries zeroed at random.
int PrunedConst(GraphBuilder& b, const std::string& name, Shape shape, uint32_t seed,
                double sparsity) {
  Tensor t = testing::RandomTensor(std::move(shape), seed);
  std::mt19937 rng(seed + 1000);
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (u(rng) < sparsity) t.data<float>()[i] = 0.f;
  return b.Const(name, std::move(t));
}

Attributes Conv(int64_t kernel, int64_t stride) {
  Attributes a;
  const int64_t p = kernel / 2;
  a.Set("pads", std::vector<int64_t>{p, p, p, p});
  a.Set("strides", std::vector<int64_t>{stride, stride});
  return a;
}

// x[1,48,9,11] -> grid 3x3 (48) + x -> Relu "a" -> direct 1x1 (48) + a -> Relu "b"
//   -> im2col 3x3/2 (24) + skip 1x1/2 (24) "c" (no activation) -> grid 3x3 (24) + c -> Relu "y".
Graph ResidualNet() {
  GraphBuilder b;
  const int x = b.Input("x", {1, 48, 9, 11});
  auto conv = [&](const std::string& name, int in, int64_t oc, int64_t ic, int64_t k, int64_t s,
                  uint32_t seed) {
    return b.Node(OpType::kConv, name,
                  {in, PrunedConst(b, name + "_w", {oc, ic, k, k}, seed, 0.9),
                   b.RandomConst(name + "_b", {oc}, seed + 50)},
                  {name}, Conv(k, s));
  };
  auto add = [&](const std::string& name, int p, int q, bool relu) {
    const int sum = b.Node(OpType::kAdd, name + "_add", {p, q}, {relu ? name + "_sum" : name});
    return relu ? b.Node(OpType::kRelu, name + "_relu", {sum}, {name}) : sum;
  };
  const int a = add("a", conv("grid1", x, 48, 48, 3, 1, 1), x, true);
  const int bb = add("b", conv("direct", a, 48, 48, 1, 1, 2), a, true);
  const int c =
      add("c", conv("strided", bb, 24, 48, 3, 2, 3), conv("skip", bb, 24, 48, 1, 2, 4), false);
  b.Output(add("y", conv("grid2", c, 24, 24, 3, 1, 5), c, true));
  return b.Build();
}

TEST(SparseResidualTest, AddsFoldIntoEverySparsePathAndMatchTheReference) {
  const Graph g = ResidualNet();
  for (int threads : {1, 2}) {
    PrepareOptions o;
    o.num_threads = threads;
    o.sparse_kernels = true;
    o.force_sparse = true;
    PrepareOptions ref = o;
    ref.reference_only = true;
    auto plan = Plan::Prepare(g, o);
    auto ref_plan = Plan::Prepare(g, ref);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    ASSERT_TRUE(ref_plan.ok()) << ref_plan.status().message();
    int fused = 0, adds = 0;
    for (const StepInfo& s : (*plan)->steps()) {
      fused += s.kernel.rfind("sparse", 0) == 0 && s.kernel.find("+residual") != std::string::npos;
      adds += s.op == OpType::kAdd;
    }
    // The Add of strided and skip folds into skip (the later Conv); all four Adds are gone.
    EXPECT_EQ(fused, 4) << "threads " << threads;
    EXPECT_EQ(adds, 0) << "threads " << threads;
    ExecutionContext ctx(*plan), ref_ctx(*ref_plan);
    for (uint32_t seed : {31u, 32u}) {
      const Tensor x = testing::RandomTensor({1, 48, 9, 11}, seed);
      auto got = RunOnce(ctx, {x});
      auto want = RunOnce(ref_ctx, {x});
      ASSERT_TRUE(got.ok()) << got.status().message();
      ASSERT_TRUE(want.ok()) << want.status().message();
      EXPECT_LT(MaxRelDiff((*got)[0], (*want)[0]), 1e-4f) << "threads " << threads;
    }
  }
}

}  // namespace
}  // namespace sl

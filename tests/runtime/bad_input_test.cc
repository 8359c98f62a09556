// Bad inputs the runtime meets (issue 8): non-finite inputs and pools without a common cut.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "profile/profiler.h"
#include "zoo/cuts.h"
#include "zoo/stitch_test_util.h"

namespace sl {
namespace {

TEST(BadInput, NanAndInfInputsPropagateWithoutCrashing) {
  Pool pool = testing::SmallPool(1, 0, 3);
  PrepareOptions opts;
  opts.input_shapes["x"] = {1, 8};
  auto plan = Plan::Prepare(pool.variants[0].graph, opts);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ExecutionContext ctx(*plan);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    Tensor x(DType::kF32, {1, 8});
    for (int i = 0; i < 8; ++i) x.data<float>()[i] = i == 3 ? bad : 0.5f;
    auto y = RunOnce(ctx, {x});
    ASSERT_TRUE(y.ok()) << y.status().message();
    bool non_finite = false;
    for (int64_t i = 0; i < (*y)[0].numel(); ++i)
      non_finite = non_finite || !std::isfinite((*y)[0].data<float>()[i]);
    EXPECT_TRUE(non_finite) << "a non-finite input should reach the output, not vanish";
  }
}

TEST(BadInput, PoolWhoseVariantsShareNoCutIsAClearError) {
  Pool pool = testing::SmallPool(2, 0, 5);
  // Variant 1 names every internal tensor differently: no tensor is a cut of both.
  Graph& g = pool.variants[1].graph;
  for (const char* name : {"g1", "r1", "g2", "a2", "r2"}) {
    const int v = g.FindValue(name);
    ASSERT_GE(v, 0) << name;
    g.values[v].name = std::string(name) + "_v1";
  }
  g.ReindexNames();
  auto cuts = FindValidCuts(pool);
  ASSERT_TRUE(cuts.ok());
  EXPECT_TRUE(cuts->valid.empty());
  auto k2 = ChooseBalancedCuts(*cuts, 2);
  ASSERT_FALSE(k2.ok());
  EXPECT_EQ(k2.status().message().find('\n'), std::string::npos);
  EXPECT_NE(k2.status().message().find("0 valid cuts"), std::string::npos) << k2.status().message();
  auto named = ResolveCuts(*cuts, {"r1"});
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.status().message().find("r1"), std::string::npos);
  // One segment (no cut) still works.
  EXPECT_TRUE(ChooseBalancedCuts(*cuts, 1).ok());
}

}  // namespace
}  // namespace sl

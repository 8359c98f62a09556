#include "profile/pareto.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

// Two variants, two segments, one processor: latency = seg(v0, 0) + seg(v1, 1).
Profile TwoByTwo(std::vector<double> acc) {
  Profile p;
  p.processors = {{"cpu0", {0}, 1}};
  TaskProfile t;
  t.task = "t";
  t.variants = {"fast", "accurate"};
  t.patterns = {"unstructured", "dense"};
  t.manifest_val_accuracy = {-1, -1};
  t.cuts = {"c"};
  t.valid_cuts = {"c"};
  t.num_segments = 2;
  // fast: 10 + 10 us, accurate: 30 + 30 us.
  for (int v = 0; v < 2; ++v)
    for (int i = 0; i < 2; ++i) t.segments.push_back({v, i, "", "", 0, 0, {v ? 30.0 : 10.0}});
  t.handoffs.push_back({"c", 4, {{0}}});
  t.accuracy.stitches = std::move(acc);  // (0,0) (0,1) (1,0) (1,1)
  p.tasks.push_back(t);
  return p;
}

TEST(Pareto, CountsStitchesNoOriginalDominates) {
  // (fast, accurate): 40 us, 0.85 beats fast (20 us, 0.7) in accuracy and accurate (60 us, 0.9)
  // in latency: improving. (accurate, fast): 40 us, 0.6: dominated by fast.
  auto r = ComputePareto(TwoByTwo({0.7, 0.85, 0.6, 0.9}), "t", 0);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->points.size(), 4u);
  EXPECT_EQ(r->originals, (std::vector<size_t>{0, 3}));
  EXPECT_EQ(r->improving, 1);
  EXPECT_TRUE(r->points[1].improving);
  EXPECT_FALSE(r->points[2].improving);
  EXPECT_EQ(r->front, (std::vector<size_t>{0, 1, 3}));
  EXPECT_EQ(r->improving_on_front, 1);
  EXPECT_DOUBLE_EQ(r->points[1].latency_us, 40);
  std::string svg = ParetoSvg(*r, TwoByTwo({}).tasks[0]);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Pareto, TiesWithAnOriginalAreNotImprovements) {
  // (fast, accurate) exactly as accurate as "accurate" but slower than "fast": the original
  // "accurate" is slower, so it improves; make it as slow as "accurate" and it does not.
  auto r = ComputePareto(TwoByTwo({0.7, 0.9, 0.6, 0.9}), "t", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->improving, 1);  // faster than accurate at equal accuracy
  Profile p = TwoByTwo({0.7, 0.7, 0.6, 0.9});
  auto r2 = ComputePareto(p, "t", 0);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->improving, 0);  // equal accuracy to fast, slower
  EXPECT_FALSE(ComputePareto(p, "x", 0).ok());
  EXPECT_FALSE(ComputePareto(p, "t", 3).ok());
}

}  // namespace
}  // namespace sl

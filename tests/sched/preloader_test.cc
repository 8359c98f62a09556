#include "sched/preloader.h"

#include <gtest/gtest.h>

#include <random>

#include "sched/optimizer.h"
#include "sched_test_util.h"

namespace sl {
namespace {

using testing::MakeTask;
using testing::Processors;
using testing::Task;

int64_t CountedBytes(const Snapshot& snap, const ResidentSet& rs) {
  int64_t b = 0;
  for (size_t t = 0; t < rs.flags.size(); ++t)
    for (size_t s = 0; s < rs.flags[t].size(); ++s)
      if (rs.flags[t][s]) b += snap.tasks[t].profile->segments[s].weight_bytes;
  return b;
}

TEST(Preloader, NeverExceedsTheBudget) {
  std::mt19937_64 rng(77);
  for (int c = 0; c < 40; ++c) {
    auto sc = testing::RandomScenario(rng(), 3, 3, 2, 2, 0.8);
    auto choices = JointOptimizer().Optimize(sc.snapshot);
    ASSERT_TRUE(choices.ok()) << choices.status().message();
    int64_t total = 0;
    for (const auto& t : sc.snapshot.tasks)
      for (const auto& s : t.profile->segments) total += s.weight_bytes;
    for (PreloadMode mode : {PreloadMode::kHotness, PreloadMode::kChoiceOrder}) {
      PreloaderConfig pc;
      pc.mode = mode;
      for (int64_t budget : {int64_t{0}, int64_t{1}, static_cast<int64_t>(rng() % total),
                             static_cast<int64_t>(rng() % total), total}) {
        ResidentSet rs = Preloader(pc).Plan(sc.snapshot, *choices, budget);
        EXPECT_TRUE(rs.tracked);
        EXPECT_LE(rs.bytes, budget);
        EXPECT_EQ(rs.bytes, CountedBytes(sc.snapshot, rs));
      }
    }
  }
}

TEST(Preloader, BudgetBelowEverySegmentLeavesNothingResident) {
  TaskProfile tp = MakeTask(
      "t", 2, 2, 1, [](int, int, int) { return 10.0; }, [](int64_t) { return 0.9; }, 0,
      [](int, int) { return int64_t{500}; });
  Snapshot snap;
  snap.processors = Processors(1);
  snap.tasks = {Task(0, &tp, 1, 0, 10)};
  auto choices = JointOptimizer().Optimize(snap);
  ASSERT_TRUE(choices.ok());
  ResidentSet rs = Preloader().Plan(snap, *choices, 499);
  EXPECT_EQ(rs.bytes, 0);
  for (int s = 0; s < 4; ++s) EXPECT_FALSE(rs.Contains(0, s));
  rs = Preloader().Plan(snap, *choices, -5);
  EXPECT_EQ(rs.bytes, 0);
}

TEST(Preloader, PrefersSegmentsEveryOptionNeedsAndHighRates) {
  // Two variants, two segments, 100 bytes per segment.
  TaskProfile tp = MakeTask(
      "t", 2, 2, 1, [](int, int, int) { return 10.0; }, [](int64_t) { return 0.9; }, 0,
      [](int, int) { return int64_t{100}; });
  TaskProfile cold = tp;
  Snapshot snap;
  snap.processors = Processors(1);
  snap.tasks = {Task(0, &tp, 1, 0, 100), Task(1, &cold, 1, 0, 1)};
  auto opt = [&](const TaskProfile& p, std::vector<int> s) {
    return MakeOption(p, s, {0, 0}, 1, 1).value();
  };
  // Task 0: options (0,1) then (1,1): Segment(1, 1) is in both, Segment(0, 0) in the first only.
  std::vector<Choice> choices(2);
  choices[0].task = 0;
  choices[0].options = {opt(tp, {0, 1}), opt(tp, {1, 1})};
  choices[1].task = 1;
  choices[1].options = {opt(cold, {0, 0})};
  const int K = 2;
  ResidentSet rs = Preloader().Plan(snap, choices, 100);
  EXPECT_TRUE(rs.Contains(0, 1 * K + 1));  // needed by every option of the hot task
  EXPECT_EQ(rs.bytes, 100);
  rs = Preloader().Plan(snap, choices, 200);
  EXPECT_TRUE(rs.Contains(0, 1 * K + 1));
  EXPECT_TRUE(rs.Contains(0, 0 * K + 0));  // rank 0 beats rank 1
  rs = Preloader().Plan(snap, choices, 10000);
  EXPECT_EQ(rs.bytes, 500);  // every segment some option uses, nothing else
  EXPECT_FALSE(rs.Contains(1, 1 * K + 0));
}

TEST(Preloader, MinShareLeavesRarelyUsedSegmentsToLoadOnDemand) {
  // Four options of one task, each with its own segment 1 (decay 0.5: shares 8/15, 4/15, 2/15 and
  // 1/15 of the requests); segment (0, 0) is in every option.
  TaskProfile tp = MakeTask(
      "t", 4, 2, 1, [](int, int, int) { return 10.0; }, [](int64_t) { return 0.9; }, 0,
      [](int, int) { return int64_t{100}; });
  Snapshot snap;
  snap.processors = Processors(1);
  snap.tasks = {Task(0, &tp, 1, 0, 50)};
  std::vector<Choice> choices(1);
  for (int v = 0; v < 4; ++v)
    choices[0].options.push_back(MakeOption(tp, {0, v}, {0, 0}, 1, 1).value());
  const int K = 2;
  auto plan = [&](double min_share) {
    PreloaderConfig pc;
    pc.min_share = min_share;
    return Preloader(pc).Plan(snap, choices, 1 << 20);
  };
  ResidentSet all = plan(0);
  EXPECT_EQ(all.bytes, 500);
  ResidentSet some = plan(0.1);  // 1/15 < 0.1 <= 2/15
  EXPECT_EQ(some.bytes, 400);
  EXPECT_TRUE(some.Contains(0, 0 * K + 0));
  EXPECT_TRUE(some.Contains(0, 2 * K + 1));
  EXPECT_FALSE(some.Contains(0, 3 * K + 1));
  ResidentSet top = plan(0.5);  // only the rank-0 option's segments
  EXPECT_EQ(top.bytes, 200);
  EXPECT_TRUE(top.Contains(0, 0 * K + 1));
  EXPECT_TRUE(plan(1.0).Contains(0, 0));  // every option needs it: share 1
  EXPECT_EQ(plan(1.0).bytes, 100);
}

TEST(Preloader, IsDeterministic) {
  auto sc = testing::RandomScenario(5, 3, 3, 2, 2, 0.8);
  auto choices = JointOptimizer().Optimize(sc.snapshot);
  ASSERT_TRUE(choices.ok());
  ResidentSet a = Preloader().Plan(sc.snapshot, *choices, 20000);
  ResidentSet b = Preloader().Plan(sc.snapshot, *choices, 20000);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.bytes, b.bytes);
}

}  // namespace
}  // namespace sl

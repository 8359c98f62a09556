#include "sched/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "sched/policy.h"
#include "sched_test_util.h"

namespace sl {
namespace {

using testing::MakeTask;
using testing::Processors;
using testing::Task;

// fast: 10 + 10 us, accuracy 0.7; accurate: 30 + 30 us, 0.9.
// (fast, accurate) 40 us, 0.85; (accurate, fast) 40 us, 0.6.
TaskProfile TwoByTwo(int processors = 1) {
  return MakeTask(
      "t", 2, 2, processors, [](int v, int, int) { return v ? 30.0 : 10.0; },
      [](int64_t s) {
        return std::vector<double>{0.7, 0.85, 0.6, 0.9}[s];
      });
}

TEST(JointOptimizer, PicksAStitchThatMeetsAnSloNoVariantMeets) {
  TaskProfile tp = TwoByTwo();
  Snapshot snap;
  snap.processors = Processors(1);
  snap.tasks = {
      Task(7, &tp, 0.045, 0.8, 1.0)};  // 45 us, floor 0.8: fast too inaccurate, accurate too slow
  auto r = JointOptimizer().Solve(snap);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->choices.size(), 1u);
  const Choice& ch = r->choices[0];
  EXPECT_EQ(ch.task, 0);
  EXPECT_EQ(ch.task_id, 7);
  ASSERT_FALSE(ch.options.empty());
  EXPECT_EQ(ch.options[0].stitch, (std::vector<int>{0, 1}));
  EXPECT_EQ(ch.options[0].stitch_index, 1);
  EXPECT_DOUBLE_EQ(ch.options[0].predicted_latency_us, 40);
  EXPECT_LE(ch.options[0].expected_latency_us, 45);
  EXPECT_DOUBLE_EQ(ch.options[0].accuracy, 0.85);
  EXPECT_EQ(r->objective.satisfied_tasks, 1);
  EXPECT_TRUE(r->exact);

  // The av baseline (plain variants only) cannot meet it.
  JointOptimizerConfig plain;
  plain.plain_variants_only = true;
  auto a = JointOptimizer(plain, "av-np").Solve(snap);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->objective.satisfied_tasks, 0);
}

TEST(JointOptimizer, RespectsAccuracyFloors) {
  TaskProfile tp = TwoByTwo(2);
  Snapshot snap;
  snap.processors = Processors(2);
  snap.tasks = {Task(0, &tp, 1.0, 0.84, 10.0)};
  auto r = JointOptimizer().Optimize(snap);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const Option& o : (*r)[0].options) EXPECT_GE(o.accuracy, 0.84);
  // Lenient latency, light load: every option is in the lowest utilisation bucket, so the most
  // accurate stitch wins.
  EXPECT_EQ((*r)[0].options[0].stitch, (std::vector<int>{1, 1}));
  // Floor above every stitch: served by the most accurate, SLO not counted as met.
  snap.tasks[0].slo.accuracy_min = 0.95;
  auto s = JointOptimizer().Solve(snap);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->objective.satisfied_tasks, 0);
  for (const Option& o : s->choices[0].options) EXPECT_DOUBLE_EQ(o.accuracy, 0.9);
}

// MakeOption splits a run of segments on one processor into a stage per segment only where the
// run is longer than that processor's threshold; times and work stay the same.
TEST(MakeOption, SplitsOnlyStagesLongerThanTheirProcessorsThreshold) {
  const TaskProfile tp = MakeTask(
      "t", 1, 3, 2, [](int, int i, int) { return 10.0 * (i + 1); }, [](int64_t) { return 0.9; });
  auto whole = MakeOption(tp, {0, 0, 0}, {0, 0, 1}, 2, 100);
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->stages.size(), 2u);  // segments 0-1 on p0 (30 us), 2 on p1 (30 us)
  for (const auto& [limits, want] : std::vector<std::pair<std::vector<double>, size_t>>{
           {{29, 1e9}, 3}, {{30, 1e9}, 2}, {{1e9, 5}, 2}, {{1, 1}, 3}}) {
    auto o = MakeOption(tp, {0, 0, 0}, {0, 0, 1}, 2, 100, limits);
    ASSERT_TRUE(o.ok());
    ASSERT_EQ(o->stages.size(), want) << limits[0] << " " << limits[1];
    EXPECT_DOUBLE_EQ(o->predicted_latency_us, whole->predicted_latency_us);
    EXPECT_EQ(o->busy_us, whole->busy_us);
    double service = 0;
    for (size_t s = 0; s < o->stages.size(); ++s) {
      service += o->stages[s].service_us;
      EXPECT_EQ(o->stages[s].first_segment, s == 0 ? 0 : o->stages[s - 1].end_segment);
    }
    EXPECT_DOUBLE_EQ(service, 60);
    EXPECT_EQ(o->stages.back().end_segment, 3);
  }
}

// SparseLoom's preemption points: task "long" (2 x 100 us) and task "tight" (2 x 10 us, bound
// 60 us: 40 us of slack) share one CPU; the long task's stage is longer than that slack, so it is
// split into one stage per segment. Not on a processor that is not a CPU, nor for the baselines.
TEST(JointOptimizer, SplitsLongCpuStagesForTasksWithLittleSlack) {
  const TaskProfile lp = MakeTask(
      "long", 1, 2, 1, [](int, int, int) { return 100.0; }, [](int64_t) { return 0.9; });
  const TaskProfile tp = MakeTask(
      "tight", 1, 2, 1, [](int, int, int) { return 10.0; }, [](int64_t) { return 0.9; });
  Snapshot snap;
  snap.processors = Processors(1);
  snap.tasks = {Task(0, &lp, 10, 0.5, 100), Task(1, &tp, 0.06, 0.5, 100)};
  auto stages_of_long = [&](const JointOptimizerConfig& jc) {
    auto r = JointOptimizer(jc).Optimize(snap);
    SL_CHECK(r.ok());
    return (*r)[0].options[0].stages.size();
  };
  JointOptimizerConfig own = SparseLoomOptimizerConfig();
  EXPECT_TRUE(own.split_long_stages);
  EXPECT_EQ(stages_of_long(own), 2u);
  EXPECT_EQ(stages_of_long(JointOptimizerConfig{}), 1u);
  snap.tasks[1].slo.latency_ms = 10;  // plenty of slack: nothing to split for
  EXPECT_EQ(stages_of_long(own), 1u);
  snap.tasks[1].slo.latency_ms = 0.06;
  snap.processors[0].cpu = false;
  EXPECT_EQ(stages_of_long(own), 1u);
}

TEST(JointOptimizer, PrefersResidentSegmentsWhenAsked) {
  TaskProfile tp = TwoByTwo(2);
  Snapshot snap;
  snap.processors = Processors(2);
  snap.tasks = {Task(0, &tp, 1.0, 0.5, 10.0)};  // lenient: every stitch meets the SLO
  const int K = 2;
  snap.resident.tracked = true;
  snap.resident.flags = {std::vector<uint8_t>(4, 0)};
  snap.resident.flags[0][0 * K + 0] = snap.resident.flags[0][0 * K + 1] = 1;  // variant 0
  JointOptimizerConfig sticky;
  sticky.prefer_resident = true;
  auto first = [&](const JointOptimizer& opt) {
    auto r = opt.Solve(snap);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->choices[0].options[0].stitch : std::vector<int>{};
  };
  // Off: the most accurate stitch, whatever is resident.
  EXPECT_EQ(first(JointOptimizer()), (std::vector<int>{1, 1}));
  // On: the resident variant, as nothing needs loading; same utilisation bucket.
  EXPECT_EQ(first(JointOptimizer(sticky)), (std::vector<int>{0, 0}));
  // Segment(0, 0) and Segment(1, 1) resident: the stitch made of both, more accurate than (0, 0).
  snap.resident.flags[0] = {1, 0, 0, 1};
  EXPECT_EQ(first(JointOptimizer(sticky)), (std::vector<int>{0, 1}));
  auto r = JointOptimizer(sticky).Solve(snap);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->objective.load_bytes, 0);
  // Nothing of the task resident (its first plan): no incumbent, no preference.
  snap.resident.flags[0] = {0, 0, 0, 0};
  EXPECT_EQ(first(JointOptimizer(sticky)), (std::vector<int>{1, 1}));
  // Untracked residency: no preference.
  snap.resident.tracked = false;
  EXPECT_EQ(first(JointOptimizer(sticky)), (std::vector<int>{1, 1}));
}

TEST(JointOptimizer, BalancesTwoTasksAcrossProcessors) {
  // One segment of 1000 us on either processor; 600 rps each: both on one processor would load it
  // to 1.2, one each to 0.6.
  TaskProfile a = MakeTask(
      "a", 1, 1, 2, [](int, int, int) { return 1000.0; }, [](int64_t) { return 0.9; });
  TaskProfile b = MakeTask(
      "b", 1, 1, 2, [](int, int, int) { return 1000.0; }, [](int64_t) { return 0.9; });
  Snapshot snap;
  snap.processors = Processors(2);
  snap.tasks = {Task(0, &a, 10.0, 0.5, 600), Task(1, &b, 10.0, 0.5, 600)};
  auto r = JointOptimizer().Solve(snap);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->choices.size(), 2u);
  EXPECT_NE(r->choices[0].options[0].placement[0], r->choices[1].options[0].placement[0]);
  EXPECT_NEAR(r->objective.bottleneck_utilisation, 0.6, 1e-9);
  EXPECT_EQ(r->objective.satisfied_tasks, 2);
  EXPECT_NEAR(r->choices[0].options[0].utilisation[r->choices[0].options[0].placement[0]], 0.6,
              1e-9);
  // M/G/1 with deterministic service: W = rate S^2 / (2 (1 - U)) = 600e-6 * 1e6 / 0.8 = 750 us.
  EXPECT_NEAR(r->choices[0].options[0].expected_latency_us, 1750, 1e-6);
}

TEST(JointOptimizer, AvoidsADeadProcessor) {
  // Processor 0 is ten times faster but dead.
  TaskProfile tp = MakeTask(
      "t", 2, 2, 3, [](int v, int, int p) { return (p == 0 ? 10.0 : 100.0) * (v + 1); },
      [](int64_t s) { return 0.5 + 0.1 * s; }, 5);
  Snapshot snap;
  snap.processors = Processors(3);
  snap.processors[0].alive = false;
  snap.tasks = {Task(0, &tp, 5.0, 0.0, 50)};
  auto r = JointOptimizer().Optimize(snap);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const Option& o : (*r)[0].options)
    for (int p : o.placement) EXPECT_NE(p, 0);
  for (auto& ps : snap.processors) ps.alive = false;
  EXPECT_FALSE(JointOptimizer().Optimize(snap).ok());
}

TEST(JointOptimizer, SkipsInactiveTasksAndRejectsBadInput) {
  TaskProfile tp = TwoByTwo();
  Snapshot snap;
  snap.processors = Processors(1);
  snap.tasks = {Task(0, &tp, 1, 0, 1), Task(1, &tp, 1, 0, 1)};
  snap.tasks[0].active = false;
  auto r = JointOptimizer().Optimize(snap);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].task, 1);

  TaskProfile broken = tp;
  broken.accuracy.stitches.pop_back();
  snap.tasks[1].profile = &broken;
  auto e = JointOptimizer().Optimize(snap);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("stitch accuracies"), std::string::npos);
  snap.tasks[1].profile = nullptr;
  EXPECT_FALSE(JointOptimizer().Optimize(snap).ok());
  snap.tasks[1].profile = &tp;
  snap.tasks[1].slo.latency_ms = 0;
  EXPECT_FALSE(JointOptimizer().Optimize(snap).ok());
}

TEST(JointOptimizer, RankedListIsDiverseAndBounded) {
  auto sc = testing::RandomScenario(11, 2, 3, 3, 3, 0.7);
  JointOptimizerConfig cfg;
  cfg.max_options = 5;
  cfg.max_options_per_placement = 1;
  auto r = JointOptimizer(cfg).Optimize(sc.snapshot);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const size_t P = sc.snapshot.processors.size();
  for (const Choice& ch : *r) {
    EXPECT_LE(ch.options.size(), 5u + P);  // max_options, then one whole-model option per processor
    EXPECT_GE(ch.options.size(), 2u);
    for (size_t a = 0; a < ch.options.size(); ++a)
      for (size_t b = a + 1; b < ch.options.size(); ++b)
        EXPECT_NE(ch.options[a].placement, ch.options[b].placement);
    // Every processor has a whole-model option.
    std::vector<bool> single(P, false);
    for (const Option& o : ch.options)
      if (std::all_of(o.placement.begin(), o.placement.end(),
                      [&](int p) { return p == o.placement[0]; }))
        single[o.placement[0]] = true;
    for (size_t p = 0; p < P; ++p) EXPECT_TRUE(single[p]) << "processor " << p;
  }
}

TEST(JointOptimizer, IsDeterministic) {
  for (uint64_t seed : {1, 2, 3}) {
    auto sc = testing::RandomScenario(seed, 3, 3, 2, 2, 0.9);
    for (SearchMode mode : {SearchMode::kExact, SearchMode::kHeuristic}) {
      JointOptimizerConfig cfg;
      cfg.search = mode;
      JointOptimizer opt(cfg);
      auto a = opt.Optimize(sc.snapshot);
      auto b = opt.Optimize(sc.snapshot);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_EQ(a->size(), b->size());
      for (size_t t = 0; t < a->size(); ++t) {
        ASSERT_EQ((*a)[t].options.size(), (*b)[t].options.size());
        for (size_t o = 0; o < (*a)[t].options.size(); ++o) {
          EXPECT_EQ((*a)[t].options[o].stitch, (*b)[t].options[o].stitch);
          EXPECT_EQ((*a)[t].options[o].placement, (*b)[t].options[o].placement);
          EXPECT_EQ((*a)[t].options[o].expected_latency_us, (*b)[t].options[o].expected_latency_us);
        }
      }
    }
  }
}

TEST(JointOptimizer, PlacementsHaveNoRevisits) {
  TaskProfile tp = MakeTask(
      "t", 1, 3, 3, [](int, int, int) { return 10.0; }, [](int64_t) { return 1.0; });
  Snapshot snap;
  snap.processors = Processors(3);
  snap.tasks = {Task(0, &tp, 1, 0, 1)};
  auto r = JointOptimizer().Solve(snap);
  ASSERT_TRUE(r.ok());
  // 3 single-processor + 12 two-stage + 6 three-stage placements, none dominated (symmetric).
  EXPECT_EQ(r->candidates[0], 21);
}

}  // namespace
}  // namespace sl

// The joint optimizer's objective (sched/evaluator.h): a task's candidates evaluated in blocks
// (MoveKeys) against one assignment at a time (Eval).
#include "sched/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "sched/candidates.h"
#include "sched_test_util.h"

namespace sl {
namespace {

std::vector<CandidateSet> Sets(const Snapshot& snap, const JointOptimizerConfig& cfg) {
  std::vector<int> alive;
  for (const auto& p : snap.processors) alive.push_back(p.id);
  std::vector<CandidateSet> sets;
  for (size_t t = 0; t < snap.tasks.size(); ++t) {
    auto cs = BuildCandidates(snap, static_cast<int>(t), alive, cfg, false);
    EXPECT_TRUE(cs.ok());
    sets.push_back(std::move(*cs));
  }
  return sets;
}

void ExpectSameKey(const Key& a, const Key& b, bool exact, const char* where) {
  EXPECT_EQ(a.satisfied_tasks, b.satisfied_tasks) << where;
  EXPECT_EQ(a.fits, b.fits) << where;
  EXPECT_EQ(a.load, b.load) << where;
  if (exact) {
    EXPECT_EQ(a.satisfied_mrps, b.satisfied_mrps) << where;
    EXPECT_EQ(a.lateness, b.lateness) << where;
    EXPECT_EQ(a.bucket, b.bucket) << where;
    EXPECT_EQ(a.accuracy, b.accuracy) << where;
    EXPECT_EQ(a.latency, b.latency) << where;
  } else {  // the loads are summed in another order: equal up to rounding
    EXPECT_NEAR(a.satisfied_mrps, b.satisfied_mrps, 1) << where;
    EXPECT_NEAR(a.lateness, b.lateness, 1e-9 * (1 + a.lateness)) << where;
    EXPECT_NEAR(a.accuracy, b.accuracy, 1e-12) << where;
    EXPECT_NEAR(a.latency, b.latency, 1e-9 * a.latency) << where;
  }
}

// Every candidate of every task, with the other tasks on random candidates, at loads from light
// to beyond saturation (unbounded waits), with more candidates than one block (256).
TEST(Evaluator, MoveKeysAgreesWithEval) {
  for (double load : {0.5, 1.5, 4.0}) {
    auto sc = testing::RandomScenario(7, 3, 7, 3, 3, load);
    JointOptimizerConfig cfg;
    cfg.utilisation_quantum = 0;
    cfg.prefer_resident = true;
    sc.snapshot.memory_budget_bytes = 40000;
    const auto sets = Sets(sc.snapshot, cfg);
    ASSERT_GT(sets[2].size(), 256);
    Evaluator ev(sets, 3, sc.snapshot.memory_budget_bytes, cfg);
    std::vector<int64_t> assign = {sets[0].size() / 3, sets[1].size() / 2, sets[2].size() - 1};
    std::vector<Key> keys;
    for (size_t j = 0; j < sets.size(); ++j) {
      ev.MoveKeys(assign, j, keys);
      ASSERT_EQ(static_cast<int64_t>(keys.size()), sets[j].size());
      std::vector<int64_t> a = assign;
      for (int64_t c = 0; c < sets[j].size(); ++c) {
        a[j] = c;
        // The last task's load is added last either way: bit for bit the same.
        ExpectSameKey(keys[c], ev.EvalKey(a), j + 1 == sets.size(), "candidate");
      }
    }
    // A task left out (-1) takes no part, as in a greedy construction.
    std::vector<int64_t> partial = {-1, assign[1], -1};
    ev.MoveKeys(partial, 2, keys);
    for (int64_t c = 0; c < sets[2].size(); ++c) {
      partial[2] = c;
      ExpectSameKey(keys[c], ev.EvalKey(partial), true, "partial");
    }
  }
}

TEST(Evaluator, WaitsOfASaturatedProcessorAreInfinite) {
  auto sc = testing::RandomScenario(3, 2, 2, 2, 2, 50.0);
  JointOptimizerConfig cfg;
  const auto sets = Sets(sc.snapshot, cfg);
  Evaluator ev(sets, 2, sc.snapshot.memory_budget_bytes, cfg);
  const Objective o = ev.Eval({0, 0});
  ASSERT_GE(o.bottleneck_utilisation, cfg.max_utilisation);
  bool infinite = false;
  for (double w : ev.waits()) infinite = infinite || std::isinf(w);
  EXPECT_TRUE(infinite);
  EXPECT_EQ(o.satisfied_tasks, 0);
  EXPECT_TRUE(std::isfinite(o.latency_us));
}

// An unbounded load (a processor that cannot run a segment has infinite latency) is the worst
// bottleneck, not the best: beyond the range of int64_t a rounded utilisation used to wrap.
TEST(Evaluator, AnUnboundedBottleneckRanksLast) {
  Objective light, heavy, unbounded;
  light.bottleneck_utilisation = 0.5;
  heavy.bottleneck_utilisation = 2e7;
  unbounded.bottleneck_utilisation = std::numeric_limits<double>::infinity();
  for (double q : {0.0, 0.02}) {
    EXPECT_TRUE(ObjectiveBetter(light, heavy, q)) << q;
    EXPECT_TRUE(ObjectiveBetter(light, unbounded, q)) << q;
    EXPECT_FALSE(ObjectiveBetter(unbounded, light, q)) << q;
    EXPECT_FALSE(ObjectiveBetter(heavy, light, q)) << q;
  }
}

}  // namespace
}  // namespace sl

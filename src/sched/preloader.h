// The preloader: which segments' weights stay resident within a memory budget
// (docs/scheduling.md "Preloader"). Segments not resident are loaded on demand by the runtime; the
// dispatcher charges their load time (Dispatcher::ExpectedFinishUs).
//
// kHotness (SparseLoom), steps of Plan:
//   1. For each choice, the probability that option r serves a request is taken as
//      rank_decay^r / sum_r' rank_decay^r'.
//   2. hotness(segment) = rate of its task (at least 1e-3 rps) x the summed probability of the
//      options that use it. A segment every option of its task needs scores the full rate: nothing
//      can replace it. A segment used by one low-ranked option scores little.
//   3. Segments by decreasing hotness (ties: fewer bytes, then task, then segment index) are made
//      resident first-fit: each one that still fits is taken, the others skipped. A segment whose
//      share (hotness / its task's rate) is below `min_share` is left to load on demand, whatever
//      the budget: memory is spent only on segments that are likely to run.
// kChoiceOrder (baselines): rank 0 options of every task in task order, then rank 1, ..., each
// option's segments first-fit.
//
// The result never exceeds the budget: with a budget below every segment, nothing is resident.
// Deterministic; allocates only its result and working set.
#pragma once

#include <cstdint>
#include <vector>

#include "sched/choice.h"
#include "sched/snapshot.h"

namespace sl {

// kRandom (evaluation baseline): the segments of every option, in a seeded random order, first-fit.
// kAll (evaluation baseline "preload-all"): every segment of every task, in task order, first-fit.
enum class PreloadMode { kHotness, kChoiceOrder, kRandom, kAll };

struct PreloaderConfig {
  PreloadMode mode = PreloadMode::kHotness;
  double rank_decay = 0.5;
  double min_share = 0;  // kHotness: segments used by less of their task's requests stay out
  // For the caller: idle segments outside the plan are evicted at every replan, even without a
  // budget, so that memory holds the current plan only (the runtime and simulator do this).
  bool evict_outside_plan = false;
  uint64_t seed = 1;  // kRandom
};

class Preloader {
 public:
  explicit Preloader(PreloaderConfig config = {}) : config_(config) {}
  const PreloaderConfig& config() const { return config_; }

  // A tracked ResidentSet with flags for every task of the snapshot. Choices name tasks by
  // position; choices for unknown positions or options with out-of-range entries are ignored.
  ResidentSet Plan(const Snapshot& snapshot, const std::vector<Choice>& choices,
                   int64_t budget_bytes) const;

 private:
  PreloaderConfig config_;
};

}  // namespace sl

// Optimizers: Snapshot -> one ranked Choice per active task (docs/scheduling.md).
//
// JointOptimizer is SparseLoom's: per task it considers every stitch (or only the plain variants)
// on every placement of a family, and picks one option per task jointly, lexicographically:
//   1. maximise the request rate whose SLO is met: accuracy at least the floor and expected latency
//      (segments + hand-offs + M/G/1 queueing at every processor the placement visits, from the
//      utilisations all chosen options imply) at most the bound;
//   2. then the number of tasks whose SLO is met (tells rate-0 tasks apart);
//   3. then minimise the lateness of the tasks that miss (rate-weighted latency / bound, capped):
//      serve them as fast as possible, and guide the heuristic towards meeting them;
//   4. then fit the chosen stitches' weights in the memory budget;
//   5. with `prefer_resident`, the fewest bytes of chosen segments that are not resident, counted
//      for tasks that already have resident segments (a replan keeps a plan that still meets the
//      SLOs instead of loading another; a task's first plan is free to choose);
//   6. then minimise the bottleneck utilisation (throughput headroom), compared in buckets of
//      `utilisation_quantum` so that near-equal loads leave room for
//   7. the rate-weighted accuracy, then 8. the rate-weighted expected latency.
// Exact search when the product of the per-task candidate counts is at most `exact_limit`,
// otherwise three greedy/light starts, each refined by best-improvement local search over single-
// and two-task moves (see joint_optimizer.cc).
//
// Optimize is deterministic (same Snapshot, same output) and allocates only its working set.
// Thread safety: const methods may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sched/choice.h"
#include "sched/snapshot.h"

namespace sl {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  [[nodiscard]] virtual Result<std::vector<Choice>> Optimize(const Snapshot& snapshot) const = 0;
};

// Which placements a task's options may use (over the alive processors only).
enum class PlacementFamily {
  kAny,         // every placement in which each processor runs one contiguous run of segments
  kSingle,      // the whole model on one processor (one option per processor)
  kRoundRobin,  // segment i on the i mod A-th alive processor (A alive processors)
};

enum class SearchMode { kAuto, kExact, kHeuristic };

struct JointOptimizerConfig {
  bool plain_variants_only = false;  // true: stitches (v, ..., v) only (the `av` baselines)
  PlacementFamily placements = PlacementFamily::kAny;
  // kRoundRobin only: the processor order (ids; dead ones are skipped). Empty: id order.
  std::vector<int> processor_order;
  SearchMode search = SearchMode::kAuto;
  int64_t exact_limit = 200000;  // kAuto: exact when the combination count is at most this
  int64_t max_stitches = int64_t{1} << 22;  // per task; larger spaces are refused
  int max_options = 8;                      // options per Choice
  int max_options_per_placement = 2;        // diversity of the ranked list
  double utilisation_quantum = 0.02;        // bucket width of objective 6 (0: compare exactly)
  int max_local_search_rounds = 50;
  double max_utilisation = 0.999;  // queueing at or above this counts as unbounded
  // Objective 5: prefer stitches whose segments are already resident (Snapshot::resident, when
  // tracked). Off for the baselines, on for SparseLoom.
  bool prefer_resident = false;
  // Split the listed options' stages that are longer than the least slack of the chosen options
  // into one stage per segment (MakeOption's split_above_us). Off for the baselines.
  bool split_long_stages = false;
};

// The value of one joint assignment (see the header comment for the order).
struct Objective {
  double satisfied_rate_rps = 0;
  int satisfied_tasks = 0;
  double lateness = 0;  // rate-weighted sum of latency / bound over the tasks that miss
  bool fits_memory = true;
  int64_t load_bytes = 0;  // chosen segments not resident (counted with prefer_resident only)
  double bottleneck_utilisation = 0;
  double accuracy = 0;    // rate-weighted mean over tasks
  double latency_us = 0;  // rate-weighted mean expected latency (capped when unbounded)
};

// True when `a` is strictly better than `b` under the lexicographic order with `quantum`.
bool ObjectiveBetter(const Objective& a, const Objective& b, double quantum);

// What a search found, for tests, benchmarks and logs.
struct Solution {
  std::vector<Choice> choices;
  Objective objective;
  bool exact = false;               // exhaustive over the candidates
  std::vector<int64_t> candidates;  // per active task, after pruning
  int64_t evaluations = 0;          // objective evaluations
};

class JointOptimizer : public Optimizer {
 public:
  explicit JointOptimizer(JointOptimizerConfig config = {}, std::string name = "sparseloom")
      : config_(config), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  const JointOptimizerConfig& config() const { return config_; }
  [[nodiscard]] Result<std::vector<Choice>> Optimize(const Snapshot& snapshot) const override;
  [[nodiscard]] Result<Solution> Solve(const Snapshot& snapshot) const;

 private:
  JointOptimizerConfig config_;
  std::string name_;
};

// The single-variant baselines: one fixed variant per task, no stitching.
enum class VariantRule {
  kMostAccurate,         // sv-ao: the most accurate plain variant
  kFastestMeetingFloor,  // sv-lo: the fastest plain variant meeting the floor, else the fastest
};

class SingleVariantOptimizer : public Optimizer {
 public:
  SingleVariantOptimizer(VariantRule rule, PlacementFamily placements, std::string name)
      : rule_(rule), placements_(placements), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  [[nodiscard]] Result<std::vector<Choice>> Optimize(const Snapshot& snapshot) const override;

 private:
  VariantRule rule_;
  PlacementFamily placements_;
  std::string name_;
};

// Alive processor ids in order; fails when none is alive or processors do not match the ids.
[[nodiscard]] Result<std::vector<int>> AliveProcessors(const Snapshot& snapshot);
// Checks every active task: a profile complete for the snapshot's processors, a positive latency
// bound, a finite non-negative rate. Errors name the task.
[[nodiscard]] Status ValidateSnapshotTasks(const Snapshot& snapshot);

}  // namespace sl

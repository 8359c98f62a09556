// The profiler: everything the profile records for one pool (docs/profile.md).
//
// Steps for a task:
//   1. Valid cuts of the pool; the chosen ones (named, or K-1 FLOP-balanced, K defaulting to the
//      number of processors).
//   2. Segment(v, i) prepared at batch 1 per distinct processor thread count (latency) and at the
//      accuracy batch with one thread per worker (accuracy).
//   3. Accuracy of every stitch (exact, prefix-shared) or a sample plus the estimator.
//   4. Latency of every segment on every processor; hand-off of every cut between processors.
//   5. Validation: a seeded sample of stitches on random placements run end to end, compared with
//      the predicted latency (mean absolute percentage error).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "profile/accuracy.h"
#include "profile/latency.h"
#include "profile/profile.h"
#include "zoo/cuts.h"

namespace sl {

struct ProfileOptions {
  int num_segments = 0;                 // 0: the number of processors
  std::vector<std::string> cuts;        // names; overrides num_segments when given
  std::string accuracy_mode = "exact";  // "exact" | "estimate"
  int64_t accuracy_batch = 250;
  int accuracy_workers = 0;     // 0: usable cores
  int64_t max_val_samples = 0;  // 0: the whole validation subset
  EstimatorOptions estimator;
  LatencyOptions latency;
  int validation_samples = 12;  // stitches run end to end for the latency MAPE
  uint64_t seed = 0;
};

// Reports (phase, fraction of this task done in [0, 1]).
using TaskProgressFn = std::function<void(const std::string& phase, double fraction)>;

// Cuts for `pool`: named ones, else K-1 balanced. Returns indices into analysis.valid.
[[nodiscard]] Result<std::vector<int>> SelectCuts(const CutAnalysis& analysis, int num_segments,
                                                  const std::vector<std::string>& names);

[[nodiscard]] Result<TaskProfile> ProfileTask(const Pool& pool,
                                              const std::vector<ProcessorSpec>& processors,
                                              const ProfileOptions& options,
                                              const TaskProgressFn& progress = {});

}  // namespace sl

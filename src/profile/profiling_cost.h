// How long the accuracy of every stitch takes to measure as the pool grows (the paper's profiling
// time experiment): exhaustive (every stitch run on its own), exact with prefix sharing, and the
// estimator (a sample measured, the rest predicted). Real measurements on this machine.
#pragma once

#include <cstdint>
#include <vector>

#include "profile/accuracy.h"
#include "zoo/pool.h"

namespace sl {

struct ProfilingCostRow {
  int variants = 0;
  int64_t stitches = 0;
  double exhaustive_s = 0, prefix_shared_s = 0, estimator_s = 0;
  int64_t exhaustive_runs = 0, prefix_shared_runs = 0, estimator_runs = 0;  // segment runs
  double estimator_mae_points = 0, estimator_max_points = 0;  // against the exact accuracies
};

// For each n in `variant_counts`: the pool's first n variants, K segments (balanced cuts), the
// first `max_samples` validation inputs (0: all), one thread.
[[nodiscard]] Result<std::vector<ProfilingCostRow>> MeasureProfilingCost(
    const Pool& pool, int num_segments, const std::vector<int>& variant_counts,
    int64_t max_samples);

}  // namespace sl

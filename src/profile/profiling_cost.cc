#include "profile/profiling_cost.h"

#include <chrono>
#include <cmath>

#include "zoo/cuts.h"

namespace sl {

Result<std::vector<ProfilingCostRow>> MeasureProfilingCost(const Pool& pool, int num_segments,
                                                           const std::vector<int>& variant_counts,
                                                           int64_t max_samples) {
  SL_ASSIGN_OR_RETURN(CutAnalysis analysis, FindValidCuts(pool));
  SL_ASSIGN_OR_RETURN(std::vector<int> chosen, ChooseBalancedCuts(analysis, num_segments));
  std::vector<std::string> cuts;
  for (int c : chosen) cuts.push_back(analysis.valid[c].name);
  std::vector<ProfilingCostRow> rows;
  AccuracyOptions ao;
  ao.max_samples = max_samples;
  for (int n : variant_counts) {
    if (n < 1 || n > pool.num_variants())
      return InvalidArgument(pool.task + ": cannot take " + std::to_string(n) + " of " +
                             std::to_string(pool.num_variants()) + " variants");
    Pool sub = pool;
    sub.variants.resize(static_cast<size_t>(n));
    SegmentConfig sc;
    sc.batch = 250;
    SL_ASSIGN_OR_RETURN(SegmentSet set, SegmentSet::Prepare(sub, cuts, sc));
    ProfilingCostRow row;
    row.variants = n;
    row.stitches = NumStitches(n, set.num_segments());
    // Exhaustive: every stitch on its own, no sharing.
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < row.stitches; ++s) {
      SL_ASSIGN_OR_RETURN(
          StitchAccuracies one,
          MeasureStitchAccuracy(sub, set, {StitchFromIndex(s, n, set.num_segments())}, ao));
      row.exhaustive_runs += one.segment_runs;
    }
    row.exhaustive_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    SL_ASSIGN_OR_RETURN(StitchAccuracies exact, MeasureAllStitchAccuracy(sub, set, ao));
    row.prefix_shared_s = exact.seconds;
    row.prefix_shared_runs = exact.segment_runs;
    if (n >= 2) {
      const auto t1 = std::chrono::steady_clock::now();
      SL_ASSIGN_OR_RETURN(AccuracyEstimate est, EstimateStitchAccuracy(sub, set, ao, {}));
      row.estimator_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      row.estimator_runs = est.measurement.segment_runs;
      for (size_t s = 0; s < est.accuracy.size(); ++s) {
        const double e = 100 * std::abs(est.accuracy[s] - exact.accuracy[s]);
        row.estimator_mae_points += e / static_cast<double>(est.accuracy.size());
        row.estimator_max_points = std::max(row.estimator_max_points, e);
      }
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace sl

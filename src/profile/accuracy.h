// Accuracy of stitches on a pool's validation subset.
//
// Exact mode measures every stitch with prefix sharing: for each chunk of the validation data,
// Segment(v, 0) runs once per variant, its output feeds Segment(w, 1) for every w, and so on: a
// depth-first walk of the stitch trie. With n variants and K segments a chunk costs
// n + n^2 + ... + n^K segment runs instead of K n^K, and the intermediate tensors of only one path
// are alive at a time. Chunks are spread over worker threads, each with its own contexts.
//
// Estimator mode measures a seeded sample of stitches (all plain variants included) the same way,
// fits a least-squares model of accuracy on one-hot (segment, variant) features, optionally with
// one-hot (segment pair, variant pair) terms for adjacent segments, and predicts the rest. Part of
// the sample is held out of the fit to report the estimator's error in accuracy points.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "zoo/segments.h"

namespace sl {

// Called from the measuring threads' coordinator with (done, total) segment runs.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

struct AccuracyOptions {
  int workers = 1;          // threads, each running whole chunks
  int64_t max_samples = 0;  // 0: the whole validation subset, else its first max_samples
  ProgressFn progress;      // optional
};

struct StitchAccuracies {
  std::vector<double> accuracy;  // per requested stitch, in [0, 1]
  int64_t validation_count = 0;
  int64_t segment_runs = 0;  // batched segment executions
  double seconds = 0;
};

// Accuracy of each of `stitches` (any order, duplicates allowed) on the validation data, with
// prefix sharing among them. `set` must be prepared at the chunk size (set.config().batch); the
// last partial chunk is padded. Fails if the pool has no validation data or the output is not
// [batch, classes].
[[nodiscard]] Result<StitchAccuracies> MeasureStitchAccuracy(const Pool& pool,
                                                             const SegmentSet& set,
                                                             const std::vector<Stitch>& stitches,
                                                             const AccuracyOptions& options);

// Every stitch, in stitch index order (zoo/segments.h).
[[nodiscard]] Result<StitchAccuracies> MeasureAllStitchAccuracy(const Pool& pool,
                                                                const SegmentSet& set,
                                                                const AccuracyOptions& options);

struct EstimatorOptions {
  int64_t samples = 0;             // stitches measured; 0: max(4 n K, 60), capped at n^K
  double holdout_fraction = 0.25;  // of the measured sample (plain variants always in the fit)
  double ridge = 1e-4;
  uint64_t seed = 0;
};

struct AccuracyEstimate {
  std::vector<double> accuracy;   // every stitch, index order; measured ones exact
  std::vector<int64_t> measured;  // stitch indices measured
  std::string kind;               // which feature set won on the held-out stitches
  int64_t fit_samples = 0, holdout_samples = 0;
  double holdout_mae_points = 0, holdout_max_error_points = 0;
  StitchAccuracies measurement;
};

// Fits and predicts as described above. Both feature sets are fitted on the fit part; the one with
// the lower held-out mean absolute error is refitted on the whole sample and predicts the rest.
[[nodiscard]] Result<AccuracyEstimate> EstimateStitchAccuracy(const Pool& pool,
                                                              const SegmentSet& set,
                                                              const AccuracyOptions& options,
                                                              const EstimatorOptions& estimator);

// The estimator alone, for tests: fits on (stitch, accuracy) pairs and predicts `queries`.
// pairwise adds adjacent-pair one-hot terms.
[[nodiscard]] Result<std::vector<double>> FitAndPredictAccuracy(
    int num_variants, int num_segments, const std::vector<Stitch>& fit,
    const std::vector<double>& fit_accuracy, const std::vector<Stitch>& queries, bool pairwise,
    double ridge);

}  // namespace sl

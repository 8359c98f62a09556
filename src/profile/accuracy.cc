#include "profile/accuracy.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <unordered_set>

namespace sl {

namespace {

// One worker's walk over the stitch trie for its chunks.
class TrieWalker {
 public:
  TrieWalker(const SegmentSet& set, const std::vector<Stitch>& stitches, const Tensor& val_y,
             std::atomic<int64_t>& runs)
      : set_(set),
        stitches_(stitches),
        y_(val_y),
        runs_(runs),
        runner_(set),
        correct_(stitches.size(), 0) {
    for (int i = 0; i < set.num_segments(); ++i) {
      const TensorInfo& out = set.segment(0, i).device->outputs()[0];
      buffers_.emplace_back(out.dtype, out.shape);
    }
  }

  // Runs every stitch on rows [first, first + rows) of the validation data, already copied into
  // `input` (padded to the batch).
  Status Chunk(const Tensor& input, int64_t first, int64_t rows) {
    first_ = first;
    rows_ = rows;
    return Visit(0, 0, stitches_.size(), input.view());
  }
  const std::vector<int64_t>& correct() const { return correct_; }

 private:
  // stitches_[begin, end) share their first `level` entries; they are sorted, so those with the
  // same entry at `level` are contiguous.
  Status Visit(int level, size_t begin, size_t end, const TensorView& input) {
    const int k = set_.num_segments();
    for (size_t g = begin; g < end;) {
      const int v = stitches_[g][level];
      size_t ge = g;
      while (ge < end && stitches_[ge][level] == v) ++ge;
      SL_RETURN_IF_ERROR(runner_.RunSegment(v, level, input, buffers_[level].view()));
      runs_.fetch_add(1, std::memory_order_relaxed);
      if (level + 1 == k) {
        int64_t c = CountCorrect(buffers_[level]);
        for (size_t s = g; s < ge; ++s) correct_[s] += c;
      } else {
        SL_RETURN_IF_ERROR(Visit(level + 1, g, ge, buffers_[level].view()));
      }
      g = ge;
    }
    return Status::Ok();
  }

  int64_t CountCorrect(const Tensor& logits) const {
    const int64_t classes = logits.shape()[1];
    const float* l = logits.data<float>();
    const int64_t* y = y_.data<int64_t>();
    int64_t c = 0;
    for (int64_t r = 0; r < rows_; ++r) {
      const float* row = l + r * classes;
      int64_t best = std::max_element(row, row + classes) - row;
      c += best == y[first_ + r];
    }
    return c;
  }

  const SegmentSet& set_;
  const std::vector<Stitch>& stitches_;
  const Tensor& y_;
  std::atomic<int64_t>& runs_;
  StitchRunner runner_;
  std::vector<Tensor> buffers_;
  std::vector<int64_t> correct_;
  int64_t first_ = 0, rows_ = 0;
};

int64_t TrieNodes(const std::vector<Stitch>& sorted, int k) {
  int64_t nodes = 0;
  for (size_t s = 0; s < sorted.size(); ++s) {
    // Stitch s opens new nodes from the first level where it differs from s-1.
    int common = 0;
    if (s > 0)
      while (common < k && sorted[s][common] == sorted[s - 1][common]) ++common;
    nodes += k - common;
  }
  return nodes;
}

}  // namespace

Result<StitchAccuracies> MeasureStitchAccuracy(const Pool& pool, const SegmentSet& set,
                                               const std::vector<Stitch>& stitches,
                                               const AccuracyOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!pool.val_x.defined())
    return InvalidArgument(pool.task + ": the pool has no validation data (val_x.npy, val_y.npy)");
  const int k = set.num_segments(), n = set.num_variants();
  const TensorInfo& out = set.segment(0, k - 1).device->outputs()[0];
  const int64_t batch = set.config().batch;
  if (out.dtype != DType::kF32 || out.shape.size() != 2 || out.shape[0] != batch)
    return InvalidArgument(pool.task + ": output '" + out.name +
                           "' must be float32 [batch, classes], got " +
                           std::string(DTypeName(out.dtype)) + ShapeToString(out.shape));
  // Unique stitches in index order; `slot` maps each request to its unique entry.
  std::vector<int64_t> index(stitches.size());
  for (size_t s = 0; s < stitches.size(); ++s) {
    if (static_cast<int>(stitches[s].size()) != k)
      return InvalidArgument(pool.task + ": stitch " + std::to_string(s) + " has " +
                             std::to_string(stitches[s].size()) + " entries, expected " +
                             std::to_string(k));
    for (int v : stitches[s])
      if (v < 0 || v >= n) return OutOfRange(pool.task + ": stitch entry out of range");
    index[s] = StitchIndex(stitches[s], n);
  }
  std::vector<int64_t> unique = index;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  std::vector<Stitch> sorted;
  for (int64_t u : unique) sorted.push_back(StitchFromIndex(u, n, k));

  StitchAccuracies result;
  const int64_t total_rows =
      options.max_samples > 0 ? std::min(options.max_samples, pool.val_count()) : pool.val_count();
  result.validation_count = total_rows;
  const int64_t chunks = (total_rows + batch - 1) / batch;
  const int64_t total_runs = chunks * TrieNodes(sorted, k);
  const int64_t row_elems = NumElements(pool.sample_shape);
  Shape in_shape{batch};
  in_shape.insert(in_shape.end(), pool.sample_shape.begin(), pool.sample_shape.end());

  std::atomic<int64_t> next_chunk{0}, runs{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  std::vector<std::vector<int64_t>> correct;
  const int workers =
      static_cast<int>(std::clamp<int64_t>(options.workers, 1, std::max<int64_t>(chunks, 1)));
  std::vector<std::thread> threads;
  correct.resize(workers);
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      TrieWalker walker(set, sorted, pool.val_y, runs);
      Tensor input(DType::kF32, in_shape);
      for (int64_t c; !failed && (c = next_chunk.fetch_add(1)) < chunks;) {
        const int64_t first = c * batch, rows = std::min(batch, total_rows - first);
        std::memcpy(input.raw(), pool.val_x.data<float>() + first * row_elems,
                    rows * row_elems * sizeof(float));
        std::memset(input.data<float>() + rows * row_elems, 0,
                    (batch - rows) * row_elems * sizeof(float));
        Status st = walker.Chunk(input, first, rows);
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = st.WithContext(pool.task);
          failed = true;
        }
      }
      correct[w] = walker.correct();
    });
  }
  if (options.progress) {
    while (true) {
      int64_t done = runs.load();
      options.progress(done, total_runs);
      if (done >= total_runs || failed) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  std::vector<double> acc(sorted.size());
  for (size_t u = 0; u < sorted.size(); ++u) {
    int64_t c = 0;
    for (const auto& cw : correct) c += cw[u];
    acc[u] = total_rows ? static_cast<double>(c) / total_rows : 0;
  }
  for (int64_t i : index)
    result.accuracy.push_back(
        acc[std::lower_bound(unique.begin(), unique.end(), i) - unique.begin()]);
  result.segment_runs = runs.load();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

Result<StitchAccuracies> MeasureAllStitchAccuracy(const Pool& pool, const SegmentSet& set,
                                                  const AccuracyOptions& options) {
  std::vector<Stitch> all;
  const int64_t total = NumStitches(set.num_variants(), set.num_segments());
  for (int64_t s = 0; s < total; ++s)
    all.push_back(StitchFromIndex(s, set.num_variants(), set.num_segments()));
  return MeasureStitchAccuracy(pool, set, all, options);
}

// ---- estimator -------------------------------------------------------------------------------

namespace {

std::vector<int> Features(const Stitch& s, int n, bool pairwise) {
  const int k = static_cast<int>(s.size());
  // Main effects in reference coding (variant 0 is the baseline of each segment), so the
  // one-hot design has full rank; pair terms are fully one-hot and rely on the ridge.
  std::vector<int> f{0};
  for (int i = 0; i < k; ++i)
    if (s[i] > 0) f.push_back(1 + i * n + s[i]);
  if (pairwise)
    for (int i = 0; i + 1 < k; ++i) f.push_back(1 + k * n + i * n * n + s[i] * n + s[i + 1]);
  return f;
}

// Solves A x = b (A symmetric positive definite after the ridge) by Gaussian elimination with
// partial pivoting.
std::vector<double> Solve(std::vector<double> a, std::vector<double> b, int d) {
  for (int c = 0; c < d; ++c) {
    int p = c;
    for (int r = c + 1; r < d; ++r)
      if (std::abs(a[r * d + c]) > std::abs(a[p * d + c])) p = r;
    if (p != c) {
      for (int j = 0; j < d; ++j) std::swap(a[c * d + j], a[p * d + j]);
      std::swap(b[c], b[p]);
    }
    double piv = a[c * d + c];
    if (std::abs(piv) < 1e-300) continue;
    for (int r = c + 1; r < d; ++r) {
      double f = a[r * d + c] / piv;
      if (f == 0) continue;
      for (int j = c; j < d; ++j) a[r * d + j] -= f * a[c * d + j];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(d, 0);
  for (int r = d - 1; r >= 0; --r) {
    double s = b[r];
    for (int j = r + 1; j < d; ++j) s -= a[r * d + j] * x[j];
    x[r] = std::abs(a[r * d + r]) < 1e-300 ? 0 : s / a[r * d + r];
  }
  return x;
}

}  // namespace

Result<std::vector<double>> FitAndPredictAccuracy(int num_variants, int num_segments,
                                                  const std::vector<Stitch>& fit,
                                                  const std::vector<double>& fit_accuracy,
                                                  const std::vector<Stitch>& queries, bool pairwise,
                                                  double ridge) {
  const int n = num_variants, k = num_segments;
  if (fit.empty() || fit.size() != fit_accuracy.size())
    return InvalidArgument("the estimator needs as many accuracies as fitted stitches (and one)");
  const int d = 1 + k * n + (pairwise ? (k - 1) * n * n : 0);
  std::vector<double> ata(static_cast<size_t>(d) * d, 0), atb(d, 0);
  for (size_t s = 0; s < fit.size(); ++s) {
    std::vector<int> f = Features(fit[s], n, pairwise);
    for (int a : f) {
      atb[a] += fit_accuracy[s];
      for (int b : f) ata[static_cast<size_t>(a) * d + b] += 1;
    }
  }
  for (int j = 1; j < d; ++j) ata[static_cast<size_t>(j) * d + j] += ridge * fit.size();
  ata[0] += 1e-9;
  std::vector<double> w = Solve(std::move(ata), std::move(atb), d);
  std::vector<double> out;
  for (const Stitch& q : queries) {
    double p = 0;
    for (int f : Features(q, n, pairwise)) p += w[f];
    out.push_back(std::clamp(p, 0.0, 1.0));
  }
  return out;
}

Result<AccuracyEstimate> EstimateStitchAccuracy(const Pool& pool, const SegmentSet& set,
                                                const AccuracyOptions& options,
                                                const EstimatorOptions& estimator) {
  const int n = set.num_variants(), k = set.num_segments();
  const int64_t total = NumStitches(n, k);
  int64_t samples = estimator.samples > 0 ? estimator.samples : std::max<int64_t>(4 * n * k, 60);
  samples = std::clamp<int64_t>(samples, std::min<int64_t>(n, total), total);
  // 1. The sample: plain variants first, then seeded distinct random stitches.
  std::mt19937_64 rng(estimator.seed);
  std::vector<int64_t> chosen;
  std::unordered_set<int64_t> taken;
  for (int v = 0; v < n; ++v) {
    int64_t i = StitchIndex(Stitch(k, v), n);
    if (taken.insert(i).second) chosen.push_back(i);
  }
  std::uniform_int_distribution<int64_t> pick(0, total - 1);
  while (static_cast<int64_t>(chosen.size()) < samples) {
    int64_t i = pick(rng);
    if (taken.insert(i).second) chosen.push_back(i);
  }
  std::vector<Stitch> stitches;
  for (int64_t i : chosen) stitches.push_back(StitchFromIndex(i, n, k));
  // 2. Measure them exactly (prefix-shared among the sample).
  AccuracyEstimate est;
  SL_ASSIGN_OR_RETURN(est.measurement, MeasureStitchAccuracy(pool, set, stitches, options));
  const std::vector<double>& measured = est.measurement.accuracy;
  // 3. Hold out part of the non-plain sample; pick the feature set by held-out error.
  std::vector<size_t> order(stitches.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin() + n, order.end(), rng);
  const size_t extra = stitches.size() - n;
  size_t holdout = static_cast<size_t>(std::llround(estimator.holdout_fraction * stitches.size()));
  holdout = std::min(holdout, extra > 0 ? extra - std::min<size_t>(extra, 1) : 0);
  if (holdout == 0 && extra >= 2) holdout = 1;
  std::vector<Stitch> fit_s, hold_s;
  std::vector<double> fit_a, hold_a;
  for (size_t j = 0; j < order.size(); ++j) {
    bool hold = j >= order.size() - holdout;
    (hold ? hold_s : fit_s).push_back(stitches[order[j]]);
    (hold ? hold_a : fit_a).push_back(measured[order[j]]);
  }
  bool best_pairwise = false;
  double best_mae = std::numeric_limits<double>::infinity(), best_max = 0;
  for (bool pairwise : {false, true}) {
    if (pairwise && k < 2) continue;
    SL_ASSIGN_OR_RETURN(std::vector<double> pred, FitAndPredictAccuracy(n, k, fit_s, fit_a, hold_s,
                                                                        pairwise, estimator.ridge));
    double mae = 0, mx = 0;
    for (size_t h = 0; h < pred.size(); ++h) {
      double e = 100.0 * std::abs(pred[h] - hold_a[h]);
      mae += e;
      mx = std::max(mx, e);
    }
    mae = pred.empty() ? 0 : mae / pred.size();
    if (mae < best_mae - 1e-12) {
      best_mae = mae;
      best_max = mx;
      best_pairwise = pairwise;
    }
  }
  est.kind = best_pairwise ? "least-squares one-hot(segment, variant) + adjacent pairs"
                           : "least-squares one-hot(segment, variant)";
  est.fit_samples = static_cast<int64_t>(fit_s.size());
  est.holdout_samples = static_cast<int64_t>(hold_s.size());
  est.holdout_mae_points = best_mae;
  est.holdout_max_error_points = best_max;
  // 4. Refit on the whole sample and predict every stitch; measured ones keep their measurement.
  std::vector<Stitch> all;
  for (int64_t s = 0; s < total; ++s) all.push_back(StitchFromIndex(s, n, k));
  SL_ASSIGN_OR_RETURN(est.accuracy, FitAndPredictAccuracy(n, k, stitches, measured, all,
                                                          best_pairwise, estimator.ridge));
  for (size_t j = 0; j < chosen.size(); ++j) est.accuracy[chosen[j]] = measured[j];
  est.measured = chosen;
  std::sort(est.measured.begin(), est.measured.end());
  return est;
}

}  // namespace sl

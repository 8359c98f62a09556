#include "profile/profiler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>

namespace sl {

Result<std::vector<int>> SelectCuts(const CutAnalysis& analysis, int num_segments,
                                    const std::vector<std::string>& names) {
  if (!names.empty()) return ResolveCuts(analysis, names);
  return ChooseBalancedCuts(analysis, num_segments);
}

Result<TaskProfile> ProfileTask(const Pool& pool, const std::vector<ProcessorSpec>& processors,
                                const ProfileOptions& options, const TaskProgressFn& progress) {
  auto report = [&](const std::string& phase, double f) {
    if (progress) progress(phase, f);
  };
  if (processors.empty()) return InvalidArgument("no processors to profile on");
  // Rough shares of the task's time, for the progress fraction.
  const double kAccuracyShare = 0.8, kLatencyShare = 0.12;
  TaskProfile t;
  t.task = pool.task;
  t.pool = pool.dir;
  for (const PoolVariant& v : pool.variants) {
    t.variants.push_back(v.name);
    t.patterns.push_back(v.pattern);
    t.manifest_val_accuracy.push_back(v.val_accuracy);
  }
  // 1. Cuts.
  report("cuts", 0);
  SL_ASSIGN_OR_RETURN(CutAnalysis analysis, FindValidCuts(pool));
  for (const CutInfo& c : analysis.valid) t.valid_cuts.push_back(c.name);
  const int k =
      options.num_segments > 0 ? options.num_segments : static_cast<int>(processors.size());
  SL_ASSIGN_OR_RETURN(std::vector<int> chosen, SelectCuts(analysis, k, options.cuts));
  for (int c : chosen) t.cuts.push_back(analysis.valid[c].name);
  t.num_segments = static_cast<int>(t.cuts.size()) + 1;
  const int n = pool.num_variants();

  // 2. Segments at batch 1, per backend and thread count. The CPU set with the fewest threads
  // (made for that purpose when no CPU processor is profiled) gives FLOPs and bytes.
  report("prepare", 0);
  using SetKey = std::pair<std::string, int>;  // backend, threads
  std::map<SetKey, std::unique_ptr<SegmentSet>> latency_sets;
  auto key_of = [](const ProcessorSpec& p) { return SetKey{p.backend, p.is_cpu() ? p.threads : 1}; };
  std::vector<SetKey> keys;
  for (const ProcessorSpec& p : processors) keys.push_back(key_of(p));
  if (std::none_of(processors.begin(), processors.end(),
                   [](const ProcessorSpec& p) { return p.is_cpu(); }))
    keys.push_back({"cpu", 1});
  for (const SetKey& key : keys) {  // "cpu" sorts before "cuda:N" and "opencl:N"
    if (latency_sets.count(key)) continue;
    SegmentConfig config{1, key.second, nullptr};
    if (key.first != "cpu") {
      SL_ASSIGN_OR_RETURN(config.backend, OpenBackend(key.first));
    }
    SL_ASSIGN_OR_RETURN(SegmentSet s, SegmentSet::Prepare(pool, t.cuts, config));
    latency_sets[key] = std::make_unique<SegmentSet>(std::move(s));
  }
  const SegmentSet& base = *latency_sets.begin()->second;
  for (int v = 0; v < n; ++v) {
    for (int i = 0; i < t.num_segments; ++i) {
      const SegmentInfo& s = base.segment(v, i);
      SegmentProfile sp;
      sp.variant = v;
      sp.index = i;
      sp.input = s.input;
      sp.output = s.output;
      sp.weight_bytes = static_cast<int64_t>(s.weight_bytes);
      sp.flops = s.flops;
      t.segments.push_back(std::move(sp));
    }
  }
  auto lookup = [&](const ProcessorSpec& p) -> const SegmentSet& {
    return *latency_sets.at(key_of(p));
  };

  // 3. Accuracy.
  if (pool.val_x.defined()) {
    const int64_t batch = std::max<int64_t>(
        1,
        std::min(options.accuracy_batch, options.max_val_samples > 0
                                             ? std::min(options.max_val_samples, pool.val_count())
                                             : pool.val_count()));
    SL_ASSIGN_OR_RETURN(SegmentSet acc_set, SegmentSet::Prepare(pool, t.cuts, {batch, 1}));
    AccuracyOptions ao;
    ao.workers = options.accuracy_workers > 0 ? options.accuracy_workers
                                              : static_cast<int>(UsableCores().size());
    ao.max_samples = options.max_val_samples;
    ao.progress = [&](int64_t done, int64_t total) {
      report("accuracy", kAccuracyShare * (total ? static_cast<double>(done) / total : 1));
    };
    AccuracyProfile& a = t.accuracy;
    if (options.accuracy_mode == "exact") {
      SL_ASSIGN_OR_RETURN(StitchAccuracies m, MeasureAllStitchAccuracy(pool, acc_set, ao));
      a.mode = "exact";
      a.stitches = std::move(m.accuracy);
      a.validation_count = m.validation_count;
      a.segment_runs = m.segment_runs;
      a.seconds = m.seconds;
    } else if (options.accuracy_mode == "estimate") {
      EstimatorOptions eo = options.estimator;
      eo.seed = options.seed;
      SL_ASSIGN_OR_RETURN(AccuracyEstimate e, EstimateStitchAccuracy(pool, acc_set, ao, eo));
      a.mode = "estimate";
      a.stitches = std::move(e.accuracy);
      a.measured = std::move(e.measured);
      a.validation_count = e.measurement.validation_count;
      a.segment_runs = e.measurement.segment_runs;
      a.seconds = e.measurement.seconds;
      a.estimator = e.kind;
      a.fit_samples = e.fit_samples;
      a.holdout_samples = e.holdout_samples;
      a.holdout_mae_points = e.holdout_mae_points;
      a.holdout_max_error_points = e.holdout_max_error_points;
    } else {
      return InvalidArgument("accuracy mode must be exact or estimate, got '" +
                             options.accuracy_mode + "'");
    }
  } else {
    t.accuracy.stitches.assign(t.num_stitches(), std::nan(""));
  }

  // 4. Latency and hand-offs.
  SL_ASSIGN_OR_RETURN(auto lat, MeasureSegmentLatency(
                                    lookup, n, t.num_segments, processors, options.latency,
                                    [&](int64_t d, int64_t total) {
                                      report("latency", kAccuracyShare + kLatencyShare * d / total);
                                    }));
  for (size_t s = 0; s < lat.size(); ++s) t.segments[s].latency_us = lat[s];
  for (int c = 0; c + 1 < t.num_segments; ++c) {
    const TensorInfo& info = base.segment(0, c).device->outputs()[0];
    HandoffProfile h;
    h.cut = t.cuts[c];
    h.bytes = NumElements(info.shape) * static_cast<int64_t>(DTypeSize(info.dtype));
    SL_ASSIGN_OR_RETURN(h.us,
                        MeasureHandoff(static_cast<size_t>(h.bytes), processors, options.latency));
    t.handoffs.push_back(std::move(h));
  }

  // 5. Validation of the latency prediction on random stitches and placements.
  Profile tmp;
  tmp.processors = processors;
  tmp.tasks.push_back(t);
  std::mt19937_64 rng(options.seed ^ 0x5eedULL);
  const int64_t total = t.num_stitches();
  Shape in_shape{1};
  in_shape.insert(in_shape.end(), pool.sample_shape.begin(), pool.sample_shape.end());
  Tensor input(DType::kF32, in_shape);
  if (pool.val_x.defined()) std::memcpy(input.raw(), pool.val_x.raw(), input.bytes());
  double ape = 0;
  const int samples = std::max(0, options.validation_samples);
  for (int s = 0; s < samples; ++s) {
    Stitch stitch = StitchFromIndex(static_cast<int64_t>(rng() % total), n, t.num_segments);
    std::vector<int> placement(t.num_segments);
    for (int& p : placement) p = static_cast<int>(rng() % processors.size());
    SL_ASSIGN_OR_RETURN(double predicted, tmp.PredictLatencyUs(t.task, stitch, placement));
    SL_ASSIGN_OR_RETURN(double measured, MeasureStitchLatency(lookup, stitch, placement, processors,
                                                              input, options.latency));
    ape += std::abs(predicted - measured) / std::max(measured, 1e-3);
    report("validation", kAccuracyShare + kLatencyShare +
                             (1 - kAccuracyShare - kLatencyShare) * (s + 1) / samples);
  }
  t.latency_validation.samples = samples;
  t.latency_validation.mape_percent = samples ? 100.0 * ape / samples : 0;
  t.latency_validation.seed = options.seed;
  report("done", 1);
  return t;
}

}  // namespace sl

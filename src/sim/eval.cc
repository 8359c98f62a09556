#include "sim/eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sched/optimizer.h"
#include "zoo/segments.h"

namespace sl {

namespace {

double CapacityRps(const Profile& prof) {
  double cap = 0;
  for (size_t p = 0; p < prof.processors.size(); ++p) {
    double mean = 0;
    for (const TaskProfile& t : prof.tasks)
      mean += t.VariantLatencyUs(t.MostAccurateVariant(), static_cast<int>(p));
    mean /= std::max<size_t>(prof.tasks.size(), 1);
    if (mean > 0 && mean < kUnusableLatencyUs) cap += 1e6 / mean;
  }
  return cap;
}

double Duration(const Profile& prof, const EvalOptions& o) {
  const double rate = std::max(1.0, o.load * CapacityRps(prof));
  return std::clamp(static_cast<double>(o.target_requests) / rate, 2.0, 10.0);
}

// SparseLoom (its dispatcher and preloader) with the optimizer config `jc`, which callers derive
// from SparseLoomOptimizerConfig(), and the preload mode `mode`.
Policy Custom(const std::string& name, const JointOptimizerConfig& jc, PreloadMode mode) {
  Result<Policy> own_policy = MakePolicy("sparseloom");
  SL_CHECK(own_policy.ok());
  Policy p = std::move(own_policy).value();
  p.name = name;
  p.optimizer = std::make_unique<JointOptimizer>(jc, name);
  PreloaderConfig pc = SparseLoomPreloaderConfig();
  pc.mode = mode;
  p.preloader = Preloader(pc);
  return p;
}

}  // namespace

Workload EvalWorkload(const Profile& prof, double load, uint64_t seed,
                      const std::vector<int>& order) {
  EvalOptions defaults;
  defaults.load = 1;
  Workload w;
  w.name = "eval";
  w.source = "eval";
  w.seed = seed;
  w.duration_s = Duration(prof, defaults);
  const int T = static_cast<int>(prof.tasks.size());
  std::mt19937_64 rng(seed * 7919 + 13);
  std::uniform_real_distribution<double> bound(2, 4), drop(0.005, 0.02);
  const double rate = load * CapacityRps(prof) / std::max(T, 1);
  for (int k = 0; k < T; ++k) {
    const TaskProfile& t = prof.tasks[order[k]];
    double best_us = 1e300;
    for (size_t p = 0; p < prof.processors.size(); ++p)
      best_us = std::min(best_us, t.VariantLatencyUs(t.MostAccurateVariant(), static_cast<int>(p)));
    WorkloadTask wt;
    wt.name = t.task;
    wt.pool = t.task;
    wt.latency_ms = bound(rng) * best_us / 1000.0;
    const int v = t.MostAccurateVariant();
    const int n = t.num_variants();
    const double best_acc = t.accuracy.stitches[StitchIndex(Stitch(t.num_segments, v), n)];
    wt.accuracy_min = std::max(0.0, best_acc - drop(rng));
    wt.arrival.kind = ArrivalKind::kPoisson;
    wt.arrival.rate = rate;
    wt.start_s = k * w.duration_s / (2.0 * T);
    wt.stop_s = w.duration_s;
    w.tasks.push_back(wt);
  }
  return w;
}

Result<EvalPlatformResult> EvaluatePlatform(
    const EvalPlatform& pl, const EvalOptions& o,
    const std::function<void(const std::string&)>& progress) {
  EvalPlatformResult r;
  r.name = pl.name;
  r.measured = pl.measured;
  const int T = static_cast<int>(pl.profile.tasks.size());
  if (T == 0) return InvalidArgument(pl.name + ": the profile has no tasks");
  std::vector<std::vector<int>> orders;
  std::vector<int> perm(T);
  std::iota(perm.begin(), perm.end(), 0);
  do orders.push_back(perm);
  while (static_cast<int>(orders.size()) < o.orders &&
         std::next_permutation(perm.begin(), perm.end()));
  for (const TaskProfile& t : pl.profile.tasks)
    for (const SegmentProfile& s : t.segments) r.all_segment_bytes += s.weight_bytes;
  auto run = [&](const Workload& w, Policy policy, int64_t budget) -> Result<RunMetrics> {
    SimOptions so = pl.sim;
    so.controller.memory_budget_bytes = budget;
    SL_ASSIGN_OR_RETURN(SimOutput out, Simulate(w, pl.profile, nullptr, std::move(policy), so));
    ++r.runs;
    return out.metrics;
  };
  const JointOptimizerConfig own = SparseLoomOptimizerConfig();  // the experiments' base
  // 1. Violation rate of every policy, over seeds x arrival orders; with all_least_slack_first
  // again with least slack first for every policy (Band's order for the baselines too).
  PolicyOptions lsf;
  lsf.order = RequestOrder::kLeastSlackFirst;
  for (const bool all_lsf : {false, true}) {
    if (all_lsf && !o.all_least_slack_first) break;
    for (const std::string& name : PolicyNames()) {
      if (progress)
        progress(pl.name + ": violations, " + (all_lsf ? "least slack first, " : "") + name);
      double sum = 0;
      int n = 0;
      for (int seed = 1; seed <= o.seeds; ++seed)
        for (const auto& order : orders) {
          SL_ASSIGN_OR_RETURN(Policy pol, MakePolicy(name, all_lsf ? lsf : PolicyOptions{}));
          SL_ASSIGN_OR_RETURN(
              RunMetrics m, run(EvalWorkload(pl.profile, o.load, seed, order), std::move(pol), 0));
          sum += m.overall.violation_rate;
          ++n;
        }
      (all_lsf ? r.violation_lsf : r.violation)[name] = sum / n;
    }
  }
  // 2. Throughput: the highest load each policy sustains with under 5% violations. The fixed
  // steps first; a policy that sustains the last one goes on in steps of x1.5 (up to max_load), so
  // that policies which all sustain the fixed steps are still told apart; then `bisections`
  // halvings between the last load sustained and the first one not.
  for (const std::string& name : PolicyNames()) {
    if (progress) progress(pl.name + ": load sweep, " + name);
    double best = 0, best_load = 0, failed_at = 0;
    auto sustains = [&](double load) -> Result<bool> {
      SL_ASSIGN_OR_RETURN(Policy pol, MakePolicy(name));
      SL_ASSIGN_OR_RETURN(RunMetrics m,
                          run(EvalWorkload(pl.profile, load, 1, orders[0]), std::move(pol), 0));
      if (m.overall.violation_rate >= 0.05) return false;
      best = m.overall.throughput_rps;
      best_load = load;
      return true;
    };
    for (double load : o.sweep) {
      SL_ASSIGN_OR_RETURN(bool ok, sustains(load));
      if (!ok) {
        failed_at = load;
        break;
      }
    }
    for (double load = o.sweep.empty() ? 0 : o.sweep.back() * 1.5;
         failed_at == 0 && best_load > 0 && load <= o.max_load; load *= 1.5) {
      SL_ASSIGN_OR_RETURN(bool ok, sustains(load));
      if (!ok) failed_at = load;
    }
    for (int b = 0; b < o.bisections && failed_at > 0 && best_load > 0; ++b) {
      const double mid = 0.5 * (best_load + failed_at);
      SL_ASSIGN_OR_RETURN(bool ok, sustains(mid));
      if (!ok) failed_at = mid;
    }
    r.throughput[name] = best;
    r.sustained_load[name] = best_load;
  }
  // 3. Memory: hotness vs random preloading under budgets, and preload-all.
  const Workload w1 = EvalWorkload(pl.profile, o.load, 1, orders[0]);
  for (const auto& [mode_name, mode] : std::vector<std::pair<std::string, PreloadMode>>{
           {"hotness", PreloadMode::kHotness}, {"random", PreloadMode::kRandom}}) {
    if (progress) progress(pl.name + ": memory, " + mode_name);
    for (double b : o.budgets) {
      const int64_t budget = std::max<int64_t>(1, static_cast<int64_t>(b * r.all_segment_bytes));
      SL_ASSIGN_OR_RETURN(RunMetrics m, run(w1, Custom("sparseloom", own, mode), budget));
      r.memory_violation[mode_name].push_back({b, m.overall.violation_rate});
      r.memory_peak_bytes[mode_name].push_back(static_cast<double>(m.peak_resident_weight_bytes));
    }
  }
  {
    SL_ASSIGN_OR_RETURN(RunMetrics m, run(w1, Custom("preload-all", own, PreloadMode::kAll), 0));
    r.memory_violation["preload-all"].push_back({1.0, m.overall.violation_rate});
    r.memory_peak_bytes["preload-all"].push_back(static_cast<double>(m.peak_resident_weight_bytes));
  }
  // 4. Ablations at half the segment bytes.
  if (progress) progress(pl.name + ": ablations");
  const int64_t half = std::max<int64_t>(1, r.all_segment_bytes / 2);
  JointOptimizerConfig plain = own, fixed = own;
  plain.plain_variants_only = true;
  fixed.placements = PlacementFamily::kRoundRobin;
  const std::vector<std::pair<std::string, std::pair<JointOptimizerConfig, PreloadMode>>> abl = {
      {"sparseloom", {own, PreloadMode::kHotness}},
      {"without stitching", {plain, PreloadMode::kHotness}},
      {"without joint placement", {fixed, PreloadMode::kHotness}},
      {"without the preloader", {own, PreloadMode::kChoiceOrder}}};
  for (const auto& [name, cfg] : abl) {
    double sum = 0;
    for (const auto& order : orders) {
      SL_ASSIGN_OR_RETURN(RunMetrics m, run(EvalWorkload(pl.profile, o.load, 1, order),
                                            Custom(name, cfg.first, cfg.second), half));
      sum += m.overall.violation_rate;
    }
    r.ablation[name] = sum / orders.size();
  }
  // 5. Placement order: every fixed processor order (at most 24) against the optimizer's.
  if (progress) progress(pl.name + ": placement orders");
  std::vector<int> procs(pl.profile.processors.size());
  std::iota(procs.begin(), procs.end(), 0);
  int n_orders = 0;
  do {
    JointOptimizerConfig jc = own;
    jc.placements = PlacementFamily::kRoundRobin;
    jc.processor_order = procs;
    std::string name;
    for (int p : procs) name += (name.empty() ? "" : ">") + pl.profile.processors[p].name;
    SL_ASSIGN_OR_RETURN(RunMetrics m, run(w1, Custom(name, jc, PreloadMode::kHotness), 0));
    r.placement_order[name] = m.overall.violation_rate;
  } while (++n_orders < 24 && std::next_permutation(procs.begin(), procs.end()));
  SL_ASSIGN_OR_RETURN(RunMetrics best,
                      run(w1, Custom("sparseloom", own, PreloadMode::kHotness), 0));
  r.optimizer_placement = best.overall.violation_rate;
  return r;
}

}  // namespace sl

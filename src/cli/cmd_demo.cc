// `sparseloom demo`: the default workload on the bundled zoo under every policy, back to back on
// the same seed, one comparison table and the paper's targets checked against what was measured.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/serving.h"

namespace sl::cli {

namespace {

const char kUsage[] =
    "usage: sparseloom demo [--workload configs/workloads/default.json] [--duration S]\n"
    "                       [--policy all|a,b] [--profile P.json] [--memory-budget MB]\n"
    "                       [--json out.json] [--trace trace.json] [--records out.csv]\n"
    "                       [--processors LIST] [--rounds N]\n"
    "Runs the default workload (three tasks of the bundled zoo, a task joining mid-run, an SLO\n"
    "change) under every policy in turn, in real time on this machine, and compares them.\n"
    "--rounds N: every policy in turn N times, pooled, so that a machine whose speed wanders\n"
    "(shared cores) gives each policy its slow and fast stretches alike.";

const PolicyRun* Find(const std::vector<PolicyRun>& runs, const std::string& name) {
  for (const PolicyRun& r : runs)
    if (r.policy == name) return &r;
  return nullptr;
}

// A ratio of violation rates needs violations to count: below kMinCounted violations of the
// baseline, or below kMinRate of its requests (the floor `sparseloom eval` uses too: at that level
// the violations are the machine's scheduling noise, not the policy's choices), a few requests
// decide it either way, and the verdict says so instead of met/not met.
constexpr int64_t kMinCounted = 100;
constexpr double kMinRate = 0.005;

bool Judgeable(int64_t baseline_violations, double baseline_rate) {
  return baseline_violations >= kMinCounted && baseline_rate >= kMinRate;
}

const char* Verdict(bool met, int64_t baseline_violations, double baseline_rate) {
  if (!Judgeable(baseline_violations, baseline_rate)) return "too few violations to judge";
  return met ? "met" : "not met";
}

void PrintTargets(const std::vector<PolicyRun>& runs, int rounds) {
  const PolicyRun* sl = Find(runs, "sparseloom");
  const PolicyRun* lo = Find(runs, "sv-lo-np");
  if (sl == nullptr) return;
  const RunMetrics& m = sl->output.metrics;
  double best = 1e9, best_thru = 0;
  int64_t best_count = 0;
  std::string best_name;
  for (const PolicyRun& r : runs) {
    if (r.policy == "sparseloom") continue;
    if (r.output.metrics.overall.violation_rate < best) {
      best = r.output.metrics.overall.violation_rate;
      best_count = r.output.metrics.overall.violations;
      best_name = r.policy;
    }
    best_thru = std::max(best_thru, r.output.metrics.overall.goodput_rps);
  }
  const double v = m.overall.violation_rate;
  if (rounds > 1)
    std::printf("\nmeasured against the targets (%d rounds pooled, this machine):\n", rounds);
  else
    std::printf("\nmeasured against the targets (this run, this machine):\n");
  if (!best_name.empty())
    std::printf(
        "  violations: sparseloom %.2f%% (%lld) vs best baseline %s %.2f%% (%lld; target: at "
        "most half) -> %s\n",
        100 * v, static_cast<long long>(m.overall.violations), best_name.c_str(), 100 * best,
        static_cast<long long>(best_count), Verdict(v <= 0.5 * best, best_count, best));
  if (lo != nullptr) {
    const double l = lo->output.metrics.overall.violation_rate;
    const double change = l > 0 ? 100 * (v / l - 1) : 0.0;  // negative: fewer violations
    const int64_t n = lo->output.metrics.overall.violations;
    std::printf(
        "  violations vs sv-lo-np %.2f%% (%lld): %.0f%% %s (target: at least 74%% fewer) -> %s\n",
        100 * l, static_cast<long long>(n), std::abs(change), change <= 0 ? "fewer" : "more",
        Verdict(l > 0 && v <= 0.26 * l, n, l));
  }
  std::printf("  goodput: sparseloom %.1f rps, best baseline %.1f rps -> %s\n",
              m.overall.goodput_rps, best_thru,
              m.overall.goodput_rps >= best_thru ? "highest" : "not highest");
  if (!Judgeable(best_count, best))
    std::printf(
        "  (the best baseline is under 0.5%% or 100 violations at this load: `sparseloom run "
        "--policy all --load-scale X` "
        "serves the same workload at X times its rates; `--load-sweep` finds each policy's "
        "limit)\n");
  if (m.all_segment_bytes > 0)
    std::printf(
        "  peak weight memory %.3f MB = %.0f%% less than preloading every variant "
        "(%.3f MB; target: at least 28%% less) -> %s\n",
        m.peak_resident_weight_bytes / 1048576.0,
        100 * (1 - double(m.peak_resident_weight_bytes) / m.all_segment_bytes),
        m.all_segment_bytes / 1048576.0,
        m.peak_resident_weight_bytes <= 0.72 * m.all_segment_bytes ? "met" : "not met");
  std::printf("  optimizer %.3f ms per decision (mean of %lld), dispatcher %.2f us per request\n",
              m.optimizer.mean_us / 1000, static_cast<long long>(m.optimizer.count),
              m.dispatcher.mean_us);
}

}  // namespace

int RunDemo(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"help"},
                          {"workload", "profile", "policy", "memory-budget", "duration", "json",
                           "trace", "records", "processors", "rounds"});
  if (!args.ok()) return Fail("demo", args.status());
  if (args->Has("help") || !args->positional().empty()) {
    std::puts(kUsage);
    return args->Has("help") ? 0 : 2;
  }
  Setup s;
  auto w = ReadWorkload(args->Get("workload", "configs/workloads/default.json"));
  if (!w.ok()) return Fail("demo", w.status());
  s.workload = std::move(w).value();
  Args a = *args;
  if (!a.Has("policy")) a.Set("policy", "all");
  if (Status st = ParseServingOptions(a, &s); !st.ok()) return Fail("demo", st);
  std::vector<PolicyRun> runs;
  if (int rc = ServePolicies("demo", a, s, false, &runs); rc != 0) return rc;
  PrintTargets(s.rounds > 1 ? PoolRounds(runs) : runs, s.rounds);
  return 0;
}

}  // namespace sl::cli

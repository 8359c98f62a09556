// Decision time of the policies (docs/scheduling.md "Speed"): the joint optimizer for 4 tasks with
// 1,000 stitches each (10 variants, 3 segments) on 3 processors, the dispatcher per request and the
// preloader. Profiles are synthetic and seeded (the seed is printed in the counters).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sched/candidates.h"
#include "sched/policy.h"

namespace sl {
namespace {

constexpr uint64_t kSeed = 42;

struct Scenario {
  std::vector<std::unique_ptr<TaskProfile>> profiles;
  Snapshot snapshot;
};

// Variants from dense (slow, accurate, large) to sparse (fast, less accurate, small) with noise;
// processors of different speeds; stitch accuracy = mean per-segment score + noise.
Scenario MakeScenario(int tasks, int n, int k, int p, double load) {
  std::mt19937_64 rng(kSeed);
  std::uniform_real_distribution<double> u(0, 1);
  Scenario sc;
  for (int q = 0; q < p; ++q) sc.snapshot.processors.push_back({q, true, 0.0});
  std::vector<double> speed(p);
  for (auto& s : speed) s = 0.5 + u(rng);
  for (int t = 0; t < tasks; ++t) {
    auto tp = std::make_unique<TaskProfile>();
    tp->task = "task" + std::to_string(t);
    tp->num_segments = k;
    for (int v = 0; v < n; ++v) tp->variants.push_back("v" + std::to_string(v));
    for (int i = 0; i + 1 < k; ++i) {
      HandoffProfile h;
      h.cut = "c" + std::to_string(i);
      h.us.assign(p, std::vector<double>(p, 10 + 20 * u(rng)));
      for (int a = 0; a < p; ++a) h.us[a][a] = 0;
      tp->handoffs.push_back(h);
    }
    std::vector<double> score(static_cast<size_t>(n) * k);
    double dense_us = 0;
    for (int v = 0; v < n; ++v)
      for (int i = 0; i < k; ++i) {
        const double density = 1.0 - 0.8 * v / (n - 1);
        SegmentProfile s;
        s.variant = v;
        s.index = i;
        s.weight_bytes = static_cast<int64_t>(2e6 * density * (0.5 + u(rng)));
        const double base = 3000.0 * (0.3 + density) * (0.5 + u(rng)) / k;
        if (v == 0) dense_us += base;
        for (int q = 0; q < p; ++q) s.latency_us.push_back(base * speed[q] * (0.8 + 0.4 * u(rng)));
        score[v * k + i] = 0.6 + 0.35 * density + 0.05 * u(rng);
        tp->segments.push_back(s);
      }
    for (int64_t s = 0; s < tp->num_stitches(); ++s) {
      double a = 0;
      int64_t x = s;
      for (int i = k - 1; i >= 0; --i, x /= n) a += score[(x % n) * k + i];
      tp->accuracy.stitches.push_back(a / k + 0.02 * (u(rng) - 0.5));
    }
    TaskState ts;
    ts.id = t;
    ts.name = tp->task;
    ts.profile = tp.get();
    ts.slo = {dense_us * (0.6 + 0.6 * u(rng)) / 1000.0, 0.7 + 0.15 * u(rng)};
    ts.arrival_rate_rps = load / tasks * 1e6 / dense_us * (0.5 + u(rng));
    sc.snapshot.tasks.push_back(ts);
    sc.profiles.push_back(std::move(tp));
  }
  return sc;
}

void BM_Optimize(benchmark::State& state, const std::string& policy) {
  Scenario sc = MakeScenario(static_cast<int>(state.range(0)), 10, 3, 3, 1.2);
  auto p = MakePolicy(policy);
  if (!p.ok()) {
    state.SkipWithError(p.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    auto r = p->optimizer->Optimize(sc.snapshot);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
  }
  if (auto* jo = dynamic_cast<const JointOptimizer*>(p->optimizer.get())) {
    auto sol = jo->Solve(sc.snapshot);
    if (sol.ok()) {
      double cands = 0;
      for (int64_t c : sol->candidates) cands += static_cast<double>(c);
      state.counters["candidates"] = cands;
      state.counters["exact"] = sol->exact;
      state.counters["evaluations"] = static_cast<double>(sol->evaluations);
      state.counters["satisfied_rps"] = sol->objective.satisfied_rate_rps;
      state.counters["bottleneck"] = sol->objective.bottleneck_utilisation;
    }
  }
  state.counters["seed"] = static_cast<double>(kSeed);
}
BENCHMARK_CAPTURE(BM_Optimize, sparseloom, std::string("sparseloom"))
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Optimize, av_np, std::string("av-np"))->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Optimize, sv_ao_np, std::string("sv-ao-np"))
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);

// The joint optimizer's candidate construction alone (sched/candidates.h), all four tasks.
void BM_BuildCandidates(benchmark::State& state) {
  Scenario sc = MakeScenario(4, 10, 3, 3, 1.2);
  const JointOptimizerConfig config;
  const std::vector<int> alive = {0, 1, 2};
  for (auto _ : state) {
    for (int t = 0; t < 4; ++t) {
      auto cs = BuildCandidates(sc.snapshot, t, alive, config, false);
      benchmark::DoNotOptimize(cs);
    }
  }
}
BENCHMARK(BM_BuildCandidates)->Unit(benchmark::kMillisecond);

void BM_Dispatch(benchmark::State& state) {
  Scenario sc = MakeScenario(4, 10, 3, 3, 1.2);
  auto p = MakePolicy("sparseloom");
  auto choices = p->optimizer->Optimize(sc.snapshot);
  if (!choices.ok()) {
    state.SkipWithError(choices.status().message().c_str());
    return;
  }
  sc.snapshot.resident = p->preloader.Plan(sc.snapshot, *choices, int64_t{20} << 20);
  std::mt19937_64 rng(kSeed);
  std::vector<std::vector<double>> queues(256, std::vector<double>(3));
  for (auto& q : queues)
    for (auto& x : q) x = static_cast<double>(rng() % 5000);
  size_t i = 0;
  int64_t rejected = 0;
  for (auto _ : state) {
    const auto& q = queues[i & 255];
    for (int k = 0; k < 3; ++k) sc.snapshot.processors[k].queued_work_us = q[k];
    const Choice& ch = (*choices)[i & 3];
    Request req{ch.task, sc.snapshot.now_us,
                sc.snapshot.now_us + sc.snapshot.tasks[ch.task].slo.latency_us()};
    Decision d = p->dispatcher.Dispatch(req, ch, sc.snapshot);
    rejected += d.rejected;
    benchmark::DoNotOptimize(d);
    ++i;
  }
  state.counters["options_per_choice"] = static_cast<double>((*choices)[0].options.size());
  state.counters["rejected_share"] = static_cast<double>(rejected) / static_cast<double>(i);
}
BENCHMARK(BM_Dispatch)->Unit(benchmark::kNanosecond);

void BM_Preload(benchmark::State& state) {
  Scenario sc = MakeScenario(4, 10, 3, 3, 1.2);
  auto p = MakePolicy("sparseloom");
  auto choices = p->optimizer->Optimize(sc.snapshot);
  if (!choices.ok()) {
    state.SkipWithError(choices.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    ResidentSet rs = p->preloader.Plan(sc.snapshot, *choices, int64_t{20} << 20);
    benchmark::DoNotOptimize(rs);
  }
}
BENCHMARK(BM_Preload)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sl

BENCHMARK_MAIN();

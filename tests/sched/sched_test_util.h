// Hand-built profiles and snapshots for the policy tests (Band MockContext style).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "profile/profile.h"
#include "sched/snapshot.h"

namespace sl::testing {

// n variants, K segments, P processors; latency(v, i, p) and accuracy(stitch index) from callbacks;
// hand-offs cost `handoff_us` between different processors; Segment(v, i) weighs bytes(v, i).
inline TaskProfile MakeTask(const std::string& name, int n, int k, int p,
                            const std::function<double(int, int, int)>& latency,
                            const std::function<double(int64_t)>& accuracy, double handoff_us = 0,
                            const std::function<int64_t(int, int)>& bytes = nullptr) {
  TaskProfile t;
  t.task = name;
  t.pool = name;
  for (int v = 0; v < n; ++v) {
    t.variants.push_back("v" + std::to_string(v));
    t.patterns.push_back("dense");
    t.manifest_val_accuracy.push_back(-1);
  }
  t.num_segments = k;
  for (int i = 0; i + 1 < k; ++i) {
    t.cuts.push_back("c" + std::to_string(i));
    HandoffProfile h;
    h.cut = t.cuts.back();
    h.bytes = 4;
    h.us.assign(p, std::vector<double>(p, handoff_us));
    for (int a = 0; a < p; ++a) h.us[a][a] = 0;
    t.handoffs.push_back(h);
  }
  t.valid_cuts = t.cuts;
  for (int v = 0; v < n; ++v)
    for (int i = 0; i < k; ++i) {
      SegmentProfile s;
      s.variant = v;
      s.index = i;
      s.weight_bytes = bytes ? bytes(v, i) : 1000 * (v + 1);
      for (int q = 0; q < p; ++q) s.latency_us.push_back(latency(v, i, q));
      t.segments.push_back(s);
    }
  for (int64_t s = 0; s < t.num_stitches(); ++s) t.accuracy.stitches.push_back(accuracy(s));
  return t;
}

inline std::vector<ProcessorState> Processors(int p) {
  std::vector<ProcessorState> out;
  for (int i = 0; i < p; ++i) out.push_back({i, true, 0.0});
  return out;
}

inline TaskState Task(int id, const TaskProfile* profile, double latency_ms, double acc_min,
                      double rate_rps) {
  TaskState t;
  t.id = id;
  t.name = profile->task;
  t.profile = profile;
  t.slo = {latency_ms, acc_min};
  t.arrival_rate_rps = rate_rps;
  return t;
}

// A random small scenario: its profiles live in `owned`.
struct Scenario {
  std::vector<std::unique_ptr<TaskProfile>> owned;
  Snapshot snapshot;
};

// Variants are ordered from dense (slow, accurate) to sparse (fast, less accurate) with noise;
// processors differ in speed; stitch accuracy is the mean of per-segment scores with noise.
inline Scenario RandomScenario(uint64_t seed, int tasks, int n, int k, int p, double load) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Scenario sc;
  sc.snapshot.processors = Processors(p);
  std::vector<double> speed(p);
  for (auto& s : speed) s = 0.5 + u(rng);
  for (int t = 0; t < tasks; ++t) {
    std::vector<double> base(static_cast<size_t>(n) * k), score(static_cast<size_t>(n) * k);
    for (int v = 0; v < n; ++v)
      for (int i = 0; i < k; ++i) {
        const double density = 1.0 - 0.8 * v / std::max(1, n - 1);
        base[v * k + i] = 200.0 * (0.3 + density) * (0.5 + u(rng)) / k;
        score[v * k + i] = 0.6 + 0.35 * density + 0.05 * u(rng);
      }
    std::vector<double> noise;
    auto lat = [&](int v, int i, int q) {
      return base[v * k + i] * speed[q] * (0.8 + 0.4 * u(rng));
    };
    int64_t total = 1;
    for (int i = 0; i < k; ++i) total *= n;
    for (int64_t s = 0; s < total; ++s) noise.push_back(0.02 * (u(rng) - 0.5));
    auto acc = [&](int64_t s) {
      double a = 0;
      int64_t x = s;
      for (int i = k - 1; i >= 0; --i) {
        a += score[(x % n) * k + i];
        x /= n;
      }
      return std::min(1.0, std::max(0.0, a / k + noise[s]));
    };
    auto bytes = [&](int v, int i) {
      return static_cast<int64_t>(1000 * (1.0 + n - v) * (1 + u(rng)));
    };
    sc.owned.push_back(std::make_unique<TaskProfile>(
        MakeTask("t" + std::to_string(t), n, k, p, lat, acc, 5.0 + 10 * u(rng), bytes)));
    // Rate so that the dense model alone would load one processor to `load` / tasks.
    double dense_us = 0;
    for (int i = 0; i < k; ++i) dense_us += base[i];
    const double rate = load / tasks * 1e6 / dense_us * (0.5 + u(rng));
    const double slo_ms = dense_us * (0.6 + 1.2 * u(rng)) / 1000.0;
    const double floor = 0.6 + 0.3 * u(rng);
    sc.snapshot.tasks.push_back(Task(t, sc.owned.back().get(), slo_ms, floor, rate));
  }
  return sc;
}

}  // namespace sl::testing

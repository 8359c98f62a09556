// The paper's evaluation on the simulator (docs/results.md is generated from it).
//
// For each platform (this machine's measured profile, or an SoC model's profile) a workload is
// drawn per (seed, arrival order): every task of the profile, Poisson arrivals whose total rate is
// `load` x the platform's capacity for the most accurate variants, tasks joining in the given order
// over the first half of the run, latency bounds U(2, 4) x the task's most accurate variant on its
// best processor, accuracy floors = the best variant's accuracy minus U(0.5, 2) points.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/simulator.h"

namespace sl {

struct EvalPlatform {
  std::string name;
  bool measured = false;  // the profile was measured here (else: modelled SoC)
  Profile profile;
  SimOptions sim;
};

struct EvalOptions {
  int seeds = 3;
  int orders = 6;  // arrival orders of the tasks (at most T!)
  std::vector<double> sweep = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5};
  double max_load = 20;  // past the sweep: steps of x1.5 up to this load while a policy sustains
  int bisections = 2;    // between the last load sustained and the first one not
  std::vector<double> budgets = {0.15, 0.3, 0.5, 0.75, 1.0};  // fractions of all segment bytes
  double load = 0.7;                // of the capacity for the most accurate variants
  int64_t target_requests = 60000;  // per simulated run (sets the duration, 2..10 s)
  bool all_least_slack_first = true;  // also the violations with every policy least slack first
};

struct EvalPlatformResult {
  std::string name;
  bool measured = false;
  int runs = 0;
  std::map<std::string, double> violation;   // policy -> mean violation rate
  std::map<std::string, double> violation_lsf;  // the same, every policy least slack first
  std::map<std::string, double> throughput;  // policy -> sustained rps (< 5% violations)
  std::map<std::string, double> sustained_load;
  // budget fraction -> (violation rate, peak weight bytes) per preloading mode
  std::map<std::string, std::vector<std::pair<double, double>>> memory_violation;
  std::map<std::string, std::vector<double>> memory_peak_bytes;
  double all_segment_bytes = 0;
  std::map<std::string, double> ablation;  // variant -> violation rate
  // Placement: every fixed processor order (segment i on order[i mod P], stitches chosen by the
  // optimizer) against the optimizer's own placement; violation rate per order ("cpu0>cpu1").
  std::map<std::string, double> placement_order;
  double optimizer_placement = 0;
};

// Draws the workload of the description above.
Workload EvalWorkload(const Profile& profile, double load, uint64_t seed,
                      const std::vector<int>& order);

[[nodiscard]] Result<EvalPlatformResult> EvaluatePlatform(
    const EvalPlatform& platform, const EvalOptions& options,
    const std::function<void(const std::string&)>& progress = {});

}  // namespace sl

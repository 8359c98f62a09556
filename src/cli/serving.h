// Shared by `sparseloom run` and `sparseloom demo`: option parsing, the profile (given, cached or
// measured now), one run per policy and the comparison table.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "core/file_io.h"
#include "runtime/engine.h"

namespace sl::cli {

// Parses a floating-point option within [min, max]; fails naming it.
Result<double> GetDouble(const Args& args, const std::string& name, double fallback, double min,
                         double max);

// The profile for `workload`: read from `path` when given; otherwise the cache
// `zoo-work/profile-<processors>.json` when it covers the workload's pools, else measured now with
// `sparseloom profile` (progress on stderr) and cached.
Result<Profile> ProfileForWorkload(const Workload& workload, const std::string& path);

struct PolicyRun {
  std::string policy;
  RunOutput output;
};

struct Setup {
  Workload workload;
  Profile profile;
  std::vector<ServedTask> tasks;
  PolicyOptions policy_options;
  EngineOptions engine;
  std::vector<std::string> policies;
  int rounds = 1;  // --rounds: every policy in turn, this many times
};

// Applies the options shared by run and demo (--memory-budget, --duration, --load-scale, --order,
// --unmeetable, --policy, --trace, --records, --profile) to `setup`, whose workload is set, then
// loads the profile, resolves the workload's relative SLOs and rates on it, and loads the pools.
Status ParseServingOptions(const Args& args, Setup* setup, bool load_pools = true);

// Resolves the workload's relative SLOs and rates (ResolveRelative) on `profile` and prints what
// they became; `what` names the profile in that line. Nothing to do for an absolute workload.
Status ResolveAndReport(Workload* workload, const Profile& profile, const char* what);

// Runs every policy of `setup` (plainly, or as a load sweep), prints summaries and the comparison,
// writes --json / --trace / --records when asked; returns the exit code.
int ServePolicies(const char* cmd, const Args& args, Setup& setup, bool sweep,
                  std::vector<PolicyRun>* runs);

// One run per policy, in order of first appearance, pooling the rounds of each (--rounds):
// request, served, rejected, late and violation counts summed and the rates taken from the sums;
// throughput and goodput averaged; delivered accuracy weighted by served requests; p99 latency
// and peak weights the largest of the rounds'; decision times weighted by their counts. A pooled
// run keeps only these overall figures (no per-task metrics).
std::vector<PolicyRun> PoolRounds(const std::vector<PolicyRun>& runs);

// {"runs": [metrics JSON of each run]} (docs/runtime.md).
std::string RunsJson(const std::vector<PolicyRun>& runs);

// One row per policy: violations, throughput, goodput, accuracy, p99, memory, decision times.
std::string ComparisonTable(const std::vector<PolicyRun>& runs);

// Writes every run's request records to `path` as CSV (runtime/records_csv.h).
Status WriteRecords(const std::string& path, const std::vector<PolicyRun>& runs,
                    const Workload& workload);

}  // namespace sl::cli

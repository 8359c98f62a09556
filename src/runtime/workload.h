// Workloads: which tasks run, under which SLOs, with which arrivals, for how long
// (docs/workloads.md gives the JSON format with an example).
//
// A workload names pools by folder under its zoo; times are seconds from the start of the run.
// Parsing validates every field and reports the first problem as "<source>: tasks[1].arrival.rate:
// ...". Arrival times are generated from the workload and its seed (runtime/arrivals.h), so a run
// is reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "profile/profile.h"

namespace sl {

enum class ArrivalKind { kPeriodic, kPoisson, kTrace };

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::kPeriodic;
  double rate = 0;         // periodic: frames per second; poisson: mean requests per second
  // When > 0 (periodic, poisson): `rate` is this fraction of the task's capacity on the profile
  // (ResolveRelative), instead of a number in the file.
  double load = -1;
  std::string trace_file;  // trace: one arrival time in seconds per line (resolved path)
  std::vector<double> trace_times;  // trace: loaded times, seconds from the task's start
};

struct WorkloadTask {
  std::string name;  // unique within the workload
  std::string pool;  // folder under the zoo
  double latency_ms = 0;
  double latency_x = -1;    // > 0: latency_ms is this multiple of the reference latency
  double accuracy_min = 0;  // in [0, 1]
  ArrivalSpec arrival;
  double start_s = 0;
  double stop_s = -1;  // -1: the workload's duration
};

// At `at_s`, task `task` gets a new SLO; fields left out (negative) keep their value.
struct SloEvent {
  double at_s = 0;
  std::string task;
  double latency_ms = -1;
  double latency_x = -1;  // > 0: a multiple of the task's reference latency (ResolveRelative)
  double accuracy_min = -1;
};

struct Workload {
  std::string name;
  std::string source;  // file it came from
  std::string zoo;     // resolved path of the zoo folder
  double duration_s = 0;
  uint64_t seed = 0;
  double memory_budget_mb = 0;          // 0: unlimited
  std::vector<std::string> processors;  // empty: the profile's
  std::vector<WorkloadTask> tasks;
  std::vector<SloEvent> events;  // sorted by time

  int FindTask(const std::string& name) const;
  // Whether some SLO or rate is given relative to the profile (latency_x, load).
  bool relative() const;
  // Requests per second a task is expected to send (periodic and poisson: the rate; trace: its
  // count over its active span).
  double ExpectedRate(int task) const;
};

// Parses and validates a workload. Relative paths (zoo, trace files) resolve against `base_dir`;
// trace files are read here. Every error names `source` and the field.
[[nodiscard]] Result<Workload> ParseWorkloadJson(const std::string& text, const std::string& source,
                                                 const std::string& base_dir);
[[nodiscard]] Result<Workload> ReadWorkload(const std::string& path);

// Sets the SLOs and rates given relative to `profile` (docs/runtime.md, "Relative SLOs and
// loads"). A task's reference latency is its most accurate variant run whole on the fastest of
// the workload's processors (all of the profile's when the workload names none); its capacity
// is the requests per second those processors serve running only that variant,
// sum over p of 1 / latency(p). latency_ms = latency_x x reference; rate = load x capacity.
// Absolute values are left alone; calling it again with another profile recomputes. Returns one
// line per resolved task for the run's header, or an error naming the task (pool not in the
// profile, an unknown processor, a latency or rate out of range).
[[nodiscard]] Result<std::vector<std::string>> ResolveRelative(Workload* workload,
                                                               const Profile& profile);

// Multiplies every task's arrival rate (and relative load) by `factor` (> 0); trace arrivals are
// compressed in time.
Workload ScaleLoad(const Workload& workload, double factor);

}  // namespace sl

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

namespace sl {

enum class ArrivalKind { kPeriodic, kPoisson, kTrace };

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::kPeriodic;
  double rate = 0;         // periodic: frames per second; poisson: mean requests per second
  std::string trace_file;  // trace: one arrival time in seconds per line (resolved path)
  std::vector<double> trace_times;  // trace: loaded times, seconds from the task's start
};

struct WorkloadTask {
  std::string name;  // unique within the workload
  std::string pool;  // folder under the zoo
  double latency_ms = 0;
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
  // Requests per second a task is expected to send (periodic and poisson: the rate; trace: its
  // count over its active span).
  double ExpectedRate(int task) const;
};

// Parses and validates a workload. Relative paths (zoo, trace files) resolve against `base_dir`;
// trace files are read here. Every error names `source` and the field.
[[nodiscard]] Result<Workload> ParseWorkloadJson(const std::string& text, const std::string& source,
                                                 const std::string& base_dir);
[[nodiscard]] Result<Workload> ReadWorkload(const std::string& path);

// Multiplies every task's arrival rate by `factor` (> 0); trace arrivals are compressed in time.
Workload ScaleLoad(const Workload& workload, double factor);

}  // namespace sl

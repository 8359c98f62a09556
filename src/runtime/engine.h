// The real runtime: one pinned worker thread per processor, real inputs from the pools'
// validation data, the wall clock, and the controller (runtime/controller.h) deciding everything.
//
//   main thread: sleeps until the next arrival or workload change, admits requests (dispatcher),
//                prints the progress line; at the end waits for admitted requests to finish.
//   worker p:    takes its next stage job, loads missing segments (the load counts in the
//                request's latency), runs the stage's segments on its own execution contexts and
//                reports back. A stage hands its output tensor to the next stage by pointer: no
//                copy, the processors share memory.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/controller.h"
#include "runtime/segment_store.h"

namespace sl {

struct EngineOptions {
  ControllerOptions controller;
  bool progress = true;          // live progress line on stderr
  double drain_timeout_s = 5.0;  // after the duration, wait this long for admitted requests
  double stall_timeout_ms = 0;   // a job running longer fails its processor; 0: off
  // An idle worker admits the next arrival itself, waking `admit_spin_us` early and spinning until
  // it is due (a sleeping thread wakes 20-60 us late on a VM, and handing an admitted request from
  // the arrival thread to a sleeping worker costs a second such wake-up); only a worker pinned to
  // cores no other worker uses spins. false: only the arrival thread admits and idle workers sleep
  // until work is queued for them.
  bool idle_workers_admit = true;
  double admit_spin_us = 60;
  // Test hook: called by worker p before each job; returning false makes the worker stall
  // (sleep) until the run ends, as a hung processor would.
  std::function<bool(int processor, int64_t job_index)> fault_hook;
};

struct RunOutput {
  RunMetrics metrics;
  std::vector<RequestRecord> records;  // when options.controller.keep_records
  std::vector<TraceEvent> trace;       // when options.controller.trace
  int64_t store_peak_bytes = 0;        // weight bytes the segment store really held at peak
};

// Loads the pools a workload needs, with the cuts of `profile`.
[[nodiscard]] Result<std::vector<ServedTask>> LoadServedTasks(const Workload& workload,
                                                              const Profile& profile);

// Runs `workload` for its duration under `policy` (see sched/policy.h for the names).
[[nodiscard]] Result<RunOutput> RunWorkload(const Workload& workload, const Profile& profile,
                                            const std::vector<ServedTask>& tasks,
                                            const std::string& policy,
                                            const PolicyOptions& policy_options,
                                            const EngineOptions& options);

// Chrome trace JSON ("traceEvents") of what ran where.
std::string ChromeTraceJson(const std::vector<TraceEvent>& events,
                            const std::vector<std::string>& processor_names,
                            const std::vector<std::string>& task_names);

}  // namespace sl

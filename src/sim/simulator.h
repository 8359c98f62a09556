// The discrete-event simulator: the runtime's controller (runtime/controller.h) with its policy
// objects, driven by a virtual clock instead of threads (docs/simulator.md).
//
// Each stage job takes: the profile ("truth") latency of its segments on its processor, times a
// seeded lognormal jitter, times a memory-contention factor when other processors are busy at its
// start, plus the hand-off into the stage, the per-job overhead, and the load time of segments it
// had to make resident (bytes / load bandwidth). The policies plan with `planning` (by default the
// truth). A served request is correct with the probability of its stitch's profiled accuracy
// (seeded draw), so delivered accuracy is simulated too. Metrics are marked simulated.
//
// Deterministic for a seed. No threads; no pools or ONNX needed.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/controller.h"

namespace sl {

struct SimOptions {
  ControllerOptions controller;
  double jitter = 0;                            // lognormal sigma of each job's duration
  double contention = 0;                        // +this fraction per other busy processor
  double job_overhead_us = 0;                   // per stage job: dispatch, wake-up
  double latency_scale = 1;                     // multiplies every profiled segment latency
  double load_bandwidth_bytes_per_us = 1000.0;  // segment loads (1 GB/s)
  uint64_t seed = 0;                            // jitter and correctness draws (0: workload's)
  int64_t max_requests = int64_t{100} << 20;
  // When the engine admits an arrival (EngineOptions::idle_workers_admit): at once if a processor
  // is idle (its worker admits it), else when the next job ends (that worker admits it) or at the
  // arrival thread's next tick, every `admit_tick_us`. false: every arrival at its own time.
  bool engine_admission = true;
  double admit_tick_us = 1000;
  // When not empty: each job draws one of these (measured in a real run) for its slowdown against
  // the profile, its overhead and its wait for loads, in place of jitter, latency_scale,
  // job_overhead_us and the load-bandwidth model.
  std::vector<JobSample> job_samples;
  // With job_samples: a job on processor p at time t draws among the kTimedReplayWindow samples of
  // p nearest to t (a trace-driven replay of the real run's slow and fast stretches) instead of
  // among all samples. Samples without a start time or processor are drawn from all.
  bool job_samples_by_time = false;
  // With job_samples_by_time: the real run's pauses (RunMetrics::pauses), replayed: nothing starts
  // or is admitted inside one, a job running into one is held for its length, and the jobs sampled
  // around one are not drawn (the pause itself stands in for them).
  std::vector<Pause> pauses;
  // With job_samples_by_time: the real run's late admissions (RunMetrics::late_admissions): an
  // arrival inside one is admitted at its end; processors run on.
  std::vector<Pause> late_admissions;
  // With job_samples_by_time: the real run's stalls of one processor (RunMetrics::stalls),
  // replayed on that processor like pauses.
  std::vector<Stall> stalls;
  bool stalls_recorded = false;  // the run recorded stalls: its start delays >= kStallMinUs are in
                                 // `stalls` and are not drawn as delays
};

inline constexpr size_t kTimedReplayWindow = 8;

struct SimOutput {
  RunMetrics metrics;
  std::vector<RequestRecord> records;  // when options.controller.keep_records
  std::vector<TraceEvent> trace;       // when options.controller.trace
  double wall_seconds = 0;             // how long the simulation itself took
};

// Simulates `workload` under `policy`. `truth` supplies processor latencies; `planning` (may be
// null) is what the policies see.
[[nodiscard]] Result<SimOutput> Simulate(const Workload& workload, const Profile& truth,
                                         const Profile* planning, const std::string& policy,
                                         const PolicyOptions& policy_options,
                                         const SimOptions& options);
// Same with a policy object built by the caller (ablations, custom preloaders).
[[nodiscard]] Result<SimOutput> Simulate(const Workload& workload, const Profile& truth,
                                         const Profile* planning, Policy policy,
                                         const SimOptions& options);

}  // namespace sl

// Request records and the metrics computed from them (docs/runtime.md, "Metrics", gives the JSON
// schema).
//
// Every request ends in exactly one RequestRecord: served or rejected with a reason (invariant 3).
// A MetricsCollector folds records into per-task and overall counts as they arrive (so a simulated
// run of millions of requests keeps only latencies, not records, unless asked to).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace sl {

struct RequestRecord {
  int64_t id = 0;
  int task = 0;
  int64_t sample = 0;
  double arrival_us = 0, deadline_us = 0;
  bool served = false;
  std::string reason;                  // rejected: why ("deadline-unmeetable", "queue-full", ...)
  double start_us = 0, finish_us = 0;  // served: first stage start, last stage finish
  int64_t stitch_index = -1;
  std::vector<int> stitch, placement;  // kept only when the collector keeps records
  double predicted_latency_us = 0;     // dispatcher's expected finish - arrival
  double load_us = 0;                  // on-demand segment loads inside the latency
  double stitch_accuracy = 0;          // profile accuracy of the stitch that served it
  double accuracy_min = 0;             // the task's floor when it arrived
  bool correct = false;                // output class == label
  bool late() const { return served && finish_us > deadline_us; }
  bool below_floor() const { return served && stitch_accuracy + 1e-12 < accuracy_min; }
  bool violation() const { return !served || late() || below_floor(); }
};

struct LatencySummary {
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
};

struct TaskMetrics {
  std::string name;
  int64_t requests = 0, served = 0, rejected = 0, late = 0, below_floor = 0, violations = 0;
  int64_t correct = 0;
  std::map<std::string, int64_t> rejected_by_reason;
  double violation_rate = 0;      // violations / requests
  double throughput_rps = 0;      // served / duration
  double goodput_rps = 0;         // served within SLO / duration
  double delivered_accuracy = 0;  // correct / served
  LatencySummary latency;         // served requests, arrival to finish
};

struct DecisionTiming {
  int64_t count = 0;
  double mean_us = 0, p99_us = 0, max_us = 0;
};

// How a job came to start, which sets what its start delay is made of.
enum class StartKind : int {
  kQueued = 0,     // it waited behind another job: the worker's turnaround
  kIdleFirst = 1,  // a first stage on an idle processor: arrival thread and worker wake-ups
  kIdleLater = 2,  // a later stage on an idle processor: the worker's wake-up after the hand-off
};
inline constexpr int kNumStartKinds = 3;

// One executed stage job against the profile: measured compute / profiled latency, the wall
// time beyond compute and loading inside the job, the time it waited for segment weights to load,
// and its start delay: from when it could have started (a first stage at its arrival, a later one
// when it was queued; its processor free) to when it did (the arrival thread's and the worker's
// wake-ups, lock hand-over; for a later stage, the hand-off).
struct JobSample {
  double slowdown = 1;
  double overhead_us = 0;
  double load_us = 0;
  double delay_us = 0;
  StartKind start = StartKind::kQueued;
  double at_us = -1;   // when the job started, from the run's start (-1: not recorded)
  int processor = -1;  // where it ran (-1: not recorded)
  int task = -1;       // the workload task it served (-1: not recorded)
};

// A stretch in which the run admitted nothing: arrivals were admitted only at end_us, later than
// any admission path allows (an idle worker admits at the arrival, a busy one at its job's end,
// the arrival thread every millisecond). On a virtual machine the whole process stops like this
// when the host deschedules it; it stopped between the controller's last call and the first late
// arrival, and start_us is halfway. The simulator's timed replay repeats such pauses.
struct Pause {
  double start_us = 0, end_us = 0;
};
// An arrival admitted this much after its time marks a pause, and at most this many are kept.
inline constexpr double kPauseMinUs = 1200;
inline constexpr size_t kMaxPauses = 4096;
// Arrivals admitted kLateAdmitMinUs or more after their time while a worker sat idle throughout
// (it should have admitted them as they came: its timer wake-up was late) are kept as such
// stretches too, in their own list: admission stopped, the busy processors did not.
inline constexpr double kLateAdmitMinUs = 100;

// A stretch in which one processor stood still: a job took kStallMinUs or more beyond its profiled
// compute (and any segment load), counted as a stall from when the job could have started (its
// start delay included) for that delay plus the excess; or its worker came for work
// kWakeStallMinUs or more after it was queued while the processor was free (it woke that late).
// On a virtual machine one core's thread is descheduled like this while the other runs on, and an
// idle core's wake-up can take milliseconds; the simulator's timed replay repeats such stalls.
struct Stall {
  int processor = 0;
  double start_us = 0, end_us = 0;
};
inline constexpr double kStallMinUs = 300;
inline constexpr double kWakeStallMinUs = 300;  // a late wake-up
inline constexpr size_t kMaxStalls = 16384;

// A uniform sample of at most `capacity` jobs (reservoir sampling with a fixed-seed generator, so
// the same sequence of jobs keeps the same sample). The simulator replays it as an empirical
// job-time distribution, tails included.
class JobSampleReservoir {
 public:
  explicit JobSampleReservoir(size_t capacity = 8192) : capacity_(capacity) {}
  void Add(JobSample s);
  const std::vector<JobSample>& samples() const { return samples_; }

 private:
  size_t capacity_;
  uint64_t seen_ = 0, state_ = 0x9E3779B97F4A7C15ull;
  std::vector<JobSample> samples_;
};

struct RunMetrics {
  std::string policy, workload;
  uint64_t seed = 0;
  bool simulated = false;
  double duration_s = 0;
  TaskMetrics overall;
  std::vector<TaskMetrics> tasks;
  int64_t memory_budget_bytes = 0;  // 0: unlimited
  int64_t peak_resident_weight_bytes = 0;
  int64_t all_segment_bytes = 0;  // every segment of every task (preload-all)
  int64_t segment_loads = 0, segment_evictions = 0;
  DecisionTiming optimizer, dispatcher;
  int64_t replans = 0;
  int64_t steals = 0;  // requests an idle processor took from a busy one (work stealing)
  std::map<std::string, int64_t> replans_by_cause;
  double peak_queue_us = 0;  // largest expected work queued on one processor
  // Stage jobs: how execution compared with the profile (calibrates the simulator).
  int64_t jobs = 0;
  double job_overhead_us = 0;          // mean of (job wall time - its segments' compute time)
  double job_slowdown = 0;             // mean of measured segment time / profiled segment latency
  double job_slowdown_sigma = 0;       // standard deviation of log(slowdown)
  std::vector<JobSample> job_samples;  // a uniform sample of the jobs (JobSampleReservoir)
  std::vector<Pause> pauses;           // in time order, overlapping ones merged
  std::vector<Pause> late_admissions;  // likewise (kLateAdmitMinUs)
  std::vector<Stall> stalls;           // as recorded (job ends, late wake-ups); may overlap
  // Real runs: resident memory of the whole process (VmRSS), sampled about every 250 ms.
  double rss_start_mb = 0, rss_peak_mb = 0, rss_end_mb = 0;
  std::vector<double> rss_every_10s_mb;

  std::string ToJson() const;
};

class MetricsCollector {
 public:
  MetricsCollector(std::vector<std::string> task_names, bool keep_records);
  void Add(RequestRecord record);
  void AddOptimizerTime(double us) { optimizer_us_.Add(us); }
  void AddDispatcherTime(double us) { dispatcher_us_.Add(us); }
  int64_t requests() const { return requests_; }
  int64_t violations() const { return violations_; }
  const std::vector<RequestRecord>& records() const { return records_; }
  // Fills the request-derived and timing fields of `out` (tasks, overall, optimizer, dispatcher).
  void Finish(double duration_s, RunMetrics* out) const;

 private:
  struct PerTask {
    TaskMetrics m;
    std::vector<float> latency_ms;
  };
  std::vector<PerTask> tasks_;
  std::vector<RequestRecord> records_;
  // Decision times: exact count, mean and max; p99 from a bounded reservoir sample, so memory
  // stays flat however long the run.
  struct Timings {
    int64_t count = 0;
    double sum = 0, max = 0;
    std::vector<float> sample;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    void Add(double us);
    DecisionTiming Summary() const;
  };
  Timings optimizer_us_, dispatcher_us_;
  bool keep_records_;
  int64_t requests_ = 0, violations_ = 0;
};

// Human-readable summary: one row per task plus the total.
std::string FormatSummary(const RunMetrics& m);

}  // namespace sl

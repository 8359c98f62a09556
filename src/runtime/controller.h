// The controller: the serving logic shared by the real runtime (runtime/engine.h) and the simulator
// (sim/). It owns the policy's decisions, the per-processor queues, segment residency within the
// memory budget and the request records, and is driven by its caller with explicit times: no
// threads, no clocks, no I/O (the caller serialises calls, e.g. under one mutex).
//
// Life of a request: Admit() (dispatcher picks an option of its task's Choice, or rejects with a
// reason) -> one StageJob per pipeline stage, queued on that stage's processor in turn -> Take()
// hands a processor its next job (FIFO, least slack or earliest deadline first), reserving memory
// for segments that are not resident -> Complete() queues the next stage or finishes the request.
// Every request ends in exactly one record (served or rejected with a reason).
//
// Replanning (optimizer + preloader) happens at Start, when a task starts or stops, on an SLO
// change, on processor loss and when observed segment latencies drift from the planned ones.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "profile/profile.h"
#include "runtime/arrivals.h"
#include "runtime/metrics.h"
#include "runtime/workload.h"
#include "sched/policy.h"

namespace sl {

struct ControllerOptions {
  int64_t memory_budget_bytes = 0;  // 0: unlimited
  // Latency drift: per task and processor, the ratio of its segments' measured times to the
  // profile is followed by exponential smoothing (`drift_alpha` per segment run) and scales all
  // of that task's segments on that processor when the optimizer plans. A replan follows when a
  // ratio moved by `drift_threshold` (relative) since the last plan, at most once per
  // `min_replan_interval_us`. One ratio per task and processor keeps the stitches' relative
  // latencies those of the profile: updating each segment from its own runs made the optimizer
  // flee every stitch it had just used (its noisy measurements) for stale, untried ones.
  double drift_threshold = 0.1;
  double drift_alpha = 0.01;
  // Each observed ratio is first limited to within a factor drift_clamp of the current one: a job
  // the machine stalled for milliseconds (ratios of 10-100 on a virtual machine) then moves it as
  // a job twice as slow would, not enough to make the optimizer leave the processor for that task
  // for good (a task's speed there is measured only while it runs there). A lasting change is
  // still followed, in steps of at most that factor.
  double drift_clamp = 2.0;
  double min_replan_interval_us = 2e6;
  // Work stealing (policies that steal): a free processor also takes from an idle processor's queue
  // a request that has waited there this long, its worker late to wake (on a virtual machine an
  // idle core can take milliseconds to run again).
  double late_wake_us = 150;
  int max_queued_jobs = 512;  // per processor; beyond it requests are rejected "queue-full"
  // Simulator: a stage becomes ready only after the planned hand-off of its input cut (the real
  // runtime hands off physically and leaves this off).
  bool delay_handoffs = false;
  bool keep_records = false;
  bool trace = false;  // keep TraceEvents
};

// A segment of a task: profile index v * K + i.
struct SegmentKey {
  int task = 0, segment = 0;
};

struct StageJob {
  int64_t slot = 0;  // in-flight request slot (stable while the request lives)
  int64_t request_id = 0;
  int task = 0, stage = 0, processor = 0;
  int first_segment = 0, end_segment = 0;
  const std::vector<int>* stitch = nullptr;  // valid until Complete()
  bool last = false;
  int64_t sample = 0;
  double handoff_in_us = 0;  // planned hand-off of the cut into this stage (0 for the first)
  int64_t load_bytes = 0;  // weights of segments made resident for this job (the caller loads them)
  // Time from when the job could have started (arrival or queued, processor free) to Take():
  // wake-up, dispatch and hand-off delay, measured by the controller; and whether the processor
  // was idle when the job became ready.
  double delay_us = 0;
  StartKind start = StartKind::kQueued;
};

struct TraceEvent {
  int processor = 0, task = 0, stage = 0;
  int64_t request_id = 0;
  double start_us = 0, end_us = 0;
  int64_t stitch_index = 0;
};

class Controller {
 public:
  // `task_profiles[t]` is the index in `profile.tasks` of workload task t. Processors named in
  // `processors` (profile names) are used; the profile's others are treated as absent.
  [[nodiscard]] static Result<std::unique_ptr<Controller>> Create(
      const Workload& workload, Profile profile, Policy policy,
      const std::vector<std::string>& processors, const ControllerOptions& options);

  // First plan at `now_us` (tasks active at that time). Returns the segments to preload.
  [[nodiscard]] Result<std::vector<SegmentKey>> Start(double now_us);
  // Applies task starts/stops and SLO events due at or before now_us (replans when any).
  [[nodiscard]] Status Advance(double now_us);
  double NextChangeUs() const;
  // Earliest time after now_us at which a queued job that is not ready yet (delayed hand-off)
  // becomes ready; +inf if none.
  double NextReadyUs(double now_us) const;
  // Whether processor p's own queue holds a job ready at now_us, and how that job would start
  // (StageJob::start) if p took it now: the simulator's worker wake-up comes before Take().
  bool HasReadyJob(int p, double now_us, StartKind* start) const;
  // Whether idle processor p may find work to steal (the policy steals, and a first stage waits
  // ready on a busy processor, or late_wake_us on an idle one): callers wake p's worker for it.
  bool MaySteal(int p, double now_us) const;

  // Dispatches one arrival; returns false when it was rejected (its record is already written).
  bool Admit(const Arrival& arrival, double now_us);
  // The next job for processor p, or false when its queue is empty. Jobs whose memory cannot be
  // reserved are rejected ("memory-budget") and skipped.
  bool Take(int p, double now_us, StageJob* job);
  // A job ran from start_us to now_us; `segment_us` holds the compute time of each of its segments
  // (empty: no drift observation). `load_us` is time spent loading segments inside the job.
  // `ok` false fails the request with `reason`. `correct` is read for the last stage only.
  void Complete(const StageJob& job, double start_us, double now_us,
                const std::vector<double>& segment_us, double load_us, bool ok, bool correct,
                const char* reason = "execution-failed");
  // Marks processor p failed: replans, re-dispatches requests whose first stage had not started and
  // rejects ("processor-failed") those with a stage queued or running on it.
  void FailProcessor(int p, double now_us);
  // A segment could not be loaded (missing or corrupt file): the optimizer stops choosing it (its
  // latency becomes prohibitive in the planning profile) and replans. Requests that needed it are
  // failed by the caller through Complete(ok = false, "segment-load-failed").
  void SegmentFailed(int task, int segment, double now_us);
  // Rejects every request still queued (the run ended); their reason is "run-ended".
  void Drain(double now_us);

  // Segments evicted since the last call (the caller frees their weights).
  std::vector<SegmentKey> TakeEvictions();
  // Segments a replan made resident since the last call (the caller loads their weights now; a job
  // needing one before that waits for the load). Until the caller reports SegmentLoaded, requests
  // of a task whose new plan needs one are dispatched from its previous choice (or, for a task that
  // starts later, from the lookahead choice made at Start) when every segment of that is loaded.
  std::vector<SegmentKey> TakePreloads();
  void SegmentLoaded(int task, int segment);

  // Requests admitted whose record is not written yet.
  bool idle() const { return in_flight_ == 0; }
  // Request slots ever allocated (StageJob::slot < num_slots()).
  size_t num_slots() const { return requests_.size(); }
  int64_t in_flight() const { return in_flight_; }
  int num_processors() const { return static_cast<int>(processor_names_.size()); }
  const std::string& processor_name(int p) const { return processor_names_[p]; }
  bool processor_used(int p) const { return used_[p]; }
  size_t queue_length(int p) const { return queues_[p].size(); }
  const Profile& profile() const { return profile_; }
  const std::string& policy_name() const { return policy_.name; }
  const Workload& workload() const { return workload_; }
  int task_profile(int t) const { return task_profile_[t]; }
  int num_segments(int t) const { return profile_.tasks[task_profile_[t]].num_segments; }
  int64_t resident_bytes() const { return resident_bytes_; }
  const MetricsCollector& collector() const { return collector_; }
  const std::vector<TraceEvent>& trace() const { return trace_; }
  // The last replan failure (e.g. no processor left), empty when none.
  const std::string& last_error() const { return last_error_; }
  // Fills memory, replan and queue fields (the caller adds requests via collector().Finish()).
  void FillRunMetrics(RunMetrics* m) const;
  // Hook for tests/sim: expected service of a job (profile latencies of its segments).
  double ExpectedServiceUs(const StageJob& job) const;

 private:
  struct Request {
    int64_t id = 0;
    int task = 0;
    int64_t sample = 0;
    double arrival_us = 0, deadline_us = 0, accuracy_min = 0;
    std::shared_ptr<const std::vector<Choice>> plan;
    const Option* option = nullptr;
    int next_stage = 0;
    double start_us = -1, predicted_us = 0, load_us = 0;
    bool running = false;   // a stage is executing
    bool recorded = false;  // its record is written (rejected while a stage ran)
  };
  struct Pending {
    int64_t slot = 0;
    int stage = 0;
    double ready_us = 0;
  };
  struct Residency {
    bool resident = false;
    bool loading = false;  // resident for the budget, but its weights are still being loaded
    bool failed = false;   // its weights could not be loaded (SegmentFailed): never usable
    int in_use = 0;
    double last_use_us = 0;
  };

  Controller() = default;
  [[nodiscard]] Status Replan(double now_us, const char* cause);
  void Enqueue(int64_t slot, int stage, double now_us);
  void Unaccount(Request& r);  // drops the request's queued work from the processors
  // Jobs ready on processor o by this time may be stolen: any ready one while o runs a job; on an
  // idle o (which takes its own queue) only those its worker is late_wake_us late for.
  double StealableSince(int o, double now_us) const;
  void Reject(Request& r, double now_us, const char* reason);
  // The fields every record of `r` shares (finish = now_us).
  RequestRecord RecordOf(const Request& r, double now_us) const;
  // Writes r's record; frees its slot unless a stage is still running.
  void Finish(Request& r, RequestRecord rec);
  void Release(int64_t slot);
  // Makes a segment resident (evicting idle ones) and marks it in use; adds the bytes it had to
  // load to *loaded. False when the budget cannot hold it.
  bool Reserve(int task, int segment, double now_us, int64_t* loaded = nullptr);
  void Evict(int task, int segment);
  // A resident segment's weights are in memory (no longer loading): the dispatcher counts it as
  // ready (ResidentSet::kReady).
  void MarkLoaded(int task, int segment);
  bool Dispatch(int64_t slot, double now_us);
  // While the first option of `task`'s current choice is loading: the fallback's options that are
  // loaded and meet the floor (filtered once, at the first dispatch that needs them). Null when
  // there is no such fallback; the caller then uses the current choice.
  const Choice* FallbackChoice(int task);
  bool Loaded(int task, const Option& o) const;
  // Plans for the tasks that start later (as if every declared task were active) and reserves
  // their segments where the budget has room without evicting (Start).
  void Lookahead(double now_us);
  void ObserveDrift(const StageJob& job, const std::vector<double>& segment_us);
  // Sets every planning latency to base_latency_ times its task's speed ratio on the processor
  // (marked latencies as they are) and records the ratios planned with.
  void ApplySpeeds();
  // Planning latency of a segment that failed to load: no option using it meets any bound.
  static constexpr double kBrokenUs = 1e12;
  Residency& residency(int task, int segment) { return residency_[task][segment]; }

  Workload workload_;
  Profile profile_;
  Policy policy_;
  ControllerOptions options_;
  std::vector<int> task_profile_;
  std::vector<std::string> processor_names_;
  std::vector<bool> used_;
  Snapshot snap_;  // kept up to date: SLOs, activity, queues, residency
  size_t next_event_ = 0;
  std::vector<std::pair<double, int>> task_changes_;  // (time, task): start or stop
  size_t next_task_change_ = 0;

  std::shared_ptr<const std::vector<Choice>> plan_;
  std::vector<int> choice_of_task_;  // task -> index in *plan_, -1 when none
  // Per task: the choice dispatched from while the current one's segments load (see TakePreloads).
  struct Fallback {
    std::shared_ptr<const std::vector<Choice>> plan;
    int index = -1;
    bool filtered = false;  // `usable` and `map` are built
    Choice usable;          // the options of (*plan)[index] that are loaded and meet the floor
    std::vector<int> map;   // their indices in (*plan)[index]
  };
  std::vector<Fallback> fallback_;
  // [task][p]: measured over profile latency, followed (ObserveDrift) and at the last plan.
  std::vector<std::vector<double>> speed_, planned_speed_;
  double last_replan_us_ = -std::numeric_limits<double>::infinity();
  bool drift_pending_ = false;

  std::vector<Request> requests_;
  std::vector<int64_t> free_slots_;
  int64_t next_id_ = 0, in_flight_ = 0;
  std::vector<std::deque<Pending>> queues_;
  std::vector<double> queued_us_;
  std::vector<int64_t> running_;          // per processor: slot of the running job, -1 when idle
  std::vector<double> last_end_us_;       // per processor: when its last job completed
  std::vector<double> running_start_us_;  // per processor: when its running job started
  // By urgency: the expected work that runs on processor p before a request due at
  // `deadline_us`: the running job's remainder (its plan less the time it ran; past its plan, as
  // long again as it overran) and the queued stages due no later.
  double WorkAheadUs(int p, double deadline_us, double now_us) const;
  // DispatcherConfig::steal: moves to processor p (nothing ready on it) the ready first stage,
  // due first, of a request queued on a busy processor that an option of its choice, whole on p
  // and resident, finishes no later. False when there is none.
  bool Steal(int p, double now_us);
  // Least slack or earliest deadline first: queues served by urgency rather than in arrival
  // order (the dispatcher then counts only the work due before a request as ahead of it).
  bool by_urgency() const;
  double peak_queue_us_ = 0;
  bool draining_ = false;
  std::string last_error_;

  std::vector<std::vector<Residency>> residency_;
  std::vector<std::vector<uint8_t>> target_;  // preloader's plan
  int64_t resident_bytes_ = 0, peak_resident_bytes_ = 0, budget_ = 0;
  int64_t loads_ = 0, evictions_ = 0;
  std::vector<SegmentKey> evicted_, preloads_;

  MetricsCollector collector_{{}, false};
  std::vector<TraceEvent> trace_;
  int64_t replans_ = 0;
  int64_t steals_ = 0;  // requests moved by Steal
  // Execution statistics (FillRunMetrics): jobs with timings, overhead sum, log-slowdown moments.
  // [task][segment * P + p]: the profile's latencies as given at Create, kBrokenUs for segments
  // that failed to load; the planning profile is these times the speed ratios (ApplySpeeds).
  std::vector<std::vector<double>> base_latency_;
  int64_t timed_jobs_ = 0;
  double overhead_sum_ = 0, slowdown_sum_ = 0, log_slowdown_sum_ = 0, log_slowdown_sq_ = 0;
  JobSampleReservoir job_samples_;
  std::vector<Pause> pauses_, late_admissions_;
  double last_call_us_ = -1;  // the latest time Admit, Take or Complete was called with
  std::vector<Stall> stalls_;
  std::map<std::string, int64_t> replan_causes_;
};

}  // namespace sl

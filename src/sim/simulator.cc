#include "sim/simulator.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "sim/job_replay.h"

namespace sl {

namespace {

struct Busy {
  bool busy = false;
  // With measured jobs: the worker was woken for work (queued for it, or to steal) and takes it
  // at wake_us, after its start delay, as a real worker calls Take() only once awake.
  bool waking = false;
  double wake_us = 0;
  double free_us = -1;  // when its last job ended
  StageJob job;
  double start_us = 0, end_us = 0;
  std::vector<double> segment_us;
};

}  // namespace

Result<SimOutput> Simulate(const Workload& workload, const Profile& truth, const Profile* planning,
                           const std::string& policy, const PolicyOptions& policy_options,
                           const SimOptions& options) {
  SL_ASSIGN_OR_RETURN(Policy pol, MakePolicy(policy, policy_options));
  return Simulate(workload, truth, planning, std::move(pol), options);
}

Result<SimOutput> Simulate(const Workload& workload, const Profile& truth, const Profile* planning,
                           Policy pol, const SimOptions& options) {
  const auto wall0 = std::chrono::steady_clock::now();
  const Profile& plan_profile = planning ? *planning : truth;
  ControllerOptions co = options.controller;
  // Hand-offs: the planned cost from the profile, unless measured jobs are replayed (their start
  // delays hold the real hand-offs of later stages).
  co.delay_handoffs = options.job_samples.empty();
  SL_ASSIGN_OR_RETURN(auto controller, Controller::Create(workload, plan_profile, std::move(pol),
                                                          workload.processors, co));
  Controller& c = *controller;
  if (truth.processors.size() != plan_profile.processors.size())
    return InvalidArgument("simulate: the truth and planning profiles list different processors");
  // Truth latencies per workload task, [segment * P + p].
  const int P = c.num_processors();
  std::vector<const TaskProfile*> truth_tasks;
  for (const WorkloadTask& t : workload.tasks) {
    const int tp = truth.FindTask(t.pool);
    if (tp < 0) return NotFound("simulate: pool '" + t.pool + "' is not in the truth profile");
    truth_tasks.push_back(&truth.tasks[tp]);
  }
  std::vector<int64_t> counts(workload.tasks.size(), 1000);
  SL_ASSIGN_OR_RETURN(std::vector<Arrival> arrivals,
                      GenerateArrivals(workload, counts, options.max_requests));
  const uint64_t seed = options.seed ? options.seed : workload.seed;
  std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ull + 17);
  std::lognormal_distribution<double> jitter(-0.5 * options.jitter * options.jitter,
                                             options.jitter > 0 ? options.jitter : 1e-12);
  std::uniform_real_distribution<double> unit(0, 1);
  const JobReplay replay(options, P, static_cast<int>(workload.tasks.size()));
  const PauseReplay& admission = replay.admission();

  SL_RETURN_IF_ERROR(c.Start(0).status());
  std::vector<Busy> procs(P);
  const double inf = std::numeric_limits<double>::infinity();
  const double end_us = workload.duration_s * 1e6;
  const double drain_end = end_us + 5e6;
  size_t next = 0;
  const bool sampled = !replay.empty();
  auto start_jobs = [&](double t) {
    int busy_now = 0;
    for (const Busy& b : procs) busy_now += b.busy;
    for (int p = 0; p < P; ++p) {
      Busy& b = procs[p];
      if (b.busy || !c.processor_used(p)) continue;
      const PauseReplay& frozen = replay.frozen(p);
      // With measured jobs the start delay passes before Take(), as in the engine: the job is
      // picked, and its slack judged, once the worker is awake, so requests due earlier that
      // arrive meanwhile go first and a job whose slack ran out in the delay is rejected. The
      // engine wakes an idle worker for work of its own or for work it may steal; one that has
      // just finished a job goes on at once (its turnaround is a queued start's delay).
      if (b.waking) {
        if (b.wake_us > t) continue;
        b.waking = false;
      } else if (sampled) {
        StartKind kind = StartKind::kIdleFirst;
        if (!c.HasReadyJob(p, t, &kind) && !c.MaySteal(p, t)) continue;
        if (b.free_us == t) kind = StartKind::kQueued;
        b.wake_us = frozen.Finish(t, replay.Delay(kind, p, t, rng));
        b.waking = b.wake_us > t;
        if (b.waking) continue;
      }
      if (!c.Take(p, t, &b.job)) continue;
      const TaskProfile& tp = *truth_tasks[b.job.task];
      double factor = options.latency_scale, d = options.job_overhead_us;
      if (sampled) {
        const JobReplay::Draw job = replay.Job(p, b.job.task, t, rng);
        factor = job.slowdown;
        d = job.overhead_us;
      } else if (options.jitter > 0) {
        factor *= jitter(rng);
      }
      factor *= 1 + options.contention * busy_now;
      b.segment_us.clear();
      for (int i = b.job.first_segment; i < b.job.end_segment; ++i) {
        const double us = tp.segment((*b.job.stitch)[i], i).latency_us[p] * factor;
        b.segment_us.push_back(us);
        d += us;
      }
      if (!sampled && b.job.load_bytes > 0 && options.load_bandwidth_bytes_per_us > 0)
        d += b.job.load_bytes / options.load_bandwidth_bytes_per_us;
      b.busy = true;
      b.start_us = t;
      b.end_us = frozen.Finish(t, d);
      // A real job's segments are timed by the wall clock, so a pause or stall inside one counts
      // as its compute (and moves the latency drift the policy follows): put it in the last.
      if (!b.segment_us.empty()) b.segment_us.back() += b.end_us - (t + d);
      ++busy_now;
    }
    (void)c.TakeEvictions();
    for (const SegmentKey& k : c.TakePreloads()) c.SegmentLoaded(k.task, k.segment);  // at once
  };
  bool draining = false;
  double last_t = 0;
  // Engine admission: whether a worker is idle (then an arrival is admitted at its own time),
  // and the arrival thread's next tick.
  auto any_idle = [&] {
    for (int p = 0; p < P; ++p)
      if (!procs[p].busy && !procs[p].waking && c.processor_used(p)) return true;
    return false;
  };
  const double tick = options.admit_tick_us > 0 ? options.admit_tick_us : 1000;
  // An arrival inside a pause or a late admission is admitted at its end.
  auto due = [&](size_t i) { return admission.Resume(arrivals[i].time_us); };
  double next_tick = tick;
  for (;;) {
    double t = inf;
    if (next < arrivals.size())
      t = !options.engine_admission || any_idle() ? due(next) : std::max(due(next), next_tick);
    for (const Busy& b : procs) {
      if (b.busy) t = std::min(t, b.end_us);
      if (b.waking) t = std::min(t, b.wake_us);
    }
    if (!draining) t = std::min(t, c.NextChangeUs());
    for (int p = 0; p < P; ++p) t = std::min(t, replay.frozen(p).NextEnd(last_t));
    t = std::min(t, c.NextReadyUs(last_t));
    if (t == inf) break;
    if (!draining && t > drain_end) {
      // Out of time: reject what is queued; running jobs still finish (their next stages are
      // rejected as "run-ended").
      c.Drain(drain_end);
      draining = true;
      next = arrivals.size();
      continue;
    }
    last_t = t;
    if (!draining) SL_RETURN_IF_ERROR(c.Advance(t));
    bool completed = false;
    for (int p = 0; p < P; ++p) {
      Busy& b = procs[p];
      if (!b.busy || b.end_us > t) continue;
      b.busy = false;
      b.free_us = t;
      completed = true;
      bool correct = false;
      if (b.job.last) {
        const TaskProfile& tp = *truth_tasks[b.job.task];
        int64_t index = 0;
        for (int v : *b.job.stitch) index = index * tp.num_variants() + v;
        correct = unit(rng) < tp.accuracy.stitches[index];
      }
      c.Complete(b.job, b.start_us, t, b.segment_us, 0, true, correct);
    }
    // The engine admits at an idle worker's wake-up, at a job's end and at the arrival thread's
    // ticks; an arrival while every worker is busy waits for the first of those.
    bool admit = !options.engine_admission || completed || any_idle() || t >= next_tick;
    if (t >= next_tick) next_tick = (std::floor(t / tick) + 1) * tick;
    while (admit && next < arrivals.size() && due(next) <= t) c.Admit(arrivals[next++], t);
    start_jobs(t);
    if (next >= arrivals.size() && c.idle()) break;
  }
  c.Drain(last_t);
  SimOutput out;
  c.collector().Finish(workload.duration_s, &out.metrics);
  c.FillRunMetrics(&out.metrics);
  out.metrics.simulated = true;
  out.records = c.collector().records();
  out.trace = c.trace();
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return out;
}

}  // namespace sl

#include "runtime/engine.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "core/json_writer.h"
#include "profile/processor.h"

namespace sl {

namespace {

using Clock = std::chrono::steady_clock;

struct Payload {
  Tensor handoff;  // output of the request's last completed stage
};

// Per worker: one runner per segment it runs, rebuilt when the plan changed.
struct WorkerContexts {
  struct Entry {
    const DevicePlan* plan = nullptr;
    std::shared_ptr<const DevicePlan> keep;  // the runner may point into the plan
    std::unique_ptr<SegmentRunner> runner;
  };
  std::map<std::pair<int, int>, Entry> entries;

  Result<SegmentRunner*> Get(int task, int segment, const std::shared_ptr<const DevicePlan>& plan) {
    Entry& e = entries[{task, segment}];
    if (e.plan != plan.get()) {
      e.runner.reset();
      e.plan = nullptr;
      SL_ASSIGN_OR_RETURN(e.runner, plan->NewRunner());
      e.plan = plan.get();
      e.keep = plan;
    }
    return e.runner.get();
  }
  void Sweep(const SegmentStore& store, int target) {
    for (auto it = entries.begin(); it != entries.end();) {
      if (!store.IsCurrent(it->first.first, it->first.second, target, it->second.plan))
        it = entries.erase(it);
      else
        ++it;
    }
  }
};

// Resident set size of this process in MB (0 when /proc is unavailable).
double ProcessRssMb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long pages = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1048576.0) : 0;
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

int64_t ArgMax(const Tensor& t) {
  const float* d = t.data<float>();
  const int64_t n = t.numel();
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (d[i] > d[best]) best = i;
  return best;
}

class Engine {
 public:
  Engine(const Workload& w, const std::vector<ServedTask>& tasks, Controller& c,
         const EngineOptions& o)
      : workload_(w), tasks_(tasks), controller_(c), options_(o), store_(&tasks) {}

  Result<RunOutput> Run(std::vector<Arrival> arrivals);

 private:
  double Now() const {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0_).count();
  }
  void FlushEvictions(std::unique_lock<std::mutex>& lock);
  void Advance(double t) {
    if (Status st = controller_.Advance(t); !st.ok() && first_error_.empty())
      first_error_ = st.message();
  }
  // Hands what replans made resident to the loader thread (workers needing one meanwhile load
  // it themselves or wait for it), so admissions never wait for a load.
  void LoadPreloads(std::unique_lock<std::mutex>& lock);
  void LoaderMain();
  void WorkerMain(int p);
  // Runs a job; on a segment that fails to load, *failed_segment names it.
  Status RunJob(int p, const StageJob& job, Payload& payload, WorkerContexts& contexts,
                std::vector<double>& segment_us, double& load_us, bool& correct,
                int* failed_segment);
  void Warmup(int p, const std::vector<SegmentKey>& keys, WorkerContexts& contexts);
  void Progress(double now_us, bool final);
  // Admits the arrivals due by `now` (applying the workload changes due before each); under the
  // lock. True when any was admitted.
  bool AdmitDue(double now);
  // Idle worker p (lock held): sleeps until work is queued for it or, with idle_workers_admit,
  // until the next arrival, which it then admits itself.
  void IdleWait(int p, std::unique_lock<std::mutex>& lock);
  // Wakes the idle workers whose queue holds work, or that may steal some (under the lock).
  void WakeWorkers() {
    const double now = Now();
    for (size_t p = 0; p < wake_.size(); ++p) {
      const int q = static_cast<int>(p);
      if (waiting_[p] && (controller_.queue_length(q) > 0 || controller_.MaySteal(q, now)))
        wake_[p]->notify_one();
    }
  }

  const Workload& workload_;
  const std::vector<ServedTask>& tasks_;
  Controller& controller_;
  const EngineOptions& options_;
  SegmentStore store_;
  std::vector<int> targets_;  // per processor: its SegmentStore target
  std::vector<std::vector<int>> cores_;

  std::mutex mu_;
  std::condition_variable cv_;                                  // start, stop, drain progress
  std::vector<std::unique_ptr<std::condition_variable>> wake_;  // per processor: work queued
  std::vector<bool> waiting_;
  std::vector<uint8_t> spin_ok_;  // per processor: its worker has cores of its own (IdleWait)
  std::deque<SegmentKey> load_queue_;
  std::condition_variable load_cv_;
  bool stop_ = false;
  bool started_ = false;
  int ready_ = 0;
  std::vector<SegmentKey> preload_;
  std::vector<Arrival> arrivals_;
  size_t next_arrival_ = 0;
  std::vector<std::unique_ptr<Payload>> payloads_;
  std::vector<double> job_start_;  // per processor, -1 when idle
  std::vector<bool> dead_;
  std::atomic<int64_t> evict_generation_{0};
  std::string first_error_;
  Clock::time_point t0_;
  double last_progress_us_ = -1e18;
  double rss_start_mb_ = 0, rss_peak_mb_ = 0;
  std::vector<double> rss_samples_;  // every 10 s of the run
};

void Engine::FlushEvictions(std::unique_lock<std::mutex>& lock) {
  std::vector<SegmentKey> ev = controller_.TakeEvictions();
  if (ev.empty()) return;
  lock.unlock();
  for (const SegmentKey& k : ev) store_.Evict(k.task, k.segment);
  evict_generation_.fetch_add(1);
  lock.lock();
}

void Engine::LoadPreloads(std::unique_lock<std::mutex>& lock) {
  std::vector<SegmentKey> keys = controller_.TakePreloads();
  if (keys.empty()) return;
  load_queue_.insert(load_queue_.end(), keys.begin(), keys.end());
  load_cv_.notify_one();
}

void Engine::LoaderMain() {
  // Loads run only on a core that no worker needs (SCHED_IDLE): on a machine with as many cores as
  // workers a normal-priority loader would preempt a worker for the whole load (milliseconds).
  sched_param idle{};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    load_cv_.wait(lock, [&] { return stop_ || !load_queue_.empty(); });
    if (load_queue_.empty()) break;  // stopping
    const SegmentKey k = load_queue_.front();
    load_queue_.pop_front();
    lock.unlock();
    bool ok = true;
    for (size_t p = 0; p < targets_.size() && ok; ++p) {
      if (!controller_.processor_used(static_cast<int>(p))) continue;
      double l = 0;
      ok = store_.Get(k.task, k.segment, targets_[p], &l).ok();
    }
    lock.lock();
    if (ok) controller_.SegmentLoaded(k.task, k.segment);
    if (!ok) controller_.SegmentFailed(k.task, k.segment, Now());
  }
}

void Engine::Warmup(int p, const std::vector<SegmentKey>& keys, WorkerContexts& contexts) {
  for (const SegmentKey& k : keys) {
    double load_us = 0;
    auto plan = store_.Get(k.task, k.segment, targets_[p], &load_us);
    if (!plan.ok()) continue;  // the request that needs it reports the error
    const TensorInfo& in = (*plan)->inputs()[0];
    const TensorInfo& out = (*plan)->outputs()[0];
    Tensor x(in.dtype, in.shape), y(out.dtype, out.shape);
    std::memset(x.raw(), 0, x.bytes());
    TensorView iv = x.view(), ov = y.view();
    auto runner = contexts.Get(k.task, k.segment, *plan);
    if (runner.ok()) (void)(*runner)->RunHost({&iv, 1}, {&ov, 1});
  }
}

Status Engine::RunJob(int p, const StageJob& job, Payload& payload, WorkerContexts& contexts,
                      std::vector<double>& segment_us, double& load_us, bool& correct,
                      int* failed_segment) {
  const ServedTask& task = tasks_[job.task];
  const int K = task.num_segments();
  TensorView input;
  if (job.stage == 0) {
    const Tensor& x = task.pool.val_x;
    const size_t row = x.bytes() / static_cast<size_t>(x.shape()[0]);
    input = TensorView{DType::kF32, task.row_shape,
                       static_cast<char*>(x.raw()) + row * static_cast<size_t>(job.sample)};
  } else {
    input = payload.handoff.view();
  }
  Tensor out;
  for (int i = job.first_segment; i < job.end_segment; ++i) {
    const int seg = (*job.stitch)[i] * K + i;
    double l = 0;
    auto plan = store_.Get(job.task, seg, targets_[p], &l);
    load_us += l;
    if (!plan.ok()) {
      *failed_segment = seg;
      return plan.status();
    }
    const TensorInfo& oi = (*plan)->outputs()[0];
    Tensor y(oi.dtype, oi.shape);
    TensorView ov = y.view();
    const auto t0 = Clock::now();
    SL_ASSIGN_OR_RETURN(SegmentRunner * runner, contexts.Get(job.task, seg, *plan));
    SL_RETURN_IF_ERROR(runner->RunHost({&input, 1}, {&ov, 1}));
    segment_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    out = std::move(y);
    input = out.view();
  }
  if (job.last) {
    const int64_t label = task.pool.val_y.data<int64_t>()[job.sample];
    correct = ArgMax(out) == label;
  }
  payload.handoff = std::move(out);
  return Status::Ok();
}

void Engine::WorkerMain(int p) {
  const bool pinned = !cores_[p].empty() && PinCurrentThread(cores_[p]).ok();
  // Spinning is free only on cores of its own: a worker that is not pinned, or shares a core with
  // another processor's worker, sleeps until the arrival instead.
  bool own_cores = pinned;
  for (size_t q = 0; q < cores_.size() && own_cores; ++q)
    if (q != static_cast<size_t>(p) && controller_.processor_used(static_cast<int>(q)))
      for (int c : cores_[q])
        own_cores =
            own_cores && std::find(cores_[p].begin(), cores_[p].end(), c) == cores_[p].end();
  spin_ok_[p] = own_cores;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // idle workers wake on time for the next arrival
  WorkerContexts contexts;
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<SegmentKey> keys = preload_;
  lock.unlock();
  Warmup(p, keys, contexts);
  lock.lock();
  ++ready_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return started_ || stop_; });
  int64_t seen_generation = evict_generation_.load();
  int64_t job_index = 0;
  std::vector<double> segment_us;
  while (!dead_[p]) {
    StageJob job;
    if (!controller_.Take(p, Now(), &job)) {
      if (stop_) break;
      IdleWait(p, lock);
      continue;
    }
    FlushEvictions(lock);
    Payload& payload = *payloads_[job.slot];
    const double start = Now();
    job_start_[p] = start;
    lock.unlock();
    if (options_.fault_hook && !options_.fault_hook(p, job_index)) {
      std::unique_lock<std::mutex> stall(mu_);
      cv_.wait(stall, [&] { return stop_; });
    }
    ++job_index;
    if (const int64_t g = evict_generation_.load(); g != seen_generation) {
      contexts.Sweep(store_, targets_[p]);
      seen_generation = g;
    }
    segment_us.clear();
    double load_us = 0;
    bool correct = false;
    int failed_segment = -1;
    Status st = RunJob(p, job, payload, contexts, segment_us, load_us, correct, &failed_segment);
    lock.lock();
    job_start_[p] = -1;
    if (!st.ok() && first_error_.empty()) first_error_ = st.message();
    if (failed_segment >= 0) controller_.SegmentFailed(job.task, failed_segment, Now());
    controller_.Complete(job, start, Now(), segment_us, load_us, st.ok(), correct,
                         st.ok()               ? ""
                         : failed_segment >= 0 ? "segment-load-failed"
                                               : "execution-failed");
    // With idle_workers_admit the arrival thread no longer wakes for each arrival: a worker that
    // finishes a job admits what arrived meanwhile before it takes the next.
    if (options_.idle_workers_admit) AdmitDue(Now());
    FlushEvictions(lock);
    LoadPreloads(lock);
    WakeWorkers();
    if (controller_.idle()) cv_.notify_all();
  }
}

bool Engine::AdmitDue(double now) {
  bool admitted = false;
  while (next_arrival_ < arrivals_.size() && arrivals_[next_arrival_].time_us <= now) {
    const Arrival& a = arrivals_[next_arrival_++];
    if (a.time_us >= controller_.NextChangeUs()) Advance(a.time_us);
    controller_.Admit(a, now);
    admitted = true;
  }
  while (payloads_.size() < controller_.num_slots())
    payloads_.push_back(std::make_unique<Payload>());
  return admitted;
}

void Engine::IdleWait(int p, std::unique_lock<std::mutex>& lock) {
  waiting_[p] = true;
  const bool self = options_.idle_workers_admit && next_arrival_ < arrivals_.size();
  if (!self) {
    wake_[p]->wait(lock);
    waiting_[p] = false;
    return;
  }
  const double due = arrivals_[next_arrival_].time_us;
  const double spin = spin_ok_[p] ? options_.admit_spin_us : 0;
  const auto at = [&](double us) { return t0_ + std::chrono::microseconds(int64_t(us)); };
  if (wake_[p]->wait_until(lock, at(due - spin)) == std::cv_status::timeout &&
      controller_.queue_length(p) == 0) {
    lock.unlock();
    while (Now() < due) CpuRelax();
    lock.lock();
    if (AdmitDue(Now())) WakeWorkers();
  }
  waiting_[p] = false;
}

void Engine::Progress(double now_us, bool final) {
  if (!final && now_us - last_progress_us_ < 250000) return;
  last_progress_us_ = now_us;
  const double rss = ProcessRssMb();
  rss_peak_mb_ = std::max(rss_peak_mb_, rss);
  if (now_us >= 1e7 * (rss_samples_.size() + 1)) rss_samples_.push_back(rss);
  if (!options_.progress) return;
  const MetricsCollector& c = controller_.collector();
  const int64_t n = c.requests(), v = c.violations();
  std::fprintf(stderr,
               "\r  %-10s t %6.1f / %.0f s  requests %7lld  violations %6lld (%5.1f%%)  "
               "in flight %3lld ",
               controller_.policy_name().c_str(), now_us / 1e6, workload_.duration_s,
               static_cast<long long>(n), static_cast<long long>(v), n ? 100.0 * v / n : 0.0,
               static_cast<long long>(controller_.in_flight()));
  if (final) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

Result<RunOutput> Engine::Run(std::vector<Arrival> arrivals) {
  arrivals_ = std::move(arrivals);
  const Profile& profile = controller_.profile();
  const int P = controller_.num_processors();
  targets_.assign(P, 0);
  cores_.assign(P, {});
  dead_.assign(P, false);
  job_start_.assign(P, -1);
  waiting_.assign(P, false);
  spin_ok_.assign(P, 0);
  for (int p = 0; p < P; ++p) wake_.push_back(std::make_unique<std::condition_variable>());
  for (int p = 0; p < P; ++p) {
    const ProcessorSpec& spec = profile.processors[p];
    auto target = store_.AddTarget(spec.backend, spec.is_cpu() ? spec.threads : 1);
    if (!target.ok()) return target.status().WithContext("processor '" + spec.name + "'");
    targets_[p] = *target;
    cores_[p] = profile.processors[p].cores;
  }
  SL_ASSIGN_OR_RETURN(preload_, controller_.Start(0));
  // Load the preloader's plan before the clock starts (every thread count in use).
  for (const SegmentKey& k : preload_)
    for (int p = 0; p < P; ++p) {
      if (!controller_.processor_used(p)) continue;
      double l = 0;
      auto plan = store_.Get(k.task, k.segment, targets_[p], &l);
      if (!plan.ok()) {  // the optimizer stops choosing it; requests never depend on it
        std::fprintf(stderr, "sparseloom: warning: %s\n", plan.status().message().c_str());
        controller_.SegmentFailed(k.task, k.segment, 0);
        break;
      }
    }
  std::vector<std::thread> workers;
  int used = 0;
  for (int p = 0; p < P; ++p)
    if (controller_.processor_used(p)) {
      workers.emplace_back([this, p] { WorkerMain(p); });
      ++used;
    }
  std::thread loader([this] { LoaderMain(); });
  // Arrivals are admitted on time: Linux lets a sleeping thread's timer fire up to its timer
  // slack late (50 us by default), which every request would add to its latency.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ready_ == used; });
  t0_ = Clock::now();
  rss_start_mb_ = rss_peak_mb_ = ProcessRssMb();
  started_ = true;
  cv_.notify_all();
  const double end_us = workload_.duration_s * 1e6;
  for (;;) {
    const double now = Now();
    // Arrivals and workload changes in time order: a request that arrived before a task stopped
    // or an SLO changed is admitted under the state of its arrival time.
    bool admitted = AdmitDue(now);
    Advance(now);
    if (options_.stall_timeout_ms > 0)
      for (int p = 0; p < P; ++p)
        if (!dead_[p] && job_start_[p] >= 0 &&
            now - job_start_[p] > options_.stall_timeout_ms * 1000) {
          dead_[p] = true;
          controller_.FailProcessor(p, now);
          admitted = true;
        }
    FlushEvictions(lock);
    LoadPreloads(lock);
    if (admitted) WakeWorkers();
    Progress(now, false);
    if (next_arrival_ >= arrivals_.size() && now >= end_us) break;
    // With idle_workers_admit the workers admit (an idle one at the arrival's time, a busy one
    // when its job ends); this thread only ticks for workload changes, loads, stalls and progress.
    double next_arrival = end_us;
    if (next_arrival_ < arrivals_.size())
      next_arrival = options_.idle_workers_admit ? now + 1000.0 : arrivals_[next_arrival_].time_us;
    double wake = std::min({next_arrival, controller_.NextChangeUs(), end_us, now + 50000.0});
    lock.unlock();
    std::this_thread::sleep_until(t0_ + std::chrono::microseconds(static_cast<int64_t>(wake)));
    lock.lock();
  }
  // Let admitted requests finish, then end the run.
  const double drain_end = end_us + options_.drain_timeout_s * 1e6;
  while (!controller_.idle() && Now() < drain_end) {
    cv_.wait_for(lock, std::chrono::milliseconds(20));
    Progress(Now(), false);
  }
  controller_.Drain(Now());
  stop_ = true;
  cv_.notify_all();
  for (auto& w : wake_) w->notify_all();
  load_cv_.notify_all();
  lock.unlock();
  for (std::thread& t : workers) t.join();
  loader.join();
  lock.lock();
  const double end = Now();
  Progress(end, true);
  RunOutput out;
  controller_.collector().Finish(workload_.duration_s, &out.metrics);
  controller_.FillRunMetrics(&out.metrics);
  out.store_peak_bytes = store_.peak_bytes();
  out.metrics.peak_resident_weight_bytes = out.store_peak_bytes;
  out.metrics.rss_start_mb = rss_start_mb_;
  out.metrics.rss_end_mb = ProcessRssMb();
  out.metrics.rss_every_10s_mb = rss_samples_;
  out.metrics.rss_peak_mb = std::max(rss_peak_mb_, out.metrics.rss_end_mb);
  out.records = controller_.collector().records();
  out.trace = controller_.trace();
  if (!first_error_.empty())
    std::fprintf(stderr, "sparseloom run: warning: %s\n", first_error_.c_str());
  return out;
}

}  // namespace

Result<std::vector<ServedTask>> LoadServedTasks(const Workload& workload, const Profile& profile) {
  std::vector<ServedTask> out;
  for (const WorkloadTask& t : workload.tasks) {
    const int tp = profile.FindTask(t.pool);
    if (tp < 0) return NotFound("task '" + t.name + "': pool '" + t.pool + "' is not profiled");
    const TaskProfile& prof = profile.tasks[tp];
    const std::string dir = (std::filesystem::path(workload.zoo) / t.pool).string();
    SL_ASSIGN_OR_RETURN(ServedTask st, LoadServedTask(t.name, dir, prof.cuts));
    if (st.pool.num_variants() != prof.num_variants())
      return InvalidArgument(dir + ": the pool has " + std::to_string(st.pool.num_variants()) +
                             " variants, its profile " + std::to_string(prof.num_variants()) +
                             " (re-run `sparseloom profile`)");
    for (int v = 0; v < prof.num_variants(); ++v)
      if (st.pool.variants[v].name != prof.variants[v])
        return InvalidArgument(dir + ": variant " + std::to_string(v) + " is '" +
                               st.pool.variants[v].name + "', the profile says '" +
                               prof.variants[v] + "' (re-run `sparseloom profile`)");
    out.push_back(std::move(st));
  }
  return out;
}

Result<RunOutput> RunWorkload(const Workload& workload, const Profile& profile,
                              const std::vector<ServedTask>& tasks, const std::string& policy,
                              const PolicyOptions& policy_options, const EngineOptions& options) {
  if (tasks.size() != workload.tasks.size())
    return InvalidArgument("RunWorkload: one served task per workload task expected");
  SL_ASSIGN_OR_RETURN(Policy pol, MakePolicy(policy, policy_options));
  std::vector<int64_t> counts;
  for (const ServedTask& t : tasks) counts.push_back(t.pool.val_count());
  SL_ASSIGN_OR_RETURN(std::vector<Arrival> arrivals, GenerateArrivals(workload, counts));
  SL_ASSIGN_OR_RETURN(auto controller, Controller::Create(workload, profile, std::move(pol),
                                                          workload.processors, options.controller));
  Engine engine(workload, tasks, *controller, options);
  return engine.Run(std::move(arrivals));
}

std::string ChromeTraceJson(const std::vector<TraceEvent>& events,
                            const std::vector<std::string>& processor_names,
                            const std::vector<std::string>& task_names) {
  JsonWriter w;
  w.BeginObject();
  w.Key("traceEvents").BeginArray();
  for (size_t p = 0; p < processor_names.size(); ++p) {
    w.BeginObject();
    w.Key("name").String("thread_name");
    w.Key("ph").String("M");
    w.Key("pid").Int(0);
    w.Key("tid").Int(static_cast<long long>(p));
    w.Key("args").BeginObject().Key("name").String(processor_names[p]).EndObject();
    w.EndObject();
  }
  for (const TraceEvent& e : events) {
    w.BeginObject();
    const std::string task =
        e.task >= 0 && e.task < static_cast<int>(task_names.size()) ? task_names[e.task] : "?";
    w.Key("name").String(task + " stage " + std::to_string(e.stage));
    w.Key("cat").String(task);
    w.Key("ph").String("X");
    w.Key("pid").Int(0);
    w.Key("tid").Int(e.processor);
    w.Key("ts").Double(e.start_us);
    w.Key("dur").Double(e.end_us - e.start_us);
    w.Key("args").BeginObject();
    w.Key("request").Int(e.request_id);
    w.Key("stitch").Int(e.stitch_index);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str();
}

}  // namespace sl

#include "runtime/controller.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sl {

namespace {

double MicrosSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<std::unique_ptr<Controller>> Controller::Create(const Workload& workload, Profile profile,
                                                       Policy policy,
                                                       const std::vector<std::string>& processors,
                                                       const ControllerOptions& options) {
  std::unique_ptr<Controller> c(new Controller());
  c->workload_ = workload;
  c->profile_ = std::move(profile);
  c->policy_ = std::move(policy);
  c->options_ = options;
  const int P = static_cast<int>(c->profile_.processors.size());
  if (P == 0) return InvalidArgument("the profile lists no processors");
  std::string known;
  for (const auto& p : c->profile_.processors) known += (known.empty() ? "" : ", ") + p.name;
  c->used_.assign(P, processors.empty());
  for (const std::string& name : processors) {
    const int p = c->profile_.FindProcessor(name);
    if (p < 0)
      return NotFound("processor '" + name + "' is not in the profile (it has: " + known + ")");
    c->used_[p] = true;
  }
  for (int p = 0; p < P; ++p) c->processor_names_.push_back(c->profile_.processors[p].name);
  Snapshot& s = c->snap_;
  for (int p = 0; p < P; ++p)
    s.processors.push_back(
        {p, static_cast<bool>(c->used_[p]), 0.0, c->profile_.processors[p].is_cpu()});
  std::vector<std::string> names;
  for (size_t t = 0; t < workload.tasks.size(); ++t) {
    const WorkloadTask& wt = workload.tasks[t];
    const int tp = c->profile_.FindTask(wt.pool);
    if (tp < 0)
      return NotFound("task '" + wt.name + "': pool '" + wt.pool +
                      "' is not in the profile (profile it with `sparseloom profile`)");
    SL_RETURN_IF_ERROR(ValidateTaskProfile(c->profile_.tasks[tp], P));
    c->task_profile_.push_back(tp);
    names.push_back(wt.name);
  }
  for (size_t t = 0; t < workload.tasks.size(); ++t) {
    const WorkloadTask& wt = workload.tasks[t];
    TaskState ts;
    ts.id = static_cast<int>(t);
    ts.name = wt.name;
    ts.profile = &c->profile_.tasks[c->task_profile_[t]];
    ts.slo = {wt.latency_ms, wt.accuracy_min};
    ts.arrival_rate_rps = workload.ExpectedRate(static_cast<int>(t));
    ts.active = false;
    s.tasks.push_back(ts);
    const size_t segs = ts.profile->segments.size();
    c->base_latency_.emplace_back();
    for (const SegmentProfile& sp : ts.profile->segments)
      c->base_latency_.back().insert(c->base_latency_.back().end(), sp.latency_us.begin(),
                                     sp.latency_us.end());
    c->residency_.emplace_back(segs);
    c->target_.emplace_back(segs, 0);
    s.resident.flags.emplace_back(segs, 0);
    c->task_changes_.push_back({wt.start_s * 1e6, static_cast<int>(t)});
    c->task_changes_.push_back({wt.stop_s * 1e6, static_cast<int>(t)});
  }
  std::sort(c->task_changes_.begin(), c->task_changes_.end());
  s.resident.tracked = true;
  c->budget_ = options.memory_budget_bytes > 0 ? options.memory_budget_bytes
                                               : std::numeric_limits<int64_t>::max() / 4;
  s.memory_budget_bytes = c->budget_;
  c->choice_of_task_.assign(workload.tasks.size(), -1);
  c->fallback_.assign(workload.tasks.size(), {});
  c->queues_.resize(P);
  c->queued_us_.assign(P, 0.0);
  c->running_.assign(P, -1);
  c->last_end_us_.assign(P, 0.0);
  c->running_start_us_.assign(P, 0.0);
  c->speed_.assign(workload.tasks.size(), std::vector<double>(P, 1.0));
  c->planned_speed_ = c->speed_;
  c->collector_ = MetricsCollector(names, options.keep_records);
  return c;
}

Result<std::vector<SegmentKey>> Controller::Start(double now_us) {
  for (size_t t = 0; t < snap_.tasks.size(); ++t) {
    const WorkloadTask& wt = workload_.tasks[t];
    snap_.tasks[t].active = now_us >= wt.start_s * 1e6 && now_us < wt.stop_s * 1e6;
  }
  while (next_task_change_ < task_changes_.size() &&
         task_changes_[next_task_change_].first <= now_us)
    ++next_task_change_;
  SL_RETURN_IF_ERROR(Replan(now_us, "start"));
  Lookahead(now_us);
  std::vector<SegmentKey> keys = TakePreloads();  // loaded before requests arrive
  for (const SegmentKey& k : keys) MarkLoaded(k.task, k.segment);
  return keys;
}

void Controller::Lookahead(double now_us) {
  Snapshot ahead = snap_;
  bool later = false;
  for (size_t t = 0; t < ahead.tasks.size(); ++t) {
    const WorkloadTask& wt = workload_.tasks[t];
    if (!ahead.tasks[t].active && wt.start_s * 1e6 > now_us && wt.stop_s > wt.start_s) {
      ahead.tasks[t].active = true;
      later = true;
    }
  }
  if (!later) return;
  const auto t0 = std::chrono::steady_clock::now();
  auto result = policy_.optimizer->Optimize(ahead);
  collector_.AddOptimizerTime(MicrosSince(t0));
  if (!result.ok()) return;  // such a task is planned when it starts
  auto plan = std::make_shared<const std::vector<Choice>>(std::move(result).value());
  const ResidentSet target = policy_.preloader.Plan(ahead, *plan, budget_);
  for (size_t i = 0; i < plan->size(); ++i) {
    const int t = (*plan)[i].task;
    if (snap_.tasks[t].active) continue;
    fallback_[t] = {plan, static_cast<int>(i), false, {}, {}};
    const std::vector<SegmentProfile>& segs = snap_.tasks[t].profile->segments;
    for (size_t s = 0; s < segs.size(); ++s) {
      const int seg = static_cast<int>(s);
      if (target.flags[t][s] && !residency(t, seg).resident &&
          resident_bytes_ + segs[s].weight_bytes <= budget_ && Reserve(t, seg, now_us)) {
        --residency(t, seg).in_use;
        preloads_.push_back({t, seg});
      }
    }
  }
}

double Controller::NextChangeUs() const {
  double next = std::numeric_limits<double>::infinity();
  if (next_task_change_ < task_changes_.size()) next = task_changes_[next_task_change_].first;
  if (next_event_ < workload_.events.size())
    next = std::min(next, workload_.events[next_event_].at_s * 1e6);
  return next;
}

Status Controller::Advance(double now_us) {
  const char* cause = nullptr;
  while (next_task_change_ < task_changes_.size() &&
         task_changes_[next_task_change_].first <= now_us) {
    const int t = task_changes_[next_task_change_++].second;
    const WorkloadTask& wt = workload_.tasks[t];
    const bool active = now_us >= wt.start_s * 1e6 && now_us < wt.stop_s * 1e6;
    if (active != snap_.tasks[t].active) {
      snap_.tasks[t].active = active;
      cause = active ? "task-start" : "task-stop";
    }
  }
  while (next_event_ < workload_.events.size() &&
         workload_.events[next_event_].at_s * 1e6 <= now_us) {
    const SloEvent& e = workload_.events[next_event_++];
    Slo& slo = snap_.tasks[workload_.FindTask(e.task)].slo;
    if (e.latency_ms >= 0) slo.latency_ms = e.latency_ms;
    if (e.accuracy_min >= 0) slo.accuracy_min = e.accuracy_min;
    cause = "slo-change";
  }
  return cause ? Replan(now_us, cause) : Status::Ok();
}

Status Controller::Replan(double now_us, const char* cause) {
  snap_.now_us = now_us;
  last_replan_us_ = now_us;
  drift_pending_ = false;
  ApplySpeeds();
  ++replans_;
  ++replan_causes_[cause];
  // Make before break: a task keeps dispatching from its current choice while the new one loads.
  for (size_t t = 0; t < choice_of_task_.size(); ++t) {
    if (now_us >= workload_.tasks[t].stop_s * 1e6) {
      fallback_[t] = {};
    } else if (const int ci = choice_of_task_[t];
               ci >= 0 && Loaded(static_cast<int>(t), (*plan_)[ci].options.front())) {
      fallback_[t] = {plan_, ci, false, {}, {}};
    } else {  // kept: filtered again under the SLOs in force
      fallback_[t].filtered = false;
      fallback_[t].usable.options.clear();
      fallback_[t].map.clear();
    }
  }
  std::fill(choice_of_task_.begin(), choice_of_task_.end(), -1);
  const bool any_active = std::any_of(snap_.tasks.begin(), snap_.tasks.end(),
                                      [](const TaskState& t) { return t.active; });
  auto choices = std::make_shared<std::vector<Choice>>();
  if (any_active) {
    const auto t0 = std::chrono::steady_clock::now();
    auto result = policy_.optimizer->Optimize(snap_);
    collector_.AddOptimizerTime(MicrosSince(t0));
    if (!result.ok()) {
      plan_ = choices;
      last_error_ = result.status().message();
      return result.status().WithContext("replan (" + std::string(cause) + ")");
    }
    *choices = std::move(result).value();
  }
  for (size_t i = 0; i < choices->size(); ++i) choice_of_task_[(*choices)[i].task] = int(i);
  plan_ = choices;
  const ResidentSet target = policy_.preloader.Plan(snap_, *plan_, budget_);
  for (size_t t = 0; t < snap_.tasks.size(); ++t) {
    target_[t] = target.flags[t];
    const TaskProfile& tp = *snap_.tasks[t].profile;
    // With a budget, or when the preloader asks for it, idle segments outside the plan make room
    // now (except the fallback's); otherwise they stay (no reload churn when plans alternate).
    if (options_.memory_budget_bytes > 0 || policy_.preloader.config().evict_outside_plan) {
      std::vector<uint8_t> keep(tp.segments.size(), 0);
      if (const Fallback& fb = fallback_[t]; fb.plan)
        for (const Option& o : (*fb.plan)[fb.index].options)
          for (int i = 0; i < tp.num_segments; ++i) keep[o.stitch[i] * tp.num_segments + i] = 1;
      for (size_t s = 0; s < tp.segments.size(); ++s)
        if (!target_[t][s] && !keep[s] && residency_[t][s].resident && residency_[t][s].in_use == 0)
          Evict(static_cast<int>(t), static_cast<int>(s));
    }
  }
  // Make the plan resident (the caller loads it); without this a segment whose load time alone
  // misses the deadline would never be loaded, as every request needing it is rejected.
  for (size_t t = 0; t < target_.size(); ++t)
    for (size_t s = 0; s < target_[t].size(); ++s)
      if (target_[t][s] && !residency_[t][s].resident &&
          Reserve(static_cast<int>(t), static_cast<int>(s), now_us)) {
        --residency_[t][s].in_use;
        preloads_.push_back({static_cast<int>(t), static_cast<int>(s)});
      }
  return Status::Ok();
}

bool Controller::Reserve(int task, int segment, double now_us, int64_t* loaded) {
  Residency& r = residency(task, segment);
  if (!r.resident) {
    const int64_t bytes = snap_.tasks[task].profile->segments[segment].weight_bytes;
    if (bytes > budget_) return false;
    while (resident_bytes_ + bytes > budget_) {
      // Victim: an idle resident segment, outside the preloader's plan first, then least recent.
      int vt = -1, vs = -1;
      bool v_target = true;
      double v_last = 0;
      for (size_t t = 0; t < residency_.size(); ++t)
        for (size_t s = 0; s < residency_[t].size(); ++s) {
          const Residency& c = residency_[t][s];
          if (!c.resident || c.in_use > 0) continue;
          const bool tgt = target_[t][s] != 0;
          if (vt < 0 || (!tgt && v_target) || (tgt == v_target && c.last_use_us < v_last)) {
            vt = static_cast<int>(t);
            vs = static_cast<int>(s);
            v_target = tgt;
            v_last = c.last_use_us;
          }
        }
      if (vt < 0) return false;
      Evict(vt, vs);
    }
    r.resident = true;
    r.loading = true;
    resident_bytes_ += bytes;
    snap_.resident.flags[task][segment] = ResidentSet::kLoading;
    snap_.resident.bytes = resident_bytes_;
    peak_resident_bytes_ = std::max(peak_resident_bytes_, resident_bytes_);
    ++loads_;
    if (loaded != nullptr) *loaded += bytes;
  }
  ++r.in_use;
  r.last_use_us = now_us;
  return true;
}

void Controller::Evict(int task, int segment) {
  Residency& r = residency(task, segment);
  if (!r.resident || r.in_use > 0) return;
  r.resident = false;
  r.loading = false;
  resident_bytes_ -= snap_.tasks[task].profile->segments[segment].weight_bytes;
  snap_.resident.flags[task][segment] = 0;
  snap_.resident.bytes = resident_bytes_;
  ++evictions_;
  evicted_.push_back({task, segment});
}

std::vector<SegmentKey> Controller::TakePreloads() {
  std::vector<SegmentKey> out;
  out.swap(preloads_);
  return out;
}

void Controller::SegmentLoaded(int task, int segment) {
  if (task < 0 || task >= static_cast<int>(residency_.size()) || segment < 0 ||
      segment >= static_cast<int>(residency_[task].size()))
    return;
  MarkLoaded(task, segment);
}

void Controller::MarkLoaded(int task, int segment) {
  Residency& r = residency(task, segment);
  if (!r.resident) return;
  r.loading = false;
  snap_.resident.flags[task][segment] = ResidentSet::kReady;
}

bool Controller::Loaded(int task, const Option& o) const {
  const int K = static_cast<int>(o.stitch.size());
  for (int i = 0; i < K; ++i) {
    const Residency& r = residency_[task][o.stitch[i] * K + i];
    if (!r.resident || r.loading || r.failed) return false;
  }
  for (const Stage& st : o.stages)
    if (!snap_.processors[st.processor].alive) return false;
  return true;
}

const Choice* Controller::FallbackChoice(int task) {
  Fallback& fb = fallback_[task];
  if (!fb.plan) return nullptr;
  // Only while a load of the current first option is in flight; a segment the budget could not
  // reserve loads on demand, as without a fallback.
  const Option& first = (*plan_)[choice_of_task_[task]].options.front();
  const int K = static_cast<int>(first.stitch.size());
  bool loading = false;
  for (int i = 0; i < K; ++i)
    loading = loading || residency_[task][first.stitch[i] * K + i].loading;
  if (!loading) {
    fb = {};
    return nullptr;
  }
  if (!fb.filtered) {
    const Choice& old = (*fb.plan)[fb.index];
    fb.usable.task = old.task;
    fb.usable.task_id = old.task_id;
    const double floor = snap_.tasks[task].slo.accuracy_min;
    for (size_t i = 0; i < old.options.size(); ++i)
      if (old.options[i].accuracy >= floor && Loaded(task, old.options[i])) {
        fb.usable.options.push_back(old.options[i]);
        fb.map.push_back(static_cast<int>(i));
      }
    fb.filtered = true;
  }
  return fb.usable.options.empty() ? nullptr : &fb.usable;
}

std::vector<SegmentKey> Controller::TakeEvictions() {
  std::vector<SegmentKey> out;
  out.swap(evicted_);
  return out;
}

bool Controller::Admit(const Arrival& a, double now_us) {
  int64_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<int64_t>(requests_.size());
    requests_.emplace_back();
  }
  Request& r = requests_[slot];
  r = Request{};
  r.id = next_id_++;
  r.task = a.task;
  r.sample = a.sample;
  r.arrival_us = a.time_us;
  const Slo& slo = snap_.tasks[a.task].slo;
  r.deadline_us = a.time_us + slo.latency_us();
  r.accuracy_min = slo.accuracy_min;
  ++in_flight_;
  // Admitted late: the whole process stood still (a pause), or an idle worker woke late for it.
  // The process stopped between its last call here and the arrival: halfway, as an estimate.
  const double stopped = std::min(a.time_us, 0.5 * (std::max(last_call_us_, 0.0) + a.time_us));
  last_call_us_ = std::max(last_call_us_, now_us);
  auto note = [&](std::vector<Pause>& list, double from) {
    if (!list.empty() && a.time_us <= list.back().end_us) {
      list.back().end_us = std::max(list.back().end_us, now_us);
    } else if (list.size() < kMaxPauses) {
      list.push_back({std::max(from, list.empty() ? 0.0 : list.back().end_us), now_us});
    }
  };
  if (const double late = now_us - a.time_us; late >= kPauseMinUs) {
    note(pauses_, stopped);
  } else if (late >= kLateAdmitMinUs) {
    for (int p = 0; p < num_processors(); ++p)
      if (used_[p] && snap_.processors[p].alive && running_[p] < 0 &&
          last_end_us_[p] <= a.time_us) {
        note(late_admissions_, a.time_us);
        break;
      }
  }
  return Dispatch(slot, now_us);
}

bool Controller::Dispatch(int64_t slot, double now_us) {
  Request& r = requests_[slot];
  if (draining_) {
    Reject(r, now_us, "run-ended");
    return false;
  }
  const int ci = choice_of_task_[r.task];
  if (ci < 0 || !snap_.tasks[r.task].active) {
    Reject(r, now_us, snap_.tasks[r.task].active ? "no-plan" : "task-inactive");
    return false;
  }
  snap_.now_us = now_us;
  const auto t0 = std::chrono::steady_clock::now();
  const Choice* fallback = FallbackChoice(r.task);
  const Choice& choice = fallback ? *fallback : (*plan_)[ci];
  // Served by urgency (least slack or earliest deadline first), r goes before the queued stages
  // due later: the dispatcher sees only the work ahead of r (deadline order, exact for earliest
  // deadline first, standing in for slack order).
  const bool urgent = by_urgency();
  if (urgent)
    for (int p = 0; p < num_processors(); ++p)
      snap_.processors[p].queued_work_us = WorkAheadUs(p, r.deadline_us, now_us);
  const Decision d =
      policy_.dispatcher.Dispatch(sl::Request{r.task, r.arrival_us, r.deadline_us}, choice, snap_);
  if (urgent)
    for (int p = 0; p < num_processors(); ++p) snap_.processors[p].queued_work_us = queued_us_[p];
  collector_.AddDispatcherTime(MicrosSince(t0));
  if (d.rejected) {
    Reject(r, now_us, d.reason);
    return false;
  }
  std::shared_ptr<const std::vector<Choice>> from = plan_;
  const Option* picked = &choice.options[d.option];
  if (fallback) {
    const Fallback& fb = fallback_[r.task];
    from = fb.plan;
    picked = &(*fb.plan)[fb.index].options[fb.map[d.option]];
  }
  const Option& o = *picked;
  for (const Stage& st : o.stages)
    if (static_cast<int>(queues_[st.processor].size()) >= options_.max_queued_jobs) {
      Reject(r, now_us, "queue-full");
      return false;
    }
  r.plan = std::move(from);
  r.option = &o;
  r.next_stage = 0;
  r.predicted_us = d.expected_finish_us - r.arrival_us;
  for (const Stage& st : o.stages) {
    queued_us_[st.processor] += st.service_us;
    snap_.processors[st.processor].queued_work_us = queued_us_[st.processor];
    peak_queue_us_ = std::max(peak_queue_us_, queued_us_[st.processor]);
  }
  Enqueue(slot, 0, now_us);
  return true;
}

void Controller::Enqueue(int64_t slot, int stage, double now_us) {
  const Stage& st = requests_[slot].option->stages[stage];
  const double ready = now_us + (options_.delay_handoffs ? st.handoff_in_us : 0.0);
  queues_[st.processor].push_back({slot, stage, ready});
}

double Controller::NextReadyUs(double now_us) const {
  double t = std::numeric_limits<double>::infinity();
  if (!options_.delay_handoffs) return t;
  for (const auto& q : queues_)
    for (const Pending& p : q)
      if (p.ready_us > now_us) t = std::min(t, p.ready_us);
  return t;
}

bool Controller::HasReadyJob(int p, double now_us, StartKind* start) const {
  bool any = false, later = false, queued = false;
  for (const Pending& pend : queues_[p]) {
    if (pend.ready_us > now_us) continue;
    const double ready = pend.stage == 0 ? requests_[pend.slot].arrival_us : pend.ready_us;
    any = true;
    later = later || pend.stage > 0;
    queued = queued || ready < last_end_us_[p];
  }
  *start = queued ? StartKind::kQueued : later ? StartKind::kIdleLater : StartKind::kIdleFirst;
  return any;
}

void Controller::Unaccount(Request& r) {
  if (r.option == nullptr) return;
  for (size_t s = r.next_stage; s < r.option->stages.size(); ++s) {
    const int p = r.option->stages[s].processor;
    queued_us_[p] = std::max(0.0, queued_us_[p] - r.option->stages[s].service_us);
    snap_.processors[p].queued_work_us = queued_us_[p];
  }
  r.next_stage = static_cast<int>(r.option->stages.size());
}

RequestRecord Controller::RecordOf(const Request& r, double now_us) const {
  RequestRecord rec;
  rec.id = r.id;
  rec.task = r.task;
  rec.sample = r.sample;
  rec.arrival_us = r.arrival_us;
  rec.deadline_us = r.deadline_us;
  rec.finish_us = now_us;
  rec.accuracy_min = r.accuracy_min;
  return rec;
}

void Controller::Finish(Request& r, RequestRecord rec) {
  collector_.Add(std::move(rec));
  r.recorded = true;
  --in_flight_;
  if (!r.running) Release(&r - requests_.data());
}

void Controller::Reject(Request& r, double now_us, const char* reason) {
  Unaccount(r);
  RequestRecord rec = RecordOf(r, now_us);
  rec.served = false;
  rec.reason = reason;
  Finish(r, std::move(rec));
}

void Controller::Release(int64_t slot) {
  Request& r = requests_[slot];
  r.plan.reset();
  r.option = nullptr;
  free_slots_.push_back(slot);
}

bool Controller::by_urgency() const {
  return policy_.dispatcher.config().order != RequestOrder::kFifo;
}

double Controller::WorkAheadUs(int p, double deadline_us, double now_us) const {
  double ahead = 0;
  if (running_[p] >= 0) {
    const Request& r = requests_[running_[p]];
    if (r.option != nullptr && r.next_stage < static_cast<int>(r.option->stages.size())) {
      // Its plan less the time it has run; past its plan, as long again as it has overrun: a job
      // that runs long here is mostly held up (the VM, a cache refill) and tends to run on
      // (docs/scheduling.md "Work stealing").
      const double ran = now_us - running_start_us_[p];
      const double plan = r.option->stages[r.next_stage].service_us;
      ahead = ran <= plan ? plan - ran : ran - plan;
    }
  }
  for (const Pending& pend : queues_[p]) {
    const Request& r = requests_[pend.slot];
    if (r.deadline_us <= deadline_us) ahead += r.option->stages[pend.stage].service_us;
  }
  return ahead;
}

double Controller::StealableSince(int o, double now_us) const {
  return running_[o] >= 0 ? now_us : now_us - options_.late_wake_us;
}

bool Controller::MaySteal(int p, double now_us) const {
  if (!policy_.dispatcher.config().steal || !snap_.processors[p].alive || running_[p] >= 0)
    return false;
  for (int o = 0; o < num_processors(); ++o) {
    if (o == p) continue;
    const double ready_by = StealableSince(o, now_us);
    for (const Pending& pend : queues_[o])
      if (pend.stage == 0 && pend.ready_us <= ready_by) return true;
  }
  return false;
}

bool Controller::Steal(int p, double now_us) {
  if (!snap_.processors[p].alive) return false;
  int from = -1;
  size_t at = 0;
  const Option* to = nullptr;
  double due = std::numeric_limits<double>::infinity();
  for (int o = 0; o < num_processors(); ++o) {
    if (o == p) continue;
    const double ready_by = StealableSince(o, now_us);
    for (size_t k = 0; k < queues_[o].size(); ++k) {
      const Pending& pend = queues_[o][k];
      const Request& r = requests_[pend.slot];
      if (pend.stage != 0 || pend.ready_us > ready_by || r.deadline_us >= due) continue;
      // Where it is: the work ahead of it on o (the running job's expected remainder, the stages
      // due no later, its own), then its later stages. A tie goes to p, which is free now.
      double there = now_us + WorkAheadUs(o, r.deadline_us, now_us);
      for (size_t st = 1; st < r.option->stages.size(); ++st)
        there += r.option->stages[st].service_us;
      const Option* best = nullptr;
      double best_finish = std::numeric_limits<double>::infinity();
      for (const Choice& c : *r.plan) {
        if (c.task != r.task) continue;
        for (const Option& alt : c.options) {
          if (alt.accuracy < r.accuracy_min) continue;
          double finish = now_us;
          bool whole = true;
          for (const Stage& st : alt.stages) {
            whole = whole && st.processor == p;
            finish += st.service_us;
          }
          if (whole && finish < best_finish && finish <= there && finish <= r.deadline_us &&
              Loaded(r.task, alt)) {
            best = &alt;
            best_finish = finish;
          }
        }
      }
      if (best != nullptr) {
        from = o;
        at = k;
        to = best;
        due = r.deadline_us;
      }
    }
  }
  if (from < 0) return false;
  const int64_t slot = queues_[from][at].slot;
  queues_[from].erase(queues_[from].begin() + static_cast<std::ptrdiff_t>(at));
  Request& r = requests_[slot];
  Unaccount(r);
  r.option = to;
  r.next_stage = 0;
  for (const Stage& st : to->stages) {
    queued_us_[st.processor] += st.service_us;
    snap_.processors[st.processor].queued_work_us = queued_us_[st.processor];
  }
  Enqueue(slot, 0, now_us);
  queues_[p].back().ready_us = now_us;  // taken at once: no hand-off into a first stage
  ++steals_;
  return true;
}

bool Controller::Take(int p, double now_us, StageJob* job) {
  last_call_us_ = std::max(last_call_us_, now_us);
  auto& q = queues_[p];
  // A worker that comes for work queued kWakeStallMinUs or more before (while its processor was
  // free) woke that late: a stall (RunMetrics::stalls).
  double queued_at = std::numeric_limits<double>::infinity();
  for (const Pending& pend : q)
    if (pend.ready_us <= now_us) queued_at = std::min(queued_at, pend.ready_us);
  if (const double since = std::max(queued_at, last_end_us_[p]);
      now_us - since >= kWakeStallMinUs && stalls_.size() < kMaxStalls)
    stalls_.push_back({p, since, now_us});
  const bool urgent = by_urgency();
  const bool edf = policy_.dispatcher.config().order == RequestOrder::kEarliestDeadlineFirst;
  for (;;) {
    // FIFO: the first ready continuation (a later stage of a started request: the dispatcher
    // planned it to follow its previous stage), else the first ready job; by urgency: below.
    size_t pick = q.size(), first = q.size();
    for (size_t k = 0; k < q.size() && pick == q.size(); ++k)
      if (q[k].ready_us <= now_us) {
        if (first == q.size()) first = k;
        if (q[k].stage > 0) pick = k;
      }
    if (pick == q.size()) pick = first;
    if (pick == q.size()) {
      if (policy_.dispatcher.config().steal && Steal(p, now_us)) continue;
      return false;
    }
    // By urgency: the ready job with the least slack, or due first; `best` is the pick's slack.
    double best = std::numeric_limits<double>::infinity();
    if (urgent) {
      double best_key = best;
      for (size_t k = 0; k < q.size(); ++k) {
        if (q[k].ready_us > now_us) continue;
        const Request& r = requests_[q[k].slot];
        double left = 0;
        for (size_t s = q[k].stage; s < r.option->stages.size(); ++s)
          left += r.option->stages[s].service_us;
        const double slack = r.deadline_us - now_us - left;
        const double key = edf ? r.deadline_us : slack;
        if (key < best_key) {
          best_key = key;
          best = slack;
          pick = k;
        }
      }
    }
    const Pending pend = q[pick];
    q.erase(q.begin() + static_cast<std::ptrdiff_t>(pick));
    Request& r = requests_[pend.slot];
    const Stage& st = r.option->stages[pend.stage];
    if (urgent && best < 0 && policy_.dispatcher.config().unmeetable == OnUnmeetable::kReject) {
      // Requests due earlier overtook this one since it was dispatched: when it can no longer
      // finish in time (negative slack), reject it now rather than spend processors on a late
      // result.
      Reject(r, now_us, "deadline-unmeetable");
      continue;
    }
    const int K = num_segments(r.task);
    int reserved = st.first_segment;
    int64_t load_bytes = 0;
    for (; reserved < st.end_segment; ++reserved)
      if (!Reserve(r.task, r.option->stitch[reserved] * K + reserved, now_us, &load_bytes)) break;
    if (reserved < st.end_segment) {
      for (int i = st.first_segment; i < reserved; ++i)
        --residency(r.task, r.option->stitch[i] * K + i).in_use;
      Reject(r, now_us, "memory-budget");
      continue;
    }
    if (pend.stage == 0) r.start_us = now_us;
    r.running = true;
    running_[p] = pend.slot;
    running_start_us_[p] = now_us;
    job->slot = pend.slot;
    job->request_id = r.id;
    job->task = r.task;
    job->stage = pend.stage;
    job->processor = p;
    job->first_segment = st.first_segment;
    job->end_segment = st.end_segment;
    job->stitch = &r.option->stitch;
    job->last = pend.stage + 1 == static_cast<int>(r.option->stages.size());
    job->sample = r.sample;
    job->load_bytes = load_bytes;
    job->handoff_in_us = st.handoff_in_us;
    // A first stage could start at its arrival, a later one when it was queued (after the planned
    // hand-off where the caller delays hand-offs): the delay of a later stage on an idle
    // processor is the real hand-off.
    const double ready = pend.stage == 0 ? r.arrival_us : pend.ready_us;
    job->delay_us = std::max(0.0, now_us - std::max(ready, last_end_us_[p]));
    job->start = ready < last_end_us_[p] ? StartKind::kQueued
                 : pend.stage == 0       ? StartKind::kIdleFirst
                                         : StartKind::kIdleLater;
    return true;
  }
  return false;
}

void Controller::ApplySpeeds() {
  const int P = num_processors();
  planned_speed_ = speed_;
  for (size_t t = 0; t < snap_.tasks.size(); ++t) {
    TaskProfile& tp = profile_.tasks[task_profile_[t]];
    for (size_t seg = 0; seg < tp.segments.size(); ++seg)
      for (int p = 0; p < P; ++p) {
        // A segment its processor cannot run (kUnusableLatencyUs), or that failed to load
        // (kBrokenUs), keeps that mark.
        const double base = base_latency_[t][seg * P + p];
        tp.segments[seg].latency_us[p] = base < kUnusableLatencyUs ? base * speed_[t][p] : base;
      }
  }
}

void Controller::ObserveDrift(const StageJob& job, const std::vector<double>& segment_us) {
  const int K = num_segments(job.task);
  const int P = num_processors();
  const int p = job.processor;
  double& speed = speed_[job.task][p];
  for (int i = job.first_segment; i < job.end_segment; ++i) {
    const size_t k = static_cast<size_t>(i - job.first_segment);
    if (k >= segment_us.size() || !(segment_us[k] > 0)) continue;
    const double base =
        base_latency_[job.task][static_cast<size_t>((*job.stitch)[i] * K + i) * P + p];
    if (!(base > 0) || base >= kUnusableLatencyUs) continue;
    const double ratio = std::clamp(segment_us[k] / base, speed / options_.drift_clamp,
                                    speed * options_.drift_clamp);
    speed += options_.drift_alpha * (ratio - speed);
  }
  const double planned = planned_speed_[job.task][p];
  if (std::abs(speed - planned) > options_.drift_threshold * planned) drift_pending_ = true;
}

void Controller::Complete(const StageJob& job, double start_us, double now_us,
                          const std::vector<double>& segment_us, double load_us, bool ok,
                          bool correct, const char* reason) {
  last_call_us_ = std::max(last_call_us_, now_us);
  Request& r = requests_[job.slot];
  const int K = num_segments(job.task);
  for (int i = job.first_segment; i < job.end_segment; ++i) {
    Residency& res = residency(job.task, (*job.stitch)[i] * K + i);
    --res.in_use;
    res.last_use_us = now_us;
  }
  if (ok)  // the job's worker holds their weights
    for (int i = job.first_segment; i < job.end_segment; ++i)
      MarkLoaded(job.task, (*job.stitch)[i] * K + i);
  if (running_[job.processor] == job.slot) running_[job.processor] = -1;
  last_end_us_[job.processor] = std::max(last_end_us_[job.processor], now_us);
  r.running = false;
  if (options_.trace)
    trace_.push_back({job.processor, job.task, job.stage, job.request_id, start_us, now_us,
                      r.option ? r.option->stitch_index : -1});
  if (r.recorded) {  // rejected while running (processor failure, end of run)
    Release(job.slot);
    return;
  }
  const int p = job.processor;
  if (ok && !segment_us.empty()) {
    double compute = 0, planned = 0;
    for (double us : segment_us) compute += us;
    const int P = num_processors();
    for (int i = job.first_segment; i < job.end_segment; ++i)
      planned += base_latency_[job.task][static_cast<size_t>((*job.stitch)[i] * K + i) * P + p];
    if (planned > 0 && compute > 0) {
      const double slow = compute / planned;
      ++timed_jobs_;
      const double overhead = std::max(0.0, now_us - start_us - compute - load_us);
      overhead_sum_ += overhead;
      job_samples_.Add({slow, overhead, load_us, job.delay_us, job.start, start_us, p, job.task});
      slowdown_sum_ += slow;
      log_slowdown_sum_ += std::log(slow);
      log_slowdown_sq_ += std::log(slow) * std::log(slow);
      const double excess = now_us - start_us - load_us - planned;
      if (excess >= kStallMinUs && stalls_.size() < kMaxStalls)
        // From when the job could have started: where in the job the core stopped is not known,
        // and a replayed job drawn a little shorter would otherwise end before the stall and
        // escape it; a start delay just before it is part of the same stretch.
        stalls_.push_back({p, start_us - job.delay_us, start_us + excess});
    }
  }
  queued_us_[p] = std::max(0.0, queued_us_[p] - r.option->stages[job.stage].service_us);
  snap_.processors[p].queued_work_us = queued_us_[p];
  r.next_stage = job.stage + 1;
  r.load_us += load_us;
  if (ok && options_.drift_threshold > 0) ObserveDrift(job, segment_us);
  if (!ok) {
    Reject(r, now_us, reason);
  } else if (job.last) {
    RequestRecord rec = RecordOf(r, now_us);
    rec.served = true;
    rec.start_us = r.start_us;
    rec.stitch_index = r.option->stitch_index;
    if (options_.keep_records) {
      rec.stitch = r.option->stitch;
      rec.placement = r.option->placement;
    }
    rec.predicted_latency_us = r.predicted_us;
    rec.load_us = r.load_us;
    rec.stitch_accuracy = r.option->accuracy;
    rec.correct = correct;
    Finish(r, std::move(rec));
  } else {
    const int next_p = r.option->stages[r.next_stage].processor;
    if (!snap_.processors[next_p].alive)
      Reject(r, now_us, "processor-failed");
    else if (draining_)
      Reject(r, now_us, "run-ended");
    else
      Enqueue(job.slot, r.next_stage, now_us);
  }
  if (drift_pending_ && now_us - last_replan_us_ >= options_.min_replan_interval_us)
    (void)Replan(now_us, "latency-drift");
}

void Controller::FailProcessor(int p, double now_us) {
  if (p < 0 || p >= num_processors() || !snap_.processors[p].alive) return;
  snap_.processors[p].alive = false;
  std::vector<int64_t> redispatch;
  for (const Pending& pend : queues_[p]) {
    Request& r = requests_[pend.slot];
    if (pend.stage == 0 && r.start_us < 0) {
      Unaccount(r);
      r.option = nullptr;
      r.plan.reset();
      redispatch.push_back(pend.slot);
    } else {
      Reject(r, now_us, "processor-failed");
    }
  }
  queues_[p].clear();
  if (running_[p] >= 0) {
    Reject(requests_[running_[p]], now_us, "processor-failed");
    running_[p] = -1;
  }
  (void)Replan(now_us, "processor-lost");
  for (int64_t slot : redispatch) Dispatch(slot, now_us);
}

void Controller::SegmentFailed(int task, int segment, double now_us) {
  if (task < 0 || task >= static_cast<int>(snap_.tasks.size())) return;
  const TaskProfile& tp = profile_.tasks[task_profile_[task]];
  if (segment < 0 || segment >= static_cast<int>(tp.segments.size())) return;
  // No option that needs it is dispatched again, from the plan or from the previous choice kept
  // while the new plan's segments load (make before break). The planning latencies follow
  // base_latency_ (ApplySpeeds, at the replan).
  residency_[task][segment].failed = true;
  const int P = num_processors();
  bool changed = false;
  for (int p = 0; p < P; ++p) {
    double& base = base_latency_[task][static_cast<size_t>(segment) * P + p];
    changed = changed || base < kBrokenUs;
    base = kBrokenUs;
  }
  if (changed) (void)Replan(now_us, "segment-failed");
}

void Controller::Drain(double now_us) {
  draining_ = true;
  for (auto& q : queues_) {
    for (const Pending& pend : q) Reject(requests_[pend.slot], now_us, "run-ended");
    q.clear();
  }
}

double Controller::ExpectedServiceUs(const StageJob& job) const {
  const Request& r = requests_[job.slot];
  return r.option ? r.option->stages[job.stage].service_us : 0;
}

void Controller::FillRunMetrics(RunMetrics* m) const {
  m->policy = policy_.name;
  m->workload = workload_.name;
  m->seed = workload_.seed;
  m->memory_budget_bytes = options_.memory_budget_bytes;
  m->peak_resident_weight_bytes = peak_resident_bytes_;
  m->all_segment_bytes = 0;
  for (const TaskState& t : snap_.tasks)
    for (const SegmentProfile& s : t.profile->segments) m->all_segment_bytes += s.weight_bytes;
  m->segment_loads = loads_;
  m->segment_evictions = evictions_;
  m->replans = replans_;
  m->steals = steals_;
  m->replans_by_cause = replan_causes_;
  m->peak_queue_us = peak_queue_us_;
  m->jobs = timed_jobs_;
  if (timed_jobs_ > 0) {
    const double n = static_cast<double>(timed_jobs_);
    m->job_overhead_us = overhead_sum_ / n;
    m->job_slowdown = slowdown_sum_ / n;
    const double mean_log = log_slowdown_sum_ / n;
    m->job_slowdown_sigma = std::sqrt(std::max(0.0, log_slowdown_sq_ / n - mean_log * mean_log));
    m->job_samples = job_samples_.samples();
  }
  m->pauses = pauses_;
  m->late_admissions = late_admissions_;
  m->stalls = stalls_;
}

}  // namespace sl

#include "runtime/controller.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>

#include "runtime/two_processors.h"
#include "sched/sched_test_util.h"

namespace sl {
namespace {

// Two tasks, 3 variants x 2 segments on 2 processors; variant v is faster and less accurate.
Profile TwoTaskProfile() {
  Profile p;
  p.processors = {{"cpu0", {0}, 1, "cpu", ""}, {"cpu1", {1}, 1, "cpu", ""}};
  for (const char* name : {"pa", "pb"})
    p.tasks.push_back(testing::MakeTask(
        name, 3, 2, 2, [](int v, int i, int q) { return 200.0 - 50 * v + 10 * q + 5 * i; },
        [](int64_t s) { return 0.95 - 0.01 * static_cast<double>(s % 7); }, 5,
        [](int v, int i) { return int64_t{1000} * (v + 1) + 100 * i; }));
  return p;
}

Workload TwoTaskWorkload(double rate_a, double rate_b, double duration_s) {
  const std::string text = R"({"duration_s": )" + std::to_string(duration_s) + R"(, "seed": 5,
    "tasks": [
      {"name": "a", "pool": "pa", "slo": {"latency_ms": 2, "accuracy_min": 0.9},
       "arrival": {"type": "poisson", "rate": )" +
                           std::to_string(rate_a) + R"(}},
      {"name": "b", "pool": "pb", "slo": {"latency_ms": 3, "accuracy_min": 0.9},
       "arrival": {"type": "periodic", "rate": )" +
                           std::to_string(rate_b) + R"(}, "start_s": 0.2}],
    "events": [{"at_s": 0.5, "task": "a", "slo": {"latency_ms": 1}}]})";
  auto w = ParseWorkloadJson(text, "test.json", ".");
  SL_CHECK(w.ok());
  return *w;
}

struct DriveResult {
  int64_t arrivals = 0;
  int64_t max_queue = 0;
  int64_t max_resident = 0;
  bool took_on_failed = false;
};

// A tiny discrete-event loop: processors finish jobs after the profile's expected service.
DriveResult Drive(Controller& c, const Workload& w, double fail_processor_at_us = -1) {
  DriveResult r;
  auto arrivals = GenerateArrivals(w, std::vector<int64_t>(w.tasks.size(), 10));
  SL_CHECK(arrivals.ok());
  r.arrivals = static_cast<int64_t>(arrivals->size());
  auto pre = c.Start(0);
  SL_CHECK(pre.ok());
  const int P = c.num_processors();
  std::vector<StageJob> job(P);
  std::vector<double> busy_until(P, -1), started(P, 0);
  std::vector<bool> failed(P, false);
  size_t next = 0;
  const double inf = std::numeric_limits<double>::infinity();
  bool fail_done = fail_processor_at_us < 0;
  for (;;) {
    double t = next < arrivals->size() ? (*arrivals)[next].time_us : inf;
    for (int p = 0; p < P; ++p)
      if (busy_until[p] >= 0) t = std::min(t, busy_until[p]);
    t = std::min(t, c.NextChangeUs());
    if (!fail_done) t = std::min(t, fail_processor_at_us);
    if (t == inf) break;
    SL_CHECK(c.Advance(t).ok());
    if (!fail_done && t >= fail_processor_at_us) {
      c.FailProcessor(0, t);
      failed[0] = true;
      busy_until[0] = -1;
      fail_done = true;
    }
    for (int p = 0; p < P; ++p)
      if (busy_until[p] >= 0 && busy_until[p] <= t) {
        busy_until[p] = -1;
        c.Complete(job[p], started[p], t, {}, 0, true, job[p].sample % 2 == 0);
      }
    while (next < arrivals->size() && (*arrivals)[next].time_us <= t)
      c.Admit((*arrivals)[next++], t);
    for (int p = 0; p < P; ++p) {
      if (busy_until[p] >= 0) continue;
      if (c.Take(p, t, &job[p])) {
        r.took_on_failed = r.took_on_failed || failed[p];
        started[p] = t;
        busy_until[p] = t + c.ExpectedServiceUs(job[p]);
      }
    }
    r.max_resident = std::max(r.max_resident, c.resident_bytes());
    (void)c.TakeEvictions();
    for (const SegmentKey& k : c.TakePreloads()) c.SegmentLoaded(k.task, k.segment);  // at once
  }
  c.Drain(1e18);
  return r;
}

void ExpectCountsAddUp(const Controller& c, const DriveResult& r) {
  RunMetrics m;
  c.collector().Finish(1, &m);
  EXPECT_EQ(m.overall.requests, r.arrivals);
  EXPECT_EQ(m.overall.served + m.overall.rejected, m.overall.requests);
  int64_t by_reason = 0;
  for (const auto& [k, n] : m.overall.rejected_by_reason) by_reason += n;
  EXPECT_EQ(by_reason, m.overall.rejected);
  EXPECT_TRUE(c.idle());
  int64_t per_task = 0;
  for (const TaskMetrics& t : m.tasks) per_task += t.requests;
  EXPECT_EQ(per_task, m.overall.requests);
}

TEST(Controller, EveryRequestEndsInExactlyOneRecord) {
  for (const std::string& policy : PolicyNames()) {
    SCOPED_TRACE(policy);
    Workload w = TwoTaskWorkload(800, 500, 1.0);
    auto pol = MakePolicy(policy);
    ASSERT_TRUE(pol.ok());
    ControllerOptions o;
    o.keep_records = true;
    auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {}, o);
    ASSERT_TRUE(c.ok()) << c.status().message();
    DriveResult r = Drive(**c, w);
    ExpectCountsAddUp(**c, r);
    RunMetrics m;
    (*c)->collector().Finish(1, &m);
    EXPECT_GT(m.overall.served, r.arrivals / 2);
    // Records are unique by id and served ones carry a stitch meeting the floor.
    std::vector<bool> seen(r.arrivals, false);
    for (const RequestRecord& rec : (*c)->collector().records()) {
      ASSERT_LT(rec.id, r.arrivals);
      EXPECT_FALSE(seen[rec.id]);
      seen[rec.id] = true;
      if (rec.served) {
        EXPECT_GE(rec.finish_us, rec.start_us);
        EXPECT_GE(rec.start_us, rec.arrival_us);
        EXPECT_EQ(rec.stitch.size(), 2u);
      }
    }
    (*c)->FillRunMetrics(&m);
    EXPECT_GE(m.replans, 3);  // start, task b starts, SLO change
    EXPECT_EQ(m.replans_by_cause["slo-change"], 1);
  }
}

TEST(Controller, OverloadKeepsQueuesBoundedAndLosesNothing) {
  Workload w = TwoTaskWorkload(40000, 40000, 0.5);  // ~10x what two processors serve
  for (OnUnmeetable mode : {OnUnmeetable::kReject, OnUnmeetable::kBestEffort}) {
    PolicyOptions po;
    po.unmeetable = mode;
    auto pol = MakePolicy("sparseloom", po);
    ASSERT_TRUE(pol.ok());
    ControllerOptions o;
    o.max_queued_jobs = 64;
    auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {}, o);
    ASSERT_TRUE(c.ok());
    DriveResult r = Drive(**c, w);
    ExpectCountsAddUp(**c, r);
    RunMetrics m;
    (*c)->collector().Finish(0.5, &m);
    (*c)->FillRunMetrics(&m);
    EXPECT_GT(m.overall.rejected, r.arrivals / 2);
    EXPECT_LT(m.peak_queue_us, 64 * 2 * 300.0);  // bounded by the job cap
  }
}

TEST(Controller, LeastSlackFirstServesAndAccountsEveryRequest) {
  Workload w = TwoTaskWorkload(3000, 2000, 1.0);
  PolicyOptions po;
  po.order = RequestOrder::kLeastSlackFirst;
  for (const char* policy : {"sparseloom", "sv-ao-p"}) {
    auto pol = MakePolicy(policy, po);
    ASSERT_TRUE(pol.ok());
    auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {}, {});
    ASSERT_TRUE(c.ok());
    DriveResult r = Drive(**c, w);
    ExpectCountsAddUp(**c, r);
    RunMetrics m;
    (*c)->collector().Finish(1, &m);
    EXPECT_GT(m.overall.served, r.arrivals / 2) << policy;
  }
}

// One processor; task "slow" (1000 us per request, bound 100 ms) and task "fast" (100 us, bound
// 1.5 ms), one variant and one segment each.
struct OneProcessor {
  Profile profile;
  Workload workload;
  OneProcessor(double slow_bound_ms) {
    profile.processors = {{"cpu0", {0}, 1, "cpu", ""}};
    for (const char* name : {"slow", "fast"}) {
      const double us = name[0] == 's' ? 1000 : 100;
      profile.tasks.push_back(testing::MakeTask(
          name, 1, 1, 1, [us](int, int, int) { return us; }, [](int64_t) { return 0.9; }));
    }
    auto w = ParseWorkloadJson(R"({"duration_s": 1, "seed": 1, "tasks": [
      {"name": "slow", "pool": "slow", "slo": {"latency_ms": )" +
                                   std::to_string(slow_bound_ms) + R"(, "accuracy_min": 0.5},
       "arrival": {"type": "periodic", "rate": 1}},
      {"name": "fast", "pool": "fast", "slo": {"latency_ms": 1.5, "accuracy_min": 0.5},
       "arrival": {"type": "periodic", "rate": 1}}]})",
                               "test.json", ".");
    SL_CHECK(w.ok());
    workload = *w;
  }
  std::unique_ptr<Controller> Make(std::optional<RequestOrder> order) const {
    PolicyOptions po;
    po.order = order;
    auto pol = MakePolicy("sv-ao-np", po);
    SL_CHECK(pol.ok());
    ControllerOptions o;
    o.keep_records = true;
    auto c = Controller::Create(workload, profile, std::move(pol).value(), {}, o);
    SL_CHECK(c.ok());
    SL_CHECK((*c)->Start(0).ok());
    return std::move(c).value();
  }
};

const RequestRecord* RecordOf(const Controller& c, int64_t id) {
  for (const RequestRecord& r : c.collector().records())
    if (r.id == id) return &r;
  return nullptr;
}

// Three slow requests queue 3 ms of work; a fast one due in 1.5 ms arrives. In arrival order it
// cannot make it and is rejected at once; least slack first serves it after the running job, so
// the dispatcher counts only that job's remainder and admits it, and the processor takes it next.
TEST(Controller, LeastSlackFirstAdmitsAnUrgentRequestAheadOfLaterOnes) {
  const OneProcessor setup(100);
  for (RequestOrder order : {RequestOrder::kFifo, RequestOrder::kLeastSlackFirst,
                             RequestOrder::kEarliestDeadlineFirst}) {
    auto c = setup.Make(order);
    StageJob job;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(c->Admit({0, 0, 0}, 0));
    ASSERT_TRUE(c->Take(0, 0, &job));  // slow request 0 runs until 1000 us
    EXPECT_EQ(c->Admit({200, 1, 0}, 200), order != RequestOrder::kFifo);
    c->Complete(job, 0, 1000, {}, 0, true, true);
    ASSERT_TRUE(c->Take(0, 1000, &job));
    if (order == RequestOrder::kFifo) {
      EXPECT_EQ(job.task, 0);
      ASSERT_NE(RecordOf(*c, 3), nullptr);
      EXPECT_EQ(RecordOf(*c, 3)->reason, "deadline-unmeetable");
    } else {
      EXPECT_EQ(job.task, 1);
      EXPECT_EQ(job.request_id, 3);
    }
  }
}

// A slow request due at 2.45 ms is admitted behind a running one (finish expected at 2 ms); then
// five urgent fast requests overtake it. When its turn comes at 1.5 ms it can no longer finish in
// time: least slack first rejects it then instead of running it late.
TEST(Controller, LeastSlackFirstRejectsARequestOvertakenPastItsDeadline) {
  for (RequestOrder order :
       {RequestOrder::kLeastSlackFirst, RequestOrder::kEarliestDeadlineFirst}) {
    const OneProcessor setup(2.45);
    auto c = setup.Make(order);
    StageJob job;
    EXPECT_TRUE(c->Admit({0, 0, 0}, 0));
    ASSERT_TRUE(c->Take(0, 0, &job));
    EXPECT_TRUE(c->Admit({0, 0, 1}, 0));  // request 1: expected finish 2000 us, due 2450 us
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(c->Admit({10, 1, i}, 10));
    double t = 1000;
    c->Complete(job, 0, t, {}, 0, true, true);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(c->Take(0, t, &job));
      EXPECT_EQ(job.task, 1);
      c->Complete(job, t, t + 100, {}, 0, true, true);
      t += 100;
    }
    EXPECT_FALSE(c->Take(0, t, &job));  // request 1 would end at 2500 us
    ASSERT_NE(RecordOf(*c, 1), nullptr);
    EXPECT_FALSE(RecordOf(*c, 1)->served);
    EXPECT_EQ(RecordOf(*c, 1)->reason, "deadline-unmeetable");
    EXPECT_TRUE(c->idle());
  }
}

// Where the two urgency orders differ. At 1 ms a slow request due at 2.5 ms (1 ms of work, slack
// 0.5 ms) and a fast one due at 1.7 ms (0.1 ms of work, slack 0.6 ms) wait. Least slack first runs
// the slow one first, and the fast one can then no longer make it; earliest deadline first runs
// the fast one first, and both finish in time.
TEST(Controller, EarliestDeadlineFirstServesTheRequestDueFirst) {
  const OneProcessor setup(2.5);
  for (RequestOrder order :
       {RequestOrder::kLeastSlackFirst, RequestOrder::kEarliestDeadlineFirst}) {
    auto c = setup.Make(order);
    StageJob job;
    EXPECT_TRUE(c->Admit({0, 0, 0}, 0));
    ASSERT_TRUE(c->Take(0, 0, &job));         // slow request 0 runs until 1000 us
    EXPECT_TRUE(c->Admit({0, 0, 1}, 0));      // slow request 1: due 2500 us
    EXPECT_TRUE(c->Admit({200, 1, 2}, 200));  // fast request 2: due 1700 us
    c->Complete(job, 0, 1000, {}, 0, true, true);
    ASSERT_TRUE(c->Take(0, 1000, &job));
    const bool edf = order == RequestOrder::kEarliestDeadlineFirst;
    EXPECT_EQ(job.task, edf ? 1 : 0);
    const double end = edf ? 1100 : 2000;
    c->Complete(job, 1000, end, {}, 0, true, true);
    ASSERT_EQ(c->Take(0, end, &job), edf);  // under least slack first the fast one is rejected
    if (edf) c->Complete(job, end, end + 1000, {}, 0, true, true);
    RunMetrics m;
    c->collector().Finish(1, &m);
    EXPECT_EQ(m.overall.violations, edf ? 0 : 1) << (edf ? "edf" : "lsf");
    EXPECT_TRUE(c->idle());
  }
}

using testing::TwoProcessors;

// A request waits behind a job that runs past its plan while the other processor falls idle:
// SparseLoom moves it there (work stealing); the baselines leave it where it was dispatched.
TEST(Controller, AnIdleProcessorStealsARequestWaitingBehindALongJob) {
  const TwoProcessors setup(100);
  for (const std::string policy : {"sparseloom", "sv-lo-np"}) {
    SCOPED_TRACE(policy);
    auto c = setup.Make(policy);
    StageJob j[2], job;
    ASSERT_TRUE(c->Admit({0, 0, 0}, 0));
    ASSERT_TRUE(c->Admit({0, 0, 1}, 0));
    ASSERT_EQ(c->queue_length(0), 1u);  // one on each processor (earliest expected finish)
    ASSERT_EQ(c->queue_length(1), 1u);
    ASSERT_TRUE(c->Take(0, 0, &j[0]));
    ASSERT_TRUE(c->Take(1, 0, &j[1]));
    ASSERT_TRUE(c->Admit({10, 0, 2}, 10));
    const int q = c->queue_length(0) == 1 ? 0 : 1, o = 1 - q;
    ASSERT_EQ(c->queue_length(q), 1u);
    c->Complete(j[o], 0, 100, {}, 0, true, true);  // on plan; the job on q runs on
    const bool sparseloom = policy == "sparseloom";
    ASSERT_EQ(c->Take(o, 100, &job), sparseloom);
    if (sparseloom) {
      EXPECT_EQ(job.request_id, 2);
      EXPECT_EQ(job.processor, o);
      EXPECT_EQ(c->queue_length(q), 0u);
      c->Complete(job, 100, 200, {}, 0, true, true);
    }
    c->Complete(j[q], 0, 400, {}, 0, true, true);
    if (!sparseloom) {
      ASSERT_TRUE(c->Take(q, 400, &job));
      EXPECT_EQ(job.request_id, 2);
      c->Complete(job, 400, 500, {}, 0, true, true);
    }
    EXPECT_TRUE(c->idle());
    RunMetrics m;
    c->collector().Finish(1, &m);
    c->FillRunMetrics(&m);
    EXPECT_EQ(m.overall.served, 3);
    EXPECT_EQ(m.steals, sparseloom ? 1 : 0);
  }
}

// Under earliest deadline first a job that runs past its plan is expected to run as long again as
// it has overrun: a request arriving then goes to the other processor, free by then, although
// both would be free at once by the plan.
TEST(Controller, DispatchExpectsAJobPastItsPlanToRunOn) {
  const TwoProcessors setup(100);
  auto c = setup.Make("sparseloom");
  StageJob j[2];
  ASSERT_TRUE(c->Admit({0, 0, 0}, 0));
  ASSERT_TRUE(c->Admit({0, 0, 1}, 0));
  ASSERT_TRUE(c->Take(0, 0, &j[0]));
  ASSERT_TRUE(c->Take(1, 0, &j[1]));
  c->Complete(j[1], 0, 100, {}, 0, true, true);
  c->Complete(j[0], 0, 100, {}, 0, true, true);
  ASSERT_TRUE(c->Admit({150, 0, 2}, 150));
  const int first = c->queue_length(0) == 1 ? 0 : 1;  // where a tie goes
  StageJob job;
  ASSERT_TRUE(c->Take(first, 150, &job));  // planned to end at 250; still running at 450
  ASSERT_TRUE(c->Admit({450, 0, 3}, 450));
  EXPECT_EQ(c->queue_length(first), 0u);
  EXPECT_EQ(c->queue_length(1 - first), 1u);
}

// No steal when the idle processor would finish later than waiting: cpu1 takes 1 ms, the request
// ends 200 us after the running job's planned end on cpu0.
TEST(Controller, NoStealWhenTheIdleProcessorWouldFinishLater) {
  const TwoProcessors setup(1000);
  auto c = setup.Make("sparseloom");
  StageJob job;
  ASSERT_TRUE(c->Admit({0, 0, 0}, 0));
  ASSERT_TRUE(c->Take(0, 0, &job));
  ASSERT_TRUE(c->Admit({10, 0, 1}, 10));
  ASSERT_EQ(c->queue_length(0), 1u);
  EXPECT_FALSE(c->Take(1, 150, &job));
  EXPECT_EQ(c->queue_length(0), 1u);
}

// SparseLoom serves earliest deadline first unless told otherwise; the baselines arrival order.
TEST(Controller, EachPolicyHasItsOwnOrderUnlessOneIsGiven) {
  for (const std::string& policy : PolicyNames()) {
    auto own = MakePolicy(policy);
    ASSERT_TRUE(own.ok());
    EXPECT_EQ(own->dispatcher.config().order,
              policy == "sparseloom" ? RequestOrder::kEarliestDeadlineFirst : RequestOrder::kFifo)
        << policy;
    for (RequestOrder order : {RequestOrder::kFifo, RequestOrder::kLeastSlackFirst,
                               RequestOrder::kEarliestDeadlineFirst}) {
      PolicyOptions po;
      po.order = order;
      auto given = MakePolicy(policy, po);
      ASSERT_TRUE(given.ok());
      EXPECT_EQ(given->dispatcher.config().order, order) << policy;
    }
  }
}

// sv-lo-np on two processors: task a has an accuracy floor of 0.949 until 0.5 s (only variant 0
// meets it) and 0.5 after (then the fastest, variant 2); task b starts at 0.3 s.
struct PlanSwitch {
  Workload workload;
  std::unique_ptr<Controller> c;
  PlanSwitch() {
    auto w = ParseWorkloadJson(R"({"duration_s": 1, "seed": 1, "tasks": [
      {"name": "a", "pool": "pa", "slo": {"latency_ms": 5, "accuracy_min": 0.949},
       "arrival": {"type": "periodic", "rate": 100}},
      {"name": "b", "pool": "pb", "slo": {"latency_ms": 5, "accuracy_min": 0.5},
       "arrival": {"type": "periodic", "rate": 100}, "start_s": 0.3}],
      "events": [{"at_s": 0.5, "task": "a", "slo": {"accuracy_min": 0.5}}]})",
                               "test.json", ".");
    SL_CHECK(w.ok());
    workload = *w;
    auto pol = MakePolicy("sv-lo-np");
    SL_CHECK(pol.ok());
    auto made = Controller::Create(workload, TwoTaskProfile(), std::move(pol).value(), {}, {});
    SL_CHECK(made.ok());
    c = std::move(made).value();
  }
  // Admits a request of `task` at t and runs it on whichever processor takes it; returns its
  // stitch.
  std::vector<int> Serve(int task, double t, int64_t* load_bytes = nullptr) {
    EXPECT_TRUE(c->Admit({t, task, 0}, t));
    StageJob job;
    std::vector<int> stitch;
    for (int p = 0; p < 2; ++p)
      while (c->Take(p, t, &job)) {
        if (stitch.empty()) stitch = *job.stitch;
        if (load_bytes != nullptr) *load_bytes += job.load_bytes;
        c->Complete(job, t, t + 1, {}, 0, true, true);
      }
    return stitch;
  }
};

// Make before break: after the replan at 0.5 s, task a is served with its previous stitch until the
// new stitch's segments are reported loaded, and with the new one from then on.
TEST(Controller, ATaskKeepsItsStitchUntilTheNewPlansSegmentsAreLoaded) {
  PlanSwitch s;
  auto pre = s.c->Start(0);
  ASSERT_TRUE(pre.ok());
  (void)s.c->TakePreloads();
  const std::vector<int> before = s.Serve(0, 1000);
  ASSERT_TRUE(s.c->Advance(0.3e6).ok());
  (void)s.c->TakePreloads();
  ASSERT_TRUE(s.c->Advance(0.5e6).ok());
  const std::vector<SegmentKey> loads = s.c->TakePreloads();
  ASSERT_FALSE(loads.empty());  // the new plan needs segments that are not loaded
  EXPECT_EQ(s.Serve(0, 0.5e6 + 10), before);
  for (const SegmentKey& k : loads) s.c->SegmentLoaded(k.task, k.segment);
  const std::vector<int> after = s.Serve(0, 0.5e6 + 20);
  EXPECT_NE(after, before);
  EXPECT_EQ(s.Serve(0, 0.5e6 + 30), after);
}

// Task b starts at 0.3 s: Start plans it ahead and returns its segments with the first plan's (the
// caller loads them before the clock starts), so its first request loads nothing.
TEST(Controller, ATaskThatStartsLaterIsLoadedAtStart) {
  PlanSwitch s;
  auto pre = s.c->Start(0);
  ASSERT_TRUE(pre.ok());
  int of_b = 0;
  for (const SegmentKey& k : *pre) of_b += k.task == 1;
  EXPECT_GT(of_b, 0);
  ASSERT_TRUE(s.c->Advance(0.3e6).ok());
  for (const SegmentKey& k : s.c->TakePreloads()) EXPECT_NE(k.task, 1);
  int64_t loaded = 0;
  EXPECT_FALSE(s.Serve(1, 0.3e6, &loaded).empty());
  EXPECT_EQ(loaded, 0);
}

TEST(Controller, MemoryBudgetIsNeverExceeded) {
  Workload w = TwoTaskWorkload(800, 500, 1.0);
  for (int64_t budget : {int64_t{2500}, int64_t{5000}, int64_t{9000}}) {
    auto pol = MakePolicy("sparseloom");
    ASSERT_TRUE(pol.ok());
    ControllerOptions o;
    o.memory_budget_bytes = budget;
    auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {}, o);
    ASSERT_TRUE(c.ok());
    DriveResult r = Drive(**c, w);
    ExpectCountsAddUp(**c, r);
    EXPECT_LE(r.max_resident, budget);
    RunMetrics m;
    (*c)->FillRunMetrics(&m);
    EXPECT_LE(m.peak_resident_weight_bytes, budget);
    EXPECT_GT(m.peak_resident_weight_bytes, 0);
  }
}

TEST(Controller, WithoutABudgetEvictsWhatLeavesThePlanOnlyWhenAsked) {
  // Task b starts at 0.2 s and a's bound tightens at 0.5 s: replans with different plans.
  Workload w = TwoTaskWorkload(800, 500, 1.0);
  RunMetrics kept, evicted;
  for (bool evict : {false, true}) {
    auto pol = MakePolicy("sparseloom");
    ASSERT_TRUE(pol.ok());
    PreloaderConfig pc = SparseLoomPreloaderConfig();
    pc.evict_outside_plan = evict;
    pol->preloader = Preloader(pc);
    auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {}, {});
    ASSERT_TRUE(c.ok());
    DriveResult r = Drive(**c, w);
    ExpectCountsAddUp(**c, r);
    (*c)->FillRunMetrics(evict ? &evicted : &kept);
  }
  EXPECT_EQ(kept.segment_evictions, 0);
  EXPECT_GT(evicted.segment_evictions, 0);
  EXPECT_LE(evicted.peak_resident_weight_bytes, kept.peak_resident_weight_bytes);
  EXPECT_GT(evicted.peak_resident_weight_bytes, 0);
}

TEST(Controller, ProcessorFailureReplansAndLosesNothing) {
  Workload w = TwoTaskWorkload(800, 500, 1.0);
  auto pol = MakePolicy("sparseloom");
  ASSERT_TRUE(pol.ok());
  auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {}, {});
  ASSERT_TRUE(c.ok());
  DriveResult r = Drive(**c, w, 0.3e6);
  ExpectCountsAddUp(**c, r);
  EXPECT_FALSE(r.took_on_failed);
  RunMetrics m;
  (*c)->collector().Finish(1, &m);
  (*c)->FillRunMetrics(&m);
  EXPECT_EQ(m.replans_by_cause["processor-lost"], 1);
  EXPECT_GT(m.overall.served, r.arrivals / 3);  // the other processor goes on serving
}

// Task "a" alone under `policy` on cpu0, started at 0, for `duration_s`.
std::unique_ptr<Controller> OneTaskOnCpu0(const std::string& policy, double duration_s) {
  Workload w = TwoTaskWorkload(1000, 1, duration_s);
  w.tasks.resize(1);
  w.events.clear();
  auto pol = MakePolicy(policy);
  SL_CHECK(pol.ok());
  auto c = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {"cpu0"}, {});
  SL_CHECK(c.ok());
  SL_CHECK((*c)->Start(0).ok());
  return std::move(c).value();
}

TEST(Controller, MeasuresEachJobsStartDelay) {
  // One task on one processor, whole-model jobs: two requests arrive at 0 and 10 us; the first
  // starts 30 us late, the second 7 us after the first ends. Timed jobs keep their delays.
  auto c = OneTaskOnCpu0("sv-ao-np", 1.0);
  ASSERT_TRUE(c->Admit({0.0, 0, 0}, 0));
  ASSERT_TRUE(c->Admit({10.0, 0, 1}, 10));
  StageJob a, b;
  ASSERT_TRUE(c->Take(0, 30, &a));
  EXPECT_DOUBLE_EQ(a.delay_us, 30);
  EXPECT_EQ(a.start, StartKind::kIdleFirst);
  ASSERT_TRUE(a.last);
  const double service = c->ExpectedServiceUs(a);
  c->Complete(a, 30, 30 + service, {service}, 0, true, true);
  ASSERT_TRUE(c->Take(0, 37 + service, &b));
  EXPECT_DOUBLE_EQ(b.delay_us, 7);
  EXPECT_EQ(b.start, StartKind::kQueued);  // it arrived while the first one ran
  c->Complete(b, 37 + service, 37 + 2 * service, {service}, 0, true, true);
  RunMetrics m;
  c->collector().Finish(1, &m);
  c->FillRunMetrics(&m);
  ASSERT_EQ(m.job_samples.size(), 2u);
  EXPECT_DOUBLE_EQ(m.job_samples[0].delay_us, 30);
  EXPECT_DOUBLE_EQ(m.job_samples[1].delay_us, 7);
  EXPECT_EQ(m.job_samples[1].start, StartKind::kQueued);
  EXPECT_DOUBLE_EQ(m.job_samples[0].at_us, 30);  // when and where each job ran, for a timed replay
  EXPECT_DOUBLE_EQ(m.job_samples[1].at_us, 37 + service);
  EXPECT_EQ(m.job_samples[1].processor, 0);
}

// Runs `jobs` requests of task 0 one after another on cpu0, each segment taking its profiled time
// times factor(j), 10 ms apart (past the 2 s between drift replans within the run).
void RunTimedJobs(Controller& c, int jobs, const std::function<double(int)>& factor) {
  const Profile base = TwoTaskProfile();
  for (int j = 0; j < jobs; ++j) {
    const double t = 1e4 * (j + 1);
    ASSERT_TRUE(c.Admit({t, 0, j}, t));
    StageJob job;
    while (c.Take(0, t, &job)) {
      std::vector<double> us;
      for (int i = job.first_segment; i < job.end_segment; ++i)
        us.push_back(base.tasks[0].segment((*job.stitch)[i], i).latency_us[0] * factor(j));
      double total = 0;
      for (double u : us) total += u;
      c.Complete(job, t, t + total, us, 0, true, true);
    }
  }
}

int64_t DriftReplans(const Controller& c) {
  RunMetrics m;
  c.FillRunMetrics(&m);
  auto it = m.replans_by_cause.find("latency-drift");
  return it == m.replans_by_cause.end() ? 0 : it->second;
}

TEST(Controller, JobTimeNoiseDoesNotReplan) {
  auto c = OneTaskOnCpu0("sparseloom", 10.0);
  // Single jobs 25% off either way, as on a noisy VM: the speed ratio stays near 1.
  RunTimedJobs(*c, 600, [](int j) { return j % 2 == 0 ? 0.75 : 1.25; });
  EXPECT_EQ(DriftReplans(*c), 0);
}

TEST(Controller, ASlowerProcessorScalesEverySegmentOfTheTaskThere) {
  auto c = OneTaskOnCpu0("sparseloom", 10.0);
  RunTimedJobs(*c, 600, [](int) { return 1.5; });
  EXPECT_GE(DriftReplans(*c), 1);
  // Every segment of the task on cpu0 is planned 1.5x slower (within the smoothing's lag),
  // including variants that never ran; cpu1's latencies are untouched.
  const Profile base = TwoTaskProfile();
  const TaskProfile& now = c->profile().tasks[0];
  for (size_t s = 0; s < now.segments.size(); ++s) {
    EXPECT_NEAR(now.segments[s].latency_us[0] / base.tasks[0].segments[s].latency_us[0], 1.5, 0.1)
        << "segment " << s;
    EXPECT_DOUBLE_EQ(now.segments[s].latency_us[1], base.tasks[0].segments[s].latency_us[1]);
  }
}

// A job the machine stalled (here one in 50 at 60x its profiled time) moves the speed ratio as a
// job twice as slow would: no replan, and the task's segments keep their planned latency there.
// A lasting slowdown beyond that factor is still followed, in steps.
TEST(Controller, StalledJobsDoNotDriveATaskOffItsProcessor) {
  auto c = OneTaskOnCpu0("sparseloom", 10.0);
  RunTimedJobs(*c, 600, [](int j) { return j % 50 == 49 ? 60.0 : 1.0; });
  EXPECT_EQ(DriftReplans(*c), 0);
  const Profile base = TwoTaskProfile();
  EXPECT_NEAR(
      c->profile().tasks[0].segments[0].latency_us[0] / base.tasks[0].segments[0].latency_us[0],
      1.0, 0.05);
  auto slow = OneTaskOnCpu0("sparseloom", 10.0);
  RunTimedJobs(*slow, 1500, [](int) { return 3.0; });
  EXPECT_GE(DriftReplans(*slow), 1);
  EXPECT_NEAR(
      slow->profile().tasks[0].segments[0].latency_us[0] / base.tasks[0].segments[0].latency_us[0],
      3.0, 0.2);
}

TEST(Controller, RejectsUnknownPoolsAndProcessors) {
  Workload w = TwoTaskWorkload(10, 10, 1);
  auto pol = MakePolicy("sparseloom");
  ASSERT_TRUE(pol.ok());
  auto bad = Controller::Create(w, TwoTaskProfile(), std::move(pol).value(), {"cpu7"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cpu7"), std::string::npos);
  w.tasks[1].pool = "nope";
  auto pol2 = MakePolicy("sparseloom");
  auto bad2 = Controller::Create(w, TwoTaskProfile(), std::move(pol2).value(), {}, {});
  ASSERT_FALSE(bad2.ok());
  EXPECT_NE(bad2.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace sl

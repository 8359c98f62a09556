// What the controller records for the simulator's timed replay (pauses, stalls, each job's task)
// and how it steals work from a worker that is late to wake.
#include <gtest/gtest.h>

#include "runtime/controller.h"
#include "runtime/two_processors.h"

namespace sl {
namespace {

using testing::TwoProcessors;

RunMetrics Metrics(Controller& c) {
  RunMetrics m;
  c.collector().Finish(1, &m);
  c.FillRunMetrics(&m);
  return m;
}

// Arrivals admitted kPauseMinUs or more after their time mark a pause until their admission; a
// later one that arrived inside it extends it; punctual ones mark nothing. The process stopped
// somewhere between its last call before and the arrival: the pause starts halfway.
TEST(ControllerStalls, ALateAdmissionIsAPause) {
  const TwoProcessors setup(100);
  auto c = setup.Make("sv-lo-np");
  ASSERT_TRUE(c->Admit({0, 0, 0}, kPauseMinUs - 1));  // late, but not by a pause
  ASSERT_TRUE(c->Admit({100, 0, 1}, 100 + kPauseMinUs));
  ASSERT_TRUE(c->Admit({300, 0, 2}, 300 + kPauseMinUs));  // arrived inside: the same pause
  ASSERT_TRUE(c->Admit({9000, 0, 3}, 9000));
  ASSERT_TRUE(c->Admit({10000, 0, 4}, 10000 + 2 * kPauseMinUs));
  const RunMetrics m = Metrics(*c);
  ASSERT_EQ(m.pauses.size(), 2u);
  EXPECT_DOUBLE_EQ(m.pauses[0].start_us, 100);  // the last call (at 1199 us) came after it
  EXPECT_DOUBLE_EQ(m.pauses[0].end_us, 300 + kPauseMinUs);
  EXPECT_DOUBLE_EQ(m.pauses[1].start_us, 9500);  // halfway from the last call at 9000 us
  EXPECT_DOUBLE_EQ(m.pauses[1].end_us, 10000 + 2 * kPauseMinUs);
  const std::string json = m.ToJson();
  EXPECT_NE(json.find("\"pauses\":[[0.1,"), std::string::npos) << json.substr(0, 400);
}

// An arrival admitted kLateAdmitMinUs or more late while a worker sat idle throughout is a late
// admission (its worker woke late); as late while every worker was busy, it is not.
TEST(ControllerStalls, AnIdleWorkerLateToAdmitIsALateAdmission) {
  const TwoProcessors setup(100);
  auto c = setup.Make("sv-lo-np");
  ASSERT_TRUE(c->Admit({0, 0, 0}, kLateAdmitMinUs));
  StageJob a, b;
  const int p = c->queue_length(0) == 1 ? 0 : 1;
  ASSERT_TRUE(c->Take(p, kLateAdmitMinUs, &a));
  ASSERT_TRUE(c->Admit({1000, 0, 1}, 1000));
  ASSERT_TRUE(c->Take(1 - p, 1000, &b));  // both busy now
  ASSERT_TRUE(c->Admit({1100, 0, 2}, 1100 + kLateAdmitMinUs + 50));
  const RunMetrics m = Metrics(*c);
  ASSERT_EQ(m.late_admissions.size(), 1u);
  EXPECT_DOUBLE_EQ(m.late_admissions[0].start_us, 0);
  EXPECT_DOUBLE_EQ(m.late_admissions[0].end_us, kLateAdmitMinUs);
  EXPECT_TRUE(m.pauses.empty());
  EXPECT_NE(m.ToJson().find("\"late_admissions\":[[0,"), std::string::npos);
}

// A job that takes kStallMinUs or more beyond its profiled compute stalled its processor for that
// long, counted from when it could have started (its start delay included); a worker that comes
// kWakeStallMinUs or more after work was queued for its free processor woke that late. Each job
// sample carries its task.
TEST(ControllerStalls, SlowJobsAndLateWakeUpsAreStalls) {
  const TwoProcessors setup(100);
  auto c = setup.Make("sv-lo-np");
  StageJob job;
  ASSERT_TRUE(c->Admit({0, 0, 0}, 0));
  const int p = c->queue_length(0) == 1 ? 0 : 1;
  ASSERT_TRUE(c->Take(p, 40, &job));  // woke 40 us late: no stall
  const double slow_end = 40 + 100 + kStallMinUs + 20;
  c->Complete(job, 40, slow_end, {100 + kStallMinUs + 20}, 0, true, true);
  ASSERT_TRUE(c->Admit({2000, 0, 1}, 2000));
  const int q = c->queue_length(0) == 1 ? 0 : 1;
  ASSERT_TRUE(c->Take(q, 2000 + kWakeStallMinUs + 5, &job));
  const double start = 2000 + kWakeStallMinUs + 5;
  c->Complete(job, start, start + 100 + kStallMinUs - 1, {100 + kStallMinUs - 1}, 0, true, true);
  const RunMetrics m = Metrics(*c);
  ASSERT_EQ(m.stalls.size(), 2u);
  EXPECT_EQ(m.stalls[0].processor, p);
  EXPECT_DOUBLE_EQ(m.stalls[0].start_us, 0);  // it arrived at 0, its worker came at 40 us
  EXPECT_DOUBLE_EQ(m.stalls[0].end_us, 40 + kStallMinUs + 20);
  EXPECT_EQ(m.stalls[1].processor, q);
  EXPECT_DOUBLE_EQ(m.stalls[1].start_us, 2000);
  EXPECT_DOUBLE_EQ(m.stalls[1].end_us, start);
  ASSERT_EQ(m.job_samples.size(), 2u);
  EXPECT_EQ(m.job_samples[0].task, 0);
  EXPECT_NE(m.ToJson().find("\"stalls\":[["), std::string::npos);
}

// A request queued on an idle processor whose worker has not come for it within late_wake_us is
// taken by a free processor (SparseLoom steals; the baselines leave it where it was dispatched).
TEST(ControllerStalls, AFreeProcessorTakesWorkAnIdleWorkerIsLateFor) {
  const TwoProcessors setup(100);
  for (const std::string policy : {"sparseloom", "sv-lo-np"}) {
    SCOPED_TRACE(policy);
    ControllerOptions options;
    options.late_wake_us = 150;
    auto c = setup.Make(policy, options);
    ASSERT_TRUE(c->Admit({0, 0, 0}, 0));
    const int q = c->queue_length(0) == 1 ? 0 : 1, o = 1 - q;
    StageJob job;
    EXPECT_FALSE(c->MaySteal(o, 149));
    EXPECT_FALSE(c->Take(o, 149, &job));  // q's worker may still come
    const bool steals = policy == "sparseloom";
    EXPECT_EQ(c->MaySteal(o, 150), steals);
    ASSERT_EQ(c->Take(o, 150, &job), steals);
    if (steals) {
      EXPECT_EQ(job.processor, o);
      EXPECT_EQ(c->queue_length(q), 0u);
      EXPECT_FALSE(c->MaySteal(q, 150));  // nothing left, and busy processors never steal
      c->Complete(job, 150, 250, {100}, 0, true, true);
    } else {
      ASSERT_TRUE(c->Take(q, 400, &job));
      c->Complete(job, 400, 500, {100}, 0, true, true);
    }
    const RunMetrics m = Metrics(*c);
    EXPECT_EQ(m.overall.served, 1);
    EXPECT_EQ(m.steals, steals ? 1 : 0);
  }
}

}  // namespace
}  // namespace sl

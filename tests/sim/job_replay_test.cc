// The simulator's replay of a real run: pauses, stalls, each task's speed, start delays.
#include "sim/job_replay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sim/pauses.h"
#include "sim/sim_test_util.h"

namespace sl {
namespace {

using testing::SimProfile;
using testing::SimWorkload;

TEST(PauseReplay, MergesAndHoldsWorkAcrossPauses) {
  const PauseReplay r({{500, 600}, {100, 200}, {150, 250}});  // out of order, two overlap
  EXPECT_DOUBLE_EQ(r.Resume(50), 50);
  EXPECT_DOUBLE_EQ(r.Resume(120), 250);
  EXPECT_DOUBLE_EQ(r.Resume(250), 250);     // ends are outside
  EXPECT_DOUBLE_EQ(r.Finish(0, 100), 100);  // done as the pause starts
  EXPECT_DOUBLE_EQ(r.Finish(50, 100), 300);
  EXPECT_DOUBLE_EQ(r.Finish(0, 400), 650);  // held by both
  EXPECT_TRUE(r.Near(90, 20));
  EXPECT_FALSE(r.Near(70, 20));
  EXPECT_FALSE(r.Near(260, 20));
  EXPECT_DOUBLE_EQ(r.NextEnd(0), 250);
  EXPECT_DOUBLE_EQ(r.NextEnd(250), 600);
  EXPECT_EQ(r.NextEnd(600), std::numeric_limits<double>::infinity());
}

// Measured jobs at the profile's speed, one every 2 ms on each processor, replayed by time.
SimOptions Replay() {
  SimOptions o;
  o.controller.keep_records = true;
  o.job_samples_by_time = true;
  for (int p = 0; p < 2; ++p)
    for (int ms = 0; ms < 1000; ms += 2)
      o.job_samples.push_back({1.0, 0, 0, 0, StartKind::kQueued, ms * 1000.0, p});
  return o;
}

std::vector<RequestRecord> Records(const SimOptions& o, double rate = 2000) {
  auto out = Simulate(SimWorkload(rate, 1), SimProfile(), nullptr, "sv-lo-np", {}, o);
  SL_CHECK(out.ok());
  return out->records;
}

bool Inside(double t, double end = 420e3) { return t > 400e3 && t < end; }

// Nothing starts or is admitted inside a pause of the whole process; what arrived in it starts
// after it, and the simulated run records the pause as the engine would.
TEST(SimulatorReplay, APauseStopsEveryProcessorAndAdmission) {
  SimOptions o = Replay();
  int started_inside = 0;
  for (const RequestRecord& r : Records(o)) started_inside += r.served && Inside(r.start_us);
  EXPECT_GT(started_inside, 10);
  o.pauses = {{400e3, 420e3}};
  auto out = Simulate(SimWorkload(2000, 1), SimProfile(), nullptr, "sv-lo-np", {}, o);
  ASSERT_TRUE(out.ok());
  int arrived_inside = 0;
  for (const RequestRecord& r : out->records) {
    EXPECT_FALSE(r.served && Inside(r.start_us)) << r.id;
    if (r.served && Inside(r.arrival_us)) {
      ++arrived_inside;
      EXPECT_GE(r.start_us, 420e3);
    }
  }
  EXPECT_GT(arrived_inside, 0);
  ASSERT_FALSE(out->metrics.pauses.empty());
  const Pause& seen = out->metrics.pauses.front();
  EXPECT_GE(seen.start_us, 400e3);
  EXPECT_LE(seen.start_us, 420e3 - kPauseMinUs);
  EXPECT_DOUBLE_EQ(seen.end_us, 420e3);
}

// A late admission stops admission only: what arrived inside starts after it, while the
// processors finish what they had started (ten stretches of 5 ms, so that some job runs into one).
TEST(SimulatorReplay, ALateAdmissionStopsOnlyAdmission) {
  SimOptions o = Replay();
  for (int k = 0; k < 10; ++k) o.late_admissions.push_back({300e3 + 50e3 * k, 305e3 + 50e3 * k});
  auto stretch = [&](double t) -> const Pause* {
    for (const Pause& p : o.late_admissions)
      if (t > p.start_us && t < p.end_us) return &p;
    return nullptr;
  };
  int arrived_inside = 0, finished_inside = 0;
  for (const RequestRecord& r : Records(o)) {
    if (!r.served) continue;
    if (const Pause* p = stretch(r.arrival_us)) {
      ++arrived_inside;
      EXPECT_GE(r.start_us, p->end_us) << r.id;
    }
    if (const Pause* p = stretch(r.finish_us)) finished_inside += r.start_us < p->start_us;
  }
  EXPECT_GT(arrived_inside, 0);
  EXPECT_GT(finished_inside, 0);
}

// A stall of one processor stops only that one: the other starts jobs throughout. At this load
// cpu0 is mostly idle when its stall begins, and work dispatched to it waits.
TEST(SimulatorReplay, AStallStopsOnlyItsProcessor) {
  SimOptions o = Replay();
  o.stalls = {{0, 400e3, 440e3}};
  o.stalls_recorded = true;
  int on_cpu0 = 0, on_cpu1 = 0;
  for (const RequestRecord& r : Records(o, 1000)) {
    if (!r.served) continue;
    if (Inside(r.start_us, 440e3)) {
      EXPECT_NE(r.placement.front(), 0) << r.id;
      ++on_cpu1;
    }
    on_cpu0 += Inside(r.arrival_us, 440e3) && r.placement.front() == 0;
  }
  EXPECT_GT(on_cpu0, 0);
  EXPECT_GT(on_cpu1, 0);
}

// Jobs measured just before a stall, and not held by it, are drawn like any other: the replay of a
// stretch dense with stalls keeps its slow jobs. Here cpu0 stalls every 50 ms, and its jobs of
// the 1.5 ms before each stall ran at 3x the profile, all others at it.
TEST(SimulatorReplay, JobsJustBeforeAStallAreDrawn) {
  SimOptions o;
  o.controller.keep_records = true;
  o.job_samples_by_time = true;
  o.stalls_recorded = true;
  auto before_stall = [](double t) {
    const double since = std::fmod(t, 50e3);
    return t > 60e3 && since >= 48.5e3;
  };
  for (int k = 2; k < 20; ++k) o.stalls.push_back({0, 50e3 * k, 50e3 * k + 500});
  for (int p = 0; p < 2; ++p)
    for (int us = 0; us < 1000000; us += 100) {
      const bool slow = p == 0 && before_stall(us);
      o.job_samples.push_back({slow ? 3.0 : 1.0, 0, 0, 0, StartKind::kQueued, double(us), p});
    }
  double before = 0, calm = 0, n_before = 0, n_calm = 0;
  for (const RequestRecord& r : Records(o, 2000)) {
    if (!r.served || r.placement.front() != 0 || r.placement.back() != 0) continue;
    const double service = r.finish_us - r.start_us;
    if (before_stall(r.start_us - 100) && before_stall(r.finish_us)) {
      before += service;
      ++n_before;
    } else if (r.start_us > 60e3 && std::fmod(r.start_us, 50e3) < 40e3) {
      calm += service;
      ++n_calm;
    }
  }
  ASSERT_GT(n_before, 5);
  ASSERT_GT(n_calm, 5);
  EXPECT_GT((before / n_before) / (calm / n_calm), 2.0);
}

// Each task keeps its own speed against the profile: task a's jobs were measured at 2x, b's at
// the profile. Both tasks' variants take the same time in the profile.
TEST(SimulatorReplay, EachTaskKeepsItsSpeed) {
  auto ratio = [](bool with_tasks) {
    SimOptions o;
    o.controller.keep_records = true;
    for (int i = 0; i < 200; ++i)
      o.job_samples.push_back(
          {i % 2 ? 1.0 : 2.0, 0, 0, 0, StartKind::kQueued, -1, -1, with_tasks ? i % 2 : -1});
    auto out = Simulate(SimWorkload(300, 1), SimProfile(), nullptr, "sv-ao-np", {}, o);
    SL_CHECK(out.ok());
    double service[2] = {0, 0}, n[2] = {0, 0};
    for (const RequestRecord& r : out->records)
      if (r.served && r.start_us > 0.5e6) {
        service[r.task] += r.finish_us - r.start_us;
        n[r.task] += 1;
      }
    SL_CHECK(n[0] > 50 && n[1] > 50);
    return (service[0] / n[0]) / (service[1] / n[1]);
  };
  EXPECT_NEAR(ratio(true), 2.0, 0.25);
  EXPECT_NEAR(ratio(false), 1.0, 0.25);
}

// A replayed start delay passes before the job is taken, as a worker wakes before it picks: the
// request starts that late and then runs its own time.
TEST(SimulatorReplay, TheStartDelayComesBeforeTheJob) {
  SimOptions o;
  o.controller.keep_records = true;
  o.job_samples = {{1.0, 0, 0, 400, StartKind::kIdleFirst},
                   {1.0, 0, 0, 400, StartKind::kQueued},
                   {1.0, 0, 0, 400, StartKind::kIdleLater}};
  auto out = Simulate(SimWorkload(100, 1), SimProfile(), nullptr, "sv-ao-np", {}, o);
  ASSERT_TRUE(out.ok());
  std::vector<double> wait, service;
  for (const RequestRecord& r : out->records)
    if (r.served) {
      wait.push_back(r.start_us - r.arrival_us);
      service.push_back(r.finish_us - r.start_us);
    }
  ASSERT_GT(wait.size(), 50u);
  std::nth_element(wait.begin(), wait.begin() + wait.size() / 2, wait.end());
  std::nth_element(service.begin(), service.begin() + service.size() / 2, service.end());
  EXPECT_NEAR(wait[wait.size() / 2], 400, 1);
  EXPECT_LT(service[service.size() / 2], 400);  // profile: 70-170 us a segment
}

}  // namespace
}  // namespace sl

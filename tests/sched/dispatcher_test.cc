#include "sched/dispatcher.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "sched_test_util.h"

namespace sl {
namespace {

using testing::MakeTask;
using testing::Processors;
using testing::Task;

// One variant, two segments of 100 us each on either processor, 20 us hand-off; 1000 bytes each.
struct Fixture {
  TaskProfile tp = MakeTask(
      "t", 1, 2, 2, [](int, int, int) { return 100.0; }, [](int64_t) { return 0.9; }, 20,
      [](int, int) { return int64_t{1000}; });
  Snapshot snap;
  Choice choice;
  Fixture() {
    snap.now_us = 1000;
    snap.processors = Processors(2);
    snap.tasks = {Task(0, &tp, 1, 0, 10)};
    choice.task = 0;
    for (auto placement :
         {std::vector<int>{0, 0}, std::vector<int>{1, 1}, std::vector<int>{0, 1}}) {
      auto o = MakeOption(tp, {0, 0}, placement, 2, 10);
      EXPECT_TRUE(o.ok());
      choice.options.push_back(*o);
    }
  }
};

TEST(Dispatcher, ExpectedFinishFollowsThePipeline) {
  Fixture f;
  Dispatcher d;
  f.snap.processors[0].queued_work_us = 50;
  f.snap.processors[1].queued_work_us = 300;
  // (0, 1): stage 0 starts at now + 50, ends +150; hand-off 20 -> ready at +170, processor 1 free
  // at +300, ends at +400.
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[2], 0, f.snap), 1400);
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[0], 0, f.snap), 1250);
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[1], 0, f.snap), 1500);
}

TEST(Dispatcher, PicksTheEarliestFinishingOption) {
  Fixture f;
  DispatcherConfig cfg;
  cfg.pick = OptionPick::kEarliestFinish;
  Dispatcher d(cfg);
  f.snap.processors[0].queued_work_us = 500;
  Request req{0, 1000, 5000};
  Decision dec = d.Dispatch(req, f.choice, f.snap);
  EXPECT_FALSE(dec.rejected);
  EXPECT_EQ(dec.option, 1);  // all on processor 1: 1200 vs 1700 and 1720
  EXPECT_TRUE(dec.on_time);
  EXPECT_DOUBLE_EQ(dec.expected_finish_us, 1200);

  // Rank order takes the first option that meets the deadline even if another finishes earlier.
  Dispatcher ranked;
  Decision r = ranked.Dispatch(req, f.choice, f.snap);
  EXPECT_EQ(r.option, 0);
  // ...and moves on when the first cannot make it.
  req.deadline_us = 1300;
  r = ranked.Dispatch(req, f.choice, f.snap);
  EXPECT_EQ(r.option, 1);
}

TEST(Dispatcher, RejectsOrRunsBestEffortWhenNothingMeetsTheDeadline) {
  Fixture f;
  Request req{0, 1000, 1150};  // every option needs at least 200 us
  Decision dec = Dispatcher().Dispatch(req, f.choice, f.snap);
  EXPECT_TRUE(dec.rejected);
  EXPECT_EQ(dec.option, -1);
  EXPECT_FALSE(dec.on_time);
  EXPECT_STREQ(dec.reason, "deadline-unmeetable");
  EXPECT_DOUBLE_EQ(dec.expected_finish_us, 1200);

  DispatcherConfig cfg;
  cfg.unmeetable = OnUnmeetable::kBestEffort;
  dec = Dispatcher(cfg).Dispatch(req, f.choice, f.snap);
  EXPECT_FALSE(dec.rejected);
  EXPECT_EQ(dec.option, 0);
  EXPECT_FALSE(dec.on_time);
}

TEST(Dispatcher, SkipsDeadProcessors) {
  Fixture f;
  f.snap.processors[0].alive = false;
  Request req{0, 1000, 5000};
  Decision dec = Dispatcher().Dispatch(req, f.choice, f.snap);
  EXPECT_EQ(dec.option, 1);
  f.snap.processors[1].alive = false;
  dec = Dispatcher().Dispatch(req, f.choice, f.snap);
  EXPECT_TRUE(dec.rejected);
  EXPECT_STREQ(dec.reason, "no-option");
  Choice empty;
  dec = Dispatcher().Dispatch(req, empty, f.snap);
  EXPECT_TRUE(dec.rejected);
  EXPECT_STREQ(dec.reason, "no-option");
}

TEST(Dispatcher, ChargesOnDemandLoadsOfSegmentsNotResident) {
  Fixture f;
  DispatcherConfig cfg;
  cfg.load_bandwidth_bytes_per_us = 10;  // 1000 bytes: 100 us
  Dispatcher d(cfg);
  f.snap.resident.tracked = true;
  f.snap.resident.flags = {{0, 0}};
  // (0, 0): start waits for segment loads (200 us together, issued at now): 1000 + 200 + 200.
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[0], 0, f.snap), 1400);
  // (0, 1): stage 0 loads 100 us, ends 1200; stage 1 loads in parallel, ready at 1220, ends 1320.
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[2], 0, f.snap), 1320);
  f.snap.resident.flags = {{1, 1}};
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[0], 0, f.snap), 1200);
  // Resident but still loading (memory reserved by a replan, the loader not done): a job would
  // wait for the load, so it is charged as one; the optimizer still counts it as resident.
  f.snap.resident.flags = {{ResidentSet::kLoading, ResidentSet::kReady}};
  EXPECT_TRUE(f.snap.resident.Contains(0, 0));
  EXPECT_FALSE(f.snap.resident.Ready(0, 0));
  EXPECT_DOUBLE_EQ(d.ExpectedFinishUs(f.choice.options[0], 0, f.snap), 1300);
}

TEST(Dispatcher, SlackUsesTheFastestOption) {
  Fixture f;
  Request req{0, 1000, 2000};
  EXPECT_DOUBLE_EQ(Dispatcher().SlackUs(req, f.choice, f.snap), 2000 - (1000 + 200));
}

}  // namespace
}  // namespace sl

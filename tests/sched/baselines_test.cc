#include <gtest/gtest.h>

#include "sched/policy.h"
#include "sched_test_util.h"

namespace sl {
namespace {

using testing::MakeTask;
using testing::Processors;
using testing::Task;

// Three variants, two segments, three processors. Variant v takes (v + 1) * 10 us per segment
// (variant 0 fastest); plain accuracies 0.6, 0.8, 0.95; every mixed stitch 0.99 (so only the
// stitching policy can reach it).
TaskProfile Three() {
  return MakeTask(
      "t", 3, 2, 3, [](int v, int, int p) { return (v + 1) * 10.0 * (1 + 0.1 * p); },
      [](int64_t s) {
        if (s == 0) return 0.6;
        if (s == 4) return 0.8;
        if (s == 8) return 0.95;
        return 0.99;
      });
}

bool Plain(const Option& o) {
  for (int v : o.stitch)
    if (v != o.stitch[0]) return false;
  return true;
}

Snapshot Snap(const TaskProfile& tp, double floor) {
  Snapshot snap;
  snap.processors = Processors(3);
  snap.tasks = {Task(0, &tp, 10, floor, 10)};
  return snap;
}

TEST(Baselines, RegistryKnowsEveryName) {
  for (const auto& name : PolicyNames()) {
    auto p = MakePolicy(name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ(p->name, name);
    EXPECT_EQ(p->optimizer->name(), name);
  }
  auto bad = MakePolicy("fifo");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sv-ao-np"), std::string::npos);
  EXPECT_EQ(MakePolicy("sparseloom")->dispatcher.config().pick, OptionPick::kEarliestFinish);
  EXPECT_EQ(MakePolicy("sparseloom")->preloader.config().mode, PreloadMode::kHotness);
  EXPECT_EQ(MakePolicy("av-p")->dispatcher.config().pick, OptionPick::kEarliestFinish);
}

TEST(Baselines, SvAoRunsTheMostAccurateVariant) {
  TaskProfile tp = Three();
  Snapshot snap = Snap(tp, 0.0);
  snap.processors[1].alive = false;
  auto np = MakePolicy("sv-ao-np")->optimizer->Optimize(snap);
  ASSERT_TRUE(np.ok()) << np.status().message();
  ASSERT_EQ((*np)[0].options.size(), 2u);  // one per alive processor
  for (const Option& o : (*np)[0].options) {
    EXPECT_EQ(o.stitch, (std::vector<int>{2, 2}));
    EXPECT_EQ(o.placement[0], o.placement[1]);
    EXPECT_NE(o.placement[0], 1);
  }
  auto p = MakePolicy("sv-ao-p")->optimizer->Optimize(snap);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ((*p)[0].options.size(), 1u);
  EXPECT_EQ((*p)[0].options[0].placement, (std::vector<int>{0, 2}));  // i mod A over alive {0, 2}
}

TEST(Baselines, SvLoRunsTheFastestVariantMeetingTheFloor) {
  TaskProfile tp = Three();
  auto r = MakePolicy("sv-lo-np")->optimizer->Optimize(Snap(tp, 0.7));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].options[0].stitch, (std::vector<int>{1, 1}));
  r = MakePolicy("sv-lo-p")->optimizer->Optimize(Snap(tp, 0.97));  // none meets: fastest
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].options[0].stitch, (std::vector<int>{0, 0}));
  EXPECT_EQ((*r)[0].options[0].placement, (std::vector<int>{0, 1}));
}

TEST(Baselines, AvChoosesAmongPlainVariantsOnly) {
  TaskProfile tp = Three();
  for (const char* name : {"av-np", "av-p"}) {
    auto r = MakePolicy(name)->optimizer->Optimize(Snap(tp, 0.9));
    ASSERT_TRUE(r.ok()) << name;
    for (const Option& o : (*r)[0].options) EXPECT_TRUE(Plain(o)) << name;
    EXPECT_EQ((*r)[0].options[0].stitch, (std::vector<int>{2, 2})) << name;  // only one meets 0.9
  }
  // SparseLoom reaches the 0.99 stitches.
  auto s = MakePolicy("sparseloom")->optimizer->Optimize(Snap(tp, 0.9));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(Plain((*s)[0].options[0]));
  EXPECT_DOUBLE_EQ((*s)[0].options[0].accuracy, 0.99);
}

}  // namespace
}  // namespace sl

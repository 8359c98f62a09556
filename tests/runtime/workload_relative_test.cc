// Workloads whose SLOs and rates are relative to the profile (latency_x, load).
#include <gtest/gtest.h>

#include "runtime/arrivals.h"
#include "runtime/workload.h"
#include "sched/sched_test_util.h"

namespace sl {
namespace {

// Pool "pa": 3 variants, 2 segments, 2 processors. Variant 1 is the most accurate; whole, it
// takes 30 us on processor 0 and 60 us on processor 1. Pool "pb" has one variant that processor 1
// cannot run (an SoC model's unsupported latency).
Profile TwoPools() {
  Profile p;
  p.processors.resize(2);
  p.processors[0].name = "cpu0";
  p.processors[1].name = "cpu1";
  p.tasks.push_back(testing::MakeTask(
      "pa", 3, 2, 2, [](int v, int, int q) { return (v + 1) * 5.0 * (q + 1); },
      [](int64_t s) { return s == 4 ? 0.9 : 0.5; }));  // stitch 4 = (1, 1)
  p.tasks.push_back(testing::MakeTask(
      "pb", 1, 1, 2, [](int, int, int q) { return q == 0 ? 100.0 : 1e9; },
      [](int64_t) { return 0.8; }));
  return p;
}

const char kRelative[] = R"({
  "name": "rel", "duration_s": 10, "processors": ["cpu0", "cpu1"],
  "tasks": [
    {"name": "a", "pool": "pa", "slo": {"latency_x": 3, "accuracy_min": 0.5},
     "arrival": {"type": "poisson", "load": 0.5}},
    {"name": "b", "pool": "pb", "slo": {"latency_ms": 2},
     "arrival": {"type": "periodic", "load": 0.25}}
  ],
  "events": [{"at_s": 5, "task": "a", "slo": {"latency_x": 2}},
             {"at_s": 6, "task": "b", "slo": {"latency_ms": 1}}]
})";

TEST(Profile, MostAccurateVariantAndItsWholeLatency) {
  const Profile p = TwoPools();
  EXPECT_EQ(p.tasks[0].MostAccurateVariant(), 1);
  EXPECT_DOUBLE_EQ(p.tasks[0].VariantLatencyUs(1, 0), 20);  // 10 + 10
  EXPECT_DOUBLE_EQ(p.tasks[0].VariantLatencyUs(1, 1), 40);
  EXPECT_EQ(p.tasks[1].MostAccurateVariant(), 0);
}

TEST(WorkloadRelative, ResolvesBoundsRatesAndEventsOnTheProfile) {
  auto w = ParseWorkloadJson(kRelative, "rel.json", ".");
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_TRUE(w->relative());
  EXPECT_EQ(w->tasks[0].latency_x, 3);
  EXPECT_EQ(w->tasks[0].arrival.load, 0.5);
  auto lines = ResolveRelative(&*w, TwoPools());
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  EXPECT_EQ(lines->size(), 2u);
  // a: 3 x 20 us; capacity 1e6/20 + 1e6/40 = 75,000/s.
  EXPECT_DOUBLE_EQ(w->tasks[0].latency_ms, 0.06);
  EXPECT_DOUBLE_EQ(w->tasks[0].arrival.rate, 37500);
  // b: its absolute bound stays; only processor 0 runs it, 10,000/s.
  EXPECT_DOUBLE_EQ(w->tasks[1].latency_ms, 2);
  EXPECT_DOUBLE_EQ(w->tasks[1].arrival.rate, 2500);
  ASSERT_EQ(w->events.size(), 2u);
  EXPECT_DOUBLE_EQ(w->events[0].latency_ms, 0.04);
  EXPECT_DOUBLE_EQ(w->events[1].latency_ms, 1);
  // Scaling scales the load too, so a later resolution keeps the factor.
  Workload doubled = ScaleLoad(*w, 2);
  ASSERT_TRUE(ResolveRelative(&doubled, TwoPools()).ok());
  EXPECT_DOUBLE_EQ(doubled.tasks[0].arrival.rate, 75000);
  // Resolving on another profile recomputes from the relative values.
  Profile slower = TwoPools();
  for (SegmentProfile& s : slower.tasks[0].segments)
    for (double& us : s.latency_us) us *= 2;
  ASSERT_TRUE(ResolveRelative(&*w, slower).ok());
  EXPECT_DOUBLE_EQ(w->tasks[0].latency_ms, 0.12);
  EXPECT_DOUBLE_EQ(w->tasks[0].arrival.rate, 18750);
  // With one processor named, only it counts; b's load needs a processor that runs pb.
  w->processors = {"cpu1"};
  EXPECT_FALSE(ResolveRelative(&*w, TwoPools()).ok());
  w->tasks[1].arrival.load = -1;  // b is absolute now: nothing to resolve for it
  ASSERT_TRUE(ResolveRelative(&*w, TwoPools()).ok());
  EXPECT_DOUBLE_EQ(w->tasks[0].latency_ms, 0.12);
  EXPECT_DOUBLE_EQ(w->tasks[0].arrival.rate, 12500);
}

TEST(WorkloadRelative, ArrivalsRefuseAnUnresolvedWorkload) {
  auto w = ParseWorkloadJson(kRelative, "rel.json", ".");
  ASSERT_TRUE(w.ok());
  auto a = GenerateArrivals(*w, {5, 5});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("not resolved"), std::string::npos);
  ASSERT_TRUE(ResolveRelative(&*w, TwoPools()).ok());
  EXPECT_TRUE(GenerateArrivals(*w, {5, 5}).ok());
  // An SLO change alone may be relative too.
  auto e = ParseWorkloadJson(R"({"duration_s": 1, "tasks": [{"pool": "pa",
      "slo": {"latency_ms": 1}, "arrival": {"type": "periodic", "rate": 10}}],
      "events": [{"at_s": 0.5, "task": "pa", "slo": {"latency_x": 2}}]})",
                             "event.json", ".");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->relative());
  EXPECT_FALSE(GenerateArrivals(*e, {5}).ok());
  ASSERT_TRUE(ResolveRelative(&*e, TwoPools()).ok());
  EXPECT_DOUBLE_EQ(e->events[0].latency_ms, 0.04);
  EXPECT_TRUE(GenerateArrivals(*e, {5}).ok());
}

TEST(WorkloadRelative, ErrorsNameTheFieldOrTask) {
  struct Case {
    std::string text, needle;
  };
  const std::string arrival = R"("arrival": {"type": "periodic", "rate": 1})";
  const std::vector<Case> parse_cases = {
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1, "latency_x": 2}, )" +
           arrival + "}]}",
       "give latency_ms or latency_x, not both"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"accuracy_min": 0.5}, )" + arrival +
           "}]}",
       "latency_ms: missing (or give latency_x)"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_x": 0}, )" + arrival + "}]}",
       "latency_x"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "poisson", "rate": 1, "load": 0.5}}]})",
       "give rate (requests per second) or load"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "poisson"}}]})",
       "give rate (requests per second) or load"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "poisson", "load": 1e9}}]})",
       "arrival.load"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "trace", "file": "t", "load": 1}}]})",
       "load: not used with type \"trace\""},
  };
  for (const Case& c : parse_cases) {
    auto w = ParseWorkloadJson(c.text, "bad.json", ".");
    ASSERT_FALSE(w.ok()) << c.text;
    EXPECT_NE(w.status().message().find(c.needle), std::string::npos)
        << w.status().message() << " (expected '" << c.needle << "')";
  }
  const std::vector<Case> resolve_cases = {
      {R"({"duration_s": 1, "tasks": [{"pool": "nope", "slo": {"latency_x": 2}, )" + arrival +
           "}]}",
       "tasks[0] (nope): the profile has no pool 'nope'"},
      {R"({"duration_s": 1, "processors": ["gpu9"], "tasks": [{"pool": "pa", "slo": {"latency_x": 2}, )" +
           arrival + "}]}",
       "the profile has no 'gpu9'"},
      {R"({"duration_s": 1, "processors": ["cpu1"], "tasks": [{"pool": "pb", "slo": {"latency_x": 2}, )" +
           arrival + "}]}",
       "no processor of the workload runs pool 'pb'"},
      {R"({"duration_s": 1, "tasks": [{"pool": "pa", "slo": {"latency_ms": 1}, "arrival": {"type": "poisson", "load": 900}}]})",
       "arrival.load: gives"},
  };
  for (const Case& c : resolve_cases) {
    auto w = ParseWorkloadJson(c.text, "bad.json", ".");
    ASSERT_TRUE(w.ok()) << w.status().message();
    auto r = ResolveRelative(&*w, TwoPools());
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << r.status().message() << " (expected '" << c.needle << "')";
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace sl

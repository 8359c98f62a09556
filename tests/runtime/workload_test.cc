#include "runtime/workload.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "runtime/arrivals.h"

namespace sl {
namespace {

const char kGood[] = R"({
  "name": "w", "zoo": "z", "duration_s": 10, "seed": 3, "memory_budget_mb": 2,
  "processors": ["cpu0", "cpu1"],
  "tasks": [
    {"name": "a", "pool": "pa", "slo": {"latency_ms": 5, "accuracy_min": 0.9},
     "arrival": {"type": "periodic", "rate": 10}},
    {"pool": "pb", "slo": {"latency_ms": 2}, "arrival": {"type": "poisson", "rate": 100},
     "start_s": 2, "stop_s": 8}
  ],
  "events": [{"at_s": 5, "task": "a", "slo": {"latency_ms": 3}},
             {"at_s": 1, "task": "pb", "slo": {"accuracy_min": 0.5}}]
})";

TEST(Workload, ParsesEveryField) {
  auto w = ParseWorkloadJson(kGood, "good.json", "/base");
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->name, "w");
  EXPECT_EQ(w->zoo, "/base/z");
  EXPECT_EQ(w->duration_s, 10);
  EXPECT_EQ(w->seed, 3u);
  EXPECT_EQ(w->memory_budget_mb, 2);
  EXPECT_EQ(w->processors.size(), 2u);
  ASSERT_EQ(w->tasks.size(), 2u);
  EXPECT_EQ(w->tasks[1].name, "pb");  // defaults to the pool
  EXPECT_EQ(w->tasks[1].stop_s, 8);
  EXPECT_EQ(w->tasks[0].stop_s, 10);  // defaults to the duration
  EXPECT_EQ(w->tasks[0].accuracy_min, 0.9);
  EXPECT_EQ(w->tasks[1].arrival.kind, ArrivalKind::kPoisson);
  ASSERT_EQ(w->events.size(), 2u);
  EXPECT_EQ(w->events[0].task, "pb");  // sorted by time
  EXPECT_LT(w->events[0].latency_ms, 0);
  EXPECT_EQ(w->events[1].latency_ms, 3);
  EXPECT_EQ(ScaleLoad(*w, 2).tasks[1].arrival.rate, 200);
}

TEST(Workload, RejectsBadFieldsNamingThem) {
  struct Case {
    std::string text, needle;
  };
  const std::string task =
      R"("tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "periodic", "rate": 1}}])";
  const std::vector<Case> cases = {
      {"{", "bad.json"},
      {R"({"duration_s": 1})", "tasks"},
      {R"({"tasks": []})", "duration_s"},
      {R"({"duration_s": -1, )" + task + "}", "duration_s"},
      {R"({"duration_s": 1, "bogus": 1, )" + task + "}", "bogus: unknown field"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "arrival": {"type": "periodic", "rate": 1}}]})",
       "tasks[0].slo: missing"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 0}, "arrival": {"type": "periodic", "rate": 1}}]})",
       "latency_ms"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1, "accuracy_min": 2}, "arrival": {"type": "periodic", "rate": 1}}]})",
       "accuracy_min"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "burst", "rate": 1}}]})",
       "arrival.type"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "poisson", "rate": 1e300}}]})",
       "arrival.rate"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "trace", "file": "no/such/file"}}]})",
       "cannot open trace file"},
      {R"({"duration_s": 5, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "periodic", "rate": 1}, "start_s": 3, "stop_s": 2}]})",
       "stop_s"},
      {R"({"duration_s": 1, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "periodic", "rate": 1}}, {"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "periodic", "rate": 1}}]})",
       "duplicate task name"},
      {R"({"duration_s": 1, )" + task +
           R"(, "events": [{"at_s": 0.5, "task": "x", "slo": {"latency_ms": 1}}]})",
       "no task named 'x'"},
      {R"({"duration_s": 1, )" + task + R"(, "events": [{"at_s": 0.5, "task": "p", "slo": {}}]})",
       "give latency_ms, latency_x or accuracy_min"},
      {R"({"duration_s": 1, "seed": 1.5, )" + task + "}", "seed"},
      {R"({"duration_s": 1, "processors": [], )" + task + "}", "processors"},
  };
  for (const Case& c : cases) {
    auto w = ParseWorkloadJson(c.text, "bad.json", ".");
    ASSERT_FALSE(w.ok()) << c.text;
    EXPECT_NE(w.status().message().find(c.needle), std::string::npos)
        << w.status().message() << " (expected '" << c.needle << "')";
    EXPECT_EQ(w.status().message().find('\n'), std::string::npos);
  }
  EXPECT_FALSE(ReadWorkload("/no/such/workload.json").ok());
}

TEST(Workload, TraceArrivals) {
  const auto dir = std::filesystem::temp_directory_path() / "sl_workload_trace";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "t.txt");
    f << "# seconds\n0.5\n0.1\n2.5\n";
  }
  const std::string text =
      R"({"duration_s": 2, "tasks": [{"pool": "p", "slo": {"latency_ms": 1}, "arrival": {"type": "trace", "file": "t.txt"}}]})";
  auto w = ParseWorkloadJson(text, "w.json", dir.string());
  ASSERT_TRUE(w.ok()) << w.status().message();
  auto a = GenerateArrivals(*w, {4});
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);  // 2.5 s is past the duration
  EXPECT_DOUBLE_EQ((*a)[0].time_us, 0.1e6);
  EXPECT_DOUBLE_EQ((*a)[1].time_us, 0.5e6);
  {
    std::ofstream f(dir / "t.txt");
    f << "0.5\nsoon\n";
  }
  auto bad = ParseWorkloadJson(text, "w.json", dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.txt:2"), std::string::npos) << bad.status().message();
}

TEST(Arrivals, PeriodicPoissonDeterministicAndSorted) {
  auto w = ParseWorkloadJson(kGood, "good.json", ".");
  ASSERT_TRUE(w.ok());
  auto a = GenerateArrivals(*w, {7, 5});
  auto b = GenerateArrivals(*w, {7, 5});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  int64_t periodic = 0, poisson = 0;
  for (size_t i = 0; i < a->size(); ++i) {
    const Arrival& x = (*a)[i];
    EXPECT_EQ(x.time_us, (*b)[i].time_us);
    EXPECT_EQ(x.sample, (*b)[i].sample);
    if (i) EXPECT_LE((*a)[i - 1].time_us, x.time_us);
    if (x.task == 0) {
      ++periodic;
      EXPECT_LT(x.sample, 7);
    } else {
      ++poisson;
      EXPECT_GE(x.time_us, 2e6);
      EXPECT_LT(x.time_us, 8e6);
      EXPECT_LT(x.sample, 5);
    }
  }
  EXPECT_EQ(periodic, 100);             // 10/s for 10 s
  EXPECT_NEAR(poisson, 600, 4 * 24.5);  // 100/s for 6 s, 4 standard deviations
  Workload other = *w;
  other.seed = 4;
  auto c = GenerateArrivals(other, {7, 5});
  ASSERT_TRUE(c.ok());
  bool same = c->size() == a->size();
  for (size_t i = 0; same && i < a->size(); ++i)
    same = (*c)[i].time_us == (*a)[i].time_us && (*c)[i].sample == (*a)[i].sample;
  EXPECT_FALSE(same) << "another seed must draw other arrivals";
  EXPECT_FALSE(GenerateArrivals(*w, {7, 5}, 50).ok());  // over the limit
  EXPECT_FALSE(GenerateArrivals(*w, {0, 5}).ok());      // no samples
}

}  // namespace
}  // namespace sl

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "profile/latency.h"
#include "profile/profiler.h"
#include "zoo/stitch_test_util.h"

namespace sl {
namespace {

using testing::SmallPool;

Profile HandMadeProfile() {
  Profile p;
  p.seed = 42;
  p.created = "2025-01-01T00:00:00Z";
  p.machine = {"test cpu", 2};
  p.processors = {{"cpu0", {0}, 1}, {"cpu01", {0, 1}, 2}};
  TaskProfile t;
  t.task = "t";
  t.pool = "zoo/t";
  t.variants = {"dense", "sparse"};
  t.patterns = {"dense", "unstructured"};
  t.manifest_val_accuracy = {0.9, -1};
  t.valid_cuts = {"a", "b", "c"};
  t.cuts = {"b"};
  t.num_segments = 2;
  for (int v = 0; v < 2; ++v)
    for (int i = 0; i < 2; ++i)
      t.segments.push_back({v,
                            i,
                            i ? "b" : "x",
                            i ? "y" : "b",
                            1000 * (v + 1) + i,
                            1.5e6 + i,
                            {100.0 * (v + 1) + i, 60.0 + v + 0.25 * i}});
  t.handoffs.push_back({"b", 4096, {{0, 12.5}, {7.25, 0}}});
  t.accuracy.mode = "estimate";
  t.accuracy.validation_count = 500;
  t.accuracy.seconds = 1.25;
  t.accuracy.segment_runs = 30;
  t.accuracy.stitches = {0.9, 0.875, 0.8125, 0.75};
  t.accuracy.measured = {0, 3};
  t.accuracy.estimator = "least-squares one-hot(segment, variant)";
  t.accuracy.fit_samples = 2;
  t.accuracy.holdout_samples = 1;
  t.accuracy.holdout_mae_points = 1.5;
  t.accuracy.holdout_max_error_points = 2.5;
  t.latency_validation = {8, 4.5, 42};
  p.tasks.push_back(t);
  return p;
}

TEST(Profile, JsonRoundTrip) {
  Profile p = HandMadeProfile();
  auto path = std::filesystem::temp_directory_path() / "sl_profile_roundtrip.json";
  ASSERT_TRUE(p.Write(path.string()).ok());
  auto q = Profile::Read(path.string());
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->ToJson(), p.ToJson());
  EXPECT_EQ(q->seed, 42u);
  EXPECT_EQ(q->processors[1].cores, (std::vector<int>{0, 1}));
  const TaskProfile& t = q->tasks[0];
  EXPECT_EQ(t.segment(1, 1).latency_us[1], 61.25);
  EXPECT_EQ(t.handoffs[0].us[1][0], 7.25);
  EXPECT_EQ(t.accuracy.measured, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(t.accuracy.stitches[2], 0.8125);
  // Exact mode writes no estimator block and reads back the same.
  p.tasks[0].accuracy.mode = "exact";
  p.tasks[0].accuracy.measured.clear();
  auto r = Profile::FromJson(p.ToJson(), "exact.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->ToJson(), p.ToJson());
  std::filesystem::remove(path);
}

TEST(Profile, MalformedFilesGiveOneLineErrors) {
  std::string good = HandMadeProfile().ToJson();
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = Profile::FromJson(text, "p.json");
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  };
  expect_error("{", "p.json");
  expect_error("[]", "expected an object");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    size_t at = s.find(from);
    SL_CHECK(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  expect_error(replace("\"format_version\":1", "\"format_version\":9"), "format_version");
  expect_error(replace("\"num_segments\":2", "\"num_segments\":3"), "cuts");
  expect_error(replace("\"mode\":\"estimate\"", "\"mode\":\"guess\""), "mode");
  expect_error(replace("[0.9,0.875,0.8125,0.75]", "[0.9]"), "stitches");
  expect_error(replace("\"cores\":[0]", "\"cores\":\"x\""), "cores");
  expect_error(replace("\"latency_order\":\"repeated\"", "\"latency_order\":\"random\""),
               "latency_order");
  expect_error(replace("\"latency_seconds\":0", "\"latency_seconds\":-1"), "latency_seconds");
  expect_error(replace("\"latency_seconds\":0", "\"latency_seconds\":\"long\""), "latency_seconds");
  EXPECT_FALSE(Profile::Read("/nonexistent/profile.json").ok());
}

TEST(Profile, PredictsLatencyWithHandoffs) {
  Profile p = HandMadeProfile();
  auto same = p.PredictLatencyUs("t", {0, 1}, {0, 0});
  ASSERT_TRUE(same.ok());
  EXPECT_DOUBLE_EQ(*same, 100 + 201);
  auto split = p.PredictLatencyUs("t", {0, 1}, {0, 1});
  ASSERT_TRUE(split.ok());
  EXPECT_DOUBLE_EQ(*split, 100 + 61.25 + 12.5);
  EXPECT_FALSE(p.PredictLatencyUs("t", {0}, {0}).ok());
  EXPECT_FALSE(p.PredictLatencyUs("t", {0, 2}, {0, 0}).ok());
  EXPECT_FALSE(p.PredictLatencyUs("nope", {0, 1}, {0, 0}).ok());
}

TEST(Processors, ParsesNamesAndRejectsBadOnes) {
  auto p = ParseProcessor("cpu0");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->cores, std::vector<int>{0});
  EXPECT_EQ(p->threads, 1);
  for (const char* bad : {"gpu0", "cpu", "cpu0x", "cpu00", "cpu[0", "cpu9999"})
    EXPECT_FALSE(ParseProcessor(bad).ok()) << bad;
  EXPECT_FALSE(ParseProcessors("cpu0,cpu0").ok());
  EXPECT_FALSE(ParseProcessors("").ok());
  auto defaults = DefaultProcessors();
  ASSERT_FALSE(defaults.empty());
  for (const auto& d : defaults) EXPECT_TRUE(ParseProcessor(d.name).ok()) << d.name;
}

TEST(Profiler, ProfilesASmallPoolEndToEnd) {
  const uint64_t seed = 7;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Pool pool = SmallPool(3, 30, static_cast<uint32_t>(seed));
  std::vector<ProcessorSpec> procs = {DefaultProcessors()[0]};
  if (DefaultProcessors().size() > 1) procs.push_back(DefaultProcessors().back());
  ProfileOptions opts;
  opts.num_segments = 3;
  opts.accuracy_batch = 8;
  opts.latency = {1, 3};
  opts.validation_samples = 3;
  opts.seed = seed;
  double last = -1;
  bool monotone = true;
  auto t = ProfileTask(pool, procs, opts, [&](const std::string&, double f) {
    monotone = monotone && f >= last - 1e-9;
    last = f;
  });
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(monotone);
  EXPECT_EQ(last, 1);
  EXPECT_EQ(t->cuts.size(), 2u);
  EXPECT_EQ(t->segments.size(), 9u);
  EXPECT_EQ(t->accuracy.stitches.size(), 27u);
  EXPECT_EQ(t->handoffs.size(), 2u);
  for (const auto& s : t->segments) {
    EXPECT_EQ(s.latency_us.size(), procs.size());
    for (double l : s.latency_us) EXPECT_GT(l, 0);
  }
  EXPECT_EQ(t->latency_validation.samples, 3);
  EXPECT_TRUE(std::isfinite(t->latency_validation.mape_percent));
  Profile p;
  p.processors = procs;
  p.tasks.push_back(*t);
  auto back = Profile::FromJson(p.ToJson(), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ToJson(), p.ToJson());
  // Back-to-back repeats instead of interleaved rounds (--latency-order repeated).
  ProfileOptions repeated = opts;
  repeated.latency.interleave = false;
  repeated.validation_samples = 0;
  auto r = ProfileTask(pool, procs, repeated);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const auto& s : r->segments)
    for (double l : s.latency_us) EXPECT_GT(l, 0);
  opts.cuts = {"g1"};
  opts.accuracy_mode = "estimate";
  auto named = ProfileTask(pool, procs, opts);
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ(named->num_segments, 2);
  opts.cuts = {"g2"};
  EXPECT_FALSE(ProfileTask(pool, procs, opts).ok());
}

TEST(Latency, TrimmedMeanDropsTheOuterTenths) {
  EXPECT_EQ(TrimmedMean({}), 0);
  EXPECT_DOUBLE_EQ(TrimmedMean({3, 1, 2}), 2);  // under ten values nothing is dropped
  EXPECT_DOUBLE_EQ(TrimmedMean({1000, 1, 1, 1, 1, 3, 3, 3, 3, -50}), 2);
}

// Interleaved rounds go on until they span LatencyOptions::min_seconds, with the processors
// taking turns, so every processor's latencies come from the same stretch of time.
TEST(Latency, InterleavedRoundsSpanMinSeconds) {
  Pool pool = SmallPool(2, 30, 11);
  auto set = SegmentSet::Prepare(pool, {"g1"}, {});
  ASSERT_TRUE(set.ok()) << set.status().message();
  std::vector<ProcessorSpec> procs = {DefaultProcessors()[0], DefaultProcessors()[0]};
  procs[1].name = "again";
  LatencyOptions lo;
  lo.warmup = 0;
  lo.repeats = 1;
  lo.min_seconds = 0.3;
  int64_t last = -1;
  const auto t0 = std::chrono::steady_clock::now();
  auto lat = MeasureSegmentLatency([&](const ProcessorSpec&) -> const SegmentSet& { return *set; },
                                   2, 2, procs, lo,
                                   [&](int64_t d, int64_t total) {
                                     EXPECT_GE(d, last);
                                     EXPECT_LE(d, total);
                                     last = d;
                                   });
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(lat.ok()) << lat.status().message();
  EXPECT_GE(took, 0.3);
  EXPECT_EQ(last, 8);  // 4 segments x 2 processors
  ASSERT_EQ(lat->size(), 4u);
  for (const auto& s : *lat)
    for (double l : s) EXPECT_GT(l, 0);
  lo.interleave = false;  // back to back: min_seconds does not apply
  auto repeated = MeasureSegmentLatency(
      [&](const ProcessorSpec&) -> const SegmentSet& { return *set; }, 2, 2, procs, lo);
  ASSERT_TRUE(repeated.ok()) << repeated.status().message();
  for (const auto& s : *repeated)
    for (double l : s) EXPECT_GT(l, 0);
}

}  // namespace
}  // namespace sl

namespace sl {
namespace {

ProcessorSpec Parsed(const char* name) {
  auto p = ParseProcessor(name);
  SL_CHECK(p.ok());
  return *p;
}

TEST(ProcessorBackends, DeviceNamesMapToBackends) {
  auto ocl = ParseProcessor("ocl1");
  ASSERT_TRUE(ocl.ok()) << ocl.status().message();
  EXPECT_EQ(ocl->backend, "opencl:1");
  EXPECT_TRUE(ocl->cores.empty());
  EXPECT_FALSE(ocl->is_cpu());
  auto cuda = ParseProcessor("cuda0");
  ASSERT_TRUE(cuda.ok());
  EXPECT_EQ(cuda->backend, "cuda:0");
  auto cpu = ParseProcessor("cpu0");
  ASSERT_TRUE(cpu.ok());
  EXPECT_TRUE(cpu->is_cpu());
  for (const char* bad : {"ocl", "oclx", "cuda-1", "ocl123"}) {
    auto p = ParseProcessor(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find(bad), std::string::npos) << p.status().message();
  }
}

TEST(ProcessorBackends, ProfileRecordsBackendAndDeviceAndReadsOldProfiles) {
  Profile p;
  ProcessorSpec a = Parsed("cpu0");
  a.device = "some CPU (1 thread)";
  ProcessorSpec b = Parsed("ocl0");
  b.device = "PoCL: pthread";
  p.processors = {a, b};
  auto back = Profile::FromJson(p.ToJson(), "mem.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->processors.size(), 2u);
  EXPECT_EQ(back->processors[1].backend, "opencl:0");
  EXPECT_EQ(back->processors[1].device, "PoCL: pthread");
  EXPECT_EQ(back->processors[0].backend, "cpu");
  // The committed profile predates the backend fields: its processors are CPU processors.
  auto old = Profile::Read(std::string(SL_SOURCE_DIR) + "/configs/profiles/zoo-cpu0_cpu1.json");
  ASSERT_TRUE(old.ok()) << old.status().message();
  for (const ProcessorSpec& q : old->processors) EXPECT_TRUE(q.is_cpu()) << q.name;
}

TEST(ProcessorBackends, MissingBackendIsNamedWhenResolvingDevices) {
  std::vector<ProcessorSpec> procs = {Parsed("cuda7")};
  Status st = ResolveDevices(procs);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cuda7"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sl

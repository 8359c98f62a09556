#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <fstream>

#include "sched/sched_test_util.h"
#include "sim/sim_test_util.h"

namespace sl {
namespace {

using testing::SimProfile;
using testing::SimWorkload;

TEST(Simulator, DeterministicForASeedAndMarkedSimulated) {
  Workload w = SimWorkload(3000, 2);
  SimOptions o;
  o.jitter = 0.3;
  o.contention = 0.1;
  o.job_overhead_us = 10;
  for (const std::string& policy : PolicyNames()) {
    auto a = Simulate(w, SimProfile(), nullptr, policy, {}, o);
    auto b = Simulate(w, SimProfile(), nullptr, policy, {}, o);
    ASSERT_TRUE(a.ok() && b.ok()) << policy;
    EXPECT_TRUE(a->metrics.simulated);
    RunMetrics ma = a->metrics, mb = b->metrics;
    ma.optimizer = mb.optimizer = {};  // wall-clock decision times differ run to run
    ma.dispatcher = mb.dispatcher = {};
    EXPECT_EQ(ma.ToJson(), mb.ToJson()) << policy;
    EXPECT_NE(ma.ToJson().find("\"simulated\":true"), std::string::npos);
    const TaskMetrics& all = ma.overall;
    EXPECT_EQ(all.served + all.rejected, all.requests) << policy;
    EXPECT_GT(all.served, 0) << policy;
  }
  o.seed = 99;
  auto c = Simulate(w, SimProfile(), nullptr, "sparseloom", {}, o);
  SimOptions other_seed = o;
  other_seed.seed = 98;
  auto d = Simulate(w, SimProfile(), nullptr, "sparseloom", {}, other_seed);
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_NE(c->metrics.overall.latency.mean_ms, d->metrics.overall.latency.mean_ms);
}

TEST(Simulator, OverloadRejectsWithReasonsAndLosesNothing) {
  Workload w = SimWorkload(40000, 1);  // ~10x two processors' capacity
  SimOptions o;
  o.controller.keep_records = true;
  auto out = Simulate(w, SimProfile(), nullptr, "sparseloom", {}, o);
  ASSERT_TRUE(out.ok());
  const TaskMetrics& all = out->metrics.overall;
  EXPECT_EQ(all.served + all.rejected, all.requests);
  EXPECT_EQ(static_cast<int64_t>(out->records.size()), all.requests);
  EXPECT_GT(all.rejected, all.requests / 2);
  EXPECT_GT(all.rejected_by_reason.count("deadline-unmeetable"), 0u);
  // Throughput cannot exceed what two processors serve at the fastest segment latencies.
  EXPECT_LT(all.throughput_rps, 2 * 1e6 / (70.0 + 75.0) * 1.01);
}

TEST(Simulator, HandOffsDelayButDoNotOccupyProcessors) {
  // One request at a time on a pipelined placement: latency = segments + hand-off.
  Profile p = SimProfile();
  Workload w = SimWorkload(10, 1);
  SimOptions o;
  o.controller.keep_records = true;
  auto out = Simulate(w, p, nullptr, "sv-ao-p", {}, o);
  ASSERT_TRUE(out.ok());
  bool seen = false;
  for (const RequestRecord& r : out->records) {
    if (!r.served || r.task != 0) continue;
    // sv-ao-p: variant 0 (most accurate), segment 0 on cpu0 (150), segment 1 on cpu1 (165).
    EXPECT_NEAR(r.finish_us - r.arrival_us, 150 + 165 + 20, 1e-6);
    seen = true;
  }
  EXPECT_TRUE(seen);
}

TEST(Simulator, LatencyScaleAndMeasuredJobSamplesSetJobTimes) {
  Workload w = SimWorkload(200, 1);
  auto mean_ms = [&](const SimOptions& o) {
    auto out = Simulate(w, SimProfile(), nullptr, "sv-ao-np", {}, o);
    SL_CHECK(out.ok());
    return out->metrics.overall.latency.p50_ms;
  };
  SimOptions plain;
  SimOptions scaled;
  scaled.latency_scale = 2;
  SimOptions sampled;  // every job twice the profile plus 50 us
  sampled.job_samples = {{2.0, 50.0}};
  const double base = mean_ms(plain);
  EXPECT_GT(mean_ms(scaled), 1.5 * base);
  EXPECT_GT(mean_ms(sampled), mean_ms(scaled));
  // Start delays are drawn by how a job starts: at this light load first stages find their
  // processor idle, so only the idle-first delay shows in the median.
  SimOptions delayed = sampled;
  delayed.job_samples.push_back({2.0, 50.0, 0, 400, StartKind::kIdleFirst});
  EXPECT_NEAR(mean_ms(delayed) - mean_ms(sampled), 0.4, 0.05);
  SimOptions queued_only = sampled;
  queued_only.job_samples.push_back({2.0, 50.0, 0, 5000, StartKind::kQueued});
  EXPECT_NEAR(mean_ms(queued_only), mean_ms(sampled), 0.05);
  // Deterministic for a seed with a real-looking, heavy-tailed sample too.
  SimOptions tail;
  for (int i = 0; i < 100; ++i) tail.job_samples.push_back({i == 0 ? 30.0 : 1.0, 3.0});
  EXPECT_EQ(mean_ms(tail), mean_ms(tail));
}

// A timed replay brings a real run's slow stretch back when and where it happened: cpu0 ran 4x
// slow from 0.4 to 0.6 s, every other job at the profile. Jobs drawn by time on cpu0 in that
// window run slow, jobs elsewhere do not; drawn at random, the slow jobs scatter over the run.
TEST(Simulator, TimedReplayKeepsSlowStretchesInPlace) {
  Workload w = SimWorkload(300, 1);
  SimOptions o;
  o.controller.keep_records = true;
  for (int p = 0; p < 2; ++p)
    for (int ms = 0; ms < 1000; ms += 2) {
      const bool slow = p == 0 && ms >= 400 && ms < 600;
      o.job_samples.push_back({slow ? 4.0 : 1.0, 0, 0, 0, StartKind::kQueued, ms * 1000.0, p});
    }
  // Mean service (finish - start) of single-stage requests on cpu0, inside and outside the window.
  auto service = [&](bool by_time) {
    SimOptions so = o;
    so.job_samples_by_time = by_time;
    auto out = Simulate(w, SimProfile(), nullptr, "sv-ao-np", {}, so);
    SL_CHECK(out.ok());
    double in = 0, out_of = 0;
    int n_in = 0, n_out = 0;
    for (const RequestRecord& r : out->records) {
      if (!r.served || r.placement != std::vector<int>(r.placement.size(), 0)) continue;
      const bool inside = r.start_us > 420e3 && r.start_us < 580e3;
      (inside ? in : out_of) += r.finish_us - r.start_us;
      ++(inside ? n_in : n_out);
    }
    SL_CHECK(n_in > 10 && n_out > 10);
    return std::make_pair(in / n_in, out_of / n_out);
  };
  const auto [timed_in, timed_out] = service(true);
  EXPECT_GT(timed_in, 3 * timed_out);
  const auto [random_in, random_out] = service(false);
  EXPECT_LT(random_in, 2 * random_out);
  EXPECT_GT(random_out, 1.1 * timed_out);  // the slow jobs landed outside the window too
}

TEST(JobSampleReservoir, KeepsAUniformBoundedDeterministicSample) {
  JobSampleReservoir a(64), b(64);
  for (int i = 0; i < 10000; ++i) {
    a.Add({static_cast<double>(i), 0});
    b.Add({static_cast<double>(i), 0});
  }
  ASSERT_EQ(a.samples().size(), 64u);
  double mean = 0;
  for (size_t i = 0; i < 64; ++i) {
    EXPECT_EQ(a.samples()[i].slowdown, b.samples()[i].slowdown);
    mean += a.samples()[i].slowdown / 64;
  }
  EXPECT_GT(mean, 2500);  // not just the first 64 jobs: spread over all 10,000
  EXPECT_LT(mean, 7500);
}

// The engine admits an arrival that finds every worker busy when a job ends (that worker admits
// it), not at its own time: by then the finished job no longer counts as work ahead of it.
TEST(Simulator, AdmitsLikeTheEngineWhenEveryWorkerIsBusy) {
  Profile p;
  p.processors = {{"cpu0", {0}, 1, "cpu", ""}};
  p.tasks.push_back(testing::MakeTask(
      "pa", 1, 1, 1, [](int, int, int) { return 100.0; }, [](int64_t) { return 0.9; }));
  // Arrivals at 0 and 50 us; each job takes 100 us; bound 190 us. Admitted at 50 us the second
  // request would see 100 us of work ahead (the running job, whole) and a finish at 250 us, past
  // its deadline at 240 us; admitted when the first job ends at 100 us it finishes at 200 us.
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream trace(dir + "/admit_trace.txt");
    trace << "0\n0.00005\n";
  }
  auto w = ParseWorkloadJson(R"({"duration_s": 0.01, "processors": ["cpu0"], "tasks": [
      {"name": "a", "pool": "pa", "slo": {"latency_ms": 0.19},
       "arrival": {"type": "trace", "file": "admit_trace.txt"}}]})",
                             "admit.json", dir);
  ASSERT_TRUE(w.ok()) << w.status().message();
  SimOptions o;
  o.controller.keep_records = true;
  auto engine = Simulate(*w, p, nullptr, "sv-ao-np", {}, o);
  o.engine_admission = false;
  auto eager = Simulate(*w, p, nullptr, "sv-ao-np", {}, o);
  ASSERT_TRUE(engine.ok() && eager.ok());
  ASSERT_EQ(engine->records.size(), 2u);
  ASSERT_EQ(eager->records.size(), 2u);
  auto second = [](const SimOutput& out) {
    for (const RequestRecord& r : out.records)
      if (r.arrival_us == 50) return r;
    return RequestRecord{};
  };
  EXPECT_TRUE(second(*engine).served);
  EXPECT_DOUBLE_EQ(second(*engine).finish_us, 200);
  EXPECT_FALSE(second(*eager).served);
  EXPECT_EQ(second(*eager).reason, "deadline-unmeetable");
}

}  // namespace
}  // namespace sl

#include "runtime/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "profile/profiler.h"
#include "zoo/stitch_test_util.h"

namespace sl {
namespace {

struct Fixture {
  Profile profile;
  std::vector<ServedTask> tasks;
};

// A real (tiny) pool, profiled on this machine's first core(s) (and `extra`, e.g. a device
// processor), served for real.
Fixture MakeFixture(int processors, const std::string& extra = "") {
  Fixture f;
  Pool pool = testing::SmallPool(3, 40, 11);
  std::vector<ProcessorSpec> procs = {DefaultProcessors()[0]};
  if (processors > 1 && DefaultProcessors().size() > 2) procs.push_back(DefaultProcessors()[1]);
  if (!extra.empty()) {
    auto p = ParseProcessor(extra);
    SL_CHECK(p.ok());
    procs.push_back(*p);
    SL_CHECK(ResolveDevices(procs).ok());
  }
  ProfileOptions opts;
  opts.num_segments = static_cast<int>(procs.size());
  opts.accuracy_batch = 8;
  opts.latency = {1, 3};
  opts.validation_samples = 0;
  auto tp = ProfileTask(pool, procs, opts);
  SL_CHECK(tp.ok());
  f.profile.processors = procs;
  f.profile.tasks.push_back(*tp);
  auto st = MakeServedTask("small", std::move(pool), tp->cuts);
  SL_CHECK(st.ok());
  f.tasks.push_back(std::move(st).value());
  return f;
}

Workload SmallWorkload(double rate, double duration_s, double budget_mb, double accuracy_min = 0) {
  const std::string text = R"({"duration_s": )" + std::to_string(duration_s) +
                           R"(, "seed": 9, "memory_budget_mb": )" + std::to_string(budget_mb) +
                           R"(, "tasks": [{"name": "t", "pool": "small",
      "slo": {"latency_ms": 20, "accuracy_min": )" +
                           std::to_string(accuracy_min) + R"(},
      "arrival": {"type": "poisson", "rate": )" +
                           std::to_string(rate) + R"(}}]})";
  auto w = ParseWorkloadJson(text, "engine_test.json", ".");
  SL_CHECK(w.ok());
  return *w;
}

TEST(Engine, ServesRealInputsAndAccountsForEveryRequest) {
  Fixture f = MakeFixture(2);
  Workload w = SmallWorkload(400, 0.5, 0);
  EngineOptions o;
  o.progress = false;
  o.controller.keep_records = true;
  o.controller.trace = true;
  // Both ways of admitting: idle workers admit arrivals themselves (default), or only the
  // arrival thread does.
  for (const bool workers_admit : {true, false}) {
    for (const char* policy : {"sparseloom", "sv-ao-np", "av-p"}) {
      SCOPED_TRACE(std::string(policy) + (workers_admit ? ", workers admit" : ", main admits"));
      o.idle_workers_admit = workers_admit;
      auto out = RunWorkload(w, f.profile, f.tasks, policy, {}, o);
      ASSERT_TRUE(out.ok()) << out.status().message();
      const RunMetrics& m = out->metrics;
      auto arrivals = GenerateArrivals(w, {40});
      ASSERT_TRUE(arrivals.ok());
      EXPECT_EQ(m.overall.requests, static_cast<int64_t>(arrivals->size()));
      EXPECT_EQ(m.overall.served + m.overall.rejected, m.overall.requests);
      EXPECT_EQ(static_cast<int64_t>(out->records.size()), m.overall.requests);
      EXPECT_GT(m.overall.served, 0);
      EXPECT_FALSE(out->trace.empty());
      EXPECT_GT(m.peak_resident_weight_bytes, 0);
      EXPECT_EQ(m.simulated, false);
      // Correctness is measured from the outputs: replay each served request's stitch directly.
      const Pool& pool = f.tasks[0].pool;
      auto set = SegmentSet::Prepare(pool, f.tasks[0].cuts, {});
      ASSERT_TRUE(set.ok());
      StitchRunner runner(*set);
      int64_t checked = 0;
      for (const RequestRecord& r : out->records) {
        if (!r.served) continue;
        Tensor x(DType::kF32, {1, 8});
        std::memcpy(x.raw(), pool.val_x.data<float>() + 8 * r.sample, 8 * sizeof(float));
        auto y = runner.Run(r.stitch, x);
        ASSERT_TRUE(y.ok());
        const float* d = y->data<float>();
        const int64_t arg = std::max_element(d, d + 4) - d;
        EXPECT_EQ(arg == pool.val_y.data<int64_t>()[r.sample], r.correct) << "request " << r.id;
        ++checked;
      }
      EXPECT_EQ(checked, m.overall.served);
    }
  }
}

TEST(Engine, ServesOnACpuCoreAndAnOpenClDevice) {
  if (!OpenBackend("opencl").ok()) GTEST_SKIP() << "no OpenCL device (PoCL is in setup.sh)";
  Fixture f = MakeFixture(1, "ocl0");
  ASSERT_EQ(f.profile.processors.size(), 2u);
  EXPECT_EQ(f.profile.processors[1].backend, "opencl:0");
  EXPECT_FALSE(f.profile.processors[1].device.empty());
  for (const auto& seg : f.profile.tasks[0].segments) EXPECT_GT(seg.latency_us[1], 0);
  Workload w = SmallWorkload(300, 0.5, 0);
  EngineOptions o;
  o.progress = false;
  o.controller.keep_records = true;
  // sv-ao-np puts the whole model on one processor: the profile decides which; av-p pipelines
  // across both, so the OpenCL device runs segments too.
  for (const char* policy : {"sparseloom", "av-p"}) {
    SCOPED_TRACE(policy);
    auto out = RunWorkload(w, f.profile, f.tasks, policy, {}, o);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const RunMetrics& m = out->metrics;
    EXPECT_EQ(m.overall.served + m.overall.rejected, m.overall.requests);
    EXPECT_GT(m.overall.served, 0);
    EXPECT_EQ(m.replans_by_cause.count("segment-failed"), 0u);
  }
}

TEST(Engine, NeverHoldsMoreWeightsThanTheBudget) {
  Fixture f = MakeFixture(1);
  const TaskProfile& tp = f.profile.tasks[0];
  int64_t max_seg = 0;
  for (const auto& s : tp.segments) max_seg = std::max(max_seg, s.weight_bytes);
  const double budget_mb = 1.5 * static_cast<double>(max_seg) / 1048576.0;
  Workload w = SmallWorkload(300, 0.4, budget_mb);
  EngineOptions o;
  o.progress = false;
  o.controller.memory_budget_bytes = static_cast<int64_t>(budget_mb * 1048576.0);
  for (const char* policy : {"sparseloom", "sv-lo-np"}) {
    auto out = RunWorkload(w, f.profile, f.tasks, policy, {}, o);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_LE(out->store_peak_bytes, o.controller.memory_budget_bytes) << policy;
    EXPECT_EQ(out->metrics.overall.served + out->metrics.overall.rejected,
              out->metrics.overall.requests);
  }
}

TEST(Engine, StalledProcessorIsDetectedAndNothingIsLost) {
  Fixture f = MakeFixture(2);
  if (f.profile.processors.size() < 2) GTEST_SKIP() << "needs two usable cores";
  Workload w = SmallWorkload(300, 0.6, 0);
  EngineOptions o;
  o.progress = false;
  o.stall_timeout_ms = 50;
  // The first processor to reach its third job hangs.
  auto stalled = std::make_shared<std::atomic<int>>(-1);
  o.fault_hook = [stalled](int p, int64_t job) {
    int none = -1;
    return !(job == 2 && stalled->compare_exchange_strong(none, p));
  };
  auto out = RunWorkload(w, f.profile, f.tasks, "sparseloom", {}, o);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const RunMetrics& m = out->metrics;
  EXPECT_EQ(m.overall.served + m.overall.rejected, m.overall.requests);
  EXPECT_GE(m.overall.rejected_by_reason.count("processor-failed"), 1u);
  EXPECT_EQ(m.replans_by_cause.count("processor-lost"), 1u);
  EXPECT_GT(m.overall.served, m.overall.requests / 2);
}

}  // namespace
}  // namespace sl

namespace sl {
namespace {

TEST(Engine, SegmentThatFailsToLoadFailsOnlyItsRequestsAndIsNotChosenAgain) {
  Fixture f = MakeFixture(1);
  const TaskProfile& tp = f.profile.tasks[0];
  int best = 0;
  for (int x = 0; x < tp.num_variants(); ++x) {
    const int64_t plain = x * (tp.num_stitches() - 1) / (tp.num_variants() - 1);
    const int64_t cur = best * (tp.num_stitches() - 1) / (tp.num_variants() - 1);
    if (tp.accuracy.stitches[plain] > tp.accuracy.stitches[cur]) best = x;
  }
  const int64_t best_plain = best * (tp.num_stitches() - 1) / (tp.num_variants() - 1);
  Workload w = SmallWorkload(300, 0.5, 0, tp.accuracy.stitches[best_plain] - 1e-9);
  EngineOptions o;
  o.progress = false;
  o.controller.keep_records = true;
  // The variant that serves most requests of segment 0 (same profile, same decisions) now lives
  // in a file that does not exist.
  {
    auto before = RunWorkload(w, f.profile, f.tasks, "sparseloom", {}, o);
    ASSERT_TRUE(before.ok());
    std::vector<int> uses(tp.num_variants(), 0);
    for (const RequestRecord& r : before->records)
      if (r.served) ++uses[r.stitch[0]];
    best = static_cast<int>(std::max_element(uses.begin(), uses.end()) - uses.begin());
    ASSERT_GT(uses[best], 0);
  }
  PoolVariant& v = f.tasks[0].pool.variants[best];
  f.tasks[0].pool.dir = "/nonexistent-sparseloom-pool";
  v.file = "missing.onnx";
  v.graph = Graph{};
  for (const char* policy : {"sparseloom"}) {
    SCOPED_TRACE(policy);
    auto out = RunWorkload(w, f.profile, f.tasks, policy, {}, o);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const RunMetrics& m = out->metrics;
    EXPECT_EQ(m.overall.served + m.overall.rejected, m.overall.requests);
    for (const RequestRecord& r : out->records)
      if (r.served) {
        for (int x : r.stitch) EXPECT_NE(x, best) << "served by the broken variant";
      }
    const auto it = m.overall.rejected_by_reason.find("segment-load-failed");
    const int64_t failed = it == m.overall.rejected_by_reason.end() ? 0 : it->second;
    EXPECT_LE(failed, 4);  // only those in flight when it failed
    EXPECT_GE(m.replans_by_cause.count("segment-failed"), 1u);
    EXPECT_GT(m.overall.served, m.overall.requests / 2);
  }
}

}  // namespace
}  // namespace sl

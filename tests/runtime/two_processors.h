// A controller fixture for the runtime tests: one task of one segment on two processors.
#pragma once

#include <memory>
#include <string>

#include "runtime/controller.h"
#include "sched/sched_test_util.h"

namespace sl::testing {

// 100 us on cpu0, `us_on_1` on cpu1; bound 5 ms.
struct TwoProcessors {
  Profile profile;
  Workload workload;
  explicit TwoProcessors(double us_on_1) {
    profile.processors = {{"cpu0", {0}, 1, "cpu", ""}, {"cpu1", {1}, 1, "cpu", ""}};
    profile.tasks.push_back(MakeTask(
        "m", 1, 1, 2, [us_on_1](int, int, int q) { return q == 0 ? 100.0 : us_on_1; },
        [](int64_t) { return 0.9; }));
    auto w = ParseWorkloadJson(R"({"duration_s": 1, "seed": 1, "tasks": [
      {"name": "t", "pool": "m", "slo": {"latency_ms": 5, "accuracy_min": 0.5},
       "arrival": {"type": "periodic", "rate": 1}}]})",
                               "test.json", ".");
    SL_CHECK(w.ok());
    workload = *w;
  }
  std::unique_ptr<Controller> Make(const std::string& policy,
                                   const ControllerOptions& options = {}) const {
    auto pol = MakePolicy(policy);
    SL_CHECK(pol.ok());
    auto c = Controller::Create(workload, profile, std::move(pol).value(), {}, options);
    SL_CHECK(c.ok());
    SL_CHECK((*c)->Start(0).ok());
    return std::move(c).value();
  }
};

}  // namespace sl::testing

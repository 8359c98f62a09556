// The simulator tests' profile and workload: two tasks of 3 variants x 2 segments on two CPUs.
#pragma once

#include <string>

#include "runtime/workload.h"
#include "sched/sched_test_util.h"

namespace sl::testing {

inline Profile SimProfile() {
  Profile p;
  p.processors = {{"cpu0", {0}, 1, "cpu", ""}, {"cpu1", {1}, 1, "cpu", ""}};
  for (const char* name : {"pa", "pb"})
    p.tasks.push_back(MakeTask(
        name, 3, 2, 2, [](int v, int i, int q) { return 150.0 - 40 * v + 10 * q + 5 * i; },
        [](int64_t s) { return 0.95 - 0.01 * static_cast<double>(s % 7); }, 20));
  return p;
}

inline Workload SimWorkload(double rate, double duration_s) {
  const std::string r = std::to_string(rate);
  const std::string text = R"({"duration_s": )" + std::to_string(duration_s) + R"(, "seed": 2,
    "tasks": [
      {"name": "a", "pool": "pa", "slo": {"latency_ms": 1, "accuracy_min": 0.9},
       "arrival": {"type": "poisson", "rate": )" +
                           r + R"(}},
      {"name": "b", "pool": "pb", "slo": {"latency_ms": 2, "accuracy_min": 0.9},
       "arrival": {"type": "periodic", "rate": )" +
                           r + R"(}, "start_s": 0.5}],
    "events": [{"at_s": 1, "task": "b", "slo": {"latency_ms": 0.5}}]})";
  auto w = ParseWorkloadJson(text, "sim_test.json", ".");
  SL_CHECK(w.ok());
  return *w;
}

}  // namespace sl::testing

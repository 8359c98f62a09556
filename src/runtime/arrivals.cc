#include "runtime/arrivals.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace sl {

Result<std::vector<Arrival>> GenerateArrivals(const Workload& workload,
                                              const std::vector<int64_t>& sample_counts,
                                              int64_t max_arrivals) {
  if (sample_counts.size() != workload.tasks.size())
    return InvalidArgument("arrivals: need one validation count per task");
  double expected = 0;
  for (size_t t = 0; t < workload.tasks.size(); ++t) {
    const WorkloadTask& task = workload.tasks[t];
    if (sample_counts[t] < 1)
      return InvalidArgument("task '" + task.name + "': its pool has no validation samples");
    if ((task.arrival.load > 0 && !(task.arrival.rate > 0)) ||
        (task.latency_x > 0 && !(task.latency_ms > 0)))
      return InvalidArgument("task '" + task.name +
                             "': its relative SLO or load is not resolved on a profile");
    expected += workload.ExpectedRate(static_cast<int>(t)) * (task.stop_s - task.start_s);
  }
  for (const SloEvent& e : workload.events)
    if (e.latency_x > 0 && !(e.latency_ms > 0))
      return InvalidArgument("the SLO change of task '" + e.task +
                             "': its relative latency bound is not resolved on a profile");
  if (expected > static_cast<double>(max_arrivals))
    return InvalidArgument(workload.source + ": about " + std::to_string(int64_t(expected)) +
                           " requests, more than the limit of " + std::to_string(max_arrivals));
  std::vector<Arrival> out;
  out.reserve(static_cast<size_t>(expected * 1.1) + 16);
  for (size_t t = 0; t < workload.tasks.size(); ++t) {
    const WorkloadTask& task = workload.tasks[t];
    std::mt19937_64 rng(workload.seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull * (t + 1));
    std::uniform_int_distribution<int64_t> pick(0, sample_counts[t] - 1);
    const double start = task.start_s, stop = task.stop_s;
    auto push = [&](double s) {
      out.push_back({s * 1e6, static_cast<int>(t), pick(rng)});
      return static_cast<int64_t>(out.size()) <= max_arrivals;
    };
    bool ok = true;
    switch (task.arrival.kind) {
      case ArrivalKind::kPeriodic:
        for (int64_t k = 0; ok; ++k) {
          const double s = start + k / task.arrival.rate;
          if (s >= stop) break;
          ok = push(s);
        }
        break;
      case ArrivalKind::kPoisson: {
        std::exponential_distribution<double> gap(task.arrival.rate);
        for (double s = start + gap(rng); ok && s < stop; s += gap(rng)) ok = push(s);
        break;
      }
      case ArrivalKind::kTrace:
        for (double x : task.arrival.trace_times) {
          if (start + x >= stop || !ok) break;
          ok = push(start + x);
        }
        break;
    }
    if (!ok)
      return InvalidArgument(workload.source + ": more than " + std::to_string(max_arrivals) +
                             " requests");
  }
  std::stable_sort(out.begin(), out.end(), [](const Arrival& a, const Arrival& b) {
    return a.time_us < b.time_us || (a.time_us == b.time_us && a.task < b.task);
  });
  return out;
}

}  // namespace sl

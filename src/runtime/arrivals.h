// Arrival generation: a workload + its seed -> every request's arrival time, task and input sample.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "runtime/workload.h"

namespace sl {

struct Arrival {
  double time_us = 0;  // from the start of the run
  int task = 0;        // index into Workload::tasks
  int64_t sample = 0;  // row of the task's validation data
};

// All arrivals in time order (ties: task order). Periodic arrivals start at the task's start;
// Poisson gaps and the samples come from a generator seeded with the workload's seed and the task
// index, so adding a task does not change the others' requests. `sample_counts[t]` is the number of
// validation rows of task t (>= 1). Fails when the workload would produce more than
// `max_arrivals` requests (naming the total).
[[nodiscard]] Result<std::vector<Arrival>> GenerateArrivals(
    const Workload& workload, const std::vector<int64_t>& sample_counts,
    int64_t max_arrivals = int64_t{100} << 20);

}  // namespace sl

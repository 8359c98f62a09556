// What the optimizer hands the dispatcher: per task a ranked list of (stitch, placement) options.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "profile/profile.h"

namespace sl {

// Consecutive segments [first_segment, end_segment) of a placement on one processor.
struct Stage {
  int processor = 0;
  int first_segment = 0, end_segment = 0;
  double service_us = 0;     // sum of the stage's segment latencies on `processor`
  double handoff_in_us = 0;  // hand-off of the cut before the stage (0 for the first stage)
};

struct Option {
  int64_t stitch_index = 0;         // mixed radix, zoo/segments.h
  std::vector<int> stitch;          // variant per segment
  std::vector<int> placement;       // processor per segment
  std::vector<Stage> stages;        // pipeline order
  double predicted_latency_us = 0;  // segments + hand-offs, no queueing, everything resident
  double expected_latency_us = 0;   // plus the queueing the optimizer's chosen loads imply
  double accuracy = 0;
  int64_t weight_bytes = 0;         // distinct segments of the stitch
  std::vector<double> busy_us;      // per processor: work one request puts on it
  std::vector<double> utilisation;  // per processor: busy_us * the task's rate
};

struct Choice {
  int task = 0;                 // task position in Snapshot::tasks
  int task_id = 0;              // TaskState::id
  std::vector<Option> options;  // ranked, best first; never empty
};

// Mixed-radix stitch decoding (the numbering of zoo/segments.h, restated here so that sched/ needs
// profile data types only).
std::vector<int> StitchOfIndex(int64_t index, int num_variants, int num_segments);
int64_t IndexOfStitch(const std::vector<int>& stitch, int num_variants);

// Builds an Option (stages, latency, busy time, bytes, accuracy) for `stitch` on `placement` of
// `task`; utilisation is busy_us * rate_rps. Fails naming the entry that is out of range or when
// the profile lacks latencies for a processor.
// A run of segments on processor p is one stage, unless its service exceeds split_above_us[p]
// (when given): then each of its segments is a stage of its own (points where the processor may
// serve another request in between).
[[nodiscard]] Result<Option> MakeOption(const TaskProfile& task, const std::vector<int>& stitch,
                                        const std::vector<int>& placement, int num_processors,
                                        double rate_rps,
                                        std::span<const double> split_above_us = {});

// Checks that a task's profile is complete enough for the policies: segments, accuracies, hand-offs
// and `num_processors` latencies per segment. Errors name the task and the missing entry.
[[nodiscard]] Status ValidateTaskProfile(const TaskProfile& task, int num_processors);

}  // namespace sl

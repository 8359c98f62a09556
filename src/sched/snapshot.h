// The read-only inputs of every policy (docs/scheduling.md).
//
// A Snapshot is what the runtime or the simulator knows at one instant: the tasks with their SLOs,
// arrival rates and profiles, the processors with their queues, the memory budget and which
// segments are resident. Policies (sched/) are pure functions of a Snapshot: no threads, no clocks,
// no I/O. The caller owns every object a Snapshot points to and keeps it alive for the call.
//
// Indexing conventions:
//   * processors[p] describes processor p of the profile (SegmentProfile::latency_us[p] and
//     HandoffProfile::us[p][q] index the same p);
//   * tasks are referred to by their position in Snapshot::tasks ("task position"); TaskState::id
//     is the caller's stable id, copied into Choice for bookkeeping;
//   * a segment of a task is referred to by its profile index v * K + i (TaskProfile::segments).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "profile/profile.h"

namespace sl {

struct Slo {
  double latency_ms = 0;    // bound on request latency (arrival to result)
  double accuracy_min = 0;  // floor in [0, 1]
  double latency_us() const { return latency_ms * 1000.0; }
};

struct TaskState {
  int id = 0;                            // caller's stable id
  std::string name;                      // for messages
  const TaskProfile* profile = nullptr;  // not owned
  Slo slo;
  double arrival_rate_rps = 0;  // expected requests per second
  bool active = true;           // inactive tasks get no Choice
};

struct ProcessorState {
  int id = 0;  // index into Profile::processors
  bool alive = true;
  // Expected work already queued (or running) on it, from `now_us`; served by urgency, the
  // controller sets it, for each dispatch, to the work that runs before that request.
  double queued_work_us = 0;
  // A CPU worker: it may switch to another request at any segment boundary at no cost (a GPU or
  // NPU runs what was launched as one unit, and each boundary costs a launch and a sync).
  bool cpu = true;
};

// Which segments' weights are in memory. When `tracked` is false every segment counts as resident
// (no memory management: no load costs).
struct ResidentSet {
  // flags values: not resident, resident with its weights in memory, resident (memory reserved)
  // while its weights still load.
  static constexpr uint8_t kAbsent = 0, kReady = 1, kLoading = 2;
  bool tracked = false;
  std::vector<std::vector<uint8_t>> flags;  // [task position][v * K + i]
  int64_t bytes = 0;                        // sum of weight_bytes of the resident segments

  // Resident (ready or loading): what the optimizer and the preloader plan with.
  bool Contains(int task, int segment) const { return Flag(task, segment) != kAbsent; }
  // Its weights are in memory: what the dispatcher needs to run it without waiting for a load.
  bool Ready(int task, int segment) const { return Flag(task, segment) == kReady; }

 private:
  uint8_t Flag(int task, int segment) const {
    if (!tracked) return kReady;
    if (task < 0 || task >= static_cast<int>(flags.size())) return kAbsent;
    const auto& f = flags[task];
    return segment >= 0 && segment < static_cast<int>(f.size()) ? f[segment] : kAbsent;
  }
};

struct Snapshot {
  double now_us = 0;
  std::vector<TaskState> tasks;
  std::vector<ProcessorState> processors;
  int64_t memory_budget_bytes = std::numeric_limits<int64_t>::max();
  ResidentSet resident;
};

// One inference request as the dispatcher sees it.
struct Request {
  int task = 0;  // task position in Snapshot::tasks
  double arrival_us = 0;
  double deadline_us = 0;  // absolute, same clock as Snapshot::now_us
};

}  // namespace sl

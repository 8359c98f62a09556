// The dispatcher: one request + the current snapshot -> which option of the task's Choice runs it,
// or an early rejection (docs/scheduling.md "Dispatcher").
//
// Expected finish of an option, stage by stage in pipeline order:
//   ready    = now (first stage) or the previous stage's finish + the hand-off into this stage
//   start    = max(ready, now + queued_work_us of the stage's processor,
//                  now + load_us of the stage's segments that are not resident)
//   finish   = start + the stage's service time
// where load_us(segment) = weight_bytes / load_bandwidth_bytes_per_us (loads are issued at dispatch
// time and overlap with queueing). An option that uses a processor that is not alive is skipped.
//
// Dispatch allocates nothing: it reads the Choice and Snapshot and returns a small struct.
// Thread safety: a Dispatcher is immutable; Dispatch may run concurrently.
#pragma once

#include <string>

#include "sched/choice.h"
#include "sched/snapshot.h"

namespace sl {

enum class OptionPick {
  kRankOrder,       // the first option in rank order that meets the deadline (SparseLoom)
  kEarliestFinish,  // the option with the earliest expected finish (HEFT-like; ties: rank order)
};

enum class RequestOrder {
  kFifo,                   // serve pending requests in arrival order
  kLeastSlackFirst,        // serve the pending request with the least slack first (Band)
  kEarliestDeadlineFirst,  // serve the pending request due first
};

enum class OnUnmeetable {
  kReject,      // reject early with reason "deadline-unmeetable"
  kBestEffort,  // run the earliest-finishing option anyway
};

struct DispatcherConfig {
  OptionPick pick = OptionPick::kRankOrder;
  RequestOrder order = RequestOrder::kFifo;  // read by the caller's queue, see SlackUs
  OnUnmeetable unmeetable = OnUnmeetable::kReject;
  double load_bandwidth_bytes_per_us = 1000.0;  // 1 GB/s
  // Read by the caller's queues: a processor with nothing ready takes a request that waits on a
  // busy processor when an option of its choice runs whole here, resident, and finishes no later
  // (docs/scheduling.md "Work stealing").
  bool steal = false;
};

struct Decision {
  int option = -1;  // index into Choice::options; -1 when rejected
  bool rejected = false;
  bool on_time = false;           // expected finish <= deadline
  double expected_finish_us = 0;  // of the picked option (of the earliest one when rejected)
  const char* reason = "";        // static string: "", "deadline-unmeetable", "no-option"
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherConfig config = {}) : config_(config) {}
  const DispatcherConfig& config() const { return config_; }

  Decision Dispatch(const Request& request, const Choice& choice, const Snapshot& snapshot) const;

  // Expected finish time (absolute, microseconds) of `option` for a request of task position
  // `task` dispatched at snapshot.now_us; +infinity when it needs a processor that is not alive.
  double ExpectedFinishUs(const Option& option, int task, const Snapshot& snapshot) const;

  // Slack of a pending request: deadline - (now + the smallest expected service of the task's
  // options, queues ignored). Callers with RequestOrder::kLeastSlackFirst serve the smallest first.
  double SlackUs(const Request& request, const Choice& choice, const Snapshot& snapshot) const;

 private:
  DispatcherConfig config_;
};

}  // namespace sl

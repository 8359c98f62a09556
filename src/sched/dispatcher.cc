#include "sched/dispatcher.h"

#include <algorithm>
#include <limits>

namespace sl {

double Dispatcher::ExpectedFinishUs(const Option& option, int task, const Snapshot& snap) const {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const TaskProfile* tp =
      task >= 0 && task < static_cast<int>(snap.tasks.size()) ? snap.tasks[task].profile : nullptr;
  const int K = tp != nullptr ? tp->num_segments : 0;
  const double bw = config_.load_bandwidth_bytes_per_us;
  double t = snap.now_us;
  for (const Stage& st : option.stages) {
    if (st.processor < 0 || st.processor >= static_cast<int>(snap.processors.size())) return kInf;
    const ProcessorState& ps = snap.processors[st.processor];
    if (!ps.alive) return kInf;
    double load_us = 0;
    if (snap.resident.tracked && tp != nullptr) {
      for (int i = st.first_segment; i < st.end_segment; ++i) {
        const int seg = option.stitch[i] * K + i;
        if (!snap.resident.Ready(task, seg))  // still loading: counted as a whole load
          load_us += bw > 0 ? static_cast<double>(tp->segments[seg].weight_bytes) / bw : kInf;
      }
    }
    const double ready = st.first_segment == 0 ? snap.now_us : t + st.handoff_in_us;
    const double start =
        std::max({ready, snap.now_us + std::max(0.0, ps.queued_work_us), snap.now_us + load_us});
    t = start + st.service_us;
  }
  return t;
}

Decision Dispatcher::Dispatch(const Request& req, const Choice& choice,
                              const Snapshot& snap) const {
  Decision d;
  int earliest = -1;
  double earliest_us = std::numeric_limits<double>::infinity();
  const int n = static_cast<int>(choice.options.size());
  for (int o = 0; o < n; ++o) {
    const double f = ExpectedFinishUs(choice.options[o], req.task, snap);
    if (f < earliest_us) {
      earliest_us = f;
      earliest = o;
    }
    if (config_.pick == OptionPick::kRankOrder && f <= req.deadline_us) {
      d.option = o;
      d.on_time = true;
      d.expected_finish_us = f;
      return d;
    }
  }
  if (earliest < 0) {  // no option, or every option needs a dead processor
    d.rejected = true;
    d.reason = "no-option";
    d.expected_finish_us = earliest_us;
    return d;
  }
  d.expected_finish_us = earliest_us;
  d.on_time = earliest_us <= req.deadline_us;
  if (d.on_time || config_.unmeetable == OnUnmeetable::kBestEffort) {
    d.option = earliest;
    return d;
  }
  d.rejected = true;
  d.reason = "deadline-unmeetable";
  return d;
}

double Dispatcher::SlackUs(const Request& req, const Choice& choice, const Snapshot& snap) const {
  double best = std::numeric_limits<double>::infinity();
  for (const Option& o : choice.options) best = std::min(best, o.predicted_latency_us);
  return req.deadline_us - (snap.now_us + best);
}

}  // namespace sl

// The single-variant baselines sv-ao and sv-lo (docs/scheduling.md "Baselines").
#include <algorithm>
#include <string>

#include "sched/candidates.h"
#include "sched/optimizer.h"

namespace sl {
namespace {

// Whole-model latency of plain variant v, averaged over the alive processors.
double MeanPlainLatencyUs(const TaskProfile& tp, int v, const std::vector<int>& alive) {
  double sum = 0;
  for (int p : alive)
    for (int i = 0; i < tp.num_segments; ++i) sum += tp.segment(v, i).latency_us[p];
  return sum / static_cast<double>(alive.size());
}

}  // namespace

Result<std::vector<Choice>> SingleVariantOptimizer::Optimize(const Snapshot& snap) const {
  SL_ASSIGN_OR_RETURN(std::vector<int> alive, AliveProcessors(snap));
  SL_RETURN_IF_ERROR(ValidateSnapshotTasks(snap));
  const int P = static_cast<int>(snap.processors.size());
  std::vector<Choice> out;
  for (size_t t = 0; t < snap.tasks.size(); ++t) {
    const TaskState& ts = snap.tasks[t];
    if (!ts.active) continue;
    const TaskProfile& tp = *ts.profile;
    const int n = tp.num_variants(), K = tp.num_segments;
    auto plain_acc = [&](int v) {
      return tp.accuracy.stitches[IndexOfStitch(std::vector<int>(K, v), n)];
    };
    int chosen = 0;
    if (rule_ == VariantRule::kMostAccurate) {
      for (int v = 1; v < n; ++v)
        if (plain_acc(v) > plain_acc(chosen)) chosen = v;
    } else {
      int fastest = -1, fastest_ok = -1;
      for (int v = 0; v < n; ++v) {
        const double lat = MeanPlainLatencyUs(tp, v, alive);
        if (fastest < 0 || lat < MeanPlainLatencyUs(tp, fastest, alive)) fastest = v;
        if (plain_acc(v) >= ts.slo.accuracy_min &&
            (fastest_ok < 0 || lat < MeanPlainLatencyUs(tp, fastest_ok, alive)))
          fastest_ok = v;
      }
      chosen = fastest_ok >= 0 ? fastest_ok : fastest;
    }
    const std::vector<int> places = EnumeratePlacements(placements_, alive, K);
    Choice ch;
    ch.task = static_cast<int>(t);
    ch.task_id = ts.id;
    for (size_t pl = 0; pl * K < places.size(); ++pl) {
      SL_ASSIGN_OR_RETURN(Option o, MakeOption(tp, std::vector<int>(K, chosen),
                                               std::vector<int>(places.begin() + pl * K,
                                                                places.begin() + (pl + 1) * K),
                                               P, ts.arrival_rate_rps));
      ch.options.push_back(std::move(o));
    }
    // Fastest placement first (ties: processor order).
    std::stable_sort(ch.options.begin(), ch.options.end(), [](const Option& a, const Option& b) {
      return a.predicted_latency_us < b.predicted_latency_us;
    });
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace sl

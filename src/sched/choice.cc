#include "sched/choice.h"

#include <cmath>
#include <string>

namespace sl {

std::vector<int> StitchOfIndex(int64_t index, int num_variants, int num_segments) {
  std::vector<int> s(static_cast<size_t>(num_segments), 0);
  for (int i = num_segments - 1; i >= 0; --i) {
    s[i] = static_cast<int>(index % num_variants);
    index /= num_variants;
  }
  return s;
}

int64_t IndexOfStitch(const std::vector<int>& stitch, int num_variants) {
  int64_t index = 0;
  for (int v : stitch) index = index * num_variants + v;
  return index;
}

Status ValidateTaskProfile(const TaskProfile& t, int num_processors) {
  const std::string where = "task '" + t.task + "'";
  const int n = t.num_variants(), k = t.num_segments;
  if (n < 1 || k < 1) return InvalidArgument(where + ": needs at least one variant and segment");
  if (t.segments.size() != static_cast<size_t>(n) * k)
    return InvalidArgument(where + ": has " + std::to_string(t.segments.size()) +
                           " segments, expected " + std::to_string(n * k));
  if (static_cast<int64_t>(t.accuracy.stitches.size()) != t.num_stitches())
    return InvalidArgument(where + ": has " + std::to_string(t.accuracy.stitches.size()) +
                           " stitch accuracies, expected " + std::to_string(t.num_stitches()));
  if (static_cast<int>(t.handoffs.size()) < k - 1)
    return InvalidArgument(where + ": has " + std::to_string(t.handoffs.size()) +
                           " hand-offs, expected " + std::to_string(k - 1));
  for (int h = 0; h < k - 1; ++h) {
    const auto& us = t.handoffs[h].us;
    bool ok = static_cast<int>(us.size()) >= num_processors;
    for (int p = 0; ok && p < num_processors; ++p)
      ok = static_cast<int>(us[p].size()) >= num_processors;
    if (!ok)
      return InvalidArgument(where + ": hand-off of cut " + std::to_string(h) + " lacks a " +
                             std::to_string(num_processors) + "x" + std::to_string(num_processors) +
                             " matrix");
  }
  for (const SegmentProfile& s : t.segments) {
    if (static_cast<int>(s.latency_us.size()) < num_processors)
      return InvalidArgument(where + ": Segment(" + std::to_string(s.variant) + ", " +
                             std::to_string(s.index) + ") has latencies for " +
                             std::to_string(s.latency_us.size()) + " processors, expected " +
                             std::to_string(num_processors));
    for (int p = 0; p < num_processors; ++p)
      if (!(s.latency_us[p] >= 0) || !std::isfinite(s.latency_us[p]))
        return InvalidArgument(where + ": Segment(" + std::to_string(s.variant) + ", " +
                               std::to_string(s.index) + ") latency on processor " +
                               std::to_string(p) + " is not a finite non-negative number");
  }
  return Status::Ok();
}

Result<Option> MakeOption(const TaskProfile& t, const std::vector<int>& stitch,
                          const std::vector<int>& placement, int num_processors, double rate_rps,
                          std::span<const double> split_above_us) {
  const int k = t.num_segments, n = t.num_variants();
  if (static_cast<int>(stitch.size()) != k || static_cast<int>(placement.size()) != k)
    return InvalidArgument("task '" + t.task + "': a stitch and its placement need " +
                           std::to_string(k) + " entries");
  Option o;
  o.stitch = stitch;
  o.placement = placement;
  o.stitch_index = IndexOfStitch(stitch, n);
  o.busy_us.assign(static_cast<size_t>(num_processors), 0.0);
  o.utilisation.assign(static_cast<size_t>(num_processors), 0.0);
  for (int i = 0; i < k; ++i) {
    if (stitch[i] < 0 || stitch[i] >= n || placement[i] < 0 || placement[i] >= num_processors)
      return OutOfRange("task '" + t.task + "': stitch or placement entry " + std::to_string(i) +
                        " out of range");
    const SegmentProfile& seg = t.segment(stitch[i], i);
    if (static_cast<int>(seg.latency_us.size()) <= placement[i])
      return InvalidArgument("task '" + t.task + "': no latency of Segment(" +
                             std::to_string(stitch[i]) + ", " + std::to_string(i) +
                             ") on processor " + std::to_string(placement[i]));
    const double us = seg.latency_us[placement[i]];
    o.busy_us[placement[i]] += us;
    o.weight_bytes += seg.weight_bytes;
    if (i == 0 || placement[i] != placement[i - 1]) {
      Stage st;
      st.processor = placement[i];
      st.first_segment = i;
      st.end_segment = i;
      if (i > 0) st.handoff_in_us = t.handoffs[i - 1].us[placement[i - 1]][placement[i]];
      o.stages.push_back(st);
      o.predicted_latency_us += st.handoff_in_us;
    }
    o.stages.back().end_segment = i + 1;
    o.stages.back().service_us += us;
    o.predicted_latency_us += us;
  }
  if (!split_above_us.empty()) {
    std::vector<Stage> split;
    for (const Stage& st : o.stages) {
      if (st.processor >= static_cast<int>(split_above_us.size()) ||
          st.service_us <= split_above_us[st.processor] || st.end_segment - st.first_segment < 2) {
        split.push_back(st);
        continue;
      }
      for (int i = st.first_segment; i < st.end_segment; ++i) {
        Stage one = st;
        one.first_segment = i;
        one.end_segment = i + 1;
        one.service_us = t.segment(stitch[i], i).latency_us[st.processor];
        if (i > st.first_segment) {  // a same-processor hand-off (0 in measured profiles)
          one.handoff_in_us = t.handoffs[i - 1].us[st.processor][st.processor];
          o.predicted_latency_us += one.handoff_in_us;
        }
        split.push_back(one);
      }
    }
    o.stages = std::move(split);
  }
  for (int p = 0; p < num_processors; ++p) o.utilisation[p] = o.busy_us[p] * rate_rps * 1e-6;
  o.expected_latency_us = o.predicted_latency_us;
  o.accuracy = t.accuracy.stitches[static_cast<size_t>(o.stitch_index)];
  return o;
}

}  // namespace sl

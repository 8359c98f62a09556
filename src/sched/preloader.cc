#include "sched/preloader.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace sl {
namespace {

struct Item {
  int task = 0, segment = 0;
  double hotness = 0;
  int64_t bytes = 0;
};

bool ValidOption(const Option& o, const TaskProfile& tp) {
  if (static_cast<int>(o.stitch.size()) != tp.num_segments) return false;
  for (int v : o.stitch)
    if (v < 0 || v >= tp.num_variants()) return false;
  return true;
}

void TryAdd(ResidentSet& rs, const TaskProfile& tp, int task, int seg, int64_t budget) {
  if (rs.flags[task][seg]) return;
  const int64_t b = std::max<int64_t>(0, tp.segments[seg].weight_bytes);
  if (b > budget - rs.bytes) return;
  rs.flags[task][seg] = 1;
  rs.bytes += b;
}

}  // namespace

ResidentSet Preloader::Plan(const Snapshot& snap, const std::vector<Choice>& choices,
                            int64_t budget) const {
  ResidentSet rs;
  rs.tracked = true;
  rs.flags.resize(snap.tasks.size());
  for (size_t t = 0; t < snap.tasks.size(); ++t)
    if (snap.tasks[t].profile != nullptr)
      rs.flags[t].assign(snap.tasks[t].profile->segments.size(), 0);
  if (budget <= 0) return rs;
  auto profile_of = [&](const Choice& ch) -> const TaskProfile* {
    if (ch.task < 0 || ch.task >= static_cast<int>(snap.tasks.size())) return nullptr;
    return snap.tasks[ch.task].profile;
  };

  if (config_.mode == PreloadMode::kAll) {
    for (size_t t = 0; t < snap.tasks.size(); ++t)
      for (size_t seg = 0; seg < rs.flags[t].size(); ++seg)
        TryAdd(rs, *snap.tasks[t].profile, static_cast<int>(t), static_cast<int>(seg), budget);
    return rs;
  }
  if (config_.mode == PreloadMode::kRandom) {
    std::vector<Item> items;
    for (const Choice& ch : choices) {
      const TaskProfile* tp = profile_of(ch);
      if (tp == nullptr) continue;
      for (const Option& o : ch.options)
        if (ValidOption(o, *tp))
          for (int i = 0; i < tp->num_segments; ++i)
            items.push_back({ch.task, o.stitch[i] * tp->num_segments + i, 0, 0});
    }
    std::mt19937_64 rng(config_.seed);
    std::shuffle(items.begin(), items.end(), rng);
    for (const Item& it : items)
      TryAdd(rs, *snap.tasks[it.task].profile, it.task, it.segment, budget);
    return rs;
  }
  if (config_.mode == PreloadMode::kChoiceOrder) {
    size_t max_rank = 0;
    for (const Choice& ch : choices) max_rank = std::max(max_rank, ch.options.size());
    for (size_t r = 0; r < max_rank; ++r)
      for (const Choice& ch : choices) {
        const TaskProfile* tp = profile_of(ch);
        if (tp == nullptr || r >= ch.options.size() || !ValidOption(ch.options[r], *tp)) continue;
        const Option& o = ch.options[r];
        for (int i = 0; i < tp->num_segments; ++i)
          TryAdd(rs, *tp, ch.task, o.stitch[i] * tp->num_segments + i, budget);
      }
    return rs;
  }

  // 1-2. Hotness.
  std::vector<std::vector<double>> hot(snap.tasks.size());
  for (size_t t = 0; t < snap.tasks.size(); ++t) hot[t].assign(rs.flags[t].size(), 0.0);
  std::vector<double> rate_of(snap.tasks.size(), 0.0);
  for (const Choice& ch : choices) {
    const TaskProfile* tp = profile_of(ch);
    if (tp == nullptr) continue;
    const double rate = std::max(snap.tasks[ch.task].arrival_rate_rps, 1e-3);
    rate_of[ch.task] = rate;
    double norm = 0, w = 1;
    for (size_t r = 0; r < ch.options.size(); ++r, w *= config_.rank_decay) norm += w;
    if (!(norm > 0)) continue;
    w = 1;
    for (size_t r = 0; r < ch.options.size(); ++r, w *= config_.rank_decay) {
      const Option& o = ch.options[r];
      if (!ValidOption(o, *tp)) continue;
      for (int i = 0; i < tp->num_segments; ++i)
        hot[ch.task][o.stitch[i] * tp->num_segments + i] += rate * w / norm;
    }
  }
  // 3. First-fit by decreasing hotness.
  std::vector<Item> items;
  for (size_t t = 0; t < hot.size(); ++t)
    for (size_t s = 0; s < hot[t].size(); ++s)
      if (hot[t][s] > 0 && hot[t][s] >= config_.min_share * rate_of[t] * (1 - 1e-12))
        items.push_back({static_cast<int>(t), static_cast<int>(s), hot[t][s],
                         snap.tasks[t].profile->segments[s].weight_bytes});
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.hotness != b.hotness) return a.hotness > b.hotness;
    if (a.bytes != b.bytes) return a.bytes < b.bytes;
    if (a.task != b.task) return a.task < b.task;
    return a.segment < b.segment;
  });
  for (const Item& it : items)
    TryAdd(rs, *snap.tasks[it.task].profile, it.task, it.segment, budget);
  return rs;
}

}  // namespace sl

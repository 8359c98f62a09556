#include "sched/candidates.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

namespace sl {
namespace {

void PlaceNoRevisit(const std::vector<int>& alive, int k, int i, std::vector<int>& cur,
                    std::vector<uint8_t>& used, std::vector<int>& out) {
  if (i == k) {
    out.insert(out.end(), cur.begin(), cur.end());
    return;
  }
  if (i > 0) {  // continue the current run
    cur[i] = cur[i - 1];
    PlaceNoRevisit(alive, k, i + 1, cur, used, out);
  }
  for (size_t a = 0; a < alive.size(); ++a) {  // start a run on an unused processor
    if (used[a]) continue;
    used[a] = 1;
    cur[i] = alive[a];
    PlaceNoRevisit(alive, k, i + 1, cur, used, out);
    used[a] = 0;
  }
}

}  // namespace

std::vector<int> EnumeratePlacements(PlacementFamily family, const std::vector<int>& alive, int k) {
  std::vector<int> out;
  if (alive.empty() || k < 1) return out;
  switch (family) {
    case PlacementFamily::kSingle:
      for (int p : alive) out.insert(out.end(), static_cast<size_t>(k), p);
      break;
    case PlacementFamily::kRoundRobin:
      for (int i = 0; i < k; ++i) out.push_back(alive[static_cast<size_t>(i) % alive.size()]);
      break;
    case PlacementFamily::kAny: {
      std::vector<int> cur(static_cast<size_t>(k), 0);
      std::vector<uint8_t> used(alive.size(), 0);
      PlaceNoRevisit(alive, k, 0, cur, used, out);
      break;
    }
  }
  return out;
}

Result<CandidateSet> BuildCandidates(const Snapshot& snap, int task, const std::vector<int>& alive,
                                     const JointOptimizerConfig& config, bool bytes_matter) {
  const TaskState& ts = snap.tasks[task];
  const TaskProfile& tp = *ts.profile;
  const int P = static_cast<int>(snap.processors.size());
  const int n = tp.num_variants(), K = tp.num_segments;
  CandidateSet cs;
  cs.task = task;
  cs.num_processors = P;
  cs.num_segments = K;
  cs.rate_per_us = std::max(0.0, ts.arrival_rate_rps) * 1e-6;
  cs.weight = std::max(ts.arrival_rate_rps, 1e-3);
  cs.slo_us = ts.slo.latency_us();

  // 1. Stitches meeting the floor (else the most accurate ones).
  std::vector<int64_t> stitches;
  if (config.plain_variants_only) {
    for (int v = 0; v < n; ++v) stitches.push_back(IndexOfStitch(std::vector<int>(K, v), n));
  } else {
    const int64_t total = tp.num_stitches();
    if (total > config.max_stitches)
      return Unsupported("task '" + ts.name + "': " + std::to_string(total) +
                         " stitches exceed the optimizer's limit of " +
                         std::to_string(config.max_stitches) + "; use fewer segments or variants");
    stitches.resize(static_cast<size_t>(total));
    std::iota(stitches.begin(), stitches.end(), int64_t{0});
  }
  const auto& acc = tp.accuracy.stitches;
  std::vector<int64_t> kept;
  for (int64_t s : stitches)
    if (acc[s] >= ts.slo.accuracy_min) kept.push_back(s);
  if (kept.empty()) {
    cs.meets_floor = false;
    double best = -1;
    for (int64_t s : stitches) best = std::max(best, acc[s]);
    for (int64_t s : stitches)
      if (acc[s] == best) kept.push_back(s);
  }

  // 2. Placement-independent stitch pruning.
  // dom[(i * n + a) * n + b]: Segment(a, i) is no slower than Segment(b, i) on every alive
  // processor. total[j]: the stitch's latency summed over segments and alive processors, a quick
  // necessary condition (a dominating stitch has no larger total).
  std::vector<uint8_t> dom(static_cast<size_t>(K) * n * n, 0);
  for (int i = 0; i < K; ++i)
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        bool d = true;
        for (int p : alive)
          d = d && tp.segment(a, i).latency_us[p] <= tp.segment(b, i).latency_us[p];
        dom[(static_cast<size_t>(i) * n + a) * n + b] = d;
      }
  const size_t m = kept.size();
  std::vector<int> digits(m * K);
  std::vector<int64_t> sbytes(m, 0), sload(m, 0);  // sload: not resident (prefer_resident)
  std::vector<double> total(m, 0.0);
  // A task with nothing resident (its first plan) has no incumbent to keep: loads do not matter.
  bool loads_matter = false;
  if (config.prefer_resident && snap.resident.tracked)
    for (int s = 0; s < n * K && !loads_matter; ++s) loads_matter = snap.resident.Contains(task, s);
  for (size_t j = 0; j < m; ++j) {
    int64_t x = kept[j];
    for (int i = K - 1; i >= 0; --i) {
      digits[j * K + i] = static_cast<int>(x % n);
      x /= n;
    }
    for (int i = 0; i < K; ++i) {
      const SegmentProfile& seg = tp.segment(digits[j * K + i], i);
      sbytes[j] += seg.weight_bytes;
      if (loads_matter && !snap.resident.Contains(task, digits[j * K + i] * K + i))
        sload[j] += seg.weight_bytes;
      for (int p : alive) total[j] += seg.latency_us[p];
    }
  }
  // More accurate first, then fewer bytes (when they matter), fewer non-resident bytes, earlier
  // stitch (kept is increasing).
  struct Rank {
    double neg_acc;
    int64_t bytes, load;
    size_t x;
    bool operator<(const Rank& o) const {
      if (neg_acc != o.neg_acc) return neg_acc < o.neg_acc;
      if (bytes != o.bytes) return bytes < o.bytes;
      if (load != o.load) return load < o.load;
      return x < o.x;
    }
  };
  std::vector<Rank> ranked(m);
  for (size_t x = 0; x < m; ++x)
    ranked[x] = {-acc[kept[x]], bytes_matter ? sbytes[x] : 0, sload[x], x};
  std::sort(ranked.begin(), ranked.end());
  std::vector<size_t> order(m);
  for (size_t r = 0; r < m; ++r) order[r] = ranked[r].x;
  // The front is kept in increasing total, so that the scan stops at the first total above x's.
  std::vector<size_t> front;
  std::vector<double> ftotal;
  std::vector<int64_t> fb, fl;
  for (size_t x : order) {
    bool dominated = false;
    const int* dx = &digits[x * K];
    const size_t end = static_cast<size_t>(
        std::upper_bound(ftotal.begin(), ftotal.end(), total[x]) - ftotal.begin());
    for (size_t f = 0; f < end && !dominated; ++f) {
      if ((bytes_matter && fb[f] > sbytes[x]) || fl[f] > sload[x]) continue;
      const int* dy = &digits[front[f] * K];
      bool d = true;
      for (int i = 0; d && i < K; ++i) d = dom[(static_cast<size_t>(i) * n + dy[i]) * n + dx[i]];
      dominated = d;
    }
    if (dominated) continue;
    const auto at = static_cast<std::ptrdiff_t>(end);
    front.insert(front.begin() + at, x);
    ftotal.insert(ftotal.begin() + at, total[x]);
    fb.insert(fb.begin() + at, sbytes[x]);
    fl.insert(fl.begin() + at, sload[x]);
  }
  std::sort(front.begin(), front.end(), [&](size_t x, size_t y) { return kept[x] < kept[y]; });

  // 3. Placements.
  std::vector<int> proc_order = alive;
  if (config.placements == PlacementFamily::kRoundRobin && !config.processor_order.empty()) {
    proc_order.clear();
    for (int p : config.processor_order)
      if (std::find(alive.begin(), alive.end(), p) != alive.end()) proc_order.push_back(p);
    if (proc_order.empty()) proc_order = alive;
  }
  cs.placements = EnumeratePlacements(config.placements, proc_order, K);
  const int num_placements = K > 0 ? static_cast<int>(cs.placements.size()) / K : 0;

  // 4. Options per placement, pruned within the placement. Attributes of the front stitches are
  // copied into flat arrays so that the scans read contiguous memory: lat[(j * K + i) * P + p].
  const size_t f = front.size();
  std::vector<double> facc(f), lat(f * K * P), gbusy(f * P), kbusy;
  // dbytes: bytes as far as dominance is concerned; fload: bytes not resident.
  std::vector<int64_t> fbytes(f), dbytes(f), fload(f);
  for (size_t j = 0; j < f; ++j) {
    facc[j] = acc[kept[front[j]]];
    fbytes[j] = sbytes[front[j]];
    dbytes[j] = bytes_matter ? fbytes[j] : 0;
    fload[j] = sload[front[j]];
    for (int i = 0; i < K; ++i) {
      const std::vector<double>& l = tp.segment(digits[front[j] * K + i], i).latency_us;
      std::copy(l.begin(), l.begin() + P, &lat[(j * K + i) * P]);
    }
  }
  // by_rank: the front in step 2's order (more accurate, fewer bytes, fewer non-resident bytes,
  // earlier), the placement-independent order in which every placement considers its options.
  std::vector<size_t> by_rank;
  {
    std::vector<int64_t> at(m, -1);  // kept index -> position in the front
    for (size_t j = 0; j < f; ++j) at[front[j]] = static_cast<int64_t>(j);
    for (size_t x : order)
      if (at[x] >= 0) by_rank.push_back(static_cast<size_t>(at[x]));
  }
  std::vector<double> service(f), kservice;
  std::vector<int64_t> kbytes, kload;
  std::vector<size_t> gkept, ties;
  // About a third of the front survives in each placement (ResNet-like pools, 3 processors).
  const size_t expect = f * static_cast<size_t>(num_placements) / 3 + 1;
  cs.stitch.reserve(expect);
  cs.placement.reserve(expect);
  cs.service_us.reserve(expect);
  cs.accuracy.reserve(expect);
  cs.bytes.reserve(expect);
  cs.load_bytes.reserve(expect);
  cs.busy_us.reserve(expect * P);
  cs.visits.reserve(expect * P);
  auto dominates = [&](const double* by, const double* bx) {
    for (int p = 0; p < P; ++p)
      if (by[p] > bx[p]) return false;
    return true;
  };
  for (int pl = 0; pl < num_placements; ++pl) {
    const int* place = &cs.placements[static_cast<size_t>(pl) * K];
    std::vector<uint8_t> visits(static_cast<size_t>(P), 0);
    for (int i = 0; i < K; ++i) visits[place[i]] = 1;
    double handoff = 0;
    for (int i = 1; i < K; ++i)
      if (place[i] != place[i - 1]) handoff += tp.handoffs[i - 1].us[place[i - 1]][place[i]];
    for (size_t j = 0; j < f; ++j) {
      double* b = &gbusy[j * P];
      std::fill(b, b + P, 0.0);
      double sv = handoff;
      const double* l = &lat[j * K * P];
      for (int i = 0; i < K; ++i) {
        const double us = l[i * P + place[i]];
        b[place[i]] += us;
        sv += us;
      }
      service[j] = sv;
    }
    // The options come in rank order, so every kept one is at least as accurate as the next, x.
    // A kept option dominates x when it is no busier on every processor (hence no slower in
    // service: the kept ones are held in increasing service and the scan stops past x's) and has
    // no more bytes. x in turn may dominate kept options exactly as accurate as itself (`ties`).
    gkept.clear();
    kservice.clear();
    kbytes.clear();
    kload.clear();
    kbusy.clear();
    ties.clear();
    double tie_acc = std::numeric_limits<double>::quiet_NaN();
    for (size_t r = 0; r < f; ++r) {
      const size_t x = by_rank[r];
      const double sx = service[x];
      const int64_t bx = dbytes[x], lx = fload[x];
      const double* bu = &gbusy[x * P];
      const size_t end = static_cast<size_t>(
          std::upper_bound(kservice.begin(), kservice.end(), sx) - kservice.begin());
      bool dominated = false;
      for (size_t y = 0; y < end && !dominated; ++y)
        dominated = kbytes[y] <= bx && kload[y] <= lx && dominates(&kbusy[y * P], bu);
      if (dominated) continue;
      if (facc[x] != tie_acc) {
        ties.clear();
        tie_acc = facc[x];
      }
      for (size_t t = 0; t < ties.size();) {
        const size_t z = ties[t];
        if (dbytes[z] < bx || fload[z] < lx || !dominates(bu, &gbusy[z * P])) {
          ++t;
          continue;
        }
        const auto at = std::find(gkept.begin(), gkept.end(), z) - gkept.begin();
        gkept.erase(gkept.begin() + at);
        kservice.erase(kservice.begin() + at);
        kbytes.erase(kbytes.begin() + at);
        kload.erase(kload.begin() + at);
        kbusy.erase(kbusy.begin() + at * P, kbusy.begin() + (at + 1) * P);
        ties.erase(ties.begin() + static_cast<std::ptrdiff_t>(t));
      }
      ties.push_back(x);
      const auto at = std::upper_bound(kservice.begin(), kservice.end(), sx) - kservice.begin();
      gkept.insert(gkept.begin() + at, x);
      kservice.insert(kservice.begin() + at, sx);
      kbytes.insert(kbytes.begin() + at, bx);
      kload.insert(kload.begin() + at, lx);
      kbusy.insert(kbusy.begin() + at * P, bu, bu + P);
    }
    std::sort(gkept.begin(), gkept.end());
    for (size_t x : gkept) {
      cs.stitch.push_back(kept[front[x]]);
      cs.placement.push_back(pl);
      cs.service_us.push_back(service[x]);
      cs.accuracy.push_back(facc[x]);
      cs.bytes.push_back(fbytes[x]);
      cs.load_bytes.push_back(fload[x]);
      cs.busy_us.insert(cs.busy_us.end(), gbusy.begin() + x * P, gbusy.begin() + (x + 1) * P);
      cs.visits.insert(cs.visits.end(), visits.begin(), visits.end());
    }
  }
  return cs;
}

}  // namespace sl

#include "exec/memory_planner.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace sl {

namespace {
size_t AlignUp(size_t n) { return (n + 63) / 64 * 64; }
}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_step < requests[b].first_step;
  });
  std::vector<size_t> placed;
  for (size_t r : order) {
    const BufferRequest& req = requests[r];
    size_t size = AlignUp(std::max<size_t>(req.bytes, 1));
    std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) of overlapping lifetimes
    for (size_t p : placed) {
      const BufferRequest& o = requests[p];
      if (o.last_step < req.first_step || req.last_step < o.first_step) continue;
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + AlignUp(std::max<size_t>(o.bytes, 1)));
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + size <= begin) break;
      offset = std::max(offset, end);
    }
    plan.offsets[r] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(r);
  }
  return plan;
}

}  // namespace sl

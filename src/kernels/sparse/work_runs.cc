#include "kernels/sparse/work_runs.h"

#include <new>

namespace sl::sparse {
namespace {

constexpr uint64_t Pack(uint64_t front, uint64_t back) { return front | back << 32; }
constexpr uint32_t Front(uint64_t span) { return static_cast<uint32_t>(span); }
constexpr uint32_t Back(uint64_t span) { return static_cast<uint32_t>(span >> 32); }

}  // namespace

WorkRuns::WorkRuns(void* storage, int64_t items, int threads)
    : runs_(static_cast<Run*>(storage)), threads_(threads) {
  for (int t = 0; t < threads; ++t) {
    const uint64_t front = static_cast<uint64_t>(items * t / threads);
    const uint64_t back = static_cast<uint64_t>(items * (t + 1) / threads);
    new (&runs_[t]) Run{};
    runs_[t].span.store(Pack(front, back), std::memory_order_relaxed);
  }
}

int64_t WorkRuns::Next(int t) {
  std::atomic<uint64_t>& own = runs_[t].span;
  uint64_t s = own.load(std::memory_order_relaxed);
  while (Front(s) < Back(s)) {
    if (own.compare_exchange_weak(s, Pack(Front(s) + 1, Back(s)), std::memory_order_relaxed)) {
      return Front(s);
    }
  }
  for (;;) {
    int victim = -1;
    uint32_t most = 0;
    for (int v = 0; v < threads_; ++v) {
      const uint64_t span = runs_[v].span.load(std::memory_order_relaxed);
      if (Front(span) < Back(span) && Back(span) - Front(span) > most) {
        most = Back(span) - Front(span);
        victim = v;
      }
    }
    if (victim < 0) return -1;
    std::atomic<uint64_t>& theirs = runs_[victim].span;
    s = theirs.load(std::memory_order_relaxed);
    while (Front(s) < Back(s)) {
      if (theirs.compare_exchange_weak(s, Pack(Front(s), Back(s) - 1), std::memory_order_relaxed)) {
        return Back(s) - 1;
      }
    }
  }
}

}  // namespace sl::sparse

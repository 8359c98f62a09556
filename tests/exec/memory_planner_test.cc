#include "exec/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace sl {
namespace {

TEST(MemoryPlannerTest, LiveBuffersNeverOverlapAndDeadOnesAreReused) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> reqs;
    int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      int a = static_cast<int>(rng() % 30), len = static_cast<int>(rng() % 6);
      reqs.push_back({static_cast<size_t>(rng() % 5000), a, a + len});
    }
    MemoryPlan p = PlanMemory(reqs);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      total += (std::max<size_t>(reqs[i].bytes, 1) + 63) / 64 * 64;
      EXPECT_EQ(p.offsets[i] % 64, 0u);
      EXPECT_LE(p.offsets[i] + reqs[i].bytes, p.arena_bytes);
      for (int j = 0; j < i; ++j) {
        bool live_together =
            !(reqs[i].last_step < reqs[j].first_step || reqs[j].last_step < reqs[i].first_step);
        bool overlap = p.offsets[i] < p.offsets[j] + std::max<size_t>(reqs[j].bytes, 1) &&
                       p.offsets[j] < p.offsets[i] + std::max<size_t>(reqs[i].bytes, 1);
        EXPECT_FALSE(live_together && overlap) << "trial " << trial << " buffers " << i << "," << j;
      }
    }
    EXPECT_LE(p.arena_bytes, total);
  }
}

TEST(MemoryPlannerTest, ChainReusesTwoBuffers) {
  // a -> b -> c -> d, each read only by the next step: two slots suffice.
  std::vector<BufferRequest> reqs = {{1024, 0, 1}, {1024, 1, 2}, {1024, 2, 3}, {1024, 3, 4}};
  EXPECT_EQ(PlanMemory(reqs).arena_bytes, 2048u);
}

}  // namespace
}  // namespace sl

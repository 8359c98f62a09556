// Work items dealt in runs with stealing (kernels/sparse/work_runs.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "kernels/sparse/work_runs.h"

namespace sl::sparse {
namespace {

TEST(WorkRuns, AThreadAloneWalksItsRunThenStealsFromTheBackOfTheFullest) {
  auto storage = AllocateAligned(WorkRuns::Bytes(3));
  WorkRuns runs(storage.get(), 10, 3);  // runs [0, 3), [3, 6), [6, 10)
  std::vector<int64_t> got;
  for (int64_t i; (i = runs.Next(0)) >= 0;) got.push_back(i);
  // Its own run in order, then the backs of the others, the fullest first (the first on ties).
  EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 9, 5, 8, 4, 7, 3, 6}));
  EXPECT_EQ(runs.Next(1), -1);
  EXPECT_EQ(runs.Next(2), -1);
}

TEST(WorkRuns, OwnersTakeFromTheFront) {
  auto storage = AllocateAligned(WorkRuns::Bytes(2));
  WorkRuns runs(storage.get(), 5, 2);  // [0, 2), [2, 5)
  EXPECT_EQ(runs.Next(1), 2);
  EXPECT_EQ(runs.Next(0), 0);
  EXPECT_EQ(runs.Next(1), 3);
  EXPECT_EQ(runs.Next(0), 1);
  EXPECT_EQ(runs.Next(0), 4);  // stolen: the last of thread 1's run
  EXPECT_EQ(runs.Next(1), -1);
}

TEST(WorkRuns, NoItemsAndMoreThreadsThanItems) {
  auto storage = AllocateAligned(WorkRuns::Bytes(4));
  WorkRuns none(storage.get(), 0, 4);
  for (int t = 0; t < 4; ++t) EXPECT_EQ(none.Next(t), -1);
  WorkRuns two(storage.get(), 2, 4);  // runs [0, 0), [0, 1), [1, 1), [1, 2)
  EXPECT_EQ(two.Next(0), 0);          // stolen from the first run with any left
  EXPECT_EQ(two.Next(2), 1);
  EXPECT_EQ(two.Next(3), -1);
}

// Threads of different speeds (thread 0 sleeps after each item) together take every item exactly
// once.
TEST(WorkRuns, ConcurrentThreadsTakeEveryItemOnce) {
  constexpr int kThreads = 4;
  constexpr int64_t kItems = 2000;
  for (int round = 0; round < 20; ++round) {
    auto storage = AllocateAligned(WorkRuns::Bytes(kThreads));
    WorkRuns runs(storage.get(), kItems, kThreads);
    std::vector<std::atomic<int>> taken(kItems);
    std::vector<int64_t> count(kThreads, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; ++t) {
      pool.emplace_back([&, t] {
        for (int64_t i; (i = runs.Next(t)) >= 0;) {
          taken[static_cast<size_t>(i)].fetch_add(1);
          ++count[static_cast<size_t>(t)];
          if (t == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));  // a slow core
        }
      });
    }
    for (std::thread& th : pool) th.join();
    for (int64_t i = 0; i < kItems; ++i) ASSERT_EQ(taken[static_cast<size_t>(i)].load(), 1) << i;
    int64_t sum = 0;
    for (int64_t c : count) sum += c;
    EXPECT_EQ(sum, kItems);
  }
}

}  // namespace
}  // namespace sl::sparse

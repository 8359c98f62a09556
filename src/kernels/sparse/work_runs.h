// Work items dealt to threads in contiguous runs, with stealing, so that a slower core does not
// hold a parallel kernel back. Edge SoCs mix big and little cores, and a core sharing its
// physical core with other work runs slower too: with a static split the whole op waits for the
// slowest thread (a 2-vCPU VM measured one vCPU 15 % slower than the other on the same FMA loop).
//
// 1. Thread t owns the run [items * t / n, items * (t + 1) / n) (as a static split deals them) and
//    takes its items from the front, so it walks neighbouring items in order.
// 2. A thread whose run is empty steals the last item of the run with the most items left, one at
//    a time, so stolen items come from far away from the owner's front.
// 3. Every item is taken exactly once: a run's front and back live in one atomic word, and both
//    owner and thieves take items by compare-and-swap on it.
//
// Thread safety: Next() may be called concurrently by the threads; each thread t passes its own t.
// Storage: the runs live in caller-provided memory (a kernel's scratch), one cache line per
// thread, so Execute allocates nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sl::sparse {

class WorkRuns {
 public:
  // Bytes of storage for `threads` runs (a multiple of a cache line; the storage must be aligned
  // to one).
  static size_t Bytes(int threads) { return static_cast<size_t>(threads) * sizeof(Run); }

  // Deals [0, items) to `threads` threads (1 <= threads, 0 <= items < 2^32) in `storage`.
  WorkRuns(void* storage, int64_t items, int threads);
  WorkRuns(const WorkRuns&) = delete;
  WorkRuns& operator=(const WorkRuns&) = delete;

  // The next item for thread t: the front of its own run, else one stolen from the back of the
  // run with the most left; -1 when every item has been taken.
  int64_t Next(int t);

 private:
  struct alignas(64) Run {
    std::atomic<uint64_t> span;  // front in the low 32 bits, back (one past the last) above
  };
  Run* runs_;
  int threads_;
};

}  // namespace sl::sparse

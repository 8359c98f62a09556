// The joint optimizer's objective over candidate sets (internal to sched/; docs/scheduling.md
// "Joint optimizer"): an assignment of one candidate per task is valued as an Objective, and as a
// Key, the same objective as a tuple with an exact total order.
//
// Two ways to evaluate:
//   Eval(assign)              one assignment, scalar;
//   MoveKeys(assign, j, ...)  every candidate of task j in place of assign[j], the other tasks as
//                             in assign: the batch of a local-search sweep, a greedy step or the
//                             ranking. Candidates are evaluated in blocks, structure of arrays, so
//                             that the compiler vectorises across candidates.
// Both use the same formulas; Eval sums the processors' loads in task order, MoveKeys adds task j's
// last.
#pragma once

#include <cstdint>
#include <vector>

#include "sched/candidates.h"
#include "sched/optimizer.h"

namespace sl {

struct Key {
  int64_t satisfied_mrps;
  int satisfied_tasks;
  double lateness;
  bool fits;
  int64_t load;
  int64_t bucket;
  double accuracy;
  double latency;
};

Key MakeKey(const Objective& o, double quantum);

inline bool KeyBetter(const Key& a, const Key& b) {
  if (a.satisfied_mrps != b.satisfied_mrps) return a.satisfied_mrps > b.satisfied_mrps;
  if (a.satisfied_tasks != b.satisfied_tasks) return a.satisfied_tasks > b.satisfied_tasks;
  if (a.lateness != b.lateness) return a.lateness < b.lateness;
  if (a.fits != b.fits) return a.fits;
  if (a.load != b.load) return a.load < b.load;
  if (a.bucket != b.bucket) return a.bucket < b.bucket;
  if (a.accuracy != b.accuracy) return a.accuracy > b.accuracy;
  return a.latency < b.latency;
}

class Evaluator {
 public:
  Evaluator(const std::vector<CandidateSet>& sets, int num_processors, int64_t budget,
            const JointOptimizerConfig& config);

  // `assign[j]`: candidate of sets[j], or -1 (left out of the objective). Fills waits().
  Objective Eval(const std::vector<int64_t>& assign);
  Key EvalKey(const std::vector<int64_t>& assign) { return MakeKey(Eval(assign), quantum_); }
  // keys[c] for every candidate c of task j in place of assign[j] (assign[j] itself ignored).
  void MoveKeys(const std::vector<int64_t>& assign, size_t j, std::vector<Key>& keys);
  // Per processor, the M/G/1 wait of the last Eval.
  const std::vector<double>& waits() const { return w_; }
  int64_t evaluations = 0;

 private:
  struct Columns {                     // a candidate set's per-processor attributes, [p * n + c]
    std::vector<double> busy, visits;  // visits: 1.0 or 0.0
  };
  // The other tasks' loads (bu_, bm_), bytes and weights, without task j.
  void Exclude(const std::vector<int64_t>& assign, size_t j);
  // The objective's parts for candidates [c0, c1) of task j into the scratch (c1 - c0 <= kBlock).
  void Block(const std::vector<int64_t>& assign, size_t j, int64_t c0, int64_t c1);
  Key KeyAt(int64_t i) const;  // from the scratch

  static constexpr int64_t kBlock = 256;

  const std::vector<CandidateSet>& sets_;
  int P_;
  int64_t budget_;
  double quantum_, max_utilisation_;
  std::vector<Columns> columns_;
  std::vector<double> w_;
  // Scratch of MoveBlock, one block of candidates: u, m and w [p * kBlock + c], and per candidate
  // the running sums of the objective.
  std::vector<double> bu_, bm_, wb_, bottleneck_, satisfied_, satisfied_tasks_, lateness_,
      accuracy_, latency_, lat_;
  int64_t bytes_ = 0, load_ = 0;                // of the other tasks
  double weight_sum_ = 0;                       // of every task in the assignment, task j included
  int64_t block_bytes0_ = 0, block_load0_ = 0;  // task j's candidate c0 of the last Block
};

}  // namespace sl

#include "sched/evaluator.h"

#include <algorithm>
#include <limits>

#include "core/clones.h"

// Block runs in the clones of SL_CPU_CLONES. Compiled without FMA contraction (CMakeLists.txt),
// every clone computes the same values.

namespace sl {
namespace {

constexpr double kUnboundedLatencyUs = 1e15;
constexpr double kMaxLateness = 1e3;  // latency / bound of a task that misses, capped
// The wait at a processor loaded to max_utilisation or more: unbounded, but finite within the
// evaluator so that a wait times a visit flag of 0 is 0. Every use of a latency caps it (at
// kUnboundedLatencyUs, or as latency / bound at kMaxLateness) or compares it with a bound, so the
// objective is as with an infinite wait; waits() reports it as infinite.
constexpr double kUnboundedWaitUs = 1e300;

// Rounds a non-negative value capped at 1e18 (llround is a library call and, beyond the range of
// int64_t, unspecified).
int64_t RoundNonNegative(double x) { return static_cast<int64_t>(std::min(x, 1e18) + 0.5); }

// Objective 6's key: the bottleneck utilisation in buckets of `quantum` (0: exact to 1e-12).
// Beyond 1e6 (a segment on a processor that cannot run it) every load is the same, the worst.
int64_t Bucket(double bottleneck, double quantum) {
  const double u = std::min(bottleneck, 1e6);
  return quantum > 0 ? static_cast<int64_t>(std::min(u / quantum, 1e18))
                     : RoundNonNegative(u * 1e12);
}

}  // namespace

Key MakeKey(const Objective& o, double quantum) {
  Key k;
  k.satisfied_mrps = RoundNonNegative(o.satisfied_rate_rps * 1e3);
  k.satisfied_tasks = o.satisfied_tasks;
  k.lateness = o.lateness;
  k.fits = o.fits_memory;
  k.bucket = Bucket(o.bottleneck_utilisation, quantum);
  k.load = o.load_bytes;
  k.accuracy = o.accuracy;
  k.latency = o.latency_us;
  return k;
}

Evaluator::Evaluator(const std::vector<CandidateSet>& sets, int num_processors, int64_t budget,
                     const JointOptimizerConfig& config)
    : sets_(sets),
      P_(num_processors),
      budget_(budget),
      quantum_(config.utilisation_quantum),
      max_utilisation_(config.max_utilisation),
      w_(static_cast<size_t>(num_processors), 0.0),
      bu_(w_),
      bm_(w_),
      wb_(static_cast<size_t>(num_processors * kBlock)),
      bottleneck_(kBlock),
      satisfied_(kBlock),
      satisfied_tasks_(kBlock),
      lateness_(kBlock),
      accuracy_(kBlock),
      latency_(kBlock),
      lat_(kBlock) {
  for (const CandidateSet& cs : sets) {
    const size_t n = static_cast<size_t>(cs.size());
    Columns col;
    col.busy.resize(n * P_);
    col.visits.resize(n * P_);
    for (size_t c = 0; c < n; ++c)
      for (int p = 0; p < P_; ++p) {
        col.busy[p * n + c] = cs.busy_us[c * P_ + p];
        col.visits[p * n + c] = cs.visits[c * P_ + p] ? 1.0 : 0.0;
      }
    columns_.push_back(std::move(col));
  }
}

void Evaluator::Exclude(const std::vector<int64_t>& assign, size_t j) {
  std::fill(bu_.begin(), bu_.end(), 0.0);
  std::fill(bm_.begin(), bm_.end(), 0.0);
  bytes_ = 0;
  load_ = 0;
  weight_sum_ = 0;
  for (size_t k = 0; k < sets_.size(); ++k) {
    if (k != j && assign[k] < 0) continue;
    const CandidateSet& cs = sets_[k];
    weight_sum_ += cs.weight;
    if (k == j) continue;
    const double* b = &cs.busy_us[static_cast<size_t>(assign[k]) * P_];
    for (int p = 0; p < P_; ++p) {
      bu_[p] += cs.rate_per_us * b[p];
      bm_[p] += cs.rate_per_us * b[p] * b[p];
    }
    bytes_ += cs.bytes[assign[k]];
    load_ += cs.load_bytes[assign[k]];
  }
}

SL_CPU_CLONES void Evaluator::Block(const std::vector<int64_t>& assign, size_t j, int64_t c0,
                                    int64_t c1) {
  const CandidateSet& cs = sets_[j];
  const Columns& col = columns_[j];
  const size_t N = static_cast<size_t>(cs.size());
  const int64_t n = c1 - c0;
  const double r = cs.rate_per_us, max_u = max_utilisation_;
  double* __restrict bott = bottleneck_.data();
  std::fill(bott, bott + n, 0.0);
  // Per processor, the load U and the M/G/1 (Pollaczek-Khinchine) wait
  // W = sum_c rate_c S_c^2 / (2 (1 - U)).
  for (int p = 0; p < P_; ++p) {
    const double* __restrict b = &col.busy[p * N + c0];
    double* __restrict w = &wb_[p * kBlock];
    const double bu = bu_[p], bm = bm_[p];
    for (int64_t i = 0; i < n; ++i) {
      const double rb = r * b[i];
      const double u = bu + rb;
      const double m = bm + rb * b[i];
      const double wait = m / (2.0 * (1.0 - u));
      w[i] = u < max_u ? wait : kUnboundedWaitUs;
      bott[i] = std::max(bott[i], u);
    }
  }
  double* __restrict sat = satisfied_.data();
  double* __restrict ntasks = satisfied_tasks_.data();
  double* __restrict late = lateness_.data();
  double* __restrict acc = accuracy_.data();
  double* __restrict lsum = latency_.data();
  double* __restrict lat = lat_.data();
  std::fill(sat, sat + n, 0.0);
  std::fill(ntasks, ntasks + n, 0.0);
  std::fill(late, late + n, 0.0);
  std::fill(acc, acc + n, 0.0);
  std::fill(lsum, lsum + n, 0.0);
  // Each task's latency, in task order: service plus the waits of the processors it visits.
  for (size_t k = 0; k < sets_.size(); ++k) {
    if (k != j && assign[k] < 0) continue;
    const CandidateSet& ck = sets_[k];
    if (k == j) {
      std::copy(&cs.service_us[c0], &cs.service_us[c0] + n, lat);
      for (int p = 0; p < P_; ++p) {
        const double* __restrict v = &col.visits[p * N + c0];
        const double* __restrict w = &wb_[p * kBlock];
        for (int64_t i = 0; i < n; ++i) lat[i] += v[i] * w[i];  // v: 0 or 1, w finite
      }
      const double* __restrict a = &cs.accuracy[c0];
      for (int64_t i = 0; i < n; ++i) acc[i] += cs.weight * a[i];
    } else {
      const size_t c = static_cast<size_t>(assign[k]);
      std::fill(lat, lat + n, ck.service_us[c]);
      for (int p = 0; p < P_; ++p) {
        if (!ck.visits[c * P_ + p]) continue;
        const double* __restrict w = &wb_[p * kBlock];
        for (int64_t i = 0; i < n; ++i) lat[i] += w[i];
      }
      const double a = ck.weight * ck.accuracy[c];
      for (int64_t i = 0; i < n; ++i) acc[i] += a;
    }
    const double rate_rps = ck.rate_per_us * 1e6, weight = ck.weight, slo = ck.slo_us;
    const bool meets_floor = ck.meets_floor;
    for (int64_t i = 0; i < n; ++i) {
      const bool ok = meets_floor && lat[i] <= slo;
      sat[i] += ok ? rate_rps : 0.0;
      ntasks[i] += ok ? 1.0 : 0.0;
      late[i] += ok ? 0.0 : weight * std::min(lat[i] / slo, kMaxLateness);
      lsum[i] += weight * std::min(lat[i], kUnboundedLatencyUs);
    }
  }
  block_bytes0_ = cs.bytes[c0];
  block_load0_ = cs.load_bytes[c0];
}

Key Evaluator::KeyAt(int64_t i) const {
  Key k;
  k.satisfied_mrps = RoundNonNegative(satisfied_[i] * 1e3);
  k.satisfied_tasks = static_cast<int>(satisfied_tasks_[i]);
  k.lateness = lateness_[i];
  k.fits = true;  // set by the caller, which knows the candidate's bytes
  k.load = 0;
  k.bucket = Bucket(bottleneck_[i], quantum_);
  k.accuracy = weight_sum_ > 0 ? accuracy_[i] / weight_sum_ : 0;
  k.latency = weight_sum_ > 0 ? latency_[i] / weight_sum_ : 0;
  return k;
}

void Evaluator::MoveKeys(const std::vector<int64_t>& assign, size_t j, std::vector<Key>& keys) {
  const CandidateSet& cs = sets_[j];
  const int64_t n = cs.size();
  keys.resize(static_cast<size_t>(n));
  Exclude(assign, j);
  for (int64_t c0 = 0; c0 < n; c0 += kBlock) {
    const int64_t c1 = std::min(n, c0 + kBlock);
    Block(assign, j, c0, c1);
    for (int64_t c = c0; c < c1; ++c) {
      Key& k = keys[c];
      k = KeyAt(c - c0);
      k.fits = bytes_ + cs.bytes[c] <= budget_;
      k.load = load_ + cs.load_bytes[c];
    }
  }
  evaluations += n;
}

Objective Evaluator::Eval(const std::vector<int64_t>& assign) {
  ++evaluations;
  Objective o;
  // Task j is the last one in the assignment, so that the loads are summed in task order.
  size_t j = sets_.size();
  while (j > 0 && assign[j - 1] < 0) --j;
  if (j == 0) {
    std::fill(w_.begin(), w_.end(), 0.0);
    return o;
  }
  --j;
  Exclude(assign, j);
  Block(assign, j, assign[j], assign[j] + 1);
  for (int p = 0; p < P_; ++p)
    w_[p] = wb_[p * kBlock] < kUnboundedWaitUs ? wb_[p * kBlock]
                                               : std::numeric_limits<double>::infinity();
  o.satisfied_rate_rps = satisfied_[0];
  o.satisfied_tasks = static_cast<int>(satisfied_tasks_[0]);
  o.lateness = lateness_[0];
  o.fits_memory = bytes_ + block_bytes0_ <= budget_;
  o.load_bytes = load_ + block_load0_;
  o.bottleneck_utilisation = bottleneck_[0];
  o.accuracy = weight_sum_ > 0 ? accuracy_[0] / weight_sum_ : 0;
  o.latency_us = weight_sum_ > 0 ? latency_[0] / weight_sum_ : 0;
  return o;
}

}  // namespace sl

// The SparseLoom joint optimizer (docs/scheduling.md "Joint optimizer").
//
// Steps of Solve:
//   1. Validate the snapshot; list the alive processors and the active tasks.
//   2. Build each active task's candidate options (candidates.h: floor filter, lossless pruning).
//   3. Search one candidate per task:
//      exact      enumerate every combination (odometer over tasks), keep the first best;
//      heuristic  a. greedy: tasks by decreasing rate, each takes the candidate that is best for
//                    the tasks placed so far;
//                 b. local search: sweep the tasks in order; each moves to its best candidate given
//                    the others (best improvement); repeat until a sweep changes nothing or
//                    max_local_search_rounds.
//   4. Rank each task's list: the chosen candidate first, then the others by the objective the
//      assignment would have if this task switched to them, at most max_options_per_placement per
//      placement, at most max_options in all.
//   5. Expected latency of every listed option under the chosen loads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "sched/candidates.h"
#include "sched/optimizer.h"

namespace sl {
namespace {

constexpr double kUnboundedLatencyUs = 1e15;

struct Key {  // the objective as a tuple with an exact total order
  int64_t satisfied_mrps;
  int satisfied_tasks;
  bool fits;
  int64_t bucket;
  double accuracy;
  double latency;
};

Key MakeKey(const Objective& o, double quantum) {
  Key k;
  k.satisfied_mrps = std::llround(o.satisfied_rate_rps * 1e3);
  k.satisfied_tasks = o.satisfied_tasks;
  k.fits = o.fits_memory;
  const double u = std::min(o.bottleneck_utilisation, 1e9);
  k.bucket = quantum > 0 ? static_cast<int64_t>(std::floor(u / quantum))
                         : static_cast<int64_t>(std::llround(u * 1e12));
  k.accuracy = o.accuracy;
  k.latency = o.latency_us;
  return k;
}

bool KeyBetter(const Key& a, const Key& b) {
  if (a.satisfied_mrps != b.satisfied_mrps) return a.satisfied_mrps > b.satisfied_mrps;
  if (a.satisfied_tasks != b.satisfied_tasks) return a.satisfied_tasks > b.satisfied_tasks;
  if (a.fits != b.fits) return a.fits;
  if (a.bucket != b.bucket) return a.bucket < b.bucket;
  if (a.accuracy != b.accuracy) return a.accuracy > b.accuracy;
  return a.latency < b.latency;
}

class Evaluator {
 public:
  Evaluator(const std::vector<CandidateSet>& sets, int num_processors, int64_t budget,
            const JointOptimizerConfig& config)
      : sets_(sets), P_(num_processors), budget_(budget), config_(config),
        u_(num_processors), m_(num_processors), w_(num_processors) {}

  // `assign[j]`: candidate of sets_[j], or -1 (left out of the objective).
  Objective Eval(const std::vector<int64_t>& assign) {
    ++evaluations;
    std::fill(u_.begin(), u_.end(), 0.0);
    std::fill(m_.begin(), m_.end(), 0.0);
    int64_t bytes = 0;
    for (size_t j = 0; j < sets_.size(); ++j) {
      if (assign[j] < 0) continue;
      const CandidateSet& cs = sets_[j];
      const double* b = &cs.busy_us[static_cast<size_t>(assign[j]) * P_];
      for (int p = 0; p < P_; ++p) {
        u_[p] += cs.rate_per_us * b[p];
        m_[p] += cs.rate_per_us * b[p] * b[p];
      }
      bytes += cs.bytes[assign[j]];
    }
    Objective o;
    o.fits_memory = bytes <= budget_;
    for (int p = 0; p < P_; ++p) {
      o.bottleneck_utilisation = std::max(o.bottleneck_utilisation, u_[p]);
      // M/G/1 (Pollaczek-Khinchine): W = sum_c rate_c S_c^2 / (2 (1 - U)).
      w_[p] = u_[p] < config_.max_utilisation ? m_[p] / (2.0 * (1.0 - u_[p]))
                                               : std::numeric_limits<double>::infinity();
    }
    double wsum = 0;
    for (size_t j = 0; j < sets_.size(); ++j) {
      if (assign[j] < 0) continue;
      const CandidateSet& cs = sets_[j];
      const int64_t c = assign[j];
      double lat = cs.service_us[c];
      const uint8_t* v = &cs.visits[static_cast<size_t>(c) * P_];
      for (int p = 0; p < P_; ++p)
        if (v[p]) lat += w_[p];
      if (cs.meets_floor && lat <= cs.slo_us) {
        o.satisfied_rate_rps += cs.rate_per_us * 1e6;
        ++o.satisfied_tasks;
      }
      o.accuracy += cs.weight * cs.accuracy[c];
      o.latency_us += cs.weight * std::min(lat, kUnboundedLatencyUs);
      wsum += cs.weight;
    }
    if (wsum > 0) {
      o.accuracy /= wsum;
      o.latency_us /= wsum;
    }
    return o;
  }
  const std::vector<double>& waits() const { return w_; }
  int64_t evaluations = 0;

 private:
  const std::vector<CandidateSet>& sets_;
  int P_;
  int64_t budget_;
  const JointOptimizerConfig& config_;
  std::vector<double> u_, m_, w_;
};

void SearchExact(const std::vector<CandidateSet>& sets, Evaluator& ev, double q,
                 std::vector<int64_t>& best) {
  std::vector<int64_t> cur(sets.size(), 0);
  best = cur;
  Key best_key = MakeKey(ev.Eval(cur), q);
  for (;;) {
    size_t j = 0;  // odometer
    while (j < sets.size() && ++cur[j] == sets[j].size()) cur[j++] = 0;
    if (j == sets.size()) break;
    Key k = MakeKey(ev.Eval(cur), q);
    if (KeyBetter(k, best_key)) {
      best_key = k;
      best = cur;
    }
  }
}

void SearchHeuristic(const std::vector<CandidateSet>& sets, const std::vector<TaskState>& tasks,
                     Evaluator& ev, const JointOptimizerConfig& config,
                     std::vector<int64_t>& assign) {
  const double q = config.utilisation_quantum;
  assign.assign(sets.size(), -1);
  std::vector<size_t> order(sets.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tasks[sets[a].task].arrival_rate_rps > tasks[sets[b].task].arrival_rate_rps;
  });
  // a. Greedy construction.
  for (size_t j : order) {
    int64_t best = 0;
    Key best_key{};
    for (int64_t c = 0; c < sets[j].size(); ++c) {
      assign[j] = c;
      Key k = MakeKey(ev.Eval(assign), q);
      if (c == 0 || KeyBetter(k, best_key)) {
        best_key = k;
        best = c;
      }
    }
    assign[j] = best;
  }
  // b. Best-improvement local search, one task at a time.
  Key cur_key = MakeKey(ev.Eval(assign), q);
  for (int round = 0; round < config.max_local_search_rounds; ++round) {
    bool improved = false;
    for (size_t j = 0; j < sets.size(); ++j) {
      const int64_t was = assign[j];
      int64_t best = was;
      Key best_key = cur_key;
      for (int64_t c = 0; c < sets[j].size(); ++c) {
        if (c == was) continue;
        assign[j] = c;
        Key k = MakeKey(ev.Eval(assign), q);
        if (KeyBetter(k, best_key)) {
          best_key = k;
          best = c;
        }
      }
      assign[j] = best;
      if (best != was) {
        improved = true;
        cur_key = best_key;
      }
    }
    if (!improved) break;
  }
}

}  // namespace

bool ObjectiveBetter(const Objective& a, const Objective& b, double quantum) {
  return KeyBetter(MakeKey(a, quantum), MakeKey(b, quantum));
}

Result<std::vector<int>> AliveProcessors(const Snapshot& snap) {
  std::vector<int> alive;
  for (size_t p = 0; p < snap.processors.size(); ++p) {
    if (snap.processors[p].id != static_cast<int>(p))
      return InvalidArgument("snapshot: processors[" + std::to_string(p) + "] has id " +
                             std::to_string(snap.processors[p].id) + ", expected its index");
    if (snap.processors[p].alive) alive.push_back(static_cast<int>(p));
  }
  if (alive.empty()) return InvalidArgument("snapshot: no alive processor");
  return alive;
}

Status ValidateSnapshotTasks(const Snapshot& snap) {
  const int P = static_cast<int>(snap.processors.size());
  for (size_t t = 0; t < snap.tasks.size(); ++t) {
    const TaskState& ts = snap.tasks[t];
    if (!ts.active) continue;
    const std::string where = "snapshot: task '" + ts.name + "'";
    if (ts.profile == nullptr) return InvalidArgument(where + " has no profile");
    if (!(ts.slo.latency_ms > 0)) return InvalidArgument(where + ": SLO latency must be positive");
    if (!(ts.arrival_rate_rps >= 0) || !std::isfinite(ts.arrival_rate_rps))
      return InvalidArgument(where + ": arrival rate must be a finite non-negative number");
    SL_RETURN_IF_ERROR(ValidateTaskProfile(*ts.profile, P));
  }
  return Status::Ok();
}

Result<std::vector<Choice>> JointOptimizer::Optimize(const Snapshot& snapshot) const {
  SL_ASSIGN_OR_RETURN(Solution s, Solve(snapshot));
  return std::move(s.choices);
}

Result<Solution> JointOptimizer::Solve(const Snapshot& snap) const {
  // 1.
  SL_ASSIGN_OR_RETURN(std::vector<int> alive, AliveProcessors(snap));
  SL_RETURN_IF_ERROR(ValidateSnapshotTasks(snap));
  const int P = static_cast<int>(snap.processors.size());
  // 2. Bytes matter only when the largest stitches of all tasks together exceed the budget.
  int64_t max_bytes = 0;
  for (const TaskState& ts : snap.tasks) {
    if (!ts.active) continue;
    const TaskProfile& tp = *ts.profile;
    for (int i = 0; i < tp.num_segments; ++i) {
      int64_t m = 0;
      for (int v = 0; v < tp.num_variants(); ++v) m = std::max(m, tp.segment(v, i).weight_bytes);
      max_bytes = max_bytes > std::numeric_limits<int64_t>::max() - m ? std::numeric_limits<int64_t>::max()
                                                                      : max_bytes + m;
    }
  }
  const bool bytes_matter = max_bytes > snap.memory_budget_bytes;
  std::vector<CandidateSet> sets;
  for (size_t t = 0; t < snap.tasks.size(); ++t) {
    if (!snap.tasks[t].active) continue;
    SL_ASSIGN_OR_RETURN(CandidateSet cs, BuildCandidates(snap, static_cast<int>(t), alive, config_, bytes_matter));
    if (cs.size() == 0)
      return Internal("task '" + snap.tasks[t].name + "': no candidate option");
    sets.push_back(std::move(cs));
  }
  Solution sol;
  for (const auto& cs : sets) sol.candidates.push_back(cs.size());
  if (sets.empty()) return sol;
  // 3.
  double combos = 1;
  for (const auto& cs : sets) combos *= static_cast<double>(cs.size());
  const bool exact = config_.search == SearchMode::kExact ||
                     (config_.search == SearchMode::kAuto &&
                      combos <= static_cast<double>(config_.exact_limit));
  Evaluator ev(sets, P, snap.memory_budget_bytes, config_);
  std::vector<int64_t> assign;
  if (exact)
    SearchExact(sets, ev, config_.utilisation_quantum, assign);
  else
    SearchHeuristic(sets, snap.tasks, ev, config_, assign);
  sol.exact = exact;
  sol.objective = ev.Eval(assign);
  const std::vector<double> waits = ev.waits();
  // 4.
  const double q = config_.utilisation_quantum;
  for (size_t j = 0; j < sets.size(); ++j) {
    const CandidateSet& cs = sets[j];
    std::vector<Key> keys(static_cast<size_t>(cs.size()));
    std::vector<int64_t> trial = assign;
    for (int64_t c = 0; c < cs.size(); ++c) {
      trial[j] = c;
      keys[c] = MakeKey(ev.Eval(trial), q);
    }
    std::vector<int64_t> order(static_cast<size_t>(cs.size()));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return KeyBetter(keys[a], keys[b]); });
    std::vector<int64_t> listed = {assign[j]};
    std::vector<int> per_placement(cs.placements.size() / std::max(1, cs.num_segments), 0);
    per_placement[cs.placement[assign[j]]]++;
    for (int64_t c : order) {
      if (static_cast<int>(listed.size()) >= config_.max_options) break;
      if (c == assign[j] || per_placement[cs.placement[c]] >= config_.max_options_per_placement)
        continue;
      per_placement[cs.placement[c]]++;
      listed.push_back(c);
    }
    // 5.
    const TaskState& ts = snap.tasks[cs.task];
    Choice ch;
    ch.task = cs.task;
    ch.task_id = ts.id;
    for (int64_t c : listed) {
      const int* place = cs.placement_of(c);
      SL_ASSIGN_OR_RETURN(
          Option o, MakeOption(*ts.profile,
                               StitchOfIndex(cs.stitch[c], ts.profile->num_variants(), cs.num_segments),
                               std::vector<int>(place, place + cs.num_segments), P,
                               ts.arrival_rate_rps));
      for (const Stage& st : o.stages) o.expected_latency_us += waits[st.processor];
      ch.options.push_back(std::move(o));
    }
    sol.choices.push_back(std::move(ch));
  }
  sol.evaluations = ev.evaluations;
  return sol;
}

}  // namespace sl

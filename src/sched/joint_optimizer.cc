// The SparseLoom joint optimizer (docs/scheduling.md "Joint optimizer").
//
// Steps of Solve:
//   1. Validate the snapshot; list the alive processors and the active tasks.
//   2. Build each active task's candidate options (candidates.h: floor filter, lossless pruning).
//   3. Search one candidate per task:
//      exact      enumerate every combination (odometer over tasks), keep the first best;
//      heuristic  three starts (greedy by decreasing rate, greedy by increasing latency bound,
//                 every task on its lightest candidate), each refined by LocalSearch: single-task
//                 best-improvement sweeps until none improves, then the best two-task move among
//                 each task's 8 best single moves; repeat until neither improves or
//                 max_local_search_rounds. The best of the three wins.
//   4. Rank each task's list: the chosen candidate first, then the others by the objective the
//      assignment would have if this task switched to them, at most max_options_per_placement per
//      placement, at most max_options in all; then, for every alive processor not yet covered,
//      its best whole-model candidate.
//   5. Expected latency of every listed option under the chosen loads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "sched/candidates.h"
#include "sched/evaluator.h"
#include "sched/optimizer.h"

namespace sl {
namespace {

// Every combination; the first best in odometer order (task 0's candidate changes fastest). The
// last task's candidates are evaluated as one batch per combination of the others; a tie goes to
// the combination earlier in odometer order.
void SearchExact(const std::vector<CandidateSet>& sets, Evaluator& ev, std::vector<int64_t>& best) {
  const size_t last = sets.size() - 1;
  std::vector<int64_t> cur(sets.size(), 0);
  best = cur;
  Key best_key{};
  double best_at = -1;  // odometer position of the best (exact in a double below 2^53)
  double last_stride = 1;
  for (size_t j = 0; j < last; ++j) last_stride *= static_cast<double>(sets[j].size());
  std::vector<Key> keys;
  for (;;) {
    double base = 0, stride = 1;
    for (size_t j = 0; j < last; ++j) {
      base += static_cast<double>(cur[j]) * stride;
      stride *= static_cast<double>(sets[j].size());
    }
    ev.MoveKeys(cur, last, keys);
    for (int64_t c = 0; c < sets[last].size(); ++c) {
      const double at = base + static_cast<double>(c) * last_stride;
      if (best_at < 0 || KeyBetter(keys[c], best_key) ||
          (!KeyBetter(best_key, keys[c]) && at < best_at)) {
        best_key = keys[c];
        best_at = at;
        best = cur;
        best[last] = c;
      }
    }
    size_t j = 0;  // odometer over the other tasks
    while (j < last && ++cur[j] == sets[j].size()) cur[j++] = 0;
    if (j == last) break;
  }
}

// Best-improvement local search from `assign`: single-task moves until none improves, then moves
// of two tasks at once among each task's `pair_shortlist` best single moves; repeat.
Key LocalSearch(const std::vector<CandidateSet>& sets, Evaluator& ev,
                const JointOptimizerConfig& config, std::vector<int64_t>& assign) {
  constexpr size_t kShortlist = 8;
  Key cur_key = ev.EvalKey(assign);
  std::vector<std::vector<int64_t>> shortlist(sets.size());
  std::vector<std::pair<Key, int64_t>> scored;
  std::vector<Key> keys;
  // A task whose context (every other task's candidate) has not changed since its last sweep
  // would find the same best move (none) and the same shortlist: it is not swept again.
  // changed_at[k]: the change counter when task k last moved; swept_at[j]: the counter after
  // task j's last sweep.
  int64_t changes = 0;
  std::vector<int64_t> changed_at(sets.size(), 0), swept_at(sets.size(), -1);
  auto context_changed = [&](size_t j) {
    for (size_t k = 0; k < sets.size(); ++k)
      if (k != j && changed_at[k] > swept_at[j]) return true;
    return swept_at[j] < 0;
  };
  for (int round = 0; round < config.max_local_search_rounds; ++round) {
    bool improved = false;
    for (size_t j = 0; j < sets.size(); ++j) {
      if (!context_changed(j)) continue;
      const int64_t was = assign[j];
      int64_t best = was;
      Key best_key = cur_key;
      scored.clear();
      ev.MoveKeys(assign, j, keys);
      for (int64_t c = 0; c < sets[j].size(); ++c) {
        if (c == was) continue;
        const Key& k = keys[c];
        // scored: the task's best kShortlist alternatives, best first (ties: earlier candidate,
        // as c increases).
        if (scored.size() < kShortlist || KeyBetter(k, scored.back().first)) {
          if (scored.size() == kShortlist) scored.pop_back();
          size_t at = scored.size();
          while (at > 0 && KeyBetter(k, scored[at - 1].first)) --at;
          scored.insert(scored.begin() + static_cast<std::ptrdiff_t>(at), {k, c});
        }
        if (KeyBetter(k, best_key)) {
          best_key = k;
          best = c;
        }
      }
      assign[j] = best;
      if (best != was) {
        improved = true;
        cur_key = best_key;
        changed_at[j] = ++changes;
      }
      swept_at[j] = changes;
      // The task's best alternatives in this context, for pair moves.
      shortlist[j].clear();
      for (const auto& sc : scored) shortlist[j].push_back(sc.second);
    }
    if (improved) continue;
    // Pair moves.
    for (size_t a = 0; a < sets.size() && !improved; ++a)
      for (size_t b = a + 1; b < sets.size() && !improved; ++b) {
        const int64_t wa = assign[a], wb = assign[b];
        int64_t ba = wa, bb = wb;
        Key best_key = cur_key;
        for (int64_t ca : shortlist[a])
          for (int64_t cb : shortlist[b]) {
            assign[a] = ca;
            assign[b] = cb;
            Key k = ev.EvalKey(assign);
            if (KeyBetter(k, best_key)) {
              best_key = k;
              ba = ca;
              bb = cb;
            }
          }
        assign[a] = ba;
        assign[b] = bb;
        if (ba != wa || bb != wb) {
          improved = true;
          cur_key = best_key;
          changed_at[a] = changed_at[b] = ++changes;
        }
      }
    if (!improved) break;
  }
  return cur_key;
}

// Greedy construction: tasks in `order`, each takes the candidate best for the tasks placed so far.
void Greedy(const std::vector<CandidateSet>& sets, Evaluator& ev, const std::vector<size_t>& order,
            std::vector<int64_t>& assign) {
  assign.assign(sets.size(), -1);
  std::vector<Key> keys;
  for (size_t j : order) {
    int64_t best = 0;
    ev.MoveKeys(assign, j, keys);
    for (int64_t c = 1; c < sets[j].size(); ++c)
      if (KeyBetter(keys[c], keys[best])) best = c;
    assign[j] = best;
  }
}

// Three starts, each refined by LocalSearch; the best result wins (ties: the earlier start).
//   1. greedy, tasks by decreasing rate;  2. greedy, tasks by increasing latency bound;
//   3. every task on its lightest candidate (smallest largest per-processor utilisation).
void SearchHeuristic(const std::vector<CandidateSet>& sets, Evaluator& ev,
                     const JointOptimizerConfig& config, std::vector<int64_t>& best) {
  std::vector<size_t> by_rate(sets.size());
  std::iota(by_rate.begin(), by_rate.end(), size_t{0});
  std::vector<size_t> by_bound = by_rate;
  std::stable_sort(by_rate.begin(), by_rate.end(),
                   [&](size_t a, size_t b) { return sets[a].rate_per_us > sets[b].rate_per_us; });
  std::stable_sort(by_bound.begin(), by_bound.end(),
                   [&](size_t a, size_t b) { return sets[a].slo_us < sets[b].slo_us; });
  Key best_key{};
  std::vector<int64_t> assign;
  for (int start = 0; start < 3; ++start) {
    if (start == 0) Greedy(sets, ev, by_rate, assign);
    if (start == 1) {
      if (by_bound == by_rate) continue;  // same greedy order: same result
      Greedy(sets, ev, by_bound, assign);
    }
    if (start == 2) {
      assign.assign(sets.size(), 0);
      for (size_t j = 0; j < sets.size(); ++j) {
        const CandidateSet& cs = sets[j];
        const int P = cs.num_processors;
        double light = std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < cs.size(); ++c) {
          const double* b = &cs.busy_us[static_cast<size_t>(c) * P];
          const double peak = *std::max_element(b, b + P) + 1e-9 * cs.service_us[c];
          if (peak < light) {
            light = peak;
            assign[j] = c;
          }
        }
      }
    }
    Key k = LocalSearch(sets, ev, config, assign);
    if (start == 0 || KeyBetter(k, best_key)) {
      best_key = k;
      best = assign;
    }
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
      max_bytes = max_bytes > std::numeric_limits<int64_t>::max() - m
                      ? std::numeric_limits<int64_t>::max()
                      : max_bytes + m;
    }
  }
  const bool bytes_matter = max_bytes > snap.memory_budget_bytes;
  std::vector<CandidateSet> sets;
  for (size_t t = 0; t < snap.tasks.size(); ++t) {
    if (!snap.tasks[t].active) continue;
    SL_ASSIGN_OR_RETURN(CandidateSet cs,
                        BuildCandidates(snap, static_cast<int>(t), alive, config_, bytes_matter));
    if (cs.size() == 0) return Internal("task '" + snap.tasks[t].name + "': no candidate option");
    sets.push_back(std::move(cs));
  }
  Solution sol;
  for (const auto& cs : sets) sol.candidates.push_back(cs.size());
  if (sets.empty()) return sol;
  // 3.
  double combos = 1;
  for (const auto& cs : sets) combos *= static_cast<double>(cs.size());
  const bool exact =
      config_.search == SearchMode::kExact ||
      (config_.search == SearchMode::kAuto && combos <= static_cast<double>(config_.exact_limit));
  Evaluator ev(sets, P, snap.memory_budget_bytes, config_);
  std::vector<int64_t> assign;
  if (exact)
    SearchExact(sets, ev, assign);
  else
    SearchHeuristic(sets, ev, config_, assign);
  sol.exact = exact;
  sol.objective = ev.Eval(assign);
  const std::vector<double> waits = ev.waits();
  // With split_long_stages, a stage on a CPU is split at its segment boundaries when it is longer
  // than the least slack (bound - service) of any task's chosen option: one such stage could hold
  // that task's request past its bound (docs/scheduling.md "Preemption points").
  std::vector<double> split_above_us;
  if (config_.split_long_stages) {
    double least_slack = std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < sets.size(); ++j) {
      const double slack = sets[j].slo_us - sets[j].service_us[assign[j]];
      if (sets[j].meets_floor && slack > 0) least_slack = std::min(least_slack, slack);
    }
    for (int p = 0; p < P; ++p)
      split_above_us.push_back(snap.processors[p].cpu ? least_slack
                                                      : std::numeric_limits<double>::infinity());
  }
  // 4.
  for (size_t j = 0; j < sets.size(); ++j) {
    const CandidateSet& cs = sets[j];
    std::vector<Key> keys;
    ev.MoveKeys(assign, j, keys);
    std::vector<int64_t> order(static_cast<size_t>(cs.size()));
    std::iota(order.begin(), order.end(), int64_t{0});
    auto better = [&](int64_t a, int64_t b) {
      return KeyBetter(keys[a], keys[b]) || (!KeyBetter(keys[b], keys[a]) && a < b);
    };
    // Sorting a prefix is enough unless the placement cap skips most of it.
    const size_t prefix = std::min(order.size(), static_cast<size_t>(8 * config_.max_options + 8));
    std::partial_sort(order.begin(), order.begin() + prefix, order.end(), better);
    std::vector<int64_t> listed = {assign[j]};
    std::vector<int> per_placement(cs.placements.size() / std::max(1, cs.num_segments), 0);
    per_placement[cs.placement[assign[j]]]++;
    for (size_t i = 0; i < order.size(); ++i) {
      if (static_cast<int>(listed.size()) >= config_.max_options) break;
      if (i == prefix) std::sort(order.begin() + prefix, order.end(), better);
      const int64_t c = order[i];
      if (c == assign[j] || per_placement[cs.placement[c]] >= config_.max_options_per_placement)
        continue;
      per_placement[cs.placement[c]]++;
      listed.push_back(c);
    }
    // Every alive processor also gets its best whole-model option (beyond max_options when
    // needed), so that earliest-finish dispatch can spread a burst over all of them.
    std::vector<uint8_t> covered(snap.processors.size(), 0);
    auto single = [&](int64_t c) {
      const int* place = cs.placement_of(c);
      for (int i = 1; i < cs.num_segments; ++i)
        if (place[i] != place[0]) return -1;
      return place[0];
    };
    for (int64_t c : listed)
      if (const int p = single(c); p >= 0) covered[p] = 1;
    // The first such option in the ranked order: in the sorted prefix, else the best of the rest
    // (every prefix entry ranks above every other).
    std::vector<int64_t> best_rest(snap.processors.size(), -1);
    for (size_t i = 0; i < order.size(); ++i) {
      const int64_t c = order[i];
      const int p = single(c);
      if (p < 0 || covered[p]) continue;
      if (i < prefix) {
        covered[p] = 1;
        listed.push_back(c);
      } else if (best_rest[p] < 0 || better(c, best_rest[p])) {
        best_rest[p] = c;
      }
    }
    std::vector<int64_t> rest;
    for (size_t p = 0; p < best_rest.size(); ++p)
      if (!covered[p] && best_rest[p] >= 0) rest.push_back(best_rest[p]);
    std::sort(rest.begin(), rest.end(), better);
    listed.insert(listed.end(), rest.begin(), rest.end());
    // 5.
    const TaskState& ts = snap.tasks[cs.task];
    Choice ch;
    ch.task = cs.task;
    ch.task_id = ts.id;
    for (int64_t c : listed) {
      const int* place = cs.placement_of(c);
      SL_ASSIGN_OR_RETURN(
          Option o,
          MakeOption(*ts.profile,
                     StitchOfIndex(cs.stitch[c], ts.profile->num_variants(), cs.num_segments),
                     std::vector<int>(place, place + cs.num_segments), P, ts.arrival_rate_rps,
                     split_above_us));
      int last = -1;  // a processor's wait counts once per run of stages on it
      for (const Stage& st : o.stages) {
        if (st.processor != last) o.expected_latency_us += waits[st.processor];
        last = st.processor;
      }
      ch.options.push_back(std::move(o));
    }
    sol.choices.push_back(std::move(ch));
  }
  sol.evaluations = ev.evaluations;
  return sol;
}

}  // namespace sl

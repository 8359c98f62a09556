// The pauses of a real run (RunMetrics::pauses) as the simulator's timed replay repeats them: the
// whole process stood still, so nothing starts or is admitted inside one, and work running into
// one is held for its length.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "runtime/metrics.h"

namespace sl {

class PauseReplay {
 public:
  PauseReplay() = default;
  // Sorted by start; overlapping pauses are merged.
  explicit PauseReplay(std::vector<Pause> pauses) {
    std::sort(pauses.begin(), pauses.end(),
              [](const Pause& a, const Pause& b) { return a.start_us < b.start_us; });
    for (const Pause& p : pauses) {
      if (!pauses_.empty() && p.start_us <= pauses_.back().end_us)
        pauses_.back().end_us = std::max(pauses_.back().end_us, p.end_us);
      else
        pauses_.push_back(p);
    }
  }
  bool empty() const { return pauses_.empty(); }
  // t, or the end of the pause that holds t.
  double Resume(double t) const {
    const Pause* p = Holding(t);
    return p != nullptr ? p->end_us : t;
  }
  // When `us` of work started at t (outside any pause) ends: held for every pause it runs into.
  double Finish(double t, double us) const {
    double end = t + us;
    for (auto it = First(t); it != pauses_.end() && it->start_us < end; ++it)
      end += it->end_us - std::max(it->start_us, t);
    return end;
  }
  // Whether t lies in [start - before, end) of a pause.
  bool Near(double t, double before) const {
    auto it = First(t);
    return it != pauses_.end() && it->start_us - before <= t;
  }
  // The first pause end after t (+inf if none).
  double NextEnd(double t) const {
    auto it = First(t);
    return it != pauses_.end() ? it->end_us : std::numeric_limits<double>::infinity();
  }

 private:
  // The first pause that ends after t.
  std::vector<Pause>::const_iterator First(double t) const {
    return std::upper_bound(pauses_.begin(), pauses_.end(), t,
                            [](double x, const Pause& p) { return x < p.end_us; });
  }
  const Pause* Holding(double t) const {
    auto it = First(t);
    return it != pauses_.end() && it->start_us <= t ? &*it : nullptr;
  }
  std::vector<Pause> pauses_;
};

}  // namespace sl

#include "sim/job_replay.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace sl {

namespace {

// Samples that started inside a pause or stall (or this close before one) ran into it: a job held
// by one for kStallMinUs or more was recorded as a stall from its start. Samples merely near one
// are drawn: excluding those (2 ms before each until session 18) left the replay of a stretch
// dense with stalls only its calmer jobs.
constexpr double kBeforePauseUs = 1;

// One of the kTimedReplayWindow samples (in order of start time) nearest to t, at random.
const JobSample& NearestDraw(const std::vector<const JobSample*>& v, double t,
                             std::mt19937_64& rng) {
  const size_t k = std::min(kTimedReplayWindow, v.size());
  size_t hi = static_cast<size_t>(
      std::lower_bound(v.begin(), v.end(), t,
                       [](const JobSample* a, double x) { return a->at_us < x; }) -
      v.begin());
  size_t lo = hi;  // [lo, hi): the k samples nearest to t
  while (hi - lo < k) {
    if (lo == 0 || (hi < v.size() && v[hi]->at_us - t < t - v[lo - 1]->at_us))
      ++hi;
    else
      --lo;
  }
  return *v[lo + std::uniform_int_distribution<size_t>(0, k - 1)(rng)];
}

std::vector<Pause> Concat(std::vector<Pause> a, const std::vector<Pause>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const JobSample& AnyDraw(const std::vector<const JobSample*>& v, std::mt19937_64& rng) {
  return *v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

}  // namespace

JobReplay::JobReplay(const SimOptions& options, int processors, int tasks)
    : admission_(options.job_samples_by_time ? Concat(options.pauses, options.late_admissions)
                                             : std::vector<Pause>{}),
      task_factor_(static_cast<size_t>(tasks), 1.0),
      timed_(static_cast<size_t>(processors)),
      timed_delays_(static_cast<size_t>(processors)) {
  const bool by_time = options.job_samples_by_time;
  for (int p = 0; p < processors; ++p) {
    std::vector<Pause> own = by_time ? options.pauses : std::vector<Pause>{};
    if (by_time)
      for (const Stall& s : options.stalls)
        if (s.processor == p) own.push_back({s.start_us, s.end_us});
    frozen_.emplace_back(std::move(own));
  }
  // Start delays of kWakeStallMinUs and more were recorded as stalls.
  const bool skip_long_delays = by_time && options.stalls_recorded;
  std::vector<double> log_sum(tasks, 0.0), count(tasks, 0.0);
  double all_log = 0, all_count = 0;
  for (const JobSample& s : options.job_samples) {
    const bool placed = s.processor >= 0 && s.processor < processors && s.at_us >= 0;
    if (by_time && placed && frozen_[s.processor].Near(s.at_us, kBeforePauseUs)) continue;
    usable_.push_back(&s);
    const int kind = static_cast<int>(s.start);
    if (!skip_long_delays || s.delay_us < kWakeStallMinUs) {
      delays_[kind].push_back(&s);
      if (by_time && placed) timed_delays_[s.processor][kind].push_back(&s);
    }
    if (by_time && placed) timed_[s.processor].push_back(&s);
    all_log += std::log(s.slowdown);
    all_count += 1;
    if (s.task >= 0 && s.task < tasks) {
      log_sum[s.task] += std::log(s.slowdown);
      count[s.task] += 1;
    }
  }
  for (int k = 0; k < tasks; ++k)
    if (count[k] > 0) task_factor_[k] = std::exp(log_sum[k] / count[k] - all_log / all_count);
  const auto by_start = [](const JobSample* a, const JobSample* b) { return a->at_us < b->at_us; };
  for (auto& v : timed_) std::stable_sort(v.begin(), v.end(), by_start);
  for (auto& kinds : timed_delays_)
    for (auto& v : kinds) std::stable_sort(v.begin(), v.end(), by_start);
}

double JobReplay::TaskFactor(int task) const {
  return task >= 0 && task < static_cast<int>(task_factor_.size()) ? task_factor_[task] : 1.0;
}

JobReplay::Draw JobReplay::Job(int p, int task, double t, std::mt19937_64& rng) const {
  const bool timed = p >= 0 && p < static_cast<int>(timed_.size()) && !timed_[p].empty();
  const JobSample& s = timed ? NearestDraw(timed_[p], t, rng) : AnyDraw(usable_, rng);
  return {s.slowdown / TaskFactor(s.task) * TaskFactor(task), s.overhead_us + s.load_us};
}

double JobReplay::Delay(StartKind kind, int p, double t, std::mt19937_64& rng) const {
  const int k = static_cast<int>(kind);
  if (p >= 0 && p < static_cast<int>(timed_delays_.size()) && !timed_delays_[p][k].empty())
    return NearestDraw(timed_delays_[p][k], t, rng).delay_us;
  return delays_[k].empty() ? 0.0 : AnyDraw(delays_[k], rng).delay_us;
}

}  // namespace sl

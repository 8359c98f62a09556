// What a simulated job takes when the simulator replays a real run's measured jobs
// (SimOptions::job_samples): its slowdown against the profile, its overhead and its start delay.
//
// At random, a job draws one measured job; replayed by time (SimOptions::job_samples_by_time), one
// of the kTimedReplayWindow jobs of its processor that started nearest to its own start. Either
// way the drawn slowdown is converted to the drawing job's task: tasks run at different speeds
// against the profile, and each task's factor is the geometric mean of its samples' slowdowns over
// all samples'. A start delay is drawn the same way among the jobs that started the same way.
//
// Replayed by time, the run's pauses (the whole process), late admissions (admission alone) and
// stalls (one processor) are repeated (PauseReplay). A sample of jobs cannot keep them: a stall of
// a few milliseconds is one job in thousands, and the time it costs depends on what waits
// meanwhile. The samples that started in or just before one are not drawn, nor are start delays
// that were recorded as stalls.
#pragma once

#include <array>
#include <random>
#include <vector>

#include "sim/pauses.h"
#include "sim/simulator.h"

namespace sl {

class JobReplay {
 public:
  JobReplay(const SimOptions& options, int processors, int tasks);
  bool empty() const { return usable_.empty(); }
  // When admission stood still (the pauses and late admissions), and when processor p did (the
  // pauses and its own stalls).
  const PauseReplay& admission() const { return admission_; }
  const PauseReplay& frozen(int p) const { return frozen_[p]; }

  struct Draw {
    double slowdown = 1, overhead_us = 0;  // overhead: the sample's overhead and load wait
  };
  Draw Job(int p, int task, double t, std::mt19937_64& rng) const;
  double Delay(StartKind kind, int p, double t, std::mt19937_64& rng) const;

 private:
  double TaskFactor(int task) const;  // task -1 (not recorded): 1

  PauseReplay admission_;
  std::vector<PauseReplay> frozen_;  // per processor
  std::vector<const JobSample*> usable_;
  std::vector<double> task_factor_;  // [task]
  std::vector<const JobSample*> delays_[kNumStartKinds];
  // Replayed by time: per processor, by start time; delays also per start kind.
  std::vector<std::vector<const JobSample*>> timed_;
  std::vector<std::array<std::vector<const JobSample*>, kNumStartKinds>> timed_delays_;
};

}  // namespace sl

// Latency of segments on processors, hand-off costs between processors, and end-to-end runs of
// stitches on placements (to validate the profile's latency prediction).
//
// Measurement protocol (all at batch 1):
//   - segment latency: on a thread pinned to the processor's cores, the segment's plan prepared
//     with PrepareOptions.num_threads = the processor's thread count runs `warmup` times, then
//     `repeats` timed runs. Interleaved (the default): rounds over all segments of the pool in a
//     random order, the processors taking turns round by round, for at least `repeats` rounds
//     and `min_seconds`; the mean of the middle 80 % of the runs is kept (a machine that
//     alternates between fast and slow stretches is charged its mix, not its best moment).
//     Repeated: each segment back to back; the median is kept.
//   - hand-off of a cut between processors p != q: a two-stage chain (stage 1 on p copies the cut
//     tensor into a shared buffer and signals, stage 2 on q copies it into its own input buffer),
//     minus the same two copies done by one thread on p; median over 3x repeats, floored at 0.
//   - end to end: consecutive segments on the same processor are merged into one stage; stages
//     run on their own pinned threads and signal the next (spin briefly, then futex wait); the
//     time is from stage 1 starting to the last stage finishing, median over repeats.
#pragma once

#include <functional>
#include <vector>

#include "profile/processor.h"
#include "zoo/segments.h"

namespace sl {

struct LatencyOptions {
  int warmup = 3;
  int repeats = 15;
  bool interleave = true;  // segment latency: rounds over all segments (see above)
  double min_seconds = 0;  // interleaved segment latency: the rounds span at least this long
};

// A chain of pinned stage threads passing a token; see above. Stage functions run on their
// stage's thread; the chain is reused for many rounds.
class PinnedChain {
 public:
  struct Stage {
    std::vector<int> cores;
    std::function<Status()> fn;
  };
  explicit PinnedChain(std::vector<Stage> stages);
  ~PinnedChain();
  PinnedChain(const PinnedChain&) = delete;
  PinnedChain& operator=(const PinnedChain&) = delete;
  // Runs all stages once in order; returns the microseconds from stage 1 start to the last end.
  [[nodiscard]] Result<double> RunOnce();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

double Median(std::vector<double> v);
// The mean of `v` without its lowest and highest tenth (0 for an empty `v`).
double TrimmedMean(std::vector<double> v);

// latency_us[v * K + i][p] for every segment, from the SegmentSet (batch 1) that `sets` gives for
// each processor (one per distinct backend and thread count). A device processor's latency
// includes moving its input in and its output out through host memory. Progress counts
// segments x processors.
using SegmentSetLookup = std::function<const SegmentSet&(const ProcessorSpec& processor)>;
[[nodiscard]] Result<std::vector<std::vector<double>>> MeasureSegmentLatency(
    const SegmentSetLookup& sets, int num_variants, int num_segments,
    const std::vector<ProcessorSpec>& processors, const LatencyOptions& options,
    const std::function<void(int64_t, int64_t)>& progress = {});

// Hand-off cost of a tensor of `bytes` between every ordered pair of processors, [from][to] in us.
[[nodiscard]] Result<std::vector<std::vector<double>>> MeasureHandoff(
    size_t bytes, const std::vector<ProcessorSpec>& processors, const LatencyOptions& options);

// Median end-to-end latency of `stitch` with segment i on processors[placement[i]].
[[nodiscard]] Result<double> MeasureStitchLatency(const SegmentSetLookup& sets,
                                                  const Stitch& stitch,
                                                  const std::vector<int>& placement,
                                                  const std::vector<ProcessorSpec>& processors,
                                                  const Tensor& input,
                                                  const LatencyOptions& options);

}  // namespace sl

// The accuracy-latency front of a task's stitches against its original variants (pure functions
// of a Profile).
//
// Latency of a stitch on a processor: all its segments on that processor (no hand-offs), as
// predicted by the profile. A stitch is Pareto-improving when no original variant is at least as
// accurate and at least as fast: it is strictly more accurate than every original of equal or
// lower latency, equivalently strictly faster than every original of equal or higher accuracy.
#pragma once

#include <string>
#include <vector>

#include "profile/profile.h"

namespace sl {

struct ParetoPoint {
  int64_t stitch = 0;
  double accuracy = 0;  // [0, 1]
  double latency_us = 0;
  bool original = false;   // a plain variant (v, ..., v)
  bool on_front = false;   // on the front of all stitches
  bool improving = false;  // not weakly dominated by any original (originals excluded)
};

struct ParetoResult {
  std::string task, processor;
  std::vector<ParetoPoint> points;  // every stitch with a known accuracy, stitch index order
  std::vector<size_t> front;        // indices into points, by increasing latency
  std::vector<size_t> originals;    // indices into points, by variant
  int64_t improving = 0;
  int64_t improving_on_front = 0;
};

[[nodiscard]] Result<ParetoResult> ComputePareto(const Profile& profile, const std::string& task,
                                                 int processor);

// A standalone SVG scatter plot: stitches (grey), Pareto-improving ones (orange), the front
// (blue line), originals (red, labelled).
std::string ParetoSvg(const ParetoResult& result, const TaskProfile& task);

}  // namespace sl

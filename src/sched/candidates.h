// Per-task candidate options of the joint optimizer, in a flat layout for the search
// (internal to sched/; see docs/scheduling.md "Candidates").
//
// Steps of BuildCandidates:
//   1. Stitches: all n^K (or the n plain variants). Keep those whose accuracy meets the floor; when
//      none does, keep the most accurate ones (the task cannot meet its SLO, serve it as well as
//      possible).
//   2. Stitch pruning, valid for every placement: stitch a is dropped when an earlier kept stitch b
//      has accuracy >= a's, bytes <= a's (when bytes matter), non-resident bytes <= a's (with
//      prefer_resident) and, for every segment i and alive processor p,
//      latency(b_i, i, p) <= latency(a_i, i, p).
//   3. Placements of the family over the alive processors.
//   4. Options = kept stitches x placements; within each placement, an option dominated on
//      (per-processor busy time, accuracy, bytes when they matter, non-resident bytes with
//      prefer_resident) by another of the same placement
//      is dropped (same placement: same hand-offs and visited processors, so service latency
//      follows).
// Every step is lossless for the objective of the joint optimizer, so the exact search over the
// candidates is exact over the whole option space of the family.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "sched/optimizer.h"
#include "sched/snapshot.h"

namespace sl {

struct CandidateSet {
  int task = 0;            // position in Snapshot::tasks
  int num_processors = 0;  // P: the snapshot's processor count
  int num_segments = 0;    // K
  double rate_per_us = 0;  // arrival rate in requests per microsecond
  double weight = 0;       // accuracy / latency weight of the task in the objective
  double slo_us = 0;
  bool meets_floor = true;      // false when no stitch meets the accuracy floor
  std::vector<int> placements;  // [placement id * K + i]: processor of segment i
  // Per candidate c:
  std::vector<int64_t> stitch;     // stitch index
  std::vector<int> placement;      // placement id
  std::vector<double> service_us;  // segments + hand-offs
  std::vector<double> accuracy;
  std::vector<int64_t> bytes;
  std::vector<int64_t> load_bytes;  // bytes of its segments not resident (prefer_resident only)
  std::vector<double> busy_us;      // [c * P + p]
  std::vector<uint8_t> visits;      // [c * P + p]: 1 if the placement runs a segment on p

  int64_t size() const { return static_cast<int64_t>(stitch.size()); }
  const int* placement_of(int64_t c) const {
    return &placements[static_cast<size_t>(placement[c]) * num_segments];
  }
};

// `bytes_matter`: false when every combination of the tasks' stitches fits the memory budget; bytes
// then take no part in pruning (objective 3 is constant).
[[nodiscard]] Result<CandidateSet> BuildCandidates(const Snapshot& snapshot, int task,
                                                   const std::vector<int>& alive,
                                                   const JointOptimizerConfig& config,
                                                   bool bytes_matter);

// Placements of a family over `alive` processors for K segments, flattened [id * K + i].
std::vector<int> EnumeratePlacements(PlacementFamily family, const std::vector<int>& alive, int k);

}  // namespace sl

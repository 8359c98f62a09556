// Cuts: tensors at which every variant of a pool can be split into segments.
//
// A tensor t is a valid cut of a pool when, in every variant's graph (shapes bound at batch 1,
// constant subgraphs such as Shape->Gather->Reshape targets folded):
//   - t is computed from the graph input by a non-empty part A (t's producer and its non-constant
//     ancestors), and every non-constant value that a node outside A reads is t itself or was
//     produced outside A (so t alone carries all live values across; constants aside);
//   - the graph output is produced outside A (t is not the output, the remainder is not empty);
//   - t has the same name, the same shape and dtype float32 in every variant (INT8 variants keep
//     their Q/DQ pairs inside segments).
// Valid cuts of one graph are totally ordered (each one's A contains the previous one's), so the
// list is returned in that order.
#pragma once

#include <string>
#include <vector>

#include "zoo/pool.h"

namespace sl {

struct CutInfo {
  std::string name;
  Shape shape;                       // at batch 1
  std::vector<double> flops_before;  // per variant: FLOPs at batch 1 of the part before the cut
};

struct CutAnalysis {
  std::vector<CutInfo> valid;       // in graph order
  std::vector<double> total_flops;  // per variant, at batch 1
  // Mean over variants of the FLOPs before cut c (c == valid.size(): the total).
  double MeanFlopsBefore(size_t c) const;
};

// Finds the valid cuts of `pool`. Fails only if a variant cannot be shape-inferred.
[[nodiscard]] Result<CutAnalysis> FindValidCuts(const Pool& pool);

// Picks `num_segments` - 1 cuts (indices into analysis.valid, increasing) that balance the mean
// FLOPs per segment: minimizes the largest segment, then the sum of squared segment FLOPs
// (dynamic programming over the ordered cuts). num_segments must be in [1, valid.size() + 1].
[[nodiscard]] Result<std::vector<int>> ChooseBalancedCuts(const CutAnalysis& analysis,
                                                          int num_segments);

// Resolves cut names given by the user to indices; fails naming a tensor that is not a valid cut
// or names out of graph order.
[[nodiscard]] Result<std::vector<int>> ResolveCuts(const CutAnalysis& analysis,
                                                   const std::vector<std::string>& names);

}  // namespace sl

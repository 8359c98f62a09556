// Helpers shared by subcommands that run models: input loading and seeded random inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exec/plan.h"

namespace sl::cli {

// Fills a tensor of `info`'s dtype and shape with seeded values: floats uniform in [-1, 1),
// integers uniform in [0, 10), bools alternating by the generator.
Tensor RandomTensor(const TensorInfo& info, uint64_t seed);

// Parses "--input" values: either "NAME=path.npy" or "path.npy" (taken in graph-input order).
// Returns tensors keyed in graph-input order; missing ones are left undefined.
Result<std::vector<Tensor>> LoadInputs(const Graph& g, const std::vector<std::string>& specs);

// Median and 90th percentile of `samples_ms` (sorted in place).
void Percentiles(std::vector<double>& samples_ms, double* median, double* p90);

}  // namespace sl::cli

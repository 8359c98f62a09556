// Static statistics of a model: op counts, parameters, FLOPs and weight sparsity.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace sl {

struct WeightStats {
  std::string name;
  Shape shape;
  DType dtype;
  int64_t zeros = 0;
  int64_t elements = 0;
  double zero_fraction() const { return elements ? static_cast<double>(zeros) / elements : 0.0; }
};

struct ModelStats {
  std::map<std::string, int> op_counts;
  int64_t parameters = 0;  // elements of all constant tensors with rank >= 1 read by nodes
  int64_t weight_bytes = 0;
  double flops = 0;  // at batch 1 (dynamic dims bound to 1): 2*MACs for Conv/Gemm/MatMul
  std::vector<WeightStats> weights;  // constant inputs 1 of Conv/Gemm/MatMul (and their QDQ)
};

// Infers shapes on a copy with dynamic dims bound to 1, then counts.
Result<ModelStats> ComputeModelStats(const Graph& graph);
// FLOPs of one node whose shapes are bound (0 for data movement).
double NodeFlops(const Graph& g, const Node& n);

}  // namespace sl

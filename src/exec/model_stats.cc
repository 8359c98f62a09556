#include "exec/model_stats.h"

#include <set>

#include "exec/prepare.h"

namespace sl {

double NodeFlops(const Graph& g, const Node& n) {
  auto shape = [&](int v) -> const Shape& { return g.values[v].shape; };
  const Shape& out = shape(n.outputs[0]);
  double out_elems = static_cast<double>(NumElements(out));
  switch (n.op) {
    case OpType::kConv: {
      const Shape& w = shape(n.inputs[1]);  // [OC, IC/g, k...]
      double per_out = 1;
      for (size_t i = 1; i < w.size(); ++i) per_out *= static_cast<double>(w[i]);
      return 2.0 * out_elems * per_out;
    }
    case OpType::kGemm: {
      const Shape& a = shape(n.inputs[0]);
      int64_t k = n.attrs.GetInt("transA", 0) ? a[0] : a[1];
      return 2.0 * out_elems * static_cast<double>(k);
    }
    case OpType::kMatMul: {
      const Shape& a = shape(n.inputs[0]);
      return 2.0 * out_elems * static_cast<double>(a.empty() ? 1 : a.back());
    }
    case OpType::kReshape:
    case OpType::kFlatten:
    case OpType::kSqueeze:
    case OpType::kUnsqueeze:
    case OpType::kIdentity:
    case OpType::kShape:
    case OpType::kConstant:
    case OpType::kTranspose:
    case OpType::kConcat:
    case OpType::kSlice:
    case OpType::kSplit:
    case OpType::kGather:
    case OpType::kExpand:
      return 0;
    default:
      return out_elems;
  }
}

Result<ModelStats> ComputeModelStats(const Graph& graph) {
  ModelStats stats;
  for (const Node& n : graph.nodes) stats.op_counts[std::string(OpTypeName(n.op))]++;
  std::set<int> seen;
  for (const Node& n : graph.nodes) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      int v = n.inputs[i];
      if (v == kNoValue || !graph.values[v].is_constant() || !seen.insert(v).second) continue;
      const Tensor& t = graph.values[v].constant;
      if (t.rank() == 0) continue;
      stats.parameters += t.numel();
      stats.weight_bytes += static_cast<int64_t>(t.bytes());
      bool is_weight =
          (i == 1 && (n.op == OpType::kConv || n.op == OpType::kGemm || n.op == OpType::kMatMul)) ||
          (i == 0 && n.op == OpType::kDequantizeLinear && t.rank() >= 2);
      if (!is_weight || t.rank() < 2) continue;
      WeightStats w{graph.values[v].name, t.shape(), t.dtype()};
      w.elements = t.numel();
      std::vector<double> vals = t.ToDoubles();
      for (double x : vals) w.zeros += x == 0.0;
      stats.weights.push_back(std::move(w));
    }
  }
  Graph g = graph;
  SL_RETURN_IF_ERROR(InferAndFold(g, {}));
  DropFoldedNodes(g);
  for (const Node& n : g.nodes) stats.flops += NodeFlops(g, n);
  return stats;
}

}  // namespace sl

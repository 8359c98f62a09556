#include "zoo/cuts.h"

#include <algorithm>
#include <limits>
#include <map>

#include "exec/model_stats.h"
#include "exec/prepare.h"

namespace sl {

double CutAnalysis::MeanFlopsBefore(size_t c) const {
  double sum = 0;
  size_t n = total_flops.size();
  for (size_t v = 0; v < n; ++v)
    sum += c < valid.size() ? valid[c].flops_before[v] : total_flops[v];
  return n ? sum / n : 0;
}

namespace {

struct VariantCuts {
  std::map<std::string, CutInfo> cuts;  // valid cuts of this variant by name (flops_before[0])
  std::vector<std::string> order;       // in graph order
  double total_flops = 0;
};

// Steps, for one variant:
// 1. Bind the input at batch 1, infer shapes and fold constants; drop nodes that folded away and
//    nodes not needed for the output.
// 2. For each float32 value t produced by a node p: mark A = p and its non-constant ancestors.
// 3. t is valid if no node outside A reads a non-constant value (other than t) that is a graph
//    input or produced inside A, and the graph output is produced outside A.
Result<VariantCuts> AnalyzeVariant(const PoolVariant& variant) {
  Graph g = variant.graph;
  SL_RETURN_IF_ERROR(InferAndFold(g, {}).WithContext("variant '" + variant.name + "'"));
  DropFoldedNodes(g);
  g.RemoveDeadNodes();
  const size_t num_nodes = g.nodes.size(), num_values = g.values.size();
  std::vector<int> producer(num_values, -1);
  for (size_t i = 0; i < num_nodes; ++i)
    for (int o : g.nodes[i].outputs)
      if (o != kNoValue) producer[o] = static_cast<int>(i);
  std::vector<double> node_flops(num_nodes);
  VariantCuts result;
  for (size_t i = 0; i < num_nodes; ++i) {
    node_flops[i] = NodeFlops(g, g.nodes[i]);
    result.total_flops += node_flops[i];
  }
  auto is_live_value = [&](int v) { return v != kNoValue && !g.values[v].is_constant(); };
  std::vector<char> in_a(num_nodes);
  for (size_t p = 0; p < num_nodes; ++p) {
    for (int t : g.nodes[p].outputs) {
      if (!is_live_value(t) || g.values[t].dtype != DType::kF32) continue;
      std::fill(in_a.begin(), in_a.end(), 0);
      std::vector<int> stack{static_cast<int>(p)};
      in_a[p] = 1;
      while (!stack.empty()) {
        int q = stack.back();
        stack.pop_back();
        for (int in : g.nodes[q].inputs) {
          if (!is_live_value(in) || producer[in] < 0 || in_a[producer[in]]) continue;
          in_a[producer[in]] = 1;
          stack.push_back(producer[in]);
        }
      }
      auto crosses = [&](int v) {
        return is_live_value(v) && v != t && (producer[v] < 0 || in_a[producer[v]]);
      };
      bool valid = true;
      for (size_t q = 0; q < num_nodes && valid; ++q) {
        if (in_a[q]) continue;
        for (int in : g.nodes[q].inputs) valid = valid && !crosses(in);
      }
      for (int o : g.outputs)
        valid = valid && o != t && !crosses(o) && !(producer[o] >= 0 && in_a[producer[o]]);
      if (!valid) continue;
      CutInfo c;
      c.name = g.values[t].name;
      c.shape = g.values[t].shape;
      double before = 0;
      for (size_t q = 0; q < num_nodes; ++q)
        if (in_a[q]) before += node_flops[q];
      c.flops_before = {before};
      result.order.push_back(c.name);
      result.cuts[c.name] = std::move(c);
    }
  }
  return result;
}

}  // namespace

Result<CutAnalysis> FindValidCuts(const Pool& pool) {
  CutAnalysis out;
  std::vector<VariantCuts> per_variant;
  for (const PoolVariant& v : pool.variants) {
    SL_ASSIGN_OR_RETURN(VariantCuts vc, AnalyzeVariant(v));
    out.total_flops.push_back(vc.total_flops);
    per_variant.push_back(std::move(vc));
  }
  for (const std::string& name : per_variant[0].order) {
    CutInfo c = per_variant[0].cuts.at(name);
    bool everywhere = true;
    for (size_t v = 1; v < per_variant.size() && everywhere; ++v) {
      auto it = per_variant[v].cuts.find(name);
      everywhere = it != per_variant[v].cuts.end() && it->second.shape == c.shape;
      if (everywhere) c.flops_before.push_back(it->second.flops_before[0]);
    }
    if (everywhere) out.valid.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<int>> ChooseBalancedCuts(const CutAnalysis& analysis, int num_segments) {
  const int c = static_cast<int>(analysis.valid.size());
  if (num_segments < 1 || num_segments > c + 1)
    return InvalidArgument(std::to_string(num_segments) + " segments asked for, but the pool has " +
                           std::to_string(c) + " valid cuts (at most " + std::to_string(c + 1) +
                           " segments)");
  // Positions 0..c+1: 0 is the input, 1..c the cuts, c+1 the output.
  std::vector<double> pos(c + 2);
  pos[0] = 0;
  for (int i = 0; i <= c; ++i) pos[i + 1] = analysis.MeanFlopsBefore(i);
  using Cost = std::pair<double, double>;  // (max segment, sum of squares)
  const Cost inf{std::numeric_limits<double>::infinity(), 0};
  // best[k][j]: k segments covering [0, pos j], ending at position j.
  std::vector<std::vector<Cost>> best(num_segments + 1, std::vector<Cost>(c + 2, inf));
  std::vector<std::vector<int>> from(num_segments + 1, std::vector<int>(c + 2, -1));
  best[0][0] = {0, 0};
  for (int k = 1; k <= num_segments; ++k) {
    for (int j = 1; j <= c + 1; ++j) {
      if (k < num_segments && j == c + 1) continue;
      for (int i = 0; i < j; ++i) {
        if (best[k - 1][i].first == inf.first) continue;
        double seg = pos[j] - pos[i];
        Cost cost{std::max(best[k - 1][i].first, seg), best[k - 1][i].second + seg * seg};
        if (cost < best[k][j]) {
          best[k][j] = cost;
          from[k][j] = i;
        }
      }
    }
  }
  std::vector<int> cuts;
  for (int k = num_segments, j = c + 1; k > 1; --k) {
    j = from[k][j];
    cuts.push_back(j - 1);
  }
  std::reverse(cuts.begin(), cuts.end());
  return cuts;
}

Result<std::vector<int>> ResolveCuts(const CutAnalysis& analysis,
                                     const std::vector<std::string>& names) {
  std::vector<int> out;
  for (const std::string& name : names) {
    int found = -1;
    for (size_t i = 0; i < analysis.valid.size(); ++i)
      if (analysis.valid[i].name == name) found = static_cast<int>(i);
    if (found < 0) {
      std::string list;
      for (const CutInfo& c : analysis.valid) list += (list.empty() ? "" : ", ") + c.name;
      return InvalidArgument("'" + name + "' is not a valid cut of the pool (valid: " + list + ")");
    }
    if (!out.empty() && found <= out.back())
      return InvalidArgument("cut '" + name + "' must come after '" +
                             analysis.valid[out.back()].name + "' in graph order");
    out.push_back(found);
  }
  return out;
}

}  // namespace sl

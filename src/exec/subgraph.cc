// Subgraph extraction and the prepare pipeline.
#include <vector>

#include "exec/prepare.h"
#include "exec/quant_fuse.h"

namespace sl {

Status ExtractSubgraph(Graph& g, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs) {
  // 1. Resolve the boundary names; every one must name a value of the graph.
  // 2. Walk backwards from the outputs, stopping at boundary inputs and constants.
  // 3. Any other value without a producer that is reached means the boundary is not closed.
  std::vector<int> in_ids, out_ids;
  for (const auto& name : inputs) {
    int v = g.FindValue(name);
    if (v == kNoValue)
      return NotFound(g.source + ": subgraph input '" + name + "' is not a tensor of the model");
    in_ids.push_back(v);
  }
  for (const auto& name : outputs) {
    int v = g.FindValue(name);
    if (v == kNoValue)
      return NotFound(g.source + ": subgraph output '" + name + "' is not a tensor of the model");
    out_ids.push_back(v);
  }
  if (in_ids.empty()) in_ids = g.inputs;
  if (out_ids.empty()) out_ids = g.outputs;

  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int o : g.nodes[i].outputs)
      if (o != kNoValue) producer[o] = static_cast<int>(i);
  std::vector<bool> boundary(g.values.size(), false), needed_node(g.nodes.size(), false);
  for (int v : in_ids) boundary[v] = true;
  std::vector<bool> visited(g.values.size(), false);
  std::vector<int> stack(out_ids.begin(), out_ids.end());
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    if (visited[v]) continue;
    visited[v] = true;
    if (boundary[v] || g.values[v].is_constant()) continue;
    int p = producer[v];
    if (p < 0) {
      return InvalidArgument(g.source + ": subgraph outputs depend on '" + g.values[v].name +
                             "', which is not among the subgraph inputs");
    }
    needed_node[p] = true;
    for (int in : g.nodes[p].inputs)
      if (in != kNoValue) stack.push_back(in);
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (needed_node[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  g.inputs.clear();
  for (int v : in_ids)
    if (!g.values[v].is_constant()) g.inputs.push_back(v);
  g.outputs = out_ids;
  return Status::Ok();
}

void DropFoldedNodes(Graph& g) {
  std::vector<Node> live;
  for (Node& n : g.nodes) {
    bool all_const = true;
    for (int o : n.outputs)
      if (o != kNoValue && !g.values[o].is_constant()) all_const = false;
    if (!all_const) live.push_back(std::move(n));
  }
  g.nodes = std::move(live);
}

Result<Graph> PrepareGraph(const Graph& source, const PrepareOptions& options) {
  Graph g = source;
  SL_RETURN_IF_ERROR(InferAndFold(g, options.input_shapes, options.constant_inputs));
  DropFoldedNodes(g);
  SL_RETURN_IF_ERROR(ExtractSubgraph(g, options.inputs, options.outputs));
  SL_RETURN_IF_ERROR(DropIdentities(g));
  SL_RETURN_IF_ERROR(FoldBatchNormIntoConv(g));
  if (options.fuse) SL_RETURN_IF_ERROR(FuseBiasAndActivation(g));
  if (options.fuse && options.fuse_gelu) SL_RETURN_IF_ERROR(FuseGelu(g));
  if (options.fuse && options.quantized_kernels) SL_RETURN_IF_ERROR(FuseQuantizedOps(g, source));
  return g;
}

}  // namespace sl

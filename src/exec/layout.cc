#include "exec/layout.h"

namespace sl {

int64_t BlockedElements(const Shape& shape, int block) {
  if (shape.size() != 4 || block <= 0) return NumElements(shape);
  const int64_t c = (shape[1] + block - 1) / block * block;
  return shape[0] * c * shape[2] * shape[3];
}

std::vector<bool> ChooseBlockedValues(const Graph& g, std::span<const BlockRole> roles) {
  const size_t nv = g.values.size();
  std::vector<bool> blocked(nv, false);
  std::vector<bool> boundary(nv, false);
  for (int v : g.inputs) boundary[v] = true;
  for (int v : g.outputs) boundary[v] = true;
  // Producer role per value.
  std::vector<BlockRole> producer(nv, BlockRole::kNone);
  std::vector<bool> produced(nv, false);
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const int v = node.outputs[o];
      if (v == kNoValue) continue;
      produced[v] = true;
      if (o == 0) producer[v] = roles[n];
    }
  }
  for (size_t v = 0; v < nv; ++v) {
    const Value& val = g.values[v];
    blocked[v] = produced[v] && !boundary[v] && !val.is_constant() && val.dtype == DType::kF32 &&
                 val.shape.size() == 4 && producer[v] != BlockRole::kNone;
  }
  // Every consumer must accept the value where it reads it.
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const int v = node.inputs[i];
      if (v == kNoValue) continue;
      const bool ok =
          roles[n] == BlockRole::kElementwise || (roles[n] == BlockRole::kInOut && i == 0);
      if (!ok) blocked[v] = false;
    }
  }
  // Elementwise nodes: all or nothing.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
      if (roles[n] != BlockRole::kElementwise) continue;
      const Node& node = g.nodes[n];
      bool all = true;
      for (int v : node.inputs) all = all && v != kNoValue && blocked[v];
      for (int v : node.outputs) all = all && v != kNoValue && blocked[v];
      if (all) continue;
      for (int v : node.inputs) {
        if (v != kNoValue && blocked[v]) blocked[v] = false, changed = true;
      }
      for (int v : node.outputs) {
        if (v != kNoValue && blocked[v]) blocked[v] = false, changed = true;
      }
    }
  }
  return blocked;
}

}  // namespace sl

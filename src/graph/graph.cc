#include "graph/graph.h"

#include <algorithm>
#include <queue>

namespace sl {

int64_t Attributes::GetInt(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  if (auto* f = std::get_if<float>(&it->second)) return static_cast<int64_t>(*f);
  return fallback;
}

float Attributes::GetFloat(const std::string& name, float fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<float>(&it->second)) return *v;
  if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  return fallback;
}

std::string Attributes::GetString(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return fallback;
}

std::vector<int64_t> Attributes::GetInts(const std::string& name,
                                         std::vector<int64_t> fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  if (auto* i = std::get_if<int64_t>(&it->second)) return {*i};
  return fallback;
}

std::vector<float> Attributes::GetFloats(const std::string& name,
                                         std::vector<float> fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<std::vector<float>>(&it->second)) return *v;
  return fallback;
}

const Tensor* Attributes::GetTensor(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return nullptr;
  return std::get_if<Tensor>(&it->second);
}

int Graph::GetOrAddValue(const std::string& name) {
  if (index_.size() != values.size()) ReindexNames();
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  int id = static_cast<int>(values.size());
  values.push_back(Value{name});
  index_[name] = id;
  return id;
}

int Graph::FindValue(const std::string& name) const {
  if (index_.size() != values.size()) const_cast<Graph*>(this)->ReindexNames();
  auto it = index_.find(name);
  return it == index_.end() ? kNoValue : it->second;
}

void Graph::ReindexNames() {
  index_.clear();
  for (size_t i = 0; i < values.size(); ++i) index_[values[i].name] = static_cast<int>(i);
}

std::string Graph::Describe(const Node& n) const {
  return "node '" + n.name + "' (" + std::string(OpTypeName(n.op)) + ")";
}

Status Graph::Sort() {
  // Kahn's algorithm over value producers:
  // 1. record which node produces each value (a value produced twice is an error);
  // 2. count, per node, inputs produced by other nodes;
  // 3. repeatedly emit nodes with no pending inputs, in original order for stability;
  // 4. nodes left over sit on a cycle.
  std::vector<int> producer(values.size(), -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (int o : nodes[i].outputs) {
      if (o == kNoValue) continue;
      if (producer[o] != -1) {
        return InvalidArgument(source + ": value '" + values[o].name + "' is produced by " +
                               Describe(nodes[producer[o]]) + " and by " + Describe(nodes[i]));
      }
      producer[o] = static_cast<int>(i);
    }
  }
  std::vector<bool> is_input(values.size(), false);
  for (int v : inputs) is_input[v] = true;
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> consumers(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (int v : nodes[i].inputs) {
      if (v == kNoValue) continue;
      if (producer[v] == -1) {
        if (!is_input[v] && !values[v].is_constant()) {
          return InvalidArgument(source + ": " + Describe(nodes[i]) + " reads '" + values[v].name +
                                 "', which no node, input or initializer provides");
        }
        continue;
      }
      ++pending[i];
      consumers[producer[v]].push_back(static_cast<int>(i));
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int c : consumers[i])
      if (--pending[c] == 0) ready.push(c);
  }
  if (order.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (pending[i] > 0)
        return InvalidArgument(source + ": graph has a cycle through " + Describe(nodes[i]));
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (int i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  return Status::Ok();
}

void Graph::RemoveDeadNodes() {
  std::vector<bool> live(values.size(), false);
  for (int o : outputs) live[o] = true;
  std::vector<Node> kept;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    bool needed = false;
    for (int o : it->outputs)
      if (o != kNoValue && live[o]) needed = true;
    if (!needed) continue;
    for (int i : it->inputs)
      if (i != kNoValue) live[i] = true;
    kept.push_back(std::move(*it));
  }
  std::reverse(kept.begin(), kept.end());
  nodes = std::move(kept);
}

}  // namespace sl

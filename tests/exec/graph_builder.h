// Test helper: builds small graphs in code.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace sl::testing {

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name = "test.onnx") {
    g_.source = std::move(name);
    g_.opset = 17;
  }
  int Input(const std::string& name, Shape shape, DType dtype = DType::kF32) {
    int v = g_.GetOrAddValue(name);
    g_.values[v].dtype = dtype;
    g_.values[v].shape = std::move(shape);
    g_.values[v].known_rank = true;
    g_.inputs.push_back(v);
    return v;
  }
  int Const(const std::string& name, Tensor t) {
    int v = g_.GetOrAddValue(name);
    g_.values[v].dtype = t.dtype();
    g_.values[v].shape = t.shape();
    g_.values[v].known_rank = true;
    g_.values[v].constant = std::move(t);
    return v;
  }
  // Seeded uniform [-1, 1) float constant.
  int RandomConst(const std::string& name, Shape shape, uint32_t seed, float lo = -1,
                  float hi = 1) {
    Tensor t(DType::kF32, std::move(shape));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
    return Const(name, std::move(t));
  }
  // Adds a node; returns its first output value id.
  int Node(OpType op, const std::string& name, std::vector<int> inputs,
           std::vector<std::string> outputs, Attributes attrs = {}) {
    sl::Node n;
    n.op = op;
    n.name = name;
    n.inputs = std::move(inputs);
    for (const auto& o : outputs) n.outputs.push_back(g_.GetOrAddValue(o));
    n.attrs = std::move(attrs);
    g_.nodes.push_back(std::move(n));
    return g_.nodes.back().outputs[0];
  }
  void Output(int v) { g_.outputs.push_back(v); }
  Graph Build() { return g_; }

 private:
  Graph g_;
};

// y = Relu(x + c), x of shape [2, 3]: the smallest graph every backend test runs.
inline Graph AddReluGraph() {
  GraphBuilder b;
  const int x = b.Input("x", {2, 3});
  const int c = b.Const("c", Tensor::FromVector<float>({2, 3}, {1, -2, 3, -4, 5, -6}));
  const int s = b.Node(OpType::kAdd, "add", {x, c}, {"s"});
  b.Output(b.Node(OpType::kRelu, "relu", {s}, {"y"}));
  return b.Build();
}

inline Tensor RandomTensor(Shape shape, uint32_t seed) {
  Tensor t(DType::kF32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

inline float MaxRelDiff(const Tensor& a, const Tensor& b) {
  float m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    float x = a.data<float>()[i], y = b.data<float>()[i];
    float d = std::abs(x - y) / std::max(1.f, std::abs(y));
    if (!(d <= m)) m = d;  // NaN propagates as a large difference
  }
  return m;
}

}  // namespace sl::testing

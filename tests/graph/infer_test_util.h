// Helpers shared by the shape-inference tests (tests/graph/infer_*_test.cc): one-node graphs
// built from input descriptions, ready for InferContext.
#pragma once

#include <string>
#include <vector>

#include "graph/infer.h"

namespace sl::infertest {

// One input of the node under test.
struct InferInput {
  DType dtype = DType::kF32;
  Shape shape;
  Tensor constant = {};  // defined: the input is a constant
  bool omitted = false;  // an absent optional input (kNoValue)
};

// Makes `graph` (source "test.onnx", opset 17) hold the values of `inputs` ("in<i>", known
// rank) and `num_outputs` outputs ("out<i>"), and wires them to `node`.
inline void BuildOneNodeGraph(Graph& graph, Node& node, const std::vector<InferInput>& inputs,
                              int num_outputs) {
  graph.source = "test.onnx";
  graph.opset = 17;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].omitted) {
      node.inputs.push_back(kNoValue);
      continue;
    }
    int v = graph.GetOrAddValue("in" + std::to_string(i));
    graph.values[v].dtype = inputs[i].dtype;
    graph.values[v].shape = inputs[i].shape;
    graph.values[v].known_rank = true;
    graph.values[v].constant = inputs[i].constant;
    node.inputs.push_back(v);
  }
  for (int i = 0; i < num_outputs; ++i)
    node.outputs.push_back(graph.GetOrAddValue("out" + std::to_string(i)));
}

}  // namespace sl::infertest

// Shape and type inference, one function per op (named Infer<Op>, declared from ops.def).
//
// An infer function reads its node's input values (dtype, shape, and the constant tensor when the
// input is constant: Reshape's shape, Slice's starts, ...) and sets dtype and shape of every
// output. Unknown dims (-1) may remain where inputs are not bound yet. It returns a Status naming
// the node and the offending value for anything inconsistent (mismatched dims, bad attributes,
// out-of-range axes).
#pragma once

#include <string>

#include "graph/graph.h"

namespace sl {

class InferContext {
 public:
  InferContext(Graph& g, const Node& n) : graph_(g), node_(n) {}
  const Node& node() const { return node_; }
  const Attributes& attrs() const { return node_.attrs; }
  int num_inputs() const { return static_cast<int>(node_.inputs.size()); }
  int num_outputs() const { return static_cast<int>(node_.outputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && node_.inputs[i] != kNoValue; }
  const Value& input(int i) const { return graph_.values[node_.inputs[i]]; }
  // The constant tensor of input i, or nullptr when absent or not constant.
  const Tensor* constant_input(int i) const {
    return has_input(i) && input(i).is_constant() ? &input(i).constant : nullptr;
  }
  // Omitted outputs (kNoValue) are skipped.
  void SetOutput(int i, DType dtype, Shape shape) {
    if (i >= num_outputs() || node_.outputs[i] == kNoValue) return;
    Value& v = graph_.values[node_.outputs[i]];
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.known_rank = true;
  }
  // InvalidArgument("<file>: node 'n' (Op): <message>").
  Status Error(const std::string& message) const {
    return InvalidArgument(graph_.source + ": " + graph_.Describe(node_) + ": " + message);
  }
  // Fails naming input i when its rank is unknown.
  Status RequireKnownRank(int i) const {
    if (input(i).known_rank) return Status::Ok();
    return Error("input " + std::to_string(i) + " '" + input(i).name + "' has unknown rank");
  }
  // Checks the input count is within [min, max].
  Status ExpectInputs(int min, int max) const;

 private:
  Graph& graph_;
  const Node& node_;
};

using InferFn = Status (*)(InferContext&);

#define SL_OP(name) Status Infer##name(InferContext& ctx);
#include "graph/ops.def"
#undef SL_OP

InferFn GetInferFn(OpType op);

// Numpy-style broadcast of two shapes (unknown dims -1 propagate). Fails on incompatible dims.
Result<Shape> BroadcastShapes(const Shape& a, const Shape& b);
// Normalises a possibly negative axis against `rank`; fails when out of range.
Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank);

}  // namespace sl

// Graph preparation: bind input shapes, infer shapes while folding constants, run the rewrite
// passes, and cut out a subgraph. Produces the graph that Plan compiles.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace sl {

struct PrepareOptions {
  // Concrete shapes for graph inputs, by name. Unknown dims (-1) not given here become 1.
  std::map<std::string, Shape> input_shapes;
  // Graph inputs bound to constant values (they stop being inputs of the plan). Used for inputs
  // that determine shapes, such as a Reshape target fed from outside.
  std::map<std::string, Tensor> constant_inputs;
  // Subgraph boundary by tensor name: run only the nodes between these inputs and outputs. Empty
  // means the graph's own inputs / outputs.
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  // Threads each execution may use.
  int num_threads = 1;
  // Use the reference kernel for every node (the oracle configuration).
  bool reference_only = false;
  // Try the sparse kernels (kernels/sparse) before dense for Conv/Gemm/MatMul with constant
  // weights; they are chosen per layer by measurement. `force_sparse` takes the best sparse format
  // whenever one can hold the weights (the forced-sparse conformance run).
  bool sparse_kernels = true;
  bool force_sparse = false;
  // Skip the fusion passes (BatchNorm folding stays: it is exact up to rounding).
  bool fuse = true;
  // With `fuse`: rewrite the decomposed erf form of GELU into one Gelu node (FuseGelu). Backends
  // without a Gelu kernel leave it off.
  bool fuse_gelu = true;
  // With `fuse`: rewrite QuantizeLinear / DequantizeLinear around Conv / Gemm / MatMul into INT8
  // nodes (exec/quant_fuse.h). Off: the QDQ graph runs as float on dequantized weights.
  bool quantized_kernels = true;
  // Keep activations channel-blocked between dense convolutions and the elementwise ops around
  // them (exec/layout.h) where the CPU has AVX2 or AVX-512. Off: every activation is plain NCHW.
  bool blocked_layout = true;
};

// Sets input shapes, then infers every value's dtype and shape in topological order. A node whose
// inputs are all constant (Shape of a known shape included) is evaluated by its reference kernel
// and its outputs become constants.
// Softmax of opsets before 13 is marked with "_legacy_flatten" first.
Status InferAndFold(Graph& g, const std::map<std::string, Shape>& input_shapes,
                    const std::map<std::string, Tensor>& constant_inputs = {});

// Removes nodes whose outputs were all folded into constants: they need not run.
void DropFoldedNodes(Graph& g);

// Rewrite passes (each keeps the graph's outputs and value names intact):
Status DropIdentities(Graph& g);
Status FoldBatchNormIntoConv(Graph& g);
Status FuseBiasAndActivation(Graph& g);
// x * (1 + erf(x / sqrt 2)) / 2 as exported from PyTorch (Div or Mul by the constant, Erf, Add 1,
// Mul by x and by 0.5 in either order, every intermediate read once) -> one Gelu node.
Status FuseGelu(Graph& g);

// Restricts `g` to the nodes needed to compute `outputs` from `inputs` (tensor names). Fails if an
// output cannot be computed from the given inputs and constants alone, naming the missing tensor.
Status ExtractSubgraph(Graph& g, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs);

// The whole pipeline: infer+fold on the full graph, extract the subgraph, then the passes.
Result<Graph> PrepareGraph(const Graph& source, const PrepareOptions& options);

}  // namespace sl

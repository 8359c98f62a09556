// Internal to src/onnx: onnx::AttributeProto -> Attributes.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"
#include "graph/graph.h"

namespace sl::onnx_import {

// Converts every attribute of `node` into `out`: FLOAT -> float, INT -> int64_t, STRING ->
// std::string, TENSOR -> Tensor (read like an initializer, external data relative to `base_dir`),
// FLOATS / INTS / STRINGS -> vectors. Attributes written without a type (old IR versions) are typed
// by the field that is set. Graphs, sparse tensors, type protos, references to function
// attributes, duplicate names and names starting with '_' (reserved for SparseLoom's fusion
// attributes such as "_act") are rejected. `context` ("model.onnx: node 'c' (Conv)") starts every
// error message.
[[nodiscard]] Status ConvertAttributes(const onnx::NodeProto& node, const std::string& base_dir,
                                       const std::string& context, Attributes* out);

}  // namespace sl::onnx_import

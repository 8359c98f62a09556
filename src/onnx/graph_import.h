// Internal to src/onnx: onnx::GraphProto -> Graph.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"
#include "graph/graph.h"

namespace sl::onnx_import {

// Fills `graph` (whose `source` and `opset` are already set) from `proto`: initializers, inputs,
// outputs, value_info and nodes, then sorts it. Initializer data is released from `proto` as it is
// converted, to bound peak memory. External data is read relative to `base_dir`.
[[nodiscard]] Status ImportGraph(onnx::GraphProto& proto, const std::string& base_dir,
                                 Graph* graph);

}  // namespace sl::onnx_import

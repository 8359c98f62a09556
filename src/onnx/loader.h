// ONNX import: the only SparseLoom code that sees protobuf (onnx types stay inside src/onnx/*.cc
// and the internal headers tensor_proto.h, attributes.h, graph_import.h).
//
// What is accepted: ONNX models with IR version 3..kMaxOnnxIrVersion whose default-domain opset
// ("" or "ai.onnx") is at most kMaxOnnxOpset, such as PyTorch exports (torch 1.13 and newer,
// opset 11-17); initializers in raw_data or typed fields, or in external data files that lie inside
// the model's folder; ops listed in graph/ops.def, default domain only; tensors of the dtypes in
// core/dtype.h.
//
// What comes out: a Graph whose nodes are topologically sorted (Graph::Sort() succeeded), with
//   - initializers as constant values (graph inputs that are also initializers are constants, not
//     entries of Graph::inputs);
//   - dtype / shape of values taken from graph inputs, outputs, value_info and initializers, an
//     unknown dim (dim_param or no dim_value) as -1, known_rank true when the type has a shape;
//   - node attributes converted to Attributes (a tensor attribute as a Tensor under its name, so a
//     Constant node keeps "value" / "value_float(s)" / "value_int(s)"; folding is the executor's);
//   - kNoValue for an omitted optional input or output (empty name); trailing omitted outputs are
//     dropped;
//   - node names kept, or synthesized as "<op>_<index>" when empty;
//   - Graph::opset set to the default-domain opset version and Graph::source to the file name.
//
// Errors: never throws or aborts on bad input. Malformed, truncated or non-ONNX bytes, unsupported
// ops, dtypes or types, inconsistent tensor sizes, external paths escaping the model's folder,
// tensors larger than kMaxTensorBytes, cycles and dangling inputs give one Status whose message
// names the file, and the node and op or the tensor concerned. A missing file is kNotFound;
// unsupported-but-valid content (ops, dtypes, opsets, non-tensor types) is kUnsupported.
//
// Thread safety: the functions are reentrant; they share no state.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "graph/graph.h"

namespace sl {

// Newest default-domain opset whose op semantics SparseLoom implements.
inline constexpr int64_t kMaxOnnxOpset = 17;
// Newest ONNX IR version accepted (ONNX 1.12 writes 8; later IR versions add no tensor features
// SparseLoom needs, and any new dtype they bring is rejected by dtype checks).
inline constexpr int64_t kMaxOnnxIrVersion = 10;

// Reads, parses and converts the model at `path`. External data is looked up relative to the
// folder of `path`. Error messages start with `path`.
[[nodiscard]] Result<Graph> LoadOnnxModel(const std::string& path);

// Same, from serialized ModelProto bytes. `name_for_errors` starts every error message and becomes
// Graph::source; `base_dir_for_external_data` is the folder external data paths are relative to
// (empty: a model with external data is rejected).
[[nodiscard]] Result<Graph> LoadOnnxModelFromBytes(const std::string& bytes,
                                                   const std::string& name_for_errors,
                                                   const std::string& base_dir_for_external_data);

// Reads a serialized TensorProto (.pb), as in ONNX test_data_set_N/input_0.pb. External data, if
// any, is looked up relative to the folder of `path`. When `name` is not null it receives the
// TensorProto's name (may be empty).
[[nodiscard]] Result<Tensor> LoadTensorProtoFile(const std::string& path,
                                                 std::string* name = nullptr);

}  // namespace sl

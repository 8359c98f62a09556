// Model-level checks (IR version, opsets) and the public entry points of loader.h.
#include "onnx/loader.h"

#include <onnx/onnx_pb.h>

#include "onnx/graph_import.h"
#include "onnx/proto_io.h"
#include "onnx/tensor_proto.h"

namespace sl {

namespace {

using onnx_import::ParentDir;

// Default-domain opset of `model`, after checking it is an ONNX model SparseLoom can read.
Result<int64_t> CheckModel(const onnx::ModelProto& model, const std::string& name) {
  const std::string not_onnx = name + ": not an ONNX model";
  if (!model.has_graph()) return InvalidArgument(not_onnx + " (no graph)");
  if (!model.has_ir_version() || model.ir_version() <= 0) {
    return InvalidArgument(not_onnx + " (no ir_version)");
  }
  if (model.opset_import_size() == 0) return InvalidArgument(not_onnx + " (no opset_import)");
  if (model.ir_version() < 3 || model.ir_version() > kMaxOnnxIrVersion) {
    return Unsupported(name + ": ONNX IR version " + std::to_string(model.ir_version()) +
                       " is not supported (3 to " + std::to_string(kMaxOnnxIrVersion) + ")");
  }
  int64_t opset = 0;
  for (const onnx::OperatorSetIdProto& id : model.opset_import()) {
    if (!id.domain().empty() && id.domain() != "ai.onnx") continue;
    if (opset != 0) return InvalidArgument(name + ": the default-domain opset is imported twice");
    if (id.version() <= 0) {
      return InvalidArgument(name + ": invalid default-domain opset version " +
                             std::to_string(id.version()));
    }
    opset = id.version();
  }
  if (opset == 0) {
    // Valid ONNX that only uses other operator domains (e.g. ai.onnx.preview.training).
    std::string domains;
    for (const onnx::OperatorSetIdProto& id : model.opset_import())
      domains += (domains.empty() ? "" : ", ") + id.domain();
    return Unsupported(name + ": model imports only the operator domains " + domains +
                       "; SparseLoom supports the default ONNX domain");
  }
  if (opset > kMaxOnnxOpset) {
    return Unsupported(name + ": opset " + std::to_string(opset) + " is newer than opset " +
                       std::to_string(kMaxOnnxOpset) +
                       ", the newest SparseLoom supports; re-export with opset_version=" +
                       std::to_string(kMaxOnnxOpset));
  }
  return opset;
}

Result<Graph> ConvertModel(onnx::ModelProto& model, const std::string& name,
                           const std::string& base_dir) {
  Graph graph;
  graph.source = name;
  SL_ASSIGN_OR_RETURN(graph.opset, CheckModel(model, name));
  SL_RETURN_IF_ERROR(onnx_import::ImportGraph(*model.mutable_graph(), base_dir, &graph));
  return graph;
}

}  // namespace

Result<Graph> LoadOnnxModel(const std::string& path) {
  onnx::ModelProto model;
  {
    SL_ASSIGN_OR_RETURN(std::string bytes, onnx_import::ReadFileBytes(path));
    SL_RETURN_IF_ERROR(onnx_import::ParseMessage(bytes, &model, path, "an ONNX model"));
  }  // the file's bytes are freed before tensors are built
  return ConvertModel(model, path, ParentDir(path));
}

Result<Graph> LoadOnnxModelFromBytes(const std::string& bytes, const std::string& name_for_errors,
                                     const std::string& base_dir_for_external_data) {
  onnx::ModelProto model;
  SL_RETURN_IF_ERROR(onnx_import::ParseMessage(bytes, &model, name_for_errors, "an ONNX model"));
  return ConvertModel(model, name_for_errors, base_dir_for_external_data);
}

Result<Tensor> LoadTensorProtoFile(const std::string& path, std::string* name) {
  onnx::TensorProto proto;
  {
    SL_ASSIGN_OR_RETURN(std::string bytes, onnx_import::ReadFileBytes(path));
    SL_RETURN_IF_ERROR(onnx_import::ParseMessage(bytes, &proto, path, "a TensorProto"));
  }
  const std::string context =
      proto.name().empty() ? path : path + ": tensor '" + proto.name() + "'";
  SL_ASSIGN_OR_RETURN(Tensor t, onnx_import::TensorFromProto(proto, ParentDir(path), context));
  if (name) *name = proto.name();
  return t;
}

}  // namespace sl

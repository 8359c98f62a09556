#include "onnx/graph_import.h"

#include <unordered_set>
#include <utility>

#include "onnx/attributes.h"
#include "onnx/tensor_proto.h"

namespace sl::onnx_import {

namespace {

std::string SupportedOpList() {
  std::string list;
  for (int i = 0; i < static_cast<int>(OpType::kCount); ++i) {
    if (i) list += ", ";
    list += OpTypeName(static_cast<OpType>(i));
  }
  return list;
}

const char* NonTensorKind(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kSequenceType:
      return "a sequence";
    case onnx::TypeProto::kMapType:
      return "a map";
    case onnx::TypeProto::kOptionalType:
      return "an optional";
    case onnx::TypeProto::kSparseTensorType:
      return "a sparse tensor";
    default:
      return "a non-tensor";
  }
}

// Copies dtype and shape declared by `type` into `v`. A missing type or elem_type leaves them
// unknown; a dim without dim_value is -1. `what` names the value in errors.
Status ApplyType(const onnx::TypeProto& type, const std::string& what, Value* v) {
  if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return Status::Ok();
  if (type.value_case() != onnx::TypeProto::kTensorType) {
    return Unsupported(what + " has " + NonTensorKind(type) +
                       " type; SparseLoom handles tensors only");
  }
  const onnx::TypeProto::Tensor& tt = type.tensor_type();
  DType dtype = DType::kUndefined;
  if (tt.elem_type() != onnx::TensorProto::UNDEFINED) {
    dtype = DTypeFromOnnx(tt.elem_type());
    if (dtype == DType::kUndefined) {
      return Unsupported(what + " has unsupported dtype " + OnnxDataTypeName(tt.elem_type()));
    }
  }
  Shape shape, lower_bound;
  if (tt.has_shape()) {
    for (const auto& dim : tt.shape().dim()) {
      if (dim.has_dim_value() && dim.dim_value() < 0) {
        return InvalidArgument(what + " has negative dimension " + std::to_string(dim.dim_value()));
      }
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
      lower_bound.push_back(dim.has_dim_value() ? dim.dim_value() : 1);
    }
    SL_RETURN_IF_ERROR(CheckShape(lower_bound, dtype, what));
  }
  v->dtype = dtype;
  v->shape = std::move(shape);
  v->known_rank = tt.has_shape();
  return Status::Ok();
}

class Importer {
 public:
  Importer(onnx::GraphProto& proto, const std::string& base_dir, Graph& g)
      : proto_(proto), base_dir_(base_dir), g_(g), file_(g.source) {}

  Status Run() {
    if (proto_.sparse_initializer_size() > 0) {
      return Unsupported(file_ + ": sparse_initializer '" +
                         proto_.sparse_initializer(0).values().name() +
                         "' is not supported; store it as a dense initializer");
    }
    SL_RETURN_IF_ERROR(ImportInitializers());
    SL_RETURN_IF_ERROR(ImportInputs());
    SL_RETURN_IF_ERROR(ImportNodes());
    SL_RETURN_IF_ERROR(ImportOutputs());
    SL_RETURN_IF_ERROR(ImportValueInfo());
    return g_.Sort();
  }

 private:
  Status ImportInitializers() {
    for (int i = 0; i < proto_.initializer_size(); ++i) {
      onnx::TensorProto* t = proto_.mutable_initializer(i);
      std::string name = t->name();
      if (name.empty()) {
        return InvalidArgument(file_ + ": initializer #" + std::to_string(i) + " has no name");
      }
      if (g_.FindValue(name) != kNoValue) {
        return InvalidArgument(file_ + ": initializer '" + name + "' appears twice");
      }
      SL_ASSIGN_OR_RETURN(Tensor tensor,
                          TensorFromProto(*t, base_dir_, file_ + ": initializer '" + name + "'"));
      onnx::TensorProto released;
      t->Swap(&released);  // frees the proto's copy of the data at the end of this scope
      Value& v = g_.values[g_.GetOrAddValue(name)];
      v.dtype = tensor.dtype();
      v.shape = tensor.shape();
      v.known_rank = true;
      v.constant = std::move(tensor);
    }
    return Status::Ok();
  }

  Status ImportInputs() {
    for (const onnx::ValueInfoProto& in : proto_.input()) {
      const std::string what = file_ + ": graph input '" + in.name() + "'";
      if (in.name().empty()) return InvalidArgument(file_ + ": graph input without a name");
      int id = g_.FindValue(in.name());
      if (id != kNoValue && g_.values[id].is_constant()) continue;  // initializer: a constant
      if (id != kNoValue) return InvalidArgument(what + " is listed twice");
      if (in.type().value_case() == onnx::TypeProto::VALUE_NOT_SET) {
        return InvalidArgument(what + " has no type");
      }
      id = g_.GetOrAddValue(in.name());
      SL_RETURN_IF_ERROR(ApplyType(in.type(), what, &g_.values[id]));
      if (g_.values[id].dtype == DType::kUndefined) {
        return InvalidArgument(what + " has no element type");
      }
      g_.inputs.push_back(id);
      is_input_.insert(id);
    }
    return Status::Ok();
  }

  std::string NodeName(const onnx::NodeProto& n, int index) {
    if (!n.name().empty()) return n.name();
    std::string base = n.op_type() + "_" + std::to_string(index), name = base;
    for (int k = 1; node_names_.count(name); ++k) name = base + "_" + std::to_string(k);
    node_names_.insert(name);
    return name;
  }

  Status ImportNodes() {
    for (const onnx::NodeProto& n : proto_.node())
      if (!n.name().empty()) node_names_.insert(n.name());
    for (int i = 0; i < proto_.node_size(); ++i) {
      const onnx::NodeProto& n = proto_.node(i);
      std::string name = NodeName(n, i);
      const std::string context = file_ + ": node '" + name + "' (" + n.op_type() + ")";
      if (n.op_type().empty()) return InvalidArgument(context + ": node has no op_type");
      if (!n.domain().empty() && n.domain() != "ai.onnx") {
        return Unsupported(context + ": unsupported op '" + n.op_type() + "' (domain '" +
                           n.domain() + "'); SparseLoom supports the default ONNX domain only");
      }
      std::optional<OpType> op = OpTypeFromName(n.op_type());
      if (!op) {
        return Unsupported(context + ": unsupported op '" + n.op_type() + "' (domain '" +
                           n.domain() + "'); SparseLoom supports: " + SupportedOpList());
      }
      if (*op == OpType::kGelu && g_.opset < 20) {  // ours: the fused Erf expression
        return Unsupported(context + ": Gelu is an ONNX op from opset 20 on; this model imports " +
                           "opset " + std::to_string(g_.opset));
      }
      Node node{*op, name, {}, {}, {}};
      for (const std::string& in : n.input())
        node.inputs.push_back(in.empty() ? kNoValue : g_.GetOrAddValue(in));
      int num_outputs = n.output_size();
      while (num_outputs > 0 && n.output(num_outputs - 1).empty()) --num_outputs;
      if (num_outputs == 0) return InvalidArgument(context + ": node has no outputs");
      for (int k = 0; k < num_outputs; ++k) {
        const std::string& out = n.output(k);
        if (out.empty()) {
          node.outputs.push_back(kNoValue);
          continue;
        }
        int id = g_.GetOrAddValue(out);
        if (g_.values[id].is_constant() || is_input_.count(id)) {
          return InvalidArgument(context + ": output '" + out + "' overwrites " +
                                 (is_input_.count(id) ? "a graph input" : "an initializer"));
        }
        node.outputs.push_back(id);
      }
      SL_RETURN_IF_ERROR(ConvertAttributes(n, base_dir_, context, &node.attrs));
      if (node.op == OpType::kConstant) SL_RETURN_IF_ERROR(CheckConstant(node, context));
      g_.nodes.push_back(std::move(node));
    }
    return Status::Ok();
  }

  // A Constant holds exactly one supported value attribute; its output's dtype and shape follow.
  Status CheckConstant(const Node& node, const std::string& context) {
    if (!node.inputs.empty()) return InvalidArgument(context + ": Constant takes no inputs");
    if (node.outputs.size() != 1) return InvalidArgument(context + ": Constant has one output");
    const auto& all = node.attrs.all();
    if (all.size() != 1) {
      return InvalidArgument(context +
                             ": needs exactly one of the attributes value, value_float, "
                             "value_floats, value_int, value_ints; has " +
                             std::to_string(all.size()));
    }
    const auto& [key, attr] = *all.begin();
    DType dtype = DType::kUndefined;
    Shape shape;
    if (key == "value" && std::holds_alternative<Tensor>(attr)) {
      dtype = std::get<Tensor>(attr).dtype();
      shape = std::get<Tensor>(attr).shape();
    } else if (key == "value_float" && std::holds_alternative<float>(attr)) {
      dtype = DType::kF32;
    } else if (key == "value_int" && std::holds_alternative<int64_t>(attr)) {
      dtype = DType::kI64;
    } else if (key == "value_floats" && std::holds_alternative<std::vector<float>>(attr)) {
      dtype = DType::kF32;
      shape = {static_cast<int64_t>(std::get<std::vector<float>>(attr).size())};
    } else if (key == "value_ints" && std::holds_alternative<std::vector<int64_t>>(attr)) {
      dtype = DType::kI64;
      shape = {static_cast<int64_t>(std::get<std::vector<int64_t>>(attr).size())};
    } else if (key == "value_string" || key == "value_strings") {
      return Unsupported(context + ": string constants are not supported");
    } else {
      return InvalidArgument(context + ": attribute '" + key +
                             "' is not a value attribute of Constant or has the wrong type");
    }
    Value& out = g_.values[node.outputs[0]];
    out.dtype = dtype;
    out.shape = std::move(shape);
    out.known_rank = true;
    return Status::Ok();
  }

  Status ImportOutputs() {
    std::unordered_set<int> produced;
    for (const Node& n : g_.nodes)
      for (int o : n.outputs) produced.insert(o);
    std::unordered_set<int> seen;
    for (const onnx::ValueInfoProto& out : proto_.output()) {
      const std::string what = file_ + ": graph output '" + out.name() + "'";
      if (out.name().empty()) return InvalidArgument(file_ + ": graph output without a name");
      int id = g_.FindValue(out.name());
      if (id == kNoValue ||
          (!produced.count(id) && !is_input_.count(id) && !g_.values[id].is_constant())) {
        return InvalidArgument(what + " is not produced by any node, input or initializer");
      }
      if (!seen.insert(id).second) return InvalidArgument(what + " is listed twice");
      if (produced.count(id)) SL_RETURN_IF_ERROR(ApplyType(out.type(), what, &g_.values[id]));
      g_.outputs.push_back(id);
    }
    if (g_.outputs.empty()) return InvalidArgument(file_ + ": graph has no outputs");
    return Status::Ok();
  }

  // value_info types the intermediate values; names nobody uses are ignored.
  Status ImportValueInfo() {
    for (const onnx::ValueInfoProto& info : proto_.value_info()) {
      int id = g_.FindValue(info.name());
      if (id == kNoValue || is_input_.count(id) || g_.values[id].is_constant()) continue;
      Value& v = g_.values[id];
      if (v.known_rank || v.dtype != DType::kUndefined) continue;  // a graph output or Constant
      SL_RETURN_IF_ERROR(ApplyType(info.type(), file_ + ": value '" + info.name() + "'", &v));
    }
    return Status::Ok();
  }

  onnx::GraphProto& proto_;
  const std::string& base_dir_;
  Graph& g_;
  const std::string file_;
  std::unordered_set<int> is_input_;
  std::unordered_set<std::string> node_names_;
};

}  // namespace

Status ImportGraph(onnx::GraphProto& proto, const std::string& base_dir, Graph* graph) {
  return Importer(proto, base_dir, *graph).Run();
}

}  // namespace sl::onnx_import

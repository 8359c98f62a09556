#include "onnx/attributes.h"

#include "onnx/tensor_proto.h"

namespace sl::onnx_import {

namespace {

using AttrType = onnx::AttributeProto::AttributeType;

// The type of an attribute that does not state one: the only field that is set.
AttrType InferType(const onnx::AttributeProto& a) {
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.has_g()) return onnx::AttributeProto::GRAPH;
  if (a.floats_size()) return onnx::AttributeProto::FLOATS;
  if (a.ints_size()) return onnx::AttributeProto::INTS;
  if (a.strings_size()) return onnx::AttributeProto::STRINGS;
  if (a.graphs_size()) return onnx::AttributeProto::GRAPHS;
  return onnx::AttributeProto::UNDEFINED;
}

std::string TypeName(AttrType t) {
  switch (t) {
    case onnx::AttributeProto::GRAPH:
      return "graph";
    case onnx::AttributeProto::GRAPHS:
      return "graphs";
    case onnx::AttributeProto::SPARSE_TENSOR:
      return "sparse tensor";
    case onnx::AttributeProto::SPARSE_TENSORS:
      return "sparse tensors";
    case onnx::AttributeProto::TENSORS:
      return "tensors";
    case onnx::AttributeProto::TYPE_PROTO:
      return "type proto";
    case onnx::AttributeProto::TYPE_PROTOS:
      return "type protos";
    default:
      return "type " + std::to_string(static_cast<int>(t));
  }
}

Result<AttrValue> Convert(const onnx::AttributeProto& a, const std::string& base_dir,
                          const std::string& what) {
  AttrType type =
      a.has_type() && a.type() != onnx::AttributeProto::UNDEFINED ? a.type() : InferType(a);
  switch (type) {
    case onnx::AttributeProto::FLOAT:
      return AttrValue(a.f());
    case onnx::AttributeProto::INT:
      return AttrValue(static_cast<int64_t>(a.i()));
    case onnx::AttributeProto::STRING:
      return AttrValue(a.s());
    case onnx::AttributeProto::TENSOR: {
      SL_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(a.t(), base_dir, what));
      return AttrValue(std::move(t));
    }
    case onnx::AttributeProto::FLOATS:
      return AttrValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case onnx::AttributeProto::INTS:
      return AttrValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case onnx::AttributeProto::STRINGS:
      return AttrValue(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case onnx::AttributeProto::UNDEFINED:
      return InvalidArgument(what + " has no value");
    default:
      return Unsupported(what + " is a " + TypeName(type) +
                         " attribute, which SparseLoom does "
                         "not support");
  }
}

}  // namespace

Status ConvertAttributes(const onnx::NodeProto& node, const std::string& base_dir,
                         const std::string& context, Attributes* out) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    const std::string what = context + ": attribute '" + a.name() + "'";
    if (a.name().empty()) return InvalidArgument(context + ": attribute without a name");
    if (a.name()[0] == '_') {
      return InvalidArgument(what + " uses a name reserved for SparseLoom's internal attributes");
    }
    if (out->Has(a.name())) return InvalidArgument(what + " appears twice");
    if (!a.ref_attr_name().empty()) {
      return Unsupported(what + " refers to function attribute '" + a.ref_attr_name() +
                         "'; functions are not supported");
    }
    SL_ASSIGN_OR_RETURN(AttrValue v, Convert(a, base_dir, what));
    out->Set(a.name(), std::move(v));
  }
  return Status::Ok();
}

}  // namespace sl::onnx_import

#include <algorithm>
#include <vector>

#include "exec/prepare.h"
#include "graph/infer.h"
#include "kernels/ref/ref.h"

namespace sl {

namespace {

// Evaluates `node` with its reference kernel; all its inputs are constants.
Status FoldNode(Graph& g, const Node& node) {
  std::vector<TensorView> in;
  for (int v : node.inputs)
    in.push_back(v == kNoValue ? TensorView{} : g.values[v].constant.view());
  std::vector<Tensor> results;
  std::vector<TensorView> out;
  for (int v : node.outputs) {
    if (v == kNoValue) {
      results.emplace_back();
      continue;
    }
    const Value& val = g.values[v];
    SL_RETURN_IF_ERROR(CheckShape(
        val.shape, val.dtype, g.source + ": " + g.Describe(node) + " output '" + val.name + "'"));
    results.emplace_back(val.dtype, val.shape);
  }
  for (auto& r : results) out.push_back(r.defined() ? r.view() : TensorView{});
  Status s = GetRefFn(node.op)(node, in, out);
  if (!s.ok()) return s.WithContext(g.source + ": folding " + g.Describe(node));
  for (size_t i = 0; i < results.size(); ++i)
    if (node.outputs[i] != kNoValue) g.values[node.outputs[i]].constant = std::move(results[i]);
  return Status::Ok();
}

bool AllDimsKnown(const Value& v) {
  if (!v.known_rank) return false;
  for (int64_t d : v.shape)
    if (d < 0) return false;
  return true;
}

}  // namespace

Status InferAndFold(Graph& g, const std::map<std::string, Shape>& input_shapes,
                    const std::map<std::string, Tensor>& constant_inputs) {
  if (g.opset > 0 && g.opset < 13) {
    for (Node& n : g.nodes)
      if (n.op == OpType::kSoftmax) n.attrs.Set("_legacy_flatten", int64_t{1});
  }
  for (const auto& [name, tensor] : constant_inputs) {
    int v = g.FindValue(name);
    auto it = std::find(g.inputs.begin(), g.inputs.end(), v);
    if (v == kNoValue || it == g.inputs.end())
      return InvalidArgument(g.source + ": '" + name + "' is not a graph input");
    Value& val = g.values[v];
    if (val.dtype != tensor.dtype())
      return InvalidArgument(g.source + ": input '" + name + "' is " +
                             std::string(DTypeName(val.dtype)) + ", given " +
                             std::string(DTypeName(tensor.dtype())));
    val.constant = tensor;
    val.shape = tensor.shape();
    val.known_rank = true;
    g.inputs.erase(it);
  }
  for (const auto& [name, shape] : input_shapes) {
    int v = g.FindValue(name);
    bool is_input = false;
    for (int i : g.inputs) is_input |= (i == v);
    if (!is_input) return InvalidArgument(g.source + ": '" + name + "' is not a graph input");
    Value& val = g.values[v];
    if (val.known_rank && val.shape.size() != shape.size()) {
      return InvalidArgument(g.source + ": input '" + name + "' has rank " +
                             std::to_string(val.shape.size()) + ", given shape " +
                             ShapeToString(shape));
    }
    for (size_t d = 0; d < shape.size() && val.known_rank; ++d) {
      if (val.shape[d] >= 0 && val.shape[d] != shape[d]) {
        return InvalidArgument(g.source + ": input '" + name + "' expects shape " +
                               ShapeToString(val.shape) + ", given " + ShapeToString(shape));
      }
    }
    SL_RETURN_IF_ERROR(CheckShape(shape, val.dtype, g.source + ": input '" + name + "'"));
    val.shape = shape;
    val.known_rank = true;
  }
  for (int i : g.inputs) {
    Value& val = g.values[i];
    if (!val.known_rank)
      return InvalidArgument(g.source + ": input '" + val.name + "' has no shape; give one");
    for (auto& d : val.shape)
      if (d < 0) d = 1;
  }
  for (const Node& node : g.nodes) {
    InferContext ctx(g, node);
    SL_RETURN_IF_ERROR(GetInferFn(node.op)(ctx));
    for (int o : node.outputs) {
      if (o == kNoValue) continue;
      const Value& v = g.values[o];
      if (!AllDimsKnown(v)) {
        return ctx.Error("could not infer the shape of output '" + v.name + "' (got " +
                         ShapeToString(v.shape) + ")");
      }
      SL_RETURN_IF_ERROR(CheckShape(
          v.shape, v.dtype, g.source + ": " + g.Describe(node) + " output '" + v.name + "'"));
    }
    // Shape needs only its input's (now known) shape; everything else needs constant inputs.
    bool foldable = node.op == OpType::kShape ||
                    std::all_of(node.inputs.begin(), node.inputs.end(),
                                [&](int v) { return v == kNoValue || g.values[v].is_constant(); });
    if (foldable) {
      if (node.op == OpType::kShape) {
        // Shape reads no data: evaluate from the shape alone.
        std::vector<int64_t> dims = g.values[node.inputs[0]].shape;
        int64_t rank = static_cast<int64_t>(dims.size());
        int64_t start = node.attrs.GetInt("start", 0), end = node.attrs.GetInt("end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = std::clamp<int64_t>(start, 0, rank);
        end = std::clamp<int64_t>(end, start, rank);
        std::vector<int64_t> sel(dims.begin() + start, dims.begin() + end);
        g.values[node.outputs[0]].constant =
            Tensor::FromVector<int64_t>({static_cast<int64_t>(sel.size())}, sel);
      } else {
        SL_RETURN_IF_ERROR(FoldNode(g, node));
      }
    }
  }
  return Status::Ok();
}

}  // namespace sl

// Reference kernels of the data-movement and constant-producing ops. They work for every dtype by
// copying elements as bytes (except Range, which computes values). Output shapes were set by
// shape inference; each kernel checks the sizes it relies on before touching memory and allocates
// nothing: multi-dim index arithmetic is redone per element instead of kept in buffers.
#include <algorithm>
#include <cstring>
#include <string>

#include "graph/infer.h"
#include "graph/infer_st_slice.h"
#include "graph/infer_st_window.h"
#include "kernels/ref/ref.h"

namespace sl {

namespace {

Status OpError(const Node& node, const std::string& message) {
  return InvalidArgument("node '" + node.name + "' (" + std::string(OpTypeName(node.op)) +
                         "): " + message);
}

Status ExpectArity(const Node& node, std::span<const TensorView> inputs,
                   std::span<const TensorView> outputs, size_t min_inputs) {
  if (inputs.size() < min_inputs || outputs.empty())
    return OpError(node, "expects at least " + std::to_string(min_inputs) + " inputs");
  for (size_t i = 0; i < min_inputs; ++i)
    if (inputs[i].data == nullptr && inputs[i].numel() > 0)
      return OpError(node, "input " + std::to_string(i) + " is missing");
  return Status::Ok();
}

void CopyElements(const TensorView& from, int64_t from_index, const TensorView& to,
                  int64_t to_index, int64_t count) {
  const size_t elem = DTypeSize(from.dtype);
  if (count <= 0) return;
  std::memcpy(static_cast<char*>(to.data) + to_index * elem,
              static_cast<const char*>(from.data) + from_index * elem, count * elem);
}

// Output and input hold the same elements in the same order (Reshape, Flatten, Squeeze, ...).
Status CopyAll(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (x.dtype != y.dtype || x.numel() != y.numel()) {
    return OpError(
        node, "output " + ShapeToString(y.shape) + " cannot hold input " + ShapeToString(x.shape));
  }
  if (x.data != y.data) CopyElements(x, 0, y, 0, x.numel());
  return Status::Ok();
}

int64_t Product(std::span<const int64_t> dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// Reads element j of a list given as input `input_index` (if present) or attribute `attr`.
// Returns false when neither holds an element j.
bool ListElement(const Node& node, std::span<const TensorView> inputs, size_t input_index,
                 const char* attr, int64_t j, int64_t* value) {
  if (inputs.size() > input_index && inputs[input_index].data != nullptr) {
    const TensorView& t = inputs[input_index];
    return j < t.numel() && ReadIndexAt(t, j, value);
  }
  if (inputs.size() > input_index && inputs[input_index].numel() == 0) return false;
  std::span<const int64_t> list =
      attr != nullptr ? AttrInts(node.attrs, attr) : std::span<const int64_t>();
  if (j >= static_cast<int64_t>(list.size())) return false;
  *value = list[j];
  return true;
}

}  // namespace

Status RefIdentity(const Node& n, std::span<const TensorView> in, std::span<const TensorView> out) {
  return CopyAll(n, in, out);
}
Status RefReshape(const Node& n, std::span<const TensorView> in, std::span<const TensorView> out) {
  return CopyAll(n, in, out);
}
Status RefFlatten(const Node& n, std::span<const TensorView> in, std::span<const TensorView> out) {
  return CopyAll(n, in, out);
}
Status RefSqueeze(const Node& n, std::span<const TensorView> in, std::span<const TensorView> out) {
  return CopyAll(n, in, out);
}
Status RefUnsqueeze(const Node& n, std::span<const TensorView> in,
                    std::span<const TensorView> out) {
  return CopyAll(n, in, out);
}

// Output dim i reads input dim perm[i] (default perm: reversed dims).
Status RefTranspose(const Node& node, std::span<const TensorView> inputs,
                    std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  const int rank = x.rank();
  std::span<const int64_t> perm = AttrInts(node.attrs, "perm");
  const bool reversed = FindAttrNoAlloc(node.attrs, "perm") == nullptr;
  auto axis_of = [&](int i) { return reversed ? rank - 1 - i : static_cast<int>(perm[i]); };
  if ((!reversed && static_cast<int>(perm.size()) != rank) || y.rank() != rank ||
      y.dtype != x.dtype) {
    return OpError(node, "perm does not match input " + ShapeToString(x.shape));
  }
  for (int i = 0; i < rank; ++i) {
    const int a = axis_of(i);
    if (a < 0 || a >= rank || y.dim(i) != x.dim(a))
      return OpError(node, "output " + ShapeToString(y.shape) + " is not a permutation of " +
                               ShapeToString(x.shape));
  }
  const int64_t total = y.numel();
  for (int64_t o = 0; o < total; ++o) {
    int64_t rest = o, in_index = 0;
    for (int i = rank - 1; i >= 0; --i) {
      const int64_t coord = rest % y.dim(i);
      rest /= y.dim(i);
      const int a = axis_of(i);
      in_index += coord * Product(x.shape, a + 1, rank);
    }
    CopyElements(x, in_index, y, o, 1);
  }
  return Status::Ok();
}

Status RefConcat(const Node& node, std::span<const TensorView> inputs,
                 std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 1));
  const TensorView& y = outputs[0];
  Result<int64_t> axis = NormalizeAxis(AttrInt(node.attrs, "axis", 0), y.rank());
  if (!axis.ok()) return OpError(node, axis.status().message());
  const int64_t outer = Product(y.shape, 0, *axis);
  const int64_t inner = Product(y.shape, *axis + 1, y.rank());
  int64_t along = 0;
  for (const TensorView& x : inputs) {
    bool ok = x.rank() == y.rank() && x.dtype == y.dtype;
    for (int d = 0; ok && d < y.rank(); ++d) ok = d == *axis || x.dim(d) == y.dim(d);
    if (!ok) return OpError(node, "input " + ShapeToString(x.shape) + " does not fit output");
    along += x.dim(*axis);
  }
  if (along != y.dim(*axis)) return OpError(node, "inputs do not fill the output axis");
  int64_t offset = 0;  // position along the axis where the current input starts
  for (const TensorView& x : inputs) {
    const int64_t chunk = x.dim(*axis) * inner;
    for (int64_t o = 0; o < outer; ++o)
      CopyElements(x, o * chunk, y, (o * y.dim(*axis) + offset) * inner, chunk);
    offset += x.dim(*axis);
  }
  return Status::Ok();
}

// Output i takes the next outputs[i].dim(axis) entries along the axis.
Status RefSplit(const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 1));
  const TensorView& x = inputs[0];
  Result<int64_t> axis = NormalizeAxis(AttrInt(node.attrs, "axis", 0), x.rank());
  if (!axis.ok()) return OpError(node, axis.status().message());
  int64_t along = 0;
  for (const TensorView& y : outputs) {
    bool ok = y.rank() == x.rank() && y.dtype == x.dtype;
    for (int d = 0; ok && d < x.rank(); ++d) ok = d == *axis || x.dim(d) == y.dim(d);
    if (!ok) return OpError(node, "output " + ShapeToString(y.shape) + " does not fit input");
    along += y.dim(*axis);
  }
  if (along != x.dim(*axis)) return OpError(node, "outputs do not cover the input axis");
  const int64_t outer = Product(x.shape, 0, *axis);
  const int64_t inner = Product(x.shape, *axis + 1, x.rank());
  int64_t offset = 0;
  for (const TensorView& y : outputs) {
    const int64_t chunk = y.dim(*axis) * inner;
    if (y.data != nullptr) {
      for (int64_t o = 0; o < outer; ++o)
        CopyElements(x, (o * x.dim(*axis) + offset) * inner, y, o * chunk, chunk);
    }
    offset += y.dim(*axis);
  }
  return Status::Ok();
}

namespace {

// The slice of input dim `d`: starts/ends/axes/steps are inputs 1-4 (opset >= 10) or attributes.
Result<SliceAxis> SliceOfDim(const Node& node, std::span<const TensorView> inputs, int d) {
  const TensorView& x = inputs[0];
  const bool from_inputs = inputs.size() > 1;
  int64_t start = 0, end = 0, step = 1;
  bool has_axes = false;
  for (int64_t j = 0;; ++j) {
    int64_t axis = j;
    bool more = ListElement(node, inputs, from_inputs ? 3 : 99, "axes", j, &axis);
    has_axes = has_axes || more;
    if (!more && has_axes) break;
    if (!ListElement(node, inputs, from_inputs ? 1 : 99, "starts", j, &start)) break;
    if (axis < 0) axis += x.rank();
    if (axis != d) continue;
    if (!ListElement(node, inputs, from_inputs ? 2 : 99, "ends", j, &end))
      return OpError(node, "ends are shorter than starts");
    if (!ListElement(node, inputs, from_inputs ? 4 : 99, nullptr, j, &step)) step = 1;
    if (step == 0) return OpError(node, "steps must be non-zero");
    return ClampSliceAxis(start, end, step, x.dim(d));
  }
  return SliceAxis{0, 1, x.dim(d)};  // dim not sliced
}

}  // namespace

Status RefSlice(const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (y.rank() != x.rank() || y.dtype != x.dtype) return OpError(node, "output rank differs");
  for (int d = 0; d < x.rank(); ++d) {
    SL_ASSIGN_OR_RETURN(SliceAxis s, SliceOfDim(node, inputs, d));
    if (s.count != y.dim(d)) {
      return OpError(node, "output " + ShapeToString(y.shape) + " does not match the slice of " +
                               ShapeToString(x.shape) + " on axis " + std::to_string(d));
    }
  }
  const int64_t total = y.numel();
  for (int64_t o = 0; o < total; ++o) {
    int64_t rest = o, in_index = 0, in_stride = 1;
    for (int d = x.rank() - 1; d >= 0; --d) {
      const int64_t coord = rest % y.dim(d);
      rest /= y.dim(d);
      const SliceAxis s = SliceOfDim(node, inputs, d).value();  // validated above
      in_index += (s.first + coord * s.step) * in_stride;
      in_stride *= x.dim(d);
    }
    CopyElements(x, in_index, y, o, 1);
  }
  return Status::Ok();
}

// y[outer, j..., inner] = data[outer, indices[j...], inner]; negative indices count from the end.
Status RefGather(const Node& node, std::span<const TensorView> inputs,
                 std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 2));
  const TensorView& x = inputs[0];
  const TensorView& idx = inputs[1];
  const TensorView& y = outputs[0];
  Result<int64_t> axis = NormalizeAxis(AttrInt(node.attrs, "axis", 0), x.rank());
  if (!axis.ok()) return OpError(node, axis.status().message());
  if (idx.dtype != DType::kI32 && idx.dtype != DType::kI64)
    return OpError(node, "indices must be int32 or int64");
  const int64_t outer = Product(x.shape, 0, *axis);
  const int64_t inner = Product(x.shape, *axis + 1, x.rank());
  const int64_t dim = x.dim(*axis);
  const int64_t count = idx.numel();
  if (y.dtype != x.dtype || y.numel() != outer * count * inner)
    return OpError(node, "output " + ShapeToString(y.shape) + " has the wrong size");
  for (int64_t j = 0; j < count; ++j) {
    int64_t i = 0;
    ReadIndexAt(idx, j, &i);
    if (i < -dim || i >= dim) {
      return OpError(node, "index " + std::to_string(i) + " out of range for axis " +
                               std::to_string(*axis) + " of " + ShapeToString(x.shape));
    }
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < count; ++j) {
      int64_t i = 0;
      ReadIndexAt(idx, j, &i);
      if (i < 0) i += dim;
      CopyElements(x, (o * dim + i) * inner, y, (o * count + j) * inner, inner);
    }
  }
  return Status::Ok();
}

// Numpy broadcast of the input to the output shape.
Status RefExpand(const Node& node, std::span<const TensorView> inputs,
                 std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  const int shift = y.rank() - x.rank();
  bool ok = shift >= 0 && x.dtype == y.dtype;
  for (int d = 0; ok && d < x.rank(); ++d) ok = x.dim(d) == 1 || x.dim(d) == y.dim(d + shift);
  if (!ok)
    return OpError(node,
                   ShapeToString(x.shape) + " does not broadcast to " + ShapeToString(y.shape));
  const int64_t total = y.numel();
  for (int64_t o = 0; o < total; ++o) {
    int64_t rest = o, in_index = 0, in_stride = 1;
    for (int d = y.rank() - 1; d >= shift; --d) {
      const int64_t coord = rest % y.dim(d);
      rest /= y.dim(d);
      const int64_t xd = x.dim(d - shift);
      if (xd != 1) in_index += coord * in_stride;
      in_stride *= xd;
    }
    CopyElements(x, in_index, y, o, 1);
  }
  return Status::Ok();
}

Status RefShape(const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  if (inputs.empty() || outputs.empty()) return OpError(node, "expects one input and output");
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  const int64_t rank = x.rank();
  int64_t start = AttrInt(node.attrs, "start", 0);
  int64_t end = AttrInt(node.attrs, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  const int64_t count = std::max<int64_t>(0, end - start);
  if (y.dtype != DType::kI64 || y.numel() != count)
    return OpError(node, "output must be int64 [" + std::to_string(count) + "]");
  for (int64_t i = 0; i < count; ++i) y.data_as<int64_t>()[i] = x.shape[start + i];
  return Status::Ok();
}

namespace {

// Copies `value` (one element of the output's dtype) into every element of `y`.
void Fill(const TensorView& y, const void* value) {
  const size_t elem = DTypeSize(y.dtype);
  const int64_t total = y.numel();
  for (int64_t i = 0; i < total; ++i)
    std::memcpy(static_cast<char*>(y.data) + i * elem, value, elem);
}

template <typename T>
void FillRange(const TensorView& start, const TensorView& delta, const TensorView& y) {
  const T first = start.data_as<const T>()[0];
  const T step = delta.data_as<const T>()[0];
  const int64_t total = y.numel();
  for (int64_t i = 0; i < total; ++i) y.data_as<T>()[i] = static_cast<T>(first + i * step);
}

}  // namespace

Status RefConstant(const Node& node, std::span<const TensorView> inputs,
                   std::span<const TensorView> outputs) {
  if (outputs.empty()) return OpError(node, "expects one output");
  const TensorView& y = outputs[0];
  const AttrValue* v = FindAttrNoAlloc(node.attrs, "value");
  if (v != nullptr && std::holds_alternative<Tensor>(*v)) {
    const Tensor& t = std::get<Tensor>(*v);
    if (t.dtype() != y.dtype || t.numel() != y.numel())
      return OpError(node, "output does not match the value attribute");
    if (t.numel() > 0) CopyElements(t.view(), 0, y, 0, t.numel());
    return Status::Ok();
  }
  if ((v = FindAttrNoAlloc(node.attrs, "value_float")) != nullptr) {
    const float f = AttrFloat(node.attrs, "value_float", 0.f);
    if (y.dtype != DType::kF32 || y.numel() != 1) return OpError(node, "output must be float32 []");
    y.data_as<float>()[0] = f;
    return Status::Ok();
  }
  if ((v = FindAttrNoAlloc(node.attrs, "value_int")) != nullptr) {
    const int64_t i = AttrInt(node.attrs, "value_int", 0);
    if (y.dtype != DType::kI64 || y.numel() != 1) return OpError(node, "output must be int64 []");
    y.data_as<int64_t>()[0] = i;
    return Status::Ok();
  }
  if ((v = FindAttrNoAlloc(node.attrs, "value_floats")) != nullptr) {
    const auto* list = std::get_if<std::vector<float>>(v);
    if (list == nullptr || y.dtype != DType::kF32 ||
        y.numel() != static_cast<int64_t>(list->size())) {
      return OpError(node, "output does not match value_floats");
    }
    std::copy(list->begin(), list->end(), y.data_as<float>());
    return Status::Ok();
  }
  std::span<const int64_t> ints = AttrInts(node.attrs, "value_ints");
  if (FindAttrNoAlloc(node.attrs, "value_ints") != nullptr) {
    if (y.dtype != DType::kI64 || y.numel() != static_cast<int64_t>(ints.size()))
      return OpError(node, "output does not match value_ints");
    std::copy(ints.begin(), ints.end(), y.data_as<int64_t>());
    return Status::Ok();
  }
  return Unsupported("node '" + node.name + "' (Constant): no supported value attribute");
}

Status RefConstantOfShape(const Node& node, std::span<const TensorView> inputs,
                          std::span<const TensorView> outputs) {
  if (outputs.empty()) return OpError(node, "expects one output");
  const TensorView& y = outputs[0];
  const Tensor* value = node.attrs.GetTensor("value");
  if (value == nullptr) {
    if (y.dtype != DType::kF32) return OpError(node, "output must be float32 without value");
    const float zero = 0.f;
    Fill(y, &zero);
    return Status::Ok();
  }
  if (value->numel() != 1 || value->dtype() != y.dtype)
    return OpError(node, "value must be one element of the output dtype");
  Fill(y, value->raw());
  return Status::Ok();
}

// y[i] = start + i * delta, computed in the element type.
Status RefRange(const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ExpectArity(node, inputs, outputs, 3));
  const TensorView& y = outputs[0];
  for (int i = 0; i < 3; ++i) {
    if (inputs[i].dtype != y.dtype || inputs[i].numel() != 1)
      return OpError(node, "start, limit and delta must be scalars of the output dtype");
  }
  switch (y.dtype) {
    case DType::kF32:
      FillRange<float>(inputs[0], inputs[2], y);
      break;
    case DType::kF64:
      FillRange<double>(inputs[0], inputs[2], y);
      break;
    case DType::kI16:
      FillRange<int16_t>(inputs[0], inputs[2], y);
      break;
    case DType::kI32:
      FillRange<int32_t>(inputs[0], inputs[2], y);
      break;
    case DType::kI64:
      FillRange<int64_t>(inputs[0], inputs[2], y);
      break;
    default:
      return Unsupported("node '" + node.name + "' (Range): dtype " +
                         std::string(DTypeName(y.dtype)) + " is not supported");
  }
  return Status::Ok();
}

}  // namespace sl

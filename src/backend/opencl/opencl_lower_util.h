// Helpers of the node lowering (opencl_lower_*.cc): argument builders, reasons for "no", strides
// and broadcast parameter arrays. Internal to src/backend/opencl/.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "backend/opencl/opencl_lower.h"
#include "graph/graph.h"

namespace sl::opencl {

// Adds the launches of one node to a Lowering.
class Emitter {
 public:
  Emitter(const KernelRequest& request, Lowering& out) : r_(request), out_(out) {}

  const Node& node() const { return r_.node; }
  const Graph& graph() const { return r_.graph; }
  bool has_input(int i) const { return r_.has_input(i); }
  bool has_output(int i) const {
    return i < static_cast<int>(r_.node.outputs.size()) && r_.node.outputs[i] != kNoValue;
  }
  const Value& input(int i) const { return r_.input(i); }
  const Value& output(int i) const { return r_.output(i); }
  int num_inputs() const { return static_cast<int>(r_.node.inputs.size()); }

  LaunchArg In(int i) const { return has_input(i) ? Val(r_.node.inputs[i]) : LaunchArg{}; }
  LaunchArg Out(int i) const { return has_output(i) ? Val(r_.node.outputs[i]) : LaunchArg{}; }
  static LaunchArg Val(int value) { return {LaunchArg::Kind::kValue, value, 0, 0.f}; }
  static LaunchArg Int(int64_t v) {
    return {LaunchArg::Kind::kInt, -1, static_cast<int32_t>(v), 0.f};
  }
  static LaunchArg Float(float v) { return {LaunchArg::Kind::kFloat, -1, 0, v}; }
  static LaunchArg Null() { return {}; }
  // A plan-owned int32 parameter array.
  LaunchArg Params(const std::vector<int64_t>& values) {
    Tensor t(DType::kI32, {static_cast<int64_t>(std::max<size_t>(values.size(), 1))});
    for (size_t i = 0; i < values.size(); ++i)
      t.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
    return Buffer(std::move(t), false);
  }
  // A plan-owned tensor derived from constants (expanded scales, prepared indices).
  LaunchArg Weight(Tensor t) { return Buffer(std::move(t), true); }

  // Adds a launch; launches with an empty range are dropped.
  void Add(std::string kernel, std::vector<LaunchArg> args, int64_t g0, int64_t g1 = 1,
           int64_t g2 = 1) {
    if (g0 <= 0 || g1 <= 0 || g2 <= 0) return;
    Launch l;
    l.kernel = std::move(kernel);
    l.args = std::move(args);
    l.global[0] = static_cast<size_t>(g0);
    l.global[1] = static_cast<size_t>(g1);
    l.global[2] = static_cast<size_t>(g2);
    l.dims = g2 > 1 ? 3 : (g1 > 1 ? 2 : 1);
    out_.launches.push_back(std::move(l));
  }

  // kUnsupported naming the op: "<Op>: <why>".
  Status No(const std::string& why) const {
    return Unsupported(std::string(OpTypeName(r_.node.op)) + ": " + why);
  }
  Status NoDType(DType t) const {
    return No(std::string(DTypeName(t)) + " is not supported by the opencl backend");
  }
  // kUnsupported unless every present input and output in `which` is float32.
  Status RequireF32(std::initializer_list<int> inputs, std::initializer_list<int> outputs) const {
    for (int i : inputs)
      if (has_input(i) && input(i).dtype != DType::kF32) return NoDType(input(i).dtype);
    for (int i : outputs)
      if (has_output(i) && output(i).dtype != DType::kF32) return NoDType(output(i).dtype);
    return Status::Ok();
  }

 private:
  LaunchArg Buffer(Tensor t, bool weight) {
    out_.buffers.push_back(std::move(t));
    out_.buffer_is_weight.push_back(weight);
    return {LaunchArg::Kind::kBuffer, static_cast<int>(out_.buffers.size() - 1), 0, 0.f};
  }

  const KernelRequest& r_;
  Lowering& out_;
};

// Row-major element strides of `shape`.
inline std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

// Strides of `in` broadcast (numpy rules, right-aligned) onto `out`: 0 along broadcast dims.
inline std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out) {
  std::vector<int64_t> s(out.size(), 0);
  const std::vector<int64_t> own = Strides(in);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) s[lead + i] = in[i] == 1 ? 0 : own[i];
  return s;
}

// Parameters for bcast_off: [rank, dims, strides of each operand]. Operands equal to `out` in
// shape all collapse to one dimension.
inline std::vector<int64_t> BroadcastParams(const Shape& out, const std::vector<Shape>& operands) {
  bool same = true;
  for (const Shape& s : operands) same = same && s == out;
  std::vector<int64_t> p;
  if (same && !out.empty()) {
    p = {1, NumElements(out)};
    for (size_t i = 0; i < operands.size(); ++i) p.push_back(1);
    return p;
  }
  p.push_back(static_cast<int64_t>(out.size()));
  p.insert(p.end(), out.begin(), out.end());
  for (const Shape& s : operands) {
    std::vector<int64_t> st = BroadcastStrides(s, out);
    p.insert(p.end(), st.begin(), st.end());
  }
  return p;
}

// Whether `in` broadcasts onto `out`.
inline bool Broadcasts(const Shape& in, const Shape& out) {
  if (in.size() > out.size()) return false;
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != 1 && in[i] != out[lead + i]) return false;
  return true;
}

// "u8" / "u32" / "u64" for element sizes the data-movement kernels copy, else "".
inline std::string SizeSuffix(DType t) {
  switch (DTypeSize(t)) {
    case 1:
      return "u8";
    case 4:
      return "u32";
    case 8:
      return "u64";
    default:
      return "";
  }
}

// Lowering of one op family; each returns kUnsupported with the reason for what it declines.
Status LowerElementwise(Emitter& e);   // binary, compare, unary, Where
Status LowerDataMovement(Emitter& e);  // Transpose, Slice, Concat, Split, Gather, Expand, copies
Status LowerConvert(Emitter& e);       // Cast, QuantizeLinear, DequantizeLinear
Status LowerCompute(Emitter& e);       // Conv, Gemm, MatMul, pools
Status LowerNormalize(Emitter& e);     // Softmax, LayerNormalization, BatchNormalization, Reduce*

// A strided copy launch (kernel copy_<suffix>) over `dims`.
void EmitStridedCopy(Emitter& e, const std::string& suffix, LaunchArg x, LaunchArg y,
                     const std::vector<int64_t>& dims, int64_t x_base,
                     const std::vector<int64_t>& x_strides, int64_t y_base,
                     const std::vector<int64_t>& y_strides);

}  // namespace sl::opencl

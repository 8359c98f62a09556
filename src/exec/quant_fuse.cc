#include "exec/quant_fuse.h"

#include <cmath>
#include <optional>
#include <vector>

#include "kernels/quant/quant.h"

namespace sl {
namespace {

// Producer node index of every value of `g` (-1 for none).
std::vector<int> Producers(const Graph& g) {
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int o : g.nodes[i].outputs)
      if (o != kNoValue) producer[o] = static_cast<int>(i);
  return producer;
}

bool HasInput(const Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] != kNoValue; }

// A one-element constant of `dtype` read as int64 / float; nullopt otherwise.
std::optional<double> Scalar(const Graph& g, int v, DType dtype) {
  if (v == kNoValue) return std::nullopt;
  const Value& val = g.values[v];
  if (!val.is_constant() || val.dtype != dtype || val.constant.numel() != 1) return std::nullopt;
  return val.constant.ToDoubles()[0];
}

// The activation quantization of DequantizeLinear(QuantizeLinear(x)) producing `v`: x's value id
// and the parameters; nullopt when `v` is not produced that way.
struct ActivationQdq {
  int x = kNoValue;
  QuantInput q;
};

std::optional<ActivationQdq> MatchActivation(const Graph& g, const std::vector<int>& producer,
                                             int v) {
  if (v == kNoValue || producer[v] < 0) return std::nullopt;
  const Node& dq = g.nodes[producer[v]];
  if (dq.op != OpType::kDequantizeLinear || !HasInput(dq, 0) || !HasInput(dq, 1)) {
    return std::nullopt;
  }
  const int qv = dq.inputs[0];
  if (producer[qv] < 0) return std::nullopt;
  const Node& q = g.nodes[producer[qv]];
  if (q.op != OpType::kQuantizeLinear || !HasInput(q, 0) || !HasInput(q, 1)) return std::nullopt;
  const DType qtype = g.values[qv].dtype;
  if (qtype != DType::kI8 && qtype != DType::kU8) return std::nullopt;
  if (g.values[q.inputs[0]].dtype != DType::kF32) return std::nullopt;
  const auto scale = Scalar(g, q.inputs[1], DType::kF32);
  const auto dq_scale = Scalar(g, dq.inputs[1], DType::kF32);
  const auto zp = HasInput(q, 2) ? Scalar(g, q.inputs[2], qtype) : std::optional<double>(0.0);
  const auto dq_zp = HasInput(dq, 2) ? Scalar(g, dq.inputs[2], qtype) : std::optional<double>(0.0);
  if (!scale || !dq_scale || !zp || !dq_zp || *scale != *dq_scale || *zp != *dq_zp) {
    return std::nullopt;
  }
  ActivationQdq a;
  a.x = q.inputs[0];
  a.q.scale = static_cast<float>(*scale);
  a.q.zero_point = static_cast<int32_t>(*zp);
  a.q.is_signed = qtype == DType::kI8;
  if (!(a.q.scale > 0.f) || !std::isfinite(a.q.scale)) return std::nullopt;
  return a;
}

// The constant int8 weight and its scale behind the folded float weight `v` of `n`.
struct WeightDq {
  int w = kNoValue, scale = kNoValue;
};

std::optional<WeightDq> MatchWeight(const Graph& g, const Graph& source,
                                    const std::vector<int>& source_producer, const Node& n, int v) {
  if (v == kNoValue || v >= static_cast<int>(source.values.size()) || !g.values[v].is_constant() ||
      g.values[v].name != source.values[v].name || source_producer[v] < 0) {
    return std::nullopt;
  }
  const Node& dq = source.nodes[source_producer[v]];
  if (dq.op != OpType::kDequantizeLinear || !HasInput(dq, 0) || !HasInput(dq, 1)) {
    return std::nullopt;
  }
  const Value& w = g.values[dq.inputs[0]];
  const Value& scale = g.values[dq.inputs[1]];
  if (!w.is_constant() || w.dtype != DType::kI8 || !scale.is_constant() ||
      scale.dtype != DType::kF32 || scale.constant.rank() > 1) {
    return std::nullopt;
  }
  if (HasInput(dq, 2)) {
    const Value& zp = g.values[dq.inputs[2]];
    if (!zp.is_constant() || zp.dtype != DType::kI8) return std::nullopt;
    for (double z : zp.constant.ToDoubles())
      if (z != 0) return std::nullopt;
  }
  const int rank = w.constant.rank();
  int out_axis = 0;  // Conv [OC, ...]
  if (n.op == OpType::kGemm) out_axis = n.attrs.GetInt("transB", 0) ? 0 : 1;
  if (n.op == OpType::kMatMul) out_axis = 1;
  if (n.op != OpType::kConv && rank != 2) return std::nullopt;
  if (scale.constant.numel() != 1) {
    int64_t axis = dq.attrs.GetInt("axis", 1);
    if (axis < 0) axis += rank;
    if (axis != out_axis || scale.constant.numel() != w.constant.shape()[out_axis]) {
      return std::nullopt;
    }
  }
  return WeightDq{dq.inputs[0], dq.inputs[1]};
}

// Builds the quantized form of `n` and keeps it only if ParseQuantNode accepts it.
bool Rewrite(Graph& g, Node& n, const ActivationQdq& a, const WeightDq& w) {
  Node q = n;
  q.attrs.Set("_qx_scale", a.q.scale);
  q.attrs.Set("_qx_zero_point", static_cast<int64_t>(a.q.zero_point));
  q.attrs.Set("_qx_dtype", std::string(a.q.is_signed ? "int8" : "uint8"));
  const int bias = HasInput(n, 2) ? n.inputs[2] : kNoValue;
  if (bias != kNoValue && (!g.values[bias].is_constant() || g.values[bias].dtype != DType::kF32)) {
    return false;
  }
  q.inputs = {a.x, w.w, bias, w.scale};
  std::vector<TensorView> in, out;
  for (int v : q.inputs) {
    if (v == kNoValue) {
      in.emplace_back();
    } else {
      in.push_back({g.values[v].dtype, g.values[v].shape, nullptr});
    }
  }
  const Value& y = g.values[q.outputs[0]];
  out.push_back({y.dtype, y.shape, nullptr});
  if (!ParseQuantNode(q, in, out).ok()) return false;
  n = std::move(q);
  return true;
}

}  // namespace

Status FuseQuantizedOps(Graph& g, const Graph& source) {
  const std::vector<int> producer = Producers(g);
  const std::vector<int> source_producer = Producers(source);
  bool changed = false;
  for (Node& n : g.nodes) {
    const bool gemm_like =
        n.op == OpType::kConv || n.op == OpType::kGemm || n.op == OpType::kMatMul;
    if (!gemm_like || IsQuantizedNode(n) || n.inputs.size() < 2 || n.outputs.empty()) continue;
    const auto a = MatchActivation(g, producer, n.inputs[0]);
    if (!a) continue;
    const auto w = MatchWeight(g, source, source_producer, n, n.inputs[1]);
    if (!w) continue;
    changed |= Rewrite(g, n, *a, *w);
  }
  // The Q/DQ pairs whose only readers were rewritten have none left.
  if (changed) g.RemoveDeadNodes();
  return Status::Ok();
}

}  // namespace sl

// Graph rewrite passes run at prepare time.
// FuseBiasAndActivation also fuses Relu into a float Add (residual connections): kernels of Add
// apply "_act" to their output.
#include <cmath>
#include <vector>

#include "exec/prepare.h"

namespace sl {

namespace {

// Number of readers of each value; graph outputs count as readers.
std::vector<int> CountUses(const Graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int v : n.inputs)
      if (v != kNoValue) ++uses[v];
  for (int v : g.outputs) ++uses[v];
  return uses;
}

bool IsGraphOutput(const Graph& g, int v) {
  for (int o : g.outputs)
    if (o == v) return true;
  return false;
}

// Index of the single node reading value v, or -1.
int SoleConsumer(const Graph& g, int v, const std::vector<int>& uses) {
  if (uses[v] != 1 || IsGraphOutput(g, v)) return -1;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int in : g.nodes[i].inputs)
      if (in == v) return static_cast<int>(i);
  return -1;
}

void RemoveNodes(Graph& g, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

bool IsConstF32(const Graph& g, const Node& n, int i) {
  return i < static_cast<int>(n.inputs.size()) && n.inputs[i] != kNoValue &&
         g.values[n.inputs[i]].is_constant() && g.values[n.inputs[i]].dtype == DType::kF32;
}

// For a two-input node: the other input when one of them is a one-element f32 constant within
// 1e-6 (relative) of `want`, else kNoValue.
int OtherThanScalar(const Graph& g, const Node& n, double want) {
  if (n.inputs.size() != 2 || n.outputs.size() != 1) return kNoValue;
  for (int k = 0; k < 2; ++k) {
    if (!IsConstF32(g, n, k) || g.values[n.inputs[k]].constant.numel() != 1) continue;
    const double c = g.values[n.inputs[k]].constant.data<float>()[0];
    if (std::abs(c - want) <= 1e-6 * std::abs(want)) return n.inputs[1 - k];
  }
  return kNoValue;
}

}  // namespace

Status DropIdentities(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.op != OpType::kIdentity || n.inputs.empty() || n.inputs[0] == kNoValue) continue;
    int out = n.outputs[0], in = n.inputs[0];
    if (IsGraphOutput(g, out) || g.values[out].is_constant()) continue;
    for (Node& m : g.nodes)
      for (int& v : m.inputs)
        if (v == out) v = in;
    removed[i] = true;
  }
  RemoveNodes(g, removed);
  return Status::Ok();
}

Status FoldBatchNormIntoConv(Graph& g) {
  std::vector<int> uses = CountUses(g);
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& conv = g.nodes[i];
    if (conv.op != OpType::kConv || !IsConstF32(g, conv, 1)) continue;
    if (conv.inputs.size() > 2 && conv.inputs[2] != kNoValue && !IsConstF32(g, conv, 2)) continue;
    int c = SoleConsumer(g, conv.outputs[0], uses);
    if (c < 0 || removed[c]) continue;
    const Node& bn = g.nodes[c];
    if (bn.op != OpType::kBatchNormalization || bn.inputs.size() < 5 || bn.outputs.size() != 1 ||
        bn.inputs[0] != conv.outputs[0])
      continue;
    bool consts = true;
    for (int k = 1; k < 5; ++k) consts &= IsConstF32(g, bn, k);
    if (!consts) continue;
    const Tensor& w = g.values[conv.inputs[1]].constant;
    int64_t oc = w.shape()[0];
    const float* scale = g.values[bn.inputs[1]].constant.data<float>();
    const float* beta = g.values[bn.inputs[2]].constant.data<float>();
    const float* mean = g.values[bn.inputs[3]].constant.data<float>();
    const float* var = g.values[bn.inputs[4]].constant.data<float>();
    if (g.values[bn.inputs[1]].constant.numel() != oc) continue;
    float eps = bn.attrs.GetFloat("epsilon", 1e-5f);
    Tensor new_w = w.Clone();
    Tensor new_b(DType::kF32, {oc});
    const float* old_b = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue
                             ? g.values[conv.inputs[2]].constant.data<float>()
                             : nullptr;
    int64_t per_oc = w.numel() / oc;
    for (int64_t o = 0; o < oc; ++o) {
      float s = scale[o] / std::sqrt(var[o] + eps);
      for (int64_t k = 0; k < per_oc; ++k) new_w.data<float>()[o * per_oc + k] *= s;
      new_b.data<float>()[o] = ((old_b ? old_b[o] : 0.f) - mean[o]) * s + beta[o];
    }
    int wv = g.GetOrAddValue(g.values[conv.inputs[1]].name + "/bn_folded");
    int bv = g.GetOrAddValue(conv.name + "/bn_folded_bias");
    g.values[wv].dtype = DType::kF32;
    g.values[wv].shape = new_w.shape();
    g.values[wv].known_rank = true;
    g.values[wv].constant = std::move(new_w);
    g.values[bv].dtype = DType::kF32;
    g.values[bv].shape = {oc};
    g.values[bv].known_rank = true;
    g.values[bv].constant = std::move(new_b);
    conv.inputs.resize(3);
    conv.inputs[1] = wv;
    conv.inputs[2] = bv;
    conv.outputs[0] = bn.outputs[0];
    removed[c] = true;
  }
  RemoveNodes(g, removed);
  return Status::Ok();
}

Status FuseBiasAndActivation(Graph& g) {
  std::vector<int> uses = CountUses(g);
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (removed[i]) continue;
    bool gemm_like = n.op == OpType::kConv || n.op == OpType::kGemm || n.op == OpType::kMatMul;
    if (!gemm_like && n.op != OpType::kAdd) continue;
    if (g.values[n.outputs[0]].dtype != DType::kF32) continue;
    // 1. MatMul + Add(constant bias along the last dim) -> MatMul with a bias input.
    if (n.op == OpType::kMatMul && n.inputs.size() == 2 && !n.attrs.Has("_act")) {
      int c = SoleConsumer(g, n.outputs[0], uses);
      if (c >= 0 && !removed[c] && g.nodes[c].op == OpType::kAdd) {
        const Node& add = g.nodes[c];
        int other = add.inputs[0] == n.outputs[0] ? add.inputs[1] : add.inputs[0];
        const Value& out = g.values[n.outputs[0]];
        const Value& b = g.values[other];
        bool ok = b.is_constant() && b.dtype == DType::kF32 && !out.shape.empty() &&
                  b.constant.numel() == out.shape.back() && add.inputs[0] != add.inputs[1];
        for (size_t d = 0; ok && d + 1 < b.shape.size(); ++d) ok = b.shape[d] == 1;
        if (ok && b.shape.size() <= out.shape.size()) {
          n.inputs.push_back(other);
          n.outputs[0] = add.outputs[0];
          removed[c] = true;
          uses = CountUses(g);
        }
      }
    }
    // 2. + Relu / Clip(constant bounds) -> fused activation.
    if (n.attrs.Has("_act")) continue;
    int c = SoleConsumer(g, n.outputs[0], uses);
    if (c < 0 || removed[c]) continue;
    const Node& act = g.nodes[c];
    if (!gemm_like && act.op != OpType::kRelu) continue;  // Add fuses Relu only
    if (act.op == OpType::kRelu) {
      n.attrs.Set("_act", std::string("Relu"));
    } else if (act.op == OpType::kClip) {
      float lo = -INFINITY, hi = INFINITY;
      if (act.attrs.Has("min") || act.attrs.Has("max")) {
        lo = act.attrs.GetFloat("min", lo);
        hi = act.attrs.GetFloat("max", hi);
      }
      bool ok = true;
      for (int k = 1; k < 3 && k < static_cast<int>(act.inputs.size()); ++k) {
        if (act.inputs[k] == kNoValue) continue;
        if (!IsConstF32(g, act, k) || g.values[act.inputs[k]].constant.numel() != 1) {
          ok = false;
          break;
        }
        (k == 1 ? lo : hi) = g.values[act.inputs[k]].constant.data<float>()[0];
      }
      if (!ok) continue;
      n.attrs.Set("_act", std::string("Clip"));
      n.attrs.Set("_act_min", lo);
      n.attrs.Set("_act_max", hi);
    } else {
      continue;
    }
    n.outputs[0] = act.outputs[0];
    removed[c] = true;
    uses = CountUses(g);
  }
  RemoveNodes(g, removed);
  return Status::Ok();
}

Status FuseGelu(Graph& g) {
  const std::vector<int> uses = CountUses(g);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int v : g.nodes[i].outputs)
      if (v != kNoValue) producer[v] = static_cast<int>(i);
  // The node reading v alone, if it is `op`; else -1.
  auto next = [&](int v, OpType op) {
    const int c = SoleConsumer(g, v, uses);
    return c >= 0 && g.nodes[c].op == op ? c : -1;
  };
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& erf = g.nodes[i];
    if (erf.op != OpType::kErf || erf.inputs.size() != 1 || erf.outputs.size() != 1) continue;
    // x / sqrt 2 (or x * (1 / sqrt 2)) -> Erf -> + 1
    const int d = erf.inputs[0];
    const int scale = d == kNoValue ? -1 : producer[d];
    if (scale < 0 || SoleConsumer(g, d, uses) != static_cast<int>(i)) continue;
    const Node& s = g.nodes[scale];
    int x = kNoValue;
    if (s.op == OpType::kDiv && OtherThanScalar(g, s, std::sqrt(2.0)) == s.inputs[0])
      x = s.inputs[0];  // the divisor is the constant
    else if (s.op == OpType::kMul)
      x = OtherThanScalar(g, s, std::sqrt(0.5));
    const int add = next(erf.outputs[0], OpType::kAdd);
    if (x == kNoValue || add < 0 || OtherThanScalar(g, g.nodes[add], 1.0) != erf.outputs[0])
      continue;
    // then * x and * 0.5, in either order
    const int mul = next(g.nodes[add].outputs[0], OpType::kMul);
    if (mul < 0 || g.nodes[mul].inputs.size() != 2) continue;
    const Node& m = g.nodes[mul];
    const int other = m.inputs[0] == g.nodes[add].outputs[0] ? m.inputs[1] : m.inputs[0];
    int last = -1, half = -1;  // the node whose output the Gelu takes over; the other product
    if (other == x) {
      last = next(m.outputs[0], OpType::kMul);
      if (last >= 0 && OtherThanScalar(g, g.nodes[last], 0.5) != m.outputs[0]) last = -1;
      half = mul;
    } else if (other != kNoValue && producer[other] >= 0 &&
               g.nodes[producer[other]].op == OpType::kMul &&
               OtherThanScalar(g, g.nodes[producer[other]], 0.5) == x &&
               SoleConsumer(g, other, uses) == mul) {
      last = mul;
      half = producer[other];
    }
    if (last < 0) continue;
    const Value& in = g.values[x];
    const Value& out = g.values[g.nodes[last].outputs[0]];
    if (in.dtype != DType::kF32 || out.dtype != DType::kF32 || !in.known_rank ||
        in.shape != out.shape)
      continue;  // a constant of higher rank broadcast x: not a plain Gelu
    Node& gelu = g.nodes[last];
    gelu.op = OpType::kGelu;
    gelu.inputs = {x};
    gelu.attrs = Attributes();
    for (int r : {scale, static_cast<int>(i), add, half}) removed[r] = true;
  }
  RemoveNodes(g, removed);
  return Status::Ok();
}

}  // namespace sl

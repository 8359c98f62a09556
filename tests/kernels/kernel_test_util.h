// Helpers shared by the kernel tests (tests/kernels/ref_*, dense_*, sparse_*):
//   1. seeded random tensors and NaN / byte-poisoned outputs, so unwritten elements show;
//   2. running a reference kernel on a hand-built Node, with or without shape inference first;
//   3. NodeHarness: a one-node Conv / Gemm / MatMul graph on seeded random inputs, run through the
//      reference kernel or any Kernel with a fresh state and scratch;
//   4. comparisons with a relative tolerance that report the first few bad elements.
// Everything lives in sl::kerneltest; nothing here is thread-unsafe except where noted.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "graph/infer.h"
#include "kernels/kernel.h"
#include "kernels/ref/ref.h"

namespace sl::kerneltest {

using Ints = std::vector<int64_t>;

// ---- Data ------------------------------------------------------------------------------------

// Fills float32 tensors uniformly in [-1, 1) and int64 tensors with rng() % 7; other dtypes stay
// zero.
inline void FillRandom(Tensor& t, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int64_t j = 0; j < t.numel(); ++j) {
    if (t.dtype() == DType::kF32) t.data<float>()[j] = dist(rng);
    if (t.dtype() == DType::kI64) t.data<int64_t>()[j] = static_cast<int64_t>(rng() % 7);
  }
}

// Sets every element of a float32 tensor to NaN (other dtypes are left alone).
inline void FillNan(Tensor& t) {
  if (t.dtype() != DType::kF32) return;
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::nanf("");
}

// A float32 tensor of `shape` filled with NaN.
inline Tensor NanFilled(Shape shape) {
  Tensor t(DType::kF32, std::move(shape));
  FillNan(t);
  return t;
}

// n consecutive floats from `start`.
inline std::vector<float> Iota(int64_t n, float start = 0.f) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  return v;
}

template <typename T = float>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}
inline std::vector<float> Floats(const Tensor& t) { return Values<float>(t); }

// A Node carrying only attributes (and a name), for the Run* helpers below.
inline Node Attrs(std::initializer_list<std::pair<const char*, AttrValue>> attrs,
                  std::string name = "") {
  Node n;
  n.name = std::move(name);
  for (const auto& [k, v] : attrs) n.attrs.Set(k, v);
  return n;
}

// Attributes from a runtime list (for table-driven cases).
inline Attributes MakeAttributes(std::vector<std::pair<std::string, AttrValue>> list) {
  Attributes a;
  for (auto& [k, v] : list) a.Set(k, v);
  return a;
}

// Adds the fused activation `act` (nothing when empty) with Clip bounds [clip_min, clip_max].
inline void SetFusedActivation(Attributes& a, const std::string& act, float clip_min,
                               float clip_max) {
  if (!act.empty()) a.Set("_act", act);
  if (act == "Clip") {
    a.Set("_act_min", clip_min);
    a.Set("_act_max", clip_max);
  }
}

// Gemm attributes (transA, transB, alpha, beta; none for MatMul) plus a fused activation.
inline Attributes GemmAttrs(OpType op, int64_t trans_a, int64_t trans_b, float alpha, float beta,
                            const std::string& act, float clip_min, float clip_max) {
  Attributes a;
  if (op == OpType::kGemm) {
    a.Set("transA", trans_a);
    a.Set("transB", trans_b);
    a.Set("alpha", alpha);
    a.Set("beta", beta);
  }
  SetFusedActivation(a, act, clip_min, clip_max);
  return a;
}

// ---- Running reference kernels on hand-built nodes --------------------------------------------

// Runs the reference kernel of `op` directly (no shape inference); outputs must be allocated by
// the caller. A default-constructed Tensor in `inputs` or `outputs` is an omitted optional one.
inline Status RunRef(OpType op, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs,
                     Attributes attrs = {}) {
  Node node;
  node.op = op;
  node.name = "n";
  node.attrs = std::move(attrs);
  std::vector<TensorView> in, out;
  for (const Tensor& t : inputs) in.push_back(t.defined() ? t.view() : TensorView{});
  for (const Tensor& t : outputs) out.push_back(t.defined() ? t.view() : TensorView{});
  return GetRefFn(op)(node, in, out);
}

// How RunInferredRef poisons outputs before the kernel runs.
enum class Poison {
  kNanFloats,        // float32 outputs NaN, others untouched
  kNanFloatsElse7f,  // float32 outputs NaN, others every byte 0x7f
  kBytes5a,          // every byte 0x5a, whatever the dtype
};

struct InferredRunOptions {
  std::vector<bool> constant;  // input i is a constant value of the graph when constant[i]
  int num_outputs = 1;
  Poison poison = Poison::kNanFloats;
};

// Builds a graph (opset 17) around a copy of `attrs_node` as `op` (named `attrs_node.name`, or
// "n" when that is empty), infers its outputs through the op's infer function, then runs its
// reference kernel on poisoned outputs. A default-constructed Tensor in `in` is an omitted input.
inline Result<std::vector<Tensor>> RunInferredRef(OpType op, const Node& attrs_node,
                                                  const std::vector<Tensor>& in,
                                                  const InferredRunOptions& options = {}) {
  Graph g;
  g.opset = 17;
  Node node = attrs_node;
  node.op = op;
  if (node.name.empty()) node.name = "n";
  node.inputs.clear();
  node.outputs.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].defined()) {
      node.inputs.push_back(kNoValue);
      continue;
    }
    int v = g.GetOrAddValue("in" + std::to_string(i));
    g.values[v].dtype = in[i].dtype();
    g.values[v].shape = in[i].shape();
    g.values[v].known_rank = true;
    if (i < options.constant.size() && options.constant[i]) g.values[v].constant = in[i];
    node.inputs.push_back(v);
  }
  for (int i = 0; i < options.num_outputs; ++i)
    node.outputs.push_back(g.GetOrAddValue("y" + std::to_string(i)));
  InferContext ctx(g, node);
  SL_RETURN_IF_ERROR(GetInferFn(op)(ctx));
  std::vector<Tensor> outs;
  std::vector<TensorView> out_views, in_views;
  for (int o : node.outputs) {
    outs.emplace_back(g.values[o].dtype, g.values[o].shape);
    Tensor& y = outs.back();
    if (options.poison == Poison::kBytes5a) {
      std::memset(y.raw(), 0x5a, y.bytes());
    } else if (y.dtype() == DType::kF32) {
      FillNan(y);
    } else if (options.poison == Poison::kNanFloatsElse7f) {
      std::memset(y.raw(), 0x7f, y.bytes());
    }
    out_views.push_back(y.view());
  }
  for (const Tensor& t : in) in_views.push_back(t.defined() ? t.view() : TensorView{});
  SL_RETURN_IF_ERROR(GetRefFn(op)(node, in_views, out_views));
  return outs;
}

// RunInferredRef for a single-output op.
inline Result<Tensor> RunInferredRefOne(OpType op, const Node& attrs_node,
                                        const std::vector<Tensor>& in,
                                        Poison poison = Poison::kNanFloats) {
  InferredRunOptions options;
  options.poison = poison;
  SL_ASSIGN_OR_RETURN(std::vector<Tensor> outs, RunInferredRef(op, attrs_node, in, options));
  return std::move(outs[0]);
}

// ---- One-node harness for the optimized kernels ------------------------------------------------

struct InputSpec {
  Shape shape;
  bool constant = false;
  DType dtype = DType::kF32;
};

// Fills input `index` of a harness; the default is FillRandom.
using FillFn = std::function<void(size_t index, Tensor& t, std::mt19937& rng)>;

// One node of `op` whose inputs are named "in<i>", filled in order from one generator seeded with
// `seed`, and whose output "y" has its shape inferred (see infer_status()).
class NodeHarness {
 public:
  NodeHarness(OpType op, const std::vector<InputSpec>& specs, Attributes attrs, uint32_t seed,
              const std::string& node_name, const std::string& source,
              const FillFn& fill = nullptr) {
    std::mt19937 rng(seed);
    Node node;
    node.op = op;
    node.name = node_name;
    node.attrs = std::move(attrs);
    for (size_t i = 0; i < specs.size(); ++i) {
      const int id = graph_.GetOrAddValue("in" + std::to_string(i));
      Value& v = graph_.values[id];
      v.dtype = specs[i].dtype;
      v.shape = specs[i].shape;
      v.known_rank = true;
      Tensor t(specs[i].dtype, specs[i].shape);
      if (fill) {
        fill(i, t, rng);
      } else {
        FillRandom(t, rng);
      }
      if (specs[i].constant) v.constant = t;
      data_.push_back(t);
      node.inputs.push_back(id);
    }
    node.outputs.push_back(graph_.GetOrAddValue("y"));
    graph_.source = source;
    graph_.nodes.push_back(std::move(node));
    InferContext ctx(graph_, graph_.nodes[0]);
    infer_status_ = GetInferFn(op)(ctx);
  }

  const Status& infer_status() const { return infer_status_; }
  const Node& node() const { return graph_.nodes[0]; }
  KernelRequest request(int threads = 1) const { return KernelRequest{graph_, node(), threads}; }
  const Shape& y_shape() const { return graph_.values[node().outputs[0]].shape; }
  std::vector<TensorView> inputs() const {
    std::vector<TensorView> v;
    for (const Tensor& t : data_) v.push_back(t.view());
    return v;
  }
  Tensor NanOutput() const { return NanFilled(y_shape()); }

  // After inference: appends a runtime input to the node (e.g. a fused residual) and gives access
  // to its attributes, for kernels that take more than the op's own inputs.
  void AppendInput(const Tensor& t) {
    const int id = graph_.GetOrAddValue("in" + std::to_string(data_.size()));
    Value& v = graph_.values[id];
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.known_rank = true;
    data_.push_back(t);
    graph_.nodes[0].inputs.push_back(id);
  }
  Attributes& attrs() { return graph_.nodes[0].attrs; }

  // The reference kernel of the node's op on a NaN-filled output.
  Tensor RunRef() const {
    Tensor y = NanOutput();
    const TensorView out = y.view();
    const std::vector<TensorView> in = inputs();
    const Status s = GetRefFn(node().op)(node(), in, {&out, 1});
    EXPECT_TRUE(s.ok()) << s.message();
    return y;
  }

  // Runs `kernel` with a fresh state and scratch on `threads` threads on a NaN-filled output.
  Tensor Run(const Kernel& kernel, int threads) const {
    std::unique_ptr<KernelState> state = kernel.CreateState();
    std::shared_ptr<void> scratch = AllocateAligned(std::max<size_t>(kernel.scratch_bytes(), 64));
    ExecContext ctx{threads, scratch.get(), state.get()};
    Tensor y = NanOutput();
    const TensorView out = y.view();
    const std::vector<TensorView> in = inputs();
    const Status s = kernel.Execute(in, {&out, 1}, ctx);
    EXPECT_TRUE(s.ok()) << s.message();
    return y;
  }

 private:
  Graph graph_;
  std::vector<Tensor> data_;
  Status infer_status_;
};

// ---- Comparisons -------------------------------------------------------------------------------

// Float32 |got - want| <= tolerance * max(1, |want|) element by element (NaN never passes);
// reports at most `max_reports` bad elements.
inline void ExpectNear(const Tensor& got, const Tensor& want, const std::string& what,
                       float tolerance, int max_reports = 5) {
  ASSERT_EQ(got.numel(), want.numel()) << what;
  int reported = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    if (!(std::fabs(g - w) <= tolerance * std::max(1.f, std::fabs(w))) &&
        reported++ < max_reports) {
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", reference " << w;
    }
  }
}

// Float32 tensors equal bit for bit (up to the first difference).
inline void ExpectIdentical(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.numel(), b.numel());
  for (int64_t i = 0; i < a.numel(); ++i) {
    ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << "element " << i;
  }
}

// Runs `kernel` from `contexts` threads at once, each `reps` times on one thread; returns each
// thread's last result.
inline std::vector<Tensor> RunConcurrently(const NodeHarness& h, const Kernel& kernel, int contexts,
                                           int reps) {
  std::vector<Tensor> results(contexts);
  std::vector<std::thread> threads;
  for (int t = 0; t < contexts; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < reps; ++rep) results[t] = h.Run(kernel, 1);
    });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

}  // namespace sl::kerneltest

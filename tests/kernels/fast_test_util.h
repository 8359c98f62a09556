// Test harness for the fast CPU kernels (kernels/cpu/): builds a one-node graph, infers its output
// shapes, runs the reference kernel and the fast kernel on the same seeded data (outputs
// pre-filled with NaN so unwritten elements show) and compares them.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "graph/infer.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/ref/ref.h"

namespace sl::fasttest {

struct InputSpec {
  InputSpec(Shape s) : shape(std::move(s)) {}  // NOLINT: implicit by design
  InputSpec(Shape s, DType t, bool c = false, std::vector<double> v = {})
      : shape(std::move(s)), dtype(t), constant(c), values(std::move(v)) {}
  Shape shape;
  DType dtype = DType::kF32;
  bool constant = false;
  std::vector<double> values;  // explicit values; random uniform [lo, hi) when empty
};

class OneNode {
 public:
  OneNode(OpType op, std::vector<InputSpec> inputs, Attributes attrs, int num_outputs = 1,
          uint32_t seed = 1, float lo = -3.f, float hi = 3.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    Node node;
    node.op = op;
    node.name = "n";
    node.attrs = std::move(attrs);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const InputSpec& spec = inputs[i];
      const int id = graph_.GetOrAddValue("in" + std::to_string(i));
      Value& v = graph_.values[id];
      v.dtype = spec.dtype;
      v.shape = spec.shape;
      v.known_rank = true;
      Tensor t(spec.dtype, spec.shape);
      for (int64_t j = 0; j < t.numel(); ++j) {
        const double x = spec.values.empty() ? dist(rng) : spec.values[j];
        if (spec.dtype == DType::kF32) t.data<float>()[j] = static_cast<float>(x);
        if (spec.dtype == DType::kI64) t.data<int64_t>()[j] = static_cast<int64_t>(x);
        if (spec.dtype == DType::kI32) t.data<int32_t>()[j] = static_cast<int32_t>(x);
      }
      if (spec.constant) v.constant = t;
      data_.push_back(t);
      node.inputs.push_back(id);
    }
    for (int o = 0; o < num_outputs; ++o)
      node.outputs.push_back(graph_.GetOrAddValue("out" + std::to_string(o)));
    graph_.source = "fast_kernel_test";
    graph_.nodes.push_back(std::move(node));
    InferContext ctx(graph_, graph_.nodes[0]);
    infer_status_ = GetInferFn(op)(ctx);
  }

  const Status& infer_status() const { return infer_status_; }
  Graph& graph() { return graph_; }
  const Node& node() const { return graph_.nodes[0]; }
  Tensor& input(int i) { return data_[i]; }
  KernelRequest request(int threads = 1) const { return KernelRequest{graph_, node(), threads}; }

  // Runs the reference kernel (kernel == nullptr) or `kernel`; returns the outputs.
  std::vector<Tensor> Run(const Kernel* kernel, int threads) const {
    std::vector<Tensor> outs;
    std::vector<TensorView> out_views;
    for (int v : node().outputs) {
      const Value& val = graph_.values[v];
      outs.emplace_back(val.dtype, val.shape);
      if (val.dtype == DType::kF32) {
        for (int64_t i = 0; i < outs.back().numel(); ++i) outs.back().data<float>()[i] = NAN;
      }
    }
    for (const Tensor& t : outs) out_views.push_back(t.view());
    std::vector<TensorView> in;
    for (const Tensor& t : data_) in.push_back(t.view());
    Status s;
    if (kernel == nullptr) {
      s = GetRefFn(node().op)(node(), in, out_views);
    } else {
      std::unique_ptr<KernelState> state = kernel->CreateState();
      std::shared_ptr<void> scratch =
          AllocateAligned(std::max<size_t>(kernel->scratch_bytes(), 64));
      s = kernel->Execute(in, out_views, ExecContext{threads, scratch.get(), state.get()});
    }
    EXPECT_TRUE(s.ok()) << s.message();
    return outs;
  }

 private:
  Graph graph_;
  std::vector<Tensor> data_;
  Status infer_status_;
};

// Element-wise |got - want| <= atol + rtol * |want|; NaN must meet NaN, inf the same inf.
inline void ExpectClose(const Tensor& got, const Tensor& want, const std::string& what,
                        float atol = 1e-6f, float rtol = 1e-5f) {
  ASSERT_EQ(got.numel(), want.numel()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  if (got.dtype() != DType::kF32) {
    ASSERT_EQ(0, std::memcmp(got.raw(), want.raw(), got.bytes())) << what;
    return;
  }
  int reported = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    bool ok;
    if (std::isnan(w) || std::isnan(g))
      ok = std::isnan(w) && std::isnan(g);
    else if (std::isinf(w) || std::isinf(g))
      ok = g == w;
    else
      ok = std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", want " << w;
  }
}

// Creates the fast kernel (must succeed) and compares it with the reference at 1 and 2 threads.
inline void CheckAgainstRef(OneNode& t, const std::string& what, float atol = 1e-6f,
                            float rtol = 1e-5f) {
  ASSERT_TRUE(t.infer_status().ok()) << what << ": " << t.infer_status().message();
  auto k = CreateCpuKernel(t.request(2));
  ASSERT_TRUE(k.ok()) << what << ": " << k.status().message();
  const std::vector<Tensor> want = t.Run(nullptr, 1);
  for (int threads : {1, 2}) {
    const std::vector<Tensor> got = t.Run(k->get(), threads);
    for (size_t o = 0; o < want.size(); ++o) {
      ExpectClose(got[o], want[o],
                  what + " output " + std::to_string(o) + " threads " + std::to_string(threads),
                  atol, rtol);
    }
  }
}

}  // namespace sl::fasttest

// The INT8 path end to end: FuseQuantizedOps on hand-built QDQ graphs (what it rewrites, what it
// leaves as float) and the bundled zoo INT8 variants run on oneDNN INT8 kernels against the
// reference plan (same top-1 predictions) and the manifest's validation accuracy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/npy.h"
#include "exec/graph_builder.h"
#include "exec/plan.h"
#include "kernels/quant/quant.h"
#include "onnx/loader.h"

namespace sl {
namespace {

using testing::GraphBuilder;
using testing::MaxRelDiff;

// Knobs that turn the QDQ pattern of QdqNet into ones the pass must leave alone.
struct QdqOptions {
  bool conv_weight_zero_point = false;  // non-zero weight zero point
  bool mismatched_scales = false;       // activation Q and DQ scales differ
  int64_t conv_scale_axis = 0;          // 1: per-channel scale on the input-channel axis
  bool dq_is_output = false;            // the Conv's dequantized input is also a graph output
};

Tensor Int8Weights(Shape shape, uint32_t seed) {
  Tensor t(DType::kI8, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-127, 127);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(d(rng));
  return t;
}

Tensor ZeroPoint(DType dtype, Shape shape, int value) {
  Tensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::kI8) t.data<int8_t>()[i] = static_cast<int8_t>(value);
    if (dtype == DType::kU8) t.data<uint8_t>()[i] = static_cast<uint8_t>(value);
  }
  return t;
}

// x[N,3,8,8] -> Q/DQ int8 -> Conv 3x3 (per-channel int8 W) + bias -> Relu -> Flatten
//   -> Q/DQ uint8 -> Gemm transB (per-tensor W) + C -> Q/DQ int8 -> MatMul (per-column W)
//   -> Add bias -> "y"
Graph QdqNet(const QdqOptions& o = {}) {
  GraphBuilder b;
  int x = b.Input("x", {-1, 3, 8, 8});
  auto qdq = [&](int v, const std::string& name, float scale, DType dtype, int zp, float dq_scale) {
    const int s = b.Const(name + "_s", Tensor::Scalar(scale));
    const int z = b.Const(name + "_z", ZeroPoint(dtype, {}, zp));
    const int q = b.Node(OpType::kQuantizeLinear, name + "_q", {v, s, z}, {name + "_quant"});
    const int ds = dq_scale == scale ? s : b.Const(name + "_ds", Tensor::Scalar(dq_scale));
    return b.Node(OpType::kDequantizeLinear, name + "_dq", {q, ds, z}, {name + "_deq"});
  };
  auto dq_weight = [&](const std::string& name, Tensor w, Shape scale_shape, int64_t axis, int zp) {
    Tensor scale = testing::RandomTensor(scale_shape, 77);
    for (int64_t i = 0; i < scale.numel(); ++i)
      scale.data<float>()[i] = 0.01f + 0.005f * scale.data<float>()[i];
    Attributes a;
    a.Set("axis", axis);
    const int z = b.Const(name + "_wz", ZeroPoint(DType::kI8, scale_shape, zp));
    return b.Node(OpType::kDequantizeLinear, name + "_wdq",
                  {b.Const(name + "_w", std::move(w)), b.Const(name + "_ws", std::move(scale)), z},
                  {name + "_wdeq"}, a);
  };
  const int x_dq = qdq(x, "x", 0.02f, DType::kI8, -3, o.mismatched_scales ? 0.021f : 0.02f);
  if (o.dq_is_output) b.Output(x_dq);
  Attributes conv;
  conv.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  const int64_t conv_scales = o.conv_scale_axis == 0 ? 5 : 3;
  const int cw = dq_weight("conv", Int8Weights({5, 3, 3, 3}, 1), {conv_scales}, o.conv_scale_axis,
                           o.conv_weight_zero_point ? 4 : 0);
  const int c = b.Node(OpType::kConv, "conv", {x_dq, cw, b.RandomConst("conv_b", {5}, 2)},
                       {"conv_out"}, conv);
  const int r = b.Node(OpType::kRelu, "relu", {c}, {"relu_out"});
  Attributes flat;
  flat.Set("axis", int64_t{1});
  const int f = b.Node(OpType::kFlatten, "flatten", {r}, {"flat"}, flat);
  const int f_dq = qdq(f, "flat", 0.05f, DType::kU8, 7, 0.05f);
  Attributes gemm;
  gemm.Set("transB", int64_t{1});
  const int gw = dq_weight("gemm", Int8Weights({11, 320}, 3), {}, 1, 0);
  const int g = b.Node(OpType::kGemm, "gemm", {f_dq, gw, b.RandomConst("gemm_c", {11}, 4)},
                       {"gemm_out"}, gemm);
  const int g_dq = qdq(g, "gemm", 0.1f, DType::kI8, 0, 0.1f);
  const int mw = dq_weight("mm", Int8Weights({11, 6}, 5), {6}, 1, 0);
  const int mm = b.Node(OpType::kMatMul, "mm", {g_dq, mw}, {"mm_out"});
  b.Output(b.Node(OpType::kAdd, "mm_bias", {mm, b.RandomConst("mm_b", {6}, 6)}, {"y"}));
  return b.Build();
}

struct PlanRun {
  std::shared_ptr<const Plan> plan;
  std::vector<Tensor> outputs;
};

PlanRun PrepareAndRun(const Graph& g, const std::vector<Tensor>& inputs, PrepareOptions o) {
  auto plan = Plan::Prepare(g, o);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  if (!plan.ok()) return {};
  ExecutionContext ctx(*plan);
  auto out = RunOnce(ctx, inputs);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return {*plan, out.ok() ? *out : std::vector<Tensor>{}};
}

PrepareOptions Options(const std::string& input, Shape shape, bool reference = false,
                       bool quantized = true) {
  PrepareOptions o;
  o.input_shapes[input] = std::move(shape);
  o.reference_only = reference;
  o.quantized_kernels = quantized;
  return o;
}

int CountKernels(const Plan& plan, const std::string& prefix) {
  int n = 0;
  for (const StepInfo& s : plan.steps()) n += s.kernel.rfind(prefix, 0) == 0;
  return n;
}

// Quantized layers are rewritten on every CPU (split weights where oneDNN's INT8 kernels are not
// exact); the plan's output matches the float QDQ graph's.
TEST(QuantFuseTest, FusesQuantizedLayersOnEveryCpu) {
  const Graph g = QdqNet();
  const Tensor x = testing::RandomTensor({2, 3, 8, 8}, 9);
  const PlanRun int8 = PrepareAndRun(g, {x}, Options("x", {2, 3, 8, 8}));
  const PlanRun fp32 = PrepareAndRun(g, {x}, Options("x", {2, 3, 8, 8}, false, false));
  ASSERT_TRUE(int8.plan && fp32.plan);
  EXPECT_EQ(CountKernels(*int8.plan, "onednn-int8:"), 3);
  EXPECT_LE(MaxRelDiff(int8.outputs[0], fp32.outputs[0]), 1e-4f);
}

TEST(QuantFuseTest, RewritesConvGemmMatMulAndMatchesOracleAndFloatQdq) {
  const Graph g = QdqNet();
  const Tensor x = testing::RandomTensor({2, 3, 8, 8}, 9);
  const PlanRun int8 = PrepareAndRun(g, {x}, Options("x", {2, 3, 8, 8}));
  const PlanRun oracle = PrepareAndRun(g, {x}, Options("x", {2, 3, 8, 8}, true));
  const PlanRun fp32 = PrepareAndRun(g, {x}, Options("x", {2, 3, 8, 8}, false, false));
  ASSERT_TRUE(int8.plan && oracle.plan && fp32.plan);
  EXPECT_EQ(CountKernels(*int8.plan, "onednn-int8:"), 3);
  for (const StepInfo& s : int8.plan->steps()) {
    EXPECT_NE(s.op, OpType::kQuantizeLinear) << s.node;
    EXPECT_NE(s.op, OpType::kDequantizeLinear) << s.node;
  }
  int quantized = 0;
  for (const Node& n : oracle.plan->graph().nodes) quantized += IsQuantizedNode(n);
  EXPECT_EQ(quantized, 3);
  EXPECT_LE(MaxRelDiff(int8.outputs[0], oracle.outputs[0]), 1e-5f);
  // The float QDQ graph differs only by float accumulation order (no rounding boundary is hit
  // for this seed).
  EXPECT_LE(MaxRelDiff(int8.outputs[0], fp32.outputs[0]), 1e-4f);
  EXPECT_EQ(CountKernels(*fp32.plan, "onednn-int8:"), 0);
}

TEST(QuantFuseTest, LeavesOtherPatternsAsFloat) {
  const Tensor x = testing::RandomTensor({1, 3, 8, 8}, 10);
  QdqOptions zp, scales, axis;
  zp.conv_weight_zero_point = true;
  scales.mismatched_scales = true;
  axis.conv_scale_axis = 1;
  for (const QdqOptions& o : {zp, scales, axis}) {
    const Graph g = QdqNet(o);
    const PlanRun int8 = PrepareAndRun(g, {x}, Options("x", {1, 3, 8, 8}));
    const PlanRun fp32 = PrepareAndRun(g, {x}, Options("x", {1, 3, 8, 8}, false, false));
    ASSERT_TRUE(int8.plan && fp32.plan);
    for (const Node& n : int8.plan->graph().nodes) {
      if (n.name == "conv") {
        EXPECT_FALSE(IsQuantizedNode(n));
      }
    }
    // Gemm and MatMul are still quantized; the float Conv runs as before.
    EXPECT_EQ(CountKernels(*int8.plan, "onednn-int8:"), 2);
    EXPECT_LE(MaxRelDiff(int8.outputs[0], fp32.outputs[0]), 1e-4f);
  }
}

TEST(QuantFuseTest, KeepsDequantizedValueThatIsAGraphOutput) {
  QdqOptions o;
  o.dq_is_output = true;
  const Graph g = QdqNet(o);
  const Tensor x = testing::RandomTensor({1, 3, 8, 8}, 11);
  const PlanRun int8 = PrepareAndRun(g, {x}, Options("x", {1, 3, 8, 8}));
  const PlanRun fp32 = PrepareAndRun(g, {x}, Options("x", {1, 3, 8, 8}, false, false));
  ASSERT_TRUE(int8.plan && fp32.plan);
  EXPECT_EQ(CountKernels(*int8.plan, "onednn-int8:"), 3);
  ASSERT_EQ(int8.outputs.size(), 2u);
  EXPECT_EQ(MaxRelDiff(int8.outputs[0], fp32.outputs[0]), 0.f);  // x_deq, computed as before
  EXPECT_LE(MaxRelDiff(int8.outputs[1], fp32.outputs[1]), 1e-4f);
}

// ---- The zoo INT8 variants ---------------------------------------------------------------------

std::vector<int64_t> Argmax(const Tensor& logits) {
  const int64_t rows = logits.shape()[0], cols = logits.shape()[1];
  std::vector<int64_t> top(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits.data<float>() + r * cols;
    top[r] = std::max_element(row, row + cols) - row;
  }
  return top;
}

// Rows [begin, begin + count) of a batch-major tensor.
Tensor Rows(const Tensor& t, int64_t begin, int64_t count) {
  Shape shape = t.shape();
  shape[0] = count;
  Tensor out(t.dtype(), shape);
  const size_t row_bytes = t.bytes() / t.shape()[0];
  std::memcpy(out.raw(), static_cast<const char*>(t.raw()) + begin * row_bytes, count * row_bytes);
  return out;
}

// Top-1 predictions of `g` over all rows of `x`, in batches of up to 256.
std::vector<int64_t> Predict(const Graph& g, const Tensor& x, const PrepareOptions& base) {
  std::vector<int64_t> top;
  const int64_t n = x.shape()[0];
  std::shared_ptr<const Plan> plan;
  for (int64_t begin = 0; begin < n; begin += 256) {
    const int64_t count = std::min<int64_t>(256, n - begin);
    if (!plan || plan->inputs()[0].shape[0] != count) {
      PrepareOptions o = base;
      Shape shape = x.shape();
      shape[0] = count;
      o.input_shapes[g.values[g.inputs[0]].name] = shape;
      auto p = Plan::Prepare(g, o);
      EXPECT_TRUE(p.ok()) << p.status().message();
      if (!p.ok()) return {};
      plan = *p;
    }
    ExecutionContext ctx(plan);
    auto out = RunOnce(ctx, {Rows(x, begin, count)});
    EXPECT_TRUE(out.ok()) << out.status().message();
    if (!out.ok()) return {};
    const std::vector<int64_t> t = Argmax((*out)[0]);
    top.insert(top.end(), t.begin(), t.end());
  }
  return top;
}

double ManifestInt8Accuracy(const std::string& dir) {
  auto manifest = Json::ParseFile(dir + "/manifest.json");
  EXPECT_TRUE(manifest.ok()) << manifest.status().message();
  if (!manifest.ok()) return -1;
  const Json* variants = manifest->Find("variants");
  for (const Json& v : variants ? variants->array() : std::vector<Json>{}) {
    const Json* name = v.Find("name");
    const Json* acc = v.Find("val_accuracy");
    if (name && name->is_string() && name->string() == "int8" && acc) return acc->number();
  }
  ADD_FAILURE() << dir << ": no int8 variant with val_accuracy";
  return -1;
}

class ZooInt8Test : public ::testing::TestWithParam<std::string> {};

// On every CPU (split weights where oneDNN's INT8 kernels would saturate).
TEST_P(ZooInt8Test, Int8KernelsMatchReferenceAndManifestAccuracy) {
  const std::string dir = std::string(SL_SOURCE_DIR) + "/zoo/" + GetParam();
  auto graph = LoadOnnxModel(dir + "/int8.onnx");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  auto x = ReadNpy(dir + "/val_x.npy");
  auto y = ReadNpy(dir + "/val_y.npy");
  ASSERT_TRUE(x.ok() && y.ok());
  const int64_t n = x->shape()[0];
  ASSERT_EQ(y->numel(), n);

  // Every Conv / Gemm of the variant runs on an INT8 kernel.
  PrepareOptions int8_options;
  Shape one = x->shape();
  one[0] = 1;
  int8_options.input_shapes[graph->values[graph->inputs[0]].name] = one;
  auto plan = Plan::Prepare(*graph, int8_options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  for (const StepInfo& s : (*plan)->steps()) {
    if (s.op == OpType::kConv || s.op == OpType::kGemm) {
      EXPECT_EQ(s.kernel.rfind("onednn-int8:", 0), 0u) << s.node << " ran " << s.kernel;
    }
    EXPECT_NE(s.op, OpType::kDequantizeLinear) << s.node;
  }

  const std::vector<int64_t> top = Predict(*graph, *x, int8_options);
  ASSERT_EQ(static_cast<int64_t>(top.size()), n);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) correct += top[i] == y->data<int64_t>()[i];
  const double accuracy = static_cast<double>(correct) / static_cast<double>(n);
  EXPECT_NEAR(accuracy, ManifestInt8Accuracy(dir), 0.005) << GetParam();

  // The reference plan (oracle kernels everywhere) on the first 128 inputs: same predictions.
  PrepareOptions reference = int8_options;
  reference.reference_only = true;
  const std::vector<int64_t> ref_top = Predict(*graph, Rows(*x, 0, 128), reference);
  ASSERT_EQ(ref_top.size(), 128u);
  for (size_t i = 0; i < ref_top.size(); ++i) EXPECT_EQ(top[i], ref_top[i]) << "input " << i;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooInt8Test, ::testing::Values("fmnist-resnet", "fmnist-vit", "kws"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

}  // namespace
}  // namespace sl

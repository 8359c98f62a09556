#ifdef SL_HAVE_OPENCL  // the OpenCL backend is optional in the build
// Every op the OpenCL backend runs, against its reference kernel: each case is a small graph on
// seeded random data with odd shapes (tails, size-1 dims, broadcasting, groups, strides, pads,
// dilations), run once through the OpenCL plan and once through the CPU plan with
// reference_only (every node on GetRefFn(op)). Outputs start as NaN (float) or 0xA5 bytes, so
// elements a kernel does not write show up.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "backend/opencl_test_util.h"
#include "exec/graph_builder.h"

namespace sl {
namespace {

using Ints = std::vector<int64_t>;
constexpr uint32_t kSeed = 20261126;

Attributes A(std::vector<std::pair<std::string, AttrValue>> list) {
  Attributes a;
  for (auto& [k, v] : list) a.Set(k, std::move(v));
  return a;
}

Tensor Uniform(Shape shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t(DType::kF32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// One test case: a graph and its runtime inputs.
struct Case {
  std::string name;
  Graph graph;
  std::vector<Tensor> inputs;
  double tolerance = 1e-4;
};

// Runs `c` on both plans and compares every output.
void ExpectMatchesReference(Backend& ocl, const Case& c) {
  SCOPED_TRACE(c.name + " (seed " + std::to_string(kSeed) + ")");
  PrepareOptions ref_options;
  ref_options.reference_only = true;
  auto cpu = OpenBackend("cpu");
  ASSERT_TRUE(cpu.ok());
  auto ref_plan = (*cpu)->Prepare(c.graph, ref_options);
  ASSERT_TRUE(ref_plan.ok()) << ref_plan.status().message();
  auto plan = ocl.Prepare(c.graph, PrepareOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  for (const StepInfo& s : (*plan)->steps()) EXPECT_EQ(s.kernel.rfind("opencl:", 0), 0u);
  auto want = opencltest::RunPlan(**ref_plan, c.inputs);
  ASSERT_TRUE(want.ok()) << want.status().message();
  auto got = opencltest::RunPlan(**plan, c.inputs);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < got->size(); ++i) {
    const Tensor& g = (*got)[i];
    const Tensor& w = (*want)[i];
    ASSERT_EQ(g.dtype(), w.dtype());
    ASSERT_EQ(g.shape(), w.shape());
    if (g.dtype() == DType::kF32) {
      EXPECT_LE(opencltest::MaxRelDiff(g, w), c.tolerance) << "output " << i;
    } else {
      EXPECT_EQ(std::memcmp(g.raw(), w.raw(), g.bytes()), 0) << "output " << i;
    }
  }
}

// A graph of one node over runtime inputs `shapes` (float32, uniform in [lo, hi)) and the given
// constants, appended after the runtime inputs in the node's input list unless `order` says
// otherwise (indices into inputs-then-constants; -1 for an omitted input).
Case OneNode(const std::string& name, OpType op, const std::vector<Shape>& shapes,
             std::vector<Tensor> constants = {}, Attributes attrs = {}, int num_outputs = 1,
             float lo = -1.f, float hi = 1.f, std::vector<int> order = {}) {
  testing::GraphBuilder b;
  Case c;
  c.name = name;
  std::vector<int> ids;
  for (size_t i = 0; i < shapes.size(); ++i) {
    ids.push_back(b.Input("in" + std::to_string(i), shapes[i]));
    c.inputs.push_back(Uniform(shapes[i], kSeed + static_cast<uint32_t>(i), lo, hi));
  }
  for (size_t i = 0; i < constants.size(); ++i)
    ids.push_back(b.Const("c" + std::to_string(i), std::move(constants[i])));
  std::vector<int> node_inputs;
  if (order.empty()) {
    node_inputs = ids;
  } else {
    for (int k : order) node_inputs.push_back(k < 0 ? kNoValue : ids[k]);
  }
  std::vector<std::string> outs;
  for (int i = 0; i < num_outputs; ++i) outs.push_back("out" + std::to_string(i));
  const int y = b.Node(op, "node", node_inputs, outs, std::move(attrs));
  for (int i = 0; i < num_outputs; ++i) b.Output(y + i);
  c.graph = b.Build();
  return c;
}

class OpenClOps : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    backend_ = opencltest::SharedOpenCl(&why);
    if (!backend_) GTEST_SKIP() << "no OpenCL device: " << why;
  }
  void Check(const Case& c) { ExpectMatchesReference(*backend_, c); }
  std::shared_ptr<Backend> backend_;
};

TEST_F(OpenClOps, BinaryWithBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 5, 7}, {3, 5, 7}}, {{3, 1, 7}, {5, 1}},          {{1}, {2, 3, 4}},
      {{}, {4, 3}},           {{2, 1, 3, 1}, {1, 4, 1, 5}}, {{1, 1}, {1, 1}}};
  for (OpType op :
       {OpType::kAdd, OpType::kSub, OpType::kMul, OpType::kDiv, OpType::kMax, OpType::kMin}) {
    for (const auto& [a, b] : shapes)
      Check(OneNode(std::string(OpTypeName(op)) + " " + ShapeToString(a) + ShapeToString(b), op,
                    {a, b}));
  }
  for (const auto& [a, b] : shapes)
    Check(OneNode("Pow " + ShapeToString(a) + ShapeToString(b), OpType::kPow, {a, b}, {}, {}, 1,
                  0.2f, 2.f));
  // Pow with a constant integer exponent; Add with a constant operand.
  Check(OneNode("Pow int exponent", OpType::kPow, {{3, 4}},
                {Tensor::FromVector<int64_t>({4}, {0, 1, 2, 3})}));
  Check(OneNode("Add const", OpType::kAdd, {{2, 3, 5}}, {Uniform({5}, 7)}));
  // Variadic Max / Min.
  Check(OneNode("Max3", OpType::kMax, {{2, 3}, {3}, {2, 1}}));
  Check(OneNode("Min3", OpType::kMin, {{4, 1}, {4, 5}, {1}}));
  Check(OneNode("Max1", OpType::kMax, {{7}}));
}

TEST_F(OpenClOps, Compare) {
  for (OpType op : {OpType::kEqual, OpType::kLess, OpType::kGreater}) {
    Case c = OneNode(std::string(OpTypeName(op)), op, {{3, 4, 5}, {4, 1}});
    c.inputs[1].data<float>()[0] = c.inputs[0].data<float>()[0];  // one equal pair
    Check(c);
  }
}

TEST_F(OpenClOps, AddWithFusedRelu) {
  testing::GraphBuilder b;
  const int x = b.Input("x", {3, 17});
  const int c = b.RandomConst("c", {17}, 3);
  const int s = b.Node(OpType::kAdd, "add", {x, c}, {"s"});
  b.Output(b.Node(OpType::kRelu, "relu", {s}, {"y"}));
  Check({"Add+Relu", b.Build(), {Uniform({3, 17}, 1)}});
}

TEST_F(OpenClOps, Unary) {
  const Shape s = {2, 3, 17};
  for (OpType op : {OpType::kRelu, OpType::kSigmoid, OpType::kTanh, OpType::kErf, OpType::kExp,
                    OpType::kNeg, OpType::kAbs, OpType::kHardSwish})
    Check(OneNode(std::string(OpTypeName(op)), op, {s}, {}, {}, 1, -4.f, 4.f));
  for (OpType op : {OpType::kSqrt, OpType::kLog})
    Check(OneNode(std::string(OpTypeName(op)), op, {s}, {}, {}, 1, 0.01f, 4.f));
  Check(OneNode("LeakyRelu", OpType::kLeakyRelu, {s}, {}, A({{"alpha", 0.3f}}), 1, -4.f, 4.f));
  Check(OneNode("HardSigmoid", OpType::kHardSigmoid, {s}, {}, A({{"alpha", 0.25f}, {"beta", 0.4f}}),
                1, -4.f, 4.f));
  Check(OneNode("Clip inputs", OpType::kClip, {s}, {Tensor::Scalar(-0.5f), Tensor::Scalar(0.75f)},
                {}, 1, -2.f, 2.f));
  Check(OneNode("Clip min only", OpType::kClip, {s}, {Tensor::Scalar(-0.5f)}, {}, 1, -2.f, 2.f));
  Check(OneNode("Clip max only", OpType::kClip, {s}, {Tensor::Scalar(0.25f)}, {}, 1, -2.f, 2.f,
                {0, -1, 1}));
  Check(OneNode("Clip none", OpType::kClip, {s}, {}, {}, 1, -2.f, 2.f));
  Check(OneNode("Clip runtime bounds", OpType::kClip, {s, {}, {}}, {}, {}, 1, -2.f, 2.f));
  Check(OneNode("Clip runtime max", OpType::kClip, {s, {}}, {Tensor::Scalar(-0.5f)}, {}, 1, -2.f,
                2.f, {0, 2, 1}));
}

TEST_F(OpenClOps, Conv) {
  struct ConvCase {
    std::string name;
    Shape x, w;
    bool bias;
    Attributes attrs;
  };
  const std::vector<ConvCase> cases = {
      {"3x3 pad 1", {2, 3, 11, 9}, {5, 3, 3, 3}, true, A({{"pads", Ints{1, 1, 1, 1}}})},
      {"stride 2 asym pads dil 2",
       {1, 2, 13, 10},
       {4, 2, 3, 2},
       true,
       A({{"strides", Ints{2, 2}}, {"pads", Ints{0, 1, 1, 2}}, {"dilations", Ints{2, 2}}})},
      {"groups 3",
       {1, 6, 7, 7},
       {9, 2, 3, 3},
       false,
       A({{"group", int64_t{3}}, {"pads", Ints{1, 1, 1, 1}}})},
      {"depthwise",
       {2, 4, 8, 5},
       {4, 1, 3, 3},
       true,
       A({{"group", int64_t{4}}, {"strides", Ints{2, 1}}, {"pads", Ints{1, 0, 1, 2}}})},
      {"1x1", {1, 5, 4, 3}, {7, 5, 1, 1}, true, {}},
      {"SAME_UPPER",
       {1, 3, 9, 8},
       {2, 3, 4, 3},
       false,
       A({{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}})},
      {"1-D", {2, 3, 17}, {4, 3, 5}, true, A({{"strides", Ints{3}}, {"pads", Ints{2, 1}}})},
      {"3-D", {1, 2, 5, 6, 4}, {3, 2, 3, 2, 3}, true, A({{"pads", Ints{1, 0, 1, 1, 1, 1}}})},
  };
  for (const ConvCase& cc : cases) {
    std::vector<Tensor> consts = {Uniform(cc.w, 11)};
    if (cc.bias) consts.push_back(Uniform({cc.w[0]}, 12));
    Check(OneNode("Conv " + cc.name, OpType::kConv, {cc.x}, std::move(consts), cc.attrs));
  }
  // Weights as a runtime input, and Conv + Relu fused.
  Check(OneNode("Conv runtime W", OpType::kConv, {{1, 3, 6, 6}, {2, 3, 3, 3}}, {}, {}));
  testing::GraphBuilder b;
  const int x = b.Input("x", {1, 3, 10, 10});
  const int w = b.RandomConst("w", {8, 3, 3, 3}, 5);
  const int bias = b.RandomConst("b", {8}, 6);
  const int y = b.Node(OpType::kConv, "conv", {x, w, bias}, {"c"}, A({{"pads", Ints{1, 1, 1, 1}}}));
  b.Output(b.Node(OpType::kRelu, "relu", {y}, {"y"}));
  Check({"Conv+Relu", b.Build(), {Uniform({1, 3, 10, 10}, 2)}});
}

TEST_F(OpenClOps, Gemm) {
  for (int64_t ta : {0, 1}) {
    for (int64_t tb : {0, 1}) {
      const int64_t m = 5, k = 13, n = 7;
      const Shape a = ta ? Shape{k, m} : Shape{m, k};
      const Shape b = tb ? Shape{n, k} : Shape{k, n};
      for (const Shape& cshape : {Shape{n}, Shape{m, 1}, Shape{1}, Shape{m, n}}) {
        Check(OneNode("Gemm ta " + std::to_string(ta) + " tb " + std::to_string(tb) + " C " +
                          ShapeToString(cshape),
                      OpType::kGemm, {a}, {Uniform(b, 21), Uniform(cshape, 22)},
                      A({{"transA", ta}, {"transB", tb}, {"alpha", 0.7f}, {"beta", 1.3f}})));
      }
    }
  }
  Check(OneNode("Gemm no C", OpType::kGemm, {{1, 9}}, {Uniform({9, 3}, 23)}));
  Check(OneNode("Gemm runtime B", OpType::kGemm, {{4, 6}, {6, 5}}));
}

TEST_F(OpenClOps, MatMul) {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 5}, {5, 7}}, {{2, 3, 5}, {5, 4}}, {{2, 1, 3, 5}, {3, 5, 6}}, {{5}, {2, 5, 3}},
      {{2, 3, 5}, {5}}, {{5}, {5}},          {{1, 1}, {1, 1}},          {{4, 1, 17}, {4, 17, 1}}};
  for (const auto& [a, b] : shapes)
    Check(OneNode("MatMul " + ShapeToString(a) + ShapeToString(b), OpType::kMatMul, {a, b}));
  // MatMul + bias + Relu: fused into one node by the passes.
  testing::GraphBuilder g;
  const int x = g.Input("x", {2, 3, 11});
  const int w = g.RandomConst("w", {11, 6}, 8);
  const int bias = g.RandomConst("b", {6}, 9);
  const int mm = g.Node(OpType::kMatMul, "mm", {x, w}, {"mm"});
  const int add = g.Node(OpType::kAdd, "add", {mm, bias}, {"add"});
  g.Output(g.Node(OpType::kRelu, "relu", {add}, {"y"}));
  Check({"MatMul+bias+Relu", g.Build(), {Uniform({2, 3, 11}, 4)}});
}

TEST_F(OpenClOps, SoftmaxAndNormalizations) {
  for (int64_t axis : {0, 1, -1})
    Check(OneNode("Softmax axis " + std::to_string(axis), OpType::kSoftmax, {{3, 4, 5}}, {},
                  A({{"axis", axis}}), 1, -5.f, 5.f));
  Check(OneNode("LayerNorm last", OpType::kLayerNormalization, {{2, 5, 9}},
                {Uniform({9}, 31), Uniform({9}, 32)}, A({{"epsilon", 1e-5f}})));
  Check(OneNode("LayerNorm axis 1 no bias", OpType::kLayerNormalization, {{3, 4, 6}},
                {Uniform({4, 6}, 33)}, A({{"axis", int64_t{1}}})));
  Check(OneNode("LayerNorm broadcast scale", OpType::kLayerNormalization, {{3, 4, 6}},
                {Uniform({1, 6}, 34), Uniform({6}, 35)}, A({{"axis", int64_t{1}}})));
  Check(OneNode("LayerNorm stats", OpType::kLayerNormalization, {{3, 7}},
                {Uniform({7}, 36), Uniform({7}, 37)}, {}, 3));
  Check(OneNode("BatchNorm", OpType::kBatchNormalization, {{2, 3, 4, 5}},
                {Uniform({3}, 41), Uniform({3}, 42), Uniform({3}, 43), Uniform({3}, 44, 0.1f, 2.f)},
                A({{"epsilon", 1e-3f}})));
}

TEST_F(OpenClOps, EdgeCases) {
  // An empty Slice feeding a Concat: zero-size activations have no storage.
  {
    testing::GraphBuilder b;
    const int x = b.Input("x", {4, 9});
    auto i64 = [](int64_t v) { return Tensor::FromVector<int64_t>({1}, {v}); };
    const int e =
        b.Node(OpType::kSlice, "empty",
               {x, b.Const("s", i64(2)), b.Const("e", i64(2)), b.Const("a", i64(1))}, {"e"});
    b.Output(b.Node(OpType::kConcat, "cat", {e, x}, {"y"}, A({{"axis", int64_t{1}}})));
    Check({"empty slice + concat", b.Build(), {Uniform({4, 9}, 3)}});
  }
  // ReduceSum without axes and noop_with_empty_axes: a copy.
  Check(OneNode("ReduceSum noop", OpType::kReduceSum, {{3, 4}}, {},
                A({{"noop_with_empty_axes", int64_t{1}}})));
  // Softmax of opset 11 flattens at the axis.
  {
    Case c = OneNode("Softmax opset 11", OpType::kSoftmax, {{2, 3, 4}}, {},
                     A({{"axis", int64_t{1}}}), 1, -3.f, 3.f);
    c.graph.opset = 11;
    Check(c);
  }
  // A graph whose output is its input, and one whose output is a constant.
  {
    testing::GraphBuilder b;
    const int x = b.Input("x", {2, 3});
    b.Output(b.Node(OpType::kIdentity, "id", {x}, {"y"}));
    b.Output(b.Node(OpType::kRelu, "r", {x}, {"z"}));
    const int c = b.RandomConst("c", {5}, 6);
    b.Output(b.Node(OpType::kNeg, "folded", {c}, {"k"}));
    Check({"outputs: input, computed, constant", b.Build(), {Uniform({2, 3}, 4)}});
  }
}

TEST_F(OpenClOps, Reduce) {
  const Shape s = {3, 4, 5, 2};
  const std::vector<Ints> axes_list = {{1}, {0, 2}, {-1}, {1, 2, 3}, {}};
  for (OpType op : {OpType::kReduceMean, OpType::kReduceSum, OpType::kReduceMax}) {
    for (const Ints& axes : axes_list) {
      for (int64_t keep : {0, 1}) {
        const std::string name = std::string(OpTypeName(op)) + " axes " + ShapeToString(axes) +
                                 " keepdims " + std::to_string(keep);
        if (op == OpType::kReduceSum) {  // opset 13: axes as an input
          std::vector<Tensor> c;
          if (!axes.empty())
            c.push_back(Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
          Check(OneNode(name, op, {s}, std::move(c), A({{"keepdims", keep}})));
        } else {
          Attributes a = A({{"keepdims", keep}});
          if (!axes.empty()) a.Set("axes", axes);
          Check(OneNode(name, op, {s}, {}, a));
        }
      }
    }
  }
}

TEST_F(OpenClOps, Pools) {
  Check(OneNode(
      "MaxPool 3x3 s2 p1", OpType::kMaxPool, {{2, 3, 11, 10}}, {},
      A({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})));
  Check(OneNode("MaxPool ceil dil", OpType::kMaxPool, {{1, 2, 9, 9}}, {},
                A({{"kernel_shape", Ints{2, 3}},
                   {"strides", Ints{2, 2}},
                   {"ceil_mode", int64_t{1}},
                   {"dilations", Ints{1, 2}}})));
  for (int64_t order : {0, 1}) {
    Check(OneNode("MaxPool indices order " + std::to_string(order), OpType::kMaxPool,
                  {{2, 3, 7, 6}}, {},
                  A({{"kernel_shape", Ints{3, 2}},
                     {"strides", Ints{2, 2}},
                     {"pads", Ints{1, 1, 1, 0}},
                     {"storage_order", order}}),
                  2));
  }
  Check(OneNode("MaxPool 1-D", OpType::kMaxPool, {{2, 3, 15}}, {},
                A({{"kernel_shape", Ints{4}}, {"strides", Ints{3}}})));
  for (int64_t include_pad : {0, 1}) {
    Check(OneNode("AveragePool pad " + std::to_string(include_pad), OpType::kAveragePool,
                  {{2, 3, 7, 8}}, {},
                  A({{"kernel_shape", Ints{3, 2}},
                     {"strides", Ints{2, 2}},
                     {"pads", Ints{1, 0, 2, 1}},
                     {"count_include_pad", include_pad}})));
  }
  Check(OneNode(
      "AveragePool ceil", OpType::kAveragePool, {{1, 2, 8, 8}}, {},
      A({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}})));
  Check(OneNode("GlobalAveragePool", OpType::kGlobalAveragePool, {{2, 5, 7, 3}}));
  Check(OneNode("GlobalMaxPool", OpType::kGlobalMaxPool, {{2, 5, 7, 3}}));
  Check(OneNode("GlobalAveragePool 1-D", OpType::kGlobalAveragePool, {{3, 2, 9}}));
}

TEST_F(OpenClOps, DataMovement) {
  Check(OneNode("Transpose perm", OpType::kTranspose, {{2, 3, 4, 5}}, {},
                A({{"perm", Ints{2, 0, 3, 1}}})));
  Check(OneNode("Transpose default", OpType::kTranspose, {{3, 1, 7}}));
  Check(OneNode("Concat axis 1", OpType::kConcat, {{2, 3, 4}, {2, 1, 4}, {2, 5, 4}}, {},
                A({{"axis", int64_t{1}}})));
  Check(
      OneNode("Concat axis -1", OpType::kConcat, {{2, 3}, {2, 7}}, {}, A({{"axis", int64_t{-1}}})));
  auto i64 = [](Ints v) {
    return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
  };
  Check(OneNode("Slice", OpType::kSlice, {{5, 7, 6}},
                {i64({1, -1}), i64({4, -8}), i64({0, 1}), i64({2, -2})}));
  Check(OneNode("Slice clamp", OpType::kSlice, {{4, 9}},
                {i64({-100}), i64({100}), i64({1}), i64({3})}));
  Check(OneNode("Slice no axes", OpType::kSlice, {{4, 9}}, {i64({1, 2}), i64({3, 8})}));
  Check(OneNode("Gather axis 1", OpType::kGather, {{3, 5, 4}}, {i64({4, -1, 0, 2, 2})},
                A({{"axis", int64_t{1}}})));
  Check(OneNode("Gather 2-D indices", OpType::kGather, {{6, 3}},
                {Tensor::FromVector<int64_t>({2, 2}, {5, 0, -2, 1})}));
  Check(OneNode("Gather scalar index", OpType::kGather, {{6, 3}},
                {Tensor::FromVector<int64_t>({}, {3})}));
  Check(OneNode("Expand", OpType::kExpand, {{3, 1}}, {i64({2, 3, 4})}));
  Check(OneNode("Split", OpType::kSplit, {{4, 9}}, {i64({2, 3, 4})}, A({{"axis", int64_t{1}}}), 3));
  Check(OneNode("Reshape", OpType::kReshape, {{4, 6}}, {i64({3, -1, 2})}));
  Check(OneNode("Flatten", OpType::kFlatten, {{2, 3, 4}}, {}, A({{"axis", int64_t{2}}})));
  Check(OneNode("Unsqueeze", OpType::kUnsqueeze, {{2, 3}}, {i64({0, 3})}));
  Check(OneNode("Squeeze", OpType::kSqueeze, {{2, 1, 3}}, {i64({1})}));
  Check(OneNode("Identity", OpType::kIdentity, {{5}}));
  // Where over three broadcast operands with a constant condition.
  Tensor cond(DType::kBool, {3, 1});
  cond.data<uint8_t>()[0] = 1;
  cond.data<uint8_t>()[2] = 1;
  Check(OneNode("Where", OpType::kWhere, {{4}, {3, 4}}, {cond}, {}, 1, -1.f, 1.f, {2, 0, 1}));
}

TEST_F(OpenClOps, CastAndQuantization) {
  Check(OneNode("Cast f32->i64", OpType::kCast, {{3, 5}}, {},
                A({{"to", static_cast<int64_t>(DType::kI64)}}), 1, -100.f, 100.f));
  Check(OneNode("Cast f32->i32", OpType::kCast, {{3, 5}}, {},
                A({{"to", static_cast<int64_t>(DType::kI32)}}), 1, -100.f, 100.f));
  Check(OneNode("Cast f32->bool", OpType::kCast, {{3, 5}}, {},
                A({{"to", static_cast<int64_t>(DType::kBool)}}), 1, -1.f, 1.f));
  // int -> float through a graph: f32 -> i32 -> f32.
  {
    testing::GraphBuilder b;
    const int x = b.Input("x", {17});
    const int i =
        b.Node(OpType::kCast, "to_int", {x}, {"i"}, A({{"to", static_cast<int64_t>(DType::kI32)}}));
    b.Output(b.Node(OpType::kCast, "to_float", {i}, {"y"},
                    A({{"to", static_cast<int64_t>(DType::kF32)}})));
    Check({"Cast round trip", b.Build(), {Uniform({17}, 3, -50.f, 50.f)}});
  }
  // float32 -> float16 -> float32, with overflow, subnormals and ties.
  {
    testing::GraphBuilder b;
    const int x = b.Input("x", {40});
    const int h = b.Node(OpType::kCast, "to_half", {x}, {"h"},
                         A({{"to", static_cast<int64_t>(DType::kF16)}}));
    b.Output(h);
    b.Output(b.Node(OpType::kCast, "to_float", {h}, {"y"},
                    A({{"to", static_cast<int64_t>(DType::kF32)}})));
    Case c{"Cast f32->f16->f32", b.Build(), {Uniform({40}, 5, -3.f, 3.f)}};
    float* v = c.inputs[0].data<float>();
    v[0] = 70000.f;
    v[1] = -1e-6f;
    v[2] = 3e-8f;
    v[3] = 1.f + 1.f / 2048;  // halfway between two halves
    v[4] = 65504.f;
    Check(c);
  }
  // QuantizeLinear -> DequantizeLinear, per tensor and per axis, uint8 and int8 zero points.
  for (DType q : {DType::kU8, DType::kI8}) {
    for (bool per_axis : {false, true}) {
      testing::GraphBuilder b;
      const int x = b.Input("x", {2, 3, 5});
      Tensor scale = per_axis ? Tensor::FromVector<float>({3}, {0.01f, 0.02f, 0.005f})
                              : Tensor::FromVector<float>({}, {0.0078125f});
      Tensor zp(q, per_axis ? Shape{3} : Shape{});
      for (int64_t i = 0; i < zp.numel(); ++i)
        static_cast<uint8_t*>(zp.raw())[i] =
            static_cast<uint8_t>(q == DType::kU8 ? 100 + i : 250 + i);
      const int s = b.Const("scale", scale);
      const int z = b.Const("zp", zp);
      const int qv =
          b.Node(OpType::kQuantizeLinear, "q", {x, s, z}, {"q"}, A({{"axis", int64_t{1}}}));
      b.Output(qv);
      b.Output(
          b.Node(OpType::kDequantizeLinear, "dq", {qv, s, z}, {"y"}, A({{"axis", int64_t{1}}})));
      Case c{std::string("QDQ ") + std::string(DTypeName(q)) +
                 (per_axis ? " per axis" : " per tensor"),
             b.Build(),
             {Uniform({2, 3, 5}, 9, -2.f, 2.f)}};
      // Exact halves exercise round-half-to-even; a few values saturate.
      c.inputs[0].data<float>()[0] = 0.5f * 0.0078125f;
      c.inputs[0].data<float>()[1] = 1.5f * 0.0078125f;
      c.inputs[0].data<float>()[2] = 300.f;
      Check(c);
    }
  }
  // QuantizeLinear without a zero point (uint8 output).
  Check(OneNode("Quantize no zp", OpType::kQuantizeLinear, {{4, 7}},
                {Tensor::FromVector<float>({}, {0.01f})}, {}, 1, -1.f, 3.f));
}

}  // namespace
}  // namespace sl
#endif  // SL_HAVE_OPENCL

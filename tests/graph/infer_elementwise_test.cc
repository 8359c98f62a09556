// Shape inference of the elementwise, reduction, normalization and quantization ops.
#include <gtest/gtest.h>

#include <vector>

#include "graph/infer.h"
#include "graph/infer_test_util.h"

namespace sl {
namespace {

using InputSpec = infertest::InferInput;

// Builds a one-node graph and runs the op's shape inference on it.
class OneNode {
 public:
  OneNode(OpType op, std::vector<InputSpec> inputs, int num_outputs = 1, Attributes attrs = {}) {
    node_.op = op;
    node_.name = "n";
    node_.attrs = std::move(attrs);
    infertest::BuildOneNodeGraph(g_, node_, inputs, num_outputs);
  }
  Status Run() {
    InferContext ctx(g_, node_);
    return GetInferFn(node_.op)(ctx);
  }
  const Value& out(int i = 0) const { return g_.values[node_.outputs[i]]; }
  Node& node() { return node_; }

 private:
  Graph g_;
  Node node_;
};

TEST(InferElementwiseTest, GeluChecksItsApproximation) {
  for (const char* ok : {"none", "tanh"}) {
    Attributes a;
    a.Set("approximate", std::string(ok));
    OneNode n(OpType::kGelu, {{DType::kF32, {2, 3}}}, 1, a);
    ASSERT_TRUE(n.Run().ok()) << ok;
    EXPECT_EQ(n.out().shape, (Shape{2, 3}));
  }
  Attributes bad;
  bad.Set("approximate", std::string("sigmoid"));
  OneNode n(OpType::kGelu, {{DType::kF32, {2, 3}}}, 1, bad);
  Status st = n.Run();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sigmoid"), std::string::npos) << st.message();
}

TEST(InferElementwiseTest, BinaryBroadcast) {
  OneNode n(OpType::kAdd, {{DType::kF32, {2, 1, 3}}, {DType::kF32, {4, 1}}});
  ASSERT_TRUE(n.Run().ok());
  EXPECT_EQ(n.out().shape, (Shape{2, 4, 3}));
  EXPECT_EQ(n.out().dtype, DType::kF32);
  OneNode scalar(OpType::kMul, {{DType::kI64, {}}, {DType::kI64, {5}}});
  ASSERT_TRUE(scalar.Run().ok());
  EXPECT_EQ(scalar.out().shape, (Shape{5}));
  OneNode unknown(OpType::kSub, {{DType::kF32, {-1, 3}}, {DType::kF32, {1, 3}}});
  ASSERT_TRUE(unknown.Run().ok());
  EXPECT_EQ(unknown.out().shape, (Shape{-1, 3}));
}

TEST(InferElementwiseTest, BadShapesAndDTypesNameTheNode) {
  OneNode n(OpType::kAdd, {{DType::kF32, {2, 3}}, {DType::kF32, {4}}});
  Status s = n.Run();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("test.onnx"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'n'"), std::string::npos) << s.message();
  OneNode types(OpType::kDiv, {{DType::kF32, {2}}, {DType::kI32, {2}}});
  EXPECT_FALSE(types.Run().ok());
  OneNode arity(OpType::kAdd, {{DType::kF32, {2}}});
  EXPECT_FALSE(arity.Run().ok());
}

TEST(InferElementwiseTest, ComparisonsAreBoolAndPowKeepsBaseType) {
  OneNode n(OpType::kLess, {{DType::kF32, {3}}, {DType::kF32, {1}}});
  ASSERT_TRUE(n.Run().ok());
  EXPECT_EQ(n.out().dtype, DType::kBool);
  OneNode p(OpType::kPow, {{DType::kI32, {3}}, {DType::kF32, {}}});
  ASSERT_TRUE(p.Run().ok());
  EXPECT_EQ(p.out().dtype, DType::kI32);
  EXPECT_EQ(p.out().shape, (Shape{3}));
}

TEST(InferElementwiseTest, VariadicMaxAndWhere) {
  OneNode m(OpType::kMax, {{DType::kF32, {3, 1}}, {DType::kF32, {4}}, {DType::kF32, {}}});
  ASSERT_TRUE(m.Run().ok());
  EXPECT_EQ(m.out().shape, (Shape{3, 4}));
  OneNode one(OpType::kMin, {{DType::kF32, {2}}});
  ASSERT_TRUE(one.Run().ok());
  OneNode w(OpType::kWhere, {{DType::kBool, {2, 1}}, {DType::kI64, {3}}, {DType::kI64, {}}});
  ASSERT_TRUE(w.Run().ok());
  EXPECT_EQ(w.out().shape, (Shape{2, 3}));
  EXPECT_EQ(w.out().dtype, DType::kI64);
  OneNode bad(OpType::kWhere, {{DType::kF32, {2}}, {DType::kI64, {2}}, {DType::kI64, {2}}});
  EXPECT_FALSE(bad.Run().ok());
}

TEST(InferElementwiseTest, UnaryClipAndCast) {
  OneNode u(OpType::kSigmoid, {{DType::kF32, {0, 7}}});
  ASSERT_TRUE(u.Run().ok());
  EXPECT_EQ(u.out().shape, (Shape{0, 7}));
  OneNode c(OpType::kClip, {{DType::kF32, {2, 2}}, {DType::kF32, {}, {}, true}, {DType::kF32, {}}});
  ASSERT_TRUE(c.Run().ok());
  OneNode bad_clip(OpType::kClip, {{DType::kF32, {2, 2}}, {DType::kF32, {2}}});
  EXPECT_FALSE(bad_clip.Run().ok());
  Attributes to;
  to.Set("to", int64_t{7});
  OneNode cast(OpType::kCast, {{DType::kF32, {3}}}, 1, to);
  ASSERT_TRUE(cast.Run().ok());
  EXPECT_EQ(cast.out().dtype, DType::kI64);
  to.Set("to", int64_t{8});  // string
  OneNode str(OpType::kCast, {{DType::kF32, {3}}}, 1, to);
  EXPECT_EQ(str.Run().code(), StatusCode::kUnsupported);
}

TEST(InferReduceTest, AxesAttributeKeepdimsAndNegativeAxes) {
  Attributes a;
  a.Set("axes", std::vector<int64_t>{-1, 0});
  OneNode keep(OpType::kReduceMean, {{DType::kF32, {2, 3, 4}}}, 1, a);
  ASSERT_TRUE(keep.Run().ok());
  EXPECT_EQ(keep.out().shape, (Shape{1, 3, 1}));
  a.Set("keepdims", int64_t{0});
  OneNode drop(OpType::kReduceMax, {{DType::kF32, {2, 3, 4}}}, 1, a);
  ASSERT_TRUE(drop.Run().ok());
  EXPECT_EQ(drop.out().shape, (Shape{3}));
  OneNode all(OpType::kReduceMax, {{DType::kF32, {2, 3}}});
  ASSERT_TRUE(all.Run().ok());
  EXPECT_EQ(all.out().shape, (Shape{1, 1}));
  a.Set("axes", std::vector<int64_t>{3});
  OneNode bad(OpType::kReduceMean, {{DType::kF32, {2, 3, 4}}}, 1, a);
  EXPECT_FALSE(bad.Run().ok());
  a.Set("axes", std::vector<int64_t>{1, -2});
  OneNode dup(OpType::kReduceMean, {{DType::kF32, {2, 3, 4}}}, 1, a);
  EXPECT_FALSE(dup.Run().ok());
}

TEST(InferReduceTest, AxesInput) {
  Tensor axes = Tensor::FromVector<int64_t>({1}, {1});
  OneNode c(OpType::kReduceSum, {{DType::kF32, {2, 3}}, {DType::kI64, {1}, axes}});
  ASSERT_TRUE(c.Run().ok());
  EXPECT_EQ(c.out().shape, (Shape{2, 1}));
  Attributes noop;
  noop.Set("noop_with_empty_axes", int64_t{1});
  OneNode empty(OpType::kReduceSum, {{DType::kF32, {2, 3}}, {DType::kI64, {0}}}, 1, noop);
  ASSERT_TRUE(empty.Run().ok());
  EXPECT_EQ(empty.out().shape, (Shape{2, 3}));
  OneNode all(OpType::kReduceSum, {{DType::kF32, {2, 3}}, {DType::kI64, {0}}});
  ASSERT_TRUE(all.Run().ok());
  EXPECT_EQ(all.out().shape, (Shape{1, 1}));
  OneNode dynamic(OpType::kReduceSum, {{DType::kF32, {2, 3}}, {DType::kI64, {1}}});
  ASSERT_TRUE(dynamic.Run().ok());
  EXPECT_EQ(dynamic.out().shape, (Shape{-1, -1}));
}

TEST(InferNormTest, SoftmaxLayerNormBatchNorm) {
  Attributes axis;
  axis.Set("axis", int64_t{-3});
  OneNode sm(OpType::kSoftmax, {{DType::kF32, {2, 3}}}, 1, axis);
  EXPECT_FALSE(sm.Run().ok());
  OneNode sm_ok(OpType::kSoftmax, {{DType::kF32, {2, 3}}});
  ASSERT_TRUE(sm_ok.Run().ok());
  EXPECT_EQ(sm_ok.out().shape, (Shape{2, 3}));

  Attributes ln_axis;
  ln_axis.Set("axis", int64_t{1});
  OneNode ln(OpType::kLayerNormalization,
             {{DType::kF32, {2, 3, 4}}, {DType::kF32, {3, 4}}, {DType::kF32, {4}}}, 3, ln_axis);
  ASSERT_TRUE(ln.Run().ok());
  EXPECT_EQ(ln.out(0).shape, (Shape{2, 3, 4}));
  EXPECT_EQ(ln.out(1).shape, (Shape{2, 1, 1}));
  EXPECT_EQ(ln.out(2).dtype, DType::kF32);
  OneNode ln_bad(OpType::kLayerNormalization, {{DType::kF32, {2, 3, 4}}, {DType::kF32, {5}}});
  EXPECT_FALSE(ln_bad.Run().ok());

  OneNode bn(OpType::kBatchNormalization, {{DType::kF32, {1, 3, 4, 4}},
                                           {DType::kF32, {3}},
                                           {DType::kF32, {3}},
                                           {DType::kF32, {3}},
                                           {DType::kF32, {3}}});
  ASSERT_TRUE(bn.Run().ok());
  EXPECT_EQ(bn.out().shape, (Shape{1, 3, 4, 4}));
  OneNode bn_bad(OpType::kBatchNormalization, {{DType::kF32, {1, 3, 4, 4}},
                                               {DType::kF32, {3}},
                                               {DType::kF32, {2}},
                                               {DType::kF32, {3}},
                                               {DType::kF32, {3}}});
  EXPECT_FALSE(bn_bad.Run().ok());
}

TEST(InferQuantTest, QuantizeDequantize) {
  OneNode q(OpType::kQuantizeLinear,
            {{DType::kF32, {1, 3, 2}}, {DType::kF32, {3}}, {DType::kI8, {3}}});
  ASSERT_TRUE(q.Run().ok());
  EXPECT_EQ(q.out().dtype, DType::kI8);
  OneNode q_default(OpType::kQuantizeLinear, {{DType::kF32, {4}}, {DType::kF32, {}}});
  ASSERT_TRUE(q_default.Run().ok());
  EXPECT_EQ(q_default.out().dtype, DType::kU8);
  OneNode q_bad(OpType::kQuantizeLinear, {{DType::kF32, {1, 3, 2}}, {DType::kF32, {2}}});
  EXPECT_FALSE(q_bad.Run().ok());
  OneNode dq(OpType::kDequantizeLinear, {{DType::kU8, {4}}, {DType::kF32, {}}, {DType::kU8, {}}});
  ASSERT_TRUE(dq.Run().ok());
  EXPECT_EQ(dq.out().dtype, DType::kF32);
  EXPECT_EQ(dq.out().shape, (Shape{4}));
}

}  // namespace
}  // namespace sl

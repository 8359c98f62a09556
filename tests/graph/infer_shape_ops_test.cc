// Shape inference of Conv / Gemm / MatMul, pools and the data-movement ops: unknown dims, opset
// variants (attributes vs inputs), and the error paths (each error names the node).
#include <gtest/gtest.h>

#include <vector>

#include "graph/infer.h"
#include "graph/infer_test_util.h"

namespace sl {
namespace {

using Ints = std::vector<int64_t>;

using In = infertest::InferInput;

In V(Shape s, DType t = DType::kF32) { return In{t, std::move(s), Tensor(), false}; }
In C(Ints v) {
  Tensor t = Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
  return In{DType::kI64, t.shape(), t, false};
}
In Omitted() { return In{DType::kUndefined, {}, Tensor(), true}; }

struct Out {
  Status status;
  std::vector<Value> values;
};

Out Infer(OpType op, std::vector<In> inputs,
          std::initializer_list<std::pair<const char*, AttrValue>> attrs = {},
          int num_outputs = 1) {
  Graph g;
  Node node;
  node.op = op;
  node.name = "node7";
  for (const auto& [k, v] : attrs) node.attrs.Set(k, v);
  infertest::BuildOneNodeGraph(g, node, inputs, num_outputs);
  InferContext ctx(g, node);
  Out out{GetInferFn(op)(ctx), {}};
  for (int o : node.outputs) out.values.push_back(g.values[o]);
  return out;
}

Shape OkShape(const Out& o) {
  EXPECT_TRUE(o.status.ok()) << o.status.message();
  return o.status.ok() ? o.values[0].shape : Shape{-99};
}

void ExpectError(const Out& o, const std::string& fragment = "") {
  ASSERT_FALSE(o.status.ok());
  EXPECT_NE(o.status.message().find("node7"), std::string::npos) << o.status.message();
  EXPECT_NE(o.status.message().find(fragment), std::string::npos) << o.status.message();
}

TEST(InferConvTest, ShapesGroupsAndUnknownDims) {
  EXPECT_EQ(OkShape(Infer(OpType::kConv, {V({1, 3, 224, 224}), V({64, 3, 7, 7}), V({64})},
                          {{"strides", Ints{2, 2}}, {"pads", Ints{3, 3, 3, 3}}})),
            (Shape{1, 64, 112, 112}));
  EXPECT_EQ(OkShape(Infer(OpType::kConv, {V({-1, 32, -1, 10}), V({32, 1, 3, 3})},
                          {{"group", int64_t{32}}, {"auto_pad", std::string("SAME_UPPER")}})),
            (Shape{-1, 32, -1, 10}));
  EXPECT_EQ(OkShape(Infer(OpType::kConv, {V({2, 4, 10}), V({6, 2, 3})},
                          {{"group", int64_t{2}}, {"dilations", Ints{4}}})),
            (Shape{2, 6, 2}));
  EXPECT_EQ(OkShape(Infer(OpType::kConv, {V({1, 1, 5, 5, 5}), V({1, 1, 1, 1, 1})},
                          {{"strides", Ints{3, 3, 3}}})),
            (Shape{1, 1, 2, 2, 2}));
  EXPECT_EQ(OkShape(Infer(OpType::kConv, {V({1, 1, 7}), V({1, 1, 2}), Omitted()},
                          {{"auto_pad", std::string("VALID")}, {"pads", Ints{5, 5}}})),
            (Shape{1, 1, 6}));
}

TEST(InferConvTest, Errors) {
  ExpectError(Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 2, 3, 3})}), "channels");
  ExpectError(Infer(OpType::kConv, {V({1, 4, 8, 8}), V({3, 2, 3, 3})}, {{"group", int64_t{2}}}),
              "divisible");
  ExpectError(Infer(OpType::kConv, {V({1, 3, 8}), V({4, 3, 3, 3})}), "rank");
  ExpectError(Infer(OpType::kConv, {V({1, 3, 2, 2}), V({4, 3, 3, 3})}), "larger");
  ExpectError(Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 3, 3, 3}), V({3})}), "bias");
  ExpectError(Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 3, 3, 3})}, {{"pads", Ints{1, 1}}}),
              "pads");
  ExpectError(
      Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 3, 3, 3})}, {{"kernel_shape", Ints{2, 2}}}),
      "kernel_shape");
  ExpectError(
      Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 3, 3, 3})}, {{"auto_pad", std::string("SAME")}}),
      "auto_pad");
  ExpectError(
      Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 3, 3, 3})}, {{"_act", std::string("Swish")}}),
      "_act");
  ExpectError(Infer(OpType::kConv, {V({1, 3, 8, 8}), V({4, 3, 3, 3}, DType::kF16)}), "float16");
}

TEST(InferGemmMatMulTest, Shapes) {
  EXPECT_EQ(OkShape(Infer(OpType::kGemm, {V({4, 3}), V({5, 3}), V({5})}, {{"transB", int64_t{1}}})),
            (Shape{4, 5}));
  EXPECT_EQ(OkShape(Infer(OpType::kGemm, {V({3, 4}), V({3, 5})}, {{"transA", int64_t{1}}})),
            (Shape{4, 5}));
  ExpectError(Infer(OpType::kGemm, {V({4, 3}), V({4, 5})}), "inner");
  ExpectError(Infer(OpType::kGemm, {V({4, 3}), V({3, 5}), V({4})}), "broadcast");
  ExpectError(Infer(OpType::kGemm, {V({2, 4, 3}), V({3, 5})}), "2-D");

  EXPECT_EQ(OkShape(Infer(OpType::kMatMul, {V({2, 1, 4, 3}), V({5, 3, 6})})), (Shape{2, 5, 4, 6}));
  EXPECT_EQ(OkShape(Infer(OpType::kMatMul, {V({3}), V({2, 3, 4})})), (Shape{2, 4}));
  EXPECT_EQ(OkShape(Infer(OpType::kMatMul, {V({2, 3, 4}), V({4})})), (Shape{2, 3}));
  EXPECT_EQ(OkShape(Infer(OpType::kMatMul, {V({4}), V({4})})), Shape{});
  EXPECT_EQ(OkShape(Infer(OpType::kMatMul, {V({-1, 7, 4}), V({4, 8}), V({8})})), (Shape{-1, 7, 8}));
  ExpectError(Infer(OpType::kMatMul, {V({2, 3, 4}), V({3, 4, 5})}), "batch");
  ExpectError(Infer(OpType::kMatMul, {V({3, 4}), V({5, 6})}), "inner");
  ExpectError(Infer(OpType::kMatMul, {V({3, 4}), V({4, 6}), V({5})}), "bias");
  ExpectError(Infer(OpType::kMatMul, {V({}), V({4, 6})}), "scalar");
}

TEST(InferPoolTest, ShapesAndErrors) {
  EXPECT_EQ(
      OkShape(Infer(
          OpType::kMaxPool, {V({1, 3, 32, 32})},
          {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})),
      (Shape{1, 3, 16, 16}));
  EXPECT_EQ(
      OkShape(Infer(
          OpType::kAveragePool, {V({1, 1, 5, 5})},
          {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}})),
      (Shape{1, 1, 3, 3}));
  // ceil_mode never starts a window in the end padding: ceil((5 + 2 - 1) / 2) + 1 = 4 -> 3.
  EXPECT_EQ(OkShape(Infer(OpType::kMaxPool, {V({1, 1, 5})},
                          {{"kernel_shape", Ints{1}},
                           {"strides", Ints{2}},
                           {"pads", Ints{0, 2}},
                           {"ceil_mode", int64_t{1}}})),
            (Shape{1, 1, 3}));
  EXPECT_EQ(OkShape(Infer(OpType::kMaxPool, {V({1, 1, 7})},
                          {{"kernel_shape", Ints{3}},
                           {"strides", Ints{2}},
                           {"auto_pad", std::string("SAME_LOWER")}})),
            (Shape{1, 1, 4}));
  EXPECT_EQ(OkShape(Infer(OpType::kGlobalAveragePool, {V({2, 8, 7, 7, 3})})),
            (Shape{2, 8, 1, 1, 1}));
  EXPECT_EQ(OkShape(Infer(OpType::kGlobalMaxPool, {V({-1, 8, -1})})), (Shape{-1, 8, 1}));
  ExpectError(Infer(OpType::kMaxPool, {V({1, 3, 8, 8})}), "kernel_shape");
  Out indices = Infer(OpType::kMaxPool, {V({1, 3, 8, 8})}, {{"kernel_shape", Ints{2, 2}}}, 2);
  ASSERT_TRUE(indices.status.ok()) << indices.status.message();
  EXPECT_EQ(indices.values[1].dtype, DType::kI64);
  EXPECT_EQ(indices.values[1].shape, (Shape{1, 3, 7, 7}));
  Out too_many =
      Infer(OpType::kMaxPool, {V({1, 1, 2, 2, 2, 2})}, {{"kernel_shape", Ints{1, 1, 1, 1}}});
  EXPECT_EQ(too_many.status.code(), StatusCode::kUnsupported);
  ExpectError(Infer(OpType::kGlobalMaxPool, {V({8, 3})}), "rank");
}

TEST(InferShapeOpsTest, Reshape) {
  EXPECT_EQ(OkShape(Infer(OpType::kReshape, {V({2, 3, 4}), C({0, -1})})), (Shape{2, 12}));
  EXPECT_EQ(OkShape(Infer(OpType::kReshape, {V({0, 3}), C({3, 0})}, {{"allowzero", int64_t{1}}})),
            (Shape{3, 0}));
  EXPECT_EQ(OkShape(Infer(OpType::kReshape, {V({-1, 3, 4}), C({0, 12})})), (Shape{-1, 12}));
  EXPECT_EQ(OkShape(Infer(OpType::kReshape, {V({2, 3}), V({3}, DType::kI64)})),
            (Shape{-1, -1, -1}));
  ExpectError(Infer(OpType::kReshape, {V({2, 3}), C({-1, -1})}), "more than one");
  ExpectError(Infer(OpType::kReshape, {V({2, 3}), C({4, -1})}), "cannot reshape");
  ExpectError(Infer(OpType::kReshape, {V({2, 3}), C({7})}), "cannot reshape");
  ExpectError(Infer(OpType::kReshape, {V({2, 3}), C({-2, 3})}), "invalid");
  ExpectError(Infer(OpType::kReshape, {V({-1}), C({int64_t{1} << 40, int64_t{1} << 40})}), "GiB");
  ExpectError(Infer(OpType::kReshape, {V({0, 3}), C({0, -1})}, {{"allowzero", int64_t{1}}}),
              "allowzero");
  ExpectError(Infer(OpType::kReshape, {V({2, 3}), C({2, 3, 0})}), "copies");
}

TEST(InferShapeOpsTest, FlattenTransposeConcat) {
  EXPECT_EQ(OkShape(Infer(OpType::kFlatten, {V({2, 3, 4})}, {{"axis", int64_t{0}}})),
            (Shape{1, 24}));
  EXPECT_EQ(OkShape(Infer(OpType::kFlatten, {V({2, 3, 4})}, {{"axis", int64_t{-2}}})),
            (Shape{2, 12}));
  EXPECT_EQ(OkShape(Infer(OpType::kFlatten, {V({-1, 3, 4})})), (Shape{-1, 12}));
  ExpectError(Infer(OpType::kFlatten, {V({2, 3})}, {{"axis", int64_t{3}}}), "axis");
  EXPECT_EQ(OkShape(Infer(OpType::kTranspose, {V({2, 3, 4})})), (Shape{4, 3, 2}));
  EXPECT_EQ(OkShape(Infer(OpType::kTranspose, {V({2, 3, 4})}, {{"perm", Ints{0, 2, 1}}})),
            (Shape{2, 4, 3}));
  ExpectError(Infer(OpType::kTranspose, {V({2, 3, 4})}, {{"perm", Ints{0, 0, 1}}}), "perm");
  ExpectError(Infer(OpType::kTranspose, {V({2, 3, 4})}, {{"perm", Ints{0, 1}}}), "perm");
  EXPECT_EQ(
      OkShape(Infer(OpType::kConcat, {V({2, 3}), V({2, 5}), V({-1, -1})}, {{"axis", int64_t{-1}}})),
      (Shape{2, -1}));
  ExpectError(Infer(OpType::kConcat, {V({2, 3}), V({3, 3})}, {{"axis", int64_t{1}}}), "differs");
  ExpectError(Infer(OpType::kConcat, {V({2, 3}), V({2})}, {{"axis", int64_t{0}}}), "rank");
  ExpectError(Infer(OpType::kConcat, {V({2, 3})}), "axis");
}

TEST(InferShapeOpsTest, SqueezeUnsqueezeAcrossOpsets) {
  EXPECT_EQ(OkShape(Infer(OpType::kSqueeze, {V({1, 3, 1, 2})})), (Shape{3, 2}));
  EXPECT_EQ(OkShape(Infer(OpType::kSqueeze, {V({1, 3, 1, 2}), C({-2})})), (Shape{1, 3, 2}));
  EXPECT_EQ(OkShape(Infer(OpType::kSqueeze, {V({1, 3, 1, 2})}, {{"axes", Ints{0}}})),
            (Shape{3, 1, 2}));
  ExpectError(Infer(OpType::kSqueeze, {V({1, 3}), C({1})}), "not 1");
  ExpectError(Infer(OpType::kSqueeze, {V({1, 3}), C({2})}), "out of range");
  ExpectError(Infer(OpType::kSqueeze, {V({1, 3}), V({1}, DType::kI64)}), "dynamic");
  EXPECT_EQ(OkShape(Infer(OpType::kUnsqueeze, {V({3, 4}), C({2, 0})})), (Shape{1, 3, 1, 4}));
  EXPECT_EQ(OkShape(Infer(OpType::kUnsqueeze, {V({3, 4})}, {{"axes", Ints{-1}}})),
            (Shape{3, 4, 1}));
  EXPECT_EQ(OkShape(Infer(OpType::kUnsqueeze, {V({}), C({0})})), (Shape{1}));
  ExpectError(Infer(OpType::kUnsqueeze, {V({3}), C({0, -3})}), "repeat");
  ExpectError(Infer(OpType::kUnsqueeze, {V({3}), C({3})}), "out of range");
}

TEST(InferShapeOpsTest, SliceVariants) {
  EXPECT_EQ(
      OkShape(Infer(OpType::kSlice, {V({20, 10, 5}), C({0, 0}), C({3, 10}), C({0, 1}), C({1, 1})})),
      (Shape{3, 10, 5}));
  EXPECT_EQ(OkShape(Infer(OpType::kSlice, {V({20, 10, 5}), C({-1}), C({-1000}), C({-3}), C({-2})})),
            (Shape{10, 10, 5}));
  EXPECT_EQ(OkShape(Infer(OpType::kSlice, {V({20, 10}), C({1000}), C({1000})})), (Shape{0, 10}));
  EXPECT_EQ(OkShape(Infer(OpType::kSlice, {V({20, 10}), V({1}, DType::kI64), C({5}), C({1})})),
            (Shape{20, -1}));
  EXPECT_EQ(OkShape(Infer(OpType::kSlice, {V({20, 10})},
                          {{"starts", Ints{2}}, {"ends", Ints{-2}}, {"axes", Ints{1}}})),
            (Shape{20, 6}));
  ExpectError(Infer(OpType::kSlice, {V({20, 10}), C({0}), C({1}), C({0}), C({0})}), "non-zero");
  ExpectError(Infer(OpType::kSlice, {V({20, 10}), C({0, 0}), C({1})}), "same length");
  ExpectError(Infer(OpType::kSlice, {V({20, 10}), C({0, 0}), C({1, 1}), C({1, -1})}), "repeat");
}

TEST(InferShapeOpsTest, SplitGatherShapeExpand) {
  Out eq = Infer(OpType::kSplit, {V({6, 4})}, {{"axis", int64_t{1}}}, 2);
  ASSERT_TRUE(eq.status.ok()) << eq.status.message();
  EXPECT_EQ(eq.values[1].shape, (Shape{6, 2}));
  Out given = Infer(OpType::kSplit, {V({6, 4}), C({1, 5})}, {}, 2);
  ASSERT_TRUE(given.status.ok());
  EXPECT_EQ(given.values[1].shape, (Shape{5, 4}));
  Out attr = Infer(OpType::kSplit, {V({6, 4})}, {{"split", Ints{2, 4}}}, 2);
  ASSERT_TRUE(attr.status.ok());
  EXPECT_EQ(attr.values[0].shape, (Shape{2, 4}));
  ExpectError(Infer(OpType::kSplit, {V({6, 4}), C({1, 2})}, {}, 2), "sum");
  ExpectError(Infer(OpType::kSplit, {V({6, 4}), C({6})}, {}, 2), "sizes");
  ExpectError(Infer(OpType::kSplit, {V({5, 4})}, {}, 2), "equal");

  EXPECT_EQ(OkShape(Infer(OpType::kGather, {V({5, 4, 3}), V({2, 7}, DType::kI32)},
                          {{"axis", int64_t{-2}}})),
            (Shape{5, 2, 7, 3}));
  EXPECT_EQ(OkShape(Infer(OpType::kGather, {V({5, 4}), V({}, DType::kI64)})), (Shape{4}));
  ExpectError(Infer(OpType::kGather, {V({5, 4}), C({5})}), "out of range");
  ExpectError(Infer(OpType::kGather, {V({5, 4}), V({2})}), "int32 or int64");

  Out shape = Infer(OpType::kShape, {V({2, -1, 4})}, {{"start", int64_t{-2}}});
  ASSERT_TRUE(shape.status.ok());
  EXPECT_EQ(shape.values[0].shape, (Shape{2}));
  EXPECT_EQ(shape.values[0].dtype, DType::kI64);
  EXPECT_EQ(OkShape(Infer(OpType::kShape, {V({2, 3})}, {{"start", int64_t{5}}})), (Shape{0}));

  EXPECT_EQ(OkShape(Infer(OpType::kExpand, {V({3, 1}), C({2, 1, 6})})), (Shape{2, 3, 6}));
  EXPECT_EQ(OkShape(Infer(OpType::kExpand, {V({3, 1}), V({4}, DType::kI64)})),
            (Shape{-1, -1, -1, -1}));
  ExpectError(Infer(OpType::kExpand, {V({3, 2}), C({4})}), "broadcast");
  ExpectError(Infer(OpType::kExpand, {V({1}), C({int64_t{1} << 40, int64_t{1} << 40})}), "GiB");
}

TEST(InferShapeOpsTest, ConstantsAndRange) {
  Out c = Infer(OpType::kConstant, {}, {{"value", Tensor::FromVector<int32_t>({2, 1}, {1, 2})}});
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(c.values[0].dtype, DType::kI32);
  EXPECT_EQ(c.values[0].shape, (Shape{2, 1}));
  EXPECT_EQ(OkShape(Infer(OpType::kConstant, {}, {{"value_ints", Ints{1, 2, 3}}})), (Shape{3}));
  EXPECT_EQ(OkShape(Infer(OpType::kConstant, {}, {{"value_float", 1.f}})), Shape{});
  ExpectError(Infer(OpType::kConstant, {}, {{"value_float", 1.f}, {"value_int", int64_t{1}}}),
              "exactly one");
  Out cos = Infer(OpType::kConstantOfShape, {C({2, 3})},
                  {{"value", Tensor::FromVector<int64_t>({1}, {4})}});
  ASSERT_TRUE(cos.status.ok());
  EXPECT_EQ(cos.values[0].dtype, DType::kI64);
  EXPECT_EQ(cos.values[0].shape, (Shape{2, 3}));
  ExpectError(Infer(OpType::kConstantOfShape, {C({int64_t{1} << 40, int64_t{1} << 40})}), "GiB");
  ExpectError(Infer(OpType::kConstantOfShape, {C({-2})}), "negative");
  In s{DType::kI64, {}, Tensor::FromVector<int64_t>({}, {0}), false};
  In l{DType::kI64, {}, Tensor::FromVector<int64_t>({}, {-10}), false};
  In d{DType::kI64, {}, Tensor::FromVector<int64_t>({}, {-3}), false};
  EXPECT_EQ(OkShape(Infer(OpType::kRange, {s, l, d})), (Shape{4}));
  EXPECT_EQ(OkShape(Infer(OpType::kRange, {s, V({}, DType::kI64), d})), (Shape{-1}));
  In zero{DType::kI64, {}, Tensor::FromVector<int64_t>({}, {0}), false};
  ExpectError(Infer(OpType::kRange, {s, l, zero}), "non-zero");
  ExpectError(Infer(OpType::kRange, {s, l, V({}, DType::kI32)}), "dtype");
}

}  // namespace
}  // namespace sl

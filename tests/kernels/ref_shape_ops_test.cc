// Reference data-movement and constant ops: each run goes through the op's shape inference with
// its shape-like inputs as constants, then the reference kernel on a poisoned output.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <vector>

#include "graph/infer.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::Attrs;
using kerneltest::Ints;
using kerneltest::Iota;
using kerneltest::Values;

// Input i is a graph input unless constant[i] (then it is a constant value).
Result<std::vector<Tensor>> RunOp(OpType op, const Node& attrs_node, const std::vector<Tensor>& in,
                                  std::vector<bool> constant = {}, int num_outputs = 1) {
  return kerneltest::RunInferredRef(
      op, attrs_node, in, {std::move(constant), num_outputs, kerneltest::Poison::kBytes5a});
}

Tensor I64(Ints v) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v); }

TEST(RefShapeOpsTest, ReshapeFlattenSqueezeUnsqueezeCopy) {
  Tensor x = Tensor::FromVector<float>({2, 3, 1}, Iota(6));
  auto r = RunOp(OpType::kReshape, Node{}, {x, I64({0, -1})}, {false, true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values((*r)[0]), Iota(6));
  auto f = RunOp(OpType::kFlatten, Attrs({{"axis", int64_t{-1}}}), {x});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)[0].shape(), (Shape{6, 1}));
  auto s = RunOp(OpType::kSqueeze, Node{}, {x, I64({-1})}, {false, true});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].shape(), (Shape{2, 3}));
  auto u = RunOp(OpType::kUnsqueeze, Node{}, {x, I64({0, -1})}, {false, true});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)[0].shape(), (Shape{1, 2, 3, 1, 1}));
  EXPECT_EQ(Values((*u)[0]), Iota(6));
  Tensor b = Tensor::FromVector<bool>({2}, {true, false});
  auto id = RunOp(OpType::kIdentity, Node{}, {b});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(Values<bool>((*id)[0]), (std::vector<bool>{true, false}));
}

TEST(RefShapeOpsTest, TransposeDefaultAndPerm) {
  Tensor x = Tensor::FromVector<int16_t>({2, 3}, {0, 1, 2, 3, 4, 5});
  auto t = RunOp(OpType::kTranspose, Node{}, {x});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Values<int16_t>((*t)[0]), (std::vector<int16_t>{0, 3, 1, 4, 2, 5}));
  Tensor x3 = Tensor::FromVector<float>({2, 3, 4}, Iota(24));
  auto p = RunOp(OpType::kTranspose, Attrs({{"perm", Ints{1, 2, 0}}}), {x3});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)[0].shape(), (Shape{3, 4, 2}));
  const std::vector<float> got = Values((*p)[0]);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 2; ++k) EXPECT_EQ(got[(i * 4 + j) * 2 + k], k * 12 + i * 4 + j);
}

TEST(RefShapeOpsTest, ConcatAndSplitRoundTrip) {
  Tensor a = Tensor::FromVector<float>({2, 1}, {1, 2});
  Tensor b = Tensor::FromVector<float>({2, 2}, {3, 4, 5, 6});
  Tensor e(DType::kF32, {2, 0});
  auto c = RunOp(OpType::kConcat, Attrs({{"axis", int64_t{-1}}}), {a, e, b});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values((*c)[0]), (std::vector<float>{1, 3, 4, 2, 5, 6}));
  auto s = RunOp(OpType::kSplit, Attrs({{"axis", int64_t{1}}}), {(*c)[0], I64({1, 0, 2})},
                 {false, true}, 3);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(Values((*s)[0]), Values(a));
  EXPECT_EQ((*s)[1].shape(), (Shape{2, 0}));
  EXPECT_EQ(Values((*s)[2]), Values(b));
  Tensor x = Tensor::FromVector<float>({6}, Iota(6));
  auto eq = RunOp(OpType::kSplit, Node{}, {x}, {}, 3);
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ(Values((*eq)[2]), (std::vector<float>{4, 5}));
  EXPECT_FALSE(RunOp(OpType::kSplit, Node{}, {x}, {}, 4).ok());  // 6 does not split in 4
  EXPECT_FALSE(RunOp(OpType::kConcat, Attrs({{"axis", int64_t{0}}}), {a, b}).ok());
}

TEST(RefShapeOpsTest, SliceNegativeStepsAndClamping) {
  Tensor x = Tensor::FromVector<float>({3, 4}, Iota(12));
  // Reverse every other column of rows 1.., ends beyond bounds clamp.
  auto r = RunOp(OpType::kSlice, Node{},
                 {x, I64({1, -1}), I64({1000, std::numeric_limits<int64_t>::min()}), I64({0, 1}),
                  I64({1, -2})},
                 {false, true, true, true, true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values((*r)[0]), (std::vector<float>{7, 5, 11, 9}));
  // Default axes and steps, negative axes, empty result.
  auto d = RunOp(OpType::kSlice, Node{}, {x, I64({0, 1}), I64({-1, 3})}, {false, true, true});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(Values((*d)[0]), (std::vector<float>{1, 2, 5, 6}));
  auto n =
      RunOp(OpType::kSlice, Node{}, {x, I64({2}), I64({1}), I64({-1})}, {false, true, true, true});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)[0].shape(), (Shape{3, 0}));
  // Opset < 10: attributes.
  auto old = RunOp(OpType::kSlice,
                   Attrs({{"starts", Ints{1}}, {"ends", Ints{2}}, {"axes", Ints{0}}}), {x});
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(Values((*old)[0]), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_FALSE(RunOp(OpType::kSlice, Node{}, {x, I64({0}), I64({1}), I64({0}), I64({0})},
                     {false, true, true, true, true})
                   .ok());  // zero step
}

TEST(RefShapeOpsTest, GatherAxesAndNegativeIndices) {
  Tensor x = Tensor::FromVector<float>({3, 2}, Iota(6));
  Tensor idx = Tensor::FromVector<int64_t>({2, 2}, {0, -1, 2, 1});
  auto g0 = RunOp(OpType::kGather, Node{}, {x, idx});
  ASSERT_TRUE(g0.ok()) << g0.status().message();
  EXPECT_EQ((*g0)[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(Values((*g0)[0]), (std::vector<float>{0, 1, 4, 5, 4, 5, 2, 3}));
  Tensor i32 = Tensor::FromVector<int32_t>({}, {-1});
  auto g1 = RunOp(OpType::kGather, Attrs({{"axis", int64_t{1}}}), {x, i32});
  ASSERT_TRUE(g1.ok());
  EXPECT_EQ((*g1)[0].shape(), (Shape{3}));
  EXPECT_EQ(Values((*g1)[0]), (std::vector<float>{1, 3, 5}));
  Tensor bad = Tensor::FromVector<int64_t>({1}, {3});
  auto oob = RunOp(OpType::kGather, Node{}, {x, bad});  // runtime index out of range
  ASSERT_FALSE(oob.ok());
  EXPECT_NE(oob.status().message().find("out of range"), std::string::npos);
  EXPECT_FALSE(RunOp(OpType::kGather, Node{}, {x, bad}, {false, true}).ok());  // caught by infer
}

TEST(RefShapeOpsTest, ExpandShapeAndConstants) {
  Tensor x = Tensor::FromVector<int32_t>({3, 1}, {1, 2, 3});
  auto e = RunOp(OpType::kExpand, Node{}, {x, I64({2, 1, 2})}, {false, true});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(Values<int32_t>((*e)[0]), (std::vector<int32_t>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  Tensor four(DType::kF32, {2, 3, 4, 5});
  auto s = RunOp(OpType::kShape, Attrs({{"start", int64_t{1}}, {"end", int64_t{-1}}}), {four});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Values<int64_t>((*s)[0]), (Ints{3, 4}));
  auto all = RunOp(OpType::kShape, Attrs({{"start", int64_t{-10}}}), {four});
  EXPECT_EQ(Values<int64_t>((*all)[0]), (Ints{2, 3, 4, 5}));

  Node c = Attrs({{"value", Tensor::FromVector<int16_t>({2}, {7, -7})}});
  auto cv = RunOp(OpType::kConstant, c, {});
  ASSERT_TRUE(cv.ok()) << cv.status().message();
  EXPECT_EQ(Values<int16_t>((*cv)[0]), (std::vector<int16_t>{7, -7}));
  auto cf = RunOp(OpType::kConstant, Attrs({{"value_floats", std::vector<float>{1.5f, 2}}}), {});
  ASSERT_TRUE(cf.ok());
  EXPECT_EQ(Values((*cf)[0]), (std::vector<float>{1.5f, 2}));
  auto ci = RunOp(OpType::kConstant, Attrs({{"value_int", int64_t{9}}}), {});
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ((*ci)[0].shape(), Shape{});
  EXPECT_EQ(Values<int64_t>((*ci)[0]), (Ints{9}));
  EXPECT_FALSE(RunOp(OpType::kConstant, Node{}, {}).ok());

  auto zeros = RunOp(OpType::kConstantOfShape, Node{}, {I64({2, 2})}, {true});
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(Values((*zeros)[0]), std::vector<float>(4, 0.f));
  Node ones = Attrs({{"value", Tensor::FromVector<int32_t>({1}, {1})}});
  auto o = RunOp(OpType::kConstantOfShape, ones, {I64({3})}, {true});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Values<int32_t>((*o)[0]), (std::vector<int32_t>{1, 1, 1}));
  auto empty = RunOp(OpType::kConstantOfShape, ones, {I64({0})}, {true});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].numel(), 0);
}

TEST(RefShapeOpsTest, Range) {
  auto f = RunOp(OpType::kRange, Node{},
                 {Tensor::Scalar(1), Tensor::Scalar(5), Tensor::Scalar(1.5f)}, {true, true, true});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(Values((*f)[0]), (std::vector<float>{1, 2.5f, 4}));
  auto i = RunOp(OpType::kRange, Node{},
                 {Tensor::FromVector<int32_t>({}, {10}), Tensor::FromVector<int32_t>({}, {6}),
                  Tensor::FromVector<int32_t>({}, {-3})},
                 {true, true, true});
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(Values<int32_t>((*i)[0]), (std::vector<int32_t>{10, 7}));
  auto none = RunOp(OpType::kRange, Node{},
                    {Tensor::Scalar(5), Tensor::Scalar(1), Tensor::Scalar(1)}, {true, true, true});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0].numel(), 0);
  EXPECT_FALSE(RunOp(OpType::kRange, Node{},
                     {Tensor::Scalar(1), Tensor::Scalar(5), Tensor::Scalar(0)}, {true, true, true})
                   .ok());
}

}  // namespace
}  // namespace sl

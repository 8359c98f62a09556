// Reference pooling: ONNX examples, pads, ceil_mode, auto_pad, dilations, count_include_pad,
// integer MaxPool, global pools and error paths.
#include <gtest/gtest.h>

#include <cmath>
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

Result<Tensor> RunOp(OpType op, Node node, const Tensor& x) {
  node.name = "pool";
  return kerneltest::RunInferredRefOne(op, node, {x});
}

TEST(RefPoolTest, MaxPoolCeilModeAndStrides) {
  Tensor x = Tensor::FromVector<float>({1, 1, 4, 4}, Iota(16, 1));
  Result<Tensor> y = RunOp(
      OpType::kMaxPool,
      Attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}), x);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(Values(*y), (std::vector<float>{11, 12, 15, 16}));
  Result<Tensor> floor =
      RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}}), x);
  ASSERT_TRUE(floor.ok());
  EXPECT_EQ(Values(*floor), (std::vector<float>{11}));
}

TEST(RefPoolTest, MaxPoolPadsDilationsAndSameLower) {
  Tensor x = Tensor::FromVector<float>({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  // Padding never wins, even against negative values.
  Result<Tensor> y =
      RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}), x);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(Values(*y),
            (std::vector<float>{-1, -1, -2, -3, -1, -1, -2, -3, -4, -4, -5, -6, -7, -7, -8, -9}));
  Tensor x4 = Tensor::FromVector<float>({1, 1, 4, 4}, Iota(16, 1));
  Result<Tensor> dil =
      RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}), x4);
  ASSERT_TRUE(dil.ok());
  EXPECT_EQ(Values(*dil), (std::vector<float>{11, 12, 15, 16}));
  Tensor x1 = Tensor::FromVector<float>({1, 1, 4}, {1, 5, 2, 4});
  Result<Tensor> lower =
      RunOp(OpType::kMaxPool,
            Attrs({{"kernel_shape", Ints{2}}, {"auto_pad", std::string("SAME_LOWER")}}), x1);
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(Values(*lower), (std::vector<float>{1, 5, 5, 4}));
  Result<Tensor> upper =
      RunOp(OpType::kMaxPool,
            Attrs({{"kernel_shape", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}}), x1);
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(Values(*upper), (std::vector<float>{5, 5, 4, 4}));
}

TEST(RefPoolTest, MaxPoolIndicesAreFlatInputPositions) {
  // Two planes; ties keep the first maximum, padding never counts.
  Tensor x = Tensor::FromVector<float>({1, 2, 2, 2}, {1, 4, 4, 2, 0, 0, 9, 0});
  Tensor y(DType::kF32, {1, 2, 2, 2});
  Tensor idx(DType::kI64, {1, 2, 2, 2});
  Node node = Attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 0, 0, 1}}});
  node.name = "mp";
  std::vector<TensorView> in = {x.view()}, out = {y.view(), idx.view()};
  ASSERT_TRUE(RefMaxPool(node, in, out).ok());
  EXPECT_EQ(Values(y), (std::vector<float>{4, 4, 4, 4, 0, 0, 9, 0}));
  EXPECT_EQ(Values<int64_t>(idx), (std::vector<int64_t>{1, 1, 1, 1, 4, 5, 6, 5}));
  node.attrs.Set("storage_order", int64_t{1});  // column-major spatial index: h + w * H
  ASSERT_TRUE(RefMaxPool(node, in, out).ok());
  EXPECT_EQ(Values<int64_t>(idx), (std::vector<int64_t>{2, 2, 2, 2, 4, 6, 5, 6}));
}

TEST(RefPoolTest, MaxPoolIntegerTypes) {
  Tensor x = Tensor::FromVector<uint8_t>({1, 1, 2, 2}, {3, 250, 7, 1});
  Result<Tensor> y =
      RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{0, 0, 1, 1}}}), x);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(Values<uint8_t>(*y), (std::vector<uint8_t>{250, 250, 7, 1}));
  Tensor xi = Tensor::FromVector<int8_t>({1, 1, 3}, {-100, -128, -5});
  Result<Tensor> yi = RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{2}}}), xi);
  ASSERT_TRUE(yi.ok());
  EXPECT_EQ(Values<int8_t>(*yi), (std::vector<int8_t>{-100, -5}));
}

TEST(RefPoolTest, AveragePoolCountIncludePad) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Node base = Attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 1, 0, 0}}});
  Result<Tensor> excl = RunOp(OpType::kAveragePool, base, x);
  ASSERT_TRUE(excl.ok()) << excl.status().message();
  EXPECT_EQ(Values(*excl), (std::vector<float>{1, 1.5f, 2, 2.5f}));
  Node incl = base;
  incl.attrs.Set("count_include_pad", int64_t{1});
  Result<Tensor> with_pad = RunOp(OpType::kAveragePool, incl, x);
  ASSERT_TRUE(with_pad.ok());
  EXPECT_EQ(Values(*with_pad), (std::vector<float>{0.25f, 0.75f, 1, 2.5f}));
}

TEST(RefPoolTest, AveragePoolCeilModeCountsOnlyRealTaps) {
  Tensor x = Tensor::FromVector<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  for (int64_t include : {0, 1}) {
    Result<Tensor> y = RunOp(OpType::kAveragePool,
                             Attrs({{"kernel_shape", Ints{2}},
                                    {"strides", Ints{2}},
                                    {"ceil_mode", int64_t{1}},
                                    {"count_include_pad", include}}),
                             x);
    ASSERT_TRUE(y.ok()) << y.status().message();
    // The last window [4, 6) holds only x[4]: the tap past the end never counts.
    EXPECT_EQ(Values(*y), (std::vector<float>{1.5f, 3.5f, 5})) << include;
  }
  Tensor x3 = Tensor::FromVector<float>({1, 1, 2, 2, 2}, Iota(8, 1));
  Result<Tensor> y3 = RunOp(OpType::kAveragePool, Attrs({{"kernel_shape", Ints{2, 2, 2}}}), x3);
  ASSERT_TRUE(y3.ok());
  EXPECT_EQ(Values(*y3), (std::vector<float>{4.5f}));
}

TEST(RefPoolTest, GlobalPools) {
  Tensor x = Tensor::FromVector<float>({1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -8});
  Result<Tensor> avg = RunOp(OpType::kGlobalAveragePool, Node{}, x);
  ASSERT_TRUE(avg.ok()) << avg.status().message();
  EXPECT_EQ(avg->shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(Values(*avg), (std::vector<float>{2.5f, -3.5f}));
  Result<Tensor> mx = RunOp(OpType::kGlobalMaxPool, Node{}, x);
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ(Values(*mx), (std::vector<float>{4, -1}));
}

TEST(RefPoolTest, Errors) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  EXPECT_FALSE(RunOp(OpType::kMaxPool, Node{}, x).ok());  // no kernel_shape
  EXPECT_FALSE(RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{3, 3}}}), x).ok());
  EXPECT_FALSE(
      RunOp(OpType::kAveragePool, Attrs({{"kernel_shape", Ints{1, 1}}, {"strides", Ints{0, 1}}}), x)
          .ok());
  EXPECT_FALSE(RunOp(OpType::kMaxPool, Attrs({{"kernel_shape", Ints{2}}}), x).ok());
  Tensor x2 = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  EXPECT_FALSE(RunOp(OpType::kGlobalAveragePool, Node{}, x2).ok());
  Tensor xi = Tensor::FromVector<int32_t>({1, 1, 2}, {1, 2});
  Result<Tensor> r = RunOp(OpType::kAveragePool, Attrs({{"kernel_shape", Ints{1}}}), xi);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace sl

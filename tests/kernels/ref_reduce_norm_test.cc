// Reference kernels of reductions, Softmax, LayerNormalization and BatchNormalization.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::Floats;
using kerneltest::NanFilled;
using kerneltest::RunRef;

// [[[1,2],[3,4]],[[5,6],[7,8]],[[9,10],[11,12]]]
Tensor Data322() {
  return Tensor::FromVector<float>({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
}

TEST(RefReduceTest, AxesAttributeAndNegativeAxes) {
  Attributes attrs;
  attrs.Set("axes", std::vector<int64_t>{-2});
  std::vector<Tensor> out = {NanFilled({3, 1, 2})};
  ASSERT_TRUE(RunRef(OpType::kReduceMean, {Data322()}, out, attrs).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{2, 3, 6, 7, 10, 11}));
  ASSERT_TRUE(RunRef(OpType::kReduceMax, {Data322()}, out, attrs).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{3, 4, 7, 8, 11, 12}));
  attrs.Set("axes", std::vector<int64_t>{0, 2});
  std::vector<Tensor> out2 = {NanFilled({2})};
  ASSERT_TRUE(RunRef(OpType::kReduceSum, {Data322()}, out2, attrs).ok());
  EXPECT_EQ(Floats(out2[0]), (std::vector<float>{1 + 2 + 5 + 6 + 9 + 10, 3 + 4 + 7 + 8 + 11 + 12}));
}

TEST(RefReduceTest, AxesInputEmptyMeansAllOrNoop) {
  Tensor empty_axes(DType::kI64, {0});
  std::vector<Tensor> out = {NanFilled({1, 1, 1})};
  ASSERT_TRUE(RunRef(OpType::kReduceSum, {Data322(), empty_axes}, out).ok());
  EXPECT_EQ(out[0].data<float>()[0], 78);
  Attributes noop;
  noop.Set("noop_with_empty_axes", int64_t{1});
  std::vector<Tensor> same = {NanFilled({3, 2, 2})};
  ASSERT_TRUE(RunRef(OpType::kReduceSum, {Data322(), empty_axes}, same, noop).ok());
  EXPECT_EQ(Floats(same[0]), Floats(Data322()));
  Tensor axes = Tensor::FromVector<int64_t>({1}, {1});
  std::vector<Tensor> out3 = {NanFilled({3, 2})};
  ASSERT_TRUE(RunRef(OpType::kReduceSum, {Data322(), axes}, out3).ok());
  EXPECT_EQ(Floats(out3[0]), (std::vector<float>{4, 6, 12, 14, 20, 22}));
}

TEST(RefReduceTest, IntegersAndErrors) {
  Tensor x = Tensor::FromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 7});
  Attributes attrs;
  attrs.Set("axes", std::vector<int64_t>{1});
  attrs.Set("keepdims", int64_t{0});
  std::vector<Tensor> out = {Tensor(DType::kI64, {2})};
  ASSERT_TRUE(RunRef(OpType::kReduceSum, {x}, out, attrs).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{6, 16}));
  ASSERT_TRUE(RunRef(OpType::kReduceMean, {x}, out, attrs).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{2, 5}));
  attrs.Set("axes", std::vector<int64_t>{2});
  EXPECT_FALSE(RunRef(OpType::kReduceSum, {x}, out, attrs).ok());
  attrs.Set("axes", std::vector<int64_t>{0});
  EXPECT_FALSE(RunRef(OpType::kReduceSum, {x}, out, attrs).ok());  // output should hold 3
}

TEST(RefSoftmaxTest, AxisAndLegacyFlatten) {
  Tensor x = Tensor::FromVector<float>({2, 2}, {0, std::log(3.f), 1000, 1000});
  std::vector<Tensor> out = {NanFilled({2, 2})};
  ASSERT_TRUE(RunRef(OpType::kSoftmax, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[0], 0.25f, 1e-6);
  EXPECT_NEAR(out[0].data<float>()[1], 0.75f, 1e-6);
  EXPECT_NEAR(out[0].data<float>()[2], 0.5f, 1e-6);
  Attributes axis0;
  axis0.Set("axis", int64_t{0});
  Tensor y = Tensor::FromVector<float>({2, 2}, {0, 1, 0, 1});
  ASSERT_TRUE(RunRef(OpType::kSoftmax, {y}, out, axis0).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
  // Opset < 13: axis 0 flattens everything into one row.
  axis0.Set("_legacy_flatten", int64_t{1});
  ASSERT_TRUE(RunRef(OpType::kSoftmax, {y}, out, axis0).ok());
  float e = std::exp(1.f);
  EXPECT_NEAR(out[0].data<float>()[1], e / (2 + 2 * e), 1e-6);
  axis0.Set("axis", int64_t{2});
  EXPECT_FALSE(RunRef(OpType::kSoftmax, {y}, out, axis0).ok());
}

TEST(RefLayerNormTest, NormalizesTrailingDimsAndWritesStats) {
  Tensor x = Tensor::FromVector<float>({2, 2}, {1, 3, 2, 4});
  Tensor scale = Tensor::FromVector<float>({2}, {1, 2});
  Tensor bias = Tensor::FromVector<float>({2}, {0, 1});
  std::vector<Tensor> out = {NanFilled({2, 2}), NanFilled({2, 1}), NanFilled({2, 1})};
  Attributes attrs;
  attrs.Set("epsilon", 0.f);
  ASSERT_TRUE(RunRef(OpType::kLayerNormalization, {x, scale, bias}, out, attrs).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{-1, 3, -1, 3}));
  EXPECT_EQ(Floats(out[1]), (std::vector<float>{2, 3}));
  EXPECT_EQ(out[2].data<float>()[0], 1);
  // No bias, omitted stats, axis 0 over everything.
  attrs.Set("axis", int64_t{0});
  attrs.Set("epsilon", 1e-5f);
  Tensor scale2 = Tensor::FromVector<float>({2, 2}, {1, 1, 1, 1});
  std::vector<Tensor> out2 = {NanFilled({2, 2})};
  ASSERT_TRUE(RunRef(OpType::kLayerNormalization, {x, scale2}, out2, attrs).ok());
  EXPECT_NEAR(out2[0].data<float>()[0], -1.5f / std::sqrt(1.25f), 1e-4);
  Tensor bad_scale = Tensor::FromVector<float>({3}, {1, 1, 1});
  EXPECT_FALSE(RunRef(OpType::kLayerNormalization, {x, bad_scale}, out2, attrs).ok());
}

TEST(RefBatchNormTest, InferenceAndTrainingMode) {
  Tensor x = Tensor::FromVector<float>({1, 2, 2}, {1, 3, 10, 20});
  Tensor scale = Tensor::FromVector<float>({2}, {1, 2});
  Tensor bias = Tensor::FromVector<float>({2}, {0, 1});
  Tensor mean = Tensor::FromVector<float>({2}, {1, 10});
  Tensor var = Tensor::FromVector<float>({2}, {4, 25});
  Attributes attrs;
  attrs.Set("epsilon", 0.f);
  std::vector<Tensor> out = {NanFilled({1, 2, 2})};
  ASSERT_TRUE(RunRef(OpType::kBatchNormalization, {x, scale, bias, mean, var}, out, attrs).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{0, 1, 1, 5}));
  attrs.Set("training_mode", int64_t{1});
  attrs.Set("momentum", 0.5f);
  std::vector<Tensor> train = {NanFilled({1, 2, 2}), NanFilled({2}), NanFilled({2})};
  ASSERT_TRUE(RunRef(OpType::kBatchNormalization, {x, scale, bias, mean, var}, train, attrs).ok());
  EXPECT_EQ(Floats(train[0]), (std::vector<float>{-1, 1, -1, 3}));
  EXPECT_EQ(Floats(train[1]), (std::vector<float>{1.5f, 12.5f}));
  EXPECT_EQ(Floats(train[2]), (std::vector<float>{2.5f, 25.f}));
  Tensor short_mean = Tensor::FromVector<float>({1}, {0});
  EXPECT_FALSE(RunRef(OpType::kBatchNormalization, {x, scale, bias, short_mean, var}, out).ok());
}

}  // namespace
}  // namespace sl

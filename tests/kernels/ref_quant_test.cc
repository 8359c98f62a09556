// Reference kernels of Cast, QuantizeLinear and DequantizeLinear.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::RunRef;

TEST(RefCastTest, FloatToIntTruncatesTowardZeroAndSaturates) {
  Tensor x = Tensor::FromVector<float>({6}, {1.7f, -1.7f, 300.f, -300.f, std::nanf(""), 0.f});
  std::vector<Tensor> out = {Tensor(DType::kI8, {6})};
  ASSERT_TRUE(RunRef(OpType::kCast, {x}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{1, -1, 127, -128, 0, 0}));
  std::vector<Tensor> out64 = {Tensor(DType::kI64, {6})};
  ASSERT_TRUE(RunRef(OpType::kCast, {x}, out64).ok());
  EXPECT_EQ(out64[0].ToInt64s(), (std::vector<int64_t>{1, -1, 300, -300, 0, 0}));
}

TEST(RefCastTest, BoolAndHalfAndDouble) {
  Tensor x = Tensor::FromVector<float>({4}, {0.f, -0.5f, 2.f, std::nanf("")});
  std::vector<Tensor> b = {Tensor(DType::kBool, {4})};
  ASSERT_TRUE(RunRef(OpType::kCast, {x}, b).ok());
  EXPECT_EQ(b[0].ToInt64s(), (std::vector<int64_t>{0, 1, 1, 1}));
  std::vector<Tensor> back = {Tensor(DType::kF32, {4})};
  ASSERT_TRUE(RunRef(OpType::kCast, {b[0]}, back).ok());
  EXPECT_EQ(back[0].ToDoubles(), (std::vector<double>{0, 1, 1, 1}));

  std::vector<Tensor> h = {Tensor(DType::kF16, {4})};
  ASSERT_TRUE(RunRef(OpType::kCast, {x}, h).ok());
  EXPECT_EQ(h[0].ToDoubles()[1], -0.5);
  std::vector<Tensor> d = {Tensor(DType::kF64, {4})};
  ASSERT_TRUE(RunRef(OpType::kCast, {h[0]}, d).ok());
  EXPECT_EQ(d[0].data<double>()[2], 2.0);
  EXPECT_TRUE(std::isnan(d[0].data<double>()[3]));

  Tensor i = Tensor::FromVector<int64_t>({2}, {257, -1});
  std::vector<Tensor> u8 = {Tensor(DType::kU8, {2})};
  ASSERT_TRUE(RunRef(OpType::kCast, {i}, u8).ok());
  EXPECT_EQ(u8[0].ToInt64s(), (std::vector<int64_t>{1, 255}));
}

TEST(RefCastTest, ShapeMismatchIsAnError) {
  Tensor x = Tensor::FromVector<float>({2}, {1, 2});
  std::vector<Tensor> out = {Tensor(DType::kI32, {3})};
  EXPECT_FALSE(RunRef(OpType::kCast, {x}, out).ok());
}

TEST(RefQuantTest, QuantizeRoundsHalfToEvenAndSaturates) {
  Tensor x = Tensor::FromVector<float>({6}, {0.f, 1.f, 3.f, 5.f, 1000.f, -1000.f});
  Tensor scale = Tensor::Scalar(2.f);
  Tensor zp = Tensor::FromVector<uint8_t>({}, {128});
  std::vector<Tensor> out = {Tensor(DType::kU8, {6})};
  ASSERT_TRUE(RunRef(OpType::kQuantizeLinear, {x, scale, zp}, out).ok());
  // 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{128, 128, 130, 130, 255, 0}));
  // No zero point: uint8 with zero point 0.
  ASSERT_TRUE(RunRef(OpType::kQuantizeLinear, {x, scale}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{0, 0, 2, 2, 255, 0}));
  Tensor zp8 = Tensor::FromVector<int8_t>({}, {-1});
  std::vector<Tensor> out8 = {Tensor(DType::kI8, {6})};
  ASSERT_TRUE(RunRef(OpType::kQuantizeLinear, {x, scale, zp8}, out8).ok());
  EXPECT_EQ(out8[0].ToInt64s(), (std::vector<int64_t>{-1, -1, 1, 1, 127, -128}));
}

TEST(RefQuantTest, PerAxisQuantizeAndDequantize) {
  Tensor x = Tensor::FromVector<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor scale = Tensor::FromVector<float>({2}, {1, 2});
  Tensor zp = Tensor::FromVector<int8_t>({2}, {0, 10});
  std::vector<Tensor> q = {Tensor(DType::kI8, {2, 2, 2})};
  ASSERT_TRUE(RunRef(OpType::kQuantizeLinear, {x, scale, zp}, q).ok());
  EXPECT_EQ(q[0].ToInt64s(), (std::vector<int64_t>{1, 2, 12, 12, 5, 6, 14, 14}));
  std::vector<Tensor> dq = {Tensor(DType::kF32, {2, 2, 2})};
  ASSERT_TRUE(RunRef(OpType::kDequantizeLinear, {q[0], scale, zp}, dq).ok());
  EXPECT_EQ(dq[0].ToDoubles(), (std::vector<double>{1, 2, 4, 4, 5, 6, 8, 8}));
  // Axis -1 (= 2) with per-axis scale.
  Attributes last;
  last.Set("axis", int64_t{-1});
  ASSERT_TRUE(RunRef(OpType::kDequantizeLinear, {q[0], scale, zp}, dq, last).ok());
  EXPECT_EQ(dq[0].ToDoubles(), (std::vector<double>{1, -16, 12, 4, 5, -8, 14, 8}));
  Tensor bad = Tensor::FromVector<float>({3}, {1, 1, 1});
  EXPECT_FALSE(RunRef(OpType::kDequantizeLinear, {q[0], bad}, dq).ok());
}

TEST(RefQuantTest, DequantizeInt32WithoutZeroPoint) {
  Tensor x = Tensor::FromVector<int32_t>({3}, {-4, 0, 100});
  std::vector<Tensor> out = {Tensor(DType::kF32, {3})};
  ASSERT_TRUE(RunRef(OpType::kDequantizeLinear, {x, Tensor::Scalar(0.5f)}, out).ok());
  EXPECT_EQ(out[0].ToDoubles(), (std::vector<double>{-2, 0, 50}));
}

}  // namespace
}  // namespace sl

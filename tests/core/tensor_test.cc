#include "core/tensor.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(TensorTest, ShapeChecksRejectAbsurdSizes) {
  EXPECT_TRUE(CheckShape(Shape{2, 3}, DType::kF32, "x").ok());
  Status s = CheckShape(Shape{1 << 20, 1 << 20, 1 << 20}, DType::kF32, "w");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("w"), std::string::npos);
  EXPECT_FALSE(CheckShape(Shape{-2, 3}, DType::kF32, "x").ok());
}

TEST(TensorTest, HalfRoundTrip) {
  for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(f)), f) << f;
  }
}

TEST(TensorTest, FromVectorAndConvert) {
  Tensor t = Tensor::FromVector<int64_t>({3}, {1, -2, 3});
  EXPECT_EQ(t.ToDoubles()[1], -2.0);
  EXPECT_EQ(t.Reshaped({1, 3}).shape()[1], 3);
}

}  // namespace
}  // namespace sl

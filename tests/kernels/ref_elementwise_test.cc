// Reference kernels of the broadcasting and unary elementwise ops, on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::Floats;
using kerneltest::NanFilled;
using kerneltest::RunRef;

TEST(RefElementwiseTest, AddBroadcastsOneDimsAndScalars) {
  Tensor a = Tensor::FromVector<float>({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::FromVector<float>({2, 1}, {10, 20});
  std::vector<Tensor> out = {NanFilled({2, 2, 3})};
  ASSERT_TRUE(RunRef(OpType::kAdd, {a, b}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26}));

  std::vector<Tensor> out2 = {NanFilled({2, 1, 3})};
  ASSERT_TRUE(RunRef(OpType::kMul, {a, Tensor::Scalar(2.f)}, out2).ok());
  EXPECT_EQ(Floats(out2[0]), (std::vector<float>{2, 4, 6, 8, 10, 12}));
}

TEST(RefElementwiseTest, SubDivFloat) {
  Tensor a = Tensor::FromVector<float>({3}, {1, 2, 3});
  Tensor b = Tensor::FromVector<float>({3}, {4, 4, 0});
  std::vector<Tensor> out = {NanFilled({3})};
  ASSERT_TRUE(RunRef(OpType::kSub, {a, b}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{-3, -2, 3}));
  ASSERT_TRUE(RunRef(OpType::kDiv, {a, b}, out).ok());
  EXPECT_FLOAT_EQ(out[0].data<float>()[0], 0.25f);
  EXPECT_TRUE(std::isinf(out[0].data<float>()[2]));
}

TEST(RefElementwiseTest, IntegerArithmeticTruncatesAndWraps) {
  Tensor a = Tensor::FromVector<int64_t>({4}, {7, -7, std::numeric_limits<int64_t>::max(), 9});
  Tensor b = Tensor::FromVector<int64_t>({4}, {2, 2, 1, -1});
  std::vector<Tensor> out = {Tensor(DType::kI64, {4})};
  ASSERT_TRUE(RunRef(OpType::kDiv, {a, b}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(),
            (std::vector<int64_t>{3, -3, std::numeric_limits<int64_t>::max(), -9}));
  ASSERT_TRUE(RunRef(OpType::kAdd, {a, b}, out).ok());
  EXPECT_EQ(out[0].data<int64_t>()[2], std::numeric_limits<int64_t>::min());

  Tensor u = Tensor::FromVector<uint8_t>({2}, {250, 3});
  Tensor v = Tensor::FromVector<uint8_t>({2}, {10, 5});
  std::vector<Tensor> out8 = {Tensor(DType::kU8, {2})};
  ASSERT_TRUE(RunRef(OpType::kAdd, {u, v}, out8).ok());
  EXPECT_EQ(out8[0].ToInt64s(), (std::vector<int64_t>{4, 8}));
  ASSERT_TRUE(RunRef(OpType::kSub, {u, v}, out8).ok());
  EXPECT_EQ(out8[0].ToInt64s(), (std::vector<int64_t>{240, 254}));
}

TEST(RefElementwiseTest, IntegerDivisionByZeroIsAnError) {
  Tensor a = Tensor::FromVector<int32_t>({2}, {1, 2});
  Tensor b = Tensor::FromVector<int32_t>({2}, {1, 0});
  std::vector<Tensor> out = {Tensor(DType::kI32, {2})};
  Status s = RunRef(OpType::kDiv, {a, b}, out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'n'"), std::string::npos) << s.message();
}

TEST(RefElementwiseTest, MismatchedShapesAreRejected) {
  Tensor a = Tensor::FromVector<float>({3}, {1, 2, 3});
  Tensor b = Tensor::FromVector<float>({2}, {1, 2});
  std::vector<Tensor> out = {NanFilled({3})};
  EXPECT_FALSE(RunRef(OpType::kAdd, {a, b}, out).ok());
  Tensor i = Tensor::FromVector<int32_t>({3}, {1, 2, 3});
  EXPECT_FALSE(RunRef(OpType::kAdd, {a, i}, out).ok());
}

TEST(RefElementwiseTest, EmptyTensors) {
  Tensor a(DType::kF32, {0, 3});
  Tensor b = Tensor::FromVector<float>({3}, {1, 2, 3});
  std::vector<Tensor> out = {Tensor(DType::kF32, {0, 3})};
  EXPECT_TRUE(RunRef(OpType::kAdd, {a, b}, out).ok());
  std::vector<Tensor> bools = {Tensor(DType::kBool, {0, 3})};
  EXPECT_TRUE(RunRef(OpType::kLess, {a, b}, bools).ok());
}

TEST(RefElementwiseTest, ComparisonsGiveBool) {
  Tensor a = Tensor::FromVector<int64_t>({2, 2}, {1, 5, 3, 3});
  Tensor b = Tensor::FromVector<int64_t>({2}, {3, 3});
  std::vector<Tensor> out = {Tensor(DType::kBool, {2, 2})};
  ASSERT_TRUE(RunRef(OpType::kEqual, {a, b}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{0, 0, 1, 1}));
  ASSERT_TRUE(RunRef(OpType::kLess, {a, b}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{1, 0, 0, 0}));
  ASSERT_TRUE(RunRef(OpType::kGreater, {a, b}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{0, 1, 0, 0}));
}

TEST(RefElementwiseTest, VariadicMaxMinWithNan) {
  Tensor a = Tensor::FromVector<float>({3}, {1, 5, std::nanf("")});
  Tensor b = Tensor::FromVector<float>({1}, {2});
  Tensor c = Tensor::FromVector<float>({3}, {0, 9, 1});
  std::vector<Tensor> out = {NanFilled({3})};
  ASSERT_TRUE(RunRef(OpType::kMax, {a, b, c}, out).ok());
  EXPECT_EQ(out[0].data<float>()[0], 2);
  EXPECT_EQ(out[0].data<float>()[1], 9);
  EXPECT_TRUE(std::isnan(out[0].data<float>()[2]));
  ASSERT_TRUE(RunRef(OpType::kMin, {a}, out).ok());
  EXPECT_EQ(out[0].data<float>()[1], 5);
  Tensor i = Tensor::FromVector<int32_t>({2}, {-4, 7});
  Tensor j = Tensor::FromVector<int32_t>({2}, {3, 1});
  std::vector<Tensor> iout = {Tensor(DType::kI32, {2})};
  ASSERT_TRUE(RunRef(OpType::kMin, {i, j}, iout).ok());
  EXPECT_EQ(iout[0].ToInt64s(), (std::vector<int64_t>{-4, 1}));
}

TEST(RefElementwiseTest, PowMixedTypes) {
  Tensor base = Tensor::FromVector<float>({3}, {2, 4, -2});
  Tensor e = Tensor::FromVector<int64_t>({3}, {3, 0, 2});
  std::vector<Tensor> out = {NanFilled({3})};
  ASSERT_TRUE(RunRef(OpType::kPow, {base, e}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{8, 1, 4}));
  Tensor ib = Tensor::FromVector<int32_t>({3}, {2, 3, 5});
  Tensor fe = Tensor::FromVector<float>({3}, {0.5f, 2, -1});
  std::vector<Tensor> iout = {Tensor(DType::kI32, {3})};
  ASSERT_TRUE(RunRef(OpType::kPow, {ib, fe}, iout).ok());
  EXPECT_EQ(iout[0].ToInt64s(), (std::vector<int64_t>{1, 9, 0}));
}

TEST(RefElementwiseTest, WhereBroadcastsAllThree) {
  Tensor c = Tensor::FromVector<bool>({2, 1}, {true, false});
  Tensor x = Tensor::FromVector<int64_t>({2}, {1, 2});
  Tensor y = Tensor::FromVector<int64_t>({}, {9});
  std::vector<Tensor> out = {Tensor(DType::kI64, {2, 2})};
  ASSERT_TRUE(RunRef(OpType::kWhere, {c, x, y}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{1, 2, 9, 9}));
}

TEST(RefElementwiseTest, UnaryMath) {
  Tensor x = Tensor::FromVector<float>({4}, {-2, -0.5f, 0, 3});
  std::vector<Tensor> out = {NanFilled({4})};
  ASSERT_TRUE(RunRef(OpType::kRelu, {x}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{0, 0, 0, 3}));
  ASSERT_TRUE(RunRef(OpType::kAbs, {x}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{2, 0.5f, 0, 3}));
  ASSERT_TRUE(RunRef(OpType::kNeg, {x}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{2, 0.5f, -0.f, -3}));
  Attributes leaky;
  leaky.Set("alpha", 0.5f);
  ASSERT_TRUE(RunRef(OpType::kLeakyRelu, {x}, out, leaky).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{-1, -0.25f, 0, 3}));
  ASSERT_TRUE(RunRef(OpType::kHardSigmoid, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[0], 0.1f, 1e-6);
  EXPECT_NEAR(out[0].data<float>()[3], 1.0f, 1e-6);
  ASSERT_TRUE(RunRef(OpType::kHardSwish, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[0], -2 * (-2.f / 6 + 0.5f), 1e-6);
  EXPECT_NEAR(out[0].data<float>()[3], 3.0f, 1e-6);
  ASSERT_TRUE(RunRef(OpType::kSigmoid, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[2], 0.5f, 1e-7);
  EXPECT_NEAR(out[0].data<float>()[0], 1 / (1 + std::exp(2.f)), 1e-7);
  ASSERT_TRUE(RunRef(OpType::kTanh, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[3], std::tanh(3.f), 1e-7);
  ASSERT_TRUE(RunRef(OpType::kErf, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[1], std::erf(-0.5f), 1e-7);
  ASSERT_TRUE(RunRef(OpType::kExp, {x}, out).ok());
  EXPECT_NEAR(out[0].data<float>()[3], std::exp(3.f), 1e-4);
  {
    // Gelu at +-1 (x * Phi(x)), far in the left tail (relative precision kept), and +-inf.
    const float inf = std::numeric_limits<float>::infinity();
    Tensor g = Tensor::FromVector<float>({6}, {1.f, -1.f, -8.f, 0.f, inf, -inf});
    std::vector<Tensor> gy = {Tensor(DType::kF32, {6})};
    ASSERT_TRUE(RunRef(OpType::kGelu, {g}, gy).ok());
    const float* v = gy[0].data<float>();
    EXPECT_NEAR(v[0], 0.8413447460685429, 1e-7);
    EXPECT_NEAR(v[1], -0.15865525393145707, 1e-7);
    EXPECT_NEAR(v[2] / -4.9767685e-15f, 1.0, 1e-5);  // -8 * Phi(-8)
    EXPECT_EQ(v[3], 0.f);
    EXPECT_EQ(v[4], inf);
    EXPECT_EQ(v[5], 0.f);
    EXPECT_TRUE(std::signbit(v[5]));
    Attributes tanh_form;
    tanh_form.Set("approximate", std::string("tanh"));
    ASSERT_TRUE(RunRef(OpType::kGelu, {g}, gy, tanh_form).ok());
    EXPECT_NEAR(v[0], 0.8411919906082768, 1e-7);
    EXPECT_EQ(v[4], inf);
    EXPECT_EQ(v[5], 0.f);
  }
  Tensor pos = Tensor::FromVector<float>({4}, {4, 1, 0, 2});
  ASSERT_TRUE(RunRef(OpType::kSqrt, {pos}, out).ok());
  EXPECT_EQ(out[0].data<float>()[0], 2);
  ASSERT_TRUE(RunRef(OpType::kLog, {pos}, out).ok());
  EXPECT_EQ(out[0].data<float>()[1], 0);
  EXPECT_TRUE(std::isinf(out[0].data<float>()[2]));
}

TEST(RefElementwiseTest, SigmoidIsStableForLargeInputs) {
  Tensor x = Tensor::FromVector<float>({2}, {-1000, 1000});
  std::vector<Tensor> out = {NanFilled({2})};
  ASSERT_TRUE(RunRef(OpType::kSigmoid, {x}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{0, 1}));
}

TEST(RefElementwiseTest, UnaryIntegersAndUnsupportedDTypes) {
  Tensor x = Tensor::FromVector<int64_t>({3}, {-3, 0, 4});
  std::vector<Tensor> out = {Tensor(DType::kI64, {3})};
  ASSERT_TRUE(RunRef(OpType::kAbs, {x}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{3, 0, 4}));
  ASSERT_TRUE(RunRef(OpType::kNeg, {x}, out).ok());
  EXPECT_EQ(out[0].ToInt64s(), (std::vector<int64_t>{3, 0, -4}));
  Status s = RunRef(OpType::kSqrt, {x}, out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("Sqrt"), std::string::npos) << s.message();
}

TEST(RefElementwiseTest, ClipFromInputsOrAttributes) {
  Tensor x = Tensor::FromVector<float>({4}, {-3, -1, 1, 3});
  std::vector<Tensor> out = {NanFilled({4})};
  ASSERT_TRUE(RunRef(OpType::kClip, {x, Tensor::Scalar(-2), Tensor::Scalar(2)}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{-2, -1, 1, 2}));
  ASSERT_TRUE(RunRef(OpType::kClip, {x, Tensor(), Tensor::Scalar(0)}, out).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{-3, -1, 0, 0}));
  Attributes old;
  old.Set("min", 0.f);
  ASSERT_TRUE(RunRef(OpType::kClip, {x}, out, old).ok());
  EXPECT_EQ(Floats(out[0]), (std::vector<float>{0, 0, 1, 3}));
  Tensor i8 = Tensor::FromVector<int8_t>({3}, {-128, 0, 127});
  std::vector<Tensor> iout = {Tensor(DType::kI8, {3})};
  ASSERT_TRUE(RunRef(OpType::kClip, {i8, Tensor::FromVector<int8_t>({}, {-5})}, iout).ok());
  EXPECT_EQ(iout[0].ToInt64s(), (std::vector<int64_t>{-5, 0, 127}));
  Tensor bad = Tensor::FromVector<float>({2}, {0, 1});
  EXPECT_FALSE(RunRef(OpType::kClip, {x, bad}, out).ok());
}

TEST(RefElementwiseTest, RandomBroadcastMatchesDirectIndexing) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1, 1);
  Tensor a(DType::kF32, {3, 1, 5});
  Tensor b(DType::kF32, {4, 1});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = dist(rng);
  for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = dist(rng);
  std::vector<Tensor> out = {NanFilled({3, 4, 5})};
  ASSERT_TRUE(RunRef(OpType::kSub, {a, b}, out).ok());
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 5; ++k)
        EXPECT_EQ(out[0].data<float>()[(i * 4 + j) * 5 + k],
                  a.data<float>()[i * 5 + k] - b.data<float>()[j]);
}

}  // namespace
}  // namespace sl

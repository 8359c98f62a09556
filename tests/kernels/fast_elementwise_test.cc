// Fast CPU binary and unary elementwise kernels against the reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fast_test_util.h"
#include "kernels/ref/activation_util.h"

namespace sl {
namespace {

using fasttest::CheckAgainstRef;
using fasttest::ExpectClose;
using fasttest::InputSpec;
using fasttest::OneNode;

struct BroadcastCase {
  Shape a, b;
};

const BroadcastCase kBroadcastCases[] = {
    {{2, 3, 5, 7}, {2, 3, 5, 7}},      // same shape
    {{2, 3, 5, 7}, {}},                // scalar b
    {{1}, {4, 9}},                     // scalar a
    {{2, 3, 5, 7}, {1, 3, 1, 1}},      // per channel
    {{1, 3, 1, 1}, {2, 3, 5, 7}},      // per channel, swapped
    {{2, 5, 7}, {7}},                  // last dim
    {{2, 5, 7}, {2, 5, 1}},            // per row
    {{3, 1, 7}, {1, 5, 7}},            // both broadcast
    {{4, 1}, {1, 5}},                  // outer product
    {{2, 12, 9, 9}, {2, 1, 1, 9}},     // attention-mask style
    {{1, 1, 3}, {1, 1, 3}},            // 1-sized dims
    {{2, 0, 3}, {3}},                  // empty
    {{2, 64, 33, 33}, {1, 64, 1, 1}},  // large: threads
    {{3, 70001}, {3, 70001}},          // large, long rows with a tail
    {{70001, 3}, {3}},                 // many short rows
};

TEST(FastBinary, MatchesReferenceOnAllBroadcastPatterns) {
  uint32_t seed = 1;
  for (OpType op : {OpType::kAdd, OpType::kSub, OpType::kMul, OpType::kDiv}) {
    for (const BroadcastCase& c : kBroadcastCases) {
      OneNode t(op, {{c.a}, {c.b}}, {}, 1, seed++);
      CheckAgainstRef(t, std::string(OpTypeName(op)) + " " + ShapeToString(c.a) + " " +
                             ShapeToString(c.b) + " seed " + std::to_string(seed));
    }
  }
}

TEST(FastBinary, FusedActivation) {
  uint32_t seed = 100;
  for (const char* act : {"Relu", "Clip"}) {
    for (const BroadcastCase& c : kBroadcastCases) {
      Attributes attrs;
      attrs.Set("_act", std::string(act));
      if (std::string(act) == "Clip") {
        attrs.Set("_act_min", -0.5f);
        attrs.Set("_act_max", 1.5f);
      }
      OneNode t(OpType::kAdd, {{c.a}, {c.b}}, attrs, 1, seed++);
      ASSERT_TRUE(t.infer_status().ok());
      auto k = CreateCpuKernel(t.request());
      ASSERT_TRUE(k.ok()) << k.status().message();
      Tensor want = t.Run(nullptr, 1)[0];  // RefAdd leaves _act to the executor
      auto fused = FusedActivation::FromNode(t.node());
      ASSERT_TRUE(fused.ok());
      for (int64_t i = 0; i < want.numel(); ++i)
        want.data<float>()[i] = fused->Apply(want.data<float>()[i]);
      for (int threads : {1, 2})
        ExpectClose(t.Run(k->get(), threads)[0], want, std::string(act) + ShapeToString(c.a));
    }
  }
}

TEST(FastBinary, UnknownActivationAndOtherDTypesAreUnsupported) {
  Attributes attrs;
  attrs.Set("_act", std::string("Gelu"));
  OneNode bad_act(OpType::kAdd, {{{4}}, {{4}}}, attrs);
  EXPECT_EQ(CreateCpuKernel(bad_act.request()).status().code(), StatusCode::kUnsupported);
  OneNode ints(OpType::kAdd, {{{4}, DType::kI64}, {{4}, DType::kI64}}, {});
  EXPECT_EQ(CreateCpuKernel(ints.request()).status().code(), StatusCode::kUnsupported);
}

TEST(FastBinary, RejectsViewsThatDifferFromThePreparedShapes) {
  OneNode t(OpType::kMul, {{{4, 5}}, {{5}}}, {});
  auto k = CreateCpuKernel(t.request());
  ASSERT_TRUE(k.ok());
  Tensor a(DType::kF32, {4, 4}), b(DType::kF32, {5}), y(DType::kF32, {4, 5});
  const TensorView in[] = {a.view(), b.view()};
  const TensorView out[] = {y.view()};
  EXPECT_FALSE((*k)->Execute(in, out, ExecContext{}).ok());
  EXPECT_FALSE((*k)->Execute({in, 1}, out, ExecContext{}).ok());
}

const OpType kUnaryOps[] = {OpType::kRelu, OpType::kLeakyRelu,   OpType::kSigmoid,   OpType::kTanh,
                            OpType::kErf,  OpType::kSqrt,        OpType::kExp,       OpType::kNeg,
                            OpType::kAbs,  OpType::kHardSigmoid, OpType::kHardSwish, OpType::kClip,
                            OpType::kGelu};

TEST(FastUnary, MatchesReferenceOnRandomData) {
  uint32_t seed = 200;
  for (OpType op : kUnaryOps) {
    for (const Shape& shape : {Shape{3, 1000}, Shape{17}, Shape{}, Shape{2, 0}, Shape{5, 40013}}) {
      Attributes attrs;
      if (op == OpType::kLeakyRelu) attrs.Set("alpha", 0.3f);
      if (op == OpType::kHardSigmoid) {
        attrs.Set("alpha", 0.25f);
        attrs.Set("beta", 0.4f);
      }
      if (op == OpType::kClip) {
        attrs.Set("min", -1.f);
        attrs.Set("max", 2.f);
      }
      const float lo = op == OpType::kSqrt ? 0.f : -12.f;
      OneNode t(op, {{shape}}, attrs, 1, seed++, lo, 12.f);
      CheckAgainstRef(
          t, std::string(OpTypeName(op)) + ShapeToString(shape) + " seed " + std::to_string(seed),
          1e-6f, 1e-5f);
    }
  }
}

TEST(FastUnary, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<double> values = {0.0,    -0.0,   1e-30, -1e-30, 1e-4,  -1e-4, 0.1249, 0.1251,
                                      0.4999, 0.5001, 1.0,   -1.0,   5.0,   -5.0,  20.0,   -20.0,
                                      80.0,   -80.0,  88.5,  88.8,   -87.0, -87.5, -100.0, 100.0,
                                      inf,    -inf,   NAN,   3e38,   -3e38, 1e-40, -1e-40};
  for (OpType op : kUnaryOps) {
    if (op == OpType::kSqrt) continue;  // negative inputs: both NaN, checked by random data
    OneNode t(op, {{{static_cast<int64_t>(values.size())}, DType::kF32, false, values}}, {});
    CheckAgainstRef(t, std::string(OpTypeName(op)) + " special values", 1e-6f, 1e-5f);
  }
}

// Gelu's erf form: tails of every length and special values against the reference.
TEST(FastUnary, GeluMatchesReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<double> special = {0.0,   -0.0, 1e-30, -1e-30, 0.5,   -0.5,  3.0,   -3.0,
                                       -6.0,  -9.0, -13.0, -14.0,  13.0,  20.0,  -40.0, 3e38,
                                       -3e38, inf,  -inf,  NAN,    1e-40, -1e-40};
  uint32_t seed = 400;
  for (int64_t n : {1, 15, 16, 17, 31, 33, 12544}) {
    OneNode t(OpType::kGelu, {{{n}}}, {}, 1, seed++, -12.f, 12.f);
    CheckAgainstRef(t, "Gelu n " + std::to_string(n), 1e-6f, 1e-5f);
  }
  OneNode sv(OpType::kGelu, {{{static_cast<int64_t>(special.size())}, DType::kF32, false, special}},
             {});
  CheckAgainstRef(sv, "Gelu special values", 1e-6f, 1e-5f);
}

TEST(FastUnary, GeluTanhForm) {
  Attributes attrs;
  attrs.Set("approximate", std::string("tanh"));
  uint32_t seed = 300;
  for (const Shape& shape : {Shape{3, 1000}, Shape{17}, Shape{5, 4001}}) {
    OneNode t(OpType::kGelu, {{shape}}, attrs, 1, seed++, -12.f, 12.f);
    CheckAgainstRef(t, "Gelu tanh" + ShapeToString(shape), 1e-6f, 1e-5f);
  }
  const float inf = std::numeric_limits<float>::infinity();
  OneNode special(
      OpType::kGelu,
      {{{9}, DType::kF32, false, {0.0, -0.0, 1e-30, -3.0, 3.0, 40.0, -40.0, inf, -inf}}}, attrs);
  CheckAgainstRef(special, "Gelu tanh special values", 1e-6f, 1e-5f);
}

TEST(FastUnary, ClipBoundsFromInputs) {
  for (const auto& bounds : {std::pair<double, double>{-0.5, 0.75}, {1.0, -1.0}}) {
    OneNode t(OpType::kClip,
              {{{1000}},
               {{}, DType::kF32, false, {bounds.first}},
               {{}, DType::kF32, false, {bounds.second}}},
              {});
    CheckAgainstRef(t, "Clip with bound inputs");
  }
  OneNode only_max(OpType::kClip, {{{1000}}, {{}, DType::kF32, false, {0.5}}}, {});
  CheckAgainstRef(only_max, "Clip with min only");
}

}  // namespace
}  // namespace sl

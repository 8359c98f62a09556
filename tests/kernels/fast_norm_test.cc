// Fast CPU Softmax and LayerNormalization against the reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fast_test_util.h"
#include "kernels/dense/cpu_features.h"

namespace sl {
namespace {

using fasttest::CheckAgainstRef;
using fasttest::InputSpec;
using fasttest::OneNode;

TEST(FastSoftmax, MatchesReferenceOnEveryAxis) {
  struct Case {
    Shape shape;
    int64_t axis;
    bool legacy;
  };
  const Case cases[] = {
      {{2, 3, 17}, -1, false},
      {{2, 3, 17}, 1, false},
      {{2, 3, 17}, 0, false},
      {{4, 130, 70}, 1, false},
      {{1, 12, 64, 128}, -1, false},
      {{3, 1}, -1, false},
      {{5}, 0, false},
      {{0, 5}, -1, false},
      {{2, 3, 4}, 1, true},
      {{2, 3, 4}, 0, true},
      {{7, 33}, 0, false},
      {{2, 200, 300}, 1, false},
      // Short rows (at most 64 entries: the padded path), attention-sized and at the bounds.
      {{1, 4, 49, 49}, -1, false},
      {{3, 64}, -1, false},
      {{3, 65}, -1, false},
      {{2, 16}, -1, false},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    Attributes attrs;
    attrs.Set("axis", c.axis);
    if (c.legacy) attrs.Set("_legacy_flatten", int64_t{1});
    OneNode t(OpType::kSoftmax, {{c.shape}}, attrs, 1, seed++, -30.f, 30.f);
    CheckAgainstRef(t, "Softmax " + ShapeToString(c.shape) + " axis " + std::to_string(c.axis),
                    1e-7f, 1e-5f);
  }
}

// Rows of at most 64 entries run the AVX-512 kernel where the CPU has it, else the portable one:
// both against the reference, with special values, at every level this CPU supports.
TEST(FastSoftmax, ShortRowsMatchReferenceAtEveryLevel) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<double> special = {1, 2, 3, 4, -inf, 0, 1, -inf, -inf, -inf, -inf, -inf,
                                       1, NAN, 2, 3, inf, 1, 2, 3, -1e30, 0, 1e30, 5, 7};
  for (dense::SimdLevel level :
       {dense::SimdLevel::kScalar, dense::SimdLevel::kAvx2, dense::SimdLevel::kAvx512}) {
    if (level > dense::DetectSimdLevel()) continue;
    dense::ForceSimdLevelForTesting(level);
    const std::string at = std::string(" at ") + std::string(dense::SimdLevelName(level));
    uint32_t seed = 50;
    for (const Shape& shape : {Shape{1, 4, 49, 49}, Shape{3, 64}, Shape{5, 17}, Shape{1, 1},
                               Shape{3, 16}, Shape{7, 33}, Shape{2, 48}}) {
      Attributes attrs;
      attrs.Set("axis", int64_t{-1});
      OneNode t(OpType::kSoftmax, {{shape}}, attrs, 1, seed++, -30.f, 30.f);
      CheckAgainstRef(t, "Softmax " + ShapeToString(shape) + at, 1e-7f, 1e-5f);
    }
    for (int64_t row : {4, 5, 25}) {  // the special values in rows of 4, 5 and one of 25
      Attributes attrs;
      attrs.Set("axis", int64_t{-1});
      OneNode t(OpType::kSoftmax, {InputSpec({25 / row, row}, DType::kF32, false,
                                             std::vector<double>(special.begin(),
                                                                 special.begin() + 25 / row * row))},
                attrs);
      CheckAgainstRef(t, "Softmax special values, rows of " + std::to_string(row) + at, 1e-7f,
                      1e-5f);
    }
  }
  dense::ForceSimdLevelForTesting(std::nullopt);
}

TEST(FastSoftmax, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  // Rows of 4: plain, with -inf, all -inf, with NaN, with +inf, huge spread.
  const std::vector<double> v = {1, 2,   3, 4, -inf, 0, 1, -inf, -inf,  -inf, -inf, -inf,
                                 1, NAN, 2, 3, inf,  1, 2, 3,    -1e30, 0,    1e30, 5};
  for (int64_t axis : {-1, 0}) {
    Attributes attrs;
    attrs.Set("axis", axis);
    OneNode t(OpType::kSoftmax, {InputSpec({6, 4}, DType::kF32, false, v)}, attrs);
    CheckAgainstRef(t, "Softmax special values axis " + std::to_string(axis), 1e-7f, 1e-5f);
  }
}

void LayerNormCases(const std::string& at);

// At every SIMD level this CPU supports (AVX-512: norm_avx512.cc; else the portable loop), with
// rows of 64 (the zoo transformer's), tails of 1-15 and one entry, and the statistics outputs.
TEST(FastLayerNorm, MatchesReference) {
  for (dense::SimdLevel level :
       {dense::SimdLevel::kScalar, dense::SimdLevel::kAvx2, dense::SimdLevel::kAvx512}) {
    if (level > dense::DetectSimdLevel()) continue;
    dense::ForceSimdLevelForTesting(level);
    LayerNormCases(std::string(" at ") + std::string(dense::SimdLevelName(level)));
  }
  dense::ForceSimdLevelForTesting(std::nullopt);
}

TEST(FastLayerNorm, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<double> v = {1, 2, 3, NAN, 1, 2, 3, 4, inf, 0, 0, 0, 5, 5, 5, 5, 1e30, -1e30, 0, 1};
  for (dense::SimdLevel level : {dense::SimdLevel::kAvx2, dense::SimdLevel::kAvx512}) {
    if (level > dense::DetectSimdLevel()) continue;
    dense::ForceSimdLevelForTesting(level);
    Attributes attrs;
    attrs.Set("axis", int64_t{-1});
    OneNode t(OpType::kLayerNormalization,
              {InputSpec({5, 4}, DType::kF32, false, v), InputSpec({4}, DType::kF32, true)}, attrs);
    CheckAgainstRef(t, "LayerNorm special values at " + std::string(dense::SimdLevelName(level)),
                    1e-5f, 1e-5f);
  }
  dense::ForceSimdLevelForTesting(std::nullopt);
}

void LayerNormCases(const std::string& at) {
  struct Case {
    Shape x, scale;
    int64_t axis;
    bool bias;
    int outputs;
  };
  const Case cases[] = {
      {{2, 5, 768}, {768}, -1, true, 1},   {{2, 5, 768}, {768}, -1, false, 1},
      {{2, 3, 4, 5}, {4, 5}, -2, true, 1}, {{128, 768}, {768}, -1, true, 1},
      {{3, 7}, {7}, 1, true, 3},           {{4, 1}, {1}, -1, true, 3},
      {{0, 8}, {8}, -1, true, 1},          {{2, 6, 33}, {6, 33}, 1, false, 3},
      {{1, 50, 64}, {64}, -1, true, 3},    {{3, 17}, {17}, -1, true, 1},
      {{5, 1}, {1}, -1, false, 3},         {{2, 31}, {31}, -1, true, 1},
  };
  uint32_t seed = 40;
  for (const Case& c : cases) {
    Attributes attrs;
    attrs.Set("axis", c.axis);
    attrs.Set("epsilon", 1e-5f);
    std::vector<InputSpec> in = {InputSpec(c.x), InputSpec(c.scale, DType::kF32, true)};
    if (c.bias) in.push_back(InputSpec(c.scale, DType::kF32, true));
    OneNode t(OpType::kLayerNormalization, in, attrs, c.outputs, seed++, -4.f, 6.f);
    CheckAgainstRef(t, "LayerNorm " + ShapeToString(c.x) + at, 1e-5f, 1e-5f);
  }
}

TEST(FastLayerNorm, BroadcastScaleIsLeftToReference) {
  OneNode t(OpType::kLayerNormalization, {InputSpec({4, 5}), InputSpec({1}, DType::kF32, true)},
            {});
  ASSERT_TRUE(t.infer_status().ok());
  EXPECT_EQ(CreateCpuKernel(t.request()).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace sl

// Fast CPU ReduceMean / ReduceSum against the reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fast_test_util.h"

namespace sl {
namespace {

using fasttest::CheckAgainstRef;
using fasttest::InputSpec;
using fasttest::OneNode;

TEST(FastReduce, MatchesReferenceOnContiguousAxes) {
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;
    int64_t keepdims;
  };
  const Case cases[] = {
      {{1, 49, 64}, {1}, 0}, {{1, 64, 4, 4}, {2, 3}, 0}, {{1, 64, 4, 4}, {-1, -2}, 1},
      {{3, 5, 7}, {0}, 1},   {{3, 5, 7}, {2}, 0},        {{3, 5, 7}, {0, 1, 2}, 0},
      {{3, 5, 7}, {}, 1},    {{2, 3, 130}, {1}, 0},      {{2, 1000, 3}, {1}, 1},
      {{17}, {0}, 0},        {{4, 0, 3}, {2}, 0},        {{2, 3, 5, 7}, {1, 2}, 0},
      {{1, 1, 1}, {1}, 1},   {{5, 8192}, {1}, 0},        {{2, 33, 65}, {1}, 0},
  };
  uint32_t seed = 7;
  for (OpType op : {OpType::kReduceMean, OpType::kReduceSum}) {
    for (const Case& c : cases) {
      Attributes attrs;
      if (!c.axes.empty()) attrs.Set("axes", c.axes);
      attrs.Set("keepdims", c.keepdims);
      OneNode t(op, {{c.shape}}, attrs, 1, seed++, -5.f, 7.f);
      std::string axes;
      for (int64_t a : c.axes) axes += std::to_string(a) + ",";
      CheckAgainstRef(t,
                      std::string(op == OpType::kReduceMean ? "ReduceMean " : "ReduceSum ") +
                          ShapeToString(c.shape) + " axes " + axes,
                      1e-6f, 1e-5f);
    }
  }
}

TEST(FastReduce, AxesAsConstantInput) {
  // ReduceSum from opset 13 reads its axes from a constant int64 input.
  OneNode t(OpType::kReduceSum, {InputSpec({2, 6, 9}), InputSpec({1}, DType::kI64, true, {-2})},
            {});
  CheckAgainstRef(t, "ReduceSum axes input");
}

TEST(FastReduce, SpecialValuesPropagate) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<double> v = {1, 2, NAN, 4, inf, 1, 2, 3, -inf, inf, 0, 0, 1e30, 1e30, -1e30, 5};
  Attributes attrs;
  attrs.Set("axes", std::vector<int64_t>{1});
  attrs.Set("keepdims", int64_t{0});
  OneNode t(OpType::kReduceMean, {InputSpec({4, 4}, DType::kF32, false, v)}, attrs);
  CheckAgainstRef(t, "ReduceMean special values");
}

TEST(FastReduce, OtherAxisSetsAreLeftToReference) {
  Attributes attrs;
  attrs.Set("axes", std::vector<int64_t>{0, 2});
  OneNode t(OpType::kReduceMean, {{{3, 4, 5}}}, attrs);
  ASSERT_TRUE(t.infer_status().ok());
  EXPECT_EQ(CreateCpuKernel(t.request()).status().code(), StatusCode::kUnsupported);
  Attributes noop;
  noop.Set("noop_with_empty_axes", int64_t{1});
  OneNode u(OpType::kReduceSum, {{{3, 4}}}, noop);
  ASSERT_TRUE(u.infer_status().ok());
  EXPECT_EQ(CreateCpuKernel(u.request()).status().code(), StatusCode::kUnsupported);
}

TEST(FastReduce, NonConstantAxesInputIsLeftToReference) {
  OneNode t(OpType::kReduceSum, {InputSpec({2, 6}), InputSpec({1}, DType::kI64, false, {1})}, {});
  // The output shape is unknown without the axes (keepdims: rank 2, each dim 1 or the input's).
  t.graph().values[t.node().outputs[0]].shape = {2, 1};
  t.graph().values[t.node().outputs[0]].known_rank = true;
  t.graph().values[t.node().outputs[0]].dtype = DType::kF32;
  EXPECT_EQ(CreateCpuKernel(t.request()).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace sl

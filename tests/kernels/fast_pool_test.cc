// Fast CPU pools against the reference kernels: pads, strides larger than the kernel,
// dilations, ceil_mode, auto_pad, count_include_pad, windows holding only padding.
#include <gtest/gtest.h>

#include <cmath>

#include "fast_test_util.h"

namespace sl {
namespace {

using fasttest::CheckAgainstRef;
using fasttest::OneNode;

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, pads, dilations;
  int64_t ceil_mode = 0;
  std::string auto_pad;
};

const PoolCase kPoolCases[] = {
    {{1, 64, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}},  // ResNet stem
    {{2, 3, 9, 11}, {2, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}},
    {{2, 3, 9, 11}, {3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}},
    {{1, 2, 10, 13}, {3, 2}, {2, 3}, {1, 0, 2, 1}, {1, 1}, 1},  // asymmetric pads, ceil_mode
    {{1, 2, 7, 7}, {2, 2}, {3, 3}, {0, 0, 0, 0}, {1, 1}, 1},    // stride > kernel, ceil_mode
    {{1, 2, 12, 12}, {3, 3}, {1, 2}, {2, 2, 2, 2}, {2, 2}},     // dilation
    {{1, 1, 5, 5}, {5, 5}, {1, 1}, {4, 4, 4, 4}, {1, 1}},       // windows of padding only
    {{1, 1, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}},
    {{3, 1, 6, 17}, {1, 4}, {1, 3}, {0, 1, 0, 2}, {1, 1}, 1},
    {{1, 2, 8, 9}, {3, 3}, {2, 2}, {}, {1, 1}, 0, "SAME_UPPER"},
    {{1, 2, 8, 9}, {2, 3}, {2, 2}, {}, {1, 1}, 0, "SAME_LOWER"},
    {{1, 2, 8, 9}, {3, 3}, {2, 1}, {}, {1, 1}, 0, "VALID"},
    {{0, 2, 8, 9}, {3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}},  // empty batch
};

Attributes PoolAttrs(const PoolCase& c, bool include_pad) {
  Attributes a;
  a.Set("kernel_shape", c.kernel);
  a.Set("strides", c.strides);
  if (!c.pads.empty()) a.Set("pads", c.pads);
  a.Set("dilations", c.dilations);
  a.Set("ceil_mode", c.ceil_mode);
  if (!c.auto_pad.empty()) a.Set("auto_pad", c.auto_pad);
  if (include_pad) a.Set("count_include_pad", int64_t{1});
  return a;
}

TEST(FastPool, MaxPoolMatchesReference) {
  uint32_t seed = 1;
  for (const PoolCase& c : kPoolCases) {
    OneNode t(OpType::kMaxPool, {{c.x}}, PoolAttrs(c, false), 1, seed++);
    CheckAgainstRef(t, "MaxPool " + ShapeToString(c.x) + " case " + std::to_string(seed), 0, 0);
  }
}

TEST(FastPool, AveragePoolMatchesReference) {
  uint32_t seed = 50;
  for (bool include_pad : {false, true}) {
    for (const PoolCase& c : kPoolCases) {
      if (c.dilations[0] != 1 || c.dilations[1] != 1) continue;  // AveragePool opset < 19
      OneNode t(OpType::kAveragePool, {{c.x}}, PoolAttrs(c, include_pad), 1, seed++);
      CheckAgainstRef(t, "AveragePool " + ShapeToString(c.x) + " case " + std::to_string(seed) +
                             (include_pad ? " include_pad" : ""));
    }
  }
}

TEST(FastPool, MaxPoolNaNFollowsReference) {
  OneNode t(OpType::kMaxPool, {{{1, 1, 6, 6}}}, PoolAttrs(kPoolCases[2], false));
  float* x = t.input(0).data<float>();
  x[0] = NAN;
  x[7] = NAN;
  x[20] = NAN;
  CheckAgainstRef(t, "MaxPool NaN", 0, 0);
}

TEST(FastPool, GlobalPoolsMatchReference) {
  uint32_t seed = 80;
  for (OpType op : {OpType::kGlobalAveragePool, OpType::kGlobalMaxPool}) {
    for (const Shape& s : {Shape{1, 512, 7, 7}, Shape{2, 3, 1, 1}, Shape{2, 5, 13},
                           Shape{1, 64, 56, 56}, Shape{2, 3, 0, 4}}) {
      if (op == OpType::kGlobalAveragePool && s == Shape{2, 3, 0, 4}) continue;  // 0 / 0
      OneNode t(op, {{s}}, {}, 1, seed++);
      CheckAgainstRef(t, std::string(OpTypeName(op)) + ShapeToString(s), 1e-6f, 1e-5f);
    }
  }
}

TEST(FastPool, IndicesAnd3DAreLeftToReference) {
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{2, 2});
  OneNode indices(OpType::kMaxPool, {{{1, 1, 4, 4}}}, a, 2);
  EXPECT_EQ(CreateCpuKernel(indices.request()).status().code(), StatusCode::kUnsupported);
  Attributes a3;
  a3.Set("kernel_shape", std::vector<int64_t>{2, 2, 2});
  OneNode three_d(OpType::kMaxPool, {{{1, 1, 4, 4, 4}}}, a3);
  EXPECT_EQ(CreateCpuKernel(three_d.request()).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace sl

// Dense (oneDNN) Conv against the reference kernel on seeded random data.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "graph/infer.h"
#include "kernels/dense/dense.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

constexpr float kTolerance = 1e-4f;

// One Conv node with random X, constant random W and an optional bias, its output shape inferred.
class ConvHarness : public kerneltest::NodeHarness {
 public:
  ConvHarness(const Shape& x_shape, const Shape& w_shape, bool bias, bool constant_bias,
              Attributes attrs, uint32_t seed)
      : NodeHarness(OpType::kConv, Specs(x_shape, w_shape, bias, constant_bias), std::move(attrs),
                    seed, "conv", "dense_conv_test") {}

 private:
  static std::vector<kerneltest::InputSpec> Specs(const Shape& x_shape, const Shape& w_shape,
                                                  bool bias, bool constant_bias) {
    std::vector<kerneltest::InputSpec> specs = {{x_shape, false}, {w_shape, true}};
    if (bias) specs.push_back({{w_shape[0]}, constant_bias});
    return specs;
  }
};

void ExpectNear(const Tensor& got, const Tensor& want, const std::string& what) {
  kerneltest::ExpectNear(got, want, what, kTolerance);
}

struct ConvCase {
  std::string name;
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides = {}, pads = {}, dilations = {};
  std::string auto_pad = "";
  bool bias = true;
  std::string act = "";
};

Attributes MakeAttrs(const ConvCase& c) {
  Attributes a;
  if (c.group != 1) a.Set("group", c.group);
  if (!c.strides.empty()) a.Set("strides", c.strides);
  if (!c.pads.empty()) a.Set("pads", c.pads);
  if (!c.dilations.empty()) a.Set("dilations", c.dilations);
  if (!c.auto_pad.empty()) a.Set("auto_pad", c.auto_pad);
  kerneltest::SetFusedActivation(a, c.act, -0.25f, 0.5f);
  return a;
}

std::vector<ConvCase> Cases() {
  return {
      {"basic3x3", {1, 3, 7, 7}, {5, 3, 3, 3}, 1, {}, {1, 1, 1, 1}},
      {"odd_stride2_asym_pads", {1, 17, 13, 11}, {19, 17, 3, 3}, 1, {2, 2}, {0, 1, 2, 1}},
      {"groups", {2, 8, 9, 10}, {12, 2, 3, 3}, 4, {}, {1, 1, 1, 1}},
      {"depthwise_relu",
       {1, 32, 12, 12},
       {32, 1, 3, 3},
       32,
       {},
       {1, 1, 1, 1},
       {},
       "",
       true,
       "Relu"},
      {"depthwise_stride2_tail", {1, 24, 15, 15}, {24, 1, 3, 3}, 24, {2, 2}, {1, 1, 1, 1}},
      {"depthwise_multiplier", {1, 6, 8, 8}, {12, 1, 3, 3}, 6, {}, {1, 1, 1, 1}},
      {"dilation2", {1, 16, 14, 13}, {8, 16, 3, 3}, 1, {}, {2, 2, 2, 2}, {2, 2}},
      {"pointwise_1x1", {1, 64, 14, 14}, {40, 64, 1, 1}, 1, {}, {}, {}, "", false},
      {"blocked_3x3_clip",
       {2, 64, 14, 14},
       {64, 64, 3, 3},
       1,
       {},
       {1, 1, 1, 1},
       {},
       "",
       true,
       "Clip"},
      {"same_upper_stride2", {1, 5, 9, 10}, {7, 5, 4, 4}, 1, {2, 2}, {}, {}, "SAME_UPPER"},
      {"same_lower", {1, 5, 9, 10}, {7, 5, 2, 3}, 1, {}, {}, {}, "SAME_LOWER"},
      {"valid_no_bias", {1, 4, 10, 9}, {3, 4, 3, 2}, 1, {2, 1}, {}, {}, "VALID", false},
      {"single_channel_1x1", {1, 1, 5, 6}, {1, 1, 1, 1}, 1},
      {"conv1d", {2, 5, 20}, {7, 5, 3}, 1, {2}, {1, 0}},
      {"conv1d_depthwise_dilated", {1, 16, 31}, {16, 1, 5}, 16, {}, {2, 2}, {2}},
  };
}

class DenseConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(DenseConvTest, MatchesReference) {
  const ConvCase& c = GetParam();
  for (uint32_t seed : {1u, 2u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ConvHarness h(c.x, c.w, c.bias, true, MakeAttrs(c), seed);
    ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
    auto kernel = CreateDenseKernel(h.request());
    ASSERT_TRUE(kernel.ok()) << kernel.status().message();
    EXPECT_EQ((*kernel)->name().rfind("onednn:", 0), 0u) << (*kernel)->name();
    RecordProperty("kernel", (*kernel)->name());
    const Tensor want = h.RunRef();
    ExpectNear(h.Run(**kernel, 1), want, c.name + " on 1 thread");
    ExpectNear(h.Run(**kernel, 2), want, c.name + " on 2 threads");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DenseConvTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DenseConvTest, NonConstantBias) {
  ConvCase c{"", {1, 6, 7, 7}, {4, 6, 3, 3}, 1, {}, {1, 1, 1, 1}};
  ConvHarness h(c.x, c.w, true, false, MakeAttrs(c), 7);
  ASSERT_TRUE(h.infer_status().ok());
  auto kernel = CreateDenseKernel(h.request());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  ExpectNear(h.Run(**kernel, 1), h.RunRef(), "non-constant bias");
}

TEST(DenseConvTest, ConcurrentContextsGiveIdenticalResults) {
  ConvCase c{"", {2, 32, 16, 16}, {48, 32, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}};
  ConvHarness h(c.x, c.w, true, true, MakeAttrs(c), 11);
  ASSERT_TRUE(h.infer_status().ok());
  auto kernel = CreateDenseKernel(h.request());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  const Tensor want = h.RunRef();
  const std::vector<Tensor> results = kerneltest::RunConcurrently(h, **kernel, 2, 5);
  kerneltest::ExpectIdentical(results[0], results[1]);
  ExpectNear(results[0], want, "concurrent");
}

TEST(DenseConvTest, UnsupportedInsteadOfCrash) {
  // 3-D convolution is left to the reference kernel.
  ConvHarness conv3d({1, 2, 4, 4, 4}, {3, 2, 2, 2, 2}, false, true, Attributes(), 3);
  ASSERT_TRUE(conv3d.infer_status().ok());
  auto k3 = CreateDenseKernel(conv3d.request());
  ASSERT_FALSE(k3.ok());
  EXPECT_EQ(k3.status().code(), StatusCode::kUnsupported);

  // Non-constant weights.
  ConvHarness h({1, 2, 5, 5}, {3, 2, 3, 3}, false, true, Attributes(), 3);
  Graph g = h.request().graph;
  g.values[g.nodes[0].inputs[1]].constant = Tensor();
  auto k = CreateDenseKernel(KernelRequest{g, g.nodes[0], 1});
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(k.status().message().find("conv"), std::string::npos) << k.status().message();
}

}  // namespace
}  // namespace sl

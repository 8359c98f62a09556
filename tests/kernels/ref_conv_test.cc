// Reference Conv: hand-computed cases (ONNX examples), geometry edge cases, fused activations,
// groups, and an independent 2-D implementation on random data.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <vector>

#include "graph/infer.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::Ints;
using kerneltest::Iota;
using kerneltest::Values;

// Infers the output shape through InferConv, runs RefConv on a NaN-filled output.
Result<Tensor> RunConv(const Node& attrs_node, const std::vector<Tensor>& in) {
  return kerneltest::RunInferredRefOne(OpType::kConv, attrs_node, in);
}

Node WithAttrs(std::initializer_list<std::pair<const char*, AttrValue>> attrs) {
  return kerneltest::Attrs(attrs, "conv");
}

TEST(RefConvTest, OnnxExamplePadded) {
  Tensor x = Tensor::FromVector<float>({1, 1, 5, 5}, Iota(25));
  Tensor w = Tensor::FromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  Result<Tensor> y = RunConv(WithAttrs({{"pads", Ints{1, 1, 1, 1}}}), {x, w});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 5, 5}));
  EXPECT_EQ(Values(*y),
            (std::vector<float>{12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84}));
}

TEST(RefConvTest, StridesWithAndWithoutPadding) {
  Tensor x = Tensor::FromVector<float>({1, 1, 7, 5}, Iota(35));
  Tensor w = Tensor::FromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  Result<Tensor> padded =
      RunConv(WithAttrs({{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}), {x, w});
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(Values(*padded),
            (std::vector<float>{12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124}));
  Result<Tensor> valid = RunConv(WithAttrs({{"strides", Ints{2, 2}}}), {x, w});
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(Values(*valid), (std::vector<float>{54, 72, 144, 162, 234, 252}));
  Result<Tensor> asym =
      RunConv(WithAttrs({{"pads", Ints{1, 0, 1, 0}}, {"strides", Ints{2, 2}}}), {x, w});
  ASSERT_TRUE(asym.ok());
  EXPECT_EQ(asym->shape(), (Shape{1, 1, 4, 2}));
  EXPECT_EQ(Values(*asym), (std::vector<float>{21, 33, 99, 117, 189, 207, 171, 183}));
}

TEST(RefConvTest, AutoPadSameUpperAndLowerDiffer) {
  Tensor x = Tensor::FromVector<float>({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = Tensor::FromVector<float>({1, 1, 2}, {1, 1});
  Result<Tensor> upper = RunConv(WithAttrs({{"auto_pad", std::string("SAME_UPPER")}}), {x, w});
  Result<Tensor> lower = RunConv(WithAttrs({{"auto_pad", std::string("SAME_LOWER")}}), {x, w});
  Result<Tensor> valid = RunConv(WithAttrs({{"auto_pad", std::string("VALID")}}), {x, w});
  ASSERT_TRUE(upper.ok() && lower.ok() && valid.ok());
  EXPECT_EQ(Values(*upper), (std::vector<float>{3, 5, 7, 4}));
  EXPECT_EQ(Values(*lower), (std::vector<float>{1, 3, 5, 7}));
  EXPECT_EQ(Values(*valid), (std::vector<float>{3, 5, 7}));
  Result<Tensor> strided =
      RunConv(WithAttrs({{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{3}}}), {x, w});
  ASSERT_TRUE(strided.ok());
  EXPECT_EQ(Values(*strided), (std::vector<float>{3, 4}));  // ceil(4 / 3) outputs
}

TEST(RefConvTest, DilationAndStrideLargerThanKernel) {
  Tensor x = Tensor::FromVector<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = Tensor::FromVector<float>({1, 1, 2}, {1, 10});
  Result<Tensor> dil = RunConv(WithAttrs({{"dilations", Ints{2}}}), {x, w});
  ASSERT_TRUE(dil.ok());
  EXPECT_EQ(Values(*dil), (std::vector<float>{31, 42, 53}));
  Tensor w1 = Tensor::FromVector<float>({1, 1, 1}, {2});
  Result<Tensor> strided = RunConv(WithAttrs({{"strides", Ints{3}}}), {x, w1});
  ASSERT_TRUE(strided.ok());
  EXPECT_EQ(Values(*strided), (std::vector<float>{2, 8}));
}

TEST(RefConvTest, DepthwiseGroupsBiasAndFusedActivations) {
  // Two channels, group 2: channel c is scaled by W[c] and shifted by B[c].
  Tensor x = Tensor::FromVector<float>({1, 2, 1, 2}, {1, -2, 3, -4});
  Tensor w = Tensor::FromVector<float>({2, 1, 1, 1}, {2, 3});
  Tensor b = Tensor::FromVector<float>({2}, {0.5f, -1});
  Result<Tensor> y = RunConv(WithAttrs({{"group", int64_t{2}}}), {x, w, b});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(Values(*y), (std::vector<float>{2.5f, -3.5f, 8, -13}));
  Result<Tensor> relu =
      RunConv(WithAttrs({{"group", int64_t{2}}, {"_act", std::string("Relu")}}), {x, w, b});
  ASSERT_TRUE(relu.ok());
  EXPECT_EQ(Values(*relu), (std::vector<float>{2.5f, 0, 8, 0}));
  Result<Tensor> clip = RunConv(WithAttrs({{"group", int64_t{2}},
                                           {"_act", std::string("Clip")},
                                           {"_act_min", -4.f},
                                           {"_act_max", 6.f}}),
                                {x, w, b});
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(Values(*clip), (std::vector<float>{2.5f, -3.5f, 6, -4}));
  Result<Tensor> bad =
      RunConv(WithAttrs({{"group", int64_t{2}}, {"_act", std::string("Gelu")}}), {x, w, b});
  EXPECT_FALSE(bad.ok());
}

TEST(RefConvTest, ThreeDimensionalAndEmptyBatch) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2, 2}, Iota(8, 1));
  Tensor w = Tensor::FromVector<float>({1, 1, 2, 2, 2}, std::vector<float>(8, 1.f));
  Result<Tensor> y = RunConv(Node{}, {x, w});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(Values(*y), (std::vector<float>{36}));
  Tensor empty(DType::kF32, {0, 1, 3, 3});
  Tensor w2 = Tensor::FromVector<float>({2, 1, 2, 2}, std::vector<float>(8, 1.f));
  Result<Tensor> e = RunConv(Node{}, {empty, w2});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->shape(), (Shape{0, 2, 2, 2}));
}

TEST(RefConvTest, RejectsBadInputs) {
  Node node = WithAttrs({});
  Tensor x = Tensor::FromVector<int32_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = Tensor::FromVector<int32_t>({1, 1, 1, 1}, {1});
  Tensor y(DType::kI32, {1, 1, 2, 2});
  std::vector<TensorView> in = {x.view(), w.view()}, out = {y.view()};
  Status s = RefConv(node, in, out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("conv"), std::string::npos);

  Tensor xf = Tensor::FromVector<float>({1, 2, 2, 2}, Iota(8));
  Tensor wf = Tensor::FromVector<float>({1, 3, 1, 1}, {1, 1, 1});  // 3 channels vs 2
  Tensor yf(DType::kF32, {1, 1, 2, 2});
  in = {xf.view(), wf.view()};
  out = {yf.view()};
  EXPECT_FALSE(RefConv(node, in, out).ok());
  Tensor wok = Tensor::FromVector<float>({1, 2, 1, 1}, {1, 1});
  Tensor ywrong(DType::kF32, {1, 1, 3, 3});
  in = {xf.view(), wok.view()};
  out = {ywrong.view()};
  EXPECT_FALSE(RefConv(node, in, out).ok());
  Tensor wbig = Tensor::FromVector<float>({1, 2, 3, 3}, std::vector<float>(18, 1.f));
  EXPECT_FALSE(RunConv(node, {xf, wbig}).ok());  // kernel larger than the input
}

// Independent 2-D convolution written with explicit nested loops.
std::vector<float> NaiveConv2d(const std::vector<float>& x, const std::vector<float>& w, int64_t n,
                               int64_t c, int64_t h, int64_t wd, int64_t m, int64_t kh, int64_t kw,
                               int64_t group, int64_t sh, int64_t sw, int64_t dh, int64_t dw,
                               int64_t pt, int64_t pl, int64_t oh, int64_t ow) {
  std::vector<float> y(n * m * oh * ow, 0.f);
  const int64_t cg = c / group, mg = m / group;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < m; ++oc)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = 0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                int64_t r = i * sh - pt + u * dh, s = j * sw - pl + v * dw;
                if (r < 0 || r >= h || s < 0 || s >= wd) continue;
                int64_t xc = (oc / mg) * cg + ic;
                acc += double{x[((b * c + xc) * h + r) * wd + s]} *
                       w[((oc * cg + ic) * kh + u) * kw + v];
              }
          y[((b * m + oc) * oh + i) * ow + j] = static_cast<float>(acc);
        }
  return y;
}

TEST(RefConvTest, MatchesNaive2dOnRandomData) {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  struct Case {
    int64_t n, c, h, w, m, kh, kw, group, sh, sw, dh, dw, pt, pl, pb, pr;
  };
  const Case cases[] = {
      {2, 4, 7, 6, 6, 3, 3, 2, 1, 2, 1, 1, 1, 0, 2, 1},
      {1, 3, 9, 9, 3, 3, 2, 3, 2, 3, 2, 1, 0, 1, 1, 0},
      {1, 1, 5, 4, 2, 1, 1, 1, 3, 3, 1, 1, 0, 0, 0, 0},
      {1, 6, 8, 5, 4, 2, 3, 2, 1, 1, 3, 2, 2, 2, 2, 2},
  };
  std::cout << "seed 1234\n";
  for (const Case& k : cases) {
    std::vector<float> xv(k.n * k.c * k.h * k.w), wv(k.m * (k.c / k.group) * k.kh * k.kw);
    for (float& v : xv) v = dist(rng);
    for (float& v : wv) v = dist(rng);
    Tensor x = Tensor::FromVector<float>({k.n, k.c, k.h, k.w}, xv);
    Tensor w = Tensor::FromVector<float>({k.m, k.c / k.group, k.kh, k.kw}, wv);
    Node node = WithAttrs({{"group", k.group},
                           {"strides", Ints{k.sh, k.sw}},
                           {"dilations", Ints{k.dh, k.dw}},
                           {"pads", Ints{k.pt, k.pl, k.pb, k.pr}}});
    Result<Tensor> y = RunConv(node, {x, w});
    ASSERT_TRUE(y.ok()) << y.status().message();
    const int64_t oh = y->shape()[2], ow = y->shape()[3];
    EXPECT_EQ(oh, (k.h + k.pt + k.pb - (k.kh - 1) * k.dh - 1) / k.sh + 1);
    EXPECT_EQ(ow, (k.w + k.pl + k.pr - (k.kw - 1) * k.dw - 1) / k.sw + 1);
    std::vector<float> want = NaiveConv2d(xv, wv, k.n, k.c, k.h, k.w, k.m, k.kh, k.kw, k.group,
                                          k.sh, k.sw, k.dh, k.dw, k.pt, k.pl, oh, ow);
    std::vector<float> got = Values(*y);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << i;
  }
}

}  // namespace
}  // namespace sl

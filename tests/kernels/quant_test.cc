// The INT8 path (kernels/quant): activation quantization against QuantizeValue, the oracle
// RefQuantized against the float QDQ composition it replaces, and the oneDNN INT8 kernels against
// the oracle on seeded random data (odd shapes, k == 1, strides / padding / dilation / groups,
// 1-D conv, per-tensor and per-channel scales, int8 and uint8 activations with zero and non-zero
// zero points, weight sparsity 0 / 0.5 / 0.9 / 1, outputs pre-filled with NaN).
//
// Tolerance: both sides quantize x with the same function (bit-identical) and accumulate exactly
// in int32, so they differ only in the final float32 steps float(acc) * scale + bias: oneDNN may
// fuse them (FMA) or order them differently, two roundings of at most 2^-24 relative each on
// operands of magnitude <= ~10 here, i.e. < 2e-6 absolute. kTolerance = 1e-5 relative to
// max(1, |want|) bounds that with margin and still catches any wrong product (>= one weight step).
#include "kernels/quant/quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense/cpu_features.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::ExpectNear;
using kerneltest::NanFilled;

constexpr float kTolerance = 1e-5f;

struct QuantCase {
  std::string name;
  OpType op;
  Shape x, w;
  Attributes attrs;  // Conv geometry / Gemm transB
};

Attributes ConvAttrs(std::vector<int64_t> strides, std::vector<int64_t> pads,
                     std::vector<int64_t> dilations, int64_t group) {
  Attributes a;
  a.Set("strides", strides);
  a.Set("pads", pads);
  a.Set("dilations", dilations);
  a.Set("group", group);
  return a;
}

Attributes TransB(int64_t t) {
  Attributes a;
  a.Set("transB", t);
  return a;
}

std::vector<QuantCase> Cases() {
  const OpType c = OpType::kConv, g = OpType::kGemm, m = OpType::kMatMul;
  return {
      {"conv3x3_pad1", c, {1, 3, 7, 9}, {5, 3, 3, 3}, ConvAttrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 1)},
      {"conv1x1_stride2",
       c,
       {1, 17, 6, 6},
       {19, 17, 1, 1},
       ConvAttrs({2, 2}, {0, 0, 0, 0}, {1, 1}, 1)},
      {"conv_k1_one_channel",
       c,
       {1, 1, 5, 3},
       {1, 1, 1, 1},
       ConvAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 1)},
      {"conv_grouped_asym_dilated",
       c,
       {2, 6, 9, 8},
       {9, 2, 3, 3},
       ConvAttrs({1, 2}, {1, 0, 2, 1}, {2, 1}, 3)},
      {"conv_depthwise", c, {1, 8, 7, 7}, {8, 1, 3, 3}, ConvAttrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 8)},
      {"conv_stem_4x4_s4",
       c,
       {1, 1, 28, 28},
       {33, 1, 4, 4},
       ConvAttrs({4, 4}, {0, 0, 0, 0}, {1, 1}, 1)},
      {"conv1d", c, {2, 4, 11}, {6, 4, 3}, ConvAttrs({2}, {1, 1}, {1}, 1)},
      {"gemm_transb", g, {5, 13}, {7, 13}, TransB(1)},
      {"gemm_row_b_kn", g, {1, 64}, {64, 10}, TransB(0)},
      {"matmul_batched", m, {2, 3, 17}, {17, 23}, {}},
      {"matmul_k1", m, {4, 1}, {1, 3}, {}},
  };
}

// Quantization and data choices varied over every case.
struct QuantParams {
  bool per_channel = true;
  bool is_signed = true;
  int32_t zero_point = 0;
  float sparsity = 0.f;
  std::string act;
  bool bias = true;
  bool extreme = false;  // weights of 127 / -128 only, activations beyond the quantized range
};

int64_t OutChannels(const QuantCase& c) {
  if (c.op == OpType::kGemm && c.attrs.GetInt("transB", 0) == 0) return c.w[1];
  return c.op == OpType::kMatMul ? c.w[1] : c.w[0];
}

Shape OutShape(const QuantCase& c) {
  if (c.op != OpType::kConv) {
    Shape y(c.x.begin(), c.x.end() - 1);
    y.push_back(OutChannels(c));
    return y;
  }
  const int spatial = static_cast<int>(c.x.size()) - 2;
  const auto strides = c.attrs.GetInts("strides"), pads = c.attrs.GetInts("pads");
  const auto dil = c.attrs.GetInts("dilations");
  Shape y = {c.x[0], c.w[0]};
  for (int i = 0; i < spatial; ++i) {
    const int64_t extent = (c.w[2 + i] - 1) * dil[i] + 1;
    y.push_back((c.x[2 + i] + pads[i] + pads[i + spatial] - extent) / strides[i] + 1);
  }
  return y;
}

// One quantized node with seeded data: x in [-1.3, 1.3] with x_scale 1/100 (so |x / scale| runs
// past 127 and saturates), int8 weights with the requested share of exact zeros, weight scales in
// [0.002, 0.02], bias in [-1, 1].
class QuantHarness {
 public:
  QuantHarness(const QuantCase& c, const QuantParams& p, uint32_t seed, bool constant_bias = true) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> unit(-1.f, 1.f);
    Node node;
    node.op = c.op;
    node.name = c.name;
    node.attrs = c.attrs;
    node.attrs.Set("_qx_scale", 0.01f);
    node.attrs.Set("_qx_zero_point", static_cast<int64_t>(p.zero_point));
    node.attrs.Set("_qx_dtype", std::string(p.is_signed ? "int8" : "uint8"));
    if (!p.act.empty()) node.attrs.Set("_act", p.act);
    if (p.act == "Clip") {
      node.attrs.Set("_act_min", -0.25f);
      node.attrs.Set("_act_max", 0.5f);
    }
    Tensor x(DType::kF32, c.x), w(DType::kI8, c.w), bias(DType::kF32, {OutChannels(c)});
    Tensor scale(DType::kF32, {p.per_channel ? OutChannels(c) : 1});
    for (int64_t i = 0; i < x.numel(); ++i)
      x.data<float>()[i] = p.extreme ? (unit(rng) > -0.8f ? 3.f : -3.f) : 1.3f * unit(rng);
    std::uniform_int_distribution<int> wdist(-128, 127);
    std::uniform_real_distribution<float> keep(0.f, 1.f);
    for (int64_t i = 0; i < w.numel(); ++i) {
      const int v = p.extreme ? (unit(rng) > 0 ? 127 : -128) : wdist(rng);
      w.data<int8_t>()[i] = static_cast<int8_t>(keep(rng) < p.sparsity ? 0 : v);
    }
    for (int64_t i = 0; i < scale.numel(); ++i)
      scale.data<float>()[i] = 0.011f + 0.009f * unit(rng);
    for (int64_t i = 0; i < bias.numel(); ++i) bias.data<float>()[i] = unit(rng);
    node.inputs = {Add("x", x, false), Add("w", w, true),
                   p.bias ? Add("b", bias, constant_bias) : kNoValue, Add("ws", scale, true)};
    node.outputs = {Add("y", Tensor(DType::kF32, OutShape(c)), false)};
    graph_.source = "quant_test";
    graph_.nodes.push_back(std::move(node));
  }

  KernelRequest request(int threads = 1) const { return {graph_, graph_.nodes[0], threads}; }
  const Node& node() const { return graph_.nodes[0]; }
  const Tensor& data(const std::string& name) const { return data_.at(graph_.FindValue(name)); }

  std::vector<TensorView> inputs() const {
    std::vector<TensorView> in;
    for (int v : node().inputs) in.push_back(v == kNoValue ? TensorView{} : data_.at(v).view());
    return in;
  }

  Tensor RunRef() const {
    Tensor y = NanFilled(data("y").shape());
    const TensorView out = y.view();
    const Status s = RefQuantized(node(), inputs(), {&out, 1});
    EXPECT_TRUE(s.ok()) << s.message();
    return y;
  }

  Tensor Run(const Kernel& kernel, int threads) const {
    std::unique_ptr<KernelState> state = kernel.CreateState();
    std::shared_ptr<void> scratch = AllocateAligned(std::max<size_t>(kernel.scratch_bytes(), 64));
    ExecContext ctx{threads, scratch.get(), state.get()};
    Tensor y = NanFilled(data("y").shape());
    const TensorView out = y.view();
    const Status s = kernel.Execute(inputs(), {&out, 1}, ctx);
    EXPECT_TRUE(s.ok()) << s.message();
    return y;
  }

 private:
  int Add(const std::string& name, Tensor t, bool constant) {
    const int v = graph_.GetOrAddValue(name);
    graph_.values[v].dtype = t.dtype();
    graph_.values[v].shape = t.shape();
    graph_.values[v].known_rank = true;
    if (constant) graph_.values[v].constant = t;
    data_[v] = std::move(t);
    return v;
  }

  Graph graph_;
  std::map<int, Tensor> data_;
};

std::string Describe(const QuantCase& c, const QuantParams& p) {
  return c.name + (p.per_channel ? " per-channel" : " per-tensor") +
         (p.is_signed ? " int8" : " uint8") + " zp=" + std::to_string(p.zero_point) +
         " sparsity=" + std::to_string(p.sparsity) + " act=" + p.act;
}

TEST(QuantizeTest, RowAndChannelsLastMatchQuantizeValueBitForBit) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-3.f, 3.f);
  const QuantInput q_s8{0.013f, -5, true}, q_u8{0.02f, 131, false};
  std::vector<float> x(203);  // a tail after 12 full 16-lane blocks
  for (float& v : x) v = dist(rng);
  // Halfway cases, saturation, infinities and NaN.
  const float special[] = {0.5f * 0.013f, 1.5f * 0.013f, -2.5f * 0.013f, 1e30f, -1e30f,
                           INFINITY,      -INFINITY,     std::nanf(""),  0.f,   -0.f};
  std::copy(std::begin(special), std::end(special), x.begin() + 3);
  for (auto level : {dense::SimdLevel::kScalar, dense::SimdLevel::kAvx512}) {
    dense::ForceSimdLevelForTesting(level);
    for (const QuantInput& q : {q_s8, q_u8}) {
      std::vector<uint8_t> row(x.size(), 0x5a), cl(x.size(), 0x5a);
      QuantizeRow(x.data(), static_cast<int64_t>(x.size()), q, row.data());
      // 7 channels x 29 positions, batch 1: element (c, p) lands at p * 7 + c.
      QuantizeToChannelsLast(x.data(), 1, 7, 29, q, cl.data());
      for (size_t i = 0; i < x.size(); ++i) {
        const int32_t want = QuantizeValue(x[i], q);
        const int32_t got = q.is_signed ? static_cast<int8_t>(row[i]) : row[i];
        ASSERT_EQ(got, want) << "element " << i << " x=" << x[i];
        const size_t c = i / 29, p = i % 29;
        const uint8_t cl_byte = cl[p * 7 + c];
        ASSERT_EQ(q.is_signed ? static_cast<int8_t>(cl_byte) : cl_byte, want) << "element " << i;
      }
    }
  }
  dense::ForceSimdLevelForTesting(std::nullopt);
  EXPECT_EQ(QuantizeValue(std::nanf(""), q_s8), 0);  // as QuantizeLinear: NaN -> 0, not the zp
  EXPECT_EQ(QuantizeValue(2.5f * 0.013f, {0.013f, 0, true}), 2);  // half to even
  EXPECT_EQ(QuantizeValue(1e9f, q_u8), 255);
}

// The oracle equals the float graph it replaces: QuantizeLinear -> DequantizeLinear on x,
// DequantizeLinear on W, float Conv / Gemm / MatMul with bias and activation (float accumulation
// of <= 153 products: agreement to 1e-4 relative).
TEST(QuantRefTest, MatchesFloatQdqComposition) {
  for (const QuantCase& c : Cases()) {
    for (bool is_signed : {true, false}) {
      QuantParams p;
      p.is_signed = is_signed;
      p.zero_point = is_signed ? 9 : 140;
      p.act = "Relu";
      const QuantHarness h(c, p, 11);
      const Tensor want_q = h.RunRef();
      // Float path.
      const Tensor& x = h.data("x");
      const Tensor& w = h.data("w");
      const Tensor& ws = h.data("ws");
      Tensor xs = Tensor::Scalar(0.01f);
      Tensor zp(is_signed ? DType::kI8 : DType::kU8, {});
      if (is_signed) {
        zp.data<int8_t>()[0] = static_cast<int8_t>(p.zero_point);
      } else {
        zp.data<uint8_t>()[0] = static_cast<uint8_t>(p.zero_point);
      }
      std::vector<Tensor> xq = {Tensor(zp.dtype(), x.shape())},
                          xd = {Tensor(DType::kF32, x.shape())};
      ASSERT_TRUE(kerneltest::RunRef(OpType::kQuantizeLinear, {x, xs, zp}, xq).ok());
      ASSERT_TRUE(kerneltest::RunRef(OpType::kDequantizeLinear, {xq[0], xs, zp}, xd).ok());
      Attributes dq_attrs;
      dq_attrs.Set("axis", int64_t{c.op == OpType::kConv || c.attrs.GetInt("transB", 0) ? 0 : 1});
      std::vector<Tensor> wd = {Tensor(DType::kF32, w.shape())};
      ASSERT_TRUE(kerneltest::RunRef(OpType::kDequantizeLinear, {w, ws}, wd, dq_attrs).ok());
      Attributes attrs = c.attrs;
      attrs.Set("_act", std::string("Relu"));
      std::vector<Tensor> y = {NanFilled(h.data("y").shape())};
      ASSERT_TRUE(kerneltest::RunRef(c.op, {xd[0], wd[0], h.data("b")}, y, attrs).ok());
      ExpectNear(want_q, y[0], c.name + (is_signed ? " int8" : " uint8"), 1e-4f);
    }
  }
}

// Where oneDNN's INT8 kernels would saturate (no VNNI) the weights are split in two halves
// (kernels/quant/onednn_int8_kernel.h); forced on, the split path also runs on VNNI CPUs. Either
// way it matches the oracle, also at the extremes where one pair of products overflows 16 bits
// (weights of 127 and -128 against activations quantized to the ends of their range).
TEST(QuantKernelTest, SplitWeightsAreExactWhereInt8WouldSaturate) {
  const QuantHarness h(Cases()[0], QuantParams{}, 4);
  auto k = CreateQuantKernel(h.request());
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ((*k)->name().find("+split") != std::string::npos, !Int8KernelsExact()) << (*k)->name();
  SetInt8SplitWeightsForTesting(true);
  uint32_t seed = 40;
  for (const QuantCase& c : Cases()) {
    for (int variant = 0; variant < 4; ++variant) {
      QuantParams p;
      p.extreme = variant < 2;
      p.is_signed = variant % 2 == 0;
      p.zero_point = p.is_signed ? -5 : 7;
      p.act = variant == 3 ? "Relu" : "";
      const QuantHarness q(c, p, ++seed);
      const std::string what = Describe(c, p) + (p.extreme ? " extreme" : "");
      auto split = CreateQuantKernel(q.request(1 + variant % 2));
      ASSERT_TRUE(split.ok()) << what << ": " << split.status().message();
      EXPECT_NE((*split)->name().find("+split"), std::string::npos) << (*split)->name();
      ExpectNear(q.Run(**split, 1 + variant % 2), q.RunRef(), what, kTolerance);
    }
  }
  SetInt8SplitWeightsForTesting(false);
}

TEST(QuantKernelTest, MatchesOracle) {
  uint32_t seed = 100;
  for (const QuantCase& c : Cases()) {
    for (float sparsity : {0.f, 0.5f, 0.9f, 1.f}) {
      for (int variant = 0; variant < 4; ++variant) {
        QuantParams p;
        p.per_channel = variant % 2 == 0;
        p.is_signed = variant < 2;
        p.zero_point = variant == 0 ? 0 : variant == 1 ? -37 : variant == 2 ? 0 : 141;
        p.sparsity = sparsity;
        p.act = variant == 1 ? "Relu" : variant == 3 ? "Clip" : "";
        p.bias = variant != 2;
        const QuantHarness h(c, p, ++seed);
        const std::string what = Describe(c, p) + " seed=" + std::to_string(seed);
        auto k = CreateQuantKernel(h.request());
        ASSERT_TRUE(k.ok()) << what << ": " << k.status().message();
        EXPECT_EQ((*k)->name().rfind("onednn-int8:", 0), 0u) << (*k)->name();
        ExpectNear(h.Run(**k, 1), h.RunRef(), what, kTolerance);
      }
    }
  }
}

TEST(QuantKernelTest, MultiThreadedMatchesOracle) {
  QuantParams p;
  p.zero_point = 3;
  for (const QuantCase& c : Cases()) {
    const QuantHarness h(c, p, 5);
    auto k = CreateQuantKernel(h.request(2));
    ASSERT_TRUE(k.ok()) << k.status().message();
    ExpectNear(h.Run(**k, 2), h.RunRef(), c.name + " 2 threads", kTolerance);
  }
}

// Every case here is far below kAmxMinMacs: where the CPU has AMX, its implementations are passed
// over for the VNNI ones (oneDNN's own choice would be AMX), and the results still match.
TEST(QuantKernelTest, SmallLayersDoNotUseAmx) {
  for (const QuantCase& c : Cases()) {
    const QuantHarness h(c, QuantParams{}, 9);
    auto k = CreateQuantKernel(h.request());
    ASSERT_TRUE(k.ok()) << c.name << ": " << k.status().message();
    EXPECT_EQ((*k)->name().find("amx"), std::string::npos) << c.name << ": " << (*k)->name();
  }
}

// What the INT8 kernel declines runs on the oracle (the plan's fallback): a non-constant bias.
TEST(QuantKernelTest, NonConstantBiasFallsBackToOracle) {
  const QuantCase c = Cases()[0];
  QuantParams p;
  p.zero_point = 12;
  const QuantHarness variable(c, p, 3, /*constant_bias=*/false);
  auto declined = CreateQuantKernel(variable.request());
  ASSERT_FALSE(declined.ok());
  EXPECT_EQ(declined.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(declined.status().message().find("constant"), std::string::npos);
  const QuantHarness constant(c, p, 3);
  auto k = CreateQuantKernel(constant.request());
  ASSERT_TRUE(k.ok()) << k.status().message();
  ExpectNear(variable.RunRef(), constant.Run(**k, 1), "fallback", kTolerance);
}

TEST(QuantKernelTest, BadNodesGiveOneLineErrors) {
  struct Bad {
    std::string what;
    std::function<void(Node&)> edit;
    StatusCode code;
  };
  const std::vector<Bad> bad = {
      {"scale", [](Node& n) { n.attrs.Set("_qx_scale", 0.f); }, StatusCode::kInvalidArgument},
      {"dtype", [](Node& n) { n.attrs.Set("_qx_dtype", std::string("int4")); },
       StatusCode::kInvalidArgument},
      {"zero point", [](Node& n) { n.attrs.Set("_qx_zero_point", int64_t{200}); },
       StatusCode::kInvalidArgument},
      {"auto_pad", [](Node& n) { n.attrs.Set("auto_pad", std::string("SAME_UPPER")); },
       StatusCode::kUnsupported},
      {"group", [](Node& n) { n.attrs.Set("group", int64_t{2}); }, StatusCode::kInvalidArgument},
      {"no scale input", [](Node& n) { n.inputs.resize(3); }, StatusCode::kInvalidArgument},
      {"activation", [](Node& n) { n.attrs.Set("_act", std::string("Gelu")); },
       StatusCode::kUnsupported},
  };
  const QuantHarness h(Cases()[0], QuantParams{}, 1);
  for (const Bad& b : bad) {
    Node node = h.node();
    b.edit(node);
    Tensor y = NanFilled(h.data("y").shape());
    const TensorView out = y.view();
    std::vector<TensorView> in = h.inputs();
    in.resize(node.inputs.size());
    const Status s = RefQuantized(node, in, {&out, 1});
    ASSERT_FALSE(s.ok()) << b.what;
    EXPECT_EQ(s.code(), b.code) << b.what << ": " << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(h.node().name), std::string::npos) << s.message();
  }
  // Gemm with alpha != 1 is not a quantized form.
  QuantCase gemm = Cases()[7];
  gemm.attrs.Set("alpha", 2.f);
  const QuantHarness hg(gemm, QuantParams{}, 1);
  auto k = CreateQuantKernel(hg.request());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kUnsupported) << k.status().message();
}

}  // namespace
}  // namespace sl

// Sparse Conv / Gemm / MatMul kernels (every format, every SIMD level, 1 and 2 threads) against the
// reference kernels on seeded random data, with weights pruned to each pattern and sparsity.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "graph/infer.h"
#include "kernels/dense/cpu_features.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"
#include "kernels/sparse/sparse.h"

namespace sl {
namespace {

using dense::SimdLevel;
using sparse::SparseFormat;

constexpr float kTolerance = 2e-4f;
constexpr uint32_t kSeed = 20240611;

enum class Pattern { kUnstructured, kBlock4x1, kNm24 };
const char* PatternName(Pattern p) {
  return p == Pattern::kUnstructured ? "unstructured"
         : p == Pattern::kBlock4x1   ? "block4x1"
                                     : "nm2:4";
}

// Zeroes entries of the row-major w [rows, cols] so that a `sparsity` fraction is zero in
// `pattern` (2:4 below 50% sparsity falls back to unstructured: it cannot be 2:4).
void Prune(std::vector<float>& w, int64_t rows, int64_t cols, Pattern pattern, double sparsity,
           std::mt19937& rng) {
  auto zero_fraction = [&](std::vector<int64_t> ids, double fraction, auto&& zero) {
    std::shuffle(ids.begin(), ids.end(), rng);
    const auto count = static_cast<size_t>(std::llround(fraction * ids.size()));
    for (size_t i = 0; i < count; ++i) zero(ids[i]);
  };
  if (pattern == Pattern::kBlock4x1) {
    const int64_t groups = (rows + 3) / 4;
    std::vector<int64_t> ids(groups * cols);
    std::iota(ids.begin(), ids.end(), 0);
    zero_fraction(ids, sparsity, [&](int64_t b) {
      const int64_t g = b / cols, c = b % cols;
      for (int64_t r = g * 4; r < std::min(rows, g * 4 + 4); ++r) w[r * cols + c] = 0.f;
    });
    return;
  }
  double rest = sparsity;
  if (pattern == Pattern::kNm24 && sparsity >= 0.5) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t g = 0; g < cols; g += 4) {
        std::vector<int64_t> ids;
        for (int64_t c = g; c < std::min(cols, g + 4); ++c) ids.push_back(r * cols + c);
        std::shuffle(ids.begin(), ids.end(), rng);
        for (size_t i = 2; i < ids.size(); ++i) w[ids[i]] = 0.f;
      }
    }
    rest = sparsity >= 1.0 ? 1.0 : (sparsity - 0.5) / 0.5;
  }
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < rows * cols; ++i) {
    if (w[i] != 0.f) ids.push_back(i);
  }
  zero_fraction(ids, rest, [&](int64_t i) { w[i] = 0.f; });
}

using kerneltest::InputSpec;

// Prunes the weight w (input 1, freshly filled with random values) as the logical [rows, cols]
// matrix (stored transposed as [cols, rows] when `weight_transposed`, i.e. a MatMul B [K, N]).
void PruneWeight(Tensor& t, bool weight_transposed, Pattern pattern, double sparsity,
                 std::mt19937& rng) {
  float* d = t.data<float>();
  const int64_t outer = t.shape()[0], inner = t.numel() / outer;
  const int64_t rows = weight_transposed ? inner : outer, cols = t.numel() / rows;
  std::vector<float> w(static_cast<size_t>(t.numel()));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      w[r * cols + c] = weight_transposed ? d[c * rows + r] : d[r * cols + c];
    }
  }
  Prune(w, rows, cols, pattern, sparsity, rng);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      (weight_transposed ? d[c * rows + r] : d[r * cols + c]) = w[r * cols + c];
    }
  }
}

// One node with random float32 inputs, input 1 the weight, pruned by PruneWeight.
class Harness : public kerneltest::NodeHarness {
 public:
  Harness(OpType op, const std::vector<InputSpec>& specs, Attributes attrs, bool weight_transposed,
          Pattern pattern, double sparsity, uint32_t seed)
      : NodeHarness(op, specs, std::move(attrs), seed, "node", "sparse_kernels_test",
                    [&](size_t i, Tensor& t, std::mt19937& rng) {
                      kerneltest::FillRandom(t, rng);
                      if (i == 1) PruneWeight(t, weight_transposed, pattern, sparsity, rng);
                    }) {}
};

void ExpectNear(const Tensor& got, const Tensor& want, const std::string& what) {
  kerneltest::ExpectNear(got, want, what, kTolerance, 3);
}

// CreateSparseKernel for exactly `format`, with the SIMD level forced to `level` (and the padded
// grid switched off when `im2col`) while the kernel is created.
Result<std::unique_ptr<Kernel>> CreateAt(SimdLevel level, const KernelRequest& req,
                                         SparseFormat format, bool im2col = false) {
  dense::ForceSimdLevelForTesting(level);
  sparse::SetConvGridDisabledForTesting(im2col);
  SparseOptions opts;
  opts.format = format;
  auto kernel = CreateSparseKernel(req, opts);
  sparse::SetConvGridDisabledForTesting(false);
  dense::ForceSimdLevelForTesting(std::nullopt);
  return kernel;
}

struct Case {
  std::string name;
  OpType op;
  std::vector<InputSpec> inputs;
  Attributes attrs;
  bool weight_transposed = false;
};

constexpr auto Attrs = kerneltest::MakeAttributes;
using kerneltest::Ints;

std::vector<Case> Cases() {
  const OpType mm = OpType::kMatMul, gemm = OpType::kGemm, conv = OpType::kConv;
  return {
      {"matmul_m1_tails", mm, {{{1, 37}}, {{37, 29}, true}}, {}, true},
      // Dense rows of 53: two gathers, one more and a masked one (AVX-512; CsrColumn).
      {"matmul_m1_long_rows", mm, {{{1, 53}}, {{53, 19}, true}}, {}, true},
      {"matmul_k1", mm, {{{5, 1}}, {{1, 7}, true}}, {}, true},
      {"matmul_tile_tails", mm, {{{70, 19}}, {{19, 130}, true}}, {}, true},
      {"matmul_operand_blocks", mm, {{{37, 150}}, {{150, 45}, true}}, {}, true},  // K > 64
      // 2:4 as NmRows: blocks of groups (partial sums in Y), odd panel and row tails.
      {"matmul_group_blocks",
       mm,
       {{{300, 150}}, {{150, 21}, true}, {{21}, true}},
       Attrs({{"_act", std::string("Relu")}}),
       true},
      {"matmul_batched_bias_relu",
       mm,
       {{{2, 3, 20}}, {{20, 9}, true}, {{9}, true}},
       Attrs({{"_act", std::string("Relu")}}),
       true},
      {"gemm_transb_bias_clip",
       gemm,
       {{{17, 33}}, {{21, 33}, true}, {{21}, true}},
       Attrs({{"transB", int64_t{1}},
              {"alpha", 0.5f},
              {"beta", 2.f},
              {"_act", std::string("Clip")},
              {"_act_min", -0.25f},
              {"_act_max", 0.5f}}),
       false},
      {"gemm_transa_scalar_bias",
       gemm,
       {{{24, 18}}, {{24, 11}, true}, {{1}, true}},
       Attrs({{"transA", int64_t{1}}}),
       true},
      {"conv3x3_pad",
       conv,
       {{{1, 3, 7, 7}}, {{5, 3, 3, 3}, true}, {{5}, true}},
       Attrs({{"pads", Ints{1, 1, 1, 1}}}),
       false},
      {"conv_stride1_asym_pad",  // padded grid with uneven pads
       conv,
       {{{1, 6, 8, 9}}, {{10, 6, 3, 3}, true}, {{10}, true}},
       Attrs({{"pads", Ints{0, 1, 2, 1}}}),
       false},
      {"conv_stride2_asym",
       conv,
       {{{1, 17, 13, 11}}, {{19, 17, 3, 3}, true}, {{19}, true}},
       Attrs({{"strides", Ints{2, 2}}, {"pads", Ints{0, 1, 2, 1}}}),
       false},
      {"conv_groups_batch2",
       conv,
       {{{2, 8, 9, 10}}, {{12, 2, 3, 3}, true}, {{12}, true}},
       Attrs({{"group", int64_t{4}}, {"pads", Ints{1, 1, 1, 1}}}),
       false},
      {"conv_depthwise_stride2_relu",
       conv,
       {{{1, 24, 15, 15}}, {{24, 1, 3, 3}, true}},
       Attrs({{"group", int64_t{24}},
              {"strides", Ints{2, 2}},
              {"pads", Ints{1, 1, 1, 1}},
              {"_act", std::string("Relu")}}),
       false},
      {"conv_dilation2",
       conv,
       {{{1, 16, 14, 13}}, {{8, 16, 3, 3}, true}, {{8}, true}},
       Attrs({{"pads", Ints{2, 2, 2, 2}}, {"dilations", Ints{2, 2}}}),
       false},
      {"conv1x1_direct_tail",
       conv,
       {{{1, 24, 9, 11}}, {{37, 24, 1, 1}, true}, {{37}, true}},
       {},
       false},
      {"conv1x1_stride2",
       conv,
       {{{1, 16, 9, 9}}, {{20, 16, 1, 1}, true}},
       Attrs({{"strides", Ints{2, 2}}}),
       false},
      {"conv3x3_wide_clip",
       conv,
       {{{1, 64, 10, 10}}, {{64, 64, 3, 3}, true}, {{64}, true}},
       Attrs({{"pads", Ints{1, 1, 1, 1}},
              {"_act", std::string("Clip")},
              {"_act_min", -0.5f},
              {"_act_max", 0.5f}}),
       false},
      {"conv_same_upper_4x4",
       conv,
       {{{1, 5, 9, 10}}, {{7, 5, 4, 4}, true}, {{7}, true}},
       Attrs({{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}),
       false},
      {"conv1d",
       conv,
       {{{2, 5, 20}}, {{7, 5, 3}, true}, {{7}, true}},
       Attrs({{"strides", Ints{2}}, {"pads", Ints{1, 0}}}),
       false},
      // Narrow outputs (the zoo's last stages): the padded grid with a third or half of every
      // grid row discarded.
      {"conv3x3_narrow_4x4",
       conv,
       {{{1, 16, 4, 4}}, {{17, 16, 3, 3}, true}, {{17}, true}},
       Attrs({{"pads", Ints{1, 1, 1, 1}}}),
       false},
      {"conv3x3_narrow_2x2_stride2",
       conv,
       {{{1, 9, 4, 3}}, {{6, 9, 3, 3}, true}, {{6}, true}},
       Attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}),
       false},
  };
}

Case CaseNamed(const std::string& name) {
  for (const Case& c : Cases()) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no case " << name;
  return Cases()[0];
}

class SparseKernelTest : public ::testing::TestWithParam<std::tuple<Case, Pattern, double>> {};

TEST_P(SparseKernelTest, MatchesReferenceForEveryFormatLevelAndThreads) {
  const auto& [c, pattern, sparsity] = GetParam();
  const Harness h(c.op, c.inputs, c.attrs, c.weight_transposed, pattern, sparsity, kSeed);
  ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
  const Tensor want = h.RunRef();
  for (SparseFormat format : {SparseFormat::kCsr, SparseFormat::kBlock4x1, SparseFormat::kNm24}) {
    for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
      auto kernel = CreateAt(level, h.request(2), format);
      const bool fits_nm = pattern == Pattern::kNm24 && sparsity >= 0.5;
      if (format == SparseFormat::kNm24 && !fits_nm && sparsity < 1.0) {
        // Random weights below 50% sparsity cannot be 2:4 (except by chance on tiny shapes).
        if (!kernel.ok()) {
          EXPECT_EQ(kernel.status().code(), StatusCode::kUnsupported);
          continue;
        }
      }
      ASSERT_TRUE(kernel.ok()) << kernel.status().message();
      for (int threads : {1, 2}) {
        const std::string what = c.name + " " + PatternName(pattern) + " sparsity " +
                                 std::to_string(sparsity) + " " + (*kernel)->name() + " threads " +
                                 std::to_string(threads) + " seed " + std::to_string(kSeed);
        ExpectNear(h.Run(**kernel, threads), want, what);
      }
    }
  }
}

// 2:4 MatMul / Gemm with SIMD run as NmRows (vectorized over outputs, A read in place); transA and
// scalar code keep the row-vectorized SpMM. Both match the reference (SparseKernelTest).
TEST(SparseMatMulNmRows, ChosenWithSimdUnlessATransposed) {
  for (const char* name : {"matmul_group_blocks", "gemm_transa_scalar_bias"}) {
    const Case c = CaseNamed(name);
    const Harness h(c.op, c.inputs, c.attrs, c.weight_transposed, Pattern::kNm24, 0.5, kSeed);
    ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
    for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
      auto kernel = CreateAt(level, h.request(2), SparseFormat::kNm24);
      ASSERT_TRUE(kernel.ok()) << kernel.status().message();
      const bool simd =
          dense::DetectSimdLevel() != SimdLevel::kScalar && level != SimdLevel::kScalar;
      const bool rows = (*kernel)->name().find("+rows") != std::string::npos;
      EXPECT_EQ(rows, simd && c.name == "matmul_group_blocks")
          << c.name << " " << (*kernel)->name();
    }
  }
}

// Stride-1 convolutions run on the padded grid; with the test hook they take the im2col path
// instead, and both match the reference.
TEST(SparseConvGrid, GridAndIm2colPathsBothMatchTheReference) {
  const Case c = CaseNamed("conv3x3_pad");
  const Harness h(c.op, c.inputs, c.attrs, c.weight_transposed, Pattern::kUnstructured, 0.9, kSeed);
  const Tensor want = h.RunRef();
  for (bool disabled : {false, true}) {
    sparse::SetConvGridDisabledForTesting(disabled);
    SparseOptions opts;
    opts.format = SparseFormat::kCsr;
    auto kernel = CreateSparseKernel(h.request(2), opts);
    sparse::SetConvGridDisabledForTesting(false);
    ASSERT_TRUE(kernel.ok()) << kernel.status().message();
    EXPECT_EQ((*kernel)->name().find("+grid") == std::string::npos, disabled) << (*kernel)->name();
    for (int threads : {1, 2}) ExpectNear(h.Run(**kernel, threads), want, (*kernel)->name());
  }
}

// A grid large enough that threads split its tiles (not W's rows): each thread pads its own band
// of input rows and reads the halo rows below from the next one. Uneven pads, odd sizes (tiles end
// in partial vectors), every SIMD level, 1 to 3 threads.
TEST(SparseConvGrid, ThreadsPadTheirOwnBandsOfALargeInput) {
  const std::vector<InputSpec> inputs = {{{1, 5, 37, 41}}, {{7, 5, 3, 3}, true}, {{7}, true}};
  for (Pattern pattern : {Pattern::kUnstructured, Pattern::kBlock4x1}) {
    const Harness h(OpType::kConv, inputs, Attrs({{"pads", Ints{0, 1, 2, 1}}}), false, pattern, 0.5,
                    kSeed);
    ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
    const Tensor want = h.RunRef();
    for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
      auto kernel =
          CreateAt(level, h.request(3),
                   pattern == Pattern::kBlock4x1 ? SparseFormat::kBlock4x1 : SparseFormat::kCsr);
      ASSERT_TRUE(kernel.ok()) << kernel.status().message();
      ASSERT_NE((*kernel)->name().find("+grid"), std::string::npos) << (*kernel)->name();
      for (int threads : {1, 2, 3}) {
        ExpectNear(h.Run(**kernel, threads), want,
                   (*kernel)->name() + " threads " + std::to_string(threads));
      }
    }
  }
}

// Threads take their items through WorkRuns: a thread that finds its own run empty steals from
// the back of the others' and pads, in its own copy of the grid, the rows those tiles read. With
// OpenMP held to one thread, a kernel prepared for 3 runs all three runs on that one thread: its
// own in order, then the others' stolen from the back (rows not next to those it padded), on the
// padded grid (3x3, 3 and 2 threads' worth of tiles; stride 2 on phases) and on 1x1 tiles.
TEST(SparseConvGrid, AThreadThatStealsPadsTheRowsOfWhatItTakes) {
  struct Shape {
    std::vector<int64_t> x, w;
    Ints strides, pads;
  };
  const std::vector<Shape> shapes = {
      {{1, 5, 37, 41}, {7, 5, 3, 3}, {1, 1}, {0, 1, 2, 1}},
      {{1, 6, 40, 33}, {9, 6, 3, 3}, {2, 2}, {1, 1, 1, 1}},
      {{1, 24, 30, 29}, {37, 24, 1, 1}, {1, 1}, {0, 0, 0, 0}},
  };
  const int saved = omp_get_max_active_levels();
  for (const Shape& sh : shapes) {
    const std::vector<InputSpec> inputs = {{sh.x}, {sh.w, true}, {{sh.w[0]}, true}};
    const Harness h(OpType::kConv, inputs, Attrs({{"strides", sh.strides}, {"pads", sh.pads}}),
                    false, Pattern::kUnstructured, 0.5, kSeed);
    ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
    const Tensor want = h.RunRef();
    for (int prepared : {2, 3}) {
      for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
        auto kernel = CreateAt(level, h.request(prepared), SparseFormat::kCsr);
        ASSERT_TRUE(kernel.ok()) << kernel.status().message();
        omp_set_max_active_levels(0);  // every parallel region runs on one thread
        const Tensor got = h.Run(**kernel, prepared);
        omp_set_max_active_levels(saved);
        ExpectNear(got, want, (*kernel)->name() + " prepared for " + std::to_string(prepared));
      }
    }
  }
}

// CSR convolutions sweep the operand rows in blocks (SpmmArgs::kblocks: about 288 rows on the
// padded grid, 256 otherwise), the sums in between kept per thread. Padded grid: 130 channels x 9
// taps (4 blocks) with batch 2, and 2 groups of 70 x 9 (2 blocks each) with a dilation and uneven
// pads; direct 1x1: 400 channels (2 blocks); stride 2 (on phases of the padded grid, and on
// im2col tiles with the grid off): 60 x 9 (2 blocks).
// Sparsity 0.5 to 1 (empty rows and blocks), every SIMD level, 1 to 3 threads.
TEST(SparseConvGrid, OperandRowBlocksMatchTheReference) {
  struct Shape {
    std::vector<InputSpec> inputs;
    Attributes attrs;
    bool grid = true;     // expected on the padded grid
    bool im2col = false;  // the grid switched off (test hook)
  };
  const std::vector<Shape> shapes = {
      {{{{2, 130, 6, 9}}, {{11, 130, 3, 3}, true}, {{11}, true}},
       Attrs({{"pads", Ints{1, 1, 1, 1}}})},
      {{{{1, 140, 9, 7}}, {{6, 70, 3, 3}, true}},
       Attrs({{"group", int64_t{2}},
              {"pads", Ints{2, 1, 2, 3}},
              {"dilations", Ints{2, 1}},
              {"_act", std::string("Relu")}})},
      {{{{1, 400, 5, 13}}, {{9, 400, 1, 1}, true}, {{9}, true}}, {}, false},
      {{{{1, 60, 11, 9}}, {{7, 60, 3, 3}, true}, {{7}, true}},
       Attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 1}}})},
      {{{{1, 60, 11, 9}}, {{7, 60, 3, 3}, true}, {{7}, true}},
       Attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 1}}}),
       false,
       true},
  };
  for (const Shape& shape : shapes) {
    for (double sparsity : {0.5, 0.9, 0.95, 1.0}) {
      const Harness h(OpType::kConv, shape.inputs, shape.attrs, false, Pattern::kUnstructured,
                      sparsity, kSeed);
      ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
      const Tensor want = h.RunRef();
      for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
        auto kernel = CreateAt(level, h.request(3), SparseFormat::kCsr, shape.im2col);
        ASSERT_TRUE(kernel.ok()) << kernel.status().message();
        const std::string name = (*kernel)->name();
        ASSERT_EQ(name.find("+grid") != std::string::npos, shape.grid) << name;
        for (int threads : {1, 2, 3}) {
          ExpectNear(h.Run(**kernel, threads), want,
                     name + " sparsity " + std::to_string(sparsity) + " threads " +
                         std::to_string(threads));
        }
      }
    }
  }
}

// A fused residual (Plan::FuseResidualAdds: "_residual", input 3) is added before the activation
// by every format on every path: padded grid, direct 1x1, stride phases, im2col tiles (2:4);
// sparsity 0.5 and 1 (rows without nonzeros still add it), every SIMD level, 1 and 2 threads.
TEST(SparseConvResidual, EveryFormatAndPathAddsItBeforeTheActivation) {
  struct Shape {
    std::vector<InputSpec> inputs;
    Attributes attrs;
  };
  const std::vector<Shape> shapes = {
      {{{{1, 8, 9, 10}}, {{12, 8, 3, 3}, true}, {{12}, true}}, Attrs({{"pads", Ints{1, 1, 1, 1}}})},
      {{{{2, 16, 7, 9}}, {{12, 16, 1, 1}, true}, {{12}, true}}, {}},
      {{{{1, 8, 11, 9}}, {{12, 8, 3, 3}, true}, {{12}, true}},
       Attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 1}}})},
  };
  std::mt19937 rng(kSeed);
  for (const Shape& shape : shapes) {
    for (Pattern pattern : {Pattern::kUnstructured, Pattern::kBlock4x1, Pattern::kNm24}) {
      for (double sparsity : {0.5, 1.0}) {
        Harness h(OpType::kConv, shape.inputs, shape.attrs, false, pattern, sparsity, kSeed);
        ASSERT_TRUE(h.infer_status().ok()) << h.infer_status().message();
        Tensor want = h.RunRef();
        Tensor residual(DType::kF32, want.shape());
        kerneltest::FillRandom(residual, rng);
        for (int64_t i = 0; i < want.numel(); ++i) {
          float& w = want.data<float>()[i];
          w = std::max(0.f, w + residual.data<float>()[i]);
        }
        h.AppendInput(residual);
        h.attrs().Set("_residual", int64_t{1});
        h.attrs().Set("_act", std::string("Relu"));
        const SparseFormat format = pattern == Pattern::kUnstructured ? SparseFormat::kCsr
                                    : pattern == Pattern::kBlock4x1   ? SparseFormat::kBlock4x1
                                                                      : SparseFormat::kNm24;
        for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
          auto kernel = CreateAt(level, h.request(2), format);
          ASSERT_TRUE(kernel.ok()) << kernel.status().message();
          const std::string name = (*kernel)->name();
          EXPECT_NE(name.find("+residual"), std::string::npos) << name;
          for (int threads : {1, 2}) {
            ExpectNear(h.Run(**kernel, threads), want,
                       name + " sparsity " + std::to_string(sparsity) + " threads " +
                           std::to_string(threads));
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, SparseKernelTest,
                         ::testing::Combine(::testing::ValuesIn(Cases()),
                                            ::testing::Values(Pattern::kUnstructured,
                                                              Pattern::kBlock4x1, Pattern::kNm24),
                                            ::testing::Values(0.0, 0.5, 0.9, 0.95, 1.0)),
                         [](const auto& info) {
                           std::string name =
                               std::get<0>(info.param).name + "_" +
                               PatternName(std::get<1>(info.param)) + "_" +
                               std::to_string(static_cast<int>(std::get<2>(info.param) * 100));
                           std::replace_if(
                               name.begin(), name.end(), [](char ch) { return !std::isalnum(ch); },
                               '_');
                           return name;
                         });

}  // namespace
}  // namespace sl

// Weight analysis, packing, and the per-layer choice of CreateSparseKernel (threshold, force,
// cost model, decision cache, unsupported nodes, concurrent use).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "graph/infer.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"
#include "kernels/sparse/packed_matrix.h"
#include "kernels/sparse/sparse.h"

namespace sl {
namespace {

using sparse::SparseFormat;
constexpr uint32_t kSeed = 99;

// A MatMul [m, k] x constant [k, n] whose B keeps each value with probability 1 - sparsity.
class MatMulNode : public kerneltest::NodeHarness {
 public:
  MatMulNode(int64_t m, int64_t k, int64_t n, double sparsity, DType wtype = DType::kF32,
             bool constant = true)
      : NodeHarness(OpType::kMatMul, {{{m, k}}, {{k, n}, constant, wtype}}, Attributes(), kSeed,
                    "mm", "sparse_select_test", [&](size_t i, Tensor& t, std::mt19937& rng) {
                      if (t.dtype() != DType::kF32) return;
                      std::uniform_real_distribution<float> dist(-1.f, 1.f);
                      for (int64_t j = 0; j < t.numel(); ++j) {
                        const float x = dist(rng);
                        t.data<float>()[j] =
                            (i == 1 && (x + 1.f) / 2.f < sparsity) ? 0.f : dist(rng);
                      }
                    }) {
    if (wtype == DType::kF32) {
      EXPECT_TRUE(infer_status().ok()) << infer_status().message();
    }
  }
  // The reference kernel (kernel == nullptr) or `kernel` on 2 threads.
  Tensor Run(const Kernel* kernel) const {
    return kernel == nullptr ? RunRef() : NodeHarness::Run(*kernel, 2);
  }
};

void ExpectNear(const Tensor& got, const Tensor& want) {
  kerneltest::ExpectNear(got, want, "", 2e-4f, 1);
}

TEST(SparseAnalyzeTest, CountsZeroRowsColumnsBlocksAndNm) {
  // 5 x 8: row 1 and column 7 all zero; every group of 4 has <= 2 nonzeros.
  const std::vector<float> w = {1, 0, 2, 0, 0, 3, 0, 0,  //
                                0, 0, 0, 0, 0, 0, 0, 0,  //
                                0, 4, 0, 0, 5, 0, 0, 0,  //
                                6, 0, 0, 7, 0, 0, 8, 0,  //
                                0, 0, 9, 0, 0, 0, 0, 0};
  const sparse::WeightStats s = sparse::AnalyzeWeights(w.data(), 5, 8);
  EXPECT_EQ(s.nnz, 9);
  EXPECT_EQ(s.zero_rows, 1);
  EXPECT_EQ(s.zero_cols, 1);
  EXPECT_TRUE(s.fits_nm24);
  EXPECT_EQ(s.nonzero_blocks, 7 + 1);  // rows 0-3: columns 0,1,2,3,4,5,6; row 4: column 2
  EXPECT_NEAR(s.sparsity(), 1.0 - 9.0 / 40, 1e-12);
  const sparse::PackedMatrix p = sparse::Pack(SparseFormat::kCsr, w.data(), 5, 8, true, 2.f);
  EXPECT_EQ(p.operand_rows(), 7);  // column 7 dropped
  EXPECT_EQ(p.val.size(), 9u);
  EXPECT_EQ(p.val[0], 2.f);
  EXPECT_EQ(p.ptr[2] - p.ptr[1], 0);  // the empty row stores nothing
}

TEST(SparseAnalyzeTest, Nm24DetectsViolations) {
  const std::vector<float> w = {1, 1, 1, 0};
  EXPECT_FALSE(sparse::AnalyzeWeights(w.data(), 1, 4).fits_nm24);
  EXPECT_FALSE(sparse::CanPack(SparseFormat::kNm24, sparse::AnalyzeWeights(w.data(), 1, 4)));
}

TEST(SparseSelectTest, BelowThresholdIsUnsupportedWithReason) {
  const MatMulNode node(8, 64, 32, 0.1);
  auto k = CreateSparseKernel(node.request());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(k.status().message().find("below threshold"), std::string::npos)
      << k.status().message();
}

TEST(SparseSelectTest, ForceAlwaysGivesACorrectSparseKernel) {
  const MatMulNode node(8, 64, 32, 0.0);
  SparseOptions opts;
  opts.force = true;
  auto k = CreateSparseKernel(node.request(2), opts);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ((*k)->name().rfind("sparse-", 0), 0u) << (*k)->name();
  ExpectNear(node.Run(k->get()), node.Run(nullptr));
}

TEST(SparseSelectTest, CostModelPicksSparseForVerySparseWeights) {
  const MatMulNode node(64, 256, 256, 0.97);
  SparseOptions opts;
  opts.measure = false;
  auto k = CreateSparseKernel(node.request(), opts);
  ASSERT_TRUE(k.ok()) << k.status().message();
  ExpectNear(node.Run(k->get()), node.Run(nullptr));
}

TEST(SparseSelectTest, MeasuredDecisionIsCachedAndReturnsAValidChoice) {
  sparse::ClearDecisionCacheForTesting();
  const MatMulNode node(32, 128, 96, 0.9);
  auto first = CreateSparseKernel(node.request());
  EXPECT_EQ(sparse::DecisionCacheSize(), 1u);
  auto second = CreateSparseKernel(node.request());
  EXPECT_EQ(sparse::DecisionCacheSize(), 1u);
  ASSERT_EQ(first.ok(), second.ok());
  if (first.ok()) {
    EXPECT_EQ((*first)->name(), (*second)->name());
    ExpectNear(node.Run(first->get()), node.Run(nullptr));
  } else {
    EXPECT_NE(first.status().message().find("dense measured faster"), std::string::npos);
  }
}

// Records every Execute in a shared log; fails when told to.
class LoggingKernel final : public Kernel {
 public:
  LoggingKernel(int id, std::vector<int>* log, bool fail) : id_(id), log_(log), fail_(fail) {}
  std::string name() const override { return "logging"; }
  Status Execute(std::span<const TensorView>, std::span<const TensorView>,
                 const ExecContext&) const override {
    log_->push_back(id_);
    return fail_ ? Internal("told to fail") : Status::Ok();
  }

 private:
  int id_;
  std::vector<int>* log_;
  bool fail_;
};

// The choice times its candidates round by round, so none is timed alone in a fast or slow
// stretch: every round runs each kernel once, the first one rotating.
TEST(SparseSelectTest, MeasurementInterleavesTheCandidates) {
  const MatMulNode node(8, 32, 16, 0.9);
  std::vector<int> log;
  const LoggingKernel a(0, &log, false), b(1, &log, false), c(2, &log, false);
  const std::vector<double> us = sparse::MeasureInterleavedUs(node.request(), {&a, &b, &c}, 7);
  ASSERT_EQ(us.size(), 3u);
  for (double t : us) EXPECT_LT(t, 1e30);
  ASSERT_EQ(log.size() % 3, 0u);
  const size_t rounds = log.size() / 3 - 1;  // after the warm-up round
  EXPECT_GE(rounds, 7u);
  EXPECT_LE(rounds, 200u);
  for (size_t r = 0; r <= rounds; ++r) {  // each round: a permutation, rotated by the round
    std::vector<int> seen(log.begin() + 3 * r, log.begin() + 3 * (r + 1));
    if (r > 0) EXPECT_EQ(seen[0], static_cast<int>((r - 1) % 3)) << "round " << r;
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2})) << "round " << r;
  }
  // A failing kernel is reported as 1e30 and not run again; the others are still timed.
  log.clear();
  const LoggingKernel bad(1, &log, true);
  const std::vector<double> mixed = sparse::MeasureInterleavedUs(node.request(), {&a, &bad}, 5);
  EXPECT_LT(mixed[0], 1e30);
  EXPECT_EQ(mixed[1], 1e30);
  EXPECT_EQ(std::count(log.begin(), log.end(), 1), 1);
  EXPECT_GE(std::count(log.begin(), log.end(), 0), 6);
}

TEST(SparseSelectTest, UnsupportedNodesSayWhy) {
  const MatMulNode non_constant(4, 16, 8, 0.9, DType::kF32, /*constant=*/false);
  EXPECT_EQ(CreateSparseKernel(non_constant.request()).status().code(), StatusCode::kUnsupported);
  const MatMulNode int_weights(4, 16, 8, 0.9, DType::kI64);
  EXPECT_EQ(CreateSparseKernel(int_weights.request()).status().code(), StatusCode::kUnsupported);
  SparseOptions nm;
  nm.format = SparseFormat::kNm24;
  const MatMulNode dense_weights(4, 16, 8, 0.0);
  EXPECT_EQ(CreateSparseKernel(dense_weights.request(), nm).status().code(),
            StatusCode::kUnsupported);
}

TEST(SparseSelectTest, ConcurrentPrepareAndExecuteAgree) {
  const MatMulNode node(40, 96, 72, 0.9);
  SparseOptions opts;
  opts.format = SparseFormat::kCsr;
  auto k = CreateSparseKernel(node.request(2), opts);
  ASSERT_TRUE(k.ok());
  const Tensor want = node.Run(nullptr);
  std::vector<std::thread> threads;
  std::vector<Tensor> got(3);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      SparseOptions o;
      o.measure = false;
      o.force = true;
      (void)CreateSparseKernel(node.request(), o);
      got[t] = node.Run(k->get());
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Tensor& g : got) ExpectNear(g, want);
}

}  // namespace
}  // namespace sl

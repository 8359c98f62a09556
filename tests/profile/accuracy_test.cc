#include "profile/accuracy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "zoo/stitch_test_util.h"

namespace sl {
namespace {

using testing::SmallPool;

// Brute force: every stitch run in full on every validation row.
std::vector<double> BruteForce(const Pool& pool, const SegmentSet& set) {
  const int n = set.num_variants(), k = set.num_segments();
  const int64_t batch = set.config().batch, rows = pool.val_count();
  StitchRunner runner(set);
  std::vector<double> acc;
  for (int64_t s = 0; s < NumStitches(n, k); ++s) {
    int64_t correct = 0;
    for (int64_t first = 0; first < rows; first += batch) {
      Tensor x(DType::kF32, {batch, 8});
      int64_t m = std::min(batch, rows - first);
      std::memcpy(x.raw(), pool.val_x.data<float>() + first * 8, m * 8 * sizeof(float));
      auto out = runner.Run(StitchFromIndex(s, n, k), x);
      SL_CHECK(out.ok());
      for (int64_t r = 0; r < m; ++r) {
        const float* row = out->data<float>() + r * 4;
        correct += (std::max_element(row, row + 4) - row) == pool.val_y.data<int64_t>()[first + r];
      }
    }
    acc.push_back(static_cast<double>(correct) / rows);
  }
  return acc;
}

TEST(Accuracy, PrefixSharedEqualsBruteForce) {
  const uint32_t seed = 11;
  std::printf("seed %u\n", seed);
  Pool pool = SmallPool(3, 53, seed);  // 53 rows: the last chunk of 16 is padded
  auto set = SegmentSet::Prepare(pool, {"r1", "a2"}, {16, 1});
  ASSERT_TRUE(set.ok()) << set.status().message();
  std::vector<double> want = BruteForce(pool, *set);
  for (int workers : {1, 2, 3}) {
    AccuracyOptions opts;
    opts.workers = workers;
    int64_t last_total = 0;
    opts.progress = [&](int64_t, int64_t total) { last_total = total; };
    auto got = MeasureAllStitchAccuracy(pool, *set, opts);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(got->accuracy, want) << workers << " workers";
    EXPECT_EQ(got->validation_count, 53);
    // 4 chunks x (3 + 9 + 27) segment runs instead of 4 x 3 x 27.
    EXPECT_EQ(got->segment_runs, 4 * 39);
    EXPECT_EQ(last_total, 4 * 39);
  }
  // A subset with duplicates, in any order.
  std::vector<Stitch> some{{2, 0, 1}, {0, 0, 0}, {2, 0, 1}};
  auto sub = MeasureStitchAccuracy(pool, *set, some, {});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->accuracy[0], want[StitchIndex({2, 0, 1}, 3)]);
  EXPECT_EQ(sub->accuracy[1], want[0]);
  EXPECT_EQ(sub->accuracy[2], sub->accuracy[0]);
  EXPECT_FALSE(MeasureStitchAccuracy(pool, *set, {{0, 1}}, {}).ok());
  EXPECT_FALSE(MeasureStitchAccuracy(pool, *set, {{0, 1, 7}}, {}).ok());
}

TEST(Accuracy, NoValidationDataIsAnError) {
  Pool pool = SmallPool(2, 0, 1);
  pool.val_x = Tensor();
  pool.val_y = Tensor();
  auto set = SegmentSet::Prepare(pool, {"r1"}, {4, 1});
  ASSERT_TRUE(set.ok());
  auto r = MeasureAllStitchAccuracy(pool, *set, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("validation"), std::string::npos);
}

TEST(Estimator, RecoversAnAdditiveModel) {
  const uint32_t seed = 3;
  std::printf("seed %u\n", seed);
  const int n = 5, k = 3;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-0.05, 0.05);
  std::vector<double> effect(n * k);
  for (double& e : effect) e = d(rng);
  auto truth = [&](const Stitch& s) {
    double a = 0.6;
    for (int i = 0; i < k; ++i) a += effect[i * n + s[i]];
    return a;
  };
  std::vector<Stitch> fit, all;
  std::vector<double> fit_acc;
  for (int64_t i = 0; i < NumStitches(n, k); ++i) {
    all.push_back(StitchFromIndex(i, n, k));
    if (i % 3 == 0) {
      fit.push_back(all.back());
      fit_acc.push_back(truth(all.back()));
    }
  }
  auto pred = FitAndPredictAccuracy(n, k, fit, fit_acc, all, false, 1e-9);
  ASSERT_TRUE(pred.ok());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_NEAR((*pred)[i], truth(all[i]), 1e-6);
  // With pair terms the fit is underdetermined here; the ridge keeps predictions close.
  auto pairs = FitAndPredictAccuracy(n, k, fit, fit_acc, all, true, 1e-6);
  ASSERT_TRUE(pairs.ok());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_NEAR((*pairs)[i], truth(all[i]), 0.02);
  EXPECT_FALSE(FitAndPredictAccuracy(n, k, {}, {}, all, false, 1e-3).ok());
}

TEST(Estimator, PredictsEveryStitchAndReportsHeldOutError) {
  const uint32_t seed = 21;
  std::printf("seed %u\n", seed);
  Pool pool = SmallPool(4, 40, seed);
  auto set = SegmentSet::Prepare(pool, {"r1", "a2"}, {20, 1});
  ASSERT_TRUE(set.ok());
  EstimatorOptions eo;
  eo.samples = 30;
  eo.seed = seed;
  auto est = EstimateStitchAccuracy(pool, *set, {}, eo);
  ASSERT_TRUE(est.ok()) << est.status().message();
  EXPECT_EQ(est->accuracy.size(), 64u);
  EXPECT_EQ(est->measured.size(), 30u);
  EXPECT_EQ(est->fit_samples + est->holdout_samples, 30);
  EXPECT_GT(est->holdout_samples, 0);
  EXPECT_GE(est->holdout_max_error_points, est->holdout_mae_points);
  auto exact = MeasureAllStitchAccuracy(pool, *set, {});
  ASSERT_TRUE(exact.ok());
  for (int64_t m : est->measured) EXPECT_EQ(est->accuracy[m], exact->accuracy[m]);
  for (int v = 0; v < 4; ++v) {  // plain variants are always measured
    int64_t i = StitchIndex({v, v, v}, 4);
    EXPECT_TRUE(std::binary_search(est->measured.begin(), est->measured.end(), i));
  }
  for (double a : est->accuracy) EXPECT_TRUE(a >= 0 && a <= 1);
  std::printf("estimator %s: held-out MAE %.2f points, max %.2f\n", est->kind.c_str(),
              est->holdout_mae_points, est->holdout_max_error_points);
}

}  // namespace
}  // namespace sl

// Padded-grid rows (kernels/sparse/pad_rows.h): every level against a naive loop, on widths with
// tails, leading zeros 0 to 3, every count of values, strides 1 to 3, outputs pre-filled with NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/dense/cpu_features.h"
#include "kernels/sparse/pad_rows.h"

namespace sl::sparse {
namespace {

std::vector<float> Naive(const PadRowsArgs& a) {
  std::vector<float> out(static_cast<size_t>(a.rows * a.ld_dst), NAN);
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t c = 0; c < a.width; ++c) {
      const int64_t j = c - a.lo;
      out[r * a.ld_dst + c] = j >= 0 && j < a.n ? a.src[r * a.ld_src + j * a.stride] : 0.f;
    }
  }
  return out;
}

TEST(SparsePadRows, EveryLevelMatchesTheNaiveRows) {
  std::vector<std::pair<std::string, PadRowsFn>> fns = {{"portable", &PadRowsPortable}};
  if (dense::DetectSimdLevel() == dense::SimdLevel::kAvx512) {
    fns.emplace_back("avx512", &PadRowsAvx512);
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (const auto& [name, fn] : fns) {
    for (int64_t width : {1, 5, 9, 15, 16, 17, 30, 58}) {
      for (int64_t stride : {1, 2, 3}) {
        for (int64_t lo = 0; lo <= std::min<int64_t>(3, width); ++lo) {
          for (int64_t n = 0; lo + n <= width; ++n) {
            PadRowsArgs a;
            a.stride = stride;
            a.n = n;
            a.lo = lo;
            a.width = width;
            a.rows = 3;
            a.ld_src = std::max<int64_t>(1, (n - 1) * stride + 1) + 2;
            a.ld_dst = width + 3;  // the floats past each row's end stay NaN
            std::vector<float> src(static_cast<size_t>(a.rows * a.ld_src));
            for (float& v : src) v = dist(rng);
            std::vector<float> dst(static_cast<size_t>(a.rows * a.ld_dst), NAN);
            a.src = src.data();
            a.dst = dst.data();
            fn(a);
            const std::vector<float> want = Naive(a);
            for (size_t i = 0; i < dst.size(); ++i) {
              const bool same = std::isnan(want[i]) ? std::isnan(dst[i]) : dst[i] == want[i];
              ASSERT_TRUE(same) << name << " width " << width << " stride " << stride << " lo "
                                << lo << " n " << n << " at " << i;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace sl::sparse

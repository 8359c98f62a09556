// Portable scalar SpMM (spmm.h): the fallback on CPUs without AVX2 + FMA.
#include <algorithm>

#include "kernels/sparse/spmm_impl.h"

namespace sl::sparse {
namespace {

struct ScalarVec {
  using R = float;
  static constexpr int W = 1;
  static constexpr int kRegs = 16;
  static constexpr int kChunks = 4;
  static constexpr int kWideChunks = 4;
  static constexpr int kBlockChunks = 4;
  static constexpr int kWideBlockChunks = 4;
  static R set1(float v) { return v; }
  static R load(const float* p) { return *p; }
  static R load_part(const float* p, int) { return *p; }
  static void store(float* p, R v) { *p = v; }
  static void store_part(float* p, R v, int) { *p = v; }
  static void store_lanes(float* p, R v, int, int) { *p = v; }
  static R load_lanes(const float* p, int, int) { return *p; }
  static R add(R a, R b) { return a + b; }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R clamp(R v, R lo, R hi) { return std::min(std::max(v, lo), hi); }
  static constexpr bool kGather = false;  // CsrColumn
};

}  // namespace

void SpmmScalar(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end) {
  SpmmImpl<ScalarVec>(a, unit_begin, unit_end);
}

SpmmFn SpmmFor(dense::SimdLevel level) {
  switch (level) {
    case dense::SimdLevel::kAvx512:
      return &SpmmAvx512;
    case dense::SimdLevel::kAvx2:
      return &SpmmAvx2;
    case dense::SimdLevel::kScalar:
      break;
  }
  return &SpmmScalar;
}

int64_t VectorWidth(dense::SimdLevel level) {
  switch (level) {
    case dense::SimdLevel::kAvx512:
      return 16;
    case dense::SimdLevel::kAvx2:
      return 8;
    case dense::SimdLevel::kScalar:
      break;
  }
  return 1;
}

int64_t PassColumns(dense::SimdLevel level, bool wide) {
  // kChunks (4) at every level; kWideChunks (8) with `wide` on AVX2 and AVX-512.
  return VectorWidth(level) * (wide && level != dense::SimdLevel::kScalar ? kWidePassChunks : 4);
}

}  // namespace sl::sparse

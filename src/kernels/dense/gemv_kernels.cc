#include "kernels/dense/gemv_kernels.h"

#include <immintrin.h>

#include <algorithm>

namespace sl::dense {
namespace {

inline int64_t PanelWidth(const GemvArgs& a, int64_t p) {
  return std::min<int64_t>(kGemvPanel, a.n - p * kGemvPanel);
}

}  // namespace

void GemvPanelsScalar(const GemvArgs& a, int64_t panel_begin, int64_t panel_end) {
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const float* w = a.packed + p * a.k * kGemvPanel;
    float acc[kGemvPanel];
    for (int64_t j = 0; j < kGemvPanel; ++j) acc[j] = a.bias[p * kGemvPanel + j];
    for (int64_t kk = 0; kk < a.k; ++kk) {
      const float xv = a.x[kk];
      for (int64_t j = 0; j < kGemvPanel; ++j) acc[j] += xv * w[kk * kGemvPanel + j];
    }
    const int64_t width = PanelWidth(a, p);
    for (int64_t j = 0; j < width; ++j) {
      a.y[p * kGemvPanel + j] = std::min(std::max(acc[j], a.clamp.lo), a.clamp.hi);
    }
  }
}

__attribute__((target("avx2,fma"))) void GemvPanelsAvx2(const GemvArgs& a, int64_t panel_begin,
                                                        int64_t panel_end) {
  const __m256 lo = _mm256_set1_ps(a.clamp.lo), hi = _mm256_set1_ps(a.clamp.hi);
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const float* w = a.packed + p * a.k * kGemvPanel;
    __m256 acc0 = _mm256_loadu_ps(a.bias + p * kGemvPanel);
    __m256 acc1 = _mm256_loadu_ps(a.bias + p * kGemvPanel + 8);
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t kk = 0;
    for (; kk + 2 <= a.k; kk += 2) {
      const __m256 x0 = _mm256_broadcast_ss(a.x + kk);
      const __m256 x1 = _mm256_broadcast_ss(a.x + kk + 1);
      acc0 = _mm256_fmadd_ps(x0, _mm256_load_ps(w + kk * kGemvPanel), acc0);
      acc1 = _mm256_fmadd_ps(x0, _mm256_load_ps(w + kk * kGemvPanel + 8), acc1);
      acc2 = _mm256_fmadd_ps(x1, _mm256_load_ps(w + (kk + 1) * kGemvPanel), acc2);
      acc3 = _mm256_fmadd_ps(x1, _mm256_load_ps(w + (kk + 1) * kGemvPanel + 8), acc3);
    }
    if (kk < a.k) {
      const __m256 x0 = _mm256_broadcast_ss(a.x + kk);
      acc0 = _mm256_fmadd_ps(x0, _mm256_load_ps(w + kk * kGemvPanel), acc0);
      acc1 = _mm256_fmadd_ps(x0, _mm256_load_ps(w + kk * kGemvPanel + 8), acc1);
    }
    acc0 = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(acc0, acc2)));
    acc1 = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(acc1, acc3)));
    float* y = a.y + p * kGemvPanel;
    const int64_t width = PanelWidth(a, p);
    if (width == kGemvPanel) {
      _mm256_storeu_ps(y, acc0);
      _mm256_storeu_ps(y + 8, acc1);
    } else {
      alignas(32) float tmp[kGemvPanel];
      _mm256_store_ps(tmp, acc0);
      _mm256_store_ps(tmp + 8, acc1);
      std::copy(tmp, tmp + width, y);
    }
  }
}

__attribute__((target("avx512f"))) void GemvPanelsAvx512(const GemvArgs& a, int64_t panel_begin,
                                                         int64_t panel_end) {
  const __m512 lo = _mm512_set1_ps(a.clamp.lo), hi = _mm512_set1_ps(a.clamp.hi);
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const float* w = a.packed + p * a.k * kGemvPanel;
    __m512 acc0 = _mm512_loadu_ps(a.bias + p * kGemvPanel);
    __m512 acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    int64_t kk = 0;
    for (; kk + 4 <= a.k; kk += 4) {
      const float* wk = w + kk * kGemvPanel;
      acc0 = _mm512_fmadd_ps(_mm512_set1_ps(a.x[kk]), _mm512_load_ps(wk), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_set1_ps(a.x[kk + 1]), _mm512_load_ps(wk + 16), acc1);
      acc2 = _mm512_fmadd_ps(_mm512_set1_ps(a.x[kk + 2]), _mm512_load_ps(wk + 32), acc2);
      acc3 = _mm512_fmadd_ps(_mm512_set1_ps(a.x[kk + 3]), _mm512_load_ps(wk + 48), acc3);
    }
    for (; kk < a.k; ++kk) {
      acc0 = _mm512_fmadd_ps(_mm512_set1_ps(a.x[kk]), _mm512_load_ps(w + kk * kGemvPanel), acc0);
    }
    __m512 acc = _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3));
    // NaN propagates (second operand); maskz avoids GCC 12's -Wmaybe-uninitialized false alarm.
    acc = _mm512_maskz_min_ps(0xFFFF, hi, _mm512_maskz_max_ps(0xFFFF, lo, acc));
    const int64_t width = PanelWidth(a, p);
    const __mmask16 mask = static_cast<__mmask16>((1u << width) - 1u);
    _mm512_mask_storeu_ps(a.y + p * kGemvPanel, mask, acc);
  }
}

GemvPanelsFn GemvPanelsFor(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return &GemvPanelsAvx512;
    case SimdLevel::kAvx2:
      return &GemvPanelsAvx2;
    case SimdLevel::kScalar:
      break;
  }
  return &GemvPanelsScalar;
}

}  // namespace sl::dense

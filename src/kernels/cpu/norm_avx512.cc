// AVX-512 short-row Softmax and LayerNormalization rows (norm_avx512.h). Every function of this file is compiled for
// avx512f (pragma below); it is only called after run-time dispatch found that feature.
#include "kernels/cpu/norm_avx512.h"

// GCC 12 reports the intrinsics' undefined pass-through operands (_mm512_undefined_ps) as maybe
// uninitialised once they are inlined here; they are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cmath>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

namespace sl::cpu {
namespace {

// 2^e for integer-valued e in [-126, 127] (a normal float).
inline __m512 Pow2(__m512 e) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(
      _mm512_add_epi32(_mm512_cvttps_epi32(e), _mm512_set1_epi32(127)), 23));
}

// exp(x) for 16 lanes, the operations of vec_math.h's Exp: clamp, n = round(x / ln 2), degree-6
// polynomial of the remainder, 2^n as two normal factors; x < -87.34 gives 0, x > 88.72 +inf,
// NaN stays NaN.
inline __m512 Exp16(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-87.33654f), hi = _mm512_set1_ps(88.72283f);
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  xc = _mm512_mask_mov_ps(xc, nan, _mm512_setzero_ps());
  const __m512 round = _mm512_set1_ps(12582912.f);  // 1.5 * 2^23
  const __m512 n = _mm512_sub_ps(
      _mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504088896341f), round), round);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  const __m512 half = _mm512_sub_ps(_mm512_fmadd_ps(n, _mm512_set1_ps(0.5f), round), round);
  __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, Pow2(half)), Pow2(_mm512_sub_ps(n, half)));
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), _mm512_set1_ps(INFINITY));
  return _mm512_mask_mov_ps(y, nan, x);
}

// The max and the sum of the 16 lanes, in every lane (butterflies: 256-bit halves, 128-bit
// quarters, then within 128 bits).
inline __m512 AllMax(__m512 v) {
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1));
  v = _mm512_max_ps(v, _mm512_permute_ps(v, 0x4E));
  return _mm512_max_ps(v, _mm512_permute_ps(v, 0xB1));
}
inline __m512 AllSum(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, 0x4E));
  return _mm512_add_ps(v, _mm512_permute_ps(v, 0xB1));
}

// R rows (1 or 2) of n entries in nv vectors, the last masked by mk[nv - 1].
template <int R>
inline void Rows(const float* x, float* y, int64_t n, int nv, const __mmask16* mk) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  __m512 v[R][4];
  __m512 m[R];
  for (int q = 0; q < R; ++q) m[q] = ninf;
  for (int k = 0; k < nv; ++k)
    for (int q = 0; q < R; ++q) {
      v[q][k] = _mm512_mask_loadu_ps(ninf, mk[k], x + q * n + 16 * k);
      m[q] = _mm512_max_ps(v[q][k], m[q]);  // a NaN entry keeps m, as `v > m ? v : m`
    }
  __m512 s[R];
  for (int q = 0; q < R; ++q) {
    m[q] = AllMax(m[q]);
    s[q] = _mm512_setzero_ps();
  }
  for (int k = 0; k < nv; ++k)
    for (int q = 0; q < R; ++q) {
      v[q][k] = Exp16(_mm512_sub_ps(v[q][k], m[q]));  // masked lanes: exp(-inf) = 0
      s[q] = _mm512_add_ps(s[q], v[q][k]);
    }
  for (int q = 0; q < R; ++q) {
    const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.f), AllSum(s[q]));
    for (int k = 0; k < nv; ++k)
      _mm512_mask_storeu_ps(y + q * n + 16 * k, mk[k], _mm512_mul_ps(v[q][k], inv));
  }
}

// Sum of the 8 double lanes.
inline double SumPd(__m512d v) {
  const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
  const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
  return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}

// Masks of the 8-lane halves of the 16 floats from j (the valid ones below n).
inline __mmask16 FloatMask(int64_t j, int64_t n) {
  const int64_t left = n - j;
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

}  // namespace

void LayerNormRowsAvx512(const float* x, float* y, int64_t rows, int64_t n, const float* scale,
                         const float* bias, float epsilon, float* mean_out, float* inv_out) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    for (int64_t j = 0; j < n; j += 16) {
      const __m512 v = _mm512_maskz_loadu_ps(FloatMask(j, n), x + j);  // masked lanes: 0
      s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
      s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                                 _mm512_castps_pd(v), 1))));
    }
    const double mean = SumPd(_mm512_add_pd(s0, s1)) / static_cast<double>(n);
    const __m512d md = _mm512_set1_pd(mean);
    __m512d q0 = _mm512_setzero_pd(), q1 = _mm512_setzero_pd();
    for (int64_t j = 0; j < n; j += 16) {
      const __mmask16 m = FloatMask(j, n);
      const __m512 v = _mm512_maskz_loadu_ps(m, x + j);
      const __m512d d0 = _mm512_maskz_sub_pd(static_cast<__mmask8>(m),
                                             _mm512_cvtps_pd(_mm512_castps512_ps256(v)), md);
      const __m512d d1 = _mm512_maskz_sub_pd(
          static_cast<__mmask8>(m >> 8),
          _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))), md);
      q0 = _mm512_fmadd_pd(d0, d0, q0);
      q1 = _mm512_fmadd_pd(d1, d1, q1);
    }
    const double inv =
        1.0 / std::sqrt(SumPd(_mm512_add_pd(q0, q1)) / static_cast<double>(n) + epsilon);
    const float meanf = static_cast<float>(mean), invf = static_cast<float>(inv);
    const __m512 mv = _mm512_set1_ps(meanf), iv = _mm512_set1_ps(invf);
    for (int64_t j = 0; j < n; j += 16) {
      const __mmask16 m = FloatMask(j, n);
      __m512 t = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), mv), iv),
                               _mm512_maskz_loadu_ps(m, scale + j));
      if (bias != nullptr) t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, bias + j));
      _mm512_mask_storeu_ps(y + j, m, t);
    }
    if (mean_out != nullptr) mean_out[r] = meanf;
    if (inv_out != nullptr) inv_out[r] = invf;
  }
}

void SoftmaxShortRowsAvx512(const float* x, float* y, int64_t rows, int64_t n) {
  if (n <= 0 || rows <= 0) return;
  const int nv = static_cast<int>((n + 15) / 16);
  __mmask16 mk[4];
  for (int k = 0; k < 4; ++k) {
    const int64_t left = n - 16 * k;
    mk[k] = left >= 16  ? static_cast<__mmask16>(0xFFFF)
            : left <= 0 ? static_cast<__mmask16>(0)
                        : static_cast<__mmask16>((1u << left) - 1u);
  }
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2) Rows<2>(x + r * n, y + r * n, n, nv, mk);
  if (r < rows) Rows<1>(x + r * n, y + r * n, n, nv, mk);
}

}  // namespace sl::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

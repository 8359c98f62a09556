// AVX2 + FMA SpMM (spmm.h) and 2:4 rows (nm_panels.h). Every function of this file is compiled for
// avx2,fma (pragma below); it is only called after run-time dispatch found those features.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/sparse/nm_panels.h"
#include "kernels/sparse/packed_matrix.h"
#include "kernels/sparse/spmm.h"

// clang ignores GCC target pragmas; it takes the same target as an attribute on every function.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "kernels/sparse/nm_rows_impl.h"
#include "kernels/sparse/spmm_impl.h"

namespace sl::sparse {
namespace {

inline __m256i TailMask(int n) {
  alignas(32) static const int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask + 8 - n));
}

struct Avx2Vec {
  using R = __m256;
  static constexpr int W = 8;
  static constexpr int kRegs = 16;
  static constexpr int kChunks = 4;
  static constexpr int kWideChunks = kWidePassChunks;
  static constexpr int kBlockChunks = 2;
  static constexpr int kWideBlockChunks = 3;
  static R set1(float v) { return _mm256_set1_ps(v); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static R load_part(const float* p, int n) { return _mm256_maskload_ps(p, TailMask(n)); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static void store_part(float* p, R v, int n) { _mm256_maskstore_ps(p, TailMask(n), v); }
  static __m256i LaneMask(int l, int n) {  // lanes i with l <= i < l + n
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(l), lane),
                               _mm256_cmpgt_epi32(_mm256_set1_epi32(l + n), lane));
  }
  static void store_lanes(float* p, R v, int l, int n) {
    _mm256_maskstore_ps(p, LaneMask(l, n), v);
  }
  static R load_lanes(const float* p, int l, int n) {
    return _mm256_maskload_ps(p, LaneMask(l, n));
  }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R clamp(R v, R lo, R hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); }
  // CsrColumn (spmm_impl.h): x[idx[0 .. 8)], or of the first n with zeros after them.
  static constexpr bool kGather = true;
  static R gather(const float* x, const int32_t* idx) {
    return _mm256_i32gather_ps(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx)), 4);
  }
  static R gather_part(const float* x, const int32_t* idx, int n) {
    const __m256i m = TailMask(n);
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, _mm256_maskload_epi32(idx, m),
                                    _mm256_castsi256_ps(m), 4);
  }
  static float sum(R v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
  }
  // NmRows (nm_rows_impl.h)
  using I = __m256i;
  static constexpr int kNmRows = 4;
  static constexpr int kNmPanels = 2;
  static I loadi(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const I*>(p)); }
  static R bcast4(const float* p) {
    return _mm256_broadcast_ps(reinterpret_cast<const __m128*>(p));
  }
  static R permute(R x, I i) { return _mm256_permutevar_ps(x, i); }
};

}  // namespace

void SpmmAvx2(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end) {
  SpmmImpl<Avx2Vec>(a, unit_begin, unit_end);
}

void NmRowsAvx2(const NmRowsArgs& a, int64_t row_begin, int64_t row_end, int64_t panel_begin,
                int64_t panel_end) {
  NmRowsImpl<Avx2Vec>(a, row_begin, row_end, panel_begin, panel_end);
}

}  // namespace sl::sparse

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

// AVX-512 SpMM (spmm.h) and 2:4 rows (nm_panels.h). Every function of this file is compiled for
// avx512f (pragma below); it is only called after run-time dispatch found that feature.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/sparse/nm_panels.h"
#include "kernels/sparse/packed_matrix.h"
#include "kernels/sparse/spmm.h"

// clang ignores GCC target pragmas; it takes the same target as an attribute on every function.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif

#include "kernels/sparse/nm_rows_impl.h"
#include "kernels/sparse/spmm_impl.h"

namespace sl::sparse {
namespace {

struct Avx512Vec {
  using R = __m512;
  static constexpr int W = 16;
  static constexpr int kRegs = 32;
  static constexpr int kChunks = 4;
  static constexpr int kWideChunks = kWidePassChunks;
  static constexpr int kBlockChunks = 4;
  static constexpr int kWideBlockChunks = 6;
  static __mmask16 Mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static R set1(float v) { return _mm512_set1_ps(v); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static R load_part(const float* p, int n) { return _mm512_maskz_loadu_ps(Mask(n), p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static void store_part(float* p, R v, int n) { _mm512_mask_storeu_ps(p, Mask(n), v); }
  static void store_lanes(float* p, R v, int l, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>(Mask(n) << l), v);
  }
  static R load_lanes(const float* p, int l, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>(Mask(n) << l), p);
  }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  // maskz avoids GCC 12's -Wmaybe-uninitialized false alarm on the plain min/max.
  static R clamp(R v, R lo, R hi) {
    return _mm512_maskz_min_ps(0xFFFF, hi, _mm512_maskz_max_ps(0xFFFF, lo, v));
  }
  // CsrColumn (spmm_impl.h): x[idx[0 .. 16)], or of the first n with zeros after them.
  static constexpr bool kGather = true;
  static R gather(const float* x, const int32_t* idx) {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xFFFF, _mm512_loadu_si512(idx), x, 4);
  }
  static R gather_part(const float* x, const int32_t* idx, int n) {
    const __m512i i = _mm512_maskz_loadu_epi32(Mask(n), idx);
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), Mask(n), i, x, 4);
  }
  static float sum(R v) {  // masked shuffles: GCC 12 warns on the extracts and casts otherwise
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0xB1));
    v = _mm512_add_ps(v, _mm512_maskz_permute_ps(0xFFFF, v, 0x4E));
    return _mm512_cvtss_f32(_mm512_add_ps(v, _mm512_maskz_permute_ps(0xFFFF, v, 0xB1)));
  }
  // NmRows (nm_rows_impl.h)
  using I = __m512i;
  static constexpr int kNmRows = 4;
  static constexpr int kNmPanels = 2;
  static I loadi(const int32_t* p) { return _mm512_loadu_si512(p); }
  // The masked forms with every lane set: the plain ones start from _mm512_undefined_ps, which
  // GCC 12 reports as maybe uninitialized.
  static R bcast4(const float* p) {
    return _mm512_mask_broadcast_f32x4(_mm512_setzero_ps(), 0xFFFF, _mm_loadu_ps(p));
  }
  static R permute(R x, I i) { return _mm512_mask_permutevar_ps(x, 0xFFFF, x, i); }
};

}  // namespace

void SpmmAvx512(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end) {
  SpmmImpl<Avx512Vec>(a, unit_begin, unit_end);
}

void NmRowsAvx512(const NmRowsArgs& a, int64_t row_begin, int64_t row_end, int64_t panel_begin,
                  int64_t panel_end) {
  NmRowsImpl<Avx512Vec>(a, row_begin, row_end, panel_begin, panel_end);
}

}  // namespace sl::sparse

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

// AVX-512 padded-grid rows (pad_rows.h). Every function of this file is compiled for avx512f
// (pragma below); it is only called after run-time dispatch found that feature.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/sparse/pad_rows.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

namespace sl::sparse {

namespace {

__mmask16 Mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// Stride 2 (the phases of a stride-2 convolution's grid): 16 values from two loads of 32 input
// floats and one permute of their even lanes, the loads masked to the 2n - 1 floats the row reads.
void PadRowsStride2(const PadRowsArgs& a) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const int64_t tail = a.width - a.lo - a.n;
  for (int64_t r = 0; r < a.rows; ++r) {
    const float* in = a.src + r * a.ld_src;
    float* row = a.dst + r * a.ld_dst;
    for (int64_t c = 0; c < a.lo; ++c) row[c] = 0.f;
    for (int64_t j = 0; j < a.n; j += 16) {
      const int64_t m = std::min<int64_t>(16, a.n - j), need = 2 * m - 1;
      const __m512 lo = _mm512_maskz_loadu_ps(Mask(std::min<int64_t>(16, need)), in + 2 * j);
      const __m512 hi =
          need > 16 ? _mm512_maskz_loadu_ps(Mask(need - 16), in + 2 * j + 16) : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(row + a.lo + j, Mask(m), _mm512_permutex2var_ps(lo, even, hi));
    }
    for (int64_t c = 0; c < tail; ++c) row[a.lo + a.n + c] = 0.f;
  }
}

}  // namespace

void PadRowsAvx512(const PadRowsArgs& a) {
  constexpr int64_t kLanes = 16;
  if (a.stride == 2 && a.n > 0) {
    PadRowsStride2(a);
    return;
  }
  if (a.stride != 1 || a.width > kLanes || a.n <= 0) {
    PadRowsPortable(a);
    return;
  }
  // Lane c of a row holds src[c - lo]: the load starts lo floats before the row's first value,
  // as an address only (a masked load reads none of the lanes outside [lo, lo + n)).
  const auto load = static_cast<__mmask16>(((1u << a.n) - 1) << a.lo);
  const auto store = static_cast<__mmask16>((1u << a.width) - 1);
  const uintptr_t back = static_cast<uintptr_t>(a.lo) * sizeof(float);
  for (int64_t r = 0; r < a.rows; ++r) {
    const auto* in =
        reinterpret_cast<const float*>(reinterpret_cast<uintptr_t>(a.src + r * a.ld_src) - back);
    _mm512_mask_storeu_ps(a.dst + r * a.ld_dst, store, _mm512_maskz_loadu_ps(load, in));
  }
}

}  // namespace sl::sparse

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

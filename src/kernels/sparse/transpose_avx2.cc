// AVX2 tile transpose (transpose.h). Every function of this file is compiled for avx2 (pragma
// below); it is only called after run-time dispatch found that feature.
#include <immintrin.h>

#include <algorithm>

#include "kernels/sparse/transpose.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

namespace sl::sparse {
namespace {

// dst row j (8 floats at dst + j * ld_dst) = column j of the 8 x 8 block whose row i is the 8
// floats at src + i * ld_src.
inline void Transpose8x8(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
  __m256 r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ld_src);
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {  // pairs of rows interleaved
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {  // quads: columns 0/4, 1/5 (from lo) and 2/6, 3/7 (from hi)
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int j = 0; j < 4; ++j) {  // halves of rows 0-3 and 4-7
    _mm256_storeu_ps(dst + j * ld_dst, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
    _mm256_storeu_ps(dst + (j + 4) * ld_dst, _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
  }
}

}  // namespace

void TransposeAvx2(const float* a, int64_t lda, const int32_t* col, int64_t kc, int64_t cols,
                   float* at, int64_t ld_at) {
  const int64_t t8 = cols / 8 * 8;
  int64_t c0 = 0;
  while (c0 < kc) {
    // A run of 8 operand rows that read 8 consecutive columns goes through registers; anything
    // else (compacted columns, tails) element by element.
    const int64_t first = col ? col[c0] : c0;
    const bool run = c0 + 8 <= kc && (col == nullptr || col[c0 + 7] - first == 7);
    if (!run) {
      const int64_t n = std::min<int64_t>(8, kc - c0);
      if (col == nullptr) {
        TransposeScalar(a + c0, lda, nullptr, n, cols, at + c0 * ld_at, ld_at);
      } else {
        TransposeScalar(a, lda, col + c0, n, cols, at + c0 * ld_at, ld_at);
      }
      c0 += n;
      continue;
    }
    for (int64_t t0 = 0; t0 < t8; t0 += 8)
      Transpose8x8(a + t0 * lda + first, lda, at + c0 * ld_at + t0, ld_at);
    for (int64_t c = c0; c < c0 + 8; ++c) {
      for (int64_t t = t8; t < cols; ++t) at[c * ld_at + t] = a[t * lda + first + (c - c0)];
    }
    c0 += 8;
  }
}

}  // namespace sl::sparse

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

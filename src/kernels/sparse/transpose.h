// Tile transposes of the sparse MatMul (sparse_matmul.cc): its operand tile X^T is gathered from
// the rows of A, and its Y^T chunks are written back as rows of Y.
//
//   at[c * ld_at + t] = a[t * lda + (col ? col[c] : c)]   for c < kc, t < cols
//
// One implementation per SIMD level: scalar, and 8x8 register transposes for AVX2 (also used on
// AVX-512 machines) where 8 consecutive c read 8 consecutive columns of A.
#pragma once

#include <cstdint>

#include "kernels/dense/cpu_features.h"

namespace sl::sparse {

using TransposeFn = void (*)(const float* a, int64_t lda, const int32_t* col, int64_t kc,
                             int64_t cols, float* at, int64_t ld_at);

void TransposeScalar(const float* a, int64_t lda, const int32_t* col, int64_t kc, int64_t cols,
                     float* at, int64_t ld_at);
void TransposeAvx2(const float* a, int64_t lda, const int32_t* col, int64_t kc, int64_t cols,
                   float* at, int64_t ld_at);

TransposeFn TransposeFor(dense::SimdLevel level);

}  // namespace sl::sparse

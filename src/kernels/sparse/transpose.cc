// Scalar tile transpose and the dispatch (transpose.h).
#include "kernels/sparse/transpose.h"

#include <algorithm>

namespace sl::sparse {

void TransposeScalar(const float* a, int64_t lda, const int32_t* col, int64_t kc, int64_t cols,
                     float* at, int64_t ld_at) {
  // In 16 x 16 squares, so that neither side walks one cache line per element.
  constexpr int64_t kBlock = 16;
  for (int64_t c0 = 0; c0 < kc; c0 += kBlock) {
    const int64_t c1 = std::min(kc, c0 + kBlock);
    for (int64_t t0 = 0; t0 < cols; t0 += kBlock) {
      const int64_t t1 = std::min(cols, t0 + kBlock);
      for (int64_t t = t0; t < t1; ++t) {
        const float* row = a + t * lda;
        for (int64_t c = c0; c < c1; ++c) at[c * ld_at + t] = row[col ? col[c] : c];
      }
    }
  }
}

TransposeFn TransposeFor(dense::SimdLevel level) {
  return level == dense::SimdLevel::kScalar ? &TransposeScalar : &TransposeAvx2;
}

}  // namespace sl::sparse

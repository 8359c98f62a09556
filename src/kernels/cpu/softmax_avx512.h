// Softmax over short rows with AVX-512 intrinsics, for CPUs that have it (the caller dispatches on
// dense::ActiveSimdLevel()). The auto-vectorised loop of softmax_norm.cc spends most of an
// attention row (49 entries) in its masked prologue and horizontal reductions; this one keeps each
// row in at most four registers and works on two rows at a time so that their reductions overlap.
#pragma once

#include <cstdint>

namespace sl::cpu {

inline constexpr int64_t kAvx512SoftmaxMaxRow = 64;

// Softmax of `rows` contiguous rows of n <= kAvx512SoftmaxMaxRow entries, x to y (may alias). Same
// special-value behaviour as the portable kernel: NaN entries are skipped by the max but make
// their row NaN, a row of -inf is NaN, +inf entries make their row NaN.
void SoftmaxShortRowsAvx512(const float* x, float* y, int64_t rows, int64_t n);

}  // namespace sl::cpu

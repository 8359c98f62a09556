// Softmax over short rows and LayerNormalization rows with AVX-512 intrinsics, for CPUs that have
// it (the caller dispatches on dense::ActiveSimdLevel()). The auto-vectorised loops of
// softmax_norm.cc spend most of an attention row (49 entries) or a transformer's 64-wide
// normalisation row in masked prologues and horizontal reductions; these keep a softmax row in at
// most four registers and work on two rows at a time so that their reductions overlap.
#pragma once

#include <cstdint>

namespace sl::cpu {

inline constexpr int64_t kAvx512SoftmaxMaxRow = 64;

// Softmax of `rows` contiguous rows of n <= kAvx512SoftmaxMaxRow entries, x to y (may alias). Same
// special-value behaviour as the portable kernel: NaN entries are skipped by the max but make
// their row NaN, a row of -inf is NaN, +inf entries make their row NaN.
void SoftmaxShortRowsAvx512(const float* x, float* y, int64_t rows, int64_t n);

// LayerNormalization of `rows` contiguous rows of n entries: the mean and the variance (of
// x - mean) summed in double, as the portable kernel and the reference do; y = (x - mean) *
// inv_std * scale (+ bias, when not null). mean_out / inv_out (one per row) may be null.
void LayerNormRowsAvx512(const float* x, float* y, int64_t rows, int64_t n, const float* scale,
                         const float* bias, float epsilon, float* mean_out, float* inv_out);

}  // namespace sl::cpu

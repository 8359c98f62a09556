// AVX-512 padded-grid rows (pad_rows.h). Every function of this file is compiled for avx512f
// (pragma below); it is only called after run-time dispatch found that feature.
#include <immintrin.h>

#include <cstdint>

#include "kernels/sparse/pad_rows.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

namespace sl::sparse {

void PadRowsAvx512(const PadRowsArgs& a) {
  constexpr int64_t kLanes = 16;
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

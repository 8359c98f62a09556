// Portable padded-grid rows and the dispatch (pad_rows.h).
#include "kernels/sparse/pad_rows.h"

#include <algorithm>
#include <cstring>

namespace sl::sparse {
namespace {

// Zeros p[0, n): inline stores for the few floats of a row's padding (std::fill compiles to a
// memset call, and two such calls per row cost up to a tenth of a small layer's time).
inline void ZeroFew(float* p, int64_t n) {
  if (n > 4) {
    std::fill(p, p + n, 0.f);
    return;
  }
  switch (n) {
    case 4:
      p[3] = 0.f;
      [[fallthrough]];
    case 3:
      p[2] = 0.f;
      [[fallthrough]];
    case 2:
      p[1] = 0.f;
      [[fallthrough]];
    case 1:
      p[0] = 0.f;
      [[fallthrough]];
    default:
      break;
  }
}

}  // namespace

void PadRowsPortable(const PadRowsArgs& a) {
  for (int64_t r = 0; r < a.rows; ++r) {
    const float* in = a.src + r * a.ld_src;
    float* row = a.dst + r * a.ld_dst;
    ZeroFew(row, a.lo);
    if (a.stride == 1) {
      std::memcpy(row + a.lo, in, static_cast<size_t>(a.n) * sizeof(float));
    } else {
      for (int64_t j = 0; j < a.n; ++j) row[a.lo + j] = in[j * a.stride];
    }
    ZeroFew(row + a.lo + a.n, a.width - a.lo - a.n);
  }
}

PadRowsFn PadRowsFor(dense::SimdLevel level) {
  return level == dense::SimdLevel::kAvx512 ? &PadRowsAvx512 : &PadRowsPortable;
}

}  // namespace sl::sparse

// Window taps of the 2-D pool kernels (pool.cc, pool_blocked.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "graph/infer_st_window.h"

namespace sl::cpu {

// Taps [first, last) of one output position along one dim, and the count of taps inside the
// padded input (count_include_pad).
struct TapRange {
  int64_t first, last, padded_count;
};

inline std::vector<TapRange> TapRanges(const WindowDim& d) {
  std::vector<TapRange> r(static_cast<size_t>(d.out));
  for (int64_t o = 0; o < d.out; ++o) {
    const int64_t start = o * d.stride - d.pad_begin;
    TapRange t{d.kernel, 0, 0};
    for (int64_t k = 0; k < d.kernel; ++k) {
      const int64_t pos = start + k * d.dilation;
      if (pos >= 0 && pos < d.in) {
        t.first = std::min(t.first, k);
        t.last = k + 1;
      }
      if (pos >= -d.pad_begin && pos < d.in + d.pad_end) ++t.padded_count;
    }
    if (t.last <= t.first) t.first = t.last = 0;
    r[o] = t;
  }
  return r;
}

}  // namespace sl::cpu

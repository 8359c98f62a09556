// The loops of NmRows (nm_panels.h) over a vector type V; spmm_avx2.cc and spmm_avx512.cc include
// this after selecting their target, as they do spmm_impl.h.
//
// Besides what spmm_impl.h uses, V provides: I (integer register), loadi, bcast4(p) (p[0..3] in
// every 128-bit lane), permute(x, i) (in-lane permute by the low 2 bits of each element of i),
// kNmRows x kNmPanels (the register tile: rows by panels of accumulators).
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/sparse/nm_panels.h"

namespace sl::sparse {
namespace {

// Groups per block: the block's columns of the item's rows of A take about 128 KiB (L2), so each
// panel block reads them from L2 rather than from memory (ViT fc2: K = 1536).
inline int64_t NmBlockGroups(int64_t rows) {
  return std::max<int64_t>(16, (int64_t{128} << 10) / (std::max<int64_t>(rows, 1) * 16));
}

// A[t, 4g .. 4g+3] in every 128-bit lane; the last group of a row whose K is not a multiple of 4
// is read through a zero-padded copy.
template <class V>
inline typename V::R LoadGroup(const float* p, int valid) {
  if (valid == 4) return V::bcast4(p);
  alignas(16) float t[4] = {0.f, 0.f, 0.f, 0.f};
  for (int i = 0; i < valid; ++i) t[i] = p[i];
  return V::bcast4(t);
}

// Rows [t0, t0 + T) x panels [p0, p0 + P) over groups [g0, g1): from the bias (first block) or the
// partial sums in Y, clamped and stored only after the last block. Lanes past N are never stored.
template <class V, int T, int P>
void NmTileRows(const NmRowsArgs& a, int64_t t0, int64_t p0, int64_t g0, int64_t g1, bool first,
                bool last) {
  using R = typename V::R;
  using I = typename V::I;
  const NmPanels& w = *a.w;
  const int L = V::W;
  int valid[P];
  for (int p = 0; p < P; ++p) {
    valid[p] = static_cast<int>(std::min<int64_t>(L, w.n - (p0 + p) * L));
  }
  R acc[T][P];
  for (int t = 0; t < T; ++t) {
    const float* y = a.y + (t0 + t) * a.ldy + p0 * L;
    for (int p = 0; p < P; ++p) {
      if (first) {
        acc[t][p] = V::load(w.bias.data() + (p0 + p) * L);
      } else {
        acc[t][p] = valid[p] == L ? V::load(y + p * L) : V::load_part(y + p * L, valid[p]);
      }
    }
  }
  const float* a0 = a.a + t0 * a.lda;
  const int64_t stride = w.groups * 2 * L;  // floats from one panel to the next
  const float* val = w.val.data() + p0 * stride;
  const int32_t* off = w.off.data() + p0 * stride;
  // Groups with all 4 columns inside K, then the last one if K % 4 != 0.
  const int64_t full = std::min(g1, w.k / 4);
  auto group = [&](int64_t g, int cols) __attribute__((always_inline)) {
    R x[T];
    for (int t = 0; t < T; ++t) x[t] = LoadGroup<V>(a0 + t * a.lda + g * 4, cols);
    for (int p = 0; p < P; ++p) {
      const int64_t at = p * stride + g * 2 * L;
      const R w0 = V::load(val + at), w1 = V::load(val + at + L);
      const I i0 = V::loadi(off + at), i1 = V::loadi(off + at + L);
      for (int t = 0; t < T; ++t) {
        acc[t][p] = V::fma(V::permute(x[t], i0), w0, acc[t][p]);
        acc[t][p] = V::fma(V::permute(x[t], i1), w1, acc[t][p]);
      }
    }
  };
  for (int64_t g = g0; g < full; ++g) group(g, 4);
  for (int64_t g = std::max(g0, full); g < g1; ++g) group(g, static_cast<int>(w.k - g * 4));
  const R lo = V::set1(a.lo), hi = V::set1(a.hi);
  for (int t = 0; t < T; ++t) {
    float* y = a.y + (t0 + t) * a.ldy + p0 * L;
    for (int p = 0; p < P; ++p) {
      const R v = last ? V::clamp(acc[t][p], lo, hi) : acc[t][p];
      if (valid[p] == L) {
        V::store(y + p * L, v);
      } else {
        V::store_part(y + p * L, v, valid[p]);
      }
    }
  }
}

// NmTileRows for a tile of `rows` <= T rows and `panels` <= P panels.
template <class V, int T, int P>
void NmTileAny(const NmRowsArgs& a, int rows, int panels, int64_t t0, int64_t p0, int64_t g0,
               int64_t g1, bool first, bool last) {
  if constexpr (T > 1) {
    if (rows < T) return NmTileAny<V, T - 1, P>(a, rows, panels, t0, p0, g0, g1, first, last);
  }
  if constexpr (P > 1) {
    if (panels < P) return NmTileAny<V, T, P - 1>(a, rows, panels, t0, p0, g0, g1, first, last);
  }
  NmTileRows<V, T, P>(a, t0, p0, g0, g1, first, last);
}

template <class V>
void NmRowsImpl(const NmRowsArgs& a, int64_t row_begin, int64_t row_end, int64_t panel_begin,
                int64_t panel_end) {
  constexpr int T = V::kNmRows, P = V::kNmPanels;
  const int64_t groups = a.w->groups, block = NmBlockGroups(row_end - row_begin);
  for (int64_t g0 = 0;; g0 += block) {
    const int64_t g1 = std::min(groups, g0 + block);
    const bool first = g0 == 0, last = g1 >= groups;
    for (int64_t p0 = panel_begin; p0 < panel_end; p0 += P) {
      const int panels = static_cast<int>(std::min<int64_t>(P, panel_end - p0));
      for (int64_t t0 = row_begin; t0 < row_end; t0 += T) {
        const int rows = static_cast<int>(std::min<int64_t>(T, row_end - t0));
        NmTileAny<V, T, P>(a, rows, panels, t0, p0, g0, g1, first, last);
      }
    }
    if (last) break;
  }
}

}  // namespace
}  // namespace sl::sparse

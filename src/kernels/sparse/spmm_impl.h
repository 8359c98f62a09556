// The SpMM loops of spmm.h written once over a vector type V; spmm_{scalar,avx2,avx512}.cc include
// this after selecting their target, so each gets its own internal copy (anonymous namespace).
//
// V provides: R (register), W (floats per R), kChunks / kWideChunks / kBlockChunks /
// kWideBlockChunks (vectors of columns held in accumulators for one row / one row with
// SpmmArgs::wide / a 4-row block / a 4-row block with SpmmArgs::wide on a padded grid), kRegs
// (vector registers), set1,
// load, load_part(p, n), store, store_part(p, r, n), store_lanes(p, r, l, n) (lanes [l, l + n) of
// r at p + lane), load_lanes(p, l, n) (the same lanes, zeros elsewhere), add,
// fma(a, b, c) = a * b + c, clamp(r, lo, hi).
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/sparse/spmm.h"

namespace sl::sparse {
namespace {

// Vector i of a pass of A vectors from p; with kPartial the last one holds only n floats.
template <class V, int A, bool kPartial>
inline typename V::R LoadVec(const float* p, int i, int n) {
  return kPartial && i == A - 1 ? V::load_part(p + i * V::W, n) : V::load(p + i * V::W);
}
template <class V, int A, bool kPartial>
inline void StoreVec(float* p, int i, typename V::R v, int n) {
  if (kPartial && i == A - 1) {
    V::store_part(p + i * V::W, v, n);
  } else {
    V::store(p + i * V::W, v);
  }
}

// How a partial pass (its last vector holds n < W columns) reads that vector of X inside the
// loop over the weights: masked; whole from the same place (SpmmArgs::x_slack: the lanes past
// the last column are never stored); or whole, shifted back to end at the pass's last column
// (n - W floats earlier: its accumulator holds the n columns in lanes [W - n, W), and only those
// are stored). Under GCC 12 a masked load in that loop kept the accumulators on the stack, so
// the whole loads are used wherever they stay inside X: the slack, else shifted when the call
// has at least a vector of columns (SpmmArgs::cols), off the padded grid.
enum class Last { kMasked, kWhole, kShifted };

template <class V, int A, bool kPartial, Last kLast>
inline typename V::R LoadX(const float* p, int i, int n) {
  if constexpr (kPartial && kLast == Last::kShifted) {
    if (i == A - 1) return V::load(p + i * V::W + n - V::W);
  }
  constexpr bool kMasked = kPartial && kLast == Last::kMasked;
  return LoadVec<V, A, kMasked>(p, i, n);
}
// Vector i of a pass of Y's row p (or of the residual's) as the accumulators of LoadX hold it,
// zeros in the lanes that are not the pass's; and the store of just those lanes.
template <class V, int A, bool kPartial, Last kLast>
inline typename V::R LoadY(const float* p, int i, int n) {
  if constexpr (kPartial && kLast == Last::kShifted) {
    if (i == A - 1) return V::load_lanes(p + i * V::W + n - V::W, V::W - n, n);
  }
  return LoadVec<V, A, kPartial>(p, i, n);
}
template <class V, int A, bool kPartial, Last kLast>
inline void StoreY(float* p, int i, typename V::R v, int n) {
  if constexpr (kPartial && kLast == Last::kShifted) {
    if (i == A - 1) return V::store_lanes(p + i * V::W + n - V::W, v, V::W - n, n);
  }
  StoreVec<V, A, kPartial>(p, i, v, n);
}
// The Last of a partial pass of SpmmArgs a.
template <class V>
inline Last LastOf(const SpmmArgs& a) {
  if (a.x_slack) return Last::kWhole;
  return a.grid_w == 0 && a.cols >= V::W ? Last::kShifted : Last::kMasked;
}

// One vector of sums of a padded-grid output row (SpmmArgs::grid_w): `lanes` columns from grid
// position (oh, ow), written row by row of the grid, without the padding columns of each; plus
// the residual at the same place (`res`: its row, or null), then clamped.
template <class V>
inline void StoreGrid(const SpmmArgs& a, float* y, const float* res, int64_t oh, int64_t ow,
                      typename V::R v, int lanes, typename V::R lo, typename V::R hi) {
  using R = typename V::R;
  if (ow + lanes <= a.out_w) {  // the common case: inside one row's valid columns
    const int64_t at = oh * a.out_w + ow;
    if (lanes == V::W) {
      if (res != nullptr) v = V::add(v, V::load(res + at));
      V::store(y + at, V::clamp(v, lo, hi));
    } else {
      if (res != nullptr) v = V::add(v, V::load_part(res + at, lanes));
      V::store_part(y + at, V::clamp(v, lo, hi), lanes);
    }
    return;
  }
  for (int l = 0; l < lanes; ++oh, ow = 0) {
    const int run = static_cast<int>(std::min<int64_t>(lanes - l, a.grid_w - ow));
    const int valid = static_cast<int>(std::clamp<int64_t>(a.out_w - ow, 0, run));
    // Lane i goes to base + i; lanes outside [l, l + valid) are masked off, never touched.
    if (valid > 0) {
      const int64_t base = oh * a.out_w + ow - l;
      R out = v;
      if (res != nullptr) out = V::add(out, V::load_lanes(res + base, l, valid));
      V::store_lanes(y + base, V::clamp(out, lo, hi), l, valid);
    }
    l += run;
  }
}

// Stores the accumulators of row r for columns [c0, c0 + A vectors): plus the residual (if any),
// clamped.
template <class V, int A, bool kPartial, Last kLast = Last::kMasked>
inline void StoreRow(const SpmmArgs& a, int64_t r, int64_t c0, const typename V::R* acc, int n) {
  using R = typename V::R;
  const R lo = V::set1(a.lo), hi = V::set1(a.hi);
  float* y = a.y + (r - a.y_row0) * a.ldy;
  const float* res = a.residual == nullptr ? nullptr : a.residual + (r - a.y_row0) * a.ldy;
  if (a.grid_w == 0) {
    for (int i = 0; i < A; ++i) {
      R v = acc[i];
      if (res != nullptr) v = V::add(v, LoadY<V, A, kPartial, kLast>(res + c0, i, n));
      StoreY<V, A, kPartial, kLast>(y + c0, i, V::clamp(v, lo, hi), n);
    }
    return;
  }
  // (LastOf never shifts on the grid.)
  // One division per row and pass, then steps (a 64-bit division per vector cost 2-4 % of the 3x3
  // layers). Grid positions fit int32 (SetUpGrid).
  const auto q = static_cast<int32_t>(a.grid_q0 + c0), w = static_cast<int32_t>(a.grid_w);
  int64_t oh = q / w, ow = q % w;
  for (int i = 0; i < A; ++i) {
    StoreGrid<V>(a, y, res, oh, ow, acc[i], kPartial && i == A - 1 ? n : V::W, lo, hi);
    for (ow += V::W; ow >= a.grid_w; ow -= a.grid_w) ++oh;
  }
}

// Entries [j0, j1) of unit u (SpmmArgs::kblocks: all of them, or those of operand-row block b).
struct Span {
  int32_t j0, j1;
  bool first, last;  // the unit's first block (start from the bias), last (clamp and store Y)
};
inline Span UnitSpan(const SpmmArgs& a, int64_t u, int b) {
  if (a.kblocks == 1) return {a.w->ptr[u], a.w->ptr[u + 1], true, true};
  const int32_t* p = a.kb_ptr + u * (a.kblocks + 1) + b;
  return {p[0], p[1], b == 0, b == a.kblocks - 1};
}

// Row r's accumulators between operand-row blocks (a.partial, kSpmmPartialFloats per row).
template <class V, int A>
inline void LoadPartial(const SpmmArgs& a, int64_t r, typename V::R* acc) {
  const float* p = a.partial + (r - a.y_row0) * kSpmmPartialFloats;
  for (int i = 0; i < A; ++i) acc[i] = V::load(p + i * V::W);
}
template <class V, int A>
inline void StorePartial(const SpmmArgs& a, int64_t r, const typename V::R* acc) {
  float* p = a.partial + (r - a.y_row0) * kSpmmPartialFloats;
  for (int i = 0; i < A; ++i) V::store(p + i * V::W, acc[i]);
}

template <class V, int A, bool kPartial, Last kLast>
inline void CsrTile(const SpmmArgs& a, int64_t r, int64_t c0, int n, Span s) {
  using R = typename V::R;
  R acc[A];
  if (s.first) {
    const R b = V::set1(a.bias[r]);
    for (int i = 0; i < A; ++i) acc[i] = b;
  } else {
    LoadPartial<V, A>(a, r, acc);
  }
  const int32_t* idx = a.w->idx.data();
  const float* val = a.w->val.data();
  for (int32_t j = s.j0; j < s.j1; ++j) {
    const R wv = V::set1(val[j]);
    const float* x = a.x + idx[j] * a.ldx + c0;
    for (int i = 0; i < A; ++i) {
      acc[i] = V::fma(wv, LoadX<V, A, kPartial, kLast>(x, i, n), acc[i]);
    }
  }
  if (s.last) {
    StoreRow<V, A, kPartial, kLast>(a, r, c0, acc, n);
  } else {
    StorePartial<V, A>(a, r, acc);
  }
}

// Groups [g0, g1) of row r of a 2:4 matrix. The first block of groups starts from the bias, later
// ones from the partial sums in Y; only the last block adds the residual and clamps.
template <class V, int A, bool kPartial, Last kLast>
inline void NmTile(const SpmmArgs& a, int64_t r, int64_t c0, int n, int64_t g0, int64_t g1,
                   bool first, bool last) {
  using R = typename V::R;
  R acc[A];
  float* y = a.y + (r - a.y_row0) * a.ldy + c0;
  if (first) {
    const R b = V::set1(a.bias[r]);
    for (int i = 0; i < A; ++i) acc[i] = b;
  } else {
    for (int i = 0; i < A; ++i) acc[i] = LoadY<V, A, kPartial, kLast>(y, i, n);
  }
  const int64_t groups = a.w->nm_groups();
  const float* val = a.w->val.data() + r * groups * 2;
  const uint8_t* off = a.w->nm_off.data() + r * groups * 2;
  const float* xr = a.x + c0;
  for (int64_t g = g0; g < g1; ++g) {
    const R w0 = V::set1(val[2 * g]), w1 = V::set1(val[2 * g + 1]);
    const float* x0 = xr + (g * 4 + off[2 * g]) * a.ldx;
    const float* x1 = xr + (g * 4 + off[2 * g + 1]) * a.ldx;
    for (int i = 0; i < A; ++i) {
      const R v0 = LoadX<V, A, kPartial, kLast>(x0, i, n);
      const R v1 = LoadX<V, A, kPartial, kLast>(x1, i, n);
      acc[i] = V::fma(w1, v1, V::fma(w0, v0, acc[i]));
    }
  }
  if (last) {
    StoreRow<V, A, kPartial, kLast>(a, r, c0, acc, n);  // + residual, clamp
    return;
  }
  for (int i = 0; i < A; ++i) StoreY<V, A, kPartial, kLast>(y, i, acc[i], n);
}

// 2:4 over units [ub, ue), blocked along the operand rows: for each chunk of columns and each
// block of kNmBlockGroups groups (64 operand rows: 16 KiB of X with 4 AVX-512 vectors, 32 KiB
// with 8, that stays in L1), every row of W accumulates into Y. Without blocking each row would
// stream its half of all K operand rows from L2. (The same blocking does not pay for CSR and 4x1
// blocks: at the sparsities where they are chosen a row holds only a few entries per block, and the
// extra loads and stores of Y cost more than L1 saves; measured 1.3-4x slower.)
constexpr int64_t kNmBlockGroups = 16;

template <class V, int A, bool kPartial, Last kLast>
void NmColumns(const SpmmArgs& a, int64_t ub, int64_t ue, int64_t c0, int n) {
  const int64_t groups = a.w->nm_groups();
  for (int64_t g0 = 0;; g0 += kNmBlockGroups) {
    const int64_t g1 = std::min(groups, g0 + kNmBlockGroups);
    const bool first = g0 == 0, last = g1 >= groups;
    for (int64_t u = ub; u < ue; ++u) {
      NmTile<V, A, kPartial, kLast>(a, u, c0, n, g0, g1, first, last);
    }
    if (last) break;
  }
}

// Rows 4u .. 4u+3 (those < rows) of a kBlock4x1 matrix.
template <class V, int A, bool kPartial, Last kLast>
inline void BlockTile(const SpmmArgs& a, int64_t u, int64_t c0, int n, Span s) {
  using R = typename V::R;
  const int64_t r0 = u * kBlockRows;
  const int rows = static_cast<int>(std::min<int64_t>(kBlockRows, a.w->rows - r0));
  R acc[kBlockRows][A];
  for (int k = 0; k < kBlockRows; ++k) {
    if (s.first) {
      const R b = V::set1(k < rows ? a.bias[r0 + k] : 0.f);
      for (int i = 0; i < A; ++i) acc[k][i] = b;
    } else {
      LoadPartial<V, A>(a, r0 + k, acc[k]);
    }
  }
  const int32_t* idx = a.w->idx.data();
  const float* val = a.w->val.data();
  for (int32_t j = s.j0; j < s.j1; ++j) {
    const float* x = a.x + idx[j] * a.ldx + c0;
    if constexpr (4 * A + 5 <= V::kRegs) {
      // The four weights held, an operand vector at a time (when they fit: measured up to 1.15x
      // faster than the order below with A = 2 on AVX2).
      const R w0 = V::set1(val[4 * j]), w1 = V::set1(val[4 * j + 1]);
      const R w2 = V::set1(val[4 * j + 2]), w3 = V::set1(val[4 * j + 3]);
      for (int i = 0; i < A; ++i) {
        const R v = LoadX<V, A, kPartial, kLast>(x, i, n);
        acc[0][i] = V::fma(w0, v, acc[0][i]);
        acc[1][i] = V::fma(w1, v, acc[1][i]);
        acc[2][i] = V::fma(w2, v, acc[2][i]);
        acc[3][i] = V::fma(w3, v, acc[3][i]);
      }
    } else {
      // The block's operand vectors first, then one weight at a time: 4A accumulators, A operand
      // vectors and one broadcast weight live at once (16 AVX2 registers for A = 3; with the
      // four weights held instead, GCC 12 spilled an accumulator through the stack every block).
      R v[A];
      for (int i = 0; i < A; ++i) v[i] = LoadX<V, A, kPartial, kLast>(x, i, n);
      for (int k = 0; k < kBlockRows; ++k) {
        const R w = V::set1(val[4 * j + k]);
        for (int i = 0; i < A; ++i) acc[k][i] = V::fma(w, v[i], acc[k][i]);
      }
    }
  }
  for (int k = 0; k < kBlockRows; ++k) {
    if (s.last) {
      if (k < rows) StoreRow<V, A, kPartial, kLast>(a, r0 + k, c0, acc[k], n);
    } else {
      StorePartial<V, A>(a, r0 + k, acc[k]);
    }
  }
}

// Walks the columns in passes of A vectors, then the rest, calling Tile<V, vectors, partial>::Do(a,
// what, c0, n) for each pass (`n`: the floats of its last vector; `what`: one unit, or a unit
// range). Each pass walks all of the unit's weights. The rest is one pass of fewer vectors, the
// last one possibly partial (CSR, 2:4: measured 5-12% faster on the 3x3 conv grids than a pass per
// vector; 4x1 blocks too since BlockTile holds one weight at a time).
template <class V, template <class, int, bool> class Tile, int B, class What>
void TailPass(const SpmmArgs& a, const What& what, int64_t c0, int vectors, int n) {
  if constexpr (B > 0) {
    if (vectors == B) {
      if (n == V::W) {
        Tile<V, B, false>::Do(a, what, c0, n);
      } else {
        Tile<V, B, true>::Do(a, what, c0, n);
      }
      return;
    }
    TailPass<V, Tile, B - 1>(a, what, c0, vectors, n);
  }
}

template <class V, int A, template <class, int, bool> class Tile, class What>
void WalkColumns(const SpmmArgs& a, const What& what) {
  int64_t c0 = 0;
  for (; c0 + A * V::W <= a.cols; c0 += A * V::W) Tile<V, A, false>::Do(a, what, c0, V::W);
  const int64_t rest = a.cols - c0;
  if (rest <= 0) return;
  const int vectors = static_cast<int>((rest + V::W - 1) / V::W);
  TailPass<V, Tile, A>(a, what, c0, vectors, static_cast<int>(rest - (vectors - 1) * V::W));
}

struct UnitRange {
  int64_t begin, end;
};
// Op::Do for an Op whose Walk<kLast>(a, units, c0, n) runs one pass: with the Last of a partial
// pass (P), or Last::kMasked for a full pass (it has no partial vector).
template <class V, bool P, class Op>
struct WithLast {
  static void Do(const SpmmArgs& a, const UnitRange& r, int64_t c0, int n) {
    if constexpr (P) {
      const Last last = LastOf<V>(a);
      if (last == Last::kWhole) return Op::template Walk<Last::kWhole>(a, r, c0, n);
      if (last == Last::kShifted) return Op::template Walk<Last::kShifted>(a, r, c0, n);
    }
    Op::template Walk<Last::kMasked>(a, r, c0, n);
  }
};
// CSR and 4x1 blocks, one pass of columns over a unit range: block by block of operand rows
// (SpmmArgs::kblocks), every unit of the range in turn, so that the block's slice of X is reused
// from L1 by all of them.
template <class V, int A, bool P>
struct CsrOp : WithLast<V, P, CsrOp<V, A, P>> {
  template <Last kLast>
  static void Walk(const SpmmArgs& a, const UnitRange& r, int64_t c0, int n) {
    for (int b = 0; b < a.kblocks; ++b) {
      for (int64_t u = r.begin; u < r.end; ++u) {
        CsrTile<V, A, P, kLast>(a, u, c0, n, UnitSpan(a, u, b));
      }
    }
  }
};
template <class V, int A, bool P>
struct NmOp : WithLast<V, P, NmOp<V, A, P>> {  // a unit range: every unit per block of groups
  template <Last kLast>
  static void Walk(const SpmmArgs& a, const UnitRange& u, int64_t c0, int n) {
    NmColumns<V, A, P, kLast>(a, u.begin, u.end, c0, n);
  }
};
template <class V, int A, bool P>
struct BlockOp : WithLast<V, P, BlockOp<V, A, P>> {
  template <Last kLast>
  static void Walk(const SpmmArgs& a, const UnitRange& r, int64_t c0, int n) {
    for (int b = 0; b < a.kblocks; ++b) {
      for (int64_t u = r.begin; u < r.end; ++u) {
        BlockTile<V, A, P, kLast>(a, u, c0, n, UnitSpan(a, u, b));
      }
    }
  }
};

// One column (a single activation row, e.g. batch-1 fully connected): a dot product per row with
// four independent scalar accumulators, so the FMA latency chain does not bound the loop.
inline float Dot1(const float* val, const int32_t* idx, int64_t count, const float* x,
                  int64_t ldx) {
  float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
  int64_t j = 0;
  for (; j + 4 <= count; j += 4) {
    s0 += val[j] * x[idx[j] * ldx];
    s1 += val[j + 1] * x[idx[j + 1] * ldx];
    s2 += val[j + 2] * x[idx[j + 2] * ldx];
    s3 += val[j + 3] * x[idx[j + 3] * ldx];
  }
  for (; j < count; ++j) s0 += val[j] * x[idx[j] * ldx];
  return (s0 + s1) + (s2 + s3);
}

// Dot1 over an operand read contiguously (ldx == 1), for a V with a gather: the operand values of
// V::W nonzeros per gather, two independent vector sums, the last < V::W nonzeros by a masked
// gather. On AMD Zen 5 (AVX-512), ResNet-50's classifier (2048 x 1000) at 90 and 95 % ran 1.5x
// faster than Dot1 (gathers there are slow: about a cycle per element).
template <class V>
inline float DotGather(const float* val, const int32_t* idx, int64_t count, const float* x) {
  using R = typename V::R;
  R s0 = V::set1(0.f), s1 = V::set1(0.f);
  int64_t j = 0;
  for (; j + 2 * V::W <= count; j += 2 * V::W) {
    s0 = V::fma(V::load(val + j), V::gather(x, idx + j), s0);
    s1 = V::fma(V::load(val + j + V::W), V::gather(x, idx + j + V::W), s1);
  }
  if (j + V::W <= count) {
    s0 = V::fma(V::load(val + j), V::gather(x, idx + j), s0);
    j += V::W;
  }
  if (j < count) {
    const int n = static_cast<int>(count - j);
    s1 = V::fma(V::load_part(val + j, n), V::gather_part(x, idx + j, n), s1);
  }
  return V::sum(V::add(s0, s1));
}

// Row r of one column: Dot1, or DotGather where `gather`.
template <class V, bool kGatherRow>
inline void CsrColumn(const SpmmArgs& a, int64_t r) {
  const int32_t begin = a.w->ptr[r];
  const float* val = a.w->val.data() + begin;
  const int32_t* idx = a.w->idx.data() + begin;
  const int64_t count = a.w->ptr[r + 1] - begin;
  float dot;
  if constexpr (kGatherRow) {
    dot = DotGather<V>(val, idx, count, a.x);
  } else {
    dot = Dot1(val, idx, count, a.x, a.ldx);
  }
  const float s = a.bias[r] + dot;
  a.y[(r - a.y_row0) * a.ldy] = std::min(std::max(s, a.lo), a.hi);
}

template <class V>
void SpmmImpl(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end) {
  static_assert(V::kWideChunks * V::W <= kSpmmPartialFloats && V::kChunks <= V::kWideChunks);
  static_assert(V::kWideBlockChunks * V::W <= kSpmmPartialFloats);
  if (a.cols == 1 && a.w->format == SparseFormat::kCsr && a.grid_w == 0 && a.residual == nullptr) {
    // Gathers where the operand is contiguous and rows hold two gathers' worth on average
    // (resnet.fc at 95 %, 25 per row, ran 0.7x with them; AMD Zen 5).
    if constexpr (V::kGather) {
      const int64_t nnz = a.w->ptr[unit_end] - a.w->ptr[unit_begin];
      if (a.ldx == 1 && nnz >= 2 * V::W * (unit_end - unit_begin)) {
        for (int64_t u = unit_begin; u < unit_end; ++u) CsrColumn<V, true>(a, u);
        return;
      }
    }
    for (int64_t u = unit_begin; u < unit_end; ++u) CsrColumn<V, false>(a, u);
    return;
  }
  const UnitRange units{unit_begin, unit_end};
  if (a.w->format == SparseFormat::kNm24) {
    if (a.wide) {
      WalkColumns<V, V::kWideChunks, NmOp>(a, units);
    } else {
      WalkColumns<V, V::kChunks, NmOp>(a, units);
    }
    return;
  }
  if (a.w->format == SparseFormat::kCsr) {
    if (a.wide) {
      WalkColumns<V, V::kWideChunks, CsrOp>(a, units);
    } else {
      WalkColumns<V, V::kChunks, CsrOp>(a, units);
    }
  } else {
    if (a.wide && a.grid_w > 0) {
      WalkColumns<V, V::kWideBlockChunks, BlockOp>(a, units);
    } else {
      WalkColumns<V, V::kBlockChunks, BlockOp>(a, units);
    }
  }
}

}  // namespace
}  // namespace sl::sparse

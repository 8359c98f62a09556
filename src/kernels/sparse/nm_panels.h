// 2:4 weights packed for a kernel that vectorizes over outputs instead of activation rows.
//
//   Y[t, n] = clamp(bias[n] + sum_k A[t, k] * W[n, k], lo, hi)    (W: [N, K], 2:4 along k)
//
// The SpMM of spmm.h vectorizes over activation rows and picks each nonzero's operand row by a
// load, one load per FMA. Here a vector holds `lanes` consecutive outputs n (a panel), and for
// group g of 4 columns every output n keeps two (value, offset) slots. One row t then costs, per
// group and slot, a broadcast of A[t, 4g .. 4g+3] to every 128-bit lane (shared by all panels), an
// in-lane permute (vpermilps) that gives each output lane A[t, 4g + offset[n]], and an FMA with
// the slot's values: half the FMAs of dense, plus as many permutes, which gains only where the
// permutes can issue beside the FMAs (docs/sparse-kernels.md has what AMD Zen 3 measured). A is
// read in place (row-major, no transpose) and Y written in place.
//
// Layout: val and off are [panels][groups][2][lanes]; outputs past N and empty slots hold value 0
// at offset 0. NmRows runs rows [row_begin, row_end) x panels [panel_begin, panel_end): per block
// of groups (its columns of A sized for L2), per pair of panels, per 4 rows, partial sums kept in Y
// between blocks of groups.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/dense/cpu_features.h"
#include "kernels/sparse/packed_matrix.h"

namespace sl::sparse {

struct NmPanels {
  int lanes = 0;  // outputs per panel: the vector width in floats
  int64_t n = 0, k = 0, groups = 0, panels = 0;
  std::vector<float> val;
  std::vector<int32_t> off;
  std::vector<float> bias;  // [panels * lanes], zero past N
};

// From a kNm24 matrix W [N, K] (the values as packed, scale applied) and bias[N].
NmPanels PackNmPanels(const PackedMatrix& w, const float* bias, int lanes);

struct NmRowsArgs {
  const NmPanels* w = nullptr;
  const float* a = nullptr;  // row t at a + t * lda
  int64_t lda = 0;
  float* y = nullptr;  // row t at y + t * ldy
  int64_t ldy = 0;
  float lo = 0.f, hi = 0.f;  // activation clamp
};

using NmRowsFn = void (*)(const NmRowsArgs& a, int64_t row_begin, int64_t row_end,
                          int64_t panel_begin, int64_t panel_end);
void NmRowsAvx2(const NmRowsArgs& a, int64_t row_begin, int64_t row_end, int64_t panel_begin,
                int64_t panel_end);
void NmRowsAvx512(const NmRowsArgs& a, int64_t row_begin, int64_t row_end, int64_t panel_begin,
                  int64_t panel_end);
// The kernel for `level` (panels of 8 outputs on AVX2, 16 on AVX-512), or null (scalar: no
// in-register permute; the row-vectorized SpMM runs).
NmRowsFn NmRowsFor(dense::SimdLevel level);
// Outputs per panel of the kernel NmRowsFor(level) returns.
int NmLanes(dense::SimdLevel level);

}  // namespace sl::sparse

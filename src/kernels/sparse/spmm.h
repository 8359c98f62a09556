// The sparse x dense product every sparse kernel runs, one implementation per SIMD level:
//
//   Y[r, 0:cols] = clamp(bias[r] + sum_c W[r, c] * X[c, 0:cols], lo, hi)
//
// for the rows of units [unit_begin, unit_end) of a PackedMatrix W (rows, or groups of 4 rows for
// kBlock4x1). Row c of the dense operand X (c an operand row of W: compact or original column,
// see PackedMatrix) starts at x + c * ldx; row r of Y at y + (r - y_row0) * ldy. Rows of W that
// hold no nonzero cost one store of the bias. Only rows < W.rows and columns < cols are written.
//
// 2:4 walks chunk of columns, then block of 16 groups, then unit, with partial sums in Y between
// blocks and the clamp last (spmm_impl.h). Steps of one unit (CSR, 4x1): 1. for each chunk of up
// to kChunks vectors of columns, load the bias into
// the accumulators (kBlock4x1: 4 rows of accumulators); 2. for each stored nonzero (block) of the
// unit, broadcast the weight(s) and FMA the operand row's chunk into the accumulators (one operand
// load feeds 4 rows for blocks); 3. add the residual if any, clamp and store (on a padded grid:
// each vector split at the grid's row ends, its padding lanes dropped). Column tails use masked or
// partial vectors.
#pragma once

#include <cstdint>

#include "kernels/dense/cpu_features.h"
#include "kernels/sparse/packed_matrix.h"

namespace sl::sparse {

struct SpmmArgs {
  const PackedMatrix* w = nullptr;
  const float* x = nullptr;
  int64_t ldx = 0;
  float* y = nullptr;
  int64_t ldy = 0;
  int64_t y_row0 = 0;  // row r of W is written at y + (r - y_row0) * ldy
  int64_t cols = 0;
  const float* bias = nullptr;  // one value per row of W, never null
  float lo = 0.f, hi = 0.f;     // activation clamp
  // Padded-grid output (sparse_conv.cc), when grid_w > 0: column c is grid position
  // q = grid_q0 + c = oh * grid_w + ow, stored at y + (r - y_row0) * ldy + oh * out_w + ow when
  // ow < out_w and dropped otherwise (the grid's padding columns).
  int64_t grid_w = 0, grid_q0 = 0, out_w = 0;
  // Blocks of operand rows (CSR, 4x1 blocks), when kblocks > 1: for each pass of columns, every
  // unit sweeps block b (entries [kb_ptr[u * (kblocks + 1) + b], kb_ptr[... + b + 1]) of unit u)
  // before any goes on to block b + 1, so that the block's rows of X stay in L1; the sums in
  // between wait in `partial` (kSpmmPartialFloats per row of W from y_row0, rows padded to
  // whole 4x1 blocks).
  int kblocks = 1;
  const int32_t* kb_ptr = nullptr;
  float* partial = nullptr;
  // Added before the clamp (a fused residual Add), when not null: laid out like Y, its row r at
  // residual + (r - y_row0) * ldy with the same column (or grid) mapping. Every format.
  const float* residual = nullptr;
  // Wider passes: CSR and 2:4 in passes of V::kWideChunks vectors of columns instead of kChunks
  // (AVX2 and AVX-512: 8 instead of 4, so that 8 independent accumulator chains cover the FMA
  // latency on cores with two FMA pipes); 4x1 blocks on a padded grid in V::kWideBlockChunks
  // instead of kBlockChunks (AVX2: 3 instead of 2, 12 accumulators; AVX-512: 6 instead of 4, 24
  // accumulators). Convolutions set it; MatMul does not (vit_s qkv measured 1.2x slower with 8
  // on the AMD EPYC VM). Off the grid, where operand rows start on cache lines, 3-vector passes
  // straddle lines and measured 1.2x slower (resnet50 conv1x1_256to64_56), so blocks keep 2 there.
  bool wide = false;
  // X can be read a whole vector past the last column of every row (`cols`; the padded grid and
  // im2col tiles have that slack in the scratch): CSR and 2:4 passes then load their last vector
  // whole (the extra lanes are never stored) instead of masked. Under GCC 12 a masked load in the
  // loop kept the accumulators on the stack, stored after every entry: ResNet-50's 7x7 3x3 layers
  // (61 grid columns, one pass of 4 AVX-512 vectors) ran 1.3x slower. Without the slack, passes
  // off the grid load their last vector whole but shifted back to end at the last column, when
  // `cols` holds a vector at least (spmm_impl.h, Last::kShifted).
  bool x_slack = false;
};

// Vectors of a wide CSR / 2:4 pass on AVX2 and AVX-512 (kWideChunks of Avx2Vec and Avx512Vec,
// PassColumns).
inline constexpr int kWidePassChunks = 8;

// Floats of SpmmArgs::partial per row of W (the most floats of a pass: 8 AVX-512 vectors).
inline constexpr int64_t kSpmmPartialFloats = 128;

using SpmmFn = void (*)(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end);

void SpmmScalar(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end);
void SpmmAvx2(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end);
void SpmmAvx512(const SpmmArgs& a, int64_t unit_begin, int64_t unit_end);

SpmmFn SpmmFor(dense::SimdLevel level);
// Vector width in floats of `level` (1 for scalar): the column granularity kernels tile by.
int64_t VectorWidth(dense::SimdLevel level);
// Columns of one CSR / 2:4 pass at `level` (SpmmArgs::wide or not).
int64_t PassColumns(dense::SimdLevel level, bool wide);

}  // namespace sl::sparse

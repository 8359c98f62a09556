// Small helpers shared by the sparse Conv and MatMul kernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "kernels/dense/cpu_features.h"
#include "kernels/kernel.h"
#include "kernels/ref/activation_util.h"
#include "kernels/sparse/packed_matrix.h"

namespace sl::sparse {

// "<file>: node 'n' (Op)" for messages about the node of `req`.
inline std::string Where(const KernelRequest& req) {
  return req.graph.source + ": " + req.graph.Describe(req.node);
}

struct Clamp {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};
inline Clamp ClampOf(const FusedActivation& act) {
  Clamp c;
  if (act.kind == FusedActivation::Kind::kRelu) c.lo = 0.f;
  if (act.kind == FusedActivation::Kind::kClip) c = {act.min, act.max};
  return c;
}

inline std::string KernelName(SparseFormat f, dense::SimdLevel level) {
  return "sparse-" + std::string(FormatName(f)) + ":" + std::string(dense::SimdLevelName(level));
}

// Operand tile width (columns) for an operand of `rows` rows: about kTileFloats floats, a multiple
// of `quantum`, between `quantum` and `max_cols` rounded up to the quantum.
inline int64_t TileColumns(int64_t rows, int64_t quantum, int64_t max_cols) {
  constexpr int64_t kTileFloats = 32 * 1024;
  const int64_t limit = (max_cols + quantum - 1) / quantum * quantum;
  int64_t t = kTileFloats / std::max<int64_t>(rows, 1) / quantum * quantum;
  return std::clamp<int64_t>(t, quantum, std::max(limit, quantum));
}

// SpmmArgs::kblocks for `w`: blocks of about `rows_per_block` operand rows for CSR, or more where
// W is so sparse that a row would hold fewer than `row_entries` entries per block on average (each
// block stores and reloads a row's partial sums; at 95 % a block of the 90 % size holds half the
// entries for the same traffic); 1 for other formats (4x1 blocks load one operand vector per 4
// FMAs and measured no gain from blocking).
inline int OperandBlockCount(const PackedMatrix& w, int64_t rows_per_block, double row_entries) {
  if (w.format != SparseFormat::kCsr) return 1;
  const int64_t rows = w.operand_rows();
  const double nnz = static_cast<double>(w.val.size());
  const double per_entry = static_cast<double>(w.rows) * static_cast<double>(rows);
  if (nnz > 0 && row_entries * per_entry / nnz > static_cast<double>(rows_per_block)) {
    rows_per_block = static_cast<int64_t>(std::min(row_entries * per_entry / nnz, 1e9));
  }
  return static_cast<int>(std::clamp<int64_t>((rows + rows_per_block / 2) / rows_per_block, 1,
                                              std::max<int64_t>(rows, 1)));
}

// Bytes of one thread's scratch region holding `floats` floats, a multiple of 64.
inline size_t RegionBytes(int64_t floats) {
  return (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
}

}  // namespace sl::sparse

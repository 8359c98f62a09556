// Sparse weight matrices: pattern analysis and the packed formats the sparse kernels run.
//
// A weight matrix here is the row-major [rows, cols] matrix whose rows are outputs: a Conv weight
// flattened to [OC/g, IC/g * KH * KW] per group, or a Gemm/MatMul B transposed to [N, K]. All
// packing happens at prepare time; a PackedMatrix is immutable afterwards and shared read-only by
// concurrent Execute() calls.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sl::sparse {

enum class SparseFormat {
  kCsr = 0,       // unstructured: compressed sparse rows
  kBlock4x1 = 1,  // blocks of 4 consecutive rows x 1 column, rows padded to a multiple of 4
  kNm24 = 2,      // 2:4 semi-structured: 2 values per group of 4 consecutive columns of a row
};
inline constexpr int kNumFormats = 3;
inline constexpr int64_t kBlockRows = 4;

std::string_view FormatName(SparseFormat f);

// What the analysis found in a weight matrix (all fractions in [0, 1]).
struct WeightStats {
  int64_t rows = 0, cols = 0, nnz = 0;
  int64_t zero_rows = 0, zero_cols = 0;
  int64_t nonzero_blocks = 0;  // 4x1 blocks (rows padded to a multiple of 4) with any nonzero
  bool fits_nm24 = true;       // every group of 4 columns of every row has <= 2 nonzeros
  double sparsity() const {
    return rows * cols == 0 ? 1.0 : 1.0 - static_cast<double>(nnz) / (rows * cols);
  }
  // Fraction of the 4x1 block slots that hold a nonzero (1 for perfectly block-pruned weights).
  double block_fill() const {
    return nonzero_blocks == 0 ? 1.0 : static_cast<double>(nnz) / (nonzero_blocks * kBlockRows);
  }
  // The pattern a pruner most likely used: "block4x1", "nm2:4", "unstructured" or "dense".
  std::string_view pattern() const;
};

WeightStats AnalyzeWeights(const float* w, int64_t rows, int64_t cols);
// Adds the counts of `b` (same cols) to `a`, for matrices analysed per group.
void MergeStats(WeightStats& a, const WeightStats& b);

// One packed weight matrix. Column indices address rows of the dense operand: with
// `compact_cols`, only columns that hold a nonzero are kept and col_map[c] is the original column
// of compact column c (the kernel's operand tile holds only those rows); otherwise col_map is the
// identity and indices are original columns. kNm24 never compacts.
struct PackedMatrix {
  SparseFormat format = SparseFormat::kCsr;
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> col_map;
  // kCsr: ptr[rows + 1], idx[nnz], val[nnz].
  // kBlock4x1: ptr[row_groups + 1], idx[blocks], val[blocks * 4] (4 rows of one column per block).
  std::vector<int32_t> ptr, idx;
  std::vector<float> val;
  // kNm24: val[rows * groups * 2] and nm_off (column offset 0..3 within the group) alike;
  // groups = ceil(cols / 4), missing values are stored as 0 at a valid column.
  std::vector<uint8_t> nm_off;

  int64_t row_groups() const { return (rows + kBlockRows - 1) / kBlockRows; }
  int64_t nm_groups() const { return (cols + 3) / 4; }
  int64_t operand_rows() const { return static_cast<int64_t>(col_map.size()); }
  // Units the kernels split work by: rows (kCsr, kNm24) or row groups (kBlock4x1).
  int64_t units() const { return format == SparseFormat::kBlock4x1 ? row_groups() : rows; }
  // First row and end row of unit u.
  int64_t unit_row_begin(int64_t u) const {
    return format == SparseFormat::kBlock4x1 ? u * kBlockRows : u;
  }
  size_t bytes() const;
};

// SpmmArgs::kb_ptr for `blocks` blocks of operand rows: per unit, blocks + 1 entry offsets; block b
// holds the unit's entries whose operand row is in [R * b / blocks, R * (b + 1) / blocks), R =
// operand_rows(). Needs the indices as packed (operand rows, not yet remapped). kCsr, kBlock4x1.
std::vector<int32_t> OperandRowBlocks(const PackedMatrix& w, int blocks);

// Whether `format` can represent the matrix exactly (kNm24 needs stats.fits_nm24).
bool CanPack(SparseFormat format, const WeightStats& stats);
// Packs w [rows, cols] (every element scaled by `scale`). Requires CanPack.
PackedMatrix Pack(SparseFormat format, const float* w, int64_t rows, int64_t cols,
                  bool compact_cols, float scale = 1.f);

}  // namespace sl::sparse

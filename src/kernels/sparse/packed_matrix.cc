#include "kernels/sparse/packed_matrix.h"

#include <algorithm>

#include "core/status.h"

namespace sl::sparse {

std::string_view FormatName(SparseFormat f) {
  switch (f) {
    case SparseFormat::kCsr:
      return "csr";
    case SparseFormat::kBlock4x1:
      return "block4x1";
    case SparseFormat::kNm24:
      return "nm2:4";
  }
  return "csr";
}

std::string_view WeightStats::pattern() const {
  if (nnz == rows * cols) return "dense";
  if (block_fill() > 0.95 && sparsity() > 0.05) return "block4x1";
  if (fits_nm24 && sparsity() >= 0.45 && sparsity() <= 0.55) return "nm2:4";
  return "unstructured";
}

WeightStats AnalyzeWeights(const float* w, int64_t rows, int64_t cols) {
  WeightStats s;
  s.rows = rows;
  s.cols = cols;
  std::vector<char> col_used(static_cast<size_t>(cols), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = w + r * cols;
    int64_t row_nnz = 0;
    for (int64_t g = 0; g < cols; g += 4) {
      int group_nnz = 0;
      for (int64_t c = g; c < std::min(cols, g + 4); ++c) {
        if (row[c] != 0.f) {
          ++group_nnz;
          col_used[c] = 1;
        }
      }
      if (group_nnz > 2) s.fits_nm24 = false;
      row_nnz += group_nnz;
    }
    s.nnz += row_nnz;
    if (row_nnz == 0) ++s.zero_rows;
  }
  for (char u : col_used) s.zero_cols += u ? 0 : 1;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlockRows) {
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t r = r0; r < std::min(rows, r0 + kBlockRows); ++r) {
        if (w[r * cols + c] != 0.f) {
          ++s.nonzero_blocks;
          break;
        }
      }
    }
  }
  return s;
}

void MergeStats(WeightStats& a, const WeightStats& b) {
  a.rows += b.rows;
  a.nnz += b.nnz;
  a.zero_rows += b.zero_rows;
  a.zero_cols += b.zero_cols;
  a.nonzero_blocks += b.nonzero_blocks;
  a.fits_nm24 = a.fits_nm24 && b.fits_nm24;
}

size_t PackedMatrix::bytes() const {
  return col_map.size() * 4 + ptr.size() * 4 + idx.size() * 4 + val.size() * 4 + nm_off.size();
}

std::vector<int32_t> OperandRowBlocks(const PackedMatrix& w, int blocks) {
  std::vector<int32_t> kb;
  if (w.format == SparseFormat::kNm24) return kb;  // no row pointers
  const int64_t rows = w.operand_rows();
  kb.reserve(static_cast<size_t>(w.units() * (blocks + 1)));
  for (int64_t u = 0; u < w.units(); ++u) {
    int32_t j = w.ptr[u];
    for (int64_t b = 0; b < blocks; ++b) {
      while (j < w.ptr[u + 1] && w.idx[j] < rows * b / blocks) ++j;
      kb.push_back(j);
    }
    kb.push_back(w.ptr[u + 1]);
  }
  return kb;
}

bool CanPack(SparseFormat format, const WeightStats& stats) {
  return format != SparseFormat::kNm24 || stats.fits_nm24;
}

PackedMatrix Pack(SparseFormat format, const float* w, int64_t rows, int64_t cols,
                  bool compact_cols, float scale) {
  PackedMatrix p;
  p.format = format;
  p.rows = rows;
  p.cols = cols;
  auto at = [&](int64_t r, int64_t c) { return r < rows ? w[r * cols + c] : 0.f; };
  // Column map: original column of each operand row.
  std::vector<int32_t> compact(static_cast<size_t>(cols), -1);
  for (int64_t c = 0; c < cols; ++c) {
    bool used = !compact_cols || format == SparseFormat::kNm24;
    for (int64_t r = 0; r < rows && !used; ++r) used = w[r * cols + c] != 0.f;
    if (used) {
      compact[c] = static_cast<int32_t>(p.col_map.size());
      p.col_map.push_back(static_cast<int32_t>(c));
    }
  }
  switch (format) {
    case SparseFormat::kCsr:
      p.ptr.push_back(0);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
          if (at(r, c) == 0.f) continue;
          p.idx.push_back(compact[c]);
          p.val.push_back(at(r, c) * scale);
        }
        p.ptr.push_back(static_cast<int32_t>(p.idx.size()));
      }
      break;
    case SparseFormat::kBlock4x1:
      p.ptr.push_back(0);
      for (int64_t r0 = 0; r0 < rows; r0 += kBlockRows) {
        for (int64_t c = 0; c < cols; ++c) {
          bool any = false;
          for (int64_t r = r0; r < r0 + kBlockRows; ++r) any = any || at(r, c) != 0.f;
          if (!any) continue;
          p.idx.push_back(compact[c]);
          for (int64_t r = r0; r < r0 + kBlockRows; ++r) p.val.push_back(at(r, c) * scale);
        }
        p.ptr.push_back(static_cast<int32_t>(p.idx.size()));
      }
      break;
    case SparseFormat::kNm24: {
      const int64_t groups = p.nm_groups();
      p.val.assign(static_cast<size_t>(rows * groups * 2), 0.f);
      p.nm_off.assign(static_cast<size_t>(rows * groups * 2), 0);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t g = 0; g < groups; ++g) {
          int slot = 0;
          const size_t base = static_cast<size_t>((r * groups + g) * 2);
          for (int64_t c = g * 4; c < std::min(cols, g * 4 + 4); ++c) {
            if (at(r, c) == 0.f) continue;
            SL_CHECK(slot < 2);
            p.val[base + slot] = at(r, c) * scale;
            p.nm_off[base + slot] = static_cast<uint8_t>(c - g * 4);
            ++slot;
          }
        }
      }
      break;
    }
  }
  return p;
}

}  // namespace sl::sparse

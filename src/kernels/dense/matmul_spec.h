// Gemm and MatMul normalised to one batched product with optional bias and fused activation:
//   Y[b..., m, n] = act(alpha * sum_k A[b..., m, k] * B[b..., k, n] + beta * bias[b..., m, n])
// with numpy broadcasting over the batch dims and of the bias over Y.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "kernels/dense/onednn_common.h"
#include "kernels/kernel.h"

namespace sl::dense {

struct MatMulSpec {
  // Logical dims, all of the same rank r >= 2: A [..., M, K], B [..., K, N], Y [..., M, N].
  std::vector<int64_t> a_dims, b_dims, y_dims;
  // Storage of A / B is the transpose of the logical matrix (Gemm transA / transB; rank 2 only).
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 1.f;
  bool b_constant = false;
  int bias_input = -1;             // input index of C (Gemm) or the bias (MatMul); -1 when none
  std::vector<int64_t> bias_dims;  // rank r, each dim 1 or equal to Y's
  bool bias_constant = false;
  FusedActivation act;

  int64_t m() const { return a_dims[a_dims.size() - 2]; }
  int64_t k() const { return a_dims.back(); }
  int64_t n() const { return b_dims.back(); }
  // True when every batch dim of B is 1 (B is one K x N matrix).
  bool b_is_matrix() const;
  // Rows of A across all batch dims (product of A's dims but the last).
  int64_t rows() const;
  // True when the bias has one value per output column (dims all 1 but the last).
  bool bias_is_row() const;
};

// Reads a Gemm or MatMul request. Unsupported for non-float32 or unbound shapes; InvalidArgument
// for inconsistent shapes or attributes.
Result<MatMulSpec> ParseMatMul(const KernelRequest& req);

// Folds the batch dims of A into M when B is a single matrix and the bias allows it
// (Y becomes [R, N] with R = rows()). Returns whether it did.
bool CollapseBatch(MatMulSpec& spec);

}  // namespace sl::dense

// Sparse Gemm / MatMul with a constant B: Y[rows, N] = act(A[rows, K] * B[K, N] + bias), batch dims
// of A folded into rows. B is packed transposed, W = alpha * B^T [N, K], so outputs are rows of W.
//
// Steps per tile of T activation rows (T = 1 for a single row, else a vector multiple):
//   1. gather A^T[c, 0:T] for the operand rows c that some nonzero reads (PackedMatrix::col_map)
//      into the thread's region of ctx.scratch (Gemm transA reads A's storage directly);
//   2. SpMM (spmm.h): Y^T[n, 0:T] = act(bias[n] + sum_c W[n, c] * A^T[c, 0:T]) into the region;
//   3. transpose Y^T into Y's rows. Steps 2-3 run per chunk of 128 outputs so the chunk of Y^T
//      stays in cache; with T == 1, step 2 writes Y directly.
// 2:4 weights with SIMD (A not transposed) skip all three: NmRows (nm_panels.h) reads A and writes
// Y in place, vectorized over the outputs; an item is then (all rows, range of panels).
// Work: items (row tile, split of the N outputs) over up to ctx.num_threads OpenMP threads.
#include <omp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/dense/matmul_spec.h"
#include "kernels/sparse/nm_panels.h"
#include "kernels/sparse/sparse.h"
#include "kernels/sparse/sparse_common.h"
#include "kernels/sparse/spmm.h"
#include "kernels/sparse/transpose.h"
#include "kernels/sparse/work_runs.h"

namespace sl::sparse {
namespace {

class SparseMatMulKernel final : public Kernel {
 public:
  std::string name() const override {
    return KernelName(w_.format, level_) + (nm_rows_ != nullptr ? "+rows" : "");
  }
  size_t scratch_bytes() const override {
    return static_cast<size_t>(max_threads_) * region_bytes_ + WorkRuns::Bytes(max_threads_);
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;
  void RunItem(const float* a, float* y, int64_t item, int64_t splits, float* region) const;
  // What items split the outputs by: units of W, or panels for NmRows.
  int64_t units() const { return nm_rows_ != nullptr ? panels_.panels : w_.units(); }

  PackedMatrix w_;  // [N, K]
  dense::SimdLevel level_ = dense::SimdLevel::kScalar;
  SpmmFn spmm_ = nullptr;
  TransposeFn transpose_ = nullptr;
  NmPanels panels_;             // with nm_rows_
  NmRowsFn nm_rows_ = nullptr;  // set: 2:4 runs as NmRows
  std::vector<float> bias_;     // [N]
  Clamp clamp_;
  int64_t rows_ = 0, k_ = 0, n_ = 0;
  bool trans_a_ = false;
  int64_t tile_ = 1;  // activation rows per tile
  int max_threads_ = 1;
  size_t region_bytes_ = 0;
  size_t yt_offset_ = 0;     // floats from the region start to the Y^T chunk
  int64_t chunk_units_ = 1;  // units per Y^T chunk
};

void SparseMatMulKernel::RunItem(const float* a, float* y, int64_t item, int64_t splits,
                                 float* region) const {
  const int64_t split = item % splits, tile = item / splits;
  const int64_t m0 = tile * tile_, cols = std::min(tile_, rows_ - m0);
  if (nm_rows_ != nullptr) {
    NmRowsArgs args;
    args.w = &panels_;
    args.a = a;
    args.lda = k_;
    args.y = y;
    args.ldy = n_;
    args.lo = clamp_.lo;
    args.hi = clamp_.hi;
    const int64_t panels = panels_.panels;
    nm_rows_(args, m0, m0 + cols, panels * split / splits, panels * (split + 1) / splits);
    return;
  }
  float* at = region;
  const int64_t kc = w_.operand_rows();
  if (trans_a_) {
    for (int64_t c = 0; c < kc; ++c) {
      const float* src = a + w_.col_map[c] * rows_ + m0;
      std::copy(src, src + cols, at + c * tile_);
    }
  } else {
    // at[c][t] = A[m0 + t][col_map[c]]: reading each column of A whole touched one cache line per
    // element, a third of a ViT fc2 layer's time (transpose.h).
    transpose_(a + m0 * k_, k_, w_.col_map.data(), kc, cols, at, tile_);
  }
  SpmmArgs args;
  args.w = &w_;
  args.x = at;
  args.ldx = tile_;
  args.cols = cols;
  args.bias = bias_.data();
  args.lo = clamp_.lo;
  args.hi = clamp_.hi;
  const int64_t units = w_.units();
  const int64_t u0 = units * split / splits, u1 = units * (split + 1) / splits;
  if (tile_ == 1) {
    args.y = y + m0 * n_;
    args.ldy = 1;
    spmm_(args, u0, u1);
    return;
  }
  // Y^T in chunks of about kChunkRows outputs so the chunk stays in cache until transposed.
  float* yt = region + yt_offset_;
  args.ldy = tile_;
  for (int64_t c0 = u0; c0 < u1; c0 += chunk_units_) {
    const int64_t c1 = std::min(u1, c0 + chunk_units_);
    const int64_t r0 = w_.unit_row_begin(c0);
    const int64_t r1 = c1 == units ? n_ : w_.unit_row_begin(c1);
    args.y = yt;
    args.y_row0 = r0;
    spmm_(args, c0, c1);
    transpose_(yt, tile_, nullptr, cols, r1 - r0, y + m0 * n_ + r0, n_);  // Y[t][r] = Y^T[r][t]
  }
}

Status SparseMatMulKernel::Execute(std::span<const TensorView> inputs,
                                   std::span<const TensorView> outputs,
                                   const ExecContext& ctx) const {
  if (inputs.empty() || outputs.empty() || inputs[0].data == nullptr ||
      outputs[0].data == nullptr || inputs[0].numel() != rows_ * k_ ||
      outputs[0].numel() != rows_ * n_) {
    return InvalidArgument("sparse matmul: inputs/outputs differ from the prepared shapes");
  }
  if (ctx.scratch == nullptr) return InvalidArgument("sparse matmul: no scratch");
  const float* a = inputs[0].data_as<const float>();
  float* y = outputs[0].data_as<float>();
  const int64_t tiles = (rows_ + tile_ - 1) / tile_;
  const int threads = std::clamp(ctx.num_threads, 1, max_threads_);
  int64_t splits = 1;
  if (tiles < threads) splits = std::min<int64_t>((threads + tiles - 1) / tiles, units());
  splits = std::max<int64_t>(splits, 1);
  const int64_t items = tiles * splits;
  char* scratch = static_cast<char*>(ctx.scratch);
  if (threads == 1 || items == 1) {
    for (int64_t i = 0; i < items; ++i) RunItem(a, y, i, splits, reinterpret_cast<float*>(scratch));
    return Status::Ok();
  }
  const size_t region = region_bytes_;
  // Contiguous runs of items per thread, with stealing (WorkRuns).
  WorkRuns runs(scratch + max_threads_ * region, items, threads);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    float* mine = reinterpret_cast<float*>(scratch + t * region);
    for (int64_t i; (i = runs.Next(t)) >= 0;) RunItem(a, y, i, splits, mine);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateSparseMatMul(const KernelRequest& req, SparseFormat format) {
  SL_ASSIGN_OR_RETURN(dense::MatMulSpec spec, dense::ParseMatMul(req));
  dense::CollapseBatch(spec);
  const std::string where = Where(req);
  if (!spec.b_constant || !spec.b_is_matrix()) {
    return Unsupported(where + ": sparse matmul needs a constant 2-D B");
  }
  if (spec.a_dims.size() != 2 && spec.trans_a) return Unsupported(where + ": batched transA");
  if (spec.bias_input >= 0 && (!spec.bias_constant || !spec.bias_is_row())) {
    return Unsupported(where + ": sparse matmul needs a constant per-column bias");
  }
  auto kernel = std::make_unique<SparseMatMulKernel>();
  SparseMatMulKernel& k = *kernel;
  k.rows_ = spec.rows();
  k.k_ = spec.k();
  k.n_ = spec.n();
  k.trans_a_ = spec.trans_a;
  if (spec.a_dims.size() != 2) {
    // A has batch dims that CollapseBatch could not fold (a bias that is not per column).
    return Unsupported(where + ": sparse matmul needs A foldable to 2-D");
  }
  // W = alpha * B^T: B storage is [K, N], or [N, K] with transB.
  const float* b = req.input(1).constant.data<float>();
  std::vector<float> wt;
  const float* w = b;
  if (!spec.trans_b) {
    wt.resize(static_cast<size_t>(k.n_ * k.k_));
    for (int64_t kk = 0; kk < k.k_; ++kk) {
      for (int64_t n = 0; n < k.n_; ++n) wt[n * k.k_ + kk] = b[kk * k.n_ + n];
    }
    w = wt.data();
  }
  if (!CanPack(format, AnalyzeWeights(w, k.n_, k.k_))) {
    return Unsupported(where + ": weights do not fit " + std::string(FormatName(format)));
  }
  k.w_ = Pack(format, w, k.n_, k.k_, /*compact_cols=*/true, spec.alpha);
  k.bias_.assign(static_cast<size_t>(k.n_), 0.f);
  if (spec.bias_input >= 0) {
    const Tensor& c = req.input(spec.bias_input).constant;
    const float* cv = c.data<float>();
    const bool scalar = c.numel() == 1;
    for (int64_t n = 0; n < k.n_; ++n) k.bias_[n] = spec.beta * cv[scalar ? 0 : n];
  }
  k.clamp_ = ClampOf(spec.act);
  k.level_ = dense::ActiveSimdLevel();
  k.spmm_ = SpmmFor(k.level_);
  k.transpose_ = TransposeFor(k.level_);
  k.max_threads_ = std::max(1, req.num_threads);
  const int64_t quantum = VectorWidth(k.level_);
  k.nm_rows_ = format == SparseFormat::kNm24 && !k.trans_a_ ? NmRowsFor(k.level_) : nullptr;
  if (k.nm_rows_ != nullptr) {
    k.panels_ = PackNmPanels(k.w_, k.bias_.data(), NmLanes(k.level_));
    k.w_.val = {};  // the panels hold the weights
    k.w_.nm_off = {};
    k.tile_ = std::max<int64_t>(k.rows_, 1);  // threads split the panels
    k.region_bytes_ = RegionBytes(16);        // no scratch used; keeps ctx.scratch non-null
    return std::unique_ptr<Kernel>(std::move(kernel));
  }
  k.tile_ = k.rows_ == 1
                ? 1
                : std::min<int64_t>(4 * quantum, (k.rows_ + quantum - 1) / quantum * quantum);
  const size_t at_bytes = RegionBytes(std::max<int64_t>(k.w_.operand_rows(), 1) * k.tile_);
  k.yt_offset_ = at_bytes / sizeof(float);
  constexpr int64_t kChunkRows = 128;
  k.chunk_units_ =
      std::max<int64_t>(1, kChunkRows / (format == SparseFormat::kBlock4x1 ? kBlockRows : 1));
  const int64_t chunk_rows =
      std::min(k.n_, k.chunk_units_ * (format == SparseFormat::kBlock4x1 ? kBlockRows : 1));
  k.region_bytes_ = at_bytes + (k.tile_ == 1 ? 0 : RegionBytes(chunk_rows * k.tile_));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace sl::sparse

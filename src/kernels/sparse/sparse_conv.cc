// Sparse Conv: per group, the weight flattened to [OC/g, IC/g * KH * KW] is a PackedMatrix and the
// output of image n, group g is Y[oc, p] = act(bias + sum_k W[oc, k] * X_col[k, p]) over output
// positions p of OH * OW (spmm.h).
//
// Operand X_col:
//   - 1x1, stride 1, no padding: the input channels themselves ([IC/g, H * W]), no copy, unless
//     a vector is a cache line (AVX-512) and H * W is not a multiple of it (then every load of an
//     operand vector straddles two lines): CSR and 2:4 then copy each tile's operand rows into
//     aligned rows of the scratch, as the im2col tiles below do (4x1 blocks load an operand
//     vector per 4 FMAs and keep reading in place; so do all formats when threads split the rows
//     of W, which would copy the whole tile once per thread);
//   - otherwise (CSR and 4x1 blocks; "padded grid"): the input is copied once per call,
//     zero-padded, into ctx.scratch as [IC, Hp, Wp]. On the grid q = oh * Wp + ow, operand row
//     (ic, kh, kw) is that copy shifted by ic * Hp * Wp + kh * dh * Wp + kw * dw, a contiguous
//     row, so the packed indices are stored as those shifts (ldx = 1) and no im2col is built.
//     Strides sh, sw split the copy into phases: phase (ph, pw) of a channel holds the padded
//     rows ph, ph + sh, ... and columns pw, pw + sw, ... as an [Hq, Wq] plane (Hq = OH +
//     (KH - 1) * dh / sh, Wq likewise), and operand row (ic, kh, kw) is phase (kh * dh % sh,
//     kw * dw % sw) shifted by (kh * dh / sh) * Wq + kw * dw / sw on the grid q = oh * Wq + ow.
//     Only phases some tap reads are copied (a 1x1 stride-2 conv: one, a subsampled input).
//     A tile is a run of grid positions (not necessarily whole rows); the SpMM stores the valid
//     ones (ow < OW) straight into Y and drops the Wp - OW padding columns of each row. CSR
//     sweeps the operand rows in blocks (SpmmArgs::kblocks) so that each block's slice of the
//     copy is reused from L1 by every row of W;
//   - otherwise an implicit im2col per tile: for a tile of output positions, only the operand rows
//     that some nonzero weight reads (PackedMatrix::col_map) are gathered from the input (padding
//     as zeros) into the thread's region of ctx.scratch, never the full im2col matrix.
//
// Work: items (image, group, position tile, row split) are spread over up to ctx.num_threads
// OpenMP threads; row splits only when there are fewer tiles than threads.
//
// A fused residual Add (Plan::FuseResidualAdds: attribute "_residual", input 3 shaped like Y) is
// added to every output before the activation.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/dense/conv_params.h"
#include "kernels/sparse/pad_rows.h"
#include "kernels/sparse/sparse.h"
#include "kernels/sparse/sparse_common.h"
#include "kernels/sparse/spmm.h"
#include "kernels/sparse/tiling.h"
#include "kernels/sparse/work_runs.h"

namespace sl::sparse {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

class SparseConvKernel final : public Kernel {
 public:
  std::string name() const override {
    return KernelName(format_, level_) + (grid_ ? "+grid" : "") + (residual_ ? "+residual" : "");
  }
  size_t scratch_bytes() const override {
    // The padded copy (grid), then per thread its operand tile (im2col) and partial sums, then
    // the threads' runs of items.
    return RunsOffset() + WorkRuns::Bytes(max_threads_);
  }
  size_t RunsOffset() const {
    return grid_bytes_ * GridCopies() +
           static_cast<size_t>(max_threads_) * (region_bytes_ + partial_bytes_);
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;
  // Padded copies in the scratch: one per thread for a single image and group (each thread pads
  // the rows its items read and reads them from its own core's cache), else one shared.
  size_t GridCopies() const {
    return p_.batch * p_.groups == 1 ? static_cast<size_t>(max_threads_) : 1;
  }

  dense::ConvParams p_;
  SparseFormat format_ = SparseFormat::kCsr;
  dense::SimdLevel level_ = dense::SimdLevel::kScalar;
  SpmmFn spmm_ = nullptr;
  PadRowsFn pad_rows_ = nullptr;
  std::vector<PackedMatrix> groups_;
  std::vector<float> bias_;
  Clamp clamp_;
  bool pointwise_ = false;  // 1x1, stride 1, no padding
  bool direct_ = false;     // pointwise and X read in place
  bool residual_ = false;  // input 3 is added before the activation
  // Padded grid: a phase plane's floats, row width and rows (Hq * Wq, Wq, Hq), the grid positions
  // that hold outputs ((OH - 1) * Wq + OW), and the bytes of the padded copy (scratch start).
  bool grid_ = false;
  bool grid_split_rows_ = false;  // threads split W's rows (else they split tiles)
  int64_t grid_plane_ = 0, grid_w_ = 0, grid_h_ = 0, grid_cols_ = 0;  // a phase: Hq * Wq, Wq, Hq
  std::vector<std::pair<int64_t, int64_t>> grid_phases_;  // (ph, pw) copied, in copy order
  // Blocks of operand rows (SpmmArgs::kblocks) and their entry offsets, per group.
  int kblocks_ = 1;
  std::vector<std::vector<int32_t>> kb_ptr_;
  size_t grid_bytes_ = 0;
  int64_t tile_ = 1;  // output positions per tile (padded grid: grid positions)
  int max_threads_ = 1;
  size_t region_bytes_ = 0;   // scratch per thread for the operand tile (im2col path)
  size_t partial_bytes_ = 0;  // scratch per thread for SpmmArgs::partial (kblocks_ > 1)

 private:
  // Fills tile[c][0, cols) with the input values operand row c of `w` reads at output positions
  // [p0, p0 + cols) of one image and group (`x` points at the group's first input channel).
  void BuildTile(const PackedMatrix& w, const float* x, int64_t p0, int64_t cols, float* tile,
                 int64_t ldt) const;
  // A work item's (row split, tile, group, image); items run split fastest, image slowest.
  struct Item {
    int64_t split, tile, g, n;
  };
  Item Decode(int64_t item, int64_t splits, int64_t tiles) const {
    const int64_t rest = item / splits / tiles;
    return {item % splits, item / splits % tiles, rest % p_.groups, rest / p_.groups};
  }
  // `region`: the thread's scratch (operand tile, then partial sums).
  void RunItem(const float* x, const float* res, float* y, int64_t item, int64_t splits,
               float* region, int64_t* built) const;
  void SetBlocks(SpmmArgs& a, int64_t g, float* partial) const {
    a.kblocks = kblocks_;
    a.kb_ptr = kb_ptr_[g].data();
    a.partial = partial;
  }
  // Padded grid: the zero-padded copy of all images' inputs (planes [c_begin, c_end), phase rows
  // [h_begin, h_end) of each phase), and one tile of grid positions.
  void PadInput(const float* x, float* xp, int64_t c_begin, int64_t c_end, int64_t h_begin,
                int64_t h_end) const;
  void RunGridItem(const float* xp, const float* res, float* y, int64_t item, int64_t splits,
                   float* partial) const;
};

void SparseConvKernel::PadInput(const float* x, float* xp, int64_t c_begin, int64_t c_end,
                                int64_t h_begin, int64_t h_end) const {
  const int64_t sh = p_.stride_h, sw = p_.stride_w;
  const int64_t phases = static_cast<int64_t>(grid_phases_.size());
  for (int64_t c = c_begin; c < c_end; ++c) {
    const float* src = x + c * p_.in_h * p_.in_w;
    for (int64_t f = 0; f < phases; ++f) {
      const auto [ph, pw] = grid_phases_[f];
      // Phase column j reads input column j * sw + pw - pad_left: valid for j in [lo, hi). Phase
      // row h reads input row h * sh + ph - pad_top: valid for h in [r0, r1).
      const int64_t lo = std::clamp<int64_t>(CeilDiv(p_.pad_left - pw, sw), 0, grid_w_);
      const int64_t hi = std::clamp<int64_t>(CeilDiv(p_.in_w + p_.pad_left - pw, sw), lo, grid_w_);
      const int64_t r0 = std::clamp<int64_t>(CeilDiv(p_.pad_top - ph, sh), h_begin, h_end);
      const int64_t r1 =
          hi > lo ? std::clamp<int64_t>(CeilDiv(p_.in_h + p_.pad_top - ph, sh), r0, h_end) : r0;
      float* dst = xp + (c * phases + f) * grid_plane_;
      std::fill(dst + h_begin * grid_w_, dst + r0 * grid_w_, 0.f);
      std::fill(dst + r1 * grid_w_, dst + h_end * grid_w_, 0.f);
      if (r1 == r0) continue;
      PadRowsArgs a;
      a.src = src + (r0 * sh + ph - p_.pad_top) * p_.in_w + (lo * sw + pw - p_.pad_left);
      a.ld_src = sh * p_.in_w;
      a.stride = sw;
      a.n = hi - lo;
      a.dst = dst + r0 * grid_w_;
      a.ld_dst = grid_w_;
      a.lo = lo;
      a.width = grid_w_;
      a.rows = r1 - r0;
      pad_rows_(a);
    }
  }
}

void SparseConvKernel::RunGridItem(const float* xp, const float* res, float* y, int64_t item,
                                   int64_t splits, float* partial) const {
  const auto [split, tile, g, n] = Decode(item, splits, (grid_cols_ + tile_ - 1) / tile_);
  const PackedMatrix& w = groups_[g];
  const int64_t ic_g = p_.in_channels / p_.groups, oc_g = p_.out_channels / p_.groups;
  const int64_t q0 = tile * tile_;
  SpmmArgs a;
  a.w = &w;
  const int64_t channel = static_cast<int64_t>(grid_phases_.size()) * grid_plane_;
  a.x = xp + (n * p_.in_channels + g * ic_g) * channel + q0;
  a.ldx = 1;
  // Up to the last row's OW valid columns (reads stay inside the padded copy).
  a.cols = std::min(tile_, grid_cols_ - q0);
  a.y = y + (n * p_.out_channels + g * oc_g) * p_.out_h * p_.out_w;
  if (res != nullptr) a.residual = res + (n * p_.out_channels + g * oc_g) * p_.out_h * p_.out_w;
  a.ldy = p_.out_h * p_.out_w;
  a.grid_w = grid_w_;
  a.grid_q0 = q0;
  a.out_w = p_.out_w;
  a.bias = bias_.data() + g * oc_g;
  a.lo = clamp_.lo;
  a.hi = clamp_.hi;
  a.wide = true;
  a.x_slack = true;  // grid_bytes_
  SetBlocks(a, g, partial);
  const int64_t units = w.units();
  spmm_(a, units * split / splits, units * (split + 1) / splits);
}

void SparseConvKernel::BuildTile(const PackedMatrix& w, const float* x, int64_t p0, int64_t cols,
                                 float* tile, int64_t ldt) const {
  const int64_t kk = p_.kernel_h * p_.kernel_w, in_hw = p_.in_h * p_.in_w;
  for (int64_t c = 0; c < w.operand_rows(); ++c) {
    const int64_t k = w.col_map[c];
    const int64_t ic = k / kk, kh = (k / p_.kernel_w) % p_.kernel_h, kw = k % p_.kernel_w;
    const float* xc = x + ic * in_hw;
    float* dst = tile + c * ldt;
    if (pointwise_) {  // the positions are the input's, contiguous
      std::memcpy(dst, xc + p0, static_cast<size_t>(cols) * sizeof(float));
      continue;
    }
    const int64_t off_w = kw * p_.dilation_w - p_.pad_left;
    for (int64_t t = 0; t < cols;) {
      const int64_t pos = p0 + t, oh = pos / p_.out_w, ow = pos % p_.out_w;
      const int64_t run = std::min(p_.out_w - ow, cols - t);
      const int64_t ih = oh * p_.stride_h - p_.pad_top + kh * p_.dilation_h;
      float* d = dst + t;
      t += run;
      if (ih < 0 || ih >= p_.in_h) {
        std::fill(d, d + run, 0.f);
        continue;
      }
      // Valid i: 0 <= (ow + i) * stride + off_w < in_w.
      const int64_t base = ow * p_.stride_w + off_w;
      const int64_t lo = std::clamp<int64_t>(CeilDiv(-base, p_.stride_w), 0, run);
      const int64_t hi = std::clamp<int64_t>(CeilDiv(p_.in_w - base, p_.stride_w), lo, run);
      std::fill(d, d + lo, 0.f);
      const float* row = xc + ih * p_.in_w + base;
      if (p_.stride_w == 1) {
        std::memcpy(d + lo, row + lo, static_cast<size_t>(hi - lo) * sizeof(float));
      } else {
        for (int64_t i = lo; i < hi; ++i) d[i] = row[i * p_.stride_w];
      }
      std::fill(d + hi, d + run, 0.f);
    }
  }
}

void SparseConvKernel::RunItem(const float* x, const float* res, float* y, int64_t item,
                               int64_t splits, float* region, int64_t* built) const {
  const int64_t out_hw = p_.out_h * p_.out_w;
  const auto [split, tile, g, n] = Decode(item, splits, (out_hw + tile_ - 1) / tile_);
  const PackedMatrix& w = groups_[g];
  const int64_t ic_g = p_.in_channels / p_.groups, oc_g = p_.out_channels / p_.groups;
  const float* xg = x + (n * p_.in_channels + g * ic_g) * p_.in_h * p_.in_w;
  const int64_t p0 = tile * tile_, cols = std::min(tile_, out_hw - p0);
  SpmmArgs a;
  a.w = &w;
  a.cols = cols;
  a.y = y + (n * p_.out_channels + g * oc_g) * out_hw + p0;
  if (res != nullptr) a.residual = res + (n * p_.out_channels + g * oc_g) * out_hw + p0;
  a.ldy = out_hw;
  a.bias = bias_.data() + g * oc_g;
  a.lo = clamp_.lo;
  a.hi = clamp_.hi;
  a.wide = true;
  if (direct_) {
    a.x = xg + p0;
    a.ldx = p_.in_h * p_.in_w;
  } else {
    // Rows a whole number of vectors apart (aligned when the tile is narrower than tile_).
    const int64_t quantum = VectorWidth(level_);
    a.ldx = (cols + quantum - 1) / quantum * quantum;
    if (*built != item / splits) {
      BuildTile(w, xg, p0, cols, region, a.ldx);
      *built = item / splits;
    }
    a.x = region;
    a.x_slack = true;  // region_bytes_
  }
  SetBlocks(a, g, region + region_bytes_ / sizeof(float));
  const int64_t units = w.units();
  spmm_(a, units * split / splits, units * (split + 1) / splits);
}

Status SparseConvKernel::Execute(std::span<const TensorView> inputs,
                                 std::span<const TensorView> outputs,
                                 const ExecContext& ctx) const {
  const int64_t x_numel = p_.batch * p_.in_channels * p_.in_h * p_.in_w;
  const int64_t y_numel = p_.batch * p_.out_channels * p_.out_h * p_.out_w;
  if (inputs.empty() || outputs.empty() || inputs[0].data == nullptr ||
      outputs[0].data == nullptr || inputs[0].numel() != x_numel || outputs[0].numel() != y_numel) {
    return InvalidArgument("sparse conv: inputs/outputs differ from the prepared shapes");
  }
  if (scratch_bytes() > 0 && ctx.scratch == nullptr) {
    return InvalidArgument("sparse conv: no scratch");
  }
  const float* res = nullptr;
  if (residual_) {
    if (inputs.size() < 4 || inputs[3].data == nullptr || inputs[3].numel() != y_numel) {
      return InvalidArgument("sparse conv: the residual differs from the output's shape");
    }
    res = inputs[3].data_as<const float>();
  }
  const float* x = inputs[0].data_as<const float>();
  float* y = outputs[0].data_as<float>();
  const int threads_max = std::clamp(ctx.num_threads, 1, max_threads_);
  char* scratch = static_cast<char*>(ctx.scratch);
  // Items are (image, group, tile) times row splits of W, when threads split the rows of W or
  // there are fewer tiles than threads: kSplitsPerThread splits per thread, so that a faster
  // thread can take more of them (WorkRuns). A thread builds an operand tile once for all the
  // splits of it that it takes.
  constexpr int64_t kSplitsPerThread = 4;
  auto splits_for = [&](int64_t base_items, bool split_rows) -> int64_t {
    if (threads_max == 1 || (!split_rows && base_items >= threads_max)) return 1;
    const int64_t want = CeilDiv(kSplitsPerThread * threads_max, base_items);
    return std::max<int64_t>(1, std::min<int64_t>(want, groups_[0].units()));
  };
  if (grid_) {
    float* xp = reinterpret_cast<float*>(scratch);
    const int64_t base_items = p_.batch * p_.groups * ((grid_cols_ + tile_ - 1) / tile_);
    const int64_t splits = splits_for(base_items, grid_split_rows_);
    const int64_t items = base_items * splits;
    const int threads = static_cast<int>(std::min<int64_t>(threads_max, items));
    const int64_t planes = p_.batch * p_.in_channels, hp = grid_h_;
    char* partials = reinterpret_cast<char*>(xp) + grid_bytes_ * GridCopies();
    if (threads == 1) {
      PadInput(x, xp, 0, planes, 0, hp);
      for (int64_t i = 0; i < items; ++i)
        RunGridItem(xp, res, y, i, splits, reinterpret_cast<float*>(partials));
      return Status::Ok();
    }
    // A single image and group: each thread pads, into its own copy, the rows of the items it
    // takes as it takes them, and needs no barrier. Otherwise threads split the planes of one
    // shared copy, then wait for each other. Items: WorkRuns (a thread's own run in order, then
    // items stolen from the back of the others').
    const bool own_copy = GridCopies() > 1;
    const int64_t tiles = (grid_cols_ + tile_ - 1) / tile_;
    // Rows of the copy an item reads: its tile's output rows, the kernel's halo rows below them,
    // and one more that the padding columns of a row reach into (their lanes are dropped, but are
    // read from padded values).
    const int64_t halo = grid_h_ - p_.out_h + 1;
    auto rows_of = [&](int64_t item) -> std::pair<int64_t, int64_t> {
      const int64_t q0 = item / splits % tiles * tile_;
      const int64_t q1 = std::min(grid_cols_, q0 + tile_);
      return {q0 / grid_w_, std::min(hp, (q1 - 1) / grid_w_ + halo + 1)};
    };
    WorkRuns runs(scratch + RunsOffset(), items, threads);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      float* copy = own_copy ? xp + t * grid_bytes_ / sizeof(float) : xp;
      if (!own_copy) {
        PadInput(x, xp, planes * t / nt, planes * (t + 1) / nt, 0, hp);
#pragma omp barrier
      }
      float* mine = reinterpret_cast<float*>(partials + t * partial_bytes_);
      int64_t lo = 0, hi = 0;  // the rows of `copy` padded so far in this call (own copy)
      for (int64_t i; (i = runs.Next(t)) >= 0;) {
        if (own_copy) {
          const auto [a, b] = rows_of(i);
          if (a > hi || b < lo) lo = hi = a;  // apart from the padded rows: start anew
          if (a < lo) PadInput(x, copy, 0, planes, a, lo);
          if (b > hi) PadInput(x, copy, 0, planes, std::max(a, hi), b);
          lo = std::min(lo, a);
          hi = std::max(hi, b);
        }
        RunGridItem(copy, res, y, i, splits, mine);
      }
    }
    return Status::Ok();
  }
  const int64_t tiles = (p_.out_h * p_.out_w + tile_ - 1) / tile_;
  const int64_t base_items = p_.batch * p_.groups * tiles;
  const int threads = threads_max;
  const int64_t splits = splits_for(base_items, false);
  const int64_t items = base_items * splits;
  if (threads == 1 || items == 1) {
    int64_t built = -1;
    for (int64_t i = 0; i < items; ++i)
      RunItem(x, res, y, i, splits, reinterpret_cast<float*>(scratch), &built);
    return Status::Ok();
  }
  const size_t region = region_bytes_ + partial_bytes_;
  // Contiguous runs of items, items * t / threads onwards for thread t, as BalancedTile assumes,
  // with stealing (WorkRuns).
  WorkRuns runs(scratch + RunsOffset(), items, threads);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    float* mine = reinterpret_cast<float*>(scratch + t * region);
    int64_t built = -1;  // the (image, group, tile) whose operand tile `mine` holds
    for (int64_t i; (i = runs.Next(t)) >= 0;) RunItem(x, res, y, i, splits, mine, &built);
  }
  return Status::Ok();
}

// Output positions per tile off the grid, for operand tiles of `operand_rows` rows: the whole
// image for `one_tile` (OneTile); else cache-sized, but enough tiles to feed every thread, unless
// that would leave tiles narrower than 8 vectors (each pass walks all the weights); then Execute
// splits the rows of W across threads instead (SplitsRows).
int64_t OperandTile(const dense::ConvParams& p, int64_t operand_rows, dense::SimdLevel level,
                    int threads, bool one_tile) {
  const int64_t out_hw = p.out_h * p.out_w, quantum = VectorWidth(level);
  // In steps of a wide pass. (Session 20 capped them at 64 columns with threads: AVX-512's
  // 128-column steps measured slower at 2 threads while partial passes off the grid kept their
  // accumulators on the stack; since those load their last vector shifted, 128 measured 1.2-1.3x
  // faster on resnet50 conv1x1_1024to256_14 at 2 threads and even on the other 1x1 layers; AMD
  // Zen 5.)
  if (one_tile) return CeilDiv(out_hw, quantum) * quantum;
  int64_t tile = TileColumns(operand_rows, PassColumns(level, true), out_hw);
  if (threads > 1 && p.batch * p.groups * CeilDiv(out_hw, tile) < threads) {
    const int64_t per_thread = CeilDiv(out_hw * p.batch * p.groups, threads);
    const int64_t shrunk = std::max<int64_t>(quantum, CeilDiv(per_thread, quantum) * quantum);
    return shrunk >= 8 * quantum ? shrunk : tile;
  }
  // Every thread a tile at least: even them out (the last tile of an image is often narrow).
  return BalancedTile(out_hw, p.batch * p.groups, threads, tile, quantum, 4 * quantum);
}

// Whether a pointwise layer whose image is at most two tiles wide (the 14x14 and 7x7 layers) runs
// as one tile per image that threads share by splitting the rows of W, each thread reading or
// copying the whole operand once, instead of a tile of columns per thread: for 2:4, and for CSR
// and 4x1 blocks where W has at least as many rows as the operand (an expanding layer). At 2
// threads (AMD Zen 5, AVX-512, fastest of 8 alternating rounds): resnet50 conv1x1_256to1024_14
// CSR 90 % 1.16x, 95 % 1.47x, 4x1 1.26x, 2:4 2.1x faster; conv1x1_512to2048_7 CSR 1.33-1.36x,
// 2:4 1.28x; conv1x1_1024to256_14 2:4 2.18x but CSR 0.91-0.94x (four times the operand per
// thread), hence the rule.
bool OneTile(const dense::ConvParams& p, SparseFormat format, int64_t operand_rows,
             dense::SimdLevel level, int threads) {
  if (threads <= 1 || !(p.kernel_h == 1 && p.kernel_w == 1)) return false;
  const int64_t out_hw = p.out_h * p.out_w;
  if (out_hw > 2 * TileColumns(operand_rows, PassColumns(level, true), out_hw)) return false;
  return format == SparseFormat::kNm24 || p.out_channels / p.groups >= operand_rows;
}

// Whether Execute splits the rows of W across `threads` for tiles of `tile` positions off the
// grid: when there are fewer tiles than threads.
bool SplitsRows(const dense::ConvParams& p, int64_t tile, int threads) {
  return threads > 1 && p.batch * p.groups * CeilDiv(p.out_h * p.out_w, tile) < threads;
}

// Operand-row blocks (SpmmArgs::kblocks: OperandBlockCount), their entry offsets per group, and
// the partial-sum scratch they need per thread.
void SetUpBlocks(SparseConvKernel& k, int64_t rows_per_block, double row_entries) {
  k.kblocks_ = OperandBlockCount(k.groups_[0], rows_per_block, row_entries);
  k.kb_ptr_.clear();
  for (const PackedMatrix& w : k.groups_) k.kb_ptr_.push_back(OperandRowBlocks(w, k.kblocks_));
  k.partial_bytes_ =
      k.kblocks_ > 1 ? RegionBytes(k.groups_[0].row_groups() * kBlockRows * kSpmmPartialFloats) : 0;
}

std::atomic<bool> g_grid_disabled{false};

bool DisableGridForTesting() { return g_grid_disabled.load(std::memory_order_relaxed); }

// Switches a kernel to the padded grid (see the top of the file): remaps the packed
// operand rows to shifts into the padded copy (its stride phases) and sizes the tiles and scratch.
// Leaves the kernel on im2col when shifts would pass int32 or more than half of every grid row
// would be discarded (a 4x4 output on a 6-wide grid still runs 5x faster here than on im2col).
void SetUpGrid(SparseConvKernel& k) {
  const dense::ConvParams& p = k.p_;
  const int64_t sh = p.stride_h, sw = p.stride_w;
  const int64_t hq = p.out_h + (p.kernel_h - 1) * p.dilation_h / sh;
  const int64_t wq = p.out_w + (p.kernel_w - 1) * p.dilation_w / sw;
  if (2 * (wq - p.out_w) > wq) return;
  // The phases some operand row reads, in copy order.
  const int64_t kk = p.kernel_h * p.kernel_w;
  std::vector<int64_t> phase_of(static_cast<size_t>(sh * sw), -1);
  for (const PackedMatrix& w : k.groups_) {
    for (int32_t col : w.col_map) {
      const int64_t kh = (col / p.kernel_w) % p.kernel_h, kw = col % p.kernel_w;
      phase_of[(kh * p.dilation_h % sh) * sw + kw * p.dilation_w % sw] = 0;
    }
  }
  std::vector<std::pair<int64_t, int64_t>> phases;
  for (int64_t f = 0; f < sh * sw; ++f) {
    if (phase_of[f] < 0) continue;
    phase_of[f] = static_cast<int64_t>(phases.size());
    phases.emplace_back(f / sw, f % sw);
  }
  if (phases.empty()) phases.emplace_back(0, 0);  // all-zero weights: nothing is read
  const int64_t plane = hq * wq, channel = static_cast<int64_t>(phases.size()) * plane;
  const int64_t ic_g = p.in_channels / p.groups;
  if (ic_g * channel >= (int64_t{1} << 31)) return;
  // CSR: blocks of about kGridBlockRows operand rows, measured best on ResNet-18's 3x3 layers (64
  // and 256 channels; 128 to 576 and unblocked tried) on a 2-core Intel Xeon (AVX-512): the kw
  // rows of a (ic, kh) share cache lines here, so a block's slice of X is about a third of its
  // rows' size. Computed before the indices become shifts below. At most 29 entries per row and
  // block (288 rows at 90 %; 580 at 95 % measured 1.06-1.17x faster there, AMD Zen 5; larger
  // blocks at 90 % and smaller ones at 70 % were no faster).
  constexpr int64_t kGridBlockRows = 288;
  SetUpBlocks(k, kGridBlockRows, 29);
  for (PackedMatrix& w : k.groups_) {
    for (int32_t& j : w.idx) {
      const int64_t col = w.col_map[j];
      const int64_t ic = col / kk, kh = (col / p.kernel_w) % p.kernel_h, kw = col % p.kernel_w;
      const int64_t rh = kh * p.dilation_h, rw = kw * p.dilation_w;
      const int64_t phase = phase_of[(rh % sh) * sw + rw % sw];
      j = static_cast<int32_t>(ic * channel + phase * plane + rh / sh * wq + rw / sw);
    }
  }
  k.grid_ = true;
  k.grid_plane_ = plane;
  k.grid_w_ = wq;
  k.grid_h_ = hq;
  k.grid_phases_ = std::move(phases);
  // Threads share the work so that each reads the smaller operand whole: the packed weights split
  // by rows when they outweigh one image's padded input, else tiles of output rows.
  size_t weight_bytes = 0;
  for (const PackedMatrix& w : k.groups_) weight_bytes += w.bytes();
  // Also when a tile per thread would be narrower than kTargetCols grid columns.
  constexpr int64_t kTargetCols = 256;
  k.grid_cols_ = (p.out_h - 1) * wq + p.out_w;
  k.grid_split_rows_ =
      k.max_threads_ > 1 && p.batch == 1 &&
      (weight_bytes > static_cast<size_t>(p.in_channels * channel) * sizeof(float) ||
       k.grid_cols_ < kTargetCols * k.max_threads_);
  // kTargetCols grid positions per tile (whole passes: 2 of 8 AVX-512 vectors or 4 of 8 AVX2 ones,
  // so only the image's last tile ends in a partial pass), but a tile per thread at least when
  // threads split tiles.
  k.tile_ = kTargetCols;
  if (!k.grid_split_rows_) {
    const int64_t pass = PassColumns(k.level_, /*wide=*/true);
    const int64_t per_thread = (k.grid_cols_ + k.max_threads_ - 1) / k.max_threads_;
    k.tile_ = std::min(k.tile_, std::max(pass, (per_thread + pass - 1) / pass * pass));
    k.tile_ = BalancedTile(k.grid_cols_, p.batch * p.groups, k.max_threads_, k.tile_,
                           VectorWidth(k.level_), pass);
  }
  // Plus a vector of slack (SpmmArgs::x_slack): reads end inside the copy but for the lanes of a
  // pass's last vector past its last column.
  k.grid_bytes_ = RegionBytes(p.batch * p.in_channels * channel + VectorWidth(k.level_));
  k.region_bytes_ = 0;
}

}  // namespace

void SetConvGridDisabledForTesting(bool disabled) {
  g_grid_disabled.store(disabled, std::memory_order_relaxed);
}

Result<std::unique_ptr<Kernel>> CreateSparseConv(const KernelRequest& req, SparseFormat format) {
  SL_ASSIGN_OR_RETURN(dense::ConvParams p, dense::ResolveConvParams(req));
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(req.node));
  auto kernel = std::make_unique<SparseConvKernel>();
  SparseConvKernel& k = *kernel;
  k.p_ = p;
  k.format_ = format;
  k.level_ = dense::ActiveSimdLevel();
  k.spmm_ = SpmmFor(k.level_);
  k.pad_rows_ = PadRowsFor(k.level_);
  k.clamp_ = ClampOf(act);
  k.max_threads_ = std::max(1, req.num_threads);
  if (req.node.attrs.Has("_residual")) {
    const bool ok = req.has_input(3) && req.input(3).dtype == DType::kF32 &&
                    req.input(3).shape == req.output(0).shape;
    if (!ok) return Unsupported(Where(req) + ": residual input 3 must be float32 shaped like Y");
    k.residual_ = true;
  }
  const int64_t oc_g = p.out_channels / p.groups;
  const int64_t k_g = (p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
  k.pointwise_ = p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                 p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
  // Copying the tiles of a 1x1 convolution whose channels are not whole AVX-512 vectors apart
  // measured 1.1-1.4x faster for CSR and 1.33-1.45x for 2:4 at 1 and 2 threads on ResNet-50's
  // 14x14 and 7x7 1x1 layers, 4x1 blocks within 5 % either way (AMD Zen 5). With AVX2 (32-byte
  // vectors, every other misaligned load splits) it gained nothing on the same machine.
  // A pointwise layer's operand rows are its input channels, known before packing.
  const bool one_tile = k.pointwise_ && OneTile(p, format, k_g, k.level_, k.max_threads_);
  const int64_t pointwise_tile =
      k.pointwise_ ? OperandTile(p, k_g, k.level_, k.max_threads_, one_tile) : 0;
  k.direct_ =
      k.pointwise_ && (format == SparseFormat::kBlock4x1 || k.level_ != dense::SimdLevel::kAvx512 ||
                       p.in_h * p.in_w % VectorWidth(k.level_) == 0 ||
                       (!one_tile && SplitsRows(p, pointwise_tile, k.max_threads_)));
  const float* w = req.input(1).constant.data<float>();
  int64_t max_operand_rows = 1;
  for (int64_t g = 0; g < p.groups; ++g) {
    const float* wg = w + g * oc_g * k_g;
    if (!CanPack(format, AnalyzeWeights(wg, oc_g, k_g))) {
      return Unsupported(Where(req) + ": weights do not fit " + std::string(FormatName(format)));
    }
    k.groups_.push_back(Pack(format, wg, oc_g, k_g, /*compact_cols=*/!k.direct_));
    max_operand_rows = std::max(max_operand_rows, k.groups_.back().operand_rows());
  }
  k.bias_.assign(static_cast<size_t>(p.out_channels), 0.f);
  if (p.has_bias) {
    if (!req.input(2).is_constant()) return Unsupported(Where(req) + ": bias is not constant");
    const float* b = req.input(2).constant.data<float>();
    std::copy(b, b + p.out_channels, k.bias_.begin());
  }
  const int64_t quantum = VectorWidth(k.level_);
  k.tile_ = k.pointwise_ ? pointwise_tile
                         : OperandTile(p, max_operand_rows, k.level_, k.max_threads_, false);
  k.region_bytes_ =
      k.direct_ ? 0 : RegionBytes(max_operand_rows * k.tile_ + quantum);  // + x_slack's vector
  // CSR on the input channels or an im2col tile: blocks of about kOperandBlockRows operand rows
  // (distinct rows of X here), measured best on ResNet-50's 1x1 layers (resnet50 1024to256_14:
  // 1.2x; 64 to 256 and unblocked tried, Intel Xeon). The padded grid sets its own. (Sparse
  // MatMul measured 1.0-1.6x slower with blocks of 64 to 256 rows and does not block.) At most 40
  // entries per row and block: 400 rows at 90 %, 800 at 95 % (resnet50 conv1x1_1024to256_14 95 %
  // 1.17x faster at 1 thread and 1.27x at 2, conv1x1_512to2048_7 1.13-1.16x; AMD Zen 5).
  constexpr int64_t kOperandBlockRows = 256;
  SetUpBlocks(k, kOperandBlockRows, 40);
  if (!k.pointwise_ && format != SparseFormat::kNm24 && !DisableGridForTesting()) SetUpGrid(k);
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace sl::sparse

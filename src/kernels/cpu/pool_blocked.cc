// Pools over a channel-blocked input (KernelRequest::channel_block; exec/layout.h): 2-D MaxPool /
// AveragePool and GlobalAveragePool / GlobalMaxPool reading [N, C/B, H, W, B], writing blocked or
// plain NCHW as the layout pass asks. Every output position visits its taps in the reference order
// (kernel row, then column) for all B channels of a block at once, so MaxPool returns exactly
// what the reference does, NaN included (a later tap wins only if greater; GlobalMaxPool skips
// NaN as its plain kernel does). The padded channels of a blocked output are written as zero.
// Windowed pools over blocks of 8 or 16 channels run one
// output row at a time through PoolRow, whose block width is a compile-time constant so that each
// tap is one vector max or add (SL_CPU_CLONES picks the SIMD level at run time).
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/pool_taps.h"
#include "kernels/cpu/vec_math.h"

namespace sl::cpu {
namespace {

constexpr int kMaxBlock = 16;

// The geometry of one output row of a windowed pool: the row's taps, the columns' tap ranges.
struct RowTaps {
  const float* x;  // the block's [H, W, B] plane, at the row's first tap row
  int64_t row_step;  // floats between tap rows (dilation * W * B)
  int64_t rows;      // tap rows inside the input
  const TapRange* cols;
  int64_t ow, col_stride, col_pad, col_dilation;
  int64_t row_padded_count;  // for count_include_pad
  bool max, include_pad;
};

// A GCC vector of one channel block: one register per tap at AVX-512 (16) or AVX2 (8). The
// auto-vectoriser does not find that for the max on its own.
template <int B>
struct BlockVec;
template <>
struct BlockVec<8> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct BlockVec<16> {
  typedef float type __attribute__((vector_size(64)));
};

// One output row of B channels into y[ow * B]: per output column, the taps in reference order
// (row, then column). MaxPool starts from the first tap and keeps a later one only if greater,
// so NaN behaves as in the reference; a window of padding only gives -inf (max) or 0 (average).
template <int B, bool kMax>
inline void PoolRowImpl(const RowTaps& r, float* y) {
  using V = typename BlockVec<B>::type;
  for (int64_t o = 0; o < r.ow; ++o) {
    const TapRange& ct = r.cols[o];
    V acc;
    if (r.rows <= 0 || ct.last <= ct.first) {
      for (int l = 0; l < B; ++l) acc[l] = kMax ? -std::numeric_limits<float>::infinity() : 0.f;
      std::memcpy(y + o * B, &acc, sizeof acc);
      continue;
    }
    const float* x0 = r.x + (o * r.col_stride - r.col_pad + ct.first * r.col_dilation) * B;
    const int64_t taps = ct.last - ct.first, step = r.col_dilation * B;
    std::memcpy(&acc, x0, sizeof acc);
    for (int64_t i = 0; i < r.rows; ++i) {
      const float* xr = x0 + i * r.row_step;
      for (int64_t j = i == 0 ? 1 : 0; j < taps; ++j) {
        V v;
        std::memcpy(&v, xr + j * step, sizeof v);
        if constexpr (kMax) {
          acc = v > acc ? v : acc;
        } else {
          acc += v;
        }
      }
    }
    if constexpr (!kMax) {
      const int64_t count = r.include_pad ? r.row_padded_count * ct.padded_count : r.rows * taps;
      acc *= 1.f / static_cast<float>(count);
    }
    std::memcpy(y + o * B, &acc, sizeof acc);
  }
}

template <int B>
inline void PoolRowAny(const RowTaps& r, float* y) {
  if (r.max) {
    PoolRowImpl<B, true>(r, y);
  } else {
    PoolRowImpl<B, false>(r, y);
  }
}

SL_CPU_CLONES void PoolRow16(const RowTaps& r, float* y) { PoolRowAny<16>(r, y); }
SL_CPU_CLONES void PoolRow8(const RowTaps& r, float* y) { PoolRowAny<8>(r, y); }

class BlockedPoolKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req);
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

 private:
  // One output position of block `cb` of image `n` into acc[0..block_).
  void Window(const float* x, int64_t oh, int64_t ow, float* acc) const;
  void Store(const float* acc, float* y, int64_t n, int64_t cb, int64_t pos) const;
  // Every output row of block `cb` of image `n` through PoolRow8/16 (windowed pools, B 8 or 16);
  // `row` holds one row of B-wide outputs when the output is plain NCHW.
  void Rows(const float* xb, float* y, int64_t n, int64_t cb, float* row) const;

  bool max_ = true, global_ = false, include_pad_ = false, out_blocked_ = false;
  int block_ = 0;
  int64_t n_ = 0, c_ = 0, blocks_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
  WindowDim dh_, dw_;
  std::vector<TapRange> rows_, cols_;
};

Status BlockedPoolKernel::Prepare(const KernelRequest& req) {
  const OpType op = req.node.op;
  const bool global = op == OpType::kGlobalAveragePool || op == OpType::kGlobalMaxPool;
  max_ = op == OpType::kMaxPool || op == OpType::kGlobalMaxPool;
  global_ = global;
  if (!global && op != OpType::kMaxPool && op != OpType::kAveragePool)
    return Unsupported(Describe(req) + ": not a pool");
  if (req.node.inputs.size() != 1 || !req.has_input(0) ||
      (req.node.outputs.size() > 1 && req.node.outputs[1] != kNoValue)) {
    return Unsupported(Describe(req) + ": blocked pool needs one input and no Indices");
  }
  SL_RETURN_IF_ERROR(RequireFloat(req, {0}));
  SL_RETURN_IF_ERROR(Bind(req, max_ ? "maxpool-blocked" : "avgpool-blocked"));
  const Shape& xs = req.input(0).shape;
  const Shape& ys = req.output(0).shape;
  block_ = req.channel_block;
  if (!req.input_blocked(0) || block_ <= 0 || block_ > kMaxBlock || xs.size() != 4 ||
      ys.size() != 4 || ys[0] != xs[0] || ys[1] != xs[1]) {
    return Unsupported(where_ + ": blocked pool needs a blocked 4-D input of the output's N, C");
  }
  out_blocked_ = req.output_blocked(0);
  n_ = xs[0];
  c_ = xs[1];
  blocks_ = (c_ + block_ - 1) / block_;
  h_ = xs[2];
  w_ = xs[3];
  oh_ = ys[2];
  ow_ = ys[3];
  if (global) {
    dh_ = WindowDim{h_, h_, 1, 1, 0, 0, 1};
    dw_ = WindowDim{w_, w_, 1, 1, 0, 0, 1};
    if (oh_ != 1 || ow_ != 1) return InvalidArgument(where_ + ": output shape is wrong");
  } else {
    Result<WindowGeometry> g =
        ComputeWindowGeometry(req.node.attrs, std::span<const int64_t>(xs).subspan(2), {}, true);
    if (!g.ok()) return g.status().WithContext(where_);
    if (g->rank != 2 || (*g)[0].out != oh_ || (*g)[1].out != ow_)
      return InvalidArgument(where_ + ": output shape " + ShapeToString(ys) + " is wrong");
    dh_ = (*g)[0];
    dw_ = (*g)[1];
    include_pad_ = AttrInt(req.node.attrs, "count_include_pad", 0) != 0;
  }
  rows_ = TapRanges(dh_);
  cols_ = TapRanges(dw_);
  return Status::Ok();
}

void BlockedPoolKernel::Window(const float* x, int64_t oh, int64_t ow, float* acc) const {
  const int b = block_;
  const TapRange& rt = rows_[oh];
  const TapRange& ct = cols_[ow];
  const int64_t h0 = oh * dh_.stride - dh_.pad_begin, w0 = ow * dw_.stride - dw_.pad_begin;
  bool first = true;
  for (int l = 0; l < b; ++l) acc[l] = max_ ? -std::numeric_limits<float>::infinity() : 0.f;
  for (int64_t i = rt.first; i < rt.last; ++i) {
    const float* xr = x + (h0 + i * dh_.dilation) * w_ * b;
    for (int64_t j = ct.first; j < ct.last; ++j) {
      const float* v = xr + (w0 + j * dw_.dilation) * b;
      if (max_) {
        for (int l = 0; l < b; ++l) acc[l] = ((first && !global_) || v[l] > acc[l]) ? v[l] : acc[l];
      } else {
        for (int l = 0; l < b; ++l) acc[l] += v[l];
      }
      first = false;
    }
  }
  if (!max_) {
    const int64_t count = include_pad_ ? rt.padded_count * ct.padded_count
                                       : (rt.last - rt.first) * (ct.last - ct.first);
    const float inv = count > 0 ? 1.f / static_cast<float>(count) : 0.f;
    for (int l = 0; l < b; ++l) acc[l] = count > 0 ? acc[l] * inv : 0.f;
  }
}

void BlockedPoolKernel::Store(const float* acc, float* y, int64_t n, int64_t cb,
                              int64_t pos) const {
  const int64_t plane = oh_ * ow_;
  const int64_t c0 = cb * block_;
  const int valid = static_cast<int>(std::min<int64_t>(block_, c_ - c0));
  if (out_blocked_) {
    float* yb = y + ((n * blocks_ + cb) * plane + pos) * block_;
    for (int l = 0; l < block_; ++l) yb[l] = l < valid ? acc[l] : 0.f;
  } else {
    for (int l = 0; l < valid; ++l) y[(n * c_ + c0 + l) * plane + pos] = acc[l];
  }
}

void BlockedPoolKernel::Rows(const float* xb, float* y, int64_t n, int64_t cb,
                             float* row) const {
  const int64_t plane = oh_ * ow_;
  const int valid = static_cast<int>(std::min<int64_t>(block_, c_ - cb * block_));
  for (int64_t oh = 0; oh < oh_; ++oh) {
    const TapRange& rt = rows_[oh];
    const int64_t h0 =
        rt.last > rt.first ? oh * dh_.stride - dh_.pad_begin + rt.first * dh_.dilation : 0;
    const RowTaps r{xb + h0 * w_ * block_,
                    dh_.dilation * w_ * block_,
                    std::max<int64_t>(0, rt.last - rt.first),
                    cols_.data(),
                    ow_,
                    dw_.stride,
                    dw_.pad_begin,
                    dw_.dilation,
                    rt.padded_count,
                    max_,
                    include_pad_};
    float* out = out_blocked_ ? y + ((n * blocks_ + cb) * plane + oh * ow_) * block_ : row;
    if (block_ == 16) {
      PoolRow16(r, out);
    } else {
      PoolRow8(r, out);
    }
    if (out_blocked_) {  // the padded channels are zero whatever the input's padding holds
      if (valid < block_)
        for (int64_t o = 0; o < ow_; ++o)
          std::fill(out + o * block_ + valid, out + (o + 1) * block_, 0.f);
      continue;
    }
    for (int l = 0; l < valid; ++l) {  // plain NCHW: [OW, B] transposed into B channel rows
      float* yc = y + (n * c_ + cb * block_ + l) * plane + oh * ow_;
      for (int64_t o = 0; o < ow_; ++o) yc[o] = row[o * block_ + l];
    }
  }
}

Status BlockedPoolKernel::Execute(std::span<const TensorView> inputs,
                                  std::span<const TensorView> outputs,
                                  const ExecContext& ctx) const {
  SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
  const float* x = inputs[0].data_as<const float>();
  float* y = outputs[0].data_as<float>();
  const int64_t units = n_ * blocks_;  // (image, channel block) pairs
  const int64_t work = units * oh_ * ow_ * dh_.kernel * dw_.kernel * block_;
  const bool rows_fast = !global_ && (block_ == 8 || block_ == 16);
  ParallelFor(units, work, ctx.num_threads, [&](int64_t begin, int64_t end) {
    float acc[kMaxBlock];
    std::vector<float> row(rows_fast && !out_blocked_ ? static_cast<size_t>(ow_ * block_) : 0);
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / blocks_, cb = u % blocks_;
      const float* xb = x + u * h_ * w_ * block_;
      if (rows_fast) {
        Rows(xb, y, n, cb, row.data());
        continue;
      }
      for (int64_t oh = 0; oh < oh_; ++oh) {
        for (int64_t ow = 0; ow < ow_; ++ow) {
          Window(xb, oh, ow, acc);
          Store(acc, y, n, cb, oh * ow_ + ow);
        }
      }
    }
  });
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateBlockedPoolKernel(const KernelRequest& req) {
  auto k = std::make_unique<BlockedPoolKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

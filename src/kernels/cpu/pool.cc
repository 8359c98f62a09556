// Float32 2-D MaxPool / AveragePool (NCHW) and GlobalAveragePool / GlobalMaxPool.
//
// Prepare takes the window geometry from graph/infer_st_window.h (pads, auto_pad, strides,
// dilations, ceil_mode), so the kernel agrees with shape inference, and precomputes per output
// row and per output column the range of kernel taps that fall inside the input (and, for
// count_include_pad, inside the padded input). Execute, per plane and output row:
//   1. columns whose taps are all inside the input (the interior) run tap by tap over the whole
//      interior span without bounds checks (vectorisable for stride 1);
//   2. the few edge columns use their precomputed tap ranges.
// Taps are visited in the reference order (kernel row, then column), so MaxPool returns exactly
// what the reference does, NaN included; AveragePool sums in float (the reference in double).
// MaxPool with the Indices output, and 1-D / 3-D pools, are left to the reference kernel.
#include <limits>
#include <vector>

#include "graph/infer_st_window.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/pool_taps.h"
#include "kernels/cpu/vec_math.h"

namespace sl::cpu {
namespace {

class PoolKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req);
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

 private:
  template <bool kMax>
  void Plane(const float* x, float* y) const;

  bool max_ = true, include_pad_ = false;
  int64_t planes_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
  WindowDim dh_, dw_;
  std::vector<TapRange> rows_, cols_;
  int64_t interior_begin_ = 0, interior_end_ = 0;  // columns with every tap inside the input
};

Status PoolKernel::Prepare(const KernelRequest& req) {
  max_ = req.node.op == OpType::kMaxPool;
  if (req.node.inputs.size() != 1 || !req.has_input(0))
    return Unsupported(Describe(req) + ": cpu pool kernel needs exactly one input");
  if (req.node.outputs.size() > 1 && req.node.outputs[1] != kNoValue)
    return Unsupported(Describe(req) + ": cpu pool kernel does not produce Indices");
  SL_RETURN_IF_ERROR(RequireFloat(req, {0}));
  SL_RETURN_IF_ERROR(Bind(req, max_ ? "maxpool" : "avgpool"));
  const Shape& xs = req.input(0).shape;
  const Shape& ys = req.output(0).shape;
  if (xs.size() != 4 || ys.size() != 4)
    return Unsupported(where_ + ": cpu pool kernel handles 2-D (NCHW) pools only");
  if (ys[0] != xs[0] || ys[1] != xs[1])
    return InvalidArgument(where_ + ": X and Y differ in N or C");
  Result<WindowGeometry> g =
      ComputeWindowGeometry(req.node.attrs, std::span<const int64_t>(xs).subspan(2), {}, true);
  if (!g.ok()) return g.status().WithContext(where_);
  if (g->rank != 2 || (*g)[0].out != ys[2] || (*g)[1].out != ys[3])
    return InvalidArgument(where_ + ": output shape " + ShapeToString(ys) + " is wrong");
  include_pad_ = AttrInt(req.node.attrs, "count_include_pad", 0) != 0;
  planes_ = xs[0] * xs[1];
  h_ = xs[2];
  w_ = xs[3];
  oh_ = ys[2];
  ow_ = ys[3];
  dh_ = (*g)[0];
  dw_ = (*g)[1];
  rows_ = TapRanges(dh_);
  cols_ = TapRanges(dw_);
  // Interior: a contiguous span of columns whose taps are all inside (empty when none).
  interior_begin_ = interior_end_ = 0;
  for (int64_t o = 0; o < ow_; ++o) {
    const bool full = cols_[o].first == 0 && cols_[o].last == dw_.kernel;
    if (full && interior_end_ == interior_begin_) interior_begin_ = interior_end_ = o;
    if (full && interior_end_ == o) interior_end_ = o + 1;
  }
  return Status::Ok();
}

template <bool kMax>
void PoolKernel::Plane(const float* x, float* y) const {
  constexpr float kLowest = -std::numeric_limits<float>::infinity();
  const int64_t sw = dw_.stride, dil_w = dw_.dilation, kw = dw_.kernel;
  for (int64_t oh = 0; oh < oh_; ++oh) {
    const TapRange& rt = rows_[oh];
    const int64_t h0 = oh * dh_.stride - dh_.pad_begin;
    float* yr = y + oh * ow_;
    // Edge columns, with their own tap ranges.
    for (int64_t ow = 0; ow < ow_; ++ow) {
      if (ow == interior_begin_ && interior_end_ > interior_begin_) ow = interior_end_;
      if (ow >= ow_) break;
      const TapRange& ct = cols_[ow];
      const int64_t w0 = ow * sw - dw_.pad_begin;
      float acc = kMax ? kLowest : 0.f;
      bool first = true;
      for (int64_t i = rt.first; i < rt.last; ++i) {
        const float* xr = x + (h0 + i * dh_.dilation) * w_;
        for (int64_t j = ct.first; j < ct.last; ++j) {
          const float v = xr[w0 + j * dil_w];
          if constexpr (kMax) {
            acc = (first || v > acc) ? v : acc;
            first = false;
          } else {
            acc += v;
          }
        }
      }
      if constexpr (!kMax) {
        const int64_t count = include_pad_ ? rt.padded_count * ct.padded_count
                                           : (rt.last - rt.first) * (ct.last - ct.first);
        acc = count > 0 ? acc / static_cast<float>(count) : 0.f;
      }
      yr[ow] = acc;
    }
    // Interior columns: tap by tap over the whole span.
    const int64_t n = interior_end_ - interior_begin_;
    if (n <= 0) continue;
    float* yi = yr + interior_begin_;
    const int64_t w_first = interior_begin_ * sw - dw_.pad_begin;
    if (rt.last <= rt.first) {
      for (int64_t o = 0; o < n; ++o) yi[o] = kMax ? kLowest : 0.f;
      continue;
    }
    bool first = true;
    for (int64_t i = rt.first; i < rt.last; ++i) {
      const float* xr = x + (h0 + i * dh_.dilation) * w_ + w_first;
      for (int64_t j = 0; j < kw; ++j) {
        const float* xt = xr + j * dil_w;
        if (first) {
          for (int64_t o = 0; o < n; ++o) yi[o] = xt[o * sw];
          first = false;
        } else if constexpr (kMax) {
          for (int64_t o = 0; o < n; ++o) yi[o] = xt[o * sw] > yi[o] ? xt[o * sw] : yi[o];
        } else {
          for (int64_t o = 0; o < n; ++o) yi[o] += xt[o * sw];
        }
      }
    }
    if constexpr (!kMax) {
      const float count =
          static_cast<float>(include_pad_ ? rt.padded_count * kw : (rt.last - rt.first) * kw);
      for (int64_t o = 0; o < n; ++o) yi[o] /= count;
    }
  }
}

Status PoolKernel::Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                           const ExecContext& ctx) const {
  SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
  const float* x = inputs[0].data_as<const float>();
  float* y = outputs[0].data_as<float>();
  const int64_t in_plane = h_ * w_, out_plane = oh_ * ow_;
  const int64_t work = planes_ * std::max(out_plane * dh_.kernel * dw_.kernel, in_plane);
  ParallelFor(planes_, work, ctx.num_threads, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      if (max_) {
        Plane<true>(x + p * in_plane, y + p * out_plane);
      } else {
        Plane<false>(x + p * in_plane, y + p * out_plane);
      }
    }
  });
  return Status::Ok();
}

// GlobalAveragePool / GlobalMaxPool over every spatial dim of [N, C, ...].
class GlobalPoolKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req) {
    max_ = req.node.op == OpType::kGlobalMaxPool;
    if (req.node.inputs.size() != 1 || !req.has_input(0))
      return Unsupported(Describe(req) + ": cpu global pool needs exactly one input");
    SL_RETURN_IF_ERROR(RequireFloat(req, {0}));
    SL_RETURN_IF_ERROR(Bind(req, max_ ? "globalmaxpool" : "globalavgpool"));
    const Shape& xs = req.input(0).shape;
    if (xs.size() < 3) return Unsupported(where_ + ": cpu global pool needs rank >= 3");
    planes_ = xs[0] * xs[1];
    size_ = Product(std::span<const int64_t>(xs).subspan(2));
    if (out_numel_[0] != planes_) return InvalidArgument(where_ + ": output shape is wrong");
    return Status::Ok();
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const int64_t size = size_;
    const bool max = max_;
    ParallelFor(planes_, planes_ * size_, ctx.num_threads, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float* xp = x + p * size;
        y[p] = max ? PlaneMax(xp, size) : PlaneSum(xp, size) / static_cast<float>(size);
      }
    });
    return Status::Ok();
  }

 private:
  static float PlaneSum(const float* x, int64_t n) {
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  // NaN is skipped (never greater), as in the reference; an empty plane gives -inf.
  static float PlaneMax(const float* x, int64_t n) {
    constexpr int kLanes = 8;
    float lanes[kLanes];
    for (float& l : lanes) l = -std::numeric_limits<float>::infinity();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes[l] = x[i + l] > lanes[l] ? x[i + l] : lanes[l];
    for (; i < n; ++i) lanes[0] = x[i] > lanes[0] ? x[i] : lanes[0];
    float m = lanes[0];
    for (int l = 1; l < kLanes; ++l) m = lanes[l] > m ? lanes[l] : m;
    return m;
  }

  bool max_ = false;
  int64_t planes_ = 0, size_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> CreatePoolKernel(const KernelRequest& req) {
  if (req.node.op == OpType::kGlobalAveragePool || req.node.op == OpType::kGlobalMaxPool) {
    auto k = std::make_unique<GlobalPoolKernel>();
    SL_RETURN_IF_ERROR(k->Prepare(req));
    return std::unique_ptr<Kernel>(std::move(k));
  }
  if (req.node.op != OpType::kMaxPool && req.node.op != OpType::kAveragePool)
    return Unsupported(Describe(req) + ": not a pool");
  auto k = std::make_unique<PoolKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

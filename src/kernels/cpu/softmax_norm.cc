// Float32 Softmax (any axis; the legacy flattening form too) and LayerNormalization over the
// trailing dims, with Scale / B holding one value per normalized element.
//
// Softmax along the last axis works row by row: max, then exp(x - max) written to y while summing,
// then y *= 1 / sum. Along another axis (inner stride > 1) it walks blocks of up to kBlock
// neighbouring columns at once so every load is contiguous; the per-column max and sum live on the
// stack. LayerNormalization computes the mean and the variance (two passes, sums in double like
// the reference) and writes (x - mean) * inv_std * scale + bias. Rows are split over threads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/infer_st_window.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/norm_avx512.h"
#include "kernels/cpu/vec_math.h"
#include "kernels/dense/cpu_features.h"
#include "kernels/ref/ref_util.h"

namespace sl::cpu {
// Cloned loops with external linkage (GCC's target_clones dispatch needs it).
namespace norm_loops {

constexpr int64_t kBlock = 64;

// Rows of at most kShortRow entries run in passes of a fixed kShortRow lanes, the lanes past n
// masked (read as -inf, never written): the loops then unroll into whole vectors with no prologue
// or epilogue, which on attention rows (49 tokens) cost more than the exps themselves.
constexpr int64_t kShortRow = 64;

SL_CPU_CLONES void SoftmaxShortRows(const float* x, float* y, int64_t rows, int64_t n) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  // The row is copied into `in` padded with -inf, so that every loop below runs whole vectors
  // without a condition per lane (AVX2 has no masked arithmetic to if-convert one into).
  alignas(64) float in[kShortRow], buf[kShortRow];
  std::fill(in + n, in + kShortRow, kNegInf);
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    std::copy(x, x + n, in);
    float m = kNegInf;
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < kShortRow; ++i) m = in[i] > m ? in[i] : m;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < kShortRow; ++i) {
      const float e = Exp(in[i] - m);  // 0 for the padding
      buf[i] = e;
      sum += e;
    }
    const float inv = 1.f / sum;
#pragma omp simd
    for (int64_t i = 0; i < kShortRow; ++i) buf[i] *= inv;
    std::copy(buf, buf + n, y);
  }
}

SL_CPU_CLONES void SoftmaxRow(const float* x, float* y, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  constexpr int kLanes = 16;
  float lanes[kLanes];
  for (float& l : lanes) l = m;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] = x[i + l] > lanes[l] ? x[i + l] : lanes[l];
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  for (float l : lanes) m = l > m ? l : m;
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) {
    const float e = Exp(x[j] - m);
    y[j] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = 0; j < n; ++j) y[j] *= inv;
}

// Softmax over n entries `inner` apart, for `width` <= kBlock neighbouring columns.
SL_CPU_CLONES void SoftmaxColumns(const float* x, float* y, int64_t n, int64_t inner,
                                  int64_t width) {
  float m[kBlock];
  float s[kBlock];
  for (int64_t c = 0; c < width; ++c) {
    m[c] = -std::numeric_limits<float>::infinity();
    s[c] = 0.f;
  }
  for (int64_t k = 0; k < n; ++k) {
    const float* xr = x + k * inner;
    for (int64_t c = 0; c < width; ++c) m[c] = xr[c] > m[c] ? xr[c] : m[c];
  }
  for (int64_t k = 0; k < n; ++k) {
    const float* xr = x + k * inner;
    float* yr = y + k * inner;
    for (int64_t c = 0; c < width; ++c) {
      yr[c] = Exp(xr[c] - m[c]);
      s[c] += yr[c];
    }
  }
  for (int64_t c = 0; c < width; ++c) s[c] = 1.f / s[c];
  for (int64_t k = 0; k < n; ++k) {
    float* yr = y + k * inner;
    for (int64_t c = 0; c < width; ++c) yr[c] *= s[c];
  }
}

// One LayerNormalization row; `bias` may be null. Returns mean and inv_std through the pointers.
SL_CPU_CLONES void LayerNormRow(const float* x, float* y, int64_t n, const float* scale,
                                const float* bias, float epsilon, float* mean_out, float* inv_out) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) sum += x[j];
  const double mean = sum / static_cast<double>(n);
  const float meanf = static_cast<float>(mean);
  double sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t j = 0; j < n; ++j) {
    const double d = x[j] - mean;
    sq += d * d;
  }
  const double inv = 1.0 / std::sqrt(sq / static_cast<double>(n) + epsilon);
  const float invf = static_cast<float>(inv);
  if (bias != nullptr) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - meanf) * invf * scale[j] + bias[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - meanf) * invf * scale[j];
  }
  *mean_out = meanf;
  *inv_out = invf;
}

}  // namespace norm_loops

namespace {

using namespace norm_loops;

class SoftmaxKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req) {
    if (req.node.inputs.size() != 1 || !req.has_input(0) || req.node.outputs.size() != 1)
      return Unsupported(Describe(req) + ": cpu softmax needs one input and one output");
    SL_RETURN_IF_ERROR(RequireFloat(req, {0}));
    SL_RETURN_IF_ERROR(Bind(req, "softmax"));
    const Shape& xs = req.input(0).shape;
    if (out_numel_[0] != in_numel_[0]) return InvalidArgument(where_ + ": output size differs");
    const bool legacy = AttrInt(req.node.attrs, "_legacy_flatten", 0) != 0;
    const int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = AttrInt(req.node.attrs, "axis", legacy ? 1 : -1);
    if (axis < -rank || axis >= rank)
      return InvalidArgument(where_ + ": axis " + std::to_string(axis) + " out of range");
    if (axis < 0) axis += rank;
    const std::span<const int64_t> dims(xs);
    outer_ = Product(dims.first(axis));
    n_ = legacy ? Product(dims.subspan(axis)) : xs[axis];
    inner_ = legacy ? 1 : Product(dims.subspan(axis + 1));
    avx512_ = dense::ActiveSimdLevel() == dense::SimdLevel::kAvx512 && n_ <= kAvx512SoftmaxMaxRow &&
              inner_ == 1;
    return Status::Ok();
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const int64_t n = n_, inner = inner_, total = outer_ * n_ * inner_;
    if (total == 0) return Status::Ok();
    ForAlongMiddleAxis(
        outer_, n, inner, kBlock, ctx.num_threads,
        [&](int64_t begin, int64_t end) {
          if (avx512_)
            SoftmaxShortRowsAvx512(x + begin * n, y + begin * n, end - begin, n);
          else if (n <= kShortRow)
            SoftmaxShortRows(x + begin * n, y + begin * n, end - begin, n);
          else
            for (int64_t r = begin; r < end; ++r) SoftmaxRow(x + r * n, y + r * n, n);
        },
        [&](int64_t o, int64_t c0, int64_t width) {
          const int64_t off = o * n * inner + c0;
          SoftmaxColumns(x + off, y + off, n, inner, width);
        });
    return Status::Ok();
  }

 private:
  int64_t outer_ = 0, n_ = 0, inner_ = 1;
  bool avx512_ = false;  // rows of at most 64 along the last axis, on an AVX-512 CPU
};

class LayerNormKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req) {
    if (req.node.inputs.size() < 2 || !req.has_input(0) || !req.has_input(1))
      return Unsupported(Describe(req) + ": cpu layernorm needs X and Scale");
    SL_RETURN_IF_ERROR(RequireFloat(req, {0, 1, 2}));
    SL_RETURN_IF_ERROR(Bind(req, "layernorm"));
    const Shape& xs = req.input(0).shape;
    const int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = AttrInt(req.node.attrs, "axis", -1);
    if (axis < -rank || axis >= rank)
      return InvalidArgument(where_ + ": axis " + std::to_string(axis) + " out of range");
    if (axis < 0) axis += rank;
    const std::span<const int64_t> norm_shape = std::span<const int64_t>(xs).subspan(axis);
    rows_ = Product(std::span<const int64_t>(xs).first(axis));
    n_ = Product(norm_shape);
    if (out_numel_[0] != in_numel_[0]) return InvalidArgument(where_ + ": output size differs");
    has_bias_ = req.has_input(2);
    for (int i = 1; i < (has_bias_ ? 3 : 2); ++i) {
      const Shape& s = req.input(i).shape;
      if (!ref::BroadcastsTo(s, norm_shape) || NumElements(s) != n_) {
        return Unsupported(where_ + ": cpu layernorm needs input " + std::to_string(i) +
                           " with one value per normalized element, got " + ShapeToString(s));
      }
    }
    for (size_t o = 1; o < out_numel_.size(); ++o) {
      if (out_numel_[o] >= 0 && out_numel_[o] != rows_)
        return InvalidArgument(where_ + ": statistics output " + std::to_string(o) + " size");
    }
    epsilon_ = AttrFloat(req.node.attrs, "epsilon", 1e-5f);
    avx512_ = dense::ActiveSimdLevel() == dense::SimdLevel::kAvx512;
    return Status::Ok();
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
    const float* x = inputs[0].data_as<const float>();
    const float* scale = inputs[1].data_as<const float>();
    const float* bias = has_bias_ ? inputs[2].data_as<const float>() : nullptr;
    float* y = outputs[0].data_as<float>();
    float* mean = outputs.size() > 1 ? outputs[1].data_as<float>() : nullptr;
    float* inv = outputs.size() > 2 ? outputs[2].data_as<float>() : nullptr;
    const int64_t n = n_;
    const float eps = epsilon_;
    if (n == 0) return Status::Ok();
    ParallelFor(rows_, rows_ * n, ctx.num_threads, [&](int64_t begin, int64_t end) {
      if (avx512_) {
        LayerNormRowsAvx512(x + begin * n, y + begin * n, end - begin, n, scale, bias, eps,
                            mean != nullptr ? mean + begin : nullptr,
                            inv != nullptr ? inv + begin : nullptr);
        return;
      }
      for (int64_t r = begin; r < end; ++r) {
        float m, s;
        LayerNormRow(x + r * n, y + r * n, n, scale, bias, eps, &m, &s);
        if (mean != nullptr) mean[r] = m;
        if (inv != nullptr) inv[r] = s;
      }
    });
    return Status::Ok();
  }

 private:
  int64_t rows_ = 0, n_ = 0;
  bool has_bias_ = false;
  float epsilon_ = 1e-5f;
  bool avx512_ = false;  // LayerNormRowsAvx512 (norm_avx512.h)
};

}  // namespace

Result<std::unique_ptr<Kernel>> CreateSoftmaxKernel(const KernelRequest& req) {
  auto k = std::make_unique<SoftmaxKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> CreateLayerNormKernel(const KernelRequest& req) {
  auto k = std::make_unique<LayerNormKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

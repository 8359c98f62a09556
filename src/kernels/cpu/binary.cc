// Broadcasting float32 Add / Sub / Mul / Div with an optional fused activation ("_act", see
// kernels/ref/activation_util.h).
//
// Prepare:
//   1. Right-align both input shapes with the output shape; drop output dims of size 1.
//   2. Mark each remaining dim, per input, as present (input dim == output dim) or broadcast.
//   3. Merge neighbouring dims with the same marks: same shapes collapse to one dim, a per-channel
//      [N,C,H,W] + [1,C,1,1] to [N, C, H*W], a last-dim [B,S,D] + [D] to [B*S, D].
//   4. The last merged dim is the inner loop: vector-vector, vector-scalar or scalar-vector; the
//      others are "rows" whose input offsets come from precomputed strides.
// Execute splits rows (and long rows into chunks) over threads; the inner loops are compiled per
// SIMD level (SL_CPU_CLONES).
#include <limits>
#include <vector>

#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vec_math.h"
#include "kernels/ref/activation_util.h"
#include "kernels/ref/ref_util.h"

namespace sl::cpu {
// The cloned loops and their functors have external linkage: GCC's target_clones dispatch
// misbehaves on internal-linkage functions.
namespace binary_loops {

struct AddOp {
  static float Apply(float a, float b) { return a + b; }
};
struct SubOp {
  static float Apply(float a, float b) { return a - b; }
};
struct MulOp {
  static float Apply(float a, float b) { return a * b; }
};
struct DivOp {
  static float Apply(float a, float b) { return a / b; }
};

using InnerFn = void (*)(const float* a, const float* b, float* y, int64_t n, float lo, float hi);

template <bool kClamp>
inline float Clamp(float v, float lo, float hi) {
  if constexpr (kClamp) return std::min(std::max(v, lo), hi);
  return v;
}

template <typename Op, bool kClamp>
SL_CPU_CLONES void InnerVV(const float* a, const float* b, float* y, int64_t n, float lo,
                           float hi) {
  for (int64_t i = 0; i < n; ++i) y[i] = Clamp<kClamp>(Op::Apply(a[i], b[i]), lo, hi);
}
template <typename Op, bool kClamp>
SL_CPU_CLONES void InnerVS(const float* a, const float* b, float* y, int64_t n, float lo,
                           float hi) {
  const float s = b[0];
  for (int64_t i = 0; i < n; ++i) y[i] = Clamp<kClamp>(Op::Apply(a[i], s), lo, hi);
}
template <typename Op, bool kClamp>
SL_CPU_CLONES void InnerSV(const float* a, const float* b, float* y, int64_t n, float lo,
                           float hi) {
  const float s = a[0];
  for (int64_t i = 0; i < n; ++i) y[i] = Clamp<kClamp>(Op::Apply(s, b[i]), lo, hi);
}

}  // namespace binary_loops

namespace {

using namespace binary_loops;
constexpr int64_t kChunk = 16384;  // elements per work item of a long inner row

enum class Pattern { kVV, kVS, kSV };

template <typename Op, bool kClamp>
InnerFn PickInner(Pattern p) {
  switch (p) {
    case Pattern::kVV:
      return &InnerVV<Op, kClamp>;
    case Pattern::kVS:
      return &InnerVS<Op, kClamp>;
    case Pattern::kSV:
      return &InnerSV<Op, kClamp>;
  }
  return nullptr;
}

template <typename Op>
InnerFn PickInner(Pattern p, bool clamp) {
  return clamp ? PickInner<Op, true>(p) : PickInner<Op, false>(p);
}

struct RowDim {
  int64_t size;
  int64_t stride_a;  // 0 where a is broadcast
  int64_t stride_b;
};

class BinaryKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req);
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

 private:
  Status PickOp(OpType op, Pattern p, bool clamp);

  InnerFn inner_ = nullptr;
  std::vector<RowDim> rows_dims_;  // outer (row) dims, outermost first
  int64_t rows_ = 1, inner_n_ = 1, total_ = 0;
  int64_t inner_stride_a_ = 1, inner_stride_b_ = 1;
  float lo_ = -std::numeric_limits<float>::infinity();
  float hi_ = std::numeric_limits<float>::infinity();
};

Status BinaryKernel::Prepare(const KernelRequest& req) {
  if (req.node.inputs.size() != 2 || req.node.outputs.size() != 1 || !req.has_input(0) ||
      !req.has_input(1)) {
    return Unsupported(Describe(req) + ": cpu binary kernel needs 2 inputs and 1 output");
  }
  SL_RETURN_IF_ERROR(RequireFloat(req, {0, 1}));
  SL_RETURN_IF_ERROR(Bind(req, "binary"));
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(req.node));
  const bool clamp = act.kind != FusedActivation::Kind::kNone;
  if (act.kind == FusedActivation::Kind::kRelu) lo_ = 0.f;
  if (act.kind == FusedActivation::Kind::kClip) {
    lo_ = act.min;
    hi_ = act.max;
  }
  const Shape& ys = req.output(0).shape;
  const Shape& as = req.input(0).shape;
  const Shape& bs = req.input(1).shape;
  if (!ref::BroadcastsTo(as, ys) || !ref::BroadcastsTo(bs, ys)) {
    return InvalidArgument(where_ + ": inputs " + ShapeToString(as) + " and " + ShapeToString(bs) +
                           " do not broadcast to " + ShapeToString(ys));
  }
  total_ = NumElements(ys);
  if (req.any_blocked()) {
    // Channel-blocked operands (KernelRequest::channel_block): the same layout on all three, so
    // the op runs over the padded buffers as one flat vector; zero padding stays zero (the layout
    // pass only blocks ops and activations that keep 0 at 0).
    if (req.blocked_inputs != 3u || req.blocked_outputs != 1u || as != ys || bs != ys ||
        ys.size() != 4 || req.channel_block <= 0) {
      return Unsupported(where_ + ": blocked layout needs all operands blocked and one shape");
    }
    total_ = ys[0] * ((ys[1] + req.channel_block - 1) / req.channel_block * req.channel_block) *
             ys[2] * ys[3];
    inner_n_ = total_;
    rows_ = total_ == 0 ? 0 : 1;
    name_ += "-blocked";
    rows_dims_.clear();
    return PickOp(req.node.op, Pattern::kVV, clamp);
  }
  // Steps 1-3: merged dims with their present/broadcast marks.
  struct Merged {
    int64_t size;
    bool in_a, in_b;
  };
  std::vector<Merged> dims;
  const size_t rank = ys.size();
  for (size_t d = 0; d < rank; ++d) {
    if (ys[d] == 1) continue;
    const size_t da = d + as.size() - rank, db = d + bs.size() - rank;  // may wrap: checked
    const bool in_a = d + as.size() >= rank && as[da] != 1;
    const bool in_b = d + bs.size() >= rank && bs[db] != 1;
    if (!in_a && !in_b) {
      return InvalidArgument(where_ + ": output dim " + std::to_string(d) + " of " +
                             ShapeToString(ys) + " comes from neither input");
    }
    if (!dims.empty() && dims.back().in_a == in_a && dims.back().in_b == in_b) {
      dims.back().size *= ys[d];
    } else {
      dims.push_back({ys[d], in_a, in_b});
    }
  }
  if (dims.empty()) dims.push_back({1, true, true});  // every tensor holds one element
  // Step 4: strides (innermost first), the inner pattern and the row dims.
  std::vector<RowDim> all(dims.size());
  int64_t run_a = 1, run_b = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    all[i] = {dims[i].size, dims[i].in_a ? run_a : 0, dims[i].in_b ? run_b : 0};
    if (dims[i].in_a) run_a *= dims[i].size;
    if (dims[i].in_b) run_b *= dims[i].size;
  }
  const Merged& inner = dims.back();
  inner_n_ = inner.size;
  inner_stride_a_ = inner.in_a ? 1 : 0;
  inner_stride_b_ = inner.in_b ? 1 : 0;
  const Pattern p = inner.in_a && inner.in_b ? Pattern::kVV
                    : inner.in_a             ? Pattern::kVS
                                             : Pattern::kSV;
  rows_dims_.assign(all.begin(), all.end() - 1);
  rows_ = inner_n_ == 0 ? 0 : total_ / inner_n_;
  return PickOp(req.node.op, p, clamp);
}

Status BinaryKernel::PickOp(OpType op, Pattern p, bool clamp) {
  switch (op) {
    case OpType::kAdd:
      inner_ = PickInner<AddOp>(p, clamp);
      break;
    case OpType::kSub:
      inner_ = PickInner<SubOp>(p, clamp);
      break;
    case OpType::kMul:
      inner_ = PickInner<MulOp>(p, clamp);
      break;
    case OpType::kDiv:
      inner_ = PickInner<DivOp>(p, clamp);
      break;
    default:
      return Unsupported(where_ + ": not a binary arithmetic op");
  }
  return Status::Ok();
}

Status BinaryKernel::Execute(std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs, const ExecContext& ctx) const {
  SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
  if (total_ == 0) return Status::Ok();
  const float* a = inputs[0].data_as<const float>();
  const float* b = inputs[1].data_as<const float>();
  float* y = outputs[0].data_as<float>();
  const int64_t per_row = (inner_n_ + kChunk - 1) / kChunk;
  const int64_t items = rows_ * per_row;
  ParallelFor(items, total_, ctx.num_threads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t row = item / per_row;
      const int64_t first = (item % per_row) * kChunk;
      const int64_t n = std::min(kChunk, inner_n_ - first);
      int64_t off_a = 0, off_b = 0, rest = row;
      for (size_t d = rows_dims_.size(); d-- > 0;) {
        const int64_t c = rest % rows_dims_[d].size;
        rest /= rows_dims_[d].size;
        off_a += c * rows_dims_[d].stride_a;
        off_b += c * rows_dims_[d].stride_b;
      }
      inner_(a + off_a + first * inner_stride_a_, b + off_b + first * inner_stride_b_,
             y + row * inner_n_ + first, n, lo_, hi_);
    }
  });
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateBinaryKernel(const KernelRequest& req) {
  auto k = std::make_unique<BinaryKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

// Float32 unary elementwise ops: Relu LeakyRelu Sigmoid Tanh Erf Gelu Sqrt Exp Neg Abs HardSigmoid
// HardSwish Clip. Each is one vectorisable loop (vec_math.h) compiled per SIMD level; Sqrt stays
// a scalar loop because errno semantics keep GCC from vectorising it without -fno-math-errno.
// Clip reads its bounds at Execute (inputs 1 and 2 may be computed at run time).
#include <cmath>
#include <limits>

#include "graph/infer_st_window.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vec_math.h"

namespace sl::cpu {
// The cloned loops and their functors have external linkage: GCC's target_clones dispatch
// misbehaves on internal-linkage functions.
namespace unary_loops {

// Per-op parameters: alpha/beta (LeakyRelu, HardSigmoid) or the Clip bounds.
struct Params {
  float alpha = 0.f, beta = 0.f;
};

using MapFn = void (*)(const float* x, float* y, int64_t n, Params p);

template <typename F>
SL_CPU_CLONES void Map(const float* x, float* y, int64_t n, Params p) {
  for (int64_t i = 0; i < n; ++i) y[i] = F::Apply(x[i], p);
}

// Expressions match the reference kernels (kernels/ref/ew_unary.cc) where they are exact.
struct ReluF {
  static float Apply(float v, Params) { return v > 0.f ? v : 0.f; }
};
struct LeakyReluF {
  static float Apply(float v, Params p) { return v >= 0.f ? v : p.alpha * v; }
};
struct SigmoidF {
  static float Apply(float v, Params) { return Sigmoid(v); }
};
struct TanhF {
  static float Apply(float v, Params) { return Tanh(v); }
};
struct ErfF {
  static float Apply(float v, Params) { return Erf(v); }
};
struct GeluF {
  static float Apply(float v, Params) { return Gelu(v); }
};
struct GeluTanhF {
  static float Apply(float v, Params) { return GeluTanh(v); }
};
struct ExpF {
  static float Apply(float v, Params) { return Exp(v); }
};
struct NegF {
  static float Apply(float v, Params) { return -v; }
};
struct AbsF {
  static float Apply(float v, Params) { return std::fabs(v); }
};
struct HardSigmoidF {
  static float Apply(float v, Params p) {
    return std::max(0.f, std::min(1.f, p.alpha * v + p.beta));
  }
};
struct HardSwishF {
  static float Apply(float v, Params) { return v * std::max(0.f, std::min(1.f, v / 6.f + 0.5f)); }
};
struct ClipF {  // alpha = lower bound, beta = upper bound; NaN stays NaN
  static float Apply(float v, Params p) {
    v = v < p.alpha ? p.alpha : v;
    return v > p.beta ? p.beta : v;
  }
};

// The dispatched address of Map<F>. Not inlined: GCC 12 mistakes a stored ifunc address for a
// dangling pointer (-Wdangling-pointer) when it sees the store.
template <typename F>
__attribute__((noinline)) MapFn MapOf() {
  return &Map<F>;
}

void SqrtLoop(const float* x, float* y, int64_t n, Params) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::sqrt(x[i]);
}

}  // namespace unary_loops

namespace {

using namespace unary_loops;
constexpr int64_t kChunk = 16384;

class UnaryKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req);
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

 private:
  MapFn fn_ = nullptr;
  Params params_;
  bool clip_ = false;
  int64_t n_ = 0;
};

Status UnaryKernel::Prepare(const KernelRequest& req) {
  const OpType op = req.node.op;
  if (req.node.inputs.empty() || !req.has_input(0) || req.node.outputs.size() != 1)
    return Unsupported(Describe(req) + ": cpu unary kernel needs input 0 and one output");
  if (op == OpType::kClip) {
    SL_RETURN_IF_ERROR(RequireFloat(req, {0, 1, 2}));
  } else {
    if (req.node.inputs.size() != 1) return Unsupported(Describe(req) + ": expects one input");
    SL_RETURN_IF_ERROR(RequireFloat(req, {0}));
  }
  SL_RETURN_IF_ERROR(Bind(req, "unary"));
  n_ = in_numel_[0];
  if (out_numel_[0] != n_) return InvalidArgument(where_ + ": output size differs from input");
  const Attributes& attrs = req.node.attrs;
  switch (op) {
    case OpType::kRelu:
      fn_ = MapOf<ReluF>();
      break;
    case OpType::kLeakyRelu:
      fn_ = MapOf<LeakyReluF>();
      params_.alpha = AttrFloat(attrs, "alpha", 0.01f);
      break;
    case OpType::kSigmoid:
      fn_ = MapOf<SigmoidF>();
      break;
    case OpType::kTanh:
      fn_ = MapOf<TanhF>();
      break;
    case OpType::kErf:
      fn_ = MapOf<ErfF>();
      break;
    case OpType::kExp:
      fn_ = MapOf<ExpF>();
      break;
    case OpType::kGelu:
      if (attrs.GetString("approximate", "none") == "tanh") {
        fn_ = MapOf<GeluTanhF>();
      } else {
        fn_ = MapOf<GeluF>();
      }
      break;
    case OpType::kNeg:
      fn_ = MapOf<NegF>();
      break;
    case OpType::kAbs:
      fn_ = MapOf<AbsF>();
      break;
    case OpType::kSqrt:
      fn_ = &SqrtLoop;
      break;
    case OpType::kHardSigmoid:
      fn_ = MapOf<HardSigmoidF>();
      params_.alpha = AttrFloat(attrs, "alpha", 0.2f);
      params_.beta = AttrFloat(attrs, "beta", 0.5f);
      break;
    case OpType::kHardSwish:
      fn_ = MapOf<HardSwishF>();
      break;
    case OpType::kClip:
      fn_ = MapOf<ClipF>();
      clip_ = true;
      for (int i = 1; i < 3; ++i) {
        if (i < static_cast<int>(in_numel_.size()) && in_numel_[i] >= 0 && in_numel_[i] != 1)
          return InvalidArgument(where_ + ": Clip bound input " + std::to_string(i) +
                                 " must hold one element");
      }
      params_.alpha = std::numeric_limits<float>::lowest();
      params_.beta = std::numeric_limits<float>::max();
      if (attrs.Has("min")) params_.alpha = AttrFloat(attrs, "min", 0.f);
      if (attrs.Has("max")) params_.beta = AttrFloat(attrs, "max", 0.f);
      break;
    default:
      return Unsupported(where_ + ": no cpu unary kernel for this op");
  }
  return Status::Ok();
}

Status UnaryKernel::Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                            const ExecContext& ctx) const {
  SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
  Params p = params_;
  if (clip_) {  // bound inputs override the attributes (opset 11+)
    if (inputs.size() > 1 && inputs[1].data != nullptr) p.alpha = inputs[1].data_as<float>()[0];
    if (inputs.size() > 2 && inputs[2].data != nullptr) p.beta = inputs[2].data_as<float>()[0];
  }
  const float* x = inputs[0].data_as<const float>();
  float* y = outputs[0].data_as<float>();
  const int64_t items = (n_ + kChunk - 1) / kChunk;
  const MapFn fn = fn_;
  ParallelFor(items, n_, ctx.num_threads, [&](int64_t begin, int64_t end) {
    const int64_t first = begin * kChunk, last = std::min(n_, end * kChunk);
    fn(x + first, y + first, last - first, p);
  });
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateUnaryKernel(const KernelRequest& req) {
  auto k = std::make_unique<UnaryKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

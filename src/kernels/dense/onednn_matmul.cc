// Gemm and MatMul through oneDNN's matmul primitive.
//
// Prepare:
//  1. Normalise the node (matmul_spec.h) and fold batch dims into M when B is one matrix.
//  2. Constant B: scale by alpha, then reorder once into the layout the primitive picked for
//     weights in format `any`. Non-constant B is read in place (transposes through strides).
//  3. Constant bias/C: materialise beta * C as the primitive's bias. Non-constant bias is bound at
//     run time when beta == 1. Alpha on a non-constant B becomes an output scale when there is no
//     bias; combinations oneDNN cannot express exactly return Unsupported (reference runs).
//  4. The fused activation becomes an eltwise post-op; the scratchpad lives in ctx.scratch.
#include <algorithm>
#include <memory>
#include <string>

#include "kernels/dense/dense.h"
#include "kernels/dense/matmul_spec.h"
#include "kernels/dense/onednn_common.h"

namespace sl::dense {
namespace {

using dnnl::memory;

// Row-major descriptor of logical dims, or of their transpose in storage when `transposed`.
memory::desc MatrixDesc(const std::vector<int64_t>& dims, bool transposed) {
  if (!transposed) return PlainDesc(ToDims(dims));
  return memory::desc(ToDims(dims), memory::data_type::f32, memory::dims{1, dims[0]});
}

// scale * src (of `src_dims`, rank-aligned with `dims`) broadcast to a new tensor of `dims`.
Tensor BroadcastScaled(const Tensor& src, const std::vector<int64_t>& src_dims,
                       const std::vector<int64_t>& dims, float scale) {
  Tensor out(DType::kF32, Shape(dims));
  const int rank = static_cast<int>(dims.size());
  std::vector<int64_t> src_strides(rank, 0);
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    src_strides[i] = src_dims[i] == 1 ? 0 : stride;
    stride *= src_dims[i];
  }
  const float* s = src.data<float>();
  float* d = out.data<float>();
  for (int64_t flat = 0; flat < out.numel(); ++flat) {
    int64_t rest = flat, offset = 0;
    for (int i = rank - 1; i >= 0; --i) {
      offset += (rest % dims[i]) * src_strides[i];
      rest /= dims[i];
    }
    d[flat] = scale * s[offset];
  }
  return out;
}

struct MatMulState : KernelState {
  dnnl::stream stream;
  memory src, weights, bias, dst, scratchpad;
  BoundPrimitive matmul;
};

class OnednnMatMul final : public Kernel {
 public:
  std::string name() const override { return name_; }
  size_t scratch_bytes() const override { return scratchpad_md_.get_size(); }
  std::unique_ptr<KernelState> CreateState() const override;
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

  // Built by CreateOnednnMatMul.
  std::string name_;
  dnnl::matmul matmul_;
  memory::desc src_md_, weights_md_, bias_md_, dst_md_, scratchpad_md_;
  memory packed_weights_;  // constant B (null memory otherwise)
  Tensor constant_bias_;   // beta * C when C is constant
  int bias_input_ = -1;    // -1: no bias
  int64_t src_elements_ = 0, weight_elements_ = 0, dst_elements_ = 0;
};

std::unique_ptr<KernelState> OnednnMatMul::CreateState() const {
  try {
    const dnnl::engine& engine = CpuEngine();
    auto s = std::make_unique<MatMulState>();
    s->stream = dnnl::stream(engine);
    s->src = memory(src_md_, engine, DNNL_MEMORY_NONE);
    s->dst = memory(dst_md_, engine, DNNL_MEMORY_NONE);
    s->weights = memory(weights_md_, engine,
                        packed_weights_ ? packed_weights_.get_data_handle() : DNNL_MEMORY_NONE);
    s->matmul.primitive = matmul_.get();
    s->matmul.Add(DNNL_ARG_SRC, s->src);
    s->matmul.Add(DNNL_ARG_WEIGHTS, s->weights);
    s->matmul.Add(DNNL_ARG_DST, s->dst);
    if (bias_input_ >= 0) {
      s->bias = memory(bias_md_, engine,
                       constant_bias_.defined() ? constant_bias_.raw() : DNNL_MEMORY_NONE);
      s->matmul.Add(DNNL_ARG_BIAS, s->bias);
    }
    if (scratchpad_md_.get_size() > 0) {
      s->scratchpad = memory(scratchpad_md_, engine, DNNL_MEMORY_NONE);
      s->matmul.Add(DNNL_ARG_SCRATCHPAD, s->scratchpad);
    }
    return s;
  } catch (const std::exception&) {
    return nullptr;  // Execute reports the missing state
  }
}

Status OnednnMatMul::Execute(std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs, const ExecContext& ctx) const {
  auto* s = dynamic_cast<MatMulState*>(ctx.state);
  if (s == nullptr) return Internal("dense MatMul: missing or foreign kernel state");
  if (inputs.size() < 2 || outputs.empty() || inputs[0].data == nullptr ||
      outputs[0].data == nullptr || inputs[0].numel() != src_elements_ ||
      outputs[0].numel() != dst_elements_ ||
      (bias_input_ >= 0 && static_cast<int>(inputs.size()) <= bias_input_)) {
    return InvalidArgument("dense MatMul: inputs/outputs differ from the prepared shapes");
  }
  if (scratchpad_md_.get_size() > 0 && ctx.scratch == nullptr) {
    return InvalidArgument("dense MatMul: missing scratch buffer");
  }
  try {
    SetNumThreads(ctx.num_threads);
    Bind(s->src, inputs[0].data);
    Bind(s->dst, outputs[0].data);
    if (!packed_weights_) {
      if (inputs[1].data == nullptr || inputs[1].numel() != weight_elements_) {
        return InvalidArgument("dense MatMul: B differs from the prepared shape");
      }
      Bind(s->weights, inputs[1].data);
    }
    if (bias_input_ >= 0 && !constant_bias_.defined()) {
      if (inputs[bias_input_].data == nullptr) return InvalidArgument("dense MatMul: no bias");
      Bind(s->bias, inputs[bias_input_].data);
    }
    if (scratchpad_md_.get_size() > 0) Bind(s->scratchpad, ctx.scratch);
    return Run(s->matmul, s->stream);
  } catch (const std::exception& e) {
    return Internal(std::string("dense MatMul: oneDNN: ") + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateOnednnMatMul(const KernelRequest& req) {
  SL_ASSIGN_OR_RETURN(MatMulSpec spec, ParseMatMul(req));
  const std::string where = DescribeNode(req);
  CollapseBatch(spec);
  const bool has_bias = spec.bias_input >= 0;
  if (has_bias && !spec.bias_constant && spec.beta != 1.f) {
    return Unsupported(where + ": non-constant C with beta != 1");
  }
  if (!spec.b_constant && spec.alpha != 1.f && has_bias) {
    return Unsupported(where + ": alpha != 1 with non-constant B and a bias");
  }
  try {
    const dnnl::engine& engine = CpuEngine();
    auto k = std::make_unique<OnednnMatMul>();
    k->src_md_ = MatrixDesc(spec.a_dims, spec.trans_a);
    k->dst_md_ = PlainDesc(ToDims(spec.y_dims));
    const memory::desc user_weights_md = MatrixDesc(spec.b_dims, spec.trans_b);
    const memory::desc weights_md =
        spec.b_constant
            ? memory::desc(ToDims(spec.b_dims), memory::data_type::f32, memory::format_tag::any)
            : user_weights_md;
    if (has_bias) {
      k->bias_input_ = spec.bias_input;
      if (spec.bias_constant) {
        // oneDNN's fast matmuls take a per-column bias [1.., N] or a full one; expand scalars and
        // columns (Gemm C of [M, 1]) to those at prepare time.
        std::vector<int64_t> dims = spec.y_dims;
        if (spec.bias_is_row()) std::fill(dims.begin(), dims.end() - 1, 1);
        k->constant_bias_ =
            BroadcastScaled(req.input(spec.bias_input).constant, spec.bias_dims, dims, spec.beta);
        spec.bias_dims = dims;
      }
      k->bias_md_ = PlainDesc(ToDims(spec.bias_dims));
    }
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (!spec.b_constant && spec.alpha != 1.f) attr.set_output_scales(0, {spec.alpha});
    dnnl::post_ops ops;
    AppendActivation(spec.act, ops);
    attr.set_post_ops(ops);

    const dnnl::matmul::desc desc =
        has_bias ? dnnl::matmul::desc(k->src_md_, weights_md, k->bias_md_, k->dst_md_)
                 : dnnl::matmul::desc(k->src_md_, weights_md, k->dst_md_);
    const dnnl::matmul::primitive_desc pd(desc, attr, engine);
    k->matmul_ = dnnl::matmul(pd);
    k->weights_md_ = pd.weights_desc();
    k->scratchpad_md_ = pd.scratchpad_desc();
    k->src_elements_ = NumElements(spec.a_dims);
    k->weight_elements_ = NumElements(spec.b_dims);
    k->dst_elements_ = NumElements(spec.y_dims);
    if (spec.b_constant) {
      const Tensor& b = req.input(1).constant;
      if (spec.alpha != 1.f) {
        const Tensor scaled = BroadcastScaled(b, spec.b_dims, spec.b_dims, spec.alpha);
        k->packed_weights_ = ReorderToNew(user_weights_md, scaled.raw(), k->weights_md_);
      } else {
        k->packed_weights_ = ReorderToNew(user_weights_md, b.raw(), k->weights_md_);
      }
    }
    k->name_ = std::string("onednn:") + pd.impl_info_str();
    return std::unique_ptr<Kernel>(std::move(k));
  } catch (const std::exception& e) {
    return FromDnnlError(req, "matmul", e);
  }
}

}  // namespace sl::dense

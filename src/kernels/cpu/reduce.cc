// Float32 ReduceMean and ReduceSum over one contiguous run of axes: the input is seen as
// [outer, reduced, inner]. With inner == 1 (e.g. a global average over H and W) each output sums
// one contiguous row; otherwise (e.g. a mean over tokens) blocks of up to kBlock neighbouring
// output columns accumulate row after row, so every load is contiguous. Sums accumulate in double,
// as the reference does. Other axis sets (not one run) fall back to the reference kernel.
#include <algorithm>
#include <vector>

#include "graph/infer_st_window.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vec_math.h"

namespace sl::cpu {
// Cloned loops with external linkage (GCC's target_clones dispatch needs it).
namespace reduce_loops {

constexpr int64_t kBlock = 64;

// y[o] = scale * sum of x[o * n .. o * n + n).
SL_CPU_CLONES void ReduceRows(const float* x, float* y, int64_t rows, int64_t n, double scale) {
  for (int64_t o = 0; o < rows; ++o) {
    const float* xr = x + o * n;
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t r = 0; r < n; ++r) acc += xr[r];
    y[o] = static_cast<float>(acc * scale);
  }
}

// y[c] = scale * sum over r < n of x[r * inner + c], for c < width <= kBlock.
SL_CPU_CLONES void ReduceColumns(const float* x, float* y, int64_t n, int64_t inner, int64_t width,
                                 double scale) {
  double acc[kBlock];
  for (int64_t c = 0; c < width; ++c) acc[c] = 0;
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = x + r * inner;
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) acc[c] += xr[c];
  }
  for (int64_t c = 0; c < width; ++c) y[c] = static_cast<float>(acc[c] * scale);
}

}  // namespace reduce_loops

namespace {

using namespace reduce_loops;

class ReduceKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req) {
    const bool mean = req.node.op == OpType::kReduceMean;
    if (req.node.inputs.empty() || !req.has_input(0) || req.node.outputs.size() != 1)
      return Unsupported(Describe(req) + ": cpu reduce needs input 0 and one output");
    SL_RETURN_IF_ERROR(RequireFloat(req, {0}));
    SL_RETURN_IF_ERROR(Bind(req, mean ? "reduce-mean" : "reduce-sum"));
    const Shape& xs = req.input(0).shape;
    const int64_t rank = static_cast<int64_t>(xs.size());
    std::vector<int64_t> axes;
    if (req.has_input(1)) {
      const Value& a = req.input(1);
      if (!a.is_constant() || a.dtype != DType::kI64)
        return Unsupported(where_ + ": axes input is not a constant int64 tensor");
      const int64_t* p = a.constant.view().data_as<const int64_t>();
      axes.assign(p, p + a.constant.view().numel());
    } else {
      const auto attr = AttrInts(req.node.attrs, "axes");
      axes.assign(attr.begin(), attr.end());
    }
    if (axes.empty()) {
      if (AttrInt(req.node.attrs, "noop_with_empty_axes", 0) != 0)
        return Unsupported(where_ + ": noop_with_empty_axes is left to the reference kernel");
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    }
    for (int64_t& a : axes) {
      if (a < -rank || a >= rank)
        return InvalidArgument(where_ + ": axis " + std::to_string(a) + " out of range for rank " +
                               std::to_string(rank));
      if (a < 0) a += rank;
    }
    std::sort(axes.begin(), axes.end());
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    if (axes.back() - axes.front() + 1 != static_cast<int64_t>(axes.size()))
      return Unsupported(where_ + ": reduced axes are not one contiguous run");
    const std::span<const int64_t> dims(xs);
    outer_ = Product(dims.first(static_cast<size_t>(axes.front())));
    n_ = Product(dims.subspan(static_cast<size_t>(axes.front()), axes.size()));
    inner_ = Product(dims.subspan(static_cast<size_t>(axes.back() + 1)));
    if (out_numel_[0] != outer_ * inner_)
      return InvalidArgument(where_ + ": output size " + std::to_string(out_numel_[0]) +
                             " does not match the reduction");
    scale_ =
        mean ? (n_ > 0 ? 1.0 / static_cast<double>(n_) : std::numeric_limits<double>::quiet_NaN())
             : 1.0;
    return Status::Ok();
  }

  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    if (outer_ * inner_ == 0) return Status::Ok();
    ForAlongMiddleAxis(
        outer_, n_, inner_, kBlock, ctx.num_threads,
        [&](int64_t begin, int64_t end) {
          ReduceRows(x + begin * n_, y + begin, end - begin, n_, scale_);
        },
        [&](int64_t o, int64_t c0, int64_t width) {
          ReduceColumns(x + o * n_ * inner_ + c0, y + o * inner_ + c0, n_, inner_, width, scale_);
        });
    return Status::Ok();
  }

 private:
  int64_t outer_ = 0, n_ = 0, inner_ = 1;
  double scale_ = 1;
};

}  // namespace

Result<std::unique_ptr<Kernel>> CreateReduceKernel(const KernelRequest& req) {
  auto k = std::make_unique<ReduceKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

// Data movement as memcpy of contiguous chunks, for any fixed-size dtype: Gather (int32/int64
// indices, any axis; axis 0 is the embedding lookup), Concat and Split (constant split sizes).
// Each tensor is viewed as [outer, along, inner] around the axis, so one chunk is `inner`
// (Gather) or `along * inner` (Concat / Split) elements. Indices are range-checked at Execute.
#include <cstring>
#include <vector>

#include "graph/infer.h"
#include "graph/infer_st_window.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"

namespace sl::cpu {
namespace {

Result<int64_t> Axis(const KernelRequest& req, const std::string& where, int64_t rank) {
  Result<int64_t> axis = NormalizeAxis(AttrInt(req.node.attrs, "axis", 0), rank);
  if (!axis.ok()) return InvalidArgument(where + ": " + axis.status().message());
  return axis;
}

Status CheckDType(const KernelRequest& req, const std::string& where) {
  const DType t = req.output(0).dtype;
  if (t == DType::kUndefined || DTypeSize(t) == 0)
    return Unsupported(where + ": cpu copy kernel needs a fixed-size dtype");
  return Status::Ok();
}

class GatherKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req) {
    if (req.node.inputs.size() != 2 || !req.has_input(0) || !req.has_input(1))
      return Unsupported(Describe(req) + ": cpu gather needs data and indices");
    SL_RETURN_IF_ERROR(Bind(req, "gather"));
    SL_RETURN_IF_ERROR(CheckDType(req, where_));
    const Shape& xs = req.input(0).shape;
    index_dtype_ = req.input(1).dtype;
    if (index_dtype_ != DType::kI64 && index_dtype_ != DType::kI32)
      return Unsupported(where_ + ": cpu gather needs int32 or int64 indices");
    if (req.input(0).dtype != req.output(0).dtype)
      return InvalidArgument(where_ + ": dtypes differ");
    SL_ASSIGN_OR_RETURN(int64_t axis, Axis(req, where_, static_cast<int64_t>(xs.size())));
    const std::span<const int64_t> d(xs);
    outer_ = Product(d.first(axis));
    dim_ = xs[axis];
    inner_ = Product(d.subspan(axis + 1));
    count_ = in_numel_[1];
    elem_ = DTypeSize(req.output(0).dtype);
    if (out_numel_[0] != outer_ * count_ * inner_)
      return InvalidArgument(where_ + ": output has the wrong size");
    return Status::Ok();
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
    const TensorView& idx = inputs[1];
    for (int64_t j = 0; j < count_; ++j) {
      const int64_t i = Index(idx, j);
      if (i < -dim_ || i >= dim_) {
        return InvalidArgument(where_ + ": index " + std::to_string(i) + " out of range [" +
                               std::to_string(-dim_) + ", " + std::to_string(dim_) + ")");
      }
    }
    const char* x = static_cast<const char*>(inputs[0].data);
    char* y = static_cast<char*>(outputs[0].data);
    const size_t chunk = static_cast<size_t>(inner_) * elem_;
    ParallelFor(outer_ * count_, outer_ * count_ * inner_, ctx.num_threads,
                [&](int64_t begin, int64_t end) {
                  for (int64_t item = begin; item < end; ++item) {
                    const int64_t o = item / count_, j = item % count_;
                    int64_t i = Index(idx, j);
                    if (i < 0) i += dim_;
                    std::memcpy(y + item * chunk, x + (o * dim_ + i) * chunk, chunk);
                  }
                });
    return Status::Ok();
  }

 private:
  int64_t Index(const TensorView& idx, int64_t j) const {
    return index_dtype_ == DType::kI64 ? idx.data_as<const int64_t>()[j]
                                       : idx.data_as<const int32_t>()[j];
  }
  DType index_dtype_ = DType::kI64;
  int64_t outer_ = 0, dim_ = 0, inner_ = 0, count_ = 0;
  size_t elem_ = 4;
};

// Concat (many inputs, one output) or Split (one input, many outputs) along one axis.
class ConcatSplitKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req) {
    concat_ = req.node.op == OpType::kConcat;
    all_outputs_optional_ = !concat_;
    SL_RETURN_IF_ERROR(Bind(req, concat_ ? "concat" : "split"));
    SL_RETURN_IF_ERROR(CheckDType(req, where_));
    const int whole = concat_ ? req.node.outputs[0] : req.node.inputs[0];
    if (whole == kNoValue) return InvalidArgument(where_ + ": missing the whole tensor");
    const Value& w = req.graph.values[whole];
    SL_ASSIGN_OR_RETURN(int64_t axis, Axis(req, where_, static_cast<int64_t>(w.shape.size())));
    const std::span<const int64_t> d(w.shape);
    outer_ = Product(d.first(axis));
    const int64_t inner = Product(d.subspan(axis + 1));
    elem_ = DTypeSize(w.dtype);
    whole_row_ = w.shape[axis] * inner;
    const std::vector<int>& parts = concat_ ? req.node.inputs : req.node.outputs;
    if (!concat_ && req.node.inputs.size() > 1 && req.has_input(1) && !req.input(1).is_constant())
      return Unsupported(where_ + ": cpu split needs constant split sizes");
    int64_t along = 0;
    for (int v : parts) {
      if (v == kNoValue) return Unsupported(where_ + ": cpu concat/split with omitted parts");
      const Value& p = req.graph.values[v];
      bool ok = p.shape.size() == w.shape.size() && p.dtype == w.dtype;
      for (size_t i = 0; ok && i < p.shape.size(); ++i)
        ok = static_cast<int64_t>(i) == axis || p.shape[i] == w.shape[i];
      if (!ok)
        return InvalidArgument(where_ + ": part " + ShapeToString(p.shape) + " does not fit");
      part_rows_.push_back(p.shape[axis] * inner);
      along += p.shape[axis];
    }
    if (along != w.shape[axis]) return InvalidArgument(where_ + ": parts do not fill the axis");
    return Status::Ok();
  }
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override {
    SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
    const std::span<const TensorView> parts = concat_ ? inputs : outputs;
    char* whole = static_cast<char*>(concat_ ? outputs[0].data : inputs[0].data);
    const int64_t n_parts = static_cast<int64_t>(part_rows_.size());
    ParallelFor(outer_ * n_parts, outer_ * whole_row_, ctx.num_threads,
                [&](int64_t begin, int64_t end) {
                  for (int64_t item = begin; item < end; ++item) {
                    const int64_t o = item / n_parts, p = item % n_parts;
                    int64_t offset = 0;
                    for (int64_t q = 0; q < p; ++q) offset += part_rows_[q];
                    char* part = static_cast<char*>(parts[p].data);
                    if (part == nullptr || part_rows_[p] == 0) continue;
                    char* w = whole + (o * whole_row_ + offset) * elem_;
                    char* s = part + o * part_rows_[p] * elem_;
                    const size_t bytes = static_cast<size_t>(part_rows_[p]) * elem_;
                    if (concat_)
                      std::memcpy(w, s, bytes);
                    else
                      std::memcpy(s, w, bytes);
                  }
                });
    return Status::Ok();
  }

 private:
  bool concat_ = true;
  int64_t outer_ = 0, whole_row_ = 0;
  size_t elem_ = 4;
  std::vector<int64_t> part_rows_;  // elements of one outer row of each part
};

}  // namespace

Result<std::unique_ptr<Kernel>> CreateGatherKernel(const KernelRequest& req) {
  auto k = std::make_unique<GatherKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> CreateConcatSplitKernel(const KernelRequest& req) {
  auto k = std::make_unique<ConcatSplitKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

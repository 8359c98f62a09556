// Transpose for any dtype of 1, 2, 4 or 8 bytes.
//
// Prepare:
//   1. Drop input dims of size 1 and merge input dims that stay neighbours, in order, in the
//      output (perm[i + 1] == perm[i] + 1): [B,S,H,D] -> [B,H,S,D] stays rank 4, [N,C,HW] ->
//      [N,HW,C] becomes a batched 2-D transpose.
//   2. If the output's last dim is the input's last dim, every output row is one contiguous input
//      run: copy runs (memcpy).
//   3. Otherwise the input's last dim lands at output position b and the output's last dim comes
//      from input dim a: for each combination of the other dims, transpose the 2-D [A][L] plane
//      through kTile x kTile tiles so both reads and writes stay in cache lines.
// Offsets of the other ("outer") dims come from precomputed strides by div/mod per run or tile row.
#include <cstring>
#include <vector>

#include "graph/infer_st_window.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"

namespace sl::cpu {
namespace {

constexpr int64_t kTile = 32;

struct OuterDim {
  int64_t size, in_stride, out_stride;
};

class TransposeKernel final : public CpuKernel {
 public:
  Status Prepare(const KernelRequest& req);
  Status Execute(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                 const ExecContext& ctx) const override;

 private:
  template <typename T>
  void Planes(const T* x, T* y, int64_t begin, int64_t end) const;
  // Step 2, runs [begin, end): the outer offsets advance like an odometer. Offsets' div/mod per
  // outer dim cost more than the copy of a short run (the vision transformer's head split: 588
  // runs of 64 bytes over 4 outer dims).
  void Runs(const char* x, char* y, int64_t begin, int64_t end) const;
  void Offsets(int64_t index, int64_t* in_off, int64_t* out_off) const {
    int64_t ri = 0, ro = 0;
    for (size_t d = outer_.size(); d-- > 0;) {
      const int64_t c = index % outer_[d].size;
      index /= outer_[d].size;
      ri += c * outer_[d].in_stride;
      ro += c * outer_[d].out_stride;
    }
    *in_off = ri;
    *out_off = ro;
  }

  size_t elem_ = 4;
  int64_t total_ = 0;
  bool runs_ = true;                 // step 2 (contiguous runs) or step 3 (2-D tiles)
  int64_t run_ = 1;                  // step 2: elements per run
  int64_t rows_l_ = 1, cols_a_ = 1;  // step 3: plane [A][L] in the input
  int64_t in_stride_a_ = 0, out_stride_l_ = 0;
  std::vector<OuterDim> outer_;  // outermost first
};

Status TransposeKernel::Prepare(const KernelRequest& req) {
  if (req.node.inputs.size() != 1 || !req.has_input(0) || req.node.outputs.size() != 1)
    return Unsupported(Describe(req) + ": cpu transpose needs one input and one output");
  SL_RETURN_IF_ERROR(Bind(req, "transpose"));
  const DType dtype = req.input(0).dtype;
  elem_ = DTypeSize(dtype);
  if (dtype == DType::kBool || (elem_ != 1 && elem_ != 2 && elem_ != 4 && elem_ != 8) ||
      req.output(0).dtype != dtype) {
    return Unsupported(where_ + ": cpu transpose does not handle " + std::string(DTypeName(dtype)));
  }
  const Shape& xs = req.input(0).shape;
  const int rank = static_cast<int>(xs.size());
  std::vector<int64_t> perm(AttrInts(req.node.attrs, "perm").begin(),
                            AttrInts(req.node.attrs, "perm").end());
  if (FindAttrNoAlloc(req.node.attrs, "perm") == nullptr)
    for (int i = 0; i < rank; ++i) perm.push_back(rank - 1 - i);
  std::vector<bool> seen(rank, false);
  if (static_cast<int>(perm.size()) != rank)
    return InvalidArgument(where_ + ": perm does not match the input rank");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return InvalidArgument(where_ + ": perm is not a permutation");
    seen[p] = true;
  }
  total_ = NumElements(xs);
  // Step 1: keep dims of size > 1 (in output order), then merge input-consecutive neighbours.
  std::vector<int64_t> in_strides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * xs[d + 1];
  struct Dim {
    int64_t size, in_stride, in_axis;
  };
  std::vector<Dim> dims;  // output order
  for (int i = 0; i < rank; ++i) {
    const int64_t a = perm[i];
    if (xs[a] == 1) continue;
    if (!dims.empty() && dims.back().in_stride == in_strides[a] * xs[a]) {
      dims.back().size *= xs[a];
      dims.back().in_stride = in_strides[a];
      dims.back().in_axis = a;
    } else {
      dims.push_back({xs[a], in_strides[a], a});
    }
  }
  if (dims.empty()) dims.push_back({1, 1, 0});
  std::vector<int64_t> out_strides(dims.size(), 1);
  for (size_t i = dims.size() - 1; i-- > 0;) out_strides[i] = out_strides[i + 1] * dims[i + 1].size;
  const size_t last = dims.size() - 1;
  if (dims[last].in_stride == 1) {  // step 2
    runs_ = true;
    run_ = dims[last].size;
    for (size_t i = 0; i < last; ++i)
      outer_.push_back({dims[i].size, dims[i].in_stride, out_strides[i]});
    return Status::Ok();
  }
  runs_ = false;  // step 3
  size_t b = 0;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i].in_stride == 1) b = i;
  rows_l_ = dims[b].size;
  out_stride_l_ = out_strides[b];
  cols_a_ = dims[last].size;
  in_stride_a_ = dims[last].in_stride;
  for (size_t i = 0; i < last; ++i)
    if (i != b) outer_.push_back({dims[i].size, dims[i].in_stride, out_strides[i]});
  return Status::Ok();
}

constexpr size_t kMaxOdometerDims = 16;

void TransposeKernel::Runs(const char* x, char* y, int64_t begin, int64_t end) const {
  const size_t bytes = static_cast<size_t>(run_) * elem_;
  const size_t dims = outer_.size();
  int64_t in_off, out_off;
  Offsets(begin, &in_off, &out_off);
  int64_t digit[kMaxOdometerDims];
  if (dims <= kMaxOdometerDims)
    for (int64_t d = static_cast<int64_t>(dims) - 1, rest = begin; d >= 0; --d) {
      digit[d] = rest % outer_[d].size;
      rest /= outer_[d].size;
    }
  for (int64_t r = begin; r < end; ++r) {
    std::memcpy(y + out_off * static_cast<int64_t>(elem_), x + in_off * static_cast<int64_t>(elem_),
                bytes);
    if (dims > kMaxOdometerDims) {
      Offsets(r + 1, &in_off, &out_off);
      continue;
    }
    for (size_t d = dims; d-- > 0;) {  // next run: the innermost outer dim first
      in_off += outer_[d].in_stride;
      out_off += outer_[d].out_stride;
      if (++digit[d] < outer_[d].size) break;
      digit[d] = 0;
      in_off -= outer_[d].size * outer_[d].in_stride;
      out_off -= outer_[d].size * outer_[d].out_stride;
    }
  }
}

template <typename T>
void TransposeKernel::Planes(const T* x, T* y, int64_t begin, int64_t end) const {
  const int64_t l_tiles = (rows_l_ + kTile - 1) / kTile;
  for (int64_t item = begin; item < end; ++item) {
    int64_t in_off, out_off;
    Offsets(item / l_tiles, &in_off, &out_off);
    const int64_t l0 = (item % l_tiles) * kTile, l1 = std::min(rows_l_, l0 + kTile);
    for (int64_t a0 = 0; a0 < cols_a_; a0 += kTile) {
      const int64_t a1 = std::min(cols_a_, a0 + kTile);
      for (int64_t l = l0; l < l1; ++l) {
        T* yr = y + out_off + l * out_stride_l_;
        const T* xc = x + in_off + l;
        for (int64_t a = a0; a < a1; ++a) yr[a] = xc[a * in_stride_a_];
      }
    }
  }
}

Status TransposeKernel::Execute(std::span<const TensorView> inputs,
                                std::span<const TensorView> outputs, const ExecContext& ctx) const {
  SL_RETURN_IF_ERROR(CheckViews(inputs, outputs));
  if (total_ == 0) return Status::Ok();
  const char* x = static_cast<const char*>(inputs[0].data);
  char* y = static_cast<char*>(outputs[0].data);
  if (runs_) {
    ParallelFor(total_ / run_, total_, ctx.num_threads,
                [&](int64_t begin, int64_t end) { Runs(x, y, begin, end); });
    return Status::Ok();
  }
  const int64_t items = total_ / (rows_l_ * cols_a_) * ((rows_l_ + kTile - 1) / kTile);
  ParallelFor(items, total_, ctx.num_threads, [&](int64_t begin, int64_t end) {
    switch (elem_) {
      case 1:
        Planes(reinterpret_cast<const uint8_t*>(x), reinterpret_cast<uint8_t*>(y), begin, end);
        break;
      case 2:
        Planes(reinterpret_cast<const uint16_t*>(x), reinterpret_cast<uint16_t*>(y), begin, end);
        break;
      case 4:
        Planes(reinterpret_cast<const uint32_t*>(x), reinterpret_cast<uint32_t*>(y), begin, end);
        break;
      default:
        Planes(reinterpret_cast<const uint64_t*>(x), reinterpret_cast<uint64_t*>(y), begin, end);
        break;
    }
  });
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateTransposeKernel(const KernelRequest& req) {
  auto k = std::make_unique<TransposeKernel>();
  SL_RETURN_IF_ERROR(k->Prepare(req));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace sl::cpu

// Reference kernels for reductions and normalizations: ReduceMean ReduceSum ReduceMax Softmax
// LayerNormalization BatchNormalization. Float sums accumulate in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

using ref::ComputeT;
using ref::Load;
using ref::Product;
using ref::Store;

// The axes a Reduce node reduces over, read in place (no copy) from the optional second input
// (ReduceSum from opset 13) or else the "axes" attribute. Empty axes mean "all axes" unless
// noop_with_empty_axes is set.
class ReduceAxes {
 public:
  Status Init(const Node& node, std::span<const TensorView> inputs, int64_t rank) {
    rank_ = rank;
    if (inputs.size() > 1 && inputs[1].data != nullptr) {
      if (inputs[1].dtype != DType::kI64) return ref::NodeInvalid(node, "axes must be int64");
      data_ = inputs[1].data_as<const int64_t>();
      count_ = inputs[1].numel();
    } else {
      auto it = node.attrs.all().find("axes");
      if (it != node.attrs.all().end()) {
        if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) {
          data_ = v->data();
          count_ = static_cast<int64_t>(v->size());
        } else if (auto* s = std::get_if<int64_t>(&it->second)) {
          data_ = s;
          count_ = 1;
        }
      }
    }
    noop_ = count_ == 0 && node.attrs.GetInt("noop_with_empty_axes", 0) != 0;
    for (int64_t i = 0; i < count_; ++i) {
      if (data_[i] < -rank || data_[i] >= rank) {
        return ref::NodeInvalid(node, "axis " + std::to_string(data_[i]) +
                                          " out of range for rank " + std::to_string(rank));
      }
    }
    return Status::Ok();
  }
  bool noop() const { return noop_; }
  bool IsReduced(int64_t d) const {
    if (count_ == 0) return !noop_;
    for (int64_t i = 0; i < count_; ++i)
      if ((data_[i] < 0 ? data_[i] + rank_ : data_[i]) == d) return true;
    return false;
  }

 private:
  const int64_t* data_ = nullptr;
  int64_t count_ = 0;
  int64_t rank_ = 0;
  bool noop_ = false;
};

enum class Reduction { kSum, kMean, kMax };

Status RefReduce(Reduction kind, const Node& node, std::span<const TensorView> inputs,
                 std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (x.dtype != y.dtype) return ref::NodeInvalid(node, "output dtype differs from input dtype");
  ReduceAxes axes;
  SL_RETURN_IF_ERROR(axes.Init(node, inputs, x.rank()));
  int64_t kept = 1, reduced = 1;
  for (int d = 0; d < x.rank(); ++d) (axes.IsReduced(d) ? reduced : kept) *= x.shape[d];
  if (y.numel() != kept) {
    return ref::NodeInvalid(node, "output shape " + ShapeToString(y.shape) +
                                      " does not match the reduction of " + ShapeToString(x.shape));
  }
  bool ok = ref::VisitDType<ref::kFloatTypes | ref::kSignedInts | ref::kUnsignedInts>(
      x.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using C = ComputeT<T>;
        using Acc = std::conditional_t<std::is_floating_point_v<C>, double, C>;
        const T* px = x.data_as<T>();
        T* py = y.data_as<T>();
        for (int64_t o = 0; o < kept; ++o) {
          Acc acc =
              kind == Reduction::kMax ? static_cast<Acc>(std::numeric_limits<C>::lowest()) : Acc{0};
          if constexpr (std::is_floating_point_v<C>) {
            if (kind == Reduction::kMax) acc = -std::numeric_limits<double>::infinity();
          }
          for (int64_t r = 0; r < reduced; ++r) {
            // Offset of the element with kept-coordinates `o` and reduced-coordinates `r`.
            int64_t off = 0, stride = 1, oi = o, ri = r;
            for (int d = x.rank() - 1; d >= 0; --d) {
              int64_t dim = x.shape[d];
              int64_t c;
              if (axes.IsReduced(d)) {
                c = ri % dim;
                ri /= dim;
              } else {
                c = oi % dim;
                oi /= dim;
              }
              off += c * stride;
              stride *= dim;
            }
            Acc v = static_cast<Acc>(Load(px, off));
            if (kind == Reduction::kMax) {
              if constexpr (std::is_floating_point_v<Acc>) {
                if (std::isnan(v)) acc = v;
              }
              if (v > acc) acc = v;
            } else {
              acc = static_cast<Acc>(acc + v);
            }
          }
          if (kind == Reduction::kMean) {
            if constexpr (std::is_floating_point_v<Acc>) {
              acc = acc / static_cast<double>(reduced);
            } else {
              acc = reduced == 0 ? Acc{0} : static_cast<Acc>(acc / static_cast<Acc>(reduced));
            }
          }
          Store(py, o, static_cast<C>(acc));
        }
      });
  if (!ok) return ref::UnsupportedDType(node, x.dtype);
  return Status::Ok();
}

Status CheckSameShape(const Node& node, const TensorView& x, const TensorView& y) {
  if (x.dtype != y.dtype) return ref::NodeInvalid(node, "output dtype differs from input dtype");
  if (x.numel() != y.numel() || x.rank() != y.rank())
    return ref::NodeInvalid(node, "output shape differs from input shape");
  return Status::Ok();
}

}  // namespace

SL_REF_KERNEL_VIA(ReduceSum, RefReduce, Reduction::kSum)
SL_REF_KERNEL_VIA(ReduceMean, RefReduce, Reduction::kMean)
SL_REF_KERNEL_VIA(ReduceMax, RefReduce, Reduction::kMax)

// Softmax from opset 13: along one axis (default -1). With the internal attribute
// "_legacy_flatten" = 1 (set by the importer for opset < 13) the input is flattened to 2-D at
// `axis` (default 1) and each row is normalized as a whole.
Status RefSoftmax(const Node& node, std::span<const TensorView> inputs,
                  std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 1, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  SL_RETURN_IF_ERROR(CheckSameShape(node, x, y));
  bool legacy = node.attrs.GetInt("_legacy_flatten", 0) != 0;
  int64_t rank = x.rank();
  int64_t axis = node.attrs.GetInt("axis", legacy ? 1 : -1);
  if (axis < -rank || axis >= rank) {
    return ref::NodeInvalid(
        node, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  int64_t outer = Product(x.shape.first(axis));
  int64_t n = legacy ? Product(x.shape.subspan(axis)) : x.shape[axis];
  int64_t inner = legacy ? 1 : Product(x.shape.subspan(axis + 1));
  bool ok = ref::VisitDType<ref::kFloatTypes>(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data_as<T>();
    T* py = y.data_as<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t base = o * n * inner + i;
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t k = 0; k < n; ++k) mx = std::max(mx, double(Load(px, base + k * inner)));
        double sum = 0;
        for (int64_t k = 0; k < n; ++k) sum += std::exp(double(Load(px, base + k * inner)) - mx);
        for (int64_t k = 0; k < n; ++k) {
          double e = std::exp(double(Load(px, base + k * inner)) - mx);
          Store(py, base + k * inner, static_cast<ComputeT<T>>(e / sum));
        }
      }
    }
  });
  if (!ok) return ref::UnsupportedDType(node, x.dtype);
  return Status::Ok();
}

}  // namespace sl

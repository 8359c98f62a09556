// Reference kernels for LayerNormalization and BatchNormalization. Statistics are computed in
// double.
#include <cmath>

#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

using ref::ComputeT;
using ref::Load;
using ref::Present;
using ref::Product;
using ref::Store;

// Writes `v` into element i of a float32 / float64 / float16 statistics output.
void StoreStat(const TensorView& t, int64_t i, double v) {
  ref::VisitDType<ref::kFloatTypes>(t.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    Store(t.data_as<T>(), i, static_cast<ComputeT<T>>(v));
  });
}

Status CheckStatOutput(const Node& node, const TensorView& t, int64_t numel, const char* what) {
  if (t.dtype != DType::kF32 && t.dtype != DType::kF64 && t.dtype != DType::kF16)
    return ref::UnsupportedDType(node, t.dtype);
  if (t.numel() != numel) {
    return ref::NodeInvalid(node, std::string(what) + " output has shape " +
                                      ShapeToString(t.shape) + ", expected " +
                                      std::to_string(numel) + " elements");
  }
  return Status::Ok();
}

}  // namespace

// LayerNormalization: normalizes over dims [axis, rank) (axis default -1); Scale and the optional
// B broadcast onto those dims. Optional outputs 1 (Mean) and 2 (InvStdDev) get one value per row.
Status RefLayerNormalization(const Node& node, std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 2, 1));
  const TensorView& x = inputs[0];
  const TensorView& scale = inputs[1];
  const TensorView& y = outputs[0];
  bool has_bias = Present(inputs, 2);
  int64_t rank = x.rank();
  int64_t axis = node.attrs.GetInt("axis", -1);
  if (axis < -rank || axis >= rank) {
    return ref::NodeInvalid(
        node, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  std::span<const int64_t> norm_shape = x.shape.subspan(axis);
  int64_t rows = Product(x.shape.first(axis));
  int64_t n = Product(norm_shape);
  if (y.dtype != x.dtype || y.numel() != x.numel())
    return ref::NodeInvalid(node, "output 0 differs from input in dtype or shape");
  for (size_t i = 1; i < 3; ++i) {
    if (!Present(inputs, i)) continue;
    if (inputs[i].dtype != x.dtype)
      return ref::NodeInvalid(node, "input " + std::to_string(i) + " dtype differs from X");
    if (!ref::BroadcastsTo(inputs[i].shape, norm_shape)) {
      return ref::NodeInvalid(node, "input " + std::to_string(i) + " of shape " +
                                        ShapeToString(inputs[i].shape) + " does not broadcast to " +
                                        ShapeToString(norm_shape));
    }
  }
  bool want_mean = Present(outputs, 1);
  bool want_inv = Present(outputs, 2);
  if (want_mean) SL_RETURN_IF_ERROR(CheckStatOutput(node, outputs[1], rows, "Mean"));
  if (want_inv) SL_RETURN_IF_ERROR(CheckStatOutput(node, outputs[2], rows, "InvStdDev"));
  double epsilon = node.attrs.GetFloat("epsilon", 1e-5f);
  bool ok = ref::VisitDType<ref::kFloatTypes>(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data_as<T>();
    const T* ps = scale.data_as<T>();
    const T* pb = has_bias ? inputs[2].data_as<T>() : nullptr;
    T* py = y.data_as<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t base = r * n;
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += Load(px, base + j);
      double mean = sum / static_cast<double>(n);
      double sq = 0;
      for (int64_t j = 0; j < n; ++j) {
        double d = Load(px, base + j) - mean;
        sq += d * d;
      }
      double inv_std = 1.0 / std::sqrt(sq / static_cast<double>(n) + epsilon);
      for (int64_t j = 0; j < n; ++j) {
        double v = (Load(px, base + j) - mean) * inv_std;
        v *= Load(ps, ref::BroadcastOffset(j, scale.shape, norm_shape));
        if (pb) v += Load(pb, ref::BroadcastOffset(j, inputs[2].shape, norm_shape));
        Store(py, base + j, static_cast<ComputeT<T>>(v));
      }
      if (want_mean) StoreStat(outputs[1], r, mean);
      if (want_inv) StoreStat(outputs[2], r, inv_std);
    }
  });
  if (!ok) return ref::UnsupportedDType(node, x.dtype);
  return Status::Ok();
}

// BatchNormalization over X of shape [N, C, D1, ...] with per-channel scale, B, mean and var.
// Inference mode uses the given statistics. With training_mode = 1 it normalizes with the batch
// statistics and writes the updated running mean / var to the optional outputs 1 and 2.
Status RefBatchNormalization(const Node& node, std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(ref::CheckArity(node, inputs, outputs, 5, 1));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (x.rank() < 2) return ref::NodeInvalid(node, "X must have rank >= 2");
  int64_t batch = x.shape[0], channels = x.shape[1];
  int64_t spatial = Product(x.shape.subspan(2));
  if (y.dtype != x.dtype || y.numel() != x.numel())
    return ref::NodeInvalid(node, "output 0 differs from input in dtype or shape");
  for (size_t i = 1; i < 5; ++i) {
    if (inputs[i].dtype != x.dtype && !(i >= 3 && inputs[i].dtype == DType::kF32)) {
      return ref::NodeInvalid(node, "input " + std::to_string(i) + " has dtype " +
                                        std::string(DTypeName(inputs[i].dtype)));
    }
    if (inputs[i].numel() != channels) {
      return ref::NodeInvalid(node, "input " + std::to_string(i) + " of shape " +
                                        ShapeToString(inputs[i].shape) + " must hold " +
                                        std::to_string(channels) + " channels");
    }
  }
  bool training = node.attrs.GetInt("training_mode", 0) != 0;
  double epsilon = node.attrs.GetFloat("epsilon", 1e-5f);
  double momentum = node.attrs.GetFloat("momentum", 0.9f);
  for (size_t i = 1; i < 3; ++i) {
    if (training && Present(outputs, i))
      SL_RETURN_IF_ERROR(CheckStatOutput(node, outputs[i], channels, "running statistics"));
  }
  auto param = [](const TensorView& t, int64_t c) -> double {
    double v = 0;
    ref::VisitDType<ref::kFloatTypes>(t.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      v = Load(t.data_as<T>(), c);
    });
    return v;
  };
  bool ok = ref::VisitDType<ref::kFloatTypes>(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data_as<T>();
    T* py = y.data_as<T>();
    for (int64_t c = 0; c < channels; ++c) {
      double mean = param(inputs[3], c);
      double var = param(inputs[4], c);
      if (training) {
        double count = static_cast<double>(batch * spatial);
        double sum = 0, sq = 0;
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t s = 0; s < spatial; ++s) sum += Load(px, (b * channels + c) * spatial + s);
        double batch_mean = sum / count;
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t s = 0; s < spatial; ++s) {
            double d = Load(px, (b * channels + c) * spatial + s) - batch_mean;
            sq += d * d;
          }
        }
        double batch_var = sq / count;
        if (Present(outputs, 1))
          StoreStat(outputs[1], c, mean * momentum + batch_mean * (1 - momentum));
        if (Present(outputs, 2))
          StoreStat(outputs[2], c, var * momentum + batch_var * (1 - momentum));
        mean = batch_mean;
        var = batch_var;
      }
      double mul = param(inputs[1], c) / std::sqrt(var + epsilon);
      double add = param(inputs[2], c) - mean * mul;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t s = 0; s < spatial; ++s) {
          int64_t i = (b * channels + c) * spatial + s;
          Store(py, i, static_cast<ComputeT<T>>(Load(px, i) * mul + add));
        }
      }
    }
  });
  if (!ok) return ref::UnsupportedDType(node, x.dtype);
  return Status::Ok();
}

}  // namespace sl

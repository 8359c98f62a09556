// Reference Conv (1D/2D/3D, float32): a plain direct loop, the oracle for the optimized kernels.
//
// For every output element y[n, m, o...] with group g = m / (M / group):
//   1. start from the bias B[m] (0 without bias);
//   2. for each input channel c of the group and each kernel position k..., read
//      x[n, g * C/group + c, o * stride - pad_begin + k * dilation] when inside the input (the
//      padding contributes zeros) and add its product with W[m, c, k...];
//   3. apply the fused activation ("_act").
// Sums are accumulated in double. Nothing is allocated.
#include <string>

#include "graph/infer_st_window.h"
#include "kernels/ref/activation_util.h"
#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

Status ConvError(const Node& node, const std::string& message) {
  return InvalidArgument("node '" + node.name + "' (Conv): " + message);
}

}  // namespace

Status RefConv(const Node& node, std::span<const TensorView> inputs,
               std::span<const TensorView> outputs) {
  if (inputs.size() < 2 || outputs.empty()) return ConvError(node, "expects X, W and one output");
  const TensorView& x = inputs[0];
  const TensorView& w = inputs[1];
  const TensorView* b = inputs.size() > 2 && inputs[2].data != nullptr ? &inputs[2] : nullptr;
  const TensorView& y = outputs[0];
  if (x.dtype != DType::kF32 || w.dtype != DType::kF32 || y.dtype != DType::kF32 ||
      (b != nullptr && b->dtype != DType::kF32)) {
    return Unsupported("node '" + node.name + "' (Conv): reference kernel supports float32 only, " +
                       "got X " + std::string(DTypeName(x.dtype)));
  }
  const int rank = x.rank();
  if (rank < 3 || w.rank() != rank || y.rank() != rank)
    return ConvError(node, "X " + ShapeToString(x.shape) + " and W " + ShapeToString(w.shape) +
                               " need equal ranks >= 3");
  const int64_t group = AttrInt(node.attrs, "group", 1);
  const int64_t batch = x.dim(0), channels = x.dim(1), out_channels = w.dim(0);
  if (group <= 0 || channels != w.dim(1) * group || out_channels % group != 0)
    return ConvError(node, "channels of X " + ShapeToString(x.shape) + " and W " +
                               ShapeToString(w.shape) + " do not match group " +
                               std::to_string(group));
  if (b != nullptr && b->numel() != out_channels)
    return ConvError(node, "bias " + ShapeToString(b->shape) + " needs one value per channel");
  Result<WindowGeometry> geo =
      ComputeWindowGeometry(node.attrs, x.shape.subspan(2), w.shape.subspan(2), false);
  if (!geo.ok()) return geo.status().WithContext("node '" + node.name + "' (Conv)");
  const WindowGeometry& g = *geo;
  bool shape_ok = y.dim(0) == batch && y.dim(1) == out_channels;
  for (int i = 0; i < g.rank; ++i) shape_ok = shape_ok && y.dim(2 + i) == g[i].out;
  if (!shape_ok) return ConvError(node, "output shape " + ShapeToString(y.shape) + " is wrong");
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(node));

  const int64_t in_size = NumElements(x.shape.subspan(2));
  const int64_t out_size = NumElements(y.shape.subspan(2));
  const int64_t kernel_size = NumElements(w.shape.subspan(2));
  const int64_t group_in = channels / group;
  const int64_t group_out = out_channels / group;
  const float* xd = x.data_as<const float>();
  const float* wd = w.data_as<const float>();
  float* yd = y.data_as<float>();

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t first_channel = (m / group_out) * group_in;
      for (int64_t o = 0; o < out_size; ++o) {
        double acc = b != nullptr ? b->data_as<const float>()[m] : 0.0;
        ref::ForEachTap(g, o, kernel_size, [&](int64_t k, int64_t in_index, bool inside, bool) {
          if (!inside) return;
          for (int64_t c = 0; c < group_in; ++c) {
            const float xv = xd[(n * channels + first_channel + c) * in_size + in_index];
            const float wv = wd[(m * group_in + c) * kernel_size + k];
            acc += static_cast<double>(xv) * wv;
          }
        });
        yd[(n * out_channels + m) * out_size + o] = act.Apply(static_cast<float>(acc));
      }
    }
  }
  return Status::Ok();
}

}  // namespace sl

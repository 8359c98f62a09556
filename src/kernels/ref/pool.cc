// Reference pooling: MaxPool (float32, uint8, int8), AveragePool, GlobalAveragePool and
// GlobalMaxPool (float32). Window geometry (pads, auto_pad, dilations, ceil_mode) comes from
// graph/infer_st_window.h so the kernels agree with shape inference. Nothing is allocated.
//
// AveragePool divides by the number of taps inside the input, or with count_include_pad by the
// number of taps inside the padded input (taps that ceil_mode adds past the end padding never
// count), as PyTorch and the ONNX reference do.
#include <limits>
#include <string>

#include "graph/infer_st_window.h"
#include "kernels/ref/ref.h"
#include "kernels/ref/ref_util.h"

namespace sl {

namespace {

Status PoolError(const Node& node, const char* op, const std::string& message) {
  return InvalidArgument("node '" + node.name + "' (" + op + "): " + message);
}

Status CheckPoolShapes(const Node& node, const char* op, std::span<const TensorView> inputs,
                       std::span<const TensorView> outputs) {
  if (inputs.empty() || outputs.empty()) return PoolError(node, op, "expects X and Y");
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (x.rank() < 3 || y.rank() != x.rank() || y.dim(0) != x.dim(0) || y.dim(1) != x.dim(1)) {
    return PoolError(node, op,
                     "X " + ShapeToString(x.shape) + " and Y " + ShapeToString(y.shape) +
                         " need equal ranks >= 3 and equal N, C");
  }
  if (y.dtype != x.dtype) return PoolError(node, op, "X and Y differ in dtype");
  return Status::Ok();
}

Result<WindowGeometry> Geometry(const Node& node, const char* op, const TensorView& x,
                                const TensorView& y) {
  Result<WindowGeometry> g = ComputeWindowGeometry(node.attrs, x.shape.subspan(2), {}, true);
  if (!g.ok()) return g.status().WithContext("node '" + node.name + "' (" + op + ")");
  for (int i = 0; i < g->rank; ++i) {
    if (y.dim(2 + i) != (*g)[i].out)
      return PoolError(node, op, "output shape " + ShapeToString(y.shape) + " is wrong");
  }
  return g;
}

int64_t KernelSize(const WindowGeometry& g) {
  int64_t size = 1;
  for (int i = 0; i < g.rank; ++i) size *= g[i].kernel;
  return size;
}

// `indices` (optional, int64, y's shape) receives the flat NCHW input index of each maximum
// (the first one on ties, -1 for a window holding only padding); with `column_major` the spatial
// part of the index is column-major (storage_order = 1).
// Row-major spatial index -> column-major (storage_order = 1: the first spatial dim varies
// fastest).
int64_t ColumnMajor(const WindowGeometry& g, int64_t row_major) {
  int64_t col = 0, stride = 1;
  for (int i = 0; i < g.rank; ++i) {
    int64_t inner = 1;
    for (int j = i + 1; j < g.rank; ++j) inner *= g[j].in;
    col += (row_major / inner % g[i].in) * stride;
    stride *= g[i].in;
  }
  return col;
}

// Sizes of a pooling over X [N, C, spatial...] into Y: N * C planes, the elements of one input
// and one output plane, and the taps of one window.
struct PlaneSizes {
  int64_t planes, in_size, out_size, kernel_size;
};
PlaneSizes PoolSizes(const TensorView& x, const TensorView& y, const WindowGeometry& g) {
  return {x.dim(0) * x.dim(1), NumElements(x.shape.subspan(2)), NumElements(y.shape.subspan(2)),
          KernelSize(g)};
}

template <typename T>
void MaxPoolTyped(const TensorView& x, const TensorView& y, const TensorView* indices,
                  bool column_major, const WindowGeometry& g) {
  const auto [planes, in_size, out_size, kernel_size] = PoolSizes(x, y, g);
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x.data_as<const T>() + p * in_size;
    T* yp = y.data_as<T>() + p * out_size;
    for (int64_t o = 0; o < out_size; ++o) {
      T best = std::numeric_limits<T>::lowest();
      if constexpr (std::numeric_limits<T>::has_infinity)
        best = -std::numeric_limits<T>::infinity();
      int64_t best_index = -1;
      ref::ForEachTap(g, o, kernel_size, [&](int64_t, int64_t i, bool inside, bool) {
        if (inside && (best_index < 0 || xp[i] > best)) {
          best = xp[i];
          best_index = i;
        }
      });
      yp[o] = best;
      if (indices != nullptr) {
        indices->data_as<int64_t>()[p * out_size + o] =
            best_index < 0 ? -1
                           : p * in_size + (column_major ? ColumnMajor(g, best_index) : best_index);
      }
    }
  }
}

}  // namespace

Status RefMaxPool(const Node& node, std::span<const TensorView> inputs,
                  std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(CheckPoolShapes(node, "MaxPool", inputs, outputs));
  const bool column_major = AttrInt(node.attrs, "storage_order", 0) != 0;
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  const TensorView* indices =
      outputs.size() > 1 && outputs[1].data != nullptr ? &outputs[1] : nullptr;
  if (indices != nullptr && (indices->dtype != DType::kI64 || indices->numel() != y.numel()))
    return PoolError(node, "MaxPool", "Indices must be int64 with the shape of Y");
  SL_ASSIGN_OR_RETURN(WindowGeometry g, Geometry(node, "MaxPool", x, y));
  switch (x.dtype) {
    case DType::kF32:
      MaxPoolTyped<float>(x, y, indices, column_major, g);
      return Status::Ok();
    case DType::kU8:
      MaxPoolTyped<uint8_t>(x, y, indices, column_major, g);
      return Status::Ok();
    case DType::kI8:
      MaxPoolTyped<int8_t>(x, y, indices, column_major, g);
      return Status::Ok();
    default:
      return Unsupported("node '" + node.name + "' (MaxPool): reference kernel does not support " +
                         std::string(DTypeName(x.dtype)));
  }
}

Status RefAveragePool(const Node& node, std::span<const TensorView> inputs,
                      std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(CheckPoolShapes(node, "AveragePool", inputs, outputs));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (x.dtype != DType::kF32)
    return Unsupported("node '" + node.name +
                       "' (AveragePool): reference kernel supports float32 "
                       "only, got " +
                       std::string(DTypeName(x.dtype)));
  SL_ASSIGN_OR_RETURN(WindowGeometry g, Geometry(node, "AveragePool", x, y));
  const bool include_pad = AttrInt(node.attrs, "count_include_pad", 0) != 0;
  const auto [planes, in_size, out_size, kernel_size] = PoolSizes(x, y, g);
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x.data_as<const float>() + p * in_size;
    float* yp = y.data_as<float>() + p * out_size;
    for (int64_t o = 0; o < out_size; ++o) {
      double sum = 0;
      int64_t count = 0;
      ref::ForEachTap(g, o, kernel_size, [&](int64_t, int64_t i, bool inside, bool inside_padded) {
        if (inside) sum += xp[i];
        if (include_pad ? inside_padded : inside) ++count;
      });
      yp[o] = count > 0 ? static_cast<float>(sum / count) : 0.f;
    }
  }
  return Status::Ok();
}

namespace {

Status GlobalPool(const Node& node, const char* op, bool average,
                  std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  SL_RETURN_IF_ERROR(CheckPoolShapes(node, op, inputs, outputs));
  const TensorView& x = inputs[0];
  const TensorView& y = outputs[0];
  if (x.dtype != DType::kF32) {
    return Unsupported("node '" + node.name + "' (" + op +
                       "): reference kernel supports float32 only");
  }
  if (NumElements(y.shape.subspan(2)) != 1)
    return PoolError(node, op, "output shape " + ShapeToString(y.shape) + " is wrong");
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = NumElements(x.shape.subspan(2));
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x.data_as<const float>() + p * size;
    double sum = 0;
    float best = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < size; ++i) {
      sum += xp[i];
      if (xp[i] > best) best = xp[i];
    }
    y.data_as<float>()[p] = average ? static_cast<float>(sum / static_cast<double>(size)) : best;
  }
  return Status::Ok();
}

}  // namespace

Status RefGlobalAveragePool(const Node& node, std::span<const TensorView> inputs,
                            std::span<const TensorView> outputs) {
  return GlobalPool(node, "GlobalAveragePool", true, inputs, outputs);
}

Status RefGlobalMaxPool(const Node& node, std::span<const TensorView> inputs,
                        std::span<const TensorView> outputs) {
  return GlobalPool(node, "GlobalMaxPool", false, inputs, outputs);
}

}  // namespace sl

// ParseQuantNode: validation and geometry of a quantized Conv / Gemm / MatMul (quant.h).
#include <cmath>
#include <string>

#include "kernels/quant/quant.h"
#include "kernels/ref/ref_util.h"

namespace sl {
namespace {

bool Present(std::span<const TensorView> v, size_t i) {
  return i < v.size() && v[i].dtype != DType::kUndefined;
}

Status ResolveConv(const Node& node, const TensorView& x, const TensorView& w, const TensorView& y,
                   QuantNodeSpec& s) {
  const int rank = x.rank();
  if (rank != 3 && rank != 4) {
    return ref::NodeUnsupported(
        node, "quantized Conv runs 1-D and 2-D only, X has rank " + std::to_string(rank));
  }
  if (w.rank() != rank || y.rank() != rank) {
    return ref::NodeInvalid(node, "W and Y must have the rank of X");
  }
  const std::string auto_pad(AttrString(node.attrs, "auto_pad"));
  if (!auto_pad.empty() && auto_pad != "NOTSET") {
    return ref::NodeUnsupported(node, "quantized Conv with auto_pad " + auto_pad);
  }
  const int spatial = rank - 2;
  const std::vector<int64_t> ones(spatial, 1);
  const auto strides = node.attrs.GetInts("strides", ones);
  const auto dilations = node.attrs.GetInts("dilations", ones);
  const auto pads = node.attrs.GetInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (static_cast<int>(strides.size()) != spatial ||
      static_cast<int>(dilations.size()) != spatial ||
      static_cast<int>(pads.size()) != 2 * spatial) {
    return ref::NodeInvalid(node, "strides/dilations/pads have the wrong length");
  }
  QuantConvGeometry& g = s.conv;
  g.batch = x.dim(0);
  g.in_channels = x.dim(1);
  g.out_channels = w.dim(0);
  g.groups = node.attrs.GetInt("group", 1);
  if (g.groups <= 0 || g.in_channels % g.groups != 0 || g.out_channels % g.groups != 0 ||
      w.dim(1) * g.groups != g.in_channels) {
    return ref::NodeInvalid(node, "channels " + std::to_string(g.in_channels) + " and W " +
                                      ShapeToString(w.shape) + " do not match group " +
                                      std::to_string(g.groups));
  }
  const int h = spatial == 2 ? 0 : -1;  // index of the height axis among the spatial ones
  const int wd = spatial - 1;
  auto axis = [&](int i, int64_t& in, int64_t& out, int64_t& k, int64_t& stride, int64_t& dil,
                  int64_t& pad_begin, int64_t& pad_end) -> Status {
    in = x.dim(2 + i), out = y.dim(2 + i), k = w.dim(2 + i), stride = strides[i];
    dil = dilations[i], pad_begin = pads[i], pad_end = pads[i + spatial];
    if (stride <= 0 || dil <= 0 || pad_begin < 0 || pad_end < 0 || k <= 0) {
      return ref::NodeInvalid(node, "non-positive stride/dilation/kernel or negative pad");
    }
    const int64_t extent = (k - 1) * dil + 1, padded = in + pad_begin + pad_end;
    const int64_t expected = padded < extent ? -1 : (padded - extent) / stride + 1;
    if (expected != out) {
      return ref::NodeInvalid(node, "output shape " + ShapeToString(y.shape) +
                                        " does not follow from X, W and the attributes");
    }
    return Status::Ok();
  };
  if (h >= 0) {
    SL_RETURN_IF_ERROR(
        axis(h, g.in_h, g.out_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, g.pad_bottom));
  }
  SL_RETURN_IF_ERROR(
      axis(wd, g.in_w, g.out_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, g.pad_right));
  if (y.dim(0) != g.batch || y.dim(1) != g.out_channels) {
    return ref::NodeInvalid(node,
                            "output shape " + ShapeToString(y.shape) + " does not match X and W");
  }
  s.out_channels = g.out_channels;
  return Status::Ok();
}

Status ResolveMatMul(const Node& node, const TensorView& x, const TensorView& w,
                     const TensorView& y, QuantNodeSpec& s) {
  if (w.rank() != 2) return ref::NodeInvalid(node, "quantized weight must be 2-D");
  if (s.op == OpType::kGemm) {
    if (node.attrs.GetInt("transA", 0) != 0 || node.attrs.GetFloat("alpha", 1.f) != 1.f ||
        node.attrs.GetFloat("beta", 1.f) != 1.f) {
      return ref::NodeUnsupported(node, "quantized Gemm needs transA = 0, alpha = beta = 1");
    }
    if (x.rank() != 2) return ref::NodeInvalid(node, "Gemm A must be 2-D");
    s.trans_w = node.attrs.GetInt("transB", 0) != 0;
  } else if (x.rank() < 2) {
    return ref::NodeUnsupported(node, "quantized MatMul needs A of rank >= 2");
  }
  s.k = x.dim(-1);
  s.rows = NumElements(x.shape.first(x.rank() - 1));
  const int64_t wk = s.trans_w ? w.dim(1) : w.dim(0);
  s.out_channels = s.trans_w ? w.dim(0) : w.dim(1);
  if (wk != s.k) {
    return ref::NodeInvalid(node, "A " + ShapeToString(x.shape) + " and W " +
                                      ShapeToString(w.shape) + " disagree on K");
  }
  if (y.rank() != x.rank() || y.dim(-1) != s.out_channels ||
      NumElements(y.shape) != s.rows * s.out_channels) {
    return ref::NodeInvalid(node,
                            "output shape " + ShapeToString(y.shape) + " does not match A and W");
  }
  return Status::Ok();
}

}  // namespace

bool IsQuantizedNode(const Node& node) { return node.attrs.Has("_qx_scale"); }

Result<QuantNodeSpec> ParseQuantNode(const Node& node, std::span<const TensorView> inputs,
                                     std::span<const TensorView> outputs) {
  QuantNodeSpec s;
  s.op = node.op;
  if (s.op != OpType::kConv && s.op != OpType::kGemm && s.op != OpType::kMatMul) {
    return ref::NodeInvalid(node, "only Conv, Gemm and MatMul can be quantized");
  }
  if (!Present(inputs, 0) || !Present(inputs, 1) || !Present(inputs, 3) || outputs.empty()) {
    return ref::NodeInvalid(node, "quantized node needs x, W, weight scale (input 3) and Y");
  }
  const TensorView &x = inputs[0], &w = inputs[1], &w_scale = inputs[3], &y = outputs[0];
  if (x.dtype != DType::kF32 || y.dtype != DType::kF32 || w.dtype != DType::kI8 ||
      w_scale.dtype != DType::kF32) {
    return ref::NodeInvalid(node, "quantized node needs float32 x and Y, int8 W, float32 scale");
  }
  s.x.scale = AttrFloat(node.attrs, "_qx_scale", 0.f);
  if (!(s.x.scale > 0.f) || !std::isfinite(s.x.scale)) {
    return ref::NodeInvalid(
        node, "_qx_scale must be positive and finite, got " + std::to_string(s.x.scale));
  }
  const std::string dtype(AttrString(node.attrs, "_qx_dtype"));
  if (dtype != "int8" && dtype != "uint8") {
    return ref::NodeInvalid(node, "_qx_dtype must be int8 or uint8, got '" + dtype + "'");
  }
  s.x.is_signed = dtype == "int8";
  const int64_t zp = node.attrs.GetInt("_qx_zero_point", 0);
  if (zp < s.x.lowest() || zp > s.x.highest()) {
    return ref::NodeInvalid(node, "_qx_zero_point " + std::to_string(zp) + " is outside " + dtype);
  }
  s.x.zero_point = static_cast<int32_t>(zp);
  SL_ASSIGN_OR_RETURN(s.act, FusedActivation::FromNode(node));
  if (s.op == OpType::kConv) {
    SL_RETURN_IF_ERROR(ResolveConv(node, x, w, y, s));
  } else {
    SL_RETURN_IF_ERROR(ResolveMatMul(node, x, w, y, s));
  }
  s.num_w_scales = w_scale.numel();
  if (s.num_w_scales != 1 && s.num_w_scales != s.out_channels) {
    return ref::NodeInvalid(node, "weight scale has " + std::to_string(s.num_w_scales) +
                                      " values; expected 1 or " + std::to_string(s.out_channels));
  }
  s.has_bias = Present(inputs, 2);
  if (s.has_bias && (inputs[2].dtype != DType::kF32 || inputs[2].numel() != s.out_channels)) {
    return ref::NodeInvalid(
        node, "bias must be float32 with " + std::to_string(s.out_channels) + " values");
  }
  return s;
}

}  // namespace sl

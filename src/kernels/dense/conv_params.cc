#include "kernels/dense/conv_params.h"

#include <algorithm>
#include <string>

#include "kernels/dense/onednn_common.h"

namespace sl::dense {
namespace {

// One spatial axis: inputs in, kernel, stride, dilation, explicit pads; resolved pads and out.
struct Axis {
  int64_t in, kernel, stride, dilation, pad_begin, pad_end, out;
};

Status ResolveAxis(const std::string& auto_pad, Axis& a) {
  const int64_t extent = (a.kernel - 1) * a.dilation + 1;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    a.out = (a.in + a.stride - 1) / a.stride;
    const int64_t total = std::max<int64_t>(0, (a.out - 1) * a.stride + extent - a.in);
    a.pad_begin = auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
    a.pad_end = total - a.pad_begin;
    return Status::Ok();
  }
  if (auto_pad == "VALID") {
    a.pad_begin = a.pad_end = 0;
  } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
    return InvalidArgument("unknown auto_pad '" + auto_pad + "'");
  }
  const int64_t padded = a.in + a.pad_begin + a.pad_end;
  if (padded < extent) return InvalidArgument("kernel extent exceeds the padded input");
  a.out = (padded - extent) / a.stride + 1;
  return Status::Ok();
}

}  // namespace

Result<ConvParams> ResolveConvParams(const KernelRequest& req) {
  const std::string where = DescribeNode(req);
  if (req.node.inputs.size() < 2 || !req.has_input(0) || !req.has_input(1) ||
      req.node.outputs.empty()) {
    return InvalidArgument(where + ": Conv needs X, W and an output");
  }
  const Value& x = req.input(0);
  const Value& w = req.input(1);
  const bool has_bias = req.has_input(2);
  if (x.dtype != DType::kF32 || w.dtype != DType::kF32 || req.output(0).dtype != DType::kF32 ||
      (has_bias && req.input(2).dtype != DType::kF32)) {
    return Unsupported(where + ": dense Conv runs float32 only");
  }
  if (!w.is_constant()) return Unsupported(where + ": dense Conv needs constant weights");
  const int rank = static_cast<int>(x.shape.size());
  if (rank != 3 && rank != 4) {
    return Unsupported(where + ": dense Conv runs 1-D and 2-D only, X has rank " +
                       std::to_string(rank));
  }
  if (static_cast<int>(w.shape.size()) != rank) {
    return InvalidArgument(where + ": W rank differs from X rank");
  }
  for (int64_t d : x.shape) {
    if (d <= 0) return Unsupported(where + ": X has an unbound or empty dim");
  }
  const int spatial = rank - 2;
  const Attributes& at = req.node.attrs;
  ConvParams p;
  p.is_1d = rank == 3;
  p.has_bias = has_bias;
  p.batch = x.shape[0];
  p.in_channels = x.shape[1];
  p.out_channels = w.shape[0];
  p.groups = at.GetInt("group", 1);
  if (p.groups <= 0 || p.in_channels % p.groups != 0 || p.out_channels % p.groups != 0 ||
      w.shape[1] * p.groups != p.in_channels) {
    return InvalidArgument(where + ": channels " + std::to_string(p.in_channels) + " and W " +
                           ShapeToString(w.shape) + " do not match group " +
                           std::to_string(p.groups));
  }
  if (has_bias && NumElements(req.input(2).shape) != p.out_channels) {
    return InvalidArgument(where + ": bias must have " + std::to_string(p.out_channels) +
                           " values");
  }
  const std::vector<int64_t> ones(spatial, 1);
  const std::vector<int64_t> strides = at.GetInts("strides", ones);
  const std::vector<int64_t> dilations = at.GetInts("dilations", ones);
  const std::vector<int64_t> pads = at.GetInts("pads", std::vector<int64_t>(2 * spatial, 0));
  const std::vector<int64_t> kernel =
      at.GetInts("kernel_shape", {w.shape.begin() + 2, w.shape.end()});
  if (static_cast<int>(strides.size()) != spatial ||
      static_cast<int>(dilations.size()) != spatial ||
      static_cast<int>(pads.size()) != 2 * spatial || static_cast<int>(kernel.size()) != spatial) {
    return InvalidArgument(where + ": strides/dilations/pads/kernel_shape have the wrong length");
  }
  std::vector<Axis> axes(spatial);
  for (int i = 0; i < spatial; ++i) {
    if (kernel[i] != w.shape[2 + i])
      return InvalidArgument(where + ": kernel_shape differs from W");
    if (strides[i] <= 0 || dilations[i] <= 0 || pads[i] < 0 || pads[i + spatial] < 0 ||
        kernel[i] <= 0) {
      return InvalidArgument(where + ": non-positive stride/dilation/kernel or negative pad");
    }
    axes[i] = {x.shape[2 + i], kernel[i], strides[i], dilations[i], pads[i], pads[i + spatial], 0};
    SL_RETURN_IF_ERROR(ResolveAxis(at.GetString("auto_pad", "NOTSET"), axes[i]).WithContext(where));
  }
  const Axis unit{1, 1, 1, 1, 0, 0, 1};
  const Axis& h = p.is_1d ? unit : axes[0];
  const Axis& wd = axes[spatial - 1];
  p.in_h = h.in, p.kernel_h = h.kernel, p.stride_h = h.stride, p.dilation_h = h.dilation;
  p.pad_top = h.pad_begin, p.pad_bottom = h.pad_end, p.out_h = h.out;
  p.in_w = wd.in, p.kernel_w = wd.kernel, p.stride_w = wd.stride, p.dilation_w = wd.dilation;
  p.pad_left = wd.pad_begin, p.pad_right = wd.pad_end, p.out_w = wd.out;

  Shape expected = {p.batch, p.out_channels};
  for (const Axis& a : axes) expected.push_back(a.out);
  if (req.output(0).shape != expected) {
    return InvalidArgument(where + ": output shape " + ShapeToString(req.output(0).shape) +
                           " differs from the computed " + ShapeToString(expected));
  }
  return p;
}

}  // namespace sl::dense

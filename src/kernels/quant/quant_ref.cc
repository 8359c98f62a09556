// RefQuantized: the oracle of the quantized Conv / Gemm / MatMul (quant.h, steps 1-3), plain loops.
// The activation is quantized element by element where it is read, so nothing is allocated.
#include "kernels/quant/quant.h"

namespace sl {
namespace {

// Step 3 for one output element.
float Dequantize(int32_t acc, const QuantNodeSpec& s, const float* w_scale, const float* bias,
                 int64_t oc) {
  const float scale = s.x.scale * w_scale[s.num_w_scales == 1 ? 0 : oc];
  const float y = static_cast<float>(acc) * scale + (bias ? bias[oc] : 0.f);
  return s.act.Apply(y);
}

void RefConv(const QuantNodeSpec& s, const float* x, const int8_t* w, const float* w_scale,
             const float* bias, float* y) {
  const QuantConvGeometry& g = s.conv;
  const int64_t ic_per_group = g.in_channels / g.groups;
  const int64_t oc_per_group = g.out_channels / g.groups;
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oc = 0; oc < g.out_channels; ++oc) {
      const int64_t group = oc / oc_per_group;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          int32_t acc = 0;
          for (int64_t icg = 0; icg < ic_per_group; ++icg) {
            const int64_t ic = group * ic_per_group + icg;
            for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
              const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
              if (ih < 0 || ih >= g.in_h) continue;  // padding: (zero point - zero point) * w
              for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
                if (iw < 0 || iw >= g.in_w) continue;
                const float xv = x[((n * g.in_channels + ic) * g.in_h + ih) * g.in_w + iw];
                const int32_t xq = QuantizeValue(xv, s.x) - s.x.zero_point;
                const int8_t wv =
                    w[((oc * ic_per_group + icg) * g.kernel_h + kh) * g.kernel_w + kw];
                acc += xq * static_cast<int32_t>(wv);
              }
            }
          }
          y[((n * g.out_channels + oc) * g.out_h + oh) * g.out_w + ow] =
              Dequantize(acc, s, w_scale, bias, oc);
        }
      }
    }
  }
}

void RefMatMul(const QuantNodeSpec& s, const float* x, const int8_t* w, const float* w_scale,
               const float* bias, float* y) {
  const int64_t n_cols = s.out_channels;
  for (int64_t r = 0; r < s.rows; ++r) {
    for (int64_t c = 0; c < n_cols; ++c) {
      int32_t acc = 0;
      for (int64_t k = 0; k < s.k; ++k) {
        const int32_t xq = QuantizeValue(x[r * s.k + k], s.x) - s.x.zero_point;
        const int8_t wv = s.trans_w ? w[c * s.k + k] : w[k * n_cols + c];
        acc += xq * static_cast<int32_t>(wv);
      }
      y[r * n_cols + c] = Dequantize(acc, s, w_scale, bias, c);
    }
  }
}

}  // namespace

Status RefQuantized(const Node& node, std::span<const TensorView> inputs,
                    std::span<const TensorView> outputs) {
  SL_ASSIGN_OR_RETURN(const QuantNodeSpec s, ParseQuantNode(node, inputs, outputs));
  const float* x = inputs[0].data_as<const float>();
  const int8_t* w = inputs[1].data_as<const int8_t>();
  const float* w_scale = inputs[3].data_as<const float>();
  const float* bias = s.has_bias ? inputs[2].data_as<const float>() : nullptr;
  float* y = outputs[0].data_as<float>();
  if ((x == nullptr && inputs[0].numel() > 0) || w == nullptr || w_scale == nullptr ||
      (s.has_bias && bias == nullptr) || (y == nullptr && outputs[0].numel() > 0)) {
    return InvalidArgument("node '" + node.name + "': quantized node is missing tensor data");
  }
  if (s.op == OpType::kConv) {
    RefConv(s, x, w, w_scale, bias, y);
  } else {
    RefMatMul(s, x, w, w_scale, bias, y);
  }
  return Status::Ok();
}

}  // namespace sl

// Pools over channel-blocked inputs (kernels/cpu/pool_blocked.cc) against the reference kernels:
// the cases of fast_pool_test.cc with odd channel counts, blocks of 8 and 16, outputs blocked or
// plain, outputs pre-filled with NaN, and the padded channels of blocked outputs zero.
#include <gtest/gtest.h>

#include <cmath>

#include "fast_test_util.h"
#include "kernels/cpu/cpu_kernels.h"

namespace sl {
namespace {

using fasttest::ExpectClose;
using fasttest::OneNode;

// [N, C, H, W] -> [N, ceil(C/B), H, W, B] with zero padding (or NaN, to check it is not read).
std::vector<float> ToBlocked(const Tensor& t, int block, float pad) {
  const Shape& s = t.shape();
  const int64_t cb = (s[1] + block - 1) / block, plane = s[2] * s[3];
  std::vector<float> out(static_cast<size_t>(s[0] * cb * plane * block), pad);
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t p = 0; p < plane; ++p)
        out[((n * cb + c / block) * plane + p) * block + c % block] =
            t.data<float>()[(n * s[1] + c) * plane + p];
  return out;
}

// The inverse; fails the test if a padded channel is not zero.
Tensor FromBlocked(const std::vector<float>& b, const Shape& s, int block,
                   const std::string& what) {
  Tensor t(DType::kF32, s);
  const int64_t cb = (s[1] + block - 1) / block, plane = s[2] * s[3];
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < cb * block; ++c)
      for (int64_t p = 0; p < plane; ++p) {
        const float v = b[((n * cb + c / block) * plane + p) * block + c % block];
        if (c < s[1]) {
          t.data<float>()[(n * s[1] + c) * plane + p] = v;
        } else if (v != 0.f) {
          ADD_FAILURE() << what << ": padded channel " << c << " holds " << v;
          return t;
        }
      }
  return t;
}

void CheckBlocked(OneNode& t, const std::string& what) {
  ASSERT_TRUE(t.infer_status().ok()) << what;
  const Tensor want = t.Run(nullptr, 1)[0];
  const Shape& ys = t.graph().values[t.node().outputs[0]].shape;
  for (int block : {8, 16}) {
    for (bool out_blocked : {false, true}) {
      KernelRequest req = t.request(2);
      req.channel_block = block;
      req.blocked_inputs = 1;
      req.blocked_outputs = out_blocked ? 1 : 0;
      auto k = CreateCpuKernel(req);
      ASSERT_TRUE(k.ok()) << what << ": " << k.status().message();
      EXPECT_NE((*k)->name().find("blocked"), std::string::npos) << (*k)->name();
      std::vector<float> x = ToBlocked(t.input(0), block, NAN);  // padding never read
      std::vector<float> y(static_cast<size_t>(out_blocked ? ys[0] * ((ys[1] + block - 1) / block) *
                                                                 block * ys[2] * ys[3]
                                                           : NumElements(ys)),
                           NAN);
      const std::string where =
          what + " block " + std::to_string(block) + (out_blocked ? " blocked out" : " plain out");
      for (int threads : {1, 2}) {
        std::fill(y.begin(), y.end(), NAN);
        const TensorView in{DType::kF32, t.input(0).shape(), x.data()};
        const TensorView out{DType::kF32, ys, y.data()};
        std::unique_ptr<KernelState> state = (*k)->CreateState();
        const Status s =
            (*k)->Execute({&in, 1}, {&out, 1}, ExecContext{threads, nullptr, state.get()});
        ASSERT_TRUE(s.ok()) << where << ": " << s.message();
        Tensor got(DType::kF32, ys);
        if (out_blocked) {
          got = FromBlocked(y, ys, block, where);
        } else {
          std::copy(y.begin(), y.end(), got.data<float>());
        }
        ExpectClose(got, want, where + " threads " + std::to_string(threads));
      }
    }
  }
}

struct Case {
  Shape x;
  std::vector<int64_t> kernel, strides, pads, dilations;
  int64_t ceil_mode = 0;
};

const Case kCases[] = {
    {{1, 20, 17, 15}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}},     // stem-like, odd channels
    {{2, 3, 9, 11}, {2, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}},       // fewer channels than a block
    {{1, 17, 10, 13}, {3, 2}, {2, 3}, {1, 0, 2, 1}, {1, 1}, 1},  // asymmetric pads, ceil_mode
    {{1, 9, 12, 12}, {3, 3}, {1, 2}, {2, 2, 2, 2}, {2, 2}},      // dilation
    {{1, 16, 5, 5}, {5, 5}, {1, 1}, {4, 4, 4, 4}, {1, 1}},       // windows of padding only
    {{1, 33, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}},
};

Attributes Attrs(const Case& c, bool include_pad) {
  Attributes a;
  a.Set("kernel_shape", c.kernel);
  a.Set("strides", c.strides);
  a.Set("pads", c.pads);
  a.Set("dilations", c.dilations);
  a.Set("ceil_mode", c.ceil_mode);
  if (include_pad) a.Set("count_include_pad", int64_t{1});
  return a;
}

TEST(FastPoolBlocked, MaxAndAveragePoolsMatchReference) {
  uint32_t seed = 200;
  for (const Case& c : kCases) {
    OneNode max(OpType::kMaxPool, {{c.x}}, Attrs(c, false), 1, seed++);
    CheckBlocked(max, "MaxPool " + ShapeToString(c.x));
    if (c.dilations[0] != 1) continue;  // AveragePool has no dilations before opset 19
    for (bool include_pad : {false, true}) {
      OneNode avg(OpType::kAveragePool, {{c.x}}, Attrs(c, include_pad), 1, seed++);
      CheckBlocked(avg, "AveragePool " + ShapeToString(c.x) + (include_pad ? " include_pad" : ""));
    }
  }
}

TEST(FastPoolBlocked, GlobalPoolsMatchReference) {
  uint32_t seed = 300;
  for (const Shape& x : {Shape{1, 20, 7, 7}, Shape{2, 3, 5, 4}, Shape{1, 32, 1, 1}}) {
    for (OpType op : {OpType::kGlobalAveragePool, OpType::kGlobalMaxPool}) {
      OneNode t(op, {{x}}, {}, 1, seed++);
      CheckBlocked(t, std::string(OpTypeName(op)) + " " + ShapeToString(x));
    }
  }
}

TEST(FastPoolBlocked, MaxPoolNaNFollowsReference) {
  OneNode t(OpType::kMaxPool, {{{1, 3, 6, 6}}}, Attrs(kCases[1], false));
  float* x = t.input(0).data<float>();
  x[0] = NAN;
  x[7] = NAN;
  x[40] = NAN;
  CheckBlocked(t, "MaxPool NaN");
}

}  // namespace
}  // namespace sl

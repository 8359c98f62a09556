// OpenCL C sources of the OpenCL backend's kernels, built once per backend into one program.
//
// Conventions shared with opencl_lower.cc:
//   - float32 math; 32-bit int indices (Prepare rejects tensors of 2^31 elements or more);
//   - `p` is a plan-owned int array of per-launch parameters (shapes, strides, offsets);
//   - `act`, `lo`, `hi` are the fused activation: 0 none, 1 Relu, 2 Clip to [lo, hi];
//   - every kernel checks its range, so the global size need not be padded.
#include "backend/opencl/opencl_lower.h"

namespace sl::opencl {

namespace {

constexpr const char* kCommonSource = R"CLC(
inline float apply_act(float v, int act, float lo, float hi) {
  if (act == 1) return v < 0.f ? 0.f : v;
  if (act == 2) {
    v = v < lo ? lo : v;
    return hi < v ? hi : v;
  }
  return v;
}

// Offset of flat output index i in operand `which` of a broadcast:
// p = [rank, dims[rank], strides of operand 0 [rank], strides of operand 1 [rank], ...].
inline int bcast_off(int i, __global const int* p, int which) {
  const int rank = p[0];
  __global const int* st = p + 1 + rank * (1 + which);
  int off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    const int dim = p[1 + d];
    off += (i % dim) * st[d];
    i /= dim;
  }
  return off;
}

// op: 0 Add, 1 Sub, 2 Mul, 3 Div, 4 Pow, 5 Max, 6 Min (NaN propagates as in numpy).
__kernel void ew_binary(__global const float* a, __global const float* b, __global float* y,
                        __global const int* p, int op, int n, int act, float lo, float hi) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const float va = a[bcast_off(i, p, 0)], vb = b[bcast_off(i, p, 1)];
  float v;
  switch (op) {
    case 0: v = va + vb; break;
    case 1: v = va - vb; break;
    case 2: v = va * vb; break;
    case 3: v = va / vb; break;
    case 4: v = pow(va, vb); break;
    case 5: v = (isnan(va) || isnan(vb)) ? NAN : (vb > va ? vb : va); break;
    default: v = (isnan(va) || isnan(vb)) ? NAN : (vb < va ? vb : va); break;
  }
  y[i] = apply_act(v, act, lo, hi);
}

// op: 0 Equal, 1 Less, 2 Greater; bool output.
__kernel void ew_compare(__global const float* a, __global const float* b, __global uchar* y,
                         __global const int* p, int op, int n) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const float va = a[bcast_off(i, p, 0)], vb = b[bcast_off(i, p, 1)];
  y[i] = op == 0 ? va == vb : (op == 1 ? va < vb : va > vb);
}

// op: 0 Relu 1 Sigmoid 2 Tanh 3 Erf 4 Sqrt 5 Exp 6 Log 7 Neg 8 Abs 9 Clip [alpha, beta]
// 10 LeakyRelu 11 HardSigmoid 12 HardSwish.
__kernel void ew_unary(__global const float* x, __global float* y, int op, float alpha,
                       float beta, int n) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const float v = x[i];
  float r;
  switch (op) {
    case 0: r = v > 0.f ? v : 0.f; break;
    case 1:
      if (v >= 0.f) {
        r = 1.f / (1.f + exp(-v));
      } else {
        const float e = exp(v);
        r = e / (1.f + e);
      }
      break;
    case 2: r = tanh(v); break;
    case 3: r = erf(v); break;
    case 4: r = sqrt(v); break;
    case 5: r = exp(v); break;
    case 6: r = log(v); break;
    case 7: r = -v; break;
    case 8: r = fabs(v); break;
    case 9:
      r = v < alpha ? alpha : v;
      r = r > beta ? beta : r;
      break;
    case 10: r = v >= 0.f ? v : alpha * v; break;
    case 11: {
      float t = alpha * v + beta;
      t = t < 1.f ? t : 1.f;
      r = 0.f < t ? t : 0.f;
      break;
    }
    default: {
      float t = v / 6.f + 0.5f;
      t = t < 1.f ? t : 1.f;
      r = v * (0.f < t ? t : 0.f);
      break;
    }
  }
  y[i] = r;
}

// Clip with bounds read from (scalar) buffers, for bounds computed at run time.
__kernel void clip_buffers(__global const float* x, __global const float* lo_buf,
                           __global const float* hi_buf, __global float* y, float lo, float hi,
                           int n) {
  const int i = get_global_id(0);
  if (i >= n) return;
  if (lo_buf) lo = lo_buf[0];
  if (hi_buf) hi = hi_buf[0];
  float v = x[i];
  v = v < lo ? lo : v;
  y[i] = v > hi ? hi : v;
}

// Where: p as for bcast_off with operands condition, X, Y.
#define WHERE_KERNEL(T, NAME)                                                                  \
  __kernel void NAME(__global const uchar* c, __global const T* x, __global const T* yv,       \
                     __global T* out, __global const int* p, int n) {                          \
    const int i = get_global_id(0);                                                            \
    if (i >= n) return;                                                                        \
    out[i] = c[bcast_off(i, p, 0)] ? x[bcast_off(i, p, 1)] : yv[bcast_off(i, p, 2)];           \
  }
WHERE_KERNEL(uchar, where_u8)
WHERE_KERNEL(uint, where_u32)
WHERE_KERNEL(ulong, where_u64)

// Strided copy over an iteration shape: p = [rank, x_base, y_base, dims[rank], x_strides[rank],
// y_strides[rank]]. Serves Transpose, Slice, Expand, Concat, Split and plain copies.
#define COPY_KERNEL(T, NAME)                                                                   \
  __kernel void NAME(__global const T* x, __global T* y, __global const int* p, int n) {       \
    int i = get_global_id(0);                                                                  \
    if (i >= n) return;                                                                        \
    const int rank = p[0];                                                                     \
    int xo = p[1], yo = p[2];                                                                  \
    for (int d = rank - 1; d >= 0; --d) {                                                      \
      const int dim = p[3 + d];                                                                \
      const int c = i % dim;                                                                   \
      i /= dim;                                                                                \
      xo += c * p[3 + rank + d];                                                               \
      yo += c * p[3 + 2 * rank + d];                                                           \
    }                                                                                          \
    y[yo] = x[xo];                                                                             \
  }
COPY_KERNEL(uchar, copy_u8)
COPY_KERNEL(uint, copy_u32)
COPY_KERNEL(ulong, copy_u64)

// Gather along an axis with prepared (non-negative) int indices.
#define GATHER_KERNEL(T, NAME)                                                                 \
  __kernel void NAME(__global const T* x, __global const int* idx, __global T* y, int count,   \
                     int inner, int dim, int n) {                                              \
    const int t = get_global_id(0);                                                            \
    if (t >= n) return;                                                                        \
    const int in = t % inner, j = (t / inner) % count, o = t / (inner * count);                \
    y[t] = x[(o * dim + idx[j]) * inner + in];                                                 \
  }
GATHER_KERNEL(uchar, gather_u8)
GATHER_KERNEL(uint, gather_u32)
GATHER_KERNEL(ulong, gather_u64)

#define CAST_KERNEL(S, D, NAME, EXPR)                                                          \
  __kernel void NAME(__global const S* x, __global D* y, int n) {                              \
    const int i = get_global_id(0);                                                            \
    if (i >= n) return;                                                                        \
    const S v = x[i];                                                                          \
    y[i] = EXPR;                                                                               \
  }
CAST_KERNEL(float, int, cast_f32_i32, convert_int_sat_rtz(v))
CAST_KERNEL(float, long, cast_f32_i64, convert_long_sat_rtz(v))
CAST_KERNEL(float, char, cast_f32_i8, convert_char_sat_rtz(v))
CAST_KERNEL(float, uchar, cast_f32_u8, convert_uchar_sat_rtz(v))
CAST_KERNEL(float, uchar, cast_f32_bool, v != 0.f ? 1 : 0)
CAST_KERNEL(int, float, cast_i32_f32, convert_float(v))
CAST_KERNEL(long, float, cast_i64_f32, convert_float(v))
CAST_KERNEL(char, float, cast_i8_f32, convert_float(v))
CAST_KERNEL(uchar, float, cast_u8_f32, convert_float(v))
CAST_KERNEL(uchar, float, cast_bool_f32, v ? 1.f : 0.f)

// float16 stored as its bits (vload_half / vstore_half are core OpenCL; round to nearest even).
__kernel void cast_f32_f16(__global const float* x, __global half* y, int n) {
  const int i = get_global_id(0);
  if (i < n) vstore_half_rte(x[i], i, y);
}
__kernel void cast_f16_f32(__global const half* x, __global float* y, int n) {
  const int i = get_global_id(0);
  if (i < n) y[i] = vload_half(i, x);
}

// QuantizeLinear / DequantizeLinear, per tensor (channels == 1) or per axis.
#define QUANT_KERNELS(T, SUFFIX, LO, HI)                                                       \
  __kernel void quantize_##SUFFIX(__global const float* x, __global const float* scale,        \
                                  __global const T* zp, __global T* y, int has_zp,             \
                                  int channels, int inner, int n) {                            \
    const int i = get_global_id(0);                                                            \
    if (i >= n) return;                                                                        \
    const int c = channels == 1 ? 0 : (i / inner) % channels;                                  \
    const float scaled = x[i] / scale[c];                                                      \
    float v = rint(scaled) + (has_zp ? (float)zp[c] : 0.f);                                    \
    if (isnan(v)) v = 0.f;                                                                     \
    v = v < LO ? LO : (v > HI ? HI : v);                                                       \
    y[i] = (T)v;                                                                               \
  }                                                                                            \
  __kernel void dequantize_##SUFFIX(__global const T* x, __global const float* scale,          \
                                    __global const T* zp, __global float* y, int has_zp,       \
                                    int channels, int inner, int n) {                          \
    const int i = get_global_id(0);                                                            \
    if (i >= n) return;                                                                        \
    const int c = channels == 1 ? 0 : (i / inner) % channels;                                  \
    const float diff = (float)x[i] - (has_zp ? (float)zp[c] : 0.f);                            \
    y[i] = diff * scale[c];                                                                    \
  }
QUANT_KERNELS(uchar, u8, 0.f, 255.f)
QUANT_KERNELS(char, i8, -128.f, 127.f)
)CLC";

constexpr const char* kComputeSource = R"CLC(
// Direct convolution over 3 spatial dims (1-D and 2-D use size-1 leading dims).
// p = [N, C, M, group_in, group_out, ID, IH, IW, OD, OH, OW, KD, KH, KW, SD, SH, SW,
//      PD, PH, PW, DD, DH, DW]. Global: (OD*OH*OW, M, N).
__kernel void conv(__global const float* x, __global const float* w, __global const float* bias,
                   __global float* y, __global const int* p, int has_bias, int act, float lo,
                   float hi) {
  const int o = get_global_id(0), m = get_global_id(1), n = get_global_id(2);
  const int C = p[1], M = p[2], gin = p[3], gout = p[4];
  const int ID = p[5], IH = p[6], IW = p[7], OD = p[8], OH = p[9], OW = p[10];
  const int KD = p[11], KH = p[12], KW = p[13], SD = p[14], SH = p[15], SW = p[16];
  const int PD = p[17], PH = p[18], PW = p[19], DD = p[20], DH = p[21], DW = p[22];
  if (o >= OD * OH * OW) return;
  const int od = o / (OH * OW), oh = (o / OW) % OH, ow = o % OW;
  float acc = has_bias ? bias[m] : 0.f;
  const int c0 = (m / gout) * gin;
  const int ksize = KD * KH * KW, isize = ID * IH * IW;
  for (int c = 0; c < gin; ++c) {
    __global const float* xc = x + (n * C + c0 + c) * isize;
    __global const float* wc = w + (m * gin + c) * ksize;
    for (int kd = 0; kd < KD; ++kd) {
      const int id = od * SD - PD + kd * DD;
      if (id < 0 || id >= ID) continue;
      for (int kh = 0; kh < KH; ++kh) {
        const int ih = oh * SH - PH + kh * DH;
        if (ih < 0 || ih >= IH) continue;
        __global const float* xr = xc + (id * IH + ih) * IW;
        __global const float* wr = wc + (kd * KH + kh) * KW;
        for (int kw = 0; kw < KW; ++kw) {
          const int iw = ow * SW - PW + kw * DW;
          if (iw >= 0 && iw < IW) acc += xr[iw] * wr[kw];
        }
      }
    }
  }
  y[(n * M + m) * (OD * OH * OW) + o] = apply_act(acc, act, lo, hi);
}

// Max (kind 0) or average (kind 1) pooling over 3 spatial dims, one work-item per output.
// p = [ID, IH, IW, OD, OH, OW, KD, KH, KW, SD, SH, SW, PD, PH, PW, DD, DH, DW, ED, EH, EW]
// (E: end pads). Global: (OD*OH*OW, N*C).
// With want_idx, `indices` receives the flat NC... input index of each maximum (column-major
// spatial part when column_major), -1 for a window of padding only.
__kernel void pool(__global const float* x, __global float* y, __global const int* p, int kind,
                   int include_pad, __global long* indices, int want_idx, int column_major) {
  const int o = get_global_id(0), plane = get_global_id(1);
  const int ID = p[0], IH = p[1], IW = p[2], OD = p[3], OH = p[4], OW = p[5];
  const int KD = p[6], KH = p[7], KW = p[8], SD = p[9], SH = p[10], SW = p[11];
  const int PD = p[12], PH = p[13], PW = p[14], DD = p[15], DH = p[16], DW = p[17];
  const int ED = p[18], EH = p[19], EW = p[20];
  if (o >= OD * OH * OW) return;
  const int od = o / (OH * OW), oh = (o / OW) % OH, ow = o % OW;
  __global const float* xp = x + plane * (ID * IH * IW);
  float best = -INFINITY, sum = 0.f;
  int found = 0, count = 0, best_at = -1;
  for (int kd = 0; kd < KD; ++kd) {
    const int id = od * SD - PD + kd * DD;
    const int din = id >= 0 && id < ID, dpad = id >= -PD && id < ID + ED;
    for (int kh = 0; kh < KH; ++kh) {
      const int ih = oh * SH - PH + kh * DH;
      const int hin = ih >= 0 && ih < IH, hpad = ih >= -PH && ih < IH + EH;
      for (int kw = 0; kw < KW; ++kw) {
        const int iw = ow * SW - PW + kw * DW;
        const int inside = din && hin && iw >= 0 && iw < IW;
        const int inside_padded = dpad && hpad && iw >= -PW && iw < IW + EW;
        if (inside) {
          const float v = xp[(id * IH + ih) * IW + iw];
          if (!found || v > best) {
            best = v;
            best_at = column_major ? id + ih * ID + iw * ID * IH : (id * IH + ih) * IW + iw;
          }
          found = 1;
          sum += v;
        }
        if (include_pad ? inside_padded : inside) ++count;
      }
    }
  }
  y[plane * (OD * OH * OW) + o] = kind == 0 ? best : (count > 0 ? sum / (float)count : 0.f);
  if (want_idx)
    indices[plane * (OD * OH * OW) + o] =
        best_at < 0 ? -1 : (long)plane * (ID * IH * IW) + best_at;
}

// Batched matrix product Y[b] = act(alpha * A[b] B[b] + beta * bias), element (i, j) of A at
// i * a_rs + k * a_cs (transposes are strides). p = [M, N, K, a_rs, a_cs, b_rs, b_cs, bias_rs,
// bias_cs, batches, then per batch: a offset, b offset]. Global: (N, M, batches).
__kernel void matmul(__global const float* a, __global const float* b,
                     __global const float* bias, __global float* y, __global const int* p,
                     float alpha, float beta, int has_bias, int act, float lo, float hi) {
  const int j = get_global_id(0), i = get_global_id(1), bi = get_global_id(2);
  const int M = p[0], N = p[1], K = p[2];
  if (i >= M || j >= N) return;
  const int a_rs = p[3], a_cs = p[4], b_rs = p[5], b_cs = p[6];
  __global const float* ap = a + p[10 + 2 * bi] + i * a_rs;
  __global const float* bp = b + p[11 + 2 * bi] + j * b_cs;
  float acc = 0.f;
  for (int k = 0; k < K; ++k) acc += ap[k * a_cs] * bp[k * b_rs];
  acc *= alpha;
  if (has_bias) acc += beta * bias[i * p[7] + j * p[8]];
  y[(bi * M + i) * N + j] = apply_act(acc, act, lo, hi);
}

// Softmax along an axis of length n with `inner` elements after it. Global: outer * inner.
__kernel void softmax(__global const float* x, __global float* y, int n, int inner, int rows) {
  const int t = get_global_id(0);
  if (t >= rows) return;
  const int base = (t / inner) * n * inner + t % inner;
  float mx = -INFINITY;
  for (int k = 0; k < n; ++k) mx = fmax(mx, x[base + k * inner]);
  float sum = 0.f;
  for (int k = 0; k < n; ++k) sum += exp(x[base + k * inner] - mx);
  for (int k = 0; k < n; ++k) y[base + k * inner] = exp(x[base + k * inner] - mx) / sum;
}

// LayerNormalization of rows of n elements; scale and bias hold n values.
__kernel void layernorm(__global const float* x, __global const float* scale,
                        __global const float* bias, __global float* y, __global float* mean_out,
                        __global float* inv_out, int n, float eps, int has_bias, int want_mean,
                        int want_inv, int rows) {
  const int r = get_global_id(0);
  if (r >= rows) return;
  __global const float* xr = x + r * n;
  __global float* yr = y + r * n;
  float sum = 0.f;
  for (int j = 0; j < n; ++j) sum += xr[j];
  const float mean = sum / (float)n;
  float sq = 0.f;
  for (int j = 0; j < n; ++j) {
    const float d = xr[j] - mean;
    sq += d * d;
  }
  const float inv = 1.f / sqrt(sq / (float)n + eps);
  for (int j = 0; j < n; ++j) {
    float v = (xr[j] - mean) * inv * scale[j];
    if (has_bias) v += bias[j];
    yr[j] = v;
  }
  if (want_mean) mean_out[r] = mean;
  if (want_inv) inv_out[r] = inv;
}

// BatchNormalization (inference): per-channel statistics, `spatial` elements per channel.
__kernel void batchnorm(__global const float* x, __global const float* s,
                        __global const float* b, __global const float* mean,
                        __global const float* var, __global float* y, int channels,
                        int spatial, float eps, int n) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const int c = (i / spatial) % channels;
  const float mul = s[c] / sqrt(var[c] + eps);
  y[i] = (x[i] - mean[c]) * mul + b[c];
}

// Reduction (kind 0 sum, 1 mean, 2 max) of `reduced` elements per output.
// p = [nk, kept dims[nk], kept strides[nk], nr, reduced dims[nr], reduced strides[nr]].
__kernel void reduce(__global const float* x, __global float* y, __global const int* p, int kind,
                     int reduced, int kept) {
  int o = get_global_id(0);
  if (o >= kept) return;
  const int out = o;
  const int nk = p[0];
  int base = 0;
  for (int d = nk - 1; d >= 0; --d) {
    const int dim = p[1 + d];
    base += (o % dim) * p[1 + nk + d];
    o /= dim;
  }
  __global const int* q = p + 1 + 2 * nk;
  const int nr = q[0];
  float acc = kind == 2 ? -INFINITY : 0.f;
  for (int r = 0; r < reduced; ++r) {
    int rest = r, off = base;
    for (int d = nr - 1; d >= 0; --d) {
      const int dim = q[1 + d];
      off += (rest % dim) * q[1 + nr + d];
      rest /= dim;
    }
    const float v = x[off];
    if (kind == 2) {
      if (isnan(v)) acc = v;
      if (v > acc) acc = v;
    } else {
      acc += v;
    }
  }
  if (kind == 1) acc = acc / (float)reduced;
  y[out] = acc;
}
)CLC";

}  // namespace

std::string KernelSource() { return std::string(kCommonSource) + kComputeSource; }

}  // namespace sl::opencl

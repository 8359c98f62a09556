// The per-element math of the CUDA backend's kernels, as __host__ __device__ functions: the .cu
// kernels are grid-stride loops around these, and the device-free tests compile this header with
// the host compiler to run the same math on the CPU (tests/backend/cuda_host_kernels.h).
// Needs only <cuda_runtime.h> (for the __host__ / __device__ markers) and <cuda_fp16.h>.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>

#include <cstdint>
#include <type_traits>

#include "backend/cuda/cuda_kernels.h"

#define SL_HD __host__ __device__ __forceinline__

namespace sl::cuda {

SL_HD bool IsNan(float v) { return v != v; }
SL_HD bool IsNan(double v) { return v != v; }

// Offset of element `i` (row-major over map.dims) in operand k.
SL_HD int64_t MapOffset(const IndexMap& m, int k, int64_t i) {
  int64_t off = m.base[k];
  for (int d = m.rank - 1; d >= 0; --d) {
    const int64_t dim = m.dims[d];
    const int64_t c = i % dim;
    i /= dim;
    off += c * m.strides[k][d];
  }
  return off;
}

// All operand offsets of element i in one pass over the dims.
template <int K>
SL_HD void MapOffsets(const IndexMap& m, int64_t i, int64_t* off) {
  for (int k = 0; k < K; ++k) off[k] = m.base[k];
  for (int d = m.rank - 1; d >= 0; --d) {
    const int64_t dim = m.dims[d];
    const int64_t c = i % dim;
    i /= dim;
    for (int k = 0; k < K; ++k) off[k] += c * m.strides[k][d];
  }
}

// std::max(a, b) / std::min(a, b): returns `a` when the comparison is false (NaN in a stays).
SL_HD float StdMax(float a, float b) { return a < b ? b : a; }
SL_HD float StdMin(float a, float b) { return b < a ? b : a; }
// The fused activation clamp; NaN passes through.
SL_HD float Clamp(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}
// Max that propagates NaN from either side.
SL_HD float MaxNan(float a, float b) {
  if (IsNan(a) || IsNan(b)) return nanf("");
  return b > a ? b : a;
}

// Numeric limits usable in device code (std::numeric_limits needs --expt-relaxed-constexpr).
template <typename T>
struct Limits;
#define SL_CUDA_LIMITS(T, lo, hi)                                  \
  template <>                                                      \
  struct Limits<T> {                                               \
    __host__ __device__ static constexpr T lowest() { return lo; } \
    __host__ __device__ static constexpr T max() { return hi; }    \
  };
SL_CUDA_LIMITS(int8_t, -128, 127)
SL_CUDA_LIMITS(uint8_t, 0, 255)
SL_CUDA_LIMITS(int16_t, -32768, 32767)
SL_CUDA_LIMITS(uint16_t, 0, 65535)
SL_CUDA_LIMITS(int32_t, -2147483647 - 1, 2147483647)
SL_CUDA_LIMITS(int64_t, -9223372036854775807LL - 1, 9223372036854775807LL)
#undef SL_CUDA_LIMITS

SL_HD float ApplyUnary(UnaryOp op, float v, float a, float b) {
  switch (op) {
    case UnaryOp::kRelu:
      return v > 0.f ? v : 0.f;
    case UnaryOp::kLeakyRelu:
      return v >= 0.f ? v : a * v;
    case UnaryOp::kClip:
      return StdMin(StdMax(v, a), b);
    case UnaryOp::kSigmoid:
      // Stable in both directions, as the reference's StableSigmoid.
      if (v >= 0.f) return 1.f / (1.f + expf(-v));
      {
        const float e = expf(v);
        return e / (1.f + e);
      }
    case UnaryOp::kTanh:
      return tanhf(v);
    case UnaryOp::kHardSigmoid:
      return StdMax(0.f, StdMin(1.f, a * v + b));
    case UnaryOp::kHardSwish:
      return v * StdMax(0.f, StdMin(1.f, v / 6.f + 0.5f));
    case UnaryOp::kSqrt:
      return sqrtf(v);
    case UnaryOp::kErf:
      return erff(v);
    case UnaryOp::kExp:
      return expf(v);
    case UnaryOp::kLog:
      return logf(v);
    case UnaryOp::kNeg:
      return -v;
    case UnaryOp::kAbs:
      return fabsf(v);
  }
  return v;
}

SL_HD float ApplyBinary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;
    case BinaryOp::kPow:
      return powf(a, b);
    case BinaryOp::kMax:
      return MaxNan(a, b);
    case BinaryOp::kMin:
      if (IsNan(a) || IsNan(b)) return nanf("");
      return b < a ? b : a;
  }
  return a;
}

template <typename T>
SL_HD bool Compare(CompareOp op, T a, T b) {
  return op == CompareOp::kEqual ? a == b : (op == CompareOp::kLess ? a < b : a > b);
}

// --- Cast ------------------------------------------------------------------------------------

// The type arithmetic on an element stored as T happens in (float for half).
template <typename T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<__half> {
  using type = float;
};

template <typename T>
SL_HD typename ComputeOf<T>::type LoadElem(const T* p, int64_t i) {
  return p[i];
}
template <>
SL_HD float LoadElem<__half>(const __half* p, int64_t i) {
  return __half2float(p[i]);
}

// One element of Cast: float -> int truncates and saturates (NaN gives 0), anything -> bool is
// "nonzero", int -> int wraps, -> float16 rounds through float32.
template <typename D, typename S>
SL_HD D Convert(S v) {
  if constexpr (std::is_same_v<D, __half>) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
    if (IsNan(v)) return 0;
    if (v <= static_cast<S>(Limits<D>::lowest())) return Limits<D>::lowest();
    if (v >= static_cast<S>(Limits<D>::max())) return Limits<D>::max();
    return static_cast<D>(v);
  } else {
    return static_cast<D>(v);
  }
}

// --- quantization ----------------------------------------------------------------------------

SL_HD int64_t QuantChannel(int64_t i, int64_t channels, int64_t inner) {
  return channels == 1 ? 0 : (i / inner) % channels;
}

template <typename Q>
SL_HD Q QuantizeValue(float x, float scale, float zero_point) {
  const float lo = static_cast<float>(Limits<Q>::lowest());
  const float hi = static_cast<float>(Limits<Q>::max());
  // rintf rounds half to even under the default rounding mode, as std::nearbyint.
  float v = rintf(x / scale) + zero_point;
  if (IsNan(v)) v = 0.f;
  return static_cast<Q>(v < lo ? lo : (v > hi ? hi : v));
}

// --- windows ---------------------------------------------------------------------------------

// im2col element i of col [channels * kernel_size, out_size] from one image x.
SL_HD float Im2ColValue(const float* x, const WindowDesc& w, int64_t kernel_size, int64_t out_size,
                        int64_t in_size, int64_t i) {
  int64_t o = i % out_size;
  int64_t k = (i / out_size) % kernel_size;
  const int64_t c = i / (out_size * kernel_size);
  int64_t in_index = 0, in_stride = 1;
  bool inside = true;
  for (int d = w.rank - 1; d >= 0; --d) {
    const int64_t od = o % w.out[d], kd = k % w.kernel[d];
    o /= w.out[d];
    k /= w.kernel[d];
    const int64_t pos = od * w.stride[d] - w.pad_begin[d] + kd * w.dilation[d];
    if (pos < 0 || pos >= w.in[d]) inside = false;
    in_index += pos * in_stride;
    in_stride *= w.in[d];
  }
  return inside ? x[c * in_size + in_index] : 0.f;
}

// Pool output element i (plane i / out_size) with the reference semantics.
SL_HD float PoolValue(bool is_max, bool include_pad, const float* x, const WindowDesc& w,
                      int64_t in_size, int64_t out_size, int64_t kernel_size, int64_t i) {
  const int64_t p = i / out_size, o = i % out_size;
  const float* xp = x + p * in_size;
  float best = -INFINITY, sum = 0.f;
  bool any = false;
  int64_t count = 0;
  for (int64_t k = 0; k < kernel_size; ++k) {
    int64_t in_index = 0, in_stride = 1, o_rest = o, k_rest = k;
    bool inside = true, inside_padded = true;
    for (int d = w.rank - 1; d >= 0; --d) {
      const int64_t od = o_rest % w.out[d], kd = k_rest % w.kernel[d];
      o_rest /= w.out[d];
      k_rest /= w.kernel[d];
      const int64_t pos = od * w.stride[d] - w.pad_begin[d] + kd * w.dilation[d];
      if (pos < 0 || pos >= w.in[d]) inside = false;
      if (pos < -w.pad_begin[d] || pos >= w.in[d] + w.pad_end[d]) inside_padded = false;
      in_index += pos * in_stride;
      in_stride *= w.in[d];
    }
    if (is_max) {
      // First tap inside always taken, then strictly greater ones (reference tie order).
      if (inside && (!any || xp[in_index] > best)) {
        best = xp[in_index];
        any = true;
      }
    } else {
      if (inside) sum += xp[in_index];
      if (include_pad ? inside_padded : inside) ++count;
    }
  }
  return is_max ? best : (count > 0 ? sum / static_cast<float>(count) : 0.f);
}

// Gather: source offset of output element i, or -1 for an index outside [-dim, dim).
template <typename I>
SL_HD int64_t GatherSource(const I* idx, int64_t count, int64_t inner, int64_t dim, int64_t i) {
  const int64_t in = i % inner;
  const int64_t j = (i / inner) % count;
  const int64_t o = i / (inner * count);
  int64_t k = static_cast<int64_t>(idx[j]);
  if (k < 0) k += dim;
  if (k < 0 || k >= dim) return -1;
  return (o * dim + k) * inner + in;
}

}  // namespace sl::cuda

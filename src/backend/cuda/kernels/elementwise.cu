// Elementwise kernels of the CUDA backend: unary and binary math, comparisons, Where, Cast,
// QuantizeLinear / DequantizeLinear, and the bias + activation epilogues of Conv / Gemm / MatMul.
// Semantics follow kernels/ref/ (see cuda_kernels.h for each launcher's contract).
#include <cuda_fp16.h>

#include <cmath>
#include <type_traits>

#include "backend/cuda/kernels/kernel_common.cuh"

namespace sl::cuda {

namespace {

__device__ __forceinline__ float ApplyUnary(UnaryOp op, float v, float a, float b) {
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

__global__ void UnaryKernel(UnaryOp op, float a, float b, const float* __restrict__ x,
                            float* __restrict__ y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    y[i] = ApplyUnary(op, x[i], a, b);
}

__device__ __forceinline__ float ApplyBinary(BinaryOp op, float a, float b) {
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
      if (isnan(a) || isnan(b)) return nanf("");
      return b > a ? b : a;
    case BinaryOp::kMin:
      if (isnan(a) || isnan(b)) return nanf("");
      return b < a ? b : a;
  }
  return a;
}

// y and the inputs share the flat index when `contiguous` (same shape, no broadcast): no index
// arithmetic. Otherwise the map gives each operand's offset.
__global__ void BinaryKernel(BinaryOp op, IndexMap map, int64_t n, const float* a, const float* b,
                             float* y, float lo, float hi, bool contiguous) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t off[3] = {i, i, i};
    if (!contiguous) MapOffsets<3>(map, i, off);
    // y may alias a (variadic Max / Min accumulate in place): read before writing.
    const float va = a[off[1]], vb = b[off[2]];
    y[off[0]] = Clamp(ApplyBinary(op, va, vb), lo, hi);
  }
}

bool IsContiguous(const IndexMap& m, int operands) {
  for (int k = 0; k < operands; ++k) {
    if (m.base[k] != 0) return false;
    int64_t stride = 1;
    for (int d = m.rank - 1; d >= 0; --d) {
      if (m.dims[d] != 1 && m.strides[k][d] != stride) return false;
      stride *= m.dims[d];
    }
  }
  return true;
}

template <typename T>
__global__ void CompareKernel(CompareOp op, IndexMap map, int64_t n, const T* a, const T* b,
                              bool* y) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t off[3];
    MapOffsets<3>(map, i, off);
    const T va = a[off[1]], vb = b[off[2]];
    y[off[0]] = op == CompareOp::kEqual ? va == vb : (op == CompareOp::kLess ? va < vb : va > vb);
  }
}

template <typename T>
__global__ void WhereKernel(IndexMap map, int64_t n, const bool* c, const T* a, const T* b, T* y) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t off[4];
    MapOffsets<4>(map, i, off);
    y[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]];
  }
}

// --- Cast ------------------------------------------------------------------------------------

template <typename T>
struct Compute {
  using type = T;
};
template <>
struct Compute<__half> {
  using type = float;
};

template <typename T>
__device__ __forceinline__ typename Compute<T>::type LoadElem(const T* p, int64_t i) {
  return p[i];
}
template <>
__device__ __forceinline__ float LoadElem<__half>(const __half* p, int64_t i) {
  return __half2float(p[i]);
}

template <typename D, typename S>
__device__ __forceinline__ D Convert(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
    if (isnan(v)) return 0;
    if (v <= static_cast<S>(Limits<D>::lowest())) return Limits<D>::lowest();
    if (v >= static_cast<S>(Limits<D>::max())) return Limits<D>::max();
    return static_cast<D>(v);
  } else {
    return static_cast<D>(v);
  }
}

template <typename D>
__device__ __forceinline__ void StoreElem(D* p, int64_t i, D v) {
  p[i] = v;
}

template <typename S, typename D>
__global__ void CastKernel(const S* x, D* y, int64_t n) {
  using CS = typename Compute<S>::type;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const CS v = LoadElem(x, i);
    if constexpr (std::is_same_v<D, __half>) {
      // float64 -> float16 rounds through float32, as the reference does.
      y[i] = __float2half_rn(static_cast<float>(v));
    } else {
      y[i] = Convert<D>(v);
    }
  }
}

template <typename Fn>
bool VisitElem(ElemType t, Fn&& fn) {
  switch (t) {
    case ElemType::kF32:
      fn(float{});
      return true;
    case ElemType::kF64:
      fn(double{});
      return true;
    case ElemType::kF16:
      fn(__half{});
      return true;
    case ElemType::kI8:
      fn(int8_t{});
      return true;
    case ElemType::kU8:
      fn(uint8_t{});
      return true;
    case ElemType::kI16:
      fn(int16_t{});
      return true;
    case ElemType::kU16:
      fn(uint16_t{});
      return true;
    case ElemType::kI32:
      fn(int32_t{});
      return true;
    case ElemType::kI64:
      fn(int64_t{});
      return true;
    case ElemType::kBool:
      fn(bool{});
      return true;
  }
  return false;
}

// --- quantization ----------------------------------------------------------------------------

template <typename Q>
__global__ void QuantizeKernel(const float* x, const float* scale, const Q* zp, Q* y, int64_t n,
                               int64_t channels, int64_t inner) {
  const float lo = static_cast<float>(Limits<Q>::lowest());
  const float hi = static_cast<float>(Limits<Q>::max());
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t c = channels == 1 ? 0 : (i / inner) % channels;
    // rintf rounds half to even under the default rounding mode, as std::nearbyint.
    float v = rintf(x[i] / scale[c]) + (zp ? static_cast<float>(zp[c]) : 0.f);
    if (isnan(v)) v = 0.f;
    y[i] = static_cast<Q>(v < lo ? lo : (v > hi ? hi : v));
  }
}

template <typename Q>
__global__ void DequantizeKernel(const Q* x, const float* scale, const Q* zp, float* y, int64_t n,
                                 int64_t channels, int64_t inner) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t c = channels == 1 ? 0 : (i / inner) % channels;
    const float diff = static_cast<float>(x[i]) - (zp ? static_cast<float>(zp[c]) : 0.f);
    y[i] = diff * scale[c];
  }
}

// --- epilogues -------------------------------------------------------------------------------

__global__ void ChannelBiasActKernel(float* y, const float* bias, int64_t n, int64_t channels,
                                     int64_t inner, float lo, float hi) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    float v = y[i];
    if (bias) v += bias[channels == 1 ? 0 : (i / inner) % channels];
    y[i] = Clamp(v, lo, hi);
  }
}

__global__ void MatrixBiasActKernel(float* y, const float* c, int64_t m, int64_t n, int64_t c_row,
                                    int64_t c_col, float beta, float lo, float hi) {
  const int64_t total = m * n;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    float v = y[i];
    if (c) v += beta * c[(i / n) * c_row + (i % n) * c_col];
    y[i] = Clamp(v, lo, hi);
  }
}

__global__ void ChannelAffineKernel(const float* x, const float* mul, const float* add, float* y,
                                    int64_t n, int64_t channels, int64_t inner) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t c = (i / inner) % channels;
    y[i] = x[i] * mul[c] + add[c];
  }
}

}  // namespace

bool KernelsBuilt() { return true; }

cudaError_t LaunchUnary(UnaryOp op, float a, float b, const float* x, float* y, int64_t n,
                        cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  UnaryKernel<<<Blocks(n), kThreads, 0, stream>>>(op, a, b, x, y, n);
  return cudaGetLastError();
}

cudaError_t LaunchBinary(BinaryOp op, const IndexMap& map, int64_t n, const float* a,
                         const float* b, float* y, float lo, float hi, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  BinaryKernel<<<Blocks(n), kThreads, 0, stream>>>(op, map, n, a, b, y, lo, hi,
                                                   IsContiguous(map, 3));
  return cudaGetLastError();
}

cudaError_t LaunchCompare(CompareOp op, ElemType type, const IndexMap& map, int64_t n,
                          const void* a, const void* b, bool* y, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  switch (type) {
    case ElemType::kF32:
      CompareKernel<<<Blocks(n), kThreads, 0, stream>>>(op, map, n, static_cast<const float*>(a),
                                                        static_cast<const float*>(b), y);
      break;
    case ElemType::kI32:
      CompareKernel<<<Blocks(n), kThreads, 0, stream>>>(op, map, n, static_cast<const int32_t*>(a),
                                                        static_cast<const int32_t*>(b), y);
      break;
    case ElemType::kI64:
      CompareKernel<<<Blocks(n), kThreads, 0, stream>>>(op, map, n, static_cast<const int64_t*>(a),
                                                        static_cast<const int64_t*>(b), y);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t LaunchWhere(int elem_bytes, const IndexMap& map, int64_t n, const bool* cond,
                        const void* a, const void* b, void* y, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  auto launch = [&](auto tag) {
    using T = decltype(tag);
    WhereKernel<<<Blocks(n), kThreads, 0, stream>>>(map, n, cond, static_cast<const T*>(a),
                                                    static_cast<const T*>(b), static_cast<T*>(y));
  };
  switch (elem_bytes) {
    case 1:
      launch(uint8_t{});
      break;
    case 2:
      launch(uint16_t{});
      break;
    case 4:
      launch(uint32_t{});
      break;
    case 8:
      launch(uint64_t{});
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y, int64_t n,
                       cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  bool ok = VisitElem(from, [&](auto s_tag) {
    using S = decltype(s_tag);
    VisitElem(to, [&](auto d_tag) {
      using D = decltype(d_tag);
      CastKernel<<<Blocks(n), kThreads, 0, stream>>>(static_cast<const S*>(x), static_cast<D*>(y),
                                                     n);
    });
  });
  if (!ok) return cudaErrorInvalidValue;
  return cudaGetLastError();
}

cudaError_t LaunchQuantize(const float* x, const float* scale, const void* zero_point,
                           bool y_signed, void* y, int64_t n, int64_t channels, int64_t inner,
                           cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (y_signed) {
    QuantizeKernel<<<Blocks(n), kThreads, 0, stream>>>(x, scale,
                                                       static_cast<const int8_t*>(zero_point),
                                                       static_cast<int8_t*>(y), n, channels, inner);
  } else {
    QuantizeKernel<<<Blocks(n), kThreads, 0, stream>>>(
        x, scale, static_cast<const uint8_t*>(zero_point), static_cast<uint8_t*>(y), n, channels,
        inner);
  }
  return cudaGetLastError();
}

cudaError_t LaunchDequantize(const void* x, bool x_signed, const float* scale,
                             const void* zero_point, float* y, int64_t n, int64_t channels,
                             int64_t inner, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (x_signed) {
    DequantizeKernel<<<Blocks(n), kThreads, 0, stream>>>(static_cast<const int8_t*>(x), scale,
                                                         static_cast<const int8_t*>(zero_point), y,
                                                         n, channels, inner);
  } else {
    DequantizeKernel<<<Blocks(n), kThreads, 0, stream>>>(static_cast<const uint8_t*>(x), scale,
                                                         static_cast<const uint8_t*>(zero_point), y,
                                                         n, channels, inner);
  }
  return cudaGetLastError();
}

cudaError_t LaunchChannelBiasAct(float* y, const float* bias, int64_t n, int64_t channels,
                                 int64_t inner, float lo, float hi, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  ChannelBiasActKernel<<<Blocks(n), kThreads, 0, stream>>>(y, bias, n, channels, inner, lo, hi);
  return cudaGetLastError();
}

cudaError_t LaunchMatrixBiasAct(float* y, const float* c, int64_t m, int64_t n, int64_t c_row,
                                int64_t c_col, float beta, float lo, float hi,
                                cudaStream_t stream) {
  if (m * n <= 0) return cudaSuccess;
  MatrixBiasActKernel<<<Blocks(m * n), kThreads, 0, stream>>>(y, c, m, n, c_row, c_col, beta, lo,
                                                              hi);
  return cudaGetLastError();
}

cudaError_t LaunchChannelAffine(const float* x, const float* mul, const float* add, float* y,
                                int64_t n, int64_t channels, int64_t inner, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  ChannelAffineKernel<<<Blocks(n), kThreads, 0, stream>>>(x, mul, add, y, n, channels, inner);
  return cudaGetLastError();
}

}  // namespace sl::cuda

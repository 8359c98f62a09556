// Elementwise kernels of the CUDA backend: unary and binary math, comparisons, Where, Cast,
// QuantizeLinear / DequantizeLinear, and the bias + activation epilogues of Conv / Gemm / MatMul.
// Semantics follow kernels/ref/ (see cuda_kernels.h for each launcher's contract).
#include "backend/cuda/kernels/kernel_common.cuh"

namespace sl::cuda {

namespace {

__global__ void UnaryKernel(UnaryOp op, float a, float b, const float* __restrict__ x,
                            float* __restrict__ y, int64_t n) {
  SL_CUDA_GRID_LOOP(i, n) y[i] = ApplyUnary(op, x[i], a, b);
}

// y and the inputs share the flat index when `contiguous` (same shape, no broadcast): no index
// arithmetic. Otherwise the map gives each operand's offset.
__global__ void BinaryKernel(BinaryOp op, IndexMap map, int64_t n, const float* a, const float* b,
                             float* y, float lo, float hi, bool contiguous) {
  SL_CUDA_GRID_LOOP(i, n) {
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
  SL_CUDA_GRID_LOOP(i, n) {
    int64_t off[3];
    MapOffsets<3>(map, i, off);
    y[off[0]] = Compare(op, a[off[1]], b[off[2]]);
  }
}

template <typename T>
__global__ void WhereKernel(IndexMap map, int64_t n, const bool* c, const T* a, const T* b, T* y) {
  SL_CUDA_GRID_LOOP(i, n) {
    int64_t off[4];
    MapOffsets<4>(map, i, off);
    y[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]];
  }
}

template <typename S, typename D>
__global__ void CastKernel(const S* x, D* y, int64_t n) {
  SL_CUDA_GRID_LOOP(i, n) y[i] = Convert<D>(LoadElem(x, i));
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

template <typename Q>
__global__ void QuantizeKernel(const float* x, const float* scale, const Q* zp, Q* y, int64_t n,
                               int64_t channels, int64_t inner) {
  SL_CUDA_GRID_LOOP(i, n) {
    const int64_t c = QuantChannel(i, channels, inner);
    y[i] = QuantizeValue<Q>(x[i], scale[c], zp ? static_cast<float>(zp[c]) : 0.f);
  }
}

template <typename Q>
__global__ void DequantizeKernel(const Q* x, const float* scale, const Q* zp, float* y, int64_t n,
                                 int64_t channels, int64_t inner) {
  SL_CUDA_GRID_LOOP(i, n) {
    const int64_t c = QuantChannel(i, channels, inner);
    const float diff = static_cast<float>(x[i]) - (zp ? static_cast<float>(zp[c]) : 0.f);
    y[i] = diff * scale[c];
  }
}

__global__ void ChannelBiasActKernel(float* y, const float* bias, int64_t n, int64_t channels,
                                     int64_t inner, float lo, float hi) {
  SL_CUDA_GRID_LOOP(i, n) {
    float v = y[i];
    if (bias) v += bias[channels == 1 ? 0 : (i / inner) % channels];
    y[i] = Clamp(v, lo, hi);
  }
}

__global__ void MatrixBiasActKernel(float* y, const float* c, int64_t m, int64_t n, int64_t c_row,
                                    int64_t c_col, float beta, float lo, float hi) {
  SL_CUDA_GRID_LOOP(i, m * n) {
    float v = y[i];
    if (c) v += beta * c[(i / n) * c_row + (i % n) * c_col];
    y[i] = Clamp(v, lo, hi);
  }
}

__global__ void ChannelAffineKernel(const float* x, const float* mul, const float* add, float* y,
                                    int64_t n, int64_t channels, int64_t inner) {
  SL_CUDA_GRID_LOOP(i, n) {
    const int64_t c = (i / inner) % channels;
    y[i] = x[i] * mul[c] + add[c];
  }
}

}  // namespace


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
  return LaunchBySize(elem_bytes, launch);
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

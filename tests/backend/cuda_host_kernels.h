// Host implementations of the CUDA backend's kernel launchers and cuBLAS calls, for device-free
// tests: the same per-element math as the .cu kernels (backend/cuda/kernels/elements.cuh,
// compiled here by the host compiler), plain loops where the device uses warp reductions, and
// cuBLAS's column-major GEMM definition. With them, compiled CudaOps run on host memory.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_plan.h"
#include "backend/cuda/cuda_support.h"
#include "backend/cuda/kernels/elements.cuh"

namespace sl::cuda::host {

inline float At(const float* m, cublasOperation_t op, int ld, int row, int col) {
  return op == CUBLAS_OP_N ? m[row + int64_t{col} * ld] : m[col + int64_t{row} * ld];
}

// C[m x n] = alpha op(A)[m x k] op(B)[k x n] + beta C, column-major, as cuBLAS defines it, with
// cuBLAS's checks on the leading dims.
inline cublasStatus_t Sgemm(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m,
                            int n, int k, const float* alpha, const float* a, int lda,
                            const float* b, int ldb, const float* beta, float* c, int ldc) {
  if (m < 0 || n < 0 || k < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (lda < std::max(1, ta == CUBLAS_OP_N ? m : k)) return CUBLAS_STATUS_INVALID_VALUE;
  if (ldb < std::max(1, tb == CUBLAS_OP_N ? k : n)) return CUBLAS_STATUS_INVALID_VALUE;
  if (ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int p = 0; p < k; ++p)
        acc += static_cast<double>(At(a, ta, lda, i, p)) * At(b, tb, ldb, p, j);
      float& out = c[i + int64_t{j} * ldc];
      out = static_cast<float>(*alpha * acc + (*beta == 0.f ? 0.0 : *beta * out));
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t SgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta,
                                          cublasOperation_t tb, int m, int n, int k,
                                          const float* alpha, const float* a, int lda,
                                          long long stride_a, const float* b, int ldb,
                                          long long stride_b, const float* beta, float* c, int ldc,
                                          long long stride_c, int batches) {
  for (int i = 0; i < batches; ++i) {
    const cublasStatus_t s = Sgemm(h, ta, tb, m, n, k, alpha, a + i * stride_a, lda,
                                   b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
  }
  return CUBLAS_STATUS_SUCCESS;
}

inline const BlasApi& Blas() {
  static const BlasApi api{&Sgemm, &SgemmStridedBatched};
  return api;
}

// --- kernels ----------------------------------------------------------------------------------

template <typename Fn>
bool VisitBytes(int bytes, Fn&& fn) {
  switch (bytes) {
    case 1:
      fn(uint8_t{});
      return true;
    case 2:
      fn(uint16_t{});
      return true;
    case 4:
      fn(uint32_t{});
      return true;
    case 8:
      fn(uint64_t{});
      return true;
  }
  return false;
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

inline cudaError_t Unary(UnaryOp op, float a, float b, const float* x, float* y, int64_t n,
                         cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) y[i] = ApplyUnary(op, x[i], a, b);
  return cudaSuccess;
}

inline cudaError_t Binary(BinaryOp op, const IndexMap& map, int64_t n, const float* a,
                          const float* b, float* y, float lo, float hi, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    int64_t off[3];
    MapOffsets<3>(map, i, off);
    const float va = a[off[1]], vb = b[off[2]];
    y[off[0]] = Clamp(ApplyBinary(op, va, vb), lo, hi);
  }
  return cudaSuccess;
}

inline cudaError_t CompareFn(CompareOp op, ElemType type, const IndexMap& map, int64_t n,
                             const void* a, const void* b, bool* y, cudaStream_t) {
  auto run = [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off[3];
      MapOffsets<3>(map, i, off);
      y[off[0]] = Compare(op, static_cast<const T*>(a)[off[1]], static_cast<const T*>(b)[off[2]]);
    }
  };
  if (type == ElemType::kF32) run(float{});
  if (type == ElemType::kI32) run(int32_t{});
  if (type == ElemType::kI64) run(int64_t{});
  return cudaSuccess;
}

inline cudaError_t Where(int elem_bytes, const IndexMap& map, int64_t n, const bool* cond,
                         const void* a, const void* b, void* y, cudaStream_t) {
  const bool ok = VisitBytes(elem_bytes, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off[4];
      MapOffsets<4>(map, i, off);
      static_cast<T*>(y)[off[0]] =
          cond[off[1]] ? static_cast<const T*>(a)[off[2]] : static_cast<const T*>(b)[off[3]];
    }
  });
  return ok ? cudaSuccess : cudaErrorInvalidValue;
}

inline cudaError_t StridedCopy(int elem_bytes, const IndexMap& map, int64_t n, const void* x,
                               void* y, cudaStream_t) {
  const bool ok = VisitBytes(elem_bytes, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off[2];
      MapOffsets<2>(map, i, off);
      static_cast<T*>(y)[off[0]] = static_cast<const T*>(x)[off[1]];
    }
  });
  return ok ? cudaSuccess : cudaErrorInvalidValue;
}

inline cudaError_t Gather(int elem_bytes, const void* x, const void* indices, bool indices_i64,
                          void* y, int64_t outer, int64_t count, int64_t inner, int64_t dim,
                          cudaStream_t) {
  const bool ok = VisitBytes(elem_bytes, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < outer * count * inner; ++i) {
      const int64_t src =
          indices_i64 ? GatherSource(static_cast<const int64_t*>(indices), count, inner, dim, i)
                      : GatherSource(static_cast<const int32_t*>(indices), count, inner, dim, i);
      static_cast<T*>(y)[i] = src < 0 ? T{} : static_cast<const T*>(x)[src];
    }
  });
  return ok ? cudaSuccess : cudaErrorInvalidValue;
}

inline cudaError_t Cast(ElemType from, ElemType to, const void* x, void* y, int64_t n,
                        cudaStream_t) {
  VisitElem(from, [&](auto s_tag) {
    using S = decltype(s_tag);
    VisitElem(to, [&](auto d_tag) {
      using D = decltype(d_tag);
      for (int64_t i = 0; i < n; ++i)
        static_cast<D*>(y)[i] = Convert<D>(LoadElem(static_cast<const S*>(x), i));
    });
  });
  return cudaSuccess;
}

inline cudaError_t Quantize(const float* x, const float* scale, const void* zp, bool y_signed,
                            void* y, int64_t n, int64_t channels, int64_t inner, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = QuantChannel(i, channels, inner);
    if (y_signed) {
      const float z = zp ? static_cast<const int8_t*>(zp)[c] : 0.f;
      static_cast<int8_t*>(y)[i] = QuantizeValue<int8_t>(x[i], scale[c], z);
    } else {
      const float z = zp ? static_cast<const uint8_t*>(zp)[c] : 0.f;
      static_cast<uint8_t*>(y)[i] = QuantizeValue<uint8_t>(x[i], scale[c], z);
    }
  }
  return cudaSuccess;
}

inline cudaError_t Dequantize(const void* x, bool x_signed, const float* scale, const void* zp,
                              float* y, int64_t n, int64_t channels, int64_t inner, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = QuantChannel(i, channels, inner);
    const float v = x_signed ? static_cast<const int8_t*>(x)[i] : static_cast<const uint8_t*>(x)[i];
    const float z =
        !zp ? 0.f
            : (x_signed ? static_cast<const int8_t*>(zp)[c] : static_cast<const uint8_t*>(zp)[c]);
    y[i] = (v - z) * scale[c];
  }
  return cudaSuccess;
}

inline cudaError_t ChannelBiasAct(float* y, const float* bias, int64_t n, int64_t channels,
                                  int64_t inner, float lo, float hi, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    float v = y[i];
    if (bias) v += bias[channels == 1 ? 0 : (i / inner) % channels];
    y[i] = Clamp(v, lo, hi);
  }
  return cudaSuccess;
}

inline cudaError_t MatrixBiasAct(float* y, const float* c, int64_t m, int64_t n, int64_t c_row,
                                 int64_t c_col, float beta, float lo, float hi, cudaStream_t) {
  for (int64_t i = 0; i < m * n; ++i) {
    float v = y[i];
    if (c) v += beta * c[(i / n) * c_row + (i % n) * c_col];
    y[i] = Clamp(v, lo, hi);
  }
  return cudaSuccess;
}

inline cudaError_t ChannelAffine(const float* x, const float* mul, const float* add, float* y,
                                 int64_t n, int64_t channels, int64_t inner, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / inner) % channels;
    y[i] = x[i] * mul[c] + add[c];
  }
  return cudaSuccess;
}

inline cudaError_t Im2Col(const float* x, float* col, int64_t channels, const WindowDesc& w,
                          cudaStream_t) {
  int64_t kernel_size = 1, out_size = 1, in_size = 1;
  for (int d = 0; d < w.rank; ++d) {
    kernel_size *= w.kernel[d];
    out_size *= w.out[d];
    in_size *= w.in[d];
  }
  for (int64_t i = 0; i < channels * kernel_size * out_size; ++i)
    col[i] = Im2ColValue(x, w, kernel_size, out_size, in_size, i);
  return cudaSuccess;
}

inline cudaError_t Pool(bool is_max, bool include_pad, const float* x, float* y, int64_t planes,
                        const WindowDesc& w, cudaStream_t) {
  int64_t kernel_size = 1, out_size = 1, in_size = 1;
  for (int d = 0; d < w.rank; ++d) {
    kernel_size *= w.kernel[d];
    out_size *= w.out[d];
    in_size *= w.in[d];
  }
  for (int64_t i = 0; i < planes * out_size; ++i)
    y[i] = PoolValue(is_max, include_pad, x, w, in_size, out_size, kernel_size, i);
  return cudaSuccess;
}

inline cudaError_t Reduce(ReduceKind kind, const ReduceDesc& d, const float* x, float* y,
                          cudaStream_t) {
  for (int64_t o = 0; o < d.kept; ++o) {
    int64_t base = 0, rest = o;
    for (int k = d.kept_rank - 1; k >= 0; --k) {
      base += (rest % d.kept_dims[k]) * d.kept_strides[k];
      rest /= d.kept_dims[k];
    }
    float acc = kind == ReduceKind::kMax ? -INFINITY : 0.f;
    for (int64_t r = 0; r < d.reduced; ++r) {
      int64_t off = base, rr = r;
      for (int k = d.reduced_rank - 1; k >= 0; --k) {
        off += (rr % d.reduced_dims[k]) * d.reduced_strides[k];
        rr /= d.reduced_dims[k];
      }
      acc = kind == ReduceKind::kMax ? MaxNan(acc, x[off]) : acc + x[off];
    }
    if (kind == ReduceKind::kMean) acc /= static_cast<float>(d.reduced);
    y[o] = acc;
  }
  return cudaSuccess;
}

inline cudaError_t Softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                           cudaStream_t) {
  for (int64_t r = 0; r < outer * inner; ++r) {
    const int64_t o = r / inner, i = r % inner;
    const float* xr = x + o * n * inner + i;
    float* yr = y + o * n * inner + i;
    float m = -INFINITY, s = 0.f;
    for (int64_t j = 0; j < n; ++j) m = MaxNan(m, xr[j * inner]);
    for (int64_t j = 0; j < n; ++j) s += std::exp(xr[j * inner] - m);
    for (int64_t j = 0; j < n; ++j) yr[j * inner] = std::exp(xr[j * inner] - m) / s;
  }
  return cudaSuccess;
}

inline cudaError_t LayerNorm(const float* x, const float* scale, const float* bias, float* y,
                             float* mean_out, float* inv_std_out, int64_t rows, int64_t n,
                             float epsilon, cudaStream_t) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float s = 0.f, sq = 0.f;
    for (int64_t j = 0; j < n; ++j) s += xr[j];
    const float mean = s / static_cast<float>(n);
    for (int64_t j = 0; j < n; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
    const float inv_std = 1.f / std::sqrt(sq / static_cast<float>(n) + epsilon);
    for (int64_t j = 0; j < n; ++j)
      y[r * n + j] = (xr[j] - mean) * inv_std * scale[j] + (bias ? bias[j] : 0.f);
    if (mean_out) mean_out[r] = mean;
    if (inv_std_out) inv_std_out[r] = inv_std;
  }
  return cudaSuccess;
}

inline cudaError_t BatchNorm(const float* x, const float* scale, const float* bias,
                             const float* mean, const float* var, float epsilon, float* y,
                             int64_t n, int64_t channels, int64_t inner, cudaStream_t) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / inner) % channels;
    const float m = scale[c] / std::sqrt(var[c] + epsilon);
    y[i] = x[i] * m + (bias[c] - mean[c] * m);
  }
  return cudaSuccess;
}

inline const KernelApi& Kernels() {
  static const KernelApi api{
      &Unary,  &Binary,   &CompareFn,  &Where,          &StridedCopy,   &Gather,
      &Cast,   &Quantize, &Dequantize, &ChannelBiasAct, &MatrixBiasAct, &ChannelAffine,
      &Im2Col, &Pool,     &Reduce,     &Softmax,        &LayerNorm,     &BatchNorm};
  return api;
}

// Runs `g` as the CUDA backend would, on host memory: PrepareCudaGraph, the plan's memory layout
// (PlanCudaLayout: aliases, constants, one arena pre-filled with NaN bytes), CompileOp per step,
// and each op run with the host kernels and BLAS. `kernels` lists the kernel each step got.
inline Result<std::vector<Tensor>> RunEmulated(const Graph& g, const PrepareOptions& options,
                                               const std::vector<Tensor>& inputs,
                                               std::vector<std::string>* kernels = nullptr) {
  SL_ASSIGN_OR_RETURN(Graph p, PrepareCudaGraph(g, options));
  if (inputs.size() != p.inputs.size()) return InvalidArgument("input count");
  SL_ASSIGN_OR_RETURN(CudaLayout layout, PlanCudaLayout(p));
  std::vector<char> arena(layout.arena_bytes + 64, static_cast<char>(0xff));
  auto address = [&](int v) -> void* {
    if (v == kNoValue) return nullptr;
    const CudaLayout::Slot& slot = layout.slots[v];
    switch (slot.kind) {
      case CudaLayout::SlotKind::kArena:
        return arena.data() + slot.offset;
      case CudaLayout::SlotKind::kInput:
        return inputs[slot.offset].raw();
      case CudaLayout::SlotKind::kConstant:
        return p.values[layout.root[v]].constant.raw();
      default:
        return nullptr;
    }
  };
  DeviceMemory memory(0, /*host=*/true);
  for (size_t index : layout.steps) {
    const Node& n = p.nodes[index];
    CompileContext ctx{p, n, memory};
    auto op = CompileOp(ctx);
    if (!op.ok()) return op.status().WithContext(p.Describe(n));
    if (kernels) kernels->push_back((*op)->name());
    std::vector<const void*> in;
    for (int v : n.inputs) in.push_back(address(v));
    std::vector<void*> out;
    for (int v : n.outputs) out.push_back(address(v));
    std::vector<char> scratch((*op)->scratch_bytes() + 1);
    RunContext run;
    run.blas = &Blas();
    run.kernels = &Kernels();
    run.scratch = scratch.data();
    SL_RETURN_IF_ERROR((*op)->Run(run, in, out).WithContext(p.Describe(n)));
  }
  std::vector<Tensor> result;
  for (int o : p.outputs) {
    result.emplace_back(p.values[o].dtype, p.values[o].shape);
    if (result.back().bytes()) std::memcpy(result.back().raw(), address(o), result.back().bytes());
  }
  return result;
}

}  // namespace sl::cuda::host

// Weak stand-ins for the launchers of cuda_kernels.h, used when the .cu files under kernels/ are
// not compiled into this build: each fails with cudaErrorNotSupported. The strong definitions in
// kernels/*.cu win at link time whenever they are built (sparseloom_core is an OBJECT library).
#include "backend/cuda/cuda_kernels.h"

namespace sl::cuda {

__attribute__((weak)) bool KernelsBuilt() { return false; }

__attribute__((weak)) cudaError_t LaunchUnary(UnaryOp op, float a, float b, const float* x,
                                              float* y, int64_t n, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchBinary(BinaryOp op, const IndexMap& map, int64_t n,
                                               const float* a, const float* b, float* y, float lo,
                                               float hi, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchCompare(CompareOp op, ElemType type, const IndexMap& map,
                                                int64_t n, const void* a, const void* b, bool* y,
                                                cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchWhere(int elem_bytes, const IndexMap& map, int64_t n,
                                              const bool* cond, const void* a, const void* b,
                                              void* y, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchStridedCopy(int elem_bytes, const IndexMap& map, int64_t n,
                                                    const void* x, void* y, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchGather(int elem_bytes, const void* x, const void* indices,
                                               bool indices_i64, void* y, int64_t outer,
                                               int64_t count, int64_t inner, int64_t dim,
                                               cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y,
                                             int64_t n, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchQuantize(const float* x, const float* scale,
                                                 const void* zero_point, bool y_signed, void* y,
                                                 int64_t n, int64_t channels, int64_t inner,
                                                 cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchDequantize(const void* x, bool x_signed, const float* scale,
                                                   const void* zero_point, float* y, int64_t n,
                                                   int64_t channels, int64_t inner,
                                                   cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchChannelBiasAct(float* y, const float* bias, int64_t n,
                                                       int64_t channels, int64_t inner, float lo,
                                                       float hi, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchMatrixBiasAct(float* y, const float* c, int64_t m,
                                                      int64_t n, int64_t c_row, int64_t c_col,
                                                      float beta, float lo, float hi,
                                                      cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchChannelAffine(const float* x, const float* mul,
                                                      const float* add, float* y, int64_t n,
                                                      int64_t channels, int64_t inner,
                                                      cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchIm2Col(const float* x, float* col, int64_t channels,
                                               const WindowDesc& w, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchPool(bool is_max, bool count_include_pad, const float* x,
                                             float* y, int64_t planes, const WindowDesc& w,
                                             cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchReduce(ReduceKind kind, const ReduceDesc& d, const float* x,
                                               float* y, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchSoftmax(const float* x, float* y, int64_t outer, int64_t n,
                                                int64_t inner, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchLayerNorm(const float* x, const float* scale,
                                                  const float* bias, float* y, float* mean,
                                                  float* inv_std, int64_t rows, int64_t n,
                                                  float epsilon, cudaStream_t stream) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) cudaError_t LaunchBatchNorm(const float* x, const float* scale,
                                                  const float* bias, const float* mean,
                                                  const float* var, float epsilon, float* y,
                                                  int64_t n, int64_t channels, int64_t inner,
                                                  cudaStream_t stream) {
  return cudaErrorNotSupported;
}

}  // namespace sl::cuda

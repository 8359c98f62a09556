#include "backend/cuda/cuda_kernels.h"

namespace sl::cuda {

const KernelApi& DeviceKernels() {
  static const KernelApi api{
      &LaunchUnary,       &LaunchBinary,         &LaunchCompare,       &LaunchWhere,
      &LaunchStridedCopy, &LaunchGather,         &LaunchCast,          &LaunchQuantize,
      &LaunchDequantize,  &LaunchChannelBiasAct, &LaunchMatrixBiasAct, &LaunchChannelAffine,
      &LaunchIm2Col,      &LaunchPool,           &LaunchReduce,        &LaunchSoftmax,
      &LaunchLayerNorm,   &LaunchBatchNorm,
  };
  return api;
}

}  // namespace sl::cuda

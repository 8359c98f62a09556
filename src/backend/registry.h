// The constructors behind OpenBackend(), one per backend; the optional ones exist only when the
// build found their SDK (SL_HAVE_OPENCL, SL_HAVE_CUDA).
#pragma once

#include <memory>

#include "backend/backend.h"

namespace sl {

[[nodiscard]] Result<std::shared_ptr<Backend>> OpenCpuBackend();
#ifdef SL_HAVE_OPENCL
// Device `index` counted over all OpenCL platforms in order.
[[nodiscard]] Result<std::shared_ptr<Backend>> OpenOpenClBackend(int index);
#endif
#ifdef SL_HAVE_CUDA
[[nodiscard]] Result<std::shared_ptr<Backend>> OpenCudaBackend(int index);
#endif

}  // namespace sl

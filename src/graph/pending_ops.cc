// TEMPORARY scaffolding while the op implementations land in parallel: weak definitions that
// report "not implemented yet". Real definitions (strong symbols) override them at link time.
// This file is deleted once every op in ops.def has its infer and reference functions.
#include "graph/infer.h"
#include "kernels/ref/ref.h"

namespace sl {
#define SL_OP(name)                                                                          \
  __attribute__((weak)) Status Infer##name(InferContext& ctx) {                              \
    return ctx.Error("shape inference not implemented yet");                                 \
  }                                                                                          \
  __attribute__((weak)) Status Ref##name(const Node&, std::span<const TensorView>,           \
                                         std::span<const TensorView>) {                      \
    return Unsupported("reference kernel for " #name " not implemented yet");                \
  }
#include "graph/ops.def"
#undef SL_OP
}  // namespace sl

// Until kernels/dense lands: no dense kernels, every node falls back to its reference kernel.
#include "kernels/kernel.h"
namespace sl {
__attribute__((weak)) Result<std::unique_ptr<Kernel>> CreateDenseKernel(const KernelRequest&) {
  return Unsupported("dense kernels not built yet");
}
}  // namespace sl

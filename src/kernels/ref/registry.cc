// Reference-kernel table generated from ops.def.
#include <array>

#include "kernels/ref/ref.h"

namespace sl {

namespace {
constexpr std::array<RefFn, static_cast<size_t>(OpType::kCount)> kRefFns = {
#define SL_OP(name) &Ref##name,
#include "graph/ops.def"
#undef SL_OP
};
}  // namespace

RefFn GetRefFn(OpType op) { return kRefFns[static_cast<size_t>(op)]; }

}  // namespace sl

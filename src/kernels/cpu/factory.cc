// CreateCpuKernel: the table from op to the fast CPU kernel family that handles it.
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cpu_kernels.h"

namespace sl {

namespace {

using Factory = Result<std::unique_ptr<Kernel>> (*)(const KernelRequest&);

Factory FactoryFor(OpType op) {
  switch (op) {
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
      return &cpu::CreateBinaryKernel;
    case OpType::kRelu:
    case OpType::kLeakyRelu:
    case OpType::kSigmoid:
    case OpType::kTanh:
    case OpType::kErf:
    case OpType::kSqrt:
    case OpType::kExp:
    case OpType::kNeg:
    case OpType::kAbs:
    case OpType::kHardSigmoid:
    case OpType::kHardSwish:
    case OpType::kGelu:
    case OpType::kClip:
      return &cpu::CreateUnaryKernel;
    case OpType::kMaxPool:
    case OpType::kAveragePool:
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
      return &cpu::CreatePoolKernel;
    case OpType::kSoftmax:
      return &cpu::CreateSoftmaxKernel;
    case OpType::kReduceMean:
    case OpType::kReduceSum:
      return &cpu::CreateReduceKernel;
    case OpType::kLayerNormalization:
      return &cpu::CreateLayerNormKernel;
    case OpType::kTranspose:
      return &cpu::CreateTransposeKernel;
    case OpType::kGather:
      return &cpu::CreateGatherKernel;
    case OpType::kConcat:
    case OpType::kSplit:
      return &cpu::CreateConcatSplitKernel;
    default:
      return nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> CreateCpuKernel(const KernelRequest& req) {
  const Factory factory = FactoryFor(req.node.op);
  if (factory == nullptr)
    return Unsupported(cpu::Describe(req) + ": no fast cpu kernel for this op");
  // Only the binary kernel applies a fused "_act"; leave any other fused node to the reference.
  if (factory != &cpu::CreateBinaryKernel && req.node.attrs.Has("_act"))
    return Unsupported(cpu::Describe(req) + ": cpu kernel does not apply a fused activation");
  // Channel-blocked operands: the binary kernel reads them itself, pools have their own kernel.
  if (req.any_blocked() && factory == &cpu::CreatePoolKernel)
    return cpu::CreateBlockedPoolKernel(req);
  if (req.any_blocked() && factory != &cpu::CreateBinaryKernel)
    return Unsupported(cpu::Describe(req) + ": cpu kernel reads plain layouts only");
  return factory(req);
}

}  // namespace sl

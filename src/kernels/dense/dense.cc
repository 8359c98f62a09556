#include "kernels/dense/dense.h"

#include "kernels/dense/onednn_common.h"

namespace sl {

Result<std::unique_ptr<Kernel>> CreateDenseKernel(const KernelRequest& req) {
  switch (req.node.op) {
    case OpType::kConv:
      return dense::CreateOnednnConv(req);
    case OpType::kGemm:
    case OpType::kMatMul: {
      auto gemv = dense::CreateGemv(req);
      if (gemv.ok()) return gemv;
      if (gemv.status().code() != StatusCode::kUnsupported) return gemv.status();
      return dense::CreateOnednnMatMul(req);
    }
    default:
      return Unsupported(dense::DescribeNode(req) + ": no dense kernel for this op");
  }
}

}  // namespace sl

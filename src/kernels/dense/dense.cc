#include "kernels/dense/dense.h"

#include <omp.h>

#include "kernels/dense/onednn_common.h"

namespace sl {

namespace {

// oneDNN sizes its work split by the OpenMP thread count current when a primitive is created, so
// primitives are created under the thread count they will execute with.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int n) : saved_(omp_get_max_threads()) { dense::SetNumThreads(n); }
  ~ScopedOmpThreads() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> CreateDenseKernel(const KernelRequest& req) {
  ScopedOmpThreads threads(req.num_threads);
  switch (req.node.op) {
    case OpType::kConv: {
      // The pointwise path reads and writes plain NCHW only, and adds no fused residual.
      if (!req.any_blocked() && !req.node.attrs.Has("_residual")) {
        auto pointwise = dense::CreateOnednnConv1x1(req);
        if (pointwise.ok()) return pointwise;
      }
      return dense::CreateOnednnConv(req);
    }
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

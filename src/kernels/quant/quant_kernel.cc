// CreateQuantKernel: checks what the oneDNN INT8 path needs beyond a valid quantized node
// (constant weights, scales and bias) and dispatches to the Conv or MatMul factory.
#include <omp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "kernels/dense/cpu_features.h"
#include "kernels/dense/onednn_common.h"
#include "kernels/quant/quant.h"

namespace sl {

bool Int8KernelsExact() {
  static const bool exact = [] {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const bool avx512_vnni = (c >> 11) & 1u;
    const unsigned max_subleaf = a;
    bool avx_vnni = false;
    if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) avx_vnni = (a >> 4) & 1u;
    const dense::SimdLevel level = dense::DetectSimdLevel();
    return (avx512_vnni && level == dense::SimdLevel::kAvx512) ||
           (avx_vnni && level != dense::SimdLevel::kScalar);
#else
    return false;
#endif
  }();
  return exact;
}

Result<std::unique_ptr<Kernel>> CreateQuantKernel(const KernelRequest& req) {
  const std::string where = dense::DescribeNode(req);
  if (!IsQuantizedNode(req.node)) return Unsupported(where + ": not a quantized node");
  if (!Int8KernelsExact()) {
    return Unsupported(where + ": no exact INT8 kernel on this CPU (no VNNI: oneDNN would " +
                       "saturate 16-bit partial sums)");
  }
  std::vector<TensorView> inputs, outputs;
  for (size_t i = 0; i < req.node.inputs.size(); ++i) {
    if (!req.has_input(static_cast<int>(i))) {
      inputs.emplace_back();
      continue;
    }
    const Value& v = req.input(static_cast<int>(i));
    inputs.push_back({v.dtype, v.shape, v.is_constant() ? v.constant.raw() : nullptr});
  }
  for (int o : req.node.outputs) {
    const Value& v = req.graph.values[o];
    outputs.push_back({v.dtype, v.shape, nullptr});
  }
  auto spec = ParseQuantNode(req.node, inputs, outputs);
  if (!spec.ok()) return spec.status().WithContext(req.graph.source);
  if (!req.input(1).is_constant() || !req.input(3).is_constant() ||
      (spec->has_bias && !req.input(2).is_constant())) {
    return Unsupported(where + ": INT8 kernel needs constant weights, scales and bias");
  }
  for (int64_t d : req.input(0).shape) {
    if (d <= 0) return Unsupported(where + ": INT8 kernel needs non-empty inputs");
  }
  // oneDNN sizes its work split by the OpenMP thread count current at primitive creation.
  const int saved = omp_get_max_threads();
  dense::SetNumThreads(req.num_threads);
  auto kernel = spec->op == OpType::kConv ? quant::CreateOnednnInt8Conv(req, *spec)
                                          : quant::CreateOnednnInt8MatMul(req, *spec);
  omp_set_num_threads(saved);
  return kernel;
}

}  // namespace sl

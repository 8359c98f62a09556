// CreateQuantKernel: checks what the oneDNN INT8 path needs beyond a valid quantized node
// (constant weights, scales and bias) and dispatches to the Conv or MatMul factory.
#include <omp.h>

#include <atomic>

#include "kernels/dense/onednn_common.h"
#include "kernels/quant/quant.h"

namespace sl {

bool Int8KernelsExact() {
  // oneDNN's own view of the ISA it dispatches to (it honours ONEDNN_MAX_CPU_ISA): the VNNI
  // levels are bit supersets of avx512_core_vnni (bf16, AMX) or of avx2_vnni.
  static const bool exact = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    auto has = [isa](dnnl::cpu_isa level) {
      const auto bits = static_cast<unsigned>(level);
      return (isa & bits) == bits;
    };
    return has(dnnl::cpu_isa::avx512_core_vnni) || has(dnnl::cpu_isa::avx2_vnni);
  }();
  return exact;
}

namespace {
std::atomic<bool> force_split{false};
}  // namespace

bool UseSplitWeights() { return force_split.load() || !Int8KernelsExact(); }
void SetInt8SplitWeightsForTesting(bool on) { force_split.store(on); }

Result<std::unique_ptr<Kernel>> CreateQuantKernel(const KernelRequest& req) {
  const std::string where = dense::DescribeNode(req);
  if (!IsQuantizedNode(req.node)) return Unsupported(where + ": not a quantized node");
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

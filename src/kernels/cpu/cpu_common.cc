#include "kernels/cpu/cpu_common.h"

namespace sl::cpu {

std::string Describe(const KernelRequest& req) { return req.graph.Describe(req.node); }

Status RequireFloat(const KernelRequest& req, std::initializer_list<int> float_inputs) {
  for (int i : float_inputs) {
    if (req.has_input(i) && req.input(i).dtype != DType::kF32) {
      return Unsupported(Describe(req) + ": cpu kernel needs float32 input " + std::to_string(i) +
                         ", got " + std::string(DTypeName(req.input(i).dtype)));
    }
  }
  for (size_t o = 0; o < req.node.outputs.size(); ++o) {
    if (req.node.outputs[o] != kNoValue && req.output(static_cast<int>(o)).dtype != DType::kF32) {
      return Unsupported(Describe(req) + ": cpu kernel needs float32 outputs");
    }
  }
  return Status::Ok();
}

Status CpuKernel::Bind(const KernelRequest& req, const std::string& name) {
  name_ = "cpu:" + name;
  where_ = Describe(req);
  auto numel = [&](int v) -> Result<int64_t> {
    if (v == kNoValue) return int64_t{-1};
    const Value& val = req.graph.values[v];
    const int64_t n = NumElements(val.shape);
    if (!val.known_rank || n < 0) {
      return Unsupported(where_ + ": cpu kernel needs known shapes, '" + val.name + "' is " +
                         ShapeToString(val.shape));
    }
    return n;
  };
  for (int v : req.node.inputs) {
    SL_ASSIGN_OR_RETURN(int64_t n, numel(v));
    in_numel_.push_back(n);
  }
  for (int v : req.node.outputs) {
    SL_ASSIGN_OR_RETURN(int64_t n, numel(v));
    out_numel_.push_back(n);
  }
  return Status::Ok();
}

Status CpuKernel::CheckViews(std::span<const TensorView> inputs,
                             std::span<const TensorView> outputs) const {
  auto bad = [&](const char* what, size_t i) {
    return InvalidArgument(where_ + " (" + name_ + "): " + what + " " + std::to_string(i) +
                           " differs from the prepared one");
  };
  if (inputs.size() < in_numel_.size() || outputs.size() < out_numel_.size())
    return InvalidArgument(where_ + " (" + name_ + "): too few inputs or outputs");
  for (size_t i = 0; i < in_numel_.size(); ++i) {
    if (in_numel_[i] < 0) continue;
    if (inputs[i].numel() != in_numel_[i] || (in_numel_[i] > 0 && inputs[i].data == nullptr))
      return bad("input", i);
  }
  for (size_t i = 0; i < out_numel_.size(); ++i) {
    if (out_numel_[i] < 0) continue;
    if (outputs[i].data == nullptr) {
      // An unwanted optional output; output 0 is required unless every output is optional.
      if (i == 0 && !all_outputs_optional_ && out_numel_[0] > 0) return bad("output", i);
      continue;
    }
    if (outputs[i].numel() != out_numel_[i]) return bad("output", i);
  }
  return Status::Ok();
}

}  // namespace sl::cpu

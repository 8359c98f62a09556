#include "cli/model_io.h"

#include <algorithm>
#include <random>

#include "core/npy.h"

namespace sl::cli {

Tensor RandomTensor(const TensorInfo& info, uint64_t seed) {
  Tensor t(info.dtype, info.shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> real(-1.f, 1.f);
  std::uniform_int_distribution<int> integer(0, 9);
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    switch (info.dtype) {
      case DType::kF32:
        t.data<float>()[i] = real(rng);
        break;
      case DType::kF64:
        t.data<double>()[i] = real(rng);
        break;
      case DType::kF16:
        t.data<uint16_t>()[i] = FloatToHalf(real(rng));
        break;
      case DType::kI64:
        t.data<int64_t>()[i] = integer(rng);
        break;
      case DType::kI32:
        t.data<int32_t>()[i] = integer(rng);
        break;
      case DType::kI8:
        t.data<int8_t>()[i] = static_cast<int8_t>(integer(rng));
        break;
      case DType::kU8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(integer(rng));
        break;
      case DType::kBool:
        t.data<bool>()[i] = integer(rng) & 1;
        break;
      default:
        break;
    }
  }
  return t;
}

Result<std::vector<Tensor>> LoadInputs(const Graph& g, const std::vector<std::string>& specs) {
  std::vector<Tensor> out(g.inputs.size());
  size_t next = 0;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    size_t index;
    std::string path;
    if (eq != std::string::npos) {
      std::string name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
      auto it = std::find_if(g.inputs.begin(), g.inputs.end(),
                             [&](int v) { return g.values[v].name == name; });
      if (it == g.inputs.end())
        return NotFound(g.source + ": model has no input named '" + name + "'");
      index = it - g.inputs.begin();
    } else {
      path = spec;
      while (next < out.size() && out[next].defined()) ++next;
      if (next >= out.size())
        return InvalidArgument("more --input files than the model's " + std::to_string(out.size()) +
                               " inputs");
      index = next;
    }
    SL_ASSIGN_OR_RETURN(out[index], ReadNpy(path));
  }
  return out;
}

void Percentiles(std::vector<double>& s, double* median, double* p90) {
  std::sort(s.begin(), s.end());
  if (s.empty()) {
    *median = *p90 = 0;
    return;
  }
  size_t n = s.size();
  *median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  *p90 = s[std::min(n - 1, static_cast<size_t>(0.9 * static_cast<double>(n - 1) + 0.5))];
}

}  // namespace sl::cli

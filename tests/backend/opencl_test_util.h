// Helpers of the OpenCL backend tests: one backend per test binary (building the program takes a
// while on PoCL), skipping when no OpenCL device exists, and running a graph on a plan.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace sl::opencltest {

// The "opencl" backend, opened once and never destroyed (drivers may be gone when static
// destructors run); nullptr (with the reason in *why) when there is none.
inline std::shared_ptr<Backend> SharedOpenCl(std::string* why) {
  static const auto* backend = new Result<std::shared_ptr<Backend>>(OpenBackend("opencl"));
  if (!backend->ok()) {
    *why = backend->status().message();
    return nullptr;
  }
  return backend->value();
}

// Declares `name`, the shared OpenCL backend, or skips the test.
#define SL_OPENCL_OR_SKIP(name)                                          \
  std::string name##_why;                                                \
  std::shared_ptr<Backend> name = opencltest::SharedOpenCl(&name##_why); \
  if (!name) GTEST_SKIP() << "no OpenCL device: " << name##_why

// Runs `plan` once on host tensors; outputs are pre-filled with NaN (float32) or 0xA5 bytes.
inline Result<std::vector<Tensor>> RunPlan(const DevicePlan& plan,
                                           const std::vector<Tensor>& inputs) {
  SL_ASSIGN_OR_RETURN(auto runner, plan.NewRunner());
  std::vector<TensorView> in, out;
  for (const Tensor& t : inputs) in.push_back(t.view());
  std::vector<Tensor> outputs;
  for (const TensorInfo& t : plan.outputs()) {
    Tensor o(t.dtype, t.shape);
    if (t.dtype == DType::kF32) {
      for (int64_t i = 0; i < o.numel(); ++i) o.data<float>()[i] = std::nanf("");
    } else if (o.bytes()) {
      std::memset(o.raw(), 0xA5, o.bytes());
    }
    outputs.push_back(std::move(o));
  }
  for (const Tensor& t : outputs) out.push_back(t.view());
  SL_RETURN_IF_ERROR(runner->RunHost(in, out));
  return outputs;
}

// Largest |a - b| / max(1, |b|) over float32 tensors; NaN anywhere counts as infinity unless
// both are NaN.
inline double MaxRelDiff(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    if (std::isnan(x) && std::isnan(y)) continue;
    if (std::isinf(x) && x == y) continue;
    const double d = std::fabs(x - y) / std::max(1.0, std::fabs(y));
    if (!(d <= m)) m = std::isnan(d) ? INFINITY : d;
  }
  return m;
}

}  // namespace sl::opencltest

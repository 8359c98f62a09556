// `sparseloom conformance`: runs the ONNX backend node tests (Debian's libonnx-testdata) whose
// ops SparseLoom supports, plus the pytorch-converted Conv/pool/linear cases, and compares every
// output with the expected one. Unsupported cases (ops or dtypes SparseLoom does not handle) are
// reported apart from failures.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "backend/backend.h"
#include "cli/args.h"
#include "onnx/loader.h"

namespace sl::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultData = "/usr/share/libonnx-testdata/data";

// Selected pytorch-converted cases: convolutions, pooling and linear layers.
bool SelectPytorchConverted(const std::string& name) {
  for (const char* p : {"Conv", "Pool", "Linear"})
    if (name.find(p) != std::string::npos) return true;
  return false;
}

// Compares within the ONNX backend-test tolerance (rtol 1e-3, atol 1e-7; atol 1e-5 for floats
// produced by long reductions).
Status Compare(const Tensor& got, const Tensor& want, const std::string& name) {
  if (got.dtype() != want.dtype())
    return InvalidArgument(name + ": dtype " + std::string(DTypeName(got.dtype())) +
                           " != expected " + std::string(DTypeName(want.dtype())));
  if (got.shape() != want.shape())
    return InvalidArgument(name + ": shape " + ShapeToString(got.shape()) + " != expected " +
                           ShapeToString(want.shape()));
  std::vector<double> a = got.ToDoubles(), b = want.ToDoubles();
  bool exact =
      got.dtype() != DType::kF32 && got.dtype() != DType::kF64 && got.dtype() != DType::kF16;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    double tol = exact ? 0.0 : 1e-5 + 1e-3 * std::fabs(b[i]);
    if (!(std::fabs(a[i] - b[i]) <= tol) && !(a[i] == b[i])) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s[%zu] = %.8g, expected %.8g", name.c_str(), i, a[i], b[i]);
      return InvalidArgument(buf);
    }
  }
  return Status::Ok();
}

enum class Outcome { kPassed, kFailed, kSkipped };

// Runs the prepared plan once on host tensors; outputs are allocated here.
Result<std::vector<Tensor>> RunPlanOnce(const DevicePlan& plan, const std::vector<Tensor>& inputs) {
  SL_ASSIGN_OR_RETURN(auto runner, plan.NewRunner());
  std::vector<TensorView> in, out;
  for (const Tensor& t : inputs) in.push_back(t.view());
  std::vector<Tensor> outputs;
  for (const TensorInfo& t : plan.outputs()) {
    SL_RETURN_IF_ERROR(CheckShape(t.shape, t.dtype, "output '" + t.name + "'"));
    outputs.emplace_back(t.dtype, t.shape);
  }
  for (const Tensor& t : outputs) out.push_back(t.view());
  SL_RETURN_IF_ERROR(runner->RunHost(in, out));
  return outputs;
}

Outcome RunCase(const fs::path& dir, const Backend& backend, bool reference, bool force_sparse,
                std::string* why) {
  auto graph = LoadOnnxModel((dir / "model.onnx").string());
  if (!graph.ok()) {
    *why = graph.status().message();
    return graph.status().code() == StatusCode::kUnsupported ? Outcome::kSkipped : Outcome::kFailed;
  }
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) {
    *why = "no test_data_set";
    return Outcome::kSkipped;
  }
  for (const auto& set : sets) {
    std::vector<Tensor> inputs, expected;
    for (size_t i = 0;; ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      auto t = LoadTensorProtoFile(p.string());
      if (!t.ok()) {
        *why = t.status().message();
        return t.status().code() == StatusCode::kUnsupported ? Outcome::kSkipped : Outcome::kFailed;
      }
      inputs.push_back(std::move(*t));
    }
    for (size_t i = 0;; ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      auto t = LoadTensorProtoFile(p.string());
      if (!t.ok()) {
        *why = t.status().message();
        return t.status().code() == StatusCode::kUnsupported ? Outcome::kSkipped : Outcome::kFailed;
      }
      expected.push_back(std::move(*t));
    }
    if (inputs.size() != graph->inputs.size()) {
      *why = "test data has " + std::to_string(inputs.size()) + " inputs, model " +
             std::to_string(graph->inputs.size());
      return Outcome::kFailed;
    }
    PrepareOptions options;
    options.reference_only = reference;
    options.force_sparse = force_sparse;
    // Integer inputs usually carry shapes, axes or indices, which SparseLoom binds at prepare
    // time: pass them as constants, the others as run-time inputs.
    std::vector<Tensor> runtime_inputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string& name = graph->values[graph->inputs[i]].name;
      if (inputs[i].dtype() == DType::kI64 || inputs[i].dtype() == DType::kI32) {
        options.constant_inputs[name] = inputs[i];
      } else {
        options.input_shapes[name] = inputs[i].shape();
        runtime_inputs.push_back(inputs[i]);
      }
    }
    auto plan = backend.Prepare(*graph, options);
    if (!plan.ok() &&
        plan.status().message().find("could not infer the shape") != std::string::npos) {
      // An output shape depends on input values (e.g. Range): bind every input at prepare time.
      for (size_t i = 0; i < inputs.size(); ++i)
        options.constant_inputs[graph->values[graph->inputs[i]].name] = inputs[i];
      options.input_shapes.clear();
      runtime_inputs.clear();
      plan = backend.Prepare(*graph, options);
    }
    if (!plan.ok()) {
      *why = plan.status().message();
      return plan.status().code() == StatusCode::kUnsupported ? Outcome::kSkipped
                                                              : Outcome::kFailed;
    }
    auto outputs = RunPlanOnce(**plan, runtime_inputs);
    if (!outputs.ok()) {
      *why = outputs.status().message();
      return outputs.status().code() == StatusCode::kUnsupported ? Outcome::kSkipped
                                                                 : Outcome::kFailed;
    }
    if (outputs->size() < expected.size()) {
      *why = "model produced fewer outputs than expected";
      return Outcome::kFailed;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      Status s = Compare((*outputs)[i], expected[i], (*plan)->outputs()[i].name);
      if (!s.ok()) {
        *why = set.filename().string() + ": " + s.message();
        return Outcome::kFailed;
      }
    }
  }
  return Outcome::kPassed;
}

}  // namespace

int RunConformance(int argc, char** argv) {
  auto args =
      Args::Parse(argc, argv, {"verbose", "force-sparse", "help"}, {"backend", "filter", "data"});
  if (!args.ok()) return Fail("conformance", args.status());
  if (args->Has("help")) {
    std::puts(
        "usage: sparseloom conformance [--backend cpu|ref|opencl[:N]|cuda[:N]]\n"
        "                              [--filter SUBSTRING] [--verbose] [--data DIR]\n"
        "                              [--force-sparse]\n"
        "--backend ref runs every node on its reference kernel; opencl and cuda run on that\n"
        "device, and ops the device backend does not support are reported as skipped.\n"
        "--force-sparse runs every Conv/Gemm/MatMul with constant weights on a sparse kernel.\n"
        "Runs every ONNX node test of libonnx-testdata (DIR/node) whose ops SparseLoom\n"
        "supports, plus DIR/pytorch-converted Conv/Pool/Linear cases. Prints failures,\n"
        "with --verbose also skipped cases, and ends with\n"
        "'conformance: N passed, M failed, K skipped'. Exit code 1 if any failed.");
    return 0;
  }
  const std::string backend_name = args->Get("backend", "cpu");
  const bool reference = backend_name == "ref";
  auto backend = OpenBackend(reference ? "cpu" : backend_name);
  if (!backend.ok()) return Fail("conformance", backend.status());
  std::printf("conformance: backend %s on %s\n", backend_name.c_str(),
              (*backend)->device().name.c_str());
  fs::path data = args->Get("data", kDefaultData);
  if (!fs::is_directory(data / "node"))
    return Fail("conformance",
                NotFound(data.string() + "/node: not found; install libonnx-testdata"));
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(data / "node"))
    if (e.is_directory()) cases.push_back(e.path());
  if (fs::is_directory(data / "pytorch-converted"))
    for (const auto& e : fs::directory_iterator(data / "pytorch-converted"))
      if (e.is_directory() && SelectPytorchConverted(e.path().filename().string()))
        cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  std::string filter = args->Get("filter");
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& dir : cases) {
    std::string name = dir.parent_path().filename().string() + "/" + dir.filename().string();
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    std::string why;
    Outcome o = RunCase(dir, **backend, reference, args->Has("force-sparse"), &why);
    std::replace(why.begin(), why.end(), '\n', ' ');
    if (o == Outcome::kPassed) {
      ++passed;
      if (args->Has("verbose")) std::printf("PASS %s\n", name.c_str());
    } else if (o == Outcome::kFailed) {
      ++failed;
      std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
    } else {
      ++skipped;
      if (args->Has("verbose")) std::printf("SKIP %s: %s\n", name.c_str(), why.c_str());
    }
  }
  std::printf("conformance: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}

}  // namespace sl::cli

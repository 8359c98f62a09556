// `sparseloom run-model`: run a model end to end on given or seeded random inputs and time it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "cli/args.h"
#include "cli/model_io.h"
#include "core/npy.h"
#include "onnx/loader.h"

namespace sl::cli {

namespace {
constexpr const char* kHelp =
    "usage: sparseloom run-model MODEL.onnx [--input [NAME=]X.npy]... [--output OUT.npy]\n"
    "                            [--output-dir DIR] [--threads N] [--repeat R] [--seed S]\n"
    "                            [--reference] [--kernels dense|auto|sparse] [--profile]\n"
    "                            [--labels Y.npy]\n"
    "Runs MODEL on the given NumPy inputs (missing ones: seeded random values) and prints the\n"
    "latency median and p90 over R timed runs after one warm-up. --output writes the first\n"
    "output, --output-dir every output as <name>.npy. --reference uses only reference kernels.\n"
    "--kernels picks the Conv/Gemm/MatMul path: dense (oneDNN), auto (sparse where measured\n"
    "faster; the default) or sparse (the best sparse format wherever one holds the weights).\n"
    "--profile prints time per op type and the slowest steps with their kernels.\n"
    "--labels Y.npy (int64 [N]) prints the top-1 accuracy of the first output ([N, classes]).";
// Fraction of rows of `logits` [N, C] whose argmax equals the label in `labels_path`.
Result<double> TopOneAccuracy(const Tensor& logits, const std::string& labels_path) {
  SL_ASSIGN_OR_RETURN(Tensor labels, ReadNpy(labels_path));
  if (labels.dtype() != DType::kI64 || labels.rank() != 1)
    return InvalidArgument(labels_path + ": labels must be int64 [N]");
  if (logits.dtype() != DType::kF32 || logits.rank() != 2 || logits.shape()[0] != labels.numel())
    return InvalidArgument(labels_path + ": " + std::to_string(labels.numel()) +
                           " labels do not match the first output " +
                           ShapeToString(logits.shape()));
  int64_t n = logits.shape()[0], c = logits.shape()[1], correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data<float>() + i * c;
    correct += (std::max_element(row, row + c) - row) == labels.data<int64_t>()[i];
  }
  return n ? static_cast<double>(correct) / n : 0.0;
}

void PrintProfile(const Plan& plan, const std::vector<double>& us, int64_t runs) {
  std::map<std::string, std::pair<double, int>> by_op;
  double total = 0;
  for (size_t s = 0; s < us.size(); ++s) {
    const StepInfo& st = plan.steps()[s];
    auto& e = by_op[std::string(OpTypeName(st.op)) + " [" + st.kernel + "]"];
    e.first += us[s] / runs;
    e.second++;
    total += us[s] / runs;
  }
  std::vector<std::pair<double, std::string>> rows;
  for (auto& [k, v] : by_op) rows.push_back({v.first, k + " x" + std::to_string(v.second)});
  std::sort(rows.rbegin(), rows.rend());
  std::printf("profile (mean per run, %.3f ms in steps):\n", total / 1000);
  for (auto& [t, k] : rows)
    std::printf("  %9.3f ms %5.1f%%  %s\n", t / 1000, 100 * t / total, k.c_str());
  std::vector<std::pair<double, size_t>> steps;
  for (size_t s = 0; s < us.size(); ++s) steps.push_back({us[s] / runs, s});
  std::sort(steps.rbegin(), steps.rend());
  std::printf("slowest steps:\n");
  for (size_t i = 0; i < std::min<size_t>(10, steps.size()); ++i) {
    const StepInfo& st = plan.steps()[steps[i].second];
    std::printf("  %9.3f ms  %s (%s) [%s]%s%s\n", steps[i].first / 1000, st.node.c_str(),
                std::string(OpTypeName(st.op)).c_str(), st.kernel.c_str(),
                st.reason.empty() ? "" : " ", st.reason.c_str());
  }
}

}  // namespace

int RunRunModel(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"reference", "profile", "help"},
                          {"input", "output", "output-dir", "threads", "repeat", "seed", "labels",
                           "kernels"});
  if (!args.ok()) return Fail("run-model", args.status());
  if (args->Has("help")) {
    std::puts(kHelp);
    return 0;
  }
  if (args->positional().size() != 1) {
    std::fprintf(stderr, "%s\n", kHelp);
    return 2;
  }
  auto threads = args->GetInt("threads", 1, 1, 256);
  auto repeat = args->GetInt("repeat", 10, 1, 1000000);
  auto seed = args->GetInt("seed", 1, 0, INT64_MAX);
  for (const Status& s : {threads.status(), repeat.status(), seed.status()})
    if (!s.ok()) return Fail("run-model", s);

  auto graph = LoadOnnxModel(args->positional()[0]);
  if (!graph.ok()) return Fail("run-model", graph.status());
  auto given = LoadInputs(*graph, args->GetAll("input"));
  if (!given.ok()) return Fail("run-model", given.status());

  PrepareOptions options;
  options.num_threads = static_cast<int>(*threads);
  options.reference_only = args->Has("reference");
  if (args->Has("kernels")) {
    const std::string mode = args->Get("kernels", "auto");
    if (mode != "dense" && mode != "auto" && mode != "sparse") {
      return Fail("run-model", InvalidArgument("--kernels must be dense, auto or sparse, got '" +
                                               mode + "'"));
    }
    if (options.reference_only)
      return Fail("run-model", InvalidArgument("--kernels and --reference exclude each other"));
    options.sparse_kernels = mode != "dense";
    options.force_sparse = mode == "sparse";
  }
  for (size_t i = 0; i < graph->inputs.size(); ++i)
    if ((*given)[i].defined())
      options.input_shapes[graph->values[graph->inputs[i]].name] = (*given)[i].shape();
  auto plan = Plan::Prepare(*graph, options);
  if (!plan.ok()) return Fail("run-model", plan.status());

  std::vector<Tensor> inputs;
  bool any_random = false;
  for (size_t i = 0; i < (*plan)->inputs().size(); ++i) {
    const TensorInfo& info = (*plan)->inputs()[i];
    if ((*given)[i].defined()) {
      if ((*given)[i].dtype() != info.dtype) {
        return Fail("run-model",
                    InvalidArgument("input '" + info.name + "' must be " +
                                    std::string(DTypeName(info.dtype)) + ", file has " +
                                    std::string(DTypeName((*given)[i].dtype()))));
      }
      inputs.push_back((*given)[i]);
    } else {
      inputs.push_back(RandomTensor(info, static_cast<uint64_t>(*seed) + i));
      any_random = true;
    }
  }
  if (any_random)
    std::printf("inputs: seeded random values (seed %lld)\n", static_cast<long long>(*seed));

  ExecutionContext ctx(*plan);
  auto outputs = RunOnce(ctx, inputs);  // warm-up, and the outputs we write
  if (!outputs.ok()) return Fail("run-model", outputs.status());
  std::vector<TensorView> in_views, out_views;
  for (auto& t : inputs) in_views.push_back(t.view());
  for (auto& t : *outputs) out_views.push_back(t.view());
  ctx.EnableProfiling(args->Has("profile"));
  std::vector<double> ms;
  for (int64_t r = 0; r < *repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    Status s = ctx.Run(in_views, out_views);
    auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) return Fail("run-model", s);
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  double median, p90;
  Percentiles(ms, &median, &p90);
  for (size_t i = 0; i < outputs->size(); ++i) {
    const TensorInfo& info = (*plan)->outputs()[i];
    std::printf("output %s: %s%s\n", info.name.c_str(), std::string(DTypeName(info.dtype)).c_str(),
                ShapeToString(info.shape).c_str());
  }
  std::printf("latency: median %.3f ms, p90 %.3f ms over %lld runs, %d thread(s)\n", median, p90,
              static_cast<long long>(*repeat), options.num_threads);
  if (args->Has("labels")) {
    auto acc = TopOneAccuracy((*outputs)[0], args->Get("labels"));
    if (!acc.ok()) return Fail("run-model", acc.status());
    std::printf("top-1 accuracy: %.2f%% of %lld labelled inputs\n", 100.0 * *acc,
                static_cast<long long>((*outputs)[0].shape()[0]));
  }
  if (args->Has("profile")) PrintProfile(**plan, ctx.step_time_us(), *repeat);
  if (args->Has("output")) {
    Status s = WriteNpy(args->Get("output"), (*outputs)[0]);
    if (!s.ok()) return Fail("run-model", s);
  }
  if (args->Has("output-dir")) {
    for (size_t i = 0; i < outputs->size(); ++i) {
      std::string name = (*plan)->outputs()[i].name;
      for (char& c : name)
        if (c == '/' || c == '\\') c = '_';
      Status s = WriteNpy(args->Get("output-dir") + "/" + name + ".npy", (*outputs)[i]);
      if (!s.ok()) return Fail("run-model", s);
    }
  }
  return 0;
}

}  // namespace sl::cli

// `sparseloom inspect`: ops by count, parameters, FLOPs and per-weight sparsity of a model, and
// with --kernels the kernel chosen for every Conv/Gemm/MatMul and its measured time.
#include <cstdio>

#include "cli/args.h"
#include "cli/model_io.h"
#include "core/json_writer.h"
#include "exec/model_stats.h"
#include "exec/plan.h"
#include "onnx/loader.h"

namespace sl::cli {

namespace {

struct LayerRow {
  std::string node, op, kernel, reason;
  double ms = 0;
};

// Prepares the model at batch 1 with `threads`, runs it on seeded random inputs (one warm-up,
// then `repeat` profiled runs) and returns the Conv/Gemm/MatMul steps with their mean time.
Result<std::vector<LayerRow>> MeasureLayers(const Graph& graph, int threads, int repeat) {
  PrepareOptions options;
  options.num_threads = threads;
  SL_ASSIGN_OR_RETURN(std::shared_ptr<const Plan> plan, Plan::Prepare(graph, options));
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < plan->inputs().size(); ++i)
    inputs.push_back(RandomTensor(plan->inputs()[i], 1 + i));
  ExecutionContext ctx(plan);
  SL_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, RunOnce(ctx, inputs));
  std::vector<TensorView> in, out;
  for (const Tensor& t : inputs) in.push_back(t.view());
  for (const Tensor& t : outputs) out.push_back(t.view());
  ctx.EnableProfiling(true);
  for (int r = 0; r < repeat; ++r) SL_RETURN_IF_ERROR(ctx.Run(in, out));
  std::vector<LayerRow> rows;
  for (size_t s = 0; s < plan->steps().size(); ++s) {
    const StepInfo& st = plan->steps()[s];
    if (st.op != OpType::kConv && st.op != OpType::kGemm && st.op != OpType::kMatMul) continue;
    // The reason names file and node; keep what follows the node, e.g. "sparsity 0% below ...".
    std::string why = st.reason;
    const size_t cut = why.rfind("): ");
    if (cut != std::string::npos) why = why.substr(cut + 3);
    rows.push_back({st.node, std::string(OpTypeName(st.op)), st.kernel, why,
                    ctx.step_time_us()[s] / repeat / 1000});
  }
  return rows;
}

}  // namespace

int RunInspect(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"json", "kernels", "help"}, {"threads", "repeat"});
  if (!args.ok()) return Fail("inspect", args.status());
  if (args->Has("help") || args->positional().size() != 1) {
    std::puts(
        "usage: sparseloom inspect MODEL.onnx [--json] [--kernels [--threads N] [--repeat R]]\n"
        "Prints op counts, parameters, FLOPs at batch 1 and, per weight tensor of\n"
        "Conv/Gemm/MatMul, its shape and fraction of zeros. --kernels also prepares the model\n"
        "at batch 1 on N threads (default 1), runs it R times (default 5) on seeded random\n"
        "inputs and lists per Conv/Gemm/MatMul the kernel chosen (dense, sparse format, INT8)\n"
        "with its measured mean time and why it was chosen.");
    return args->Has("help") ? 0 : 2;
  }
  const std::string& path = args->positional()[0];
  auto graph = LoadOnnxModel(path);
  if (!graph.ok()) return Fail("inspect", graph.status());
  auto stats = ComputeModelStats(*graph);
  if (!stats.ok()) return Fail("inspect", stats.status());
  std::vector<LayerRow> layers;
  auto threads = args->GetInt("threads", 1, 1, 256);
  auto repeat = args->GetInt("repeat", 5, 1, 100000);
  for (const Status& st : {threads.status(), repeat.status()})
    if (!st.ok()) return Fail("inspect", st);
  if (args->Has("kernels")) {
    auto measured = MeasureLayers(*graph, static_cast<int>(*threads), static_cast<int>(*repeat));
    if (!measured.ok()) return Fail("inspect", measured.status());
    layers = std::move(measured.value());
  }

  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject().Key("model").String(path).Key("opset").Int(graph->opset);
    j.Key("inputs").BeginArray();
    for (int v : graph->inputs) {
      j.BeginObject()
          .Key("name")
          .String(graph->values[v].name)
          .Key("dtype")
          .String(std::string(DTypeName(graph->values[v].dtype)))
          .Key("shape")
          .BeginArray();
      for (int64_t d : graph->values[v].shape) j.Int(d);
      j.EndArray().EndObject();
    }
    j.EndArray().Key("ops").BeginObject();
    for (const auto& [op, n] : stats->op_counts) j.Key(op).Int(n);
    j.EndObject().Key("nodes").Int(static_cast<long long>(graph->nodes.size()));
    j.Key("parameters").Int(stats->parameters).Key("weight_bytes").Int(stats->weight_bytes);
    j.Key("flops").Double(stats->flops).Key("weights").BeginArray();
    for (const auto& w : stats->weights) {
      j.BeginObject().Key("name").String(w.name).Key("dtype").String(
          std::string(DTypeName(w.dtype)));
      j.Key("shape").BeginArray();
      for (int64_t d : w.shape) j.Int(d);
      j.EndArray().Key("zero_fraction").Double(w.zero_fraction()).EndObject();
    }
    j.EndArray();
    if (args->Has("kernels")) {
      j.Key("layers").BeginArray();
      for (const LayerRow& l : layers) {
        j.BeginObject().Key("node").String(l.node).Key("op").String(l.op);
        j.Key("kernel").String(l.kernel).Key("reason").String(l.reason);
        j.Key("measured_ms").Double(l.ms).EndObject();
      }
      j.EndArray().Key("threads").Int(*threads).Key("repeat").Int(*repeat);
    }
    j.EndObject();
    std::puts(j.str().c_str());
    return 0;
  }
  std::printf("model: %s (opset %lld, %zu nodes)\n", path.c_str(),
              static_cast<long long>(graph->opset), graph->nodes.size());
  for (int v : graph->inputs)
    std::printf("input:  %s %s%s\n", graph->values[v].name.c_str(),
                std::string(DTypeName(graph->values[v].dtype)).c_str(),
                ShapeToString(graph->values[v].shape).c_str());
  for (int v : graph->outputs)
    std::printf("output: %s %s%s\n", graph->values[v].name.c_str(),
                std::string(DTypeName(graph->values[v].dtype)).c_str(),
                ShapeToString(graph->values[v].shape).c_str());
  std::printf("parameters: %lld (%.2f MB)\n", static_cast<long long>(stats->parameters),
              stats->weight_bytes / 1e6);
  std::printf("FLOPs at batch 1: %.4g\n", stats->flops);
  std::printf("ops:\n");
  for (const auto& [op, n] : stats->op_counts) std::printf("  %-20s %d\n", op.c_str(), n);
  std::printf("weights (zeros):\n");
  for (const auto& w : stats->weights)
    std::printf("  %-40s %-8s %-20s %6.2f%%\n", w.name.c_str(),
                std::string(DTypeName(w.dtype)).c_str(), ShapeToString(w.shape).c_str(),
                100.0 * w.zero_fraction());
  if (args->Has("kernels")) {
    double total = 0;
    for (const LayerRow& l : layers) total += l.ms;
    std::printf("layers (batch 1, %lld thread(s), mean of %lld runs; %.3f ms in these layers):\n",
                static_cast<long long>(*threads), static_cast<long long>(*repeat), total);
    for (const LayerRow& l : layers) {
      std::printf("  %9.3f ms  %-40s %-7s %s", l.ms, l.node.c_str(), l.op.c_str(),
                  l.kernel.c_str());
      if (!l.reason.empty()) std::printf("  (%s)", l.reason.c_str());
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace sl::cli

// `sparseloom inspect`: ops by count, parameters, FLOPs and per-weight sparsity of a model.
#include <cstdio>

#include "cli/args.h"
#include "core/json_writer.h"
#include "exec/model_stats.h"
#include "onnx/loader.h"

namespace sl::cli {

int RunInspect(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"json", "help"}, {});
  if (!args.ok()) return Fail("inspect", args.status());
  if (args->Has("help") || args->positional().size() != 1) {
    std::puts(
        "usage: sparseloom inspect MODEL.onnx [--json]\n"
        "Prints op counts, parameters, FLOPs at batch 1 and, per weight tensor of\n"
        "Conv/Gemm/MatMul, its shape and fraction of zeros.");
    return args->Has("help") ? 0 : 2;
  }
  const std::string& path = args->positional()[0];
  auto graph = LoadOnnxModel(path);
  if (!graph.ok()) return Fail("inspect", graph.status());
  auto stats = ComputeModelStats(*graph);
  if (!stats.ok()) return Fail("inspect", stats.status());

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
    j.EndArray().EndObject();
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
  return 0;
}

}  // namespace sl::cli

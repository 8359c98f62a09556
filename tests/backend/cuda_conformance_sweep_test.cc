// Device-free sweep of the CUDA backend over the ONNX node tests (libonnx-testdata), bound as
// `sparseloom conformance` binds them: every case goes through PrepareCudaGraph (Supports on
// every node) and, where supported, through CompileOp on the host (attribute parsing, index
// maps, shape checks). Nothing may crash, a refusal must be kUnsupported naming the node, and a
// node Supports() accepted must compile (only device allocations may fail here, for lack of a
// device). Runs everywhere; the on-device half is `sparseloom conformance --backend cuda`.
#include <gtest/gtest.h>

#ifdef SL_HAVE_CUDA
#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_support.h"
#include "onnx/loader.h"

namespace sl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNodeTests = "/usr/share/libonnx-testdata/data/node";

// The harness's binding: integer inputs become constants, the others bound shapes.
Result<PrepareOptions> BindLikeConformance(const fs::path& dir, const Graph& g) {
  PrepareOptions options;
  const fs::path set = dir / "test_data_set_0";
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    SL_ASSIGN_OR_RETURN(
        Tensor t, LoadTensorProtoFile((set / ("input_" + std::to_string(i) + ".pb")).string()));
    const std::string& name = g.values[g.inputs[i]].name;
    if (t.dtype() == DType::kI64 || t.dtype() == DType::kI32) {
      options.constant_inputs[name] = t;
    } else {
      options.input_shapes[name] = t.shape();
    }
  }
  return options;
}

TEST(CudaSupports, OnnxNodeTestsPrepareAndCompileWithoutDevice) {
  if (!fs::is_directory(kNodeTests)) GTEST_SKIP() << kNodeTests << " not found";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kNodeTests)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int supported = 0, refused = 0, compiled_nodes = 0;
  for (const fs::path& dir : dirs) {
    auto graph = LoadOnnxModel((dir / "model.onnx").string());
    if (!graph.ok() || !fs::exists(dir / "test_data_set_0")) continue;
    auto options = BindLikeConformance(dir, *graph);
    if (!options.ok()) continue;
    auto prepared = cuda::PrepareCudaGraph(*graph, *options);
    if (!prepared.ok()) {
      // Graph-level failures (shape inference needing values, ...) are not the backend's; a
      // backend refusal names the node.
      if (prepared.status().message().rfind("cuda: node", 0) == 0) {
        EXPECT_EQ(prepared.status().code(), StatusCode::kUnsupported)
            << dir.filename() << ": " << prepared.status().message();
        ++refused;
        if (std::getenv("SL_CUDA_SWEEP_VERBOSE"))
          std::printf("refused %s: %s\n", dir.filename().c_str(),
                      prepared.status().message().c_str());
      }
      continue;
    }
    ++supported;
    cuda::DeviceMemory memory(0);
    for (const Node& n : prepared->nodes) {
      if (cuda::IsAliasNode(*prepared, n)) continue;
      cuda::CompileContext ctx{*prepared, n, memory};
      auto op = cuda::CompileOp(ctx);
      if (op.ok()) {
        ++compiled_nodes;
        continue;
      }
      // Without a device, uploads of derived constants fail; nothing else may.
      EXPECT_NE(op.status().message().find("cudaMalloc"), std::string::npos)
          << dir.filename() << ": " << prepared->Describe(n) << ": " << op.status().message();
    }
  }
  std::printf("cuda sweep: %d node tests supported, %d refused by Supports, %d nodes compiled\n",
              supported, refused, compiled_nodes);
  EXPECT_GT(supported, 100);
}

}  // namespace
}  // namespace sl

#endif  // SL_HAVE_CUDA

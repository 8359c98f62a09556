// Device-free sweep of the CUDA backend over the ONNX node tests (libonnx-testdata), bound as
// `sparseloom conformance` binds them: every case goes through PrepareCudaGraph (Supports on
// every node); a refusal must be kUnsupported naming the node. Every supported case is compiled
// (CompileOp, host memory standing in for the device) and run with the host implementations of
// the kernels and cuBLAS (cuda_host_kernels.h), and must match the test's expected outputs within
// the conformance tolerance. The on-device run is `sparseloom conformance --backend cuda`.
#include <gtest/gtest.h>

#ifdef SL_HAVE_CUDA
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_support.h"
#include "backend/cuda_host_kernels.h"
#include "onnx/loader.h"

namespace sl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNodeTests = "/usr/share/libonnx-testdata/data/node";

// The harness's binding: integer inputs become constants, the others bound shapes and run-time
// inputs (returned in `runtime`).
Result<PrepareOptions> BindLikeConformance(const fs::path& dir, const Graph& g,
                                           std::vector<Tensor>* runtime) {
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
      runtime->push_back(t);
    }
  }
  return options;
}

// Within the conformance tolerance (rtol 1e-3, atol 1e-5 for floats; exact otherwise).
bool Close(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) return false;
  if (want.dtype() != DType::kF32) return std::memcmp(got.raw(), want.raw(), want.bytes()) == 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && g == w) continue;
    if (!(std::abs(g - w) <= 1e-5f + 1e-3f * std::abs(w))) return false;
  }
  return true;
}

TEST(CudaSupports, OnnxNodeTestsPrepareCompileAndEmulateWithoutDevice) {
  if (!fs::is_directory(kNodeTests)) GTEST_SKIP() << kNodeTests << " not found";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kNodeTests)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int supported = 0, refused = 0, compiled_nodes = 0, emulated_passed = 0;
  std::vector<std::string> emulated_failed;
  const bool verbose = std::getenv("SL_CUDA_SWEEP_VERBOSE") != nullptr;
  for (const fs::path& dir : dirs) {
    auto graph = LoadOnnxModel((dir / "model.onnx").string());
    if (!graph.ok() || !fs::exists(dir / "test_data_set_0")) continue;
    std::vector<Tensor> runtime;
    auto options = BindLikeConformance(dir, *graph, &runtime);
    if (!options.ok()) continue;
    auto prepared = cuda::PrepareCudaGraph(*graph, *options);
    if (!prepared.ok()) {
      // Graph-level failures (shape inference needing values, ...) are not the backend's; a
      // backend refusal names the node.
      if (prepared.status().message().rfind("cuda: node", 0) == 0) {
        EXPECT_EQ(prepared.status().code(), StatusCode::kUnsupported)
            << dir.filename() << ": " << prepared.status().message();
        ++refused;
        if (verbose)
          std::printf("refused %s: %s\n", dir.filename().c_str(),
                      prepared.status().message().c_str());
      }
      continue;
    }
    ++supported;
    cuda::DeviceMemory memory(0, /*host=*/true);
    bool compiled = true;
    for (const Node& n : prepared->nodes) {
      if (cuda::IsAliasNode(*prepared, n)) continue;
      cuda::CompileContext ctx{*prepared, n, memory};
      auto op = cuda::CompileOp(ctx);
      EXPECT_TRUE(op.ok()) << dir.filename() << ": " << prepared->Describe(n) << ": "
                           << op.status().message();
      compiled = compiled && op.ok();
      if (op.ok()) ++compiled_nodes;
    }
    if (!compiled) continue;
    // The compiled ops on the host (the kernels' element math) against the test's outputs.
    auto outputs = cuda::host::RunEmulated(*graph, *options, runtime);
    if (!outputs.ok()) {
      ADD_FAILURE() << dir.filename() << ": " << outputs.status().message();
      continue;
    }
    bool all_close = true;
    for (size_t i = 0; i < outputs->size(); ++i) {
      const fs::path p = dir / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      auto want = LoadTensorProtoFile(p.string());
      if (!want.ok()) break;
      all_close = all_close && Close((*outputs)[i], *want);
    }
    if (all_close) {
      ++emulated_passed;
    } else {
      emulated_failed.push_back(dir.filename().string());
    }
  }
  std::printf(
      "cuda sweep: %d node tests supported, %d refused by Supports, %d nodes compiled; host "
      "emulation: %d match the expected outputs, %zu do not\n",
      supported, refused, compiled_nodes, emulated_passed, emulated_failed.size());
  for (const std::string& name : emulated_failed)
    ADD_FAILURE() << "emulated " << name << " differs";
  EXPECT_GT(supported, 100);
}

}  // namespace
}  // namespace sl

#endif  // SL_HAVE_CUDA

// The CUDA backend as a whole:
//  - everywhere: opening it without a driver / GPU, or past the device count, fails with one
//    clear line (no abort); every zoo variant passes the device-free half of Prepare;
//  - with a GPU: device info, buffers, Run / RunHost, hand-offs with the CPU backend, and zoo
//    models compared with the CPU backend.
#include <gtest/gtest.h>

#ifdef SL_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "backend/backend.h"
#include "backend/cuda/cuda_support.h"
#include "core/npy.h"
#include "exec/graph_builder.h"
#include "onnx/loader.h"
#include "zoo/pool.h"

namespace sl {
namespace {

namespace fs = std::filesystem;

int DeviceCount(std::string* error) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    *error = cudaGetErrorString(e);
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

TEST(CudaBackend, OpeningFailsClearlyWithoutDevice) {
  std::string error;
  const int count = DeviceCount(&error);
  if (count > 0) GTEST_SKIP() << count << " CUDA device(s) present";
  for (const char* name : {"cuda", "cuda:0", "cuda:3"}) {
    auto backend = OpenBackend(name);
    ASSERT_FALSE(backend.ok()) << name;
    const std::string& m = backend.status().message();
    EXPECT_EQ(backend.status().code(), StatusCode::kUnsupported) << m;
    EXPECT_NE(m.find("no CUDA device"), std::string::npos) << m;
    EXPECT_NE(m.find("cudaGetDeviceCount"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
    const std::string label = std::string(name) == "cuda" ? "cuda:0" : name;
    EXPECT_EQ(m.rfind(label + ":", 0), 0u) << m;
  }
  EXPECT_NE(std::find(BuiltBackends().begin(), BuiltBackends().end(), "cuda"),
            BuiltBackends().end());
}

TEST(CudaBackend, IndexPastTheDeviceCountFails) {
  std::string error;
  const int count = DeviceCount(&error);
  auto backend = OpenBackend("cuda:" + std::to_string(count + 3));
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().message().find('\n'), std::string::npos);
  if (count > 0) {
    EXPECT_NE(backend.status().message().find("no such device"), std::string::npos);
  }
}

std::vector<fs::path> ZooModels() {
  std::vector<fs::path> out;
  for (const char* pool : {"fmnist-resnet", "fmnist-vit", "kws"}) {
    const fs::path dir = fs::path(SL_SOURCE_DIR) / "zoo" / pool;
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".onnx") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Batch `batch` of the model's own validation input shape.
PrepareOptions ZooOptions(const Graph& g, const fs::path& model, int64_t batch) {
  PrepareOptions o;
  auto x = ReadNpy((model.parent_path() / "val_x.npy").string());
  if (x.ok()) {
    Shape s = x->shape();
    s[0] = batch;
    o.input_shapes[g.values[g.inputs[0]].name] = s;
  }
  return o;
}

TEST(CudaBackend, EveryZooVariantIsSupportedWithoutDevice) {
  const auto models = ZooModels();
  ASSERT_FALSE(models.empty()) << "no zoo models under " SL_SOURCE_DIR "/zoo";
  for (const fs::path& m : models) {
    auto g = LoadOnnxModel(m.string());
    ASSERT_TRUE(g.ok()) << g.status().message();
    auto prepared = cuda::PrepareCudaGraph(*g, ZooOptions(*g, m, 2));
    EXPECT_TRUE(prepared.ok()) << m << ": " << prepared.status().message();
    if (!prepared.ok()) continue;
    for (const Node& n : prepared->nodes) {
      const std::string kernel = cuda::KernelNameFor(KernelRequest{*prepared, n, 1});
      if (n.op == OpType::kConv && prepared->values[n.inputs[0]].shape.size() == 4) {
#ifdef SL_HAVE_CUDNN
        EXPECT_EQ(kernel, "cudnn") << m << " " << prepared->Describe(n);
#else
        EXPECT_EQ(kernel, "im2col+cublas") << m << " " << prepared->Describe(n);
#endif
      }
    }
  }
}

TEST(CudaBackend, UnsupportedNodeIsNamedWithItsReason) {
  testing::GraphBuilder b;
  const int x = b.Input("x", {2, 3}, DType::kF64);
  b.Output(b.Node(OpType::kExp, "exp64", {x}, {"y"}));
  auto prepared = cuda::PrepareCudaGraph(b.Build(), PrepareOptions{});
  ASSERT_FALSE(prepared.ok());
  const std::string& m = prepared.status().message();
  EXPECT_EQ(prepared.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(m.find("cuda: node 'exp64' (Exp)"), std::string::npos) << m;
  EXPECT_NE(m.find("float32 only"), std::string::npos) << m;
}

// --- with a GPU ------------------------------------------------------------------------------

#define SL_REQUIRE_GPU()                                                   \
  do {                                                                     \
    std::string why;                                                       \
    if (DeviceCount(&why) == 0) GTEST_SKIP() << "no CUDA device: " << why; \
  } while (0)

TEST(CudaBackend, DeviceInfoBuffersAndRuns) {
  SL_REQUIRE_GPU();
  auto backend = OpenBackend("cuda");
  ASSERT_TRUE(backend.ok()) << backend.status().message();
  const DeviceInfo& info = (*backend)->device();
  EXPECT_EQ(info.backend, "cuda");
  EXPECT_FALSE(info.name.empty());
  EXPECT_GT(info.memory_bytes, 0u);
  auto plan = (*backend)->Prepare(testing::AddReluGraph(), PrepareOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  auto runner = (*plan)->NewRunner();
  ASSERT_TRUE(runner.ok()) << runner.status().message();

  const std::vector<double> want = {1, 0, 3, 0, 5, 1};
  for (int rep = 0; rep < 3; ++rep) {  // the runner is reused; staging is made once
    Tensor x = Tensor::FromVector<float>({2, 3}, {0, 0, 0, 0, 0, 7});
    Tensor y(DType::kF32, {2, 3});
    TensorView in[] = {x.view()}, out[] = {y.view()};
    Status st = (*runner)->RunHost(in, out);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(y.ToDoubles(), want);
  }

  Tensor x = Tensor::FromVector<float>({2, 3}, {0, 0, 0, 0, 0, 7});
  auto bx = (*backend)->Allocate(x.bytes());
  auto by = (*backend)->Allocate(x.bytes());
  ASSERT_TRUE(bx.ok() && by.ok());
  ASSERT_TRUE((*backend)->Upload(x.raw(), x.bytes(), **bx).ok());
  DeviceBuffer* bin[] = {bx->get()};
  DeviceBuffer* bout[] = {by->get()};
  Status st = (*runner)->Run(bin, bout);
  ASSERT_TRUE(st.ok()) << st.message();
  Tensor y(DType::kF32, {2, 3});
  ASSERT_TRUE((*backend)->Download(**by, y.raw(), y.bytes()).ok());
  EXPECT_EQ(y.ToDoubles(), want);

  // Hand-offs through the CPU backend both ways.
  auto cpu = OpenBackend("cpu");
  ASSERT_TRUE(cpu.ok());
  auto hb = (*cpu)->Allocate(x.bytes());
  ASSERT_TRUE(hb.ok());
  ASSERT_TRUE(Handoff(**backend, **by, **cpu, **hb, x.bytes()).ok());
  EXPECT_EQ(std::memcmp((*hb)->host_data(), y.raw(), y.bytes()), 0);
  ASSERT_TRUE(Handoff(**cpu, **hb, **backend, **bx, x.bytes()).ok());

  // Wrong shapes and foreign buffers are refused, naming the tensor.
  Tensor bad(DType::kF32, {3, 2});
  TensorView bad_in[] = {bad.view()}, out[] = {y.view()};
  st = (*runner)->RunHost(bad_in, out);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'x'"), std::string::npos) << st.message();
  DeviceBuffer* host_in[] = {hb->get()};
  EXPECT_FALSE((*runner)->Run(host_in, bout).ok());
}

// The first `rows` rows of `x`.
Tensor FirstRows(const Tensor& x, int64_t rows) {
  Shape shape = x.shape();
  shape[0] = std::min(rows, shape[0]);
  Tensor t(x.dtype(), shape);
  std::memcpy(t.raw(), x.raw(), t.bytes());
  return t;
}

Result<std::vector<Tensor>> RunPlanOn(const std::string& backend_name, const Graph& g,
                                      const PrepareOptions& options,
                                      const std::vector<Tensor>& inputs) {
  SL_ASSIGN_OR_RETURN(auto backend, OpenBackend(backend_name));
  SL_ASSIGN_OR_RETURN(auto plan, backend->Prepare(g, options));
  SL_ASSIGN_OR_RETURN(auto runner, plan->NewRunner());
  std::vector<Tensor> out;
  std::vector<TensorView> iv, ov;
  for (const Tensor& t : inputs) iv.push_back(t.view());
  for (const TensorInfo& t : plan->outputs()) out.emplace_back(t.dtype, t.shape);
  for (const Tensor& t : out) ov.push_back(t.view());
  SL_RETURN_IF_ERROR(runner->RunHost(iv, ov));
  return out;
}

// Runs `g` on cuda and on the CPU backend (QDQ as float there too) and compares; returns the CPU
// outputs in `cpu_outputs`.
void ExpectCudaMatchesCpu(const Graph& g, const PrepareOptions& options,
                          const std::vector<Tensor>& inputs, float tolerance,
                          std::vector<Tensor>* cpu_outputs = nullptr) {
  PrepareOptions cpu_options = options;
  cpu_options.quantized_kernels = false;
  auto want = RunPlanOn("cpu", g, cpu_options, inputs);
  ASSERT_TRUE(want.ok()) << want.status().message();
  auto got = RunPlanOn("cuda", g, options, inputs);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < got->size(); ++i) {
    ASSERT_EQ((*got)[i].shape(), (*want)[i].shape());
    EXPECT_LE(testing::MaxRelDiff((*got)[i], (*want)[i]), tolerance) << "output " << i;
  }
  if (cpu_outputs) *cpu_outputs = std::move(*want);
}

class CudaZooTest : public ::testing::TestWithParam<std::string> {};

// For each task: dense, unstructured-90 and int8 (QDQ, as float) on the first validation rows,
// whole and as the two segments around a middle cut of the manifest, against the CPU backend.
TEST_P(CudaZooTest, VariantsAndSegmentsMatchCpuBackend) {
  SL_REQUIRE_GPU();
  auto pool = LoadPool(std::string(SL_SOURCE_DIR) + "/zoo/" + GetParam());
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  ASSERT_GT(pool->val_count(), 0);
  const Tensor x = FirstRows(pool->val_x, 8);
  PrepareOptions options;
  options.input_shapes[pool->input_name] = x.shape();
  for (const char* name : {"dense", "unstructured-90", "int8"}) {
    SCOPED_TRACE(GetParam() + "/" + name);
    const int v = pool->FindVariant(name);
    ASSERT_GE(v, 0);
    const Graph& g = pool->variants[v].graph;
    // QDQ rounds activations to a grid: a last-bit difference before a QuantizeLinear moves a
    // value by one step, so int8 gets a looser bound.
    const float tol = std::string(name) == "int8" ? 5e-2f : 1e-3f;
    std::vector<Tensor> logits;
    ExpectCudaMatchesCpu(g, options, {x}, tol, &logits);
    if (HasFatalFailure()) return;
    if (std::string(name) == "dense") {
      auto got = RunPlanOn("cuda", g, options, {x});
      ASSERT_TRUE(got.ok());
      const int64_t classes = logits[0].numel() / x.shape()[0];
      for (int64_t r = 0; r < x.shape()[0]; ++r) {
        const float* w = logits[0].data<float>() + r * classes;
        const float* y = (*got)[0].data<float>() + r * classes;
        EXPECT_EQ(std::max_element(w, w + classes) - w, std::max_element(y, y + classes) - y)
            << "row " << r;
      }
    }
    ASSERT_FALSE(pool->manifest_cuts.empty());
    const std::string cut = pool->manifest_cuts[pool->manifest_cuts.size() / 2];
    SCOPED_TRACE("cut " + cut);
    PrepareOptions head = options;
    head.outputs = {cut};
    std::vector<Tensor> cut_values;
    ExpectCudaMatchesCpu(g, head, {x}, tol, &cut_values);
    if (HasFatalFailure()) return;
    PrepareOptions tail = options;
    tail.inputs = {cut};
    tail.outputs = {pool->output_name};
    ExpectCudaMatchesCpu(g, tail, cut_values, tol);
  }
}

INSTANTIATE_TEST_SUITE_P(Cuda, CudaZooTest, ::testing::Values("fmnist-resnet", "fmnist-vit", "kws"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
}  // namespace sl

#endif  // SL_HAVE_CUDA

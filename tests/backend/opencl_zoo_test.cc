#ifdef SL_HAVE_OPENCL  // the OpenCL backend is optional in the build
// The bundled zoo on the OpenCL backend: for each task, dense.onnx, one pruned variant and
// int8.onnx (QDQ, run as float QuantizeLinear / DequantizeLinear) on the first validation rows,
// compared with the CPU backend; plus the two segments around a middle cut of the manifest.
#include <gtest/gtest.h>

#include <cstring>

#include "backend/opencl_test_util.h"
#include "zoo/pool.h"

namespace sl {
namespace {

constexpr int64_t kRows = 3;

// The first `rows` rows of `x`.
Tensor FirstRows(const Tensor& x, int64_t rows) {
  Shape shape = x.shape();
  shape[0] = std::min(rows, shape[0]);
  Tensor t(x.dtype(), shape);
  std::memcpy(t.raw(), x.raw(), t.bytes());
  return t;
}

struct Prepared {
  std::shared_ptr<const DevicePlan> cpu, ocl;
};

// Prepares `graph` with `options` on the CPU backend (int8 graphs with quantized kernels off, so
// both sides compute the same float QDQ graph) and on `ocl`.
void PrepareBoth(Backend& ocl, const Graph& graph, PrepareOptions options, bool int8,
                 Prepared* out) {
  auto cpu = OpenBackend("cpu");
  ASSERT_TRUE(cpu.ok());
  PrepareOptions cpu_options = options;
  if (int8) cpu_options.quantized_kernels = false;
  auto cp = (*cpu)->Prepare(graph, cpu_options);
  ASSERT_TRUE(cp.ok()) << cp.status().message();
  auto op = ocl.Prepare(graph, options);
  ASSERT_TRUE(op.ok()) << op.status().message();
  out->cpu = *cp;
  out->ocl = *op;
}

void ExpectSameOutputs(const Prepared& p, const std::vector<Tensor>& inputs, double tolerance,
                       std::vector<Tensor>* cpu_outputs = nullptr) {
  auto want = opencltest::RunPlan(*p.cpu, inputs);
  ASSERT_TRUE(want.ok()) << want.status().message();
  auto got = opencltest::RunPlan(*p.ocl, inputs);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < got->size(); ++i) {
    ASSERT_EQ((*got)[i].shape(), (*want)[i].shape());
    EXPECT_LE(opencltest::MaxRelDiff((*got)[i], (*want)[i]), tolerance) << p.ocl->outputs()[i].name;
  }
  if (cpu_outputs) *cpu_outputs = std::move(*want);
}

class OpenClZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenClZoo, VariantsAndSegmentsMatchTheCpuBackend) {
  SL_OPENCL_OR_SKIP(ocl);
  const std::string dir = std::string(SL_SOURCE_DIR) + "/zoo/" + GetParam();
  auto pool = LoadPool(dir);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  ASSERT_GT(pool->val_count(), 0);
  const Tensor x = FirstRows(pool->val_x, kRows);
  PrepareOptions options;
  options.input_shapes[pool->input_name] = x.shape();

  for (const char* name : {"dense", "unstructured-90", "int8"}) {
    SCOPED_TRACE(GetParam() + "/" + name);
    const int v = pool->FindVariant(name);
    ASSERT_GE(v, 0);
    const bool int8 = std::string(name) == "int8";
    Prepared whole;
    PrepareBoth(*ocl, pool->variants[v].graph, options, int8, &whole);
    if (HasFatalFailure()) return;
    // QDQ graphs round activations to a grid: a last-bit difference before a QuantizeLinear
    // moves a value by one step, so int8 gets a looser bound.
    ExpectSameOutputs(whole, {x}, int8 ? 5e-2 : 1e-3);

    // Segments around a middle cut: input -> cut and cut -> output.
    ASSERT_FALSE(pool->manifest_cuts.empty());
    const std::string cut = pool->manifest_cuts[pool->manifest_cuts.size() / 2];
    SCOPED_TRACE("cut " + cut);
    PrepareOptions head_options = options;
    head_options.outputs = {cut};
    Prepared head;
    PrepareBoth(*ocl, pool->variants[v].graph, head_options, int8, &head);
    if (HasFatalFailure()) return;
    std::vector<Tensor> cut_values;
    ExpectSameOutputs(head, {x}, int8 ? 5e-2 : 1e-3, &cut_values);
    ASSERT_EQ(cut_values.size(), 1u);
    PrepareOptions tail_options = options;
    tail_options.inputs = {cut};
    tail_options.outputs = {pool->output_name};
    Prepared tail;
    PrepareBoth(*ocl, pool->variants[v].graph, tail_options, int8, &tail);
    if (HasFatalFailure()) return;
    ASSERT_EQ(tail.ocl->inputs().size(), 1u);
    EXPECT_EQ(tail.ocl->inputs()[0].name, cut);
    ExpectSameOutputs(tail, cut_values, int8 ? 5e-2 : 1e-3);
  }
}

INSTANTIATE_TEST_SUITE_P(Tasks, OpenClZoo, ::testing::Values("fmnist-resnet", "fmnist-vit", "kws"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace sl
#endif  // SL_HAVE_OPENCL

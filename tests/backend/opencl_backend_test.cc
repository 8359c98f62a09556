#ifdef SL_HAVE_OPENCL  // the OpenCL backend is optional in the build
// The OpenCL backend behind the Backend interface: device info, host and device-buffer runs,
// hand-offs, concurrent runners and the failure paths (unsupported nodes, wrong host tensors, bad
// device index). Skips when the machine has no OpenCL device.
#include <gtest/gtest.h>

#include <thread>

#include "backend/opencl/opencl_device.h"
#include "backend/opencl/opencl_lower.h"
#include "backend/opencl_test_util.h"
#include "exec/graph_builder.h"

namespace sl {
namespace {

TEST(OpenClBackend, DescribesItsDevice) {
  SL_OPENCL_OR_SKIP(backend);
  const DeviceInfo& info = backend->device();
  EXPECT_EQ(info.backend, "opencl");
  EXPECT_NE(info.name.find(": "), std::string::npos) << info.name;
  EXPECT_GT(info.memory_bytes, 0u);
  auto again = OpenBackend("opencl:0");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->device().name, info.name);
}

TEST(OpenClBackend, RunsOnHostAndDeviceBuffers) {
  SL_OPENCL_OR_SKIP(backend);
  auto plan = backend->Prepare(testing::AddReluGraph(), PrepareOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ((*plan)->inputs().size(), 1u);
  EXPECT_EQ((*plan)->outputs()[0].name, "y");
  EXPECT_EQ((*plan)->constant_bytes(), 6 * sizeof(float));
  ASSERT_FALSE((*plan)->steps().empty());
  EXPECT_EQ((*plan)->steps()[0].kernel, "opencl:ew_binary");
  auto runner = (*plan)->NewRunner();
  ASSERT_TRUE(runner.ok()) << runner.status().message();

  const std::vector<double> want = {1, 0, 3, 0, 5, 1};
  for (int round = 0; round < 2; ++round) {  // a second run reuses everything
    Tensor x = Tensor::FromVector<float>({2, 3}, {0, 0, 0, 0, 0, 7});
    Tensor y(DType::kF32, {2, 3});
    TensorView in[] = {x.view()}, out[] = {y.view()};
    ASSERT_TRUE((*runner)->RunHost(in, out).ok());
    EXPECT_EQ(y.ToDoubles(), want);
  }

  Tensor x = Tensor::FromVector<float>({2, 3}, {0, 0, 0, 0, 0, 7});
  auto bx = backend->Allocate(x.bytes());
  auto by = backend->Allocate(x.bytes());
  ASSERT_TRUE(bx.ok() && by.ok());
  EXPECT_EQ((*bx)->host_data(), nullptr);
  ASSERT_TRUE(backend->Upload(x.raw(), x.bytes(), **bx).ok());
  DeviceBuffer* bin[] = {bx->get()};
  DeviceBuffer* bout[] = {by->get()};
  Status st = (*runner)->Run(bin, bout);
  ASSERT_TRUE(st.ok()) << st.message();
  Tensor y(DType::kF32, {2, 3});
  ASSERT_TRUE(backend->Download(**by, y.raw(), y.bytes()).ok());
  EXPECT_EQ(y.ToDoubles(), want);

  // Hand-off to the CPU backend and back.
  auto cpu = OpenBackend("cpu");
  ASSERT_TRUE(cpu.ok());
  auto host = (*cpu)->Allocate(y.bytes());
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE(Handoff(*backend, **by, **cpu, **host, y.bytes()).ok());
  EXPECT_EQ(static_cast<float*>((*host)->host_data())[5], 1.0f);
  auto back = backend->Allocate(y.bytes());
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(Handoff(**cpu, **host, *backend, **back, y.bytes()).ok());
  float got[6] = {};
  ASSERT_TRUE(backend->Download(**back, got, sizeof got).ok());
  EXPECT_EQ(got[4], 5.0f);

  // Buffers of another backend or too small are refused.
  DeviceBuffer* wrong[] = {host->get()};
  EXPECT_FALSE((*runner)->Run(wrong, bout).ok());
  auto small = backend->Allocate(4);
  ASSERT_TRUE(small.ok());
  DeviceBuffer* tiny[] = {small->get()};
  EXPECT_FALSE((*runner)->Run(bin, tiny).ok());
  EXPECT_FALSE(backend->Download(**small, got, sizeof got).ok());
}

TEST(OpenClBackend, RunnersOnSeveralThreads) {
  SL_OPENCL_OR_SKIP(backend);
  auto plan = backend->Prepare(testing::AddReluGraph(), PrepareOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto runner = (*plan)->NewRunner();
      if (!runner.ok()) {
        failures[t] = 1000;
        return;
      }
      for (int i = 0; i < 20; ++i) {
        const float v = static_cast<float>(t * 100 + i);
        Tensor x = Tensor::FromVector<float>({2, 3}, {v, v, v, v, v, v});
        Tensor y(DType::kF32, {2, 3});
        TensorView in[] = {x.view()}, out[] = {y.view()};
        if (!(*runner)->RunHost(in, out).ok() || y.data<float>()[0] != v + 1 ||
            y.data<float>()[5] != std::max(0.f, v - 6))
          ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(OpenClBackend, UnsupportedNodesNameTheNodeAndOp) {
  SL_OPENCL_OR_SKIP(backend);
  // An int32 Add: a dtype the backend does not compute.
  testing::GraphBuilder b;
  const int x = b.Input("x", {4}, DType::kI32);
  const int c = b.Const("c", Tensor::FromVector<int32_t>({4}, {1, 2, 3, 4}));
  b.Output(b.Node(OpType::kAdd, "int_add", {x, c}, {"y"}));
  auto plan = backend->Prepare(b.Build(), PrepareOptions{});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(plan.status().message().find("int_add"), std::string::npos) << plan.status().message();
  EXPECT_NE(plan.status().message().find("Add"), std::string::npos);
  EXPECT_NE(plan.status().message().find("int32"), std::string::npos);

  // MaxPool over uint8.
  testing::GraphBuilder p;
  const int px = p.Input("x", {1, 1, 4, 4}, DType::kU8);
  Attributes attrs;
  attrs.Set("kernel_shape", std::vector<int64_t>{2, 2});
  p.Output(p.Node(OpType::kMaxPool, "pool", {px}, {"y"}, attrs));
  auto plan2 = backend->Prepare(p.Build(), PrepareOptions{});
  ASSERT_FALSE(plan2.ok());
  EXPECT_EQ(plan2.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(plan2.status().message().find("'pool' (MaxPool)"), std::string::npos)
      << plan2.status().message();
  EXPECT_NE(plan2.status().message().find("uint8"), std::string::npos);

  // Supports() answers the same per node, with the reason.
  Graph ints = b.Build();
  auto prepared = PrepareGraph(ints, PrepareOptions{});
  ASSERT_TRUE(prepared.ok());
  NodeSupport s = backend->Supports(KernelRequest{*prepared, prepared->nodes[0], 1});
  EXPECT_FALSE(s.supported);
  EXPECT_NE(s.reason.find("int32 is not supported by the opencl backend"), std::string::npos)
      << s.reason;
}

TEST(OpenClBackend, WrongHostTensorsNameTheTensor) {
  SL_OPENCL_OR_SKIP(backend);
  auto plan = backend->Prepare(testing::AddReluGraph(), PrepareOptions{});
  ASSERT_TRUE(plan.ok());
  auto runner = (*plan)->NewRunner();
  ASSERT_TRUE(runner.ok());
  Tensor x(DType::kF32, {3, 2}), y(DType::kF32, {2, 3});
  TensorView in[] = {x.view()}, out[] = {y.view()};
  Status st = (*runner)->RunHost(in, out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'x'"), std::string::npos) << st.message();
  Tensor good(DType::kF32, {2, 3}), bad_out(DType::kF32, {6});
  TensorView in2[] = {good.view()}, out2[] = {bad_out.view()};
  st = (*runner)->RunHost(in2, out2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'y'"), std::string::npos) << st.message();
}

// Device-free: OpenCL errors read as the call, what it was for and the code by name.
TEST(OpenClErrors, NameTheCallTheNodeAndTheCode) {
  EXPECT_EQ(opencl::ErrorName(CL_OUT_OF_RESOURCES), "CL_OUT_OF_RESOURCES (-5)");
  EXPECT_EQ(opencl::ErrorName(-12345), "unknown OpenCL error (-12345)");
  Status st = opencl::ClError("clEnqueueNDRangeKernel(conv)", CL_INVALID_WORK_GROUP_SIZE,
                              "node 'c1' (Conv)");
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(st.message(),
            "opencl: clEnqueueNDRangeKernel(conv) failed for node 'c1' (Conv): "
            "CL_INVALID_WORK_GROUP_SIZE (-54)");
}

// Device-free: the lowering of a fused Conv + Relu is one "conv" launch over (spatial, M, N).
TEST(OpenClLowering, ConvWithFusedReluIsOneLaunch) {
  testing::GraphBuilder b;
  const int x = b.Input("x", {2, 3, 8, 8});
  const int w = b.RandomConst("w", {4, 3, 3, 3}, 1);
  const int c = b.Node(OpType::kConv, "conv", {x, w}, {"c"});
  b.Output(b.Node(OpType::kRelu, "relu", {c}, {"y"}));
  auto g = PrepareGraph(b.Build(), PrepareOptions{});
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->nodes.size(), 1u);
  opencl::Lowering low;
  ASSERT_TRUE(opencl::LowerNode(KernelRequest{*g, g->nodes[0], 1}, low).ok());
  ASSERT_EQ(low.launches.size(), 1u);
  const opencl::Launch& l = low.launches[0];
  EXPECT_EQ(l.kernel, "conv");
  EXPECT_EQ(l.dims, 3u);
  EXPECT_EQ(l.global[0], 36u);  // 6 x 6 outputs
  EXPECT_EQ(l.global[1], 4u);
  EXPECT_EQ(l.global[2], 2u);
  EXPECT_EQ(l.args[6].i, 1);  // act = Relu
  EXPECT_NE(opencl::KernelSource().find("__kernel void conv("), std::string::npos);
}

TEST(OpenClBackend, BadDeviceIndexIsAClearError) {
  SL_OPENCL_OR_SKIP(backend);
  auto b = OpenBackend("opencl:99");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("opencl:99"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("no such OpenCL device"), std::string::npos);
}

}  // namespace
}  // namespace sl
#endif  // SL_HAVE_OPENCL

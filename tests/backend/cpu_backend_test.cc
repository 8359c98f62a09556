#include <gtest/gtest.h>

#include "backend/backend.h"
#include "exec/graph_builder.h"

namespace sl {
namespace {

TEST(CpuBackend, OpensAndRunsOnHostAndDeviceBuffers) {
  auto backend = OpenBackend("cpu");
  ASSERT_TRUE(backend.ok()) << backend.status().message();
  EXPECT_EQ((*backend)->device().backend, "cpu");
  EXPECT_TRUE((*backend)->device().unified_memory);
  auto plan = (*backend)->Prepare(testing::AddReluGraph(), PrepareOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  auto runner = (*plan)->NewRunner();
  ASSERT_TRUE(runner.ok());

  Tensor x = Tensor::FromVector<float>({2, 3}, {0, 0, 0, 0, 0, 7});
  Tensor y(DType::kF32, {2, 3});
  TensorView in[] = {x.view()}, out[] = {y.view()};
  ASSERT_TRUE((*runner)->RunHost(in, out).ok());
  const std::vector<double> want = {1, 0, 3, 0, 5, 1};
  EXPECT_EQ(y.ToDoubles(), want);

  auto bx = (*backend)->Allocate(x.bytes());
  auto by = (*backend)->Allocate(y.bytes());
  ASSERT_TRUE(bx.ok() && by.ok());
  ASSERT_TRUE((*backend)->Upload(x.raw(), x.bytes(), **bx).ok());
  DeviceBuffer* bin[] = {bx->get()};
  DeviceBuffer* bout[] = {by->get()};
  ASSERT_TRUE((*runner)->Run(bin, bout).ok());
  Tensor y2(DType::kF32, {2, 3});
  ASSERT_TRUE((*backend)->Download(**by, y2.raw(), y2.bytes()).ok());
  EXPECT_EQ(y2.ToDoubles(), want);
}

TEST(CpuBackend, RejectsWrongShapesAndUnknownBackends) {
  auto backend = OpenBackend("cpu");
  ASSERT_TRUE(backend.ok());
  auto plan = (*backend)->Prepare(testing::AddReluGraph(), PrepareOptions{});
  ASSERT_TRUE(plan.ok());
  auto runner = (*plan)->NewRunner();
  ASSERT_TRUE(runner.ok());
  Tensor x(DType::kF32, {3, 2}), y(DType::kF32, {2, 3});
  TensorView in[] = {x.view()}, out[] = {y.view()};
  Status st = (*runner)->RunHost(in, out);
  EXPECT_FALSE(st.ok());

  for (const char* bad : {"tpu", "cpu:1", "opencl:x", "cuda:9999"}) {
    auto b = OpenBackend(bad);
    EXPECT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find(bad), std::string::npos) << b.status().message();
  }
}

TEST(Handoff, CopiesBetweenHostBuffersAndChecksSizes) {
  auto cpu = OpenBackend("cpu");
  ASSERT_TRUE(cpu.ok());
  auto a = (*cpu)->Allocate(16), b = (*cpu)->Allocate(16), small = (*cpu)->Allocate(4);
  ASSERT_TRUE(a.ok() && b.ok() && small.ok());
  const float v[4] = {1, 2, 3, 4};
  ASSERT_TRUE((*cpu)->Upload(v, 16, **a).ok());
  ASSERT_TRUE(Handoff(**cpu, **a, **cpu, **b, 16).ok());
  float got[4] = {};
  ASSERT_TRUE((*cpu)->Download(**b, got, 16).ok());
  EXPECT_EQ(got[3], 4.0f);
  EXPECT_TRUE(ZeroCopyHandoff(**cpu, **cpu));
  if (auto ocl = OpenBackend("opencl"); ocl.ok()) EXPECT_FALSE(ZeroCopyHandoff(**cpu, **ocl));
  EXPECT_FALSE(Handoff(**cpu, **a, **cpu, **small, 16).ok());
}

}  // namespace
}  // namespace sl

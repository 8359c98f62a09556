// Checks that ExecutionContext::Run allocates nothing once the context exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "exec/graph_builder.h"
#include "exec/plan.h"

namespace {
thread_local bool g_counting = false;
thread_local long g_allocations = 0;
thread_local size_t g_largest = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) {
    ++g_allocations;
    g_largest = std::max(g_largest, n);
  }
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): left to the sanitizer
// runtime, they would hand out memory that the replaced delete above frees with std::free.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return operator new(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace sl {
namespace {

struct Allocations {
  long count = -1;
  size_t largest = 0;
};

Allocations AllocationsPerRun(bool reference_only) {
  testing::GraphBuilder b;
  int x = b.Input("x", {1, 4, 8, 8});
  Attributes pads;
  pads.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  int c = b.Node(OpType::kConv, "conv", {x, b.RandomConst("w", {6, 4, 3, 3}, 1)}, {"c"}, pads);
  int r = b.Node(OpType::kRelu, "relu", {c}, {"r"});
  int s = b.Node(OpType::kAdd, "add", {r, r}, {"s"});
  int g = b.Node(OpType::kGlobalAveragePool, "gap", {s}, {"g"});
  Attributes flat;
  int f = b.Node(OpType::kFlatten, "flat", {g}, {"f"}, flat);
  int y = b.Node(OpType::kGemm, "fc", {f, b.RandomConst("wf", {6, 3}, 2)}, {"y"});
  b.Output(y);
  PrepareOptions o;
  o.reference_only = reference_only;
  auto plan = Plan::Prepare(b.Build(), o);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  if (!plan.ok()) return {};
  ExecutionContext ctx(*plan);
  Tensor in = testing::RandomTensor({1, 4, 8, 8}, 3);
  Tensor out(DType::kF32, {1, 3});
  TensorView iv = in.view(), ov = out.view();
  EXPECT_TRUE(ctx.Run({&iv, 1}, {&ov, 1}).ok());  // warm-up
  g_allocations = 0;
  g_largest = 0;
  g_counting = true;
  Status st = ctx.Run({&iv, 1}, {&ov, 1});
  g_counting = false;
  EXPECT_TRUE(st.ok()) << st.message();
  return {g_allocations, g_largest};
}

TEST(NoAllocTest, ReferencePlanRunAllocatesNothing) {
  Allocations a = AllocationsPerRun(true);
  EXPECT_EQ(a.count, 0);
}

// oneDNN 2.6's primitive execute builds a small argument map internally on every call; that is
// the only heap use allowed on the dense path: no tensor or scratch memory, a few small nodes.
TEST(NoAllocTest, DefaultPlanRunAllocatesNoTensorMemory) {
  Allocations a = AllocationsPerRun(false);
  EXPECT_GE(a.count, 0);
  EXPECT_LE(a.count, 32);
  EXPECT_LE(a.largest, 512u);
}

}  // namespace
}  // namespace sl

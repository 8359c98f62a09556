// FuseGelu: the erf form of GELU as PyTorch exports it becomes one Gelu node, and only that.
#include <gtest/gtest.h>

#include <cmath>

#include "exec/graph_builder.h"
#include "exec/plan.h"

namespace sl {
namespace {

using testing::GraphBuilder;
using testing::MaxRelDiff;

struct Chain {
  bool mul_by_inverse = false;  // x * (1 / sqrt 2) instead of x / sqrt 2
  bool half_first = false;      // (x * 0.5) * (1 + erf) instead of (x * (1 + erf)) * 0.5
  float divisor = static_cast<float>(std::sqrt(2.0));
  bool erf_is_output = false;  // the Erf's result is also a graph output
  Shape const_shape = {};      // shape of the scalar constants
};

Graph GeluGraph(const Chain& c) {
  GraphBuilder b;
  const int x = b.Input("x", {2, 5, 7});
  auto scalar = [&](const char* name, float v) {
    Tensor t(DType::kF32, c.const_shape);
    t.data<float>()[0] = v;
    return b.Const(name, std::move(t));
  };
  const int d = c.mul_by_inverse
                    ? b.Node(OpType::kMul, "scale", {x, scalar("k", 1.f / c.divisor)}, {"d"})
                    : b.Node(OpType::kDiv, "scale", {x, scalar("k", c.divisor)}, {"d"});
  const int e = b.Node(OpType::kErf, "erf", {d}, {"e"});
  const int f = b.Node(OpType::kAdd, "add", {scalar("one", 1.f), e}, {"f"});
  int y;
  if (c.half_first) {
    const int h = b.Node(OpType::kMul, "half", {x, scalar("half_c", 0.5f)}, {"h"});
    y = b.Node(OpType::kMul, "mul", {h, f}, {"y"});
  } else {
    const int m = b.Node(OpType::kMul, "mul", {x, f}, {"m"});
    y = b.Node(OpType::kMul, "half", {scalar("half_c", 0.5f), m}, {"y"});
  }
  b.Output(y);
  if (c.erf_is_output) b.Output(e);
  return b.Build();
}

// Prepares the chain with and without fusion, compares the outputs, returns the fused plan's ops.
std::vector<OpType> FusedOps(const Chain& c) {
  const Graph g = GeluGraph(c);
  PrepareOptions oracle;
  oracle.reference_only = true;
  oracle.fuse = false;
  PrepareOptions fast;
  auto a = Plan::Prepare(g, oracle);
  auto b = Plan::Prepare(g, fast);
  EXPECT_TRUE(a.ok() && b.ok());
  if (!a.ok() || !b.ok()) return {};
  Tensor x = testing::RandomTensor({2, 5, 7}, 3);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] *= 6.f;
  ExecutionContext ca(*a), cb(*b);
  auto ya = RunOnce(ca, {x});
  auto yb = RunOnce(cb, {x});
  EXPECT_TRUE(ya.ok() && yb.ok());
  if (ya.ok() && yb.ok()) {
    EXPECT_EQ(ya->size(), yb->size());
    for (size_t i = 0; i < ya->size() && i < yb->size(); ++i)
      EXPECT_LT(MaxRelDiff((*yb)[i], (*ya)[i]), 1e-5f);
  }
  std::vector<OpType> ops;
  for (const StepInfo& s : (*b)->steps()) ops.push_back(s.op);
  return ops;
}

TEST(FuseGelu, BothExportOrdersBecomeOneGelu) {
  for (bool inverse : {false, true})
    for (bool half_first : {false, true}) {
      Chain c;
      c.mul_by_inverse = inverse;
      c.half_first = half_first;
      EXPECT_EQ(FusedOps(c), std::vector<OpType>{OpType::kGelu})
          << "inverse " << inverse << " half_first " << half_first;
    }
}

TEST(FuseGelu, OneElementConstantsOfLowerRankStillFuse) {
  Chain c;
  c.const_shape = {1, 1};
  EXPECT_EQ(FusedOps(c), std::vector<OpType>{OpType::kGelu});
}

TEST(FuseGelu, LeavesOtherChainsAlone) {
  Chain wrong_constant;
  wrong_constant.divisor = 2.f;
  Chain shared;
  shared.erf_is_output = true;
  Chain broadcasts;  // a rank-4 constant makes the output rank 4: not an elementwise Gelu of x
  broadcasts.const_shape = {1, 1, 1, 1};
  for (const Chain& c : {wrong_constant, shared, broadcasts}) {
    const std::vector<OpType> ops = FusedOps(c);
    EXPECT_EQ(std::count(ops.begin(), ops.end(), OpType::kGelu), 0);
    EXPECT_EQ(std::count(ops.begin(), ops.end(), OpType::kErf), 1);
  }
}

TEST(FuseGelu, OffWhenAsked) {
  const Graph g = GeluGraph(Chain{});
  PrepareOptions o;
  o.fuse_gelu = false;
  auto p = Plan::Prepare(g, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  for (const StepInfo& s : (*p)->steps()) EXPECT_NE(s.op, OpType::kGelu);
}

}  // namespace
}  // namespace sl

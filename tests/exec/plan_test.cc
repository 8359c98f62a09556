#include "exec/plan.h"

#include <gtest/gtest.h>

#include <thread>

#include "exec/graph_builder.h"

namespace sl {
namespace {

using testing::GraphBuilder;
using testing::MaxRelDiff;

// x[N,3,9,9] -> Conv 3x3 -> BatchNorm -> Relu ("block1") -> Conv 1x1 -> Clip(0,6) -> GAP
// -> Flatten -> MatMul -> Add(bias) -> "logits"
Graph SmallCnn() {
  GraphBuilder b;
  int x = b.Input("x", {-1, 3, 9, 9});
  Attributes conv;
  conv.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  int c1 =
      b.Node(OpType::kConv, "conv1",
             {x, b.RandomConst("w1", {8, 3, 3, 3}, 1), b.RandomConst("b1", {8}, 2)}, {"c1"}, conv);
  int bn = b.Node(OpType::kBatchNormalization, "bn1",
                  {c1, b.RandomConst("s", {8}, 3, 0.5f, 1.5f), b.RandomConst("bb", {8}, 4),
                   b.RandomConst("m", {8}, 5), b.RandomConst("v", {8}, 6, 0.5f, 2.f)},
                  {"bn1_out"});
  int r = b.Node(OpType::kRelu, "relu1", {bn}, {"block1"});
  int c2 = b.Node(OpType::kConv, "conv2", {r, b.RandomConst("w2", {4, 8, 1, 1}, 7)}, {"c2"});
  int clip = b.Node(OpType::kClip, "clip",
                    {c2, b.Const("lo", Tensor::Scalar(0.f)), b.Const("hi", Tensor::Scalar(6.f))},
                    {"clip_out"});
  int gap = b.Node(OpType::kGlobalAveragePool, "gap", {clip}, {"gap_out"});
  Attributes flat;
  flat.Set("axis", int64_t{1});
  int f = b.Node(OpType::kFlatten, "flatten", {gap}, {"flat"}, flat);
  int mm = b.Node(OpType::kMatMul, "fc", {f, b.RandomConst("wf", {4, 5}, 8)}, {"fc_out"});
  int out = b.Node(OpType::kAdd, "fc_bias", {mm, b.RandomConst("bf", {5}, 9)}, {"logits"});
  b.Output(out);
  return b.Build();
}

std::shared_ptr<const Plan> MustPrepare(const Graph& g, PrepareOptions o) {
  auto p = Plan::Prepare(g, o);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : nullptr;
}

Tensor MustRun(const std::shared_ptr<const Plan>& plan, const Tensor& x) {
  ExecutionContext ctx(plan);
  auto out = RunOnce(ctx, {x});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? (*out)[0] : Tensor();
}

TEST(PlanTest, PassesFoldAndFuseWithoutChangingResults) {
  Graph g = SmallCnn();
  PrepareOptions oracle;
  oracle.input_shapes["x"] = {2, 3, 9, 9};
  oracle.reference_only = true;
  oracle.fuse = false;
  PrepareOptions fast = oracle;
  fast.reference_only = false;
  fast.fuse = true;
  auto ref_plan = MustPrepare(g, oracle);
  auto fast_plan = MustPrepare(g, fast);
  ASSERT_TRUE(ref_plan && fast_plan);
  for (const auto& s : fast_plan->steps()) {
    EXPECT_NE(s.op, OpType::kBatchNormalization);
    EXPECT_NE(s.op, OpType::kRelu);
    EXPECT_NE(s.op, OpType::kClip);
    EXPECT_NE(s.op, OpType::kAdd);
  }
  EXPECT_LT(fast_plan->steps().size(), ref_plan->steps().size());
  Tensor x = testing::RandomTensor({2, 3, 9, 9}, 11);
  Tensor a = MustRun(ref_plan, x), b = MustRun(fast_plan, x);
  ASSERT_EQ(a.shape(), (Shape{2, 5}));
  EXPECT_LT(MaxRelDiff(b, a), 1e-5f);
}

TEST(PlanTest, SubgraphsComposeToTheWholeModel) {
  Graph g = SmallCnn();
  PrepareOptions whole, first, second;
  whole.input_shapes["x"] = first.input_shapes["x"] = second.input_shapes["x"] = {1, 3, 9, 9};
  first.outputs = {"block1"};
  second.inputs = {"block1"};
  auto pw = MustPrepare(g, whole), p1 = MustPrepare(g, first), p2 = MustPrepare(g, second);
  ASSERT_TRUE(pw && p1 && p2);
  ASSERT_EQ(p2->inputs().size(), 1u);
  EXPECT_EQ(p2->inputs()[0].name, "block1");
  EXPECT_EQ(p2->inputs()[0].shape, (Shape{1, 8, 9, 9}));
  Tensor x = testing::RandomTensor({1, 3, 9, 9}, 12);
  Tensor mid = MustRun(p1, x);
  Tensor composed = MustRun(p2, mid);
  EXPECT_LT(MaxRelDiff(composed, MustRun(pw, x)), 1e-5f);
}

TEST(PlanTest, SubgraphThatIsNotClosedIsRejected) {
  Graph g = SmallCnn();
  PrepareOptions o;
  o.inputs = {"c2"};
  o.outputs = {"logits", "block1"};  // block1 lies before c2
  auto p = Plan::Prepare(g, o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("x"), std::string::npos);
  o.inputs = {"no_such_tensor"};
  EXPECT_FALSE(Plan::Prepare(g, o).ok());
}

TEST(PlanTest, ConcurrentContextsAgree) {
  Graph g = SmallCnn();
  PrepareOptions o;
  o.input_shapes["x"] = {1, 3, 9, 9};
  auto plan = MustPrepare(g, o);
  ASSERT_TRUE(plan);
  Tensor x = testing::RandomTensor({1, 3, 9, 9}, 13);
  Tensor want = MustRun(plan, x);
  std::vector<float> diffs(2, 0.f);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      ExecutionContext ctx(plan);
      for (int i = 0; i < 20; ++i) {
        auto out = RunOnce(ctx, {x});
        diffs[t] = std::max(diffs[t], out.ok() ? MaxRelDiff((*out)[0], want) : 1e9f);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(diffs[0], 0.f);
  EXPECT_EQ(diffs[1], 0.f);
}

TEST(PlanTest, WrongInputsAreRejectedNamingTheTensor) {
  Graph g = SmallCnn();
  PrepareOptions o;
  o.input_shapes["x"] = {1, 3, 9, 9};
  auto plan = MustPrepare(g, o);
  ASSERT_TRUE(plan);
  ExecutionContext ctx(plan);
  Tensor bad = testing::RandomTensor({1, 3, 8, 9}, 1);
  auto r = RunOnce(ctx, {bad});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'x'"), std::string::npos);
  EXPECT_FALSE(RunOnce(ctx, {}).ok());
  o.input_shapes["x"] = {1, 3, 9};
  EXPECT_FALSE(Plan::Prepare(g, o).ok());
  o.input_shapes.clear();
  o.input_shapes["nope"] = {1};
  EXPECT_FALSE(Plan::Prepare(g, o).ok());
}

}  // namespace
}  // namespace sl

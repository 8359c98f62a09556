// The channel-blocked layout pass (exec/layout.h): which values it blocks, and whole plans that
// use it against the reference kernels and against plans without it.
#include "exec/layout.h"

#include <gtest/gtest.h>

#include "exec/graph_builder.h"
#include "exec/plan.h"
#include "exec/prepare.h"
#include "kernels/dense/cpu_features.h"

namespace sl {
namespace {

using testing::GraphBuilder;
using testing::MaxRelDiff;

Attributes Pads(int64_t p, int64_t stride = 1, int64_t group = 1) {
  Attributes a;
  a.Set("pads", std::vector<int64_t>{p, p, p, p});
  a.Set("strides", std::vector<int64_t>{stride, stride});
  a.Set("group", group);
  return a;
}

// x[N,3,15,13] -> Conv 3x3/2 (24, Clip 0..6) "stem" -> depthwise 3x3 (Relu) -> Conv 1x1 (20)
//   -> Add(Conv 1x1 (20) of stem) -> Relu "block" -> Add(block, block) -> MaxPool 3x3/2 -> Conv 3x3
//   (16) -> AveragePool 2x2
//   -> GlobalAveragePool -> Flatten -> "logits"
// and a side output Sigmoid(depthwise) "gate": channel counts that are not whole blocks, a
// residual (folded into the skip Conv), a blocked Add, pools, and a value read by a kernel that
// only takes plain layouts.
Graph BlockNet() {
  GraphBuilder b;
  const int x = b.Input("x", {-1, 3, 15, 13});
  const int lo = b.Const("lo", Tensor::Scalar(0.f)), hi = b.Const("hi", Tensor::Scalar(6.f));
  int stem = b.Node(OpType::kConv, "stem",
                    {x, b.RandomConst("w0", {24, 3, 3, 3}, 1), b.RandomConst("b0", {24}, 2)},
                    {"stem_conv"}, Pads(1, 2));
  stem = b.Node(OpType::kClip, "stem_clip", {stem, lo, hi}, {"stem"});
  int dw = b.Node(OpType::kConv, "dw", {stem, b.RandomConst("w1", {24, 1, 3, 3}, 3)}, {"dw_conv"},
                  Pads(1, 1, 24));
  dw = b.Node(OpType::kRelu, "dw_relu", {dw}, {"dw"});
  const int gate = b.Node(OpType::kSigmoid, "gate", {dw}, {"gate"});
  const int pw = b.Node(OpType::kConv, "pw", {dw, b.RandomConst("w2", {20, 24, 1, 1}, 4)}, {"pw"});
  const int skip =
      b.Node(OpType::kConv, "skip", {stem, b.RandomConst("w3", {20, 24, 1, 1}, 5)}, {"skip"});
  int sum = b.Node(OpType::kAdd, "add", {pw, skip}, {"sum"});
  sum = b.Node(OpType::kRelu, "add_relu", {sum}, {"block"});
  sum = b.Node(OpType::kAdd, "twice", {sum, sum}, {"twice"});  // no Conv to fold it into
  Attributes pool;
  pool.Set("kernel_shape", std::vector<int64_t>{3, 3});
  pool.Set("strides", std::vector<int64_t>{2, 2});
  pool.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  const int mp = b.Node(OpType::kMaxPool, "maxpool", {sum}, {"mp"}, pool);
  const int c3 = b.Node(OpType::kConv, "c3",
                        {mp, b.RandomConst("w4", {16, 20, 3, 3}, 6), b.RandomConst("b4", {16}, 7)},
                        {"c3"}, Pads(1));
  Attributes avg;
  avg.Set("kernel_shape", std::vector<int64_t>{2, 2});
  const int ap = b.Node(OpType::kAveragePool, "avgpool", {c3}, {"ap"}, avg);
  const int gap = b.Node(OpType::kGlobalAveragePool, "gap", {ap}, {"gap"});
  Attributes flat;
  flat.Set("axis", int64_t{1});
  b.Output(b.Node(OpType::kFlatten, "flatten", {gap}, {"logits"}, flat));
  b.Output(gate);
  return b.Build();
}

std::vector<Tensor> RunPlan(const Graph& g, PrepareOptions o, const Tensor& x,
                            std::vector<StepInfo>* steps = nullptr) {
  auto plan = Plan::Prepare(g, o);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  if (!plan.ok()) return {};
  if (steps != nullptr) *steps = (*plan)->steps();
  ExecutionContext ctx(*plan);
  auto out = RunOnce(ctx, {x});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? *out : std::vector<Tensor>{};
}

int CountKernels(const std::vector<StepInfo>& steps, const std::string& part) {
  int n = 0;
  for (const StepInfo& s : steps) n += s.kernel.find(part) != std::string::npos;
  return n;
}

TEST(LayoutTest, BlockedPlansMatchTheReferenceAndThePlainPlan) {
  if (dense::ChannelBlock() == 0) GTEST_SKIP() << "no AVX2: no blocked layout on this CPU";
  const Graph g = BlockNet();
  PrepareOptions o;
  o.input_shapes["x"] = {2, 3, 15, 13};
  o.sparse_kernels = false;
  PrepareOptions plain = o, ref = o;
  plain.blocked_layout = false;
  ref.reference_only = true;
  for (uint32_t seed : {21u, 22u}) {  // a second input catches state left from the first run
    const Tensor x = testing::RandomTensor({2, 3, 15, 13}, seed);
    std::vector<StepInfo> steps;
    const auto got = RunPlan(g, o, x, &steps);
    const auto want = RunPlan(g, ref, x);
    const auto unblocked = RunPlan(g, plain, x);
    ASSERT_EQ(got.size(), 2u);
    ASSERT_EQ(want.size(), 2u);
    ASSERT_EQ(unblocked.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      EXPECT_LT(MaxRelDiff(got[i], want[i]), 1e-4f) << "output " << i;
      EXPECT_LT(MaxRelDiff(got[i], unblocked[i]), 1e-4f) << "output " << i;
    }
    // Blocked: stem, pw, block (skip + pw), twice, mp, c3, ap. Plain: dw (read by Sigmoid).
    EXPECT_EQ(CountKernels(steps, "blocked-out"), 4) << "stem, pw, skip, c3";
    EXPECT_EQ(CountKernels(steps, "blocked-in"), 3) << "dw, skip, c3";
    EXPECT_EQ(CountKernels(steps, "+residual"), 1) << "the Add of pw and skip";
    EXPECT_EQ(CountKernels(steps, "binary-blocked"), 1) << "twice";
    EXPECT_EQ(CountKernels(steps, "maxpool-blocked"), 1);
    EXPECT_EQ(CountKernels(steps, "avgpool-blocked"), 2);  // AveragePool and GlobalAveragePool
  }
}

TEST(LayoutTest, Avx2BlocksOfEightMatchToo) {
  if (dense::DetectSimdLevel() < dense::SimdLevel::kAvx2) GTEST_SKIP() << "no AVX2";
  dense::ForceSimdLevelForTesting(dense::SimdLevel::kAvx2);
  ASSERT_EQ(dense::ChannelBlock(), 8);
  const Graph g = BlockNet();
  PrepareOptions o;
  o.input_shapes["x"] = {1, 3, 15, 13};
  o.sparse_kernels = false;
  PrepareOptions ref = o;
  ref.reference_only = true;
  const Tensor x = testing::RandomTensor({1, 3, 15, 13}, 23);
  std::vector<StepInfo> steps;
  const auto got = RunPlan(g, o, x, &steps);
  dense::ForceSimdLevelForTesting(std::nullopt);
  const auto want = RunPlan(g, ref, x);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(want.size(), 2u);
  for (int i = 0; i < 2; ++i) EXPECT_LT(MaxRelDiff(got[i], want[i]), 1e-4f);
  EXPECT_EQ(CountKernels(steps, "blocked-in"), 3);
}

TEST(LayoutTest, SubgraphBoundariesStayPlain) {
  if (dense::ChannelBlock() == 0) GTEST_SKIP() << "no AVX2";
  const Graph g = BlockNet();
  PrepareOptions whole, first, second;
  whole.input_shapes["x"] = first.input_shapes["x"] = second.input_shapes["x"] = {1, 3, 15, 13};
  first.outputs = {"block"};  // a value that is blocked inside the whole plan
  second.inputs = {"block"};
  second.outputs = {"logits"};
  whole.outputs = {"logits"};
  const Tensor x = testing::RandomTensor({1, 3, 15, 13}, 24);
  const auto mid = RunPlan(g, first, x);
  ASSERT_EQ(mid.size(), 1u);
  const auto composed = RunPlan(g, second, mid[0]);
  const auto direct = RunPlan(g, whole, x);
  ASSERT_EQ(composed.size(), 1u);
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_LT(MaxRelDiff(composed[0], direct[0]), 1e-4f);  // different kernels either side
}

// The pass itself, on a chain with made-up roles.
TEST(LayoutTest, ValuesAreBlockedOnlyBetweenNodesThatTakeThem) {
  GraphBuilder b;
  const int x = b.Input("x", {1, 4, 5, 5});
  const int w = b.RandomConst("w", {4, 4, 1, 1}, 1);
  const int a = b.Node(OpType::kConv, "a", {x, w}, {"va"});  // 0: kInOut
  const int c = b.Node(OpType::kConv, "c", {a, w}, {"vc"});  // 1: kInOut
  const int d = b.Node(OpType::kAdd, "d", {a, c}, {"vd"});   // 2: kElementwise
  const int e = b.Node(OpType::kConv, "e", {d, w}, {"ve"});  // 3: kInOut
  const int f = b.Node(OpType::kSigmoid, "f", {e}, {"vf"});  // 4: none
  const int h = b.Node(OpType::kAdd, "h", {f, e}, {"vh"});   // 5: kElementwise
  const int k = b.Node(OpType::kConv, "k", {h, w}, {"vk"});  // 6: kInOut
  b.Output(k);
  Graph g = b.Build();
  ASSERT_TRUE(InferAndFold(g, {}).ok());
  using R = BlockRole;
  const std::vector<R> roles = {R::kInOut, R::kInOut,       R::kElementwise, R::kInOut,
                                R::kNone,  R::kElementwise, R::kInOut};
  const std::vector<bool> blocked = ChooseBlockedValues(g, roles);
  EXPECT_FALSE(blocked[x]) << "graph input";
  EXPECT_TRUE(blocked[a]);
  EXPECT_TRUE(blocked[c]);
  EXPECT_TRUE(blocked[d]);
  EXPECT_FALSE(blocked[e]) << "read by Sigmoid, which has no role";
  EXPECT_FALSE(blocked[f]) << "produced by Sigmoid";
  EXPECT_FALSE(blocked[h]) << "its Add has plain inputs: all or nothing";
  EXPECT_FALSE(blocked[k]) << "graph output";
  // Without roles nothing is blocked.
  const std::vector<bool> none = ChooseBlockedValues(g, std::vector<R>(roles.size(), R::kNone));
  for (bool v : none) EXPECT_FALSE(v);
  EXPECT_EQ(BlockedElements({2, 20, 3, 5}, 16), 2 * 32 * 3 * 5);
  EXPECT_EQ(BlockedElements({2, 16, 3, 5}, 16), 2 * 16 * 3 * 5);
  EXPECT_EQ(BlockedElements({2, 20, 3, 5}, 8), 2 * 24 * 3 * 5);
}

}  // namespace
}  // namespace sl

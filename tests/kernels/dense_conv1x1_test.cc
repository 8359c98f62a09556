// The pointwise Conv path (oneDNN matmul over plain NCHW, bias and activation applied after).
#include <gtest/gtest.h>

#include "exec/graph_builder.h"
#include "exec/plan.h"

namespace sl {
namespace {

using testing::GraphBuilder;

struct Case {
  int64_t ic, oc, h, w;
  bool bias;
  std::string act;
};

TEST(DenseConv1x1Test, MatchesReferenceAndIsChosen) {
  const std::vector<Case> cases = {{3, 5, 7, 9, true, ""},        {16, 24, 5, 5, true, "Relu"},
                                   {17, 33, 3, 11, true, "Clip"}, {8, 4, 1, 1, false, "Relu"},
                                   {64, 128, 14, 14, true, ""},   {1, 1, 2, 3, false, ""}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    GraphBuilder b;
    int x = b.Input("x", {1, c.ic, c.h, c.w});
    std::vector<int> ins = {x, b.RandomConst("w", {c.oc, c.ic, 1, 1}, seed++)};
    if (c.bias) ins.push_back(b.RandomConst("b", {c.oc}, seed++));
    Attributes attrs;
    if (!c.act.empty()) attrs.Set("_act", c.act);
    if (c.act == "Clip") {
      attrs.Set("_act_min", -0.25f);
      attrs.Set("_act_max", 0.5f);
    }
    b.Output(b.Node(OpType::kConv, "pw", ins, {"y"}, attrs));
    Graph g = b.Build();
    PrepareOptions fast, oracle;
    fast.sparse_kernels = false;
    oracle.reference_only = true;
    auto pf = Plan::Prepare(g, fast);
    auto pr = Plan::Prepare(g, oracle);
    ASSERT_TRUE(pf.ok() && pr.ok()) << pf.status().message() << pr.status().message();
    EXPECT_NE((*pf)->steps()[0].kernel.find("matmul-1x1"), std::string::npos)
        << (*pf)->steps()[0].kernel;
    Tensor in = testing::RandomTensor({1, c.ic, c.h, c.w}, seed++);
    ExecutionContext cf(*pf), cr(*pr);
    Tensor out(DType::kF32, {1, c.oc, c.h, c.w});
    for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] = NAN;
    TensorView iv = in.view(), ov = out.view();
    ASSERT_TRUE(cf.Run({&iv, 1}, {&ov, 1}).ok());
    auto want = RunOnce(cr, {in});
    ASSERT_TRUE(want.ok());
    EXPECT_LT(testing::MaxRelDiff(out, (*want)[0]), 1e-4f) << c.ic << "x" << c.oc << " " << c.act;
  }
}

TEST(DenseConv1x1Test, StridedOrBatchedConvTakesTheGenericPath) {
  for (int64_t batch : {1, 2}) {
    GraphBuilder b;
    int x = b.Input("x", {batch, 4, 6, 6});
    Attributes attrs;
    if (batch == 1) attrs.Set("strides", std::vector<int64_t>{2, 2});
    b.Output(b.Node(OpType::kConv, "pw", {x, b.RandomConst("w", {8, 4, 1, 1}, 3)}, {"y"}, attrs));
    PrepareOptions o;
    o.sparse_kernels = false;
    auto p = Plan::Prepare(b.Build(), o);
    ASSERT_TRUE(p.ok()) << p.status().message();
    EXPECT_EQ((*p)->steps()[0].kernel.find("matmul-1x1"), std::string::npos);
  }
}

}  // namespace
}  // namespace sl

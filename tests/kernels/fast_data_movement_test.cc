// Fast CPU Transpose, Gather, Concat and Split against the reference kernels (bit-exact).
#include <gtest/gtest.h>

#include "fast_test_util.h"

namespace sl {
namespace {

using fasttest::CheckAgainstRef;
using fasttest::InputSpec;
using fasttest::OneNode;

TEST(FastTranspose, MatchesReference) {
  struct Case {
    Shape shape;
    std::vector<int64_t> perm;  // empty: default (reversed)
  };
  const Case cases[] = {
      {{2, 5, 3, 4}, {0, 2, 1, 3}},      // [B,S,H,D] -> [B,H,S,D]: contiguous runs
      {{2, 3, 5, 4}, {0, 1, 3, 2}},      // [B,H,S,D] -> [B,H,D,S]: 2-D tiles
      {{1, 12, 128, 64}, {0, 2, 1, 3}},  // large runs
      {{1, 12, 70, 65}, {0, 1, 3, 2}},   // large tiles with tails
      {{3, 4, 5}, {}},                   // reversed
      {{2, 1, 3, 1, 4}, {4, 2, 0, 3, 1}},
      {{6, 7}, {1, 0}},
      {{1, 1}, {1, 0}},
      {{2, 0, 3}, {2, 0, 1}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}},  // identity
      {{4, 3, 2, 5}, {2, 0, 3, 1}},
      {{1, 49, 3, 4, 16}, {2, 0, 3, 1, 4}},  // the ViT's head split: short runs, 3 outer dims
      {{4, 64, 3, 8, 16}, {2, 0, 3, 1, 4}},  // the same, split over threads mid-odometer
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    Attributes attrs;
    if (!c.perm.empty()) attrs.Set("perm", c.perm);
    OneNode t(OpType::kTranspose, {{c.shape}}, attrs, 1, seed++);
    CheckAgainstRef(t, "Transpose " + ShapeToString(c.shape), 0, 0);
  }
  // 17 outer dims that cannot merge (more than the odometer holds): offsets per run.
  Shape many(18, 2);
  std::vector<int64_t> reversed;
  for (int64_t d = 16; d >= 0; --d) reversed.push_back(d);
  reversed.push_back(17);
  Attributes deep;
  deep.Set("perm", reversed);
  OneNode t(OpType::kTranspose, {{many}}, deep, 1, seed++);
  CheckAgainstRef(t, "Transpose rank 18", 0, 0);
  Attributes attrs;
  attrs.Set("perm", std::vector<int64_t>{1, 0});
  OneNode i64(OpType::kTranspose, {InputSpec({37, 41}, DType::kI64, false, {})}, attrs);
  CheckAgainstRef(i64, "Transpose int64", 0, 0);
}

TEST(FastGather, MatchesReference) {
  const std::vector<double> idx = {0, 5, -1, 3, 3, -6, 2};
  for (DType idx_type : {DType::kI64, DType::kI32}) {
    for (int64_t axis : {0, 1, -1}) {
      Attributes attrs;
      attrs.Set("axis", axis);
      OneNode t(OpType::kGather, {InputSpec({6, 6, 6}), InputSpec({7}, idx_type, false, idx)},
                attrs);
      CheckAgainstRef(t, "Gather axis " + std::to_string(axis), 0, 0);
    }
  }
  // Embedding lookup: [vocab, D] with [B, S] token ids.
  std::vector<double> tokens;
  for (int i = 0; i < 2 * 128; ++i) tokens.push_back((i * 7919) % 1000);
  OneNode emb(OpType::kGather,
              {InputSpec({1000, 768}), InputSpec({2, 128}, DType::kI64, false, tokens)}, {});
  CheckAgainstRef(emb, "Gather embedding", 0, 0);
}

TEST(FastGather, OutOfRangeIndexFailsCleanly) {
  OneNode t(OpType::kGather, {InputSpec({4, 3}), InputSpec({2}, DType::kI64, false, {1, 4})}, {});
  ASSERT_TRUE(t.infer_status().ok());
  auto k = CreateCpuKernel(t.request());
  ASSERT_TRUE(k.ok()) << k.status().message();
  Tensor y(DType::kF32, {2, 3});
  const TensorView in[] = {t.input(0).view(), t.input(1).view()};
  const TensorView out[] = {y.view()};
  EXPECT_EQ((*k)->Execute(in, out, ExecContext{}).code(), StatusCode::kInvalidArgument);
}

TEST(FastConcatSplit, MatchesReference) {
  uint32_t seed = 10;
  for (int64_t axis : {0, 1, 2, -1}) {
    Attributes attrs;
    attrs.Set("axis", axis);
    Shape a{2, 3, 4}, b{2, 3, 4};
    const int64_t ax = axis < 0 ? axis + 3 : axis;
    b[ax] = 5;
    Shape e = a;
    e[ax] = 0;
    OneNode concat(OpType::kConcat, {{a}, {b}, {e}, {a}}, attrs, 1, seed++);
    CheckAgainstRef(concat, "Concat axis " + std::to_string(axis), 0, 0);
    Shape whole{4, 6, 8};
    OneNode split(OpType::kSplit,
                  {InputSpec(whole),
                   InputSpec({3}, DType::kI64, true, {1, 0, static_cast<double>(whole[ax] - 1)})},
                  attrs, 3, seed++);
    CheckAgainstRef(split, "Split axis " + std::to_string(axis), 0, 0);
  }
  Attributes attrs;
  attrs.Set("axis", int64_t{1});
  OneNode big(OpType::kConcat, {{{1, 256, 28, 28}}, {{1, 128, 28, 28}}}, attrs, 1, 99);
  CheckAgainstRef(big, "Concat large", 0, 0);
}

}  // namespace
}  // namespace sl

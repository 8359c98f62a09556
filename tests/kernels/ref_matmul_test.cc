// Reference Gemm and MatMul: attributes, broadcasting, 1-D operands, fused bias and activation,
// integer types, and shape errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "graph/infer.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace sl {
namespace {

using kerneltest::Attrs;
using kerneltest::Values;

// Infers the output through the op's infer function, then runs its reference kernel on a
// NaN-filled (or 0x7f-filled for integers) output.
Result<Tensor> RunOp(OpType op, const Node& attrs_node, const std::vector<Tensor>& in) {
  return kerneltest::RunInferredRefOne(op, attrs_node, in, kerneltest::Poison::kNanFloatsElse7f);
}

template <typename T = float>
std::vector<T> Values(Result<Tensor>&& r) {
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? Values<T>(r.value()) : std::vector<T>();
}

TEST(RefGemmTest, DefaultAndBiasBroadcasts) {
  Tensor a = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::FromVector<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  Result<Tensor> y = RunOp(OpType::kGemm, Node{}, {a, b});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(Values(*y), (std::vector<float>{4, 5, 10, 11}));
  Tensor row = Tensor::FromVector<float>({2}, {10, 20});
  EXPECT_EQ(Values(RunOp(OpType::kGemm, Node{}, {a, b, row})),
            (std::vector<float>{14, 25, 20, 31}));
  Tensor col = Tensor::FromVector<float>({2, 1}, {10, 20});
  EXPECT_EQ(Values(RunOp(OpType::kGemm, Node{}, {a, b, col})),
            (std::vector<float>{14, 15, 30, 31}));
  Tensor scalar = Tensor::FromVector<float>({}, {1});
  EXPECT_EQ(Values(RunOp(OpType::kGemm, Node{}, {a, b, scalar})),
            (std::vector<float>{5, 6, 11, 12}));
  Tensor bad = Tensor::FromVector<float>({3}, {1, 2, 3});
  EXPECT_FALSE(RunOp(OpType::kGemm, Node{}, {a, b, bad}).ok());
}

TEST(RefGemmTest, TransposesAlphaBetaAndActivation) {
  Tensor at = Tensor::FromVector<float>({3, 2}, {1, 4, 2, 5, 3, 6});  // A^T of [[1,2,3],[4,5,6]]
  Tensor bt = Tensor::FromVector<float>({2, 3}, {1, 0, 1, 0, 1, 1});  // B^T
  Tensor c = Tensor::FromVector<float>({2, 2}, {1, 1, 1, 1});
  Node node = Attrs({{"transA", int64_t{1}},
                     {"transB", int64_t{1}},
                     {"alpha", 2.f},
                     {"beta", -10.f},
                     {"_act", std::string("Relu")}});
  Result<Tensor> y = RunOp(OpType::kGemm, node, {at, bt, c});
  ASSERT_TRUE(y.ok()) << y.status().message();
  // A*B = [[4,5],[10,11]] -> 2x - 10 = [[-2,0],[10,12]] -> relu
  EXPECT_EQ(Values(*y), (std::vector<float>{0, 0, 10, 12}));
  EXPECT_FALSE(RunOp(OpType::kGemm, Node{}, {at, at}).ok());  // [3,2] x [3,2]
}

TEST(RefMatMulTest, BatchedBroadcastAndVectors) {
  // [2,1,2,2] x [3,2,1] -> [2,3,2,1]
  std::vector<float> av = {1, 2, 3, 4, 5, 6, 7, 8};
  Tensor a = Tensor::FromVector<float>({2, 1, 2, 2}, av);
  Tensor b = Tensor::FromVector<float>({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  Result<Tensor> y = RunOp(OpType::kMatMul, Node{}, {a, b});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(y->shape(), (Shape{2, 3, 2, 1}));
  EXPECT_EQ(Values(*y), (std::vector<float>{1, 3, 2, 4, 3, 7, 5, 7, 6, 8, 11, 15}));
  Tensor v = Tensor::FromVector<float>({2}, {1, -1});
  Result<Tensor> av_ = RunOp(OpType::kMatMul, Node{}, {a, v});  // [2,1,2,2] x [2] -> [2,1,2]
  ASSERT_TRUE(av_.ok());
  EXPECT_EQ(av_->shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(Values(*av_), (std::vector<float>{-1, -1, -1, -1}));
  Result<Tensor> va = RunOp(OpType::kMatMul, Node{}, {v, a});  // [2] x [2,1,2,2] -> [2,1,2]
  ASSERT_TRUE(va.ok());
  EXPECT_EQ(Values(*va), (std::vector<float>{-2, -2, -2, -2}));
  Result<Tensor> dot = RunOp(OpType::kMatMul, Node{}, {v, v});
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot->shape(), Shape{});
  EXPECT_EQ(Values(*dot), (std::vector<float>{2}));
}

TEST(RefMatMulTest, FusedBiasAndClip) {
  Tensor a = Tensor::FromVector<float>({1, 2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::FromVector<float>({2, 3}, {1, 0, -1, 0, 1, -1});
  Tensor bias = Tensor::FromVector<float>({3}, {0.5f, 10, 0});
  Node node = Attrs({{"_act", std::string("Clip")}, {"_act_min", -3.f}, {"_act_max", 6.f}});
  Result<Tensor> y = RunOp(OpType::kMatMul, node, {a, b, bias});
  ASSERT_TRUE(y.ok()) << y.status().message();
  // A*B = [[1,2,-3],[3,4,-7]] + bias -> [[1.5,12,-3],[3.5,14,-7]] -> clip
  EXPECT_EQ(Values(*y), (std::vector<float>{1.5f, 6, -3, 3.5f, 6, -3}));
  Tensor bad_bias = Tensor::FromVector<float>({2}, {1, 2});
  EXPECT_FALSE(RunOp(OpType::kMatMul, Node{}, {a, b, bad_bias}).ok());
}

TEST(RefMatMulTest, IntegerTypesAndEmptyDims) {
  Tensor a = Tensor::FromVector<int32_t>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::FromVector<int32_t>({2, 2}, {5, 6, 7, 8});
  Result<Tensor> y = RunOp(OpType::kMatMul, Node{}, {a, b});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(Values<int32_t>(*y), (std::vector<int32_t>{19, 22, 43, 50}));
  Tensor a64 = Tensor::FromVector<int64_t>({1, 2}, {int64_t{1} << 40, -3});
  Tensor b64 = Tensor::FromVector<int64_t>({2, 1}, {2, 5});
  EXPECT_EQ(Values<int64_t>(RunOp(OpType::kMatMul, Node{}, {a64, b64})),
            (std::vector<int64_t>{(int64_t{1} << 41) - 15}));
  // k == 0: every output is 0 (+ nothing).
  Tensor ak(DType::kF32, {2, 0});
  Tensor bk(DType::kF32, {0, 3});
  Result<Tensor> zk = RunOp(OpType::kMatMul, Node{}, {ak, bk});
  ASSERT_TRUE(zk.ok()) << zk.status().message();
  EXPECT_EQ(Values(*zk), std::vector<float>(6, 0.f));
  Tensor a0(DType::kF32, {0, 2});
  Tensor b0 = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  Result<Tensor> z0 = RunOp(OpType::kMatMul, Node{}, {a0, b0});
  ASSERT_TRUE(z0.ok());
  EXPECT_EQ(z0->shape(), (Shape{0, 2}));
  Tensor u8 = Tensor::FromVector<uint8_t>({1, 1}, {1});
  Result<Tensor> unsupported = RunOp(OpType::kMatMul, Node{}, {u8, u8});
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.status().code(), StatusCode::kUnsupported);
}

TEST(RefMatMulTest, RejectsMismatchedShapes) {
  Tensor a = Tensor::FromVector<float>({2, 3}, std::vector<float>(6, 1.f));
  Tensor b = Tensor::FromVector<float>({2, 3}, std::vector<float>(6, 1.f));
  Result<Tensor> y = RunOp(OpType::kMatMul, Node{}, {a, b});
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("'n'"), std::string::npos) << y.status().message();
  // The kernel itself also refuses a wrong output shape.
  Tensor bt = Tensor::FromVector<float>({3, 2}, std::vector<float>(6, 1.f));
  Tensor out(DType::kF32, {3, 3});
  Node node;
  node.op = OpType::kMatMul;
  std::vector<TensorView> in = {a.view(), bt.view()}, outs = {out.view()};
  EXPECT_FALSE(RefMatMul(node, in, outs).ok());
}

}  // namespace
}  // namespace sl

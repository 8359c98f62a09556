// Test helper: a pool of small hand-built variants of one residual MLP.
#pragma once

#include <string>
#include <vector>

#include "exec/graph_builder.h"
#include "zoo/pool.h"

namespace sl::testing {

// x[N,8] -> Gemm(8x16) -> Relu(r1) -> Gemm(16x16) -> Add(., r1) -> Relu(r2) -> Gemm(16x4) -> logits
// Valid cuts: g1, r1, a2, r2 (not g2: r1 also crosses it).
inline Graph ResidualMlp(uint32_t seed, const std::string& name) {
  GraphBuilder b(name);
  int x = b.Input("x", {-1, 8});
  int w1 = b.RandomConst("w1", {8, 16}, seed * 10 + 1, -0.5f, 0.5f);
  int b1 = b.RandomConst("b1", {16}, seed * 10 + 2, -0.1f, 0.1f);
  int w2 = b.RandomConst("w2", {16, 16}, seed * 10 + 3, -0.5f, 0.5f);
  int w3 = b.RandomConst("w3", {16, 4}, seed * 10 + 4, -0.5f, 0.5f);
  int g1 = b.Node(OpType::kGemm, "gemm1", {x, w1, b1}, {"g1"});
  int r1 = b.Node(OpType::kRelu, "relu1", {g1}, {"r1"});
  int g2 = b.Node(OpType::kMatMul, "mm2", {r1, w2}, {"g2"});
  int a2 = b.Node(OpType::kAdd, "add2", {g2, r1}, {"a2"});
  int r2 = b.Node(OpType::kRelu, "relu2", {a2}, {"r2"});
  int out = b.Node(OpType::kMatMul, "mm3", {r2, w3}, {"logits"});
  b.Output(out);
  return b.Build();
}

// n variants with different weights and random 2-class-ish validation data (labels in [0, 4)).
inline Pool SmallPool(int n, int64_t val_count, uint32_t seed) {
  std::vector<PoolVariant> variants;
  for (int v = 0; v < n; ++v) {
    PoolVariant pv;
    pv.name = "v" + std::to_string(v);
    pv.graph = ResidualMlp(seed + 7 * v, pv.name + ".onnx");
    variants.push_back(std::move(pv));
  }
  Tensor x = RandomTensor({val_count, 8}, seed + 1000);
  Tensor y(DType::kI64, {val_count});
  std::mt19937 rng(seed + 2000);
  for (int64_t i = 0; i < val_count; ++i) y.data<int64_t>()[i] = rng() % 4;
  auto pool = MakePool("small", std::move(variants), x, y);
  SL_CHECK(pool.ok());
  return std::move(pool).value();
}

}  // namespace sl::testing

// Single-op (or small fused) graphs on odd shapes that every device backend should run: the data
// for the CUDA op tests. Each case's runtime inputs are float32 (filled with seeded random values
// by the test); everything else (weights, indices, conditions, bounds) is a constant.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "exec/graph_builder.h"

namespace sl::testing {

struct OpCase {
  std::string name;
  std::function<Graph()> build;
  float tolerance = 1e-4f;  // max relative difference against the reference kernels
};

// gtest prints a case by its name.
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

inline Attributes Attrs(std::initializer_list<std::pair<std::string, AttrValue>> kv) {
  Attributes a;
  for (const auto& [k, v] : kv) a.Set(k, v);
  return a;
}

using Ints = std::vector<int64_t>;

// y = op(x) for one node with one runtime input and constants.
inline OpCase Unary(OpType op, Shape shape, Attributes attrs = {}) {
  std::string name(OpTypeName(op));
  return {name, [=] {
            GraphBuilder b;
            const int x = b.Input("x", shape);
            b.Output(b.Node(op, "n", {x}, {"y"}, attrs));
            return b.Build();
          }};
}

inline OpCase Binary(OpType op, Shape a, Shape bshape, const std::string& suffix = "") {
  return {std::string(OpTypeName(op)) + suffix, [=] {
            GraphBuilder b;
            const int x = b.Input("a", a);
            const int y = b.Input("b", bshape);
            b.Output(b.Node(op, "n", {x, y}, {"y"}));
            return b.Build();
          }};
}

inline Tensor Int64s(Shape shape, std::vector<int64_t> v) {
  return Tensor::FromVector<int64_t>(std::move(shape), v);
}

inline Tensor ConvWeights(Shape shape, uint32_t seed) {
  return RandomTensor(std::move(shape), seed);
}

inline OpCase ConvCase(const std::string& name, Shape x, Shape w, Attributes attrs, bool bias,
                       bool relu) {
  return {name,
          [=] {
            GraphBuilder b;
            const int xi = b.Input("x", x);
            std::vector<int> ins{xi, b.Const("w", ConvWeights(w, 7))};
            if (bias) ins.push_back(b.RandomConst("bias", {w[0]}, 8));
            int y = b.Node(OpType::kConv, "conv", ins, {relu ? "c" : "y"}, attrs);
            if (relu) y = b.Node(OpType::kRelu, "relu", {y}, {"y"});
            b.Output(y);
            return b.Build();
          },
          2e-4f};
}

inline std::vector<OpCase> CudaOpCases() {
  std::vector<OpCase> cases;
  // --- Conv: cuDNN (2-D, symmetric pads) and im2col + cuBLAS (1-D, 3-D, asymmetric pads).
  cases.push_back(ConvCase("ConvRelu3x3", {2, 5, 9, 7}, {6, 5, 3, 3},
                           Attrs({{"pads", Ints{1, 1, 1, 1}}}), true, true));
  cases.push_back(ConvCase(
      "ConvStrideDilationAsymPads", {1, 3, 12, 11}, {4, 3, 3, 2},
      Attrs({{"pads", Ints{0, 1, 1, 0}}, {"strides", Ints{2, 1}}, {"dilations", Ints{2, 1}}}), true,
      false));
  cases.push_back(ConvCase("ConvDepthwise", {1, 6, 11, 13}, {6, 1, 3, 3},
                           Attrs({{"pads", Ints{1, 1, 1, 1}}, {"group", int64_t{6}}}), true, true));
  cases.push_back(ConvCase("ConvGrouped1x1", {2, 4, 5, 5}, {6, 2, 1, 1},
                           Attrs({{"group", int64_t{2}}}), false, false));
  cases.push_back(
      ConvCase("Conv1d", {2, 3, 17}, {4, 3, 5}, Attrs({{"pads", Ints{2, 2}}}), true, false));
  cases.push_back(ConvCase("Conv3d", {1, 2, 5, 6, 7}, {3, 2, 3, 3, 3},
                           Attrs({{"pads", Ints{1, 0, 1, 1, 0, 1}}}), true, false));
  cases.push_back(ConvCase(
      "ConvSameUpper", {1, 2, 10, 9}, {3, 2, 4, 4},
      Attrs({{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}}), false, true));

  // --- Gemm / MatMul through cuBLAS.
  cases.push_back({"GemmTransBVectorC", [] {
                     GraphBuilder b;
                     const int a = b.Input("a", {7, 13});
                     const int w = b.RandomConst("w", {11, 13}, 3);
                     const int c = b.RandomConst("c", {11}, 4);
                     b.Output(b.Node(OpType::kGemm, "g", {a, w, c}, {"y"},
                                     Attrs({{"transB", int64_t{1}}, {"alpha", 0.75f}})));
                     return b.Build();
                   }});
  cases.push_back({"GemmTransAColumnCRelu", [] {
                     GraphBuilder b;
                     const int a = b.Input("a", {13, 7});
                     const int w = b.RandomConst("w", {13, 5}, 5);
                     const int c = b.RandomConst("c", {7, 1}, 6);
                     const int g = b.Node(OpType::kGemm, "g", {a, w, c}, {"t"},
                                          Attrs({{"transA", int64_t{1}}, {"beta", 2.f}}));
                     b.Output(b.Node(OpType::kRelu, "r", {g}, {"y"}));
                     return b.Build();
                   }});
  cases.push_back(
      {"MatMul2d", [] {
         GraphBuilder b;
         const int a = b.Input("a", {9, 17});
         b.Output(b.Node(OpType::kMatMul, "m", {a, b.RandomConst("w", {17, 5}, 9)}, {"y"}));
         return b.Build();
       }});
  cases.push_back(
      {"MatMulBiasReluFolded", [] {
         GraphBuilder b;
         const int a = b.Input("a", {2, 3, 4, 6});
         const int m = b.Node(OpType::kMatMul, "m", {a, b.RandomConst("w", {6, 5}, 10)}, {"t"});
         const int s = b.Node(OpType::kAdd, "add", {m, b.RandomConst("bias", {5}, 11)}, {"s"});
         b.Output(b.Node(OpType::kRelu, "r", {s}, {"y"}));
         return b.Build();
       }});
  cases.push_back(Binary(OpType::kMatMul, {3, 1, 4, 6}, {2, 6, 5}, "BroadcastLoop"));
  cases.push_back(Binary(OpType::kMatMul, {2, 4, 6}, {2, 6, 3}, "Strided"));
  cases.push_back(Binary(OpType::kMatMul, {4, 6}, {3, 6, 5}, "SharedA"));
  cases.push_back(Binary(OpType::kMatMul, {6}, {2, 6, 5}, "VectorA"));
  cases.push_back(Binary(OpType::kMatMul, {2, 3, 6}, {6}, "VectorB"));

  // --- broadcasting binary math.
  cases.push_back(Binary(OpType::kAdd, {3, 1, 5}, {4, 1}));
  cases.push_back(Binary(OpType::kSub, {2, 3, 4}, {4}));
  cases.push_back(Binary(OpType::kMul, {5, 1}, {1, 7}));
  cases.push_back(Binary(OpType::kMax, {3, 4}, {3, 4}));
  cases.push_back(Binary(OpType::kMin, {1}, {2, 3}));
  cases.push_back(
      {"DivPositive", [] {
         GraphBuilder b;
         const int a = b.Input("a", {3, 5, 2});
         b.Output(b.Node(OpType::kDiv, "d", {a, b.RandomConst("c", {5, 1}, 12, 0.5f, 2.f)}, {"y"}));
         return b.Build();
       }});
  cases.push_back(
      {"PowPositiveBase", [] {
         GraphBuilder b;
         const int a = b.Input("a", {4, 3});
         const int e = b.Node(OpType::kExp, "e", {a}, {"ea"});
         b.Output(b.Node(OpType::kPow, "p", {e, b.RandomConst("c", {3}, 13, -2.f, 2.f)}, {"y"}));
         return b.Build();
       }});
  cases.push_back(
      {"MaxThreeInputs", [] {
         GraphBuilder b;
         const int x = b.Input("x", {2, 3, 4});
         const int y = b.Input("z", {3, 1});
         b.Output(b.Node(OpType::kMax, "m", {x, y, b.RandomConst("c", {4}, 14)}, {"y"}));
         return b.Build();
       }});
  cases.push_back({"AddReluResidual", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {2, 3, 5, 5});
                     const int y = b.Input("r", {2, 3, 5, 5});
                     const int s = b.Node(OpType::kAdd, "add", {x, y}, {"s"});
                     b.Output(b.Node(OpType::kRelu, "relu", {s}, {"y"}));
                     return b.Build();
                   }});

  // --- unary math (Sqrt and Log on positive values).
  for (OpType op : {OpType::kErf, OpType::kExp, OpType::kNeg, OpType::kAbs, OpType::kRelu,
                    OpType::kSigmoid, OpType::kTanh, OpType::kHardSwish})
    cases.push_back(Unary(op, {3, 7, 5}));
  cases.push_back(Unary(OpType::kLeakyRelu, {4, 9}, Attrs({{"alpha", 0.2f}})));
  cases.push_back(Unary(OpType::kHardSigmoid, {4, 9}, Attrs({{"alpha", 0.3f}, {"beta", 0.4f}})));
  cases.push_back({"SqrtLogOfPositive", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {5, 11});
                     const int e = b.Node(OpType::kExp, "e", {x}, {"e"});
                     const int s = b.Node(OpType::kSqrt, "s", {e}, {"s"});
                     b.Output(b.Node(OpType::kLog, "l", {s}, {"y"}));
                     return b.Build();
                   }});
  cases.push_back({"ClipInputs", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {6, 7});
                     b.Output(b.Node(OpType::kClip, "c",
                                     {x, b.Const("lo", Tensor::Scalar(-0.25f)),
                                      b.Const("hi", Tensor::Scalar(0.5f))},
                                     {"y"}));
                     return b.Build();
                   }});

  cases.push_back({"ClipRuntimeBounds", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {6, 7});
                     const int lo = b.Input("lo", {});
                     const int hi = b.Input("hi", {});
                     b.Output(b.Node(OpType::kClip, "c", {x, lo, hi}, {"y"}));
                     return b.Build();
                   }});
  cases.push_back({"LayerNormalizationStats", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {4, 3, 10});
                     b.Node(OpType::kLayerNormalization, "ln", {x, b.RandomConst("s", {3, 10}, 25)},
                            {"y", "mean", "inv_std"}, Attrs({{"axis", int64_t{1}}}));
                     Graph g = b.Build();
                     g.outputs = {g.FindValue("y"), g.FindValue("mean"), g.FindValue("inv_std")};
                     return g;
                   }});

  // --- reductions and normalizations.
  cases.push_back(Unary(OpType::kSoftmax, {3, 4, 33}));
  cases.push_back(Unary(OpType::kSoftmax, {2, 37, 3}, Attrs({{"axis", int64_t{1}}})));
  cases.push_back(Unary(OpType::kReduceMean, {2, 3, 5, 7},
                        Attrs({{"axes", Ints{2, 3}}, {"keepdims", int64_t{1}}})));
  cases.push_back(Unary(OpType::kReduceMax, {4, 3, 6}, Attrs({{"axes", Ints{0, 2}}})));
  cases.push_back({"ReduceSumAxesInput", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {3, 70, 2});
                     b.Output(b.Node(OpType::kReduceSum, "r",
                                     {x, b.Const("axes", Int64s({1}, {1}))}, {"y"},
                                     Attrs({{"keepdims", int64_t{0}}})));
                     return b.Build();
                   }});
  cases.push_back(Unary(OpType::kGlobalAveragePool, {2, 3, 7, 5}));
  cases.push_back(Unary(OpType::kGlobalMaxPool, {2, 3, 7, 5}));
  cases.push_back(
      {"LayerNormalization", [] {
         GraphBuilder b;
         const int x = b.Input("x", {3, 5, 40});
         b.Output(b.Node(OpType::kLayerNormalization, "ln",
                         {x, b.RandomConst("s", {40}, 15), b.RandomConst("b", {40}, 16)}, {"y"}));
         return b.Build();
       }});
  cases.push_back({"LayerNormalizationTwoAxes", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {2, 3, 300});
                     b.Output(b.Node(OpType::kLayerNormalization, "ln",
                                     {x, b.RandomConst("s", {1, 300}, 17)}, {"y"},
                                     Attrs({{"axis", int64_t{-2}}, {"epsilon", 1e-3f}})));
                     return b.Build();
                   }});
  cases.push_back(
      {"BatchNormalization", [] {
         GraphBuilder b;
         const int x = b.Input("x", {2, 3, 5, 4});
         b.Output(b.Node(OpType::kBatchNormalization, "bn",
                         {x, b.RandomConst("s", {3}, 18), b.RandomConst("b", {3}, 19),
                          b.RandomConst("m", {3}, 20), b.RandomConst("v", {3}, 21, 0.5f, 2.f)},
                         {"y"}));
         return b.Build();
       }});
  cases.push_back(Unary(
      OpType::kMaxPool, {1, 3, 13, 11},
      Attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})));
  cases.push_back(Unary(
      OpType::kMaxPool, {2, 2, 10, 9},
      Attrs({{"kernel_shape", Ints{3, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}})));
  cases.push_back(Unary(
      OpType::kAveragePool, {1, 3, 9, 8},
      Attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})));
  cases.push_back(Unary(OpType::kAveragePool, {1, 3, 9, 8},
                        Attrs({{"kernel_shape", Ints{3, 3}},
                               {"pads", Ints{1, 0, 1, 2}},
                               {"count_include_pad", int64_t{1}}})));

  // --- data movement.
  cases.push_back(Unary(OpType::kTranspose, {2, 3, 5, 7}, Attrs({{"perm", Ints{0, 2, 3, 1}}})));
  cases.push_back(Unary(OpType::kTranspose, {3, 4}));
  cases.push_back({"ConcatWithConstant", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {2, 3, 5});
                     const int z = b.Input("z", {2, 1, 5});
                     b.Output(b.Node(OpType::kConcat, "c",
                                     {x, b.RandomConst("k", {2, 4, 5}, 22), z}, {"y"},
                                     Attrs({{"axis", int64_t{1}}})));
                     return b.Build();
                   }});
  cases.push_back(
      {"SliceStepsNegative", [] {
         GraphBuilder b;
         const int x = b.Input("x", {5, 9, 4});
         b.Output(
             b.Node(OpType::kSlice, "s",
                    {x, b.Const("st", Int64s({2}, {-1, 1})), b.Const("en", Int64s({2}, {-100, 9})),
                     b.Const("ax", Int64s({2}, {1, 0})), b.Const("sp", Int64s({2}, {-2, 2}))},
                    {"y"}));
         return b.Build();
       }});
  cases.push_back({"Split", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {2, 3, 5});
                     b.Node(OpType::kSplit, "s", {x, b.Const("sp", Int64s({2}, {2, 3}))},
                            {"y0", "y1"}, Attrs({{"axis", int64_t{2}}}));
                     Graph g = b.Build();
                     g.outputs = {g.FindValue("y0"), g.FindValue("y1")};
                     return g;
                   }});
  cases.push_back(
      {"Expand", [] {
         GraphBuilder b;
         const int x = b.Input("x", {3, 1});
         b.Output(b.Node(OpType::kExpand, "e", {x, b.Const("sh", Int64s({3}, {2, 3, 4}))}, {"y"}));
         return b.Build();
       }});
  cases.push_back({"GatherNegativeIndices", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {3, 5, 4});
                     b.Output(b.Node(OpType::kGather, "g",
                                     {x, b.Const("i", Int64s({2, 2}, {2, -1, 0, 4}))}, {"y"},
                                     Attrs({{"axis", int64_t{1}}})));
                     return b.Build();
                   }});
  cases.push_back({"WhereBroadcast", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {2, 3, 4});
                     Tensor cond(DType::kBool, {3, 1});
                     cond.data<bool>()[0] = true;
                     cond.data<bool>()[2] = true;
                     b.Output(b.Node(OpType::kWhere, "w",
                                     {b.Const("c", cond), x, b.RandomConst("o", {4}, 23)}, {"y"}));
                     return b.Build();
                   }});
  cases.push_back(
      {"CompareAndCast", [] {
         GraphBuilder b;
         const int x = b.Input("x", {4, 6});
         const int l = b.Node(OpType::kLess, "l", {x, b.RandomConst("t", {6}, 24)}, {"l"});
         Attributes to;
         to.Set("to", int64_t{1});  // float32
         b.Output(b.Node(OpType::kCast, "c", {l}, {"y"}, to));
         return b.Build();
       }});
  cases.push_back(
      {"CastToInt32", [] {
         GraphBuilder b;
         const int x = b.Input("x", {5, 5});
         const int s = b.Node(OpType::kMul, "m", {x, b.Const("k", Tensor::Scalar(100.f))}, {"s"});
         b.Output(b.Node(OpType::kCast, "c", {s}, {"y"}, Attrs({{"to", int64_t{6}}})));
         return b.Build();
       }});
  cases.push_back(
      {"ReshapeFlattenAlias", [] {
         GraphBuilder b;
         const int x = b.Input("x", {2, 3, 4});
         const int r =
             b.Node(OpType::kReshape, "r", {x, b.Const("sh", Int64s({2}, {6, 4}))}, {"r"});
         const int e = b.Node(OpType::kExp, "e", {r}, {"e"});
         b.Output(b.Node(OpType::kFlatten, "f", {e}, {"y"}, Attrs({{"axis", int64_t{0}}})));
         return b.Build();
       }});

  // --- quantization (runs as float around int8 / uint8 tensors).
  cases.push_back({"QuantizeUint8", [] {
                     GraphBuilder b;
                     const int x = b.Input("x", {3, 8});
                     b.Output(b.Node(OpType::kQuantizeLinear, "q",
                                     {x, b.Const("s", Tensor::Scalar(0.01f)),
                                      b.Const("z", Tensor::FromVector<uint8_t>({}, {128}))},
                                     {"y"}));
                     return b.Build();
                   }});
  cases.push_back(
      {"QdqPerAxisInt8", [] {
         GraphBuilder b;
         const int x = b.Input("x", {2, 3, 4});
         const int s = b.Const("s", Tensor::FromVector<float>({3}, {0.01f, 0.02f, 0.05f}));
         const int z = b.Const("z", Tensor::FromVector<int8_t>({3}, {0, 3, -2}));
         const int q =
             b.Node(OpType::kQuantizeLinear, "q", {x, s, z}, {"q"}, Attrs({{"axis", int64_t{1}}}));
         b.Output(b.Node(OpType::kDequantizeLinear, "d", {q, s, z}, {"y"},
                         Attrs({{"axis", int64_t{1}}})));
         return b.Build();
       }});
  return cases;
}

}  // namespace sl::testing

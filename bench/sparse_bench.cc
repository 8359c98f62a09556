// Sparse vs dense (oneDNN / GEMV) kernels on layer shapes of ResNet-18/50, MobileNetV2, ViT-S and
// BERT-base at batch 1, weights pruned per pattern and sparsity, 1 and 2 threads.
//
// Benchmark name: <layer>/<pattern>/<sparsity %>/<impl>/threads:<t> where impl is
//   dense  CreateDenseKernel on plain NCHW (a 3x3 conv reorders to and from oneDNN's blocked
//          layout inside);
//   dense-blocked  the same with input and output channel-blocked (convs only): no reorders;
//   fmt    the sparse format native to the pattern (csr, block4x1, nm2:4), forced;
//   fmt-im2col  the same with the im2col-per-tile operand instead of the padded grid (stride-1
//          convs wider than 1x1 only);
//   auto   CreateSparseKernel with measurement, falling back to dense (label: what it chose).
// Counters: FLOP/s counts the multiply-adds of stored nonzeros (2 per MAC), dense_FLOP/s the
// dense-equivalent work, so dense_FLOP/s of a sparse run compares directly with dense's FLOP/s.
// Seeded (kSeed); the seed is printed in the context.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "graph/infer.h"
#include "kernels/dense/cpu_features.h"
#include "kernels/dense/dense.h"
#include "kernels/sparse/sparse.h"

namespace sl {
namespace {

constexpr uint32_t kSeed = 7;

struct Layer {
  const char* name;
  bool conv;
  // Conv: x [1, c, h, w], w [oc, c/group, k, k]; MatMul: A [m, k] x B [k, n].
  int64_t a, b, c, d, e, f;
  int64_t stride = 1, group = 1;
};

const std::vector<Layer>& Layers() {
  static const std::vector<Layer> layers = {
      {"resnet18.conv3x3_64_56", true, 64, 56, 56, 64, 3, 0},
      {"resnet18.conv3x3_256_14", true, 256, 14, 14, 256, 3, 0},
      {"resnet50.conv1x1_256to64_56", true, 256, 56, 56, 64, 1, 0},
      {"resnet50.conv1x1_1024to256_14", true, 1024, 14, 14, 256, 1, 0},
      {"resnet50.conv1x1_256to1024_14", true, 256, 14, 14, 1024, 1, 0},
      {"resnet50.conv1x1_512to2048_7", true, 512, 7, 7, 2048, 1, 0},
      {"resnet50.conv3x3s2_128_56", true, 128, 56, 56, 128, 3, 0, 2},
      {"resnet50.conv1x1s2_256to512_56", true, 256, 56, 56, 512, 1, 0, 2},
      {"mobilenetv2.conv1x1_144to24_56", true, 144, 56, 56, 24, 1, 0},
      {"mobilenetv2.conv1x1_96to576_14", true, 96, 14, 14, 576, 1, 0},
      {"vit_s.qkv_197x384x1152", false, 197, 384, 1152, 0, 0, 0},
      {"vit_s.fc2_197x1536x384", false, 197, 1536, 384, 0, 0, 0},
      {"bert.ffn1_128x768x3072", false, 128, 768, 3072, 0, 0, 0},
      {"bert.attn_out_128x768x768", false, 128, 768, 768, 0, 0, 0},
      {"resnet.fc_1x512x1000", false, 1, 512, 1000, 0, 0, 0},
      {"resnet50.fc_1x2048x1000", false, 1, 2048, 1000, 0, 0, 0},
  };
  return layers;
}

enum Pattern { kUnstructured, kBlock, kNm };
const char* kPatternNames[] = {"unstructured", "block4x1", "nm2:4"};

// Zeroes a `sparsity` fraction of w [rows, cols] in `pattern`.
void Prune(float* w, int64_t rows, int64_t cols, Pattern p, double sparsity, std::mt19937& rng) {
  if (p == kNm) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t g = 0; g + 4 <= cols; g += 4) {
        int order[4] = {0, 1, 2, 3};
        std::shuffle(order, order + 4, rng);
        w[r * cols + g + order[0]] = w[r * cols + g + order[1]] = 0.f;
      }
    }
    return;
  }
  const int64_t unit_rows = p == kBlock ? 4 : 1;
  std::vector<int64_t> ids((rows / unit_rows) * cols);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  const auto count = static_cast<size_t>(sparsity * ids.size());
  for (size_t i = 0; i < count; ++i) {
    const int64_t r0 = ids[i] / cols * unit_rows, c = ids[i] % cols;
    for (int64_t r = r0; r < r0 + unit_rows; ++r) w[r * cols + c] = 0.f;
  }
}

// A one-node graph with constant pruned weights and seeded inputs.
struct Node1 {
  Graph graph;
  std::vector<Tensor> data;
  Tensor y;
  double dense_macs = 0, nnz_macs = 0;
};

std::unique_ptr<Node1> Build(const Layer& l, Pattern p, double sparsity) {
  auto n = std::make_unique<Node1>();
  std::mt19937 rng(kSeed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Node node;
  node.name = l.name;
  Shape xs, ws;
  if (l.conv) {
    node.op = OpType::kConv;
    const int64_t pad = l.e / 2;
    node.attrs.Set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    node.attrs.Set("strides", std::vector<int64_t>{l.stride, l.stride});
    node.attrs.Set("group", l.group);
    xs = {1, l.a, l.b, l.c};
    ws = {l.d, l.a / l.group, l.e, l.e};
  } else {
    node.op = OpType::kGemm;  // B stored [N, K] (transB) like an exported Linear
    node.attrs.Set("transB", int64_t{1});
    xs = {l.a, l.b};
    ws = {l.c, l.b};
  }
  for (int i = 0; i < 2; ++i) {
    const int id = n->graph.GetOrAddValue(i == 0 ? "x" : "w");
    Value& v = n->graph.values[id];
    v.dtype = DType::kF32;
    v.shape = i == 0 ? xs : ws;
    v.known_rank = true;
    Tensor t(DType::kF32, v.shape);
    for (int64_t j = 0; j < t.numel(); ++j) t.data<float>()[j] = dist(rng);
    if (i == 1) {
      Prune(t.data<float>(), ws[0], t.numel() / ws[0], p, sparsity, rng);
      v.constant = t;
    }
    n->data.push_back(t);
    node.inputs.push_back(id);
  }
  node.outputs.push_back(n->graph.GetOrAddValue("y"));
  n->graph.source = "sparse_bench";
  n->graph.nodes.push_back(std::move(node));
  InferContext ictx(n->graph, n->graph.nodes[0]);
  if (!GetInferFn(n->graph.nodes[0].op)(ictx).ok()) return nullptr;
  const Value& yv = n->graph.values[n->graph.nodes[0].outputs[0]];
  n->y = Tensor(DType::kF32, yv.shape);
  const int64_t outputs_per_weight = l.conv ? n->y.numel() / l.d : l.a;
  const Tensor& w = n->data[1];
  int64_t nnz = 0;
  for (int64_t j = 0; j < w.numel(); ++j) nnz += w.data<float>()[j] != 0.f;
  n->dense_macs = static_cast<double>(w.numel()) * outputs_per_weight;
  n->nnz_macs = static_cast<double>(nnz) * outputs_per_weight;
  return n;
}

void Run(benchmark::State& state, int layer, Pattern p, int sparsity_pct, const std::string& impl) {
  const int threads = static_cast<int>(state.range(0));
  auto node = Build(Layers()[layer], p, sparsity_pct / 100.0);
  if (!node) return state.SkipWithError("shape inference failed");
  const KernelRequest req{node->graph, node->graph.nodes[0], threads};
  Result<std::unique_ptr<Kernel>> kernel = Unsupported("none");
  if (impl == "dense") {
    kernel = CreateDenseKernel(req);
  } else if (impl == "dense-blocked") {
    // oneDNN in its native channel-blocked layout on both sides (as inside a chain of dense
    // convolutions, exec/layout.h): no reorders. Input and output buffers are sized for it.
    KernelRequest blocked = req;
    blocked.channel_block = dense::ChannelBlock();
    blocked.blocked_inputs = blocked.blocked_outputs = 1u;
    kernel = CreateDenseKernel(blocked);
  } else {
    SparseOptions opts;
    if (impl != "auto") opts.format = static_cast<sparse::SparseFormat>(p);
    sparse::SetConvGridDisabledForTesting(impl == "fmt-im2col");
    kernel = CreateSparseKernel(req, opts);
    sparse::SetConvGridDisabledForTesting(false);
    if (!kernel.ok() && impl == "auto") kernel = CreateDenseKernel(req);
  }
  if (!kernel.ok()) return state.SkipWithError(kernel.status().message().c_str());
  const Kernel& k = **kernel;
  std::unique_ptr<KernelState> ks = k.CreateState();
  std::shared_ptr<void> scratch = AllocateAligned(std::max<size_t>(k.scratch_bytes(), 64));
  const ExecContext ctx{threads, scratch.get(), ks.get()};
  TensorView in[2] = {node->data[0].view(), node->data[1].view()};
  TensorView out = node->y.view();
  std::shared_ptr<void> padded_x, padded_y;  // dense-blocked: buffers at the padded size
  if (impl == "dense-blocked") {
    const int block = dense::ChannelBlock();
    auto padded = [block](std::span<const int64_t> s) {
      return static_cast<size_t>(s[0] * ((s[1] + block - 1) / block * block) * s[2] * s[3]) *
             sizeof(float);
    };
    padded_x = AllocateAligned(padded(in[0].shape));
    padded_y = AllocateAligned(padded(out.shape));
    std::fill_n(static_cast<float*>(padded_x.get()), padded(in[0].shape) / sizeof(float), 0.5f);
    in[0].data = padded_x.get();
    out.data = padded_y.get();
  }
  for (auto _ : state) {
    if (!k.Execute(in, {&out, 1}, ctx).ok()) return state.SkipWithError("execute failed");
    benchmark::ClobberMemory();
  }
  const bool is_sparse = k.name().rfind("sparse", 0) == 0;
  state.counters["FLOP/s"] = benchmark::Counter(2 * (is_sparse ? node->nnz_macs : node->dense_macs),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["dense_FLOP/s"] =
      benchmark::Counter(2 * node->dense_macs, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(k.name());
}

void Register() {
  struct Config {
    Pattern p;
    int pct;
  };
  const Config configs[] = {{kUnstructured, 0},  {kUnstructured, 50}, {kUnstructured, 70},
                            {kUnstructured, 90}, {kUnstructured, 95}, {kBlock, 50},
                            {kBlock, 90},        {kBlock, 95},        {kNm, 50}};
  for (int l = 0; l < static_cast<int>(Layers().size()); ++l) {
    const std::string layer = Layers()[l].name;
    benchmark::RegisterBenchmark((layer + "/dense/0/dense").c_str(),
                                 [l](benchmark::State& s) { Run(s, l, kUnstructured, 0, "dense"); })
        ->Arg(1)
        ->Arg(2)
        ->ArgName("threads")
        ->UseRealTime();
    if (Layers()[l].conv && dense::ChannelBlock() > 0) {
      benchmark::RegisterBenchmark(
          (layer + "/dense/0/dense-blocked").c_str(),
          [l](benchmark::State& s) { Run(s, l, kUnstructured, 0, "dense-blocked"); })
          ->Arg(1)
          ->Arg(2)
          ->ArgName("threads")
          ->UseRealTime();
    }
    for (const Config& c : configs) {
      for (const std::string impl : {"fmt", "fmt-im2col", "auto"}) {
        if (c.pct == 0 && impl == "auto") continue;
        // The im2col operand for comparison, where the padded grid applies (stride-1 convs).
        if (impl == "fmt-im2col" && (!Layers()[l].conv || Layers()[l].e == 1 || c.p == kNm))
          continue;
        const std::string name =
            layer + "/" + kPatternNames[c.p] + "/" + std::to_string(c.pct) + "/" + impl;
        benchmark::RegisterBenchmark(
            name.c_str(), [l, c, impl](benchmark::State& s) { Run(s, l, c.p, c.pct, impl); })
            ->Arg(1)
            ->Arg(2)
            ->ArgName("threads")
            ->UseRealTime();
      }
    }
  }
}

}  // namespace
}  // namespace sl

int main(int argc, char** argv) {
  // --simd=scalar|avx2|avx512: the SIMD level of the sparse and hand-written dense kernels (at most
  // what the CPU has; default: the best it has), to measure another machine's path on this one.
  std::optional<sl::dense::SimdLevel> simd;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--simd=", 0) != 0) {
      argv[kept++] = argv[i];
      continue;
    }
    const std::string name = arg.substr(7);
    for (auto level : {sl::dense::SimdLevel::kScalar, sl::dense::SimdLevel::kAvx2,
                       sl::dense::SimdLevel::kAvx512}) {
      if (name == sl::dense::SimdLevelName(level)) simd = level;
    }
    if (!simd) {
      std::fprintf(stderr, "sparse_bench: --simd: unknown level '%s' (scalar, avx2, avx512)\n",
                   name.c_str());
      return 2;
    }
  }
  argc = kept;
  if (simd) sl::dense::ForceSimdLevelForTesting(simd);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("seed", std::to_string(sl::kSeed));
  benchmark::AddCustomContext("simd",
                              std::string(sl::dense::SimdLevelName(sl::dense::ActiveSimdLevel())));
  sl::Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// CreateSparseKernel: per-layer choice between the sparse formats and dense (see sparse.h).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense/conv_params.h"
#include "kernels/dense/dense.h"
#include "kernels/dense/matmul_spec.h"
#include "kernels/sparse/sparse.h"
#include "kernels/sparse/sparse_common.h"

namespace sl {

namespace {
constexpr double kSparseMargin = 0.05;
}  // namespace
namespace sparse {
namespace {

constexpr int kDense = -1;

struct Decision {
  int format = kDense;  // a SparseFormat value, or kDense
  std::string why;
};

std::mutex g_cache_mutex;
std::map<std::string, Decision>& Cache() {
  static auto* cache = new std::map<std::string, Decision>();
  return *cache;
}

// Op, input shapes, geometry attributes, pattern, 5% sparsity bucket and threads.
std::string CacheKey(const KernelRequest& req, const WeightStats& s) {
  std::string key(OpTypeName(req.node.op));
  for (size_t i = 0; i < req.node.inputs.size(); ++i) {
    key += req.has_input(static_cast<int>(i)) ? ShapeToString(req.input(i).shape) : "-";
  }
  for (const auto& [name, value] : req.node.attrs.all()) {
    key += ";" + name + "=";
    if (const auto* i = std::get_if<int64_t>(&value)) key += std::to_string(*i);
    if (const auto* v = std::get_if<std::vector<int64_t>>(&value)) {
      for (int64_t x : *v) key += std::to_string(x) + ",";
    }
    if (const auto* str = std::get_if<std::string>(&value)) key += *str;
  }
  key += ";" + std::string(s.pattern()) + ";" + std::to_string(static_cast<int>(s.sparsity() * 20));
  key += ";t" + std::to_string(req.num_threads) + ";" +
         std::string(dense::SimdLevelName(dense::ActiveSimdLevel()));
  return key;
}

Result<std::unique_ptr<Kernel>> CreateFormat(const KernelRequest& req, SparseFormat f) {
  if (req.node.op == OpType::kConv) return CreateSparseConv(req, f);
  return CreateSparseMatMul(req, f);
}

// Formats worth trying for these weights (always at least CSR).
std::vector<SparseFormat> Candidates(const WeightStats& s) {
  std::vector<SparseFormat> c = {SparseFormat::kCsr};
  if (s.block_fill() >= 0.5) c.push_back(SparseFormat::kBlock4x1);
  if (s.fits_nm24 && s.sparsity() <= 0.6) c.push_back(SparseFormat::kNm24);
  return c;
}

// Measurement budget of MeasureInterleavedUs: about kMeasureUs of timed runs per kernel, within
// [iterations, kMaxRuns]. Interleaved so that all kernels are timed over the same stretch of time:
// a machine whose speed changes from one moment to the next does not favour the kernel measured
// in its fast moment.
constexpr double kMeasureUs = 2000;
constexpr int kMaxRuns = 200;

// Relative cost of running the weights in `f` (or dense): multiply-adds weighted by how well each
// loop feeds the FMA units (4x1 blocks share one operand load per 4 FMAs; CSR pays an index and a
// broadcast per nonzero; dense runs oneDNN's blocked GEMM).
double ModelCost(const WeightStats& s, int f) {
  const double dense_macs = static_cast<double>(s.rows) * s.cols;
  switch (f) {
    case kDense:
      return dense_macs * 0.35;
    case static_cast<int>(SparseFormat::kCsr):
      return s.nnz * 1.0 + s.rows * 0.5;
    case static_cast<int>(SparseFormat::kBlock4x1):
      return s.nonzero_blocks * kBlockRows * 0.5 + s.rows * 0.5;
    case static_cast<int>(SparseFormat::kNm24):
      return dense_macs * 0.5 * 0.9 + s.rows * 0.5;
  }
  return 1e300;
}

Result<Decision> Decide(const KernelRequest& req, const WeightStats& stats,
                        const SparseOptions& opts) {
  const std::vector<SparseFormat> cands = Candidates(stats);
  Decision d;
  char buf[160];
  if (!opts.measure) {
    double best = opts.force ? 1e300 : ModelCost(stats, kDense);
    for (SparseFormat f : cands) {
      const double c = ModelCost(stats, static_cast<int>(f));
      if (c < best) best = c, d.format = static_cast<int>(f);
    }
    std::snprintf(buf, sizeof(buf), "cost model: dense %.3g, %s %.3g", ModelCost(stats, kDense),
                  d.format == kDense ? "best sparse" : FormatName(SparseFormat(d.format)).data(),
                  best);
    d.why = buf;
    return d;
  }
  std::vector<std::unique_ptr<Kernel>> owned;
  for (SparseFormat f : cands) {
    SL_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> k, CreateFormat(req, f));
    owned.push_back(std::move(k));
  }
  auto dense_kernel = CreateDenseKernel(req);
  const bool has_dense = dense_kernel.ok();
  if (has_dense) owned.push_back(std::move(*dense_kernel));
  std::vector<const Kernel*> kernels;
  for (const auto& k : owned) kernels.push_back(k.get());
  const std::vector<double> us = MeasureInterleavedUs(req, kernels, opts.measure_iterations);
  double best = 1e300;
  std::string timings;
  for (size_t i = 0; i < cands.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s %.1f us, ", FormatName(cands[i]).data(), us[i]);
    timings += buf;
    if (us[i] < best) best = us[i], d.format = static_cast<int>(cands[i]);
  }
  if (has_dense) {
    const double dense_us = us.back();
    std::snprintf(buf, sizeof(buf), "dense %.1f us", dense_us);
    timings += buf;
    // A sparse format must beat dense by kSparseMargin: measurement noise then falls on the side
    // of dense, which is never worse than itself.
    if (dense_us * (1 - kSparseMargin) < best && !opts.force) d.format = kDense;
  } else {
    timings += "no dense kernel";
  }
  d.why = "measured: " + timings;
  return d;
}

}  // namespace

std::vector<double> MeasureInterleavedUs(const KernelRequest& req,
                                         const std::vector<const Kernel*>& kernels,
                                         int iterations) {
  std::vector<Tensor> tensors;
  std::vector<TensorView> in;
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (size_t i = 0; i < req.node.inputs.size(); ++i) {
    if (!req.has_input(static_cast<int>(i))) {
      in.push_back(TensorView{});
      continue;
    }
    const Value& v = req.input(static_cast<int>(i));
    if (v.is_constant()) {
      tensors.push_back(v.constant);
    } else {
      Tensor t(DType::kF32, v.shape);
      for (int64_t e = 0; e < t.numel(); ++e) t.data<float>()[e] = dist(rng);
      tensors.push_back(t);
    }
    in.push_back(tensors.back().view());
  }
  Tensor y(DType::kF32, req.output(0).shape);
  const TensorView out = y.view();
  const size_t n = kernels.size();
  std::vector<std::unique_ptr<KernelState>> states;
  std::vector<std::shared_ptr<void>> scratch;
  std::vector<ExecContext> ctx;
  for (const Kernel* k : kernels) {
    states.push_back(k->CreateState());
    scratch.push_back(AllocateAligned(std::max<size_t>(k->scratch_bytes(), 64)));
    ctx.push_back({req.num_threads, scratch.back().get(), states.back().get()});
  }
  std::vector<std::vector<double>> times(n);
  std::vector<uint8_t> failed(n, 0);
  auto run = [&](size_t k) -> double {
    const auto t0 = std::chrono::steady_clock::now();
    if (!kernels[k]->Execute(in, {&out, 1}, ctx[k]).ok()) failed[k] = 1;
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  };
  double slowest = 1;
  for (size_t k = 0; k < n; ++k) slowest = std::max(slowest, run(k));
  const int rounds = std::clamp(static_cast<int>(kMeasureUs / slowest), iterations, kMaxRuns);
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < n; ++i) {
      const size_t k = (i + static_cast<size_t>(r)) % n;
      if (!failed[k]) times[k].push_back(run(k));
    }
  std::vector<double> median(n, 1e30);
  for (size_t k = 0; k < n; ++k) {
    if (failed[k] || times[k].empty()) continue;
    std::sort(times[k].begin(), times[k].end());
    median[k] = times[k][times[k].size() / 2];
  }
  return median;
}

Result<WeightStats> AnalyzeNodeWeights(const KernelRequest& req) {
  if (req.node.op == OpType::kConv) {
    SL_ASSIGN_OR_RETURN(dense::ConvParams p, dense::ResolveConvParams(req));
    const int64_t oc_g = p.out_channels / p.groups;
    const int64_t k_g = (p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
    const float* w = req.input(1).constant.data<float>();
    WeightStats s = AnalyzeWeights(w, oc_g, k_g);
    for (int64_t g = 1; g < p.groups; ++g)
      MergeStats(s, AnalyzeWeights(w + g * oc_g * k_g, oc_g, k_g));
    return s;
  }
  if (req.node.op != OpType::kGemm && req.node.op != OpType::kMatMul) {
    return Unsupported(Where(req) + ": no sparse kernel for this op");
  }
  SL_ASSIGN_OR_RETURN(dense::MatMulSpec spec, dense::ParseMatMul(req));
  if (!spec.b_constant || !spec.b_is_matrix()) {
    return Unsupported(Where(req) + ": sparse matmul needs a constant 2-D B");
  }
  // Counts are layout independent except the 2:4 and block checks, which run on W = B^T [N, K].
  const int64_t k = spec.k(), n = spec.n();
  const float* b = req.input(1).constant.data<float>();
  if (spec.trans_b) return AnalyzeWeights(b, n, k);
  std::vector<float> wt(static_cast<size_t>(n * k));
  for (int64_t kk = 0; kk < k; ++kk) {
    for (int64_t j = 0; j < n; ++j) wt[j * k + kk] = b[kk * n + j];
  }
  return AnalyzeWeights(wt.data(), n, k);
}

void ClearDecisionCacheForTesting() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  Cache().clear();
}

size_t DecisionCacheSize() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  return Cache().size();
}

}  // namespace sparse

Result<std::unique_ptr<Kernel>> CreateSparseKernel(const KernelRequest& req,
                                                   const SparseOptions& opts) {
  using namespace sparse;
  if (req.any_blocked())
    return Unsupported(Where(req) + ": sparse kernels take plain layouts only");
  SL_ASSIGN_OR_RETURN(WeightStats stats, AnalyzeNodeWeights(req));
  if (opts.format) return CreateFormat(req, *opts.format);
  const double sparsity = stats.sparsity();
  if (!opts.force && sparsity < opts.min_sparsity) {
    return Unsupported(Where(req) + ": sparsity " +
                       std::to_string(static_cast<int>(sparsity * 100)) + "% below threshold " +
                       std::to_string(static_cast<int>(opts.min_sparsity * 100)) + "%");
  }
  const std::string key =
      CacheKey(req, stats) + (opts.force ? ";force" : "") + (opts.measure ? ";measure" : ";model");
  Decision d;
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    auto it = Cache().find(key);
    if (it != Cache().end()) d = it->second, cached = true;
  }
  if (cached && d.format != kDense && !CanPack(static_cast<SparseFormat>(d.format), stats)) {
    cached = false;  // same bucket, but these weights do not fit the cached format
  }
  if (!cached) {
    SL_ASSIGN_OR_RETURN(d, Decide(req, stats, opts));
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    Cache()[key] = d;
  }
  if (d.format == kDense)
    return Unsupported(Where(req) + ": dense measured faster (" + d.why + ")");
  return CreateFormat(req, static_cast<SparseFormat>(d.format));
}

}  // namespace sl

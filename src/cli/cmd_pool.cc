// `sparseloom pool`: valid cuts, chosen cuts, segment sizes and FLOPs, number of stitches.
#include <algorithm>
#include <cstdio>

#include "cli/args.h"
#include "profile/profiler.h"
#include "zoo/segments.h"

namespace sl::cli {

int RunPool(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"help"}, {"segments", "cuts"});
  if (!args.ok()) return Fail("pool", args.status());
  if (args->Has("help") || args->positional().size() != 1) {
    std::puts(
        "usage: sparseloom pool zoo/TASK [--segments K] [--cuts A,B]\n"
        "Lists the pool's valid cuts (tensors that alone carry everything across, same name,\n"
        "shape and float32 type in every variant), the K-1 cuts chosen to balance FLOPs (or\n"
        "the named ones), each segment's FLOPs and weight bytes, and the number of stitches.\n"
        "K defaults to the number of CPU processors of this machine.");
    return args->Has("help") ? 0 : 2;
  }
  const std::string dir = args->positional()[0];
  auto pool = LoadPool(dir);
  if (!pool.ok()) return Fail("pool", pool.status());
  auto analysis = FindValidCuts(*pool);
  if (!analysis.ok()) return Fail("pool", analysis.status());
  auto k = args->GetInt("segments", static_cast<int64_t>(DefaultProcessors().size()), 1, 64);
  if (!k.ok()) return Fail("pool", k.status());
  auto chosen = SelectCuts(*analysis, static_cast<int>(*k), SplitComma(args->Get("cuts")));
  if (!chosen.ok()) return Fail("pool", chosen.status().WithContext(dir));
  std::vector<std::string> cuts;
  for (int c : *chosen) cuts.push_back(analysis->valid[c].name);
  auto set = SegmentSet::Prepare(*pool, cuts, {1, 1});
  if (!set.ok()) return Fail("pool", set.status());

  const double total = analysis->MeanFlopsBefore(analysis->valid.size());
  std::printf("pool %s: task %s, %d variants, %lld validation samples, input %s [N]%s\n",
              dir.c_str(), pool->task.c_str(), pool->num_variants(),
              static_cast<long long>(pool->val_count()), pool->input_name.c_str(),
              ShapeToString(pool->sample_shape).c_str());
  std::printf("FLOPs at batch 1 (mean over variants): %.4g\n", total);
  std::printf("\nvalid cuts (%zu):\n", analysis->valid.size());
  for (size_t c = 0; c < analysis->valid.size(); ++c) {
    const CutInfo& cut = analysis->valid[c];
    bool is_chosen =
        std::find(chosen->begin(), chosen->end(), static_cast<int>(c)) != chosen->end();
    std::printf("  %c %2zu  %-44s %-16s FLOPs before %5.1f%%\n", is_chosen ? '*' : ' ', c,
                cut.name.c_str(), ShapeToString(cut.shape).c_str(),
                total > 0 ? 100.0 * analysis->MeanFlopsBefore(c) / total : 0.0);
  }
  std::printf("\nchosen cuts (%zu, %s):", cuts.size(),
              args->Has("cuts") ? "named" : "FLOP-balanced");
  for (const auto& c : cuts) std::printf(" %s", c.c_str());
  std::printf("\n\nsegments (K = %d):\n", set->num_segments());
  std::printf("  %-3s %-44s %12s %7s %24s\n", "i", "input -> output", "FLOPs", "share",
              "weight bytes (min..max)");
  for (int i = 0; i < set->num_segments(); ++i) {
    const SegmentInfo& s0 = set->segment(0, i);
    double flops = 0;
    size_t lo = SIZE_MAX, hi = 0;
    for (int v = 0; v < set->num_variants(); ++v) {
      flops += set->segment(v, i).flops;
      lo = std::min(lo, set->segment(v, i).weight_bytes);
      hi = std::max(hi, set->segment(v, i).weight_bytes);
    }
    flops /= set->num_variants();
    std::string span = s0.input + " -> " + s0.output;
    std::printf("  %-3d %-44s %12.4g %6.1f%% %11zu..%-11zu\n", i, span.c_str(), flops,
                total > 0 ? 100.0 * flops / total : 0.0, lo, hi);
  }
  std::vector<Stitch> all;
  const int64_t count = NumStitches(set->num_variants(), set->num_segments());
  size_t distinct = 0;
  for (int v = 0; v < set->num_variants(); ++v)
    for (int i = 0; i < set->num_segments(); ++i) distinct += set->segment(v, i).weight_bytes;
  std::printf(
      "\nstitches: %d^%d = %lld (%d original variants); weights of all segments resident "
      "once: %.3f MB\n",
      set->num_variants(), set->num_segments(), static_cast<long long>(count), set->num_variants(),
      distinct / 1e6);
  return 0;
}

}  // namespace sl::cli

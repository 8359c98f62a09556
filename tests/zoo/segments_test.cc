#include "zoo/segments.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "zoo/cuts.h"
#include "zoo/stitch_test_util.h"

namespace sl {
namespace {

using testing::MaxRelDiff;
using testing::RandomTensor;
using testing::SmallPool;

TEST(Cuts, FindsTensorsThatAloneCarryTheLiveValues) {
  Pool pool = SmallPool(3, 0, 1);
  auto cuts = FindValidCuts(pool);
  ASSERT_TRUE(cuts.ok()) << cuts.status().message();
  std::vector<std::string> names;
  for (const CutInfo& c : cuts->valid) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"g1", "r1", "a2", "r2"}));
  EXPECT_EQ(cuts->valid[1].shape, (Shape{1, 16}));
  // FLOPs before a cut grow along the graph and stay below the total.
  EXPECT_GT(cuts->valid[2].flops_before[0], cuts->valid[1].flops_before[0]);
  EXPECT_LT(cuts->valid[3].flops_before[0], cuts->total_flops[0]);
}

TEST(Cuts, ATensorMissingOrDifferentInOneVariantIsNoCut) {
  Pool pool = SmallPool(2, 0, 1);
  // Rename r1 in variant 1: it is no longer a common cut.
  Graph& g = pool.variants[1].graph;
  g.values[g.FindValue("r1")].name = "r1_other";
  g.ReindexNames();
  auto cuts = FindValidCuts(pool);
  ASSERT_TRUE(cuts.ok());
  for (const CutInfo& c : cuts->valid) EXPECT_NE(c.name, "r1");
  EXPECT_EQ(cuts->valid.size(), 3u);
}

TEST(Cuts, BalancedChoiceAndNamedCuts) {
  Pool pool = SmallPool(2, 0, 1);
  auto cuts = FindValidCuts(pool);
  ASSERT_TRUE(cuts.ok());
  for (int k = 1; k <= 5; ++k) {
    auto chosen = ChooseBalancedCuts(*cuts, k);
    ASSERT_TRUE(chosen.ok()) << k;
    EXPECT_EQ(chosen->size(), static_cast<size_t>(k - 1));
    for (size_t i = 1; i < chosen->size(); ++i) EXPECT_LT((*chosen)[i - 1], (*chosen)[i]);
  }
  auto too_many = ChooseBalancedCuts(*cuts, 6);
  EXPECT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("4 valid cuts"), std::string::npos);
  auto named = ResolveCuts(*cuts, {"r1", "r2"});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(*named, (std::vector<int>{1, 3}));
  EXPECT_FALSE(ResolveCuts(*cuts, {"g2"}).ok());
  EXPECT_FALSE(ResolveCuts(*cuts, {"r2", "r1"}).ok());
}

TEST(Stitch, IndexRoundTrip) {
  EXPECT_EQ(NumStitches(11, 3), 1331);
  for (int64_t i = 0; i < 64; ++i) EXPECT_EQ(StitchIndex(StitchFromIndex(i, 4, 3), 4), i);
  EXPECT_EQ(StitchIndex({2, 2, 2}, 4), 2 * (64 - 1) / 3);
}

TEST(Stitch, PlainStitchComputesTheVariant) {
  const uint32_t seed = 5;
  std::printf("seed %u\n", seed);
  Pool pool = SmallPool(3, 0, seed);
  auto set = SegmentSet::Prepare(pool, {"r1", "r2"}, {4, 1});
  ASSERT_TRUE(set.ok()) << set.status().message();
  StitchRunner runner(*set);
  Tensor x = RandomTensor({4, 8}, seed);
  for (int v = 0; v < 3; ++v) {
    PrepareOptions opts;
    opts.input_shapes["x"] = {4, 8};
    auto full = Plan::Prepare(pool.variants[v].graph, opts);
    ASSERT_TRUE(full.ok());
    ExecutionContext ctx(*full);
    auto want = RunOnce(ctx, {x});
    ASSERT_TRUE(want.ok());
    auto got = runner.Run({v, v, v}, x);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_LE(MaxRelDiff(*got, (*want)[0]), 1e-5f) << "variant " << v;
  }
}

TEST(Stitch, AnyStitchIsTheSequentialCompositionOfItsSegments) {
  const uint32_t seed = 9;
  std::printf("seed %u\n", seed);
  Pool pool = SmallPool(3, 0, seed);
  auto set = SegmentSet::Prepare(pool, {"g1", "a2"}, {2, 1});
  ASSERT_TRUE(set.ok()) << set.status().message();
  StitchRunner runner(*set);
  Tensor x = RandomTensor({2, 8}, seed);
  for (int64_t s = 0; s < NumStitches(3, 3); ++s) {
    Stitch stitch = StitchFromIndex(s, 3, 3);
    auto got = runner.Run(stitch, x);
    ASSERT_TRUE(got.ok());
    Tensor cur = x;
    for (int i = 0; i < 3; ++i) {
      ExecutionContext ctx(set->segment(stitch[i], i).plan);
      auto out = RunOnce(ctx, {cur});
      ASSERT_TRUE(out.ok());
      cur = (*out)[0];
    }
    ASSERT_EQ(got->bytes(), cur.bytes());
    EXPECT_EQ(0, std::memcmp(got->raw(), cur.raw(), cur.bytes())) << StitchName(stitch, pool);
  }
  auto bad = runner.Run({0, 1}, x);
  EXPECT_FALSE(bad.ok());
}

TEST(Stitch, WeightsAreResidentOncePerSegment) {
  Pool pool = SmallPool(3, 0, 3);
  auto set = SegmentSet::Prepare(pool, {"r1", "r2"}, {1, 1});
  ASSERT_TRUE(set.ok());
  std::vector<Stitch> all;
  for (int64_t s = 0; s < NumStitches(3, 3); ++s) all.push_back(StitchFromIndex(s, 3, 3));
  // Distinct weight buffers actually referenced by the plans of all 27 stitches.
  std::set<const void*> buffers;
  size_t unique_bytes = 0, per_stitch_sum = 0, distinct_segments = 0;
  for (const Stitch& st : all) {
    for (int i = 0; i < 3; ++i) {
      const Graph& g = set->segment(st[i], i).plan->graph();
      per_stitch_sum += set->segment(st[i], i).weight_bytes;
      for (const Node& n : g.nodes)
        for (int in : n.inputs)
          if (in != kNoValue && g.values[in].is_constant() &&
              buffers.insert(g.values[in].constant.raw()).second)
            unique_bytes += g.values[in].constant.bytes();
    }
  }
  for (int v = 0; v < 3; ++v)
    for (int i = 0; i < 3; ++i) distinct_segments += set->segment(v, i).weight_bytes;
  EXPECT_EQ(set->ResidentWeightBytes(all), distinct_segments);
  EXPECT_EQ(unique_bytes, distinct_segments);
  EXPECT_EQ(per_stitch_sum, 9 * distinct_segments);  // what n^K copies would cost
  std::printf("resident %zu bytes for 27 stitches, copies would be %zu\n", unique_bytes,
              per_stitch_sum);
}

TEST(Pool, BadDirectoriesGiveClearErrors) {
  auto missing = LoadPool("/nonexistent/pool");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/pool"), std::string::npos);
  auto dir = std::filesystem::temp_directory_path() / "sl_pool_test_bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "manifest.json") << "{\"task\": \"t\", \"variants\": [{\"name\": \"a\"}]}";
  auto no_file = LoadPool(dir.string());
  ASSERT_FALSE(no_file.ok());
  EXPECT_NE(no_file.status().message().find("file"), std::string::npos);
  std::ofstream(dir / "manifest.json")
      << "{\"task\": \"t\", \"variants\": [{\"name\": \"a\", \"file\": \"a.onnx\"}]}";
  std::ofstream(dir / "a.onnx") << "not onnx";
  auto bad_onnx = LoadPool(dir.string());
  ASSERT_FALSE(bad_onnx.ok());
  EXPECT_NE(bad_onnx.status().message().find("a.onnx"), std::string::npos);
  std::ofstream(dir / "manifest.json") << "{\"task\": ";
  EXPECT_FALSE(LoadPool(dir.string()).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sl

#include "zoo/segments.h"

#include <unordered_set>

#include "exec/model_stats.h"

namespace sl {

int64_t NumStitches(int num_variants, int num_segments) {
  int64_t n = 1;
  for (int i = 0; i < num_segments; ++i) n *= num_variants;
  return n;
}

int64_t StitchIndex(const Stitch& stitch, int num_variants) {
  int64_t index = 0;
  for (int v : stitch) index = index * num_variants + v;
  return index;
}

Stitch StitchFromIndex(int64_t index, int num_variants, int num_segments) {
  Stitch s(num_segments);
  for (int i = num_segments - 1; i >= 0; --i) {
    s[i] = static_cast<int>(index % num_variants);
    index /= num_variants;
  }
  return s;
}

std::string StitchName(const Stitch& stitch, const Pool& pool) {
  std::string out;
  for (int v : stitch) out += (out.empty() ? "" : "+") + pool.variants[v].name;
  return out;
}

Result<SegmentSet> SegmentSet::Prepare(const Pool& pool, const std::vector<std::string>& cuts,
                                       const SegmentConfig& config) {
  if (config.batch < 1) return InvalidArgument("segment batch must be >= 1");
  SegmentSet set;
  set.num_variants_ = pool.num_variants();
  set.num_segments_ = static_cast<int>(cuts.size()) + 1;
  set.config_ = config;
  set.cuts_ = cuts;
  Shape input_shape{config.batch};
  input_shape.insert(input_shape.end(), pool.sample_shape.begin(), pool.sample_shape.end());
  for (int v = 0; v < set.num_variants_; ++v) {
    const PoolVariant& variant = pool.variants[v];
    for (int i = 0; i < set.num_segments_; ++i) {
      SegmentInfo seg;
      seg.variant = v;
      seg.index = i;
      seg.input = i == 0 ? pool.input_name : cuts[i - 1];
      seg.output = i + 1 == set.num_segments_ ? pool.output_name : cuts[i];
      PrepareOptions opts;
      opts.input_shapes[pool.input_name] = input_shape;
      opts.inputs = {seg.input};
      opts.outputs = {seg.output};
      opts.num_threads = config.num_threads;
      const std::string where =
          pool.task + ": Segment(" + variant.name + ", " + std::to_string(i) + ")";
      if (config.backend) {
        auto device = config.backend->Prepare(variant.graph, opts);
        if (!device.ok()) return device.status().WithContext(where);
        seg.device = std::move(device.value());
      } else {
        auto plan = Plan::Prepare(variant.graph, opts);
        if (!plan.ok()) return plan.status().WithContext(where);
        seg.plan = std::move(plan.value());
        seg.device = WrapCpuPlan(seg.plan);
        const Graph& g = seg.plan->graph();
        for (const Node& n : g.nodes) seg.flops += NodeFlops(g, n);
        seg.flops /= static_cast<double>(config.batch);
      }
      if (seg.device->inputs().size() != 1 || seg.device->outputs().size() != 1)
        return InvalidArgument(where + " does not read exactly '" + seg.input + "'");
      seg.weight_bytes = seg.device->constant_bytes();
      set.segments_.push_back(std::move(seg));
    }
  }
  return set;
}

size_t SegmentSet::ResidentWeightBytes(const std::vector<Stitch>& stitches) const {
  std::unordered_set<const DevicePlan*> seen;
  size_t bytes = 0;
  for (const Stitch& s : stitches)
    for (int i = 0; i < num_segments_ && i < static_cast<int>(s.size()); ++i) {
      const SegmentInfo& seg = segment(s[i], i);
      if (seen.insert(seg.device.get()).second) bytes += seg.weight_bytes;
    }
  return bytes;
}

StitchRunner::StitchRunner(const SegmentSet& set) : set_(set) {
  runners_.resize(static_cast<size_t>(set.num_variants()) * set.num_segments());
  for (int i = 0; i < set.num_segments(); ++i) {
    const TensorInfo& out = set.segment(0, i).device->outputs()[0];
    boundaries_.emplace_back(out.dtype, out.shape);
  }
}

Status StitchRunner::RunSegment(int variant, int index, const TensorView& input,
                                const TensorView& output) {
  if (variant < 0 || variant >= set_.num_variants() || index < 0 || index >= set_.num_segments())
    return InvalidArgument("no Segment(" + std::to_string(variant) + ", " + std::to_string(index) +
                           ")");
  auto& runner = runners_[static_cast<size_t>(variant) * set_.num_segments() + index];
  if (!runner) {
    SL_ASSIGN_OR_RETURN(runner, set_.segment(variant, index).device->NewRunner());
  }
  return runner->RunHost(std::span<const TensorView>(&input, 1),
                         std::span<const TensorView>(&output, 1));
}

Result<Tensor> StitchRunner::Run(const Stitch& stitch, const Tensor& input) {
  if (static_cast<int>(stitch.size()) != set_.num_segments())
    return InvalidArgument("a stitch of this pool has " + std::to_string(set_.num_segments()) +
                           " entries, got " + std::to_string(stitch.size()));
  TensorView in = input.view();
  for (int i = 0; i < set_.num_segments(); ++i) {
    SL_RETURN_IF_ERROR(RunSegment(stitch[i], i, in, boundaries_[i].view()));
    in = boundaries_[i].view();
  }
  return boundaries_.back().Clone();
}

}  // namespace sl

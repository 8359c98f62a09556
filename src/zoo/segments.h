// Segments and stitches.
//
// Segment(v, i) is the part of variant v between cut i-1 and cut i (the graph input before the
// first cut, the graph output after the last). A SegmentSet prepares every Segment(v, i) of a pool
// once for one configuration (batch size, threads) and owns those plans; a stitch is just a tuple
// of variant indices that names which plan runs for each segment, so a segment's weights are
// resident once however many stitches use it (invariant 2).
//
// Thread safety: a SegmentSet is immutable after Prepare(); any number of StitchRunners (one per
// thread) may use it concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "exec/plan.h"
#include "zoo/pool.h"

namespace sl {

// (v_1, ..., v_K): segment i comes from variant v_i.
using Stitch = std::vector<int>;

// Stitches of n variants and K segments are numbered in mixed radix: index = sum v_i n^(K-1-i),
// so (0,..,0) is 0 and the plain variant v is v * (n^K - 1) / (n - 1).
int64_t NumStitches(int num_variants, int num_segments);
int64_t StitchIndex(const Stitch& stitch, int num_variants);
Stitch StitchFromIndex(int64_t index, int num_variants, int num_segments);
// "dense+unstructured-50+int8" style name.
std::string StitchName(const Stitch& stitch, const Pool& pool);

struct SegmentConfig {
  int64_t batch = 1;    // batch dim the plans are prepared for
  int num_threads = 1;  // PrepareOptions.num_threads
  // Where the segments are compiled. Null: the CPU executor (exec/ Plan), whose graphs also give
  // each segment's FLOPs; a device backend gives device plans only (flops stay 0).
  std::shared_ptr<const Backend> backend;
};

struct SegmentInfo {
  int variant = 0, index = 0;
  std::string input, output;  // boundary tensor names
  std::shared_ptr<const Plan> plan;          // CPU sets only
  std::shared_ptr<const DevicePlan> device;  // every set: what runners execute
  size_t weight_bytes = 0;                   // device->constant_bytes()
  double flops = 0;         // at batch 1
};

class SegmentSet {
 public:
  // Prepares Segment(v, i) for every variant v and segment i, with the boundaries `cuts` (tensor
  // names, in graph order; empty: one segment per variant). Errors name the variant and segment.
  [[nodiscard]] static Result<SegmentSet> Prepare(const Pool& pool,
                                                  const std::vector<std::string>& cuts,
                                                  const SegmentConfig& config);

  int num_variants() const { return num_variants_; }
  int num_segments() const { return num_segments_; }
  const SegmentConfig& config() const { return config_; }
  const std::vector<std::string>& cuts() const { return cuts_; }
  const SegmentInfo& segment(int variant, int index) const {
    return segments_[static_cast<size_t>(variant) * num_segments_ + index];
  }
  // Weight bytes resident for a set of stitches: each distinct segment counted once.
  size_t ResidentWeightBytes(const std::vector<Stitch>& stitches) const;

 private:
  int num_variants_ = 0, num_segments_ = 0;
  SegmentConfig config_;
  std::vector<std::string> cuts_;
  std::vector<SegmentInfo> segments_;  // variant-major
};

// Runs stitches of one SegmentSet on the calling thread. Holds one SegmentRunner per segment it
// has run (created on first use) and one host buffer per cut; not thread-safe: one per thread.
class StitchRunner {
 public:
  explicit StitchRunner(const SegmentSet& set);
  // Runs Segment(v, i): `input` is the previous cut (or the graph input) as prepared, `output`
  // a caller buffer of the segment's output shape.
  [[nodiscard]] Status RunSegment(int variant, int index, const TensorView& input,
                                  const TensorView& output);
  // Runs the segments of `stitch` in sequence and returns the graph output.
  [[nodiscard]] Result<Tensor> Run(const Stitch& stitch, const Tensor& input);
  // The buffer holding the output of segment i in the last Run (cut i; the graph output for the
  // last segment). Shapes are the prepared ones.
  const Tensor& boundary(int index) const { return boundaries_[index]; }

 private:
  const SegmentSet& set_;
  std::vector<std::unique_ptr<SegmentRunner>> runners_;  // variant-major, lazily created
  std::vector<Tensor> boundaries_;
};

}  // namespace sl

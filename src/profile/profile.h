// The profile: the lookup table the optimizer and the simulator read (docs/profile.md).
//
// Per task (pool): its variants, valid and chosen cuts, every Segment(v, i) with weight bytes,
// FLOPs and latency on each processor, the hand-off cost of each cut between processors, and the
// accuracy of every stitch (measured exactly, or predicted by an estimator whose held-out error is
// recorded), plus the machine, processors and seed it was measured with.
//
// Latency of a stitch on a placement is predicted as the sum of its segments' latencies on their
// processors plus the hand-off of cut i whenever segments i and i+1 run on different processors.
//
// Thread safety: const methods may run concurrently. (Latency drift while serving is followed by
// the runtime's controller, which scales its own copy: runtime/controller.h.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "profile/processor.h"

namespace sl {

inline constexpr int kProfileFormatVersion = 1;
// Profiled latencies at or above this mark a segment its processor cannot run (the SoC models
// write sim/soc_model.h's kUnsupportedLatencyUs there); capacities and references skip them.
inline constexpr double kUnusableLatencyUs = 1e8;

struct SegmentProfile {
  int variant = 0, index = 0;
  std::string input, output;  // boundary tensors
  int64_t weight_bytes = 0;
  double flops = 0;                // at batch 1
  std::vector<double> latency_us;  // per processor (Profile::processors order), median at batch 1
};

struct HandoffProfile {
  std::string cut;
  int64_t bytes = 0;                    // cut tensor at batch 1
  std::vector<std::vector<double>> us;  // [from][to] processor; 0 on the diagonal
};

struct AccuracyProfile {
  std::string mode = "exact";  // "exact" | "estimate"
  int64_t validation_count = 0;
  double seconds = 0;             // wall time of the accuracy measurement
  int64_t segment_runs = 0;       // batched segment executions it took
  std::vector<double> stitches;   // accuracy in [0, 1] per stitch index (zoo/segments.h)
  std::vector<int64_t> measured;  // estimate mode: stitch indices measured exactly
  // Estimate mode only.
  std::string estimator;  // e.g. "least-squares one-hot(segment, variant)"
  int64_t fit_samples = 0, holdout_samples = 0;
  double holdout_mae_points = 0, holdout_max_error_points = 0;  // accuracy points (percent)
};

struct LatencyValidation {
  int samples = 0;
  double mape_percent = 0;
  uint64_t seed = 0;
};

struct TaskProfile {
  std::string task, pool;
  std::vector<std::string> variants;
  std::vector<std::string> patterns;
  std::vector<double> manifest_val_accuracy;  // per variant, -1 when unknown
  std::vector<std::string> valid_cuts;
  std::vector<std::string> cuts;  // chosen, num_segments - 1 of them
  int num_segments = 1;
  std::vector<SegmentProfile> segments;  // variant-major: segments[v * K + i]
  std::vector<HandoffProfile> handoffs;  // one per chosen cut
  AccuracyProfile accuracy;
  LatencyValidation latency_validation;

  int num_variants() const { return static_cast<int>(variants.size()); }
  int64_t num_stitches() const;
  const SegmentProfile& segment(int variant, int index) const {
    return segments[static_cast<size_t>(variant) * num_segments + index];
  }
  SegmentProfile& segment(int variant, int index) {
    return segments[static_cast<size_t>(variant) * num_segments + index];
  }
  int FindVariant(const std::string& name) const;
  // The variant whose plain stitch (every segment from it) is the most accurate; the first on ties.
  int MostAccurateVariant() const;
  // Variant v run whole on processor p: the sum of its segments' latencies (no hand-offs).
  double VariantLatencyUs(int variant, int processor) const;
};

struct ProfileMachine {
  std::string cpu;
  int cores = 0;
};

class Profile {
 public:
  int format_version = kProfileFormatVersion;
  uint64_t seed = 0;
  ProfileMachine machine;
  std::string created;  // UTC, ISO 8601
  // How segment latencies were measured (LatencyOptions::interleave): "interleaved" or
  // "repeated" (back to back; also profiles written before the field existed).
  std::string latency_order = "repeated";
  // How long the interleaved rounds of each pool spanned at least (LatencyOptions::min_seconds;
  // 0 in profiles written before session 15, whose rounds lasted a fraction of a second).
  double latency_seconds = 0;
  std::vector<ProcessorSpec> processors;
  std::vector<TaskProfile> tasks;

  int FindTask(const std::string& name) const;
  int FindProcessor(const std::string& name) const;

  // Predicted latency of `stitch` with segment i on processor placement[i] (indices into
  // processors): segment latencies plus hand-offs between consecutive different processors.
  [[nodiscard]] Result<double> PredictLatencyUs(const std::string& task,
                                                const std::vector<int>& stitch,
                                                const std::vector<int>& placement) const;

  std::string ToJson() const;
  [[nodiscard]] Status Write(const std::string& path) const;
  [[nodiscard]] static Result<Profile> FromJson(const std::string& text, const std::string& source);
  [[nodiscard]] static Result<Profile> Read(const std::string& path);
};

// Machine description of this host (CPU model from /proc/cpuinfo, usable cores).
ProfileMachine ThisMachine();

}  // namespace sl

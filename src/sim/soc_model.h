// SoC cost models for the simulator (docs/socs.md): a description of an SoC's processors (peak
// compute per precision, efficiency, memory bandwidth, launch overhead, what each sparsity pattern
// gains) that turns a measured profile into the profile the simulator would see on that SoC.
//
// ModelProfile keeps everything of the measured profile that does not depend on hardware (tasks,
// variants, cuts, segment FLOPs and bytes, accuracies) and recomputes what does:
//
//   latency(segment, p) = launch_overhead_us(p)
//                       + max(compute_us, memory_us)
//   compute_us = flops / (peak_gflops(p, precision) * 1e3 * efficiency(p) * gain(p, pattern, s))
//                * (fallback_penalty(p) when the variant runs at a precision other than its own)
//   memory_us  = (weight_bytes * element_size(precision) / 4 + activation_bytes)
//                / (min(memory_bandwidth_gbs(p), shared_memory_bandwidth_gbs) * 1e3)
//   handoff(cut, a -> b) = handoff.fixed_us + handoff_sync_us(a) + handoff_sync_us(b)
//                        + cut_bytes / (handoff.bandwidth_gbs * 1e3)
//
// A segment whose precision (and every fallback of it) the processor lacks is unsupported: its
// latency is kUnsupportedLatencyUs, so no SLO is ever met with it there.
//
// Everything here is a pure function of its inputs; no threads, no I/O except ReadSocModel.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "profile/profile.h"

namespace sl {

enum class Precision { kFp32 = 0, kFp16 = 1, kInt8 = 2 };
inline constexpr int kNumPrecisions = 3;
const char* PrecisionName(Precision p);  // "fp32" | "fp16" | "int8"

// Latency of a segment a processor cannot run at all (1000 s): finite, so profiles stay valid.
inline constexpr double kUnsupportedLatencyUs = 1e9;
static_assert(kUnsupportedLatencyUs >= kUnusableLatencyUs, "readers must see it as unusable");

// Speedup of a sparse segment over its dense parent as a function of weight sparsity in [0, 1]:
// points (sparsity, speedup) with strictly increasing sparsity, interpolated linearly and held
// constant beyond the first and last point. No points: 1 everywhere.
struct GainCurve {
  std::vector<std::pair<double, double>> points;
  double At(double sparsity) const;
};

// Sparsity patterns a curve may be given for (TaskProfile::patterns spelling).
const std::vector<std::string>& SparsityPatterns();  // unstructured, block4x1, nm2:4

struct SocProcessor {
  std::string name;
  std::string kind;  // cpu | gpu | npu | dla
  // Peak GFLOP/s (GOP/s for int8) per Precision; 0: the processor does not run that precision.
  std::array<double, kNumPrecisions> peak_gflops{};
  bool fp32_as_fp16 = false;    // runs FP32 variants in FP16 (TensorRT-style), no penalty
  double fallback_penalty = 1;  // compute time x this when running another precision
  double efficiency = 1;        // fraction of peak reached on small batch-1 segments
  double memory_bandwidth_gbs = 1;
  double launch_overhead_us = 0;  // per segment
  double handoff_sync_us = 0;     // added to every hand-off into or out of this processor
  std::map<std::string, GainCurve> sparsity_gain;  // by pattern; absent: 1

  double Gain(const std::string& pattern, double sparsity) const;
};

struct SocModel {
  std::string name, description, source;
  std::vector<std::string> sources;  // free-form citations (docs/socs.md has the full table)
  std::vector<SocProcessor> processors;
  double shared_memory_bandwidth_gbs = 1;
  double handoff_fixed_us = 0, handoff_bandwidth_gbs = 1;
  // Simulator defaults for this SoC (SimOptions::jitter, SimOptions::contention).
  double jitter = 0, contention = 0;

  int FindProcessor(const std::string& name) const;
};

// Strict parse: unknown fields, wrong types and out-of-range values fail with one line naming
// `source` and the field, e.g. "x.json: processors[1].peak_gflops.int8: -1 is out of range ...".
[[nodiscard]] Result<SocModel> ParseSocModelJson(const std::string& text,
                                                 const std::string& source);
[[nodiscard]] Result<SocModel> ReadSocModel(const std::string& path);
// The JSON ParseSocModelJson reads (round-trips).
std::string SocModelToJson(const SocModel& model);

// What a variant is, from its name and pattern: precision "int8" for pattern int8, "fp16" for
// pattern fp16, else fp32; sparsity from a trailing "-NN" in the name (percent: "unstructured-90"
// is 0.9), 0.5 for pattern nm2:4 ("nm2of4"), 0 otherwise.
struct VariantTraits {
  std::string pattern;
  Precision precision = Precision::kFp32;
  double sparsity = 0;
};
VariantTraits ClassifyVariant(const std::string& name, const std::string& pattern);

struct SegmentCost {
  double latency_us = 0;
  Precision precision = Precision::kFp32;  // the precision it runs at
  bool supported = true;
};
// Cost of one segment (FLOPs at batch 1, weight and boundary-activation bytes) on processor `p`.
SegmentCost ModelSegment(const SocModel& soc, int p, const VariantTraits& variant, double flops,
                         int64_t weight_bytes, int64_t activation_bytes);

// The profile `measured` would have on `soc`: same tasks, variants, cuts, bytes, FLOPs and
// accuracies; processors are the SoC's (cores empty, 1 thread); latencies and hand-offs modelled.
// Fails naming a malformed measured profile (segment count, hand-off count).
[[nodiscard]] Result<Profile> ModelProfile(const SocModel& soc, const Profile& measured);

// A model of this machine fitted to `measured` (one cpu processor per measured processor):
//  1. per processor, launch overhead a and throughput G from the dense segments by least squares
//     of the relative error of latency = a + flops / G (through the origin when that gives a < 0
//     or a above half the smallest latency);
//  2. per sparse pattern and sparsity level, gain = median over segments of
//     (dense latency - a) / (variant latency - a);
//  3. int8 (and fp16) peak = G x the same median ratio for the int8 (fp16) variants;
//  4. hand-off fixed cost = median of the measured hand-offs less their bytes at the bandwidth.
// Memory bandwidth is not fitted (assumed 100 GB/s: the zoo's weights stay in L2).
[[nodiscard]] Result<SocModel> FitCpuModel(const Profile& measured);

// Error of `modelled` segment latencies against `measured` (same tasks, processors by index).
struct ModelError {
  int64_t segments = 0;  // segment x processor pairs compared
  double mape_percent = 0, max_error_percent = 0;
};
[[nodiscard]] Result<ModelError> CompareLatencies(const Profile& modelled, const Profile& measured);

}  // namespace sl

#include "sim/soc_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json_fields.h"

namespace sl {

namespace {

constexpr const char* kPrecisionNames[kNumPrecisions] = {"fp32", "fp16", "int8"};
constexpr const char* kKinds[] = {"cpu", "gpu", "npu", "dla"};
constexpr size_t kMaxProcessors = 64;
constexpr double kMaxGflops = 1e7;     // 10 POP/s
constexpr double kMaxBandwidth = 1e5;  // GB/s
constexpr double kMaxUs = 1e7;

std::string Num(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

Result<GainCurve> ParseCurve(const Json& j, const std::string& where) {
  if (!j.is_array() || j.array().empty())
    return InvalidArgument(where + ": must be a non-empty array of [sparsity, speedup] pairs");
  GainCurve c;
  for (size_t i = 0; i < j.array().size(); ++i) {
    const Json& pt = j.array()[i];
    const std::string w = where + "[" + std::to_string(i) + "]";
    if (!pt.is_array() || pt.array().size() != 2)
      return InvalidArgument(w + ": must be a [sparsity, speedup] pair");
    SL_ASSIGN_OR_RETURN(double s, JsonFields::CheckNumber(pt.array()[0], w + "[0]", 0, 1, false));
    SL_ASSIGN_OR_RETURN(double g, JsonFields::CheckNumber(pt.array()[1], w + "[1]", 0, 1000, true));
    if (!c.points.empty() && s <= c.points.back().first)
      return InvalidArgument(w + ": sparsity " + Num(s) + " must be above the previous point's");
    c.points.emplace_back(s, g);
  }
  return c;
}

Result<SocProcessor> ParseProcessor(const Json& j, const std::string& where) {
  JsonFields r(j, where);
  SL_RETURN_IF_ERROR(
      r.Check({"name", "kind", "peak_gflops", "fp32_as_fp16", "fallback_penalty", "efficiency",
               "memory_bandwidth_gbs", "launch_overhead_us", "handoff_sync_us", "sparsity_gain"}));
  SocProcessor p;
  SL_ASSIGN_OR_RETURN(p.name, r.Text("name", true));
  SL_ASSIGN_OR_RETURN(p.kind, r.Text("kind", true));
  if (std::none_of(std::begin(kKinds), std::end(kKinds),
                   [&](const char* k) { return p.kind == k; }))
    return InvalidArgument(r.Field("kind") + ": must be cpu, gpu, npu or dla, got '" + p.kind +
                           "'");
  const Json* peak = r.Find("peak_gflops");
  if (!peak) return InvalidArgument(r.Field("peak_gflops") + ": missing");
  JsonFields pr(*peak, r.Field("peak_gflops"));
  SL_RETURN_IF_ERROR(pr.Check({"fp32", "fp16", "int8"}));
  bool any = false;
  for (int q = 0; q < kNumPrecisions; ++q) {
    SL_ASSIGN_OR_RETURN(p.peak_gflops[q],
                        pr.Number(kPrecisionNames[q], 0, kMaxGflops, 0, false, true));
    any = any || p.peak_gflops[q] > 0;
  }
  if (!any) return InvalidArgument(r.Field("peak_gflops") + ": give fp32, fp16 or int8");
  SL_ASSIGN_OR_RETURN(p.fp32_as_fp16, r.Bool("fp32_as_fp16", false));
  if (p.fp32_as_fp16 && p.peak_gflops[1] <= 0)
    return InvalidArgument(r.Field("fp32_as_fp16") + ": the processor has no fp16 peak");
  SL_ASSIGN_OR_RETURN(p.fallback_penalty, r.Number("fallback_penalty", 1, 1000, 1));
  SL_ASSIGN_OR_RETURN(p.efficiency, r.Number("efficiency", 0, 1, 0, true, true));
  SL_ASSIGN_OR_RETURN(p.memory_bandwidth_gbs,
                      r.Number("memory_bandwidth_gbs", 0, kMaxBandwidth, 0, true, true));
  SL_ASSIGN_OR_RETURN(p.launch_overhead_us, r.Number("launch_overhead_us", 0, kMaxUs, 0, true));
  SL_ASSIGN_OR_RETURN(p.handoff_sync_us, r.Number("handoff_sync_us", 0, kMaxUs, 0));
  if (const Json* gains = r.Find("sparsity_gain")) {
    if (!gains->is_object())
      return InvalidArgument(r.Field("sparsity_gain") + ": must be an object");
    for (const auto& [pattern, curve] : gains->object()) {
      const std::string w = r.Field("sparsity_gain") + "." + pattern;
      const auto& known = SparsityPatterns();
      if (std::find(known.begin(), known.end(), pattern) == known.end())
        return InvalidArgument(w + ": unknown pattern (unstructured, block4x1 or nm2:4)");
      SL_ASSIGN_OR_RETURN(p.sparsity_gain[pattern], ParseCurve(curve, w));
    }
  }
  return p;
}

// Element size of a precision relative to FP32 storage.
double ByteScale(Precision p) {
  return p == Precision::kFp32 ? 1.0 : p == Precision::kFp16 ? 0.5 : 0.25;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Bytes of the boundary tensors of segment i: the cut before and after it; an end without a cut
// (model input / output) counts as the nearest cut. 0 for a single-segment task.
int64_t ActivationBytes(const TaskProfile& t, int i) {
  const int cuts = static_cast<int>(t.handoffs.size());
  if (cuts == 0) return 0;
  const int64_t in = t.handoffs[std::clamp(i - 1, 0, cuts - 1)].bytes;
  const int64_t out = t.handoffs[std::clamp(i, 0, cuts - 1)].bytes;
  return in + out;
}

}  // namespace

const char* PrecisionName(Precision p) { return kPrecisionNames[static_cast<int>(p)]; }

const std::vector<std::string>& SparsityPatterns() {
  static const std::vector<std::string> kPatterns = {"unstructured", "block4x1", "nm2:4"};
  return kPatterns;
}

double GainCurve::At(double s) const {
  if (points.empty()) return 1;
  if (s <= points.front().first) return points.front().second;
  for (size_t i = 1; i < points.size(); ++i) {
    const auto& [s0, g0] = points[i - 1];
    const auto& [s1, g1] = points[i];
    if (s <= s1) return g0 + (g1 - g0) * (s - s0) / (s1 - s0);
  }
  return points.back().second;
}

double SocProcessor::Gain(const std::string& pattern, double sparsity) const {
  const auto it = sparsity_gain.find(pattern);
  return it == sparsity_gain.end() ? 1.0 : it->second.At(sparsity);
}

int SocModel::FindProcessor(const std::string& n) const {
  for (size_t i = 0; i < processors.size(); ++i)
    if (processors[i].name == n) return static_cast<int>(i);
  return -1;
}

Result<SocModel> ParseSocModelJson(const std::string& text, const std::string& source) {
  SL_ASSIGN_OR_RETURN(Json root, Json::Parse(text, source));
  JsonFields r(root, source + ":");
  SL_RETURN_IF_ERROR(r.Check({"name", "description", "sources", "shared_memory_bandwidth_gbs",
                              "handoff", "sim_defaults", "processors"}));
  SocModel m;
  m.source = source;
  SL_ASSIGN_OR_RETURN(m.name, r.Text("name", true));
  SL_ASSIGN_OR_RETURN(m.description, r.Text("description", false));
  if (const Json* s = r.Find("sources")) {
    if (!s->is_array()) return InvalidArgument(r.Field("sources") + ": must be an array");
    for (size_t i = 0; i < s->array().size(); ++i) {
      if (!s->array()[i].is_string())
        return InvalidArgument(r.Field("sources") + "[" + std::to_string(i) +
                               "]: must be a string");
      m.sources.push_back(s->array()[i].string());
    }
  }
  SL_ASSIGN_OR_RETURN(m.shared_memory_bandwidth_gbs,
                      r.Number("shared_memory_bandwidth_gbs", 0, kMaxBandwidth, 0, true, true));
  const Json* h = r.Find("handoff");
  if (!h) return InvalidArgument(r.Field("handoff") + ": missing");
  JsonFields hr(*h, r.Field("handoff"));
  SL_RETURN_IF_ERROR(hr.Check({"fixed_us", "bandwidth_gbs"}));
  SL_ASSIGN_OR_RETURN(m.handoff_fixed_us, hr.Number("fixed_us", 0, kMaxUs, 0, true));
  SL_ASSIGN_OR_RETURN(m.handoff_bandwidth_gbs,
                      hr.Number("bandwidth_gbs", 0, kMaxBandwidth, 0, true, true));
  if (const Json* d = r.Find("sim_defaults")) {
    JsonFields dr(*d, r.Field("sim_defaults"));
    SL_RETURN_IF_ERROR(dr.Check({"jitter", "contention"}));
    SL_ASSIGN_OR_RETURN(m.jitter, dr.Number("jitter", 0, 3, 0));           // as --jitter
    SL_ASSIGN_OR_RETURN(m.contention, dr.Number("contention", 0, 10, 0));  // as --contention
  }
  const Json* procs = r.Find("processors");
  if (!procs || !procs->is_array() || procs->array().empty())
    return InvalidArgument(r.Field("processors") + ": must be a non-empty array");
  if (procs->array().size() > kMaxProcessors)
    return InvalidArgument(r.Field("processors") + ": more than " + std::to_string(kMaxProcessors));
  std::set<std::string> names;
  for (size_t i = 0; i < procs->array().size(); ++i) {
    const std::string w = r.Field("processors") + "[" + std::to_string(i) + "]";
    SL_ASSIGN_OR_RETURN(SocProcessor p, ParseProcessor(procs->array()[i], w));
    if (!names.insert(p.name).second)
      return InvalidArgument(w + ".name: duplicate processor '" + p.name + "'");
    m.processors.push_back(std::move(p));
  }
  return m;
}

Result<SocModel> ReadSocModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open SoC model file");
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().size() > (size_t{1} << 20))
    return InvalidArgument(path + ": SoC model file larger than 1 MB");
  return ParseSocModelJson(s.str(), path);
}

std::string SocModelToJson(const SocModel& m) {
  auto q = [](const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\';
      o += c;
    }
    return o + "\"";
  };
  std::string o = "{\n  \"name\": " + q(m.name) + ",\n";
  if (!m.description.empty()) o += "  \"description\": " + q(m.description) + ",\n";
  if (!m.sources.empty()) {
    o += "  \"sources\": [";
    for (size_t i = 0; i < m.sources.size(); ++i) o += (i ? ", " : "") + q(m.sources[i]);
    o += "],\n";
  }
  o += "  \"shared_memory_bandwidth_gbs\": " + Num(m.shared_memory_bandwidth_gbs) + ",\n";
  o += "  \"handoff\": {\"fixed_us\": " + Num(m.handoff_fixed_us) +
       ", \"bandwidth_gbs\": " + Num(m.handoff_bandwidth_gbs) + "},\n";
  o += "  \"sim_defaults\": {\"jitter\": " + Num(m.jitter) +
       ", \"contention\": " + Num(m.contention) + "},\n  \"processors\": [";
  for (size_t i = 0; i < m.processors.size(); ++i) {
    const SocProcessor& p = m.processors[i];
    o += std::string(i ? "," : "") + "\n    {\"name\": " + q(p.name) + ", \"kind\": " + q(p.kind) +
         ",\n     \"peak_gflops\": {";
    bool first = true;
    for (int k = 0; k < kNumPrecisions; ++k) {
      if (p.peak_gflops[k] <= 0) continue;
      o += std::string(first ? "" : ", ") + q(kPrecisionNames[k]) + ": " + Num(p.peak_gflops[k]);
      first = false;
    }
    o += "}, \"fp32_as_fp16\": " + std::string(p.fp32_as_fp16 ? "true" : "false") +
         ", \"fallback_penalty\": " + Num(p.fallback_penalty) +
         ",\n     \"efficiency\": " + Num(p.efficiency) +
         ", \"memory_bandwidth_gbs\": " + Num(p.memory_bandwidth_gbs) +
         ", \"launch_overhead_us\": " + Num(p.launch_overhead_us) +
         ", \"handoff_sync_us\": " + Num(p.handoff_sync_us) + ",\n     \"sparsity_gain\": {";
    first = true;
    for (const auto& [pattern, curve] : p.sparsity_gain) {
      o += std::string(first ? "" : ",\n                       ") + q(pattern) + ": [";
      for (size_t k = 0; k < curve.points.size(); ++k)
        o += std::string(k ? ", " : "") + "[" + Num(curve.points[k].first) + ", " +
             Num(curve.points[k].second) + "]";
      o += "]";
      first = false;
    }
    o += "}}";
  }
  return o + "\n  ]\n}\n";
}

VariantTraits ClassifyVariant(const std::string& name, const std::string& pattern) {
  VariantTraits v;
  v.pattern = pattern;
  if (pattern == "int8") v.precision = Precision::kInt8;
  if (pattern == "fp16") v.precision = Precision::kFp16;
  if (pattern == "nm2:4") {
    v.sparsity = 0.5;
    return v;
  }
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash + 1 >= name.size()) return v;
  char* end = nullptr;
  const double pct = std::strtod(name.c_str() + dash + 1, &end);
  if (*end == '\0' && pct >= 0 && pct <= 100) v.sparsity = pct / 100;
  return v;
}

SegmentCost ModelSegment(const SocModel& soc, int p, const VariantTraits& variant, double flops,
                         int64_t weight_bytes, int64_t activation_bytes) {
  const SocProcessor& proc = soc.processors[p];
  SegmentCost c;
  Precision run = variant.precision;
  if (run == Precision::kFp32 && proc.fp32_as_fp16) run = Precision::kFp16;
  double penalty = 1;
  if (proc.peak_gflops[static_cast<int>(run)] <= 0) {
    // Fallbacks: int8 -> fp16 -> fp32 (dequantized weights); fp16 <-> fp32. Never fp -> int8:
    // that would need a calibrated quantization the variant does not have.
    std::vector<Precision> order;
    if (run == Precision::kInt8) order = {Precision::kFp16, Precision::kFp32};
    if (run == Precision::kFp16) order = {Precision::kFp32};
    if (run == Precision::kFp32) order = {Precision::kFp16};
    c.supported = false;
    for (Precision f : order)
      if (proc.peak_gflops[static_cast<int>(f)] > 0) {
        run = f;
        penalty = proc.fallback_penalty;
        c.supported = true;
        break;
      }
  }
  c.precision = run;
  if (!c.supported) {
    c.latency_us = kUnsupportedLatencyUs;
    return c;
  }
  const double rate = proc.peak_gflops[static_cast<int>(run)] * 1e3 * proc.efficiency *
                      proc.Gain(variant.pattern, variant.sparsity);  // FLOP per us
  const double compute_us = flops / rate * penalty;
  const double bw = std::min(proc.memory_bandwidth_gbs, soc.shared_memory_bandwidth_gbs) * 1e3;
  const double memory_us =
      (static_cast<double>(weight_bytes) * ByteScale(run) + static_cast<double>(activation_bytes)) /
      bw;
  c.latency_us = proc.launch_overhead_us + std::max(compute_us, memory_us);
  return c;
}

Result<Profile> ModelProfile(const SocModel& soc, const Profile& measured) {
  if (soc.processors.empty()) return InvalidArgument(soc.source + ": no processors");
  Profile out = measured;
  out.machine.cpu = "SoC model " + soc.name + " (SIMULATED)";
  out.machine.cores = 0;
  out.processors.clear();
  // Backend "cpu" for CPU kinds and "soc:KIND" for the others (never opened: simulation only).
  for (const SocProcessor& p : soc.processors)
    out.processors.push_back({p.name, {}, 1, p.kind == "cpu" ? "cpu" : "soc:" + p.kind,
                              "SoC model " + soc.name + " (SIMULATED)"});
  const int P = static_cast<int>(soc.processors.size());
  for (TaskProfile& t : out.tasks) {
    const std::string where = "profile task '" + t.task + "'";
    const int K = t.num_segments;
    if (K < 1 || t.segments.size() != static_cast<size_t>(t.num_variants()) * K)
      return InvalidArgument(where + ": expected variants x num_segments segments");
    if (t.handoffs.size() != static_cast<size_t>(K - 1))
      return InvalidArgument(where + ": expected num_segments - 1 hand-offs");
    for (int v = 0; v < t.num_variants(); ++v) {
      const std::string pattern = v < static_cast<int>(t.patterns.size()) ? t.patterns[v] : "";
      const VariantTraits traits = ClassifyVariant(t.variants[v], pattern);
      for (int i = 0; i < K; ++i) {
        SegmentProfile& s = t.segment(v, i);
        s.latency_us.assign(P, 0);
        for (int p = 0; p < P; ++p)
          s.latency_us[p] =
              ModelSegment(soc, p, traits, s.flops, s.weight_bytes, ActivationBytes(t, i))
                  .latency_us;
      }
    }
    for (HandoffProfile& h : t.handoffs) {
      h.us.assign(P, std::vector<double>(P, 0));
      const double transfer = static_cast<double>(h.bytes) / (soc.handoff_bandwidth_gbs * 1e3);
      for (int a = 0; a < P; ++a)
        for (int b = 0; b < P; ++b)
          if (a != b)
            h.us[a][b] = soc.handoff_fixed_us + soc.processors[a].handoff_sync_us +
                         soc.processors[b].handoff_sync_us + transfer;
    }
    t.latency_validation = {};  // nothing of this SoC was measured
  }
  return out;
}

Result<SocModel> FitCpuModel(const Profile& measured) {
  const int P = static_cast<int>(measured.processors.size());
  if (P == 0) return InvalidArgument("fit: the measured profile lists no processors");
  SocModel m;
  m.name = "this-machine";
  m.description = "CPU model fitted to the measured profile (" + measured.machine.cpu + ", " +
                  std::to_string(measured.machine.cores) + " cores, measured " + measured.created +
                  ") by FitCpuModel; see docs/socs.md";
  m.sources = {"measured here: the profile this model was fitted to"};
  constexpr double kAssumedBandwidthGbs = 100;
  m.shared_memory_bandwidth_gbs = kAssumedBandwidthGbs;
  m.handoff_bandwidth_gbs = kAssumedBandwidthGbs;
  std::vector<double> handoff_fixed;
  for (const TaskProfile& t : measured.tasks)
    for (const HandoffProfile& h : t.handoffs)
      for (size_t a = 0; a < h.us.size(); ++a)
        for (size_t b = 0; b < h.us[a].size(); ++b)
          if (a != b)
            handoff_fixed.push_back(std::max(
                0.0, h.us[a][b] - static_cast<double>(h.bytes) / (kAssumedBandwidthGbs * 1e3)));
  m.handoff_fixed_us = Median(handoff_fixed);

  for (int p = 0; p < P; ++p) {
    const std::string where = "fit: processor " + measured.processors[p].name;
    // 1. Dense segments: minimise sum ((a + b x) / y - 1)^2 (relative error).
    double sxx = 0, sx = 0, s1 = 0, sxy = 0, sy = 0, min_y = 1e300;  // rows (1/y, x/y) -> 1
    int n = 0;
    for (const TaskProfile& t : measured.tasks)
      for (const SegmentProfile& s : t.segments) {
        const std::string pat =
            s.variant < static_cast<int>(t.patterns.size()) ? t.patterns[s.variant] : "";
        if (pat != "dense" || p >= static_cast<int>(s.latency_us.size())) continue;
        const double x = s.flops, y = s.latency_us[p];
        if (!(y > 0) || !(x > 0)) continue;
        sxx += x * x / (y * y);
        sx += x / (y * y);
        s1 += 1 / (y * y);
        sxy += x / y;
        sy += 1 / y;
        min_y = std::min(min_y, y);
        ++n;
      }
    if (n == 0) return InvalidArgument(where + ": no dense segment with FLOPs and a latency");
    double a = 0, b = 0;
    const double det = s1 * sxx - sx * sx;
    if (n >= 2 && std::abs(det) > 1e-12 * s1 * sxx) {
      a = (sy * sxx - sx * sxy) / det;
      b = (s1 * sxy - sx * sy) / det;
    }
    if (!(a >= 0 && a <= 0.5 * min_y && b > 0)) {
      a = 0;
      b = sxy / sxx;
    }
    SocProcessor proc;
    proc.name = measured.processors[p].name;
    proc.kind = "cpu";
    proc.efficiency = 1;  // the fitted peak is already what these segments reach
    proc.memory_bandwidth_gbs = kAssumedBandwidthGbs;
    proc.launch_overhead_us = a;
    proc.peak_gflops[0] = 1 / (b * 1e3);
    // 2-3. Ratios of the dense segment's compute time to each variant's, pooled per variant name.
    std::map<std::pair<std::string, double>, std::vector<double>> ratios;  // (pattern, sparsity)
    for (const TaskProfile& t : measured.tasks) {
      const int dense = static_cast<int>(std::find(t.patterns.begin(), t.patterns.end(), "dense") -
                                         t.patterns.begin());
      if (dense >= t.num_variants()) continue;
      for (int v = 0; v < t.num_variants() && v < static_cast<int>(t.patterns.size()); ++v) {
        const VariantTraits vt = ClassifyVariant(t.variants[v], t.patterns[v]);
        if (v == dense || vt.pattern == "dense") continue;
        for (int i = 0; i < t.num_segments; ++i) {
          const auto& d = t.segment(dense, i).latency_us;
          const auto& s = t.segment(v, i).latency_us;
          if (p >= static_cast<int>(d.size()) || p >= static_cast<int>(s.size())) continue;
          if (d[p] - a > 0 && s[p] - a > 0)
            ratios[{vt.pattern, vt.sparsity}].push_back((d[p] - a) / (s[p] - a));
        }
      }
    }
    const auto& sparse = SparsityPatterns();
    for (const auto& [key, r] : ratios) {
      const double g = std::max(0.05, Median(r));
      if (key.first == "int8") {
        proc.peak_gflops[2] = proc.peak_gflops[0] * g;
      } else if (key.first == "fp16") {
        proc.peak_gflops[1] = proc.peak_gflops[0] * g;
      } else if (std::find(sparse.begin(), sparse.end(), key.first) != sparse.end()) {
        GainCurve& c = proc.sparsity_gain[key.first];
        if (c.points.empty() && key.second > 0) c.points.emplace_back(0.0, 1.0);
        c.points.emplace_back(key.second, g);  // map order: increasing sparsity
      }
    }
    m.processors.push_back(std::move(proc));
  }
  return m;
}

Result<ModelError> CompareLatencies(const Profile& modelled, const Profile& measured) {
  ModelError e;
  double sum = 0;
  for (const TaskProfile& t : measured.tasks) {
    const int mt = modelled.FindTask(t.task);
    if (mt < 0) return NotFound("compare: task '" + t.task + "' is not in the modelled profile");
    const TaskProfile& u = modelled.tasks[mt];
    if (u.segments.size() != t.segments.size())
      return InvalidArgument("compare: task '" + t.task + "' has different segments");
    for (size_t s = 0; s < t.segments.size(); ++s) {
      const auto& want = t.segments[s].latency_us;
      const auto& got = u.segments[s].latency_us;
      for (size_t p = 0; p < want.size() && p < got.size(); ++p) {
        if (!(want[p] > 0)) continue;
        const double err = 100 * std::abs(got[p] - want[p]) / want[p];
        sum += err;
        e.max_error_percent = std::max(e.max_error_percent, err);
        ++e.segments;
      }
    }
  }
  if (e.segments == 0) return InvalidArgument("compare: no segment latencies to compare");
  e.mape_percent = sum / static_cast<double>(e.segments);
  return e;
}

}  // namespace sl

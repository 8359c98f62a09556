#include "profile/profile.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/file_io.h"
#include "core/json.h"
#include "core/json_writer.h"
#include "zoo/segments.h"

namespace sl {

int64_t TaskProfile::num_stitches() const {
  int64_t n = 1;
  for (int i = 0; i < num_segments; ++i) n *= num_variants();
  return n;
}

int TaskProfile::FindVariant(const std::string& name) const {
  for (size_t i = 0; i < variants.size(); ++i)
    if (variants[i] == name) return static_cast<int>(i);
  return -1;
}

int TaskProfile::MostAccurateVariant() const {
  const int n = num_variants();
  if (n == 0) return -1;
  auto accuracy_of = [&](int v) {
    const int64_t s = StitchIndex(Stitch(num_segments, v), n);
    return s < static_cast<int64_t>(accuracy.stitches.size()) ? accuracy.stitches[s] : -1.0;
  };
  int best = 0;
  for (int v = 1; v < n; ++v)
    if (accuracy_of(v) > accuracy_of(best)) best = v;
  return best;
}

double TaskProfile::VariantLatencyUs(int variant, int processor) const {
  double sum = 0;
  for (int i = 0; i < num_segments; ++i) sum += segment(variant, i).latency_us[processor];
  return sum;
}

int Profile::FindTask(const std::string& name) const {
  for (size_t i = 0; i < tasks.size(); ++i)
    if (tasks[i].task == name) return static_cast<int>(i);
  return -1;
}

int Profile::FindProcessor(const std::string& name) const {
  for (size_t i = 0; i < processors.size(); ++i)
    if (processors[i].name == name) return static_cast<int>(i);
  return -1;
}

Result<double> Profile::PredictLatencyUs(const std::string& task, const std::vector<int>& stitch,
                                         const std::vector<int>& placement) const {
  int t = FindTask(task);
  if (t < 0) return NotFound("profile has no task '" + task + "'");
  const TaskProfile& tp = tasks[t];
  const int k = tp.num_segments, p = static_cast<int>(processors.size());
  if (static_cast<int>(stitch.size()) != k || static_cast<int>(placement.size()) != k)
    return InvalidArgument(task + ": a stitch and its placement need " + std::to_string(k) +
                           " entries");
  double us = 0;
  for (int i = 0; i < k; ++i) {
    if (stitch[i] < 0 || stitch[i] >= tp.num_variants() || placement[i] < 0 || placement[i] >= p)
      return OutOfRange(task + ": stitch or placement entry " + std::to_string(i) +
                        " out of range");
    us += tp.segment(stitch[i], i).latency_us[placement[i]];
    if (i > 0 && placement[i] != placement[i - 1])
      us += tp.handoffs[i - 1].us[placement[i - 1]][placement[i]];
  }
  return us;
}

// ---- writing ---------------------------------------------------------------------------------

namespace {

void WriteStrings(JsonWriter& j, const std::vector<std::string>& v) {
  j.BeginArray();
  for (const auto& s : v) j.String(s);
  j.EndArray();
}

void WriteDoubles(JsonWriter& j, const std::vector<double>& v) {
  j.BeginArray();
  for (double d : v) j.Double(d);
  j.EndArray();
}

}  // namespace

std::string Profile::ToJson() const {
  JsonWriter j;
  j.BeginObject();
  j.Key("format").String("sparseloom-profile").Key("format_version").Int(format_version);
  j.Key("seed").Int(static_cast<long long>(seed)).Key("created").String(created);
  j.Key("machine").BeginObject().Key("cpu").String(machine.cpu).Key("cores").Int(machine.cores);
  j.EndObject();
  j.Key("latency_order").String(latency_order);
  j.Key("latency_seconds").Double(latency_seconds);
  j.Key("processors").BeginArray();
  for (const ProcessorSpec& p : processors) {
    j.BeginObject().Key("name").String(p.name).Key("cores").BeginArray();
    for (int c : p.cores) j.Int(c);
    j.EndArray().Key("threads").Int(p.threads);
    j.Key("backend").String(p.backend).Key("device").String(p.device).EndObject();
  }
  j.EndArray().Key("tasks").BeginArray();
  for (const TaskProfile& t : tasks) {
    j.BeginObject().Key("task").String(t.task).Key("pool").String(t.pool);
    j.Key("variants").BeginArray();
    for (int v = 0; v < t.num_variants(); ++v) {
      j.BeginObject().Key("name").String(t.variants[v]);
      j.Key("pattern").String(v < static_cast<int>(t.patterns.size()) ? t.patterns[v] : "");
      j.Key("manifest_val_accuracy")
          .Double(v < static_cast<int>(t.manifest_val_accuracy.size()) ? t.manifest_val_accuracy[v]
                                                                       : -1);
      j.EndObject();
    }
    j.EndArray();
    j.Key("valid_cuts");
    WriteStrings(j, t.valid_cuts);
    j.Key("cuts");
    WriteStrings(j, t.cuts);
    j.Key("num_segments").Int(t.num_segments).Key("segments").BeginArray();
    for (const SegmentProfile& s : t.segments) {
      j.BeginObject().Key("variant").Int(s.variant).Key("index").Int(s.index);
      j.Key("input").String(s.input).Key("output").String(s.output);
      j.Key("weight_bytes").Int(s.weight_bytes).Key("flops").Double(s.flops);
      j.Key("latency_us");
      WriteDoubles(j, s.latency_us);
      j.EndObject();
    }
    j.EndArray().Key("handoffs").BeginArray();
    for (const HandoffProfile& h : t.handoffs) {
      j.BeginObject().Key("cut").String(h.cut).Key("bytes").Int(h.bytes).Key("us").BeginArray();
      for (const auto& row : h.us) WriteDoubles(j, row);
      j.EndArray().EndObject();
    }
    j.EndArray();
    const AccuracyProfile& a = t.accuracy;
    j.Key("accuracy").BeginObject().Key("mode").String(a.mode);
    j.Key("validation_count").Int(a.validation_count).Key("seconds").Double(a.seconds);
    j.Key("segment_runs").Int(a.segment_runs);
    if (a.mode == "estimate") {
      j.Key("estimator").BeginObject().Key("kind").String(a.estimator);
      j.Key("fit_samples").Int(a.fit_samples).Key("holdout_samples").Int(a.holdout_samples);
      j.Key("holdout_mae_points").Double(a.holdout_mae_points);
      j.Key("holdout_max_error_points").Double(a.holdout_max_error_points).EndObject();
      j.Key("measured").BeginArray();
      for (int64_t m : a.measured) j.Int(m);
      j.EndArray();
    }
    j.Key("stitches");
    WriteDoubles(j, a.stitches);
    j.EndObject();
    j.Key("latency_validation").BeginObject().Key("samples").Int(t.latency_validation.samples);
    j.Key("mape_percent").Double(t.latency_validation.mape_percent);
    j.Key("seed").Int(static_cast<long long>(t.latency_validation.seed)).EndObject();
    j.EndObject();
  }
  j.EndArray().EndObject();
  return j.str() + "\n";
}

Status Profile::Write(const std::string& path) const { return WriteTextFile(path, ToJson()); }

// ---- reading ---------------------------------------------------------------------------------

namespace {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  Status Err(const std::string& where, const std::string& what) const {
    return InvalidArgument(source_ + ": " + where + ": " + what);
  }
  Result<const Json*> Member(const Json& obj, const std::string& key, Json::Type type,
                             const std::string& where) const {
    const Json* v = obj.is_object() ? obj.Find(key) : nullptr;
    if (!v) return Err(where, "missing '" + key + "'");
    if (v->type() != type) return Err(where + "." + key, "wrong JSON type");
    return v;
  }
  Result<double> Number(const Json& obj, const std::string& key, const std::string& where) const {
    const Json* v = obj.is_object() ? obj.Find(key) : nullptr;
    if (!v) return Err(where, "missing '" + key + "'");
    if (v->is_null()) return std::nan("");  // the writer stores non-finite numbers as null
    if (!v->is_number()) return Err(where + "." + key, "expected a number");
    return v->number();
  }
  Result<int64_t> Int(const Json& obj, const std::string& key, const std::string& where,
                      int64_t min, int64_t max) const {
    SL_ASSIGN_OR_RETURN(double d, Number(obj, key, where));
    if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != std::floor(d))
      return Err(where + "." + key, "expected an integer in [" + std::to_string(min) + ", " +
                                        std::to_string(max) + "]");
    return static_cast<int64_t>(d);
  }
  Result<std::string> String(const Json& obj, const std::string& key,
                             const std::string& where) const {
    SL_ASSIGN_OR_RETURN(const Json* v, Member(obj, key, Json::Type::kString, where));
    return v->string();
  }
  Result<std::vector<std::string>> Strings(const Json& obj, const std::string& key,
                                           const std::string& where) const {
    SL_ASSIGN_OR_RETURN(const Json* v, Member(obj, key, Json::Type::kArray, where));
    std::vector<std::string> out;
    for (const Json& e : v->array()) {
      if (!e.is_string()) return Err(where + "." + key, "expected strings");
      out.push_back(e.string());
    }
    return out;
  }
  Result<std::vector<double>> Doubles(const Json& arr, const std::string& where,
                                      size_t expected) const {
    if (!arr.is_array()) return Err(where, "expected an array");
    if (arr.array().size() != expected)
      return Err(where, "expected " + std::to_string(expected) + " numbers, got " +
                            std::to_string(arr.array().size()));
    std::vector<double> out;
    for (const Json& e : arr.array()) {
      if (e.is_null())
        out.push_back(std::nan(""));
      else if (e.is_number())
        out.push_back(e.number());
      else
        return Err(where, "expected numbers");
    }
    return out;
  }

 private:
  std::string source_;
};

Result<TaskProfile> ReadTask(const Reader& r, const Json& jt, const std::string& where,
                             size_t num_processors) {
  TaskProfile t;
  SL_ASSIGN_OR_RETURN(t.task, r.String(jt, "task", where));
  SL_ASSIGN_OR_RETURN(t.pool, r.String(jt, "pool", where));
  SL_ASSIGN_OR_RETURN(const Json* vars, r.Member(jt, "variants", Json::Type::kArray, where));
  for (size_t v = 0; v < vars->array().size(); ++v) {
    const std::string w = where + ".variants[" + std::to_string(v) + "]";
    const Json& jv = vars->array()[v];
    SL_ASSIGN_OR_RETURN(std::string name, r.String(jv, "name", w));
    SL_ASSIGN_OR_RETURN(std::string pattern, r.String(jv, "pattern", w));
    SL_ASSIGN_OR_RETURN(double acc, r.Number(jv, "manifest_val_accuracy", w));
    t.variants.push_back(name);
    t.patterns.push_back(pattern);
    t.manifest_val_accuracy.push_back(acc);
  }
  if (t.variants.empty()) return r.Err(where + ".variants", "no variants");
  SL_ASSIGN_OR_RETURN(t.valid_cuts, r.Strings(jt, "valid_cuts", where));
  SL_ASSIGN_OR_RETURN(t.cuts, r.Strings(jt, "cuts", where));
  SL_ASSIGN_OR_RETURN(int64_t k, r.Int(jt, "num_segments", where, 1, 64));
  t.num_segments = static_cast<int>(k);
  if (t.cuts.size() + 1 != static_cast<size_t>(k))
    return r.Err(where + ".cuts", "expected num_segments - 1 = " + std::to_string(k - 1) + " cuts");
  const int n = t.num_variants();
  SL_ASSIGN_OR_RETURN(const Json* segs, r.Member(jt, "segments", Json::Type::kArray, where));
  if (segs->array().size() != static_cast<size_t>(n) * k)
    return r.Err(where + ".segments",
                 "expected variants x num_segments = " + std::to_string(n * k) + " entries");
  for (size_t s = 0; s < segs->array().size(); ++s) {
    const std::string w = where + ".segments[" + std::to_string(s) + "]";
    const Json& js = segs->array()[s];
    SegmentProfile sp;
    SL_ASSIGN_OR_RETURN(int64_t variant, r.Int(js, "variant", w, 0, n - 1));
    SL_ASSIGN_OR_RETURN(int64_t index, r.Int(js, "index", w, 0, k - 1));
    if (variant * k + index != static_cast<int64_t>(s))
      return r.Err(w, "segments must be listed variant-major (variant * num_segments + index)");
    sp.variant = static_cast<int>(variant);
    sp.index = static_cast<int>(index);
    SL_ASSIGN_OR_RETURN(sp.input, r.String(js, "input", w));
    SL_ASSIGN_OR_RETURN(sp.output, r.String(js, "output", w));
    SL_ASSIGN_OR_RETURN(sp.weight_bytes, r.Int(js, "weight_bytes", w, 0, int64_t{1} << 50));
    SL_ASSIGN_OR_RETURN(sp.flops, r.Number(js, "flops", w));
    SL_ASSIGN_OR_RETURN(const Json* lat, r.Member(js, "latency_us", Json::Type::kArray, w));
    SL_ASSIGN_OR_RETURN(sp.latency_us, r.Doubles(*lat, w + ".latency_us", num_processors));
    t.segments.push_back(std::move(sp));
  }
  SL_ASSIGN_OR_RETURN(const Json* hos, r.Member(jt, "handoffs", Json::Type::kArray, where));
  if (hos->array().size() != t.cuts.size())
    return r.Err(where + ".handoffs", "expected one entry per cut");
  for (size_t h = 0; h < hos->array().size(); ++h) {
    const std::string w = where + ".handoffs[" + std::to_string(h) + "]";
    const Json& jh = hos->array()[h];
    HandoffProfile hp;
    SL_ASSIGN_OR_RETURN(hp.cut, r.String(jh, "cut", w));
    SL_ASSIGN_OR_RETURN(hp.bytes, r.Int(jh, "bytes", w, 0, int64_t{1} << 50));
    SL_ASSIGN_OR_RETURN(const Json* us, r.Member(jh, "us", Json::Type::kArray, w));
    if (us->array().size() != num_processors)
      return r.Err(w + ".us", "expected a processors x processors matrix");
    for (const Json& row : us->array()) {
      SL_ASSIGN_OR_RETURN(std::vector<double> rv, r.Doubles(row, w + ".us", num_processors));
      hp.us.push_back(std::move(rv));
    }
    t.handoffs.push_back(std::move(hp));
  }
  const std::string wa = where + ".accuracy";
  SL_ASSIGN_OR_RETURN(const Json* ja, r.Member(jt, "accuracy", Json::Type::kObject, where));
  AccuracyProfile& a = t.accuracy;
  SL_ASSIGN_OR_RETURN(a.mode, r.String(*ja, "mode", wa));
  if (a.mode != "exact" && a.mode != "estimate")
    return r.Err(wa + ".mode", "expected \"exact\" or \"estimate\", got \"" + a.mode + "\"");
  SL_ASSIGN_OR_RETURN(a.validation_count, r.Int(*ja, "validation_count", wa, 0, int64_t{1} << 40));
  SL_ASSIGN_OR_RETURN(a.seconds, r.Number(*ja, "seconds", wa));
  SL_ASSIGN_OR_RETURN(a.segment_runs, r.Int(*ja, "segment_runs", wa, 0, int64_t{1} << 50));
  SL_ASSIGN_OR_RETURN(const Json* st, r.Member(*ja, "stitches", Json::Type::kArray, wa));
  SL_ASSIGN_OR_RETURN(a.stitches, r.Doubles(*st, wa + ".stitches", t.num_stitches()));
  if (a.mode == "estimate") {
    const std::string we = wa + ".estimator";
    SL_ASSIGN_OR_RETURN(const Json* je, r.Member(*ja, "estimator", Json::Type::kObject, wa));
    SL_ASSIGN_OR_RETURN(a.estimator, r.String(*je, "kind", we));
    SL_ASSIGN_OR_RETURN(a.fit_samples, r.Int(*je, "fit_samples", we, 0, int64_t{1} << 40));
    SL_ASSIGN_OR_RETURN(a.holdout_samples, r.Int(*je, "holdout_samples", we, 0, int64_t{1} << 40));
    SL_ASSIGN_OR_RETURN(a.holdout_mae_points, r.Number(*je, "holdout_mae_points", we));
    SL_ASSIGN_OR_RETURN(a.holdout_max_error_points, r.Number(*je, "holdout_max_error_points", we));
    SL_ASSIGN_OR_RETURN(const Json* jm, r.Member(*ja, "measured", Json::Type::kArray, wa));
    for (const Json& m : jm->array()) {
      if (!m.is_number() || m.number() < 0 || m.number() >= static_cast<double>(t.num_stitches()))
        return r.Err(wa + ".measured",
                     "expected stitch indices below " + std::to_string(t.num_stitches()));
      a.measured.push_back(static_cast<int64_t>(m.number()));
    }
  }
  const std::string wl = where + ".latency_validation";
  SL_ASSIGN_OR_RETURN(const Json* jl,
                      r.Member(jt, "latency_validation", Json::Type::kObject, where));
  SL_ASSIGN_OR_RETURN(int64_t samples, r.Int(*jl, "samples", wl, 0, int64_t{1} << 30));
  t.latency_validation.samples = static_cast<int>(samples);
  SL_ASSIGN_OR_RETURN(t.latency_validation.mape_percent, r.Number(*jl, "mape_percent", wl));
  SL_ASSIGN_OR_RETURN(int64_t lseed, r.Int(*jl, "seed", wl, 0, int64_t{1} << 53));
  t.latency_validation.seed = static_cast<uint64_t>(lseed);
  return t;
}

}  // namespace

Result<Profile> Profile::FromJson(const std::string& text, const std::string& source) {
  SL_ASSIGN_OR_RETURN(Json root, Json::Parse(text, source));
  Reader r(source);
  Profile p;
  if (!root.is_object()) return r.Err("top level", "expected an object");
  SL_ASSIGN_OR_RETURN(std::string format, r.String(root, "format", "top level"));
  if (format != "sparseloom-profile")
    return r.Err("format", "not a SparseLoom profile (\"" + format + "\")");
  SL_ASSIGN_OR_RETURN(int64_t version, r.Int(root, "format_version", "top level", 0, 1000));
  if (version != kProfileFormatVersion)
    return r.Err("format_version", "version " + std::to_string(version) + " is not supported (" +
                                       std::to_string(kProfileFormatVersion) + " is)");
  SL_ASSIGN_OR_RETURN(int64_t seed, r.Int(root, "seed", "top level", 0, int64_t{1} << 53));
  p.seed = static_cast<uint64_t>(seed);
  SL_ASSIGN_OR_RETURN(p.created, r.String(root, "created", "top level"));
  SL_ASSIGN_OR_RETURN(const Json* jm, r.Member(root, "machine", Json::Type::kObject, "top level"));
  SL_ASSIGN_OR_RETURN(p.machine.cpu, r.String(*jm, "cpu", "machine"));
  SL_ASSIGN_OR_RETURN(int64_t cores, r.Int(*jm, "cores", "machine", 0, 1 << 20));
  p.machine.cores = static_cast<int>(cores);
  // Profiles written before session 11 carry "smoothing_alpha", the weight of a per-segment
  // online update the runtime no longer makes (runtime/controller.h: drift per task and
  // processor); it is ignored.
  if (root.Find("latency_order")) {
    SL_ASSIGN_OR_RETURN(p.latency_order, r.String(root, "latency_order", "top level"));
    if (p.latency_order != "interleaved" && p.latency_order != "repeated")
      return r.Err("latency_order",
                   "must be interleaved or repeated, got '" + p.latency_order + "'");
  }
  if (root.Find("latency_seconds")) {
    SL_ASSIGN_OR_RETURN(p.latency_seconds, r.Number(root, "latency_seconds", "top level"));
    if (!(p.latency_seconds >= 0 && p.latency_seconds <= 86400))
      return r.Err("latency_seconds", "must be between 0 and 86400");
  }
  SL_ASSIGN_OR_RETURN(const Json* jp,
                      r.Member(root, "processors", Json::Type::kArray, "top level"));
  for (size_t i = 0; i < jp->array().size(); ++i) {
    const std::string w = "processors[" + std::to_string(i) + "]";
    const Json& e = jp->array()[i];
    ProcessorSpec ps;
    SL_ASSIGN_OR_RETURN(ps.name, r.String(e, "name", w));
    SL_ASSIGN_OR_RETURN(const Json* jc, r.Member(e, "cores", Json::Type::kArray, w));
    for (const Json& c : jc->array()) {
      // Checked before the cast: a double outside int's range does not convert.
      if (!c.is_number() || !(c.number() >= 0 && c.number() < (1 << 20)) ||
          c.number() != std::floor(c.number()))
        return r.Err(w + ".cores", "expected core ids (integers in [0, 2^20))");
      ps.cores.push_back(static_cast<int>(c.number()));
    }
    SL_ASSIGN_OR_RETURN(int64_t threads, r.Int(e, "threads", w, 1, 1 << 16));
    ps.threads = static_cast<int>(threads);
    // Profiles before the GPU backends have neither field: CPU processors.
    if (e.Find("backend")) {
      SL_ASSIGN_OR_RETURN(ps.backend, r.String(e, "backend", w));
    }
    if (e.Find("device")) {
      SL_ASSIGN_OR_RETURN(ps.device, r.String(e, "device", w));
    }
    p.processors.push_back(std::move(ps));
  }
  if (p.processors.empty()) return r.Err("processors", "no processors");
  SL_ASSIGN_OR_RETURN(const Json* jt, r.Member(root, "tasks", Json::Type::kArray, "top level"));
  for (size_t i = 0; i < jt->array().size(); ++i) {
    SL_ASSIGN_OR_RETURN(
        TaskProfile t,
        ReadTask(r, jt->array()[i], "tasks[" + std::to_string(i) + "]", p.processors.size()));
    p.tasks.push_back(std::move(t));
  }
  return p;
}

Result<Profile> Profile::Read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound(path + ": cannot open the profile");
  std::stringstream ss;
  ss << f.rdbuf();
  return FromJson(ss.str(), path);
}

ProfileMachine ThisMachine() {
  ProfileMachine m;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t c = line.find(':');
      if (c != std::string::npos) m.cpu = line.substr(c + 2);
      break;
    }
  }
  if (m.cpu.empty()) m.cpu = "unknown";
  m.cores = static_cast<int>(UsableCores().size());
  return m;
}

}  // namespace sl

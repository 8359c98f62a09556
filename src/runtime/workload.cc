#include "runtime/workload.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json_fields.h"

namespace sl {

namespace {

constexpr double kMaxDurationS = 7 * 24 * 3600.0;
constexpr double kMaxRate = 1e6;
constexpr double kMaxLoad = 1e3;  // of a task's capacity
constexpr size_t kMaxTasks = 256;
constexpr size_t kMaxTraceLines = size_t{1} << 26;

Result<std::vector<double>> ReadTrace(const std::string& path, const std::string& where) {
  std::ifstream in(path);
  if (!in) return NotFound(where + ": cannot open trace file " + path);
  std::vector<double> times;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    char* end = nullptr;
    const double t = std::strtod(line.c_str(), &end);
    while (end && (*end == ' ' || *end == '\t' || *end == '\r')) ++end;
    if (end == line.c_str() || (end && *end != '\0') || !std::isfinite(t) || t < 0)
      return InvalidArgument(path + ":" + std::to_string(line_no) +
                             ": expected a non-negative time in seconds, got '" + line + "'");
    if (times.size() >= kMaxTraceLines)
      return InvalidArgument(path + ": more than " + std::to_string(kMaxTraceLines) + " arrivals");
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  return times;
}

Result<ArrivalSpec> ParseArrival(const Json& j, const std::string& where,
                                 const std::string& base_dir) {
  JsonFields f(j, where);
  SL_RETURN_IF_ERROR(f.Check({"type", "rate", "load", "file"}));
  SL_ASSIGN_OR_RETURN(std::string type, f.Text("type", true, ""));
  ArrivalSpec a;
  if (type == "periodic" || type == "poisson") {
    a.kind = type == "periodic" ? ArrivalKind::kPeriodic : ArrivalKind::kPoisson;
    if (f.Has("rate") == f.Has("load"))
      return InvalidArgument(where +
                             ": give rate (requests per second) or load (a fraction of "
                             "the task's capacity), one of them");
    SL_ASSIGN_OR_RETURN(a.rate, f.Number("rate", 1e-6, kMaxRate, 0));
    SL_ASSIGN_OR_RETURN(a.load, f.Number("load", 1e-6, kMaxLoad, -1));
    if (f.Has("file")) return InvalidArgument(f.Field("file") + ": only for type \"trace\"");
  } else if (type == "trace") {
    a.kind = ArrivalKind::kTrace;
    SL_ASSIGN_OR_RETURN(std::string file, f.Text("file", true, ""));
    for (const char* k : {"rate", "load"})
      if (f.Has(k)) return InvalidArgument(f.Field(k) + ": not used with type \"trace\"");
    std::filesystem::path p(file);
    if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
    a.trace_file = p.string();
    SL_ASSIGN_OR_RETURN(a.trace_times, ReadTrace(a.trace_file, f.Field("file")));
  } else {
    return InvalidArgument(f.Field("type") + ": must be periodic, poisson or trace, got '" + type +
                           "'");
  }
  return a;
}

// An SLO: latency_ms or latency_x (one of them; in an event, at most one) and accuracy_min.
Status ParseSlo(const Json& j, const std::string& where, bool partial, double* latency_ms,
                double* latency_x, double* accuracy_min) {
  JsonFields f(j, where);
  SL_RETURN_IF_ERROR(f.Check({"latency_ms", "latency_x", "accuracy_min"}));
  if (f.Has("latency_ms") && f.Has("latency_x"))
    return InvalidArgument(where + ": give latency_ms or latency_x, not both");
  if (!partial && !f.Has("latency_ms") && !f.Has("latency_x"))
    return InvalidArgument(where + ".latency_ms: missing (or give latency_x)");
  SL_ASSIGN_OR_RETURN(*latency_ms, f.Number("latency_ms", 1e-3, 1e7, -1));
  SL_ASSIGN_OR_RETURN(*latency_x, f.Number("latency_x", 1e-3, 1e6, -1));
  SL_ASSIGN_OR_RETURN(*accuracy_min, f.Number("accuracy_min", 0, 1, partial ? -1 : 0, false));
  if (partial && *latency_ms < 0 && *latency_x < 0 && *accuracy_min < 0)
    return InvalidArgument(where + ": give latency_ms, latency_x or accuracy_min");
  return Status::Ok();
}

Result<WorkloadTask> ParseTask(const Json& j, const std::string& where, double duration_s,
                               const std::string& base_dir) {
  JsonFields f(j, where);
  SL_RETURN_IF_ERROR(f.Check({"name", "pool", "slo", "arrival", "start_s", "stop_s"}));
  WorkloadTask t;
  SL_ASSIGN_OR_RETURN(t.pool, f.Text("pool", true, ""));
  SL_ASSIGN_OR_RETURN(t.name, f.Text("name", false, t.pool));
  const Json* slo = f.Find("slo");
  if (!slo) return InvalidArgument(f.Field("slo") + ": missing");
  SL_RETURN_IF_ERROR(
      ParseSlo(*slo, f.Field("slo"), false, &t.latency_ms, &t.latency_x, &t.accuracy_min));
  if (t.latency_ms < 0) t.latency_ms = 0;  // set by ResolveRelative
  const Json* arrival = f.Find("arrival");
  if (!arrival) return InvalidArgument(f.Field("arrival") + ": missing");
  SL_ASSIGN_OR_RETURN(t.arrival, ParseArrival(*arrival, f.Field("arrival"), base_dir));
  SL_ASSIGN_OR_RETURN(t.start_s, f.Number("start_s", 0, duration_s, 0));
  SL_ASSIGN_OR_RETURN(t.stop_s, f.Number("stop_s", 0, duration_s, duration_s));
  if (t.stop_s <= t.start_s) return InvalidArgument(f.Field("stop_s") + ": must be after start_s");
  return t;
}

}  // namespace

int Workload::FindTask(const std::string& task) const {
  for (size_t i = 0; i < tasks.size(); ++i)
    if (tasks[i].name == task) return static_cast<int>(i);
  return -1;
}

double Workload::ExpectedRate(int task) const {
  const WorkloadTask& t = tasks[task];
  if (t.arrival.kind != ArrivalKind::kTrace) return t.arrival.rate;
  const double span = t.stop_s - t.start_s;
  int64_t n = 0;
  for (double x : t.arrival.trace_times) n += x <= span;
  return span > 0 ? n / span : 0;
}

Result<Workload> ParseWorkloadJson(const std::string& text, const std::string& source,
                                   const std::string& base_dir) {
  SL_ASSIGN_OR_RETURN(Json root, Json::Parse(text, source));
  JsonFields f(root, source + ":");
  SL_RETURN_IF_ERROR(f.Check({"name", "zoo", "duration_s", "seed", "memory_budget_mb", "processors",
                              "tasks", "events", "description"}));
  Workload w;
  w.source = source;
  SL_ASSIGN_OR_RETURN(w.name, f.Text("name", false, "workload"));
  SL_ASSIGN_OR_RETURN(std::string zoo, f.Text("zoo", false, "zoo"));
  std::filesystem::path zp(zoo);
  if (zp.is_relative()) zp = std::filesystem::path(base_dir) / zp;
  w.zoo = zp.lexically_normal().string();
  SL_ASSIGN_OR_RETURN(w.duration_s, f.Number("duration_s", 1e-3, kMaxDurationS, 0, true));
  SL_ASSIGN_OR_RETURN(double seed, f.Number("seed", 0, 9007199254740992.0, 0));
  if (seed != std::floor(seed)) return InvalidArgument(f.Field("seed") + ": must be an integer");
  w.seed = static_cast<uint64_t>(seed);
  SL_ASSIGN_OR_RETURN(w.memory_budget_mb, f.Number("memory_budget_mb", 0, 1e7, 0));
  if (const Json* p = f.Find("processors")) {
    if (!p->is_array() || p->array().empty())
      return InvalidArgument(f.Field("processors") + ": must be a non-empty array of names");
    for (const Json& x : p->array()) {
      if (!x.is_string() || x.string().empty())
        return InvalidArgument(f.Field("processors") + ": must hold processor names (strings)");
      w.processors.push_back(x.string());
    }
  }
  const Json* tasks = f.Find("tasks");
  if (!tasks || !tasks->is_array() || tasks->array().empty())
    return InvalidArgument(f.Field("tasks") + ": must be a non-empty array");
  if (tasks->array().size() > kMaxTasks)
    return InvalidArgument(f.Field("tasks") + ": more than " + std::to_string(kMaxTasks) +
                           " tasks");
  std::set<std::string> names;
  for (size_t i = 0; i < tasks->array().size(); ++i) {
    const std::string where = f.Field("tasks[" + std::to_string(i) + "]");
    SL_ASSIGN_OR_RETURN(WorkloadTask t,
                        ParseTask(tasks->array()[i], where, w.duration_s, base_dir));
    if (!names.insert(t.name).second)
      return InvalidArgument(where + ".name: duplicate task name '" + t.name + "'");
    w.tasks.push_back(std::move(t));
  }
  if (const Json* events = f.Find("events")) {
    if (!events->is_array()) return InvalidArgument(f.Field("events") + ": must be an array");
    for (size_t i = 0; i < events->array().size(); ++i) {
      const std::string where = f.Field("events[" + std::to_string(i) + "]");
      JsonFields e(events->array()[i], where);
      SL_RETURN_IF_ERROR(e.Check({"at_s", "task", "slo"}));
      SloEvent ev;
      SL_ASSIGN_OR_RETURN(ev.at_s, e.Number("at_s", 0, w.duration_s, 0, true));
      SL_ASSIGN_OR_RETURN(ev.task, e.Text("task", true, ""));
      if (w.FindTask(ev.task) < 0)
        return InvalidArgument(e.Field("task") + ": no task named '" + ev.task + "'");
      const Json* slo = e.Find("slo");
      if (!slo) return InvalidArgument(e.Field("slo") + ": missing");
      SL_RETURN_IF_ERROR(
          ParseSlo(*slo, e.Field("slo"), true, &ev.latency_ms, &ev.latency_x, &ev.accuracy_min));
      w.events.push_back(ev);
    }
    std::stable_sort(w.events.begin(), w.events.end(),
                     [](const SloEvent& a, const SloEvent& b) { return a.at_s < b.at_s; });
  }
  return w;
}

Result<Workload> ReadWorkload(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open workload file");
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().size() > (size_t{64} << 20))
    return InvalidArgument(path + ": workload file larger than 64 MB");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseWorkloadJson(s.str(), path, dir.empty() ? "." : dir);
}

bool Workload::relative() const {
  for (const WorkloadTask& t : tasks)
    if (t.latency_x > 0 || t.arrival.load > 0) return true;
  for (const SloEvent& e : events)
    if (e.latency_x > 0) return true;
  return false;
}

Result<std::vector<std::string>> ResolveRelative(Workload* w, const Profile& profile) {
  std::vector<int> procs;  // the workload's processors, else all of the profile's
  if (w->processors.empty())
    for (size_t p = 0; p < profile.processors.size(); ++p) procs.push_back(static_cast<int>(p));
  for (const std::string& name : w->processors) {
    const int p = profile.FindProcessor(name);
    if (p < 0) return NotFound(w->source + ": processors: the profile has no '" + name + "'");
    procs.push_back(p);
  }
  // Task i's most accurate variant: its best whole-model latency and the processors' capacity.
  struct Reference {
    std::string variant;
    double best_us = 0, capacity_rps = 0;
  };
  auto reference = [&](size_t i) -> Result<Reference> {
    const WorkloadTask& t = w->tasks[i];
    const std::string where = w->source + ": tasks[" + std::to_string(i) + "] (" + t.name + ")";
    const int k = profile.FindTask(t.pool);
    if (k < 0) return NotFound(where + ": the profile has no pool '" + t.pool + "'");
    const TaskProfile& tp = profile.tasks[k];
    const int v = tp.MostAccurateVariant();
    Reference r;
    for (int p : procs) {
      const double us = v >= 0 ? tp.VariantLatencyUs(v, p) : 0;
      if (!(us > 0) || us >= kUnusableLatencyUs) continue;  // not runnable there
      r.best_us = r.best_us > 0 ? std::min(r.best_us, us) : us;
      r.capacity_rps += 1e6 / us;
    }
    if (r.best_us <= 0)
      return InvalidArgument(where + ": no processor of the workload runs pool '" + t.pool + "'");
    r.variant = tp.variants[v];
    return r;
  };
  std::vector<std::string> lines;
  for (size_t i = 0; i < w->tasks.size(); ++i) {
    WorkloadTask& t = w->tasks[i];
    if (t.latency_x <= 0 && t.arrival.load <= 0) continue;
    SL_ASSIGN_OR_RETURN(Reference r, reference(i));
    const std::string where = w->source + ": tasks[" + std::to_string(i) + "]";
    std::string line = t.name + ":";
    char buf[192];
    if (t.latency_x > 0) {
      t.latency_ms = t.latency_x * r.best_us / 1000;
      if (t.latency_ms < 1e-3 || t.latency_ms > 1e7)
        return OutOfRange(where + ".slo.latency_x: gives " + std::to_string(t.latency_ms) + " ms");
      std::snprintf(buf, sizeof(buf),
                    " latency bound %.3f ms (%g x %.1f us: %s, whole, on its best processor)",
                    t.latency_ms, t.latency_x, r.best_us, r.variant.c_str());
      line += buf;
    }
    if (t.arrival.load > 0) {
      t.arrival.rate = t.arrival.load * r.capacity_rps;
      if (t.arrival.rate < 1e-6 || t.arrival.rate > kMaxRate)
        return OutOfRange(where + ".arrival.load: gives " + std::to_string(t.arrival.rate) +
                          " requests/s");
      std::snprintf(buf, sizeof(buf), "%s rate %.1f/s (%g x %.1f/s, the capacity for %s)",
                    t.latency_x > 0 ? ";" : "", t.arrival.rate, t.arrival.load, r.capacity_rps,
                    r.variant.c_str());
      line += buf;
    }
    lines.push_back(line);
  }
  for (SloEvent& e : w->events) {
    if (e.latency_x <= 0) continue;
    SL_ASSIGN_OR_RETURN(Reference r, reference(static_cast<size_t>(w->FindTask(e.task))));
    e.latency_ms = e.latency_x * r.best_us / 1000;
    if (e.latency_ms < 1e-3 || e.latency_ms > 1e7)
      return OutOfRange(w->source + ": events (" + e.task + ").slo.latency_x: gives " +
                        std::to_string(e.latency_ms) + " ms");
  }
  return lines;
}

Workload ScaleLoad(const Workload& workload, double factor) {
  Workload w = workload;
  for (WorkloadTask& t : w.tasks) {
    t.arrival.rate *= factor;
    if (t.arrival.load > 0) t.arrival.load *= factor;
    for (double& x : t.arrival.trace_times) x /= factor;
  }
  return w;
}

}  // namespace sl

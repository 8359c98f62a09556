// `sparseloom simulate`: the same controller and policies as `run`, on a virtual clock
// (docs/simulator.md).
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/serving.h"
#include "core/json.h"
#include "sim/simulator.h"
#include "sim/soc_model.h"

namespace sl::cli {

namespace {

const char kUsage[] =
    "usage: sparseloom simulate --workload W.json [--profile P.json] [--policy NAME|all]\n"
    "                           [--duration S] [--load-scale X] [--memory-budget MB]\n"
    "                           [--jitter SIGMA] [--contention F] [--job-overhead-us U]\n"
    "                           [--latency-scale X] [--job-samples RUNS.json [--by-time]]\n"
    "                           [--seed S] [--order fifo|lsf|edf]\n"
    "                           [--unmeetable reject|best-effort] [--json out.json]\n"
    "                           [--records out.csv] [--soc configs/socs/X.json|fit]\n"
    "                           [--save-soc out.json] [--eager-admission]\n"
    "Runs the workload on a virtual clock with processor latencies from the profile (a measured\n"
    "one, or one made from an SoC model). Everything it prints is SIMULATED.\n"
    "--soc: the measured profile is turned into the SoC model's (docs/socs.md) on the SoC's\n"
    "processors, with its jitter and contention unless given; 'fit' fits this machine's CPU\n"
    "model to the measured profile; --save-soc writes the model used.\n"
    "--job-samples: the runs JSON of a real `sparseloom run` (--json); every simulated job draws\n"
    "one of its measured jobs (slowdown against the profile, overhead, start delay) in place of\n"
    "--jitter, --latency-scale, --job-overhead-us and the planned hand-offs, so the simulator\n"
    "sees the real run's tail; each policy draws from its own run in the file when there is one.\n"
    "--by-time: a trace-driven replay: a job on processor p at time t draws among the 8 measured\n"
    "jobs of p nearest to t, so the real run's slow and fast stretches recur when they did\n"
    "(samples of runs before session 16 carry no times: then from all), and repeats the run's\n"
    "pauses (the whole process stood still) and stalls (one processor did).\n"
    "--order: as for `run` (default: each policy's own).\n"
    "Arrivals are admitted when the engine admits them (an idle worker at once, else at the next\n"
    "job end or the arrival thread's tick); --eager-admission admits each at its own time, as\n"
    "the simulator did before session 10.";

// The [slowdown, overhead_us, load_us, delay_us, start kind, start_ms, processor, task] samples of
// the runs in a runs JSON (RunsJson) by policy, and all of them pooled under "". Runs written
// before the start delay was measured have triples (delay 0); before session 16, no start time
// and processor (a timed replay then draws from all jobs); before session 17, no task (a job
// then draws among every task's), no pauses, late admissions and stalls.
struct MeasuredRun {
  std::vector<JobSample> samples;
  // A policy's own run only (the pooled "" entry has none):
  std::vector<Pause> pauses, late_admissions;
  std::vector<Stall> stalls;
  bool stalls_recorded = false;
};

// execution.<key> (pauses, late_admissions), when there: [[start_ms >= 0, end_ms >= start_ms], ...]
// in time order, without overlaps.
Status ReadStretches(const Json& execution, const char* key, const std::string& path,
                     std::vector<Pause>* list) {
  const Json* stretches = execution.Find(key);
  if (!stretches) return Status::Ok();
  const std::vector<Json> none{Json()};  // not an array: reported below
  for (const Json& s : stretches->is_array() ? stretches->array() : none) {
    const auto& a = s.array();
    const bool valid = s.is_array() && a.size() == 2 && a[0].is_number() && a[1].is_number() &&
                       a[0].number() >= 0 && a[1].number() >= a[0].number() &&
                       (list->empty() || a[0].number() * 1000.0 >= list->back().end_us);
    if (!valid)
      return InvalidArgument(path + ": execution." + key +
                             " must hold [start_ms >= 0, end_ms >= start_ms] in time order, "
                             "without overlaps");
    list->push_back({a[0].number() * 1000.0, a[1].number() * 1000.0});
  }
  return Status::Ok();
}

// execution.stalls: [[processor 0-1023, start_ms >= 0, end_ms >= start_ms], ...].
Status ReadStalls(const Json& stalls, const std::string& path, MeasuredRun* out) {
  const std::vector<Json> none{Json()};  // not an array: reported below
  for (const Json& s : stalls.is_array() ? stalls.array() : none) {
    const auto& a = s.array();
    bool valid = s.is_array() && a.size() == 3;
    for (size_t i = 0; valid && i < 3; ++i) valid = a[i].is_number() && a[i].number() >= 0;
    valid = valid && a[0].number() < 1024 && a[0].number() == std::floor(a[0].number()) &&
            a[2].number() >= a[1].number();
    if (!valid)
      return InvalidArgument(path +
                             ": execution.stalls must hold [processor 0-1023, start_ms >= 0, "
                             "end_ms >= start_ms]");
    out->stalls.push_back(
        {static_cast<int>(a[0].number()), a[1].number() * 1000.0, a[2].number() * 1000.0});
  }
  return Status::Ok();
}

Result<std::map<std::string, MeasuredRun>> ReadJobSamples(const std::string& path) {
  SL_ASSIGN_OR_RETURN(Json root, Json::ParseFile(path));
  const Json* runs = root.Find("runs");
  if (!runs || !runs->is_array())
    return InvalidArgument(path + ": expected a runs JSON ({\"runs\": [...]}) from run --json");
  std::map<std::string, MeasuredRun> out;
  for (const Json& r : runs->array()) {
    const Json* policy = r.Find("policy");
    const std::string name = policy && policy->is_string() ? policy->string() : "";
    const Json* e = r.Find("execution");
    const Json* samples = e ? e->Find("job_samples") : nullptr;
    if (!samples || !samples->is_array()) continue;
    for (const Json& s : samples->array()) {
      const size_t n = s.is_array() ? s.array().size() : 0;
      const bool shaped = n == 3 || n == 5 || n == 7 || n == 8;
      const auto& a = s.array();
      bool valid = shaped && a[0].is_number() && a[0].number() > 0;
      for (size_t i = 1; valid && i < a.size(); ++i) valid = a[i].is_number() && a[i].number() >= 0;
      if (valid && n >= 5)
        valid = a[4].number() < kNumStartKinds && a[4].number() == std::floor(a[4].number());
      for (size_t i = 6; valid && i < n; ++i)
        valid = a[i].number() < 1024 && a[i].number() == std::floor(a[i].number());
      if (!valid)
        return InvalidArgument(path +
                               ": execution.job_samples must hold [slowdown > 0, overhead_us >= "
                               "0, load_us >= 0], plus [delay_us >= 0, start kind 0-2], plus "
                               "[start_ms >= 0, processor 0-1023], plus [task 0-1023]");
      JobSample js{a[0].number(), a[1].number(), a[2].number()};
      if (n >= 5) {
        js.delay_us = a[3].number();
        js.start = static_cast<StartKind>(static_cast<int>(a[4].number()));
      }
      if (n >= 7) {
        js.at_us = a[5].number() * 1000.0;
        js.processor = static_cast<int>(a[6].number());
      }
      if (n == 8) js.task = static_cast<int>(a[7].number());
      out[""].samples.push_back(js);
      if (!name.empty()) out[name].samples.push_back(js);
    }
    if (name.empty()) continue;
    if (const Json* stalls = e->Find("stalls")) {
      SL_RETURN_IF_ERROR(ReadStalls(*stalls, path, &out[name]));
      out[name].stalls_recorded = true;
    }
    SL_RETURN_IF_ERROR(ReadStretches(*e, "pauses", path, &out[name].pauses));
    SL_RETURN_IF_ERROR(ReadStretches(*e, "late_admissions", path, &out[name].late_admissions));
  }
  if (out.empty()) return InvalidArgument(path + ": no execution.job_samples in any run");
  return out;
}

// --soc / --save-soc: replaces the measured profile with the SoC model's and applies the SoC's
// simulator defaults where the command line gives none.
Status ApplySocModel(const Args& args, Setup* s, SimOptions* so) {
  if (!args.Has("soc")) return Status::Ok();
  const std::string path = args.Get("soc");
  Result<SocModel> soc = path == "fit" ? FitCpuModel(s->profile) : ReadSocModel(path);
  if (!soc.ok()) return soc.status();
  SL_ASSIGN_OR_RETURN(Profile modelled, ModelProfile(*soc, s->profile));
  if (path == "fit") {
    SL_ASSIGN_OR_RETURN(ModelError e, CompareLatencies(modelled, s->profile));
    std::printf("fit: segment latency error %.1f%% mean, %.1f%% max over %lld\n", e.mape_percent,
                e.max_error_percent, static_cast<long long>(e.segments));
  }
  if (args.Has("save-soc"))
    SL_RETURN_IF_ERROR(WriteTextFile(args.Get("save-soc"), SocModelToJson(*soc)));
  s->profile = std::move(modelled);
  s->workload.processors.clear();  // the measured processors do not exist on the SoC: use all
  if (!args.Has("jitter")) so->jitter = soc->jitter;
  if (!args.Has("contention")) so->contention = soc->contention;
  std::printf("SoC model: %s (SIMULATED), %zu processors, jitter %g, contention %g\n",
              soc->name.c_str(), soc->processors.size(), so->jitter, so->contention);
  return Status::Ok();
}

}  // namespace

int RunSimulate(int argc, char** argv) {
  auto args =
      Args::Parse(argc, argv, {"help", "eager-admission", "by-time"},
                  {"workload", "profile", "policy", "duration", "load-scale", "memory-budget",
                   "jitter", "contention", "job-overhead-us", "latency-scale", "seed", "order",
                   "job-samples", "unmeetable", "json", "records", "soc", "save-soc"});
  if (!args.ok()) return Fail("simulate", args.status());
  if (args->Has("help") || !args->Has("workload") || !args->positional().empty()) {
    std::puts(kUsage);
    return args->Has("help") ? 0 : 2;
  }
  Setup s;
  auto w = ReadWorkload(args->Get("workload"));
  if (!w.ok()) return Fail("simulate", w.status());
  s.workload = std::move(w).value();
  SimOptions so;
  auto jitter = GetDouble(*args, "jitter", 0, 0, 3);
  auto contention = GetDouble(*args, "contention", 0, 0, 10);
  auto overhead = GetDouble(*args, "job-overhead-us", 0, 0, 1e7);
  auto scale = GetDouble(*args, "latency-scale", 1, 1e-3, 1e3);
  auto seed = args->GetInt("seed", 0, 0, int64_t{1} << 53);
  for (const Status& st :
       {jitter.status(), contention.status(), overhead.status(), scale.status(), seed.status()})
    if (!st.ok()) return Fail("simulate", st);
  so.jitter = *jitter;
  so.contention = *contention;
  so.job_overhead_us = *overhead;
  so.latency_scale = *scale;
  so.seed = static_cast<uint64_t>(*seed);
  so.engine_admission = !args->Has("eager-admission");
  so.job_samples_by_time = args->Has("by-time");
  if (so.job_samples_by_time && !args->Has("job-samples"))
    return Fail("simulate", InvalidArgument("--by-time replays --job-samples; give both"));
  std::map<std::string, MeasuredRun> samples_by_policy;
  if (args->Has("job-samples")) {
    for (const char* other : {"jitter", "latency-scale", "job-overhead-us"})
      if (args->Has(other))
        return Fail("simulate", InvalidArgument(std::string("--job-samples replaces --") + other +
                                                "; give one or the other"));
    auto samples = ReadJobSamples(args->Get("job-samples"));
    if (!samples.ok()) return Fail("simulate", samples.status());
    samples_by_policy = std::move(samples).value();
    std::printf(
        "job times: %zu jobs sampled from %s (SIMULATED with a measured distribution%s; "
        "each policy draws from its own real run when the file has one)\n",
        samples_by_policy[""].samples.size(), args->Get("job-samples").c_str(),
        so.job_samples_by_time ? ", replayed by processor and time" : "");
  }
  if (Status st = ParseServingOptions(*args, &s, /*load_pools=*/false); !st.ok())
    return Fail("simulate", st);
  if (Status st = ApplySocModel(*args, &s, &so); !st.ok()) return Fail("simulate", st);
  if (args->Has("soc"))  // relative SLOs and rates follow the SoC model's latencies
    if (Status st = ResolveAndReport(&s.workload, s.profile, "the SoC model"); !st.ok())
      return Fail("simulate", st);
  so.controller = s.engine.controller;
  std::vector<PolicyRun> runs;
  for (const std::string& policy : s.policies) {
    if (!samples_by_policy.empty()) {
      auto own = samples_by_policy.find(policy);
      const MeasuredRun& m =
          (own != samples_by_policy.end() ? own : samples_by_policy.find(""))->second;
      so.job_samples = m.samples;
      so.pauses = m.pauses;
      so.late_admissions = m.late_admissions;
      so.stalls = m.stalls;
      so.stalls_recorded = m.stalls_recorded;
    }
    auto out = Simulate(s.workload, s.profile, nullptr, policy, s.policy_options, so);
    if (!out.ok()) return Fail("simulate", out.status());
    std::printf("== %s (SIMULATED: %.0f s of workload in %.2f s)\n", policy.c_str(),
                s.workload.duration_s, out->wall_seconds);
    std::printf("%s", FormatSummary(out->metrics).c_str());
    PolicyRun r;
    r.policy = policy;
    r.output.metrics = out->metrics;
    r.output.records = std::move(out->records);
    runs.push_back(std::move(r));
  }
  if (runs.size() > 1) std::printf("\nSIMULATED\n%s", ComparisonTable(runs).c_str());
  if (args->Has("json"))
    if (Status st = WriteTextFile(args->Get("json"), RunsJson(runs)); !st.ok())
      return Fail("simulate", st);
  if (args->Has("records"))
    if (Status st = WriteRecords(args->Get("records"), runs, s.workload); !st.ok())
      return Fail("simulate", st);
  return 0;
}

}  // namespace sl::cli

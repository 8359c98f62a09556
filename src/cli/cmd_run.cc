// `sparseloom run`: serve a workload under one policy (or all), in real time (docs/runtime.md).
#include <cmath>
#include <cstdio>

#include "cli/serving.h"

namespace sl::cli {

namespace {

const char kUsage[] =
    "usage: sparseloom run --workload W.json [--profile P.json] [--policy NAME|all]\n"
    "                      [--memory-budget MB] [--duration S] [--load-scale X] [--load-sweep]\n"
    "                      [--order fifo|lsf|edf] [--unmeetable reject|best-effort]\n"
    "                      [--json out.json] [--trace trace.json] [--records out.csv]\n"
    "                      [--processors LIST] [--rounds N]\n"
    "Serves every task of the workload on its processors for its duration, each request a real\n"
    "validation input, and prints a live progress line and a summary per policy. --policy all\n"
    "runs every policy back to back on the same seed. --load-sweep scales every arrival rate\n"
    "step by step and reports the highest load each policy sustains with under 5% violations.\n"
    "Without --profile, a cached profile of the zoo (zoo-work/) is used or measured first.\n"
    "--processors replaces the workload's list, e.g. cpu0,cpu1,ocl0 or cpu0,cpu1,cuda0 to serve\n"
    "on the CPU cores and an OpenCL or CUDA device. --order sets which pending request a free\n"
    "processor serves first for every policy (default: earliest deadline first for sparseloom,\n"
    "arrival order for the baselines). --records writes one CSV line per request of every run.\n"
    "--rounds N runs every policy in turn N times (default 1), so that each meets the machine's\n"
    "slow and fast stretches alike, and pools the rounds (--json keeps every run).";

// Mean job time against the profile beyond which a run warns that the profile is stale.
constexpr double kProfileDrift = 0.1;

Result<PolicyRun> RunOne(const Setup& s, const Workload& w, const std::string& policy) {
  std::string procs;
  for (const auto& p : w.processors) procs += (procs.empty() ? "" : ",") + p;
  std::printf("== %s: workload %s, %g s, seed %llu, processors %s\n", policy.c_str(),
              w.name.c_str(), w.duration_s, static_cast<unsigned long long>(w.seed),
              procs.empty() ? "(the profile's)" : procs.c_str());
  std::fflush(stdout);
  SL_ASSIGN_OR_RETURN(RunOutput out,
                      RunWorkload(w, s.profile, s.tasks, policy, s.policy_options, s.engine));
  std::printf("%s", FormatSummary(out.metrics).c_str());
  std::printf(
      "peak resident weights %.3f MB (all segments %.3f MB), %lld loads, optimizer %.3f ms "
      "x %lld, dispatcher %.2f us/request\n",
      out.metrics.peak_resident_weight_bytes / 1048576.0, out.metrics.all_segment_bytes / 1048576.0,
      static_cast<long long>(out.metrics.segment_loads), out.metrics.optimizer.mean_us / 1000,
      static_cast<long long>(out.metrics.optimizer.count), out.metrics.dispatcher.mean_us);
  // A machine slower or faster than when it was profiled skews every plan, and a workload sized
  // relative to the profile loads it more or less than meant: say so.
  if (const double slow = out.metrics.job_slowdown;
      slow > 0 && std::abs(slow - 1) > kProfileDrift) {
    const std::string load = w.relative()
                                 ? std::string(", so the workload's relative rates load it ") +
                                       (slow > 1 ? "more" : "less") + " than meant"
                                 : "";
    std::printf(
        "note: jobs took %.2f x their profiled latencies on average: this machine runs %s than "
        "when profiled (%s)%s; a new profile (remove zoo-work/profile-*.json) measures today's "
        "speed\n",
        slow, slow > 1 ? "slower" : "faster", s.profile.created.c_str(), load.c_str());
  }
  std::fflush(stdout);
  return PolicyRun{policy, std::move(out)};
}

}  // namespace

Status ResolveAndReport(Workload* w, const Profile& profile, const char* what) {
  if (!w->relative()) return Status::Ok();
  SL_ASSIGN_OR_RETURN(std::vector<std::string> lines, ResolveRelative(w, profile));
  std::printf("workload %s: SLOs and rates relative to %s\n", w->name.c_str(), what);
  for (const std::string& l : lines) std::printf("  %s\n", l.c_str());
  std::fflush(stdout);
  return Status::Ok();
}

Status ParseServingOptions(const Args& args, Setup* s, bool load_pools) {
  if (args.Has("processors")) {
    s->workload.processors = SplitComma(args.Get("processors"));
    if (s->workload.processors.empty()) return InvalidArgument("--processors: no processor named");
    SL_RETURN_IF_ERROR(ParseProcessors(args.Get("processors")).status());
  }
  SL_ASSIGN_OR_RETURN(double budget, GetDouble(args, "memory-budget", -1, 0, 1e7));
  if (budget >= 0) s->workload.memory_budget_mb = budget;
  SL_ASSIGN_OR_RETURN(double duration, GetDouble(args, "duration", -1, 0.01, 7 * 24 * 3600.0));
  if (duration > 0) {
    const double f = duration / s->workload.duration_s;
    s->workload.duration_s = duration;
    for (WorkloadTask& t : s->workload.tasks) {
      t.start_s *= f;
      t.stop_s *= f;
    }
    for (SloEvent& e : s->workload.events) e.at_s *= f;
  }
  SL_ASSIGN_OR_RETURN(double scale, GetDouble(args, "load-scale", 1, 1e-6, 1e6));
  if (scale != 1) s->workload = ScaleLoad(s->workload, scale);
  if (args.Has("order")) {  // else each policy's own order
    const std::string order = args.Get("order");
    if (order != "fifo" && order != "lsf" && order != "edf")
      return InvalidArgument("--order must be fifo, lsf or edf, got '" + order + "'");
    s->policy_options.order = order == "lsf"   ? RequestOrder::kLeastSlackFirst
                              : order == "edf" ? RequestOrder::kEarliestDeadlineFirst
                                               : RequestOrder::kFifo;
  }
  const std::string un = args.Get("unmeetable", "reject");
  if (un != "reject" && un != "best-effort")
    return InvalidArgument("--unmeetable must be reject or best-effort, got '" + un + "'");
  s->policy_options.unmeetable = un == "reject" ? OnUnmeetable::kReject : OnUnmeetable::kBestEffort;
  const std::string policy = args.Get("policy", "sparseloom");
  if (policy == "all") {
    s->policies = PolicyNames();
  } else {
    s->policies = SplitComma(policy);
    for (const std::string& p : s->policies) SL_RETURN_IF_ERROR(MakePolicy(p).status());
  }
  s->engine.controller.memory_budget_bytes =
      static_cast<int64_t>(s->workload.memory_budget_mb * 1048576.0);
  SL_ASSIGN_OR_RETURN(int64_t rounds, args.GetInt("rounds", 1, 1, 100));
  s->rounds = static_cast<int>(rounds);
  if (s->rounds > 1)
    for (const char* one : {"trace", "records", "load-sweep"})
      if (args.Has(one))
        return InvalidArgument(std::string("--") + one +
                               " takes one run per policy; not with --rounds");
  // Outputs are checked now, not after a run of minutes.
  for (const char* out : {"json", "trace", "records"})
    if (args.Has(out))
      SL_RETURN_IF_ERROR(CheckWritable(args.Get(out)).WithContext("--" + std::string(out)));
  s->engine.controller.trace = args.Has("trace");
  s->engine.controller.keep_records = args.Has("records");
  SL_ASSIGN_OR_RETURN(s->profile, ProfileForWorkload(s->workload, args.Get("profile")));
  SL_RETURN_IF_ERROR(ResolveAndReport(&s->workload, s->profile, "the measured profile"));
  if (load_pools) {
    SL_ASSIGN_OR_RETURN(s->tasks, LoadServedTasks(s->workload, s->profile));
  }
  return Status::Ok();
}

int ServePolicies(const char* cmd, const Args& args, Setup& s, bool sweep,
                  std::vector<PolicyRun>* out) {
  std::vector<PolicyRun>& runs = *out;
  if (!sweep) {
    for (int round = 1; round <= s.rounds; ++round) {
      if (s.rounds > 1) std::printf("== round %d of %d\n", round, s.rounds);
      for (const std::string& policy : s.policies) {
        auto run = RunOne(s, s.workload, policy);
        if (!run.ok()) return Fail(cmd, run.status());
        runs.push_back(std::move(run).value());
      }
    }
    if (s.rounds > 1) {
      std::printf("\nviolations by round (every policy in turn, %d rounds):\n", s.rounds);
      for (size_t i = 0; i < s.policies.size(); ++i) {
        std::printf("%-11s", s.policies[i].c_str());
        for (size_t k = i; k < runs.size(); k += s.policies.size())
          std::printf(" %6.2f%%", 100 * runs[k].output.metrics.overall.violation_rate);
        std::printf("\n");
      }
      std::printf("\npooled over the %d rounds:\n%s", s.rounds,
                  ComparisonTable(PoolRounds(runs)).c_str());
    } else if (runs.size() > 1) {
      std::printf("\n%s", ComparisonTable(runs).c_str());
    }
  } else {
    const double factors[] = {0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 16};
    constexpr int kBisections = 2;  // between the last load sustained and the first not
    std::printf(
        "load sweep: arrival rates x {0.25 .. 16}, then %d bisections between the last load "
        "sustained and the first not; sustained = the highest load with under 5%% violations; "
        "at each step every policy still in the sweep runs, one after the other\n",
        kBisections);
    // Per policy: the highest load sustained (and its throughput) and the lowest that was not.
    struct Sweep {
      double best_f = 0, best_thru = 0, failed_f = 0;
    };
    std::vector<Sweep> sw(s.policies.size());
    auto try_load = [&](size_t i, double f) -> Status {
      Workload w = ScaleLoad(s.workload, f);
      SL_ASSIGN_OR_RETURN(PolicyRun run, RunOne(s, w, s.policies[i]));
      const TaskMetrics& o = run.output.metrics.overall;
      std::printf("  %s load x%.3g: violations %.2f%%, throughput %.1f rps\n",
                  s.policies[i].c_str(), f, 100 * o.violation_rate, o.throughput_rps);
      if (o.violation_rate < 0.05) {
        sw[i].best_f = f;
        sw[i].best_thru = o.throughput_rps;
      } else {
        sw[i].failed_f = f;
      }
      runs.push_back(std::move(run));
      return Status::Ok();
    };
    for (double f : factors)
      for (size_t i = 0; i < sw.size(); ++i)
        if (sw[i].failed_f == 0)
          if (Status st = try_load(i, f); !st.ok()) return Fail(cmd, st);
    for (int b = 0; b < kBisections; ++b)
      for (size_t i = 0; i < sw.size(); ++i)
        if (sw[i].failed_f > 0)
          if (Status st = try_load(i, 0.5 * (sw[i].best_f + sw[i].failed_f)); !st.ok())
            return Fail(cmd, st);
    std::vector<std::pair<std::string, double>> sustained;
    for (size_t i = 0; i < sw.size(); ++i) {
      sustained.push_back({s.policies[i], sw[i].best_thru});
      std::printf("%s sustains load x%.3g: %.1f requests/s\n", s.policies[i].c_str(), sw[i].best_f,
                  sw[i].best_thru);
    }
    std::printf("\n%-11s %18s\n", "policy", "sustained rps");
    for (const auto& [p, t] : sustained) std::printf("%-11s %18.1f\n", p.c_str(), t);
  }
  if (args.Has("json"))
    if (Status st = WriteTextFile(args.Get("json"), RunsJson(runs)); !st.ok()) return Fail(cmd, st);
  if (args.Has("trace") && !runs.empty()) {
    std::vector<std::string> procs, names;
    for (const auto& p : s.profile.processors) procs.push_back(p.name);
    for (const auto& t : s.workload.tasks) names.push_back(t.name);
    if (Status st = WriteTextFile(args.Get("trace"),
                                  ChromeTraceJson(runs.back().output.trace, procs, names));
        !st.ok())
      return Fail(cmd, st);
  }
  if (args.Has("records"))
    if (Status st = WriteRecords(args.Get("records"), runs, s.workload); !st.ok())
      return Fail(cmd, st);
  return 0;
}

int RunRun(int argc, char** argv) {
  auto args =
      Args::Parse(argc, argv, {"help", "load-sweep"},
                  {"workload", "profile", "policy", "memory-budget", "duration", "load-scale",
                   "order", "unmeetable", "json", "trace", "records", "processors", "rounds"});
  if (!args.ok()) return Fail("run", args.status());
  if (args->Has("help") || !args->Has("workload") || !args->positional().empty()) {
    std::puts(kUsage);
    return args->Has("help") ? 0 : 2;
  }
  Setup s;
  auto w = ReadWorkload(args->Get("workload"));
  if (!w.ok()) return Fail("run", w.status());
  s.workload = std::move(w).value();
  if (Status st = ParseServingOptions(*args, &s); !st.ok()) return Fail("run", st);
  std::vector<PolicyRun> runs;
  return ServePolicies("run", *args, s, args->Has("load-sweep"), &runs);
}

}  // namespace sl::cli

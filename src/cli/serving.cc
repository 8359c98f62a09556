#include "cli/serving.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "runtime/records_csv.h"

namespace sl::cli {

Result<double> GetDouble(const Args& args, const std::string& name, double fallback, double min,
                         double max) {
  if (!args.Has(name)) return fallback;
  const std::string v = args.Get(name);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(x >= min && x <= max)) {
    char range[64];
    std::snprintf(range, sizeof range, "[%g, %g]", min, max);
    return InvalidArgument("--" + name + " must be a number in " + range + ", got '" + v + "'");
  }
  return x;
}

namespace {

bool ProfileCovers(const Profile& p, const Workload& w, const std::vector<std::string>& procs) {
  for (const std::string& name : procs)
    if (p.FindProcessor(name) < 0) return false;
  // The cache is per processor list; it must also come from this zoo's pools.
  namespace fs = std::filesystem;
  for (const WorkloadTask& t : w.tasks) {
    const int tp = p.FindTask(t.pool);
    if (tp < 0) return false;
    std::error_code a, b;
    if (fs::weakly_canonical(p.tasks[tp].pool, a) !=
            fs::weakly_canonical(fs::path(w.zoo) / t.pool, b) ||
        a || b)
      return false;
  }
  return true;
}

}  // namespace

Result<Profile> ProfileForWorkload(const Workload& workload, const std::string& path) {
  if (!path.empty()) return Profile::Read(path);
  namespace fs = std::filesystem;
  std::vector<std::string> procs = workload.processors;
  if (procs.empty()) procs = {"cpu0", "cpu1"};
  std::string plist;
  for (const auto& p : procs) plist += (plist.empty() ? "" : ",") + p;
  std::string tag = plist;
  for (char& c : tag)
    if (c == ',' || c == '[' || c == ']') c = '_';
  const std::string cache = "zoo-work/profile-" + tag + ".json";
  if (fs::exists(cache)) {
    auto cached = Profile::Read(cache);
    // Profiles measured back to back (before session 10) or in interleaved rounds of a fraction of
    // a second (before session 15) are measured again: serving sees the interleaved latencies
    // over time (docs/profile.md).
    // A profile of another CPU (a copied zoo-work/, a moved VM) says nothing about this one.
    const ProfileMachine here = ThisMachine();
    const bool same_machine =
        cached.ok() && cached->machine.cpu == here.cpu && cached->machine.cores == here.cores;
    if (cached.ok() && !same_machine) {
      std::printf("profile: %s was measured on %s (%d cores), this is %s (%d cores)\n",
                  cache.c_str(), cached->machine.cpu.c_str(), cached->machine.cores,
                  here.cpu.c_str(), here.cores);
    }
    const bool fresh =
        same_machine && cached->latency_order == "interleaved" && cached->latency_seconds > 0 &&
        ProfileCovers(*cached, workload, procs) && [&] {
          std::error_code ec;
          const auto when = fs::last_write_time(cache, ec);
          for (const WorkloadTask& t : workload.tasks) {
            const auto m =
                fs::last_write_time(fs::path(workload.zoo) / t.pool / "manifest.json", ec);
            if (ec || m > when) return false;
          }
          return true;
        }();
    if (fresh) {
      std::printf("profile: %s (cached; measured %s on %s)\n", cache.c_str(),
                  cached->created.c_str(), cached->machine.cpu.c_str());
      return cached;
    }
  }
  std::error_code ec;
  fs::create_directories("zoo-work", ec);
  std::string tasks;
  for (const WorkloadTask& t : workload.tasks)
    if (tasks.find(t.pool) == std::string::npos) tasks += (tasks.empty() ? "" : ",") + t.pool;
  std::printf("profile: none cached for %s; measuring it now (cached in %s)\n", plist.c_str(),
              cache.c_str());
  std::fflush(stdout);
  std::vector<std::string> argv_s = {"--zoo",        workload.zoo, "--tasks", tasks,
                                     "--processors", plist,        "-o",      cache};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  if (RunProfile(static_cast<int>(argv.size()), argv.data()) != 0)
    return Internal("profiling the zoo " + workload.zoo + " failed (see above)");
  return Profile::Read(cache);
}

std::string ComparisonTable(const std::vector<PolicyRun>& runs) {
  std::string out;
  char line[320];
  std::snprintf(line, sizeof line, "%-11s %8s %7s %9s %9s %8s %8s %9s %10s %9s\n", "policy",
                "requests", "viol%", "thru rps", "good rps", "accuracy", "p99 ms", "weights MB",
                "optim ms", "disp us");
  out += line;
  for (const PolicyRun& r : runs) {
    const RunMetrics& m = r.output.metrics;
    std::snprintf(line, sizeof line,
                  "%-11s %8lld %6.2f%% %9.1f %9.1f %7.2f%% %8.2f %9.3f %10.3f %9.2f\n",
                  r.policy.c_str(), static_cast<long long>(m.overall.requests),
                  100 * m.overall.violation_rate, m.overall.throughput_rps, m.overall.goodput_rps,
                  100 * m.overall.delivered_accuracy, m.overall.latency.p99_ms,
                  m.peak_resident_weight_bytes / 1048576.0, m.optimizer.mean_us / 1000.0,
                  m.dispatcher.mean_us);
    out += line;
  }
  return out;
}

std::vector<PolicyRun> PoolRounds(const std::vector<PolicyRun>& runs) {
  std::vector<PolicyRun> pooled;
  std::vector<int> rounds;
  for (const PolicyRun& r : runs) {
    size_t i = 0;
    while (i < pooled.size() && pooled[i].policy != r.policy) ++i;
    const RunMetrics& m = r.output.metrics;
    if (i == pooled.size()) {
      pooled.push_back(r);
      rounds.push_back(1);
      continue;
    }
    RunMetrics& p = pooled[i].output.metrics;
    TaskMetrics& o = p.overall;
    const TaskMetrics& x = m.overall;
    o.delivered_accuracy =
        o.served + x.served > 0
            ? (o.delivered_accuracy * o.served + x.delivered_accuracy * x.served) /
                  (o.served + x.served)
            : 0;
    o.requests += x.requests;
    o.served += x.served;
    o.rejected += x.rejected;
    o.late += x.late;
    o.below_floor += x.below_floor;
    o.violations += x.violations;
    o.correct += x.correct;
    o.violation_rate = o.requests > 0 ? static_cast<double>(o.violations) / o.requests : 0;
    o.throughput_rps += x.throughput_rps;  // divided by the rounds below
    o.goodput_rps += x.goodput_rps;
    o.latency.p99_ms = std::max(o.latency.p99_ms, x.latency.p99_ms);
    p.peak_resident_weight_bytes =
        std::max(p.peak_resident_weight_bytes, m.peak_resident_weight_bytes);
    for (auto [mine, theirs] :
         {std::pair{&p.optimizer, &m.optimizer}, std::pair{&p.dispatcher, &m.dispatcher}}) {
      const int64_t n = mine->count + theirs->count;
      mine->mean_us =
          n > 0 ? (mine->mean_us * mine->count + theirs->mean_us * theirs->count) / n : 0;
      mine->count = n;
      mine->max_us = std::max(mine->max_us, theirs->max_us);
    }
    ++rounds[i];
  }
  for (size_t i = 0; i < pooled.size(); ++i) {
    if (rounds[i] == 1) continue;
    RunMetrics& m = pooled[i].output.metrics;
    m.overall.throughput_rps /= rounds[i];
    m.overall.goodput_rps /= rounds[i];
    m.tasks.clear();  // pooled: the overall figures above only
  }
  return pooled;
}

std::string RunsJson(const std::vector<PolicyRun>& runs) {
  std::string json = "{\"runs\":[";
  for (size_t i = 0; i < runs.size(); ++i) json += (i ? "," : "") + runs[i].output.metrics.ToJson();
  return json + "]}\n";
}

Status WriteRecords(const std::string& path, const std::vector<PolicyRun>& runs,
                    const Workload& workload) {
  std::vector<std::string> names;
  for (const auto& t : workload.tasks) names.push_back(t.name);
  std::string csv = RecordsCsvHeader();
  for (const PolicyRun& run : runs) csv += RecordsCsv(run.output.records, names, run.policy);
  return WriteTextFile(path, csv);
}

}  // namespace sl::cli

// `sparseloom profile`: measure the profile of every pool of a zoo (docs/profile.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "cli/args.h"
#include "cli/serving.h"
#include "profile/profiler.h"

namespace sl::cli {

namespace {

// Interleaved latency rounds span at least this long per pool (docs/profile.md).
constexpr double kDefaultLatencySeconds = 3;

std::string Duration(double s) {
  char b[32];
  if (s < 60)
    std::snprintf(b, sizeof b, "%.0fs", s);
  else
    std::snprintf(b, sizeof b, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return b;
}

// One-line progress bar with an ETA on stderr, redrawn at most 5 times a second.
class ProgressBar {
 public:
  explicit ProgressBar(int tasks) : tasks_(tasks), start_(Clock::now()) {}
  void Update(int task_index, const std::string& task, const std::string& phase, double f) {
    const double overall = std::clamp((task_index + f) / tasks_, 0.0, 1.0);
    const auto now = Clock::now();
    if (f < 1 && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string eta = overall > 0.01 ? Duration(elapsed * (1 - overall) / overall) : "?";
    const int width = 30, filled = static_cast<int>(overall * width);
    std::fprintf(stderr, "\r[%s%s] %3.0f%% %s %-10s elapsed %s ETA %s   ",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 100 * overall, task.c_str(), phase.c_str(), Duration(elapsed).c_str(),
                 eta.c_str());
    std::fflush(stderr);
  }
  void Finish() { std::fprintf(stderr, "\n"); }

 private:
  using Clock = std::chrono::steady_clock;
  int tasks_;
  Clock::time_point start_, last_;
};

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return b;
}

}  // namespace

int RunProfile(int argc, char** argv) {
  // "-o FILE" is accepted as "--output FILE".
  std::vector<std::string> storage(argv, argv + argc);
  std::vector<char*> argv2;
  for (auto& a : storage) {
    if (a == "-o") a = "--output";
    argv2.push_back(a.data());
  }
  argv = argv2.data();
  auto args = Args::Parse(
      argc, argv, {"help"},
      {"zoo", "tasks", "segments", "cuts", "processors", "accuracy", "samples", "batch",
       "val-samples", "repeats", "validate", "seed", "output", "latency-order", "latency-seconds"});
  if (!args.ok()) return Fail("profile", args.status());
  const std::string out = args->Get("output");
  if (args->Has("help") || !args->Has("zoo") || out.empty() || !args->positional().empty()) {
    std::puts(
        "usage: sparseloom profile --zoo DIR [--tasks a,b] [--segments K] [--cuts A,B]\n"
        "                          [--processors cpu0,cpu1,cpu01] [--accuracy exact|estimate]\n"
        "                          [--samples M] [--batch B] [--val-samples N] [--repeats R]\n"
        "                          [--validate S] [--seed S] [--latency-order "
        "interleaved|repeated]\n"
        "                          [--latency-seconds T]\n"
        "                          -o profile.json\n"
        "Measures every pool (sub-folder with a manifest.json) of DIR: valid and chosen cuts,\n"
        "Segment(v, i) bytes and FLOPs, latency of each segment on each processor at batch 1\n"
        "(interleaved, the default: rounds over the pool's segments, each run following other\n"
        "segments as when serving, the processors taking turns, at least R rounds (default 15)\n"
        "over at least T seconds per pool (default 3), the mean of the middle 80 %; repeated: R\n"
        "runs back to back, caches warm, the median), hand-off costs, the\n"
        "accuracy of every stitch (exact with prefix sharing at batch B, default 250; or a sample\n"
        "of M stitches and an estimator), and the latency prediction's error on S stitches run\n"
        "end to end (default 12).\n"
        "K defaults to the number of processors; processors default to one per core plus all\n"
        "cores. ocl0 / cuda0 name OpenCL / CUDA devices (their latencies include moving the\n"
        "input in and the output out). --cuts names the cuts (only with a single task).\n"
        "Progress goes to stderr.");
    return args->Has("help") ? 0 : 2;
  }
  namespace fs = std::filesystem;
  const std::string zoo = args->Get("zoo");
  std::vector<std::string> tasks = SplitComma(args->Get("tasks"));
  if (tasks.empty()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(zoo, ec))
      if (e.is_directory() && fs::exists(e.path() / "manifest.json"))
        tasks.push_back(e.path().filename().string());
    if (ec) return Fail("profile", NotFound(zoo + ": cannot list the zoo (" + ec.message() + ")"));
    std::sort(tasks.begin(), tasks.end());
    if (tasks.empty())
      return Fail("profile", NotFound(zoo + ": no pools (sub-folders with a manifest.json)"));
  }
  ProfileOptions opts;
  std::vector<ProcessorSpec> processors = DefaultProcessors();
  if (args->Has("processors")) {
    auto p = ParseProcessors(args->Get("processors"));
    if (!p.ok()) return Fail("profile", p.status());
    processors = *p;
  }
  if (Status st = ResolveDevices(processors); !st.ok()) return Fail("profile", st);
  auto k = args->GetInt("segments", static_cast<int64_t>(processors.size()), 1, 64);
  auto samples = args->GetInt("samples", 0, 0, int64_t{1} << 30);
  auto batch = args->GetInt("batch", 250, 1, 100000);
  auto val = args->GetInt("val-samples", 0, 0, int64_t{1} << 40);
  auto repeats = args->GetInt("repeats", 15, 1, 100000);
  auto validate = args->GetInt("validate", 12, 0, 100000);
  auto seed = args->GetInt("seed", 0, 0, int64_t{1} << 53);
  for (const auto* r : {&k, &samples, &batch, &val, &repeats, &validate, &seed})
    if (!r->ok()) return Fail("profile", r->status());
  auto seconds = GetDouble(*args, "latency-seconds", kDefaultLatencySeconds, 0, 3600);
  if (!seconds.ok()) return Fail("profile", seconds.status());
  opts.num_segments = static_cast<int>(*k);
  opts.cuts = SplitComma(args->Get("cuts"));
  if (!opts.cuts.empty() && tasks.size() != 1)
    return Fail("profile",
                InvalidArgument("--cuts names tensors of one pool: give one task with --tasks"));
  opts.accuracy_mode = args->Get("accuracy", "exact");
  if (opts.accuracy_mode != "exact" && opts.accuracy_mode != "estimate")
    return Fail("profile", InvalidArgument("--accuracy must be exact or estimate, got '" +
                                           opts.accuracy_mode + "'"));
  opts.estimator.samples = *samples;
  opts.accuracy_batch = *batch;
  opts.max_val_samples = *val;
  opts.latency.repeats = static_cast<int>(*repeats);
  const std::string order = args->Get("latency-order", "interleaved");
  if (order != "interleaved" && order != "repeated")
    return Fail(
        "profile",
        InvalidArgument("--latency-order must be interleaved or repeated, got '" + order + "'"));
  opts.latency.interleave = order == "interleaved";
  opts.latency.min_seconds = opts.latency.interleave ? *seconds : 0;
  opts.validation_samples = static_cast<int>(*validate);
  opts.seed = static_cast<uint64_t>(*seed);

  Profile profile;
  profile.seed = opts.seed;
  profile.machine = ThisMachine();
  profile.created = UtcNow();
  profile.processors = processors;
  profile.latency_order = opts.latency.interleave ? "interleaved" : "repeated";
  profile.latency_seconds = opts.latency.min_seconds;
  std::string plist;
  for (const auto& p : processors) plist += (plist.empty() ? "" : ",") + p.name;
  std::printf("profiling %zu task(s) of %s on %s (%s, %d cores), K = %s, accuracy %s, seed %llu\n",
              tasks.size(), zoo.c_str(), plist.c_str(), profile.machine.cpu.c_str(),
              profile.machine.cores,
              opts.cuts.empty() ? std::to_string(opts.num_segments).c_str() : "named cuts",
              opts.accuracy_mode.c_str(), static_cast<unsigned long long>(opts.seed));
  const auto t0 = std::chrono::steady_clock::now();
  ProgressBar bar(static_cast<int>(tasks.size()));
  for (size_t ti = 0; ti < tasks.size(); ++ti) {
    const std::string dir = (fs::path(zoo) / tasks[ti]).string();
    const auto task_start = std::chrono::steady_clock::now();
    bar.Update(static_cast<int>(ti), tasks[ti], "load", 0);
    auto pool = LoadPool(dir);
    if (!pool.ok()) {
      bar.Finish();
      return Fail("profile", pool.status());
    }
    auto tp = ProfileTask(*pool, processors, opts, [&](const std::string& phase, double f) {
      bar.Update(static_cast<int>(ti), tasks[ti], phase, f);
    });
    if (!tp.ok()) {
      bar.Finish();
      return Fail("profile", tp.status().WithContext(dir));
    }
    const double task_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - task_start).count();
    bar.Finish();
    const AccuracyProfile& a = tp->accuracy;
    const double full_runs = static_cast<double>(tp->num_stitches()) * tp->num_segments *
                             ((a.validation_count + opts.accuracy_batch - 1) /
                              std::max<int64_t>(opts.accuracy_batch, 1));
    std::printf("%s: %d variants, K = %d, %lld stitches; cuts:", tp->task.c_str(),
                tp->num_variants(), tp->num_segments, static_cast<long long>(tp->num_stitches()));
    for (const auto& c : tp->cuts) std::printf(" %s", c.c_str());
    std::printf(
        "\n  accuracy (%s) on %lld samples: %.1f s, %lld batched segment runs (%.1f%% of "
        "running every stitch in full)\n",
        a.mode.c_str(), static_cast<long long>(a.validation_count), a.seconds,
        static_cast<long long>(a.segment_runs),
        full_runs > 0 ? 100.0 * a.segment_runs / full_runs : 0.0);
    if (a.mode == "estimate")
      std::printf("  estimator %s: %lld fitted, %lld held out: MAE %.2f points, max %.2f points\n",
                  a.estimator.c_str(), static_cast<long long>(a.fit_samples),
                  static_cast<long long>(a.holdout_samples), a.holdout_mae_points,
                  a.holdout_max_error_points);
    std::printf(
        "  latency prediction on %d stitches run end to end: MAPE %.1f%% (seed %llu); "
        "task total %.1f s\n",
        tp->latency_validation.samples, tp->latency_validation.mape_percent,
        static_cast<unsigned long long>(tp->latency_validation.seed), task_s);
    std::fflush(stdout);
    profile.tasks.push_back(std::move(tp).value());
  }
  if (Status st = profile.Write(out); !st.ok()) return Fail("profile", st);
  std::printf("wrote %s in %.1f s\n", out.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace sl::cli

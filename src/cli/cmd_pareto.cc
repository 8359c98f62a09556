// `sparseloom pareto`: the accuracy-latency front of a task's stitches against its variants.
#include <cstdio>

#include "cli/args.h"
#include "core/file_io.h"
#include "profile/pareto.h"
#include "zoo/segments.h"

namespace sl::cli {

int RunPareto(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"help"}, {"task", "processor", "svg"});
  if (!args.ok()) return Fail("pareto", args.status());
  if (args->Has("help") || args->positional().size() != 1 || !args->Has("task")) {
    std::puts(
        "usage: sparseloom pareto profile.json --task T [--processor P] [--svg out.svg]\n"
        "The accuracy-latency front of all stitches of task T with every segment on\n"
        "processor P (default: the profile's first), against the original variants, and how\n"
        "many stitches are Pareto-improving: strictly more accurate than every original of\n"
        "equal or lower latency (equivalently, faster than every original of equal or higher\n"
        "accuracy).");
    return args->Has("help") ? 0 : 2;
  }
  auto profile = Profile::Read(args->positional()[0]);
  if (!profile.ok()) return Fail("pareto", profile.status());
  int proc = 0;
  if (args->Has("processor")) {
    proc = profile->FindProcessor(args->Get("processor"));
    if (proc < 0) {
      std::string list;
      for (const auto& p : profile->processors) list += (list.empty() ? "" : ", ") + p.name;
      return Fail("pareto", NotFound("profile has no processor '" + args->Get("processor") +
                                     "' (processors: " + list + ")"));
    }
  }
  auto r = ComputePareto(*profile, args->Get("task"), proc);
  if (!r.ok()) return Fail("pareto", r.status());
  const TaskProfile& tp = profile->tasks[profile->FindTask(args->Get("task"))];
  const int n = tp.num_variants(), k = tp.num_segments;
  auto name = [&](int64_t s) {
    std::string out;
    for (int v : StitchFromIndex(s, n, k)) out += (out.empty() ? "" : "+") + tp.variants[v];
    return out;
  };
  std::printf("task %s on %s: %zu stitches (%d variants, K = %d), accuracy %s\n", r->task.c_str(),
              r->processor.c_str(), r->points.size(), n, k, tp.accuracy.mode.c_str());
  std::printf("\noriginal variants:\n  %-16s %10s %12s\n", "variant", "accuracy", "latency_us");
  for (size_t j = 0; j < r->originals.size(); ++j) {
    const ParetoPoint& p = r->points[r->originals[j]];
    std::printf("  %-16s %9.2f%% %12.1f%s\n", tp.variants[j].c_str(), 100 * p.accuracy,
                p.latency_us, p.on_front ? "  (on front)" : "");
  }
  std::printf("\nfront (%zu stitches, by latency):\n  %10s %12s  %s\n", r->front.size(), "accuracy",
              "latency_us", "stitch");
  for (size_t i : r->front) {
    const ParetoPoint& p = r->points[i];
    std::printf("  %9.2f%% %12.1f  %s%s\n", 100 * p.accuracy, p.latency_us, name(p.stitch).c_str(),
                p.original    ? "  [original]"
                : p.improving ? "  [improving]"
                              : "");
  }
  std::printf("\nPareto-improving stitches: %lld of %zu (%lld on the front)\n",
              static_cast<long long>(r->improving), r->points.size() - r->originals.size(),
              static_cast<long long>(r->improving_on_front));
  if (args->Has("svg")) {
    if (Status st = WriteTextFile(args->Get("svg"), ParetoSvg(*r, tp)); !st.ok())
      return Fail("pareto", st);
    std::printf("wrote %s\n", args->Get("svg").c_str());
  }
  return 0;
}

}  // namespace sl::cli

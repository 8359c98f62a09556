// `sparseloom eval --suite paper`: the paper's evaluation on the simulator, on this machine's
// measured profile and on every SoC model; JSON, SVG and a generated docs/results.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <tuple>
#include <utility>

#include "cli/serving.h"
#include "core/json_writer.h"
#include "profile/profiling_cost.h"
#include "sim/eval.h"
#include "sim/soc_model.h"

namespace sl::cli {

namespace {

const char kUsage[] =
    "usage: sparseloom eval --suite paper [--quick] [--profile P.json] [--socs DIR]\n"
    "                       [--out DIR] [--docs] [--no-profiling-cost] [--platform NAME]\n"
    "Simulates the paper's experiments (violations of every policy over seeds and arrival\n"
    "orders, sustained throughput, memory budgets, ablations) on this machine's measured\n"
    "profile and on every SoC model in DIR (default configs/socs). Writes DIR/results.json,\n"
    "DIR/violations.svg and DIR/results.md (with --docs also docs/results.md). SIMULATED,\n"
    "except the profiling-time table, measured on one pool of the zoo.\n"
    "--platform: only the platforms whose name contains NAME ('measured', 'jetson', ...);\n"
    "not with --docs. --dump-workload F: the first workload drawn for the first platform.";

std::string Pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * x);
  return b;
}

// The rest of a markdown table header with one column per policy, after "| platform |".
std::string PolicyHeader() {
  std::string h, rule = "\n|---|";
  for (const auto& n : PolicyNames()) {
    h += " `" + n + "` |";
    rule += "---|";
  }
  return h + rule + "\n";
}

struct Claims {
  double vs_lo = 0, vs_adaptive = 0, thru_ratio = 0, mem_saving = 0, mem_gap_pts = 0;
  double lsf_vs_lo = 0, lsf_vs_adaptive = 0;  // every policy least slack first
};

double BestAdaptive(const std::map<std::string, double>& v) {
  return std::min(v.at("av-np"), v.at("av-p"));
}

// 1 - sparseloom / sv-lo-np and 1 - sparseloom / the best av-* (0 where the baseline has none).
std::pair<double, double> Reductions(const std::map<std::string, double>& v) {
  if (v.empty()) return {0, 0};
  const double s = v.at("sparseloom"), lo = v.at("sv-lo-np"), av = BestAdaptive(v);
  return {lo > 0 ? 1 - s / lo : 0, av > 0 ? 1 - s / av : 0};
}

Claims Evaluate(const EvalPlatformResult& r) {
  Claims c;
  std::tie(c.vs_lo, c.vs_adaptive) = Reductions(r.violation);
  std::tie(c.lsf_vs_lo, c.lsf_vs_adaptive) = Reductions(r.violation_lsf);
  const double ao = r.throughput.at("sv-ao-np");
  c.thru_ratio = ao > 0 ? r.throughput.at("sparseloom") / ao : 0;
  const double all_v = r.memory_violation.at("preload-all")[0].second;
  const auto& hv = r.memory_violation.at("hotness");
  const auto& hb = r.memory_peak_bytes.at("hotness");
  for (size_t i = 0; i < hv.size(); ++i)
    if (hv[i].second <= all_v + 0.027) {
      c.mem_saving = 1 - hb[i] / std::max(1.0, r.all_segment_bytes);
      c.mem_gap_pts = 100 * (hv[i].second - all_v);
      break;
    }
  return c;
}

// One line per target a platform misses, with the numbers behind it; the reasons are in
// docs/simulator.md ("Where the targets are missed").
std::string Shortfalls(const std::vector<EvalPlatformResult>& results) {
  std::string md;
  char b[400];
  for (const auto& r : results) {
    const Claims c = Evaluate(r);
    const double v = r.violation.at("sparseloom"), lo = r.violation.at("sv-lo-np");
    const double av = BestAdaptive(r.violation);
    // Below 0.5% for `sv-lo-np` a reduction is a few requests: not counted as met either way.
    if (c.vs_lo < 0.8 || c.vs_adaptive < 0.3 || lo < 0.005) {
      std::snprintf(b, sizeof b,
                    "* %s: violations %s against `sv-lo-np` %s and the best `av-*` %s "
                    "(targets: 80%% and 30%% fewer)%s.\n",
                    r.name.c_str(), Pct(v).c_str(), Pct(lo).c_str(), Pct(av).c_str(),
                    lo < 0.005
                        ? ": the baselines leave almost nothing to remove, so the targets are not "
                          "counted as met"
                        : "");
      md += b;
    }
    if (c.thru_ratio < 2.5) {
      std::string best = "sparseloom";
      for (const auto& [name, t] : r.throughput)
        if (t > r.throughput.at(best)) best = name;
      std::snprintf(b, sizeof b,
                    "* %s: throughput %.2fx `sv-ao-np` (target 2.5x); highest: `%s` at %.0f "
                    "requests/s.\n",
                    r.name.c_str(), c.thru_ratio, best.c_str(), r.throughput.at(best));
      md += b;
    }
  }
  if (md.empty()) return "\nEvery platform meets every target.\n";
  return "\n**Where the targets are missed** (why: docs/simulator.md, \"Where the targets are "
         "missed\"):\n\n" +
         md;
}

std::string Svg(const std::vector<EvalPlatformResult>& results) {
  const auto& names = PolicyNames();
  const int bar = 10, group = static_cast<int>(names.size()) * bar + 30, h = 220;
  const int width = 60 + group * static_cast<int>(results.size());
  double vmax = 0.01;
  for (const auto& r : results)
    for (const auto& [k, v] : r.violation) vmax = std::max(vmax, v);
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width) +
                  "' height='" + std::to_string(h + 60) + "' font-family='sans-serif' " +
                  "font-size='10'>\n<text x='5' y='12'>SLO violation rate per policy " +
                  "(SIMULATED), max " + Pct(vmax) + "</text>\n";
  const char* colors[] = {"#d62728", "#1f77b4", "#aec7e8", "#2ca02c",
                          "#98df8a", "#ff7f0e", "#ffbb78"};
  for (size_t g = 0; g < results.size(); ++g) {
    const int x0 = 50 + static_cast<int>(g) * group;
    for (size_t i = 0; i < names.size(); ++i) {
      const double v = results[g].violation.at(names[i]);
      const int bh = static_cast<int>(h * v / vmax);
      s += "<rect x='" + std::to_string(x0 + static_cast<int>(i) * bar) + "' y='" +
           std::to_string(20 + h - bh) + "' width='" + std::to_string(bar - 1) + "' height='" +
           std::to_string(bh) + "' fill='" + colors[i % 7] + "'><title>" + names[i] + " " + Pct(v) +
           "</title></rect>\n";
    }
    s += "<text x='" + std::to_string(x0) + "' y='" + std::to_string(h + 35) + "'>" +
         results[g].name + "</text>\n";
  }
  for (size_t i = 0; i < names.size(); ++i)
    s += "<text x='" + std::to_string(5 + 90 * static_cast<int>(i)) + "' y='" +
         std::to_string(h + 55) + "' fill='" + colors[i % 7] + "'>" + names[i] + "</text>\n";
  return s + "</svg>\n";
}

std::string ProfilingMarkdown(const std::vector<ProfilingCostRow>& rows, const std::string& what) {
  if (rows.empty()) return "";
  std::string md = "\n## Profiling time against the number of variants (MEASURED here)\n\n" + what +
                   "\n\n| variants | stitches | exhaustive | prefix-shared exact | estimator | "
                   "estimator error (mean / max points) |\n|---|---|---|---|---|---|\n";
  for (const ProfilingCostRow& r : rows) {
    char b[256];
    std::snprintf(b, sizeof b,
                  "| %d | %lld | %.2f s (%lld runs) | %.2f s (%lld runs) | %.2f s (%lld runs) | "
                  "%.2f / %.2f |\n",
                  r.variants, static_cast<long long>(r.stitches), r.exhaustive_s,
                  static_cast<long long>(r.exhaustive_runs), r.prefix_shared_s,
                  static_cast<long long>(r.prefix_shared_runs), r.estimator_s,
                  static_cast<long long>(r.estimator_runs), r.estimator_mae_points,
                  r.estimator_max_points);
    md += b;
  }
  return md +
         "\nThe paper: 468 minutes for exhaustive profiling of 10 variants, under 5 with its "
         "estimators.\n";
}

std::string Markdown(const std::vector<EvalPlatformResult>& results, bool quick, double seconds,
                     const std::string& profile_note) {
  std::string md =
      "# Results: the paper's evaluation, reproduced on the simulator\n\n"
      "Generated by `sparseloom eval --suite paper" +
      std::string(quick ? " --quick" : "") + "` in " + std::to_string(static_cast<int>(seconds)) +
      " s. **Every number here is SIMULATED** (docs/simulator.md) on " + profile_note +
      " and on the SoC models of docs/socs.md; none is a measurement of those SoCs. Workloads: "
      "every task of the bundled zoo, Poisson arrivals at 0.7 x the platform's capacity for the "
      "most accurate variants, tasks joining in every arrival order over the first half of the "
      "run, "
      "latency bounds U(2, 4) x the most accurate variant's best single-processor latency, "
      "accuracy floors 0.5-2 points under the best variant's (src/sim/eval.h).\n\n";
  md +=
      "## Against the paper's claims\n\nThe baselines serve their queues in arrival order, "
      "SparseLoom earliest deadline first with preemption points (docs/scheduling.md); the last "
      "two columns give every policy least slack first (Band's order), which shows how much of the "
      "gap is the order.\n\n"
      "| platform | violations vs `sv-lo-np` | vs best adaptive (`av-*`) | throughput vs "
      "`sv-ao-np` | weight memory vs preload-all | all least slack first: vs `sv-lo-np` | "
      "vs best `av-*` |\n"
      "|---|---|---|---|---|---|---|\n"
      "| paper (Luo et al., 2026) | -74% | -24.7% | 2.31x | -28% (within 2.7 points) | | |\n"
      "| our target | -80% | -30% | 2.5x | -35% (within 2.7 points) | | |\n";
  for (const auto& r : results) {
    const Claims c = Evaluate(r);
    char line[320];
    std::snprintf(line, sizeof line,
                  "| %s | %+.0f%% | %+.0f%% | %.2fx | %+.0f%% (%+.1f points) | %+.0f%% | %+.0f%% "
                  "|\n",
                  r.name.c_str(), -100 * c.vs_lo, -100 * c.vs_adaptive, c.thru_ratio,
                  -100 * c.mem_saving, c.mem_gap_pts, -100 * c.lsf_vs_lo,
                  -100 * c.lsf_vs_adaptive);
    md += line;
  }
  md += Shortfalls(results);
  md += "\n## SLO violation rate (mean over seeds and arrival orders)\n\n| platform |";
  md += PolicyHeader();
  for (const auto& r : results) {
    md += "| " + r.name + " |";
    for (const auto& n : PolicyNames()) md += " " + Pct(r.violation.at(n)) + " |";
    md += "\n";
  }
  if (!results.empty() && !results[0].violation_lsf.empty()) {
    md +=
        "\n## SLO violation rate with least slack first for every policy\n\n| platform |";
    md += PolicyHeader();
    for (const auto& r : results) {
      md += "| " + r.name + " |";
      for (const auto& n : PolicyNames()) md += " " + Pct(r.violation_lsf.at(n)) + " |";
      md += "\n";
    }
  }
  md +=
      "\n![violations](violations.svg)\n\n## Throughput (highest load with under 5% "
      "violations; requests/s, load factor)\n\n| platform |";
  md += PolicyHeader();
  for (const auto& r : results) {
    md += "| " + r.name + " |";
    for (const auto& n : PolicyNames()) {
      char b[64];
      std::snprintf(b, sizeof b, " %.0f (x%.2f) |", r.throughput.at(n), r.sustained_load.at(n));
      md += b;
    }
    md += "\n";
  }
  md += "\n## Memory budget (violation rate; peak resident weights)\n\n";
  for (const auto& r : results) {
    md += "**" + r.name + "** (all segments " +
          std::to_string(static_cast<int64_t>(r.all_segment_bytes / 1024)) +
          " KiB; preload-all "
          "violations " +
          Pct(r.memory_violation.at("preload-all")[0].second) +
          ")\n\n| budget | hotness | random |\n|---|---|---|\n";
    const auto& h = r.memory_violation.at("hotness");
    const auto& x = r.memory_violation.at("random");
    for (size_t i = 0; i < h.size(); ++i) {
      char b[160];
      std::snprintf(b, sizeof b, "| %.0f%% | %s (%.0f KiB) | %s (%.0f KiB) |\n", 100 * h[i].first,
                    Pct(h[i].second).c_str(), r.memory_peak_bytes.at("hotness")[i] / 1024,
                    Pct(x[i].second).c_str(), r.memory_peak_bytes.at("random")[i] / 1024);
      md += b;
    }
    md += "\n";
  }
  md +=
      "## Ablations (violation rate, budget = half the segment bytes)\n\n| platform | "
      "sparseloom | without stitching | without joint placement | without the preloader |\n"
      "|---|---|---|---|---|\n";
  for (const auto& r : results)
    md += "| " + r.name + " | " + Pct(r.ablation.at("sparseloom")) + " | " +
          Pct(r.ablation.at("without stitching")) + " | " +
          Pct(r.ablation.at("without joint placement")) + " | " +
          Pct(r.ablation.at("without the preloader")) + " |\n";
  md +=
      "\n## Placement: fixed processor orders against the optimizer (violation rate)\n\n"
      "Segment i on the i-th processor of the order (cyclically), stitches still chosen by the "
      "optimizer; workload of seed 1, first arrival order.\n\n";
  for (const auto& r : results) {
    double best = 1, worst = 0;
    std::string best_name, worst_name;
    for (const auto& [order, v] : r.placement_order) {
      if (v < best) best = v, best_name = order;
      if (v >= worst) worst = v, worst_name = order;
    }
    md += "* **" + r.name + "**: optimizer " + Pct(r.optimizer_placement) + "; " +
          std::to_string(r.placement_order.size()) + " fixed orders from " + Pct(best) + " (" +
          best_name + ") to " + Pct(worst) + " (" + worst_name + ")\n";
  }
  return md;
}

std::string ResultsJson(const std::vector<EvalPlatformResult>& results) {
  JsonWriter w;
  w.BeginObject().Key("simulated").Bool(true).Key("platforms").BeginArray();
  for (const auto& r : results) {
    w.BeginObject().Key("name").String(r.name).Key("measured_profile").Bool(r.measured);
    w.Key("runs").Int(r.runs);
    for (const auto& [key, map] :
         {std::pair{"violation_rate", &r.violation},
          std::pair{"violation_rate_all_least_slack_first", &r.violation_lsf},
          std::pair{"throughput_rps", &r.throughput},
          std::pair{"sustained_load", &r.sustained_load},
          std::pair{"ablation_violation_rate", &r.ablation},
          std::pair{"placement_order_violation_rate", &r.placement_order}}) {
      w.Key(key).BeginObject();
      for (const auto& [k, v] : *map) w.Key(k).Double(v);
      w.EndObject();
    }
    w.Key("all_segment_bytes").Double(r.all_segment_bytes);
    w.Key("memory").BeginObject();
    for (const auto& [mode, pts] : r.memory_violation) {
      w.Key(mode).BeginArray();
      for (size_t i = 0; i < pts.size(); ++i)
        w.BeginObject()
            .Key("budget_fraction")
            .Double(pts[i].first)
            .Key("violation_rate")
            .Double(pts[i].second)
            .Key("peak_bytes")
            .Double(r.memory_peak_bytes.at(mode)[i])
            .EndObject();
      w.EndArray();
    }
    w.EndObject().EndObject();
  }
  w.EndArray().EndObject();
  return w.str() + "\n";
}

}  // namespace

int RunEval(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"help", "quick", "docs", "no-profiling-cost"},
                          {"suite", "profile", "socs", "out", "dump-workload", "platform"});
  if (!args.ok()) return Fail("eval", args.status());
  if (args->Has("help") || args->Get("suite") != "paper" || !args->positional().empty()) {
    std::puts(kUsage);
    return args->Has("help") ? 0 : 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const bool quick = args->Has("quick");
  auto w = ReadWorkload("configs/workloads/default.json");
  if (!w.ok()) return Fail("eval", w.status());
  auto measured = ProfileForWorkload(*w, args->Get("profile"));
  if (!measured.ok()) return Fail("eval", measured.status());
  std::vector<EvalPlatform> platforms;
  platforms.push_back({"this machine (measured profile)", true, *measured, {}});
  namespace fs = std::filesystem;
  std::vector<std::string> socs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(args->Get("socs", "configs/socs"), ec))
    if (e.path().extension() == ".json") socs.push_back(e.path().string());
  std::sort(socs.begin(), socs.end());
  for (const std::string& path : socs) {
    auto soc = ReadSocModel(path);
    if (!soc.ok()) return Fail("eval", soc.status());
    auto prof = ModelProfile(*soc, *measured);
    if (!prof.ok()) return Fail("eval", prof.status().WithContext(path));
    EvalPlatform p{soc->name + " (model)", false, std::move(prof).value(), {}};
    p.sim.jitter = soc->jitter;
    p.sim.contention = soc->contention;
    platforms.push_back(std::move(p));
  }
  if (args->Has("platform")) {
    if (args->Has("docs"))
      return Fail("eval", InvalidArgument("--platform with --docs: docs/results.md covers every "
                                          "platform"));
    const std::string want = args->Get("platform");
    std::erase_if(platforms,
                  [&](const EvalPlatform& p) { return p.name.find(want) == std::string::npos; });
    if (platforms.empty())
      return Fail("eval", InvalidArgument("--platform " + want +
                                          ": no platform's name contains it (this machine, or "
                                          "an SoC model's name in --socs)"));
  }
  if (args->Has("dump-workload")) {  // the first drawn workload, as a workload file
    const Workload w0 = EvalWorkload(platforms[0].profile, EvalOptions{}.load, 1, {0, 1, 2});
    JsonWriter j;
    j.BeginObject().Key("name").String("eval").Key("duration_s").Double(w0.duration_s);
    j.Key("seed").Int(1).Key("tasks").BeginArray();
    for (const WorkloadTask& t : w0.tasks) {
      j.BeginObject().Key("name").String(t.name).Key("pool").String(t.pool);
      j.Key("slo").BeginObject().Key("latency_ms").Double(t.latency_ms);
      j.Key("accuracy_min").Double(t.accuracy_min).EndObject();
      j.Key("arrival").BeginObject().Key("type").String("poisson");
      j.Key("rate").Double(t.arrival.rate).EndObject();
      j.Key("start_s").Double(t.start_s).EndObject();
    }
    j.EndArray().EndObject();
    if (Status st = WriteTextFile(args->Get("dump-workload"), j.str() + "\n"); !st.ok())
      return Fail("eval", st);
  }
  EvalOptions eo;
  if (quick) {
    eo.seeds = 1;
    eo.orders = 2;
    eo.sweep = {0.2, 0.4, 0.6, 0.8, 1.0, 1.2};
    eo.budgets = {0.15, 0.5, 1.0};
    eo.target_requests = 15000;
    eo.bisections = 1;
  }
  std::vector<EvalPlatformResult> results;
  for (const EvalPlatform& p : platforms) {
    auto r = EvaluatePlatform(p, eo, [&](const std::string& what) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "\r[%5.0f s] %-70s", s, what.c_str());
    });
    if (!r.ok()) return Fail("eval", r.status().WithContext(p.name));
    results.push_back(std::move(r).value());
  }
  // Profiling time against the number of variants: real measurements on one pool.
  std::vector<ProfilingCostRow> cost;
  std::string cost_what;
  if (!args->Has("no-profiling-cost")) {
    const std::string dir = w->zoo + "/fmnist-resnet";
    auto pool = LoadPool(dir);
    if (!pool.ok()) return Fail("eval", pool.status());
    const std::vector<int> ns =
        quick ? std::vector<int>{2, 4, 6} : std::vector<int>{2, 4, 6, 8, 11};
    const int64_t samples = quick ? 250 : 500;
    std::fprintf(stderr, "\rprofiling time: %s, K = 2, %lld inputs%40s", dir.c_str(),
                 static_cast<long long>(samples), "");
    auto rows = MeasureProfilingCost(*pool, 2, ns, samples);
    if (!rows.ok()) return Fail("eval", rows.status());
    cost = std::move(rows).value();
    cost_what = "Pool `fmnist-resnet` (its first n variants), K = 2, the first " +
                std::to_string(samples) + " validation inputs, batch 250, one thread.";
  }
  std::fprintf(stderr, "\n");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string out = args->Get("out", "eval-out");
  fs::create_directories(out, ec);
  const std::string note =
      "this machine's measured profile (" + measured->machine.cpu + ", " + measured->created + ")";
  const std::string md =
      Markdown(results, quick, seconds, note) + ProfilingMarkdown(cost, cost_what);
  for (const auto& [file, text] :
       {std::pair{out + "/results.json", ResultsJson(results)},
        std::pair{out + "/violations.svg", Svg(results)}, std::pair{out + "/results.md", md}})
    if (Status st = WriteTextFile(file, text); !st.ok()) return Fail("eval", st);
  if (args->Has("docs")) {
    for (const auto& [file, text] : {std::pair{std::string("docs/results.md"), md},
                                     std::pair{std::string("docs/violations.svg"), Svg(results)}})
      if (Status st = WriteTextFile(file, text); !st.ok()) return Fail("eval", st);
  }
  std::printf("%s", md.c_str());
  std::printf(
      "\neval: %d platforms in %.1f s (SIMULATED); wrote %s/results.{json,md}, "
      "violations.svg\n",
      static_cast<int>(results.size()), seconds, out.c_str());
  return 0;
}

}  // namespace sl::cli

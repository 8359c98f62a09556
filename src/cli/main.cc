// `sparseloom`: the command-line tool. One file per subcommand.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/args.h"

namespace {

void PrintUsage() {
  std::puts(
      "usage: sparseloom <command> [options]\n"
      "\n"
      "commands:\n"
      "  inspect MODEL.onnx [--json]            ops, parameters, FLOPs, weight sparsity\n"
      "  run-model MODEL.onnx [--input X.npy]... [--output OUT.npy] [--threads N] [--repeat R]\n"
      "                                         run a model end to end and time it\n"
      "  conformance [--backend cpu|ref] [--filter S] [--verbose] [--force-sparse]\n"
      "                                         run the ONNX node tests for supported ops\n"
      "  pool zoo/TASK [--segments K] [--cuts A,B]\n"
      "                                         valid cuts, chosen cuts, segments, stitches\n"
      "  profile --zoo DIR [--tasks ...] [--segments K] [--processors cpu0,cpu1,cpu01]\n"
      "          [--accuracy exact|estimate] -o profile.json\n"
      "                                         measure latency and stitch accuracy per pool\n"
      "  pareto profile.json --task T [--processor P] [--svg out.svg]\n"
      "                                         accuracy-latency front of the stitches\n"
      "  run --workload W.json [--policy NAME|all] [--profile P.json] [--json out.json]\n"
      "                                         serve a multi-task workload in real time\n"
      "  demo                                   the default workload under every policy\n"
      "  simulate --workload W.json [--profile P.json] [--policy NAME|all]\n"
      "                                         the same policies on a virtual clock\n"
      "  eval --suite paper [--quick] [--docs]  the paper's evaluation on the simulator\n"
      "\n"
      "`sparseloom <command> --help` describes each command.");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "inspect") return sl::cli::RunInspect(argc - 2, argv + 2);
  if (cmd == "run-model") return sl::cli::RunRunModel(argc - 2, argv + 2);
  if (cmd == "conformance") return sl::cli::RunConformance(argc - 2, argv + 2);
  if (cmd == "pool") return sl::cli::RunPool(argc - 2, argv + 2);
  if (cmd == "profile") return sl::cli::RunProfile(argc - 2, argv + 2);
  if (cmd == "pareto") return sl::cli::RunPareto(argc - 2, argv + 2);
  if (cmd == "run") return sl::cli::RunRun(argc - 2, argv + 2);
  if (cmd == "demo") return sl::cli::RunDemo(argc - 2, argv + 2);
  if (cmd == "simulate") return sl::cli::RunSimulate(argc - 2, argv + 2);
  if (cmd == "eval") return sl::cli::RunEval(argc - 2, argv + 2);
  std::fprintf(stderr, "sparseloom: unknown command '%s' (try --help)\n", cmd.c_str());
  return 2;
}

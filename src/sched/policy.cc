#include "sched/policy.h"

namespace sl {

const std::vector<std::string>& PolicyNames() {
  static const std::vector<std::string> kNames = {"sparseloom", "sv-ao-np", "sv-ao-p", "sv-lo-np",
                                                  "sv-lo-p",    "av-np",    "av-p"};
  return kNames;
}

Result<Policy> MakePolicy(const std::string& name, const PolicyOptions& options) {
  Policy p;
  p.name = name;
  DispatcherConfig dc;
  dc.order = options.order;
  dc.unmeetable = options.unmeetable;
  dc.load_bandwidth_bytes_per_us = options.load_bandwidth_bytes_per_us;
  dc.pick = OptionPick::kEarliestFinish;
  PreloaderConfig pc;
  pc.mode = PreloadMode::kChoiceOrder;
  const bool partitioned = name.size() > 2 && name.compare(name.size() - 2, 2, "-p") == 0;
  const PlacementFamily family =
      partitioned ? PlacementFamily::kRoundRobin : PlacementFamily::kSingle;
  if (name == "sparseloom") {
    p.optimizer = std::make_unique<JointOptimizer>(JointOptimizerConfig{}, name);
    dc.pick = OptionPick::kEarliestFinish;  // docs/scheduling.md: why not rank order
    pc.mode = PreloadMode::kHotness;
  } else if (name == "sv-ao-np" || name == "sv-ao-p") {
    p.optimizer =
        std::make_unique<SingleVariantOptimizer>(VariantRule::kMostAccurate, family, name);
  } else if (name == "sv-lo-np" || name == "sv-lo-p") {
    p.optimizer =
        std::make_unique<SingleVariantOptimizer>(VariantRule::kFastestMeetingFloor, family, name);
  } else if (name == "av-np" || name == "av-p") {
    JointOptimizerConfig jc;
    jc.plain_variants_only = true;
    jc.placements = family;
    p.optimizer = std::make_unique<JointOptimizer>(jc, name);
  } else {
    std::string known;
    for (const auto& n : PolicyNames()) known += (known.empty() ? "" : ", ") + n;
    return NotFound("unknown policy '" + name + "' (known: " + known + ")");
  }
  p.dispatcher = Dispatcher(dc);
  p.preloader = Preloader(pc);
  return p;
}

}  // namespace sl

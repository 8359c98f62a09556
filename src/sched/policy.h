// The policy registry: a name -> optimizer + dispatcher + preloader (docs/scheduling.md).
//
//   sparseloom  stitching + joint optimizer + earliest-finish dispatch over its options + hotness
//               preloader
//   sv-ao-np    most accurate plain variant, whole model on one processor (least loaded at
//   dispatch) sv-ao-p     most accurate plain variant, segment i on alive processor i mod A
//   sv-lo-np    fastest plain variant meeting the floor (else fastest), one processor
//   sv-lo-p     same, partitioned i mod A
//   av-np       joint optimizer over plain variants only, whole model on one processor
//   av-p        joint optimizer over plain variants only, partitioned i mod A
// Baselines dispatch earliest-finish (Band-style HEFT) and preload in choice order.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "sched/dispatcher.h"
#include "sched/optimizer.h"
#include "sched/preloader.h"

namespace sl {

struct Policy {
  std::string name;
  std::unique_ptr<Optimizer> optimizer;
  Dispatcher dispatcher;
  Preloader preloader;
};

// Dispatcher settings shared by every policy (the comparison keeps them equal).
struct PolicyOptions {
  // Which pending request a free processor serves first; unset: the policy's own (earliest
  // deadline first for `sparseloom`, arrival order for the baselines).
  std::optional<RequestOrder> order;
  OnUnmeetable unmeetable = OnUnmeetable::kReject;
  double load_bandwidth_bytes_per_us = 1000.0;
};

const std::vector<std::string>& PolicyNames();
// SparseLoom's own optimizer and preloader settings (MakePolicy and the evaluation's variants).
JointOptimizerConfig SparseLoomOptimizerConfig();
PreloaderConfig SparseLoomPreloaderConfig();
// Fails naming the unknown policy and listing the known ones.
[[nodiscard]] Result<Policy> MakePolicy(const std::string& name, const PolicyOptions& options = {});

}  // namespace sl

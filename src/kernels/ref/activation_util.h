// The fused activation that fusion passes attach to Conv / Gemm / MatMul (see graph/graph.h):
//   "_act" = "" | "Relu" | "Clip", with "_act_min" / "_act_max" bounds for Clip
// (absent bounds mean -inf / +inf). Every kernel of those ops, optimized or not, applies it to its
// output. Nothing here allocates on success.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/status.h"
#include "graph/graph.h"
#include "graph/infer_st_window.h"

namespace sl {

struct FusedActivation {
  enum class Kind { kNone, kRelu, kClip };
  Kind kind = Kind::kNone;
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();

  // Reads the fused-activation attributes of `node`; fails on an unknown "_act".
  static Result<FusedActivation> FromNode(const Node& node) {
    FusedActivation a;
    std::string_view act = AttrString(node.attrs, "_act");
    if (act.empty()) return a;
    if (act == "Relu") {
      a.kind = Kind::kRelu;
      return a;
    }
    if (act == "Clip") {
      a.kind = Kind::kClip;
      a.min = AttrFloat(node.attrs, "_act_min", a.min);
      a.max = AttrFloat(node.attrs, "_act_max", a.max);
      return a;
    }
    return Unsupported("node '" + node.name + "': unknown fused activation _act='" +
                       std::string(act) + "'");
  }

  float Apply(float x) const {
    switch (kind) {
      case Kind::kNone:
        return x;
      case Kind::kRelu:
        return x < 0.f ? 0.f : x;
      case Kind::kClip:
        return std::min(std::max(x, min), max);
    }
    return x;
  }
};

// Applies the node's fused activation in place to data[0, n).
[[nodiscard]] inline Status ApplyFusedActivation(const Node& node, float* data, int64_t n) {
  SL_ASSIGN_OR_RETURN(FusedActivation act, FusedActivation::FromNode(node));
  if (act.kind == FusedActivation::Kind::kNone) return Status::Ok();
  for (int64_t i = 0; i < n; ++i) data[i] = act.Apply(data[i]);
  return Status::Ok();
}

}  // namespace sl

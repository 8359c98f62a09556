// Inner loops of the batch-1 fully-connected path, one per SIMD level.
//
// Weights are packed in panels of kGemvPanel outputs: panel p holds, for k = 0..K-1, the values
// W[k][p*16 .. p*16+15] contiguously (zero beyond N), 64-byte aligned. `bias` has one value per
// output padded to a multiple of kGemvPanel. Each function computes
//   y[n] = act(bias[n] + sum_k x[k] * W[k][n])   for the outputs of panels [panel_begin, panel_end)
// writing only n < N.
#pragma once

#include <cstdint>

#include "kernels/dense/cpu_features.h"

namespace sl::dense {

inline constexpr int64_t kGemvPanel = 16;

// Activation bounds as a clamp: Relu is [0, inf), none is (-inf, inf).
struct GemvClamp {
  float lo, hi;
};

struct GemvArgs {
  const float* x;
  const float* packed;
  const float* bias;
  float* y;
  int64_t k, n;
  GemvClamp clamp;
};

using GemvPanelsFn = void (*)(const GemvArgs& a, int64_t panel_begin, int64_t panel_end);

void GemvPanelsScalar(const GemvArgs& a, int64_t panel_begin, int64_t panel_end);
void GemvPanelsAvx2(const GemvArgs& a, int64_t panel_begin, int64_t panel_end);
void GemvPanelsAvx512(const GemvArgs& a, int64_t panel_begin, int64_t panel_end);

GemvPanelsFn GemvPanelsFor(SimdLevel level);

}  // namespace sl::dense

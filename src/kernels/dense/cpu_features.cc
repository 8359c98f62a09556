#include "kernels/dense/cpu_features.h"

#include <algorithm>
#include <atomic>

namespace sl::dense {
namespace {
// -1: not forced; otherwise the forced SimdLevel value.
std::atomic<int> g_forced_level{-1};
}  // namespace

std::string_view SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return "avx512";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kScalar:
      return "scalar";
  }
  return "scalar";
}

SimdLevel DetectSimdLevel() {
  static const SimdLevel level = [] {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SimdLevel::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
#endif
    return SimdLevel::kScalar;
  }();
  return level;
}

SimdLevel ActiveSimdLevel() {
  const int forced = g_forced_level.load(std::memory_order_relaxed);
  const SimdLevel detected = DetectSimdLevel();
  if (forced < 0) return detected;
  return static_cast<SimdLevel>(std::min(forced, static_cast<int>(detected)));
}

int ChannelBlock() {
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512:
      return 16;
    case SimdLevel::kAvx2:
      return 8;
    case SimdLevel::kScalar:
      break;
  }
  return 0;
}

void ForceSimdLevelForTesting(std::optional<SimdLevel> level) {
  g_forced_level.store(level ? static_cast<int>(*level) : -1, std::memory_order_relaxed);
}

}  // namespace sl::dense

// Runtime SIMD dispatch levels for the hand-written dense kernels.
#pragma once

#include <optional>
#include <string_view>

namespace sl::dense {

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

std::string_view SimdLevelName(SimdLevel level);
// The best level this CPU supports (AVX2 requires FMA too); cached after the first call.
SimdLevel DetectSimdLevel();
// The level kernels created from now on use: the forced level (clamped to what the CPU
// supports) when set, else DetectSimdLevel(). Thread-safe.
SimdLevel ActiveSimdLevel();
// Channels per block of the blocked activation layout the dense convolutions prefer at the active
// level: 16 (AVX-512), 8 (AVX2), 0 (scalar: no blocked layout).
int ChannelBlock();
// Test hook: forces the dispatch level of kernels created afterwards; nullopt restores detection.
void ForceSimdLevelForTesting(std::optional<SimdLevel> level);

}  // namespace sl::dense

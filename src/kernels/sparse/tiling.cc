#include "kernels/sparse/tiling.h"

#include <algorithm>

namespace sl::sparse {

int64_t MaxThreadColumns(int64_t cols, int64_t images, int threads, int64_t tile) {
  if (cols <= 0 || images <= 0 || tile <= 0) return 0;
  threads = std::max(threads, 1);
  const int64_t tiles = (cols + tile - 1) / tile, items = images * tiles;
  auto width = [&](int64_t item) { return std::min(tile, cols - item % tiles * tile); };
  int64_t most = 0;
  for (int t = 0; t < threads; ++t) {
    int64_t sum = 0;
    for (int64_t i = items * t / threads; i < items * (t + 1) / threads; ++i) sum += width(i);
    most = std::max(most, sum);
  }
  return most;
}

int64_t BalancedTile(int64_t cols, int64_t images, int threads, int64_t max_tile, int64_t quantum,
                     int64_t min_tile) {
  if (threads <= 1 || cols <= 0 || images <= 0 || max_tile <= 0 || quantum <= 0) return max_tile;
  int64_t best = max_tile, best_load = MaxThreadColumns(cols, images, threads, max_tile);
  const int64_t fewest = (cols + max_tile - 1) / max_tile;
  // With 16 items per thread or more, the busiest thread has at most about 6 % more than its share.
  if (images * fewest >= 16 * static_cast<int64_t>(threads)) return max_tile;
  // Tile counts per image from the fewest up to twice that: each raised to the next count whose
  // items divide evenly among the threads.
  for (int64_t tiles = fewest; tiles <= 2 * fewest + threads; ++tiles) {
    if (images * tiles % threads != 0) continue;
    const int64_t tile = ((cols + tiles - 1) / tiles + quantum - 1) / quantum * quantum;
    if (tile < min_tile || tile > max_tile) continue;
    const int64_t load = MaxThreadColumns(cols, images, threads, tile);
    if (load < best_load) {
      best = tile;
      best_load = load;
    }
  }
  return best;
}

}  // namespace sl::sparse

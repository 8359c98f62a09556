// How the sparse kernels cut an image's output columns into tiles for their threads.
#pragma once

#include <cstdint>

namespace sl::sparse {

// The most columns any one of `threads` threads runs when `images` images of `cols` columns each
// are cut into tiles of `tile` columns (the last tile of an image possibly narrower) and the
// (image, tile) items are dealt out in contiguous runs, items * t / threads onwards for thread t
// (as the sparse Conv's Execute deals them).
int64_t MaxThreadColumns(int64_t cols, int64_t images, int threads, int64_t tile);

// A tile width for `images` images of `cols` columns on `threads` threads: `max_tile`, unless a
// narrower one (a multiple of `quantum`, at least `min_tile`) gives the busiest thread fewer
// columns. Tile counts whose items split evenly over the threads are tried, from the fewest; with
// 16 or more items per thread at `max_tile` it is kept.
// Example: 196 columns on 2 threads with max_tile 128 give tiles 128 + 68 (one thread does 65 %
// of the work); 104 + 92 instead.
int64_t BalancedTile(int64_t cols, int64_t images, int threads, int64_t max_tile, int64_t quantum,
                     int64_t min_tile);

}  // namespace sl::sparse

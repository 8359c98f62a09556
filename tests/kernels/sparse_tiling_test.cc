// Tile widths of the sparse kernels (kernels/sparse/tiling.h): how the columns fall on the threads.
#include <gtest/gtest.h>

#include "kernels/sparse/tiling.h"

namespace sl::sparse {
namespace {

TEST(SparseTiling, MaxThreadColumnsCountsTheBusiestThread) {
  // 196 columns in tiles of 128: 128 on one thread, 68 on the other.
  EXPECT_EQ(MaxThreadColumns(196, 1, 2, 128), 128);
  // 3 images of 100 in tiles of 64 (64 + 36 each), 6 items: 64 + 36 + 64 on thread 0.
  EXPECT_EQ(MaxThreadColumns(100, 3, 2, 64), 164);
  EXPECT_EQ(MaxThreadColumns(196, 1, 1, 64), 196);
  EXPECT_EQ(MaxThreadColumns(10, 1, 4, 64), 10);  // fewer items than threads
  EXPECT_EQ(MaxThreadColumns(0, 1, 2, 64), 0);
}

TEST(SparseTiling, BalancedTileEvensOutTheThreads) {
  // ResNet-50 layer3 1x1 (14 x 14): 104 + 92 instead of 128 + 68.
  EXPECT_EQ(BalancedTile(196, 1, 2, 128, 8, 32), 104);
  // A 56 x 56 conv on its padded grid (55 * 58 + 56 positions), tiles of at most 256: 13 tiles
  // leave one thread 7 of them (1,792 positions); 14 of 232 give 1,624 and 1,622.
  EXPECT_EQ(BalancedTile(3246, 1, 2, 256, 8, 64), 232);
  EXPECT_EQ(MaxThreadColumns(3246, 1, 2, 232), 1624);
  // 28 x 28 in tiles of 256 (3 whole + 16): 200 each.
  EXPECT_EQ(BalancedTile(784, 1, 2, 256, 8, 32), 200);
}

TEST(SparseTiling, BalancedTileKeepsTheTileWhenNothingIsGained) {
  EXPECT_EQ(BalancedTile(256, 1, 2, 128, 8, 32), 128);  // already even
  EXPECT_EQ(BalancedTile(196, 1, 1, 128, 8, 32), 128);  // one thread
  EXPECT_EQ(BalancedTile(196, 4, 2, 128, 8, 32), 128);  // 8 items, 4 per thread
  // Many items: a thread's extra is small, and large images are not searched.
  EXPECT_EQ(BalancedTile(1000 * 1000, 1, 2, 256, 8, 64), 256);
  // An even split would need tiles under min_tile.
  EXPECT_EQ(BalancedTile(70, 1, 2, 64, 8, 64), 64);
  // Degenerate sizes are returned as they came.
  EXPECT_EQ(BalancedTile(0, 1, 2, 64, 8, 32), 64);
  EXPECT_EQ(BalancedTile(100, 1, 2, 64, 0, 32), 64);
}

}  // namespace
}  // namespace sl::sparse

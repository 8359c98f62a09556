// Rows of the sparse Conv's padded grid (sparse_conv.cc, PadInput): `rows` rows of `width` floats,
// dst + r * ld_dst for row r, each `lo` zeros, then n values of the input read `stride` floats
// apart from src + r * ld_src, then zeros to the row's end:
//
//   dst[r * ld_dst + lo + j] = src[r * ld_src + j * stride]   for j < n
//   dst[r * ld_dst + c] = 0                                   for c < lo or lo + n <= c < width
//
// (0 <= lo, lo + n <= width; stride >= 1.) Whole runs of rows per call. Portable: a memcpy per row
// (a loop for strides) and its few zeros inline. AVX-512, rows of at most one vector read at
// stride 1 (the grids of 14x14 and 7x7 layers): one masked load and one masked store per row,
// 2.2-2.4x faster than a memcpy per row (AMD Zen 5, 1024 x 14 and 4096 x 7 rows). Wider rows
// at stride 1 measured no faster with vector loads (their copy is bound by memory), so they stay
// portable. Stride 2 (the phases of stride-2 convolutions), any width: the even lanes of two
// loads by one permute per 16 values (ResNet-50's stride-2 layers 1.04-1.23x faster with warm
// inputs; no difference measurable in the whole model, where their inputs come from L3).
#pragma once

#include <cstdint>

#include "kernels/dense/cpu_features.h"

namespace sl::sparse {

struct PadRowsArgs {
  const float* src = nullptr;
  int64_t ld_src = 0, stride = 1, n = 0;
  float* dst = nullptr;
  int64_t ld_dst = 0, lo = 0, width = 0, rows = 0;
};

using PadRowsFn = void (*)(const PadRowsArgs& a);

void PadRowsPortable(const PadRowsArgs& a);
void PadRowsAvx512(const PadRowsArgs& a);

PadRowsFn PadRowsFor(dense::SimdLevel level);

}  // namespace sl::sparse

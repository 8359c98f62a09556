// Activation quantization for the INT8 kernels: float32 -> int8 / uint8 exactly as QuantizeValue
// (division by the scale, round half to even, zero point, saturation, NaN -> 0), with an AVX-512
// path chosen at run time and a scalar one everywhere else.
#include <immintrin.h>

#include <algorithm>

#include "kernels/dense/cpu_features.h"
#include "kernels/quant/quant.h"

namespace sl {
namespace {

template <typename T>
void QuantizeScalar(const float* src, int64_t n, const QuantInput& q, T* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(QuantizeValue(src[i], q));
}

// The same steps on 16 lanes: every intermediate is exact (integral floats below 2^24 before
// the clamp), so the result is bit-identical to QuantizeValue.
__attribute__((target("avx512f"))) void QuantizeAvx512(const float* src, int64_t n,
                                                       const QuantInput& q, void* dst) {
  const __m512 scale = _mm512_set1_ps(q.scale);
  const __m512 zp = _mm512_set1_ps(static_cast<float>(q.zero_point));
  const __m512 lo = _mm512_set1_ps(static_cast<float>(q.lowest()));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(q.highest()));
  // Masked forms with an all-ones mask: GCC 12 warns on the unmasked ones' undefined operand.
  constexpr __mmask16 kAll = 0xFFFF;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 scaled = _mm512_div_ps(_mm512_loadu_ps(src + i), scale);
    const __mmask16 ordered = _mm512_cmp_ps_mask(scaled, scaled, _CMP_ORD_Q);
    __m512 r = _mm512_add_ps(
        _mm512_maskz_roundscale_ps(kAll, scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
        zp);
    r = _mm512_maskz_min_ps(kAll, _mm512_maskz_max_ps(kAll, r, lo), hi);
    const __m512i v = _mm512_maskz_cvtps_epi32(ordered, r);  // NaN lanes -> 0
    if (q.is_signed) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<int8_t*>(dst) + i),
                       _mm512_maskz_cvtsepi32_epi8(kAll, v));
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<uint8_t*>(dst) + i),
                       _mm512_maskz_cvtusepi32_epi8(kAll, v));
    }
  }
  if (q.is_signed) {
    QuantizeScalar(src + i, n - i, q, static_cast<int8_t*>(dst) + i);
  } else {
    QuantizeScalar(src + i, n - i, q, static_cast<uint8_t*>(dst) + i);
  }
}

template <typename T>
void ToChannelsLast(const float* src, int64_t batch, int64_t channels, int64_t plane,
                    const QuantInput& q, T* dst) {
  // 1. Quantize a tile of one channel's plane into a small buffer (SIMD, contiguous reads).
  // 2. Scatter the tile into the channels-last output (stride `channels`).
  constexpr int64_t kTile = 256;
  T tile[kTile];
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* row = src + (b * channels + c) * plane;
      T* out = dst + b * channels * plane + c;
      for (int64_t p0 = 0; p0 < plane; p0 += kTile) {
        const int64_t len = std::min(kTile, plane - p0);
        QuantizeRow(row + p0, len, q, tile);
        for (int64_t p = 0; p < len; ++p) out[(p0 + p) * channels] = tile[p];
      }
    }
  }
}

}  // namespace

void QuantizeRow(const float* src, int64_t n, const QuantInput& q, void* dst) {
  if (dense::ActiveSimdLevel() == dense::SimdLevel::kAvx512) {
    QuantizeAvx512(src, n, q, dst);
  } else if (q.is_signed) {
    QuantizeScalar(src, n, q, static_cast<int8_t*>(dst));
  } else {
    QuantizeScalar(src, n, q, static_cast<uint8_t*>(dst));
  }
}

void QuantizeToChannelsLast(const float* src, int64_t batch, int64_t channels, int64_t plane,
                            const QuantInput& q, void* dst) {
  if (q.is_signed) {
    ToChannelsLast(src, batch, channels, plane, q, static_cast<int8_t*>(dst));
  } else {
    ToChannelsLast(src, batch, channels, plane, q, static_cast<uint8_t*>(dst));
  }
}

}  // namespace sl

// Branch-free float math that GCC auto-vectorises (no libm calls), for the loops of the fast CPU
// kernels, plus SL_CPU_CLONES, which compiles a loop once per SIMD level with run-time dispatch.
//
// Accuracy against the double-precision reference kernels, over the whole float range:
//   Exp      ~1 ulp (Cephes polynomial); 0 below -87.3, +inf above 88.72, NaN stays NaN
//   Sigmoid  ~2 ulp;  Tanh  ~2 ulp (odd Taylor polynomial below |x| = 0.125)
//   Erf      absolute error <= 4e-7 (odd Taylor polynomial below |x| = 0.5, Abramowitz & Stegun
//            7.1.26 above)
//   Gelu     absolute error about |x| * 1.5e-7 (erf form: Phi from erfc, Abramowitz & Stegun
//            7.1.26); GeluTanh as the spec's tanh form; both -0 where Phi underflows (-inf too)
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/clones.h"

namespace sl::cpu {

inline float Select(bool c, float a, float b) { return c ? a : b; }

// 2^n for integer-valued n in [-126, 127] (a normal float).
inline float Pow2(float n) { return std::bit_cast<float>(static_cast<int32_t>(n + 127.f) << 23); }

inline float Exp(float x) {
  constexpr float kLo = -87.33654f, kHi = 88.72283f;
  float xc = std::min(std::max(x, kLo), kHi);
  xc = Select(x != x, 0.f, xc);  // keeps the float -> int conversion below defined
  // n = round(x / ln 2) through the 1.5 * 2^23 trick (no libm, vectorisable).
  const float n = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;
  const float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  // n is in [-126, 128]: split 2^n into two normal factors.
  const float half = (n * 0.5f + 12582912.f) - 12582912.f;  // round(n / 2)
  float y = p * Pow2(half) * Pow2(n - half);
  y = Select(x < kLo, 0.f, y);
  y = Select(x > kHi, std::numeric_limits<float>::infinity(), y);
  return Select(x != x, x, y);
}

inline float Sigmoid(float x) { return 1.f / (1.f + Exp(-x)); }

inline float Tanh(float x) {
  const float a = std::fabs(x);
  const float x2 = x * x;
  // tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - ...
  const float small =
      x *
      (1.f + x2 * (-1.f / 3.f + x2 * (2.f / 15.f + x2 * (-17.f / 315.f + x2 * (62.f / 2835.f)))));
  const float large = std::copysign(1.f - 2.f / (Exp(2.f * a) + 1.f), x);
  return Select(a < 0.125f, small, Select(x != x, x, large));
}

// erfc(a) for a >= 0 (or NaN), Abramowitz & Stegun 7.1.26: t = 1 / (1 + p a), a degree-5
// polynomial in t times exp(-a^2); absolute error <= 1.5e-7.
inline float Erfc(float a) {
  const float t = 1.f / (1.f + 0.3275911f * a);
  float q = 1.061405429f;
  q = q * t - 1.453152027f;
  q = q * t + 1.421413741f;
  q = q * t - 0.284496736f;
  q = q * t + 0.254829592f;
  return q * t * Exp(-a * a);
}

inline float Erf(float x) {
  const float a = std::fabs(x);
  const float x2 = x * x;
  // erf x = 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320 + x^13/9360 - ...)
  float s = -1.f / 75600.f;
  s = s * x2 + 1.f / 9360.f;
  s = s * x2 - 1.f / 1320.f;
  s = s * x2 + 1.f / 216.f;
  s = s * x2 - 1.f / 42.f;
  s = s * x2 + 1.f / 10.f;
  s = s * x2 - 1.f / 3.f;
  s = s * x2 + 1.f;
  const float small = 1.12837916709551257f * x * s;
  const float large = std::copysign(1.f - Erfc(a), x);
  return Select(a < 0.5f, small, Select(x != x, x, large));
}

// x * Phi(x), Phi the standard normal CDF. Phi(-|x|) = erfc(|x| / sqrt 2) / 2 straight from the
// Abramowitz & Stegun 7.1.26 form (absolute error <= 1.5e-7 on erfc), so the left tail does not
// cancel as 1 + erf would; one exp and one division per element.
inline float Gelu(float x) {
  const float tail = 0.5f * Erfc(std::fabs(x) * 0.70710678118654752f);  // Phi(-|x|)
  const float phi = Select(x < 0.f, tail, 1.f - tail);
  return Select(phi == 0.f, -0.f, x * phi);
}

// The spec's tanh form: x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) / 2.
inline float GeluTanh(float x) {
  const float phi = 0.5f * (1.f + Tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  return Select(phi == 0.f, -0.f, x * phi);
}

}  // namespace sl::cpu

#include "arith.h"

#include <algorithm>

namespace dnnvp {

std::int32_t saturate(std::int64_t v, QuantType t) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, t.min(), t.max()));
}

const char* to_string(Rounding rounding) {
  return rounding == Rounding::HalfEven ? "half_even" : "half_up";
}

std::int64_t rounding_shift_right(std::int64_t v, int shift, Rounding rounding) {
  if (shift == 0) return v;
  // Arithmetic shift (floor) after adding half: ties go up, for negative values too. Half to even adds
  // one less, plus bit `shift` of v (the floor's lowest bit), so only a tie with an odd floor goes up:
  // the one adder of the RTL's output stage.
  const std::int64_t half = std::int64_t{1} << (shift - 1);
  if (rounding == Rounding::HalfUp) return (v + half) >> shift;
  return (v + half - 1 + ((v >> shift) & 1)) >> shift;
}

std::int64_t scale_activated(std::int64_t v, std::int64_t multiplier, int shift, Activation act,
                             int leaky_shift, Rounding rounding) {
  if (v < 0 && act == Activation::Relu) return 0;
  if (v < 0 && act == Activation::LeakyRelu) shift += leaky_shift;
  return rounding_shift_right(v * multiplier, shift, rounding);
}

std::int32_t requantize(std::int64_t acc, Requant rq, Activation act, int leaky_shift,
                        std::int32_t out_zero_point, QuantType out, Rounding rounding) {
  return saturate(scale_activated(acc, rq.multiplier, rq.shift, act, leaky_shift, rounding) + out_zero_point,
                  out);
}

std::int64_t wrap_to_bits(std::int64_t v, int bits) {
  if (bits >= 64) return v;
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  const std::uint64_t u = static_cast<std::uint64_t>(v) & mask;
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>(u ^ sign) - static_cast<std::int64_t>(sign);
}

std::int64_t round_quotient(std::int64_t q, std::int64_t r, std::int64_t count, Rounding rounding) {
  // 2r against count says below, at or above the halfway point.
  const std::int64_t twice_r = 2 * r;
  if (twice_r > count) return q + 1;
  if (twice_r < count) return q;
  return rounding == Rounding::HalfUp ? q + 1 : q + (q & 1);
}

std::int32_t rounded_average(std::int64_t sum, std::int64_t count, Rounding rounding) {
  // q = floor(sum / count) (floor division for negative sums too), r = sum - q * count in 0..count-1.
  std::int64_t q = sum / count;
  if (sum % count != 0 && sum < 0) --q;
  return static_cast<std::int32_t>(round_quotient(q, sum - q * count, count, rounding));
}

std::int64_t divide_pool_sum(std::int64_t sum, std::uint32_t count, std::uint32_t magic, unsigned shift,
                             Rounding rounding) {
  const std::uint64_t magnitude = static_cast<std::uint64_t>(sum < 0 ? -sum : sum);
  const auto q_abs = static_cast<std::int64_t>((magnitude * magic) >> shift);
  const std::int64_t r_abs = static_cast<std::int64_t>(magnitude) - q_abs * count;
  std::int64_t q = q_abs;
  std::int64_t r = r_abs;
  if (sum < 0) {
    q = r_abs == 0 ? -q_abs : -q_abs - 1;
    r = r_abs == 0 ? 0 : count - r_abs;
  }
  return round_quotient(q, r, count, rounding);
}

std::int32_t pool_average(std::int64_t sum, std::int64_t count, std::int32_t zero_point, Rounding rounding) {
  return zero_point + rounded_average(sum - count * zero_point, count, rounding);
}

std::int64_t add_scaled(std::int32_t a, std::int32_t za, std::int32_t b, std::int32_t zb, AddParams p,
                        Activation act, int leaky_shift, Rounding rounding) {
  const std::int64_t sum = std::int64_t{a - za} * p.multiplier_a + std::int64_t{b - zb} * p.multiplier_b;
  return scale_activated(sum, 1, p.shift, act, leaky_shift, rounding);
}

std::int32_t add_elements(std::int32_t a, std::int32_t za, std::int32_t b, std::int32_t zb, AddParams p,
                          Activation act, int leaky_shift, std::int32_t out_zero_point, QuantType out,
                          Rounding rounding) {
  return saturate(add_scaled(a, za, b, zb, p, act, leaky_shift, rounding) + out_zero_point, out);
}

}  // namespace dnnvp

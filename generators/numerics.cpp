#include "numerics.h"

#include <algorithm>
#include <string>

#include "error.h"

namespace dnnvp {

std::int32_t saturate(std::int64_t v, QuantType t) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, t.min(), t.max()));
}

std::int64_t rounding_shift_right(std::int64_t v, int shift) {
  if (shift == 0) return v;
  // Arithmetic shift (floor) after adding half: ties go up, for negative values too.
  return (v + (std::int64_t{1} << (shift - 1))) >> shift;
}

void check_requant(Requant rq, Activation act, int leaky_shift) {
  if (rq.multiplier < 0)
    throw Error("requantisation multiplier must be 0..2^31-1, got " + std::to_string(rq.multiplier));
  const int extra = act == Activation::LeakyRelu ? leaky_shift : 0;
  if (rq.shift < 0 || rq.shift + extra > kMaxShift)
    throw Error("requantisation shift must be 0.." + std::to_string(kMaxShift - extra) + ", got " +
                std::to_string(rq.shift));
}

std::int64_t scale_activated(std::int64_t v, std::int64_t multiplier, int shift, Activation act,
                             int leaky_shift) {
  if (v < 0 && act == Activation::Relu) return 0;
  if (v < 0 && act == Activation::LeakyRelu) shift += leaky_shift;
  return rounding_shift_right(v * multiplier, shift);
}

std::int32_t requantize(std::int64_t acc, Requant rq, Activation act, int leaky_shift,
                        std::int32_t out_zero_point, QuantType out) {
  return saturate(scale_activated(acc, rq.multiplier, rq.shift, act, leaky_shift) + out_zero_point, out);
}

std::int32_t rounded_average(std::int64_t sum, std::int64_t count) {
  // floor((2 * sum + count) / (2 * count)) with floor division for negative sums.
  const std::int64_t num = 2 * sum + count;
  const std::int64_t den = 2 * count;
  std::int64_t q = num / den;
  if ((num % den != 0) && (num < 0)) --q;
  return static_cast<std::int32_t>(q);
}

std::int64_t add_scaled(std::int32_t a, std::int32_t za, std::int32_t b, std::int32_t zb, AddParams p,
                        Activation act, int leaky_shift) {
  const std::int64_t sum = std::int64_t{a - za} * p.multiplier_a + std::int64_t{b - zb} * p.multiplier_b;
  return scale_activated(sum, 1, p.shift, act, leaky_shift);
}

std::int32_t add_elements(std::int32_t a, std::int32_t za, std::int32_t b, std::int32_t zb, AddParams p,
                          Activation act, int leaky_shift, std::int32_t out_zero_point, QuantType out) {
  return saturate(add_scaled(a, za, b, zb, p, act, leaky_shift) + out_zero_point, out);
}

}  // namespace dnnvp

// The integer arithmetic every part of dnn-vp implements (docs/numerics.md): the golden model, the
// generators' engine model, the "fast" engine (models/engine_fast/), the firmware's CPU-side operations and
// the RTL agree with these functions bit for bit. No other project library: the generators and the
// platform's models both link it (dnnvp_arith).
#pragma once

#include <cstdint>

namespace dnnvp {

// A layer's activation, applied by the output stage (requantize) and the add.
enum class Activation { None, Relu, LeakyRelu };

// Widths of quantised activations and weights (docs/numerics.md, "Values"): what the golden model, the
// firmware's packing (two values a byte up to 4 bits) and the engine's datapath are defined for.
inline constexpr int kMinQuantBits = 2;
inline constexpr int kMaxQuantBits = 8;

// A quantised integer type: `bits` wide, signed (two's complement) or unsigned.
struct QuantType {
  int bits = 8;
  bool is_signed = true;
  std::int32_t min() const { return is_signed ? -(1 << (bits - 1)) : 0; }
  std::int32_t max() const { return is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1; }
};

std::int32_t saturate(std::int64_t v, QuantType t);

// How a right shift or a division rounds a value halfway between two integers (docs/numerics.md,
// "Rounding"): ties toward +infinity (the generated models') or to even (ONNX's, for imported models).
enum class Rounding { HalfUp, HalfEven };
// Its name in scenarios and manifest.json: half_up, half_even.
const char* to_string(Rounding rounding);

// v / 2^shift rounded to nearest, ties as `rounding` says (HalfUp: floor(v / 2^shift + 1/2)).
// shift in 0..62.
std::int64_t rounding_shift_right(std::int64_t v, int shift, Rounding rounding);

// Largest right shift a requantisation may use; the product acc * multiplier needs 62 bits.
inline constexpr int kMaxShift = 62;
inline constexpr std::int64_t kMaxMultiplier = (std::int64_t{1} << 31) - 1;

// Real scale ~= multiplier / 2^shift. multiplier in 0..2^31-1, shift in 0..62; no left shifts.
struct Requant {
  std::int32_t multiplier = 1;
  int shift = 0;
};

// The activation and rescaling of a value, before the zero point and saturation:
// ReLU zeroes negatives; LeakyReLU divides them by 2^leaky_shift inside the same rounding.
std::int64_t scale_activated(std::int64_t v, std::int64_t multiplier, int shift, Activation act,
                             int leaky_shift, Rounding rounding);

// Conv/Dense output stage: activation on the accumulator, then multiply, round, add the output
// zero point and saturate.
std::int32_t requantize(std::int64_t acc, Requant rq, Activation act, int leaky_shift,
                        std::int32_t out_zero_point, QuantType out, Rounding rounding);

// An accumulator register of `bits` (2..64) wraps around like two's complement hardware.
std::int64_t wrap_to_bits(std::int64_t v, int bits);

// Average of `count` (> 0) values whose sum is `sum`, rounded to nearest, ties as `rounding` says.
std::int32_t rounded_average(std::int64_t sum, std::int64_t count, Rounding rounding);
// The rounded sum / count from its floor quotient q and remainder r (0 <= r < count), as rounded_average.
std::int64_t round_quotient(std::int64_t q, std::int64_t r, std::int64_t count, Rounding rounding);

// The engine's average pool division (docs/engine.md "Modes", docs/numerics.md "Divisions"):
// floor(|sum| / count) = (|sum| * magic) >> shift (POOL_MAGIC, MODE.POOL_SHIFT), the floor quotient and
// remainder of the signed sum from it, then the rounding.
std::int64_t divide_pool_sum(std::int64_t sum, std::uint32_t count, std::uint32_t magic, unsigned shift,
                             Rounding rounding);

// AvgPool's average of `count` (> 0) stored values with zero point `zero_point` whose sum is `sum`:
// zero_point + the rounded average of (q - zero_point), ONNX's rule. Only ties to even depend on the zero
// point (an odd one moves a tie to the other neighbour); ties up give the rounded average of q.
std::int32_t pool_average(std::int64_t sum, std::int64_t count, std::int32_t zero_point, Rounding rounding);

// Residual add: y = sat(zy + round(((a - za) * Ma + (b - zb) * Mb) / 2^shift)), with the
// activation applied to the sum before rounding, as in requantize().
struct AddParams {
  std::int32_t multiplier_a = 1;
  std::int32_t multiplier_b = 1;
  int shift = 0;
};
std::int64_t add_scaled(std::int32_t a, std::int32_t za, std::int32_t b, std::int32_t zb, AddParams p,
                        Activation act, int leaky_shift, Rounding rounding);
std::int32_t add_elements(std::int32_t a, std::int32_t za, std::int32_t b, std::int32_t zb, AddParams p,
                          Activation act, int leaky_shift, std::int32_t out_zero_point, QuantType out,
                          Rounding rounding);

}  // namespace dnnvp

// Edge cases of the integer arithmetic defined in docs/numerics.md.
#include <catch2/catch.hpp>

#include "error.h"
#include "numerics.h"

using namespace dnnvp;

namespace {
constexpr Rounding kUp = Rounding::HalfUp;
constexpr Rounding kEven = Rounding::HalfEven;
}  // namespace

TEST_CASE("rounding shift rounds ties toward +infinity for both signs", "[numerics]") {
  CHECK(rounding_shift_right(5, 1, kUp) == 3);    // 2.5 -> 3
  CHECK(rounding_shift_right(-5, 1, kUp) == -2);  // -2.5 -> -2
  CHECK(rounding_shift_right(7, 2, kUp) == 2);    // 1.75 -> 2
  CHECK(rounding_shift_right(-7, 2, kUp) == -2);  // -1.75 -> -2
  CHECK(rounding_shift_right(6, 2, kUp) == 2);    // 1.5 -> 2
  CHECK(rounding_shift_right(-6, 2, kUp) == -1);  // -1.5 -> -1
  CHECK(rounding_shift_right(-1, 1, kUp) == 0);   // -0.5 -> 0
  CHECK(rounding_shift_right(1, 1, kUp) == 1);    // 0.5 -> 1
  CHECK(rounding_shift_right(123, 0, kUp) == 123);
  CHECK(rounding_shift_right(std::int64_t{1} << 61, 62, kUp) == 1);
  CHECK(rounding_shift_right(-(std::int64_t{1} << 61), 62, kUp) == 0);
}

TEST_CASE("rounding shift to even rounds ties to the even neighbour for both signs", "[numerics]") {
  CHECK(rounding_shift_right(5, 1, kEven) == 2);     // 2.5 -> 2
  CHECK(rounding_shift_right(7, 1, kEven) == 4);     // 3.5 -> 4
  CHECK(rounding_shift_right(-5, 1, kEven) == -2);   // -2.5 -> -2
  CHECK(rounding_shift_right(-7, 1, kEven) == -4);   // -3.5 -> -4
  CHECK(rounding_shift_right(-3, 1, kEven) == -2);   // -1.5 -> -2 (half_up: -1)
  CHECK(rounding_shift_right(1, 1, kEven) == 0);     // 0.5 -> 0
  CHECK(rounding_shift_right(-1, 1, kEven) == 0);    // -0.5 -> 0
  CHECK(rounding_shift_right(6, 2, kEven) == 2);     // 1.5 -> 2
  CHECK(rounding_shift_right(-6, 2, kEven) == -2);   // -1.5 -> -2
  CHECK(rounding_shift_right(10, 2, kEven) == 2);    // 2.5 -> 2
  CHECK(rounding_shift_right(-10, 2, kEven) == -2);  // -2.5 -> -2
  // Not ties: nearest, as half_up.
  CHECK(rounding_shift_right(7, 2, kEven) == 2);    // 1.75 -> 2
  CHECK(rounding_shift_right(-7, 2, kEven) == -2);  // -1.75 -> -2
  CHECK(rounding_shift_right(9, 2, kEven) == 2);    // 2.25 -> 2
  CHECK(rounding_shift_right(-9, 2, kEven) == -2);  // -2.25 -> -2
  CHECK(rounding_shift_right(11, 2, kEven) == 3);   // 2.75 -> 3
  CHECK(rounding_shift_right(123, 0, kEven) == 123);
  CHECK(rounding_shift_right(-123, 0, kEven) == -123);
  // Long shifts (products stay below 2^62 in magnitude): 0.5 -> 0, -0.5 -> 0, 1.5 -> 2, -1.5 -> -2.
  CHECK(rounding_shift_right(std::int64_t{1} << 61, 62, kEven) == 0);
  CHECK(rounding_shift_right(-(std::int64_t{1} << 61), 62, kEven) == 0);
  CHECK(rounding_shift_right(std::int64_t{3} << 60, 61, kEven) == 2);
  CHECK(rounding_shift_right(-(std::int64_t{3} << 60), 61, kEven) == -2);
}

TEST_CASE("both roundings agree on every value that is not a tie", "[numerics]") {
  for (int shift = 1; shift <= 6; ++shift)
    for (std::int64_t v = -300; v <= 300; ++v) {
      const bool tie = (v & ((std::int64_t{1} << shift) - 1)) == std::int64_t{1} << (shift - 1);
      const std::int64_t up = rounding_shift_right(v, shift, kUp);
      const std::int64_t even = rounding_shift_right(v, shift, kEven);
      if (!tie) {
        CHECK(up == even);
      } else {
        CHECK((even == up || even == up - 1));  // a tie: half_up takes the upper neighbour
        CHECK(even % 2 == 0);
      }
    }
}

TEST_CASE("saturation clamps at both ends of signed and unsigned ranges", "[numerics]") {
  const QuantType s8{8, true}, u8{8, false}, s4{4, true}, u4{4, false};
  CHECK(s8.min() == -128);
  CHECK(s8.max() == 127);
  CHECK(u8.max() == 255);
  CHECK(s4.min() == -8);
  CHECK(s4.max() == 7);
  CHECK(u4.min() == 0);
  CHECK(u4.max() == 15);
  CHECK(saturate(128, s8) == 127);
  CHECK(saturate(-129, s8) == -128);
  CHECK(saturate(-1, u8) == 0);
  CHECK(saturate(256, u8) == 255);
  CHECK(saturate(8, s4) == 7);
  CHECK(saturate(-9, s4) == -8);
  CHECK(saturate(16, u4) == 15);
  CHECK(saturate(std::int64_t{1} << 40, s8) == 127);
}

TEST_CASE("requantize applies multiplier, shift, zero point and saturation in that order", "[numerics]") {
  const QuantType s8{8, true};
  // 1000 * 0.5 = 500 -> saturates at 127; 100 * 0.5 = 50.
  CHECK(requantize(1000, {1 << 30, 31}, Activation::None, 0, 0, s8, kUp) == 127);
  CHECK(requantize(100, {1 << 30, 31}, Activation::None, 0, 0, s8, kUp) == 50);
  CHECK(requantize(-300, {1 << 30, 31}, Activation::None, 0, 0, s8, kUp) == -128);
  // Tie: 3 * 0.5 = 1.5 -> 2; -3 * 0.5 = -1.5 -> -1.
  CHECK(requantize(3, {1 << 30, 31}, Activation::None, 0, 0, s8, kUp) == 2);
  CHECK(requantize(-3, {1 << 30, 31}, Activation::None, 0, 0, s8, kUp) == -1);
  // The zero point is added after rounding and before saturation.
  CHECK(requantize(100, {1 << 30, 31}, Activation::None, 0, 100, s8, kUp) == 127);
  CHECK(requantize(-100, {1 << 30, 31}, Activation::None, 0, -100, s8, kUp) == -128);
  // A pure power-of-two scale (multiplier 1) is the special case CGRA4ML uses.
  CHECK(requantize(1024, {1, 4}, Activation::None, 0, 0, s8, kUp) == 64);
  CHECK(requantize(24, {1, 4}, Activation::None, 0, 0, s8, kUp) == 2);  // 1.5 -> 2
}

TEST_CASE("ReLU zeroes negative accumulators and LeakyReLU shifts them in one rounding", "[numerics]") {
  const QuantType u8{8, false}, s8{8, true};
  CHECK(requantize(-1000, {1 << 30, 31}, Activation::Relu, 0, 0, u8, kUp) == 0);
  CHECK(requantize(-1000, {1 << 30, 31}, Activation::Relu, 0, 5, u8, kUp) == 5);
  CHECK(requantize(200, {1 << 30, 31}, Activation::Relu, 0, 0, u8, kUp) == 100);
  // -100 * 0.5 / 8 = -6.25 -> -6
  CHECK(requantize(-100, {1 << 30, 31}, Activation::LeakyRelu, 3, 0, s8, kUp) == -6);
  // -24 * 1/16 / 2 = -0.75 -> -1 ; single rounding, not two.
  CHECK(requantize(-24, {1, 4}, Activation::LeakyRelu, 1, 0, s8, kUp) == -1);
  CHECK(requantize(100, {1 << 30, 31}, Activation::LeakyRelu, 3, 0, s8, kUp) == 50);
}

TEST_CASE("the output stage rounds ties to even in half_even mode, LeakyReLU in the same rounding",
          "[numerics]") {
  const QuantType s8{8, true};
  // x 0.5: 3 -> 1.5 -> 2, 5 -> 2.5 -> 2, -3 -> -1.5 -> -2, -5 -> -2.5 -> -2.
  CHECK(requantize(3, {1 << 30, 31}, Activation::None, 0, 0, s8, kEven) == 2);
  CHECK(requantize(5, {1 << 30, 31}, Activation::None, 0, 0, s8, kEven) == 2);
  CHECK(requantize(-3, {1 << 30, 31}, Activation::None, 0, 0, s8, kEven) == -2);
  CHECK(requantize(-5, {1 << 30, 31}, Activation::None, 0, 0, s8, kEven) == -2);
  // The zero point is added after rounding: 2.5 -> 2, + 7.
  CHECK(requantize(5, {1 << 30, 31}, Activation::None, 0, 7, s8, kEven) == 9);
  // LeakyReLU: -40 / 16 / 2 = -1.25 -> -1; -48 / 16 / 2 = -1.5 -> -2 (half_up: -1); one rounding.
  CHECK(requantize(-40, {1, 4}, Activation::LeakyRelu, 1, 0, s8, kEven) == -1);
  CHECK(requantize(-48, {1, 4}, Activation::LeakyRelu, 1, 0, s8, kEven) == -2);
  CHECK(requantize(-48, {1, 4}, Activation::LeakyRelu, 1, 0, s8, kUp) == -1);
}

TEST_CASE("4-bit outputs use their own range", "[numerics]") {
  CHECK(requantize(100, {1, 2}, Activation::None, 0, 0, {4, true}, kUp) == 7);
  CHECK(requantize(-100, {1, 2}, Activation::None, 0, 0, {4, true}, kUp) == -8);
  CHECK(requantize(100, {1, 2}, Activation::Relu, 0, 0, {4, false}, kUp) == 15);
  CHECK(requantize(22, {1, 2}, Activation::Relu, 0, 0, {4, false}, kUp) == 6);  // 5.5 -> 6
}

TEST_CASE("negative shifts and out-of-range multipliers are rejected", "[numerics]") {
  CHECK_THROWS_AS(check_requant({1, -1}, Activation::None, 0), Error);
  CHECK_THROWS_AS(check_requant({-5, 3}, Activation::None, 0), Error);
  CHECK_THROWS_AS(check_requant({1, 63}, Activation::None, 0), Error);
  CHECK_THROWS_AS(check_requant({1, 60}, Activation::LeakyRelu, 3), Error);
  CHECK_NOTHROW(check_requant({static_cast<std::int32_t>(kMaxMultiplier), kMaxShift}, Activation::None, 0));
}

TEST_CASE("the largest accumulator times the largest multiplier does not overflow", "[numerics]") {
  const std::int64_t acc = INT32_MAX;
  CHECK(requantize(acc, {static_cast<std::int32_t>(kMaxMultiplier), kMaxShift}, Activation::None, 0, 0,
                   {8, true}, kUp) == 1);  // (2^31-1)^2 / 2^62 rounds to 1
  CHECK(requantize(INT32_MIN, {static_cast<std::int32_t>(kMaxMultiplier), 31}, Activation::None, 0, 0,
                   {8, true}, kUp) == -128);
  CHECK(requantize(INT32_MAX, {static_cast<std::int32_t>(kMaxMultiplier), 54}, Activation::None, 0, 0,
                   {8, true}, kUp) == 127);
}

TEST_CASE("average pooling rounds ties toward +infinity", "[numerics]") {
  CHECK(rounded_average(10, 4, kUp) == 3);    // 2.5 -> 3
  CHECK(rounded_average(-10, 4, kUp) == -2);  // -2.5 -> -2
  CHECK(rounded_average(11, 4, kUp) == 3);    // 2.75 -> 3
  CHECK(rounded_average(-11, 4, kUp) == -3);  // -2.75 -> -3
  CHECK(rounded_average(9, 4, kUp) == 2);     // 2.25 -> 2
  CHECK(rounded_average(-9, 4, kUp) == -2);   // -2.25 -> -2
  CHECK(rounded_average(255 * 49, 49, kUp) == 255);
  CHECK(rounded_average(0, 7, kUp) == 0);
}

TEST_CASE("average pooling to even rounds ties to the even neighbour, floor division for negatives",
          "[numerics]") {
  CHECK(rounded_average(10, 4, kEven) == 2);    // 2.5 -> 2
  CHECK(rounded_average(14, 4, kEven) == 4);    // 3.5 -> 4
  CHECK(rounded_average(-10, 4, kEven) == -2);  // -2.5 -> -2
  CHECK(rounded_average(-14, 4, kEven) == -4);  // -3.5 -> -4
  CHECK(rounded_average(-6, 4, kEven) == -2);   // -1.5 -> -2 (half_up: -1)
  CHECK(rounded_average(-2, 4, kEven) == 0);    // -0.5 -> 0
  CHECK(rounded_average(11, 4, kEven) == 3);    // 2.75 -> 3
  CHECK(rounded_average(-11, 4, kEven) == -3);  // -2.75 -> -3
  CHECK(rounded_average(9, 4, kEven) == 2);     // 2.25 -> 2
  CHECK(rounded_average(-9, 4, kEven) == -2);   // -2.25 -> -2
  CHECK(rounded_average(7, 3, kEven) == 2);     // 2.33 -> 2: an odd count has no ties
  CHECK(rounded_average(-8, 3, kEven) == -3);   // -2.67 -> -3
  CHECK(rounded_average(255 * 49, 49, kEven) == 255);
  CHECK(rounded_average(-128 * 49, 49, kEven) == -128);
}

TEST_CASE("average pooling to even rounds the mean of (q - zero point) to even, as ONNX does", "[numerics]") {
  // uint8, zero point 3: q = {6, 7} -> q - z = {3, 4}, mean 3.5 -> 4, + 3 = 7 (the stored mean 6.5 -> 6).
  CHECK(pool_average(13, 2, 3, kEven) == 7);
  // q = {5, 6} -> q - z = {2, 3}, mean 2.5 -> 2, + 3 = 5 (the stored mean 5.5 -> 6).
  CHECK(pool_average(11, 2, 3, kEven) == 5);
  // Ties below the zero point: q = {0, 1} -> {-3, -2}, -2.5 -> -2, + 3 = 1; q = {1, 2} -> -1.5 -> -2, + 3
  // = 1.
  CHECK(pool_average(1, 2, 3, kEven) == 1);
  CHECK(pool_average(3, 2, 3, kEven) == 1);
  // int8, zero point -1: q = {-4, -3} -> {-3, -2}, -2.5 -> -2, - 1 = -3; q = {2, 3} -> {3, 4}, 3.5 -> 4, - 1
  // = 3.
  CHECK(pool_average(-7, 2, -1, kEven) == -3);
  CHECK(pool_average(5, 2, -1, kEven) == 3);
  // An even zero point agrees with the stored values' average; no tie, no difference.
  CHECK(pool_average(13, 2, 4, kEven) == rounded_average(13, 2, kEven));
  CHECK(pool_average(11, 4, 3, kEven) == 3);  // 2.75
  CHECK(pool_average(255 * 49, 49, 7, kEven) == 255);
}

TEST_CASE("average pooling up does not depend on the zero point", "[numerics]") {
  for (int z = -5; z <= 5; ++z)
    for (int sum = -20; sum <= 20; ++sum) {
      INFO("sum " << sum << " zero point " << z);
      CHECK(pool_average(sum, 4, z, kUp) == rounded_average(sum, 4, kUp));
    }
}

TEST_CASE("residual add to even rounds ties to the even neighbour for both signs", "[numerics]") {
  const QuantType s8{8, true};
  const AddParams p{1 << 10, 1 << 9, 10};                                           // y = a + b/2
  CHECK(add_elements(10, 0, 3, 0, p, Activation::None, 0, 0, s8, kEven) == 12);     // 11.5 -> 12
  CHECK(add_elements(10, 0, 1, 0, p, Activation::None, 0, 0, s8, kEven) == 10);     // 10.5 -> 10
  CHECK(add_elements(-10, 0, -3, 0, p, Activation::None, 0, 0, s8, kEven) == -12);  // -11.5 -> -12
  CHECK(add_elements(-10, 0, -1, 0, p, Activation::None, 0, 0, s8, kEven) == -10);  // -10.5 -> -10
  CHECK(add_elements(10, 0, 1, 0, p, Activation::None, 0, 0, s8, kUp) == 11);       // 10.5 -> 11
  // Zero points come off before and on after the rounding: (a - 5) + (b - 1)/2 = 10.5 -> 10, + 3.
  CHECK(add_elements(15, 5, 2, 1, p, Activation::None, 0, 3, s8, kEven) == 13);
  // LeakyReLU inside the same rounding: (-10 - 1/2) / 2 = -5.25 -> -5; (-11) / 2 = -5.5 -> -6.
  CHECK(add_elements(-10, 0, -1, 0, p, Activation::LeakyRelu, 1, 0, s8, kEven) == -5);
  CHECK(add_elements(-11, 0, 0, 0, p, Activation::LeakyRelu, 1, 0, s8, kEven) == -6);
}

TEST_CASE("residual add aligns two scales with multipliers and one shift", "[numerics]") {
  const QuantType s8{8, true}, u8{8, false};
  // a at scale 1, b at scale 0.5, both into scale 1: (a*2^10 + b*2^9) / 2^10.
  const AddParams p{1 << 10, 1 << 9, 10};
  CHECK(add_elements(10, 0, 10, 0, p, Activation::None, 0, 0, s8, kUp) == 15);
  CHECK(add_elements(10, 0, 3, 0, p, Activation::None, 0, 0, s8, kUp) == 12);     // 11.5 -> 12
  CHECK(add_elements(-10, 0, -3, 0, p, Activation::None, 0, 0, s8, kUp) == -11);  // -11.5 -> -11
  CHECK(add_elements(100, 0, 100, 0, p, Activation::None, 0, 0, s8, kUp) == 127);
  CHECK(add_elements(-100, 0, 10, 0, p, Activation::Relu, 0, 0, u8, kUp) == 0);
  // Zero points are removed from the inputs and added to the output.
  CHECK(add_elements(110, 100, 20, 10, p, Activation::None, 0, 7, s8, kUp) == 22);
}

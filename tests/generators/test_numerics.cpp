// Edge cases of the integer arithmetic defined in docs/numerics.md.
#include <catch2/catch.hpp>

#include "error.h"
#include "numerics.h"

using namespace dnnvp;

TEST_CASE("rounding shift rounds ties toward +infinity for both signs", "[numerics]") {
  CHECK(rounding_shift_right(5, 1) == 3);    // 2.5 -> 3
  CHECK(rounding_shift_right(-5, 1) == -2);  // -2.5 -> -2
  CHECK(rounding_shift_right(7, 2) == 2);    // 1.75 -> 2
  CHECK(rounding_shift_right(-7, 2) == -2);  // -1.75 -> -2
  CHECK(rounding_shift_right(6, 2) == 2);    // 1.5 -> 2
  CHECK(rounding_shift_right(-6, 2) == -1);  // -1.5 -> -1
  CHECK(rounding_shift_right(-1, 1) == 0);   // -0.5 -> 0
  CHECK(rounding_shift_right(1, 1) == 1);    // 0.5 -> 1
  CHECK(rounding_shift_right(123, 0) == 123);
  CHECK(rounding_shift_right(std::int64_t{1} << 61, 62) == 1);
  CHECK(rounding_shift_right(-(std::int64_t{1} << 61), 62) == 0);
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
  CHECK(requantize(1000, {1 << 30, 31}, Activation::None, 0, 0, s8) == 127);
  CHECK(requantize(100, {1 << 30, 31}, Activation::None, 0, 0, s8) == 50);
  CHECK(requantize(-300, {1 << 30, 31}, Activation::None, 0, 0, s8) == -128);
  // Tie: 3 * 0.5 = 1.5 -> 2; -3 * 0.5 = -1.5 -> -1.
  CHECK(requantize(3, {1 << 30, 31}, Activation::None, 0, 0, s8) == 2);
  CHECK(requantize(-3, {1 << 30, 31}, Activation::None, 0, 0, s8) == -1);
  // The zero point is added after rounding and before saturation.
  CHECK(requantize(100, {1 << 30, 31}, Activation::None, 0, 100, s8) == 127);
  CHECK(requantize(-100, {1 << 30, 31}, Activation::None, 0, -100, s8) == -128);
  // A pure power-of-two scale (multiplier 1) is the special case CGRA4ML uses.
  CHECK(requantize(1024, {1, 4}, Activation::None, 0, 0, s8) == 64);
  CHECK(requantize(24, {1, 4}, Activation::None, 0, 0, s8) == 2);  // 1.5 -> 2
}

TEST_CASE("ReLU zeroes negative accumulators and LeakyReLU shifts them in one rounding", "[numerics]") {
  const QuantType u8{8, false}, s8{8, true};
  CHECK(requantize(-1000, {1 << 30, 31}, Activation::Relu, 0, 0, u8) == 0);
  CHECK(requantize(-1000, {1 << 30, 31}, Activation::Relu, 0, 5, u8) == 5);
  CHECK(requantize(200, {1 << 30, 31}, Activation::Relu, 0, 0, u8) == 100);
  // -100 * 0.5 / 8 = -6.25 -> -6
  CHECK(requantize(-100, {1 << 30, 31}, Activation::LeakyRelu, 3, 0, s8) == -6);
  // -24 * 1/16 / 2 = -0.75 -> -1 ; single rounding, not two.
  CHECK(requantize(-24, {1, 4}, Activation::LeakyRelu, 1, 0, s8) == -1);
  CHECK(requantize(100, {1 << 30, 31}, Activation::LeakyRelu, 3, 0, s8) == 50);
}

TEST_CASE("4-bit outputs use their own range", "[numerics]") {
  CHECK(requantize(100, {1, 2}, Activation::None, 0, 0, {4, true}) == 7);
  CHECK(requantize(-100, {1, 2}, Activation::None, 0, 0, {4, true}) == -8);
  CHECK(requantize(100, {1, 2}, Activation::Relu, 0, 0, {4, false}) == 15);
  CHECK(requantize(22, {1, 2}, Activation::Relu, 0, 0, {4, false}) == 6);  // 5.5 -> 6
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
                   {8, true}) == 1);  // (2^31-1)^2 / 2^62 rounds to 1
  CHECK(requantize(INT32_MIN, {static_cast<std::int32_t>(kMaxMultiplier), 31}, Activation::None, 0, 0,
                   {8, true}) == -128);
  CHECK(requantize(INT32_MAX, {static_cast<std::int32_t>(kMaxMultiplier), 54}, Activation::None, 0, 0,
                   {8, true}) == 127);
}

TEST_CASE("average pooling rounds ties toward +infinity", "[numerics]") {
  CHECK(rounded_average(10, 4) == 3);    // 2.5 -> 3
  CHECK(rounded_average(-10, 4) == -2);  // -2.5 -> -2
  CHECK(rounded_average(11, 4) == 3);    // 2.75 -> 3
  CHECK(rounded_average(-11, 4) == -3);  // -2.75 -> -3
  CHECK(rounded_average(9, 4) == 2);     // 2.25 -> 2
  CHECK(rounded_average(-9, 4) == -2);   // -2.25 -> -2
  CHECK(rounded_average(255 * 49, 49) == 255);
  CHECK(rounded_average(0, 7) == 0);
}

TEST_CASE("residual add aligns two scales with multipliers and one shift", "[numerics]") {
  const QuantType s8{8, true}, u8{8, false};
  // a at scale 1, b at scale 0.5, both into scale 1: (a*2^10 + b*2^9) / 2^10.
  const AddParams p{1 << 10, 1 << 9, 10};
  CHECK(add_elements(10, 0, 10, 0, p, Activation::None, 0, 0, s8) == 15);
  CHECK(add_elements(10, 0, 3, 0, p, Activation::None, 0, 0, s8) == 12);     // 11.5 -> 12
  CHECK(add_elements(-10, 0, -3, 0, p, Activation::None, 0, 0, s8) == -11);  // -11.5 -> -11
  CHECK(add_elements(100, 0, 100, 0, p, Activation::None, 0, 0, s8) == 127);
  CHECK(add_elements(-100, 0, 10, 0, p, Activation::Relu, 0, 0, u8) == 0);
  // Zero points are removed from the inputs and added to the output.
  CHECK(add_elements(110, 100, 20, 10, p, Activation::None, 0, 7, s8) == 22);
}

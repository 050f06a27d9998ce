// The average pool's divider (generators/pool_divider.h): its multiply and shift give floor(|sum| / count)
// for every sum a pool of that count can form.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "error.h"
#include "pool_divider.h"

using namespace dnnvp;

namespace {

// Counts of real pools (2x2, 3x3, 7x7 global, 14x14, 56x56), primes, powers of two and their neighbours,
// and the largest POOL_COUNT.
const std::vector<std::uint32_t> kCounts = {
    1, 2, 3, 4, 5, 7, 8, 9, 25, 49, 127, 196, 255, 256, 641, 3136, 4095, 32767, 32768, 65521, 65534, 65535};

// Every |sum| below 2^22 is checked; above that the lowest and the highest 2^20 sums.
constexpr unsigned kExhaustiveBits = 22;
constexpr std::uint64_t kSampledSums = std::uint64_t{1} << 20;

bool divides_exactly(std::uint64_t sum, std::uint32_t count, PoolDivider d) {
  return (sum * d.magic) >> d.shift == sum / count;
}

}  // namespace

TEST_CASE("pool divider's multiply and shift give the exact quotient of every sum of the pool's width",
          "[pool_divider]") {
  for (unsigned act_bits : {2u, 4u, 8u}) {
    for (std::uint32_t count : kCounts) {
      const unsigned sum_bits = pool_sum_bits(act_bits, count);
      const PoolDivider d = pool_divider(count, sum_bits);
      INFO("act_bits " << act_bits << " count " << count << " magic " << d.magic << " shift " << d.shift);
      const std::uint64_t end = std::uint64_t{1} << sum_bits;
      std::uint64_t wrong = 0;
      if (sum_bits <= kExhaustiveBits) {
        for (std::uint64_t s = 0; s < end; ++s) wrong += !divides_exactly(s, count, d);
      } else {
        for (std::uint64_t s = 0; s < kSampledSums; ++s) wrong += !divides_exactly(s, count, d);
        for (std::uint64_t s = end - kSampledSums; s < end; ++s) wrong += !divides_exactly(s, count, d);
      }
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("pool divider is exact for every count at 8-bit activations, checked at its worst sums",
          "[pool_divider]") {
  // s*magic/2^shift - s/count grows with s, so the first wrong floor would be at the largest sum whose
  // remainder is count - 1, or at the largest sum of all.
  std::uint32_t wrong = 0;
  for (std::uint32_t count = 1; count <= 65535; ++count) {
    const unsigned sum_bits = pool_sum_bits(8, count);
    const PoolDivider d = pool_divider(count, sum_bits);
    const std::uint64_t largest = (std::uint64_t{1} << sum_bits) - 1;
    const std::uint64_t last_full = (largest + 1) / count * count - 1;
    wrong += !divides_exactly(largest, count, d) || !divides_exactly(last_full, count, d);
  }
  CHECK(wrong == 0);
}

TEST_CASE("pool divider of a power-of-two count is a plain shift", "[pool_divider]") {
  for (unsigned log2 = 0; log2 < 16; ++log2) {
    const PoolDivider d = pool_divider(1u << log2, pool_sum_bits(8, 1u << log2));
    CHECK(d.magic == 1);
    CHECK(d.shift == log2);
  }
}

TEST_CASE("pool sum bits bound count values of act_bits + 1 signed bits", "[pool_divider]") {
  CHECK(pool_sum_bits(8, 1) == 9);    // |x| <= 256 < 2^9
  CHECK(pool_sum_bits(8, 4) == 11);   // 4 * 256 = 1024 < 2^11
  CHECK(pool_sum_bits(8, 49) == 14);  // 49 * 256 = 12544 < 2^14
  CHECK(pool_sum_bits(4, 9) == 8);    // 9 * 16 = 144 < 2^8
  CHECK(pool_sum_bits(8, 65535) == 24);
}

TEST_CASE("pool divider refuses a count of 0 or above 65535 and sums too wide for 32 bits",
          "[pool_divider]") {
  CHECK_THROWS_AS(pool_divider(0, 10), Error);
  CHECK_THROWS_AS(pool_divider(65536, 10), Error);
  CHECK_THROWS_AS(pool_sum_bits(8, 0), Error);
  CHECK_THROWS_AS(pool_divider(3, 40), Error);
}

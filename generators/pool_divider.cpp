#include "pool_divider.h"

#include <string>

#include "error.h"

namespace dnnvp {

namespace {

constexpr std::uint32_t kMaxPoolCount = 0xFFFF;  // POOL_COUNT.COUNT is 16 bits
constexpr unsigned kShiftLimit = 64;             // MODE.POOL_SHIFT is 6 bits
constexpr unsigned kMaxSumBits = 47;             // keeps e * (2^sum_bits - 1) below 2^64

void check_count(std::uint32_t count) {
  if (count == 0 || count > kMaxPoolCount)
    throw Error("pool divider: count " + std::to_string(count) + " is outside 1.." +
                std::to_string(kMaxPoolCount));
}

}  // namespace

PoolDivider pool_divider(std::uint32_t count, unsigned sum_bits) {
  check_count(count);
  if (sum_bits > kMaxSumBits)
    throw Error("pool divider: sums of " + std::to_string(sum_bits) + " bits exceed the supported " +
                std::to_string(kMaxSumBits));
  // magic = ceil(2^shift / count) overshoots 1/count by e / (count * 2^shift), e = magic * count - 2^shift
  // in 0..count-1. For s = q*count + r the product s*magic/2^shift exceeds s/count by s*e/(count*2^shift),
  // which stays below (count - r)/count, so the floor is q, whenever s*e < 2^shift; s < 2^sum_bits.
  const std::uint64_t largest_sum = (std::uint64_t{1} << sum_bits) - 1;
  for (unsigned shift = 0; shift < kShiftLimit; ++shift) {
    const std::uint64_t power = std::uint64_t{1} << shift;
    const std::uint64_t magic = (power + count - 1) / count;
    if (magic > 0xFFFFFFFFu) break;
    const std::uint64_t excess = magic * count - power;
    if (excess * largest_sum < power) return PoolDivider{static_cast<std::uint32_t>(magic), shift};
  }
  throw Error("pool divider: no 32-bit multiplier divides sums of " + std::to_string(sum_bits) + " bits by " +
              std::to_string(count) + " exactly");
}

unsigned pool_sum_bits(unsigned act_bits, std::uint32_t count) {
  check_count(count);
  unsigned count_bits = 0;
  while ((count >> count_bits) != 0) ++count_bits;
  return act_bits + count_bits;
}

}  // namespace dnnvp

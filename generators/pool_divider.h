// The average pool's exact division by a constant count (docs/engine.md "Modes"): a multiply and a shift
// that give floor(|sum| / count) for every sum the pool can form, so the engine needs no divider.
// vp_gen writes the layer's MODE.POOL_SHIFT, POOL_MAGIC and POOL_COUNT from it; the RTL (dnn_pool_out)
// then forms the remainder and rounds as docs/numerics.md "Divisions" says.
#pragma once

#include <cstdint>

namespace dnnvp {

struct PoolDivider {
  std::uint32_t magic;
  unsigned shift;
};

// For every |sum| < 2^sum_bits: floor(|sum| / count) == (|sum| * magic) >> shift, with the smallest such
// shift (so the smallest magic). count in 1..65535 (POOL_COUNT's width); throws dnnvp::Error when no magic
// below 2^32 with a shift below 64 exists (never for the sums of pool_sum_bits with act_bits <= 8).
PoolDivider pool_divider(std::uint32_t count, unsigned sum_bits);

// Bits that bound |sum of count x values|: the engine's x = q - z is an (act_bits + 1)-bit signed value,
// so |x| <= 2^act_bits and |sum| <= count * 2^act_bits < 2^(act_bits + bit width of count).
unsigned pool_sum_bits(unsigned act_bits, std::uint32_t count);

}  // namespace dnnvp

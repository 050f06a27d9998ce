// dnn_pool_out against the golden AvgPool (dnnvp::pool_average, generators/numerics.cpp) and MaxPool,
// element by element. Average: for random counts (the real pools' 4, 9, 49, 196, 3136, primes, powers of
// two, 1 and 65535) and input widths, the divider of generators/pool_divider.cpp, and sums random over
// the divider's whole range and at its edges (0, -1, the largest of either sign, exact multiples and
// the ties count*q + count/2 of both signs in both rounding modes). Maximum: values of XBits with the
// divider inputs random (ignored). Output types of every width 2..ActBits, signed and unsigned, zero
// points, and in half the batches a folded Clip with random limits; random gaps between valid elements
// (no ready: it never stalls) and the fixed latency (dnn_requant's) checked.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "Vdnn_pool_out.h"
#include "numerics.h"
#include "pool_divider.h"
#include "tb.h"

namespace {

constexpr int kLatency = 4;

struct Config {
  bool avg = true;
  std::uint32_t count = 1;
  dnnvp::PoolDivider div{1, 0};
  unsigned sum_bits = 1;
  int bits = 8;
  bool is_signed = true;
  std::int32_t zp = 0;
  bool round_even = false;
  bool clip = false;
  std::int32_t clip_lo = 0, clip_hi = 0;
};

// The pool's value before the output type: the golden average of count values of x = q - zp whose sum is
// acc (pool_average takes the sum of the stored q = x + zp), or the maximum itself.
std::int64_t pooled(std::int64_t acc, const Config& c) {
  if (!c.avg) return acc + c.zp;
  const dnnvp::Rounding r = c.round_even ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp;
  return dnnvp::pool_average(acc + std::int64_t{c.count} * c.zp, c.count, c.zp, r);
}

std::int32_t reference(std::int64_t acc, const Config& c) {
  const dnnvp::QuantType type{c.bits, c.is_signed};
  const std::int32_t y = dnnvp::saturate(pooled(acc, c), type);
  if (!c.clip) return y;
  return std::clamp(y, std::max(c.clip_lo, type.min()), std::min(c.clip_hi, type.max()));
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_pool_out m(&ctx);
  tb::Random rnd(tb::seed());
  std::mt19937_64 gen64(tb::seed() * 7919u + 3);

  auto tick = [&] {
    m.clk_i = 0;
    m.eval();
    m.clk_i = 1;
    m.eval();
  };
  m.rst_ni = 0;
  m.valid_i = 0;
  tick();
  tick();
  m.rst_ni = 1;

  tb::FixedLatency outputs(kLatency);
  long clipped = 0, saturated = 0, maxima = 0;
  long ties[2][2] = {};  // [round_even][negative sum]

  auto step = [&](bool valid, std::int64_t acc, const Config& c) {
    m.valid_i = valid;
    m.acc_i = static_cast<std::uint32_t>(acc) & ((ACC_BITS == 32) ? 0xFFFFFFFFu : ((1u << ACC_BITS) - 1));
    m.avg_i = c.avg;
    m.count_i = c.count;
    m.magic_i = c.div.magic;
    m.shift_i = c.div.shift;
    m.round_even_i = c.round_even;
    m.out_zp_i = static_cast<std::uint16_t>(c.zp);
    m.out_bits_i = c.bits;
    m.out_signed_i = c.is_signed;
    m.clip_i = c.clip;
    m.clip_lo_i = static_cast<std::uint16_t>(c.clip_lo);
    m.clip_hi_i = static_cast<std::uint16_t>(c.clip_hi);
    if (valid) {
      const std::int32_t y = reference(acc, c);
      Config unclipped = c;
      unclipped.clip = false;
      clipped += y != reference(acc, unclipped);
      saturated += dnnvp::saturate(pooled(acc, c), dnnvp::QuantType{c.bits, c.is_signed}) != pooled(acc, c);
      if (c.avg && c.count % 2 == 0) {
        const std::int64_t r = ((acc % c.count) + c.count) % c.count;
        if (2 * r == c.count) ++ties[c.round_even][acc < 0];
      }
      maxima += !c.avg;
      outputs.expect(y);
    }
    tick();
    const std::int64_t want = outputs.step(m.valid_o);
    if (m.valid_o) {
      const std::int64_t got = c.is_signed ? tb::sext(m.y_o, ACT_BITS) : (m.y_o & ((1u << ACT_BITS) - 1));
      TB_CHECK(got == want,
               "output %ld: got %lld, want %lld (%s count %u magic %u shift %u, %d-bit %s zp %d%s)",
               outputs.checked(), static_cast<long long>(got), static_cast<long long>(want),
               c.avg ? "avg" : "max", c.count, c.div.magic, c.div.shift, c.bits,
               c.is_signed ? "signed" : "unsigned", c.zp, c.round_even ? " half_even" : "");
    }
  };
  auto drain = [&](const Config& c) {
    for (int i = 0; i < kLatency + 1; ++i) step(false, 0, c);
    TB_CHECK(outputs.empty(), "outputs missing after drain");
  };

  const std::vector<std::uint32_t> counts = {1, 2, 3, 4, 7, 8, 9, 25, 49, 196, 3136, 65521, 65535};
  for (int batch = 0; batch < 600; ++batch) {
    Config c;
    c.avg = !rnd.chance(0.2);
    const int in_bits = rnd.range(dnnvp::kMinQuantBits, std::min(ACT_BITS, dnnvp::kMaxQuantBits));
    // A count whose sums fit the accumulator (as vp_gen requires: sum bits <= AccBits - 1).
    do {
      c.count = rnd.chance(0.6) ? counts[rnd.range(0, static_cast<int>(counts.size()) - 1)]
                                : static_cast<std::uint32_t>(rnd.range(1, 65535));
      c.sum_bits = dnnvp::pool_sum_bits(in_bits, c.count);
    } while (c.sum_bits > ACC_BITS - 1);
    c.div = dnnvp::pool_divider(c.count, c.sum_bits);
    if (!c.avg) {  // ignored by a max pool
      c.count = static_cast<std::uint32_t>(rnd.range(0, 65535));
      c.div =
          dnnvp::PoolDivider{static_cast<std::uint32_t>(gen64()), static_cast<unsigned>(rnd.range(0, 63))};
    }
    // A pool keeps its input's type; other widths exercise the saturation.
    c.bits = rnd.chance(0.6) ? in_bits : rnd.range(2, ACT_BITS);
    c.is_signed = rnd.chance(0.5);
    const dnnvp::QuantType type{c.bits, c.is_signed};
    c.zp = rnd.chance(0.3)   ? 0
           : rnd.chance(0.9) ? rnd.range(type.min(), type.max())
                             : rnd.range(-32768, 32767);
    c.round_even = rnd.chance(0.5);
    c.clip = rnd.chance(0.5);
    if (c.clip) {
      c.clip_lo = rnd.range(type.min(), type.max());
      c.clip_hi = rnd.range(c.clip_lo, type.max());
      if (rnd.chance(0.15)) c.clip_lo = rnd.range(-32768, type.min());
      if (rnd.chance(0.15)) c.clip_hi = rnd.range(type.max(), 32767);
    }
    // Sums the divider covers: |sum| < 2^sum_bits, and -2^sum_bits (|sum| - 1 is what it divides).
    const std::int64_t top = (std::int64_t{1} << c.sum_bits) - 1;
    const std::int64_t x_top = (std::int64_t{1} << in_bits) - 1;  // |x| < 2^in_bits for a max
    const std::int64_t n = c.count;
    auto clamp_sum = [&](std::int64_t s) { return std::clamp(s, -top - 1, top); };
    auto rand_sum = [&]() -> std::int64_t {
      if (!c.avg)
        return rnd.chance(0.5) ? rnd.range(type.min() - c.zp, type.max() - c.zp)
                               : rnd.range(static_cast<int>(-x_top - 1), static_cast<int>(x_top));
      const std::int64_t q = static_cast<std::int64_t>(gen64() % static_cast<std::uint64_t>(top / n + 1));
      const std::int64_t sign = rnd.chance(0.5) ? -1 : 1;
      switch (rnd.range(0, 15)) {
        case 0:
          return rnd.chance(0.5) ? top : -top - 1;
        case 1:
          return rnd.range(-2, 2);
        case 2:
          return clamp_sum(sign * q * n);  // exact
        case 3:
          return clamp_sum(sign * q * n + n / 2);  // a tie when count is even
        case 4:
          return clamp_sum(sign * q * n - n / 2);
        case 5:
          return clamp_sum(sign * q * n + rnd.range(-1, 1) + (rnd.chance(0.5) ? n - 1 : 1));
        case 6:
          return clamp_sum(sign * static_cast<std::int64_t>(rnd.range(0, 3)) * n + n / 2);  // near 0
        case 7:
          return static_cast<std::int64_t>(gen64() % static_cast<std::uint64_t>(2 * top + 2)) - top - 1;
        default: {  // a window's sum of x = q - zp over count stored values q of the output type
          const std::uint64_t span = static_cast<std::uint64_t>(n * (type.max() - type.min()) + 1);
          return clamp_sum(static_cast<std::int64_t>(gen64() % span) + n * (type.min() - c.zp));
        }
      }
    };
    const double idle = rnd.chance(0.5) ? 0.0 : 0.4;
    for (int i = 0; i < 100; ++i) step(!rnd.chance(idle), rand_sum(), c);
    drain(c);
  }
  for (int even = 0; even < 2; ++even)
    for (int negative = 0; negative < 2; ++negative)
      TB_CHECK(ties[even][negative] > 0, "no %s ties in %s mode", negative ? "negative" : "positive",
               even ? "half_even" : "half_up");
  TB_CHECK(clipped > 0 && saturated > 0 && maxima > 0, "clip, saturation or max pool not exercised");
  std::printf(
      "dnn_pool_out AccBits %d ActBits %d: %ld outputs match pool_average / the maximum (%ld maxima; ties "
      "half_up %ld+/%ld-, half_even %ld+/%ld-; %ld saturated, %ld clipped)\n",
      ACC_BITS, ACT_BITS, outputs.checked(), maxima, ties[0][0], ties[0][1], ties[1][0], ties[1][1],
      saturated, clipped);
  return 0;
}

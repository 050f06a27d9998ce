// dnn_requant against dnnvp::requantize() (generators/numerics.cpp), element by element: random
// values and the edges of numerics.md (ties of both signs in both rounding modes, saturation at both
// ends, shift 0 and 62, the largest multiplier and accumulator, ReLU, LeakyReLU folded into the shift,
// zero points, signed and unsigned outputs of every width 2..ActBits), with random gaps between valid
// elements (the requantiser has no ready: it never stalls). The fixed latency is checked too. Half the
// batches fold a Clip (MODE.CLIP) with random limits, inside the type or beyond either end: the output
// is the Clip layer's clamp of requantize() to [max(type min, lo), min(type max, hi)].
#include <algorithm>
#include <cstdint>
#include <functional>

#include "Vdnn_requant.h"
#include "numerics.h"
#include "tb.h"

namespace {

constexpr int kLatency = 4;

struct Element {
  std::int64_t acc;
  std::int32_t mult;
  int shift;
  int act;  // 0 none, 1 relu, 2 leaky
  int leaky;
};

struct Config {
  int bits;
  bool is_signed;
  std::int32_t zp;
  bool round_even = false;  // a layer's constant, like the output type
  bool clip = false;        // MODE.CLIP with CLIP.LO / CLIP.HI
  std::int32_t clip_lo = 0, clip_hi = 0;
};

// Without a clip; reference() clamps it as a folded Clip does.
std::int32_t requantized(const Element& e, const Config& c) {
  const dnnvp::Activation act = e.act == 1   ? dnnvp::Activation::Relu
                                : e.act == 2 ? dnnvp::Activation::LeakyRelu
                                             : dnnvp::Activation::None;
  return dnnvp::requantize(e.acc, dnnvp::Requant{e.mult, e.shift}, act, e.leaky, c.zp,
                           dnnvp::QuantType{c.bits, c.is_signed},
                           c.round_even ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp);
}

std::int32_t reference(const Element& e, const Config& c) {
  const std::int32_t y = requantized(e, c);
  if (!c.clip) return y;
  const dnnvp::QuantType type{c.bits, c.is_signed};
  return std::clamp(y, std::max(c.clip_lo, type.min()), std::min(c.clip_hi, type.max()));
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_requant m(&ctx);
  tb::Random rnd(tb::seed());
  std::mt19937_64 gen64(tb::seed() * 7919u + 1);

  const std::int64_t acc_min = -(std::int64_t{1} << (ACC_BITS - 1));
  const std::int64_t acc_max = (std::int64_t{1} << (ACC_BITS - 1)) - 1;
  const std::int32_t mult_max = static_cast<std::int32_t>(dnnvp::kMaxMultiplier);

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

  auto rand_acc = [&]() -> std::int64_t {
    switch (rnd.range(0, 5)) {
      case 0: return acc_min + rnd.range(0, 3);
      case 1: return acc_max - rnd.range(0, 3);
      case 2: return rnd.range(-300, 300);
      default:
        return tb::sext(gen64(), ACC_BITS);
    }
  };

  // Elements whose product lands exactly halfway between two integers after the shift.
  std::function<Element(int)> tie = [&](int shift) -> Element {
    Element e{};
    e.shift = shift;
    e.act = 0;
    e.leaky = 0;
    if (shift <= 31 && rnd.chance(0.5)) {
      e.mult = static_cast<std::int32_t>(std::int64_t{1} << (shift - 1));  // v * 2^(s-1) / 2^s = v/2
      std::int64_t v = 2 * static_cast<std::int64_t>(rnd.range(-1000, 1000)) + 1;  // odd: a tie
      e.acc = v;
    } else {
      // acc * mult = (2k+1) * 2^(s-1): acc = 2k+1, mult = 2^(s-1) needs s <= 32; else acc carries
      // the rest of the power of two.
      const int in_mult = std::min(shift - 1, 30);
      const int in_acc = shift - 1 - in_mult;
      if (in_acc + 12 >= ACC_BITS) return tie(std::min(shift, 31));
      e.mult = static_cast<std::int32_t>(std::int64_t{1} << in_mult);
      e.acc = (2 * static_cast<std::int64_t>(rnd.range(-1000, 1000)) + 1) * (std::int64_t{1} << in_acc);
    }
    return e;
  };

  tb::FixedLatency outputs(kLatency);
  long saturated = 0;               // saturated: at either end of the range (incl. ReLU zeros)
  long ties[2][2] = {};             // [round_even][negative]
  long clipped = 0;                 // outputs a clip limit changed

  auto step = [&](bool valid, const Element& e, const Config& c) {
    m.valid_i = valid;
    m.acc_i = static_cast<std::uint32_t>(e.acc) & ((ACC_BITS == 32) ? 0xFFFFFFFFu : ((1u << ACC_BITS) - 1));
    m.mult_i = static_cast<std::uint32_t>(e.mult);
    m.shift_i = e.shift;
    m.act_i = e.act;
    m.leaky_shift_i = e.leaky;
    m.out_zp_i = static_cast<std::uint16_t>(c.zp);
    m.out_bits_i = c.bits;
    m.out_signed_i = c.is_signed;
    m.round_even_i = c.round_even;
    m.clip_i = c.clip;
    m.clip_lo_i = static_cast<std::uint16_t>(c.clip_lo);
    m.clip_hi_i = static_cast<std::uint16_t>(c.clip_hi);
    if (valid) {
      const std::int32_t y = reference(e, c);
      clipped += y != requantized(e, c);
      if (y == (c.is_signed ? -(1 << (c.bits - 1)) : 0) || y == (c.is_signed ? (1 << (c.bits - 1)) - 1 : (1 << c.bits) - 1))
        ++saturated;
      outputs.expect(y);
    }
    tick();
    const std::int64_t want = outputs.step(m.valid_o);
    if (m.valid_o) {
      const std::int64_t got = c.is_signed ? tb::sext(m.y_o, ACT_BITS) : (m.y_o & ((1u << ACT_BITS) - 1));
      TB_CHECK(got == want, "output %ld: got %lld, want %lld", outputs.checked(), static_cast<long long>(got),
               static_cast<long long>(want));
    }
  };

  auto drain = [&](const Config& c) {
    for (int i = 0; i < kLatency + 1; ++i) step(false, Element{}, c);
    TB_CHECK(outputs.empty(), "outputs missing after drain");
  };

  // Fixed examples of numerics.md (M = 2^30, s = 31: x 0.5, int8), in both modes; LeakyReLU's tie
  // -48 / 16 / 2 = -1.5.
  for (const bool even : {false, true}) {
    const Config c{8 <= ACT_BITS ? 8 : ACT_BITS, true, 0, even};
    for (std::int64_t a : {100, 3, -3, 5, -5, 1000, -1000}) step(true, Element{a, 1 << 30, 31, 0, 0}, c);
    step(true, Element{-48, 1, 4, 2, 1}, c);
    drain(c);
    step(true, Element{-1000, 1 << 30, 31, 1, 0}, Config{c.bits, false, 0, even});
    drain(Config{c.bits, false, 0, even});
  }

  for (int batch = 0; batch < 400; ++batch) {
    Config c;
    c.bits = rnd.chance(0.4) ? ACT_BITS : rnd.range(2, ACT_BITS);
    c.is_signed = rnd.chance(0.5);
    c.zp = rnd.chance(0.4) ? 0 : rnd.chance(0.9) ? rnd.range(-20, 20) : rnd.range(-32768, 32767);
    c.round_even = rnd.chance(0.5);
    c.clip = rnd.chance(0.5);
    if (c.clip) {
      // Limits inside the type (lo <= hi, as the generator's), or beyond an end (the type's end wins).
      const dnnvp::QuantType type{c.bits, c.is_signed};
      c.clip_lo = rnd.range(type.min(), type.max());
      c.clip_hi = rnd.range(c.clip_lo, type.max());
      if (rnd.chance(0.15)) c.clip_lo = rnd.range(-32768, type.min());
      if (rnd.chance(0.15)) c.clip_hi = rnd.range(type.max(), 32767);
    }
    const double idle = rnd.chance(0.5) ? 0.0 : 0.4;
    for (int i = 0; i < 100; ++i) {
      Element e{};
      const int kind = rnd.range(0, 9);
      if (kind == 0) {
        e = tie(rnd.range(1, 62));
        ++ties[c.round_even][e.acc < 0];
      } else {
        e.acc = rand_acc();
        e.mult = rnd.chance(0.1) ? mult_max : rnd.chance(0.05) ? 0 : static_cast<std::int32_t>(gen64() & mult_max);
        switch (rnd.range(0, 4)) {
          case 0: e.shift = 0; break;
          case 1: e.shift = 62; break;
          case 2: e.shift = rnd.range(25, 45); break;
          default: e.shift = rnd.range(0, 62);
        }
        if (kind == 1 && e.shift == 0) e.mult = rnd.range(0, 4);  // small products unshifted
        if (kind >= 4) {
          // Aim the shift so the result lands near the output range (not saturated).
          const unsigned __int128 mag = static_cast<unsigned __int128>(e.acc < 0 ? -e.acc : e.acc) *
                                        static_cast<unsigned>(e.mult);
          int log2 = 0;
          while (log2 < 127 && (mag >> (log2 + 1)) != 0) ++log2;
          e.shift = std::clamp(log2 - c.bits + rnd.range(-2, 3), 0, 62);
        }
      }
      e.act = rnd.range(0, 2);
      e.leaky = rnd.range(0, 15);
      if (e.act == 2 && e.shift + e.leaky > dnnvp::kMaxShift) e.shift = dnnvp::kMaxShift - e.leaky;
      dnnvp::check_requant(dnnvp::Requant{e.mult, e.shift},
                           e.act == 2 ? dnnvp::Activation::LeakyRelu : dnnvp::Activation::None, e.leaky);
      const bool v = !rnd.chance(idle);
      step(v, e, c);
    }
    drain(c);
  }
  // Both modes met ties of both signs.
  for (int even = 0; even < 2; ++even)
    for (int negative = 0; negative < 2; ++negative)
      TB_CHECK(ties[even][negative] > 0, "no %s ties in %s mode", negative ? "negative" : "positive",
               even ? "half_even" : "half_up");
  TB_CHECK(clipped > 0, "no output was clipped");
  std::printf(
      "dnn_requant AccBits %d ActBits %d: %ld outputs match numerics.cpp (ties half_up %ld+/%ld-, half_even "
      "%ld+/%ld-; %ld at a range end, %ld clipped)\n",
      ACC_BITS, ACT_BITS, outputs.checked(), ties[0][0], ties[0][1], ties[1][0], ties[1][1], saturated,
      clipped);
  return 0;
}

// The CPU-side operations (firmware/runtime/ops) against the golden model (generators/golden.h) on
// random shapes, windows, widths, signedness, zero points and add parameters: every element, and every
// byte of the packed output (the high nibble after an odd last 4-bit element included).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

#include "golden.h"
#include "engine_table.h"
#include "network_yaml.h"
#include "pack.h"

extern "C" {
#include "dnnvp_ops.h"
}

namespace {

using dnnvp::QuantType;
using dnnvp::Shape;
using dnnvp::Tensor;

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  bool coin() { return uniform(0, 1) == 1; }
};

QuantType random_type(Rng& rng, int bits = 0) {
  QuantType t;
  t.bits = bits ? bits : rng.uniform(2, 8);
  t.is_signed = rng.coin();
  return t;
}

Tensor random_tensor(Rng& rng, Shape s, QuantType t) {
  Tensor x(s);
  for (auto& v : x.data) v = rng.uniform(t.min(), t.max());
  // Make the extremes likely: they are where sign handling and saturation go wrong.
  if (!x.data.empty()) {
    x.data[0] = t.min();
    x.data[x.data.size() - 1] = t.max();
  }
  return x;
}

dnnvp_qtype_t c_type(QuantType t, int zero_point = 0) {
  return dnnvp_qtype_t{static_cast<std::uint8_t>(t.bits), static_cast<std::uint8_t>(t.is_signed),
                       static_cast<std::int16_t>(zero_point)};
}

dnnvp_shape_t c_shape(Shape s) {
  return dnnvp_shape_t{static_cast<std::uint32_t>(s.h), static_cast<std::uint32_t>(s.w), static_cast<std::uint32_t>(s.c)};
}

// A pooling layer with a random valid window (padding < kernel, kernel <= padded input) or a global one.
dnnvp::Layer random_pool(Rng& rng, dnnvp::LayerType type, Shape in) {
  dnnvp::Layer l;
  l.type = type;
  l.name = "pool";
  if (rng.uniform(0, 5) == 0) {  // global
    l.global = true;
    l.kernel_h = in.h;
    l.kernel_w = in.w;
  } else {
    for (;;) {
      l.kernel_h = rng.uniform(1, 11);
      l.kernel_w = rng.uniform(1, 11);
      l.stride_h = rng.uniform(1, 4);
      l.stride_w = rng.uniform(1, 4);
      l.padding = {rng.uniform(0, l.kernel_h - 1), rng.uniform(0, l.kernel_w - 1), rng.uniform(0, l.kernel_h - 1),
                   rng.uniform(0, l.kernel_w - 1)};
      if (rng.uniform(0, 2) == 0) l.padding = {};
      if (in.h + l.padding.top + l.padding.bottom >= l.kernel_h &&
          in.w + l.padding.left + l.padding.right >= l.kernel_w)
        break;
    }
  }
  l.output_shape = {(in.h + l.padding.top + l.padding.bottom - l.kernel_h) / l.stride_h + 1,
                    (in.w + l.padding.left + l.padding.right - l.kernel_w) / l.stride_w + 1, in.c};
  l.input_shapes = {in};
  return l;
}

std::string describe(const dnnvp::Layer& l, Shape in, QuantType t) {
  std::ostringstream os;
  os << "in " << in.h << "x" << in.w << "x" << in.c << " bits " << t.bits << (t.is_signed ? " signed" : " unsigned")
     << " kernel " << l.kernel_h << "x" << l.kernel_w << " stride " << l.stride_h << "x" << l.stride_w << " pad "
     << l.padding.top << "," << l.padding.left << "," << l.padding.bottom << "," << l.padding.right;
  return os.str();
}

using PoolOp = dnnvp_op_status_t (*)(const dnnvp_pool_params_t*, const dnnvp_tensor_t*, const dnnvp_tensor_t*);

// AvgPool cases alternate between the roundings (MaxPool ignores it).
void check_pool(dnnvp::LayerType type, PoolOp op, std::uint64_t seed, int cases) {
  Rng rng(seed);
  for (int i = 0; i < cases; ++i) {
    const Shape in_shape{rng.uniform(1, 14), rng.uniform(1, 14), rng.uniform(1, 9)};
    const QuantType t = random_type(rng, i < 14 ? 2 + i % 7 : 0);
    const dnnvp::Layer l = random_pool(rng, type, in_shape);
    const Tensor in = random_tensor(rng, in_shape, t);
    const dnnvp::Rounding rounding = i % 2 == 0 ? dnnvp::Rounding::HalfUp : dnnvp::Rounding::HalfEven;
    const int zp = rng.uniform(-3, 3);  // MaxPool ignores the zero point; AvgPool's ties to even use it
    const Tensor want =
        type == dnnvp::LayerType::MaxPool ? dnnvp::max_pool(l, in) : dnnvp::avg_pool(l, in, zp, rounding);

    std::vector<std::uint8_t> in_bytes = dnnvp::pack(in.data, t.bits);
    const std::vector<std::uint8_t> want_bytes = dnnvp::pack(want.data, t.bits);
    std::vector<std::uint8_t> out_bytes(want_bytes.size(), 0xA5);  // garbage: the op writes every bit
    const dnnvp_tensor_t cin{in_bytes.data(), c_shape(in_shape), c_type(t, zp)};
    const dnnvp_tensor_t cout{out_bytes.data(), c_shape(l.output_shape), c_type(t, zp)};
    const dnnvp_pool_params_t p{static_cast<std::uint16_t>(l.kernel_h), static_cast<std::uint16_t>(l.kernel_w),
                                static_cast<std::uint16_t>(l.stride_h), static_cast<std::uint16_t>(l.stride_w),
                                static_cast<std::uint16_t>(l.padding.top), static_cast<std::uint16_t>(l.padding.left),
                                static_cast<std::uint8_t>(rounding)};
    INFO("case " << i << ": " << describe(l, in_shape, t) << " " << dnnvp::to_string(rounding));
    REQUIRE(op(&p, &cin, &cout) == DNNVP_OP_OK);
    const std::vector<std::int32_t> got = dnnvp::unpack(out_bytes, want.shape.elements(), t);
    REQUIRE(got == want.data);
    REQUIRE(out_bytes == want_bytes);
  }
}

}  // namespace

TEST_CASE("ops: MaxPool equals the golden model on random windows, 2..8 bits, signed and unsigned", "[ops]") {
  check_pool(dnnvp::LayerType::MaxPool, dnnvp_op_maxpool, 1, 600);
}

TEST_CASE("ops: AvgPool (and global AvgPool) equals the golden model, ties up or to even, floor for negatives",
          "[ops]") {
  check_pool(dnnvp::LayerType::AvgPool, dnnvp_op_avgpool, 2, 600);
}

TEST_CASE("ops: AvgPool rounds ties toward +infinity for both signs", "[ops]") {
  // 1x2 windows of int8: (-3 + -2) / 2 = -2.5 -> -2; (2 + 3) / 2 = 2.5 -> 3; (-1 + 0) / 2 -> 0.
  std::vector<std::uint8_t> in = {0xFD, 0xFE, 2, 3, 0xFF, 0, 0x80, 0x80, 0x7F, 0x7F};
  std::vector<std::uint8_t> out(5, 0);
  const dnnvp_tensor_t cin{in.data(), {1, 10, 1}, {8, 1, 0}};
  const dnnvp_tensor_t cout{out.data(), {1, 5, 1}, {8, 1, 0}};
  const dnnvp_pool_params_t p{1, 2, 1, 2, 0, 0};
  REQUIRE(dnnvp_op_avgpool(&p, &cin, &cout) == DNNVP_OP_OK);
  CHECK(out == std::vector<std::uint8_t>{0xFE, 3, 0, 0x80, 0x7F});
}

TEST_CASE("ops: AvgPool rounds ties to even for both signs in half_even mode", "[ops]") {
  // 1x2 windows of int8: -2.5 -> -2; 2.5 -> 2; -0.5 -> 0; -3.5 -> -4; 3.5 -> 4; -1.5 -> -2.
  std::vector<std::uint8_t> in = {0xFD, 0xFE, 2, 3, 0xFF, 0, 0xFC, 0xFD, 3, 4, 0xFF, 0xFE};
  std::vector<std::uint8_t> out(6, 0);
  const dnnvp_tensor_t cin{in.data(), {1, 12, 1}, {8, 1, 0}};
  const dnnvp_tensor_t cout{out.data(), {1, 6, 1}, {8, 1, 0}};
  const dnnvp_pool_params_t p{1, 2, 1, 2, 0, 0, DNNVP_ROUND_HALF_EVEN};
  REQUIRE(dnnvp_op_avgpool(&p, &cin, &cout) == DNNVP_OP_OK);
  CHECK(out == std::vector<std::uint8_t>{0xFE, 2, 0, 0xFC, 4, 0xFE});
}

TEST_CASE("ops: AvgPool rounds the mean of (q - zero point), ONNX's rule, for odd zero points in both modes",
          "[ops]") {
  // 1x2 windows over every pair of values of the type: half of them are ties, of both signs relative to z.
  for (const int bits : {8, 4})
    for (const bool is_signed : {false, true})
      for (const dnnvp::Rounding rounding : {dnnvp::Rounding::HalfUp, dnnvp::Rounding::HalfEven}) {
        const QuantType t{bits, is_signed};
        const int z = is_signed ? -(1 << (bits - 2)) + 1 : (1 << (bits - 1)) + 1;  // odd, inside the type
        std::vector<std::int32_t> values, want;
        for (int a = t.min(); a <= t.max(); ++a)
          for (int b = t.min(); b <= t.max(); ++b) {
            values.push_back(a);
            values.push_back(b);
            // A tie k + 1/2 is exact in double; nearbyint rounds it to even (the default mode).
            const double mean = (a - z + b - z) / 2.0;
            want.push_back(z + static_cast<int>(rounding == dnnvp::Rounding::HalfUp ? std::floor(mean + 0.5)
                                                                                    : std::nearbyint(mean)));
          }
        const std::uint32_t n = static_cast<std::uint32_t>(want.size());
        std::vector<std::uint8_t> in_bytes = dnnvp::pack(values, bits);
        const std::vector<std::uint8_t> want_bytes = dnnvp::pack(want, bits);
        std::vector<std::uint8_t> out_bytes(want_bytes.size(), 0xA5);
        const dnnvp_tensor_t cin{in_bytes.data(), {1, 2 * n, 1}, c_type(t, z)};
        const dnnvp_tensor_t cout{out_bytes.data(), {1, n, 1}, c_type(t, z)};
        const dnnvp_pool_params_t p{1, 2, 1, 2, 0, 0, static_cast<std::uint8_t>(rounding)};
        INFO(bits << " bits " << (is_signed ? "signed" : "unsigned") << " zero point " << z << " "
                  << dnnvp::to_string(rounding));
        REQUIRE(dnnvp_op_avgpool(&p, &cin, &cout) == DNNVP_OP_OK);
        CHECK(dnnvp::unpack(out_bytes, n, t) == want);
        CHECK(out_bytes == want_bytes);
      }
}

TEST_CASE("ops: a window of more than 4 M positions (64-bit path) rounds the mean of (q - zero point) to even",
          "[ops]") {
  // One global window of 2050 x 2048 uint8 values, half z and half z + 1: the mean of q - z is a tie, 1/2.
  const QuantType t{8, false};
  const int z = 7;
  const std::uint32_t h = 2050, w = 2048;
  std::vector<std::uint8_t> in(static_cast<size_t>(h) * w);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(z + (i % 2));
  for (const dnnvp::Rounding rounding : {dnnvp::Rounding::HalfUp, dnnvp::Rounding::HalfEven}) {
    std::vector<std::uint8_t> out(1, 0xA5);
    const dnnvp_tensor_t cin{in.data(), {h, w, 1}, c_type(t, z)};
    const dnnvp_tensor_t cout{out.data(), {1, 1, 1}, c_type(t, z)};
    const dnnvp_pool_params_t p{static_cast<std::uint16_t>(h),      static_cast<std::uint16_t>(w), 1, 1, 0, 0,
                                static_cast<std::uint8_t>(rounding)};
    INFO(dnnvp::to_string(rounding));
    REQUIRE(dnnvp_op_avgpool(&p, &cin, &cout) == DNNVP_OP_OK);
    CHECK(out[0] == (rounding == dnnvp::Rounding::HalfUp ? z + 1 : z));  // 7.5: up 8, q - z's 0.5 to even 0
  }
}

TEST_CASE("ops: a global average over 7x7x2048 (ResNet-50's) equals the golden model", "[ops]") {
  Rng rng(3);
  for (const bool is_signed : {false, true}) {
    const dnnvp::Rounding rounding = is_signed ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp;
    const QuantType t{8, is_signed};
    const Shape s{7, 7, 2048};
    dnnvp::Layer l;
    l.type = dnnvp::LayerType::AvgPool;
    l.global = true;
    l.kernel_h = 7;
    l.kernel_w = 7;
    l.output_shape = {1, 1, 2048};
    const Tensor in = random_tensor(rng, s, t);
    const Tensor want = dnnvp::avg_pool(l, in, 0, rounding);
    std::vector<std::uint8_t> in_bytes = dnnvp::pack(in.data, 8);
    std::vector<std::uint8_t> out(2048);
    const dnnvp_tensor_t cin{in_bytes.data(), c_shape(s), c_type(t)};
    const dnnvp_tensor_t cout{out.data(), {1, 1, 2048}, c_type(t)};
    const dnnvp_pool_params_t p{7, 7, 1, 1, 0, 0, static_cast<std::uint8_t>(rounding)};
    REQUIRE(dnnvp_op_avgpool(&p, &cin, &cout) == DNNVP_OP_OK);
    CHECK(out == dnnvp::pack(want.data, 8));
  }
}

namespace {

struct AddCase {
  Shape shape;
  QuantType ta, tb, ty;
  int za = 0, zb = 0, zy = 0;
  dnnvp::Activation act = dnnvp::Activation::None;
  int leaky_shift = 1;
  dnnvp::AddParams add;
  dnnvp::Rounding rounding = dnnvp::Rounding::HalfUp;
};

// Runs one Add case through the golden model and the firmware operation; every element and byte.
void check_add(Rng& rng, const AddCase& c, int index) {
  const dnnvp::TensorQuant qa{c.ta, c.za}, qb{c.tb, c.zb};
  dnnvp::Layer l;
  l.type = dnnvp::LayerType::Add;
  l.output_shape = c.shape;
  l.activation = c.act;
  l.leaky_shift = c.leaky_shift;
  dnnvp::LayerParams p;
  p.out.type = c.ty;
  p.out.zero_point = c.zy;
  p.add = c.add;
  p.rounding = c.rounding;
  const Tensor a = random_tensor(rng, c.shape, c.ta), b = random_tensor(rng, c.shape, c.tb);
  const Tensor want = dnnvp::add(l, a, qa, b, qb, p);

  std::vector<std::uint8_t> a_bytes = dnnvp::pack(a.data, c.ta.bits), b_bytes = dnnvp::pack(b.data, c.tb.bits);
  const std::vector<std::uint8_t> want_bytes = dnnvp::pack(want.data, c.ty.bits);
  std::vector<std::uint8_t> out(want_bytes.size(), 0x5A);
  const dnnvp_tensor_t ca{a_bytes.data(), c_shape(c.shape), c_type(c.ta, c.za)};
  const dnnvp_tensor_t cb{b_bytes.data(), c_shape(c.shape), c_type(c.tb, c.zb)};
  const dnnvp_tensor_t cy{out.data(), c_shape(c.shape), c_type(c.ty, c.zy)};
  const dnnvp_add_params_t cp{{c.add.multiplier_a, c.add.multiplier_b}, static_cast<std::uint8_t>(c.add.shift),
                              static_cast<std::uint8_t>(c.act), static_cast<std::uint8_t>(c.leaky_shift),
                              static_cast<std::uint8_t>(c.rounding)};
  INFO("case " << index << ": " << c.shape.elements() << " elements, bits " << c.ta.bits << (c.ta.is_signed ? "s" : "u")
               << "/" << c.tb.bits << (c.tb.is_signed ? "s" : "u") << "/" << c.ty.bits << (c.ty.is_signed ? "s" : "u")
               << " zp " << c.za << "," << c.zb << "," << c.zy << " M " << c.add.multiplier_a << ","
               << c.add.multiplier_b << " shift " << c.add.shift << " act " << static_cast<int>(c.act) << "/"
               << c.leaky_shift << " " << dnnvp::to_string(c.rounding));
  REQUIRE(dnnvp_op_add(&cp, &ca, &cb, &cy) == DNNVP_OP_OK);
  REQUIRE(dnnvp::unpack(out, want.shape.elements(), c.ty) == want.data);
  REQUIRE(out == want_bytes);
}

// Random parameters: as the generator picks them, tiny ones (ties, saturation), or anything in range.
AddCase random_add(Rng& rng, Shape s, int bits_lo, int bits_hi, bool mixed) {
  AddCase c;
  c.shape = s;
  c.ta = random_type(rng, mixed ? 0 : rng.uniform(bits_lo, bits_hi));
  c.tb = random_type(rng, mixed ? 0 : rng.uniform(bits_lo, bits_hi));
  c.ty = random_type(rng, mixed ? 0 : rng.uniform(bits_lo, bits_hi));
  c.za = rng.uniform(-4, 4);
  c.zb = rng.uniform(-4, 4);
  c.zy = rng.uniform(-4, 4);
  c.act = static_cast<dnnvp::Activation>(rng.uniform(0, 2));
  c.leaky_shift = rng.uniform(1, 7);
  c.rounding = rng.coin() ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp;
  const int extra = c.act == dnnvp::Activation::LeakyRelu ? c.leaky_shift : 0;
  switch (rng.uniform(0, 2)) {
    case 0:
      c.add.shift = rng.uniform(20, 62 - extra);
      c.add.multiplier_a = rng.uniform(0, (1 << 30));
      c.add.multiplier_b = rng.uniform(0, (1 << 30));
      break;
    case 1:
      c.add.shift = rng.uniform(0, 4);
      c.add.multiplier_a = rng.uniform(0, 5);
      c.add.multiplier_b = rng.uniform(0, 5);
      break;
    default:
      c.add.shift = rng.uniform(0, 62 - extra);
      c.add.multiplier_a = static_cast<std::int32_t>(rng.gen());
      c.add.multiplier_b = static_cast<std::int32_t>(rng.gen());
      break;
  }
  return c;
}

}  // namespace

TEST_CASE(
    "ops: Add equals the golden model: widths (mixed too), zero points, multipliers, shifts, activations, "
    "roundings",
    "[ops]") {
  Rng rng(4);
  for (int i = 0; i < 3000; ++i) {
    const Shape s{rng.uniform(1, 5), rng.uniform(1, 5), rng.uniform(1, 9)};
    const int kind = rng.uniform(0, 3);  // 4-bit, 8-bit (twice as likely), mixed widths
    check_add(rng, random_add(rng, s, kind == 0 ? 2 : 5, kind == 0 ? 4 : 8, kind == 3), i);
  }
}

TEST_CASE("ops: Add's lookup tables (large tensors, 4- and 8-bit) equal the golden model", "[ops]") {
  Rng rng(5);
  for (int i = 0; i < 40; ++i)  // 4-bit: 256-entry table from 512 elements
    check_add(rng, random_add(rng, {rng.uniform(8, 12), rng.uniform(8, 12), rng.uniform(7, 9)}, 2, 4, false), i);
  for (int i = 0; i < 6; ++i)  // 8-bit: 64 KiB table from 80 Ki elements
    check_add(rng, random_add(rng, {16, 16, 513}, 5, 8, false), i);
}

TEST_CASE("ops: Add at the edges of its 32-bit path: shifts 17/46/47/62, largest multipliers, wide zero points",
          "[ops]") {
  Rng rng(6);
  int index = 0;
  for (int shift : {16, 17, 18, 30, 31, 46, 47, 55}) {
    for (std::int32_t m : {0, 1, 65535, 65536, (1 << 30), 2147483647, -1, -65536, -2147483647 - 1}) {
      for (int act = 0; act < 3; ++act) {
        for (int zp : {0, 7, -32768, 32767}) {
          AddCase c;
          c.shape = {3, 3, 7};
          c.ta = {8, true};
          c.tb = {8, false};
          c.ty = {rng.uniform(2, 8), rng.coin()};
          c.za = zp;
          c.zb = -zp / 3;
          c.zy = rng.uniform(-3, 3);
          c.act = static_cast<dnnvp::Activation>(act);
          c.leaky_shift = 7;
          c.add.shift = std::min(shift, act == 2 ? 62 - 7 : 62);
          c.add.multiplier_a = m;
          c.add.multiplier_b = (1 << 29) + 12345;
          check_add(rng, c, index++);
          c.rounding = dnnvp::Rounding::HalfEven;
          check_add(rng, c, index++);
        }
      }
    }
  }
}

TEST_CASE("ops: Add rounds ties to even for both signs in half_even mode, up in half_up mode", "[ops]") {
  // y = (2a + b) / 2 on int8: a = 10, b = 1 -> 10.5; a = 11, b = 1 -> 11.5; both negated. With LeakyReLU
  // (slope 1/2, in the same rounding) a = -11, b = 0 -> -5.5 and a = -13, b = 0 -> -6.5.
  std::vector<std::uint8_t> a = {10, 11, 0xF6, 0xF5, 0xF5, 0xF3}, b = {1, 1, 0xFF, 0xFF, 0, 0};
  std::vector<std::uint8_t> out(4, 0);
  const dnnvp_tensor_t ca{a.data(), {1, 1, 4}, {8, 1, 0}}, cb{b.data(), {1, 1, 4}, {8, 1, 0}};
  const dnnvp_tensor_t cy{out.data(), {1, 1, 4}, {8, 1, 0}};
  const dnnvp_add_params_t even{{2, 1}, 1, DNNVP_ACT_NONE, 0, DNNVP_ROUND_HALF_EVEN};
  REQUIRE(dnnvp_op_add(&even, &ca, &cb, &cy) == DNNVP_OP_OK);
  CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + 4) == std::vector<std::uint8_t>{10, 12, 0xF6, 0xF4});
  const dnnvp_add_params_t up{{2, 1}, 1, DNNVP_ACT_NONE, 0, DNNVP_ROUND_HALF_UP};
  REQUIRE(dnnvp_op_add(&up, &ca, &cb, &cy) == DNNVP_OP_OK);
  CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + 4) == std::vector<std::uint8_t>{11, 12, 0xF6, 0xF5});
  const dnnvp_tensor_t la{a.data() + 4, {1, 1, 2}, {8, 1, 0}}, lb{b.data() + 4, {1, 1, 2}, {8, 1, 0}};
  const dnnvp_tensor_t ly{out.data(), {1, 1, 2}, {8, 1, 0}};
  const dnnvp_add_params_t leaky{{2, 1}, 1, DNNVP_ACT_LEAKY_RELU, 1, DNNVP_ROUND_HALF_EVEN};
  REQUIRE(dnnvp_op_add(&leaky, &la, &lb, &ly) == DNNVP_OP_OK);
  CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + 2) == std::vector<std::uint8_t>{0xFA, 0xFA});
}

TEST_CASE("ops: invalid arguments are refused", "[ops]") {
  std::uint8_t buf[64] = {};
  const dnnvp_tensor_t in{buf, {4, 4, 2}, {8, 1, 0}};
  const dnnvp_tensor_t out{buf + 32, {2, 2, 2}, {8, 1, 0}};
  dnnvp_pool_params_t p{2, 2, 2, 2, 0, 0};
  CHECK(dnnvp_op_maxpool(&p, &in, &out) == DNNVP_OP_OK);
  p.pad_top = 2;  // padding must be smaller than the kernel
  CHECK(dnnvp_op_maxpool(&p, &in, &out) == DNNVP_OP_ERR_ARG);
  p = {2, 2, 0, 2, 0, 0};
  CHECK(dnnvp_op_avgpool(&p, &in, &out) == DNNVP_OP_ERR_ARG);
  p = {2, 2, 2, 2, 0, 0};
  const dnnvp_tensor_t other_type{buf + 32, {2, 2, 2}, {8, 0, 0}};
  CHECK(dnnvp_op_maxpool(&p, &in, &other_type) == DNNVP_OP_ERR_ARG);
  const dnnvp_tensor_t too_big{buf + 32, {3, 2, 2}, {8, 1, 0}};  // last window would start outside
  CHECK(dnnvp_op_maxpool(&p, &in, &too_big) == DNNVP_OP_ERR_ARG);
  const dnnvp_add_params_t ap{{1, 1}, 60, DNNVP_ACT_LEAKY_RELU, 3};  // 60 + 3 > 62
  CHECK(dnnvp_op_add(&ap, &in, &in, &in) == DNNVP_OP_ERR_ARG);
  const dnnvp_add_params_t ok{{1, 1}, 1, DNNVP_ACT_NONE, 0};
  CHECK(dnnvp_op_add(&ok, &in, &out, &in) == DNNVP_OP_ERR_ARG);  // element counts differ
  CHECK(dnnvp_op_add(&ok, &in, &in, nullptr) == DNNVP_OP_ERR_ARG);
  // A rounding that is neither half_up nor half_even.
  const dnnvp_add_params_t bad_rounding{{1, 1}, 1, DNNVP_ACT_NONE, 0, 2};
  CHECK(dnnvp_op_add(&bad_rounding, &in, &in, &in) == DNNVP_OP_ERR_ARG);
  p = {2, 2, 2, 2, 0, 0, 2};
  CHECK(dnnvp_op_avgpool(&p, &in, &out) == DNNVP_OP_ERR_ARG);
}

TEST_CASE("clip matches the golden model on random widths, zero points and limits", "[ops]") {
  Rng rng(71);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape s{rng.uniform(1, 5), rng.uniform(1, 5), rng.uniform(1, 9)};  // odd counts at 4 bits too
    const QuantType t = random_type(rng);
    dnnvp::QuantizedModel m;
    m.network.source_file = "clip.yaml";
    m.network.input_shape = s;
    const double lo = rng.uniform(-40, 20) / 8.0, hi = lo + rng.uniform(1, 60) / 8.0;
    std::ostringstream yaml;
    yaml << "layers: [{name: c, type: clip, min: " << lo << ", max: " << hi << "}]";
    dnnvp::parse_layers(dnnvp::Fields(YAML::Load(yaml.str()), "clip.yaml", ""), m.network);
    m.network.infer_shapes();
    m.input = {t, rng.uniform(t.min(), t.max()) / 2, rng.uniform(1, 64) / 32.0};
    m.params.resize(1);
    m.params[0].out = m.input;
    const Tensor x = random_tensor(rng, s, t);
    const Tensor want = dnnvp::run_layer(m, 0, x, {});

    // The layer's model.h row as vp_gen fills it (addresses aside).
    const dnnvp_layer_t row = dnnvp::layer_table_row(m, 0, nullptr);
    REQUIRE(row.type == DNNVP_LAYER_CLIP);
    std::vector<std::uint8_t> in_bytes = dnnvp::pack(x.data, t.bits);
    const std::vector<std::uint8_t> want_bytes = dnnvp::pack(want.data, t.bits);
    std::vector<std::uint8_t> out(want_bytes.size(), 0x5A);
    const dnnvp_tensor_t in{in_bytes.data(), c_shape(s), c_type(t, m.input.zero_point)};
    const dnnvp_tensor_t y{out.data(), c_shape(s), c_type(t, m.input.zero_point)};
    const dnnvp_clip_params_t p{row.param[0], row.param[1]};
    INFO("trial " << trial << ": " << t.bits << (t.is_signed ? "s" : "u") << " zp " << m.input.zero_point << " range "
                  << p.lo << ".." << p.hi);
    REQUIRE(dnnvp_op_clip(&p, &in, &y) == DNNVP_OP_OK);
    REQUIRE(out == want_bytes);
  }
}

TEST_CASE("clip refuses an output of another type or size and limits outside the type", "[ops]") {
  std::vector<std::uint8_t> a(8), b(8);
  dnnvp_clip_params_t p{0, 100};
  const dnnvp_tensor_t in{a.data(), {1, 2, 4}, {8, 0, 0}};
  const dnnvp_tensor_t ok{b.data(), {2, 1, 4}, {8, 0, 0}};
  CHECK(dnnvp_op_clip(&p, &in, &ok) == DNNVP_OP_OK);
  const dnnvp_tensor_t other_type{b.data(), {1, 2, 4}, {8, 1, 0}};
  CHECK(dnnvp_op_clip(&p, &in, &other_type) == DNNVP_OP_ERR_ARG);
  const dnnvp_tensor_t smaller{b.data(), {1, 1, 4}, {8, 0, 0}};
  CHECK(dnnvp_op_clip(&p, &in, &smaller) == DNNVP_OP_ERR_ARG);
  p.hi = 256;  // above an unsigned 8-bit value
  CHECK(dnnvp_op_clip(&p, &in, &ok) == DNNVP_OP_ERR_ARG);
}

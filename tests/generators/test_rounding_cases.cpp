// The numerics scenarios (tests/scenarios/numerics_*.yaml), which vp_run and the engine bridge check bit
// for bit, really meet the cases they are there for: rounding ties of both signs whose direction decides
// the output (so an engine or firmware rounding ties down, or away from zero, would fail them), and
// pooling windows on every padded edge where skipping the padding decides the output. Counted here in
// the golden model, independently of numerics.cpp's rounding and golden.cpp's window clipping.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "golden.h"
#include "scenario.h"
#include "synthesize.h"

using namespace dnnvp;

namespace {

struct Ties {
  std::int64_t positive = 0, negative = 0;
  // Of those, the ties where rounding to even gives another output than rounding up (an even floor).
  std::int64_t even_positive = 0, even_negative = 0;
};

std::int64_t floor_mod(std::int64_t v, std::int64_t d) {
  return ((v % d) + d) % d;
}

// value / 2^shift lies exactly halfway between two integers, and rounding it up or down gives two
// different outputs once the zero point is added and the result saturated.
void count_tie(std::int64_t value, int shift, std::int32_t zero_point, QuantType t, Ties& ties) {
  if (shift == 0) return;
  const std::int64_t den = std::int64_t{1} << shift;
  if (floor_mod(value, den) != den / 2) return;
  const std::int64_t down = (value - den / 2) / den;  // exact division
  if (saturate(down + zero_point, t) == saturate(down + 1 + zero_point, t)) return;
  (value < 0 ? ties.negative : ties.positive)++;
  if (floor_mod(down, 2) == 0) (value < 0 ? ties.even_negative : ties.even_positive)++;
}

// The tie test of an output stage: ReLU zeroes negatives (no tie), LeakyReLU adds its shift.
void count_activated_tie(std::int64_t v, std::int64_t multiplier, int shift, const Layer& l,
                         const TensorQuant& out, Ties& ties) {
  if (v < 0 && l.activation == Activation::Relu) return;
  if (v < 0 && l.activation == Activation::LeakyRelu) shift += l.leaky_shift;
  count_tie(v * multiplier, shift, out.zero_point, out.type, ties);
}

SynthesizedModel synthesize_scenario(const std::string& name) {
  return synthesize(load_scenario(std::string(DNNVP_SOURCE_DIR) + "/tests/scenarios/" + name + ".yaml"));
}

size_t layer_index(const SynthesizedModel& m, const std::string& name) {
  const auto& layers = m.model.network.layers;
  const auto it = std::find_if(layers.begin(), layers.end(), [&](const Layer& l) { return l.name == name; });
  REQUIRE(it != layers.end());
  return static_cast<size_t>(it - layers.begin());
}

const Tensor& operand(const SynthesizedModel& m, const Layer& l, size_t k) {
  const int id = l.input_ids.at(k);
  return id < 0 ? m.input : m.outputs.at(static_cast<size_t>(id));
}

// Ties in a Conv/Dense layer's or an Add's output stage.
Ties layer_ties(const SynthesizedModel& m, const std::string& name) {
  const size_t i = layer_index(m, name);
  const Layer& l = m.model.network.layers[i];
  const LayerParams& p = m.model.params[i];
  const TensorQuant& q0 = m.model.quant_of(l.input_ids[0]);
  Ties ties;
  if (l.type == LayerType::Add) {
    const TensorQuant& q1 = m.model.quant_of(l.input_ids[1]);
    const Tensor &a = operand(m, l, 0), &b = operand(m, l, 1);
    for (size_t k = 0; k < a.data.size(); ++k) {
      const std::int64_t v = std::int64_t{a.data[k] - q0.zero_point} * p.add.multiplier_a +
                             std::int64_t{b.data[k] - q1.zero_point} * p.add.multiplier_b;
      count_activated_tie(v, 1, p.add.shift, l, p.out, ties);
    }
    return ties;
  }
  REQUIRE(l.has_weights());
  const Tensor acc = accumulate(l, operand(m, l, 0), q0.zero_point, p);
  for (size_t k = 0; k < acc.data.size(); ++k) {
    const Requant rq = p.requant[k % static_cast<size_t>(acc.shape.c)];
    count_activated_tie(acc.data[k], rq.multiplier, rq.shift, l, p.out, ties);
  }
  return ties;
}

// Pooling windows that padding clips, by edge, and the ones where the padding rule decides the output.
struct PaddedWindows {
  std::int64_t top = 0, left = 0, bottom = 0, right = 0;
  std::int64_t decided = 0;  // max: every in-bounds value negative; avg: the full window's divisor differs
  Ties ties;                 // average only: sum / count halfway between two integers
};

PaddedWindows padded_windows(const SynthesizedModel& m, const std::string& name) {
  const Layer& l = m.model.network.layers[layer_index(m, name)];
  const Tensor& in = operand(m, l, 0);
  const std::int64_t full = std::int64_t{l.kernel_h} * l.kernel_w;
  PaddedWindows w;
  for (int oy = 0; oy < l.output_shape.h; ++oy)
    for (int ox = 0; ox < l.output_shape.w; ++ox) {
      const int y0 = oy * l.stride_h - l.padding.top, x0 = ox * l.stride_w - l.padding.left;
      w.top += y0 < 0;
      w.left += x0 < 0;
      w.bottom += y0 + l.kernel_h > in.shape.h;
      w.right += x0 + l.kernel_w > in.shape.w;
      for (int c = 0; c < l.output_shape.c; ++c) {
        std::int64_t sum = 0, count = 0;
        std::int32_t max = 0;
        for (int y = y0; y < y0 + l.kernel_h; ++y)
          for (int x = x0; x < x0 + l.kernel_w; ++x) {
            if (y < 0 || y >= in.shape.h || x < 0 || x >= in.shape.w) continue;
            const std::int32_t v = in.at(y, x, c);
            max = count == 0 ? v : std::max(max, v);
            sum += v;
            ++count;
          }
        if (l.type == LayerType::MaxPool) {
          w.decided += count < full && max < 0;
          continue;
        }
        // Round to nearest, ties up: floor((2 sum + n) / 2n).
        const auto average = [&](std::int64_t n) {
          return (2 * sum + n - floor_mod(2 * sum + n, 2 * n)) / (2 * n);
        };
        w.decided += average(count) != average(full);
        if (floor_mod(2 * sum, 2 * count) == count) {
          (sum < 0 ? w.ties.negative : w.ties.positive)++;
          if (floor_mod(average(count) - 1, 2) == 0)
            (sum < 0 ? w.ties.even_negative : w.ties.even_positive)++;
        }
      }
    }
  return w;
}

}  // namespace

TEST_CASE("power-of-two requantisation is a shift below a ratio of 1 and a power-of-two multiplier from 1 up",
          "[numerics]") {
  const auto check = [](double ratio, std::int32_t multiplier, int shift) {
    INFO("ratio " << ratio);
    const Requant rq = requant_for_scale(ratio, true);
    CHECK(rq.multiplier == multiplier);
    CHECK(rq.shift == shift);
  };
  check(0.25, 1, 2);
  check(0.3, 1, 2);  // the nearest power of two in log scale
  check(1.0, 1, 0);
  check(8.0, 8, 0);
  check(5.0, 4, 0);
}

TEST_CASE("numerics_ties_pow2 meets deciding rounding ties of both signs in each output stage",
          "[numerics][ties]") {
  const SynthesizedModel m = synthesize_scenario("numerics_ties_pow2");
  for (const char* name : {"c1", "c2", "sum"}) {
    INFO("layer " << name);
    const Ties t = layer_ties(m, name);
    CHECK(t.positive > 0);
    CHECK(t.negative > 0);  // c2 and sum: negative values rounded with LeakyReLU's shift added
  }
}

TEST_CASE("numerics_maxpool_padding clips windows at the edges where a padded 0 would be the maximum",
          "[numerics][pooling]") {
  const SynthesizedModel m = synthesize_scenario("numerics_maxpool_padding");
  const PaddedWindows p0 = padded_windows(m, "p0");
  CHECK(p0.top == 0);
  CHECK(p0.left > 0);
  CHECK(p0.bottom > 0);  // windows hanging over the bottom and right edges
  CHECK(p0.right > 0);
  CHECK(p0.decided > 0);
  const PaddedWindows p1 = padded_windows(m, "p1");
  CHECK(p1.top > 0);
  CHECK(p1.left > 0);
  CHECK(p1.decided > 0);
}

TEST_CASE(
    "numerics_avgpool_padding divides edge windows by their in-bounds count and meets ties of both signs",
    "[numerics][pooling][ties]") {
  const SynthesizedModel m = synthesize_scenario("numerics_avgpool_padding");
  for (const char* name : {"p0", "p1"}) {
    INFO("layer " << name);
    const PaddedWindows p = padded_windows(m, name);
    CHECK(p.bottom > 0);
    CHECK(p.right > 0);
    CHECK(p.decided > 0);
    CHECK(p.ties.positive > 0);
    CHECK(p.ties.negative > 0);
  }
  const PaddedWindows p1 = padded_windows(m, "p1");
  CHECK(p1.top > 0);
  CHECK(p1.left > 0);
}

TEST_CASE(
    "numerics_ties_half_even meets ties of both signs that rounding to even decides in every layer that "
    "rounds",
    "[numerics][ties]") {
  const SynthesizedModel m = synthesize_scenario("numerics_ties_half_even");
  for (const LayerParams& p : m.model.params) CHECK(p.rounding == Rounding::HalfEven);
  for (const char* name : {"c1", "c2", "sum"}) {
    INFO("layer " << name);
    const Ties t = layer_ties(m, name);
    CHECK(t.even_positive > 0);
    CHECK(t.even_negative > 0);  // c2 and sum: negative values rounded with LeakyReLU's shift added
  }
  const PaddedWindows avg = padded_windows(m, "avg");
  CHECK(avg.ties.even_positive > 0);
  CHECK(avg.ties.even_negative > 0);
}

TEST_CASE("numerics_ties_half_even's output changes when any one of its layers rounds half up instead",
          "[numerics][ties]") {
  const SynthesizedModel m = synthesize_scenario("numerics_ties_half_even");
  const std::vector<Tensor> expected = run_network(m.model, m.input);
  REQUIRE(expected.back().data == m.outputs.back().data);
  for (size_t i = 0; i < m.model.params.size(); ++i) {
    INFO("layer " << m.model.network.layers[i].name);
    QuantizedModel up = m.model;
    up.params[i].rounding = Rounding::HalfUp;
    const std::vector<Tensor> outputs = run_network(up, m.input);
    CHECK(outputs[i].data != expected[i].data);
    CHECK(outputs.back().data != expected.back().data);
  }
}

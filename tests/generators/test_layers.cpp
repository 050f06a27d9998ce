// Every layer type of the golden model against an independent, naive implementation, on random
// shapes, strides, paddings, widths and zero points. Every output element is compared.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "golden.h"
#include "network_yaml.h"
#include "scenario.h"
#include "synthesize.h"

using namespace dnnvp;

namespace {

__extension__ typedef __int128 Int128;  // exact reference arithmetic

// numerator / 2^shift to nearest by exact 128-bit arithmetic, independent of rounding_shift_right():
// half_up floor((2n + d) / 2d); half_even the floor q of n / d, plus one above the halfway point or at
// it when q is odd.
std::int64_t reference_round(Int128 numerator, int shift, Rounding rounding) {
  const Int128 den = Int128{1} << shift;
  if (rounding == Rounding::HalfEven) {
    Int128 q = numerator / den;
    if (numerator % den != 0 && numerator < 0) --q;
    const Int128 twice_rest = 2 * (numerator - q * den);
    return static_cast<std::int64_t>(twice_rest > den || (twice_rest == den && q % 2 != 0) ? q + 1 : q);
  }
  Int128 twice = 2 * numerator + den;
  Int128 q = twice / (2 * den);
  if (twice % (2 * den) != 0 && twice < 0) --q;
  return static_cast<std::int64_t>(q);
}

std::int32_t clamp_to(std::int64_t v, QuantType t) {
  return static_cast<std::int32_t>(std::max<std::int64_t>(t.min(), std::min<std::int64_t>(t.max(), v)));
}

std::int32_t reference_output_stage(Int128 value, std::int64_t mult, int shift, Activation act, int leaky,
                                    std::int32_t zp, QuantType t, Rounding rounding) {
  if (value < 0 && act == Activation::Relu) value = 0;
  if (value < 0 && act == Activation::LeakyRelu) shift += leaky;
  return clamp_to(reference_round(value * mult, shift, rounding) + zp, t);
}

// Every other trial rounds to even.
Rounding rounding_of_trial(int trial) {
  return trial % 2 == 0 ? Rounding::HalfUp : Rounding::HalfEven;
}

struct Random {
  std::mt19937_64 gen;
  explicit Random(std::uint64_t seed) : gen(seed) {}
  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  Tensor tensor(Shape s, QuantType t) {
    Tensor x(s);
    for (auto& v : x.data) v = range(t.min(), t.max());
    return x;
  }
};

Activation random_activation(Random& r) {
  const int a = r.range(0, 2);
  return a == 0 ? Activation::None : a == 1 ? Activation::Relu : Activation::LeakyRelu;
}

// A random windowed layer over `in` (kernel 1..11, stride 1..4, padding < kernel per side).
Layer random_window_layer(Random& r, LayerType type, Shape in) {
  Layer l;
  l.type = type;
  l.kernel_h = r.range(1, std::min(11, in.h));
  l.kernel_w = r.range(1, std::min(11, in.w));
  l.stride_h = r.range(1, 4);
  l.stride_w = r.range(1, 4);
  l.padding = {r.range(0, l.kernel_h - 1), r.range(0, l.kernel_w - 1), r.range(0, l.kernel_h - 1),
               r.range(0, l.kernel_w - 1)};
  l.filters = r.range(1, 9);
  l.activation = random_activation(r);
  l.leaky_shift = r.range(1, 7);
  l.input_shapes = {in};
  l.output_shape = {(in.h + l.padding.top + l.padding.bottom - l.kernel_h) / l.stride_h + 1,
                    (in.w + l.padding.left + l.padding.right - l.kernel_w) / l.stride_w + 1,
                    type == LayerType::Conv ? l.filters : in.c};
  return l;
}

LayerParams random_weights(Random& r, const Layer& l, int weight_bits, bool with_zero_points) {
  LayerParams p;
  p.weight_type = {weight_bits, true};
  const auto count = static_cast<size_t>(l.filters * l.reduction_length());
  for (size_t i = 0; i < count; ++i) p.weights.push_back(r.range(p.weight_type.min(), p.weight_type.max()));
  for (int o = 0; o < l.filters; ++o) {
    p.bias.push_back(r.range(-5000, 5000));
    p.requant.push_back({r.range(1, 1 << 30), r.range(8, 24)});
    if (with_zero_points) p.weight_zero_points.push_back(r.range(-3, 3));
  }
  p.out = {{r.range(0, 1) ? 8 : 4, l.activation != Activation::Relu}, r.range(-2, 2), 1.0};
  return p;
}

Int128 naive_conv_acc(const Layer& l, const Tensor& x, std::int32_t zx, const LayerParams& p, int oy, int ox,
                      int o) {
  const Shape in = x.shape;
  Int128 acc = p.bias[o];
  const std::int32_t zw = p.weight_zero_points.empty() ? 0 : p.weight_zero_points[o];
  const int group_channels = in.c / l.groups;
  const int first_channel = o / (l.filters / l.groups) * group_channels;  // of filter o's group
  for (int ky = 0; ky < l.kernel_h; ++ky)
    for (int kx = 0; kx < l.kernel_w; ++kx) {
      const int iy = oy * l.stride_h - l.padding.top + ky;
      const int ix = ox * l.stride_w - l.padding.left + kx;
      if (iy < 0 || ix < 0 || iy >= in.h || ix >= in.w) continue;  // padding is a real zero
      for (int c = 0; c < group_channels; ++c) {
        const size_t wi = ((static_cast<size_t>(o) * l.kernel_h + ky) * l.kernel_w + kx) * group_channels + c;
        acc += Int128{x.at(iy, ix, first_channel + c) - zx} * (p.weights[wi] - zw);
      }
    }
  return acc;
}

// Elements of a conv's output y (and accumulators acc, unless null) that differ from the naive ones.
int naive_conv_mismatches(const Layer& l, const Tensor& x, std::int32_t zx, const LayerParams& p,
                          const Tensor& y, const Tensor* acc) {
  REQUIRE(y.shape == l.output_shape);
  int mismatches = 0;
  for (int oy = 0; oy < l.output_shape.h; ++oy)
    for (int ox = 0; ox < l.output_shape.w; ++ox)
      for (int o = 0; o < l.filters; ++o) {
        const Int128 want_acc = naive_conv_acc(l, x, zx, p, oy, ox, o);
        const std::int32_t want =
            reference_output_stage(want_acc, p.requant[o].multiplier, p.requant[o].shift, l.activation,
                                   l.leaky_shift, p.out.zero_point, p.out.type, p.rounding);
        mismatches +=
            (acc && acc->at(oy, ox, o) != static_cast<std::int64_t>(want_acc)) || y.at(oy, ox, o) != want;
      }
  return mismatches;
}

}  // namespace

TEST_CASE("conv matches a naive convolution on random shapes, strides, paddings, widths and roundings",
          "[layers]") {
  Random r(42);
  for (int trial = 0; trial < 120; ++trial) {
    INFO("trial " << trial);
    const QuantType in_type{r.range(0, 1) ? 8 : 4, r.range(0, 1) == 1};
    const Shape in{r.range(1, 20), r.range(1, 20), r.range(1, 12)};
    const Layer l = random_window_layer(r, LayerType::Conv, in);
    const std::int32_t zx = r.range(0, 1) ? 0 : r.range(in_type.min(), in_type.max());
    LayerParams p = random_weights(r, l, r.range(0, 1) ? 8 : 4, trial % 3 == 0);
    p.rounding = rounding_of_trial(trial);
    const Tensor x = r.tensor(in, in_type);

    const Tensor acc = accumulate(l, x, zx, p);
    CHECK(naive_conv_mismatches(l, x, zx, p, requantize(l, acc, p), &acc) == 0);
  }
}

TEST_CASE("grouped and depthwise conv sum each filter over its group's input channels only", "[layers]") {
  Random r(12);
  for (int trial = 0; trial < 90; ++trial) {
    INFO("trial " << trial);
    const int groups = r.range(1, 6);
    const int kinds = trial % 3;  // groups 1, 2..6, depthwise (groups = Cin = filters)
    const Shape in{r.range(1, 16), r.range(1, 16), kinds == 2 ? r.range(1, 24) : groups * r.range(1, 4)};
    Layer l = random_window_layer(r, LayerType::Conv, in);
    l.groups = kinds == 0 ? 1 : kinds == 1 ? groups : in.c;
    l.filters = kinds == 2 ? in.c : l.groups * r.range(1, 3);
    l.output_shape.c = l.filters;
    INFO("Cin " << in.c << " groups " << l.groups << " filters " << l.filters);
    CHECK(l.reduction_length() == std::int64_t{l.kernel_h} * l.kernel_w * in.c / l.groups);
    const QuantType in_type{8, r.range(0, 1) == 1};
    const std::int32_t zx = r.range(in_type.min(), in_type.max());
    LayerParams p = random_weights(r, l, 8, trial % 2 == 0);
    const Tensor x = r.tensor(in, in_type);

    const Tensor acc = accumulate(l, x, zx, p);
    CHECK(naive_conv_mismatches(l, x, zx, p, requantize(l, acc, p), &acc) == 0);
  }
}

TEST_CASE("a depthwise and a grouped conv quantise each filter over its own group's weights", "[layers]") {
  Scenario s;
  s.file = "inline.yaml";
  s.network.input_shape = {9, 7, 6};
  Layer dw;
  dw.name = "dw";
  dw.filters = dw.groups = 6;
  dw.kernel_h = dw.kernel_w = 3;
  dw.padding = {1, 1, 1, 1};
  dw.batchnorm_folded = true;
  dw.activation = Activation::Relu;
  Layer grouped;
  grouped.name = "grouped";
  grouped.filters = 4;
  grouped.groups = 2;
  grouped.bias = true;
  s.network.layers = {dw, grouped};
  s.network.infer_shapes();
  const SynthesizedModel m = synthesize(s);
  for (size_t i = 0; i < s.network.layers.size(); ++i) {
    const Layer& l = s.network.layers[i];
    const LayerParams& p = m.model.params[i];
    INFO(l.name);
    const int group_channels = l.input_shapes[0].c / l.groups;
    const size_t per_filter = static_cast<size_t>(l.kernel_h) * l.kernel_w * group_channels;
    REQUIRE(p.weights.size() == l.filters * per_filter);
    for (int o = 0; o < l.filters; ++o) {  // symmetric per-filter scales: each filter reaches the top
      std::int32_t top = 0;
      for (size_t k = 0; k < per_filter; ++k) top = std::max(top, std::abs(p.weights[o * per_filter + k]));
      CHECK(top == p.weight_type.max());
    }
    const int producer = l.input_ids[0];
    const Tensor& x = producer < 0 ? m.input : m.outputs[static_cast<size_t>(producer)];
    const std::int32_t zx = m.model.quant_of(producer).zero_point;
    CHECK(naive_conv_mismatches(l, x, zx, p, m.outputs[i], nullptr) == 0);
  }
}

TEST_CASE("dense matches a naive matrix-vector product in both roundings", "[layers]") {
  Random r(7);
  for (int trial = 0; trial < 40; ++trial) {
    INFO("trial " << trial);
    Layer l;
    l.type = LayerType::Dense;
    const int cin = r.range(1, 300);
    l.filters = r.range(1, 40);
    l.activation = random_activation(r);
    l.leaky_shift = r.range(1, 7);
    l.input_shapes = {{1, 1, cin}};
    l.output_shape = {1, 1, l.filters};
    LayerParams p = random_weights(r, l, 8, trial % 2 == 0);
    p.rounding = rounding_of_trial(trial / 2);
    const Tensor x = r.tensor({1, 1, cin}, {8, false});
    const Tensor y = requantize(l, accumulate(l, x, 3, p), p);
    for (int o = 0; o < l.filters; ++o) {
      Int128 acc = p.bias[o];
      const std::int32_t zw = p.weight_zero_points.empty() ? 0 : p.weight_zero_points[o];
      for (int i = 0; i < cin; ++i) acc += Int128{x.data[i] - 3} * (p.weights[o * cin + i] - zw);
      CHECK(y.data[o] == reference_output_stage(acc, p.requant[o].multiplier, p.requant[o].shift,
                                                l.activation, l.leaky_shift, p.out.zero_point, p.out.type,
                                                p.rounding));
    }
  }
}

TEST_CASE("max and average pooling match naive pooling that skips padding, averages in both roundings",
          "[layers]") {
  Random r(9);
  for (int trial = 0; trial < 80; ++trial) {
    INFO("trial " << trial);
    const bool is_max = trial % 2 == 0;
    const QuantType t{8, r.range(0, 1) == 1};
    const Shape in{r.range(1, 16), r.range(1, 16), r.range(1, 6)};
    Layer l = random_window_layer(r, is_max ? LayerType::MaxPool : LayerType::AvgPool, in);
    const Tensor x = r.tensor(in, t);
    const Rounding rounding = rounding_of_trial(trial / 2);
    const Tensor y = is_max ? max_pool(l, x) : avg_pool(l, x, 0, rounding);
    REQUIRE(y.shape == l.output_shape);
    int mismatches = 0;
    for (int oy = 0; oy < y.shape.h; ++oy)
      for (int ox = 0; ox < y.shape.w; ++ox)
        for (int c = 0; c < in.c; ++c) {
          long sum = 0, count = 0, best = -100000;
          for (int ky = 0; ky < l.kernel_h; ++ky)
            for (int kx = 0; kx < l.kernel_w; ++kx) {
              const int iy = oy * l.stride_h - l.padding.top + ky, ix = ox * l.stride_w - l.padding.left + kx;
              if (iy < 0 || ix < 0 || iy >= in.h || ix >= in.w) continue;
              sum += x.at(iy, ix, c);
              best = std::max<long>(best, x.at(iy, ix, c));
              ++count;
            }
          // A tie k + 1/2 is exact in double; std::nearbyint rounds it to even (the default mode).
          const double avg = static_cast<double>(sum) / count;
          const long want = is_max                         ? best
                            : rounding == Rounding::HalfUp ? static_cast<long>(std::floor(avg + 0.5))
                                                           : static_cast<long>(std::nearbyint(avg));
          mismatches += y.at(oy, ox, c) != want;
        }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("average pooling rounds the mean of (q - zero point) in both roundings, odd zero points too",
          "[layers]") {
  Random r(13);
  int ties = 0;
  for (int trial = 0; trial < 80; ++trial) {
    INFO("trial " << trial);
    const QuantType t{r.range(2, 8), r.range(0, 1) == 1};
    const std::int32_t z = r.range(t.min(), t.max()) | 1;  // odd: where the roundings of q and q - z differ
    const Shape in{r.range(1, 12), r.range(1, 12), r.range(1, 4)};
    const Layer l = random_window_layer(r, LayerType::AvgPool, in);
    const Tensor x = r.tensor(in, t);
    const Rounding rounding = rounding_of_trial(trial);
    const Tensor y = avg_pool(l, x, z, rounding);
    REQUIRE(y.shape == l.output_shape);
    int mismatches = 0;
    for (int oy = 0; oy < y.shape.h; ++oy)
      for (int ox = 0; ox < y.shape.w; ++ox)
        for (int c = 0; c < in.c; ++c) {
          long sum = 0, count = 0;
          for (int ky = 0; ky < l.kernel_h; ++ky)
            for (int kx = 0; kx < l.kernel_w; ++kx) {
              const int iy = oy * l.stride_h - l.padding.top + ky, ix = ox * l.stride_w - l.padding.left + kx;
              if (iy < 0 || ix < 0 || iy >= in.h || ix >= in.w) continue;
              sum += x.at(iy, ix, c) - z;
              ++count;
            }
          // ONNX: the real mean of (q - z), rounded (a tie is exact in double; nearbyint goes to even), + z.
          const double avg = static_cast<double>(sum) / count;
          ties += rounding == Rounding::HalfEven && avg != std::floor(avg) && 2 * avg == std::floor(2 * avg);
          const long want = z + (rounding == Rounding::HalfUp ? static_cast<long>(std::floor(avg + 0.5))
                                                              : static_cast<long>(std::nearbyint(avg)));
          mismatches += y.at(oy, ox, c) != want;
        }
    CHECK(mismatches == 0);
  }
  CHECK(ties > 20);  // the case that tells the roundings of q and of q - z apart occurred
}

TEST_CASE("global average pooling averages every position of a channel", "[layers]") {
  Random r(11);
  Layer l;
  l.type = LayerType::AvgPool;
  const Shape in{7, 7, 32};
  l.kernel_h = l.kernel_w = l.stride_h = l.stride_w = 7;
  l.output_shape = {1, 1, 32};
  const Tensor x = r.tensor(in, {8, false});
  const Tensor y = avg_pool(l, x, 0, Rounding::HalfUp);
  for (int c = 0; c < in.c; ++c) {
    long sum = 0;
    for (int i = 0; i < 49; ++i) sum += x.data[static_cast<size_t>(i) * 32 + c];
    CHECK(y.data[c] == static_cast<long>(std::floor(sum / 49.0 + 0.5)));
  }
}

TEST_CASE("add matches the naive scaled sum with zero points, activation and both roundings", "[layers]") {
  Random r(5);
  for (int trial = 0; trial < 40; ++trial) {
    Layer l;
    l.type = LayerType::Add;
    l.activation = random_activation(r);
    l.leaky_shift = r.range(1, 7);
    const Shape s{r.range(1, 8), r.range(1, 8), r.range(1, 8)};
    l.output_shape = s;
    const TensorQuant qa{{8, true}, r.range(-5, 5), 1.0}, qb{{8, false}, r.range(0, 5), 1.0};
    LayerParams p;
    p.out = {{8, l.activation != Activation::Relu}, r.range(-3, 3), 1.0};
    p.add = {r.range(1, 1 << 20), r.range(1, 1 << 20), r.range(10, 30)};
    p.rounding = rounding_of_trial(trial);
    const Tensor a = r.tensor(s, qa.type), b = r.tensor(s, qb.type);
    const Tensor y = add(l, a, qa, b, qb, p);
    for (size_t i = 0; i < y.data.size(); ++i) {
      const Int128 sum = Int128{a.data[i] - qa.zero_point} * p.add.multiplier_a +
                         Int128{b.data[i] - qb.zero_point} * p.add.multiplier_b;
      CHECK(y.data[i] == reference_output_stage(sum, 1, p.add.shift, l.activation, l.leaky_shift,
                                                p.out.zero_point, p.out.type, p.rounding));
    }
  }
}

TEST_CASE("flatten keeps HWC order", "[layers]") {
  Random r(3);
  const Tensor x = r.tensor({3, 4, 5}, {8, true});
  const Tensor y = flatten(x);
  CHECK(y.shape == Shape{1, 1, 60});
  CHECK(y.data == x.data);
}

namespace {

// A network read from `layers` (YAML) on an input of shape `in`, as vp_gen reads scenarios.
Network network_of(const std::string& layers, Shape in) {
  Network net;
  net.source_file = "clip.yaml";
  net.input_shape = in;
  parse_layers(Fields(YAML::Load(layers), net.source_file, ""), net);
  net.infer_shapes();
  return net;
}

}  // namespace

TEST_CASE("clip limits values to its real range, as stored values of the input's type (ReLU6 by default)",
          "[layers]") {
  const Shape in{3, 5, 7};
  QuantizedModel m;
  m.network = network_of("layers: [{name: relu6, type: clip}, {name: c, type: clip, min: -1, max: 0.5}]", in);
  CHECK(m.network.layers[0].output_shape == in);
  CHECK(to_string(m.network.layers[1].type) == std::string("clip"));
  m.input = {{8, true}, 3, 0.05};
  m.params.resize(2);
  m.params[0].out = m.params[1].out = m.input;  // clip keeps its input's type and scale
  Random r(21);
  const Tensor x = r.tensor(in, m.input.type);
  const std::vector<Tensor> outputs{run_layer(m, 0, x, {})};
  const Tensor y1 = run_layer(m, 1, x, outputs);
  // Limits: 3 + floor(limit / 0.05 + 1/2): ReLU6 3..123, [-1, 0.5] -17..13.
  for (size_t i = 0; i < x.data.size(); ++i) {
    CHECK(outputs[0].data[i] == std::clamp(x.data[i], 3, 123));
    CHECK(y1.data[i] == std::clamp(outputs[0].data[i], -17, 13));
  }
}

TEST_CASE("a clip whose max is not above its min is an error at its max field", "[layers]") {
  CHECK_THROWS_WITH(network_of("layers: [{name: c, type: clip, min: 2, max: 2}]", {1, 1, 4}),
                    Catch::Contains("clip.yaml:1: layers[0].max: must be larger than min"));
}

TEST_CASE("a clip layer built in code is a ReLU6", "[layers]") {
  QuantizedModel m;
  m.network.input_shape = {1, 2, 3};
  Layer l;
  l.name = "c";
  l.type = LayerType::Clip;
  m.network.layers.push_back(l);
  m.network.infer_shapes();
  m.input = {{8, false}, 0, 0.1};
  m.params.resize(1);
  m.params[0].out = m.input;
  Tensor x({1, 2, 3});
  x.data = {0, 30, 59, 60, 61, 255};
  CHECK(run_layer(m, 0, x, {}).data == std::vector<std::int32_t>{0, 30, 59, 60, 60, 60});
}

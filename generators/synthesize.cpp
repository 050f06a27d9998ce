#include "synthesize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "layer_kind.h"
#include "rng.h"

namespace dnnvp {

namespace {

// The value below which `percentile` percent of |values| fall.
double percentile_of_magnitudes(std::vector<double> values, double percentile) {
  if (values.empty()) return 0.0;
  for (double& v : values) v = std::fabs(v);
  // Rounded up, so a small tensor's largest value is never clipped by a high percentile.
  const auto k = static_cast<size_t>(
      std::min<double>(values.size() - 1, std::ceil(percentile / 100.0 * (values.size() - 1))));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

Tensor image_like_input(const Scenario& s, QuantType t, Rng& rng) {
  // Smooth gradients and blobs plus noise, so pixels are spatially correlated like a photo.
  const Shape shape = s.network.input_shape;
  Tensor in(shape);
  for (int c = 0; c < shape.c; ++c) {
    double fx[3], fy[3], ph[3];
    for (int k = 0; k < 3; ++k) {
      fx[k] = rng.uniform() * 6.0 / std::max(1, shape.w);
      fy[k] = rng.uniform() * 6.0 / std::max(1, shape.h);
      ph[k] = rng.uniform() * 6.283185307179586;
    }
    for (int y = 0; y < shape.h; ++y)
      for (int x = 0; x < shape.w; ++x) {
        double v = 0;
        for (int k = 0; k < 3; ++k) v += std::sin(fx[k] * x * 3.14159 + fy[k] * y * 3.14159 + ph[k]);
        v = v / 3.0 + 0.15 * rng.normal();  // roughly -1..1
        const double unit = std::clamp(t.is_signed ? v : 0.5 + 0.5 * v, t.is_signed ? -1.0 : 0.0, 1.0);
        in.at(y, x, c) = saturate(std::llround(unit * t.max()), t);
      }
  }
  return in;
}

}  // namespace

double power_of_two_at_least(double v) {
  return std::exp2(std::ceil(std::log2(v)));
}

double activate_real(double v, const Layer& l) {
  if (v >= 0) return v;
  if (l.activation == Activation::Relu) return 0.0;
  if (l.activation == Activation::LeakyRelu) return std::ldexp(v, -l.leaky_shift);
  return v;
}

QuantType output_type(const Layer& l, int bits) {
  return {bits, l.activation != Activation::Relu};
}

double calibrate_scale(const std::vector<double>& real, const Scenario& s, QuantType t) {
  double top = percentile_of_magnitudes(real, s.quant.calibration_percentile);
  if (top <= 0) top = 1e-6;  // an all-zero layer: any scale represents it exactly
  const double scale = top / t.max();
  return s.quant.requant == RequantMode::PowerOfTwo ? power_of_two_at_least(scale) : scale;
}

Requant requant_for_scale(double scale, bool power_of_two) {
  if (!(scale > 0)) return {0, 0};
  if (power_of_two) {
    const int e = static_cast<int>(std::lround(std::log2(scale)));
    if (e >= 0)
      return {static_cast<std::int32_t>(
                  std::min<std::int64_t>(kMaxMultiplier, std::int64_t{1} << std::min(e, 30))),
              0};
    return {1, std::min(-e, kMaxShift)};
  }
  int exponent = 0;
  const double mantissa =
      std::frexp(scale, &exponent);  // scale = mantissa * 2^exponent, mantissa in [0.5, 1)
  std::int64_t m = std::llround(std::ldexp(mantissa, 31));
  int shift = 31 - exponent;
  if (m > kMaxMultiplier) {
    m /= 2;
    --shift;
  }
  if (shift < 0) throw Error("requantisation scale " + std::to_string(scale) + " exceeds 2^31");
  if (shift > kMaxShift) {
    m = std::llround(std::ldexp(scale, kMaxShift));
    shift = kMaxShift;
  }
  return {static_cast<std::int32_t>(m), shift};
}

int accumulator_bits_needed(std::int64_t reduction_length, std::int32_t max_abs_input,
                            std::int32_t max_abs_weight, std::int64_t max_abs_bias) {
  const std::int64_t bound = reduction_length * max_abs_input * max_abs_weight + max_abs_bias;
  int bits = 1;  // sign
  while ((std::int64_t{1} << (bits - 1)) <= bound) ++bits;
  return bits;
}

SynthesizedModel synthesize(const Scenario& s) {
  SynthesizedModel out;
  QuantizedModel& m = out.model;
  m.network = s.network;
  const auto& layers = m.network.layers;
  m.params.resize(layers.size());
  out.stats.resize(layers.size());

  m.input.type = {s.quant.activation_bits, s.input.is_signed};
  m.input.scale = s.quant.requant == RequantMode::PowerOfTwo
                      ? std::exp2(-(m.input.type.bits - int{m.input.type.is_signed}))
                      : 1.0 / m.input.type.max();
  std::vector<Tensor> images;
  if (s.input.file.empty()) {
    Rng input_rng(Rng::derive(s.input.seed, 0));
    images.push_back(image_like_input(s, m.input.type, input_rng));
  } else {
    images = read_images(s, m.input);
  }
  out.input = images.front();

  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    LayerParams& p = m.params[i];
    LayerStats& st = out.stats[i];
    p.rounding = s.quant.rounding;
    Rng rng(Rng::derive(s.quant.weight_seed, i + 1));
    Tensor result =
        layer_kind(l.type).quantize({s, rng}, l, layer_operands(m, l, out.input, out.outputs), p, st);
    st.elements = static_cast<std::int64_t>(result.data.size());
    out.outputs.push_back(std::move(result));
  }
  out.batch = run_batch(s, m, std::move(images), out.outputs.back());
  return out;
}

}  // namespace dnnvp

#include "synthesize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "rng.h"

namespace dnnvp {

namespace {

double power_of_two_at_least(double v) {
  return std::exp2(std::ceil(std::log2(v)));
}

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

double activate_real(double v, const Layer& l) {
  if (v >= 0) return v;
  if (l.activation == Activation::Relu) return 0.0;
  if (l.activation == Activation::LeakyRelu) return std::ldexp(v, -l.leaky_shift);
  return v;
}

// Output type of a layer that rescales: ReLU outputs are unsigned and gain a bit of range.
QuantType output_type(const Layer& l, int bits) {
  return {bits, l.activation != Activation::Relu};
}

// Output scale mapping the chosen percentile of |real| to the top of the type's range.
double calibrate_scale(const std::vector<double>& real, const Scenario& s, QuantType t) {
  double top = percentile_of_magnitudes(real, s.quant.calibration_percentile);
  if (top <= 0) top = 1e-6;  // an all-zero layer: any scale represents it exactly
  const double scale = top / t.max();
  return s.quant.requant == RequantMode::PowerOfTwo ? power_of_two_at_least(scale) : scale;
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

struct WeightedLayerResult {
  Tensor acc;
  std::vector<double> acc_scale;  // real value of one accumulator unit, per channel
};

// Conv/Dense: He-initialised weights with per-channel gains (as batch-norm folding produces),
// quantised symmetrically, and a bias of realistic size.
WeightedLayerResult synthesize_weighted(const Scenario& s, const Layer& l, const Tensor& in,
                                        const TensorQuant& in_q, LayerParams& p, Rng& rng) {
  const int out_channels = l.filters;
  const std::int64_t fan_in = l.reduction_length();
  const auto per_filter = static_cast<size_t>(fan_in);
  p.weight_type = {s.quant.weight_bits, true};
  const int qmax_w = p.weight_type.max();

  std::vector<double> w(per_filter * out_channels);
  for (int o = 0; o < out_channels; ++o) {
    const double gain = std::exp(0.35 * rng.normal());
    const double stddev = gain * std::sqrt(2.0 / static_cast<double>(fan_in));
    for (size_t i = 0; i < per_filter; ++i) w[o * per_filter + i] = stddev * rng.normal();
  }
  p.weight_scales.assign(out_channels, 0.0);
  for (int o = 0; o < out_channels; ++o) {
    double m = 0;
    for (size_t i = 0; i < per_filter; ++i) m = std::max(m, std::fabs(w[o * per_filter + i]));
    p.weight_scales[o] = std::max(m, 1e-12) / qmax_w;
  }
  if (s.quant.requant != RequantMode::PerChannel) {
    double m = *std::max_element(p.weight_scales.begin(), p.weight_scales.end());
    if (s.quant.requant == RequantMode::PowerOfTwo) m = power_of_two_at_least(m);
    std::fill(p.weight_scales.begin(), p.weight_scales.end(), m);
  }
  p.weights.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const double q = std::nearbyint(w[i] / p.weight_scales[i / per_filter]);
    p.weights[i] = static_cast<std::int32_t>(std::clamp<double>(q, -qmax_w, qmax_w));
  }

  WeightedLayerResult r;
  p.bias.assign(out_channels, 0);
  r.acc = accumulate(l, in, in_q.zero_point, p);
  r.acc_scale.resize(out_channels);
  for (int o = 0; o < out_channels; ++o) r.acc_scale[o] = in_q.scale * p.weight_scales[o];
  if (l.has_bias()) {
    // Bias about a third of each channel's spread, in accumulator units.
    std::vector<double> sum(out_channels, 0.0);
    std::vector<double> sum_sq(out_channels, 0.0);
    for (size_t i = 0; i < r.acc.data.size(); ++i) {
      const double v = r.acc.data[i];
      sum[i % out_channels] += v;
      sum_sq[i % out_channels] += v * v;
    }
    const double n = static_cast<double>(r.acc.data.size() / out_channels);
    for (int o = 0; o < out_channels; ++o) {
      const double var = std::max(0.0, sum_sq[o] / n - (sum[o] / n) * (sum[o] / n));
      p.bias[o] = static_cast<std::int32_t>(std::llround(0.3 * std::sqrt(var) * rng.normal()));
    }
    for (size_t i = 0; i < r.acc.data.size(); ++i) r.acc.data[i] += p.bias[i % out_channels];
  }
  return r;
}

}  // namespace

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
  Rng input_rng(Rng::derive(s.input.seed, 0));
  out.input = image_like_input(s, m.input.type, input_rng);

  const bool pow2 = s.quant.requant == RequantMode::PowerOfTwo;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    LayerParams& p = m.params[i];
    LayerStats& st = out.stats[i];
    Rng rng(Rng::derive(s.quant.weight_seed, i + 1));
    auto operand = [&](size_t k) -> const Tensor& {
      const int id = l.input_ids.at(k);
      return id < 0 ? out.input : out.outputs[static_cast<size_t>(id)];
    };
    const Tensor& in0 = operand(0);
    const TensorQuant& q0 = m.quant_of(l.input_ids[0]);
    Tensor result;

    switch (l.type) {
      case LayerType::Conv:
      case LayerType::Dense: {
        WeightedLayerResult r = synthesize_weighted(s, l, in0, q0, p, rng);
        const int channels = l.filters;
        std::vector<double> real(r.acc.data.size());
        for (size_t k = 0; k < real.size(); ++k)
          real[k] = activate_real(r.acc.data[k] * r.acc_scale[k % channels], l);
        p.out.type = output_type(l, s.quant.activation_bits);
        p.out.scale = calibrate_scale(real, s, p.out.type);
        p.requant.resize(channels);
        for (int o = 0; o < channels; ++o) {
          try {
            p.requant[o] = requant_for_scale(r.acc_scale[o] / p.out.scale, pow2);
            check_requant(p.requant[o], l.activation, l.leaky_shift);
          } catch (const Error& e) {  // name the layer: the scale follows from its data, not from one field
            throw Error(s.file + ": layer '" + l.name + "' output channel " + std::to_string(o) + ": " +
                        e.what());
          }
        }
        const std::int32_t max_abs_in =
            std::max(std::abs(q0.type.min() - q0.zero_point), std::abs(q0.type.max() - q0.zero_point));
        std::int64_t max_abs_bias = 0;
        for (std::int32_t b : p.bias) max_abs_bias = std::max<std::int64_t>(max_abs_bias, std::abs(b));
        st.accumulator_bits_needed =
            accumulator_bits_needed(l.reduction_length(), max_abs_in, p.weight_type.max(), max_abs_bias);
        if (st.accumulator_bits_needed > s.hardware.accumulator_bits)
          throw Error(s.file + ": hardware.accumulator_bits: layer '" + l.name + "' can need " +
                      std::to_string(st.accumulator_bits_needed) + " bits, got " +
                      std::to_string(s.hardware.accumulator_bits));
        for (size_t k = 0; k < r.acc.data.size(); ++k) {
          const Requant rq = p.requant[k % channels];
          const std::int64_t v =
              scale_activated(r.acc.data[k], rq.multiplier, rq.shift, l.activation, l.leaky_shift);
          st.saturated += v < p.out.type.min() || v > p.out.type.max();
        }
        result = requantize(l, r.acc, p);
        break;
      }
      case LayerType::Add: {
        const Tensor& in1 = operand(1);  // either operand may be the network input
        const TensorQuant& q1 = m.quant_of(l.input_ids[1]);
        std::vector<double> real(in0.data.size());
        for (size_t k = 0; k < real.size(); ++k)
          real[k] = activate_real(
              q0.scale * (in0.data[k] - q0.zero_point) + q1.scale * (in1.data[k] - q1.zero_point), l);
        p.out.type = output_type(l, s.quant.activation_bits);
        p.out.scale = calibrate_scale(real, s, p.out.type);
        const double ra = q0.scale / p.out.scale;
        const double rb = q1.scale / p.out.scale;
        const int shift = std::clamp(30 - static_cast<int>(std::ceil(std::log2(std::max(ra, rb)))), 0,
                                     kMaxShift - (l.activation == Activation::LeakyRelu ? l.leaky_shift : 0));
        p.add = {static_cast<std::int32_t>(std::llround(std::ldexp(ra, shift))),
                 static_cast<std::int32_t>(std::llround(std::ldexp(rb, shift))), shift};
        for (size_t k = 0; k < in0.data.size(); ++k) {
          const std::int64_t v = add_scaled(in0.data[k], q0.zero_point, in1.data[k], q1.zero_point, p.add,
                                            l.activation, l.leaky_shift);
          st.saturated += v < p.out.type.min() || v > p.out.type.max();
        }
        result = add(l, in0, q0, in1, q1, p);
        break;
      }
      case LayerType::MaxPool:
      case LayerType::AvgPool:
      case LayerType::Flatten:
        p.out = q0;  // these keep their input's scale and type
        result = run_layer(m, i, out.input, out.outputs);
        break;
    }
    st.elements = static_cast<std::int64_t>(result.data.size());
    out.outputs.push_back(std::move(result));
  }
  return out;
}

}  // namespace dnnvp

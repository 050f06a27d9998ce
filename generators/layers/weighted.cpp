#include "weighted.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "error.h"
#include "npy.h"

namespace dnnvp {

namespace {

// Runs body(i) for i in 0..n-1 on all cores; iterations must be independent.
template <typename Body>
void parallel_for(int n, const Body& body) {
  const int threads = std::max(1, std::min<int>(n, static_cast<int>(std::thread::hardware_concurrency())));
  if (threads == 1) {
    for (int i = 0; i < n; ++i) body(i);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = t; i < n; i += threads) body(i);
    });
  for (auto& th : pool) th.join();
}

// 16-bit operands keep the inner product vectorisable: quantised values are at most 8 bits wide,
// so |x - zero_point| <= 511.
std::int32_t dot(const std::int16_t* a, const std::int16_t* b, int n) {
  std::int32_t s = 0;
  for (int i = 0; i < n; ++i) s += std::int32_t{a[i]} * b[i];
  return s;
}

}  // namespace

Tensor accumulate(const Layer& l, const Tensor& in, std::int32_t in_zero_point, const LayerParams& p) {
  const Shape is = in.shape;
  const Shape os = l.output_shape;
  const int padded_w = is.w + l.padding.left + l.padding.right;
  const int padded_h = is.h + l.padding.top + l.padding.bottom;
  const int channels = is.c;

  std::vector<std::int16_t> x(static_cast<size_t>(padded_h) * padded_w * channels, 0);
  for (int y = 0; y < is.h; ++y)
    for (int xx = 0; xx < is.w; ++xx)
      for (int c = 0; c < channels; ++c)
        x[(static_cast<size_t>(y + l.padding.top) * padded_w + xx + l.padding.left) * channels + c] =
            static_cast<std::int16_t>(in.at(y, xx, c) - in_zero_point);

  // Filter o reads the `group_channels` input channels of its group (docs/numerics.md, "Conv"). Without
  // groups one kernel row is one contiguous run in x and in w; with groups a run is one tap's channels.
  const int group_channels = channels / l.groups;
  const int group_filters = os.c / l.groups;
  const int w_row = l.kernel_w * group_channels;
  const int run_len = l.groups == 1 ? w_row : group_channels;
  const int runs_per_row = l.groups == 1 ? 1 : l.kernel_w;
  const size_t per_filter = static_cast<size_t>(l.kernel_h) * w_row;
  std::vector<std::int16_t> w(p.weights.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const size_t o = i / per_filter;
    const std::int32_t zp = p.weight_zero_points.empty() ? 0 : p.weight_zero_points[o];
    w[i] = static_cast<std::int16_t>(p.weights[i] - zp);
  }

  Tensor acc(os);
  const size_t x_row = static_cast<size_t>(padded_w) * channels;
  parallel_for(os.h, [&](int oy) {
    for (int ox = 0; ox < os.w; ++ox) {
      const std::int16_t* window =
          &x[static_cast<size_t>(oy) * l.stride_h * x_row + static_cast<size_t>(ox) * l.stride_w * channels];
      for (int o = 0; o < os.c; ++o) {
        const std::int16_t* filter = &w[o * per_filter];
        const std::int16_t* group_window = window + (o / group_filters) * group_channels;
        std::int32_t sum = p.bias.empty() ? 0 : p.bias[o];
        for (int ky = 0; ky < l.kernel_h; ++ky)
          for (int r = 0; r < runs_per_row; ++r)
            sum += dot(group_window + ky * x_row + r * channels, filter + ky * w_row + r * run_len, run_len);
        acc.at(oy, ox, o) = sum;
      }
    }
  });
  return acc;
}

Tensor requantize(const Layer& l, const Tensor& acc, const LayerParams& p) {
  Tensor out(acc.shape);
  const int channels = acc.shape.c;
  for (size_t i = 0; i < acc.data.size(); ++i) {
    const size_t c = i % channels;
    out.data[i] = requantize(acc.data[i], p.requant[c], l.activation, l.leaky_shift, p.out.zero_point,
                             p.out.type, p.rounding);
  }
  return out;
}

namespace {

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

void WeightedKind::parse_weighted(const Fields& f, Layer& l, const char* count_key) {
  l.filters = static_cast<int>(f.required_integer(count_key, 1, kMaxDim));
  l.bias = f.boolean("bias", false);
  l.batchnorm_folded = f.boolean("bn", false);
  parse_activation(f, l);
}

Tensor WeightedKind::quantize(const QuantizeContext& c, const Layer& l, const Operands& in, LayerParams& p,
                              LayerStats& st) const {
  const Scenario& s = c.scenario;
  Rng& rng = c.rng;
  const Tensor& in0 = in.at(0).tensor;
  const TensorQuant& q0 = in.at(0).quant;
  const bool pow2 = s.quant.requant == RequantMode::PowerOfTwo;
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
      throw Error(s.file + ": layer '" + l.name + "' output channel " + std::to_string(o) + ": " + e.what());
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
        scale_activated(r.acc.data[k], rq.multiplier, rq.shift, l.activation, l.leaky_shift, p.rounding);
    st.saturated += v < p.out.type.min() || v > p.out.type.max();
  }
  return requantize(l, r.acc, p);
}

Tensor WeightedKind::run(const Layer& l, const LayerParams& p, const Operands& in) const {
  return requantize(l, accumulate(l, in.at(0).tensor, in.at(0).quant.zero_point, p), p);
}

void WeightedKind::table_row(const Layer&, const LayerParams& p, const std::vector<TensorQuant>&,
                             dnnvp_layer_t& row) const {
  row.weight_q = {static_cast<std::uint8_t>(p.weight_type.bits),
                  static_cast<std::uint8_t>(p.weight_type.is_signed), 0};
}

void WeightedKind::dump(const Layer& l, const LayerParams& p,
                        const std::function<std::string(const char*)>& path) const {
  write_npy_int32(path("weights"), p.weights, weight_dims(l));
  write_npy_int32(path("bias"), p.bias, {l.filters});
  std::vector<std::int32_t> mult;
  std::vector<std::int32_t> shift;
  for (const Requant& rq : p.requant) {
    mult.push_back(rq.multiplier);
    shift.push_back(rq.shift);
  }
  write_npy_int32(path("multiplier"), mult, {l.filters});
  write_npy_int32(path("shift"), shift, {l.filters});
}

}  // namespace dnnvp

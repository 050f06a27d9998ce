#include "golden.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "error.h"

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

  const int row_len = l.kernel_w * channels;  // one kernel row is contiguous in x and in w
  const size_t per_filter = static_cast<size_t>(l.kernel_h) * row_len;
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
        std::int32_t sum = p.bias.empty() ? 0 : p.bias[o];
        for (int ky = 0; ky < l.kernel_h; ++ky)
          sum += dot(window + ky * x_row, filter + ky * row_len, row_len);
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
    out.data[i] =
        requantize(acc.data[i], p.requant[c], l.activation, l.leaky_shift, p.out.zero_point, p.out.type);
  }
  return out;
}

namespace {

// Visits the in-bounds input positions of every pooling window; padding is skipped.
template <typename Reduce>
Tensor pool(const Layer& l, const Tensor& in, const Reduce& reduce) {
  Tensor out(l.output_shape);
  for (int oy = 0; oy < out.shape.h; ++oy)
    for (int ox = 0; ox < out.shape.w; ++ox) {
      const int y0 = oy * l.stride_h - l.padding.top;
      const int x0 = ox * l.stride_w - l.padding.left;
      const int y_lo = std::max(y0, 0);
      const int y_hi = std::min(y0 + l.kernel_h, in.shape.h);
      const int x_lo = std::max(x0, 0);
      const int x_hi = std::min(x0 + l.kernel_w, in.shape.w);
      for (int c = 0; c < out.shape.c; ++c) out.at(oy, ox, c) = reduce(y_lo, y_hi, x_lo, x_hi, c);
    }
  return out;
}

}  // namespace

Tensor max_pool(const Layer& l, const Tensor& in) {
  return pool(l, in, [&](int y_lo, int y_hi, int x_lo, int x_hi, int c) {
    std::int32_t m = std::numeric_limits<std::int32_t>::min();
    for (int y = y_lo; y < y_hi; ++y)
      for (int x = x_lo; x < x_hi; ++x) m = std::max(m, in.at(y, x, c));
    return m;
  });
}

Tensor avg_pool(const Layer& l, const Tensor& in) {
  return pool(l, in, [&](int y_lo, int y_hi, int x_lo, int x_hi, int c) {
    std::int64_t sum = 0;
    for (int y = y_lo; y < y_hi; ++y)
      for (int x = x_lo; x < x_hi; ++x) sum += in.at(y, x, c);
    return rounded_average(sum, std::int64_t{y_hi - y_lo} * (x_hi - x_lo));
  });
}

Tensor flatten(const Tensor& in) {
  Tensor out;
  out.shape = {1, 1, static_cast<int>(in.shape.elements())};
  out.data = in.data;  // HWC order is already the flattened order
  return out;
}

Tensor add(const Layer& l, const Tensor& a, const TensorQuant& qa, const Tensor& b, const TensorQuant& qb,
           const LayerParams& p) {
  Tensor out(a.shape);
  for (size_t i = 0; i < a.data.size(); ++i)
    out.data[i] = add_elements(a.data[i], qa.zero_point, b.data[i], qb.zero_point, p.add, l.activation,
                               l.leaky_shift, p.out.zero_point, p.out.type);
  return out;
}

Tensor run_layer(const QuantizedModel& m, size_t index, const Tensor& input,
                 const std::vector<Tensor>& outputs) {
  const Layer& l = m.network.layers.at(index);
  auto operand = [&](int k) -> const Tensor& {
    const int id = l.input_ids.at(static_cast<size_t>(k));
    return id < 0 ? input : outputs.at(static_cast<size_t>(id));
  };
  const LayerParams& p = m.params.at(index);
  switch (l.type) {
    case LayerType::Conv:
    case LayerType::Dense:
      return requantize(l, accumulate(l, operand(0), m.quant_of(l.input_ids[0]).zero_point, p), p);
    case LayerType::MaxPool:
      return max_pool(l, operand(0));
    case LayerType::AvgPool:
      return avg_pool(l, operand(0));
    case LayerType::Flatten:
      return flatten(operand(0));
    case LayerType::Add:
      return add(l, operand(0), m.quant_of(l.input_ids[0]), operand(1), m.quant_of(l.input_ids[1]), p);
  }
  throw Error("layer " + l.name + ": unknown type");
}

std::vector<Tensor> run_network(const QuantizedModel& m, const Tensor& input) {
  std::vector<Tensor> outputs;
  outputs.reserve(m.network.layers.size());
  for (size_t i = 0; i < m.network.layers.size(); ++i) outputs.push_back(run_layer(m, i, input, outputs));
  return outputs;
}

}  // namespace dnnvp

// A scenario's imported model with its golden outputs (network.onnx): what synthesize() gives for a
// generated network, with the model's own weights and quantisation.
#include <algorithm>
#include <cmath>

#include "error.h"
#include "image_batch.h"
#include "layer_kind.h"
#include "onnx_import.h"
#include "rng.h"

namespace dnnvp {

Tensor synthetic_input(const ImportedModel& m, std::uint64_t seed) {
  // Uniform stored values over the input's range: the model's own data is not known here.
  Rng rng(Rng::derive(seed, 0));
  Tensor in(m.model.network.input_shape);
  const double span = static_cast<double>(m.input.max) - m.input.min + 1;
  for (std::int32_t& v : in.data)
    v = m.input.min + static_cast<std::int32_t>(std::floor(rng.uniform() * span));
  return in;
}

void adopt_imported(const ImportedModel& m, Scenario& s) {
  if (m.model.network.layers.empty())
    throw Error(m.source + ": the model has no layer to run (its output is its input)");
  if (m.output_is_accumulator)
    throw Error(m.source +
                ": the graph output is an int32 accumulator; quantise it (Cast, Mul, QuantizeLinear)");
  if (m.weight_bits > kMaxQuantBits)
    throw Error(m.source + ": layer '" + m.widest_weight_layer + "' needs " + std::to_string(m.weight_bits) +
                "-bit weights once its weight zero point is folded in; quantised weights have at most " +
                std::to_string(kMaxQuantBits) + " bits (docs/numerics.md)");
  s.network = m.model.network;
  s.quant.activation_bits = m.activation_bits;
  s.quant.weight_bits = m.weight_bits;
  s.input.is_signed = m.input.type.is_signed;
}

SynthesizedModel synthesize_imported(const Scenario& s) {
  const ImportedModel im = import_onnx(s.onnx);
  SynthesizedModel out;
  out.model = im.model;
  const QuantizedModel& m = out.model;
  std::vector<Tensor> images;
  if (s.input.file.empty())
    images.push_back(synthetic_input(im, s.input.seed));
  else
    images = read_images(s, m.input);
  out.input = images.front();
  const auto& layers = m.network.layers;
  out.stats.resize(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const LayerParams& p = m.params[i];
    LayerStats& st = out.stats[i];
    st.multiplier_error = im.multiplier_error[i];
    const Operands in = layer_operands(m, l, out.input, out.outputs);
    Tensor result;
    if (l.has_weights()) {
      const TensorQuant& q0 = in.at(0).quant;
      const std::int32_t max_abs_in =
          std::max(std::abs(q0.type.min() - q0.zero_point), std::abs(q0.type.max() - q0.zero_point));
      std::int32_t max_abs_weight = 0;
      for (std::int32_t w : p.weights) max_abs_weight = std::max(max_abs_weight, std::abs(w));
      std::int64_t max_abs_bias = 0;
      for (std::int32_t b : p.bias)
        max_abs_bias = std::max<std::int64_t>(max_abs_bias, std::abs(std::int64_t{b}));
      st.accumulator_bits_needed =
          accumulator_bits_needed(l.reduction_length(), max_abs_in, max_abs_weight, max_abs_bias);
      if (st.accumulator_bits_needed > s.hardware.accumulator_bits)
        throw Error(s.file + ": hardware.accumulator_bits: layer '" + l.name + "' of " + s.onnx +
                    " can need " + std::to_string(st.accumulator_bits_needed) + " bits, got " +
                    std::to_string(s.hardware.accumulator_bits));
      const Tensor acc = accumulate(l, in.at(0).tensor, q0.zero_point, p);
      for (size_t k = 0; k < acc.data.size(); ++k) {
        const Requant rq = p.requant[k % static_cast<size_t>(l.filters)];
        const std::int64_t v =
            scale_activated(acc.data[k], rq.multiplier, rq.shift, l.activation, l.leaky_shift, p.rounding);
        st.saturated += v + p.out.zero_point < p.out.type.min() || v + p.out.zero_point > p.out.type.max();
      }
      result = requantize(l, acc, p);
    } else {
      result = layer_kind(l.type).run(l, p, in);
    }
    st.elements = static_cast<std::int64_t>(result.data.size());
    out.outputs.push_back(std::move(result));
  }
  out.batch = run_batch(s, m, std::move(images), out.outputs.back());
  return out;
}

}  // namespace dnnvp

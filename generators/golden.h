// The golden model: plain C++ integer inference of every layer, exactly as docs/numerics.md
// defines it. vp_gen's expected.bin comes from here; the RTL and the firmware are checked against it.
#pragma once

#include <cstdint>
#include <vector>

#include "network.h"
#include "numerics.h"

namespace dnnvp {

// An HWC tensor of quantised values (or of accumulators).
struct Tensor {
  Shape shape;
  std::vector<std::int32_t> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(s), data(static_cast<size_t>(s.elements()), 0) {}
  std::int32_t& at(int y, int x, int c) { return data[index(y, x, c)]; }
  std::int32_t at(int y, int x, int c) const { return data[index(y, x, c)]; }
  size_t index(int y, int x, int c) const { return (static_cast<size_t>(y) * shape.w + x) * shape.c + c; }
};

struct TensorQuant {
  QuantType type;
  std::int32_t zero_point = 0;
  double scale = 1.0;  // real value = scale * (q - zero_point); calibration and reports only
};

// Everything the integer inference of one layer needs besides its inputs.
struct LayerParams {
  TensorQuant out;
  // Conv / Dense
  QuantType weight_type;
  std::vector<std::int32_t> weights;             // Conv: OHWI; Dense: O x I
  std::vector<std::int32_t> weight_zero_points;  // per output channel; empty means all zero
  std::vector<std::int32_t> bias;                // per output channel, accumulator scale
  std::vector<Requant> requant;                  // per output channel
  std::vector<double> weight_scales;             // per output channel; calibration and reports only
  // Add
  AddParams add;
  // Ties in the layer's output stage, average or add (docs/numerics.md, "Rounding").
  Rounding rounding = Rounding::HalfUp;
};

struct QuantizedModel {
  Network network;
  TensorQuant input;
  std::vector<LayerParams> params;  // one per layer

  const TensorQuant& quant_of(int producer) const {
    return producer < 0 ? input : params[static_cast<size_t>(producer)].out;
  }
};

// The arithmetic of each layer type; defined with the rest of its type in generators/layers/.
// Conv / Dense: bias + sum of (x - x_zero_point) * (w - w_zero_point[o]); padding contributes 0.
Tensor accumulate(const Layer& layer, const Tensor& in, std::int32_t in_zero_point, const LayerParams& p);
// Per-channel requantisation and activation of accumulators (numerics.h requantize()).
Tensor requantize(const Layer& layer, const Tensor& acc, const LayerParams& p);
Tensor max_pool(const Layer& layer, const Tensor& in);
// AvgPool: in_zero_point + the rounded average of (in - in_zero_point) per window (numerics.h
// pool_average()).
Tensor avg_pool(const Layer& layer, const Tensor& in, std::int32_t in_zero_point, Rounding rounding);
Tensor flatten(const Tensor& in);
Tensor add(const Layer& layer, const Tensor& a, const TensorQuant& qa, const Tensor& b, const TensorQuant& qb,
           const LayerParams& p);

// Output of layer `index`, given the outputs of every earlier layer.
Tensor run_layer(const QuantizedModel& model, size_t index, const Tensor& input,
                 const std::vector<Tensor>& outputs);
// Every layer's output, in order.
std::vector<Tensor> run_network(const QuantizedModel& model, const Tensor& input);

}  // namespace dnnvp

// Builds a quantised model for a scenario: deterministic, realistically distributed weights, the input
// (input.file's images, else a synthetic image), and requantisation calibrated on the golden model's own
// activations of the first image.
#pragma once

#include <cstdint>
#include <vector>

#include "golden.h"
#include "image_batch.h"
#include "scenario.h"

namespace dnnvp {

struct LayerStats {
  std::int64_t saturated = 0;  // outputs clipped to the ends of their range
  std::int64_t elements = 0;
  int accumulator_bits_needed = 0;  // worst case over any input, Conv/Dense only
  // Imported models: per output channel (Conv/Dense) or operand (Add), |M / 2^s - r| / r.
  std::vector<double> multiplier_error;
  double saturation_rate() const { return elements ? static_cast<double>(saturated) / elements : 0.0; }
};

struct SynthesizedModel {
  QuantizedModel model;
  Tensor input;                 // image 0: calibrated on, and every layer's output kept (dumps)
  std::vector<Tensor> outputs;  // golden output of every layer for `input`
  std::vector<LayerStats> stats;
  ImageBatch batch;  // every image the run checks (batch.images[0] is `input`)
};

// Throws dnnvp::Error when the hardware cannot hold a layer (e.g. accumulator too narrow).
SynthesizedModel synthesize(const Scenario& scenario);

// Helpers of the layer kinds' quantisation (layer_kind.h):
double power_of_two_at_least(double v);
// The real value after the layer's activation.
double activate_real(double v, const Layer& l);
// Output type of a layer that rescales: ReLU outputs are unsigned and gain a bit of range.
QuantType output_type(const Layer& l, int bits);
// Output scale mapping the scenario's calibration percentile of |real| to the top of the type's range.
double calibrate_scale(const std::vector<double>& real, const Scenario& s, QuantType t);

// Nearest multiplier/shift for a positive real scale (power-of-two only when asked).
Requant requant_for_scale(double scale, bool power_of_two);

// Signed bits needed to hold every possible accumulator of a Conv/Dense layer.
int accumulator_bits_needed(std::int64_t reduction_length, std::int32_t max_abs_input,
                            std::int32_t max_abs_weight, std::int64_t max_abs_bias);

}  // namespace dnnvp

// The ONNX importer (docs/onnx.md): a quantised ONNX model in QDQ, QOperator or QONNX form becomes the
// generators' QuantizedModel (golden.h) with every layer's integer weights, bias and requantisation, plus
// what the flow needs around it: the graph input's dims and quantisation, the output's, and how closely
// each multiplier/shift pair approximates its float scale. The arithmetic is docs/numerics.md's,
// "Imported models". Errors are dnnvp::Error naming the file and the node or tensor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "golden.h"
#include "scenario.h"
#include "synthesize.h"

namespace dnnvp {

// A tensor's quantisation as the model gives it: one scale and zero point, or one per channel (only
// the graph input and output of a model without layers may be per channel). Stored values lie in
// [min, max], which a QONNX narrow range or bit width may make narrower than `type`.
struct ChannelQuant {
  QuantType type;
  std::vector<double> scales{1.0};
  std::vector<std::int32_t> zero_points{0};
  std::int32_t min = 0;
  std::int32_t max = 0;
  double scale(int channel) const;
  std::int32_t zero_point(int channel) const;
};

// round_half_even((double)x / scale) + zero_point, saturated to [min, max]: ONNX's QuantizeLinear.
std::int32_t quantize_value(float x, const ChannelQuant& q, int channel);
// scale * (q - zero_point) in float: ONNX's DequantizeLinear.
float dequantize_value(std::int32_t v, const ChannelQuant& q, int channel);

struct ImportedModel {
  QuantizedModel model;  // layers named by the nodes (sanitised), rounding ties to even
  std::string source;    // the file, for messages
  // The graph input's ONNX dims (NCHW, [N, C], [C] or a batched MatMul's [b, M, K]); a symbolic batch
  // dimension is -1.
  std::vector<std::int64_t> input_dims;
  // Float input: an input file is quantised with `input` (its QuantizeLinear); else its values are stored.
  bool float_input = false;
  ChannelQuant input;
  ChannelQuant output;  // of the last layer (or of the input when the model has no layer)
  // The output is a ConvInteger/MatMulInteger accumulator (int32, no requantisation): the last layer's
  // requantisation is the identity and the golden model's accumulate() gives the output.
  bool output_is_accumulator = false;
  // Per layer: |M / 2^s - r| / r for each output channel (conv, dense) or operand (add); empty otherwise.
  std::vector<std::vector<double>> multiplier_error;
  // Widest activation and weight types the layers use; the layer whose weights need `weight_bits`.
  int activation_bits = 8;
  int weight_bits = 8;
  std::string widest_weight_layer;
};

// Lowest and highest opset of the default ONNX domain the importer reads.
inline constexpr int kMinOnnxOpset = 10;
inline constexpr int kMaxOnnxOpset = 17;

ImportedModel import_onnx(const std::string& path);

// `raw` made a valid name (network.h name_problem()): other characters become '_', a leading '.' or '-'
// gets a prefix, the length leaves room for a uniquifying suffix; empty: `fallback`.
std::string sanitised_name(const std::string& raw, const std::string& fallback);

// A scenario's network and value widths from its imported model. Throws dnnvp::Error (no location) if
// the flow cannot run it (no layer, an accumulator output, weights wider than the engine's).
void adopt_imported(const ImportedModel& m, Scenario& s);

// A scenario's model (network.onnx) with its golden outputs on input.file's images (or a synthetic
// image). Throws dnnvp::Error when the hardware cannot hold it.
SynthesizedModel synthesize_imported(const Scenario& s);

// The image an imported model runs when the scenario gives none: deterministic, in the input's type.
Tensor synthetic_input(const ImportedModel& m, std::uint64_t seed);

}  // namespace dnnvp

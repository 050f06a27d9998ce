// manifest.json and hw.json: what vp_gen's output holds, for the platform and for people (docs/formats.md).
#include "emit_manifest.h"

#include "emit.h"
#include "layer_kind.h"
#include "manifest.h"
#include "network.h"

namespace dnnvp {

namespace {

// Counts, sizes and addresses the generators keep in signed types are never negative.
template <class T>
std::uint64_t u(T v) {
  return static_cast<std::uint64_t>(v);
}

manifest::Block block_of(const Block& b) {
  return {b.offset, b.bytes, b.addr};
}

manifest::Quant quant_of(const TensorQuant& q) {
  return {u(q.type.bits), q.type.is_signed, q.zero_point, q.scale};
}

manifest::Shape shape_of(const Shape& s) {
  return {u(s.h), u(s.w), u(s.c)};
}

manifest::DramTraffic traffic_of(const DramBytes& d) {
  return {d.weights, d.input, d.output, d.lower_bound};
}

manifest::LayerEngine engine_of(const LayerPlan& p) {
  manifest::LayerEngine e{u(p.tile_pixels),     u(p.tiles.size()), u(p.geometry.chunks), u(p.geometry.blocks),
                          u(p.geometry.passes), u(p.issue_cycles), p.utilisation_bound,  traffic_of(p.dram)};
  if (p.engine_view) e.input_layout = "kx_im2col";
  return e;
}

manifest::LayerEntry layer_entry(std::size_t i, const SynthesizedModel& sm, const LayerLayout& ll,
                                 const NetworkPlan& plan) {
  const Layer& l = sm.model.network.layers[i];
  const LayerParams& p = sm.model.params[i];
  manifest::LayerEntry e;
  e.index = i;
  e.name = l.name;
  e.type = to_string(l.type);
  e.inputs = l.inputs;
  for (const Shape& s : l.input_shapes) e.input_shapes.push_back(shape_of(s));
  e.output_shape = shape_of(l.output_shape);
  e.activation = to_string(l.activation);
  e.rounding = to_string(p.rounding);
  e.macs = u(l.macs());
  e.params = u(l.param_count());
  e.output_quant = quant_of(p.out);
  e.output = {ll.output.bytes, ll.output.addr};
  e.saturation_rate = sm.stats[i].saturation_rate();
  if (l.activation == Activation::LeakyRelu) e.leaky_shift = u(l.leaky_shift);
  if (l.has_weights()) {
    e.weight_bits = u(p.weight_type.bits);
    e.blob = block_of(ll.blob);
    e.accumulator_bits_needed = u(sm.stats[i].accumulator_bits_needed);
  }
  if (plan.layers[i]) e.engine = engine_of(*plan.layers[i]);
  if (!sm.stats[i].multiplier_error.empty()) e.multiplier_error = sm.stats[i].multiplier_error;
  layer_kind(l.type).manifest_fields(l, p, e);
  return e;
}

manifest::Hardware make_hardware(const Scenario& s) {
  manifest::Hardware h;
  // The engine shape's fields and byte sizes come from engine_shape_json(), their one definition.
  h.shape = checked<manifest::EngineShape>(engine_shape_json(s.hardware), "engine shape");
  h.clock_mhz = s.hardware.clock_mhz;
  h.cpu_mhz = s.hardware.cpu_mhz;
  h.dram = {s.dram.preset, u(s.dram.base), u(s.dram.size_mib), u(s.dram.firmware_mib)};
  h.quantization = {u(s.quant.activation_bits), u(s.quant.weight_bits),
                    to_string(s.quant.requant), s.quant.calibration_percentile,
                    s.quant.weight_seed,        s.input.seed,
                    s.input.is_signed};
  h.run = s.run;
  h.sizing = s.sizing;
  return h;
}

Manifest make_manifest(const Scenario& s, const SynthesizedModel& sm, const MemoryLayout& lay,
                       const NetworkPlan& plan) {
  const QuantizedModel& m = sm.model;
  const auto& layers = m.network.layers;
  Manifest r;
  r.format_version = 2;
  r.scenario = {s.name, s.file, s.description};
  r.network = {m.network.name, m.network.description};
  r.hardware = make_hardware(s);
  std::uint64_t activation_bytes = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    r.layers.push_back(layer_entry(i, sm, lay.layers[i], plan));
    const bool own_output =
        !layer_kind(layers[i].type).output_aliases_input() &&
        (!plan.layers[i] || plan.layers[i]->output_layer(static_cast<int>(i)) == static_cast<int>(i));
    if (own_output) activation_bytes += lay.layers[i].output.bytes;
  }
  r.totals = {u(layers.size()),
              u(m.network.param_count()),
              u(m.network.param_count_unfolded()),
              u(m.network.macs()),
              lay.weights_file.bytes,
              activation_bytes,
              lay.end,
              {u(plan.issue_cycles), u(plan.macs), plan.utilisation_bound, plan.conv_utilisation_bound,
               traffic_of(plan.dram)}};
  const manifest::DramFile files[] = {{"weights.bin", lay.weights_file.addr, lay.weights_file.bytes},
                                      {"input.bin", lay.input.addr, lay.input.bytes},
                                      {"expected.bin", lay.expected.addr, lay.expected.bytes}};
  for (const manifest::DramFile& f : files) {
    r.files[f.file] = f.bytes;
    r.dram_image.push_back(f);
  }
  r.result = {lay.results.addr, lay.output_image_bytes, u(layers.back().output_shape.elements())};
  r.output = {layers.back().name, shape_of(layers.back().output_shape), quant_of(m.params.back().out),
              block_of(lay.expected)};
  r.input = {shape_of(m.network.input_shape), quant_of(m.input), block_of(lay.input), s.input.seed};
  const ImageBatch& b = sm.batch;
  const auto classes = [](const std::vector<std::int64_t>& v) {
    return std::vector<std::uint64_t>(v.begin(), v.end());
  };
  r.images.count = u(b.images.size());
  r.images.input_stride = lay.input_stride;
  r.images.output_stride = lay.output_stride;
  r.images.golden = classes(b.golden);
  if (!b.labels.empty()) r.images.labels = classes(b.labels);
  if (!b.reference.empty()) r.images.reference = classes(b.reference);
  return r;
}

}  // namespace

nlohmann::json manifest_json(const Scenario& s, const SynthesizedModel& sm, const MemoryLayout& lay,
                             const NetworkPlan& plan) {
  return make_manifest(s, sm, lay, plan);
}

nlohmann::json hardware_json(const Scenario& s) {
  return make_hardware(s);
}

}  // namespace dnnvp

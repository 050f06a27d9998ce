// manifest.json and hw.json: what vp_gen's output holds, for the platform and for people (docs/formats.md).
#include "emit_manifest.h"

#include "emit.h"
#include "network.h"

namespace dnnvp {

using nlohmann::json;

namespace {

json block_json(const Block& b) {
  return {{"offset", b.offset}, {"bytes", b.bytes}, {"addr", b.addr}};
}

json quant_json(const TensorQuant& q) {
  return {
      {"bits", q.type.bits}, {"signed", q.type.is_signed}, {"zero_point", q.zero_point}, {"scale", q.scale}};
}

json shape_json(const Shape& s) {
  return json::array({s.h, s.w, s.c});
}

json dram_json(const DramBytes& d) {
  return {{"weights", d.weights}, {"input", d.input}, {"output", d.output}, {"lower_bound", d.lower_bound}};
}

json engine_json(const LayerPlan& p) {
  return {{"tile_pixels", p.tile_pixels},
          {"tiles", p.tiles.size()},
          {"chunks", p.geometry.chunks},
          {"blocks", p.geometry.blocks},
          {"passes", p.geometry.passes},
          {"issue_cycles", p.issue_cycles},
          {"utilisation_bound", p.utilisation_bound},
          {"dram_bytes", dram_json(p.dram)}};
}

}  // namespace

json manifest_json(const Scenario& s, const SynthesizedModel& sm, const MemoryLayout& lay,
              const NetworkPlan& plan) {
  const QuantizedModel& m = sm.model;
  const auto& layers = m.network.layers;
  json jl = json::array();
  std::int64_t activation_bytes = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const LayerParams& p = m.params[i];
    const LayerLayout& ll = lay.layers[i];
    json inputs = json::array();
    json input_shapes = json::array();
    for (size_t k = 0; k < l.inputs.size(); ++k) {
      inputs.push_back(l.inputs[k]);
      input_shapes.push_back(shape_json(l.input_shapes[k]));
    }
    json e = {{"index", i},
              {"name", l.name},
              {"type", to_string(l.type)},
              {"inputs", inputs},
              {"input_shapes", input_shapes},
              {"output_shape", shape_json(l.output_shape)},
              {"activation", to_string(l.activation)},
              {"macs", l.macs()},
              {"params", l.param_count()},
              {"output_quant", quant_json(p.out)},
              {"output", {{"bytes", ll.output.bytes}, {"addr", ll.output.addr}}},
              {"saturation_rate", sm.stats[i].saturation_rate()}};
    if (l.type != LayerType::Flatten) activation_bytes += static_cast<std::int64_t>(ll.output.bytes);
    if (l.type == LayerType::Conv || l.type == LayerType::MaxPool || l.type == LayerType::AvgPool)
      e["window"] = {{"kernel", {l.kernel_h, l.kernel_w}},
                     {"stride", {l.stride_h, l.stride_w}},
                     {"padding", {l.padding.top, l.padding.left, l.padding.bottom, l.padding.right}}};
    if (l.activation == Activation::LeakyRelu) e["leaky_shift"] = l.leaky_shift;
    if (l.has_weights()) {
      e["weight_bits"] = p.weight_type.bits;
      e["blob"] = block_json(ll.blob);
      e["engine"] = engine_json(*plan.layers[i]);
      e["accumulator_bits_needed"] = sm.stats[i].accumulator_bits_needed;
    }
    if (l.type == LayerType::Add)
      e["add"] = {
          {"multiplier_a", p.add.multiplier_a}, {"multiplier_b", p.add.multiplier_b}, {"shift", p.add.shift}};
    jl.push_back(e);
  }
  return {{"format_version", 2},
          {"scenario", {{"name", s.name}, {"file", s.file}, {"description", s.description}}},
          {"network", {{"name", m.network.name}, {"description", m.network.description}}},
          {"hardware", hardware_json(s)},
          {"input",
           {{"shape", shape_json(m.network.input_shape)},
            {"quant", quant_json(m.input)},
            {"block", block_json(lay.input)},
            {"seed", s.input.seed}}},
          {"output",
           {{"layer", layers.back().name},
            {"shape", shape_json(layers.back().output_shape)},
            {"quant", quant_json(m.params.back().out)},
            {"block", block_json(lay.expected)}}},
          {"result",
           {{"addr", lay.layers.back().output.addr},
            {"bytes", lay.layers.back().output.bytes},
            {"elements", layers.back().output_shape.elements()}}},
          {"dram_image",
           {{{"file", "weights.bin"}, {"addr", lay.weights_file.addr}, {"bytes", lay.weights_file.bytes}},
            {{"file", "input.bin"}, {"addr", lay.input.addr}, {"bytes", lay.input.bytes}},
            {{"file", "expected.bin"}, {"addr", lay.expected.addr}, {"bytes", lay.expected.bytes}}}},
          {"files",
           {{"weights.bin", lay.weights_file.bytes},
            {"input.bin", lay.input.bytes},
            {"expected.bin", lay.expected.bytes}}},
          {"totals",
           {{"layers", layers.size()},
            {"params", m.network.param_count()},
            {"params_unfolded", m.network.param_count_unfolded()},
            {"macs", m.network.macs()},
            {"weights_bytes", lay.weights_file.bytes},
            {"activation_bytes", activation_bytes},
            {"dram_end", lay.end},
            {"engine",
             {{"issue_cycles", plan.issue_cycles},
              {"macs", plan.macs},
              {"utilisation_bound", plan.utilisation_bound},
              {"conv_utilisation_bound", plan.conv_utilisation_bound},
              {"dram_bytes", dram_json(plan.dram)}}}}},
          {"layers", jl}};
}

json hardware_json(const Scenario& s) {
  const auto& h = s.hardware;
  json j = engine_shape_json(h);
  j.update(json{{"clock_mhz", h.clock_mhz},
                {"cpu_mhz", h.cpu_mhz},
                {"dram",
                 {{"preset", s.dram.preset},
                  {"base", s.dram.base},
                  {"size_mib", s.dram.size_mib},
                  {"firmware_mib", s.dram.firmware_mib}}},
                {"quantization",
                 {{"activation_bits", s.quant.activation_bits},
                  {"weight_bits", s.quant.weight_bits},
                  {"requant", to_string(s.quant.requant)},
                  {"calibration_percentile", s.quant.calibration_percentile},
                  {"weight_seed", s.quant.weight_seed},
                  {"input_seed", s.input.seed},
                  {"input_signed", s.input.is_signed}}},
                {"run",
                 {{"max_cycles", s.run.max_cycles},
                  {"watchdog_cycles", s.run.watchdog_cycles},
                  {"stall_seed", s.run.stall_seed},
                  {"stall_probability", s.run.stall_probability}}}});
  return j;
}

}  // namespace dnnvp

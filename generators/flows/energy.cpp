#include "energy.h"

#include <cmath>
#include <string>
#include <vector>

namespace dnnvp {

using nlohmann::json;

namespace embedded {
extern const char* const energy_table_json;  // energy_table.json (CMakeLists.txt, dnnvp_embed_text)
}

const json& energy_table() {
  static const json table = json::parse(embedded::energy_table_json);
  return table;
}

double mac_energy_pj(const EngineShape& shape) {
  const json& mac = energy_table().at("mac");
  const double mult_bits = mac.at("mult_bits")[0].get<double>() * mac.at("mult_bits")[1].get<double>();
  return mac.at("mult_pj").get<double>() * shape.act_bits * shape.weight_bits / mult_bits +
         mac.at("add_pj").get<double>() * shape.acc_bits / mac.at("add_bits").get<double>();
}

double sram_energy_pj_per_byte(double capacity_bytes) {
  const json& points = energy_table().at("sram").at("points");
  // The segment holding the capacity; below the first or above the last point, the end segment extended.
  std::size_t i = 1;
  while (i + 1 < points.size() && capacity_bytes > points[i].at("bytes").get<double>()) ++i;
  const double b0 = points[i - 1].at("bytes").get<double>(),
               e0 = points[i - 1].at("pj_per_byte").get<double>();
  const double b1 = points[i].at("bytes").get<double>(), e1 = points[i].at("pj_per_byte").get<double>();
  const double slope = std::log(e1 / e0) / std::log(b1 / b0);
  return e0 * std::pow(capacity_bytes / b0, slope);
}

json energy_json(const EngineShape& shape, const EnergyCounts& c) {
  struct Buffer {
    const char* name;
    double capacity_bytes;
    double bytes;
  };
  const double acc_word_bytes = shape.cols * shape.acc_bits / 8.0;
  const std::vector<Buffer> buffers = {
      {"input", static_cast<double>(shape.input_buffer_bytes),
       static_cast<double>(c.x_bytes) + static_cast<double>(c.active_cycles) * shape.rows},
      {"accumulator", shape.acc_depth * acc_word_bytes,
       2.0 * static_cast<double>(c.active_cycles) * acc_word_bytes},
      {"weight", static_cast<double>(shape.weight_buffer_bytes), 2.0 * static_cast<double>(c.w_bytes)},
      {"output", static_cast<double>(shape.output_buffer_bytes), 2.0 * static_cast<double>(c.y_bytes)},
  };
  const double mac_pj = mac_energy_pj(shape);
  double sram_pj = 0;
  json sram_bytes = json::object(), sram_pj_per_byte = json::object();
  for (const Buffer& b : buffers) {
    const double per_byte = sram_energy_pj_per_byte(b.capacity_bytes);
    sram_pj += b.bytes * per_byte;
    sram_bytes[b.name] = b.bytes;
    sram_pj_per_byte[b.name] = per_byte;
  }
  const double mac_total_pj = mac_pj * static_cast<double>(c.macs);
  const double images = c.images > 0 ? static_cast<double>(c.images) : 1.0;
  const double total_pj = mac_total_pj + sram_pj + c.dram_pj;
  const json& t = energy_table();
  return {{"per_frame_uj", total_pj / images / 1e6},
          {"total_uj", total_pj / 1e6},
          {"components",
           {{"mac", mac_total_pj / images / 1e6},
            {"sram", sram_pj / images / 1e6},
            {"dram", c.dram_pj / images / 1e6}}},
          {"sram_bytes", sram_bytes},
          {"table",
           {{"node", t.at("node")},
            {"source", t.at("source")},
            {"mac_pj", mac_pj},
            {"sram_pj_per_byte", sram_pj_per_byte},
            {"dram", "the DRAM model's energy (totals.dram.energy_pj)"}}}};
}

}  // namespace dnnvp

// report.json's energy section (generators/flows/energy.h): the arithmetic from the run's counts and the
// table, checked against the table's figures read here from energy_table.json itself.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "energy.h"

using dnnvp::EnergyCounts;
using dnnvp::EngineShape;
using nlohmann::json;

namespace {

json table_file() {
  std::ifstream in(DNNVP_SOURCE_DIR "/generators/flows/energy_table.json");
  return json::parse(in);
}

}  // namespace

TEST_CASE("the compiled-in energy table is energy_table.json", "[energy]") {
  CHECK(dnnvp::energy_table() == table_file());
}

TEST_CASE("a MAC costs a multiply at the shape's widths and an add at the accumulator's", "[energy]") {
  const json mac = table_file().at("mac");
  EngineShape s;  // 8-bit activations and weights, 32-bit accumulators: the table's own widths
  CHECK(dnnvp::mac_energy_pj(s) == Approx(mac.at("mult_pj").get<double>() + mac.at("add_pj").get<double>()));
  s.act_bits = 4, s.weight_bits = 4, s.acc_bits = 16;  // a quarter of the multiply, half the add
  CHECK(dnnvp::mac_energy_pj(s) ==
        Approx(mac.at("mult_pj").get<double>() / 4 + mac.at("add_pj").get<double>() / 2));
}

TEST_CASE("SRAM energy per byte is the table's at its points and log-log between them", "[energy]") {
  const json points = table_file().at("sram").at("points");
  for (const json& p : points)
    CHECK(dnnvp::sram_energy_pj_per_byte(p.at("bytes")) == Approx(p.at("pj_per_byte").get<double>()));
  // Halfway between the first two points on a log scale: the geometric mean of their energies.
  const double b0 = points[0].at("bytes"), b1 = points[1].at("bytes");
  const double e0 = points[0].at("pj_per_byte"), e1 = points[1].at("pj_per_byte");
  CHECK(dnnvp::sram_energy_pj_per_byte(std::sqrt(b0 * b1)) == Approx(std::sqrt(e0 * e1)));
  // Beyond the last point the last segment goes on: 4x the capacity at 1 MB-scale slope.
  const double b2 = points[2].at("bytes"), e2 = points[2].at("pj_per_byte");
  const double slope = std::log(e2 / e1) / std::log(b2 / b1);
  CHECK(dnnvp::sram_energy_pj_per_byte(4 * b2) == Approx(e2 * std::pow(4.0, slope)));
}

TEST_CASE("energy per frame sums MACs, buffer traffic and DRAM over the images", "[energy]") {
  EngineShape s;
  s.rows = 4, s.cols = 8, s.acc_depth = 64;
  s.input_buffer_bytes = 8192, s.weight_buffer_bytes = 32768, s.output_buffer_bytes = 1048576;
  EnergyCounts c;
  c.images = 2, c.macs = 1000, c.active_cycles = 50, c.x_bytes = 300, c.w_bytes = 700, c.y_bytes = 90;
  c.dram_pj = 5e6;
  const json e = dnnvp::energy_json(s, c);

  const double mac_pj = dnnvp::mac_energy_pj(s);
  const double acc_word = 8 * 32 / 8.0;  // Cols accumulators of 32 bits
  const double input = 300 + 50 * 4, accumulator = 2 * 50 * acc_word, weight = 2 * 700, output = 2 * 90;
  // The input, weight and output buffers sit on the table's three points.
  const double sram_pj = input * 1.25 + accumulator * dnnvp::sram_energy_pj_per_byte(64 * acc_word) +
                         weight * 2.5 + output * 12.5;
  CHECK(e.at("sram_bytes").at("input") == Approx(input));
  CHECK(e.at("sram_bytes").at("accumulator") == Approx(accumulator));
  CHECK(e.at("sram_bytes").at("weight") == Approx(weight));
  CHECK(e.at("sram_bytes").at("output") == Approx(output));
  const json& per_frame = e.at("components");
  CHECK(per_frame.at("mac") == Approx(1000 * mac_pj / 2 / 1e6));
  CHECK(per_frame.at("sram") == Approx(sram_pj / 2 / 1e6));
  CHECK(per_frame.at("dram") == Approx(5e6 / 2 / 1e6));
  CHECK(e.at("per_frame_uj") == Approx((1000 * mac_pj + sram_pj + 5e6) / 2 / 1e6));
  CHECK(e.at("total_uj") == Approx((1000 * mac_pj + sram_pj + 5e6) / 1e6));
  CHECK(e.at("table").at("mac_pj") == Approx(mac_pj));
}

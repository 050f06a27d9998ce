// Energy per frame from a run's counted operations and the energy table (generators/flows/energy_table.json,
// compiled in; docs/asic.md "Energy"): report.json's `energy` section.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "engine_shape.h"

namespace dnnvp {

// What a run counted, summed over its images.
struct EnergyCounts {
  std::uint64_t images = 1;
  std::uint64_t macs = 0;           // the engine's MACS counter
  std::uint64_t active_cycles = 0;  // the engine's ACTIVE counter: pixels issued to the PE array
  std::uint64_t x_bytes = 0;        // the input stream's bytes (DRAM read by dma0.mm2s)
  std::uint64_t w_bytes = 0;        // the weight stream's bytes (dma1.mm2s)
  std::uint64_t y_bytes = 0;        // the output stream's bytes (DRAM written by dma0.s2mm)
  double dram_pj = 0;               // the DRAM model's energy over the run
};

// The table as compiled in (energy_table.json).
const nlohmann::json& energy_table();

// pJ of one MAC at the shape's widths.
double mac_energy_pj(const EngineShape& shape);
// pJ per byte accessed in an SRAM of `capacity_bytes`.
double sram_energy_pj_per_byte(double capacity_bytes);

// {per_frame_uj, total_uj, components{mac, sram, dram} (uJ per frame), sram_bytes{input, accumulator, weight,
// output}, table{node, source, mac_pj, sram_pj_per_byte{...}}}.
nlohmann::json energy_json(const EngineShape& shape, const EnergyCounts& counts);

}  // namespace dnnvp

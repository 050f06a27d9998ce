// vp_gen's FPGA outputs for a scenario (docs/fpga.md): vivado.tcl, and resources.json when the estimate is
// cached or asked for (Yosys takes minutes: the default run never waits for it).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "scenario.h"

namespace dnnvp {

// `part`: the scenario's FPGA part (a key of fpga_parts.yaml), or empty for none.
// vivado.tcl for the part (fpga_parts.yaml's default_part when empty); nothing for a part without a
// processing system (an Alveo card: its flow is the Vitis shell, docs/fpga.md).
std::optional<std::string> scenario_vivado_tcl(const Scenario& s, const std::string& part);
// address_map.json: the PL regions' addresses on the part's board (the same as vivado.tcl's
// assign_bd_address): {part, device, ps, regions: {name: {base, size}}}; nothing without a processing system.
std::optional<nlohmann::json> scenario_address_map(const std::string& part);
// The engine's resource estimate with, for a part, its budget check; nothing when it is not cached and
// `run` is false. Throws std::runtime_error when Yosys is missing or fails.
std::optional<nlohmann::json> scenario_resources(const Scenario& s, const std::string& part, bool run);
// DIR/resources.json as vp_gen wrote it, or nothing.
std::optional<nlohmann::json> read_resources_json(const std::string& dir);
// One line for the console: "resources (yosys synth_xilinx xcup): 1234 LUT ..., fits zcu104 (binding dsp 12.3
// %)".
std::string resources_summary(const nlohmann::json& resources);

}  // namespace dnnvp

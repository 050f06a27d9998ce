// vivado.tcl: a Vivado project script for a scenario's engine on an FPGA part (docs/fpga.md): the engine
// packaged as an IP from rtl/ with the shape's parameters, the Zynq processing system, the AXI DMAs as the
// platform models them, AXI interconnects, the address map of platform/memory_map.yaml (its PL regions,
// placed in the processing system's window), interrupts, implementation to a bitstream and the .xsa the
// firmware is built against.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine_shape.h"
#include "fpga_parts.h"

namespace dnnvp::flows {

struct VivadoDesign {
  std::string name;  // the scenario's: project and output names
  EngineShape shape;
  double clock_mhz = 250.0;  // the engine's and the DMAs' clock (the PL clock)
  const FpgaParts* parts = nullptr;
  std::string part;  // a key of parts->parts (with a processing system)
};

// The address a memory-map region (base, size) has on the board: the processing system's window base plus
// the region's base modulo the window size (Zynq-7000's GP0 window starts where the platform's PL regions
// do, so there they are equal). Throws dnnvp::Error naming the region when it does not fit the window.
std::uint64_t board_address(const ProcessingSystem& ps, const std::string& region, std::uint64_t base,
                            std::uint64_t size);

// The PL regions' addresses on `part`'s board, as vivado.tcl assigns them: {part, device, ps, window: {base,
// size}, regions: {name: {base, size}}} (address_map.json: the Linux runtime maps these).
nlohmann::json board_address_map(const FpgaParts& parts, const std::string& part);

// The script. Throws dnnvp::Error for a part without a processing system or a `pl` region the memory map
// does not have.
std::string vivado_tcl(const VivadoDesign& design);

}  // namespace dnnvp::flows

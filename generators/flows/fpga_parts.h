// The FPGA parts the flows know (generators/flows/fpga_parts.yaml, the one place their budgets and
// sources live) and their processing systems.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dnnvp::flows {

// A processing system type (fpga_parts.yaml `ps.<type>`).
struct ProcessingSystem {
  std::string type;               // zynq7 | zynqmp
  std::string ip;                 // Vivado IP name: processing_system7, zynq_ultra_ps_e
  std::string master;             // its AXI master to the PL peripherals (M_AXI_GP0, M_AXI_HPM0_FPD)
  std::string slave;              // its AXI slave for the DMAs' memory traffic (S_AXI_HP0, S_AXI_HP0_FPD)
  std::string clock, reset, irq;  // pins: PL clock, its reset (active low), PL-to-PS interrupts
  std::vector<std::string> port_clocks;                     // the master's and the slave's clock pins
  std::vector<std::pair<std::string, std::string>> config;  // CONFIG properties enabling the pins
  std::string clock_config;                                 // the CONFIG property of the PL clock (MHz)
  int dma_addr_width = 32;                                  // the DMAs' c_addr_width
  std::string processor;  // the processor the firmware is built for (ps7_cortexa9_0, psu_cortexa53_0)
  std::uint64_t window_base = 0, window_size = 0;  // the master's address window
};

// A memory-map region the PL implements (fpga_parts.yaml `pl`).
struct PlPeripheral {
  std::string region;      // platform/memory_map.yaml's name: engine, dma0, ...
  std::string ip;          // engine | axi_dma
  std::string mm2s, s2mm;  // axi_dma: the engine stream port each channel meets (platform/memory_map.yaml
                           // `streams`; empty: channel left out)
};

struct FpgaPart {
  std::string name;  // the key: zcu104, pynq-z2, ...
  std::string board, part, board_part, family, ps, source;
  std::int64_t lut = 0, ff = 0, dsp = 0, bram36 = 0, uram = 0;
};

struct FpgaParts {
  std::string file;
  std::string default_part;  // vivado.tcl's target when a scenario names none
  std::map<std::string, FpgaPart> parts;
  std::map<std::string, ProcessingSystem> ps;
  std::vector<PlPeripheral> pl;  // in the file's order

  // The parts' names, comma-separated.
  std::string names() const;
  // The part called `name`; throws dnnvp::Error listing the known names when there is none.
  const FpgaPart& part(const std::string& name) const;
  // The processing system of `part`; throws dnnvp::Error when it has none (ps: none).
  const ProcessingSystem& processing_system(const FpgaPart& part) const;
};

// <source dir>/generators/flows/fpga_parts.yaml
std::string default_fpga_parts_file();
// Reads and checks the file; throws dnnvp::Error ("file:line: field: message").
FpgaParts load_fpga_parts(const std::string& file = default_fpga_parts_file());

}  // namespace dnnvp::flows

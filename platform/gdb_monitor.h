// gdb's `monitor` commands on the SoC (docs/debugging.md): simulated time and cycles, the engine, the DMA
// channels' registers decoded by field name, the firmware's current layer. Registers and fields come
// from the platform's register spec (platform/memory_map.yaml's generated table), not from a copy.
#pragma once

#include <string>

namespace dnnvp {

class Soc;
namespace cpu {
class RiscvCpu;
}

// The text `monitor COMMAND` prints; an unknown command gets the help text after a line saying so.
// Reads registers through `cpu` (gdb's view: the bus's side-effect-free debug reads, else the value the
// CPU's last access carried), so nothing in the simulation changes.
std::string gdb_monitor(const Soc& soc, cpu::RiscvCpu& cpu, const std::string& command);

}  // namespace dnnvp

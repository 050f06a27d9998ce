#include "gdb_monitor.h"

#include <sstream>

#include "dnnvp_memory_map.hpp"
#include "hex.h"
#include "soc.h"

namespace dnnvp {
namespace {

constexpr const char* kHelp =
    "monitor commands (docs/debugging.md):\n"
    "  help          this text\n"
    "  time          simulated time and cycles (CPU and engine); \"cycles\" says the same\n"
    "  engine        the engine: busy, cycles, tiles, streams, and its registers as the CPU last accessed "
    "them\n"
    "  dma [N]       DMA registers (all DMAs, or dmaN), read without side effects, decoded by field\n"
    "  layer         the firmware's current layer\n";

// "NAME 0x... FIELD=v FIELD=v" with the fields of the register spec.
std::string decoded(const RegisterInfo& r, std::uint32_t value) {
  std::ostringstream o;
  o << r.name << " " << hex(value, 8);
  for (std::size_t i = 0; i < r.field_count; ++i) {
    const FieldInfo& f = r.fields[i];
    o << " " << f.name << "=" << ((value & f.mask) >> f.lsb);
  }
  return o.str();
}

std::string time_text(const Soc& soc, const cpu::RiscvCpu& cpu) {
  std::ostringstream o;
  const sc_core::sc_time t = cpu.local_time();
  o << "simulated time " << t << " (the CPU's; the rest of the platform is at " << sc_core::sc_time_stamp()
    << ")\n"
    << "CPU cycle " << cpu.cycles() << " (" << cpu.instructions() << " instructions), engine cycle "
    << soc.engine_cycles_at(t) << "\n";
  return o.str();
}

std::string engine_text(const Soc& soc, const cpu::RiscvCpu& cpu) {
  const Engine& e = soc.engine();
  std::ostringstream o;
  o << "engine: " << (e.busy() ? "busy" : "idle") << ", " << e.cycles() << " cycles (" << e.busy_cycles()
    << " busy, " << e.compute_cycles() << " issuing work), " << e.tiles_completed() << " tiles completed\n"
    << e.stream_state();
  const RegionInfo& region = memory_map::region("engine");
  o << "registers as the CPU last accessed them (a read of the engine takes clock cycles and latches "
       "counters, so gdb does not read it):\n";
  std::size_t untouched = 0;
  for (std::size_t i = 0; i < region.register_count; ++i) {
    const RegisterInfo& r = region.registers[i];
    const cpu::RiscvCpu::MmioAccess* a = cpu.last_mmio(region.base + r.offset);
    if (!a) {
      ++untouched;
      continue;
    }
    o << "  " << decoded(r, a->value) << "  (" << (a->is_write ? "written" : "read") << " at " << a->time
      << ")\n";
  }
  o << "  " << untouched << " other registers not accessed since gdb attached\n";
  return o.str();
}

std::string dma_text(cpu::RiscvCpu& cpu, const std::string& name) {
  const RegionInfo& region = memory_map::region(name);
  std::ostringstream o;
  o << name << " (" << hex(region.base) << "):\n";
  for (std::size_t i = 0; i < region.register_count; ++i) {
    const RegisterInfo& r = region.registers[i];
    std::uint8_t b[4];
    if (!cpu.read_memory(region.base + r.offset, 4, b)) {
      o << "  " << r.name << " unreadable\n";
      continue;
    }
    o << "  "
      << decoded(r, static_cast<std::uint32_t>(b[0] | b[1] << 8 | b[2] << 16) | std::uint32_t{b[3]} << 24)
      << "\n";
  }
  return o.str();
}

std::string layer_text(const Soc& soc) {
  const std::vector<LayerMark>& marks = soc.layer_marks();
  if (marks.empty()) return "no layer started yet\n";
  const LayerMark& m = marks.back();
  if (m.layer == 0xFFFFFFFFu) return "after the last layer (since " + m.time.to_string() + ")\n";
  const std::vector<std::string>& names = soc.config().layer_names;
  std::ostringstream o;
  o << "layer " << m.layer;
  if (m.layer < names.size()) o << " (" << names[m.layer] << ")";
  o << ", started at " << m.time << " (engine cycle " << soc.engine_cycles_at(m.time) << ")\n";
  return o.str();
}

}  // namespace

std::string gdb_monitor(const Soc& soc, cpu::RiscvCpu& cpu, const std::string& command) {
  std::istringstream in(command);
  std::string word, arg, extra;
  in >> word >> arg >> extra;
  if (word.empty() || word == "help") return kHelp;
  if ((word == "time" || word == "cycles") && arg.empty()) return time_text(soc, cpu);
  if (word == "engine" && arg.empty()) return engine_text(soc, cpu);
  if (word == "layer" && arg.empty()) return layer_text(soc);
  if (word == "dma" && extra.empty()) {
    std::string all;
    for (const std::string_view dma : memory_map::streams::kDmas) {
      if (arg.empty())
        all += dma_text(cpu, std::string(dma));
      else if (dma == "dma" + arg)
        return dma_text(cpu, std::string(dma));
    }
    if (arg.empty()) return all;
  }
  return "unknown monitor command '" + command + "'\n" + kHelp;
}

}  // namespace dnnvp

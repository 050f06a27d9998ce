#include "fpga_parts.h"

#include "dnnvp_memory_map.hpp"
#include "error.h"
#include "yaml_fields.h"

namespace dnnvp::flows {

std::string default_fpga_parts_file() {
  return std::string(DNNVP_SOURCE_DIR) + "/generators/flows/fpga_parts.yaml";
}

std::string FpgaParts::names() const {
  std::string list;
  for (const auto& [name, part] : parts) list += (list.empty() ? "" : ", ") + name;
  return list;
}

const FpgaPart& FpgaParts::part(const std::string& name) const {
  const auto it = parts.find(name);
  if (it == parts.end()) throw Error(file + ": no FPGA part '" + name + "' (known: " + names() + ")");
  return it->second;
}

const ProcessingSystem& FpgaParts::processing_system(const FpgaPart& p) const {
  const auto it = ps.find(p.ps);
  if (it == ps.end())
    throw Error(file + ": parts." + p.name + " (" + p.board + ") has no processing system (ps: " + p.ps +
                "): the generated Vivado project needs a Zynq part");
  return it->second;
}

FpgaParts load_fpga_parts(const std::string& file) {
  const Fields root(load_yaml_file(file), file, "");
  FpgaParts out;
  out.file = file;
  for (const auto& entry : root.node("ps")) {
    const std::string type = entry.first.as<std::string>();
    const Fields f(entry.second, file, "ps." + type);
    ProcessingSystem ps;
    ps.type = type;
    ps.ip = f.required_string("ip");
    ps.master = f.required_string("master");
    ps.slave = f.required_string("slave");
    ps.processor = f.required_string("processor");
    ps.clock = f.required_string("clock");
    ps.reset = f.required_string("reset");
    ps.irq = f.required_string("irq");
    for (const auto& pin : f.node("port_clocks")) ps.port_clocks.push_back(pin.as<std::string>());
    for (const auto& c : f.node("config"))
      ps.config.emplace_back(c.first.as<std::string>(), c.second.as<std::string>());
    ps.clock_config = f.required_string("clock_config");
    ps.dma_addr_width = static_cast<int>(f.required_integer("dma_addr_width", 32, 64));
    const Fields w = f.map("window");
    ps.window_base = static_cast<std::uint64_t>(w.required_integer("base", 0, 0xFFFFFFFFLL));
    ps.window_size = static_cast<std::uint64_t>(w.required_integer("size", 0x1000, 0x100000000LL));
    w.reject_unknown();
    f.reject_unknown();
    out.ps[type] = ps;
  }
  for (const auto& entry : root.node("parts")) {
    const std::string name = entry.first.as<std::string>();
    const Fields f(entry.second, file, "parts." + name);
    FpgaPart p;
    p.name = name;
    p.board = f.required_string("board");
    p.part = f.required_string("part");
    p.board_part = f.string("board_part", "");
    p.family = f.choice("family", "", {"xc7", "xcup"});
    p.lut = f.required_integer("lut", 1, 1LL << 40);
    p.ff = f.required_integer("ff", 1, 1LL << 40);
    p.dsp = f.required_integer("dsp", 0, 1LL << 40);
    p.bram36 = f.required_integer("bram36", 0, 1LL << 40);
    p.uram = f.required_integer("uram", 0, 1LL << 40);
    p.ps = f.required_string("ps");
    if (p.ps != "none" && out.ps.count(p.ps) == 0)
      f.fail("ps", "'" + p.ps + "' is not a type under ps (or none)");
    p.source = f.required_string("source");
    f.reject_unknown();
    out.parts[name] = p;
  }
  for (const auto& entry : root.node("pl")) {
    const std::string region = entry.first.as<std::string>();
    const Fields f(entry.second, file, "pl." + region);
    PlPeripheral p{region, f.choice("ip", "", {"engine", "axi_dma"}), "", ""};
    // A DMA's channels meet the engine ports platform/memory_map.yaml's `streams` gives them.
    for (const memory_map::streams::Link& l : memory_map::streams::kLinks)
      if (l.dma == region) (l.channel == "mm2s" ? p.mm2s : p.s2mm) = std::string(l.port);
    if (p.ip == "axi_dma" && p.mm2s.empty() && p.s2mm.empty())
      f.fail("ip", "'" + region + "' moves no engine stream (platform/memory_map.yaml streams)");
    f.reject_unknown();
    out.pl.push_back(p);
  }
  out.default_part = root.required_string("default_part");
  if (out.parts.count(out.default_part) == 0)
    root.fail("default_part", "'" + out.default_part + "' is not under parts (" + out.names() + ")");
  root.reject_unknown();
  return out;
}

}  // namespace dnnvp::flows

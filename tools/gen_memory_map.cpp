// gen_memory_map: platform/memory_map.yaml -> the firmware's C header, the platform's C++ table, and
// for one region (the engine) a SystemVerilog package and the register table of its documentation.
// The C++ table is written with the types of models/base/register_spec.h, which it includes: the
// platform passes its regions to the models (kMap, region("uart")), the models never include it.
//
//   gen_memory_map MAP.yaml [--c-header OUT.h] [--cpp-header OUT.hpp]
//                           [--sv-package REGION OUT.sv] [--doc-table REGION DOC.md] [--check]
//
// --sv-package: the region's offsets, reset values, field positions and blocks as localparams of a
//   package named after OUT (rtl/dnn_regs_pkg.sv -> dnn_regs_pkg), for the RTL.
// --doc-table: rewrites the part of DOC between the lines "<!-- BEGIN REGION registers ..." and
//   "<!-- END REGION registers -->" with a Markdown table of the region's registers.
// --check: writes nothing for --sv-package and --doc-table; fails (exit 1) when a file differs from what
//   it would write, naming the command that refreshes it. Those two are checked in (the RTL and the docs
//   need no build); a test runs this check. The C/C++ headers are build outputs and always written.
//
// The map's keys are listed in its header comment (platform/memory_map.yaml) and in docs/platform.md ("The
// YAML schema"); a register's optional `block: <name>` makes it a word of a named run of consecutive
// words (the engine's tile descriptor, its counters), given as <Block>First/Last/Words in every output.
//
// Run by the build (platform/CMakeLists.txt). The map is read strictly: unknown or duplicate keys, bad
// numbers, overlapping regions, registers outside their region and broken blocks are errors that name the
// file, the line and the field ("memory_map.yaml:14: regions[2].registers[0].offset: must be a multiple
// of 4, got 0x3"); exit code 1. Outputs are rewritten only when their text changes, so an unchanged map
// does not rebuild its users. Links only dnnvp_yaml (generators/yaml_fields.h, yaml-cpp): it runs before
// most of the build.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "error.h"
#include "hex.h"
#include "yaml_fields.h"

namespace {

constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 32;  // 32-bit bus addresses
constexpr std::uint64_t kRegionAlignment = 0x1000;               // regions are whole 4 KiB pages
// Rewrites the checked-in outputs (platform/CMakeLists.txt).
constexpr const char* kRefreshCommand = "cmake --build <build> --target update_register_spec";

using dnnvp::Error;
using dnnvp::Fields;
using dnnvp::located;

struct Field {
  std::string name;
  unsigned lsb = 0;
  unsigned width = 1;
  std::string description;
};

struct Register {
  std::string name;
  std::uint32_t offset = 0;
  std::string access;  // ro | wo | rw | w1c
  std::uint32_t reset = 0;
  std::string description;
  std::vector<Field> fields;
  std::string block;  // "" or the block this register is a word of
};

// A named run of registers at consecutive word offsets (`block:`), e.g. the engine's tile descriptor.
struct Block {
  std::string name;
  std::vector<std::size_t> members;  // indices into Region::registers, in offset order
};

struct Region {
  std::string name;
  std::uint64_t base = 0;
  std::uint64_t size = 0;  // 0 when sized by the scenario
  bool scenario_sized = false;
  std::string description;
  std::vector<Register> registers;
  std::vector<Block> blocks;
  std::string registers_from;  // `registers: <region>`
  int line = 0;
  std::string path;  // "regions[i]"
};

// An interrupt line of the controller region (`interrupts:`): bit `line` of its registers.
struct IrqSource {
  std::string name;  // lower_case: the device and channel that drives the line
  unsigned line = 0;
  std::string description;
};

// An engine stream and the DMA channel that moves it (`streams:`).
struct StreamLink {
  std::string name;     // lower_case: x, w, r, y
  std::string port;     // the engine's AXI-Stream port
  std::string dma;      // the DMA region
  std::string channel;  // mm2s (DRAM to the engine) or s2mm (the engine to DRAM)
  std::string description;
};

struct Map {
  std::vector<Region> regions;
  std::string irq_controller;  // the region of the interrupt controller ("" without `interrupts:`)
  std::vector<IrqSource> irq_sources;
  std::vector<StreamLink> streams;
};

// The map's numbers: upper-case digits, as many as the value needs unless `digits` asks for more.
std::string hex(std::uint64_t v, int digits = 0) {
  return dnnvp::hex(v, digits, dnnvp::HexCase::upper);
}

bool is_identifier(const std::string& s, bool upper) {
  if (s.empty()) return false;
  const auto first_ok = [&](char c) { return upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z'); };
  const auto rest_ok = [&](char c) { return first_ok(c) || (c >= '0' && c <= '9') || c == '_'; };
  if (!first_ok(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), rest_ok);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// TX_DATA -> TxData
std::string camel(const std::string& s) {
  std::string out;
  bool start = true;
  for (char c : s) {
    if (c == '_') {
      start = true;
      continue;
    }
    out += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                 : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    start = false;
  }
  return out;
}

// The map's own wording for a missing field, at the mapping rather than at the field: "regions[0]: missing
// required field 'size'" (tests/models/test_memory_map.cpp).
void require(const Fields& m, const std::string& key) {
  if (!m.has(key))
    throw Error(located(m.file(), m.own_line(), m.path(), "missing required field '" + key + "'"));
}

// One line: descriptions end up in // comments and string literals.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string required_string(const Fields& m, const std::string& key) {
  require(m, key);
  return one_line(m.required_string(key));
}

std::uint64_t required_integer(const Fields& m, const std::string& key, std::uint64_t lo, std::uint64_t hi) {
  require(m, key);
  return static_cast<std::uint64_t>(
      m.required_integer(key, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)));
}

void reject_unknown(const Fields& m) {
  m.reject_unknown("unknown field");
}

Field parse_field(const Fields& m) {
  Field f;
  f.name = required_string(m, "name");
  if (!is_identifier(f.name, true)) m.fail("name", "must be an UPPER_CASE identifier, got '" + f.name + "'");
  f.lsb = static_cast<unsigned>(required_integer(m, "lsb", 0, 31));
  f.width = static_cast<unsigned>(m.integer("width", 1, 1, 32));
  if (f.lsb + f.width > 32)
    m.fail("width",
           "lsb + width must be at most 32, got " + std::to_string(f.lsb) + " + " + std::to_string(f.width));
  f.description = one_line(m.string("description", ""));
  reject_unknown(m);
  return f;
}

Register parse_register(const Fields& m) {
  Register r;
  r.name = required_string(m, "name");
  if (!is_identifier(r.name, true)) m.fail("name", "must be an UPPER_CASE identifier, got '" + r.name + "'");
  r.offset = static_cast<std::uint32_t>(required_integer(m, "offset", 0, kAddressSpace - 4));
  if (r.offset % 4 != 0)
    m.fail("offset", "must be a multiple of 4 (registers are 32-bit words), got " + hex(r.offset));
  require(m, "access");
  r.access = m.choice("access", "", {"ro", "wo", "rw", "w1c"});
  r.reset = static_cast<std::uint32_t>(m.integer("reset", 0, 0, 0xFFFFFFFF));
  r.description = one_line(m.string("description", ""));
  if (m.has("block")) {
    r.block = m.required_string("block");
    if (!is_identifier(r.block, false))
      m.fail("block", "must be a lower_case identifier, got '" + r.block + "'");
  }
  std::uint32_t used_bits = 0;
  std::set<std::string> names;
  for (const Fields& fm : m.maps("fields")) {
    Field f = parse_field(fm);
    if (!names.insert(f.name).second) fm.fail("name", "duplicate field name '" + f.name + "'");
    const std::uint32_t mask = static_cast<std::uint32_t>(((std::uint64_t{1} << f.width) - 1) << f.lsb);
    if (used_bits & mask) fm.fail("lsb", "field overlaps an earlier field of " + r.name);
    used_bits |= mask;
    r.fields.push_back(std::move(f));
  }
  reject_unknown(m);
  return r;
}

// Blocks are one run of list neighbours at consecutive word offsets: the hardware decodes a block as an
// address range and indexes its words, so a gap or a stranger inside would be a silent wrong answer.
void add_to_block(Region& region, const Register& reg, const Fields& m) {
  if (reg.block.empty()) return;
  const auto it = std::find_if(region.blocks.begin(), region.blocks.end(),
                               [&](const Block& b) { return b.name == reg.block; });
  if (it == region.blocks.end()) {
    region.blocks.push_back(Block{reg.block, {region.registers.size()}});
    return;
  }
  const Register& last = region.registers[it->members.back()];
  if (it->members.back() + 1 != region.registers.size())
    m.fail("block", "block '" + reg.block + "' is interrupted by " + region.registers.back().name +
                        "; list its registers one after the other");
  if (reg.offset != last.offset + 4)
    m.fail("block", "block '" + reg.block + "' must be consecutive words: " + last.name + " is at " +
                        hex(last.offset) + ", so " + reg.name + " must be at " + hex(last.offset + 4) +
                        ", got " + hex(reg.offset));
  it->members.push_back(region.registers.size());
}

// "file:line: regions[i] (name): message"
[[noreturn]] void fail_region(const std::string& file, const Region& r, const std::string& message) {
  throw Error(located(file, r.line, r.path + " (" + r.name + ")", message));
}

// `key` as a lower_case identifier.
std::string lower_identifier(const Fields& m, const std::string& key) {
  std::string v = required_string(m, key);
  if (!is_identifier(v, false)) m.fail(key, "must be a lower_case identifier, got '" + v + "'");
  return v;
}

// `name` as a lower_case identifier not in `names` (then added to it); `what` says what it names.
std::string unique_name(const Fields& m, std::set<std::string>& names, const std::string& what) {
  std::string v = lower_identifier(m, "name");
  if (!names.insert(v).second) m.fail("name", "duplicate " + what + " '" + v + "'");
  return v;
}

// `interrupts: {controller: <region>, sources: [{name, line, description}]}`: the lines of the interrupt
// controller, numbered once here for the models, the platform and the firmware.
void parse_interrupts(const Fields& top, Map& map) {
  if (!top.has("interrupts")) return;
  const Fields irq = top.map("interrupts");
  map.irq_controller = required_string(irq, "controller");
  const auto found = std::find_if(map.regions.begin(), map.regions.end(),
                                  [&](const Region& r) { return r.name == map.irq_controller; });
  if (found == map.regions.end()) irq.fail("controller", "names no region: '" + map.irq_controller + "'");
  require(irq, "sources");
  std::set<std::string> names;
  std::map<unsigned, std::string> lines;
  for (const Fields& m : irq.maps("sources")) {
    IrqSource s;
    s.name = unique_name(m, names, "interrupt source");
    s.line = static_cast<unsigned>(required_integer(m, "line", 0, 31));
    const auto [at, fresh] = lines.emplace(s.line, s.name);
    if (!fresh) m.fail("line", "line " + std::to_string(s.line) + " is already source " + at->second);
    s.description = one_line(m.string("description", ""));
    reject_unknown(m);
    map.irq_sources.push_back(std::move(s));
  }
  if (map.irq_sources.empty()) irq.fail("sources", "must list at least one interrupt source");
  reject_unknown(irq);
}

// `streams: [{name, port, dma, channel, description}]`: which DMA channel moves each engine stream, named
// once here for the platform's wiring, the runtimes and the FPGA block design.
void parse_streams(const Fields& top, Map& map) {
  if (!top.has("streams")) return;
  std::set<std::string> names, channels;
  for (const Fields& m : top.maps("streams")) {
    StreamLink l;
    l.name = unique_name(m, names, "stream");
    l.port = lower_identifier(m, "port");
    l.dma = required_string(m, "dma");
    const auto found = std::find_if(map.regions.begin(), map.regions.end(),
                                    [&](const Region& r) { return r.name == l.dma; });
    if (found == map.regions.end() || found->registers.empty())
      m.fail("dma", "names no region with registers: '" + l.dma + "'");
    l.channel = m.choice("channel", "", {"mm2s", "s2mm"});
    if (!channels.insert(l.dma + "." + l.channel).second)
      m.fail("channel", l.dma + "." + l.channel + " already moves another stream");
    l.description = one_line(m.string("description", ""));
    reject_unknown(m);
    map.streams.push_back(std::move(l));
  }
  if (map.streams.empty()) top.fail("streams", "must list at least one stream");
}

Map parse_map(const std::string& path) {
  if (!std::ifstream(path)) throw Error(path + ": cannot read the file");
  const YAML::Node root = dnnvp::load_yaml_file(path);
  if (!root || root.IsNull()) throw Error(located(path, 0, "regions", "missing required field 'regions'"));
  const Fields top(root, path, "");
  require(top, "regions");
  const YAML::Node list = top.node("regions");
  if (!list.IsSequence() || list.size() == 0)
    top.fail("regions", "must be a non-empty list, got " + Fields::describe(list));

  std::vector<Region> regions;
  std::map<std::string, std::size_t> by_name;
  for (const Fields& m : top.maps("regions")) {
    Region r;
    r.path = m.path();
    r.line = m.line("name");
    r.name = lower_identifier(m, "name");
    if (by_name.count(r.name)) m.fail("name", "duplicate region name '" + r.name + "'");
    r.base = required_integer(m, "base", 0, kAddressSpace - 1);
    if (r.base % kRegionAlignment != 0)
      m.fail("base", "must be a multiple of 4 KiB (0x1000), got " + hex(r.base));
    require(m, "size");
    const YAML::Node size = m.node("size");
    if (size.IsScalar() && size.Scalar() == "scenario") {
      r.scenario_sized = true;
    } else {
      if (!size.IsScalar() || size.Scalar().empty() ||
          !std::isdigit(static_cast<unsigned char>(size.Scalar()[0])))
        m.fail("size", "must be a byte count or 'scenario', got " + Fields::describe(size));
      r.size = required_integer(m, "size", 1, kAddressSpace);
      if (r.size % kRegionAlignment != 0)
        m.fail("size", "must be a multiple of 4 KiB (0x1000), got " + hex(r.size));
      if (r.base + r.size > kAddressSpace)
        m.fail("size",
               "region ends beyond the 32-bit address space (" + hex(r.base) + " + " + hex(r.size) + ")");
    }
    r.description = one_line(m.string("description", ""));
    if (m.has("registers")) {
      const YAML::Node regs = m.node("registers");
      if (regs.IsScalar()) {
        r.registers_from = regs.Scalar();
        const auto it = by_name.find(r.registers_from);
        if (it == by_name.end()) m.fail("registers", "names no earlier region: '" + r.registers_from + "'");
        const Region& from = regions[it->second];
        if (!from.registers_from.empty())
          m.fail("registers", "'" + r.registers_from + "' itself shares the registers of '" +
                                  from.registers_from + "'; name that region");
        r.registers = from.registers;
        r.blocks = from.blocks;
      } else if (regs.IsSequence()) {
        std::set<std::string> names;
        std::map<std::uint32_t, std::string> offsets;
        for (const Fields& rm : m.maps("registers")) {
          Register reg = parse_register(rm);
          if (!names.insert(reg.name).second) rm.fail("name", "duplicate register name '" + reg.name + "'");
          const auto [at, fresh] = offsets.emplace(reg.offset, reg.name);
          if (!fresh) rm.fail("offset", "offset " + hex(reg.offset) + " is already register " + at->second);
          add_to_block(r, reg, rm);
          r.registers.push_back(std::move(reg));
        }
      } else {
        m.fail("registers",
               "must be a list of registers or the name of a region, got " + Fields::describe(regs));
      }
      if (!r.scenario_sized)
        for (const Register& reg : r.registers)
          if (reg.offset + 4 > r.size)
            m.fail("registers", reg.name + " at " + hex(reg.offset) + " lies outside the region (size " +
                                    hex(r.size) + ")");
    }
    reject_unknown(m);
    by_name[r.name] = regions.size();
    regions.push_back(std::move(r));
  }
  Map map;
  map.regions = regions;
  parse_interrupts(top, map);
  parse_streams(top, map);
  reject_unknown(top);

  // Overlaps (a scenario-sized region reaches to the end of the address space at most, so it must be the
  // highest).
  std::vector<const Region*> sorted;
  sorted.reserve(regions.size());
  for (const Region& r : regions) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const Region* a, const Region* b) { return a->base < b->base; });
  for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
    const Region& a = *sorted[i];
    const Region& b = *sorted[i + 1];
    if (a.scenario_sized)
      fail_region(path, a,
                  "is sized by the scenario and must be the highest region, but " + b.name +
                      " starts above it at " + hex(b.base));
    if (a.base + a.size > b.base)
      fail_region(path, a,
                  "overlaps " + b.name + " (" + hex(a.base) + ".." + hex(a.base + a.size - 1) + " and " +
                      hex(b.base) + "..)");
  }
  return map;
}

std::string c_comment(std::string s) {
  for (std::size_t p; (p = s.find("*/")) != std::string::npos;) s.replace(p, 2, "* /");
  return s;
}

std::string cpp_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* access_enum(const std::string& a) {
  if (a == "ro") return "RegisterAccess::kReadOnly";
  if (a == "wo") return "RegisterAccess::kWriteOnly";
  if (a == "w1c") return "RegisterAccess::kWriteOneToClear";
  return "RegisterAccess::kReadWrite";
}

std::uint32_t field_mask(const Field& f) {
  return static_cast<std::uint32_t>(((std::uint64_t{1} << f.width) - 1) << f.lsb);
}

// Macro and identifier names must not collide (a register called BASE would shadow the region's base).
void check_unique(std::set<std::string>& seen, const std::string& name, const std::string& file,
                  const Region& r) {
  if (!seen.insert(name).second)
    fail_region(file, r, "generated name " + name + " is defined twice; rename a region, register or field");
}

std::string emit_c(const Map& map, const std::string& file, const std::string& source) {
  const std::vector<Region>& regions = map.regions;
  std::ostringstream o;
  std::set<std::string> seen;
  o << "/* dnnvp_memory_map.h: the SoC memory map for firmware (C11, freestanding).\n"
    << " * Generated by gen_memory_map from " << source << "; do not edit.\n"
    << " * Registers are 32-bit words: access them only with aligned 32-bit loads and stores; any other\n"
    << " * access (byte, halfword, misaligned, unmapped) ends in a bus error (docs/platform.md). */\n"
    << "#ifndef DNNVP_MEMORY_MAP_H\n#define DNNVP_MEMORY_MAP_H\n";
  for (const Region& r : regions) {
    const std::string p = "DNNVP_" + upper(r.name);
    o << "\n/* " << r.name << ": " << c_comment(r.description) << " */\n";
    check_unique(seen, p + "_BASE", file, r);
    o << "#define " << p << "_BASE " << hex(r.base, 8) << "u\n";
    if (r.scenario_sized) {
      o << "/* " << p
        << "_SIZE: set by the scenario (dram.size_mib); read sysctl DRAM_SIZE at run time. */\n";
    } else {
      check_unique(seen, p + "_SIZE", file, r);
      o << "#define " << p << "_SIZE " << hex(r.size, 8) << "u\n";
    }
    if (!r.registers.empty())
      o << "/* Register offsets from " << p << "_BASE"
        << (r.registers_from.empty() ? "" : " (the register map of " + r.registers_from + ")") << ". */\n";
    for (const Register& reg : r.registers) {
      const std::string rp = p + "_" + reg.name;
      check_unique(seen, rp + "_OFFSET", file, r);
      o << "#define " << rp << "_OFFSET " << hex(reg.offset, 3) << "u /* " << reg.access
        << (reg.description.empty() ? "" : ": " + c_comment(reg.description)) << " */\n";
      check_unique(seen, rp + "_RESET", file, r);
      o << "#define " << rp << "_RESET " << hex(reg.reset, 8) << "u\n";
      for (const Field& f : reg.fields) {
        check_unique(seen, rp + "_" + f.name + "_SHIFT", file, r);
        check_unique(seen, rp + "_" + f.name + "_MASK", file, r);
        o << "#define " << rp << "_" << f.name << "_SHIFT " << f.lsb << "u\n";
        o << "#define " << rp << "_" << f.name << "_MASK " << hex(field_mask(f), 8) << "u"
          << (f.description.empty() ? "" : " /* " + c_comment(f.description) + " */") << "\n";
      }
    }
    for (const Block& b : r.blocks) {
      const std::string bp = p + "_" + upper(b.name);
      const Register& first = r.registers[b.members.front()];
      const Register& last = r.registers[b.members.back()];
      o << "/* Block " << b.name << ": " << first.name << " .. " << last.name << ", consecutive words. */\n";
      for (const char* suffix : {"_FIRST_OFFSET", "_LAST_OFFSET", "_WORDS"})
        check_unique(seen, bp + suffix, file, r);
      o << "#define " << bp << "_FIRST_OFFSET " << hex(first.offset, 3) << "u\n"
        << "#define " << bp << "_LAST_OFFSET " << hex(last.offset, 3) << "u\n"
        << "#define " << bp << "_WORDS " << b.members.size() << "u\n";
    }
  }
  if (!map.irq_sources.empty()) {
    o << "\n/* Interrupt lines of " << map.irq_controller << ": source N is bit N of its registers. */\n";
    for (const IrqSource& s : map.irq_sources) {
      const std::string n = "DNNVP_IRQ_" + upper(s.name);
      if (!seen.insert(n).second) throw Error(file + ": generated name " + n + " is defined twice");
      o << "#define " << n << " " << s.line << "u"
        << (s.description.empty() ? "" : " /* " + c_comment(s.description) + " */") << "\n";
    }
  }
  if (!map.streams.empty()) {
    o << "\n/* Engine streams and the DMA channel that moves each: the DMA's base, size and name, whether "
         "its\n"
      << " * MM2S channel (1) or its S2MM channel (0) does, and that channel's interrupt line. */\n";
    for (const StreamLink& l : map.streams) {
      const std::string n = "DNNVP_STREAM_" + upper(l.name);
      for (const char* suffix : {"_DMA_BASE", "_DMA_SIZE", "_DMA_NAME", "_MM2S", "_IRQ"})
        if (!seen.insert(n + suffix).second)
          throw Error(file + ": generated name " + n + suffix + " is defined twice");
      const std::string d = "DNNVP_" + upper(l.dma);
      o << "#define " << n << "_DMA_BASE " << d << "_BASE"
        << (l.description.empty() ? "" : " /* " + c_comment(l.description) + " */") << "\n"
        << "#define " << n << "_DMA_SIZE " << d << "_SIZE\n"
        << "#define " << n << "_DMA_NAME \"" << l.dma << "\"\n"
        << "#define " << n << "_MM2S " << (l.channel == "mm2s" ? "1u" : "0u") << "\n";
      // The channel's interrupt line, when the controller has one named after it (<dma>_<channel>).
      const std::string irq = l.dma + "_" + l.channel;
      if (std::any_of(map.irq_sources.begin(), map.irq_sources.end(),
                      [&](const IrqSource& i) { return i.name == irq; }))
        o << "#define " << n << "_IRQ DNNVP_IRQ_" << upper(irq) << "\n";
    }
  }
  o << "\n#endif /* DNNVP_MEMORY_MAP_H */\n";
  return o.str();
}

std::string emit_cpp(const Map& map, const std::string& file, const std::string& source) {
  const std::vector<Region>& regions = map.regions;
  std::ostringstream o;
  o << "// dnnvp_memory_map.hpp: the SoC memory map for the platform (C++17).\n"
    << "// Generated by gen_memory_map from " << source << "; do not edit.\n"
    << "#pragma once\n\n#include <cstddef>\n#include <cstdint>\n#include <string_view>\n\n"
    // The types are the models' (models/base/register_spec.h): models get these tables passed in.
    << "#include \"register_spec.h\"\n\n"
    << "namespace dnnvp::memory_map {\n";
  for (const Region& r : regions) {
    std::set<std::string> seen;
    o << "\n// " << r.name << ": " << r.description << "\nnamespace " << r.name << " {\n";
    check_unique(seen, "kBase", file, r);
    o << "inline constexpr std::uint64_t kBase = " << hex(r.base, 8) << "u;\n";
    check_unique(seen, "kSize", file, r);
    o << "inline constexpr std::uint64_t kSize = " << hex(r.size) << "u;"
      << (r.scenario_sized ? "  // sized by the scenario (dram.size_mib)" : "") << "\n";
    for (const Register& reg : r.registers) {
      check_unique(seen, "k" + camel(reg.name), file, r);
      o << "inline constexpr std::uint32_t k" << camel(reg.name) << " = " << hex(reg.offset, 3) << "u;  // "
        << reg.access << " offset\n";
      check_unique(seen, "k" + camel(reg.name) + "Reset", file, r);
      o << "inline constexpr std::uint32_t k" << camel(reg.name) << "Reset = " << hex(reg.reset, 8) << "u;\n";
      for (const Field& f : reg.fields) {
        const std::string n = "k" + camel(reg.name) + camel(f.name);
        check_unique(seen, n + "Shift", file, r);
        check_unique(seen, n + "Mask", file, r);
        o << "inline constexpr std::uint32_t " << n << "Shift = " << f.lsb << "u;\n";
        o << "inline constexpr std::uint32_t " << n << "Mask = " << hex(field_mask(f), 8) << "u;\n";
      }
    }
    for (const Register& reg : r.registers) {
      if (reg.fields.empty()) continue;
      const std::string n = "k" + camel(reg.name) + "Fields";
      check_unique(seen, n, file, r);
      o << "inline constexpr FieldInfo " << n << "[] = {\n";
      for (const Field& f : reg.fields)
        o << "    {" << cpp_string(f.name) << ", " << f.lsb << ", " << f.width << ", "
          << hex(field_mask(f), 8) << "u, " << cpp_string(f.description) << "},\n";
      o << "};\n";
    }
    if (!r.registers.empty()) {
      check_unique(seen, "kRegisters", file, r);
      o << "inline constexpr RegisterInfo kRegisters[] = {\n";
      for (const Register& reg : r.registers) {
        o << "    {" << cpp_string(reg.name) << ", " << hex(reg.offset, 3) << "u, " << access_enum(reg.access)
          << ", " << hex(reg.reset) << "u, ";
        if (reg.fields.empty())
          o << "nullptr, 0, ";
        else
          o << "k" << camel(reg.name) << "Fields, " << reg.fields.size() << ", ";
        o << cpp_string(reg.description) << ", " << cpp_string(reg.block) << "},\n";
      }
      o << "};\n";
    }
    for (const Block& b : r.blocks) {
      const std::string n = "k" + camel(b.name);
      for (const char* suffix : {"First", "Last", "Words"}) check_unique(seen, n + suffix, file, r);
      o << "// Block " << b.name << ": " << r.registers[b.members.front()].name << " .. "
        << r.registers[b.members.back()].name << ", consecutive words.\n"
        << "inline constexpr std::uint32_t " << n
        << "First = " << hex(r.registers[b.members.front()].offset, 3) << "u;\n"
        << "inline constexpr std::uint32_t " << n << "Last = " << hex(r.registers[b.members.back()].offset, 3)
        << "u;\n"
        << "inline constexpr std::size_t " << n << "Words = " << b.members.size() << ";\n";
    }
    o << "}  // namespace " << r.name << "\n";
  }
  o << "\ninline constexpr RegionInfo kRegions[] = {\n";
  for (const Region& r : regions) {
    o << "    {" << cpp_string(r.name) << ", " << r.name << "::kBase, " << r.name << "::kSize, "
      << (r.scenario_sized ? "true" : "false") << ", ";
    if (r.registers.empty())
      o << "nullptr, 0, ";
    else
      o << r.name << "::kRegisters, " << r.registers.size() << ", ";
    o << cpp_string(r.description) << "},\n";
  }
  o << "};\ninline constexpr std::size_t kRegionCount = " << regions.size() << ";\n"
    << "inline constexpr MemoryMapInfo kMap = {kRegions, kRegionCount, " << cpp_string(source) << "};\n\n"
    << "// The region called `name`, or nullptr.\n"
    << "constexpr const RegionInfo* find_region(std::string_view name) {\n"
    << "  for (const RegionInfo& r : kRegions)\n    if (r.name == name) return &r;\n  return nullptr;\n}\n\n"
    << "// The region called `name`; std::invalid_argument if there is none.\n"
    << "inline const RegionInfo& region(std::string_view name) {\n  return map_region(kMap, name);\n}\n\n";
  if (!map.irq_sources.empty()) {
    // Platform-only (like the map's own types, the models get these passed in).
    o << "// Interrupt lines of " << map.irq_controller << ": source N is bit N of its registers.\n"
      << "namespace irq {\n"
      << "struct Source {\n  std::string_view name;\n  unsigned line;\n  std::string_view description;\n};\n"
      << "inline constexpr std::string_view kController = " << cpp_string(map.irq_controller) << ";\n";
    std::set<std::string> seen;
    for (const IrqSource& s : map.irq_sources) {
      const std::string n = "k" + camel(s.name);
      if (!seen.insert(n).second) throw Error(file + ": generated name irq::" + n + " is defined twice");
      o << "inline constexpr unsigned " << n << " = " << s.line << "u;\n";
    }
    o << "inline constexpr Source kSources[] = {\n";
    for (const IrqSource& s : map.irq_sources)
      o << "    {" << cpp_string(s.name) << ", " << s.line << "u, " << cpp_string(s.description) << "},\n";
    o << "};\n}  // namespace irq\n\n";
  }
  if (!map.streams.empty()) {
    o << "// Engine streams and the DMA channel that moves each.\n"
      << "namespace streams {\n"
      << "struct Link {\n  std::string_view name, port, dma, channel, description;\n};\n"
      << "inline constexpr Link kLinks[] = {\n";
    for (const StreamLink& l : map.streams)
      o << "    {" << cpp_string(l.name) << ", " << cpp_string(l.port) << ", " << cpp_string(l.dma) << ", "
        << cpp_string(l.channel) << ", " << cpp_string(l.description) << "},\n";
    o << "};\n// The DMAs that move them, in the order they first appear.\ninline constexpr std::string_view "
         "kDmas[] = {";
    std::vector<std::string> dmas;
    for (const StreamLink& l : map.streams)
      if (std::find(dmas.begin(), dmas.end(), l.dma) == dmas.end()) dmas.push_back(l.dma);
    for (std::size_t i = 0; i < dmas.size(); ++i) o << (i ? ", " : "") << cpp_string(dmas[i]);
    o << "};\n"
      << "// The link of stream `name`, or nullptr.\n"
      << "constexpr const Link* find_link(std::string_view name) {\n"
      << "  for (const Link& l : kLinks)\n    if (l.name == name) return &l;\n  return nullptr;\n}\n"
      << "}  // namespace streams\n\n";
  }
  o << "}  // namespace dnnvp::memory_map\n";
  return o.str();
}

const Region& find_region(const std::vector<Region>& regions, const std::string& name,
                          const std::string& option) {
  for (const Region& r : regions)
    if (r.name == name) {
      if (r.registers.empty() || r.scenario_sized)
        throw Error(option + " " + name + ": the region must have registers and a fixed size");
      return r;
    }
  throw Error(option + ": no region called '" + name + "' in the map");
}

unsigned address_bits(std::uint64_t size) {
  unsigned bits = 0;
  while ((std::uint64_t{1} << bits) < size) ++bits;
  return bits;
}

// 12'h01C
std::string sv_hex(std::uint64_t v, unsigned bits) {
  std::ostringstream s;
  s << bits << "'h" << std::uppercase << std::hex;
  s.fill('0');
  s.width(static_cast<int>((bits + 3) / 4));
  s << v;
  return s.str();
}

// The package the RTL refers to as pkg::Name (Yosys 0.23 reads no `import`). Parameters are
// UpperCamelCase (rtl/README.md): <Register>Offset/Reset, <Register><Field>Lsb/Width/Mask,
// <Register>Index (its word in its block), <Block>First/Last/Words.
std::string emit_sv(const Region& r, const std::string& package, const std::string& file,
                    const std::string& source) {
  std::ostringstream o;
  std::set<std::string> seen;
  const unsigned bits = address_bits(r.size);
  const auto param = [&](const std::string& type, const std::string& name, const std::string& value,
                         const std::string& comment = "") {
    check_unique(seen, name, file, r);
    o << "  localparam " << type << " " << name << " = " << value << ";"
      << (comment.empty() ? "" : "  // " + comment) << "\n";
  };
  o << "// " << package << ": the registers of region " << r.name << " (" << r.description << ").\n"
    << "// Generated by tools/gen_memory_map from " << source << "; do not edit. Change the map, then run\n"
    << "// `" << kRefreshCommand << "`.\n"
    << "// Refer to these as " << package << "::Name: Yosys 0.23 reads no `import`.\n"
    << "package " << package << ";\n";
  param("int unsigned", "AddrBits", std::to_string(bits),
        "byte address bits of the region (" + hex(r.size) + ")");
  const std::string addr = "logic [AddrBits-1:0]";
  for (const Register& reg : r.registers) {
    const std::string n = camel(reg.name);
    o << "\n  // " << reg.name << " (" << reg.access << ")"
      << (reg.description.empty() ? "" : ": " + reg.description) << "\n";
    param(addr, n + "Offset", sv_hex(reg.offset, bits));
    param("logic [31:0]", n + "Reset", sv_hex(reg.reset, 32));
    if (!reg.block.empty()) {
      const Block& b = *std::find_if(r.blocks.begin(), r.blocks.end(),
                                     [&](const Block& x) { return x.name == reg.block; });
      const std::size_t self = static_cast<std::size_t>(&reg - r.registers.data());
      const auto at = std::find(b.members.begin(), b.members.end(), self) - b.members.begin();
      param("int unsigned", n + "Index", std::to_string(at), "word of block " + b.name);
    }
    for (const Field& f : reg.fields) {
      const std::string fn = n + camel(f.name);
      param("int unsigned", fn + "Lsb", std::to_string(f.lsb),
            f.name + (f.description.empty() ? "" : ": " + f.description));
      param("int unsigned", fn + "Width", std::to_string(f.width));
      param("logic [31:0]", fn + "Mask", sv_hex(field_mask(f), 32));
    }
  }
  for (const Block& b : r.blocks) {
    const std::string n = camel(b.name);
    const Register& first = r.registers[b.members.front()];
    const Register& last = r.registers[b.members.back()];
    o << "\n  // Block " << b.name << ": " << first.name << " .. " << last.name << ", consecutive words.\n";
    param(addr, n + "First", sv_hex(first.offset, bits));
    param(addr, n + "Last", sv_hex(last.offset, bits));
    param("int unsigned", n + "Words", std::to_string(b.members.size()));
  }
  o << "endpackage\n";
  return o.str();
}

// Markdown table cells: a '|' would end the cell, a '*' start emphasis.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '*') out += '\\';
    out += c;
  }
  return out;
}

std::string bit_range(const Field& f) {
  return f.width == 1 ? "[" + std::to_string(f.lsb) + "]"
                      : "[" + std::to_string(f.lsb + f.width - 1) + ":" + std::to_string(f.lsb) + "]";
}

std::string doc_begin(const std::string& region) {
  return "<!-- BEGIN " + region + " registers";
}
std::string doc_end(const std::string& region) {
  return "<!-- END " + region + " registers -->";
}

// DOC with the lines between its markers replaced by the region's register table.
std::string emit_doc(const Region& r, const std::string& doc_path, const std::string& source) {
  std::ifstream in(doc_path, std::ios::binary);
  if (!in) throw Error(doc_path + ": cannot read the file");
  std::ostringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  const std::string begin = "\n" + doc_begin(r.name), end = "\n" + doc_end(r.name) + "\n";
  const auto b = text.find(begin);
  const auto e = b == std::string::npos ? std::string::npos : text.find(end, b);
  if (b == std::string::npos || e == std::string::npos)
    throw Error(doc_path + ": needs a line starting '" + doc_begin(r.name) + "' and, below it, a line '" +
                doc_end(r.name) + "': the generated table goes between them");
  std::ostringstream o;
  o << doc_begin(r.name) << ": generated by tools/gen_memory_map from " << source << "; do not edit -->\n"
    << "| offset | name | access | meaning |\n|---|---|---|---|\n";
  for (const Register& reg : r.registers) {
    std::string meaning = md_cell(reg.description);
    if (reg.reset != 0)
      meaning += (meaning.empty() ? "" : "; ") + std::string("reads ") + hex(reg.reset, 8) + " after reset";
    for (std::size_t i = 0; i < reg.fields.size(); ++i) {
      const Field& f = reg.fields[i];
      meaning += std::string(i == 0 ? (meaning.empty() ? "" : ": ") : "; ") + "`" + f.name + "` " +
                 bit_range(f) + (f.description.empty() ? "" : " " + md_cell(f.description));
    }
    o << "| " << hex(reg.offset, 3) << " | `" << reg.name << "` | " << upper(reg.access) << " | " << meaning
      << " |\n";
  }
  for (const Block& bl : r.blocks) {
    const Register& first = r.registers[bl.members.front()];
    const Register& last = r.registers[bl.members.back()];
    o << "\nBlock `" << bl.name << "`: `" << first.name << "` .. `" << last.name << "` ("
      << hex(first.offset, 3) << " .. " << hex(last.offset, 3) << ", " << bl.members.size()
      << " consecutive words, word i at " << hex(first.offset, 3) << " + 4i).\n";
  }
  return text.substr(0, b + 1) + o.str() + text.substr(e + 1);
}

void write_if_changed(const std::string& path, const std::string& text) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream old;
      old << in.rdbuf();
      if (old.str() == text) return;
    }
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw Error(path + ": cannot write the file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": cannot write the file");
}

std::string base_name(const std::string& p) {
  const auto slash = p.find_last_of('/');
  // "platform/memory_map.yaml" reads better than a build machine's absolute path.
  const auto parent =
      slash == std::string::npos || slash == 0 ? std::string::npos : p.find_last_of('/', slash - 1);
  return parent == std::string::npos ? p : p.substr(parent + 1);
}

int usage(std::ostream& os, int code) {
  os << "usage: gen_memory_map MAP.yaml [--c-header OUT.h] [--cpp-header OUT.hpp]\n"
        "                       [--sv-package REGION OUT.sv] [--doc-table REGION DOC.md] [--check]\n";
  return code;
}

// rtl/dnn_regs_pkg.sv -> dnn_regs_pkg (Verilator wants a package named after its file).
std::string package_name(const std::string& path) {
  std::string n = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (n.size() > 3 && n.compare(n.size() - 3, 3, ".sv") == 0) n.resize(n.size() - 3);
  if (!is_identifier(n, false))
    throw Error("--sv-package: the file name must be a lower_case identifier + .sv, got '" + path + "'");
  return n;
}

// An output checked in to the repository: written, or with --check compared.
void write_or_check(const std::string& path, const std::string& text, bool check,
                    const std::string& refresh) {
  if (!check) return write_if_changed(path, text);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream old;
  if (in) old << in.rdbuf();
  if (!in || old.str() != text) throw Error(path + " is out of date with the memory map; " + refresh);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string input, c_out, cpp_out, sv_region, sv_out, doc_region, doc_out;
  bool check = false;
  std::string command = "gen_memory_map";  // the refreshing command line: this one without --check
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a != "--check") command += " " + a;
    if (a == "-h" || a == "--help") return usage(std::cout, 0);
    if ((a == "--c-header" || a == "--cpp-header") && i + 1 < argc) {
      (a == "--c-header" ? c_out : cpp_out) = argv[++i];
      command += std::string(" ") + argv[i];
    } else if ((a == "--sv-package" || a == "--doc-table") && i + 2 < argc) {
      (a == "--sv-package" ? sv_region : doc_region) = argv[++i];
      (a == "--sv-package" ? sv_out : doc_out) = argv[++i];
      command += std::string(" ") + argv[i - 1] + " " + argv[i];
    } else if (a == "--check") {
      check = true;
    } else if (!a.empty() && a[0] != '-' && input.empty()) {
      input = a;
    } else {
      std::cerr << "gen_memory_map: unexpected argument '" << a << "'\n";
      return usage(std::cerr, 2);
    }
  }
  if (input.empty()) return usage(std::cerr, 2);
  try {
    const Map map = parse_map(input);
    const std::vector<Region>& regions = map.regions;
    const std::string source = base_name(input);
    const std::string c_text = emit_c(map, input, source);
    const std::string cpp_text = emit_cpp(map, input, source);
    if (!c_out.empty()) write_if_changed(c_out, c_text);
    if (!cpp_out.empty()) write_if_changed(cpp_out, cpp_text);
    const std::string refresh =
        "refresh it with `" + std::string(kRefreshCommand) + "` (which runs: " + command + ")";
    if (!sv_out.empty()) {
      const Region& r = find_region(regions, sv_region, "--sv-package");
      write_or_check(sv_out, emit_sv(r, package_name(sv_out), input, source), check, refresh);
    }
    if (!doc_out.empty())
      write_or_check(doc_out, emit_doc(find_region(regions, doc_region, "--doc-table"), doc_out, source),
                     check, refresh);
  } catch (const std::exception& e) {  // dnnvp::Error, or the host failing us (memory, yaml-cpp)
    std::cerr << "gen_memory_map: " << e.what() << "\n";
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "gen_memory_map: " << e.what() << "\n";
  return 1;
}

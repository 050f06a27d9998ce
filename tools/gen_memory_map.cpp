// gen_memory_map: platform/memory_map.yaml -> the firmware's C header and the platform's C++ table.
//
//   gen_memory_map MAP.yaml [--c-header OUT.h] [--cpp-header OUT.hpp]
//
// Run by the build (platform/CMakeLists.txt). The map is read strictly: unknown or duplicate keys, bad
// numbers, overlapping regions and registers outside their region are errors that name the file, the
// line and the field ("memory_map.yaml:14: regions[2].registers[0].offset: must be a multiple of 4, got
// 0x3"); exit code 1. Outputs are rewritten only when their text changes, so an unchanged map does not
// rebuild its users. Self-contained on purpose (yaml-cpp only): it runs before anything else is built.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 32;  // 32-bit bus addresses
constexpr std::uint64_t kRegionAlignment = 0x1000;               // regions are whole 4 KiB pages

class MapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
};

struct Region {
  std::string name;
  std::uint64_t base = 0;
  std::uint64_t size = 0;  // 0 when sized by the scenario
  bool scenario_sized = false;
  std::string description;
  std::vector<Register> registers;
  std::string registers_from;  // `registers: <region>`
  int line = 0;
  std::string path;  // "regions[i]"
};

std::string hex(std::uint64_t v, int digits = 0) {
  std::ostringstream s;
  s << "0x" << std::uppercase << std::hex;
  if (digits > 0) {
    s.fill('0');
    s.width(digits);
  }
  s << v;
  return s.str();
}

// A YAML mapping read strictly: every error names file:line: field, and keys nobody read are errors.
class Map {
 public:
  Map(const YAML::Node& node, std::string file, std::string path)
      : node_(node), file_(std::move(file)), path_(std::move(path)) {
    if (!node_.IsMap()) fail_here("must be a mapping, got " + describe(node_));
    std::set<std::string> keys;
    for (const auto& kv : node_)
      if (!keys.insert(kv.first.Scalar()).second)
        throw MapError(located(kv.first.Mark().line + 1, field(kv.first.Scalar()), "duplicate key"));
  }

  bool has(const std::string& key) const { return node_[key].IsDefined(); }

  YAML::Node get(const std::string& key) const {
    used_.insert(key);
    if (!has(key)) fail_here("missing required field '" + key + "'");
    return node_[key];
  }

  std::string string(const std::string& key, bool required) const {
    if (!required && !has(key)) return "";
    const YAML::Node n = get(key);
    if (!n.IsScalar()) fail(key, "must be a string, got " + describe(n));
    // One line: descriptions end up in // comments and string literals.
    std::string out;
    for (char c : n.Scalar()) {
      const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
      if (space && (out.empty() || out.back() == ' ')) continue;
      out += space ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  std::uint64_t integer(const std::string& key, std::uint64_t lo, std::uint64_t hi) const {
    return to_integer(get(key), key, lo, hi);
  }

  std::uint64_t to_integer(const YAML::Node& n, const std::string& key, std::uint64_t lo,
                           std::uint64_t hi) const {
    if (!n.IsScalar()) fail(key, "must be an integer, got " + describe(n));
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    const unsigned long long v =
        s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])) ? 0 : std::strtoull(s.c_str(), &end, 0);
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])) || end == nullptr || *end != '\0' ||
        errno == ERANGE)
      fail(key, "must be an integer (decimal or 0x hex), got '" + s + "'");
    if (v < lo || v > hi) fail(key, "must be " + hex(lo) + ".." + hex(hi) + ", got " + s);
    return v;
  }

  void reject_unknown() const {
    for (const auto& kv : node_) {
      const std::string k = kv.first.Scalar();
      if (!used_.count(k)) throw MapError(located(kv.first.Mark().line + 1, field(k), "unknown field"));
    }
  }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    const YAML::Node n = node_[key];
    const int line = n.IsDefined() ? n.Mark().line + 1 : node_.Mark().line + 1;
    throw MapError(located(line, field(key), message));
  }
  [[noreturn]] void fail_here(const std::string& message) const {
    throw MapError(located(node_.Mark().line + 1, path_, message));
  }

  int line(const std::string& key) const {
    return has(key) ? node_[key].Mark().line + 1 : node_.Mark().line + 1;
  }
  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& file() const { return file_; }

  std::string located(int line, const std::string& field, const std::string& message) const {
    std::string out = file_;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
    if (!field.empty()) out += field + ": ";
    return out + message;
  }

  static std::string describe(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Null:
        return "nothing";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Map:
        return "a mapping";
      default:
        return "'" + n.Scalar() + "'";
    }
  }

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
  mutable std::set<std::string> used_;
};

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

Field parse_field(const Map& m) {
  Field f;
  f.name = m.string("name", true);
  if (!is_identifier(f.name, true)) m.fail("name", "must be an UPPER_CASE identifier, got '" + f.name + "'");
  f.lsb = static_cast<unsigned>(m.integer("lsb", 0, 31));
  f.width = m.has("width") ? static_cast<unsigned>(m.integer("width", 1, 32)) : 1;
  if (f.lsb + f.width > 32)
    m.fail("width",
           "lsb + width must be at most 32, got " + std::to_string(f.lsb) + " + " + std::to_string(f.width));
  f.description = m.string("description", false);
  m.reject_unknown();
  return f;
}

Register parse_register(const Map& m) {
  Register r;
  r.name = m.string("name", true);
  if (!is_identifier(r.name, true)) m.fail("name", "must be an UPPER_CASE identifier, got '" + r.name + "'");
  r.offset = static_cast<std::uint32_t>(m.integer("offset", 0, kAddressSpace - 4));
  if (r.offset % 4 != 0)
    m.fail("offset", "must be a multiple of 4 (registers are 32-bit words), got " + hex(r.offset));
  r.access = m.string("access", true);
  if (r.access != "ro" && r.access != "wo" && r.access != "rw" && r.access != "w1c")
    m.fail("access", "must be one of ro, wo, rw, w1c, got '" + r.access + "'");
  if (m.has("reset")) r.reset = static_cast<std::uint32_t>(m.integer("reset", 0, 0xFFFFFFFFu));
  r.description = m.string("description", false);
  if (m.has("fields")) {
    const YAML::Node list = m.get("fields");
    if (!list.IsSequence()) m.fail("fields", "must be a list, got " + Map::describe(list));
    std::uint32_t used_bits = 0;
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Map fm(list[i], m.file(), m.field("fields") + "[" + std::to_string(i) + "]");
      Field f = parse_field(fm);
      if (!names.insert(f.name).second) fm.fail("name", "duplicate field name '" + f.name + "'");
      const std::uint32_t mask = static_cast<std::uint32_t>(((std::uint64_t{1} << f.width) - 1) << f.lsb);
      if (used_bits & mask) fm.fail("lsb", "field overlaps an earlier field of " + r.name);
      used_bits |= mask;
      r.fields.push_back(std::move(f));
    }
  }
  m.reject_unknown();
  return r;
}

std::vector<Region> parse_map(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw MapError(path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    throw MapError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root || root.IsNull()) throw MapError(path + ": regions: missing required field 'regions'");
  const Map top(root, path, "");
  const YAML::Node list = top.get("regions");
  if (!list.IsSequence() || list.size() == 0)
    top.fail("regions", "must be a non-empty list, got " + Map::describe(list));

  std::vector<Region> regions;
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string rpath = "regions[" + std::to_string(i) + "]";
    const Map m(list[i], path, rpath);
    Region r;
    r.path = rpath;
    r.line = m.line("name");
    r.name = m.string("name", true);
    if (!is_identifier(r.name, false))
      m.fail("name", "must be a lower_case identifier, got '" + r.name + "'");
    if (by_name.count(r.name)) m.fail("name", "duplicate region name '" + r.name + "'");
    r.base = m.integer("base", 0, kAddressSpace - 1);
    if (r.base % kRegionAlignment != 0)
      m.fail("base", "must be a multiple of 4 KiB (0x1000), got " + hex(r.base));
    const YAML::Node size = m.get("size");
    if (size.IsScalar() && size.Scalar() == "scenario") {
      r.scenario_sized = true;
    } else {
      if (!size.IsScalar() || size.Scalar().empty() ||
          !std::isdigit(static_cast<unsigned char>(size.Scalar()[0])))
        m.fail("size", "must be a byte count or 'scenario', got " + Map::describe(size));
      r.size = m.to_integer(size, "size", 1, kAddressSpace);
      if (r.size % kRegionAlignment != 0)
        m.fail("size", "must be a multiple of 4 KiB (0x1000), got " + hex(r.size));
      if (r.base + r.size > kAddressSpace)
        m.fail("size",
               "region ends beyond the 32-bit address space (" + hex(r.base) + " + " + hex(r.size) + ")");
    }
    r.description = m.string("description", false);
    if (m.has("registers")) {
      const YAML::Node regs = m.get("registers");
      if (regs.IsScalar()) {
        r.registers_from = regs.Scalar();
        const auto it = by_name.find(r.registers_from);
        if (it == by_name.end()) m.fail("registers", "names no earlier region: '" + r.registers_from + "'");
        const Region& from = regions[it->second];
        if (!from.registers_from.empty())
          m.fail("registers", "'" + r.registers_from + "' itself shares the registers of '" +
                                  from.registers_from + "'; name that region");
        r.registers = from.registers;
      } else if (regs.IsSequence()) {
        std::set<std::string> names;
        std::map<std::uint32_t, std::string> offsets;
        for (std::size_t j = 0; j < regs.size(); ++j) {
          const Map rm(regs[j], path, m.field("registers") + "[" + std::to_string(j) + "]");
          Register reg = parse_register(rm);
          if (!names.insert(reg.name).second) rm.fail("name", "duplicate register name '" + reg.name + "'");
          const auto [at, fresh] = offsets.emplace(reg.offset, reg.name);
          if (!fresh) rm.fail("offset", "offset " + hex(reg.offset) + " is already register " + at->second);
          r.registers.push_back(std::move(reg));
        }
      } else {
        m.fail("registers",
               "must be a list of registers or the name of a region, got " + Map::describe(regs));
      }
      if (!r.scenario_sized)
        for (std::size_t j = 0; j < r.registers.size(); ++j)
          if (r.registers[j].offset + 4 > r.size)
            m.fail("registers", r.registers[j].name + " at " + hex(r.registers[j].offset) +
                                    " lies outside the region (size " + hex(r.size) + ")");
    }
    m.reject_unknown();
    by_name[r.name] = regions.size();
    regions.push_back(std::move(r));
  }
  top.reject_unknown();

  // Overlaps (a scenario-sized region reaches to the end of the address space at most, so it must be the
  // highest).
  std::vector<const Region*> sorted;
  sorted.reserve(regions.size());
  for (const Region& r : regions) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const Region* a, const Region* b) { return a->base < b->base; });
  for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
    const Region& a = *sorted[i];
    const Region& b = *sorted[i + 1];
    if (a.scenario_sized || a.base + a.size > b.base) {
      std::string why;
      if (a.scenario_sized)
        why.append("is sized by the scenario and must be the highest region, but ")
            .append(b.name)
            .append(" starts above it at ")
            .append(hex(b.base));
      else
        why.append("overlaps ")
            .append(b.name)
            .append(" (")
            .append(hex(a.base))
            .append("..")
            .append(hex(a.base + a.size - 1))
            .append(" and ")
            .append(hex(b.base))
            .append("..)");
      throw MapError(std::string(path)
                         .append(":")
                         .append(std::to_string(a.line))
                         .append(": ")
                         .append(a.path)
                         .append(" (")
                         .append(a.name)
                         .append("): ")
                         .append(why));
    }
  }
  return regions;
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
  if (a == "ro") return "Access::kReadOnly";
  if (a == "wo") return "Access::kWriteOnly";
  if (a == "w1c") return "Access::kWriteOneToClear";
  return "Access::kReadWrite";
}

std::uint32_t field_mask(const Field& f) {
  return static_cast<std::uint32_t>(((std::uint64_t{1} << f.width) - 1) << f.lsb);
}

// Macro and identifier names must not collide (a register called BASE would shadow the region's base).
void check_unique(std::set<std::string>& seen, const std::string& name, const std::string& file,
                  const Region& r) {
  if (!seen.insert(name).second)
    throw MapError(file + ":" + std::to_string(r.line) + ": " + r.path + " (" + r.name +
                   "): generated name " + name + " is defined twice; rename a region, register or field");
}

std::string emit_c(const std::vector<Region>& regions, const std::string& file, const std::string& source) {
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
      for (const Field& f : reg.fields) {
        check_unique(seen, rp + "_" + f.name + "_SHIFT", file, r);
        check_unique(seen, rp + "_" + f.name + "_MASK", file, r);
        o << "#define " << rp << "_" << f.name << "_SHIFT " << f.lsb << "u\n";
        o << "#define " << rp << "_" << f.name << "_MASK " << hex(field_mask(f), 8) << "u"
          << (f.description.empty() ? "" : " /* " + c_comment(f.description) + " */") << "\n";
      }
    }
  }
  o << "\n#endif /* DNNVP_MEMORY_MAP_H */\n";
  return o.str();
}

std::string emit_cpp(const std::vector<Region>& regions, const std::string& file, const std::string& source) {
  std::ostringstream o;
  o << "// dnnvp_memory_map.hpp: the SoC memory map for the platform (C++17).\n"
    << "// Generated by gen_memory_map from " << source << "; do not edit.\n"
    << "#pragma once\n\n#include <cstddef>\n#include <cstdint>\n#include <string_view>\n\n"
    << "namespace dnnvp::memory_map {\n\n"
    << "enum class Access { kReadOnly, kWriteOnly, kReadWrite, kWriteOneToClear };\n\n"
    << "struct FieldInfo {\n  std::string_view name;\n  unsigned lsb;\n  unsigned width;\n"
    << "  std::uint32_t mask;\n  std::string_view description;\n};\n\n"
    << "struct RegisterInfo {\n  std::string_view name;\n  std::uint32_t offset;\n  Access access;\n"
    << "  std::uint32_t reset;\n  const FieldInfo* fields;\n  std::size_t field_count;\n"
    << "  std::string_view description;\n};\n\n"
    << "struct RegionInfo {\n  std::string_view name;\n  std::uint64_t base;\n"
    << "  std::uint64_t size;  // 0 when sized_by_scenario\n  bool sized_by_scenario;\n"
    << "  const RegisterInfo* registers;\n  std::size_t register_count;\n  std::string_view "
       "description;\n};\n";
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
        o << cpp_string(reg.description) << "},\n";
      }
      o << "};\n";
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
  o << "};\ninline constexpr std::size_t kRegionCount = " << regions.size() << ";\n\n"
    << "// The region called `name`, or nullptr.\n"
    << "constexpr const RegionInfo* find_region(std::string_view name) {\n"
    << "  for (const RegionInfo& r : kRegions)\n    if (r.name == name) return &r;\n  return nullptr;\n}\n\n"
    << "}  // namespace dnnvp::memory_map\n";
  return o.str();
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
    if (!out) throw MapError(path + ": cannot write the file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw MapError(path + ": cannot write the file");
}

std::string base_name(const std::string& p) {
  const auto slash = p.find_last_of('/');
  // "platform/memory_map.yaml" reads better than a build machine's absolute path.
  const auto parent =
      slash == std::string::npos || slash == 0 ? std::string::npos : p.find_last_of('/', slash - 1);
  return parent == std::string::npos ? p : p.substr(parent + 1);
}

int usage(std::ostream& os, int code) {
  os << "usage: gen_memory_map MAP.yaml [--c-header OUT.h] [--cpp-header OUT.hpp]\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string input, c_out, cpp_out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") return usage(std::cout, 0);
    if ((a == "--c-header" || a == "--cpp-header") && i + 1 < argc) {
      (a == "--c-header" ? c_out : cpp_out) = argv[++i];
    } else if (!a.empty() && a[0] != '-' && input.empty()) {
      input = a;
    } else {
      std::cerr << "gen_memory_map: unexpected argument '" << a << "'\n";
      return usage(std::cerr, 2);
    }
  }
  if (input.empty()) return usage(std::cerr, 2);
  try {
    const std::vector<Region> regions = parse_map(input);
    const std::string source = base_name(input);
    const std::string c_text = emit_c(regions, input, source);
    const std::string cpp_text = emit_cpp(regions, input, source);
    if (!c_out.empty()) write_if_changed(c_out, c_text);
    if (!cpp_out.empty()) write_if_changed(cpp_out, cpp_text);
  } catch (const std::exception& e) {  // MapError, or the host failing us (memory, yaml-cpp)
    std::cerr << "gen_memory_map: " << e.what() << "\n";
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "gen_memory_map: " << e.what() << "\n";
  return 1;
}

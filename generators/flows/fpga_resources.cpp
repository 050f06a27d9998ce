#include "fpga_resources.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace dnnvp::flows {

namespace fs = std::filesystem;

std::string resources_flow(const std::string& family) {
  return "yosys-xilinx-" + family;
}

namespace {

// The engine's sources in compile order: rtl/dnn_engine.f, the one list.
std::string engine_sources() {
  const fs::path list = rtl_dir() / "dnn_engine.f";
  std::ifstream in(list);
  if (!in) throw std::runtime_error(list.string() + ": cannot read");
  std::string line, sources;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("//", 0) == 0) continue;
    sources += " " + (rtl_dir() / line).string();
  }
  return sources;
}

// LUTs a LUT-based primitive occupies (Vivado's "Slice LUTs": logic, distributed RAM, shift registers).
std::int64_t luts_of(const std::string& type) {
  static const std::map<std::string, std::int64_t> kLuts = {
      {"LUT1", 1},      {"LUT2", 1},     {"LUT3", 1},     {"LUT4", 1},      {"LUT5", 1},
      {"LUT6", 1},      {"LUT6_2", 1},   {"SRL16E", 1},   {"SRLC16E", 1},   {"SRLC32E", 1},
      {"RAM16X1S", 1},  {"RAM32X1S", 1}, {"RAM64X1S", 1}, {"RAM128X1S", 2}, {"RAM256X1S", 4},
      {"RAM512X1S", 8}, {"RAM16X1D", 2}, {"RAM32X1D", 2}, {"RAM64X1D", 2},  {"RAM128X1D", 4},
      {"RAM256X1D", 8}, {"RAM32M", 4},   {"RAM64M", 4},   {"RAM32M16", 8},  {"RAM64M8", 8}};
  const auto it = kLuts.find(type);
  return it == kLuts.end() ? 0 : it->second;
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string yosys_xilinx_script(const EngineShape& shape, const std::string& family,
                                const std::string& stat_file) {
  std::ostringstream s;
  s << "read_verilog -sv -I" << rtl_dir().string() << engine_sources() << "\n";
  s << "hierarchy -check -top dnn_engine";
  for (const EngineParameter& p : kEngineParameters)
    s << " -chparam " << p.rtl_name << " " << shape.*p.member;
  s << "\n";
  s << "synth_xilinx -family " << family << " -top dnn_engine -flatten -noiopad -noclkbuf\n";
  s << "tee -q -o " << stat_file << " stat -json\n";
  return s.str();
}

FpgaResources resources_from_stat(const nlohmann::json& stat, const std::string& family) {
  const auto modules = stat.find("modules");
  if (modules == stat.end() || !modules->is_object() || modules->size() != 1)
    throw std::runtime_error("Yosys stat: expected one (flattened) module");
  FpgaResources r;
  r.family = family;
  const nlohmann::json cells = modules->begin()->value("num_cells_by_type", nlohmann::json::object());
  for (const auto& [type, count] : cells.items()) {
    const std::int64_t n = count.get<std::int64_t>();
    r.cells[type] = n;
    r.lut += luts_of(type) * n;
    if (type.rfind("FD", 0) == 0 || type.rfind("LD", 0) == 0) r.ff += n;
    if (type.rfind("DSP48", 0) == 0) r.dsp += n;
    if (type.rfind("RAMB36", 0) == 0 || type.rfind("FIFO36", 0) == 0) r.bram36 += n;
    if (type.rfind("RAMB18", 0) == 0 || type.rfind("FIFO18", 0) == 0) r.bram36 += 0.5 * n;
    if (type.rfind("URAM288", 0) == 0) r.uram += n;
  }
  return r;
}

std::optional<FpgaResources> cached_resources(const FlowCache& cache, const EngineShape& shape,
                                              const std::string& family) {
  const std::optional<nlohmann::json> j = cache.get(resources_flow(family), shape);
  if (!j) return std::nullopt;
  try {
    return resources_from_json(*j);
  } catch (const std::exception&) {
    return std::nullopt;  // an entry of an older layout: estimate again
  }
}

FpgaResources estimate_resources(const FlowCache& cache, const EngineShape& shape,
                                 const std::string& family) {
  if (std::optional<FpgaResources> r = cached_resources(cache, shape, family)) return *r;
  const fs::path entry = cache.path(resources_flow(family), shape);
  std::error_code ec;
  fs::create_directories(entry.parent_path(), ec);
  const std::string tag = ".tmp" + std::to_string(::getpid());
  const fs::path script = entry.string() + tag + ".ys", stat_file = entry.string() + tag + ".stat.json";
  const fs::path log = entry.string() + ".log";
  {
    std::ofstream out(script);
    out << yosys_xilinx_script(shape, family, stat_file.string());
    if (!out.flush()) throw std::runtime_error(script.string() + ": cannot write");
  }
  const int status = std::system(
      ("yosys -q -l " + quoted(log.string()) + " -s " + quoted(script.string()) + " >/dev/null 2>&1")
          .c_str());
  fs::remove(script, ec);
  if (status != 0) {
    fs::remove(stat_file, ec);
    throw std::runtime_error(std::system("command -v yosys >/dev/null 2>&1") != 0
                                 ? std::string("yosys is not installed (tools/install-deps.sh installs it)")
                                 : "Yosys synth_xilinx failed for " + engine_shape_key(shape) +
                                       " (log: " + log.string() + ")");
  }
  std::ifstream in(stat_file);
  const nlohmann::json stat = nlohmann::json::parse(in, nullptr, false);
  fs::remove(stat_file, ec);
  if (stat.is_discarded()) throw std::runtime_error("Yosys wrote no statistics (log: " + log.string() + ")");
  const FpgaResources r = resources_from_stat(stat, family);
  cache.put(resources_flow(family), shape, resources_json(r));
  return r;
}

FitCheck check_fit(const FpgaResources& r, const FpgaPart& part) {
  FitCheck fit;
  const auto ratio = [](double used, std::int64_t available) {
    if (available > 0) return used / static_cast<double>(available);
    return used > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  };
  fit.utilisation = {{"lut", ratio(static_cast<double>(r.lut), part.lut)},
                     {"ff", ratio(static_cast<double>(r.ff), part.ff)},
                     {"dsp", ratio(static_cast<double>(r.dsp), part.dsp)},
                     {"bram36", ratio(r.bram36, part.bram36)},
                     {"uram", ratio(static_cast<double>(r.uram), part.uram)}};
  double worst = -1;
  for (const auto& [name, u] : fit.utilisation)
    if (u > worst) {
      worst = u;
      fit.binding = name;
    }
  fit.fits = worst <= 1.0;
  return fit;
}

nlohmann::json resources_json(const FpgaResources& r, const FpgaPart* part) {
  nlohmann::json j = {{"lut", r.lut},
                      {"ff", r.ff},
                      {"dsp", r.dsp},
                      {"bram36", r.bram36},
                      {"uram", r.uram},
                      {"family", r.family},
                      {"tool", "yosys synth_xilinx"},
                      {"cells", r.cells}};
  if (part != nullptr) {
    const FitCheck fit = check_fit(r, *part);
    j["part"] = part->name;
    j["device"] = part->part;
    j["fits"] = fit.fits;
    j["binding"] = fit.binding;
    nlohmann::json u = nlohmann::json::object();
    for (const auto& [name, value] : fit.utilisation)
      u[name] = std::isinf(value) ? nlohmann::json(nullptr) : nlohmann::json(std::round(value * 1e4) / 1e4);
    j["utilisation"] = u;
  }
  return j;
}

FpgaResources resources_from_json(const nlohmann::json& j) {
  FpgaResources r;
  r.family = j.at("family").get<std::string>();
  r.lut = j.at("lut").get<std::int64_t>();
  r.ff = j.at("ff").get<std::int64_t>();
  r.dsp = j.at("dsp").get<std::int64_t>();
  r.bram36 = j.at("bram36").get<double>();
  r.uram = j.at("uram").get<std::int64_t>();
  r.cells = j.value("cells", std::map<std::string, std::int64_t>{});
  return r;
}

}  // namespace dnnvp::flows

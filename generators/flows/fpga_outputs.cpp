#include "fpga_outputs.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "emit.h"
#include "fpga_resources.h"
#include "vivado_tcl.h"

namespace dnnvp {

namespace {

EngineShape shape_of(const Scenario& s) {
  return engine_shape_from_json(engine_shape_json(s.hardware), s.file);
}

}  // namespace

std::optional<std::string> scenario_vivado_tcl(const Scenario& s, const std::string& part) {
  const flows::FpgaParts parts = flows::load_fpga_parts();
  const std::string name = part.empty() ? parts.default_part : part;
  if (parts.ps.count(parts.part(name).ps) == 0) return std::nullopt;
  return flows::vivado_tcl({s.name, shape_of(s), s.hardware.clock_mhz, &parts, name});
}

std::optional<nlohmann::json> scenario_address_map(const std::string& part) {
  const flows::FpgaParts parts = flows::load_fpga_parts();
  const std::string name = part.empty() ? parts.default_part : part;
  if (parts.ps.count(parts.part(name).ps) == 0) return std::nullopt;
  return flows::board_address_map(parts, name);
}

std::optional<nlohmann::json> scenario_resources(const Scenario& s, const std::string& part_name, bool run) {
  const flows::FpgaParts parts = flows::load_fpga_parts();
  const flows::FpgaPart* part = part_name.empty() ? nullptr : &parts.part(part_name);
  const std::string family = (part != nullptr ? *part : parts.part(parts.default_part)).family;
  const flows::FlowCache cache;
  const EngineShape shape = shape_of(s);
  std::optional<flows::FpgaResources> r = flows::cached_resources(cache, shape, family);
  if (!r && run) r = flows::estimate_resources(cache, shape, family);
  if (!r) return std::nullopt;
  nlohmann::json j = flows::resources_json(*r, part);
  j["shape"] = engine_shape_key(shape);
  j.erase("cells");  // the cache entry keeps them
  return j;
}

std::optional<nlohmann::json> read_resources_json(const std::string& dir) {
  std::ifstream in(std::filesystem::path(dir) / "resources.json");
  if (!in) return std::nullopt;
  return nlohmann::json::parse(in);
}

std::string resources_summary(const nlohmann::json& r) {
  char line[256];
  std::snprintf(line, sizeof line, "resources (%s, %s): %lld LUT, %lld FF, %lld DSP, %.1f BRAM36, %lld URAM",
                r.at("tool").get<std::string>().c_str(), r.at("family").get<std::string>().c_str(),
                r.at("lut").get<long long>(), r.at("ff").get<long long>(), r.at("dsp").get<long long>(),
                r.at("bram36").get<double>(), r.at("uram").get<long long>());
  std::string text = line;
  if (r.contains("part")) {
    const std::string binding = r.at("binding").get<std::string>();
    const nlohmann::json& u = r.at("utilisation").at(binding);
    char share[32] = "none available";
    if (!u.is_null()) std::snprintf(share, sizeof share, "%.1f %%", u.get<double>() * 100);
    std::snprintf(line, sizeof line, "; %s %s (binding: %s at %s)",
                  r.at("fits").get<bool>() ? "fits" : "does NOT fit", r.at("part").get<std::string>().c_str(),
                  binding.c_str(), share);
    text += line;
  }
  return text;
}

}  // namespace dnnvp

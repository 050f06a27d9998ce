#include "asic_osu.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dnnvp::flows {

namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string asic_flow_params(const EngineShape& shape) {
  std::ostringstream o;
  const char* sep = "";
  for (const EngineParameter& p : kEngineParameters) {
    o << sep << p.rtl_name << " " << shape.*p.member;
    sep = " ";
  }
  return o.str();
}

std::optional<nlohmann::json> cached_asic(const FlowCache& cache, const EngineShape& shape) {
  return cache.get(kAsicFlow, shape);
}

nlohmann::json estimate_asic(const FlowCache& cache, const EngineShape& shape) {
  if (std::optional<nlohmann::json> j = cached_asic(cache, shape)) return *j;
  const fs::path entry = cache.path(kAsicFlow, shape);
  const fs::path work = entry.string() + ".work", log = entry.string() + ".log";
  std::error_code ec;
  fs::create_directories(work, ec);
  const std::string flow = std::string(DNNVP_SOURCE_DIR) + "/tools/flows/asic/asic_flow.py";
  const int status = std::system((quoted(DNNVP_PYTHON) + " " + quoted(flow) + " --params " +
                                  quoted(asic_flow_params(shape)) + " --out " + quoted(work.string()) + " >" +
                                  quoted(log.string()) + " 2>&1")
                                     .c_str());
  std::ifstream in(work / "asic.json");
  const nlohmann::json figures = nlohmann::json::parse(in, nullptr, false);
  if (status != 0 || figures.is_discarded())
    throw std::runtime_error("the ASIC flow failed for " + engine_shape_key(shape) +
                             " (log: " + log.string() + "; docs/asic.md)");
  cache.put(kAsicFlow, shape, figures);
  return figures;
}

nlohmann::json asic_report_json(const nlohmann::json& figures) {
  nlohmann::json j = figures;
  j.erase("cell_counts");  // the cache entry keeps them
  return j;
}

std::optional<nlohmann::json> shape_asic(const EngineShape& shape, bool run) {
  const FlowCache cache;
  std::optional<nlohmann::json> figures = cached_asic(cache, shape);
  if (!figures && run) figures = estimate_asic(cache, shape);
  if (!figures) return std::nullopt;
  return asic_report_json(*figures);
}

std::optional<nlohmann::json> read_asic_json(const std::string& out_dir) {
  std::ifstream in(fs::path(out_dir) / "asic" / "osu018.json");
  if (!in) return std::nullopt;
  return nlohmann::json::parse(in);
}

std::string asic_summary(const nlohmann::json& a) {
  char line[320];
  std::snprintf(line, sizeof line, "ASIC (%s): %.3f mm^2 (SRAM %.3f), %lld cells, fmax %.1f MHz (%s -> %s)",
                a.at("library").get<std::string>().c_str(), a.at("area_mm2").get<double>(),
                a.at("sram_area_um2").get<double>() / 1e6, a.at("cells").get<long long>(),
                a.at("fmax_mhz").get<double>(), a.at("critical_path").at("from").get<std::string>().c_str(),
                a.at("critical_path").at("to").get<std::string>().c_str());
  return line;
}

}  // namespace dnnvp::flows

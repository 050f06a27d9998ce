#include "sweep_results.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <vector>

#include "error.h"
#include "sweep_run.h"

namespace dnnvp::sweep {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The value at `pointer` in `j`, null when absent.
json at(const json& j, const char* pointer) {
  const json::json_pointer p(pointer);
  return j.is_object() && j.contains(p) ? j.at(p) : json(nullptr);
}

json scaled(const json& v, double factor) {
  return v.is_number() ? json(v.get<double>() * factor) : json(nullptr);
}

// One column of results.csv / metric of results.json: its name, how it comes from report.json, and
// whether the column is written only when some point's report has it (figures of other flows).
struct Metric {
  const char* name;
  std::function<json(const json& report)> value;
  bool optional = false;
};

const std::vector<Metric>& metrics() {
  static const std::vector<Metric> m = {
      {"bit_exact", [](const json& r) { return at(r, "/bit_exact"); }},
      {"pes", [](const json& r) { return at(r, "/hardware/pes"); }},
      {"cycles", [](const json& r) { return at(r, "/totals/cycles"); }},
      {"fps", [](const json& r) { return at(r, "/totals/fps"); }},
      {"utilization", [](const json& r) { return at(r, "/totals/pe_utilization_overall"); }},
      {"utilization_engine", [](const json& r) { return at(r, "/totals/pe_utilization"); }},
      {"utilization_conv", [](const json& r) { return at(r, "/totals/pe_utilization_conv"); }},
      {"utilization_bound", [](const json& r) { return at(r, "/totals/pe_utilization_bound"); }},
      {"dram_mb",
       [](const json& r) {
         const json rd = at(r, "/totals/dram/read_bytes"), wr = at(r, "/totals/dram/write_bytes");
         return rd.is_number() && wr.is_number() ? json((rd.get<double>() + wr.get<double>()) / 1e6)
                                                 : json(nullptr);
       }},
      {"dram_ratio", [](const json& r) { return at(r, "/totals/dram/ratio_to_lower_bound"); }},
      {"dram_energy_uj", [](const json& r) { return scaled(at(r, "/totals/dram/energy_pj"), 1e-6); }},
      {"energy_uj_per_frame", [](const json& r) { return at(r, "/energy/per_frame_uj"); }, true},
      {"lut", [](const json& r) { return at(r, "/resources/lut"); }, true},
      {"ff", [](const json& r) { return at(r, "/resources/ff"); }, true},
      {"dsp", [](const json& r) { return at(r, "/resources/dsp"); }, true},
      {"bram36", [](const json& r) { return at(r, "/resources/bram36"); }, true},
      {"uram", [](const json& r) { return at(r, "/resources/uram"); }, true},
      {"area_mm2", [](const json& r) { return at(r, "/asic/area_mm2"); }, true},
      {"fmax_mhz", [](const json& r) { return at(r, "/asic/fmax_mhz"); }, true},
  };
  return m;
}

// layers.csv's columns before the per-initiator DRAM bytes, and after them.
struct LayerColumn {
  const char* name;
  std::function<json(const json& layer, const json& report)> value;
};

const std::vector<LayerColumn>& layer_columns() {
  static const std::vector<LayerColumn> c = {
      {"layer", [](const json& l, const json&) { return at(l, "/index"); }},
      {"name", [](const json& l, const json&) { return at(l, "/name"); }},
      {"type", [](const json& l, const json&) { return at(l, "/type"); }},
      {"where", [](const json& l, const json&) { return at(l, "/where"); }},
      {"cycles", [](const json& l, const json&) { return at(l, "/cycles"); }},
      {"engine_cycles", [](const json& l, const json&) { return at(l, "/engine_cycles"); }},
      {"macs", [](const json& l, const json&) { return at(l, "/macs"); }},
      {"utilization", [](const json& l, const json&) { return at(l, "/pe_utilization"); }},
      {"utilization_bound", [](const json& l, const json&) { return at(l, "/pe_utilization_bound"); }},
      {"stall_input", [](const json& l, const json&) { return at(l, "/stalls/input"); }},
      {"stall_weight", [](const json& l, const json&) { return at(l, "/stalls/weight"); }},
      {"stall_output", [](const json& l, const json&) { return at(l, "/stalls/output"); }},
      {"dram_read_bytes", [](const json& l, const json&) { return at(l, "/dram_read_bytes"); }},
      {"dram_write_bytes", [](const json& l, const json&) { return at(l, "/dram_write_bytes"); }},
      {"dram_lower_bound_bytes", [](const json& l, const json&) { return at(l, "/dram_lower_bound_bytes"); }},
      // Average over the layer's time at the engine clock; peak over the report's DRAM windows.
      {"dram_avg_gbs",
       [](const json& l, const json& r) {
         const json rd = at(l, "/dram_read_bytes"), wr = at(l, "/dram_write_bytes"), cy = at(l, "/cycles");
         const json mhz = at(r, "/hardware/clock_mhz");
         if (!rd.is_number() || !wr.is_number() || !cy.is_number() || !mhz.is_number() ||
             cy.get<double>() <= 0)
           return json(nullptr);
         return json((rd.get<double>() + wr.get<double>()) * mhz.get<double>() * 1e6 / cy.get<double>() /
                     1e9);
       }},
      {"dram_peak_gbs",
       [](const json& l, const json&) { return scaled(at(l, "/dram_peak_bytes_per_second"), 1e-9); }},
  };
  return c;
}

// The per-initiator columns: "dram_dma0_mm2s_bytes" for report.json's "dma0.mm2s".
std::string initiator_column(const std::string& initiator) {
  std::string s = initiator;
  for (char& c : s)
    if (c == '.') c = '_';
  return "dram_" + s + "_bytes";
}

json layer_row(const json& l, const json& report) {
  json row = json::object();
  for (const LayerColumn& c : layer_columns()) row[c.name] = c.value(l, report);
  if (l.contains("dram_per_initiator"))
    for (const auto& [name, bytes] : l.at("dram_per_initiator").items())
      row[initiator_column(name)] = bytes.value("read_bytes", 0) + bytes.value("write_bytes", 0);
  return row;
}

std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_line(const std::vector<json>& cells) {
  std::string s;
  for (std::size_t i = 0; i < cells.size(); ++i) s += (i ? "," : "") + csv_cell(cells[i]);
  return s + "\n";
}

std::vector<std::string> axes_of(const json& results) {
  return results.value("axes", std::vector<std::string>{});
}

// The per-initiator columns present in any point's layers, in the order first seen.
std::vector<std::string> initiator_columns(const json& results) {
  std::vector<std::string> cols;
  std::set<std::string> seen;
  std::set<std::string> fixed;
  for (const LayerColumn& c : layer_columns()) fixed.insert(c.name);
  for (const json& p : results.at("points"))
    for (const json& l : p.at("layers"))
      for (const auto& item : l.items())
        if (!fixed.count(item.key()) && seen.insert(item.key()).second) cols.push_back(item.key());
  return cols;
}

}  // namespace

json point_result(const json& point, const json& status, const json& report) {
  json m = json::object();
  for (const Metric& x : metrics()) {
    json v = x.value(report);
    if (x.name == std::string("bit_exact") && v.is_null()) v = false;
    if (!x.optional || !v.is_null()) m[x.name] = v;
  }
  json layers = json::array();
  if (report.is_object() && report.contains("layers"))
    for (const json& l : report.at("layers")) layers.push_back(layer_row(l, report));
  return {{"id", point.at("id")},
          {"index", point.at("index")},
          {"fields", point.at("fields")},
          {"status", status.value("status", "error")},
          {"message", status.value("message", "")},
          {"engine", status.value("engine", "")},
          {"wall_s", status.value("wall_s", 0.0)},
          {"metrics", m},
          {"layers", layers}};
}

std::string results_csv(const json& results) {
  const std::vector<std::string> axes = axes_of(results);
  std::vector<std::string> names;
  for (const Metric& x : metrics()) {
    bool any = !x.optional;
    for (const json& p : results.at("points")) any = any || p.at("metrics").contains(x.name);
    if (any) names.push_back(x.name);
  }
  std::vector<json> header = {"id"};
  for (const std::string& a : axes) header.push_back(a);
  for (const char* c : {"status", "message", "engine", "wall_s"}) header.push_back(c);
  for (const std::string& n : names) header.push_back(n);
  std::string out = csv_line(header);
  for (const json& p : results.at("points")) {
    std::vector<json> row = {p.at("id")};
    for (const std::string& a : axes) row.push_back(p.at("fields").value(a, json(nullptr)));
    for (const char* c : {"status", "message", "engine", "wall_s"}) row.push_back(p.at(c));
    for (const std::string& n : names) row.push_back(p.at("metrics").value(n, json(nullptr)));
    out += csv_line(row);
  }
  return out;
}

std::string layers_csv(const json& results) {
  const std::vector<std::string> axes = axes_of(results);
  const std::vector<std::string> initiators = initiator_columns(results);
  std::vector<json> header = {"id"};
  for (const std::string& a : axes) header.push_back(a);
  const std::size_t before_bandwidth = layer_columns().size() - 2;  // the initiators come before avg/peak
  std::vector<std::string> cols;
  for (std::size_t i = 0; i < layer_columns().size(); ++i) {
    if (i == before_bandwidth) cols.insert(cols.end(), initiators.begin(), initiators.end());
    cols.push_back(layer_columns()[i].name);
  }
  for (const std::string& c : cols) header.push_back(c);
  std::string out = csv_line(header);
  for (const json& p : results.at("points"))
    for (const json& l : p.at("layers")) {
      std::vector<json> row = {p.at("id")};
      for (const std::string& a : axes) row.push_back(p.at("fields").value(a, json(nullptr)));
      for (const std::string& c : cols) row.push_back(l.value(c, json(nullptr)));
      out += csv_line(row);
    }
  return out;
}

MergeCount merge_results(const std::string& out) {
  const fs::path dir(out);
  std::ifstream f(dir / "sweep.json");
  const json sweep = f ? json::parse(f, nullptr, false) : json(nullptr);
  if (!sweep.is_object()) throw Error(out + ": no sweep here (sweep.json missing or unreadable)");
  json results = {{"sweep", sweep.at("name")},
                  {"axes", sweep.at("axes")},
                  {"engine", sweep.value("engine", "")},
                  {"points", json::array()}};
  MergeCount count;
  for (const json& p : sweep.at("points")) {
    ++count.total;
    const fs::path pd = dir / "points" / p.at("id").get<std::string>();
    std::ifstream sf(pd / "status.json");
    if (!sf) continue;
    const json status = json::parse(sf, nullptr, false);
    if (!status.is_object()) continue;
    std::ifstream rf(pd / "report.json");
    const json report = rf ? json::parse(rf, nullptr, false) : json(nullptr);
    results.at("points").push_back(point_result(p, status, report.is_discarded() ? json(nullptr) : report));
    ++count.finished;
    if (status.value("status", "") != "pass") ++count.failed;
  }
  write_atomically((dir / "results.json").string(), results.dump(2) + "\n");
  write_atomically((dir / "results.csv").string(), results_csv(results));
  write_atomically((dir / "layers.csv").string(), layers_csv(results));
  return count;
}

}  // namespace dnnvp::sweep

#include "report.h"

#include <cstring>
#include <iomanip>
#include <sstream>

#include "run_options.h"
#include "soc.h"

namespace dnnvp {
namespace {

using nlohmann::json;

constexpr std::uint32_t kMarkDone = 0xFFFFFFFFu;
constexpr std::size_t kMismatchesKept = 8;

std::int64_t element(const std::uint8_t* data, std::uint64_t i, int bits, bool is_signed) {
  std::uint32_t raw = bits <= 4 ? (data[i / 2] >> ((i % 2) * 4)) & 0xFu : data[i];
  const std::uint32_t sign = 1u << ((bits <= 4 ? 4 : 8) - 1);
  if (!is_signed) return raw;
  return static_cast<std::int64_t>(raw ^ sign) - static_cast<std::int64_t>(sign);
}

json dram_json(const DramCounters& c) {
  return {{"read_bytes", c.read_bytes}, {"write_bytes", c.write_bytes}, {"transactions", c.transactions},
          {"row_hits", c.row_hits},     {"row_misses", c.row_misses},   {"energy_pj", c.energy_pj}};
}

double ratio(double a, double b) {
  return b > 0 ? a / b : 0.0;
}

// DRAM bytes moved between two marks, summed over the initiators.
std::pair<std::uint64_t, std::uint64_t> dram_between(const LayerMark& a, const LayerMark& b) {
  std::uint64_t r = 0, w = 0;
  for (std::size_t i = 0; i < a.dram.size(); ++i) {
    r += b.dram[i].read_bytes - a.dram[i].read_bytes;
    w += b.dram[i].write_bytes - a.dram[i].write_bytes;
  }
  return {r, w};
}

// Moves the statistics that measure the host (the Verilated model's evaluation time and speed, the ISS's
// host MIPS) out of `stats` into the returned object, at the same paths.
json take_host_stats(json& stats) {
  json host = json::object();
  if (!stats.is_object()) return host;
  for (auto it = stats.begin(); it != stats.end();) {
    const std::string key = it.key();
    if (key == "eval_seconds" || key == "cycles_per_eval_second" || key == "host_mips") {
      host[key] = it.value();
      it = stats.erase(it);
      continue;
    }
    json inner = take_host_stats(it.value());
    if (!inner.empty()) host[key] = std::move(inner);
    ++it;
  }
  return host;
}

}  // namespace

OutputCheck compare_output(const std::uint8_t* got, const std::uint8_t* expected, std::uint64_t elements,
                           int bits, bool is_signed) {
  OutputCheck c;
  c.done = true;
  c.elements = elements;
  for (std::uint64_t i = 0; i < elements; ++i) {
    const std::int64_t g = element(got, i, bits, is_signed), e = element(expected, i, bits, is_signed);
    if (g == e) continue;
    if (c.first.size() < kMismatchesKept) c.first.push_back({i, g, e});
    ++c.mismatches;
  }
  return c;
}

std::optional<FirmwareReport> read_firmware_report(const Soc& soc, std::size_t max_layers, std::string* why) {
  const auto addr = soc.sysctl().report_address();
  if (!addr) {
    *why = "the firmware wrote no report address to sysctl REPORT";
    return std::nullopt;
  }
  FirmwareReport r;
  try {
    std::memcpy(&r.header, soc.dram_at(*addr, sizeof r.header), sizeof r.header);
    if (r.header.magic != DNNVP_REPORT_MAGIC || r.header.version != DNNVP_REPORT_VERSION ||
        r.header.layer_count > max_layers) {
      std::ostringstream o;
      o << "the report at 0x" << std::hex << *addr << std::dec << " is not a version " << DNNVP_REPORT_VERSION
        << " table for at most " << max_layers << " layers (magic 0x" << std::hex << r.header.magic
        << std::dec << ", version " << r.header.version << ", " << r.header.layer_count << " layers)";
      *why = o.str();
      return std::nullopt;
    }
    r.layers.resize(r.header.layer_count);
    if (!r.layers.empty())
      std::memcpy(r.layers.data(),
                  soc.dram_at(*addr + sizeof r.header, r.layers.size() * sizeof(dnnvp_report_layer_t)),
                  r.layers.size() * sizeof(dnnvp_report_layer_t));
  } catch (const std::out_of_range&) {
    std::ostringstream o;
    o << "the report address 0x" << std::hex << *addr << " is outside DRAM";
    *why = o.str();
    return std::nullopt;
  }
  return r;
}

json make_report(ReportInputs& in) {
  const json& m = *in.manifest;
  const Soc& soc = *in.soc;
  const SocOutcome& out = soc.outcome();
  const json& hw = m.at("hardware");
  const std::uint64_t pes = hw.at("rows").get<std::uint64_t>() * hw.at("cols").get<std::uint64_t>();
  const double clock_hz = hw.at("clock_mhz").get<double>() * 1e6;
  const json& layers = m.at("layers");

  // Per layer: the marks give time and DRAM traffic; the firmware report gives the engine counters.
  std::vector<json> rows(layers.size());
  std::vector<bool> ran(layers.size(), false);
  const std::vector<LayerMark>& marks = soc.layer_marks();
  for (std::size_t k = 0; k < marks.size(); ++k) {
    const LayerMark& a = marks[k];
    if (a.layer == kMarkDone || a.layer >= layers.size()) continue;
    // The layer ends at the next mark, or at the end of the run if it never finished.
    LayerMark end_mark;
    const LayerMark* b = nullptr;
    if (k + 1 < marks.size()) {
      b = &marks[k + 1];
    } else {
      end_mark = {kMarkDone, out.time, {}, soc.wall_seconds()};
      for (const std::string& i : Soc::dram_initiators()) end_mark.dram.push_back(soc.dram().counters(i));
      b = &end_mark;
    }
    const auto [rd, wr] = dram_between(a, *b);
    json& r = rows[a.layer];
    const std::uint64_t first = soc.engine_cycles_at(a.time), end = soc.engine_cycles_at(b->time);
    r["cycles"] = end - first;
    r["first_cycle"] = first;
    r["last_cycle"] = end > first ? end - 1 : first;
    r["wall_seconds"] = b->wall_seconds - a.wall_seconds;
    r["dram_read_bytes"] = rd;
    r["dram_write_bytes"] = wr;
    r["completed"] = k + 1 < marks.size();
    ran[a.layer] = true;
  }

  // The firmware's records by layer index, and the engine's counters summed over them.
  std::vector<const dnnvp_report_layer_t*> fw(layers.size(), nullptr);
  std::uint64_t eng_cycles = 0, eng_macs = 0, st_in = 0, st_w = 0, st_out = 0;
  if (in.firmware)
    for (const dnnvp_report_layer_t& f : in.firmware->layers) {
      if (f.index >= layers.size()) continue;
      fw[f.index] = &f;
      if (!f.on_engine) continue;
      eng_cycles += f.engine_cycles;
      eng_macs += f.engine_macs;
      st_in += f.stall_input, st_w += f.stall_weight, st_out += f.stall_output;
    }

  json jl = json::array(), host_layers = json::array();
  // Over the convolutions only (the figure published engines quote) and the engine layers' simulation speed.
  std::uint64_t conv_cycles = 0, conv_macs = 0, engine_layer_cycles = 0;
  double engine_layer_wall = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    const std::string type = l.at("type");
    const bool on_engine = type == "conv" || type == "dense";
    json r = {{"index", i},
              {"name", l.at("name")},
              {"type", type},
              {"where", on_engine ? "engine" : "cpu"},
              {"ran", static_cast<bool>(ran[i])},
              {"macs", l.at("macs")}};
    r.update(rows[i].is_null() ? json{{"cycles", 0},
                                      {"first_cycle", nullptr},
                                      {"last_cycle", nullptr},
                                      {"dram_read_bytes", 0},
                                      {"dram_write_bytes", 0},
                                      {"wall_seconds", 0.0}}
                               : rows[i]);
    host_layers.push_back({{"name", l.at("name")}, {"wall_seconds", r.at("wall_seconds")}});
    r.erase("wall_seconds");
    if (on_engine && !rows[i].is_null()) {
      engine_layer_cycles += rows[i].at("cycles").get<std::uint64_t>();
      engine_layer_wall += rows[i].at("wall_seconds").get<double>();
    }
    if (on_engine) {
      const json& e = l.at("engine");
      r["tiles_planned"] = e.at("tiles");
      r["pe_utilization_bound"] = e.at("utilisation_bound");
      r["dram_lower_bound_bytes"] = e.at("dram_bytes").at("lower_bound");
      r["issue_cycles_planned"] = e.at("issue_cycles");
    }
    if (const dnnvp_report_layer_t* f = fw[i]) {
      r["cpu_timer_cycles"] = f->cpu_cycles;
      if (f->on_engine) {
        r["tiles"] = f->tiles;
        r["engine_cycles"] = f->engine_cycles;
        r["engine_macs"] = f->engine_macs;
        r["engine_active_cycles"] = f->engine_active;
        r["pe_utilization"] =
            ratio(static_cast<double>(f->engine_macs), static_cast<double>(pes * f->engine_cycles));
        r["stalls"] = {{"input", f->stall_input}, {"weight", f->stall_weight}, {"output", f->stall_output}};
        if (type == "conv") conv_cycles += f->engine_cycles, conv_macs += f->engine_macs;
      }
    }
    jl.push_back(std::move(r));
  }

  // DRAM totals over every counted initiator.
  DramCounters sum;
  json per = json::object();
  for (const std::string& name : Soc::dram_initiators()) {
    const DramCounters c = soc.dram().counters(name);
    per[name] = dram_json(c);
    sum.read_bytes += c.read_bytes, sum.write_bytes += c.write_bytes, sum.transactions += c.transactions;
    sum.row_hits += c.row_hits, sum.row_misses += c.row_misses;
  }
  const std::uint64_t lower = m.at("totals").at("engine").at("dram_bytes").at("lower_bound");
  const Engine& eng = soc.engine();
  const std::uint64_t total_macs = m.at("totals").at("macs");

  const bool exited_ok = out.end == SocEnd::kExit && out.exit_code && *out.exit_code == 0;
  const bool pass = exited_ok && in.output.bit_exact() && in.interrupted_by == 0;
  json rep = report_header(in.tool);
  rep["status"] = pass ? "pass" : in.interrupted_by != 0 ? "interrupted" : "fail";
  rep["bit_exact"] = in.output.bit_exact();
  rep["end"] = in.interrupted_by != 0 ? "interrupted" : to_string(out.end);
  rep["exit_code"] = out.exit_code ? json(*out.exit_code) : json(nullptr);
  rep["message"] = out.message;
  rep["scenario"] = m.at("scenario");
  rep["network"] = m.at("network");
  rep["engine_model"] = in.engine_model;
  json h = hw;
  h.erase("run");  // the scenario's defaults; what the run used is "run"
  h["pes"] = pes;
  rep["hardware"] = h;
  rep["run"] = in.run;

  json oc = {
      {"checked", in.output.done}, {"elements", in.output.elements}, {"mismatches", in.output.mismatches}};
  json first = json::array();
  for (const OutputCheck::Mismatch& x : in.output.first)
    first.push_back({{"index", x.index}, {"got", x.got}, {"expected", x.expected}});
  oc["first_mismatches"] = first;
  if (in.firmware)
    oc["firmware"] = {{"checked", in.firmware->header.outputs_checked},
                      {"mismatches", in.firmware->header.mismatches},
                      {"runtime_status", in.firmware->header.status}};
  rep["output_check"] = oc;

  const double seconds = out.time.to_seconds();
  json t;
  t["cycles"] = out.cycles;
  t["simulated_seconds"] = seconds;
  t["fps"] = pass && out.cycles > 0 ? clock_hz / static_cast<double>(out.cycles) : 0.0;
  t["macs"] = total_macs;
  t["engine_macs"] = eng_macs;
  t["engine_cycles"] = eng_cycles;
  t["pe_utilization"] = ratio(static_cast<double>(eng_macs), static_cast<double>(pes * eng_cycles));
  t["pe_utilization_conv"] = ratio(static_cast<double>(conv_macs), static_cast<double>(pes * conv_cycles));
  t["pe_utilization_conv_bound"] = m.at("totals").at("engine").at("conv_utilisation_bound");
  t["pe_utilization_overall"] = ratio(static_cast<double>(eng_macs), static_cast<double>(pes * out.cycles));
  t["pe_utilization_bound"] = m.at("totals").at("engine").at("utilisation_bound");
  t["stalls"] = {
      {"input", st_in},
      {"weight", st_w},
      {"output", st_out},
      {"injected",
       {{"x", eng.stalls_injected('x')}, {"w", eng.stalls_injected('w')}, {"y", eng.stalls_injected('y')}}}};
  t["cpu"] = {{"instructions", soc.cpu().instructions()},
              {"cycles", soc.cpu().cycles()},
              {"clock_mhz", hw.value("cpu_mhz", 0.0)}};
  t["dram"] = {{"read_bytes", sum.read_bytes},
               {"write_bytes", sum.write_bytes},
               {"transactions", sum.transactions},
               {"row_hits", sum.row_hits},
               {"row_misses", sum.row_misses},
               {"energy_pj", soc.dram().energy().total_pj()},
               {"lower_bound_bytes", lower},
               {"ratio_to_lower_bound",
                ratio(static_cast<double>(sum.read_bytes + sum.write_bytes), static_cast<double>(lower))},
               {"per_initiator", per}};
  rep["totals"] = t;
  rep["layers"] = jl;
  if (!in.firmware) rep["firmware_report"] = in.firmware_note;
  json stats = const_cast<Soc&>(soc).stats().to_json();
  json host;
  host["firmware"] = in.firmware_path;
  host["wall_seconds"] = in.wall_seconds;
  host["simulated_cycles_per_second"] = ratio(static_cast<double>(out.cycles), in.wall_seconds);
  host["engine_layer_cycles_per_second"] = ratio(static_cast<double>(engine_layer_cycles), engine_layer_wall);
  host["engine_clocked_cycles_per_eval_second"] =
      ratio(static_cast<double>(eng.cycles_clocked()), eng.eval_seconds());
  host["cpu_host_mips"] = soc.cpu().host_mips();
  host["layers"] = host_layers;
  host["stats"] = take_host_stats(stats);
  rep["stats"] = stats;
  rep["host"] = host;
  return rep;
}

std::vector<std::string> layers_in_window(const json& report, std::uint64_t from, std::uint64_t to) {
  std::vector<std::string> hit;
  for (const json& l : report.at("layers")) {
    if (l.at("where") != "engine" || l.at("first_cycle").is_null()) continue;
    const std::uint64_t first = l.at("first_cycle"), last = l.at("last_cycle");
    if (first < to && last >= from) hit.push_back(l.at("name"));
  }
  return hit;
}

std::string summary_text(const json& r) {
  std::ostringstream o;
  const json& t = r.at("totals");
  const json& d = t.at("dram");
  o << std::fixed;
  const std::string status = r.at("status");
  o << "vp_run: "
    << (status == "pass"          ? "PASS"
        : status == "interrupted" ? "INTERRUPTED"
                                  : "FAIL")
    << " (" << r.at("end").get<std::string>();
  if (!r.at("exit_code").is_null()) o << ", firmware exit code " << r.at("exit_code").get<int>();
  o << ", output "
    << (!r.at("output_check").at("checked").get<bool>() ? "not checked"
        : r.at("bit_exact").get<bool>()                 ? "bit-exact"
                                                        : "NOT bit-exact")
    << ")\n";
  o << "  cycles " << t.at("cycles").get<std::uint64_t>() << " at " << std::setprecision(0)
    << r.at("hardware").at("clock_mhz").get<double>() << " MHz = " << std::setprecision(3)
    << t.at("simulated_seconds").get<double>() * 1e3 << " ms";
  if (t.at("fps").get<double>() > 0)
    o << " (" << std::setprecision(2) << t.at("fps").get<double>() << " fps)";
  o << "\n  PE utilisation " << std::setprecision(1) << 100.0 * t.at("pe_utilization").get<double>()
    << " % over engine layers (plan bound " << 100.0 * t.at("pe_utilization_bound").get<double>() << " %), "
    << 100.0 * t.at("pe_utilization_overall").get<double>() << " % over the whole run\n";
  o << "  DRAM " << std::setprecision(2) << d.at("read_bytes").get<double>() / 1e6 << " MB read, "
    << d.at("write_bytes").get<double>() / 1e6 << " MB written ("
    << d.at("ratio_to_lower_bound").get<double>() << "x the lower bound), " << std::setprecision(1)
    << d.at("energy_pj").get<double>() / 1e6 << " uJ\n";
  const json& host = r.at("host");
  o << "  CPU " << t.at("cpu").at("instructions").get<std::uint64_t>() << " instructions; wall "
    << std::setprecision(2) << host.at("wall_seconds").get<double>() << " s, " << std::setprecision(3)
    << host.at("simulated_cycles_per_second").get<double>() / 1e6 << " M engine cycles/s\n";
  return o.str();
}

}  // namespace dnnvp

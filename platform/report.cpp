#include "report.h"

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "dnnvp_model_types.h"
#include "energy.h"
#include "faults/campaign.h"
#include "hex.h"
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

OutputCheck check_images(const Soc& soc, const Manifest& m, std::vector<ImageOutput>* images) {
  const int bits = static_cast<int>(m.output.quant.bits);
  const bool is_signed = m.output.quant.is_signed;
  const std::uint64_t elements = m.result.elements, stride = m.images.output_stride;
  OutputCheck all;
  all.done = true;
  images->clear();
  for (std::uint64_t i = 0; i < m.images.count; ++i) {
    const std::uint8_t* got = soc.dram_at(m.result.addr + i * stride, m.result.bytes);
    const OutputCheck c = compare_output(got, soc.dram_at(m.expected().addr + i * stride, m.result.bytes),
                                         elements, bits, is_signed);
    ImageOutput out;
    out.mismatches = c.mismatches;
    for (std::uint64_t k = 1; k < elements; ++k)
      if (element(got, k, bits, is_signed) > element(got, out.predicted, bits, is_signed)) out.predicted = k;
    images->push_back(out);
    all.elements += c.elements;
    all.mismatches += c.mismatches;
    for (const OutputCheck::Mismatch& x : c.first)
      if (all.first.size() < kMismatchesKept)
        all.first.push_back({i * elements + x.index, x.got, x.expected});
  }
  return all;
}

std::optional<FirmwareReport> read_firmware_report(const Soc& soc, std::size_t max_layers,
                                                   std::size_t max_images, std::string* why) {
  const auto addr = soc.sysctl().report_address();
  if (!addr) {
    *why = "the firmware wrote no report address to sysctl REPORT";
    return std::nullopt;
  }
  FirmwareReport r;
  try {
    std::memcpy(&r.header, soc.dram_at(*addr, sizeof r.header), sizeof r.header);
    if (r.header.magic != DNNVP_REPORT_MAGIC || r.header.version != DNNVP_REPORT_VERSION ||
        r.header.layer_count > max_layers || r.header.image_count > max_images) {
      std::ostringstream o;
      o << "the report at " << hex(*addr, 0) << " is not a version " << DNNVP_REPORT_VERSION
        << " table for at most " << max_layers << " layers and " << max_images << " images (magic "
        << hex(r.header.magic, 0) << ", version " << r.header.version << ", " << r.header.layer_count
        << " layers, " << r.header.image_count << " images)";
      *why = o.str();
      return std::nullopt;
    }
    r.layers.resize(r.header.layer_count);
    if (!r.layers.empty())
      std::memcpy(r.layers.data(),
                  soc.dram_at(*addr + sizeof r.header, r.layers.size() * sizeof(dnnvp_report_layer_t)),
                  r.layers.size() * sizeof(dnnvp_report_layer_t));
    r.images.resize(r.header.image_count);
    if (!r.images.empty())
      std::memcpy(r.images.data(),
                  soc.dram_at(*addr + r.header.image_offset, r.images.size() * sizeof(dnnvp_report_image_t)),
                  r.images.size() * sizeof(dnnvp_report_image_t));
  } catch (const std::out_of_range&) {
    *why = "the report address " + hex(*addr, 0) + " is outside DRAM";
    return std::nullopt;
  }
  return r;
}

namespace {

// One layer's share of the run, from the SoC's layer marks.
struct LayerTiming {
  bool ran = false, completed = false;
  std::uint64_t cycles = 0, first_cycle = 0, last_cycle = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dram_by_initiator;  // read, write; dram_initiators()
  double dram_peak_bytes_per_second = 0;
  double wall_seconds = 0;
};

// Per layer: the marks give time and DRAM traffic. A layer ends at the next mark, or at the end of the
// run if it never finished.
std::vector<LayerTiming> layer_timings(const Soc& soc, std::size_t layers) {
  std::vector<LayerTiming> t(layers);
  const std::vector<LayerMark>& marks = soc.layer_marks();
  for (std::size_t k = 0; k < marks.size(); ++k) {
    const LayerMark& a = marks[k];
    if (a.layer == kMarkDone || a.layer >= layers) continue;
    LayerMark end_mark;
    const LayerMark* b = nullptr;
    if (k + 1 < marks.size()) {
      b = &marks[k + 1];
    } else {
      end_mark = {kMarkDone, soc.outcome().time, {}, soc.wall_seconds()};
      for (const std::string& i : Soc::dram_initiators()) end_mark.dram.push_back(soc.dram().counters(i));
      b = &end_mark;
    }
    // A batch runs every layer once per image: its figures add up, its cycles span the first run's
    // first to the last run's last.
    LayerTiming& r = t[a.layer];
    const auto [read, write] = dram_between(a, *b);
    const std::uint64_t first = soc.engine_cycles_at(a.time), end = soc.engine_cycles_at(b->time);
    if (!r.ran) r.first_cycle = first;
    r.completed = (!r.ran || r.completed) && k + 1 < marks.size();
    r.ran = true;
    r.dram_read_bytes += read;
    r.dram_write_bytes += write;
    r.dram_by_initiator.resize(a.dram.size());
    for (std::size_t i = 0; i < a.dram.size(); ++i) {
      r.dram_by_initiator[i].first += b->dram[i].read_bytes - a.dram[i].read_bytes;
      r.dram_by_initiator[i].second += b->dram[i].write_bytes - a.dram[i].write_bytes;
    }
    r.dram_peak_bytes_per_second =
        std::max(r.dram_peak_bytes_per_second, soc.dram().peak_bytes_per_second(a.time, b->time));
    r.cycles += end - first;
    r.last_cycle = end > first ? end - 1 : first;
    r.wall_seconds += b->wall_seconds - a.wall_seconds;
  }
  return t;
}

// The engine's counters as the firmware read them, summed over its engine layers (and over the
// convolutions only: the figure published engines quote).
struct EngineCounters {
  std::vector<const dnnvp_report_layer_t*> by_layer;  // the firmware's record of each layer, if any
  std::uint64_t cycles = 0, macs = 0, stall_input = 0, stall_weight = 0, stall_output = 0;
  std::uint64_t conv_cycles = 0, conv_macs = 0;
};

EngineCounters engine_counters(const std::optional<FirmwareReport>& firmware,
                               const std::vector<manifest::LayerEntry>& layers) {
  EngineCounters c;
  c.by_layer.assign(layers.size(), nullptr);
  if (!firmware) return c;
  for (const dnnvp_report_layer_t& f : firmware->layers) {
    if (f.index >= layers.size()) continue;
    c.by_layer[f.index] = &f;
    if (!f.on_engine) continue;
    c.cycles += f.engine_cycles;
    c.macs += f.engine_macs;
    c.stall_input += f.stall_input, c.stall_weight += f.stall_weight, c.stall_output += f.stall_output;
  }
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (const dnnvp_report_layer_t* f = c.by_layer[i]; f && f->on_engine && layers[i].type == "conv")
      c.conv_cycles += f->engine_cycles, c.conv_macs += f->engine_macs;
  return c;
}

// The layer another one ran as part of its own (a fused Add, a folded Clip), from the firmware's record.
std::optional<std::size_t> fused_into(const EngineCounters& c, std::size_t i) {
  const dnnvp_report_layer_t* f = c.by_layer[i];
  if (!f || f->fused_into == DNNVP_NO_LAYER || f->fused_into < 0 ||
      static_cast<std::size_t>(f->fused_into) >= c.by_layer.size())
    return std::nullopt;
  return static_cast<std::size_t>(f->fused_into);
}

// Where layer i ran: "engine" or "cpu" as the firmware reported it (the manifest's plan when the firmware
// wrote no record), "engine (fused into layer3.conv3)" for a layer its producer ran.
std::string where(const std::vector<manifest::LayerEntry>& layers, const EngineCounters& c, std::size_t i) {
  const dnnvp_report_layer_t* f = c.by_layer[i];
  const std::string place = (f ? f->on_engine != 0 : layers[i].engine.has_value()) ? "engine" : "cpu";
  const std::optional<std::size_t> into = fused_into(c, i);
  return into ? place + " (fused into " + layers[*into].name + ")" : place;
}

// report.json's entry of one layer: the manifest's, the marks' and the firmware's figures. A fused layer
// has no time of its own (`t` is empty; it ran when its producer did, whose timing is `producer`).
json layer_row(const manifest::LayerEntry& l, const std::string& where, const LayerTiming& t,
               const LayerTiming* producer, const dnnvp_report_layer_t* f, std::uint64_t pes) {
  const bool ran = producer ? producer->ran : t.ran;
  json r = {{"index", l.index},
            {"name", l.name},
            {"type", l.type},
            {"where", where},
            {"ran", ran},
            {"macs", l.macs},
            {"cycles", t.cycles},
            {"first_cycle", t.ran ? json(t.first_cycle) : json(nullptr)},
            {"last_cycle", t.ran ? json(t.last_cycle) : json(nullptr)},
            {"dram_read_bytes", t.dram_read_bytes},
            {"dram_write_bytes", t.dram_write_bytes},
            {"dram_peak_bytes_per_second", t.dram_peak_bytes_per_second}};
  json by_initiator = json::object();
  for (std::size_t i = 0; i < Soc::dram_initiators().size(); ++i)
    by_initiator[Soc::dram_initiators()[i]] = {
        {"read_bytes", i < t.dram_by_initiator.size() ? t.dram_by_initiator[i].first : 0},
        {"write_bytes", i < t.dram_by_initiator.size() ? t.dram_by_initiator[i].second : 0}};
  r["dram_per_initiator"] = by_initiator;
  if (ran) r["completed"] = producer ? producer->completed : t.completed;
  if (l.engine) {
    r["tiles_planned"] = l.engine->tiles;
    r["pe_utilization_bound"] = l.engine->utilisation_bound;
    r["dram_lower_bound_bytes"] = l.engine->dram_bytes.lower_bound;
    r["issue_cycles_planned"] = l.engine->issue_cycles;
    if (l.engine->input_layout) r["input_layout"] = *l.engine->input_layout;
  }
  if (!f) return r;
  r["cpu_timer_cycles"] = f->cpu_cycles;
  if (!f->on_engine || producer) return r;
  r["tiles"] = f->tiles;
  r["engine_cycles"] = f->engine_cycles;
  r["engine_macs"] = f->engine_macs;
  r["engine_active_cycles"] = f->engine_active;
  r["pe_utilization"] =
      ratio(static_cast<double>(f->engine_macs), static_cast<double>(pes * f->engine_cycles));
  r["stalls"] = {{"input", f->stall_input}, {"weight", f->stall_weight}, {"output", f->stall_output}};
  return r;
}

json output_check_json(const OutputCheck& output, const std::optional<FirmwareReport>& firmware) {
  json oc = {{"checked", output.done}, {"elements", output.elements}, {"mismatches", output.mismatches}};
  json first = json::array();
  for (const OutputCheck::Mismatch& x : output.first)
    first.push_back({{"index", x.index}, {"got", x.got}, {"expected", x.expected}});
  oc["first_mismatches"] = first;
  if (firmware)
    oc["firmware"] = {{"checked", firmware->header.outputs_checked},
                      {"mismatches", firmware->header.mismatches},
                      {"runtime_status", firmware->header.status}};
  return oc;
}

// DRAM totals over every counted initiator, against the plan's lower bound.
json dram_totals(const Soc& soc, std::uint64_t lower_bound) {
  DramCounters sum;
  json per = json::object();
  for (const std::string& name : Soc::dram_initiators()) {
    const DramCounters c = soc.dram().counters(name);
    per[name] = dram_json(c);
    sum.read_bytes += c.read_bytes, sum.write_bytes += c.write_bytes, sum.transactions += c.transactions;
    sum.row_hits += c.row_hits, sum.row_misses += c.row_misses;
  }
  return {{"read_bytes", sum.read_bytes},
          {"write_bytes", sum.write_bytes},
          {"transactions", sum.transactions},
          {"row_hits", sum.row_hits},
          {"row_misses", sum.row_misses},
          {"energy_pj", soc.dram().energy().total_pj()},
          {"lower_bound_bytes", lower_bound},
          {"ratio_to_lower_bound",
           ratio(static_cast<double>(sum.read_bytes + sum.write_bytes), static_cast<double>(lower_bound))},
          {"per_initiator", per}};
}

json totals_json(const Manifest& m, const Soc& soc, const EngineCounters& e, bool pass) {
  const SocOutcome& out = soc.outcome();
  const std::uint64_t pes = m.hardware.shape.rows * m.hardware.shape.cols;
  const Engine& eng = soc.engine();
  const manifest::EngineTotals& plan = m.totals.engine;
  json t;
  t["cycles"] = out.cycles;
  t["simulated_seconds"] = out.time.to_seconds();
  // Images per second: a batch's images over the whole run.
  t["fps"] = pass && out.cycles > 0 ? static_cast<double>(m.images.count) * m.hardware.clock_mhz * 1e6 /
                                          static_cast<double>(out.cycles)
                                    : 0.0;
  t["macs"] = m.totals.macs;
  t["engine_macs"] = e.macs;
  t["engine_cycles"] = e.cycles;
  t["pe_utilization"] = ratio(static_cast<double>(e.macs), static_cast<double>(pes * e.cycles));
  t["pe_utilization_conv"] =
      ratio(static_cast<double>(e.conv_macs), static_cast<double>(pes * e.conv_cycles));
  t["pe_utilization_conv_bound"] = plan.conv_utilisation_bound;
  t["pe_utilization_overall"] = ratio(static_cast<double>(e.macs), static_cast<double>(pes * out.cycles));
  t["pe_utilization_bound"] = plan.utilisation_bound;
  t["stalls"] = {
      {"input", e.stall_input},
      {"weight", e.stall_weight},
      {"output", e.stall_output},
      {"injected",
       {{"x", eng.stalls_injected('x')}, {"w", eng.stalls_injected('w')}, {"y", eng.stalls_injected('y')}}}};
  t["cpu"] = {{"instructions", soc.cpu().instructions()},
              {"cycles", soc.cpu().cycles()},
              {"clock_mhz", m.hardware.cpu_mhz}};
  t["dram"] = dram_totals(soc, m.images.count * plan.dram_bytes.lower_bound);  // the plan's is one image's
  return t;
}

// What the energy estimate counts (energy.h): the engine's counters and the streams' DRAM bytes.
EnergyCounts energy_counts(const Manifest& m, const Soc& soc, const std::optional<FirmwareReport>& firmware,
                           const EngineCounters& e) {
  EnergyCounts c;
  c.images = m.images.count;
  c.macs = e.macs;
  if (firmware)
    for (const dnnvp_report_layer_t& f : firmware->layers)
      if (f.on_engine) c.active_cycles += f.engine_active;
  c.x_bytes = soc.dram().counters(Soc::stream_initiator("x")).read_bytes;
  c.w_bytes = soc.dram().counters(Soc::stream_initiator("w")).read_bytes;
  c.y_bytes = soc.dram().counters(Soc::stream_initiator("y")).write_bytes;
  c.dram_pj = soc.dram().energy().total_pj();
  return c;
}

// Top-1 accuracy: the share of images whose class is their label.
double top1(const std::vector<std::uint64_t>& classes, const std::vector<std::uint64_t>& labels) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) right += classes[i] == labels[i];
  return ratio(static_cast<double>(right), static_cast<double>(labels.size()));
}

// "images" and "accuracy" (docs/platform.md): each image's class as the VP predicted it (the firmware's
// record of a batch; for one image, the platform's reading of the output), the golden model's, the
// label and the float model's (when given), its mismatching output elements (the platform's check) and
// the timer cycles the network took for it (the firmware's; one image: its layers' sum).
void add_images(json& rep, const ReportInputs& in) {
  const manifest::Images& m = in.manifest->images;
  const std::optional<FirmwareReport>& fw = in.firmware;
  std::vector<std::uint64_t> predicted;
  json images = json::array();
  for (std::size_t i = 0; i < in.images.size(); ++i) {
    const dnnvp_report_image_t* record = fw && i < fw->images.size() ? &fw->images[i] : nullptr;
    predicted.push_back(record ? record->predicted : in.images[i].predicted);
    json image = {{"index", i},
                  {"predicted", predicted.back()},
                  {"golden", m.golden[i]},
                  {"mismatches", in.images[i].mismatches}};
    if (m.labels) image["label"] = (*m.labels)[i];
    if (m.reference) image["reference"] = (*m.reference)[i];
    if (record) {
      image["cycles"] = record->cycles;
    } else if (fw && m.count == 1) {
      std::uint64_t cycles = 0;
      for (const dnnvp_report_layer_t& l : fw->layers) cycles += l.cpu_cycles;
      image["cycles"] = cycles;
    }
    images.push_back(image);
  }
  rep["images"] = images;
  if (!m.labels) return;
  json accuracy = {{"images", m.count},
                   {"vp_top1", top1(predicted, *m.labels)},
                   {"golden_top1", top1(m.golden, *m.labels)}};
  if (m.reference) accuracy["float_top1"] = top1(*m.reference, *m.labels);
  rep["accuracy"] = accuracy;
}

// What depends on the host: wall time, simulation speeds (over the whole run and over the engine layers
// that ran), each layer's wall time and the statistics that measure the host.
json host_json(const ReportInputs& in, const std::vector<LayerTiming>& timings, const json& report_layers,
               json& stats) {
  const Soc& soc = *in.soc;
  const Engine& eng = soc.engine();
  const auto& layers = in.manifest->layers;
  std::uint64_t engine_layer_cycles = 0;
  double engine_layer_wall = 0;
  json host_layers = json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    host_layers.push_back({{"name", layers[i].name}, {"wall_seconds", timings[i].wall_seconds}});
    if (report_layers[i].at("where") == "engine" && timings[i].ran)
      engine_layer_cycles += timings[i].cycles, engine_layer_wall += timings[i].wall_seconds;
  }
  json host;
  host["firmware"] = in.firmware_path;
  host["wall_seconds"] = in.wall_seconds;
  host["simulated_cycles_per_second"] = ratio(static_cast<double>(soc.outcome().cycles), in.wall_seconds);
  host["engine_layer_cycles_per_second"] = ratio(static_cast<double>(engine_layer_cycles), engine_layer_wall);
  host["engine_clocked_cycles_per_eval_second"] =
      ratio(static_cast<double>(eng.cycles_clocked()), eng.eval_seconds());
  host["cpu_host_mips"] = soc.cpu().host_mips();
  host["layers"] = host_layers;
  host["stats"] = take_host_stats(stats);
  return host;
}

// The injected faults and how the run ended (docs/debugging.md, "Fault injection"): pass, mismatch
// (the firmware ran every layer but the output differs), firmware_exit (it stopped with an error), or
// the end.
json faults_json(const faults::Campaign& campaign, const json& rep) {
  const json& check = rep.at("output_check");
  const bool every_layer_ran = !check.contains("firmware") || check.at("firmware").at("runtime_status") == 0;
  std::string result = rep.at("end");
  if (rep.at("status") == "pass")
    result = "pass";
  else if (result == "exit")
    result = check.at("checked") == true && rep.at("bit_exact") == false && every_layer_ran ? "mismatch"
                                                                                            : "firmware_exit";
  return {{"list", campaign.to_json()},
          {"outcome",
           {{"result", result},
            {"end", rep.at("end")},
            {"exit_code", rep.at("exit_code")},
            {"bit_exact", rep.at("bit_exact")},
            {"message", rep.at("message")}}}};
}

}  // namespace

json make_report(ReportInputs& in) {
  const Manifest& m = *in.manifest;
  const Soc& soc = *in.soc;
  const SocOutcome& out = soc.outcome();
  const std::uint64_t pes = m.hardware.shape.rows * m.hardware.shape.cols;

  const std::vector<LayerTiming> timings = layer_timings(soc, m.layers.size());
  const EngineCounters counters = engine_counters(in.firmware, m.layers);
  json layers = json::array();
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const std::optional<std::size_t> into = fused_into(counters, i);
    layers.push_back(layer_row(m.layers[i], where(m.layers, counters, i), timings[i],
                               into ? &timings[*into] : nullptr, counters.by_layer[i], pes));
  }

  const bool exited_ok = out.end == SocEnd::kExit && out.exit_code && *out.exit_code == 0;
  const bool pass = exited_ok && in.output.bit_exact() && in.interrupted_by == 0;
  json rep = report_header(in.tool);
  rep["status"] = pass ? "pass" : in.interrupted_by != 0 ? "interrupted" : "fail";
  rep["bit_exact"] = in.output.bit_exact();
  rep["end"] = in.interrupted_by != 0 ? "interrupted" : to_string(out.end);
  rep["exit_code"] = out.exit_code ? json(*out.exit_code) : json(nullptr);
  rep["message"] = out.message;
  // How the firmware waited (docs/platform.md, "Interrupts"): "interrupt" once it has slept in wfi.
  const cpu::RiscvCpu& cpu = soc.cpu();
  rep["firmware_wait"] = {{"mode", cpu.wfi_count() != 0 ? "interrupt" : "poll"},
                          {"wfi", cpu.wfi_count()},
                          {"interrupts_taken", cpu.interrupts_taken()},
                          {"wfi_cycles", static_cast<std::uint64_t>(cpu.wfi_time() / cpu.clock_period())}};
  // Every DMA error, whether it stopped the run (--stop-on-fault) or the firmware handled it.
  json dma_errors = json::array();
  for (int d = 0; d < 3; ++d)
    for (const AxiDmaFault& f : soc.dma(d).faults()) dma_errors.push_back(f.describe());
  rep["dma_errors"] = dma_errors;
  rep["scenario"] = m.scenario;
  rep["network"] = m.network;
  rep["engine_model"] = in.engine_model;
  json hardware = m.hardware;
  hardware.erase("run");  // the scenario's defaults; what the run used is "run"
  hardware["pes"] = pes;
  rep["hardware"] = hardware;
  rep["run"] = in.run;
  rep["output_check"] = output_check_json(in.output, in.firmware);
  if (in.output.done) add_images(rep, in);
  rep["totals"] = totals_json(m, soc, counters, pass);
  rep["energy"] = energy_json(m.hardware.shape, energy_counts(m, soc, in.firmware, counters));
  rep["layers"] = layers;
  if (const faults::Campaign* f = soc.faults()) rep["faults"] = faults_json(*f, rep);
  if (!in.firmware) rep["firmware_report"] = in.firmware_note;
  json stats = const_cast<Soc&>(soc).stats().to_json();
  rep["host"] = host_json(in, timings, rep.at("layers"), stats);
  rep["stats"] = stats;
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
  if (r.contains("accuracy")) {
    const json& a = r.at("accuracy");
    o << "  top-1 over " << a.at("images").get<std::uint64_t>() << " images: VP " << std::setprecision(1)
      << 100.0 * a.at("vp_top1").get<double>() << " %, golden " << 100.0 * a.at("golden_top1").get<double>()
      << " %";
    if (a.contains("float_top1")) o << ", float " << 100.0 * a.at("float_top1").get<double>() << " %";
    o << "\n";
  }
  if (r.contains("faults")) {
    for (const json& f : r.at("faults").at("list")) {
      o << "  fault " << f.at("kind").get<std::string>() << " (" << f.at("target").get<std::string>()
        << "): ";
      const json& when = f.at("injected");
      if (when.is_null()) {
        o << "not injected (its trigger never came)\n";
        continue;
      }
      o << "injected at engine cycle " << when.at("cycle").get<std::uint64_t>();
      if (!when.at("layer").is_null()) o << " in layer " << when.at("layer").at("index").get<std::uint64_t>();
      o << ": " << f.at("effect").at("summary").get<std::string>() << "\n";
    }
    o << "  faults: the run ended " << r.at("faults").at("outcome").at("result").get<std::string>() << "\n";
  }
  const json& host = r.at("host");
  o << "  CPU " << t.at("cpu").at("instructions").get<std::uint64_t>() << " instructions; wall "
    << std::setprecision(2) << host.at("wall_seconds").get<double>() << " s, " << std::setprecision(3)
    << host.at("simulated_cycles_per_second").get<double>() / 1e6 << " M engine cycles/s\n";
  return o.str();
}

}  // namespace dnnvp

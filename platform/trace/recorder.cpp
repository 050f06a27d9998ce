#include "recorder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "dnnvp_memory_map.hpp"
#include "hex.h"
#include "log.h"
#include "npy.h"
#include "pack.h"
#include "soc.h"

namespace dnnvp::trace {
namespace {

constexpr std::uint32_t kLayersDone = 0xFFFFFFFFu;  // the sysctl LAYER value after the last layer
constexpr const char* kStreams = "xwry";
// Issue runs closer than this many engine cycles form one compute slice of the timeline.
constexpr std::uint64_t kComputeGap = 16;
// The counters' bins: at least this long, and at most this many over the run.
constexpr double kMinBinNs = 1000;
constexpr double kMaxBins = 1000;

std::string ns_text(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ns);
  return buf;
}

int stream_index(char stream) {
  return static_cast<int>(std::string_view(kStreams).find(stream));
}

// "FIELD=value" for every field of `reg` (in decimal; hex for fields of 16 bits or more: addresses).
std::string decode_fields(const RegisterInfo& reg, std::uint32_t value) {
  std::string o;
  for (std::size_t i = 0; i < reg.field_count; ++i) {
    const FieldInfo& f = reg.fields[i];
    const std::uint32_t v = (value & f.mask) >> f.lsb;
    o += " " + std::string(f.name) + "=" + (f.width < 16 ? std::to_string(v) : hex(v));
  }
  return o;
}

const RegisterInfo* register_at(const RegionInfo& region, std::uint64_t offset) {
  for (std::size_t i = 0; i < region.register_count; ++i)
    if (region.registers[i].offset == offset) return &region.registers[i];
  return nullptr;
}

}  // namespace

nlohmann::json Divergence::to_json() const {
  return {{"layer", layer},
          {"layer_index", layer_index},
          {"tile", tile},
          {"y", y},
          {"x", x},
          {"c", c},
          {"got", got},
          {"expected", expected},
          {"mismatches", mismatches},
          {"time_ns", time_ns}};
}

std::string Divergence::describe() const {
  return "layer " + layer + " (index " + std::to_string(layer_index) + "), tile " + std::to_string(tile) +
         ", output (y " + std::to_string(y) + ", x " + std::to_string(x) + ", c " + std::to_string(c) +
         "): " + std::to_string(got) + ", expected " + std::to_string(expected) + " (" +
         std::to_string(mismatches) + " of the layer's elements differ)";
}

Recorder::Recorder(Soc& soc, const Manifest& manifest, Options options)
    : soc_(soc), manifest_(manifest), options_(std::move(options)) {
  // The files are opened now, so a path that cannot be written is bad input before the run.
  for (const std::string* f : {&options_.bus_file, &options_.timeline_file, &options_.svg_file}) {
    if (f->empty()) continue;
    std::ofstream probe(*f);
    if (!probe) throw std::invalid_argument("cannot write " + *f);
  }
  if (!options_.bus_file.empty()) {
    bus_out_.open(options_.bus_file);
    bus_out_ << "# dnn-vp bus trace (docs/debugging.md): TIME_NS mmio INITIATOR R|W REGION.REGISTER VALUE "
                "FIELD=...\n"
                "#                                       TIME_NS dma CHANNEL FIRST..LAST bytes=N duration=NS "
                "[descriptor=ADDRESS]\n";
    soc_.bus().on_access([this](const BusAccess& a) { on_access(a); });
  }
  const bool timeline = !options_.timeline_file.empty() || !options_.svg_file.empty();
  for (std::size_t d = 0; d < soc_.dma_count(); ++d)
    for (const AxiDma::Channel c : {AxiDma::kMm2s, AxiDma::kS2mm})
      if ((c == AxiDma::kMm2s ? soc_.dma(d).config().mm2s : soc_.dma(d).config().s2mm) != nullptr)
        channel_names_.push_back(soc_.dma(d).initiator_name(c));
  if (timeline || !options_.bus_file.empty())
    for (std::size_t d = 0; d < soc_.dma_count(); ++d)
      soc_.dma(d).on_transfer([this](const AxiDmaTransfer& t) { on_transfer(t); });
  if (timeline) {
    soc_.engine().observe(this);
    soc_.cpu().on_batch([this](std::uint32_t pc, const sc_core::sc_time& t) {
      pc_samples_.emplace_back(t.to_seconds() * 1e9, pc);
    });
  }
  if (!options_.dump_dir.empty() && !manifest_.layers.empty()) {
    const manifest::LayerEntry& first = manifest_.layers.front();
    check_dumps_ = std::filesystem::exists(std::filesystem::path(options_.dump_dir) /
                                           layer_dump_file(first.index, first.name, "output"));
  }
  checked_.assign(manifest_.layers.size(), false);
  if (check_dumps_)
    soc_.on_layer([this](const LayerMark& m) { on_layer(m.layer, m.time.to_seconds() * 1e9); });
}

Recorder::~Recorder() = default;

double Recorder::cycle_ns(std::uint64_t cycle) const {
  return static_cast<double>(cycle) * soc_.engine_period().to_seconds() * 1e9;
}

void Recorder::on_access(const BusAccess& a) {
  const RegionInfo& region = memory_map::region(a.target->name);
  if (region.sized_by_scenario) return;  // DRAM: the DMAs' bursts (their transfers are traced whole)
  if (!options_.bus_regions.empty() && std::find(options_.bus_regions.begin(), options_.bus_regions.end(),
                                                 a.target->name) == options_.bus_regions.end())
    return;
  const tlm::tlm_generic_payload& p = *a.trans;
  const std::uint64_t offset = p.get_address() - a.target->base;
  std::uint32_t value = 0;
  for (unsigned i = 0; i < std::min(4u, p.get_data_length()); ++i)
    value |= std::uint32_t{p.get_data_ptr()[i]} << (8 * i);
  const RegisterInfo* reg = register_at(region, offset);
  std::string text = ns_text(a.time.to_seconds() * 1e9) + " mmio " + a.initiator + " " +
                     (p.is_write() ? "W " : "R ") + std::string(region.name) + "." +
                     (reg ? std::string(reg->name) : "+" + hex(offset)) + " " + hex(value);
  if (reg) text += decode_fields(*reg, value);
  if (p.is_response_error()) text += " response=" + p.get_response_string();
  bus_lines_.push_back({a.time.to_seconds() * 1e9, std::move(text)});
  flush_bus_lines(false);
}

// Lines wait while a DMA channel is busy: its transfer's line, which comes at its end, goes before the
// accesses made while it ran. With every channel idle, every later line is later in time (the CPU, the
// only MMIO initiator, issues in time order, and a transfer starts with its CPU's register write).
void Recorder::flush_bus_lines(bool all) {
  if (!all)
    for (std::size_t d = 0; d < soc_.dma_count(); ++d)
      if (soc_.dma(d).busy(AxiDma::kMm2s) || soc_.dma(d).busy(AxiDma::kS2mm)) return;
  std::stable_sort(bus_lines_.begin(), bus_lines_.end(),
                   [](const BusLine& a, const BusLine& b) { return a.time_ns < b.time_ns; });
  for (const BusLine& l : bus_lines_) bus_out_ << l.text << '\n';
  bus_lines_.clear();
}

void Recorder::on_transfer(const AxiDmaTransfer& t) {
  const auto it = std::find(channel_names_.begin(), channel_names_.end(), t.initiator);
  const int channel = static_cast<int>(it - channel_names_.begin());
  const double start = t.start.to_seconds() * 1e9, end = t.end.to_seconds() * 1e9;
  transfers_.push_back({channel, t.address, t.bytes, start, end, t.descriptor});
  if (options_.bus_file.empty()) return;
  const std::string region = t.initiator.substr(0, t.initiator.find('.'));
  if (!options_.bus_regions.empty() && std::find(options_.bus_regions.begin(), options_.bus_regions.end(),
                                                 region) == options_.bus_regions.end())
    return;
  std::string text = ns_text(start) + " dma " + t.initiator + " " + hex(t.address) + ".." +
                     hex(t.address + (t.bytes ? t.bytes - 1 : 0)) + " bytes=" + std::to_string(t.bytes) +
                     " duration=" + ns_text(end - start);
  if (t.descriptor) text += " descriptor=" + hex(*t.descriptor);
  bus_lines_.push_back({start, std::move(text)});
}

void Recorder::tile_activity(std::uint64_t cycle) {
  if (!tile_start_) tile_start_ = cycle;
}

void Recorder::beat(char stream, bool last, std::uint64_t cycle) {
  const int s = stream_index(stream);
  std::optional<Packet>& open = open_packet_[s];
  if (!open) open = Packet{cycle, cycle, 0};
  open->last = cycle;
  ++open->beats;
  if (last) {
    packets_[s].push_back(*open);
    open.reset();
  }
  tile_activity(cycle);
  // A tile ends with its output packet's TLAST.
  if (stream == 'y' && last) {
    tiles_.emplace_back(*tile_start_, cycle);
    tile_start_.reset();
  }
}

void Recorder::issue(std::uint64_t cycle) {
  tile_activity(cycle);
  if (!issue_runs_.empty() && issue_runs_.back().second + 1 == cycle)
    issue_runs_.back().second = cycle;
  else
    issue_runs_.emplace_back(cycle, cycle);
}

void Recorder::on_layer(std::uint32_t layer, double time_ns) {
  // The layers from the running one up to the one this mark starts have finished; a fused layer's chain
  // (no mark of its own) wrote the last one's output.
  if (running_layer_ && *running_layer_ < manifest_.layers.size()) {
    const std::size_t end = layer == kLayersDone ? manifest_.layers.size() : layer;
    if (end > *running_layer_) check_layer(end - 1, time_ns);
  }
  running_layer_ = layer;
}

void Recorder::check_layer(std::size_t index, double time_ns) {
  if (!check_dumps_ || checked_[index] || divergence_)
    return;  // the first image only; the first divergence only
  checked_[index] = true;
  const manifest::LayerEntry& l = manifest_.layers[index];
  const std::string file =
      (std::filesystem::path(options_.dump_dir) / layer_dump_file(index, l.name, "output")).string();
  NpyArray dump;
  try {
    dump = read_npy(file);
  } catch (const std::exception& e) {  // inside the simulation: the run goes on without the check
    log::error("trace", std::string(e.what()) + ": the layer check stops here");
    check_dumps_ = false;
    return;
  }
  const std::uint64_t elements = l.output_shape[0] * l.output_shape[1] * l.output_shape[2];
  if (dump.is_float || dump.ints.size() != elements) {
    log::error("trace", file + ": " + dump.shape_text() + " " + dump.dtype + ", but layer " + l.name +
                            " has " + std::to_string(elements) + " integers: the layer check stops here");
    check_dumps_ = false;
    return;
  }
  const QuantType type{static_cast<int>(l.output_quant.bits), l.output_quant.is_signed};
  const std::int64_t count = static_cast<std::int64_t>(dump.ints.size());
  const std::uint8_t* bytes = soc_.dram_at(l.output.addr, packed_bytes(count, type.bits));
  const std::vector<std::int32_t> got =
      unpack(std::vector<std::uint8_t>(bytes, bytes + packed_bytes(count, type.bits)), count, type);
  ++layers_checked_;
  std::optional<std::size_t> first;
  std::uint64_t mismatches = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] == dump.ints[i]) continue;
    if (!first) first = i;
    ++mismatches;
  }
  if (!first) return;
  const std::uint64_t channels = l.output_shape[2], width = l.output_shape[1];
  const std::uint64_t pixel = *first / channels;
  Divergence d;
  d.layer = l.name;
  d.layer_index = index;
  // A fused layer's tiles are its producer's: the chain's first layer has the plan.
  std::size_t planned = index;
  while (!manifest_.layers[planned].engine && planned > 0 &&
         manifest_.layers[planned].output.addr == manifest_.layers[planned - 1].output.addr)
    --planned;
  const std::optional<manifest::LayerEngine>& plan = manifest_.layers[planned].engine;
  d.tile = plan && plan->tile_pixels != 0 ? pixel / plan->tile_pixels : 0;
  d.y = pixel / width;
  d.x = pixel % width;
  d.c = *first % channels;
  d.got = got[*first];
  d.expected = dump.ints[*first];
  d.mismatches = mismatches;
  d.time_ns = time_ns;
  divergence_ = d;
}

Timeline Recorder::timeline() const {
  Timeline t;
  t.title = "dnn-vp " + manifest_.scenario.name;
  t.end_ns = soc_.outcome().time.to_seconds() * 1e9;
  t.layer_track = "firmware: layers";

  // Layers: from each mark to the next (or the run's end); those the CPU computes are its operations.
  Track layers{t.layer_track, {}}, cpu_ops{"cpu: operations", {}};
  const std::vector<LayerMark>& marks = soc_.layer_marks();
  std::vector<std::pair<double, std::uint32_t>> layer_spans;  // start, layer
  for (std::size_t k = 0; k < marks.size(); ++k) {
    if (marks[k].layer == kLayersDone || marks[k].layer >= manifest_.layers.size()) continue;
    const double start = marks[k].time.to_seconds() * 1e9;
    const double end = k + 1 < marks.size() ? marks[k + 1].time.to_seconds() * 1e9 : t.end_ns;
    const manifest::LayerEntry& l = manifest_.layers[marks[k].layer];
    // The manifest's plan says where it runs (report.json's "where" without the firmware's record).
    const bool engine = l.engine.has_value();
    Slice s{l.name, start, end - start, {{"index", l.index}, {"type", l.type}, {"on_engine", engine}}};
    if (!engine) cpu_ops.slices.push_back(s);
    layers.slices.push_back(std::move(s));
    layer_spans.emplace_back(start, marks[k].layer);
  }
  const auto layer_at = [&](double ns) -> std::optional<std::uint32_t> {
    const auto it = std::upper_bound(layer_spans.begin(), layer_spans.end(), ns,
                                     [](double v, const auto& s) { return v < s.first; });
    if (it == layer_spans.begin()) return std::nullopt;
    return (it - 1)->second;
  };

  // Functions: the symbol of each sampled PC, held until a sample in another function.
  Track functions{"firmware: functions", {}};
  if (const cpu::ElfImage* image = soc_.cpu().image()) {
    const std::vector<cpu::ElfSymbol> symbols = image->functions();
    const auto name_of = [&](std::uint32_t pc) -> std::string {
      const auto it =
          std::upper_bound(symbols.begin(), symbols.end(), pc,
                           [](std::uint32_t v, const cpu::ElfSymbol& s) { return v < s.address; });
      if (it != symbols.begin() && pc < (it - 1)->address + (it - 1)->size) return (it - 1)->name;
      return hex(pc);
    };
    for (std::size_t i = 0; i < pc_samples_.size(); ++i) {
      const std::string name = name_of(pc_samples_[i].second);
      const double at = pc_samples_[i].first;
      const double next = i + 1 < pc_samples_.size() ? pc_samples_[i + 1].first : std::max(at, t.end_ns);
      if (!functions.slices.empty() && functions.slices.back().name == name)
        functions.slices.back().duration_ns = next - functions.slices.back().start_ns;
      else
        functions.slices.push_back({name, at, next - at, {{"pc", hex(pc_samples_[i].second)}}});
    }
  }
  t.tracks.push_back(std::move(layers));
  t.tracks.push_back(std::move(functions));
  t.tracks.push_back(std::move(cpu_ops));

  // The DMA channels: one track each, a slice per buffer moved.
  for (std::size_t c = 0; c < channel_names_.size(); ++c) {
    Track track{channel_names_[c], {}};
    for (const Transfer& x : transfers_) {
      if (x.channel != static_cast<int>(c)) continue;
      nlohmann::json args = {{"address", hex(x.address)}, {"bytes", x.bytes}};
      if (x.descriptor) args["descriptor"] = hex(*x.descriptor);
      track.slices.push_back({std::to_string(x.bytes) + " B @" + hex(x.address), x.start_ns,
                              x.end_ns - x.start_ns, std::move(args)});
    }
    t.tracks.push_back(std::move(track));
  }

  // The engine: its streams' packets (x input bands: input load, w weights and parameters, r fused-add
  // operands, y outputs: drain), its issue (compute) and its tiles.
  static const char* const kStreamTracks[] = {"engine: input load (x)", "engine: weights (w)",
                                              "engine: operand (r)", "engine: drain (y)"};
  const auto packet_track = [&](int s) {
    Track track{kStreamTracks[s], {}};
    for (const Packet& p : packets_[s])
      track.slices.push_back({std::to_string(p.beats) + " beats",
                              cycle_ns(p.first),
                              cycle_ns(p.last) - cycle_ns(p.first),
                              {{"beats", p.beats}, {"first_cycle", p.first}, {"last_cycle", p.last}}});
    return track;
  };
  for (int s : {0, 1, 2}) t.tracks.push_back(packet_track(s));
  Track compute{"engine: compute", {}};
  for (std::size_t i = 0; i < issue_runs_.size();) {
    std::uint64_t first = issue_runs_[i].first, last = issue_runs_[i].second, cycles = 0;
    for (; i < issue_runs_.size() && issue_runs_[i].first <= last + kComputeGap; ++i) {
      last = issue_runs_[i].second;
      cycles += issue_runs_[i].second - issue_runs_[i].first + 1;
    }
    compute.slices.push_back({"issue",
                              cycle_ns(first),
                              cycle_ns(last + 1) - cycle_ns(first),
                              {{"issue_cycles", cycles}, {"first_cycle", first}, {"last_cycle", last}}});
  }
  t.tracks.push_back(std::move(compute));
  t.tracks.push_back(packet_track(3));
  Track tiles{"engine: tiles", {}};
  std::optional<std::uint32_t> tile_layer;
  std::uint64_t tile_in_layer = 0;
  for (const auto& [first, last] : tiles_) {
    const std::optional<std::uint32_t> layer = layer_at(cycle_ns(last));
    tile_in_layer = layer == tile_layer ? tile_in_layer + 1 : 0;
    tile_layer = layer;
    const std::string name = (layer ? manifest_.layers[*layer].name + " " : std::string()) + "tile " +
                             std::to_string(tile_in_layer);
    tiles.slices.push_back({name,
                            cycle_ns(first),
                            cycle_ns(last) - cycle_ns(first),
                            {{"tile", tile_in_layer}, {"first_cycle", first}, {"last_cycle", last}}});
  }
  t.tracks.push_back(std::move(tiles));

  // Counters per bin: the DMAs' DRAM bytes (each transfer's spread evenly over its duration) and the
  // share of engine cycles that issued work to the PE array.
  const double period = cycle_ns(1);
  const double bin = std::max({kMinBinNs, t.end_ns / kMaxBins, period});
  const std::size_t bins = static_cast<std::size_t>(std::ceil(t.end_ns / bin)) + 1;
  std::vector<double> read(bins), written(bins), issued(bins);
  const auto spread = [&](std::vector<double>& into, double start, double end, double amount) {
    if (end <= start) {
      into[std::min(bins - 1, static_cast<std::size_t>(start / bin))] += amount;
      return;
    }
    for (auto b = static_cast<std::size_t>(start / bin); b < bins && b * bin < end; ++b) {
      const double lo = std::max(start, b * bin), hi = std::min(end, (b + 1) * bin);
      into[b] += amount * (hi - lo) / (end - start);
    }
  };
  for (const Transfer& x : transfers_) {
    const bool s2mm = channel_names_[x.channel].find("s2mm") != std::string::npos;
    spread(s2mm ? written : read, x.start_ns, x.end_ns, static_cast<double>(x.bytes));
  }
  for (const auto& [first, last] : issue_runs_)
    spread(issued, cycle_ns(first), cycle_ns(last + 1), static_cast<double>(last - first + 1));
  // A point only where a value changes: a counter holds its value until the next.
  const auto add = [](Counter& c, double at, nlohmann::json values) {
    if (c.points.empty() || c.points.back().values != values) c.points.push_back({at, std::move(values)});
  };
  Counter dram{"DRAM bandwidth (GB/s)", {}}, pe{"PE activity (%)", {}};
  for (std::size_t b = 0; b < bins; ++b) {
    add(dram, b * bin, {{"read", read[b] / bin}, {"write", written[b] / bin}});
    add(pe, b * bin, {{"issuing", 100.0 * issued[b] * period / bin}});
  }
  t.counters.push_back(std::move(dram));
  t.counters.push_back(std::move(pe));
  return t;
}

void Recorder::finish() {
  const auto write = [](const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path);
  };
  if (!options_.bus_file.empty()) {
    flush_bus_lines(true);
    bus_out_.close();
    if (!bus_out_) throw std::runtime_error("cannot write " + options_.bus_file);
  }
  if (options_.timeline_file.empty() && options_.svg_file.empty()) return;
  const Timeline t = timeline();
  if (!options_.timeline_file.empty()) write(options_.timeline_file, trace_events(t).dump() + "\n");
  if (!options_.svg_file.empty()) write(options_.svg_file, svg(t));
}

}  // namespace dnnvp::trace

#include "run_options.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "dnnvp_memory_map.hpp"
#include "engine_shape.h"
#include "fault_spec.h"
#include "log.h"
#include "version.h"

namespace po = boost::program_options;

namespace dnnvp {
namespace {

// Boost's optional<T> support needs boost::optional; keep std::optional in the struct.
template <typename T>
po::typed_value<T>* into_optional(std::optional<T>& slot) {
  return po::value<T>()->notifier([&slot](const T& v) { slot = v; });
}

// A count (cycles, a seed): digits only. Boost's own conversion accepts "-1" for an unsigned and wraps it.
po::typed_value<std::string>* count_into(std::optional<std::uint64_t>& slot, const std::string& option) {
  return po::value<std::string>()->notifier([&slot, option](const std::string& text) {
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || text.size() > 20 || (text.size() == 20 && text > "18446744073709551615"))
      throw std::invalid_argument("--" + option + ": must be a non-negative integer (at most 2^64-1), got '" +
                                  text + "'");
    slot = std::stoull(text);
  });
}

std::uint64_t parse_cycle(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("--trace-window: " + what + " '" + text + "' is not a cycle number");
  return std::stoull(text);
}

}  // namespace

void RunOptions::add_to(po::options_description& desc) {
  desc.add_options()  //
      ("engine", po::value<std::string>(&engine)->default_value(engine),
       "engine model: rtl (the Verilated engine, built once per shape) or fast (the C++ model, any shape)")(
          "max-cycles", count_into(max_cycles, "max-cycles"),
          "stop after N engine cycles (overrides run.max_cycles; 0: no limit)")(
          "stall-seed", count_into(stall_seed, "stall-seed"),
          "random valid/ready stalls on every engine stream from seed S (0: off)")(
          "stall-probability", into_optional(stall_probability),
          "probability of a stall per beat (run.stall_probability)")(
          "watchdog-cycles", count_into(watchdog_cycles, "watchdog-cycles"),
          "engine cycles without progress before the watchdog stops the run (0: off)")(
          "trace", po::value<std::string>(&trace_file), "write an FST waveform of the engine to FILE")(
          "trace-window", po::value<std::string>(&trace_window),
          "trace only engine cycles A:B (A inclusive, B exclusive)")(
          "trace-layer", po::value<std::string>(&trace_layer),
          "trace only the engine cycles of layer NAME (vp_run: runs the scenario twice)")(
          "trace-bus", po::value<std::string>(&trace_bus),
          "write every MMIO access and DMA transfer to FILE, one line each (docs/debugging.md)")(
          "trace-bus-filter", po::value<std::string>(&trace_bus_filter),
          "with --trace-bus: only these regions of the memory map (REGION,...: engine,dma0,...)")(
          "timeline", po::value<std::string>(&timeline),
          "write the run's timeline to FILE.json (trace-event format: Perfetto, chrome://tracing)")(
          "timeline-svg", po::value<std::string>(&timeline_svg), "draw the run's timeline to FILE.svg")(
          "plots", po::value<std::string>(&plots),
          "vp_run: after the run, draw per-layer cycles, utilisation and DRAM bytes into DIR "
          "(docs/sweeps.md)")(
          "cross-check", po::value<std::string>(&cross_check),
          "vp_run, with --engine fast: also run the rtl engine up to N sampled engine layers (or all) and "
          "report each one's cycle error and bit-exactness (docs/engine_model.md)")(
          "gdb", count_into(gdb_port, "gdb"),
          "serve gdb (target remote :PORT) on TCP PORT of 127.0.0.1 (0: any free port; docs/debugging.md)")(
          "gdb-wait", po::bool_switch(&gdb_wait), "with --gdb: wait for gdb before the first instruction")(
          "inject", po::value<std::vector<std::string>>(&inject)->composing(),
          "inject a fault, e.g. dram_flip:addr=0x80100000..0x80100fff,bits=3,at=layer:2 (repeatable; "
          "docs/debugging.md)")(
          "stop-on-fault", po::bool_switch(&stop_on_fault),
          "a DMA decode/slave/internal error stops the run at once (dma_fault) instead of only setting "
          "DMASR's error bits and Err_Irq for the firmware to handle")(
          ",q", po::bool_switch(&quiet), "quiet: no firmware console output, no progress; the summary only")(
          ",v", po::bool_switch(&verbose), "verbose: progress lines every few seconds and the statistics");
}

void RunOptions::check() const {
  if (quiet && verbose) throw std::invalid_argument("-q and -v exclude each other");
  if (stall_probability && !(*stall_probability >= 0.0 && *stall_probability < 1.0))
    throw std::invalid_argument("--stall-probability must be in [0, 1)");
  if (!trace_file.empty() && engine != "rtl")
    throw std::invalid_argument("--trace needs --engine rtl (only the Verilated engine has waveforms)");
  if (!trace_window.empty() && trace_file.empty())
    throw std::invalid_argument("--trace-window needs --trace FILE");
  if (!trace_layer.empty() && trace_file.empty())
    throw std::invalid_argument("--trace-layer needs --trace FILE");
  if (!trace_layer.empty() && !trace_window.empty())
    throw std::invalid_argument("--trace-layer and --trace-window exclude each other");
  if (!trace_bus_filter.empty() && trace_bus.empty())
    throw std::invalid_argument("--trace-bus-filter needs --trace-bus FILE");
  trace_bus_regions();
  if (gdb_port && *gdb_port > 65535) throw std::invalid_argument("--gdb: a TCP port is at most 65535");
  if (gdb_wait && !gdb_port) throw std::invalid_argument("--gdb-wait needs --gdb PORT");
  if (gdb_port && !trace_layer.empty())
    throw std::invalid_argument(
        "--gdb and --trace-layer exclude each other (--trace-layer runs the scenario twice)");
  if (!cross_check.empty()) {
    if (engine != "fast")
      throw std::invalid_argument(
          "--cross-check needs --engine fast (it checks the fast engine against the rtl one)");
    const bool count = cross_check.find_first_not_of("0123456789") == std::string::npos &&
                       cross_check.size() <= 9 && std::stoul(cross_check) > 0;
    if (cross_check != "all" && !count)
      throw std::invalid_argument("--cross-check: expected a number of layers >= 1 or 'all', got '" +
                                  cross_check + "'");
    if (gdb_port)
      throw std::invalid_argument("--gdb and --cross-check exclude each other (the scenario runs twice)");
  }
  window();
  for (const std::string& spec : inject) {
    try {
      faults::parse(spec);
    } catch (const faults::SpecError& e) {
      throw std::invalid_argument("--inject '" + spec + "': " + e.what());
    }
  }
}

std::string engine_model_name(const std::string& engine, const EngineShape& shape) {
  return engine_shape_key(shape) + (engine == "rtl" ? "" : "-" + engine);
}

void apply_log_level(const RunOptions& options) {
  log::set_threshold(options.quiet     ? log::Level::warning
                     : options.verbose ? log::Level::debug
                                       : log::Level::info);
}

std::vector<std::string> RunOptions::trace_bus_regions() const {
  std::vector<std::string> out;
  if (trace_bus_filter.empty()) return out;
  std::stringstream in(trace_bus_filter);
  for (std::string name; std::getline(in, name, ',');) {
    std::string all;
    for (std::size_t i = 0; i < memory_map::kMap.region_count; ++i)
      all += (all.empty() ? "" : ", ") + std::string(memory_map::kMap.regions[i].name);
    try {
      memory_map::region(name);
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("--trace-bus-filter: no region '" + name + "' in " +
                                  std::string(memory_map::kMap.source) + " (regions: " + all + ")");
    }
    out.push_back(name);
  }
  return out;
}

std::pair<std::uint64_t, std::uint64_t> RunOptions::window() const {
  if (trace_window.empty()) return {0, std::numeric_limits<std::uint64_t>::max()};
  const std::size_t colon = trace_window.find(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("--trace-window: expected A:B, got '" + trace_window + "'");
  const std::uint64_t a = parse_cycle(trace_window.substr(0, colon), "start");
  const std::uint64_t b = parse_cycle(trace_window.substr(colon + 1), "end");
  if (b <= a)
    throw std::invalid_argument("--trace-window: the end must be after the start, got '" + trace_window +
                                "'");
  return {a, b};
}

std::vector<std::string> RunOptions::to_args() const {
  std::vector<std::string> a;
  if (engine != "rtl") a.insert(a.end(), {"--engine", engine});
  if (max_cycles) a.insert(a.end(), {"--max-cycles", std::to_string(*max_cycles)});
  if (stall_seed) a.insert(a.end(), {"--stall-seed", std::to_string(*stall_seed)});
  if (stall_probability) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *stall_probability);
    a.insert(a.end(), {"--stall-probability", buf});
  }
  if (watchdog_cycles) a.insert(a.end(), {"--watchdog-cycles", std::to_string(*watchdog_cycles)});
  if (!trace_file.empty()) a.insert(a.end(), {"--trace", trace_file});
  if (!trace_window.empty()) a.insert(a.end(), {"--trace-window", trace_window});
  if (!trace_bus.empty()) a.insert(a.end(), {"--trace-bus", trace_bus});
  if (!trace_bus_filter.empty()) a.insert(a.end(), {"--trace-bus-filter", trace_bus_filter});
  if (!timeline.empty()) a.insert(a.end(), {"--timeline", timeline});
  if (!timeline_svg.empty()) a.insert(a.end(), {"--timeline-svg", timeline_svg});
  if (gdb_port) a.insert(a.end(), {"--gdb", std::to_string(*gdb_port)});
  if (gdb_wait) a.push_back("--gdb-wait");
  for (const std::string& spec : inject) a.insert(a.end(), {"--inject", spec});
  if (stop_on_fault) a.push_back("--stop-on-fault");
  if (quiet) a.push_back("-q");
  if (verbose) a.push_back("-v");
  return a;
}

EffectiveSettings effective_settings(const RunSettings& scenario, const RunOptions& o) {
  EffectiveSettings s{scenario, {}};
  const auto apply = [&s](const auto& option, auto& setting, const char* key) {
    if (!option) return;
    setting = *option;
    s.overridden.push_back(key);
  };
  apply(o.max_cycles, s.run.max_cycles, "max_cycles");
  apply(o.watchdog_cycles, s.run.watchdog_cycles, "watchdog_cycles");
  apply(o.stall_seed, s.run.stall_seed, "stall_seed");
  apply(o.stall_probability, s.run.stall_probability, "stall_probability");
  return s;
}

nlohmann::json settings_json(const EffectiveSettings& s, const RunOptions& o) {
  nlohmann::json trace = nullptr;
  if (!o.trace_file.empty()) {
    const auto [from, to] = o.window();
    trace = {{"file", o.trace_file},
             {"from", from},
             {"to", o.trace_window.empty() ? nlohmann::json(nullptr) : nlohmann::json(to)},
             {"layer", o.trace_layer.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.trace_layer)}};
  }
  nlohmann::json j = {{"overridden", s.overridden}, {"trace", trace}};
  RunSettings::keys(s.run, [&j](const char* key, const auto& value) { j[key] = value; });
  return j;
}

nlohmann::json report_header(const std::string& tool) {
  return {{"report_format", kReportFormat},
          {"tool", {{"name", tool}, {"version", version()}, {"commit", source_commit()}}}};
}

bool write_report(const std::string& path, const nlohmann::json& report) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    // Messages may quote paths or names that are not UTF-8: replaced, not an exception.
    f << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!f) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (!ec) return true;
  std::filesystem::remove(tmp, ec);
  return false;
}

std::string engine_model_key(const nlohmann::json& hw, bool trace) {
  EngineShape shape;
  for (const EngineParameter& p : kEngineParameters) shape.*p.member = hw.at(p.json_key).get<int>();
  shape.trace = trace;
  return engine_shape_key(shape);
}

}  // namespace dnnvp

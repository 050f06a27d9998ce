// The options of one platform run, shared by vp_run (which parses them, then hands them to the per-shape
// simulator) and vp_sim (the simulator itself). docs/platform.md, "vp_run".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "engine_shape.h"
#include "run_settings.h"

namespace dnnvp {

struct RunOptions {
  // The engine model (models/engine/engine_factory.h): "rtl" the Verilated engine of the scenario's shape,
  // "fast" the C++ model of any shape (no simulator build per shape).
  std::string engine = "rtl";
  std::optional<std::uint64_t> max_cycles;       // overrides run.max_cycles (engine cycles; 0: unbounded)
  std::optional<std::uint64_t> stall_seed;       // overrides run.stall_seed (0: no stalls)
  std::optional<double> stall_probability;       // overrides run.stall_probability
  std::optional<std::uint64_t> watchdog_cycles;  // overrides run.watchdog_cycles (0: off)
  std::string trace_file;                        // FST of the engine
  std::string trace_window;                      // "A:B" engine cycles; empty: the whole run
  std::string trace_layer;                       // vp_run only: the window is this layer's engine cycles
  std::string trace_bus;                         // the bus trace (docs/debugging.md)
  std::string trace_bus_filter;                  // REGION,...: the bus trace of these regions only
  std::string timeline;                          // the timeline as trace-event JSON
  std::string timeline_svg;                      // the timeline as SVG
  std::string plots;                             // vp_run only: per-layer plots of report.json into DIR
  std::string cross_check;                       // vp_run only, --engine fast: N or "all" layers on rtl too
  std::optional<std::uint64_t> gdb_port;         // serve gdb on this TCP port (0: any free one)
  bool gdb_wait = false;                         // the firmware's first instruction waits for gdb
  std::vector<std::string> inject;               // fault specs (platform/faults/fault_spec.h), in order
  bool stop_on_fault = false;                    // a DMA error stops the run (else DMASR + Err_Irq only)
  bool quiet = false;                            // no firmware console, no progress, summary only
  bool verbose = false;                          // progress lines and the statistics summary

  // Adds the options above to `desc`, storing into *this. Counts are checked while parsing (a negative
  // or non-numeric value is an error naming the option).
  void add_to(boost::program_options::options_description& desc);
  // Checks what parsing cannot (trace window syntax, -q with -v, probability range, the gdb port, the
  // fault specs' grammar); throws std::invalid_argument naming the option.
  void check() const;
  // The command-line arguments that reproduce these options (for vp_sim: without --trace-layer, which
  // vp_run turns into a window).
  std::vector<std::string> to_args() const;
  // --trace-bus-filter's regions (empty: every region); throws std::invalid_argument naming a region the
  // memory map does not have.
  std::vector<std::string> trace_bus_regions() const;
  // The window as [from, to); the whole run if empty.
  std::pair<std::uint64_t, std::uint64_t> window() const;
};

// Sets the global log threshold (models/base/log.h) the options ask for: -q errors and warnings only (no
// progress), -v debug messages too, neither: errors, warnings and information.
void apply_log_level(const RunOptions& options);

// The effective settings of a run: the scenario's `run` section (hw.json) with the options applied, as
// report.json records them.
struct EffectiveSettings {
  RunSettings run;
  std::vector<std::string> overridden;  // the keys set from the command line
};
EffectiveSettings effective_settings(const RunSettings& scenario, const RunOptions& options);
// report.json's "run" object: the settings, the keys overridden and the trace (file, window, layer).
nlohmann::json settings_json(const EffectiveSettings& settings, const RunOptions& options);

// The simulator cache key (engine_shape_key(), models/base/engine_shape.h) of the engine shape of a
// scenario's hardware object (hw.json, or engine_shape_json() of a HardwareConfig), built with or without
// tracing: "r4c8s64a8w8acc32d1024i262144...".
std::string engine_model_key(const nlohmann::json& hardware, bool trace);
// report.json's "engine_model": the shape's key, + "-fast" for the fast engine (the rtl engine's is the
// key of the simulator it ran in).
std::string engine_model_name(const std::string& engine, const EngineShape& shape);

// What every report.json starts with (docs/platform.md, "report.json"): its format version and the tool
// that wrote it (name, version, source commit).
constexpr int kReportFormat = 2;
nlohmann::json report_header(const std::string& tool);

// Process exit statuses of vp_run and vp_sim (docs/platform.md, "Exit status").
namespace exit_status {
constexpr int kPass = 0, kFail = 1, kBadInput = 2, kFault = 3, kMaxCycles = 4, kToolFailed = 5,
              kWatchdog = 124;
// A run ended by SIGINT or SIGTERM: 128 + the signal, as a shell reports it.
constexpr int interrupted(int signal) {
  return 128 + signal;
}
}  // namespace exit_status

// report.json's "step" while vp_run builds the scenario's simulator (vp_soak tells a failed build by it).
inline constexpr const char* kSimulatorBuildStep = "building the simulator";

// Writes `report` to `path` through a temporary file renamed into place, so a reader never sees half a
// report; returns false (and leaves no file) if it cannot.
bool write_report(const std::string& path, const nlohmann::json& report);

}  // namespace dnnvp

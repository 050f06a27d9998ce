// vp_run: one scenario end to end on the virtual platform (docs/platform.md, "vp_run"):
//   1. the generators write OUT (model.h, weights, input, expected output, manifest.json),
//   2. the simulator for the scenario's engine shape is found, or built once and cached by its key
//      (<build>/vp_sim/<key>/vp_sim: a sweep never rebuilds a shape it has built),
//   3. the firmware is cross-compiled against OUT/model.h (or --firmware ELF is taken as is),
//   4. vp_sim runs it and writes OUT/report.json; its exit status is vp_run's.
// OUT/report.json is removed first and every exit leaves one with the real status: vp_run writes it
// itself when a step before the simulation fails, when vp_sim dies without one, or on SIGINT/SIGTERM
// (which it passes on to the step running, each in its own process group).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "asic_osu.h"
#include "child_process.h"
#include "command_line.h"
#include "emit.h"
#include "engine_shape.h"
#include "error.h"
#include "fpga_outputs.h"
#include "log.h"
#include "manifest.h"
#include "run_options.h"
#include "scenario.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
namespace ex = dnnvp::exit_status;

namespace {

// A step failed: exit status 5 (a build), 2 (bad input) or 128 + signal (interrupted).
struct StepFailed : std::runtime_error {
  StepFailed(const std::string& what, int status) : std::runtime_error(what), status(status) {}
  int status;
};
struct ToolFailed : StepFailed {
  explicit ToolFailed(const std::string& what) : StepFailed(what, ex::kToolFailed) {}
};

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_child = 0;  // process group of the step running, 0: none

extern "C" void on_signal(int sig) {
  g_signal = sig;
  if (g_child > 0) kill(-static_cast<pid_t>(g_child), sig);
}

void stop_if_interrupted(const std::string& step) {
  if (g_signal != 0)
    throw StepFailed(
        std::string(g_signal == SIGINT ? "SIGINT" : "SIGTERM") + " stopped the run during " + step,
        ex::interrupted(g_signal));
}

// Runs a command and waits; with `log`, its stdout and stderr go there instead of the console.
int run_command(const std::vector<std::string>& argv, const std::string& log = "") {
  pid_t pid = 0;
  try {
    pid = dnnvp::start_in_own_group(argv, {log, log, true});
  } catch (const std::runtime_error& e) {
    throw ToolFailed(e.what());
  }
  g_child = pid;
  if (g_signal != 0) kill(-pid, g_signal);  // arrived before g_child was set
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      g_child = 0;
      throw ToolFailed("waiting for " + dnnvp::command_text(argv) + " failed");
    }
  g_child = 0;
  return dnnvp::exit_code_of(status);
}

void must_run(const std::vector<std::string>& argv, const std::string& what, const std::string& log = "") {
  const int status = run_command(argv, log);
  stop_if_interrupted(what);
  if (status != 0)
    throw ToolFailed(what + " failed" + (log.empty() ? "" : " (log: " + log + ")") + ": " +
                     dnnvp::command_text(argv));
}

// Runs the build `build` in a configured tree; when it fails, configures the tree again (`configure`) and
// builds once more. A tree configured before the engine's RTL file list changed fails in ninja's own
// re-configure, which re-runs Verilator's recorded command first; an explicit configure brings it up to date.
void build_configured(const std::vector<std::string>& build, const std::vector<std::string>& configure,
                      const std::string& what, const std::string& log) {
  try {
    must_run(build, what, log);
  } catch (const ToolFailed&) {
    must_run(configure, what + " (configuring again)", log);
    must_run(build, what, log);
  }
}

// The main build's target for a shape key, or "" if the main build does not make that shape.
std::string shipped_target(const std::string& key) {
  const std::string list = DNNVP_SHIPPED_SIMULATORS;  // "key=target,key=target"
  std::size_t pos = 0;
  while (pos < list.size()) {
    std::size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    const std::string item = list.substr(pos, end - pos);
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos && item.substr(0, eq) == key) return item.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

// An exclusive lock on a file while alive: two vp_runs (a sweep, the soak, ctest's parallel tests) never
// build into one tree at once.
class BuildLock {
 public:
  explicit BuildLock(const fs::path& path) : fd_(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw ToolFailed("cannot open the build lock " + path.string());
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      ::close(fd_);
      throw ToolFailed("cannot lock " + path.string());
    }
  }
  ~BuildLock() { ::close(fd_); }
  BuildLock(const BuildLock&) = delete;
  BuildLock& operator=(const BuildLock&) = delete;

 private:
  int fd_;
};

// The simulator for `shape` (with or without tracing), built or brought up to date (a no-op when it is;
// docs/platform.md: the cache).
std::string simulator_for(const dnnvp::EngineShape& shape, bool quiet) {
  const std::string key = dnnvp::engine_shape_key(shape);
  const fs::path dir = fs::path(DNNVP_BUILD_DIR) / "vp_sim" / key;
  const fs::path exe = dir / "vp_sim";
  if (const std::string target = shipped_target(key); !target.empty()) {
    // The main build's own target: built on demand (make run builds only the default shape) and kept
    // current after source edits.
    const BuildLock lock(fs::path(DNNVP_BUILD_DIR) / ".vp_run.lock");
    if (!quiet && !fs::exists(exe))
      std::cout << "vp_run: building " << target << " (log in " << DNNVP_BUILD_DIR << "/" << target
                << ".log)\n";
    build_configured({"cmake", "--build", DNNVP_BUILD_DIR, "--target", target},
                     {"cmake", "-S", DNNVP_SOURCE_DIR, "-B", DNNVP_BUILD_DIR}, "building " + target,
                     std::string(DNNVP_BUILD_DIR) + "/" + target + ".log");
    return exe.string();
  }
  std::vector<std::string> configure = {"cmake",
                                        "-S",
                                        std::string(DNNVP_SOURCE_DIR) + "/cmake/vp_sim",
                                        "-B",
                                        dir.string(),
                                        "-G",
                                        "Ninja",
                                        "-DDNNVP_BUILD_DIR=" + std::string(DNNVP_BUILD_DIR),
                                        std::string("-DDNNVP_ENGINE_TRACE=") + (shape.trace ? "ON" : "OFF")};
  for (const dnnvp::EngineParameter& p : dnnvp::kEngineParameters)
    configure.push_back("-DDNNVP_ENGINE_" + dnnvp::cmake_name(p) + "=" + std::to_string(shape.*p.member));
  const std::string log = (dir / "build.log").string();
  fs::create_directories(dir.parent_path());
  const BuildLock lock(dir.string() + ".lock");
  if (fs::exists(dir / "build.ninja")) {  // built here before: bring it up to date
    build_configured({"cmake", "--build", dir.string()}, configure, "updating the simulator for " + key, log);
    return exe.string();
  }
  if (!quiet)
    std::cout << "vp_run: building the simulator for engine shape " << key
              << " (once per shape; a few minutes, log in " << log << ")\n";
  fs::create_directories(dir);
  try {
    must_run(configure, "configuring the simulator for " + key, log);
    must_run({"cmake", "--build", dir.string()}, "building the simulator for " + key, log);
  } catch (const StepFailed&) {
    fs::remove(dir / "build.ninja");  // a half-configured tree is rebuilt from scratch next time
    throw;
  }
  return exe.string();
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream f(path);
  if (!f) throw ToolFailed("cannot read " + path.string());
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw ToolFailed(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

// What vp_run knows of the run it writes a report for.
struct RunState {
  std::string scenario_path, scenario_name, out, firmware;
  bool dump_layers = false;  // vp_gen's layer dumps: the platform then checks every layer against them
  bool build_only = false;   // only build the scenario's simulator (vp_sweep --build-only)
  bool resources = false;    // vp_gen --resources: report.json's "resources" even when not cached
  bool asic = false;         // vp_gen --asic: report.json's "asic" even when not cached
  dnnvp::RunOptions opt;
  std::string step = "reading the options";
  std::optional<dnnvp::manifest::Hardware> hw;  // hw.json once generated
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  fs::path report() const { return fs::path(out) / "report.json"; }
};

// The report of a run that ended before vp_sim wrote one (a step failed, a signal, vp_sim died).
void write_step_report(const RunState& s, int status, const std::string& message) {
  if (s.out.empty()) return;  // no output directory known (options or scenario unreadable)
  nlohmann::json rep = dnnvp::report_header("vp_run");
  const bool interrupted = g_signal != 0;  // not any status above 128: vp_sim may have crashed
  rep["status"] = interrupted ? "interrupted" : "error";
  rep["exit_status"] = status;
  rep["end"] = interrupted                 ? "interrupted"
               : status == ex::kBadInput   ? "bad_input"
               : status == ex::kToolFailed ? "tool_failed"
                                           : "simulator_failed";
  rep["step"] = s.step;
  rep["message"] = message;
  rep["bit_exact"] = false;
  rep["scenario"] = {{"name", s.scenario_name}, {"file", s.scenario_path}};
  rep["run"] = s.hw ? dnnvp::settings_json(dnnvp::effective_settings(s.hw->run, s.opt), s.opt)
                    : nlohmann::json(nullptr);
  rep["host"] = {
      {"firmware", s.firmware},
      {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - s.start).count()}};
  std::error_code ec;
  fs::create_directories(s.out, ec);
  if (!dnnvp::write_report(s.report().string(), rep))
    dnnvp::log::error("vp_run", "cannot write " + s.report().string());
}

// The shape of the simulator to run: the scenario's for the rtl engine (with tracing when asked); any
// simulator runs the fast engine at the scenario's shape, so the main build's default one (no build per
// shape).
dnnvp::EngineShape simulator_shape(const RunState& s, bool trace) {
  if (s.opt.engine != "rtl") return dnnvp::EngineShape{};
  dnnvp::EngineShape shape = s.hw->shape;
  shape.trace = trace;
  return shape;
}

// Runs vp_sim; its exit status. `report` empty: OUT/report.json.
int simulate(const RunState& s, const std::string& sim, const dnnvp::RunOptions& opt,
             const std::string& report, const std::string& log) {
  std::vector<std::string> args = {sim, "--dir", s.out, "--firmware", s.firmware};
  if (!report.empty()) args.insert(args.end(), {"--report", report});
  for (std::string& a : opt.to_args()) args.push_back(std::move(a));
  if (opt.verbose) std::cout << "vp_run: " << dnnvp::command_text(args) << "\n";
  return run_command(args, log);
}

// --trace-layer NAME: a first run without the trace finds the layer's engine cycles (runs are
// deterministic, so the traced run repeats them exactly); returns the window "A:B".
std::string layer_window(const RunState& s) {
  const fs::path first = fs::path(s.out) / "trace_layer_run.json";
  dnnvp::RunOptions plain = s.opt;
  plain.trace_file.clear();
  plain.trace_layer.clear();
  plain.quiet = true;
  plain.verbose = false;
  const std::string sim = simulator_for(simulator_shape(s, false), s.opt.quiet);
  if (!s.opt.quiet)
    std::cout << "vp_run: finding layer " << s.opt.trace_layer
              << "'s engine cycles (a run without the trace)\n";
  simulate(s, sim, plain, first.string(), (fs::path(s.out) / "trace_layer_run.log").string());
  stop_if_interrupted("the run that finds --trace-layer's cycles");
  const nlohmann::json rep = read_json(first);
  fs::remove(first);
  std::string names;
  for (const nlohmann::json& l : rep.value("layers", nlohmann::json::array())) {
    const std::string name = l.at("name");
    if (l.at("where") == "engine") names += (names.empty() ? "" : ", ") + name;
    if (name != s.opt.trace_layer) continue;
    if (l.at("where") != "engine")
      throw StepFailed("--trace-layer: layer '" + name + "' runs on the CPU; engine layers: " + names + "...",
                       ex::kBadInput);
    if (l.at("first_cycle").is_null())
      throw StepFailed("--trace-layer: layer '" + name + "' did not run (the run without the trace ended: " +
                           rep.value("end", std::string("?")) + ")",
                       ex::kBadInput);
    return std::to_string(l.at("first_cycle").get<std::uint64_t>()) + ":" +
           std::to_string(l.at("last_cycle").get<std::uint64_t>() + 1);
  }
  throw StepFailed(
      "--trace-layer: no layer '" + s.opt.trace_layer + "' in the network; engine layers: " + names,
      ex::kBadInput);
}

// --cross-check N|all (with --engine fast): the rtl engine runs the same scenario, firmware and layer dumps
// in the scenario's own simulator, up to the last of N engine layers sampled evenly from the fast run (all:
// to the end), so each sampled layer is compared where it ran: inside the platform, with the firmware's
// and the DMAs' reaction to the engine. The rtl run stops at that layer's end on the fast engine plus 2 %
// and 4096 cycles: a layer the rtl engine has not finished by then is off by more than the calibration
// bound. Adds report.json's "cross_check" and prints the largest error; returns whether every sampled
// layer was bit-exact on both engines (the platform's per-layer check against the dumps).
bool cross_check(const RunState& s) {
  nlohmann::json fast = read_json(s.report());
  const nlohmann::json& layers = fast.at("layers");
  std::vector<std::size_t> engine_layers;
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (layers[i].at("where") == "engine" && layers[i].value("engine_cycles", 0) > 0)
      engine_layers.push_back(i);
  if (engine_layers.empty())
    throw StepFailed("--cross-check: the fast run completed no engine layer", ex::kFail);
  const std::size_t n = s.opt.cross_check == "all"
                            ? engine_layers.size()
                            : std::min<std::size_t>(std::stoul(s.opt.cross_check), engine_layers.size());
  std::vector<std::size_t> sampled;
  for (std::size_t k = 0; k < n; ++k) sampled.push_back(engine_layers[k * engine_layers.size() / n]);

  const fs::path dir = fs::path(s.out) / "cross_check";
  fs::create_directories(dir);
  dnnvp::RunOptions rtl = s.opt;
  rtl.engine = "rtl";
  rtl.cross_check.clear();
  rtl.plots.clear();
  rtl.timeline.clear();
  rtl.timeline_svg.clear();
  rtl.trace_bus.clear();
  rtl.trace_bus_filter.clear();
  rtl.quiet = true;
  rtl.verbose = false;
  if (sampled.back() != engine_layers.back()) {
    const auto end = layers[sampled.back()].at("last_cycle").get<std::uint64_t>();
    rtl.max_cycles = end + end / 50 + 4096;
  }
  if (!s.opt.quiet)
    std::cout << "vp_run: cross-check: the rtl engine up to layer "
              << layers[sampled.back()].at("name").get<std::string>() << " (" << n << " of "
              << engine_layers.size() << " engine layers sampled)\n";
  const std::string sim = simulator_for(s.hw->shape, s.opt.quiet);
  // vp_sim writes the firmware's console into the run directory: keep the fast run's.
  const fs::path uart = fs::path(s.out) / "uart.log", kept = dir / "uart.fast.log";
  std::error_code ec;
  fs::rename(uart, kept, ec);
  const fs::path rtl_report = dir / "report.json";
  fs::remove(rtl_report, ec);
  simulate(s, sim, rtl, rtl_report.string(), (dir / "vp_sim.log").string());
  fs::rename(uart, dir / "uart.log", ec);
  fs::rename(kept, uart, ec);
  stop_if_interrupted("the cross-check's rtl run");
  const nlohmann::json ref = read_json(rtl_report);
  const nlohmann::json& ref_layers = ref.at("layers");

  // A layer is bit-exact on a run that completed it before the first layer diverging from the dumps.
  const auto exact = [](const nlohmann::json& rep, const nlohmann::json& layer) {
    if (!layer.value("completed", false)) return false;
    const nlohmann::json check = rep.value("layer_check", nlohmann::json::object());
    if (check.value("layers_checked", 0) == 0) return false;
    const nlohmann::json& d = check.at("first_divergence");
    return d.is_null() || d.at("layer_index").get<std::int64_t>() > layer.at("index").get<std::int64_t>();
  };
  nlohmann::json out = nlohmann::json::array();
  double worst = 0;
  std::string worst_layer;
  bool all_exact = true, all_reached = true;
  for (const std::size_t i : sampled) {
    const nlohmann::json& f = layers[i];
    const nlohmann::json& r = ref_layers.at(i);
    // The engine's CYCLES counter as the firmware reported it, or, when the rtl run stopped before the
    // firmware's report, the layer's window in the run (its first to last engine cycle).
    const bool counted = r.contains("engine_cycles") && f.contains("engine_cycles");
    const char* metric = counted ? "engine_cycles" : "cycles";
    const auto fast_cycles = f.at(metric).get<std::uint64_t>();
    nlohmann::json row = {
        {"name", f.at("name")}, {"index", f.at("index")}, {"metric", metric}, {"fast_cycles", fast_cycles}};
    const bool reached = r.value("completed", false);
    const bool bit_exact = exact(fast, f) && exact(ref, r);
    row["bit_exact"] = bit_exact;
    all_exact = all_exact && bit_exact;
    if (reached) {
      const auto rtl_cycles = r.at(metric).get<std::uint64_t>();
      const double error = (static_cast<double>(fast_cycles) - static_cast<double>(rtl_cycles)) /
                           static_cast<double>(rtl_cycles);
      row["rtl_cycles"] = rtl_cycles;
      row["error"] = error;
      if (worst_layer.empty() || std::fabs(error) > std::fabs(worst))
        worst = error, worst_layer = f.at("name").get<std::string>();
    } else {
      all_reached = false;
      row["rtl_cycles"] = nullptr;
      row["error"] = nullptr;
    }
    out.push_back(row);
  }
  fast["cross_check"] = {{"engine", "rtl"},
                         {"engine_model", ref.value("engine_model", "")},
                         {"report", rtl_report.string()},
                         {"rtl_end", ref.value("end", "")},
                         {"layers_sampled", n},
                         {"engine_layers", engine_layers.size()},
                         {"layers", out},
                         {"max_error", worst_layer.empty() ? nlohmann::json(nullptr) : nlohmann::json(worst)},
                         {"max_error_layer", worst_layer},
                         {"all_reached", all_reached},
                         {"bit_exact", all_exact}};
  dnnvp::write_report(s.report().string(), fast);
  char line[64];
  std::snprintf(line, sizeof line, "%+.2f %%", 100 * worst);
  std::cout << "  cross-check against the rtl engine: " << n << " engine layers, max cycle error "
            << (worst_layer.empty() ? std::string("-") : std::string(line) + " (" + worst_layer + ")")
            << (all_reached ? "" : ", some layers not finished on the rtl engine within 2 % + 4096 cycles")
            << ", " << (all_exact ? "bit-exact" : "NOT bit-exact") << "\n";
  return all_exact;
}

// --plots DIR: tools/sweep/plot_run.py draws the report's per-layer plots. A plotting failure is a warning:
// the run's status stays the simulation's.
void draw_plots(const RunState& s) {
  try {
    const int status = run_command({DNNVP_PYTHON, std::string(DNNVP_SOURCE_DIR) + "/tools/sweep/plot_run.py",
                                    s.report().string(), s.opt.plots});
    if (status != 0)
      dnnvp::log::warning("vp_run", "--plots: plot_run.py ended with status " + std::to_string(status) +
                                        "; the run's status is unchanged");
    else if (!s.opt.quiet)
      std::cout << "vp_run: plots in " << s.opt.plots << "\n";
  } catch (const StepFailed& e) {
    dnnvp::log::warning("vp_run", std::string("--plots: ") + e.what());
  }
}

int run(int argc, char** argv, RunState& s) {
  po::options_description visible(
      "Usage: vp_run SCENARIO [--out DIR] [--firmware ELF] [options]\n\n"
      "Runs the scenario's network on the virtual platform: generators, engine model (built once per\n"
      "shape), firmware, simulation. Writes DIR/report.json; exit status 0 only for a bit-exact PASS\n"
      "(1 fail, 2 bad input, 3 fault, 4 max cycles, 5 a build step failed, 124 watchdog,\n"
      "130/143 interrupted by SIGINT/SIGTERM). See docs/platform.md.\n\nOptions");
  visible.add_options()("out,o", po::value<std::string>(&s.out),
                        "output directory (default: out/<scenario name>)")(
      "firmware", po::value<std::string>(&s.firmware),
      "run this ELF instead of building the DNN application")(
      "dump-layers", po::bool_switch(&s.dump_layers),
      "write every layer's golden output (DIR/layers/, vp_gen --dump-layers): the platform compares each "
      "layer's output with it as the layer finishes and names the first diverging one")(
      "build-only", po::bool_switch(&s.build_only),
      "only build (or bring up to date) the simulator of the scenario's engine shape for the --engine "
      "asked, write nothing else, and exit")(
      "resources", po::bool_switch(&s.resources),
      "estimate the engine's FPGA resources (Yosys, minutes unless cached; docs/fpga.md) into report.json's "
      "\"resources\"; a cached estimate is reported without it")(
      "asic", po::bool_switch(&s.asic),
      "the engine's OSU 0.18 um area and timing (Yosys, OpenSTA; minutes unless cached; docs/asic.md) into "
      "report.json's \"asic\"; cached figures are reported without it");
  s.opt.add_to(visible);
  po::variables_map vm;
  try {
    if (!dnnvp::read_command_line("vp_run", argc, argv, visible, vm, "scenario", &s.scenario_path)) return 0;
    s.opt.check();
    if (s.scenario_path.empty()) throw std::invalid_argument("need a SCENARIO (see --help)");
    dnnvp::apply_log_level(s.opt);
  } catch (const std::exception& e) {
    dnnvp::log::error("vp_run", e.what());
    if (!s.out.empty()) {
      std::error_code ec;
      fs::remove(s.report(), ec);
      write_step_report(s, ex::kBadInput, e.what());
    }
    return ex::kBadInput;
  }

  s.step = "generating";
  dnnvp::Scenario scenario;
  try {
    scenario = dnnvp::load_scenario(s.scenario_path);
    s.scenario_name = scenario.name;
    if (s.out.empty()) s.out = "out/" + scenario.name;
    // The scenario's faults first, then --inject's: the simulator takes them all as --inject.
    s.opt.inject.insert(s.opt.inject.begin(), scenario.faults.begin(), scenario.faults.end());
  } catch (const std::exception& e) {  // dnnvp::Error names the file, line and field
    throw StepFailed(e.what(), ex::kBadInput);
  }
  if (s.build_only) {  // the shape from the scenario itself: no artefacts to generate
    s.hw.emplace();
    s.hw->shape = dnnvp::checked<dnnvp::manifest::EngineShape>(dnnvp::engine_shape_json(scenario.hardware),
                                                               s.scenario_path);
    s.out.clear();                   // nothing is written, no report either
    std::signal(SIGINT, on_signal);  // passed on to the build's process group
    std::signal(SIGTERM, on_signal);
    std::cout << simulator_for(simulator_shape(s, !s.opt.trace_file.empty()), s.opt.quiet) << "\n";
    return 0;
  }
  // From here on every exit writes OUT/report.json: none of an earlier run may survive this one.
  std::error_code ec;
  fs::remove(s.report(), ec);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    if (!s.firmware.empty() && !fs::is_regular_file(s.firmware))
      throw std::invalid_argument("--firmware: " + s.firmware + " is not a file");
    if (!s.opt.quiet) std::cout << "vp_run: generating " << scenario.name << " -> " << s.out << "\n";
    if (!s.opt.quiet && scenario.sizing)
      std::cout << "vp_run: sizing: " << scenario.sizing->explanation << "\n";
    // The cross-check compares each sampled layer's output with the dumps on both engines.
    dnnvp::generate(scenario, s.out, {s.dump_layers || !s.opt.cross_check.empty(), s.resources, s.asic});
  } catch (const std::exception& e) {
    throw StepFailed(e.what(), ex::kBadInput);
  }
  stop_if_interrupted("generating");

  const fs::path hw_json = fs::path(s.out) / "hw.json";
  s.hw = dnnvp::checked<dnnvp::manifest::Hardware>(read_json(hw_json), hw_json.string());
  s.step = dnnvp::kSimulatorBuildStep;
  const std::string sim = simulator_for(simulator_shape(s, !s.opt.trace_file.empty()), s.opt.quiet);

  if (s.firmware.empty()) {
    s.step = "building the firmware";
    must_run({std::string(DNNVP_SOURCE_DIR) + "/tools/build_firmware.sh", s.out, DNNVP_BUILD_DIR},
             "building the firmware", (fs::path(s.out) / "firmware.log").string());
    s.firmware = (fs::path(s.out) / "firmware.elf").string();
  }

  dnnvp::RunOptions opt = s.opt;
  if (!opt.trace_layer.empty()) {
    s.step = "finding --trace-layer's cycles";
    opt.trace_window = layer_window(s);
    if (!opt.quiet)
      std::cout << "vp_run: layer " << opt.trace_layer << ": engine cycles " << opt.trace_window << "\n";
  }
  s.step = "simulating";
  if (!opt.verbose) setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  const int status = simulate(s, sim, opt, "", "");
  if (fs::exists(s.report())) {
    const std::optional<nlohmann::json> resources = dnnvp::read_resources_json(s.out);
    const std::optional<nlohmann::json> asic = dnnvp::flows::read_asic_json(s.out);
    if (!opt.trace_layer.empty() || resources || asic) {
      nlohmann::json rep = read_json(s.report());
      if (!opt.trace_layer.empty())
        rep["run"]["trace"]["layer"] = opt.trace_layer;  // the window vp_sim traced
      if (resources) rep["resources"] = *resources;      // vp_gen's estimate (docs/fpga.md)
      if (asic) rep["asic"] = *asic;                     // vp_gen's OSU 0.18 um figures (docs/asic.md)
      dnnvp::write_report(s.report().string(), rep);
      if (resources && !opt.quiet) std::cout << "vp_run: " << dnnvp::resources_summary(*resources) << "\n";
      if (asic && !opt.quiet) std::cout << "vp_run: " << dnnvp::flows::asic_summary(*asic) << "\n";
    }
    // A run that did not pass has nothing to compare: its own status stands.
    if (!opt.cross_check.empty() && status != 0)
      dnnvp::log::warning("vp_run", "--cross-check: skipped, the fast engine's run did not pass");
    if (!opt.cross_check.empty() && status == 0 && !cross_check(s)) return ex::kFail;
    if (!opt.plots.empty()) draw_plots(s);
    return status;
  }
  stop_if_interrupted("the simulation");
  throw StepFailed(sim + " ended with status " + std::to_string(status) + " and wrote no report",
                   status == 0 ? ex::kFail : status);
}

}  // namespace

int main(int argc, char** argv) {
  RunState s;
  try {
    return run(argc, argv, s);
  } catch (const StepFailed& e) {
    dnnvp::log::error("vp_run", (e.status == ex::kBadInput ? "error: " : "") + std::string(e.what()));
    write_step_report(s, e.status, e.what());
    return e.status;
  } catch (const std::exception& e) {
    dnnvp::log::error("vp_run", std::string("error: ") + e.what());
    write_step_report(s, ex::kToolFailed, e.what());
    return ex::kToolFailed;
  }
}

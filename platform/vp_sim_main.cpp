// vp_sim: the platform simulator for one engine shape (the shape is linked in; vp_run picks or builds
// the right binary). Runs a firmware ELF on the SoC with a vp_gen output directory loaded into DRAM and
// writes report.json (docs/platform.md, "vp_run").
//
//   vp_sim --dir OUT --firmware OUT/firmware.elf [--report FILE] [run options]
//
// Exit status: 0 pass (firmware exit 0 and the output bit-exact), 1 fail, 2 bad input, 3 fault (CPU, bus
// or DMA), 4 max cycles reached, 124 watchdog, 128 + signal when SIGINT or SIGTERM stopped it. Every exit
// after the options are read leaves a report with that status; a stale report is removed first.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <systemc>

#include "command_line.h"
#include "elf_loader.h"
#include "engine/engine_factory.h"
#include "error.h"
#include "log.h"
#include "manifest.h"
#include "recorder.h"
#include "report.h"
#include "run_options.h"
#include "soc.h"

namespace po = boost::program_options;
namespace ex = dnnvp::exit_status;
using nlohmann::json;

namespace {

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  g_signal = sig;
  std::signal(sig, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// Stops the simulation soon after SIGINT/SIGTERM: a handler cannot call into SystemC, so this polls the
// flag every microsecond of simulated time (a few hundred engine cycles) until the CPU halts.
struct InterruptWatch : sc_core::sc_module {
  SC_HAS_PROCESS(InterruptWatch);
  InterruptWatch(const sc_core::sc_module_name& name, const dnnvp::Soc& soc) : sc_module(name), soc_(soc) {
    SC_THREAD(watch);
  }
  void watch() {
    while (!soc_.cpu().halted()) {
      if (g_signal != 0) {
        sc_core::sc_stop();
        return;
      }
      wait(sc_core::sc_time(1, sc_core::SC_US));
    }
  }
  const dnnvp::Soc& soc_;
};

// The engine must be the one the scenario describes.
void check_shape(const dnnvp::EngineShape& hw, const std::string& engine) {
  const dnnvp::EngineShape built = dnnvp::engine_kind(engine).shape(hw);
  for (const dnnvp::EngineParameter& p : dnnvp::kEngineParameters)
    if (hw.*p.member != built.*p.member)
      throw BadInput(std::string("hardware.") + p.json_key + " is " + std::to_string(hw.*p.member) +
                     " but this vp_sim's engine was built with " + std::to_string(built.*p.member) +
                     " (vp_run picks the binary that matches the scenario)");
}

dnnvp::SocConfig soc_config(const dnnvp::manifest::Hardware& hw, const dnnvp::RunSettings& run,
                            const dnnvp::RunOptions& opt, std::ostream* uart_log) {
  dnnvp::SocConfig c;
  c.hardware = hw;
  c.engine = opt.engine;
  c.run = run;
  c.trace_file = opt.trace_file;
  std::tie(c.trace_from, c.trace_to) = opt.window();
  c.uart_console = !opt.quiet;
  c.uart_log = uart_log;
  c.progress_seconds = opt.quiet ? 0.0 : opt.verbose ? 2.0 : 10.0;
  if (opt.gdb_port) c.gdb_port = static_cast<std::uint16_t>(*opt.gdb_port);
  c.gdb_wait = opt.gdb_wait;
  c.stop_on_fault = opt.stop_on_fault;
  c.interrupted = [] { return g_signal != 0; };
  for (const std::string& spec : opt.inject) c.faults.push_back(dnnvp::faults::parse(spec));
  return c;
}

int exit_status(const dnnvp::SocOutcome& o, bool pass, int signal) {
  if (signal != 0) return ex::interrupted(signal);
  if (pass) return ex::kPass;
  switch (o.end) {
    case dnnvp::SocEnd::kCpuFault:
    case dnnvp::SocEnd::kDmaFault:
      return ex::kFault;
    case dnnvp::SocEnd::kWatchdog:
      return ex::kWatchdog;
    case dnnvp::SocEnd::kMaxCycles:
      return ex::kMaxCycles;
    default:
      return ex::kFail;
  }
}

// "name value" lines of every statistic (-v), flattened by the dots of their names.
void print_stats(const json& j, const std::string& prefix, std::ostream& o) {
  if (!j.is_object()) {
    o << "    " << prefix << " " << j.dump() << "\n";
    return;
  }
  for (const auto& [k, v] : j.items()) print_stats(v, prefix.empty() ? k : prefix + "." + k, o);
}

// The trace window met no engine layer: the FST holds no engine activity.
void warn_empty_window(const json& report, const dnnvp::RunOptions& opt) {
  if (opt.trace_file.empty() || opt.trace_window.empty()) return;
  const auto [from, to] = opt.window();
  if (!dnnvp::layers_in_window(report, from, to).empty()) return;
  std::string text = "--trace-window " + opt.trace_window +
                     " captured no engine layer (the engine is idle there and its idle cycles are skipped); "
                     "engine layers ran at cycles:";
  for (const json& l : report.at("layers"))
    if (l.at("where") == "engine" && !l.at("first_cycle").is_null())
      text += " " + l.at("name").get<std::string>() + " " +
              std::to_string(l.at("first_cycle").get<std::uint64_t>()) + ".." +
              std::to_string(l.at("last_cycle").get<std::uint64_t>());
  dnnvp::log::warning("vp_sim", text + " (--trace-layer NAME picks one)");
}

struct Run {
  std::string dir, firmware, report_path;
  dnnvp::RunOptions opt;
};

int simulate(const Run& r) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::string manifest_path = dnnvp::manifest_path(r.dir);
  dnnvp::Manifest manifest;
  dnnvp::EffectiveSettings settings;
  try {
    manifest = dnnvp::read_manifest_dir(r.dir);
    settings = dnnvp::effective_settings(manifest.hardware.run, r.opt);
    // run.max_cycles 0 (the default): the plan's bound, so a hung firmware stops; --max-cycles 0: none.
    dnnvp::RunSettings& run = settings.run;
    if (!r.opt.max_cycles && run.max_cycles == 0)
      run.max_cycles = dnnvp::plan_cycle_bound(manifest, run.stall_seed != 0 ? run.stall_probability : 0.0);
  } catch (const dnnvp::Error& e) {
    throw BadInput(e.what());
  }
  const dnnvp::manifest::Hardware& hw = manifest.hardware;
  std::ofstream uart_log;
  dnnvp::SocConfig config = soc_config(hw, settings.run, r.opt, &uart_log);
  for (const dnnvp::manifest::LayerEntry& l : manifest.layers) config.layer_names.push_back(l.name);
  try {
    check_shape(hw.shape, config.engine);
  } catch (const std::invalid_argument& e) {  // an unknown engine
    throw BadInput(std::string("--engine: ") + e.what());
  }

  uart_log.open(r.dir + "/uart.log");
  std::unique_ptr<dnnvp::Soc> soc;
  try {
    soc = std::make_unique<dnnvp::Soc>("soc", config);
  } catch (const std::invalid_argument& e) {
    throw BadInput(e.what());
  }
  try {
    soc->load_firmware(r.firmware);
  } catch (const dnnvp::cpu::ElfError& e) {
    throw BadInput(std::string("--firmware: ") + e.what());
  }
  for (const dnnvp::manifest::DramFile& f : manifest.dram_image) {
    try {
      soc->load_file(f.addr, r.dir + "/" + f.file);
    } catch (const std::runtime_error& e) {
      throw BadInput(e.what());
    }
  }
  InterruptWatch interrupt_watch("interrupt_watch", *soc);
  dnnvp::trace::Options trace_options{r.opt.trace_bus, r.opt.trace_bus_regions(), r.opt.timeline,
                                      r.opt.timeline_svg, r.dir + "/layers"};
  std::unique_ptr<dnnvp::trace::Recorder> recorder;
  try {
    recorder = std::make_unique<dnnvp::trace::Recorder>(*soc, manifest, trace_options);
  } catch (const std::invalid_argument& e) {
    throw BadInput(e.what());
  }

  const dnnvp::SocOutcome& outcome = soc->run();
  recorder->finish();
  const int signal = g_signal;

  dnnvp::ReportInputs in;
  in.manifest = &manifest;
  in.soc = soc.get();
  in.run = dnnvp::settings_json(settings, r.opt);
  in.interrupted_by = signal;
  in.firmware_path = r.firmware;
  in.engine_model = dnnvp::engine_model_name(config.engine, soc->engine().shape());
  in.firmware =
      dnnvp::read_firmware_report(*soc, manifest.layers.size(), manifest.images.count, &in.firmware_note);
  // The platform's own check: every output element in DRAM against expected.bin, whatever the
  // firmware says.
  if (outcome.end == dnnvp::SocEnd::kExit && signal == 0) {
    try {
      in.output = dnnvp::check_images(*soc, manifest, &in.images);
    } catch (const std::out_of_range&) {
      throw BadInput(manifest_path + ": result or expected.bin lies outside DRAM");
    }
  }
  in.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  json report = dnnvp::make_report(in);
  if (recorder->layers_checked() != 0) {
    const std::optional<dnnvp::trace::Divergence>& d = recorder->divergence();
    report["layer_check"] = {{"layers_checked", recorder->layers_checked()},
                             {"first_divergence", d ? d->to_json() : json(nullptr)}};
  }
  if (signal != 0)
    report["message"] = std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") +
                        " stopped the run at engine cycle " + std::to_string(outcome.cycles) + "\n";
  const int status = exit_status(outcome, report.at("status") == "pass", signal);
  report["exit_status"] = status;
  if (!dnnvp::write_report(r.report_path, report))
    dnnvp::log::error("vp_sim", "cannot write " + r.report_path);
  if (!outcome.message.empty() && r.opt.verbose) std::cerr << outcome.message;
  std::cout << dnnvp::summary_text(report) << "  report: " << r.report_path << "\n";
  if (!in.output.bit_exact() && in.output.done) {
    std::cout << "  " << in.output.mismatches << " of " << in.output.elements
              << " output elements differ from expected.bin\n";
  }
  if (recorder->divergence())
    std::cout << "  first diverging from the layer dumps: " << recorder->divergence()->describe() << "\n";
  if (signal != 0)
    std::cout << "  " << report.at("message").get<std::string>();
  else if (outcome.end != dnnvp::SocEnd::kExit)
    std::cout << "  " << outcome.message.substr(0, outcome.message.find('\n')) << "\n";
  warn_empty_window(report, r.opt);
  if (r.opt.verbose) {
    std::cout << "  statistics:\n";
    print_stats(report.at("stats"), "", std::cout);
  }
  return status;
}

// The report of a run that could not start (bad input), so no stale report is left standing.
void write_error_report(const Run& r, int status, const std::string& message) {
  json rep = dnnvp::report_header("vp_sim");
  rep["status"] = "error";
  rep["exit_status"] = status;
  rep["end"] = "bad_input";
  rep["message"] = message;
  rep["bit_exact"] = false;
  rep["host"] = {{"firmware", r.firmware}};
  dnnvp::write_report(r.report_path, rep);
}

int run(int argc, char** argv) {
  Run r;
  po::options_description desc("vp_sim --dir OUT --firmware ELF [options]");
  desc.add_options()("dir", po::value<std::string>(&r.dir)->required(),
                     "vp_gen output directory (manifest.json, *.bin)")(
      "firmware", po::value<std::string>(&r.firmware)->required(), "firmware ELF to run")(
      "report", po::value<std::string>(&r.report_path), "report file (default: DIR/report.json)");
  r.opt.add_to(desc);
  po::variables_map vm;
  try {
    if (!dnnvp::read_command_line("vp_sim", argc, argv, desc, vm)) return ex::kPass;
    r.opt.check();
    if (!r.opt.trace_layer.empty())
      throw std::invalid_argument("--trace-layer is vp_run's (use --trace-window)");
  } catch (const std::exception& e) {
    dnnvp::log::error("vp_sim", e.what());
    return ex::kBadInput;
  }
  dnnvp::apply_log_level(r.opt);
  if (r.report_path.empty()) r.report_path = r.dir + "/report.json";
  std::error_code ec;
  std::filesystem::remove(r.report_path, ec);  // a failed run must not leave an earlier run's PASS behind
  // The kernel's "Simulation stopped by user." after every sc_stop() is noise here; the summary says why.
  if (!r.opt.verbose)
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    return simulate(r);
  } catch (const std::exception& e) {
    dnnvp::log::error("vp_sim", e.what());
    write_error_report(r, ex::kBadInput, e.what());
    return ex::kBadInput;
  }
}

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    dnnvp::log::error("vp_sim", e.what());
    return ex::kBadInput;
  }
}

// Our own main, so the SystemC banner is off before the kernel prints it (it does so before sc_main):
// vp_sim's own errors and summary come first. --version names the tool.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}

// vp_sim: the platform simulator for one engine shape (the shape is linked in; vp_run picks or builds
// the right binary). Runs a firmware ELF on the SoC with a vp_gen output directory loaded into DRAM and
// writes report.json (docs/platform.md, "vp_run").
//
//   vp_sim --dir OUT --firmware OUT/firmware.elf [--report FILE] [run options]
//
// Exit status: 0 pass (firmware exit 0 and the output bit-exact), 1 fail, 2 bad input, 3 fault (CPU, bus
// or DMA), 4 max cycles reached, 124 watchdog.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <systemc>

#include "elf_loader.h"
#include "report.h"
#include "run_options.h"
#include "soc.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace {

constexpr int kExitPass = 0, kExitFail = 1, kExitBadInput = 2, kExitFault = 3, kExitMaxCycles = 4,
              kExitWatchdog = 124;

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw BadInput(path + ": cannot open (run vp_gen SCENARIO -o DIR first)");
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    throw BadInput(path + ": not valid JSON: " + e.what());
  }
}

// The linked engine must be the one the scenario describes.
void check_shape(const json& hw) {
  const dnnvp::EngineShape s = dnnvp::EngineBridge::shape();
  const std::pair<const char*, long long> want[] = {{"rows", s.rows},
                                                    {"cols", s.cols},
                                                    {"stream_bits", s.stream_bits},
                                                    {"activation_bits", s.act_bits},
                                                    {"weight_bits", s.weight_bits},
                                                    {"accumulator_bits", s.acc_bits},
                                                    {"accumulator_depth", s.acc_depth},
                                                    {"input_buffer_bytes", s.input_buffer_bytes},
                                                    {"weight_buffer_bytes", s.weight_buffer_bytes},
                                                    {"output_buffer_bytes", s.output_buffer_bytes}};
  for (const auto& [key, value] : want)
    if (hw.at(key).get<long long>() != value)
      throw BadInput(std::string("hardware.") + key + " is " + std::to_string(hw.at(key).get<long long>()) +
                     " but this vp_sim's engine was built with " + std::to_string(value) +
                     " (vp_run picks the binary that matches the scenario)");
}

dnnvp::SocConfig soc_config(const json& hw, const dnnvp::RunOptions& opt, std::ostream* uart_log) {
  dnnvp::SocConfig c;
  c.engine_mhz = hw.at("clock_mhz");
  c.cpu_mhz = hw.value("cpu_mhz", c.cpu_mhz);
  const json& d = hw.at("dram");
  c.dram_preset = d.at("preset");
  c.dram_base = d.at("base");
  c.dram_bytes = d.at("size_mib").get<std::uint64_t>() << 20;
  const json& run = hw.at("run");
  c.max_cycles = opt.max_cycles.value_or(run.at("max_cycles").get<std::uint64_t>());
  c.watchdog_cycles = opt.watchdog_cycles.value_or(run.at("watchdog_cycles").get<std::uint64_t>());
  c.stall_seed = opt.stall_seed.value_or(run.at("stall_seed").get<std::uint64_t>());
  c.stall_probability = opt.stall_probability.value_or(run.at("stall_probability").get<double>());
  c.trace_file = opt.trace_file;
  std::tie(c.trace_from, c.trace_to) = opt.window();
  c.uart_console = !opt.quiet;
  c.uart_log = uart_log;
  c.progress_seconds = opt.quiet ? 0.0 : opt.verbose ? 2.0 : 10.0;
  return c;
}

int exit_status(const dnnvp::SocOutcome& o, bool pass) {
  if (pass) return kExitPass;
  switch (o.end) {
    case dnnvp::SocEnd::kCpuFault:
    case dnnvp::SocEnd::kDmaFault:
      return kExitFault;
    case dnnvp::SocEnd::kWatchdog:
      return kExitWatchdog;
    case dnnvp::SocEnd::kMaxCycles:
      return kExitMaxCycles;
    default:
      return kExitFail;
  }
}

int run(int argc, char** argv) {
  std::string dir, firmware, report_path;
  dnnvp::RunOptions opt;
  po::options_description desc("vp_sim --dir OUT --firmware ELF [options]");
  desc.add_options()("help,h", "this help")  //
      ("dir", po::value<std::string>(&dir)->required(), "vp_gen output directory (manifest.json, *.bin)")(
          "firmware", po::value<std::string>(&firmware)->required(), "firmware ELF to run")(
          "report", po::value<std::string>(&report_path), "report file (default: DIR/report.json)");
  opt.add_to(desc);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return kExitPass;
    }
    po::notify(vm);
    opt.check();
  } catch (const std::exception& e) {
    std::cerr << "vp_sim: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (report_path.empty()) report_path = dir + "/report.json";
  // The kernel's "Simulation stopped by user." after every sc_stop() is noise here; the summary says why.
  if (!opt.verbose)
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);

  const auto wall_start = std::chrono::steady_clock::now();
  const json manifest = read_json(dir + "/manifest.json");
  const json& hw = manifest.at("hardware");
  check_shape(hw);

  std::ofstream uart_log(dir + "/uart.log");
  dnnvp::SocConfig config = soc_config(hw, opt, &uart_log);
  // run.max_cycles 0 (the default): the plan's bound, so a hung firmware stops; --max-cycles 0: none.
  if (!opt.max_cycles && config.max_cycles == 0) config.max_cycles = dnnvp::plan_cycle_bound(manifest);
  dnnvp::Soc soc("soc", config);
  try {
    soc.load_firmware(firmware);
  } catch (const dnnvp::cpu::ElfError& e) {
    throw BadInput(std::string("--firmware: ") + e.what());
  }
  for (const json& f : manifest.at("dram_image")) {
    try {
      soc.load_file(f.at("addr"), dir + "/" + f.at("file").get<std::string>());
    } catch (const std::runtime_error& e) {
      throw BadInput(e.what());
    }
  }

  const dnnvp::SocOutcome& outcome = soc.run();

  dnnvp::ReportInputs in;
  in.manifest = &manifest;
  in.soc = &soc;
  in.firmware_path = firmware;
  in.engine_model = dnnvp::engine_model_key(hw, dnnvp::EngineBridge::shape().trace);
  in.firmware = dnnvp::read_firmware_report(soc, manifest.at("layers").size(), &in.firmware_note);
  // The platform's own check: every output element in DRAM against expected.bin, whatever the
  // firmware says.
  if (outcome.end == dnnvp::SocEnd::kExit) {
    const json& result = manifest.at("result");
    const json& image = manifest.at("dram_image");
    const auto expected_it = std::find_if(image.begin(), image.end(),
                                          [](const json& f) { return f.at("file") == "expected.bin"; });
    if (expected_it == image.end()) throw BadInput(dir + "/manifest.json: dram_image has no expected.bin");
    const json& expected = *expected_it;
    const json& q = manifest.at("output").at("quant");
    in.output = dnnvp::compare_output(soc.dram_at(result.at("addr"), result.at("bytes")),
                                      soc.dram_at(expected.at("addr"), expected.at("bytes")),
                                      result.at("elements"), q.at("bits"), q.at("signed"));
  }
  in.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const json report = dnnvp::make_report(in);
  {
    std::ofstream f(report_path);
    f << report.dump(2) << "\n";
    if (!f) std::cerr << "vp_sim: cannot write " << report_path << "\n";
  }
  if (!outcome.message.empty() && opt.verbose) std::cerr << outcome.message;
  std::cout << dnnvp::summary_text(report) << "  report: " << report_path << "\n";
  if (!in.output.bit_exact() && in.output.done) {
    std::cout << "  " << in.output.mismatches << " of " << in.output.elements
              << " output elements differ from expected.bin\n";
  }
  if (outcome.end != dnnvp::SocEnd::kExit)
    std::cout << "  " << outcome.message.substr(0, outcome.message.find('\n')) << "\n";
  return exit_status(outcome, report.at("status") == "pass");
}

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const BadInput& e) {
    std::cerr << "vp_sim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "vp_sim: " << e.what() << "\n";
    return kExitBadInput;
  }
}

// vp_run: one scenario end to end on the virtual platform (docs/platform.md, "vp_run"):
//   1. the generators write OUT (model.h, weights, input, expected output, manifest.json),
//   2. the simulator for the scenario's engine shape is found, or built once and cached by its key
//      (<build>/vp_sim/<key>/vp_sim: a sweep never rebuilds a shape it has built),
//   3. the firmware is cross-compiled against OUT/model.h (or --firmware ELF is taken as is),
//   4. vp_sim runs it and writes OUT/report.json; its exit status is vp_run's.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "emit.h"
#include "error.h"
#include "run_options.h"
#include "scenario.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitToolFailed = 5;  // generator, build or firmware compiler failed

struct ToolFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Runs a command and waits; with `log`, its stdout and stderr go there instead of the console.
int run_command(const std::vector<std::string>& argv, const std::string& log = "") {
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) throw ToolFailed("fork failed for: " + joined(argv));
  if (pid == 0) {
    if (!log.empty()) {
      if (!std::freopen(log.c_str(), "a", stdout) || !std::freopen(log.c_str(), "a", stderr)) _exit(127);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::perror(args[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw ToolFailed("waiting for " + joined(argv) + " failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void must_run(const std::vector<std::string>& argv, const std::string& what, const std::string& log = "") {
  if (run_command(argv, log) != 0)
    throw ToolFailed(what + " failed" + (log.empty() ? "" : " (log: " + log + ")") + ": " + joined(argv));
}

// The simulator for `key`, built if needed (docs/platform.md: the cache).
std::string simulator_for(const nlohmann::json& hw, const std::string& key, bool trace, bool quiet) {
  const fs::path dir = fs::path(DNNVP_BUILD_DIR) / "vp_sim" / key;
  const fs::path exe = dir / "vp_sim";
  if (fs::exists(dir / "build.ninja")) {  // built here before: bring it up to date (a no-op when it is)
    must_run({"cmake", "--build", dir.string()}, "updating the simulator for " + key,
             (dir / "build.log").string());
    return exe.string();
  }
  if (fs::exists(exe)) return exe.string();  // built by the main build, which keeps it current
  if (!quiet)
    std::cout << "vp_run: building the simulator for engine shape " << key
              << " (once per shape; a few minutes, log in " << (dir / "build.log").string() << ")\n";
  fs::create_directories(dir);
  auto v = [&hw](const char* k) { return std::to_string(hw.at(k).get<long long>()); };
  std::vector<std::string> configure = {"cmake",
                                        "-S",
                                        std::string(DNNVP_SOURCE_DIR) + "/cmake/vp_sim",
                                        "-B",
                                        dir.string(),
                                        "-G",
                                        "Ninja",
                                        "-DDNNVP_BUILD_DIR=" + std::string(DNNVP_BUILD_DIR),
                                        "-DDNNVP_ENGINE_ROWS=" + v("rows"),
                                        "-DDNNVP_ENGINE_COLS=" + v("cols"),
                                        "-DDNNVP_ENGINE_STREAM_BITS=" + v("stream_bits"),
                                        "-DDNNVP_ENGINE_ACT_BITS=" + v("activation_bits"),
                                        "-DDNNVP_ENGINE_WEIGHT_BITS=" + v("weight_bits"),
                                        "-DDNNVP_ENGINE_ACC_BITS=" + v("accumulator_bits"),
                                        "-DDNNVP_ENGINE_ACC_DEPTH=" + v("accumulator_depth"),
                                        "-DDNNVP_ENGINE_INPUT_BUFFER_BYTES=" + v("input_buffer_bytes"),
                                        "-DDNNVP_ENGINE_WEIGHT_BUFFER_BYTES=" + v("weight_buffer_bytes"),
                                        "-DDNNVP_ENGINE_OUTPUT_BUFFER_BYTES=" + v("output_buffer_bytes"),
                                        std::string("-DDNNVP_ENGINE_TRACE=") + (trace ? "ON" : "OFF")};
  const std::string log = (dir / "build.log").string();
  try {
    must_run(configure, "configuring the simulator for " + key, log);
    must_run({"cmake", "--build", dir.string()}, "building the simulator for " + key, log);
  } catch (const ToolFailed&) {
    fs::remove(dir / "build.ninja");  // a half-configured tree is rebuilt from scratch next time
    throw;
  }
  return exe.string();
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream f(path);
  if (!f) throw ToolFailed("cannot read " + path.string());
  return nlohmann::json::parse(f);
}

int run(int argc, char** argv) {
  std::string scenario_path, out, firmware;
  dnnvp::RunOptions opt;
  po::options_description visible(
      "Usage: vp_run SCENARIO [--out DIR] [--firmware ELF] [options]\n\n"
      "Runs the scenario's network on the virtual platform: generators, engine model (built once per\n"
      "shape), firmware, simulation. Writes DIR/report.json; exit status 0 only for a bit-exact PASS\n"
      "(1 fail, 2 bad input, 3 fault, 4 max cycles, 5 a build step failed, 124 watchdog).\n"
      "See docs/platform.md.\n\nOptions");
  visible.add_options()("help,h", "show this help")  //
      ("out,o", po::value<std::string>(&out), "output directory (default: out/<scenario name>)")(
          "firmware", po::value<std::string>(&firmware),
          "run this ELF instead of building the DNN application");
  opt.add_to(visible);
  po::options_description all;
  all.add(visible).add_options()("scenario", po::value<std::string>(&scenario_path));
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << visible << "\n";
      return 0;
    }
    po::notify(vm);
    opt.check();
    if (scenario_path.empty()) throw std::invalid_argument("need a SCENARIO (see --help)");
  } catch (const std::exception& e) {
    std::cerr << "vp_run: " << e.what() << "\n";
    return kExitBadInput;
  }

  dnnvp::Scenario scenario;
  try {
    scenario = dnnvp::load_scenario(scenario_path);
    if (out.empty()) out = "out/" + scenario.name;
    if (!firmware.empty() && !fs::is_regular_file(firmware))
      throw std::invalid_argument("--firmware: " + firmware + " is not a file");
    if (!opt.quiet) std::cout << "vp_run: generating " << scenario.name << " -> " << out << "\n";
    dnnvp::generate(scenario, out, {});
  } catch (const std::exception& e) {  // dnnvp::Error names the file, line and field
    std::cerr << "vp_run: error: " << e.what() << "\n";
    return kExitBadInput;
  }

  const nlohmann::json hw = read_json(fs::path(out) / "hw.json");
  const bool trace = !opt.trace_file.empty();
  const std::string key = dnnvp::engine_model_key(hw, trace);
  const std::string sim = simulator_for(hw, key, trace, opt.quiet);

  if (firmware.empty()) {
    must_run({std::string(DNNVP_SOURCE_DIR) + "/tools/build_firmware.sh", out, DNNVP_BUILD_DIR},
             "building the firmware", (fs::path(out) / "firmware.log").string());
    firmware = (fs::path(out) / "firmware.elf").string();
  }

  std::vector<std::string> args = {sim, "--dir", out, "--firmware", firmware};
  for (std::string& a : opt.to_args()) args.push_back(std::move(a));
  if (opt.verbose) std::cout << "vp_run: " << joined(args) << "\n";
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::cout.flush();
  if (!opt.verbose) setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  execv(cargs[0], cargs.data());
  throw ToolFailed("cannot execute " + sim);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const ToolFailed& e) {
    std::cerr << "vp_run: " << e.what() << "\n";
    return kExitToolFailed;
  } catch (const std::exception& e) {
    std::cerr << "vp_run: error: " << e.what() << "\n";
    return kExitToolFailed;
  }
}

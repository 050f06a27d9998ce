// What bounds a run (docs/platform.md, "Watchdogs and the run bound", "Memory layout"): the firmware
// linked for the scenario's dram.firmware_mib and the platform refusing a firmware that overlaps the
// model; a hung firmware stopped by the system watchdog, or with the watchdog off by the plan's default
// bound; healthy runs that the shortest watchdog window must not stop (an engine computing without a
// handshake, a CPU computing without MMIO, a fast engine beside a slow CPU). Each case runs vp_run or
// vp_sim as a process.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
  json report;         // DIR/report.json, null if none
};

// Runs `argv` with its output in out/command.log, then reads out/report.json.
Outcome run_in(const fs::path& out, const std::vector<std::string>& argv) {
  const dnnvp_test::ToolRun r = dnnvp_test::run_tool(argv, out);
  Outcome o;
  o.status = r.status;
  o.output = r.output;
  std::ifstream report(out / "report.json");
  if (report) o.report = json::parse(report, nullptr, false);
  return o;
}

fs::path fresh(const std::string& name) {
  const fs::path p = fs::path(DNNVP_TEST_TMP) / "run_bounds" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// A scenario file: tiny_cnn's network with `extra` YAML lines appended.
fs::path scenario(const fs::path& dir, const std::string& name, const std::string& extra) {
  const fs::path file = dir / (name + ".yaml");
  std::ofstream(file) << "name: " << name << "\nnetwork: {zoo: tiny_cnn}\ninput: {seed: 1}\n" << extra;
  return file;
}

Outcome vp_run(const fs::path& scenario_file, const fs::path& out,
               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {DNNVP_VP_RUN, scenario_file.string(), "--out", out.string(), "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_in(out, argv);
}

// vp_sim (4x8) on a generated directory with the given firmware; the report goes to `out`.
Outcome vp_sim(const fs::path& dir, const std::string& elf, const fs::path& out,
               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {DNNVP_VP_SIM_4X8,
                                   "--dir",
                                   dir.string(),
                                   "--firmware",
                                   elf,
                                   "--report",
                                   (out / "report.json").string(),
                                   "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_in(out, argv);
}

void require_pass(const Outcome& o) {
  INFO(o.output);
  REQUIRE(o.status == 0);
  REQUIRE(o.report.is_object());
  CHECK(o.report.at("status") == "pass");
}

const std::string k4x8 = "hardware: {rows: 4, cols: 8}\n";

}  // namespace

TEST_CASE("a scenario with a 1 MiB firmware reservation runs bit-exact: the firmware is linked for it",
          "[run_bounds][layout]") {
  const fs::path d = fresh("firmware_1mib");
  const Outcome o = vp_run(scenario(d, "fw1", k4x8 + "dram: {firmware_mib: 1}\n"), d / "out");
  require_pass(o);
  // The stack tops the 1 MiB reservation (the model starts right above it).
  std::ifstream map(d / "out" / "firmware.map");
  bool stack_at_top = false;
  for (std::string line; std::getline(map, line);)
    stack_at_top = stack_at_top || (line.find("__stack = ") != std::string::npos &&
                                    line.find("0x80100000") != std::string::npos);
  CHECK(stack_at_top);
}

TEST_CASE("a firmware whose stack and heap overlap the model is refused with exit 2 naming both regions",
          "[run_bounds][layout]") {
  const fs::path d = fresh("overlap");
  // The model at 0x80100000, and tiny_cnn's firmware built for the default 16 MiB reservation.
  const Outcome gen = vp_run(scenario(d, "fw1", k4x8 + "dram: {firmware_mib: 1}\n"), d / "out");
  require_pass(gen);
  const Outcome o = vp_sim(d / "out", DNNVP_TINY_CNN_ELF, d / "sim");
  INFO(o.output);
  CHECK(o.status == 2);
  CHECK(o.output.find("firmware heap and stack") != std::string::npos);
  CHECK(o.output.find("overlaps") != std::string::npos);
  CHECK(o.output.find("weights.bin [0x80100000") != std::string::npos);
  CHECK(o.output.find("dram.firmware_mib") != std::string::npos);
}

TEST_CASE("a hung firmware is stopped by the system watchdog, which names the loop",
          "[run_bounds][watchdog]") {
  const fs::path out = fresh("hang_watchdog");
  const Outcome o = vp_sim(DNNVP_TINY_CNN_DIR, DNNVP_HANG_ELF, out);
  INFO(o.output);
  CHECK(o.status == 124);
  REQUIRE(o.report.is_object());
  CHECK(o.report.at("end") == "watchdog");
  const std::string message = o.report.at("message");
  CHECK(message.find("the CPU spins in a loop at PC 0x8") != std::string::npos);
  CHECK(message.find("engine idle") != std::string::npos);
}

TEST_CASE("with the watchdog off a hung firmware stops at the plan's default bound with exit 4",
          "[run_bounds][max_cycles]") {
  const fs::path out = fresh("hang_bound");
  const Outcome o = vp_sim(DNNVP_TINY_CNN_DIR, DNNVP_HANG_ELF, out, {"--watchdog-cycles", "0"});
  INFO(o.output);
  CHECK(o.status == 4);
  REQUIRE(o.report.is_object());
  CHECK(o.report.at("end") == "max_cycles");
  // tiny_cnn runs in about 0.12 M engine cycles; the bound is a generous multiple of the plan.
  const auto cycles = o.report.at("totals").at("cycles").get<std::uint64_t>();
  CHECK(cycles > 1000000);
  CHECK(cycles < 20000000);
  CHECK(o.report.at("run").at("max_cycles") == cycles);  // the report names the bound it used
  // Random stalls slow the engine's part: the bound allows for them.
  const Outcome stalled =
      vp_sim(DNNVP_TINY_CNN_DIR, DNNVP_HANG_ELF, fresh("hang_bound_stalls"),
             {"--watchdog-cycles", "0", "--stall-seed", "3", "--stall-probability", "0.9"});
  INFO(stalled.output);
  CHECK(stalled.status == 4);
  REQUIRE(stalled.report.is_object());
  CHECK(stalled.report.at("totals").at("cycles").get<std::uint64_t>() > cycles);
}

TEST_CASE("healthy runs pass with the shortest watchdog window", "[run_bounds][watchdog]") {
  const fs::path d = fresh("healthy");
  const std::vector<std::string> shortest = {"--watchdog-cycles", "100"};
  SECTION("tiny_cnn: tiles computing for thousands of cycles without a handshake") {
    require_pass(vp_run(scenario(d, "tiny", k4x8), d / "tiny", shortest));
  }
  SECTION("jettagger: CPU-side layers computing without MMIO accesses") {
    require_pass(vp_run(fs::path(DNNVP_SOURCE_DIR) / "scenarios" / "jettagger.yaml", d / "jet", shortest));
  }
  SECTION(
      "a 5 GHz engine beside a 1 MHz CPU: the engine waits thousands of its cycles for each instruction") {
    require_pass(
        vp_run(scenario(d, "slow_cpu", "hardware: {rows: 4, cols: 8, clock_mhz: 5000, cpu_mhz: 1}\n"),
               d / "slow_cpu", shortest));
  }
}

TEST_CASE("a single 1x1-array tile computing 1.6 M cycles without a handshake passes the shortest window",
          "[run_bounds][watchdog][shape_build]") {
  // Its own engine shape: vp_run builds it once (about two minutes) under the build tree's vp_sim/.
  const fs::path d = fresh("long_tile");
  const fs::path file = d / "long_tile.yaml";
  std::ofstream(file)
      << "name: long_tile\ninput: {shape: [32, 32, 64], seed: 1}\n"
         "network:\n  layers:\n    - {name: c, type: conv, filters: 1, kernel: 5, padding: 2}\n"
         "hardware: {rows: 1, cols: 1}\n";
  const Outcome o = vp_run(file, d / "out", {"--watchdog-cycles", "100"});
  require_pass(o);
  CHECK(o.report.at("stats").at("engine").at("longest_no_progress_cycles").get<std::uint64_t>() < 50);
}

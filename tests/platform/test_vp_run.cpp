// vp_run and vp_sim end to end: networks through firmware, DMAs, DRAM and the Verilated engine, bit-exact;
// random stalls; determinism; firmware faults, watchdogs, max cycles and bad input ending with a clear
// message and the documented exit status (docs/platform.md, "vp_run").
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "emit.h"
#include "error.h"
#include "manifest.h"
#include "run_options.h"
#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Result = dnnvp_test::ToolRun;
using dnnvp_test::run_tool;

fs::path tmp(const std::string& name) {
  const fs::path p = fs::path(DNNVP_TEST_TMP) / name;
  fs::remove_all(p);
  return p;
}

json report(const fs::path& dir, const std::string& file = "report.json") {
  std::ifstream f(dir / file);
  REQUIRE(f.good());
  return json::parse(f);
}

Result vp_run(const std::string& scenario, const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/scenarios/" + scenario,
                                   "--out", out.string(), "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_tool(argv, out);
}

// vp_sim on tiny_cnn's generated directory with another firmware.
Result vp_sim(const std::string& firmware, const fs::path& out, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), "-q");
  return dnnvp_test::vp_sim_firmware(DNNVP_VP_SIM_4X8, DNNVP_TINY_CNN_DIR, firmware, out, extra);
}

// What every passing report must hold (the fields docs/platform.md lists).
void check_pass_report(const json& r, const std::string& network) {
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("exit_code") == 0);
  CHECK(r.at("scenario").at("name") == network);
  CHECK(r.at("output_check").at("mismatches") == 0);
  CHECK(r.at("output_check").at("elements").get<int>() > 0);
  for (const char* k : {"rows", "cols", "clock_mhz", "cpu_mhz"}) CHECK(r.at("hardware").contains(k));
  const json& t = r.at("totals");
  CHECK(t.at("cycles").get<std::uint64_t>() > 0);
  CHECK(t.at("macs") == t.at("engine_macs"));  // every MAC ran on the engine and was counted there
  const double util = t.at("pe_utilization");
  CHECK(util > 0.0);
  CHECK(util <= t.at("pe_utilization_bound").get<double>() + 1e-9);
  for (const char* k : {"input", "weight", "output", "injected"}) CHECK(t.at("stalls").contains(k));
  CHECK(t.at("cpu").at("instructions").get<std::uint64_t>() > 0);
  const json& d = t.at("dram");
  CHECK(d.at("read_bytes").get<std::uint64_t>() > 0);
  CHECK(d.at("write_bytes").get<std::uint64_t>() > 0);
  CHECK(d.at("energy_pj").get<double>() > 0);
  CHECK(d.at("row_hits").get<std::uint64_t>() + d.at("row_misses").get<std::uint64_t>() > 0);
  for (const char* i : {"dma0.mm2s", "dma0.s2mm", "dma1.mm2s", "dma2.mm2s"})
    CHECK(d.at("per_initiator").contains(i));
  // Energy (docs/asic.md): the components add up, DRAM is the DRAM model's, MACs and buffers cost something.
  const json& e = r.at("energy");
  const json& c = e.at("components");
  CHECK(e.at("per_frame_uj").get<double>() ==
        Approx(c.at("mac").get<double>() + c.at("sram").get<double>() + c.at("dram").get<double>()));
  CHECK(c.at("dram").get<double>() == Approx(d.at("energy_pj").get<double>() / 1e6 / r.at("images").size()));
  CHECK(c.at("mac").get<double>() > 0);
  CHECK(c.at("sram").get<double>() > 0);
  CHECK(r.at("host").at("wall_seconds").get<double>() > 0);
  CHECK(r.at("host").at("simulated_cycles_per_second").get<double>() > 0);

  std::uint64_t layer_read = 0, layer_written = 0;
  for (const json& l : r.at("layers")) {
    INFO("layer " << l.at("name"));
    CHECK(l.at("ran") == true);
    CHECK(l.at("completed") == true);
    layer_read += l.at("dram_read_bytes").get<std::uint64_t>();
    layer_written += l.at("dram_write_bytes").get<std::uint64_t>();
    if (l.at("where") == "engine") {
      CHECK(l.at("cycles").get<std::uint64_t>() > 0);
      CHECK(l.at("engine_macs") == l.at("macs"));
      CHECK((l.at("pe_utilization").get<double>() > 0.0 || l.at("macs") == 0));  // a pool has no MACs
      CHECK(l.at("pe_utilization").get<double>() <= l.at("pe_utilization_bound").get<double>() + 1e-9);
      // (Its reads may all fall in the previous layer's window: cross-layer overlap prefetches them.)
      CHECK(l.at("dram_write_bytes").get<std::uint64_t>() > 0);
      CHECK(l.contains("stalls"));
    } else {  // on the CPU, or run by its producer (mapping.fuse)
      const std::string where = l.at("where");
      CHECK((where == "cpu" || where.rfind("engine (fused into ", 0) == 0));
    }
  }
  // Layer marks cover every DMA byte of the run.
  CHECK(layer_read == d.at("read_bytes"));
  CHECK(layer_written == d.at("write_bytes"));
}

// The report without what depends on the host (paths, wall time, speeds): all of it but "host".
json deterministic_part(json r) {
  r.erase("host");
  return r;
}

}  // namespace

TEST_CASE("vp_run runs tiny_cnn through firmware, DMAs, DRAM and the engine bit-exact", "[vp_run]") {
  const fs::path out = tmp("tiny_cnn");
  const Result r = vp_run("tiny_cnn.yaml", out);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("PASS") != std::string::npos);
  check_pass_report(report(out), "tiny_cnn");
  // The firmware's console is kept in a log.
  std::ifstream uart(out / "uart.log");
  std::stringstream s;
  s << uart.rdbuf();
  CHECK(s.str().find("PASS") != std::string::npos);
}

TEST_CASE("tiny_cnn stays bit-exact with random stalls on every stream, which cost cycles", "[vp_run]") {
  const fs::path plain = tmp("tiny_cnn_plain"), stalled = tmp("tiny_cnn_stalls");
  REQUIRE(vp_run("tiny_cnn.yaml", plain).status == 0);
  const Result r = vp_run("tiny_cnn.yaml", stalled, {"--stall-seed", "7", "--stall-probability", "0.5"});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json a = report(plain), b = report(stalled);
  check_pass_report(b, "tiny_cnn");
  const json& inj = b.at("totals").at("stalls").at("injected");
  CHECK(inj.at("x").get<std::uint64_t>() > 0);
  CHECK(inj.at("w").get<std::uint64_t>() > 0);
  CHECK(inj.at("y").get<std::uint64_t>() > 0);
  CHECK(b.at("totals").at("engine_cycles").get<std::uint64_t>() >
        a.at("totals").at("engine_cycles").get<std::uint64_t>());
}

TEST_CASE("the same scenario and seeds give the same report but for its host part, run after run",
          "[vp_run]") {
  const fs::path a = tmp("tiny_cnn_det_a"), b = tmp("tiny_cnn_det_b");
  REQUIRE(vp_run("tiny_cnn.yaml", a, {"--stall-seed", "11"}).status == 0);
  REQUIRE(vp_run("tiny_cnn.yaml", b, {"--stall-seed", "11"}).status == 0);
  const json ra = report(a), rb = report(b);
  CHECK(ra.at("host").at("firmware") != rb.at("host").at("firmware"));  // two directories
  CHECK(deterministic_part(ra) == deterministic_part(rb));
}

TEST_CASE("vp_run runs the jet tagger bit-exact, also with random stalls", "[vp_run]") {
  const fs::path plain = tmp("jettagger"), stalled = tmp("jettagger_stalls");
  const Result r = vp_run("jettagger.yaml", plain);
  INFO(r.output);
  REQUIRE(r.status == 0);
  check_pass_report(report(plain), "jettagger");
  const Result s = vp_run("jettagger.yaml", stalled, {"--stall-seed", "3"});
  INFO(s.output);
  REQUIRE(s.status == 0);
  check_pass_report(report(stalled), "jettagger");
}

TEST_CASE("vp_run runs ResNet-50's first layers at full size bit-exact (7x7 stem, strided 1x1 downsample)",
          "[vp_run]") {
  const fs::path out = tmp("resnet50_layers");
  const Result r = run_tool(
      {DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/tests/rtl/engine/scenarios/resnet50_layers_8x16.yaml",
       "--out", out.string(), "-q"},
      out);
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json rep = report(out);
  check_pass_report(rep, "resnet50_layers_8x16");
  // The 3x3 stride-2 max pool and the residual add ran on the CPU, the convolutions on the engine.
  for (const json& l : rep.at("layers"))
    CHECK(l.at("where") == ((l.at("type") == "conv") ? "engine" : "cpu"));
}

namespace {

// vp_run on a numerics scenario (tests/scenarios/, on the shipped 4x8 simulator): a bit-exact PASS on
// every element of the network output, which is the layer under test (`output_layer`, `elements` values).
// tests/generators/test_rounding_cases.cpp shows the ties and padded windows occur in these outputs.
void check_numerics_scenario(const std::string& name, const std::string& output_layer, int elements) {
  const fs::path out = tmp(name);
  const Result r =
      run_tool({DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/tests/scenarios/" + name + ".yaml", "--out",
                out.string(), "-q"},
               out);
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json rep = report(out);
  check_pass_report(rep, name);
  CHECK(rep.at("output_check").at("elements") == elements);
  CHECK(rep.at("layers").back().at("name") == output_layer);
  for (const json& l : rep.at("layers"))
    CHECK(l.at("where") == ((l.at("type") == "conv") ? "engine" : "cpu"));
}

}  // namespace

TEST_CASE("vp_run rounds requantisation and residual-add ties toward +infinity, both signs, bit-exact",
          "[vp_run][numerics]") {
  check_numerics_scenario("numerics_ties_pow2", "sum", 10 * 10 * 8);
}

TEST_CASE("vp_run rounds requantisation, residual-add and average ties to even in half_even mode, bit-exact",
          "[vp_run][numerics]") {
  check_numerics_scenario("numerics_ties_half_even", "avg", 5 * 5 * 8);
}

TEST_CASE("vp_run max-pools over asymmetric padding on every edge bit-exact, padding never the maximum",
          "[vp_run][numerics]") {
  check_numerics_scenario("numerics_maxpool_padding", "p1", 3 * 6 * 8);
}

TEST_CASE("vp_run average-pools padded windows by their in-bounds count, ties up, bit-exact",
          "[vp_run][numerics]") {
  check_numerics_scenario("numerics_avgpool_padding", "p1", 3 * 7 * 8);
}

TEST_CASE("vp_run runs a firmware ELF built elsewhere (option firmware)", "[vp_run]") {
  const fs::path out = tmp("tiny_cnn_own_elf");
  const Result r = vp_run("tiny_cnn.yaml", out, {"--firmware", DNNVP_TINY_CNN_ELF});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json rep = report(out);
  CHECK(rep.at("host").at("firmware") == DNNVP_TINY_CNN_ELF);
  CHECK(rep.at("status") == "pass");
}

namespace {

// Runs fault firmware N on tiny_cnn's model; checks the exit status and how the report says the run
// ended; returns the report's message.
std::string failed_run(int fault, const std::string& name, int status, const std::string& end,
                       const std::vector<std::string>& extra = {}) {
  const fs::path out = tmp(name);
  const Result r = vp_sim(std::string(DNNVP_FAULT_ELF_PREFIX) + std::to_string(fault) + ".elf", out, extra);
  INFO(r.output);
  CHECK(r.status == status);
  const json rep = report(out);
  CHECK(rep.at("status") == "fail");
  CHECK(rep.at("end") == end);
  return rep.at("message");
}

void check_mentions(const std::string& message, std::initializer_list<const char*> parts) {
  INFO(message);
  for (const char* p : parts) CHECK(message.find(p) != std::string::npos);
}

}  // namespace

TEST_CASE("with --stop-on-fault a DMA from an unmapped address ends the run with exit 3 naming the address",
          "[vp_run][fault]") {
  check_mentions(failed_run(1, "fault_dma", 3, "dma_fault", {"--stop-on-fault"}),
                 {"dma0.mm2s", "decode error", "0x20000000"});
}

TEST_CASE("a misaligned engine register access ends the run with exit 3 naming address and size",
          "[vp_run][fault]") {
  check_mentions(failed_run(2, "fault_misaligned", 3, "cpu_fault"), {"misaligned", "0x43c00002", "4 bytes"});
}

TEST_CASE("an engine starved of data trips the watchdog, which reports every stream and DMA",
          "[vp_run][watchdog]") {
  check_mentions(failed_run(3, "watchdog_engine", 124, "watchdog", {"--watchdog-cycles", "20000"}),
                 {"engine busy", "s_axis_x", "s_axis_w", "m_axis_y", "queued tiles=1", "dma0.mm2s",
                  "dma0.s2mm", "dma1.mm2s"});
}

TEST_CASE("firmware polling a DMA that never completes trips the system watchdog", "[vp_run][watchdog]") {
  // Every DMA has scatter/gather (DMASR.SGIncld, 0x8); dma2, never started, reads halted.
  check_mentions(failed_run(4, "watchdog_system", 124, "watchdog", {"--watchdog-cycles", "20000"}),
                 {"the CPU only polls", "dma0.s2mm: DMASR 0x00000008 busy",
                  "dma2.mm2s: DMASR 0x00000009 halted", "s_axis_x", "m_axis_y"});
}

TEST_CASE("a run that reaches max cycles stops with exit 4 and a report", "[vp_run]") {
  const fs::path out = tmp("max_cycles");
  const Result r = vp_run("tiny_cnn.yaml", out, {"--max-cycles", "5000"});
  INFO(r.output);
  CHECK(r.status == 4);
  const json rep = report(out);
  CHECK(rep.at("end") == "max_cycles");
  CHECK(rep.at("totals").at("cycles") == 5000);
}

TEST_CASE("an output that differs from expected.bin fails, with the elements named", "[vp_run]") {
  const fs::path out = tmp("corrupt_expected"), dir = out / "model";
  fs::create_directories(out);
  fs::copy(DNNVP_TINY_CNN_DIR, dir, fs::copy_options::recursive);
  {
    std::fstream f(dir / "expected.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put(static_cast<char>(0x5A));
  }
  const Result r =
      run_tool({DNNVP_VP_SIM_4X8, "--dir", dir.string(), "--firmware", DNNVP_TINY_CNN_ELF, "-q"}, out);
  INFO(r.output);
  CHECK(r.status == 1);
  const json rep = report(dir);
  CHECK(rep.at("status") == "fail");
  CHECK(rep.at("bit_exact") == false);
  CHECK(rep.at("exit_code") == 1);  // the firmware's own check failed too
  CHECK(rep.at("output_check").at("mismatches") == 1);
  CHECK(rep.at("output_check").at("first_mismatches").at(0).at("index") == 3);
}

TEST_CASE("bad input is an error naming the field or file, exit 2", "[vp_run]") {
  const fs::path out = tmp("bad_input");
  fs::create_directories(out);
  {
    std::ofstream f(out / "bad.yaml");
    f << "network: {zoo: tiny_cnn}\nhardware:\n  rows: 0\n";
  }
  Result r = run_tool({DNNVP_VP_RUN, (out / "bad.yaml").string(), "--out", (out / "o").string()}, out);
  CHECK(r.status == 2);
  CHECK(r.output.find("hardware.rows: must be 1..256, got 0") != std::string::npos);

  r = vp_run("tiny_cnn.yaml", out / "o2", {"--firmware", (out / "missing.elf").string()});
  CHECK(r.status == 2);
  CHECK(r.output.find("missing.elf") != std::string::npos);

  r = vp_run("tiny_cnn.yaml", out / "o3", {"--trace-window", "10:5", "--trace", "x.fst"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--trace-window") != std::string::npos);

  r = vp_sim((out / "bad.yaml").string(), out / "o4");  // not an ELF
  CHECK(r.status == 2);
  CHECK(r.output.find("--firmware") != std::string::npos);
}

namespace {

// A process started in the background with its output in `log`, and its environment plus `env`.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log,
            const std::vector<std::pair<std::string, std::string>>& env = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr)) _exit(127);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `seconds` for the process; its exit status, or -1 if it had to be killed.
int wait_for(pid_t pid, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

bool wait_until_exists(const fs::path& p, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (fs::exists(p)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Whether the process has ended (gone, or a zombie its new parent has yet to reap) within `seconds`.
bool ended(pid_t pid, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, name, state;
    if (!(stat >> pid_field >> name >> state) || state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string text_of(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Result vp_run_env(const std::string& scenario, const fs::path& out, const std::string& env,
                  std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {
      "env",   env,          DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/scenarios/" + scenario,
      "--out", out.string(), "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_tool(argv, out);
}

}  // namespace

TEST_CASE("a failed run into the same directory replaces the earlier PASS with its own status",
          "[vp_run][report]") {
  const fs::path out = tmp("stale_report");
  REQUIRE(vp_run("tiny_cnn.yaml", out).status == 0);
  REQUIRE(report(out).at("status") == "pass");

  // The firmware build fails (exit 5): the report says so and names the step.
  Result r = vp_run_env("tiny_cnn.yaml", out, "DNNVP_RISCV_GCC=false");
  INFO(r.output);
  CHECK(r.status == 5);
  json rep = report(out);
  CHECK(rep.at("status") == "error");
  CHECK(rep.at("exit_status") == 5);
  CHECK(rep.at("step") == "building the firmware");
  CHECK(rep.at("message").get<std::string>().find("firmware.log") != std::string::npos);

  REQUIRE(vp_run("tiny_cnn.yaml", out).status == 0);
  // Bad input (exit 2) from the command line and from vp_sim.
  r = vp_run("tiny_cnn.yaml", out, {"--stall-seed", "-1"});
  CHECK(r.status == 2);
  CHECK(report(out).at("status") == "error");
  REQUIRE(vp_run("tiny_cnn.yaml", out).status == 0);
  r = vp_run("tiny_cnn.yaml", out, {"--firmware", std::string(DNNVP_SOURCE_DIR) + "/README.md"});
  CHECK(r.status == 2);
  rep = report(out);
  CHECK(rep.at("status") == "error");
  CHECK(rep.at("exit_status") == 2);
}

TEST_CASE("SIGTERM during the simulation ends the run with an interrupted report and status 143",
          "[vp_run][report]") {
  const fs::path out = tmp("interrupted_sim");
  REQUIRE(vp_run("tiny_cnn.yaml", out).status == 0);
  fs::remove(out / "uart.log");
  // Fault firmware 4 polls a DMA forever; without a watchdog or a cycle limit only a signal ends it.
  const pid_t pid = spawn({DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml", "--out",
                           out.string(), "-q", "--firmware", std::string(DNNVP_FAULT_ELF_PREFIX) + "4.elf",
                           "--watchdog-cycles", "0", "--max-cycles", "0"},
                          out / "command.log");
  REQUIRE(wait_until_exists(out / "uart.log", 60));  // vp_sim has started
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(pid, SIGTERM);
  const int status = wait_for(pid, 30);
  INFO(text_of(out / "command.log"));
  CHECK(status == 143);
  const json rep = report(out);
  CHECK(rep.at("status") == "interrupted");
  CHECK(rep.at("end") == "interrupted");
  CHECK(rep.at("exit_status") == 143);
  CHECK(rep.at("message").get<std::string>().find("SIGTERM") != std::string::npos);
  CHECK(rep.at("totals").at("cycles").get<std::uint64_t>() > 0);
}

TEST_CASE("SIGTERM during a build step ends it, kills the step's processes and reports interrupted",
          "[vp_run][report]") {
  const fs::path out = tmp("interrupted_build");
  fs::create_directories(out);
  const fs::path compiler = out / "slow_gcc.sh", pidfile = out / "slow_gcc.pid";
  {
    std::ofstream f(compiler);
    f << "#!/bin/sh\necho $$ > '" << pidfile.string() << "'\nexec sleep 60\n";
  }
  fs::permissions(compiler, fs::perms::owner_all);
  const pid_t pid = spawn(
      {DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml", "--out", out.string(), "-q"},
      out / "command.log", {{"DNNVP_RISCV_GCC", compiler.string()}});
  REQUIRE(wait_until_exists(pidfile, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(pid, SIGTERM);
  const int status = wait_for(pid, 20);
  INFO(text_of(out / "command.log"));
  CHECK(status == 143);
  const json rep = report(out);
  CHECK(rep.at("status") == "interrupted");
  CHECK(rep.at("step") == "building the firmware");
  CHECK(ended(std::stoi(text_of(pidfile)), 10));  // the compiler's process is gone too
}

TEST_CASE("report.json records the settings the run used, the tool's version and its format",
          "[vp_run][report]") {
  const fs::path out = tmp("settings");
  const Result r = vp_run("tiny_cnn.yaml", out,
                          {"--stall-seed", "3", "--max-cycles", "90000000", "--watchdog-cycles", "2000000"});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json rep = report(out);
  const json& run = rep.at("run");
  CHECK(run.at("stall_seed") == 3);
  CHECK(run.at("max_cycles") == 90000000);
  CHECK(run.at("watchdog_cycles") == 2000000);
  CHECK(run.at("overridden") == json({"max_cycles", "watchdog_cycles", "stall_seed"}));
  CHECK(!rep.at("hardware").contains("run"));  // the scenario's defaults are not what ran
  CHECK(rep.at("totals").at("stalls").at("injected").at("x").get<std::uint64_t>() > 0);
  CHECK(rep.at("report_format") == 2);
  CHECK(rep.at("tool").at("name") == "vp_sim");
  CHECK(!rep.at("tool").at("version").get<std::string>().empty());
  CHECK(!rep.at("tool").at("commit").get<std::string>().empty());
  // Each layer's engine cycles, in order and inside the run.
  std::uint64_t previous_end = 0;
  for (const json& l : rep.at("layers")) {
    INFO(l.at("name"));
    if (l.at("first_cycle").is_null()) {  // a fused row: its cycles are its producer's
      CHECK(l.at("where").get<std::string>().rfind("engine (fused into ", 0) == 0);
      CHECK(l.at("cycles") == 0);
      continue;
    }
    const std::uint64_t first = l.at("first_cycle"), last = l.at("last_cycle");
    CHECK(first >= previous_end);
    CHECK(last - first + 1 == l.at("cycles").get<std::uint64_t>());
    CHECK(last < rep.at("totals").at("cycles").get<std::uint64_t>());
    previous_end = last + 1;
  }
}

TEST_CASE("negative or malformed counts are errors naming the option", "[vp_run]") {
  const fs::path out = tmp("bad_counts");
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--stall-seed", "-1"},
                                                        {"--max-cycles", "-5"},
                                                        {"--watchdog-cycles", "12x"},
                                                        {"--max-cycles", ""}}) {
    const Result r = vp_run("tiny_cnn.yaml", out, {option, value});
    INFO(option << " " << value << ": " << r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find(option) != std::string::npos);
  }
  const Result s = vp_sim(DNNVP_TINY_CNN_ELF, out / "sim", {"--max-cycles=-5"});
  CHECK(s.status == 2);
  CHECK(s.output.find("--max-cycles") != std::string::npos);
}

TEST_CASE("vp_run and vp_sim print their version and vp_sim's errors come without the SystemC banner",
          "[vp_run]") {
  const fs::path out = tmp("version");
  Result r = run_tool({DNNVP_VP_RUN, "--version"}, out);
  CHECK(r.status == 0);
  CHECK(r.output.rfind("vp_run ", 0) == 0);
  CHECK(r.output.find('(') != std::string::npos);
  r = run_tool({DNNVP_VP_SIM_4X8, "--version"}, out);
  CHECK(r.status == 0);
  CHECK(r.output.rfind("vp_sim ", 0) == 0);
  // Without the test runner's SYSTEMC_DISABLE_COPYRIGHT_MESSAGE.
  r = run_tool({"env", "-u", "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", DNNVP_VP_SIM_4X8, "--bogus"}, out);
  CHECK(r.status == 2);
  INFO(r.output);
  CHECK(r.output.rfind("vp_sim: ", 0) == 0);
  CHECK(r.output.find("Copyright") == std::string::npos);
}

TEST_CASE("vp_run -v prints the statistics after the summary", "[vp_run]") {
  const fs::path out = tmp("verbose");
  const Result r = run_tool({DNNVP_VP_SIM_4X8, "--dir", DNNVP_TINY_CNN_DIR, "--firmware", DNNVP_TINY_CNN_ELF,
                             "--report", (out / "report.json").string(), "-v"},
                            out);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("statistics:") != std::string::npos);
  CHECK(r.output.find("dram.activates ") != std::string::npos);
  CHECK(r.output.find("engine.cycles ") != std::string::npos);
}

namespace {

// tiny_cnn's generated directory, copied so one of its files can be spoiled.
fs::path tiny_cnn_copy(const std::string& name) {
  const fs::path dir = tmp(name) / "model";
  fs::create_directories(dir.parent_path());
  fs::copy(DNNVP_TINY_CNN_DIR, dir, fs::copy_options::recursive);
  return dir;
}

Result vp_sim_in(const fs::path& dir) {
  return run_tool({DNNVP_VP_SIM_4X8, "--dir", dir.string(), "--firmware", DNNVP_TINY_CNN_ELF, "-q"},
                  dir.parent_path());
}

}  // namespace

TEST_CASE("truncated or empty artefacts are errors naming the file and its size in the manifest",
          "[vp_run][manifest]") {
  for (const auto& [file, size] : std::vector<std::pair<std::string, std::uintmax_t>>{
           {"weights.bin", 100}, {"input.bin", 0}, {"expected.bin", 3}}) {
    const fs::path dir = tiny_cnn_copy("artefact_" + file);
    fs::resize_file(dir / file, size);
    const Result r = vp_sim_in(dir);
    INFO(file << ": " << r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find(file + ": " + std::to_string(size) + " bytes, but manifest.json files.\"" + file) !=
          std::string::npos);
    CHECK(report(dir).at("status") == "error");
  }
  const fs::path dir = tiny_cnn_copy("artefact_missing");
  fs::remove(dir / "input.bin");
  const Result r = vp_sim_in(dir);
  CHECK(r.status == 2);
  CHECK(r.output.find("input.bin: missing") != std::string::npos);
}

TEST_CASE("a manifest value of the wrong type is an error naming the file and the key",
          "[vp_run][manifest]") {
  const fs::path dir = tiny_cnn_copy("manifest_type");
  json m;
  {
    std::ifstream f(dir / "manifest.json");
    m = json::parse(f);
  }
  m["result"]["bytes"] = "10";
  m["layers"][0]["engine"]["tiles"] = -1;
  {
    std::ofstream f(dir / "manifest.json");
    f << m.dump();
  }
  const Result r = vp_sim_in(dir);
  INFO(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find("manifest.json: layers[0].engine.tiles: expected an unsigned integer, got number -1") !=
        std::string::npos);
  CHECK(r.output.find("json.exception") == std::string::npos);
}

TEST_CASE("the manifest reader names the key of every missing or mistyped value", "[manifest]") {
  std::ifstream f(std::string(DNNVP_TINY_CNN_DIR) + "/manifest.json");
  std::stringstream text;
  text << f.rdbuf();
  const json good = json::parse(text.str());
  CHECK_NOTHROW(dnnvp::parse_manifest(good.dump(), "m.json"));
  auto error_of = [](const json& m) {
    try {
      dnnvp::parse_manifest(m.dump(), "m.json");
    } catch (const dnnvp::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  json m = good;
  m["hardware"].erase("rows");
  CHECK(error_of(m) == "m.json: hardware.rows: missing");
  m = good;
  m["dram_image"][1]["file"] = 7;
  CHECK(error_of(m) == "m.json: dram_image[1].file: expected a string, got number 7");
  m = good;
  m["dram_image"][0]["bytes"] = 1;
  CHECK(error_of(m).rfind("m.json: dram_image[0].bytes: 1, but files.\"weights.bin\" says ", 0) == 0);
  m = good;
  m["files"]["../x"] = 1;
  CHECK(error_of(m).rfind("m.json: files.\"../x\": expected a plain file name", 0) == 0);
  m = good;
  m["output"]["quant"]["signed"] = "yes";
  CHECK(error_of(m) == "m.json: output.quant.signed: expected true or false, got string \"yes\"");
  CHECK(error_of(json::array()) == "m.json: (document): expected an object, got array []");
  m = good;
  m["result"]["bytes"] = std::string(38, 'a') + "\u00e9\u00e9";  // a long value cut inside no character
  const std::string message = error_of(m);
  CHECK(message.rfind("m.json: result.bytes: expected an unsigned integer, got string \"" +
                          std::string(38, 'a') + "...",
                      0) == 0);
  CHECK_NOTHROW(json(message).dump());  // valid UTF-8
  CHECK_THROWS_AS(dnnvp::parse_manifest("{\"a\": ", "m.json"), dnnvp::Error);
}

namespace {

// The timestamps (#T lines) of an FST, through gtkwave's fst2vcd; empty if fst2vcd is not installed.
std::vector<std::uint64_t> fst_times(const fs::path& fst, bool* have_fst2vcd) {
  *have_fst2vcd = std::system("command -v fst2vcd > /dev/null 2>&1") == 0;
  std::vector<std::uint64_t> times;
  if (!*have_fst2vcd) return times;
  const fs::path vcd = fst.string() + ".vcd";
  REQUIRE(std::system(
              ("fst2vcd -f '" + fst.string() + "' -o '" + vcd.string() + "' > /dev/null 2>&1").c_str()) == 0);
  std::ifstream f(vcd);
  for (std::string line; std::getline(f, line);)
    if (line.size() > 1 && line[0] == '#') times.push_back(std::stoull(line.substr(1)));
  return times;
}

}  // namespace

TEST_CASE(
    "vp_run --trace-layer traces exactly one layer's engine cycles and a window without engine work warns",
    "[vp_run][trace]") {
  const fs::path out = tmp("trace_layer");
  // On the 4x8 simulator with tracing the main build makes (vp_sim_4x8_trace).
  Result r =
      vp_run("tiny_cnn.yaml", out, {"--trace", (out / "conv2.fst").string(), "--trace-layer", "conv2"});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json rep = report(out);
  const json& trace = rep.at("run").at("trace");
  CHECK(trace.at("layer") == "conv2");
  json conv2;
  for (const json& l : rep.at("layers"))
    if (l.at("name") == "conv2") conv2 = l;
  CHECK(trace.at("from") == conv2.at("first_cycle"));
  CHECK(trace.at("to") == conv2.at("last_cycle").get<std::uint64_t>() + 1);
  CHECK(r.output.find("warning") == std::string::npos);
  bool have_fst2vcd = false;
  const std::vector<std::uint64_t> times = fst_times(out / "conv2.fst", &have_fst2vcd);
  if (have_fst2vcd) {
    // Clock edges every half period (4 ns at 250 MHz, in ps) inside the layer's cycles only.
    const std::uint64_t period_ps = 4000;
    REQUIRE(times.size() > 100);
    CHECK(times.front() >= trace.at("from").get<std::uint64_t>() * period_ps);
    CHECK(times.back() < trace.at("to").get<std::uint64_t>() * period_ps);
  }

  // The README's old example: before the firmware starts the engine, nothing to capture.
  r = vp_run("tiny_cnn.yaml", out / "early",
             {"--trace", (out / "early.fst").string(), "--trace-window", "1000:5000"});
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("warning: --trace-window 1000:5000 captured no engine layer") != std::string::npos);
  CHECK(r.output.find("conv2 " + std::to_string(conv2.at("first_cycle").get<std::uint64_t>())) !=
        std::string::npos);
  if (have_fst2vcd) CHECK(fst_times(out / "early.fst", &have_fst2vcd).size() <= 1);

  r = vp_run("tiny_cnn.yaml", out / "cpu_layer",
             {"--trace", (out / "x.fst").string(), "--trace-layer", "flatten"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--trace-layer: layer 'flatten' runs on the CPU") != std::string::npos);
  r = vp_run("tiny_cnn.yaml", out / "no_layer",
             {"--trace", (out / "x.fst").string(), "--trace-layer", "nope"});
  CHECK(r.status == 2);
  CHECK(r.output.find("no layer 'nope' in the network; engine layers: conv1, conv2") != std::string::npos);
  r = vp_run("tiny_cnn.yaml", out / "no_trace", {"--trace-layer", "conv2"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--trace-layer needs --trace FILE") != std::string::npos);
}

TEST_CASE("building vp_run (make run) builds no test and no simulator but the default 8x16 one",
          "[vp_run][build]") {
  const fs::path build = fs::path(DNNVP_TEST_TMP).parent_path().parent_path();
  if (!fs::exists(build / "build.ninja")) {
    WARN("not a Ninja build tree: " << build);
    return;
  }
  const fs::path out = tmp("vp_run_inputs");
  const Result r = run_tool({"ninja", "-C", build.string(), "-t", "inputs", "vp_run"}, out);
  REQUIRE(r.status == 0);
  const std::string default_key =
      dnnvp::engine_model_key(dnnvp::engine_shape_json(dnnvp::HardwareConfig{}), false);
  CHECK(r.output.find(default_key + "/vp_sim") != std::string::npos);
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(line.rfind("tests/", 0) != 0);
    CHECK(line.find("/tests/") == std::string::npos);
    CHECK(line.find("r4c8") == std::string::npos);  // tiny_cnn's 4x8 is built when a run needs it
  }
}

TEST_CASE("a message quoting a name that is not UTF-8 still gives a report", "[vp_run][report]") {
  const fs::path out = tmp("non_utf8_message");
  const Result r = vp_run("tiny_cnn.yaml", out, {"--firmware", (out / "\xff\xfe.elf").string()});
  INFO(r.output);
  CHECK(r.status == 2);
  const json rep = report(out);
  CHECK(rep.at("status") == "error");
  CHECK(rep.at("message").get<std::string>().find("is not a file") != std::string::npos);
}

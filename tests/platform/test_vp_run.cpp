// vp_run and vp_sim end to end: networks through firmware, DMAs, DRAM and the Verilated engine, bit-exact;
// random stalls; determinism; firmware faults, watchdogs, max cycles and bad input ending with a clear
// message and the documented exit status (docs/platform.md, "vp_run").
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs a command line (arguments are quoted), capturing its output in `dir`/command.log.
Result run(const std::vector<std::string>& argv, const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path log = dir / "command.log";
  std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1";
  for (const std::string& a : argv) cmd += " '" + a + "'";
  cmd += " > '" + log.string() + "' 2>&1";
  const int raw = std::system(cmd.c_str());
  Result r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream f(log);
  std::stringstream s;
  s << f.rdbuf();
  r.output = s.str();
  return r;
}

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
  return run(argv, out);
}

// vp_sim on tiny_cnn's generated directory with another firmware.
Result vp_sim(const std::string& firmware, const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {DNNVP_VP_SIM_4X8,
                                   "--dir",
                                   DNNVP_TINY_CNN_DIR,
                                   "--firmware",
                                   firmware,
                                   "--report",
                                   (out / "report.json").string(),
                                   "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv, out);
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
  for (const char* i : {"dma0.mm2s", "dma0.s2mm", "dma1.mm2s"}) CHECK(d.at("per_initiator").contains(i));
  CHECK(t.at("wall_seconds").get<double>() > 0);
  CHECK(t.at("simulated_cycles_per_second").get<double>() > 0);

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
      CHECK(l.at("pe_utilization").get<double>() > 0.0);
      CHECK(l.at("pe_utilization").get<double>() <= l.at("pe_utilization_bound").get<double>() + 1e-9);
      CHECK(l.at("dram_read_bytes").get<std::uint64_t>() > 0);
      CHECK(l.at("dram_write_bytes").get<std::uint64_t>() > 0);
      CHECK(l.contains("stalls"));
    } else {
      CHECK(l.at("where") == "cpu");
    }
  }
  // Layer marks cover every DMA byte of the run.
  CHECK(layer_read == d.at("read_bytes"));
  CHECK(layer_written == d.at("write_bytes"));
}

// The report without what depends on the host (wall time, speeds).
json deterministic_part(json r) {
  json t = r.at("totals");
  for (const char* k : {"wall_seconds", "simulated_cycles_per_second",
                        "engine_clocked_cycles_per_eval_second", "engine_layer_cycles_per_second"})
    t.erase(k);
  for (json& l : r.at("layers")) l.erase("wall_seconds");
  t["cpu"].erase("host_mips");
  return {{"totals", t}, {"layers", r.at("layers")}, {"output_check", r.at("output_check")}};
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

TEST_CASE("the same scenario and seeds give the same cycles and report, run after run", "[vp_run]") {
  const fs::path a = tmp("tiny_cnn_det_a"), b = tmp("tiny_cnn_det_b");
  REQUIRE(vp_run("tiny_cnn.yaml", a, {"--stall-seed", "11"}).status == 0);
  REQUIRE(vp_run("tiny_cnn.yaml", b, {"--stall-seed", "11"}).status == 0);
  CHECK(deterministic_part(report(a)) == deterministic_part(report(b)));
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
  const Result r = run(
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

TEST_CASE("vp_run runs a firmware ELF built elsewhere (option firmware)", "[vp_run]") {
  const fs::path out = tmp("tiny_cnn_own_elf");
  const Result r = vp_run("tiny_cnn.yaml", out, {"--firmware", DNNVP_TINY_CNN_ELF});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const json rep = report(out);
  CHECK(rep.at("firmware") == DNNVP_TINY_CNN_ELF);
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

TEST_CASE("a DMA from an unmapped address ends the run with exit 3 naming the address", "[vp_run][fault]") {
  check_mentions(failed_run(1, "fault_dma", 3, "dma_fault"), {"dma0.mm2s", "decode error", "0x20000000"});
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
  check_mentions(failed_run(4, "watchdog_system", 124, "watchdog", {"--watchdog-cycles", "20000"}),
                 {"the CPU only polls", "dma0.s2mm: DMASR 0x00000000 busy", "s_axis_x", "m_axis_y"});
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
      run({DNNVP_VP_SIM_4X8, "--dir", dir.string(), "--firmware", DNNVP_TINY_CNN_ELF, "-q"}, out);
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
  Result r = run({DNNVP_VP_RUN, (out / "bad.yaml").string(), "--out", (out / "o").string()}, out);
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

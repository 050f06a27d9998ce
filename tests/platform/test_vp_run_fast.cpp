// vp_run --engine fast (docs/engine_model.md): the fast engine inside the SoC runs a network bit-exact
// with the firmware, DMAs and DRAM of the rtl engine's runs, in the main build's default simulator whatever
// the scenario's shape (no simulator per shape), with the rtl engine's MACs and tiles per layer and every
// engine layer's cycles equal to the rtl engine's (the calibration, tiny networks at 4x8 and 8x16: the zoo at
// three shapes is tools/bench fast-model's; its goal is 2 %, the model is cycle-exact); depthwise (MODE.OP 3)
// layers run bit-exact; --cross-check runs the rtl engine in the same vp_run and reports each sampled layer's
// error; and what the fast engine cannot do is bad input.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json run(const std::string& scenario_text, const std::string& name, const std::string& engine) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "fast" / (name + "_" + engine);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / (name + ".yaml")) << scenario_text;
  const dnnvp_test::ToolRun r =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / (name + ".yaml")).string(), "--out", (dir / "out").string(),
                            "-q", "--engine", engine},
                           dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  return json::parse(std::ifstream(dir / "out" / "report.json"));
}

void compare(const std::string& scenario_text, const std::string& name) {
  const json rtl = run(scenario_text, name, "rtl");
  const json fast = run(scenario_text, name, "fast");
  CHECK(fast.at("bit_exact") == true);
  CHECK(fast.at("engine_model").get<std::string>() == rtl.at("engine_model").get<std::string>() + "-fast");
  const json& a = rtl.at("layers");
  const json& b = fast.at("layers");
  REQUIRE(a.size() == b.size());
  int engine_layers = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].at("where") != "engine") continue;
    ++engine_layers;
    INFO(a[i].at("name"));
    CHECK(b[i].at("engine_cycles") == a[i].at("engine_cycles"));
    CHECK(b[i].at("engine_macs") == a[i].at("engine_macs"));
    CHECK(b[i].at("tiles") == a[i].at("tiles"));
  }
  CHECK(engine_layers > 0);
  CHECK(fast.at("totals").at("cycles") == rtl.at("totals").at("cycles"));
}

const char* const kTinyCnn =
    "name: tiny\nnetwork: {zoo: tiny_cnn}\ninput: {seed: 1}\n"
    "hardware: {rows: 4, cols: 8}\n";

// A fresh directory with tiny_cnn's scenario in it (tiny.yaml).
fs::path tiny_dir(const std::string& name) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "fast" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "tiny.yaml") << kTinyCnn;
  return dir;
}

}  // namespace

TEST_CASE(
    "vp_run --engine fast runs tiny_cnn (pools, fused adds) bit-exact with the rtl engine's MACs, tiles and "
    "cycles, every layer's and the run's",
    "[fast]") {
  compare(kTinyCnn, "tiny_cnn");
}

TEST_CASE(
    "vp_run --engine fast runs a 4-bit tiny_cnn bit-exact (nibble starts) with the rtl engine's MACs, tiles "
    "and cycles, every layer's and the run's",
    "[fast]") {
  compare(std::string(kTinyCnn) + "quantization: {activation_bits: 4, weight_bits: 4}\n", "tiny_cnn_4bit");
}

TEST_CASE(
    "vp_run --engine fast runs tiny_cnn at 8x16 with every layer's cycles equal to the rtl engine's",
    "[fast]") {
  compare("name: tiny816\nnetwork: {zoo: tiny_cnn}\ninput: {seed: 1}\n", "tiny_cnn_8x16");
}

TEST_CASE("vp_run --engine fast runs depthwise layers (MODE.OP 3) bit-exact, every MAC counted", "[fast]") {
  std::ostringstream scenario;
  scenario << std::ifstream(DNNVP_DW_SCENARIO).rdbuf();
  const json fast = run(scenario.str(), "dw", "fast");
  CHECK(fast.at("bit_exact") == true);
  int depthwise = 0;
  for (const json& l : fast.at("layers")) {
    if (l.at("where") != "engine") continue;
    INFO(l.at("name"));
    CHECK(l.at("engine_macs") == l.at("macs"));
    depthwise += l.at("name").get<std::string>().find(".dw") != std::string::npos;
  }
  CHECK(depthwise == 3);
}

TEST_CASE(
    "vp_run --cross-check runs the rtl engine up to the sampled layers and reports each one's cycle error "
    "and bit-exactness, and leaves a fast run that did not pass its own status",
    "[fast][cross-check]") {
  const fs::path dir = tiny_dir("cross_check");
  const dnnvp_test::ToolRun r =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / "tiny.yaml").string(), "--out", (dir / "out").string(), "-q",
                            "--engine", "fast", "--cross-check", "3"},
                           dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output,
             Catch::Contains("cross-check against the rtl engine: 3 engine layers, max cycle error"));
  const json rep = json::parse(std::ifstream(dir / "out" / "report.json"));
  const json& c = rep.at("cross_check");
  CHECK(c.at("engine") == "rtl");
  CHECK(c.at("engine_model") == "r4c8s64a8w8acc32d1024i262144wb16384o262144");
  CHECK(c.at("engine_layers") == 9);
  CHECK(c.at("bit_exact") == true);
  CHECK(c.at("all_reached") == true);
  // Three layers sampled evenly; the rtl run stops after the last of them, before the network's end.
  REQUIRE(c.at("layers").size() == 3);
  CHECK(c.at("layers")[0].at("name") == "conv1");
  CHECK(c.at("rtl_end") == "max_cycles");
  for (const json& l : c.at("layers")) {
    INFO(l.at("name"));
    CHECK(l.at("bit_exact") == true);
    CHECK(l.at("error").get<double>() == 0.0);
  }
  CHECK(c.at("max_error").get<double>() == 0.0);
  // The rtl run's own report and the fast run's console log stay apart.
  CHECK(fs::exists(dir / "out" / "cross_check" / "report.json"));
  CHECK(fs::exists(dir / "out" / "uart.log"));
  // A fast run that does not pass is not compared: its own status stands.
  const dnnvp_test::ToolRun stopped =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / "tiny.yaml").string(), "--out", (dir / "stopped").string(),
                            "-q", "--engine", "fast", "--cross-check", "all", "--max-cycles", "5000"},
                           dir);
  CHECK(stopped.status == 4);
  CHECK_THAT(stopped.output, Catch::Contains("--cross-check: skipped, the fast engine's run did not pass"));
  CHECK_FALSE(json::parse(std::ifstream(dir / "stopped" / "report.json")).contains("cross_check"));
}

TEST_CASE(
    "vp_run --engine fast refuses a waveform trace, vp_run an unknown engine and a bad --cross-check, as bad "
    "input",
    "[fast]") {
  const fs::path dir = tiny_dir("bad");
  const dnnvp_test::ToolRun traced =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / "tiny.yaml").string(), "--out", (dir / "out").string(),
                            "--engine", "fast", "--trace", (dir / "t.fst").string()},
                           dir);
  CHECK(traced.status == 2);
  CHECK_THAT(traced.output, Catch::Contains("--trace needs --engine rtl"));
  const dnnvp_test::ToolRun unknown =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / "tiny.yaml").string(), "--out", (dir / "out").string(), "-q",
                            "--engine", "verilog"},
                           dir);
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.output, Catch::Contains("unknown engine 'verilog'") && Catch::Contains("rtl, fast"));
  const dnnvp_test::ToolRun rtl_checked =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / "tiny.yaml").string(), "--out", (dir / "out").string(), "-q",
                            "--cross-check", "2"},
                           dir);
  CHECK(rtl_checked.status == 2);
  CHECK_THAT(rtl_checked.output, Catch::Contains("--cross-check needs --engine fast"));
  const dnnvp_test::ToolRun zero =
      dnnvp_test::run_tool({DNNVP_VP_RUN, (dir / "tiny.yaml").string(), "--out", (dir / "out").string(), "-q",
                            "--engine", "fast", "--cross-check", "0"},
                           dir);
  CHECK(zero.status == 2);
  CHECK_THAT(zero.output,
             Catch::Contains("--cross-check: expected a number of layers >= 1 or 'all', got '0'"));
}

// vp_run --engine fast (docs/engine_model.md): the fast engine inside the SoC runs a network bit-exact
// with the firmware, DMAs and DRAM of the rtl engine's runs, in the main build's default simulator whatever
// the scenario's shape (no simulator per shape), with the rtl engine's MACs and tiles per layer, and prints
// each engine layer's cycle error against the rtl engine (the per-layer bound is test_fast_calibration's on
// the bridge bench and tools/bench fast-model's over the zoo: in vp_run a layer's window also holds the
// firmware's and the DMAs' reaction to the engine); and what it cannot do is bad input.
#include <cstdio>
#include <filesystem>
#include <fstream>
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
    const double ca = a[i].at("engine_cycles").get<double>(), cb = b[i].at("engine_cycles").get<double>();
    std::printf("%s %s: rtl %.0f cycles, fast %.0f (%+.2f %%)\n", name.c_str(),
                a[i].at("name").get<std::string>().c_str(), ca, cb, 100 * (cb - ca) / ca);
    CHECK(cb > 0);
    CHECK(b[i].at("engine_macs") == a[i].at("engine_macs"));
    CHECK(b[i].at("tiles") == a[i].at("tiles"));
  }
  CHECK(engine_layers > 0);
}

const char* const kTinyCnn =
    "name: tiny\nnetwork: {zoo: tiny_cnn}\ninput: {seed: 1}\n"
    "hardware: {rows: 4, cols: 8}\n";

}  // namespace

TEST_CASE(
    "vp_run --engine fast runs tiny_cnn (pools, fused adds) bit-exact with the rtl engine's MACs and tiles",
    "[fast]") {
  compare(kTinyCnn, "tiny_cnn");
}

TEST_CASE(
    "vp_run --engine fast runs a 4-bit tiny_cnn bit-exact (nibble starts) with the rtl engine's MACs and "
    "tiles",
    "[fast]") {
  compare(std::string(kTinyCnn) + "quantization: {activation_bits: 4, weight_bits: 4}\n", "tiny_cnn_4bit");
}

TEST_CASE("vp_run --engine fast refuses a waveform trace and vp_run an unknown engine, as bad input",
          "[fast]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "fast" / "bad";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "tiny.yaml") << kTinyCnn;
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
}

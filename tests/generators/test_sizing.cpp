// The sizer's search (generators/sizing.h) against a budget whose costs the test defines: it picks the
// fastest fitting shape by the engine plan (checked by brute force), keeps the scenario's own keys, names
// what bound it and refuses an impossible budget with what the smallest engine needs.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "emit_manifest.h"
#include "engine_plan.h"
#include "fpga_parts.h"
#include "manifest.h"
#include "error.h"
#include "scenario.h"
#include "sizing.h"

using namespace dnnvp;

namespace {

const std::string kTinyCnn = std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml";

// One DSP per PE; one "BRAM" per 4 KiB of input and output buffer.
SizingBudget budget(double dsp, double bram) {
  SizingBudget b;
  b.description = "test part";
  b.limits = {{"DSP", dsp, ""}, {"BRAM", bram, ""}};
  b.estimate = [](const EngineShape& s) {
    return std::vector<double>{static_cast<double>(s.rows * s.cols),
                               (s.input_buffer_bytes + s.output_buffer_bytes) / 4096.0};
  };
  b.model = "the test's";
  return b;
}

SizingSpace small_space() {
  SizingSpace space;
  space.rows = {2, 4, 8};
  space.cols = {4, 8, 16, 32};
  space.buffer_kib = {16, 64};
  space.stream_bits = {64};
  return space;
}

double fps_of(const Scenario& base, int rows, int cols, int kib) {
  Scenario s = base;
  s.hardware.rows = rows, s.hardware.cols = cols;
  s.hardware.input_buffer_kib = s.hardware.output_buffer_kib = kib;
  s.hardware.stream_bits = 64;
  try {
    return s.hardware.clock_mhz * 1e6 / static_cast<double>(plan_network(s).issue_cycles);
  } catch (const Error&) {
    return 0;
  }
}

}  // namespace

TEST_CASE("sizing picks the fastest shape that fits, by the engine plan", "[sizing]") {
  Scenario s = load_scenario(kTinyCnn);
  const SizingRequest request{"tiny_cnn.yaml", 3, "hardware.fpga", "", 0, std::nullopt, 0, {}};
  const SizingOutcome out = size_engine(s, request, budget(64, 40), small_space());
  CHECK(s.hardware.rows * s.hardware.cols <= 64);
  CHECK((s.hardware.input_buffer_kib + s.hardware.output_buffer_kib) / 4.0 <= 40);
  // Brute force over the same space: nothing that fits is more than 1 % faster.
  const Scenario base = load_scenario(kTinyCnn);
  double best = 0;
  for (int rows : {2, 4, 8})
    for (int cols : {4, 8, 16, 32})
      for (int kib : {16, 64})
        if (rows * cols <= 64 && 2 * kib / 4.0 <= 40) best = std::max(best, fps_of(base, rows, cols, kib));
  CHECK(out.fps_estimate >= best * 0.99);
  CHECK(out.fps_estimate == Approx(fps_of(base, s.hardware.rows, s.hardware.cols, s.hardware.input_buffer_kib)));
  CHECK(out.bound_by == "DSP");
  CHECK(out.explanation.find("DSP binds first") != std::string::npos);
  REQUIRE(out.use.size() == 2);
  CHECK(out.use[0].used == s.hardware.rows * s.hardware.cols);
}

TEST_CASE("sizing keeps the keys the scenario gives", "[sizing]") {
  Scenario s = load_scenario(kTinyCnn);
  s.hardware.rows = 4;
  const SizingRequest request{"x.yaml", 3, "hardware.fpga", "", 0, std::nullopt, 0, {"rows"}};
  const SizingOutcome out = size_engine(s, request, budget(1e9, 1e9), small_space());
  CHECK(s.hardware.rows == 4);
  CHECK(out.fixed == std::vector<std::string>{"rows"});
  CHECK(out.explanation.find("Kept as the scenario gives them: rows.") != std::string::npos);
}

TEST_CASE("with room to spare the network, not the budget, bounds the engine", "[sizing]") {
  Scenario s = load_scenario(kTinyCnn);
  const SizingOutcome out = size_engine(s, {"x.yaml", 3, "hardware.fpga", "", 0, std::nullopt, 0, {}}, budget(1e9, 1e9),
                                        small_space());
  CHECK(out.bound_by == "the network");
  CHECK(out.fitting == out.candidates);
}

TEST_CASE("an impossible budget is an error naming the field and what the smallest engine needs", "[sizing]") {
  Scenario s = load_scenario(kTinyCnn);
  try {
    size_engine(s, {"x.yaml", 3, "hardware.fpga", "", 0, std::nullopt, 0, {}}, budget(4, 1000), small_space());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "x.yaml:3: hardware.fpga: test part is too small: the smallest engine that runs the network (2x4 PEs, "
          "16/16 KiB input/output buffers, 64-bit streams) needs 8 DSP of 4, 8 BRAM of 1000");
  }
}

TEST_CASE("an asic clock in the request sets the engine clock", "[sizing]") {
  Scenario s = load_scenario(kTinyCnn);
  const SizingOutcome out =
      size_engine(s, {"x.yaml", 3, "hardware.asic", "", 2.0, 500.0, 0, {}}, budget(1e9, 1e9), small_space());
  CHECK(s.hardware.clock_mhz == 500.0);
  CHECK(out.explanation.find("at 500 MHz") != std::string::npos);
}

TEST_CASE("a scenario with hardware.fpga is sized for the part and hw.json says how, readable as the schema",
          "[sizing]") {
  const auto path = std::filesystem::temp_directory_path() / ("dnnvp_sizing_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "network: {zoo: tiny_cnn}\nhardware: {fpga: pynq-z2, rows: 4}\n";
  const Scenario s = load_scenario(path.string());
  std::filesystem::remove(path);
  REQUIRE(s.sizing);
  CHECK(s.hardware.rows == 4);
  CHECK(s.sizing->fixed == std::vector<std::string>{"rows"});
  CHECK(s.sizing->budget.rfind("pynq-z2 (", 0) == 0);
  for (const manifest::SizingUse& u : s.sizing->use) CHECK(u.used <= u.budget);
  const manifest::Hardware hw = checked<manifest::Hardware>(hardware_json(s), "hw.json");
  REQUIRE(hw.sizing);
  CHECK(hw.sizing->explanation == s.sizing->explanation);
  CHECK(hw.shape.cols == s.hardware.cols);
}

TEST_CASE("every FPGA part sizes tiny_cnn deterministically within its budget", "[sizing]") {
  for (const auto& [name, part] : flows::load_fpga_parts().parts) {
    INFO(name);
    SizingRequest request{"x.yaml", 3, "hardware.fpga", name, 0, std::nullopt, 0, {}};
    Scenario a = load_scenario(kTinyCnn), b = load_scenario(kTinyCnn);
    const SizingOutcome first = size_engine(a, request, sizing_budget(request, a));
    const SizingOutcome second = size_engine(b, request, sizing_budget(request, b));
    CHECK(a.hardware.rows == b.hardware.rows);
    CHECK(a.hardware.cols == b.hardware.cols);
    CHECK(a.hardware.input_buffer_kib == b.hardware.input_buffer_kib);
    CHECK(first.explanation == second.explanation);
    for (const manifest::SizingUse& u : first.use) CHECK(u.used <= u.budget);
    CHECK(first.fps_estimate > 0);
  }
}

TEST_CASE("two area budgets size tiny_cnn deterministically within them, the smaller node fitting more PEs",
          "[sizing]") {
  const auto size = [](double area_mm2, int node_nm) {
    SizingRequest request{"x.yaml", 3, "hardware.asic", "", area_mm2, 400.0, node_nm, {}};
    Scenario s = load_scenario(kTinyCnn);
    const SizingOutcome out = size_engine(s, request, sizing_budget(request, s));
    REQUIRE(out.use.size() == 1);
    CHECK(out.use[0].used <= area_mm2);
    CHECK(s.hardware.clock_mhz == 400.0);
    return std::pair{s.hardware.rows * s.hardware.cols, out.explanation};
  };
  const auto at180 = size(60.0, 0), again = size(60.0, 0), at28 = size(2.0, 28);
  CHECK(at180 == again);
  CHECK(at28.second.find("28 nm") != std::string::npos);
  CHECK(at28.first >= at180.first);
}

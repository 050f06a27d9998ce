// The engine modes of issue 12 end to end through vp_run on the 4x8 simulator: a depthwise convolution
// (grouped mode), max and average pools on the engine (mapping.engine_pools) and, with mapping.fuse, a
// residual add fused into its later producer (operand b streamed by dma2) and a ReLU6 folded into its
// convolution, at 8 bits and at 4 bits with a signed input (packed nibbles, tiles that start mid-byte). Every
// output element bit-exact, every engine layer's MACs counted by the engine, and report.json saying where
// each layer ran. Also a 1x1 stride-2 convolution whose bands the runtime gathers row by row (row_step).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Tiles of at most 16 pixels (accumulator depth 16), so bands, outputs and residuals span several tiles.
const char* const kModesNetwork =
    "{layers: [{name: c1, type: conv, filters: 8, kernel: 3, padding: 1, activation: relu}, "
    "{name: dw, type: conv, groups: 8, filters: 8, kernel: 3, padding: 1, activation: relu}, "
    "{name: pw, type: conv, filters: 8, kernel: 1}, "
    "{name: res, type: add, inputs: [pw, c1], activation: relu}, "
    "{name: pool, type: maxpool, kernel: 3, stride: 2, padding: 1}, "
    "{name: c2, type: conv, filters: 8, kernel: 1}, {name: relu6, type: clip}, "
    "{name: avg, type: avgpool, kernel: 2, stride: 2}, "
    "{name: flat, type: flatten}, {name: fc, type: dense, units: 5}]}";

json run_modes(const std::string& name, int bits, bool signed_input, bool fuse) {
  std::ostringstream scenario;
  scenario << "name: " << name << "\nnetwork: " << kModesNetwork
           << "\ninput: {shape: [12, 10, 3], signed: " << (signed_input ? "true" : "false")
           << ", seed: 7}\nquantization: {activation_bits: " << bits << ", weight_bits: " << bits
           << "}\nhardware: {rows: 4, cols: 8, accumulator_depth: 16}\nmapping: {engine_pools: true, fuse: "
           << (fuse ? "true" : "false") << "}\n";
  return dnnvp_test::vp_run_passing(DNNVP_VP_RUN, fs::path(DNNVP_TEST_TMP) / "modes" / name, name,
                                    scenario.str());
}

void check_modes_run(const std::string& name, int bits, bool signed_input, bool fuse) {
  const json r = run_modes(name, bits, signed_input, fuse);
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  const std::map<std::string, std::string> where = {{"c1", "engine"},
                                                    {"dw", "engine"},
                                                    {"pw", "engine"},
                                                    {"res", fuse ? "engine (fused into pw)" : "cpu"},
                                                    {"pool", "engine"},
                                                    {"c2", "engine"},
                                                    {"relu6", fuse ? "engine (fused into c2)" : "cpu"},
                                                    {"avg", "engine"},
                                                    {"flat", "cpu"},
                                                    {"fc", "engine"}};
  REQUIRE(r.at("layers").size() == where.size());
  for (const json& l : r.at("layers")) {
    const std::string n = l.at("name");
    INFO("layer " << n);
    CHECK(l.at("where") == where.at(n));
    CHECK(l.at("ran") == true);
    CHECK(l.at("completed") == true);
    if (l.at("where") == "engine") {
      CHECK(l.at("engine_macs") == l.at("macs"));  // grouped: the engine counts only real MACs
      CHECK(l.at("tiles") == l.at("tiles_planned"));
    } else if (fuse && (n == "res" || n == "relu6")) {
      // A fused layer's time is its producer's.
      CHECK(l.at("cycles") == 0);
      CHECK_FALSE(l.contains("engine_cycles"));
    }
  }
  // Only a fused add reads its operand b through dma2.
  const json& dram = r.at("totals").at("dram").at("per_initiator");
  const std::uint64_t residual =
      dram.contains("dma2.mm2s") ? dram.at("dma2.mm2s").at("read_bytes").get<std::uint64_t>() : 0;
  CHECK((residual > 0) == fuse);
}

}  // namespace

TEST_CASE("vp_run runs max and average pools and a depthwise conv on the engine bit-exact at 8 bits",
          "[modes]") {
  check_modes_run("pools8", 8, false, false);
}

TEST_CASE("vp_run runs engine pools and a depthwise conv bit-exact at 4 bits with a signed input",
          "[modes]") {
  check_modes_run("pools4", 4, true, false);
}

TEST_CASE("vp_run runs a fused add and a folded clip with engine pools bit-exact at 8 bits", "[modes]") {
  check_modes_run("fused8", 8, false, true);
}

TEST_CASE("vp_run runs a fused add and a folded clip bit-exact at 4 bits with a signed input", "[modes]") {
  check_modes_run("fused4", 4, true, true);
}

// A run of a DRAM option's scenario: vp_run's report (a bit-exact pass), layer `index`'s entry (on the
// engine, with all its MACs) and its blob's bytes (manifest.json).
struct OptionRun {
  json report, layer;
  std::uint64_t blob = 0;
};

OptionRun run_dram_option(const std::string& name, const std::string& scenario, std::size_t index) {
  const fs::path out = fs::path(DNNVP_TEST_TMP) / "modes" / name;
  OptionRun run;
  run.report = dnnvp_test::vp_run_passing(DNNVP_VP_RUN, out, name, scenario);
  CHECK(run.report.at("status") == "pass");
  CHECK(run.report.at("bit_exact") == true);
  std::ifstream mf(out / "out" / "manifest.json");
  run.blob = json::parse(mf).at("layers").at(index).at("blob").at("bytes").get<std::uint64_t>();
  run.layer = run.report.at("layers").at(index);
  CHECK(run.layer.at("where") == "engine");
  CHECK(run.layer.at("engine_macs") == run.layer.at("macs"));
  return run;
}

// A 1x1 stride-2 convolution between two CPU clips (its DRAM window holds its own transfers only):
// 12x8x16 -> 6x4x16, tiles of 16 output pixels (4 rows, then 2). A contiguous band reads input rows 0..6
// and 8..10, 10 rows of 128 bytes; row_step bands gather rows 0, 2, 4, 6 and 8, 10: 6 rows, each a
// descriptor (32-byte fetch).
TEST_CASE("vp_run gathers a 1x1 stride-2 convolution's input rows bit-exact, reading fewer DRAM bytes",
          "[modes][row_step]") {
  const OptionRun r = run_dram_option(
      "row_step",
      "name: row_step\nnetwork: {layers: [{name: c1, type: conv, filters: 16, kernel: 3, padding: 1}, "
      "{name: r1, type: clip}, {name: ds, type: conv, filters: 16, kernel: 1, stride: 2}, "
      "{name: r2, type: clip}, {name: flat, type: flatten}, {name: fc, type: dense, units: 5}]}\n"
      "input: {shape: [12, 8, 16], seed: 3}\nquantization: {activation_bits: 8, weight_bits: 8}\n"
      "hardware: {rows: 4, cols: 8, accumulator_depth: 16}\nmapping: {fuse: false}\n",
      2);
  REQUIRE(r.layer.at("name") == "ds");
  REQUIRE(r.layer.at("tiles") == 2);
  CHECK(r.layer.at("dram_read_bytes").get<std::uint64_t>() == 2 * r.blob + 6 * 128 + 6 * 32);
  CHECK(r.layer.at("dram_read_bytes").get<std::uint64_t>() < 2 * r.blob + 10 * 128);  // contiguous bands
}

// A 3x3 convolution of 256 output channels (32 blocks of the 4x8 array's 8) on 32x32x64 between the input
// and a CPU clip: whole-tile output (P x 32 blocks <= the output half's 16384 words) caps P at 512, two
// tiles, each streaming the whole blob. As block-group tiles (A16): one pixel tile of all 1024 pixels in
// two groups of 16 blocks, the second on the band the first loaded (BAND.REUSE), each streaming its half of
// the blob once, the output written per pixel at pitch 256 (one S2MM descriptor each: a 32-byte fetch,
// a 4-byte status write).
TEST_CASE("vp_run runs a convolution as block-group tiles bit-exact, reading fewer DRAM bytes",
          "[modes][block_group]") {
  const OptionRun r = run_dram_option(
      "block_group",
      "name: block_group\nnetwork: {layers: [{name: c1, type: conv, filters: 256, kernel: 3, padding: 1}, "
      "{name: r1, type: clip}]}\ninput: {shape: [32, 32, 64], seed: 5}\n"
      "quantization: {activation_bits: 8, weight_bits: 8}\nhardware: {rows: 4, cols: 8}\nmapping: {fuse: "
      "false}\n",
      0);
  REQUIRE(r.layer.at("name") == "c1");
  CHECK(r.layer.at("tiles") == 2);  // (pixel tile 0, group 0), (pixel tile 0, group 1)
  const std::uint64_t input = 32 * 32 * 64, output = 32 * 32 * 256, pixels = 32 * 32;
  CHECK(r.layer.at("dram_read_bytes").get<std::uint64_t>() == r.blob + input + 2 * pixels * 32);
  CHECK(r.layer.at("dram_write_bytes").get<std::uint64_t>() == output + 2 * pixels * 4);
  // Two whole-output tiles of 512 pixels: the blob twice, bands of rows 0..16 and 15..31.
  CHECK(r.layer.at("dram_read_bytes").get<std::uint64_t>() < 2 * r.blob + 2 * 17 * 32 * 64);
}

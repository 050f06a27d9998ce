// The clip layer (ReLU6 and a two-sided range) end to end: vp_gen's model.h row, the firmware's CPU
// runner and the golden model agree bit for bit through vp_run on the 4x8 simulator, at 8 bits and at
// 4 bits with a signed input (packed nibbles, negative limits).
#include <filesystem>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// conv -> ReLU6 -> conv -> clip [-0.5, 0.75] -> max pool -> conv, on a 9x9x3 input.
const char* const kClipNetwork =
    "{layers: [{name: c1, type: conv, filters: 6, kernel: 3, padding: 1}, {name: relu6, type: clip}, "
    "{name: c2, type: conv, filters: 5, kernel: 1}, {name: range, type: clip, min: -0.5, max: 0.75}, "
    "{name: pool, type: maxpool, kernel: 3, stride: 2}, {name: c3, type: conv, filters: 4, kernel: 3}]}";

json run_clip_scenario(const std::string& name, int bits, bool signed_input) {
  std::ostringstream scenario;
  scenario << "name: " << name << "\nnetwork: " << kClipNetwork
           << "\ninput: {shape: [9, 9, 3], signed: " << (signed_input ? "true" : "false")
           << ", seed: 5}\nquantization: {activation_bits: " << bits << ", weight_bits: " << bits
           << "}\nhardware: {rows: 4, cols: 8}\nmapping: {fuse: false}\n";
  return dnnvp_test::vp_run_passing(DNNVP_VP_RUN, fs::path(DNNVP_TEST_TMP) / "clip" / name, name,
                                    scenario.str());
}

void check_clip_run(const std::string& name, int bits, bool signed_input) {
  const json r = run_clip_scenario(name, bits, signed_input);
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  int clips = 0;
  for (const json& l : r.at("layers"))
    if (l.at("type") == "clip") {
      ++clips;
      CHECK(l.at("where") == "cpu");
    }
  CHECK(clips == 2);
}

}  // namespace

TEST_CASE("vp_run runs clip layers (ReLU6, a two-sided range) bit-exact at 8 bits", "[clip]") {
  check_clip_run("clip8", 8, false);
}

TEST_CASE("vp_run runs clip layers bit-exact at 4 bits with a signed input", "[clip]") {
  check_clip_run("clip4", 4, true);
}

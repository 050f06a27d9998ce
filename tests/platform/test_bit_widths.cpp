// Every activation and weight width through vp_run (firmware, DMAs, DRAM, the CPU-side pooling and
// residual adds, and the Verilated engine), bit-exact against the golden model: tiny_cnn, whose
// ReLU, LeakyReLU and linear layers give unsigned and signed outputs at each width, with signed and
// unsigned input.
//
// The CI cases run on the two simulators the build already has (4x8 and 8x16, 8-bit datapaths), so
// no new engine is built; data narrower than the datapath is truncated to its storage width there.
// Engines whose datapath is exactly as narrow as the data (values extended to their storage width)
// are covered at engine level by the harness sweeps in tests/rtl/engine; the hidden case
// "[.engine_widths]" runs them through vp_run too (it builds six simulators, a minute each):
//   test_bit_widths "[.engine_widths]"
#include <cstdlib>
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

struct Widths {
  int activation = 8, weight = 8;
  bool signed_input = false;
  std::string hardware;  // the scenario's hardware section (flow mapping)
};

const char* const kTinyCnn = "{zoo: tiny_cnn}";
const char* const kTinyCnnInput = "[16, 16, 3]";

// Rows and tiles of odd numbers of values, on the 4x8 engine's own buffers: c1 (35 x 3 values a row,
// 131 channels, so 17 channel blocks and 963-pixel tiles) has a second band and a second tile that
// start mid-byte at 4 bits; c2, the add (with the network input) and the max pool then work on odd
// packed tensors.
const char* const kOddNetwork =
    "{layers: [{name: c1, type: conv, filters: 131, kernel: 1, activation: relu}, "
    "{name: c2, type: conv, filters: 3, kernel: 1}, {name: res, type: add, inputs: [c2, input]}, "
    "{name: pool, type: maxpool, kernel: 3, stride: 2}, {name: c3, type: conv, filters: 5, kernel: 3}, "
    "{name: flat, type: flatten}, {name: fc, type: dense, units: 7}]}";
const char* const kOddInput = "[35, 35, 3]";

// Writes the scenario, runs vp_run on it and returns its report; the run's output is in
// DIR/command.log for a failing case.
json run_network(const std::string& name, const std::string& network, const std::string& shape,
                 const Widths& w) {
  std::ostringstream scenario;
  scenario << "name: " << name << "\nnetwork: " << network << "\ninput: {shape: " << shape
           << ", signed: " << (w.signed_input ? "true" : "false") << ", seed: " << w.activation
           << "}\nquantization: {activation_bits: " << w.activation << ", weight_bits: " << w.weight
           << "}\nhardware: " << w.hardware << "\n";
  return dnnvp_test::vp_run_passing(DNNVP_VP_RUN, fs::path(DNNVP_TEST_TMP) / "bit_widths" / name, name,
                                    scenario.str());
}

void check_bit_exact(const std::string& name, const Widths& w, const std::string& network = kTinyCnn,
                     const std::string& shape = kTinyCnnInput) {
  INFO(name << ": activations " << w.activation << " bits, weights " << w.weight << " bits, "
            << (w.signed_input ? "signed" : "unsigned") << " input, hardware " << w.hardware);
  const json r = run_network(name, network, shape, w);
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
}

// Weights run against the activations (8 with 2, 2 with 8), so every pair of ends meets.
int weight_for(int activation) {
  return 10 - activation;
}

}  // namespace

TEST_CASE("tiny_cnn is bit-exact at every activation and weight width, signed and unsigned input",
          "[vp_run][widths]") {
  for (int a = 2; a <= 8; ++a) {
    // Signed input on the 4x8 engine, unsigned on the default 8x16 one: both simulators the build has.
    check_bit_exact("tiny_cnn_a" + std::to_string(a) + "_signed",
                    {a, weight_for(a), true, "{rows: 4, cols: 8, activation_bits: 8, weight_bits: 8}"});
    check_bit_exact("tiny_cnn_a" + std::to_string(a) + "_unsigned",
                    {a, a, false, "{activation_bits: 8, weight_bits: 8}"});
  }
}

TEST_CASE("a network whose 2..4-bit bands and tiles start mid-byte is bit-exact", "[vp_run][widths]") {
  for (int a = 2; a <= 4; ++a)
    check_bit_exact("odd_rows_a" + std::to_string(a),
                    {a, a, a % 2 == 0, "{rows: 4, cols: 8, activation_bits: 8, weight_bits: 8}"}, kOddNetwork,
                    kOddInput);
}

TEST_CASE("tiny_cnn is bit-exact on engines whose datapath is exactly as narrow as the data",
          "[vp_run][.engine_widths]") {
  for (int b = 2; b <= 7; ++b) {  // (8 is the datapath of the case above)
    const std::string hw = "{rows: 4, cols: 8, activation_bits: " + std::to_string(b) +
                           ", weight_bits: " + std::to_string(b) + "}";
    check_bit_exact("tiny_cnn_hw" + std::to_string(b) + "_signed", {b, b, true, hw});
    check_bit_exact("tiny_cnn_hw" + std::to_string(b) + "_unsigned", {b, b, false, hw});
  }
}

// Bad scenarios give the documented error: file, line, field and what is wrong.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "error.h"
#include "scenario.h"

using namespace dnnvp;

namespace {

std::string scenario_error(const std::string& text) {
  // One file per process: ctest runs test cases in parallel processes.
  const auto path =
      std::filesystem::temp_directory_path() / ("dnnvp_bad_scenario_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << text;
  try {
    load_scenario(path.string());
  } catch (const Error& e) {
    const std::string msg = e.what();
    const std::string prefix = path.string() + ":";
    REQUIRE(msg.rfind(prefix, 0) == 0);  // every message starts with the file name
    return msg.substr(prefix.size());
  }
  FAIL("no error for:\n" << text);
  return "";
}

}  // namespace

TEST_CASE("out-of-range hardware values name file, line and field", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  rows: 0\n") ==
        "3: hardware.rows: must be 1..256, got 0");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nquantization:\n  activation_bits: 9\n") ==
        "3: quantization.activation_bits: must be 2..8, got 9");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  accumulator_depth: 65537\n") ==
        "3: hardware.accumulator_depth: must be 1..65535, got 65537");
}

TEST_CASE("a missing required field is named", "[scenario]") {
  CHECK(scenario_error("name: x\n") == "1: network: required field is missing");
  CHECK(scenario_error(
            "network:\n  layers:\n    - {type: conv, filters: 4, kernel: 3}\ninput: {shape: [8, 8, 3]}\n") ==
        "3: network.layers[0].name: required field is missing");
  CHECK(scenario_error(
            "network:\n  layers:\n    - {name: c, type: conv, kernel: 3}\ninput: {shape: [8, 8, 3]}\n") ==
        "3: network.layers[0].filters: required field is missing");
}

TEST_CASE("a value of the wrong type is named with what was found", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  cols: eight\n") ==
        "3: hardware.cols: must be an integer, got 'eight'");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware: [1, 2]\n") ==
        "2: hardware: must be a mapping, got a list");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\ninput:\n  signed: maybe\n") ==
        "3: input.signed: must be true or false, got 'maybe'");
}

TEST_CASE("unknown keys are errors, not ignored", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  rows: 4\n  colums: 8\n") ==
        "4: hardware.colums: unknown key");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nextra: 1\n") == "2: extra: unknown key");
  CHECK(scenario_error("network:\n  layers:\n    - {name: p, type: maxpool, kernel: 2, filters: 3}\ninput: "
                       "{shape: [8, 8, 3]}\n") == "3: network.layers[0].filters: unknown key");
}

TEST_CASE("an unknown zoo model lists the known ones", "[scenario]") {
  const std::string msg = scenario_error("network:\n  zoo: resnet51\n");
  CHECK(msg.rfind("2: network.zoo: unknown zoo network 'resnet51' (known: ", 0) == 0);
  CHECK(msg.find("resnet50") != std::string::npos);
}

TEST_CASE("inconsistent layer graphs are reported at the layer's line", "[scenario]") {
  CHECK(scenario_error("network:\n  layers:\n    - {name: c, type: conv, filters: 4, kernel: 3}\n"
                       "    - {name: a, type: add, inputs: [c, nowhere]}\ninput: {shape: [8, 8, 3]}\n") ==
        "4: network.layers[1] (a).inputs: 'nowhere' is not an earlier layer");
  CHECK(scenario_error("network:\n  layers:\n    - {name: c, type: conv, filters: 4, kernel: 12}\ninput: "
                       "{shape: [16, 16, 3]}\n") == "3: network.layers[0].kernel: must be 1..11, got 12");
  CHECK(scenario_error(
            "network:\n  layers:\n    - {name: d, type: dense, units: 4}\ninput: {shape: [2, 2, 3]}\n") ==
        "3: network.layers[0] (d).input: dense needs a 1x1xC input (add a flatten), got 2x2x3");
}

TEST_CASE("hardware narrower than the quantisation is rejected", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  weight_bits: 4\n") ==
        "3: hardware.weight_bits: must be at least quantization.weight_bits (8), got 4");
}

TEST_CASE("duplicate keys and a scalar where a list is needed are rejected", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  rows: 4\n  rows: 5\n") ==
        "4: hardware.rows: duplicate key");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\ninput: {shape: 16}\n") ==
        "2: input.shape: must be a list of 3 integers, got '16'");
}

TEST_CASE("YAML syntax errors carry the line", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn\nhardware:\n").find("YAML syntax error") !=
        std::string::npos);
}

TEST_CASE("a valid scenario resolves defaults", "[scenario]") {
  const auto path = std::filesystem::temp_directory_path() / "dnnvp_good_scenario.yaml";
  std::ofstream(path) << "network: {zoo: tiny_cnn}\nquantization: {activation_bits: 4, weight_bits: 4}\n";
  const Scenario s = load_scenario(path.string());
  CHECK(s.name == "dnnvp_good_scenario");
  CHECK(s.hardware.activation_bits == 4);
  CHECK(s.hardware.weight_bits == 4);
  CHECK(s.hardware.accumulator_bits == 32);
  CHECK(s.hardware.accumulator_depth == 1024);
  CHECK(s.hardware.input_buffer_kib == 256);
  CHECK(s.hardware.weight_buffer_kib == 16);
  CHECK(s.hardware.output_buffer_kib == 256);
  CHECK(s.dram.preset == "ddr4-2400");
  CHECK(s.network.input_shape == Shape{16, 16, 3});
}

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
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  dw_line_pixels: -1\n") ==
        "3: hardware.dw_line_pixels: must be 0..65535, got -1");
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
  CHECK(scenario_error("network:\n  layers:\n    - {name: g, type: conv, filters: 4, kernel: 3, groups: 3}\n"
                       "input: {shape: [8, 8, 6]}\n") ==
        "3: network.layers[0] (g).groups: 3 must divide the input channels (6) and filters (4)");
  CHECK(scenario_error("network:\n  layers:\n    - {name: g, type: conv, filters: 4, kernel: 3, groups: 0}\n"
                       "input: {shape: [8, 8, 4]}\n") ==
        "3: network.layers[0].groups: must be 1..65535, got 0");
}

TEST_CASE("hardware.fold_max must be a power of two up to 8", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  fold_max: 3\n") ==
        "3: hardware.fold_max: must be a power of two, got 3");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  fold_max: 16\n") ==
        "3: hardware.fold_max: must be 1..8, got 16");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  fold_max: 0\n") ==
        "3: hardware.fold_max: must be 1..8, got 0");
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
  CHECK(s.hardware.dw_line_pixels == 0);  // no depthwise feed
  CHECK(s.dram.preset == "ddr4-2400");
  CHECK(s.network.input_shape == Shape{16, 16, 3});
  CHECK(s.quant.rounding == Rounding::HalfUp);
}

TEST_CASE("quantization.rounding selects ties to even and names both modes when it is neither",
          "[scenario]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("dnnvp_rounding_scenario_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "network: {zoo: tiny_cnn}\nquantization: {rounding: half_even}\n";
  CHECK(load_scenario(path.string()).quant.rounding == Rounding::HalfEven);
  CHECK(scenario_error(
            "network: {zoo: tiny_cnn}\nquantization:\n  requant: per_tensor\n  rounding: half_down\n") ==
        "4: quantization.rounding: must be one of half_up, half_even, got 'half_down'");
}

TEST_CASE("names outside the name character set are rejected at their field", "[scenario]") {
  // A newline would end a Tcl comment and run the next line; "*/" would end a C comment.
  CHECK(scenario_error("name: \"x\\nexec touch pwned\\n#\"\nnetwork: {zoo: tiny_cnn}\n") ==
        "1: name: must be 1..64 characters of A-Z a-z 0-9 _ . - not starting with . or -, got "
        "'x\\nexec touch pwned\\n#'");
  CHECK(scenario_error("name: ../../escaped\nnetwork: {zoo: tiny_cnn}\n") ==
        "1: name: must be 1..64 characters of A-Z a-z 0-9 _ . - not starting with . or -, got "
        "'../../escaped'");
  CHECK(scenario_error("name: ''\nnetwork: {zoo: tiny_cnn}\n") ==
        "1: name: must be 1..64 characters of A-Z a-z 0-9 _ . - not starting with . or -, got ''");
  CHECK(scenario_error("name: \"caf\\xE9\"\nnetwork: {zoo: tiny_cnn}\n").find("got 'caf\\xc3\\xa9'") !=
        std::string::npos);
  CHECK(scenario_error("name: " + std::string(65, 'a') + "\nnetwork: {zoo: tiny_cnn}\n")
            .rfind("1: name: must be 1..64 characters", 0) == 0);
  CHECK(scenario_error("input: {shape: [4, 4, 3]}\nnetwork:\n  layers:\n"
                       "    - {name: \"a*/ int x; /*\", type: conv, filters: 3, kernel: 1}\n") ==
        "4: network.layers[0].name: must be 1..64 characters of A-Z a-z 0-9 _ . - not starting with . or -, "
        "got 'a*/ int x; /*'");
  CHECK(scenario_error("input: {shape: [4, 4, 3]}\nnetwork:\n  layers:\n"
                       "    - {name: \"c\\nd\", type: conv, filters: 3, kernel: 1}\n")
            .rfind("4: network.layers[0].name: must be", 0) == 0);
}

TEST_CASE("a network file's name is checked like a scenario's", "[scenario]") {
  const auto net =
      std::filesystem::temp_directory_path() / ("dnnvp_bad_network_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(net) << "name: \"net\\\"; #\"\ninput: [4, 4, 3]\nlayers:\n"
                        "  - {name: c, type: conv, filters: 3, kernel: 1}\n";
  const auto path = std::filesystem::temp_directory_path() /
                    ("dnnvp_uses_bad_network_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "network: {file: " << net.string() << "}\n";
  CHECK_THROWS_WITH(load_scenario(path.string()),
                    net.string() +
                        ":1: name: must be 1..64 characters of A-Z a-z 0-9 _ . - not starting "
                        "with . or -, got 'net\"; #'");
}

TEST_CASE("a scenario without a name needs a file name that is a valid name", "[scenario]") {
  const auto path =
      std::filesystem::temp_directory_path() / ("dnnvp bad stem " + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "network: {zoo: tiny_cnn}\n";
  CHECK_THROWS_WITH(load_scenario(path.string()),
                    path.string() +
                        ": name: not given, so the file name without .yaml is used; it must be "
                        "1..64 characters of A-Z a-z 0-9 _ . - not starting with . or -, got '" +
                        path.stem().string() + "'");
}

TEST_CASE("a description that is not UTF-8 is rejected, not written into manifest.json", "[scenario]") {
  CHECK(scenario_error("description: \"\xFF\"\nnetwork: {zoo: tiny_cnn}\n") ==
        "1: description: must be UTF-8 text");
  CHECK(scenario_error("description: \"caf\xC3\"\nnetwork: {zoo: tiny_cnn}\n") ==
        "1: description: must be UTF-8 text");
}

TEST_CASE("dram.base and dram.size_mib accept only what the platform's memory map allows", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\ndram:\n  base: 0x40000000\n") ==
        "3: dram.base: must be 0x80000000 (the DRAM region of platform/memory_map.yaml), got 0x40000000");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\ndram:\n  size_mib: 2049\n") ==
        "3: dram.size_mib: must be 16..2048, got 2049");
}

TEST_CASE("a Conv/Dense layer reading more channels than the engine's 16-bit fields is rejected",
          "[scenario]") {
  // 64x64x17 flattened is 69632 channels: the engine would wrap them to 4096 and compute a wrong answer.
  CHECK(scenario_error("input: {shape: [64, 64, 17]}\nnetwork:\n  layers:\n    - {name: f, type: flatten}\n"
                       "    - {name: d, type: dense, units: 4}\n") ==
        "5: network.layers[1] (d).input: 69632 input channels; the engine takes at most 65535 (its channel "
        "fields are 16 bits)");
  CHECK(scenario_error("input: {shape: [65535, 65535, 65535]}\nnetwork:\n  layers:\n"
                       "    - {name: f, type: flatten}\n    - {name: d, type: dense, units: 4}\n") ==
        "4: network.layers[0] (f).input: 65535x65535x65535 has more elements than any DRAM holds");
}

TEST_CASE("mapping keys are booleans and nothing else", "[scenario]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nmapping:\n  fuse: maybe\n") ==
        "3: mapping.fuse: must be true or false, got 'maybe'");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nmapping:\n  engine_pools: 2\n") ==
        "3: mapping.engine_pools: must be true or false, got '2'");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nmapping:\n  stem_im2col: 1x\n") ==
        "3: mapping.stem_im2col: must be true or false, got '1x'");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nmapping:\n  block_group: 3\n") ==
        "3: mapping.block_group: must be true or false, got '3'");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nmapping:\n  engine_pools: true\n  pools: true\n") ==
        "4: mapping.pools: unknown key");
}

TEST_CASE("a sizing budget names file, line and field when it is given twice, incomplete or unknown",
          "[scenario][sizing]") {
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  fpga: zcu104\n  asic: {area_mm2: 2}\n") ==
        "4: hardware.asic: give hardware.fpga or hardware.asic, not both");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  asic: {clock_mhz: 400}\n") ==
        "3: hardware.asic.area_mm2: required field is missing");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  clock_mhz: 300\n  asic: {area_mm2: 2, clock_mhz: 400}\n") ==
        "4: hardware.asic.clock_mhz: give the clock once: here or as hardware.clock_mhz");
  CHECK(scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  asic: {area_mm2: 2, speed: 1}\n") ==
        "3: hardware.asic.speed: unknown key");
  const std::string unknown = scenario_error("network: {zoo: tiny_cnn}\nhardware:\n  fpga: virtex2\n");
  CHECK(unknown.rfind("3: hardware.fpga: ", 0) == 0);
  CHECK(unknown.find("virtex2") != std::string::npos);
  CHECK(unknown.find("zcu104") != std::string::npos);  // the known parts are listed
}

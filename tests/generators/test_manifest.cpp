// manifest.json's typed schema (generators/manifest.h): what vp_gen writes reads back into the same structs
// and writes out again unchanged, and the reader names the key of every fault, also in keys the platform
// never read before the schema (shapes, inputs, the engine layers' blob).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "emit_manifest.h"
#include "error.h"
#include "manifest.h"

using namespace dnnvp;
using nlohmann::json;

namespace {

const std::string kSource = DNNVP_SOURCE_DIR;

json tiny_cnn_manifest() {
  const Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  return manifest_json(s, synthesize(s), plan_layout(s), plan_network(s));
}

std::string error_of(const json& m) {
  try {
    parse_manifest(m.dump(), "m.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a manifest vp_gen writes reads back into the schema and writes out unchanged", "[manifest]") {
  const json written = tiny_cnn_manifest();
  const Manifest m = parse_manifest(written.dump(), "m.json");
  CHECK(json(m) == written);
  CHECK(m.layers.size() == 12);
  CHECK(m.layers[0].on_engine());
  CHECK(m.layers[0].engine->tiles == 1);
  CHECK(!m.layers[10].engine);  // flatten
  CHECK(m.expected().file == "expected.bin");
}

TEST_CASE("hw.json reads back as the manifest's hardware", "[manifest]") {
  const Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  const json hw = hardware_json(s);
  const auto h = checked<manifest::Hardware>(hw, "hw.json");
  CHECK(json(h) == hw);
  CHECK(h.shape.rows == 4);
  CHECK(h.shape.cols == 8);
  json bad = hw;
  bad["run"]["stall_probability"] = "high";
  CHECK_THROWS_WITH(checked<manifest::Hardware>(bad, "hw.json"),
                    "hw.json: run.stall_probability: expected a number, got string \"high\"");
}

TEST_CASE("the manifest reader names the key path of a fault anywhere in the schema", "[manifest]") {
  const json good = tiny_cnn_manifest();
  json m = good;
  m["layers"][2].erase("inputs");
  CHECK(error_of(m) == "m.json: layers[2].inputs: missing");
  m = good;
  m["layers"][1]["input_shapes"][0][2] = -1;
  CHECK(error_of(m) == "m.json: layers[1].input_shapes[0][2]: expected an unsigned integer, got number -1");
  m = good;
  m["layers"][0]["output_shape"] = {16, 16};
  CHECK(error_of(m) == "m.json: layers[0].output_shape: expected an array of 3, got array [16,16]");
  m = good;
  m["layers"][0].erase("blob");
  CHECK(error_of(m) == "m.json: layers[0].blob: missing");
  m = good;
  m["layers"][4]["add"]["shift"] = 1.5;
  CHECK(error_of(m) == "m.json: layers[4].add.shift: expected an integer, got number 1.5");
  m = good;
  m["layers"][0]["engine"]["dram_bytes"] = json::array();
  CHECK(error_of(m) == "m.json: layers[0].engine.dram_bytes: expected an object, got array []");
  m = good;
  m["input"]["quant"].erase("scale");
  CHECK(error_of(m) == "m.json: input.quant.scale: missing");
  // A key only some layer types have is required for those.
  m = good;
  m["layers"][5].erase("window");
  CHECK(error_of(m) == "m.json: layers[5].window: missing");
  m = good;
  m["layers"][8].erase("add");
  CHECK(error_of(m) == "m.json: layers[8].add: missing");
}

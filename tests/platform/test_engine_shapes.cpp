// The engine shape, its key and the named shapes of rtl/engine_shapes.json (models/base/engine_shape.h),
// and tools/engine_shapes, which CMake and tools/rtl_lint.sh ask instead of computing shapes or keys.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "emit.h"
#include "engine_shape.h"
#include "run_options.h"
#include "scenario.h"

namespace fs = std::filesystem;

namespace {

const std::string kShapes = std::string(DNNVP_SOURCE_DIR) + "/rtl/engine_shapes.json";

std::string scenario_key(const std::string& file) {
  return dnnvp::engine_model_key(
      dnnvp::engine_shape_json(
          dnnvp::load_scenario(std::string(DNNVP_SOURCE_DIR) + "/scenarios/" + file).hardware),
      false);
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = fs::path(DNNVP_TEST_TMP) / name;
  std::ofstream(p) << text;
  return p;
}

// Runs the tool; its exit status and stdout.
std::pair<int, std::string> engine_shapes(const std::string& args) {
  const std::string cmd = std::string(DNNVP_ENGINE_SHAPE_TOOL) + " " + kShapes + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("the engine shape's key spells every parameter, then -trace and -assert", "[engine_shape]") {
  dnnvp::EngineShape s;
  CHECK(dnnvp::engine_shape_key(s) == "r8c16s64a8w8acc32d1024i262144wb16384o262144");
  s.rows = 4;
  s.cols = 8;
  s.trace = true;
  CHECK(dnnvp::engine_shape_key(s) == "r4c8s64a8w8acc32d1024i262144wb16384o262144-trace");
  s.assertions = true;
  CHECK(dnnvp::engine_shape_key(s) == "r4c8s64a8w8acc32d1024i262144wb16384o262144-trace-assert");
  s.trace = false;
  CHECK(dnnvp::engine_shape_key(s) == "r4c8s64a8w8acc32d1024i262144wb16384o262144-assert");
}

TEST_CASE("fold_max is in the key only when it is not 1, so every existing key stays", "[engine_shape]") {
  dnnvp::EngineShape s;
  s.rows = 7;
  s.cols = 96;
  s.stream_bits = 256;
  CHECK(dnnvp::engine_shape_key(s) == "r7c96s256a8w8acc32d1024i262144wb16384o262144");
  s.fold_max = 4;
  CHECK(dnnvp::engine_shape_key(s) == "r7c96s256a8w8acc32d1024i262144wb16384o262144f4");
  s.trace = true;
  CHECK(dnnvp::engine_shape_key(s) == "r7c96s256a8w8acc32d1024i262144wb16384o262144f4-trace");
}

TEST_CASE("dw_line_pixels is in the key only when it is not 0, so every existing key stays",
          "[engine_shape]") {
  dnnvp::EngineShape s;
  CHECK(dnnvp::engine_shape_key(s) == "r8c16s64a8w8acc32d1024i262144wb16384o262144");
  s.fold_max = 2;
  s.dw_line_pixels = 128;
  CHECK(dnnvp::engine_shape_key(s) == "r8c16s64a8w8acc32d1024i262144wb16384o262144f2dw128");
}

TEST_CASE("dw_line_pixels may be 0 (no depthwise feed) but not negative", "[engine_shape]") {
  using Catch::Matchers::Contains;
  dnnvp::EngineShape s;
  CHECK_NOTHROW(dnnvp::check_engine_shape(s, "here"));
  s.dw_line_pixels = -1;
  CHECK_THROWS_WITH(dnnvp::check_engine_shape(s, "here"),
                    Contains("here: dw_line_pixels must be an integer >= 0, got -1"));
  const fs::path zero = write("shapes_dw.json", R"({"shapes": {"dw": {"dw_line_pixels": 0}}})");
  CHECK(dnnvp::named_engine_shape("dw", zero.string()).dw_line_pixels == 0);
  const fs::path neg = write("shapes_dw_neg.json", R"({"shapes": {"neg": {"dw_line_pixels": -2}}})");
  CHECK_THROWS_WITH(dnnvp::named_engine_shape("neg", neg.string()),
                    Contains("shapes.neg: dw_line_pixels: expected an integer >= 0, got -2"));
}

TEST_CASE("fold_max must be a power of two up to 8", "[engine_shape]") {
  using Catch::Matchers::Contains;
  for (const int ok : {1, 2, 4, 8}) {
    dnnvp::EngineShape s;
    s.fold_max = ok;
    CHECK_NOTHROW(dnnvp::check_engine_shape(s, "here"));
  }
  for (const int bad : {3, 6, 16}) {
    dnnvp::EngineShape s;
    s.fold_max = bad;
    CHECK_THROWS_WITH(dnnvp::check_engine_shape(s, "here"),
                      Contains("here: fold_max must be a power of two up to 8, got " + std::to_string(bad)));
  }
  const fs::path f = write("shapes_fold.json", R"({"shapes": {"odd": {"fold_max": 3}}})");
  CHECK_THROWS_WITH(dnnvp::named_engine_shape("odd", f.string()),
                    Contains("shapes.odd: fold_max must be a power of two up to 8, got 3"));
}

TEST_CASE("a scenario's engine fields default to the default engine shape", "[engine_shape]") {
  const nlohmann::json hw = dnnvp::engine_shape_json(dnnvp::HardwareConfig{});
  CHECK(hw == dnnvp::engine_shape_json(dnnvp::EngineShape{}));
  CHECK(dnnvp::engine_model_key(hw, true) == dnnvp::engine_shape_key([] {
          dnnvp::EngineShape s;
          s.trace = true;
          return s;
        }()));
}

TEST_CASE("the named shapes are the scenarios' shapes", "[engine_shape]") {
  CHECK(dnnvp::engine_shape_key(dnnvp::named_engine_shape("default", kShapes)) ==
        scenario_key("jettagger.yaml"));
  CHECK(dnnvp::engine_shape_key(dnnvp::named_engine_shape("tiny", kShapes)) == scenario_key("tiny_cnn.yaml"));
  CHECK(dnnvp::engine_shape_key(dnnvp::named_engine_shape("kraken", kShapes)) ==
        scenario_key("resnet50_7x96.yaml"));
}

TEST_CASE("a named shape lists only what differs from the default shape", "[engine_shape]") {
  const fs::path f =
      write("shapes_minimal.json", R"({"shapes": {"narrow": {"rows": 2, "activation_bits": 4}}})");
  const dnnvp::EngineShape s = dnnvp::named_engine_shape("narrow", f.string());
  dnnvp::EngineShape want;
  want.rows = 2;
  want.act_bits = 4;
  CHECK(dnnvp::engine_shape_key(s) == dnnvp::engine_shape_key(want));
}

TEST_CASE("a bad shapes file is an error naming the file, the shape and the key", "[engine_shape]") {
  using Catch::Matchers::Contains;
  const fs::path unknown = write("shapes_unknown_key.json", R"({"shapes": {"odd": {"rowz": 2}}})");
  CHECK_THROWS_WITH(dnnvp::named_engine_shape("odd", unknown.string()),
                    Contains("shapes_unknown_key.json: shapes.odd: rowz: not an engine parameter"));
  const fs::path zero = write("shapes_zero.json", R"({"shapes": {"odd": {"cols": 0}}})");
  CHECK_THROWS_WITH(dnnvp::named_engine_shape("odd", zero.string()),
                    Contains("shapes.odd: cols: expected a positive integer, got 0"));
  const fs::path stream = write("shapes_stream.json", R"({"shapes": {"odd": {"stream_bits": 12}}})");
  CHECK_THROWS_WITH(dnnvp::named_engine_shape("odd", stream.string()),
                    Contains("shapes.odd: stream_bits must be a multiple of 8, got 12"));
  CHECK_THROWS_WITH(dnnvp::named_engine_shape("nosuch", kShapes),
                    Contains("no engine shape 'nosuch' (shapes: ") && Contains("tiny"));
}

TEST_CASE("engine_shapes gives CMake a named shape with overrides and its key", "[engine_shape]") {
  const auto [status, out] = engine_shapes("shape tiny ACC_DEPTH=64 TRACE");
  CHECK(status == 0);
  CHECK(out ==
        "ROWS;4;COLS;8;STREAM_BITS;64;ACT_BITS;8;WEIGHT_BITS;8;ACC_BITS;32;ACC_DEPTH;64;"
        "INPUT_BUFFER_BYTES;262144;WEIGHT_BUFFER_BYTES;16384;OUTPUT_BUFFER_BYTES;262144;FOLD_MAX;1;DW_LINE_"
        "PIXELS;0;"
        "KEY;r4c8s64a8w8acc32d64i262144wb16384o262144-trace");
  const auto [bad, message] = engine_shapes("shape tiny ROWZ=3");
  CHECK(bad == 2);
  CHECK(message.find("unknown engine parameter 'ROWZ=3'") != std::string::npos);
}

TEST_CASE("engine_shapes lists the shipped simulators and the lint parameter sets", "[engine_shape]") {
  const auto [status, shipped] = engine_shapes("shipped");
  CHECK(status == 0);
  CHECK(shipped.find("vp_sim_8x16 default\n") != std::string::npos);
  CHECK(shipped.find("vp_sim_4x8 tiny\n") != std::string::npos);
  CHECK(shipped.find("vp_sim_4x8_trace tiny TRACE\n") != std::string::npos);
  const auto [lint_status, lint] = engine_shapes("lint");
  CHECK(lint_status == 0);
  CHECK(lint.find("-GRows=256 -GCols=256 -GStreamBits=64 -GActBits=6 -GWeightBits=3 ") != std::string::npos);
}

// An imported model end to end: a QDQ model written by the test (tests/onnx/model_builder.h: conv + ReLU,
// max pool, 1x1 conv, residual add, flatten, dense) as a scenario's network.onnx through vp_run on the
// 4x8 simulator; the VP's output must equal the golden model's bit for bit.
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "model_builder.h"
#include "run_tool.h"

namespace fs = std::filesystem;

TEST_CASE("vp_run runs a scenario's network.onnx (a QDQ model) bit-exact", "[onnx]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "onnx_qdq";
  fs::remove_all(dir);
  fs::create_directories(dir);
  onnx_test::qdq_model().save((dir / "qdq.onnx").string());
  // vp_run_passing recreates its directory: the scenario names the model by an absolute path.
  const nlohmann::json r =
      dnnvp_test::vp_run_passing(DNNVP_VP_RUN, dir / "run", "onnx_qdq",
                                 "network: {onnx: " + (dir / "qdq.onnx").string() +
                                     "}\ninput: {seed: 3}\nhardware: {rows: 4, cols: 8}\n");
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  CHECK(r.at("layers").size() == 6);
}

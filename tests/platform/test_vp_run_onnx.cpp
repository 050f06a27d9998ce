// An imported model end to end: a QDQ model written by the test (tests/onnx/model_builder.h: conv + ReLU,
// max pool, 1x1 conv, residual add, flatten, dense; and a batched MatMul model) as a scenario's
// network.onnx through vp_run on the 4x8 simulator; the VP's output must equal the golden model's bit
// for bit.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "avgpool_ties_model.h"
#include "model_builder.h"
#include "npy.h"
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

TEST_CASE("vp_run runs average pools with an odd zero point bit-exact with ONNX's ties to even", "[onnx]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "onnx_avgpool_ties";
  fs::remove_all(dir);
  fs::create_directories(dir);
  onnx_test::avgpool_ties_model().save((dir / "ties.onnx").string());
  dnnvp::write_npy_int32((dir / "x.npy").string(), onnx_test::avgpool_ties_input(),
                         {1, onnx_test::kTiesChannels, onnx_test::kTiesSize, onnx_test::kTiesSize});
  const nlohmann::json r = dnnvp_test::vp_run_passing(DNNVP_VP_RUN, dir / "run", "onnx_avgpool_ties",
                                                      "network: {onnx: " + (dir / "ties.onnx").string() +
                                                          "}\ninput: {file: " + (dir / "x.npy").string() +
                                                          "}\nhardware: {rows: 4, cols: 8}\n");
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  // The output the VP matched is ONNX's (tests/onnx/avgpool_ties_model.h): z + 2 and z - 2.
  std::ifstream f(dir / "run" / "out" / "expected.bin", std::ios::binary);
  const std::vector<char> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  CHECK(std::vector<int>(bytes.begin(), bytes.end()) ==
        std::vector<int>{onnx_test::kTiesZeroPoint + 2, onnx_test::kTiesZeroPoint - 2});
}

TEST_CASE("vp_run runs a batched-MatMul model on input.file's [N, b, M, K] images bit-exact", "[onnx]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "onnx_matmul3d";
  fs::remove_all(dir);
  fs::create_directories(dir);
  onnx_test::qdq_matmul3d_model().save((dir / "m3.onnx").string());
  // Two [2, 3, 4] inputs of stored uint8 values in the model's own layout.
  dnnvp::write_npy_int32((dir / "images.npy").string(), onnx_test::pattern(48, 0, 255, 7), {2, 2, 3, 4});
  const nlohmann::json r = dnnvp_test::vp_run_passing(
      DNNVP_VP_RUN, dir / "run", "onnx_matmul3d",
      "network: {onnx: " + (dir / "m3.onnx").string() + "}\ninput: {file: " + (dir / "images.npy").string() +
          "}\nhardware: {rows: 4, cols: 8}\n");
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  CHECK(r.at("output_check").at("elements") == 2 * 2 * 3 * 3);
  CHECK(r.at("layers").size() == 2);
  REQUIRE(r.at("images").size() == 2);
  for (const auto& image : r.at("images")) CHECK(image.at("mismatches") == 0);
}

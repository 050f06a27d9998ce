// A batch of images in one simulation (docs/firmware.md, "Batches"): tiny_cnn on three images from a
// file, with labels and reference predictions, through vp_run on the 4x8 simulator: every image's output
// bit-exact, its predicted class the golden model's, accuracy from the labels; a wrong expected output
// of one image fails the run and is counted on that image; a bad image file is an error naming it.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "npy.h"
#include "run_tool.h"
#include "scenario.h"
#include "synthesize.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kImages = 3;
const std::vector<std::int32_t> kLabels = {1, 2, 3}, kReference = {1, 2, 9};

// DIR/batch.yaml: tiny_cnn (16x16x3) on kImages images (stored uint8 values as int32, NHWC) with labels
// and reference classes, all written beside it; `images_shape` overrides the images' shape.
fs::path write_batch_scenario(const fs::path& dir,
                              std::vector<std::int64_t> images_shape = {kImages, 16, 16, 3}) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::int64_t count = 1;
  for (auto d : images_shape) count *= d;
  std::vector<std::int32_t> pixels(static_cast<std::size_t>(count));
  for (std::size_t k = 0; k < pixels.size(); ++k)
    pixels[k] = static_cast<std::int32_t>((k * 37 + k / 7) % 256);
  dnnvp::write_npy_int32((dir / "images.npy").string(), pixels, images_shape);
  dnnvp::write_npy_int32((dir / "labels.npy").string(), kLabels, {kImages});
  dnnvp::write_npy_int32((dir / "reference.npy").string(), kReference, {kImages});
  const fs::path scenario = dir / "batch.yaml";
  std::ofstream(scenario) << "name: batch\nnetwork: {zoo: tiny_cnn}\n"
                             "input: {file: images.npy, labels: labels.npy, reference: reference.npy}\n"
                             "hardware: {rows: 4, cols: 8}\n";
  return scenario;
}

double top1(const std::vector<std::int64_t>& classes, const std::vector<std::int32_t>& labels) {
  int right = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) right += classes[i] == labels[i];
  return static_cast<double>(right) / static_cast<double>(labels.size());
}

}  // namespace

TEST_CASE(
    "a batch of images runs in one simulation, each bit-exact with the golden model's class, and "
    "accuracy comes from the labels",
    "[vp_run][batch]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "batch_pass";
  const fs::path scenario = write_batch_scenario(dir);
  const dnnvp::SynthesizedModel golden = dnnvp::synthesize(dnnvp::load_scenario(scenario.string()));
  REQUIRE(golden.batch.golden.size() == kImages);
  const dnnvp_test::ToolRun run =
      dnnvp_test::run_tool({DNNVP_VP_RUN, scenario.string(), "--out", (dir / "out").string(), "-q"}, dir);
  INFO(run.output);
  REQUIRE(run.status == 0);
  std::ifstream f(dir / "out" / "report.json");
  const json r = json::parse(f);
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("elements") == 10 * kImages);
  CHECK(r.at("output_check").at("firmware").at("checked") == 10 * kImages);
  const json& images = r.at("images");
  REQUIRE(images.size() == kImages);
  std::vector<std::int64_t> predicted;
  for (int i = 0; i < kImages; ++i) {
    const json& image = images.at(i);
    CHECK(image.at("index") == i);
    CHECK(image.at("mismatches") == 0);
    CHECK(image.at("golden") == golden.batch.golden[i]);
    CHECK(image.at("predicted") == golden.batch.golden[i]);
    CHECK(image.at("label") == kLabels[i]);
    CHECK(image.at("reference") == kReference[i]);
    CHECK(image.at("cycles").get<std::uint64_t>() > 0);
    predicted.push_back(image.at("predicted").get<std::int64_t>());
  }
  const json& accuracy = r.at("accuracy");
  CHECK(accuracy.at("images") == kImages);
  CHECK(accuracy.at("vp_top1").get<double>() == Approx(top1(predicted, kLabels)));
  CHECK(accuracy.at("golden_top1").get<double>() == Approx(top1(golden.batch.golden, kLabels)));
  CHECK(accuracy.at("float_top1").get<double>() == Approx(2.0 / 3.0));
  // Weights loaded once, the network run once per image: each engine layer's MACs three times over.
  for (const json& l : r.at("layers"))
    if (l.at("where") == "engine") CHECK(l.at("engine_macs") == kImages * l.at("macs").get<std::uint64_t>());
}

TEST_CASE("one image's output that differs from its expected output fails the batch, counted on that image",
          "[vp_run][batch]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "batch_corrupt";
  const fs::path scenario = write_batch_scenario(dir);
  const fs::path out = dir / "out";
  dnnvp_test::ToolRun run =
      dnnvp_test::run_tool({DNNVP_VP_RUN, scenario.string(), "--out", out.string(), "-q"}, dir);
  REQUIRE(run.status == 0);
  // Image 1's expected output starts one 64-byte stride into expected.bin (docs/formats.md).
  {
    std::fstream f(out / "expected.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(64 + 4);
    const char old = static_cast<char>(f.get());
    f.seekp(64 + 4);
    f.put(static_cast<char>(old ^ 0x40));
  }
  run = dnnvp_test::run_tool(
      {DNNVP_VP_SIM_4X8, "--dir", out.string(), "--firmware", (out / "firmware.elf").string(), "-q"}, dir);
  INFO(run.output);
  CHECK(run.status == 1);
  std::ifstream f(out / "report.json");
  const json r = json::parse(f);
  CHECK(r.at("status") == "fail");
  CHECK(r.at("exit_code") == 1);  // the firmware's own check failed too
  CHECK(r.at("output_check").at("mismatches") == 1);
  CHECK(r.at("output_check").at("first_mismatches").at(0).at("index") == 10 + 4);
  CHECK(r.at("output_check").at("firmware").at("mismatches") == 1);
  const json& images = r.at("images");
  REQUIRE(images.size() == kImages);
  CHECK(images.at(0).at("mismatches") == 0);
  CHECK(images.at(1).at("mismatches") == 1);
  CHECK(images.at(2).at("mismatches") == 0);
}

TEST_CASE("an image file that does not match the network's input is an error naming it, exit 2",
          "[vp_run][batch]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "batch_bad";
  const fs::path scenario = write_batch_scenario(dir, {kImages, 16, 16, 4});
  const dnnvp_test::ToolRun run =
      dnnvp_test::run_tool({DNNVP_VP_RUN, scenario.string(), "--out", (dir / "out").string(), "-q"}, dir);
  INFO(run.output);
  CHECK(run.status == 2);
  CHECK(run.output.find((dir / "images.npy").string() +
                        ": shape (3, 16, 16, 4) is neither the network's input") != std::string::npos);
  std::ifstream f(dir / "out" / "report.json");
  const json r = json::parse(f);
  CHECK(r.at("end") == "bad_input");
}

TEST_CASE("a single image's report gives its predicted class, the golden model's, its cycles and no accuracy",
          "[vp_run][batch]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "batch_single";
  const std::string scenario = std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml";
  const json r = dnnvp_test::vp_run_passing(DNNVP_VP_RUN, dir, "tiny_cnn",
                                            "name: tiny_cnn\nnetwork: {zoo: tiny_cnn}\n"
                                            "hardware: {rows: 4, cols: 8}\n");
  const dnnvp::SynthesizedModel golden = dnnvp::synthesize(dnnvp::load_scenario(scenario));
  const json& images = r.at("images");
  REQUIRE(images.size() == 1);
  CHECK(images.at(0).at("index") == 0);
  CHECK(images.at(0).at("mismatches") == 0);
  CHECK(images.at(0).at("golden") == golden.batch.golden.at(0));
  CHECK(images.at(0).at("predicted") == dnnvp::predicted_class(golden.outputs.back()));
  CHECK(!images.at(0).contains("label"));
  std::uint64_t cycles = 0;
  for (const json& l : r.at("layers")) cycles += l.at("cpu_timer_cycles").get<std::uint64_t>();
  CHECK(images.at(0).at("cycles") == cycles);
  CHECK(!r.contains("accuracy"));
}

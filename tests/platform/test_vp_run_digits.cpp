// The shipped digits CNN (scenarios/digits_cnn.yaml: dnnvp_torch's model trained on scikit-learn's digits,
// imported from ONNX) on the first 20 images of its held-out batch through vp_run: every image bit-exact,
// the VP's class the golden model's for every image, and the accuracy figures of the report agree with the
// classes and labels it lists. The whole 200-image batch runs in tools/bench.
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

constexpr int kImages = 20;

// DIR/digits_20.yaml: scenarios/digits_cnn.yaml with `input.count: kImages`, its files reached through a
// link to scenarios/digits, so the test runs the shipped scenario and data, not a copy.
fs::path write_digits_scenario(const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path scenarios = fs::path(DNNVP_SOURCE_DIR) / "scenarios";
  fs::create_directory_symlink(scenarios / "digits", dir / "digits");
  std::ifstream in(scenarios / "digits_cnn.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string key = "\ninput:\n";
  const std::size_t at = yaml.find(key);
  REQUIRE(at != std::string::npos);
  yaml.insert(at + key.size(), "  count: " + std::to_string(kImages) + "\n");
  const fs::path scenario = dir / "digits_20.yaml";
  std::ofstream(scenario) << yaml;
  return scenario;
}

}  // namespace

TEST_CASE("the digits CNN's first 20 held-out images run bit-exact through vp_run, each with the golden "
          "model's class",
          "[vp_run][batch][onnx]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "digits_20";
  const fs::path scenario = write_digits_scenario(dir);
  const dnnvp_test::ToolRun run =
      dnnvp_test::run_tool({DNNVP_VP_RUN, scenario.string(), "--out", (dir / "out").string(), "-q"}, dir);
  INFO(run.output);
  REQUIRE(run.status == 0);
  std::ifstream f(dir / "out" / "report.json");
  const json r = json::parse(f);
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  const json& images = r.at("images");
  REQUIRE(images.size() == kImages);
  int vp_right = 0, golden_right = 0, float_right = 0;
  for (int i = 0; i < kImages; ++i) {
    const json& image = images.at(i);
    INFO("image " << i);
    CHECK(image.at("mismatches") == 0);
    CHECK(image.at("predicted") == image.at("golden"));
    vp_right += image.at("predicted") == image.at("label");
    golden_right += image.at("golden") == image.at("label");
    float_right += image.at("reference") == image.at("label");
  }
  const json& accuracy = r.at("accuracy");
  CHECK(accuracy.at("images") == kImages);
  CHECK(accuracy.at("vp_top1").get<double>() == Approx(static_cast<double>(vp_right) / kImages));
  CHECK(accuracy.at("golden_top1").get<double>() == Approx(static_cast<double>(golden_right) / kImages));
  CHECK(accuracy.at("float_top1").get<double>() == Approx(static_cast<double>(float_right) / kImages));
  // A trained model, not noise: most of these digits are recognised.
  CHECK(vp_right >= kImages * 9 / 10);
}

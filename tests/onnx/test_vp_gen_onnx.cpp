// vp_gen --onnx MODEL [--hardware HW.yaml] -o DIR: the command line, its artefacts and its exit statuses.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "model_builder.h"

namespace {

namespace fs = std::filesystem;

// Exit status of a shell command, its output going to DIR/log.
int run(const std::string& command, const fs::path& dir) {
  const int raw = std::system((command + " > '" + (dir / "log").string() + "' 2>&1").c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

}  // namespace

TEST_CASE("vp_gen --onnx writes a model's artefacts, named after the file, with the hardware file's engine",
          "[onnx]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "vp_gen_onnx";
  fs::remove_all(dir);
  fs::create_directories(dir);
  onnx_test::qdq_model().save((dir / "small-net.onnx").string());
  std::ofstream(dir / "hw.yaml") << "hardware: {rows: 4, cols: 8}\n";
  const std::string vp_gen = DNNVP_VP_GEN;
  const std::string model = (dir / "small-net.onnx").string();
  REQUIRE(run(vp_gen + " -q --onnx " + model + " --hardware " + (dir / "hw.yaml").string() + " -o " +
                  (dir / "out").string(),
              dir) == 0);
  std::ifstream in(dir / "out" / "manifest.json");
  const nlohmann::json m = nlohmann::json::parse(in);
  CHECK(m.at("scenario").at("name") == "small-net");
  CHECK(m.at("hardware").at("rows") == 4);
  CHECK(m.at("layers").size() == 6);
  CHECK(m.at("layers").at(0).at("multiplier_error").size() == 4);
  CHECK_FALSE(m.at("layers").at(1).contains("multiplier_error"));
  // A scenario and --onnx, --hardware without --onnx: command-line errors (2); a bad model: 1, nothing
  // written.
  CHECK(run(vp_gen + " " + (dir / "hw.yaml").string() + " --onnx " + model + " -o " + (dir / "x").string(),
            dir) == 2);
  CHECK(run(vp_gen + " " + (dir / "hw.yaml").string() + " --hardware " + (dir / "hw.yaml").string() + " -o " +
                (dir / "x").string(),
            dir) == 2);
  std::ofstream(dir / "bad.onnx") << "garbage";
  CHECK(run(vp_gen + " --onnx " + (dir / "bad.onnx").string() + " -o " + (dir / "bad").string(), dir) == 2);
  CHECK_FALSE(fs::exists(dir / "bad"));
}

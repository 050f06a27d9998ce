// The soak's scenario generator (tools/soak): deterministic, on the shapes it promises, and every scenario
// it draws passes the scenario reader and shape inference. Whether the generators and the platform then
// accept and run them bit-exact is what the soak itself checks (the "soak:" test).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "scenario.h"
#include "soak_scenario.h"

namespace fs = std::filesystem;
using namespace dnnvp::soak;

namespace {

// Loads a drawn scenario with the generators' reader; a message names the seed and the text on failure.
void check_loads(const RandomScenario& s) {
  const fs::path path = fs::temp_directory_path() / ("dnnvp_soak_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << s.yaml;
  INFO("seed " << s.seed << ":\n" << s.yaml);
  CHECK_NOTHROW(dnnvp::load_scenario(path.string()));
  fs::remove(path);
}

}  // namespace

TEST_CASE("the soak draws the same scenario from the same seed and another from another", "[soak]") {
  const EngineShape shape = prebuilt_shapes(DNNVP_SOURCE_DIR).front();
  CHECK(random_scenario(42, shape).yaml == random_scenario(42, shape).yaml);
  CHECK(random_scenario(42, shape).yaml != random_scenario(43, shape).yaml);
  CHECK(shape_key(random_shapes(7, 12).back()) == shape_key(random_shapes(7, 12).back()));
}

TEST_CASE("the ci shapes are the ones the main build has simulators for, so the CI soak builds none",
          "[soak]") {
  for (const EngineShape& s : prebuilt_shapes(DNNVP_SOURCE_DIR)) {
    INFO(shape_key(s));
    CHECK(fs::exists(fs::path(DNNVP_BUILD_DIR) / "vp_sim" / shape_key(s) / "vp_sim"));
  }
}

TEST_CASE("every scenario the soak draws passes the scenario reader and shape inference", "[soak]") {
  const std::vector<EngineShape> ci = prebuilt_shapes(DNNVP_SOURCE_DIR);
  const std::vector<EngineShape> any = random_shapes(1, 12);
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    check_loads(random_scenario(seed, ci[seed % ci.size()]));
    check_loads(random_scenario(seed, any[seed % any.size()]));
  }
}

// report.json's `asic` section from the flow cache (generators/flows/asic_osu.h): a cached entry of the
// shape is reported without running the flow, none is reported when not cached and not asked, and the flow
// gets every RTL parameter of the shape.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "asic_osu.h"

namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("asic_flow.py gets every RTL parameter of the shape", "[asic]") {
  dnnvp::EngineShape s;
  s.rows = 2, s.cols = 3, s.dw_line_pixels = 32;
  const std::string p = dnnvp::flows::asic_flow_params(s);
  CHECK(p.rfind("Rows 2 Cols 3 StreamBits 64 ", 0) == 0);
  for (const dnnvp::EngineParameter& e : dnnvp::kEngineParameters)
    CHECK(p.find(std::string(e.rtl_name) + " " + std::to_string(s.*e.member)) != std::string::npos);
}

TEST_CASE("a cached shape's ASIC figures are reported without running the flow, none when not cached",
          "[asic]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "asic_flow_cache";
  fs::remove_all(dir);
  REQUIRE(setenv("DNNVP_CACHE_DIR", dir.c_str(), 1) == 0);
  dnnvp::EngineShape s;
  s.rows = 2, s.cols = 3;
  CHECK_FALSE(dnnvp::flows::shape_asic(s, false).has_value());

  const json figures = {
      {"library", "OSU 0.18 um"},       {"area_um2", 1.5e6}, {"area_mm2", 1.5},         {"cells", 10},
      {"cell_counts", {{"INVX1", 10}}}, {"fmax_mhz", 100.0}, {"critical_path_ns", 10.0}};
  dnnvp::flows::FlowCache(dir).put(dnnvp::flows::kAsicFlow, s, figures);
  const std::optional<json> got = dnnvp::flows::shape_asic(s, false);
  REQUIRE(got.has_value());
  json expected = figures;
  expected.erase("cell_counts");  // the cache keeps them, the report does not
  CHECK(*got == expected);
  s.cols = 4;  // another shape: not cached
  CHECK_FALSE(dnnvp::flows::shape_asic(s, false).has_value());
  unsetenv("DNNVP_CACHE_DIR");
}

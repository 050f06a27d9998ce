// A scenario's FPGA outputs (docs/fpga.md): hardware.fpga names a part of fpga_parts.yaml, vivado.tcl
// targets it, and resources.json comes from the flow cache (Yosys only runs when asked for) with the
// part's budget check.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "emit.h"
#include "error.h"
#include "fpga_outputs.h"
#include "fpga_resources.h"

namespace fs = std::filesystem;
namespace fl = dnnvp::flows;

namespace {

const std::string kTinyCnn = std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml";

// tiny_cnn.yaml with `extra` lines added to its hardware section, in DIR/NAME.
std::string tiny_cnn_with(const std::string& name, const std::string& extra) {
  std::ifstream in(kTinyCnn);
  std::string text(std::istreambuf_iterator<char>(in), {});
  text.replace(text.find("hardware:\n"), 10, "hardware:\n" + extra);
  const fs::path file = fs::path(DNNVP_TEST_TMP) / name;
  std::ofstream(file) << text;
  return file.string();
}

// A flow cache of the test's own ($DNNVP_CACHE_DIR), emptied.
fs::path fresh_cache(const std::string& name) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / name;
  fs::remove_all(dir);
  setenv("DNNVP_CACHE_DIR", dir.c_str(), 1);
  return dir;
}

}  // namespace

TEST_CASE("a scenario's hardware.fpga must name a part of fpga_parts.yaml", "[fpga]") {
  const std::string file = tiny_cnn_with("bad_part.yaml", "  fpga: zcu999\n");
  CHECK_THROWS_WITH(dnnvp::load_scenario(file), Catch::Contains("bad_part.yaml:11: hardware.fpga") &&
                                                    Catch::Contains("zcu999") && Catch::Contains("pynq-z2"));
  CHECK(dnnvp::load_scenario(tiny_cnn_with("pynq.yaml", "  fpga: pynq-z2\n")).hardware.fpga == "pynq-z2");
}

TEST_CASE("vivado.tcl targets the scenario's part, or the default part when it names none", "[fpga]") {
  dnnvp::Scenario s = dnnvp::load_scenario(kTinyCnn);
  CHECK(dnnvp::scenario_vivado_tcl(s).find("set part xczu7ev-ffvc1156-2-e\n") != std::string::npos);
  s.hardware.fpga = "pynq-z2";
  const std::string tcl = dnnvp::scenario_vivado_tcl(s);
  CHECK(tcl.find("set part xc7z020clg400-1\n") != std::string::npos);
  CHECK(tcl.find("xilinx.com:ip:processing_system7 ps") != std::string::npos);
  CHECK(tcl.find("CONFIG.Rows {4} CONFIG.Cols {8}") != std::string::npos);
}

TEST_CASE("resources come from the flow cache, checked against the part; without an entry nothing runs",
          "[fpga]") {
  fresh_cache("scenario_cache");
  dnnvp::Scenario s = dnnvp::load_scenario(kTinyCnn);
  s.hardware.fpga = "pynq-z2";
  CHECK_FALSE(dnnvp::scenario_resources(s, false));  // not cached, not asked: no Yosys run
  const dnnvp::EngineShape shape =
      dnnvp::engine_shape_from_json(dnnvp::engine_shape_json(s.hardware), "tiny_cnn");
  fl::FpgaResources r;
  r.family = "xc7";
  r.lut = 30000;
  r.ff = 20000;
  r.dsp = 160;
  r.bram36 = 150;  // more than the Zynq-7020's 140
  const fl::FlowCache cache;
  cache.put(fl::resources_flow("xc7"), shape, fl::resources_json(r));
  const std::optional<nlohmann::json> j = dnnvp::scenario_resources(s, false);
  REQUIRE(j);
  CHECK((*j)["lut"] == 30000);
  CHECK((*j)["part"] == "pynq-z2");
  CHECK((*j)["fits"] == false);
  CHECK((*j)["binding"] == "bram36");
  CHECK(dnnvp::resources_summary(*j).find("does NOT fit pynq-z2 (binding: bram36 at 107.1 %)") !=
        std::string::npos);
  s.hardware.fpga.clear();                           // no part: the default part's family, no budget check
  CHECK_FALSE(dnnvp::scenario_resources(s, false));  // xcup is not cached
}

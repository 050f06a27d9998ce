// A scenario's FPGA outputs (docs/fpga.md): vivado.tcl and address_map.json for its part, and
// resources.json from the flow cache (Yosys only runs when asked for) with the part's budget check.
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

// A flow cache of the test's own ($DNNVP_CACHE_DIR), emptied.
fs::path fresh_cache(const std::string& name) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / name;
  fs::remove_all(dir);
  setenv("DNNVP_CACHE_DIR", dir.c_str(), 1);
  return dir;
}

}  // namespace

TEST_CASE("vivado.tcl targets the scenario's part, or the default part when it names none", "[fpga]") {
  const dnnvp::Scenario s = dnnvp::load_scenario(kTinyCnn);
  CHECK(dnnvp::scenario_vivado_tcl(s, "")->find("set part xczu7ev-ffvc1156-2-e\n") != std::string::npos);
  const std::string tcl = *dnnvp::scenario_vivado_tcl(s, "pynq-z2");
  CHECK(tcl.find("set part xc7z020clg400-1\n") != std::string::npos);
  CHECK(tcl.find("xilinx.com:ip:processing_system7 ps") != std::string::npos);
  CHECK(tcl.find("CONFIG.Rows {4} CONFIG.Cols {8}") != std::string::npos);
  // An Alveo card has no processing system: no Vivado project of this kind, and no error either.
  CHECK_FALSE(dnnvp::scenario_vivado_tcl(s, "u50"));
  CHECK_FALSE(dnnvp::scenario_address_map("u50"));
}

TEST_CASE("address_map.json gives the PL regions where the part's processing system sees them", "[fpga]") {
  const nlohmann::json z7 = *dnnvp::scenario_address_map("pynq-z2");
  CHECK(z7["ps"] == "zynq7");
  CHECK(z7["regions"]["engine"]["base"] == 0x43C00000);  // Zynq-7000: the platform's own address
  CHECK(z7["regions"]["engine"]["size"] == 0x1000);
  const nlohmann::json zmp = *dnnvp::scenario_address_map("");  // the default part, a ZCU104
  CHECK(zmp["part"] == "zcu104");
  CHECK(zmp["regions"]["engine"]["base"] == 0xA3C00000);
  CHECK(zmp["regions"]["dma0"]["base"] == 0xA0400000);
  CHECK(zmp["regions"].size() == 4);  // engine, dma0..2
}

TEST_CASE("resources come from the flow cache, checked against the part, and without an entry nothing runs",
          "[fpga]") {
  fresh_cache("scenario_cache");
  const dnnvp::Scenario s = dnnvp::load_scenario(kTinyCnn);
  CHECK_FALSE(dnnvp::scenario_resources(s, "pynq-z2", false));  // not cached, not asked: no Yosys run
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
  const std::optional<nlohmann::json> j = dnnvp::scenario_resources(s, "pynq-z2", false);
  REQUIRE(j);
  CHECK((*j)["lut"] == 30000);
  CHECK((*j)["part"] == "pynq-z2");
  CHECK((*j)["fits"] == false);
  CHECK((*j)["binding"] == "bram36");
  CHECK(dnnvp::resources_summary(*j).find("does NOT fit pynq-z2 (binding: bram36 at 107.1 %)") !=
        std::string::npos);
  // No part: the default part's family (xcup, not cached), no budget check.
  CHECK_FALSE(dnnvp::scenario_resources(s, "", false));
}

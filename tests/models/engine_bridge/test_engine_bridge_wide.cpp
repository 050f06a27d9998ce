// The engine bridge around a 4x8 engine with 1024-bit streams, the widest scenarios.md allows: TDATA and
// TKEEP are wider than 64 bits (Verilator VlWide), so the bridge must move beats and keep bits as byte
// arrays. Every engine layer of tiny_cnn, bit-exact against the golden model (short last beats included).
#include <catch2/catch.hpp>

#include "bridge_bench.h"
#include "engine/engine_factory.h"
#include "sim_util.h"

TEST_CASE("every engine layer of tiny_cnn runs bit-exact on 1024-bit streams", "[bridge][wide]") {
  dnnvp::test::one_simulation_per_process();
  REQUIRE(dnnvp::engine_kind("rtl").shape().stream_bits == 1024);
  bridge_test::BenchOptions o;
  o.scenario = DNNVP_BRIDGE_SCENARIO;
  const bridge_test::BenchResult r = bridge_test::run_bench(o);
  INFO(r.summary);
  for (const std::string& e : r.errors) UNSCOPED_INFO(e);
  REQUIRE(r.errors.empty());
  REQUIRE(r.finished);
  REQUIRE_FALSE(r.watchdog);
  REQUIRE(r.layers.size() >= 2);
  for (const auto& l : r.layers) {
    INFO(l.name);
    CHECK(l.elements > 0);
    CHECK(l.mismatches == 0);
    CHECK(l.macs == l.layer_macs);
  }
}

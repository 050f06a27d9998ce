// The "fast" engine (models/engine_fast/): the shape it is asked for, its register window and PUSH checks
// (rtl/dnn_regs.sv's rules, depthwise's included), and every engine layer of tiny_cnn and of MobileNetV2-like
// blocks with depthwise (MODE.OP 3) layers bit-exact through the firmware driver under random stream stalls
// (the bridge bench of tests/models/engine_bridge).
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "bridge_bench.h"
#include "dnnvp_memory_map.hpp"
#include "engine/engine_factory.h"
#include "sim_util.h"

using namespace sc_core;
using Catch::Contains;
namespace mm = dnnvp::memory_map;

namespace {

// The kraken shape of rtl/engine_shapes.json: nothing of it is built into this test.
dnnvp::EngineShape kraken() {
  dnnvp::EngineShape s;
  s.rows = 7;
  s.cols = 96;
  s.stream_bits = 256;
  s.fold_max = 4;
  return s;
}

// Register accesses of `script` against a fast engine of `shape`; the script runs in an SC_THREAD.
struct Rig {
  std::size_t beat;
  dnnvp::AxisChannel x{"x", 4, beat}, w{"w", 4, beat}, r{"r", 4, beat}, y{"y", 4, beat};
  std::unique_ptr<dnnvp::Engine> engine;
  explicit Rig(const dnnvp::EngineShape& shape) : beat(static_cast<std::size_t>(shape.stream_bits / 8)) {
    dnnvp::EngineOptions o = bridge_test::engine_options();
    o.shape = shape;
    engine = dnnvp::make_engine("fast", "engine", x, w, r, y, o);
  }
};

std::uint32_t access(dnnvp::test::Initiator& i, bool write, std::uint32_t offset, std::uint32_t value = 0,
                     tlm::tlm_response_status* status = nullptr) {
  tlm::tlm_generic_payload t;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(offset);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = SC_ZERO_TIME;
  i.socket->b_transport(t, delay);
  if (status != nullptr) *status = t.get_response_status();
  return value;
}

}  // namespace

TEST_CASE("the fast engine implements the shape it is asked for, with no simulator of it built",
          "[fast][factory]") {
  dnnvp::test::one_simulation_per_process();
  CHECK(dnnvp::engine_kind("fast").shape(kraken()).cols == 96);
  Rig rig(kraken());
  CHECK(rig.engine->shape().rows == 7);
  CHECK(rig.engine->shape().stream_bits == 256);
  std::uint32_t id = 0, array = 0, bits = 0, depths = 0;
  dnnvp::test::Initiator cpu("cpu", [&](dnnvp::test::Initiator& i) {
    id = access(i, false, mm::engine::kId);
    array = access(i, false, mm::engine::kHwArray);
    bits = access(i, false, mm::engine::kHwBits);
    depths = access(i, false, mm::engine::kHwDepths);
  });
  cpu.socket.bind(rig.engine->socket);
  sc_start();
  CHECK(id == mm::engine::kIdReset);
  CHECK(array == (7u | 96u << 16));
  CHECK(bits == (8u | 8u << 8 | 32u << 16 | 32u << 24));
  CHECK((depths & 0xFFFFu) == 1024u);
  CHECK(depths >> 16 == 4u);  // QUEUE_DEPTH
}

TEST_CASE("the fast engine has no waveforms and needs a valid shape", "[fast][factory]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 8), r("r", 4, 8), y("y", 4, 8);
  dnnvp::EngineOptions o = bridge_test::engine_options();
  o.trace_file = "engine.fst";
  CHECK_THROWS_WITH(dnnvp::make_engine("fast", "e1", x, w, r, y, o), Contains("--engine rtl"));
  o = bridge_test::engine_options();
  o.shape.fold_max = 3;
  CHECK_THROWS_AS(dnnvp::make_engine("fast", "e2", x, w, r, y, o), std::invalid_argument);
}

TEST_CASE(
    "the fast engine refuses what dnn_regs refuses: a bad descriptor, a PUSH while full, an unmapped "
    "register",
    "[fast][registers]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::EngineShape shape;  // 8x16, AccDepth 1024, 256 KiB input buffer: InDepth 32768 words
  Rig rig(shape);
  namespace e = mm::engine;
  struct Push {
    const char* what;
    std::uint32_t offset, value;
    bool bad;
  };
  std::vector<std::pair<std::string, std::uint32_t>> causes;
  tlm::tlm_response_status unmapped_write = tlm::TLM_OK_RESPONSE, unmapped_read = tlm::TLM_OK_RESPONSE;
  std::uint32_t status_full = 0;
  dnnvp::test::Initiator cpu("cpu", [&](dnnvp::test::Initiator& i) {
    // A good 1x1 tile: 16 pixels of 8 channels, one block, one pass.
    const auto good = [&] {
      access(i, true, e::kInW, 16);
      access(i, true, e::kInH, 1);
      access(i, true, e::kInC, 8);
      access(i, true, e::kBandY0, 0);
      access(i, true, e::kBandPixels, 16);
      access(i, true, e::kWindow, 0x01010101);
      access(i, true, e::kPad, 0);
      access(i, true, e::kOutW, 16);
      access(i, true, e::kOutC, 16);
      access(i, true, e::kTileP0, 0);
      access(i, true, e::kTileP, 16);
      access(i, true, e::kBlocks, 1);
      access(i, true, e::kPasses, 1);
      access(i, true, e::kChunks, 1);
      access(i, true, e::kMode, 0);
      access(i, true, e::kFold, 0);
      access(i, true, e::kBand, 0);
    };
    const Push cases[] = {
        {"good", e::kTileP, 16, false},
        {"TILE_P 0", e::kTileP, 0, true},
        {"TILE_P above AccDepth", e::kTileP, 1025, true},
        {"KH 0", e::kWindow, 0x01010100, true},
        {"CHUNKS 0", e::kChunks, 0, true},
        {"MODE.OP 3 without the depthwise feed", e::kMode, 3, true},
        {"FOLD.F above FoldMax", e::kFold, 2, true},
        {"a band beyond the input half", e::kBandPixels, 16385, true},
        {"a band fitting only the whole buffer", e::kBandPixels, 16385, true},
    };
    for (const Push& p : cases) {
      good();
      access(i, true, p.offset, p.value);
      if (std::string(p.what) == "a band fitting only the whole buffer") {
        access(i, true, e::kBand, 2);  // WHOLE: up to InDepth words
        access(i, true, e::kCtrl, e::kCtrlPushMask);
        causes.emplace_back("whole", access(i, false, e::kErrorCause));
        access(i, true, e::kCtrl, e::kCtrlClearErrorMask);
        continue;
      }
      access(i, true, e::kCtrl, e::kCtrlPushMask);
      causes.emplace_back(p.what, access(i, false, e::kErrorCause));
      access(i, true, e::kCtrl, e::kCtrlClearErrorMask);
    }
    // The first good tile waits for its band (never sent): three more fill the queue, the fifth is refused.
    good();
    for (int k = 0; k < 4; ++k) access(i, true, e::kCtrl, e::kCtrlPushMask);
    status_full = access(i, false, e::kStatus);
    causes.emplace_back("full", access(i, false, e::kErrorCause));
    access(i, true, 0x0FC, 1, &unmapped_write);
    access(i, false, 0x0FC, 0, &unmapped_read);
    sc_stop();
  });
  cpu.socket.bind(rig.engine->socket);
  sc_start();
  REQUIRE(causes.size() == 10);
  CHECK(causes[0].second == 0);
  for (std::size_t k = 1; k < 8; ++k) {
    INFO(causes[k].first);
    CHECK(causes[k].second == e::kErrorCauseBadDescriptorMask);
  }
  CHECK(causes[8].second == 0);  // WHOLE: the band fits
  CHECK(causes[9].second == e::kErrorCausePushWhileFullMask);
  CHECK((status_full & e::kStatusQueueFullMask) != 0);
  CHECK((status_full & e::kStatusQueuedMask) >> e::kStatusQueuedShift == 4);
  CHECK(unmapped_write == tlm::TLM_GENERIC_ERROR_RESPONSE);
  CHECK(unmapped_read == tlm::TLM_GENERIC_ERROR_RESPONSE);
}

namespace {

// Every engine layer of `scenario` through the firmware driver on the fast engine under random stream
// stalls from `seed`: all `layers` bit-exact against the golden model, every MAC counted.
void check_under_stalls(const char* scenario, std::uint64_t seed, std::size_t layers) {
  dnnvp::test::one_simulation_per_process();
  bridge_test::BenchOptions o;
  o.scenario = scenario;
  o.engine = "fast";
  o.stall_seed = seed;
  o.stall_probability = 0.3;
  const bridge_test::BenchResult r = bridge_test::run_bench(o);
  INFO(r.summary);
  for (const std::string& e : r.errors) INFO(e);
  REQUIRE(r.errors.empty());
  REQUIRE(r.finished);
  REQUIRE(r.layers.size() == layers);
  for (const bridge_test::LayerResult& l : r.layers) {
    INFO(l.name);
    CHECK(l.mismatches == 0);
    CHECK(l.macs == l.layer_macs);
    CHECK(l.cycles > 0);
  }
  CHECK(r.numbers.stalls_x + r.numbers.stalls_w + r.numbers.stalls_y > 0);
  CHECK(!r.watchdog);
}

}  // namespace

TEST_CASE("every engine layer of tiny_cnn runs bit-exact on the fast engine under random stream stalls",
          "[fast][bench]") {
  check_under_stalls(DNNVP_BRIDGE_SCENARIO, 7, 7);
}

TEST_CASE("the fast engine takes a depthwise tile (MODE.OP 3) only with the feed, F*Rows <= Cols, no GROUP",
          "[fast][registers]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::EngineShape shape;  // 8x16 with the depthwise feed, as scenarios/mobilenet_v2.yaml
  shape.fold_max = 2;
  shape.dw_line_pixels = 128;
  Rig rig(shape);
  namespace e = mm::engine;
  std::vector<std::pair<std::string, std::uint32_t>> causes;
  dnnvp::test::Initiator cpu("cpu", [&](dnnvp::test::Initiator& i) {
    // One row of 8 output pixels of a 3x3/1 depthwise conv on 8x3x16: F 2, one block of 16 channels.
    const auto dw = [&] {
      access(i, true, e::kInW, 8);
      access(i, true, e::kInH, 3);
      access(i, true, e::kInC, 16);
      access(i, true, e::kBandY0, 0);
      access(i, true, e::kBandPixels, 24);
      access(i, true, e::kWindow, 0x01010303);
      access(i, true, e::kPad, 0x0101);
      access(i, true, e::kOutW, 8);
      access(i, true, e::kOutC, 16);
      access(i, true, e::kTileP0, 8);
      access(i, true, e::kTileP, 8);
      access(i, true, e::kBlocks, 1);
      access(i, true, e::kPasses, 2);
      access(i, true, e::kChunks, 2);
      access(i, true, e::kMode, 3);
      access(i, true, e::kGroup, 0);
      access(i, true, e::kFold, 2);
    };
    const std::pair<const char*, std::pair<std::uint32_t, std::uint32_t>> cases[] = {
        {"good", {e::kFold, 2}},
        {"GROUP_CHUNKS", {e::kGroup, 1}},
        {"MODE.GROUP_COLS", {e::kMode, 3u | 1u << 16}},
        {"F above FoldMax", {e::kFold, 4}},
    };
    for (const auto& [what, write] : cases) {
      dw();
      access(i, true, write.first, write.second);
      access(i, true, e::kCtrl, e::kCtrlPushMask);
      causes.emplace_back(what, access(i, false, e::kErrorCause));
      access(i, true, e::kCtrl, e::kCtrlClearErrorMask);
    }
    sc_stop();
  });
  cpu.socket.bind(rig.engine->socket);
  sc_start();
  REQUIRE(causes.size() == 4);
  CHECK(causes[0].second == 0);
  for (std::size_t k = 1; k < causes.size(); ++k) {
    INFO(causes[k].first);
    CHECK(causes[k].second == e::kErrorCauseBadDescriptorMask);
  }
}

TEST_CASE(
    "MobileNetV2-like blocks with depthwise layers (MODE.OP 3) run bit-exact on the fast engine under random "
    "stream stalls",
    "[fast][bench]") {
  check_under_stalls(DNNVP_DW_SCENARIO, 11, 9);
}

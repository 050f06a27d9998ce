// The runtime's engine-layer pipeline against the mocked HAL: the exact register writes of init and of
// a 2-tile convolution (engine queue full once, DMA status sequences scripted), and its failure paths.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mock_hal.h"

extern "C" {
#include "dnnvp_hal.h"
#include "dnn_engine.h"
#include "dnnvp_rt.h"
}

namespace {

constexpr std::uintptr_t E = 0x43C00000, D0 = 0x40400000, D1 = 0x40410000, TIMER = 0x10001000;
constexpr std::uint32_t kIoc = 1u << 12, kIdle = 1u << 1, kHalted = 1u;
constexpr std::uint32_t kQueueFull = DNNVP_ENGINE_STATUS_QUEUE_FULL_MASK,
                        kError = DNNVP_ENGINE_STATUS_ERROR_MASK;
constexpr std::uint32_t kRun = 0x00010001u;  // DMACR: RS, IRQThreshold 1

dnnvp_rt_config_t test_config() {
  dnnvp_rt_config_t c;
  std::memset(&c, 0, sizeof c);
  c.engine_base = E;
  c.dma_x = {D0, AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 26, 0, 0};
  c.dma_w = {D1, AXI_DMA_HAS_MM2S, 26, 0, 0};
  c.timer_base = 0;
  c.poll_budget = 100;
  c.cpu_offset = 0;
  return c;
}

// An engine with a 4x8 array, 64-bit streams, accumulator depth 256 and a 4-tile queue.
void engine_registers() {
  hal.set_default(E + DNNVP_ENGINE_ID_OFFSET, DNNVP_ENGINE_ID_RESET);
  hal.set_default(E + DNNVP_ENGINE_HW_ARRAY_OFFSET, 4u | 8u << 16);
  hal.set_default(E + DNNVP_ENGINE_HW_BITS_OFFSET, 8u | 8u << 8 | 32u << 16 | 8u << 24);
  hal.set_default(E + DNNVP_ENGINE_HW_DEPTHS_OFFSET, 256u | 4u << 16);
}

void init(dnnvp_rt_t& rt, const dnnvp_rt_config_t& cfg = test_config()) {
  hal.reset();
  engine_registers();
  REQUIRE(dnnvp_rt_init(&rt, &cfg) == DNNVP_RT_OK);
  hal.clear_log();
}

// 3x3 convolution, padding 1, 8x8x4 -> 8x8x8, 8-bit, tiles of 32 pixels (4 output rows): 2 tiles.
dnnvp_layer_t two_tile_conv() {
  dnnvp_layer_t l;
  std::memset(&l, 0, sizeof l);
  l.name = "conv";
  l.type = DNNVP_LAYER_CONV;
  l.activation = DNNVP_ACT_NONE;
  l.num_inputs = 1;
  l.input_layer[0] = DNNVP_NETWORK_INPUT;
  l.kernel_h = l.kernel_w = 3;
  l.stride_h = l.stride_w = 1;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
  l.in_shape = {8, 8, 4};
  l.out_shape = {8, 8, 8};
  l.in_q[0] = {8, 0, 0};
  l.out_q = {8, 1, 0};
  l.weight_q = {8, 1, 0};
  l.in_addr[0] = 0x81001000u;
  l.out_addr = 0x81002000u;
  l.blob_addr = 0x81000000u;
  l.blob_bytes = 360;
  l.tile_pixels = 32;
  l.num_tiles = 2;
  l.chunks = 1;
  l.blocks = 1;
  l.passes = 9;
  l.param[0] = l.param[1] = 1;
  l.macs = 8 * 8 * 9 * 4 * 8;
  return l;
}

}  // namespace

TEST_CASE("runtime: init checks the engine, reads its queue depth and resets both DMAs", "[runtime]") {
  hal.reset();
  engine_registers();
  hal.script(D0 + 0x00, {0x00010006u, 0x00010002u});  // reset in progress, then done
  dnnvp_rt_t rt;
  const dnnvp_rt_config_t cfg = test_config();
  REQUIRE(dnnvp_rt_init(&rt, &cfg) == DNNVP_RT_OK);
  CHECK(rt.queue_depth == 4);
  CHECK(rt.engine.rows == 4);
  CHECK(rt.engine.cols == 8);
  CHECK(rt.engine.acc_depth == 256);
  CHECK(hal.writes() == std::vector<HalAccess>{W(D0 + 0x00, 4), W(D1 + 0x00, 4)});
  CHECK(hal.reads_of(D0 + 0x00) == 2);
  CHECK(hal.reads_of(D1 + 0x00) == 1);

  // No engine at the address.
  hal.reset();
  CHECK(dnnvp_rt_init(&rt, &cfg) == DNNVP_RT_ERR_NO_ENGINE);
  CHECK(rt.error == DNNVP_RT_ERR_NO_ENGINE);

  // A DMA that never leaves reset.
  hal.reset();
  engine_registers();
  hal.set_default(D1 + 0x00, 0x00010006u);
  CHECK(dnnvp_rt_init(&rt, &cfg) == DNNVP_RT_ERR_TIMEOUT);
  CHECK(std::string(rt.error_what) == "blob DMA reset");

  // The blob DMA needs MM2S, the band/output DMA both channels.
  dnnvp_rt_config_t bad = cfg;
  bad.dma_x.channels = AXI_DMA_HAS_MM2S;
  CHECK(dnnvp_rt_init(&rt, &bad) == DNNVP_RT_ERR_ARG);
}

TEST_CASE("runtime: a 2-tile convolution: exact register writes, queue full once, DMAs overlapped", "[runtime]") {
  dnnvp_rt_t rt;
  init(rt);
  const dnnvp_layer_t l = two_tile_conv();

  // Engine STATUS: push 0 (free, ok), push 1 (full: retried next round), push 1 (free, ok); then idle.
  hal.script(E + DNNVP_ENGINE_STATUS_OFFSET, {0, 0, kQueueFull, 0, 0});
  hal.script(D0 + 0x34, {0, kIoc | kIdle, kIoc | kIdle});  // S2MM: busy, tile 0, tile 1
  hal.script(D0 + 0x58, {256, 256});                       // bytes received
  hal.script(D0 + 0x04, {kIoc | kIdle, kIoc | kIdle});     // each band done at its first poll
  hal.script(D1 + 0x04, {0, kIoc | kIdle, kIoc | kIdle});  // blob 0 busy once

  dnnvp_rt_layer_stats_t st;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, &st) == DNNVP_RT_OK);
  CHECK(st.tiles == 2);
  CHECK(st.on_engine == 1);
  CHECK(st.macs == l.macs);

  const std::uint32_t quant = 0u | 1u << 1 | 0u << 2 | 0u << 4 | 8u << 8 | 8u << 12 | 8u << 16;
  const std::vector<HalAccess> expected = {
      // layer: clear counters and error, then the shared descriptor registers
      W(E + 0x010, 6), W(E + 0x020, 8), W(E + 0x024, 8), W(E + 0x028, 4), W(E + 0x034, 0x01010303u),
      W(E + 0x038, 0x0101u), W(E + 0x03C, 8), W(E + 0x040, 8), W(E + 0x04C, quant), W(E + 0x050, 0),
      W(E + 0x054, 0), W(E + 0x058, 1), W(E + 0x05C, 9), W(E + 0x060, 1),
      // round 1: push tile 0 (pixels 0..31, input rows 0..4); tile 1 finds the queue full
      W(E + 0x044, 0), W(E + 0x048, 32), W(E + 0x02C, 0), W(E + 0x030, 40), W(E + 0x010, 1),
      // S2MM armed for tile 0 before any input moves
      W(D0 + 0x30, kRun), W(D0 + 0x48, 0x81002000u), W(D0 + 0x58, 256),
      // band 0 (160 bytes) and the blob
      W(D0 + 0x00, kRun), W(D0 + 0x18, 0x81001000u), W(D0 + 0x28, 160),
      W(D1 + 0x00, kRun), W(D1 + 0x18, 0x81000000u), W(D1 + 0x28, 360),
      // round 2: push tile 1 (pixels 32..63, input rows 3..7); band 0 done, band 1 right away
      W(E + 0x044, 32), W(E + 0x048, 32), W(E + 0x02C, 3), W(E + 0x030, 40), W(E + 0x010, 1),
      W(D0 + 0x04, kIoc), W(D0 + 0x00, kRun), W(D0 + 0x18, 0x81001060u), W(D0 + 0x28, 160),
      // round 3: tile 0's output arrives and S2MM is re-armed for tile 1 at once; band 1 done; blob 0
      // done, blob for tile 1
      W(D0 + 0x34, kIoc), W(D0 + 0x30, kRun), W(D0 + 0x48, 0x81002100u), W(D0 + 0x58, 256),
      W(D0 + 0x04, kIoc), W(D1 + 0x04, kIoc), W(D1 + 0x00, kRun), W(D1 + 0x18, 0x81000000u), W(D1 + 0x28, 360),
      // round 4: tile 1's output and its blob
      W(D0 + 0x34, kIoc), W(D1 + 0x04, kIoc)};
  const std::vector<HalAccess> writes = hal.writes();
  for (size_t i = 0; i < std::max(writes.size(), expected.size()); ++i) {
    INFO("write " << i);
    REQUIRE(i < writes.size());
    REQUIRE(i < expected.size());
    CHECK(writes[i] == expected[i]);
  }
  // Every scripted status was consumed; the counters were read after the engine went idle.
  CHECK(hal.unread(E + DNNVP_ENGINE_STATUS_OFFSET) == 0);
  CHECK(hal.unread(D0 + 0x34) == 0);
  CHECK(hal.unread(D0 + 0x04) == 0);
  CHECK(hal.unread(D1 + 0x04) == 0);
  CHECK(hal.reads_of(E + 0x100) == 1);
  CHECK(hal.reads_of(E + 0x12C) == 1);
}

TEST_CASE("runtime: never more tiles in flight than the engine queue holds", "[runtime]") {
  dnnvp_rt_t rt;
  init(rt);
  dnnvp_layer_t l = two_tile_conv();
  l.tile_pixels = 8;  // one output row per tile: 8 tiles, queue of 4
  l.num_tiles = 8;
  // Outputs complete only every third poll; everything else at once.
  std::vector<std::uint32_t> s2mm;
  for (int t = 0; t < 8; ++t) s2mm.insert(s2mm.end(), {0, 0, kIoc});
  hal.script(D0 + 0x34, s2mm);
  hal.script(D0 + 0x58, std::vector<std::uint32_t>(8, 64));
  hal.set_default(D0 + 0x04, kIoc);
  hal.set_default(D1 + 0x04, kIoc);
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_OK);
  // Replay the log: pushes (CTRL = 1) minus outputs received (S2MM IOC cleared) stays within 0..4; each
  // S2MM arm comes before the band of the same tile is started.
  int in_flight = 0, max_in_flight = 0, arms = 0, bands = 0;
  for (const HalAccess& a : hal.writes()) {
    if (a.addr == E + 0x010 && a.value == 1) max_in_flight = std::max(max_in_flight, ++in_flight);
    if (a.addr == D0 + 0x34 && a.value == kIoc) --in_flight;
    if (a.addr == D0 + 0x58) ++arms;
    if (a.addr == D0 + 0x28) {
      ++bands;
      CHECK(arms >= bands - 3);  // band t starts with S2MM armed for t or an older tile still in flight
    }
    CHECK(in_flight >= 0);
  }
  CHECK(max_in_flight == 4);
  CHECK(in_flight == 0);
  CHECK(arms == 8);
  CHECK(bands == 8);
}

TEST_CASE("runtime: DMA errors, short outputs, engine errors and stalls end the layer with a diagnosis",
          "[runtime]") {
  dnnvp_rt_t rt;
  const dnnvp_layer_t l = two_tile_conv();

  SECTION("band DMA decode error") {
    init(rt);
    hal.script(D0 + 0x04, {kHalted | (1u << 6) | (1u << 14)});
    CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_DMA);
    CHECK(std::string(rt.error_what) == "band DMA");
    CHECK(rt.error_tile == 0);
    CHECK(rt.error_detail == (kHalted | (1u << 6) | (1u << 14)));
  }
  SECTION("an output shorter than the tile") {
    init(rt);
    hal.set_default(D0 + 0x04, kIoc);
    hal.set_default(D1 + 0x04, kIoc);
    hal.script(D0 + 0x34, {kIoc});
    hal.script(D0 + 0x58, {100});
    CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_LENGTH);
    CHECK(rt.error_detail == 100);
    CHECK(rt.error_tile == 0);
  }
  SECTION("the engine flags an error while the runtime waits") {
    dnnvp_rt_config_t cfg = test_config();
    cfg.poll_budget = 5000;
    init(rt, cfg);
    hal.set_default(D0 + 0x04, kIoc);
    hal.set_default(D1 + 0x04, kIoc);
    hal.script(E + DNNVP_ENGINE_STATUS_OFFSET, {0, 0, 0, 0});  // both pushes
    hal.set_default(E + DNNVP_ENGINE_STATUS_OFFSET, kError | 1u);
    hal.set_default(E + DNNVP_ENGINE_ERROR_CAUSE_OFFSET, 1u);  // input packet length
    CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_ENGINE);
    CHECK(rt.error_detail == 1u);
    CHECK(std::string(rt.error_what) == "engine");
    // Found at the first periodic check (1024 idle rounds), long before the budget.
    CHECK(hal.reads_of(D0 + 0x34) == 2 + 1024);
  }
  SECTION("an output that never comes: timeout naming the output DMA") {
    init(rt);
    hal.set_default(D0 + 0x04, kIoc);
    hal.set_default(D1 + 0x04, kIoc);
    CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_TIMEOUT);
    CHECK(std::string(rt.error_what) == "output DMA");
    CHECK(hal.reads_of(D0 + 0x34) == 2 + 101);  // 2 rounds with progress, 101 without
  }
  SECTION("a layer the engine cannot run") {
    init(rt);
    dnnvp_layer_t bad = l;
    bad.tile_pixels = 512;  // more than the accumulator depth
    CHECK(dnnvp_rt_run_layer(&rt, &bad, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(hal.writes().size() == 1);  // CTRL clear, nothing else
  }
  SECTION("a model planned for another array (8x16 blocks and chunks on a 4x8 engine)") {
    init(rt);
    dnnvp_layer_t other = l;
    other.blocks = 1;
    other.chunks = 1;
    other.in_shape.c = 8;  // 2 chunks of 4 rows here, 1 chunk of 8 rows there
    CHECK(dnnvp_rt_run_layer(&rt, &other, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(std::string(rt.error_what) == "model planned for another engine array");
    CHECK(hal.writes().empty());
  }
}

TEST_CASE("runtime: Flatten must alias its input and costs nothing", "[runtime]") {
  dnnvp_rt_t rt;
  init(rt);
  dnnvp_layer_t l;
  std::memset(&l, 0, sizeof l);
  l.name = "flatten";
  l.type = DNNVP_LAYER_FLATTEN;
  l.in_shape = {2, 2, 8};
  l.out_shape = {1, 1, 32};
  l.in_addr[0] = l.out_addr = 0x81000040u;
  CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_OK);
  CHECK(hal.log().empty());
  l.out_addr = 0x81000080u;
  CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
}

TEST_CASE("runtime: per-layer cycles come from the 64-bit timer (LO then HI)", "[runtime]") {
  dnnvp_rt_config_t cfg = test_config();
  cfg.timer_base = TIMER;
  dnnvp_rt_t rt;
  init(rt, cfg);
  hal.script(TIMER, {0xFFFFFF00u, 0x00000100u});
  hal.script(TIMER + 4, {1, 2});
  dnnvp_layer_t l;
  std::memset(&l, 0, sizeof l);
  l.name = "flatten";
  l.type = DNNVP_LAYER_FLATTEN;
  l.in_shape = l.out_shape = {1, 1, 4};
  dnnvp_rt_layer_stats_t st;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, &st) == DNNVP_RT_OK);
  CHECK(st.cycles == 0x200000100ull - 0x1FFFFFF00ull);
  CHECK(st.on_engine == 0);
  CHECK(hal.log() == std::vector<HalAccess>{R(TIMER, 0xFFFFFF00u), R(TIMER + 4, 1), R(TIMER, 0x100u), R(TIMER + 4, 2)});
}

TEST_CASE("runtime: Clip runs on the CPU with its limits from the row's param; an unknown type is refused",
          "[runtime]") {
  dnnvp_rt_config_t cfg = test_config();
  std::uint8_t dram[16] = {0, 3, 7, 200, 255, 9};
  cfg.cpu_offset = reinterpret_cast<std::uintptr_t>(dram) - 0x81000000u;
  dnnvp_rt_t rt;
  init(rt, cfg);
  dnnvp_layer_t l;
  std::memset(&l, 0, sizeof l);
  l.name = "clip";
  l.type = DNNVP_LAYER_CLIP;
  l.num_inputs = 1;
  l.in_shape = l.out_shape = {1, 1, 6};
  l.in_q[0] = l.out_q = {8, 0, 0};
  l.in_addr[0] = 0x81000000u;
  l.out_addr = 0x81000008u;
  l.param[0] = 3;
  l.param[1] = 200;
  dnnvp_rt_layer_stats_t st;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, &st) == DNNVP_RT_OK);
  CHECK(st.on_engine == 0);
  CHECK(std::vector<std::uint8_t>(dram + 8, dram + 14) == std::vector<std::uint8_t>{3, 3, 7, 200, 200, 9});
  CHECK(hal.writes().empty());
  l.param[0] = 201;  // lo above hi
  CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "operation arguments");
  init(rt, cfg);  // the first failure is the one kept
  l.type = DNNVP_LAYER_TYPE_COUNT;
  CHECK(dnnvp_rt_run_layer(&rt, &l, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "layer type");
}

TEST_CASE("runtime: the engine takes the types the list places there, and names every type as the list does",
          "[runtime]") {
#define PLACE_OF(ID, Name, name, PLACE)                                  \
  CHECK(dnnvp_layer_on_engine(DNNVP_LAYER_##ID) == DNNVP_PLACE_##PLACE); \
  CHECK(std::string(dnnvp_rt_layer_type_str(DNNVP_LAYER_##ID)) == #name);
  DNNVP_LAYER_TYPES(PLACE_OF)
#undef PLACE_OF
  CHECK(dnnvp_layer_on_engine(DNNVP_LAYER_TYPE_COUNT) == 0);
  // Every CPU type has its case in the runtime: an empty row fails, if at all, on its arguments.
  for (std::uint8_t type = 0; type < DNNVP_LAYER_TYPE_COUNT; ++type) {
    if (dnnvp_layer_on_engine(type)) continue;
    dnnvp_rt_t rt;
    init(rt);
    dnnvp_layer_t l;
    std::memset(&l, 0, sizeof l);
    l.type = type;
    dnnvp_rt_run_layer(&rt, &l, nullptr);
    INFO(dnnvp_rt_layer_type_str(type));
    CHECK(std::string(rt.error_what) != "layer type");
  }
  CHECK(dnnvp_layer_on_engine(0xFFFFFFFFu) == 0);
  CHECK(std::string(dnnvp_rt_layer_type_str(DNNVP_LAYER_TYPE_COUNT)) == "?");
}

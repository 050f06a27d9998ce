// The runtime's engine-layer pipeline against the mocked HAL: the exact register writes of init and of
// a 2-tile convolution (engine queue full once, DMA status sequences scripted), and its failure paths.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mock_hal.h"

extern "C" {
#include "dnn_engine.h"
#include "dnnvp_hal.h"
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
  l.fused_add = l.fused_into = DNNVP_NO_LAYER;
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
  // Only the DMA resets: the engine's mode words are left at their reset values (a dense convolution).
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

TEST_CASE("runtime: a 2-tile convolution: exact register writes, queue full once, DMAs overlapped",
          "[runtime]") {
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
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, &st) == DNNVP_RT_OK);
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
      W(D0 + 0x00, kRun), W(D0 + 0x18, 0x81001000u), W(D0 + 0x28, 160), W(D1 + 0x00, kRun),
      W(D1 + 0x18, 0x81000000u), W(D1 + 0x28, 360),
      // round 2: push tile 1 (pixels 32..63, input rows 3..7); band 0 done, band 1 right away
      W(E + 0x044, 32), W(E + 0x048, 32), W(E + 0x02C, 3), W(E + 0x030, 40), W(E + 0x010, 1),
      W(D0 + 0x04, kIoc), W(D0 + 0x00, kRun), W(D0 + 0x18, 0x81001060u), W(D0 + 0x28, 160),
      // round 3: tile 0's output arrives and S2MM is re-armed for tile 1 at once; band 1 done; blob 0
      // done, blob for tile 1
      W(D0 + 0x34, kIoc), W(D0 + 0x30, kRun), W(D0 + 0x48, 0x81002100u), W(D0 + 0x58, 256),
      W(D0 + 0x04, kIoc), W(D1 + 0x04, kIoc), W(D1 + 0x00, kRun), W(D1 + 0x18, 0x81000000u),
      W(D1 + 0x28, 360),
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
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_OK);
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
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_DMA);
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
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_LENGTH);
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
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_ENGINE);
    CHECK(rt.error_detail == 1u);
    CHECK(std::string(rt.error_what) == "engine");
    // Found at the first periodic check (1024 idle rounds), long before the budget.
    CHECK(hal.reads_of(D0 + 0x34) == 2 + 1024);
  }
  SECTION("an output that never comes: timeout naming the output DMA") {
    init(rt);
    hal.set_default(D0 + 0x04, kIoc);
    hal.set_default(D1 + 0x04, kIoc);
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_TIMEOUT);
    CHECK(std::string(rt.error_what) == "output DMA");
    CHECK(hal.reads_of(D0 + 0x34) == 2 + 101);  // 2 rounds with progress, 101 without
  }
  SECTION("a layer the engine cannot run") {
    init(rt);
    dnnvp_layer_t bad = l;
    bad.tile_pixels = 512;  // more than the accumulator depth
    CHECK(dnnvp_rt_run_layer(&rt, &bad, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(hal.writes().size() == 1);  // CTRL clear, nothing else
  }
  SECTION("a model planned for another array (8x16 blocks and chunks on a 4x8 engine)") {
    init(rt);
    dnnvp_layer_t other = l;
    other.blocks = 1;
    other.chunks = 1;
    other.in_shape.c = 8;  // 2 chunks of 4 rows here, 1 chunk of 8 rows there
    CHECK(dnnvp_rt_run_layer(&rt, &other, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(std::string(rt.error_what) == "model planned for another engine array");
    CHECK(hal.writes().empty());
  }
}

TEST_CASE("runtime: Flatten must alias its input and costs nothing", "[runtime]") {
  dnnvp_rt_t rt;
  init(rt);
  dnnvp_layer_t l;
  std::memset(&l, 0, sizeof l);
  l.fused_add = l.fused_into = DNNVP_NO_LAYER;
  l.name = "flatten";
  l.type = DNNVP_LAYER_FLATTEN;
  l.in_shape = {2, 2, 8};
  l.out_shape = {1, 1, 32};
  l.in_addr[0] = l.out_addr = 0x81000040u;
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(hal.log().empty());
  l.out_addr = 0x81000080u;
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
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
  l.fused_add = l.fused_into = DNNVP_NO_LAYER;
  l.name = "flatten";
  l.type = DNNVP_LAYER_FLATTEN;
  l.in_shape = l.out_shape = {1, 1, 4};
  dnnvp_rt_layer_stats_t st;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, &st) == DNNVP_RT_OK);
  CHECK(st.cycles == 0x200000100ull - 0x1FFFFFF00ull);
  CHECK(st.on_engine == 0);
  CHECK(hal.log() ==
        std::vector<HalAccess>{R(TIMER, 0xFFFFFF00u), R(TIMER + 4, 1), R(TIMER, 0x100u), R(TIMER + 4, 2)});
}

TEST_CASE("runtime: Clip runs on the CPU with its limits from the row's param, an unknown type is refused",
          "[runtime]") {
  dnnvp_rt_config_t cfg = test_config();
  std::uint8_t dram[16] = {0, 3, 7, 200, 255, 9};
  cfg.cpu_offset = reinterpret_cast<std::uintptr_t>(dram) - 0x81000000u;
  dnnvp_rt_t rt;
  init(rt, cfg);
  dnnvp_layer_t l;
  std::memset(&l, 0, sizeof l);
  l.fused_add = l.fused_into = DNNVP_NO_LAYER;
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
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, &st) == DNNVP_RT_OK);
  CHECK(st.on_engine == 0);
  CHECK(std::vector<std::uint8_t>(dram + 8, dram + 14) == std::vector<std::uint8_t>{3, 3, 7, 200, 200, 9});
  CHECK(hal.writes().empty());
  l.param[0] = 201;  // lo above hi
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "operation arguments");
  init(rt, cfg);  // the first failure is the one kept
  l.type = DNNVP_LAYER_TYPE_COUNT;
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
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
    l.fused_add = l.fused_into = DNNVP_NO_LAYER;
    l.type = type;
    dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr);
    INFO(dnnvp_rt_layer_type_str(type));
    CHECK(std::string(rt.error_what) != "layer type");
  }
  CHECK(dnnvp_layer_on_engine(0xFFFFFFFFu) == 0);
  CHECK(std::string(dnnvp_rt_layer_type_str(DNNVP_LAYER_TYPE_COUNT)) == "?");
}

// ---- Engine modes (issue 12): pools, grouped convolutions, folded clips, fused residual adds ----

namespace {

constexpr std::uintptr_t D2 = 0x40420000;

std::uint32_t mode_offset(std::size_t i) {
  const std::uint32_t offsets[DNN_ENGINE_MODE_WORDS] = {
      DNNVP_ENGINE_MODE_OFFSET,       DNNVP_ENGINE_GROUP_OFFSET,      DNNVP_ENGINE_CLIP_OFFSET,
      DNNVP_ENGINE_POOL_COUNT_OFFSET, DNNVP_ENGINE_POOL_MAGIC_OFFSET, DNNVP_ENGINE_ELT_OFFSET,
      DNNVP_ENGINE_ELT_Z_OFFSET,      DNNVP_ENGINE_ELT_MA_OFFSET,     DNNVP_ENGINE_ELT_MB_OFFSET,
      DNNVP_ENGINE_ELT_SHIFT_OFFSET};
  return offsets[i];
}

// The writes set_layer made to the mode words, in order.
std::vector<HalAccess> mode_writes() {
  std::vector<HalAccess> w;
  for (const HalAccess& a : hal.writes())
    for (std::size_t i = 0; i < DNN_ENGINE_MODE_WORDS; ++i)
      if (a.addr == E + mode_offset(i)) w.push_back(a);
  return w;
}

// 3x3/2 max pool, padding 1, 8x8x4 -> 4x4x4, 8-bit, 2 tiles of 8 pixels; no blob.
dnnvp_layer_t two_tile_maxpool() {
  dnnvp_layer_t l = two_tile_conv();
  l.name = "pool";
  l.type = DNNVP_LAYER_MAXPOOL;
  l.stride_h = l.stride_w = 2;
  l.pad_bottom = l.pad_right = 0;
  l.out_shape = {4, 4, 4};
  l.out_q = l.in_q[0];
  l.weight_q = {0, 0, 0};
  l.blob_addr = l.blob_bytes = 0;
  l.tile_pixels = 8;
  l.passes = 9;
  l.engine_op = 1;
  l.macs = 0;
  return l;
}

// Depthwise 3x3 conv 8x8x8 -> 8x8x8 on the 4x8 array: each block walks 2 chunks from chunk 2 * block.
dnnvp_layer_t depthwise_conv() {
  dnnvp_layer_t l = two_tile_conv();
  l.in_shape.c = 8;
  l.chunks = 2;
  l.group_chunks = 2;
  l.chunk_step = 2;
  l.group_cols = 1;
  l.passes = 18;
  return l;
}

// Table [conv, add]: the conv (layer 0) runs add (layer 1) on its output; the add's other operand is the
// network input at 0x81003000 (slot 1 unless `conv_slot` says otherwise).
struct FusedPair {
  dnnvp_layer_t rows[2];
};
FusedPair fused_pair(std::uint32_t conv_slot = 0) {
  FusedPair p;
  dnnvp_layer_t& c = p.rows[0];
  dnnvp_layer_t& a = p.rows[1];
  c = two_tile_conv();
  c.fused_add = 1;
  c.out_addr = 0x81004000u;  // the add's output
  c.res_addr = 0x81003000u;
  std::memset(&a, 0, sizeof a);
  a.name = "add";
  a.type = DNNVP_LAYER_ADD;
  a.fused_add = DNNVP_NO_LAYER;
  a.fused_into = 0;
  a.num_inputs = 2;
  a.input_layer[conv_slot] = 0;
  a.input_layer[1 - conv_slot] = DNNVP_NETWORK_INPUT;
  a.in_shape = a.out_shape = c.out_shape;
  a.in_q[conv_slot] = c.out_q;
  a.in_q[1 - conv_slot] = {8, 0, -7};
  a.out_q = {8, 1, 3};
  a.in_addr[conv_slot] = 0x81002000u;
  a.in_addr[1 - conv_slot] = c.res_addr;
  a.out_addr = c.out_addr;
  a.param[conv_slot] = 1000;
  a.param[1 - conv_slot] = -2000;
  a.add_shift = 11;
  a.activation = DNNVP_ACT_LEAKY_RELU;
  a.leaky_shift = 3;
  a.rounding = DNNVP_ROUND_HALF_EVEN;
  return p;
}

dnnvp_rt_config_t config_with_residual_dma() {
  dnnvp_rt_config_t c = test_config();
  c.dma_r = {D2, AXI_DMA_HAS_MM2S, 26, 0, 0};
  return c;
}

// Every DMA finishes at its first poll; S2MM reports the length it was armed with.
void instant_dmas() {
  for (std::uintptr_t s : {D0 + 0x04, D1 + 0x04, D2 + 0x04, D0 + 0x34}) hal.set_default(s, kIoc | kIdle);
  hal.on_write = [](std::uintptr_t a, std::uint32_t v) {
    if (a == D0 + 0x58) hal.set_default(D0 + 0x58, v);
  };
}

// (address, length) of each transfer a DMA channel started: the address register's value when LENGTH
// was written.
std::vector<std::pair<std::uint32_t, std::uint32_t>> transfers(std::uintptr_t addr_reg,
                                                               std::uintptr_t length_reg) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> t;
  std::uint32_t addr = 0;
  for (const HalAccess& a : hal.writes()) {
    if (a.addr == addr_reg) addr = a.value;
    if (a.addr == length_reg) t.emplace_back(addr, a.value);
  }
  return t;
}
std::vector<std::pair<std::uint32_t, std::uint32_t>> mm2s_transfers(std::uintptr_t dma) {
  return transfers(dma + 0x18, dma + 0x28);
}
std::vector<std::pair<std::uint32_t, std::uint32_t>> s2mm_transfers() {
  return transfers(D0 + 0x48, D0 + 0x58);
}

}  // namespace

TEST_CASE("engine driver: a dense convolution writes no mode word, each mode writes exactly its words",
          "[runtime][modes]") {
  dnnvp_rt_t rt;
  init(rt);
  dnn_engine_t& e = rt.engine;
  const dnnvp_layer_t conv = two_tile_conv();
  REQUIRE(dnn_engine_set_layer(&e, &conv) == DNN_OK);
  CHECK(mode_writes().empty());

  hal.clear_log();
  dnnvp_layer_t avg = two_tile_maxpool();
  avg.engine_op = 2;
  avg.pool_count = 9;
  avg.pool_magic = 0x1C71C71Du;
  avg.pool_shift = 36;
  REQUIRE(dnn_engine_set_layer(&e, &avg) == DNN_OK);
  CHECK(mode_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_MODE_OFFSET, 2u | 36u << 8),
                                                W(E + DNNVP_ENGINE_POOL_COUNT_OFFSET, 9),
                                                W(E + DNNVP_ENGINE_POOL_MAGIC_OFFSET, 0x1C71C71Du)});

  // A max pool after it: only the words that differ.
  hal.clear_log();
  const dnnvp_layer_t max = two_tile_maxpool();
  REQUIRE(dnn_engine_set_layer(&e, &max) == DNN_OK);
  CHECK(mode_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_MODE_OFFSET, 1),
                                                W(E + DNNVP_ENGINE_POOL_COUNT_OFFSET, 0),
                                                W(E + DNNVP_ENGINE_POOL_MAGIC_OFFSET, 0)});

  hal.clear_log();
  dnnvp_layer_t dw = depthwise_conv();
  dw.clip = 1;
  dw.clip_lo = -5;
  dw.clip_hi = 100;
  REQUIRE(dnn_engine_set_layer(&e, &dw) == DNN_OK);
  CHECK(mode_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_MODE_OFFSET, 1u << 2 | 1u << 16),
                                                W(E + DNNVP_ENGINE_GROUP_OFFSET, 2u | 2u << 16),
                                                W(E + DNNVP_ENGINE_CLIP_OFFSET, 0xFFFBu | 100u << 16)});

  // A fused add whose operand a (the conv's output) is the add's input 1: Ma = param[1], operand b's
  // type and zero point from input 0.
  hal.clear_log();
  const FusedPair p = fused_pair(1);
  REQUIRE(dnn_engine_set_layer(&e, &p.rows[0]) == DNN_OK);
  dnn_engine_set_add(&e, &p.rows[1], 1);
  const std::uint32_t elt = 1u | 2u << 1 | 3u << 3 | 1u << 7 | 8u << 8 | 1u << 12 | 8u << 13 | 0u << 17;
  CHECK(mode_writes() ==
        std::vector<HalAccess>{W(E + DNNVP_ENGINE_MODE_OFFSET, 0), W(E + DNNVP_ENGINE_GROUP_OFFSET, 0),
                               W(E + DNNVP_ENGINE_CLIP_OFFSET, 0), W(E + DNNVP_ENGINE_ELT_OFFSET, elt),
                               W(E + DNNVP_ENGINE_ELT_Z_OFFSET, 0xFFF9u | 3u << 16),
                               W(E + DNNVP_ENGINE_ELT_MA_OFFSET, 1000),
                               W(E + DNNVP_ENGINE_ELT_MB_OFFSET, static_cast<std::uint32_t>(-2000)),
                               W(E + DNNVP_ENGINE_ELT_SHIFT_OFFSET, 11)});

  // Back to a dense convolution without an add: every word that is not 0 is reset, so it behaves as
  // before the modes.
  hal.clear_log();
  REQUIRE(dnn_engine_set_layer(&e, &conv) == DNN_OK);
  dnn_engine_set_add(&e, nullptr, 0);
  CHECK(mode_writes() ==
        std::vector<HalAccess>{W(E + DNNVP_ENGINE_ELT_OFFSET, 0), W(E + DNNVP_ENGINE_ELT_Z_OFFSET, 0),
                               W(E + DNNVP_ENGINE_ELT_MA_OFFSET, 0), W(E + DNNVP_ENGINE_ELT_MB_OFFSET, 0),
                               W(E + DNNVP_ENGINE_ELT_SHIFT_OFFSET, 0)});
}

TEST_CASE("runtime: an engine pool streams bands and outputs but no blob, a pool with a blob is refused",
          "[runtime][modes]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  const dnnvp_layer_t l = two_tile_maxpool();
  dnnvp_rt_layer_stats_t st;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, &st) == DNNVP_RT_OK);
  CHECK(st.on_engine == 1);
  CHECK(st.tiles == 2);
  CHECK(mm2s_transfers(D1).empty());
  // Tile 0: output rows 0..1 read input rows 0..3; tile 1: output rows 2..3 read rows 3..7.
  CHECK(mm2s_transfers(D0) == std::vector<std::pair<std::uint32_t, std::uint32_t>>{
                                  {0x81001000u, 4 * 32}, {0x81001000u + 3 * 32, 5 * 32}});
  CHECK(s2mm_transfers() ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0x81002000u, 32}, {0x81002000u + 32, 32}});

  dnnvp_layer_t bad = l;
  bad.blob_bytes = 64;
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &bad, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "layer plan");
}

TEST_CASE("runtime: the plan check counts a grouped convolution's passes over its group's chunks",
          "[runtime][modes]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  dnnvp_layer_t l = depthwise_conv();
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(mm2s_transfers(D1).size() == 2);  // the blob once per tile

  l.passes = 9 * 1;  // a plan for another array (one chunk per block)
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "model planned for another engine array");
  CHECK(hal.writes().empty());
}

TEST_CASE(
    "runtime: a depthwise row (MODE.OP 3) takes F chunks a block, a pass per sweep of Rows taps, whole rows",
    "[runtime][modes]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  // 8 channels on the 4x8 array at fold 2: one block of 8 lanes; 9 taps in 3 sweeps of 4; tiles of 4 rows.
  dnnvp_layer_t l = two_tile_conv();
  l.in_shape.c = 8;
  l.engine_op = 3;
  l.fold = 2;
  l.chunks = 2;
  l.blocks = 1;
  l.passes = 3;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(mode_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_MODE_OFFSET, 3)});
  CHECK(mm2s_transfers(D1).size() == 2);  // the blob once per tile

  dnnvp_layer_t conv_passes = l;
  conv_passes.passes = 9;  // a convolution's count
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &conv_passes, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "model planned for another engine array");
  dnnvp_layer_t part_rows = l;
  part_rows.tile_pixels = 28;  // 3.5 output rows
  part_rows.num_tiles = 3;
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &part_rows, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "depthwise");
  CHECK(hal.writes().empty());
}

TEST_CASE(
    "runtime: a row runs on the engine when it has a plan, on the CPU otherwise, a fused row is skipped",
    "[runtime][modes]") {
  dnnvp_rt_t rt;
  SECTION("a convolution without a plan is the CPU's, which has no convolution") {
    init(rt);
    dnnvp_layer_t l = two_tile_conv();
    l.tile_pixels = 0;
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(std::string(rt.error_what) == "layer type");
    CHECK(hal.log().empty());
  }
  SECTION("a fused row costs nothing, reports zeros and gets no layer mark") {
    dnnvp_rt_config_t cfg = config_with_residual_dma();
    cfg.layer_mark_addr = 0x10002000u;
    init(rt, cfg);
    instant_dmas();
    const FusedPair p = fused_pair();
    dnnvp_rt_layer_stats_t st[2];
    REQUIRE(dnnvp_rt_run(&rt, p.rows, 2, st) == DNNVP_RT_OK);
    std::vector<std::uint32_t> marks;
    for (const HalAccess& a : hal.writes())
      if (a.addr == cfg.layer_mark_addr) marks.push_back(a.value);
    CHECK(marks == std::vector<std::uint32_t>{0, DNNVP_RT_MARK_DONE});
    CHECK(st[0].fused_into == DNNVP_NO_LAYER);
    CHECK(st[0].tiles == 2);
    CHECK(st[1].fused_into == 0);
    CHECK(st[1].on_engine == 1);  // where its producer ran
    CHECK(st[1].tiles == 0);
    CHECK(st[1].cycles == 0);
    CHECK(st[1].engine.cycles == 0);
    CHECK(std::string(st[1].name) == "add");
  }
  SECTION("fused_into must name an earlier row") {
    init(rt);
    FusedPair p = fused_pair();
    p.rows[0].fused_add = DNNVP_NO_LAYER;
    p.rows[0].fused_into = 1;
    CHECK(dnnvp_rt_run(&rt, p.rows, 2, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(std::string(rt.error_what) == "fused_into");
    CHECK(rt.error_layer == 0);
  }
  SECTION("fused_add must name a later Add that names the row back as one of its inputs") {
    FusedPair p = fused_pair();
    dnnvp_rt_config_t cfg = config_with_residual_dma();
    for (int broken = 0; broken < 4; ++broken) {
      FusedPair q = p;
      if (broken == 0) q.rows[1].fused_into = DNNVP_NO_LAYER;
      if (broken == 1) q.rows[1].type = DNNVP_LAYER_CLIP;
      if (broken == 2) q.rows[1].input_layer[0] = DNNVP_NETWORK_INPUT;
      if (broken == 3) q.rows[0].fused_add = 0;
      init(rt, cfg);
      INFO("broken " << broken);
      CHECK(dnnvp_rt_run_layer(&rt, q.rows, 2, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
      CHECK(std::string(rt.error_what) == "fused add");
      CHECK(hal.writes().empty());
    }
  }
  SECTION("a fused add needs the residual DMA") {
    init(rt);
    const FusedPair p = fused_pair();
    CHECK(dnnvp_rt_run_layer(&rt, p.rows, 2, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(std::string(rt.error_what) == "fused add without a residual DMA");
  }
}

TEST_CASE("runtime: a fused add streams operand b per tile on the output's byte span (8-bit)",
          "[runtime][modes]") {
  dnnvp_rt_t rt;
  const dnnvp_rt_config_t cfg = config_with_residual_dma();
  init(rt, cfg);
  instant_dmas();
  const FusedPair p = fused_pair();
  REQUIRE(dnnvp_rt_run(&rt, p.rows, 2, nullptr) == DNNVP_RT_OK);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> outs = s2mm_transfers();
  CHECK(outs == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0x81004000u, 256}, {0x81004100u, 256}});
  CHECK(mm2s_transfers(D2) ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0x81003000u, 256}, {0x81003100u, 256}});
  // Operand b of tile t starts only once tile t is queued (after its PUSH).
  int pushes = 0, residuals = 0;
  for (const HalAccess& a : hal.writes()) {
    if (a.addr == E + DNNVP_ENGINE_CTRL_OFFSET && a.value == DNNVP_ENGINE_CTRL_PUSH_MASK) ++pushes;
    if (a.addr == D2 + 0x28) CHECK(++residuals <= pushes);
  }
  CHECK(residuals == 2);
}

TEST_CASE("runtime: a fused add's operand b at 4 bits starts at the output's nibble-start byte",
          "[runtime][modes]") {
  dnnvp_rt_t rt;
  init(rt, config_with_residual_dma());
  instant_dmas();
  FusedPair p = fused_pair();
  // 1x1 conv 3x3x4 -> 3x3x3 at 4 bits, tiles of 3 pixels (9 values): tile 1 starts at value 9, the high
  // nibble of byte 4 (which tile 0 wrote too); tile 2 at value 18, byte 9.
  for (dnnvp_layer_t* r : {&p.rows[0], &p.rows[1]}) r->out_shape = {3, 3, 3};
  dnnvp_layer_t& c = p.rows[0];
  c.in_shape = {3, 3, 4};
  c.kernel_h = c.kernel_w = 1;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 0;
  c.in_q[0] = {4, 0, 0};
  c.out_q = {4, 1, 0};
  c.tile_pixels = 3;
  c.num_tiles = 3;
  c.passes = 1;
  p.rows[1].in_shape = c.out_shape;
  p.rows[1].in_q[0] = c.out_q;
  p.rows[1].in_q[1] = {4, 0, 2};
  p.rows[1].out_q = {4, 1, 0};
  REQUIRE(dnnvp_rt_run(&rt, p.rows, 2, nullptr) == DNNVP_RT_OK);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> spans = {{0, 5}, {4, 5}, {9, 5}};
  std::vector<std::pair<std::uint32_t, std::uint32_t>> outs, residuals;
  for (const auto& s : spans) {
    outs.emplace_back(0x81004000u + s.first, s.second);
    residuals.emplace_back(0x81003000u + s.first, s.second);
  }
  CHECK(s2mm_transfers() == outs);
  CHECK(mm2s_transfers(D2) == residuals);
  const std::uint32_t elt = 1u | 2u << 1 | 3u << 3 | 1u << 7 | 4u << 8 | 1u << 12 | 4u << 13 | 0u << 17;
  const std::vector<HalAccess> writes = hal.writes();
  CHECK(std::count(writes.begin(), writes.end(), W(E + DNNVP_ENGINE_ELT_OFFSET, elt)) == 1);
}

TEST_CASE("runtime: a residual DMA fault ends the layer with its DMASR, like the band's and the blob's",
          "[runtime][modes]") {
  dnnvp_rt_t rt;
  dnnvp_rt_config_t cfg = config_with_residual_dma();
  init(rt, cfg);
  instant_dmas();
  hal.script(D2 + 0x04, {kHalted | (1u << 5) | (1u << 14)});  // slave error on tile 0's operand
  const FusedPair p = fused_pair();
  CHECK(dnnvp_rt_run(&rt, p.rows, 2, nullptr) == DNNVP_RT_ERR_DMA);
  CHECK(std::string(rt.error_what) == "residual DMA");
  CHECK(rt.error_tile == 0);
  CHECK(rt.error_detail == (kHalted | (1u << 5) | (1u << 14)));
  CHECK(rt.error_layer == 0);

  // A residual DMA that never finishes: the timeout names it.
  init(rt, cfg);
  instant_dmas();
  hal.set_default(D2 + 0x04, 0);
  hal.set_default(D0 + 0x34, 0);  // the engine waits for operand b: no output either
  CHECK(dnnvp_rt_run(&rt, p.rows, 2, nullptr) == DNNVP_RT_ERR_TIMEOUT);
  CHECK(std::string(rt.error_what) == "output DMA");

  // The residual DMA is reset with the others at init.
  hal.reset();
  engine_registers();
  REQUIRE(dnnvp_rt_init(&rt, &cfg) == DNNVP_RT_OK);
  CHECK(hal.writes().back() == W(D2 + 0x00, 4));
  dnnvp_rt_config_t bad = cfg;
  bad.dma_r.channels = AXI_DMA_HAS_S2MM;
  CHECK(dnnvp_rt_init(&rt, &bad) == DNNVP_RT_ERR_ARG);
}

namespace {

// 1x1 convolution at stride 2, no padding, 9x8x4 -> 5x4x8, 8-bit, tiles of 8 pixels (2 output rows):
// tiles of 8, 8 and 4 pixels. With row_step 2 the engine sees rows 0, 2, 4, 6, 8 as a 5-row image.
dnnvp_layer_t strided_1x1(std::uint8_t row_step) {
  dnnvp_layer_t l = two_tile_conv();
  l.kernel_h = l.kernel_w = 1;
  l.stride_h = l.stride_w = 2;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 0;
  l.in_shape = {9, 8, 4};
  l.out_shape = {5, 4, 8};
  l.blob_bytes = 40;
  l.tile_pixels = 8;
  l.num_tiles = 3;
  l.passes = 1;
  l.macs = 5 * 4 * 4 * 8;
  l.row_step = row_step;
  return l;
}

constexpr std::uint32_t kSgIncluded = 1u << 3;
constexpr std::uint32_t kBdBus = 0x81008000u;  // where the DMA sees the runtime's descriptor ring

// One descriptor as the DMA would fetch it: next, buffer, control (length | SOF | EOF), status.
struct Bd {
  std::uint32_t next, buffer, control, status;
  bool operator==(const Bd& o) const {
    return next == o.next && buffer == o.buffer && control == o.control && status == o.status;
  }
};
std::ostream& operator<<(std::ostream& os, const Bd& b) {
  return os << std::hex << "{next 0x" << b.next << ", buffer 0x" << b.buffer << ", control 0x" << b.control
            << ", status 0x" << b.status << "}" << std::dec;
}

}  // namespace

TEST_CASE("runtime: a row_step layer gathers each band's rows with one scatter/gather descriptor per row",
          "[runtime][row_step]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  // The descriptor ring as the DMA sees it (a 32-bit bus address).
  rt.config.cpu_offset = reinterpret_cast<std::uintptr_t>(rt.band_bds) - kBdBus;
  // Each band: the channel halted (DMASR Halted | SGIncld for sg_start), then done at its first poll.
  hal.script(D0 + 0x04, {kHalted | kSgIncluded, kIoc | kIdle, kHalted | kSgIncluded, kIoc | kIdle,
                         kHalted | kSgIncluded, kIoc | kIdle});
  // The chain of every band, as it is when TAILDESC starts it.
  std::vector<std::vector<Bd>> chains;
  hal.on_write = [&rt, &chains](std::uintptr_t a, std::uint32_t v) {
    if (a == D0 + 0x58) hal.set_default(D0 + 0x58, v);
    if (a != D0 + 0x10) return;
    std::vector<Bd> chain;
    for (std::uint32_t k = 0; k <= (v - kBdBus) / 64u; ++k) {
      const std::uint32_t* w = rt.band_bds[k].words;
      chain.push_back({w[0], w[2], w[6], w[7]});
    }
    chains.push_back(chain);
  };
  const dnnvp_layer_t l = strided_1x1(2);
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_OK);

  // The engine sees 5 rows at stride 1 (IN_H, WINDOW.SH); stride_w stays 2.
  const std::vector<HalAccess> writes = hal.writes();
  CHECK(std::count(writes.begin(), writes.end(), W(E + DNNVP_ENGINE_IN_H_OFFSET, 5)) == 1);
  CHECK(std::count(writes.begin(), writes.end(), W(E + DNNVP_ENGINE_WINDOW_OFFSET, 0x02010101u)) == 1);
  // Tiles: output rows 0-1, 2-3, 4 read engine rows 0-1, 2-3, 4 (BAND_Y0, BAND_PIXELS of 8-pixel rows).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> bands;
  std::uint32_t y0 = 0;
  for (const HalAccess& a : writes) {
    if (a.addr == E + DNNVP_ENGINE_BAND_Y0_OFFSET) y0 = a.value;
    if (a.addr == E + DNNVP_ENGINE_BAND_PIXELS_OFFSET) bands.emplace_back(y0, a.value);
  }
  CHECK(bands == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 16}, {2, 16}, {4, 8}});
  // No direct band transfer; each band: MM2S halted, CURDESC, RS, TAILDESC, in that order.
  CHECK(mm2s_transfers(D0).empty());
  std::vector<HalAccess> sg;
  for (const HalAccess& a : writes)
    if (a.addr == D0 + 0x00 || a.addr == D0 + 0x08 || a.addr == D0 + 0x10) sg.push_back(a);
  CHECK(sg == std::vector<HalAccess>{W(D0, 0), W(D0 + 0x08, kBdBus), W(D0, kRun), W(D0 + 0x10, kBdBus + 64),
                                     W(D0, 0), W(D0 + 0x08, kBdBus), W(D0, kRun), W(D0 + 0x10, kBdBus + 64),
                                     W(D0, 0), W(D0 + 0x08, kBdBus), W(D0, kRun), W(D0 + 0x10, kBdBus)});
  // DRAM rows 0 and 2, 4 and 6, then 8: 32 bytes each at a 64-byte pitch, one packet per band.
  const std::uint32_t in = 0x81001000u, sof = 1u << 27, eof = 1u << 26;
  CHECK(chains ==
        std::vector<std::vector<Bd>>{{{kBdBus + 64, in, 32 | sof, 0}, {kBdBus, in + 64, 32 | eof, 0}},
                                     {{kBdBus + 64, in + 128, 32 | sof, 0}, {kBdBus, in + 192, 32 | eof, 0}},
                                     {{kBdBus, in + 256, 32 | sof | eof, 0}}});
  // The outputs are today's: 8 channels per pixel, contiguous.
  CHECK(s2mm_transfers() == std::vector<std::pair<std::uint32_t, std::uint32_t>>{
                                {0x81002000u, 64}, {0x81002000u + 64, 64}, {0x81002000u + 128, 32}});

  // Without row_step the same layer reads rows 0..2, 4..6 and 8 contiguously.
  init(rt);
  instant_dmas();
  const dnnvp_layer_t today = strided_1x1(1);
  REQUIRE(dnnvp_rt_run_layer(&rt, &today, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(mm2s_transfers(D0) ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{in, 96}, {in + 128, 96}, {in + 256, 32}});
  const std::vector<HalAccess> today_writes = hal.writes();
  CHECK(std::count(today_writes.begin(), today_writes.end(), W(E + DNNVP_ENGINE_IN_H_OFFSET, 9)) == 1);
  CHECK(std::count(today_writes.begin(), today_writes.end(),
                   W(E + DNNVP_ENGINE_WINDOW_OFFSET, 0x02020101u)) == 1);
}

TEST_CASE("runtime: a row_step plan the gather cannot serve is refused before the engine is touched",
          "[runtime][row_step]") {
  dnnvp_rt_t rt;
  dnnvp_layer_t l = strided_1x1(2);
  SECTION("a kernel taller than one row") {
    l.kernel_h = 3;
    l.passes = 3;
  }
  SECTION("row_step other than the stride") {
    l.row_step = 3;
  }
  SECTION("vertical padding") {
    l.pad_bottom = 1;
  }
  SECTION("4-bit rows of an odd number of values (a row would not be whole bytes)") {
    l.in_q[0].bits = 4;
    l.in_shape = {9, 7, 3};
  }
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "row_step");
  CHECK(hal.writes().empty());
}

TEST_CASE(
    "runtime: a row_step band longer than the descriptor ring, or a band DMA without scatter/gather, fails",
    "[runtime][row_step]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  rt.config.cpu_offset = reinterpret_cast<std::uintptr_t>(rt.band_bds) - kBdBus;
  SECTION("more rows than descriptors") {
    dnnvp_layer_t l = strided_1x1(2);
    l.in_shape = {2 * DNNVP_ROW_STEP_MAX_BAND_ROWS + 1, 1, 4};
    l.out_shape = {DNNVP_ROW_STEP_MAX_BAND_ROWS + 1, 1, 8};
    l.tile_pixels = DNNVP_ROW_STEP_MAX_BAND_ROWS + 1;
    l.num_tiles = 1;
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
    CHECK(std::string(rt.error_what) == "row_step band longer than the descriptor ring");
    CHECK(rt.error_detail == DNNVP_ROW_STEP_MAX_BAND_ROWS + 1);
  }
  SECTION("DMASR.SGIncld 0") {
    hal.script(D0 + 0x04, {kHalted});
    const dnnvp_layer_t l = strided_1x1(2);
    CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_DMA);
    CHECK(std::string(rt.error_what) == "band DMA");
    CHECK(rt.error_tile == 0);
  }
}

TEST_CASE(
    "runtime: a folded convolution's plan is checked against its fold, FOLD.F is written when it changes",
    "[runtime][fold]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  // Fold 2 on the 4x8 array: Cin 4 in 1 chunk rounded up to 2, Cout 8 in blocks of 4 lanes, 9 taps x 1
  // chunk group per block.
  dnnvp_layer_t folded = two_tile_conv();
  folded.fold = 2;
  folded.chunks = 2;
  folded.blocks = 2;
  folded.passes = 9;
  const dnnvp_layer_t plain = two_tile_conv();
  const auto fold_writes = [] {
    std::vector<HalAccess> f;
    for (const HalAccess& a : hal.writes())
      if (a.addr == E + DNNVP_ENGINE_FOLD_OFFSET) f.push_back(a);
    return f;
  };
  REQUIRE(dnnvp_rt_run_layer(&rt, &plain, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(fold_writes().empty());  // fold 0 or 1 on a fresh engine: nothing to write
  hal.clear_log();
  REQUIRE(dnnvp_rt_run_layer(&rt, &folded, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(fold_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_FOLD_OFFSET, 2)});
  hal.clear_log();
  REQUIRE(dnnvp_rt_run_layer(&rt, &folded, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(fold_writes().empty());
  hal.clear_log();
  dnnvp_layer_t one = plain;
  one.fold = 1;
  REQUIRE(dnnvp_rt_run_layer(&rt, &one, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(fold_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_FOLD_OFFSET, 0)});

  dnnvp_layer_t bad = folded;
  std::string what = "model planned for another engine array";
  SECTION("chunks not rounded up to the fold") {
    bad.chunks = 1;
  }
  SECTION("blocks of Cols channels") {
    bad.blocks = 1;
  }
  SECTION("passes over every chunk") {
    bad.passes = 18;
  }
  SECTION("a fold that does not divide Cols") {
    bad.fold = 3;
    what = "fold";
  }
  SECTION("a folded grouped convolution") {
    bad.group_chunks = 1;
    what = "fold";
  }
  SECTION("a pool folded into more lanes than Cols") {
    bad = two_tile_maxpool();
    bad.fold = 4;  // 4 x 4 rows > 8 columns
    what = "fold";
  }
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &bad, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(rt.error_what == what);
  CHECK(hal.writes().empty());
}

namespace {

// Three rows as in a ResNet-50 downsample block: conv A (2 tiles, output at 0x81002000), conv B reading
// the network input (2 tiles, so it may overlap A) with a fused Add whose operand b is A's output.
struct Chain {
  dnnvp_layer_t rows[3];
};
Chain residual_chain() {
  Chain c;
  const FusedPair p = fused_pair();
  c.rows[0] = two_tile_conv();
  c.rows[0].name = "a";
  c.rows[1] = p.rows[0];
  c.rows[1].name = "b";
  c.rows[1].fused_add = 2;
  c.rows[1].res_addr = c.rows[0].out_addr;
  c.rows[2] = p.rows[1];
  c.rows[2].fused_into = 1;
  c.rows[2].input_layer[0] = 1;
  c.rows[2].input_layer[1] = 0;
  c.rows[2].in_addr[1] = c.rows[0].out_addr;
  return c;
}

// DMAs that finish at their first poll but S2MM, whose every output takes three polls; the engine's MACS
// counter as given.
void slow_outputs(std::uint32_t macs) {
  for (std::uintptr_t s : {D0 + 0x04, D1 + 0x04, D2 + 0x04}) hal.set_default(s, kIoc | kIdle);
  hal.set_default(E + DNNVP_ENGINE_MACS_LO_OFFSET, macs);
  hal.on_write = [](std::uintptr_t a, std::uint32_t v) {
    if (a == D0 + 0x58) {
      hal.set_default(D0 + 0x58, v);
      hal.script(D0 + 0x34, {0, 0, kIoc | kIdle});
    }
  };
}

// Replays the log: [lo, hi) of `watched` bytes whose output has drained, given that outputs drain in
// order; calls read(addr, bytes, drained_end) at every MM2S start on `dma`.
template <typename F>
void replay_reads(std::uintptr_t dma, F read) {
  std::uint32_t armed = 0, armed_len = 0, drained_end = 0, addr = 0;
  for (const HalAccess& a : hal.writes()) {
    if (a.addr == D0 + 0x48) armed = a.value;
    if (a.addr == D0 + 0x58) armed_len = a.value;
    if (a.addr == D0 + 0x34 && a.value == kIoc) drained_end = armed + armed_len;
    if (a.addr == dma + 0x18) addr = a.value;
    if (a.addr == dma + 0x28) read(addr, a.value, drained_end);
  }
}

}  // namespace

TEST_CASE("runtime: consecutive engine layers overlap, a fused add's operand b waits for the rows it reads",
          "[runtime][overlap]") {
  dnnvp_rt_t rt;
  init(rt, config_with_residual_dma());
  slow_outputs(0xFFFFFFFFu);
  const Chain c = residual_chain();
  dnnvp_rt_layer_stats_t st[3];
  REQUIRE(dnnvp_rt_run(&rt, c.rows, 3, st) == DNNVP_RT_OK);
  // One tile stream: the counters are cleared once, B's first push comes before A's last output.
  const std::vector<HalAccess> writes = hal.writes();
  CHECK(std::count(writes.begin(), writes.end(), W(E + DNNVP_ENGINE_CTRL_OFFSET, 6)) == 1);
  int pushes = 0, outputs = 0, pushes_before_a_done = 0;
  for (const HalAccess& a : writes) {
    if (a == W(E + DNNVP_ENGINE_CTRL_OFFSET, 1)) ++pushes;
    if (a == W(D0 + 0x34, kIoc) && ++outputs == 2) pushes_before_a_done = pushes;
  }
  CHECK(pushes == 4);
  CHECK(pushes_before_a_done > 2);
  // Operand b (A's output, 0x81002000..0x81002200) is read only where A's output has drained.
  int residuals = 0;
  replay_reads(D2, [&](std::uint32_t addr, std::uint32_t bytes, std::uint32_t drained_end) {
    INFO("residual " << residuals << " at 0x" << std::hex << addr);
    CHECK(addr + bytes <= drained_end);
    ++residuals;
  });
  CHECK(residuals == 2);
  CHECK(st[0].tiles == 2);
  CHECK(st[1].tiles == 2);
  CHECK(st[2].tiles == 0);
  CHECK(st[2].on_engine == 1);
  CHECK(st[2].fused_into == 1);
}

TEST_CASE("runtime: the next layer's bands wait for the producer rows they read", "[runtime][overlap]") {
  dnnvp_rt_t rt;
  init(rt);
  slow_outputs(0xFFFFFFFFu);
  // A: 8 tiles of one output row; B, a 3x3 conv reading A's output, 2 tiles of 4 rows (band rows 0..4
  // and 3..7): B's first band may go while A's last tiles compute, its second only after A's last output.
  dnnvp_layer_t rows[2] = {two_tile_conv(), two_tile_conv()};
  rows[0].tile_pixels = 8;
  rows[0].num_tiles = 8;
  rows[1].in_shape = rows[0].out_shape;
  rows[1].in_addr[0] = rows[0].out_addr;
  rows[1].out_addr = 0x81003000u;
  rows[1].chunks = 2;
  rows[1].passes = 18;
  rows[1].blob_bytes = 720;
  REQUIRE(dnnvp_rt_run(&rt, rows, 2, nullptr) == DNNVP_RT_OK);
  int overlapping = 0, bands = 0;
  replay_reads(D0, [&](std::uint32_t addr, std::uint32_t bytes, std::uint32_t drained_end) {
    if (addr < rows[0].out_addr || addr >= rows[0].out_addr + 512u) return;  // A's own bands
    INFO("band at 0x" << std::hex << addr << " + " << std::dec << bytes);
    CHECK(addr + bytes <= drained_end);
    overlapping += drained_end < rows[0].out_addr + 512u;
    ++bands;
  });
  CHECK(bands == 2);
  CHECK(overlapping == 1);  // B's first band moved before A's last output
}

TEST_CASE("runtime: overlapping layers' engine counters split at the first layer's last MAC",
          "[runtime][overlap]") {
  dnnvp_rt_t rt;
  init(rt, config_with_residual_dma());
  slow_outputs(0);
  const Chain c = residual_chain();
  // The MACS counter reaches A's MACs after a few polls; B's blob waits for it.
  const std::uint64_t a_macs = c.rows[0].macs;
  // (Polls 1 and 2 below it; poll 3 shows it and the counters are read: MACS_LO once more.)
  hal.script(E + DNNVP_ENGINE_MACS_LO_OFFSET,
             {0, 0, static_cast<std::uint32_t>(a_macs), static_cast<std::uint32_t>(a_macs)});
  hal.set_default(E + DNNVP_ENGINE_MACS_LO_OFFSET, static_cast<std::uint32_t>(a_macs + c.rows[1].macs));
  hal.set_default(E + DNNVP_ENGINE_CYCLES_LO_OFFSET, 1000);
  dnnvp_rt_layer_stats_t st[3];
  REQUIRE(dnnvp_rt_run(&rt, c.rows, 3, st) == DNNVP_RT_OK);
  CHECK(st[0].engine.macs == a_macs);
  CHECK(st[1].engine.macs == c.rows[1].macs);
  // B's blob starts only after the MACS read that showed A's last MAC.
  int macs_reads = 0, blobs_before = 0;
  for (const HalAccess& a : hal.log()) {
    if (!a.write && a.addr == E + DNNVP_ENGINE_MACS_LO_OFFSET) ++macs_reads;
    if (a.write && a.addr == D1 + 0x28 && macs_reads < 3) ++blobs_before;
  }
  CHECK(blobs_before == 2);  // A's two blobs only
  // A's other counters are read only after B's first blob has started: those reads would delay it.
  macs_reads = 0;
  int blobs = 0, blobs_before_a_counters = -1;
  for (const HalAccess& a : hal.log()) {
    if (!a.write && a.addr == E + DNNVP_ENGINE_MACS_LO_OFFSET) ++macs_reads;
    if (a.write && a.addr == D1 + 0x28) ++blobs;
    if (!a.write && a.addr == E + DNNVP_ENGINE_CYCLES_LO_OFFSET && macs_reads >= 3 &&
        blobs_before_a_counters < 0)
      blobs_before_a_counters = blobs;
  }
  CHECK(blobs_before_a_counters == 3);
}

TEST_CASE("runtime: a band_whole layer's tiles carry BAND.WHOLE, written only when it changes",
          "[runtime][band_whole]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  const auto band_writes = [] {
    std::vector<HalAccess> f;
    for (const HalAccess& a : hal.writes())
      if (a.addr == E + DNNVP_ENGINE_BAND_OFFSET) f.push_back(a);
    return f;
  };
  const dnnvp_layer_t plain = two_tile_conv();
  dnnvp_layer_t whole = plain;
  whole.band_whole = 1;
  REQUIRE(dnnvp_rt_run_layer(&rt, &plain, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(band_writes().empty());
  hal.clear_log();
  REQUIRE(dnnvp_rt_run_layer(&rt, &whole, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(band_writes() ==
        std::vector<HalAccess>{W(E + DNNVP_ENGINE_BAND_OFFSET, DNNVP_ENGINE_BAND_WHOLE_MASK)});
  // Its bands are today's byte spans (the engine places them).
  CHECK(mm2s_transfers(D0) ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0x81001000u, 160}, {0x81001060u, 160}});
  hal.clear_log();
  REQUIRE(dnnvp_rt_run_layer(&rt, &whole, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(band_writes().empty());
  hal.clear_log();
  REQUIRE(dnnvp_rt_run_layer(&rt, &plain, 1, 0, nullptr) == DNNVP_RT_OK);
  CHECK(band_writes() == std::vector<HalAccess>{W(E + DNNVP_ENGINE_BAND_OFFSET, 0)});
}

TEST_CASE("runtime: a pool at fold F takes F chunks a block (F * Rows <= Cols lanes) and writes FOLD.F",
          "[runtime][fold]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  // 8 channels on the 4x8 array at fold 2: 2 chunks in one block of 8 lanes, 9 taps.
  dnnvp_layer_t pool = two_tile_maxpool();
  pool.in_shape.c = pool.out_shape.c = 8;
  pool.fold = 2;
  pool.chunks = 2;
  pool.blocks = 1;
  REQUIRE(dnnvp_rt_run_layer(&rt, &pool, 1, 0, nullptr) == DNNVP_RT_OK);
  std::vector<HalAccess> folds;
  for (const HalAccess& a : hal.writes())
    if (a.addr == E + DNNVP_ENGINE_FOLD_OFFSET) folds.push_back(a);
  CHECK(folds == std::vector<HalAccess>{W(E + DNNVP_ENGINE_FOLD_OFFSET, 2)});
  CHECK(mm2s_transfers(D1).empty());  // still no blob

  pool.blocks = 2;  // a block per chunk: the unfolded plan
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &pool, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "model planned for another engine array");
}

namespace {

// two_tile_conv with 16 output channels (2 blocks of the 4x8 array's 8) in groups of 1 block: 2 pixel
// tiles of 32 pixels x 2 groups of 8 channels.
dnnvp_layer_t grouped_conv() {
  dnnvp_layer_t l = two_tile_conv();
  l.out_shape = {8, 8, 16};
  l.blocks = 2;
  l.blob_bytes = 720;
  l.macs = 8 * 8 * 9 * 4 * 16;
  l.block_group = 1;
  return l;
}

}  // namespace

TEST_CASE("runtime: a block-group layer runs each pixel tile once per group, its output at pitch Cout",
          "[runtime][block_group]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  rt.config.cpu_offset = reinterpret_cast<std::uintptr_t>(rt.band_bds) - kBdBus;
  hal.set_default(D0 + 0x34, kHalted | kSgIncluded | kIoc | kIdle);  // halted for sg_start, then done
  std::vector<std::vector<Bd>> chains;
  const std::uint32_t first = kBdBus + 64u * DNNVP_ROW_STEP_MAX_BAND_ROWS;
  hal.on_write = [&rt, &chains, first](std::uintptr_t a, std::uint32_t v) {
    if (a != D0 + 0x40) return;
    std::vector<Bd> chain;
    for (std::uint32_t k = 0; k <= (v - first) / 64u; ++k) {
      std::uint32_t* w = rt.out_bds[k].words;
      chain.push_back({w[0], w[2], w[6], w[7]});
      w[7] = 1u << 31 | (w[6] & 0x03FFFFFFu) | (k == (v - first) / 64u ? 1u << 26 : 0u);
    }
    chains.push_back(chain);
  };
  const dnnvp_layer_t l = grouped_conv();
  dnnvp_rt_layer_stats_t stats;
  REQUIRE(dnnvp_rt_run_layer(&rt, &l, 1, 0, &stats) == DNNVP_RT_OK);
  CHECK(stats.tiles == 4);

  // Per push: OUT_C and BLOCKS of the group (after set_layer's 16 and 2), BAND.REUSE on the second group.
  std::vector<HalAccess> group_writes;
  for (const HalAccess& a : hal.writes())
    if (a.addr == E + DNNVP_ENGINE_OUT_C_OFFSET || a.addr == E + DNNVP_ENGINE_BLOCKS_OFFSET ||
        a.addr == E + DNNVP_ENGINE_BAND_OFFSET || a.addr == E + DNNVP_ENGINE_CTRL_OFFSET)
      group_writes.push_back(a);
  const HalAccess out_c = W(E + DNNVP_ENGINE_OUT_C_OFFSET, 8), blocks = W(E + DNNVP_ENGINE_BLOCKS_OFFSET, 1),
                  push = W(E + DNNVP_ENGINE_CTRL_OFFSET, DNNVP_ENGINE_CTRL_PUSH_MASK);
  const auto band = [](std::uint32_t v) { return W(E + DNNVP_ENGINE_BAND_OFFSET, v); };
  CHECK(group_writes ==
        std::vector<HalAccess>{W(E + DNNVP_ENGINE_CTRL_OFFSET, 0x6u),  // clear counters, error
                               W(E + DNNVP_ENGINE_OUT_C_OFFSET, 16), W(E + DNNVP_ENGINE_BLOCKS_OFFSET, 2),
                               out_c, blocks, push, out_c, blocks, band(1), push, out_c, blocks, band(0),
                               push, out_c, blocks, band(1), push});
  // A band per pixel tile (input rows 0..4, then 3..7, of 32 bytes), each group's half of the blob.
  const std::uint32_t in = 0x81001000u, blob = 0x81000000u, out = 0x81002000u;
  CHECK(mm2s_transfers(D0) ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{in, 160}, {in + 96, 160}});
  CHECK(mm2s_transfers(D1) == std::vector<std::pair<std::uint32_t, std::uint32_t>>{
                                  {blob, 360}, {blob + 360, 360}, {blob, 360}, {blob + 360, 360}});
  // No direct output: each tile's 32 pixels x 8 channels at a pitch of 16 bytes, one packet.
  CHECK(s2mm_transfers().empty());
  REQUIRE(chains.size() == 4);
  for (std::uint32_t k = 0; k < 4; ++k) {
    INFO("tile " << k);
    REQUIRE(chains[k].size() == 32);
    for (std::uint32_t p = 0; p < 32; ++p) {
      const std::uint32_t control = 8u | (p == 0 ? 1u << 27 : 0u) | (p == 31 ? 1u << 26 : 0u);
      CHECK(chains[k][p] ==
            Bd{first + 64u * ((p + 1) % 32), out + ((k / 2) * 32 + p) * 16 + (k % 2) * 8, control, 0});
    }
  }
}

TEST_CASE("runtime: a block-group output that ends short of its last pixel's descriptor fails",
          "[runtime][block_group]") {
  dnnvp_rt_t rt;
  init(rt);
  instant_dmas();
  rt.config.cpu_offset = reinterpret_cast<std::uintptr_t>(rt.band_bds) - kBdBus;
  hal.set_default(D0 + 0x34, kHalted | kSgIncluded | kIoc | kIdle);
  const std::uint32_t first = kBdBus + 64u * DNNVP_ROW_STEP_MAX_BAND_ROWS;
  hal.on_write = [&rt, first](std::uintptr_t a, std::uint32_t v) {
    if (a != D0 + 0x40) return;
    const std::uint32_t last = (v - first) / 64u;
    for (std::uint32_t k = 0; k <= last; ++k)  // the packet's end (RXEOF) 3 bytes into the last buffer
      rt.out_bds[k].words[7] = 1u << 31 | (k == last ? 5u | 1u << 26 : 8u);
  };
  const dnnvp_layer_t l = grouped_conv();
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_LENGTH);
  CHECK(std::string(rt.error_what) == "output DMA");
  CHECK(rt.error_tile == 0);
  CHECK(rt.error_detail == 31 * 8 + 5);
}

TEST_CASE("runtime: block-group rows the runtime cannot scatter are refused", "[runtime][block_group]") {
  dnnvp_rt_t rt;
  dnnvp_layer_t l = grouped_conv();
  SECTION("a group of every block") {
    l.block_group = 2;
  }
  SECTION("a grouped convolution") {
    l.group_chunks = 1;
    l.passes = 9;
  }
  SECTION("more pixels than the descriptor rings") {
    l.out_shape = {DNNVP_BLOCK_GROUP_MAX_PIXELS + 1, 1, 16};
    l.in_shape = {DNNVP_BLOCK_GROUP_MAX_PIXELS + 1, 1, 4};
    l.kernel_w = 1;
    l.passes = 3;
    l.tile_pixels = DNNVP_BLOCK_GROUP_MAX_PIXELS + 1;
    l.num_tiles = 1;
  }
  SECTION("4-bit runs of an odd number of values (the last group: 15 - 8 = 7 channels)") {
    l.out_q.bits = 4;
    l.out_shape.c = 15;
  }
  init(rt);
  CHECK(dnnvp_rt_run_layer(&rt, &l, 1, 0, nullptr) == DNNVP_RT_ERR_BAD_LAYER);
  CHECK(std::string(rt.error_what) == "block_group");
  CHECK(hal.writes().empty());
}

// The AXI DMA driver against the mocked HAL: exact register sequences (PG021 direct register mode).
#include <catch2/catch.hpp>

#include "mock_hal.h"

extern "C" {
#include "dif_axi_dma.h"
}

namespace {

constexpr std::uintptr_t kBase = 0x40400000;
constexpr std::uint32_t kIoc = 1u << 12, kIdle = 1u << 1, kHalted = 1u << 0;
constexpr std::uint32_t kRun = 0x00010001u;  // DMACR: RS, IRQThreshold 1 (reset value)

axi_dma_t make_dma(std::uint8_t channels = AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, std::uint8_t addr_64 = 0,
                   std::uint8_t length_bits = 0) {
  axi_dma_config_t cfg{kBase, channels, length_bits, addr_64, 0};
  axi_dma_t dma;
  REQUIRE(axi_dma_init(&dma, &cfg) == AXI_DMA_OK);
  return dma;
}

}  // namespace

TEST_CASE("axi_dma: an MM2S transfer writes DMACR.RS, SA, LENGTH (last) and completes on IOC, clearing it",
          "[axi_dma]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  hal.script(kBase + 0x04, {0, 0, kIoc | kIdle});
  REQUIRE(axi_dma_mm2s_start(&dma, 0x81003380u, 768) == AXI_DMA_OK);
  std::uint32_t status = 0;
  REQUIRE(axi_dma_wait(&dma, AXI_DMA_MM2S, 10, &status) == AXI_DMA_OK);
  CHECK(status == (kIoc | kIdle));
  const std::vector<HalAccess> expected = {
      W(kBase + 0x00, kRun), W(kBase + 0x18, 0x81003380u), W(kBase + 0x28, 768),  // start
      R(kBase + 0x04, 0), R(kBase + 0x04, 0), R(kBase + 0x04, kIoc | kIdle),   // busy, busy, done
      W(kBase + 0x04, kIoc)};                                                  // W1C IOC
  CHECK(hal.log() == expected);
}

TEST_CASE("axi_dma: an S2MM transfer uses DMACR/DA/LENGTH at 0x30/0x48/0x58 and reads back the bytes received",
          "[axi_dma]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  hal.script(kBase + 0x34, {kIdle});  // Idle alone also means complete (no IOC write then)
  hal.script(kBase + 0x58, {200u | 0xFC000000u});  // reserved bits read 0 on hardware; masked anyway
  REQUIRE(axi_dma_s2mm_start(&dma, 0x81004000u, 256) == AXI_DMA_OK);
  REQUIRE(axi_dma_poll(&dma, AXI_DMA_S2MM, nullptr) == AXI_DMA_OK);
  std::uint32_t bytes = 0;
  REQUIRE(axi_dma_s2mm_received(&dma, &bytes) == AXI_DMA_OK);
  CHECK(bytes == 200);
  const std::vector<HalAccess> expected = {W(kBase + 0x30, kRun), W(kBase + 0x48, 0x81004000u), W(kBase + 0x58, 256),
                                           R(kBase + 0x34, kIdle), R(kBase + 0x58, 200u | 0xFC000000u)};
  CHECK(hal.log() == expected);
}

TEST_CASE("axi_dma: a 64-bit IP gets the MSB halves, interrupt enables go into DMACR", "[axi_dma]") {
  hal.reset();
  axi_dma_config_t cfg{kBase, AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 23, 1, 1};
  axi_dma_t dma;
  REQUIRE(axi_dma_init(&dma, &cfg) == AXI_DMA_OK);
  CHECK(dma.max_length == (1u << 23) - 1);
  REQUIRE(axi_dma_mm2s_start(&dma, 0x123456789ull, 64) == AXI_DMA_OK);
  REQUIRE(axi_dma_s2mm_start(&dma, 0x200000000ull, 32) == AXI_DMA_OK);
  const std::uint32_t cr = kRun | (1u << 12) | (1u << 14);
  const std::vector<HalAccess> expected = {
      W(kBase + 0x00, cr), W(kBase + 0x18, 0x23456789u), W(kBase + 0x1C, 1), W(kBase + 0x28, 64),
      W(kBase + 0x30, cr), W(kBase + 0x48, 0), W(kBase + 0x4C, 2), W(kBase + 0x58, 32)};
  CHECK(hal.writes() == expected);
}

TEST_CASE("axi_dma: bad arguments touch no register", "[axi_dma]") {
  hal.reset();
  const axi_dma_t dma = make_dma(AXI_DMA_HAS_MM2S, 0, 14);
  CHECK(axi_dma_mm2s_start(&dma, 0x80000000u, 0) == AXI_DMA_BAD_ARG);              // length 0 never starts
  CHECK(axi_dma_mm2s_start(&dma, 0x80000000u, 16384) == AXI_DMA_BAD_ARG);          // > 14-bit LENGTH
  CHECK(axi_dma_mm2s_start(&dma, 0x100000000ull, 16) == AXI_DMA_BAD_ARG);          // 32-bit IP
  CHECK(axi_dma_s2mm_start(&dma, 0x80000000u, 16) == AXI_DMA_BAD_ARG);             // no S2MM channel
  CHECK(axi_dma_poll(&dma, AXI_DMA_S2MM, nullptr) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_status(&dma, AXI_DMA_S2MM) == 0);
  std::uint32_t bytes;
  CHECK(axi_dma_s2mm_received(&dma, &bytes) == AXI_DMA_BAD_ARG);
  CHECK(hal.log().empty());
  axi_dma_t d2;
  axi_dma_config_t bad{kBase, 0, 0, 0, 0};
  CHECK(axi_dma_init(&d2, &bad) == AXI_DMA_BAD_ARG);
  bad = {kBase, AXI_DMA_HAS_MM2S, 7, 0, 0};
  CHECK(axi_dma_init(&d2, &bad) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_mm2s_start(&dma, 0x80000000u, 16383) == AXI_DMA_OK);
}

TEST_CASE("axi_dma: error bits are reported, decode before slave before internal, without clearing IOC",
          "[axi_dma]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  hal.script(kBase + 0x04, {kHalted | (1u << 4) | (1u << 14), kHalted | (1u << 5) | (1u << 4),
                            kHalted | (1u << 6) | (1u << 5) | kIoc});
  std::uint32_t status = 0;
  CHECK(axi_dma_poll(&dma, AXI_DMA_MM2S, &status) == AXI_DMA_ERR_INTERNAL);
  CHECK(status == (kHalted | (1u << 4) | (1u << 14)));
  CHECK(axi_dma_poll(&dma, AXI_DMA_MM2S, &status) == AXI_DMA_ERR_SLAVE);
  CHECK(axi_dma_poll(&dma, AXI_DMA_MM2S, &status) == AXI_DMA_ERR_DECODE);
  CHECK(hal.writes().empty());
}

TEST_CASE("axi_dma: wait gives up after max_polls + 1 reads", "[axi_dma]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  CHECK(axi_dma_wait(&dma, AXI_DMA_S2MM, 5, nullptr) == AXI_DMA_TIMEOUT);
  CHECK(hal.reads_of(kBase + 0x34) == 6);
  CHECK(hal.writes().empty());
}

TEST_CASE("axi_dma: reset writes DMACR.Reset and polls (bounded) until it clears", "[axi_dma]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  hal.script(kBase + 0x00, {0x00010006u, 0x00010006u, 0x00010002u});
  REQUIRE(axi_dma_reset(&dma, 10) == AXI_DMA_OK);
  const std::vector<HalAccess> expected = {W(kBase + 0x00, 4), R(kBase + 0x00, 0x00010006u),
                                           R(kBase + 0x00, 0x00010006u), R(kBase + 0x00, 0x00010002u)};
  CHECK(hal.log() == expected);

  // An S2MM-only IP resets through S2MM_DMACR.
  hal.reset();
  const axi_dma_t s2mm_only = make_dma(AXI_DMA_HAS_S2MM);
  REQUIRE(axi_dma_reset(&s2mm_only, 0) == AXI_DMA_OK);
  CHECK(hal.log() == std::vector<HalAccess>{W(kBase + 0x30, 4), R(kBase + 0x30, 0)});

  // A reset that never completes.
  hal.reset();
  hal.set_default(kBase + 0x00, 0x00010006u);
  CHECK(axi_dma_reset(&dma, 3) == AXI_DMA_TIMEOUT);
  CHECK(hal.reads_of(kBase + 0x00) == 4);
}

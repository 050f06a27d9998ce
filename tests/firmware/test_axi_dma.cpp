// The AXI DMA driver against the mocked HAL: exact register sequences (PG021 direct register mode and
// scatter/gather) and the BD chain builders.
#include <catch2/catch.hpp>

#include <cstring>

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

// ---- scatter/gather ---------------------------------------------------------------------------------------

namespace {

constexpr std::uint32_t kSgIncld = 1u << 3;
constexpr std::uint64_t kBdsBus = 0x81010000u;  // where the DMA sees the BD array

void check_bd(const axi_dma_bd_t& bd, std::uint64_t next, std::uint64_t addr, std::uint32_t control) {
  CHECK(bd.words[AXI_DMA_BD_NXTDESC] == static_cast<std::uint32_t>(next));
  CHECK(bd.words[AXI_DMA_BD_NXTDESC_MSB] == static_cast<std::uint32_t>(next >> 32));
  CHECK(bd.words[AXI_DMA_BD_BUFFER_ADDRESS] == static_cast<std::uint32_t>(addr));
  CHECK(bd.words[AXI_DMA_BD_BUFFER_ADDRESS_MSB] == static_cast<std::uint32_t>(addr >> 32));
  CHECK(bd.words[AXI_DMA_BD_CONTROL] == control);
  for (unsigned w : {4u, 5u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u}) CHECK(bd.words[w] == 0);  // STATUS 0
}

}  // namespace

TEST_CASE("axi_dma sg: the chain builder links 64-byte BDs in a ring, TXSOF on the first, TXEOF on the last",
          "[axi_dma][sg]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  static_assert(sizeof(axi_dma_bd_t) == 64 && alignof(axi_dma_bd_t) == 64, "PG021: 16-word aligned BDs");
  axi_dma_bd_t bds[3];
  std::memset(bds, 0xA5, sizeof bds);  // STATUS and padding are cleared
  const axi_dma_piece_t pieces[3] = {{0x80100000u, 13}, {0x80100403u, 250}, {0x80100800u, 1001}};
  REQUIRE(axi_dma_sg_build(&dma, bds, kBdsBus, pieces, 3) == AXI_DMA_OK);
  check_bd(bds[0], kBdsBus + 64, 0x80100000u, 13 | AXI_DMA_BD_SOF);
  check_bd(bds[1], kBdsBus + 128, 0x80100403u, 250);
  check_bd(bds[2], kBdsBus, 0x80100800u, 1001 | AXI_DMA_BD_EOF);
  // A single piece is a whole packet.
  REQUIRE(axi_dma_sg_build(&dma, bds, kBdsBus, pieces, 1) == AXI_DMA_OK);
  check_bd(bds[0], kBdsBus, 0x80100000u, 13 | AXI_DMA_BD_SOF | AXI_DMA_BD_EOF);
  CHECK(hal.log().empty());
}

TEST_CASE("axi_dma sg: the strided builder places one BD per row at the pitch", "[axi_dma][sg]") {
  hal.reset();
  const axi_dma_t dma = make_dma(AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 1);
  axi_dma_bd_t bds[4];
  REQUIRE(axi_dma_sg_build_strided(&dma, bds, 0x100000000ull, 0x180000007ull, 60, 400, 4) == AXI_DMA_OK);
  for (std::uint32_t k = 0; k < 4; ++k) {
    INFO("row " << k);
    const std::uint32_t flags = (k == 0 ? AXI_DMA_BD_SOF : 0u) | (k == 3 ? AXI_DMA_BD_EOF : 0u);
    check_bd(bds[k], 0x100000000ull + 64 * ((k + 1) % 4), 0x180000007ull + 400ull * k, 60 | flags);
  }
  CHECK(hal.log().empty());
}

TEST_CASE(
    "axi_dma sg: builders refuse a misaligned BD array, empty or oversized pieces and wide addresses, "
    "writing nothing",
    "[axi_dma][sg]") {
  hal.reset();
  const axi_dma_t dma = make_dma(AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 0, 14);
  axi_dma_bd_t bds[2];
  std::memset(bds, 0x5A, sizeof bds);
  const axi_dma_piece_t ok[2] = {{0x80000000u, 16}, {0x80001000u, 16383}};
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus + 32, ok, 2) == AXI_DMA_BAD_ARG);  // PG021: 64-byte aligned
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus + 4, ok, 2) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus, ok, 0) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_sg_build(&dma, bds, 0xFFFFFFC0u, ok, 2) == AXI_DMA_BAD_ARG);  // 2nd BD beyond 32 bits
  const axi_dma_piece_t empty[2] = {{0x80000000u, 16}, {0x80001000u, 0}};
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus, empty, 2) == AXI_DMA_BAD_ARG);
  const axi_dma_piece_t big[2] = {{0x80000000u, 16384}, {0x80001000u, 16}};  // > 14-bit length
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus, big, 2) == AXI_DMA_BAD_ARG);
  const axi_dma_piece_t wide[2] = {{0x80000000u, 16}, {0xFFFFFFF8u, 16}};  // ends beyond 32 bits
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus, wide, 2) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_sg_build_strided(&dma, bds, kBdsBus, 0xF0000000u, 64, 0x10000000u, 2) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_sg_build_strided(&dma, bds, kBdsBus, 0x80000000u, 0, 64, 2) == AXI_DMA_BAD_ARG);
  for (const axi_dma_bd_t& bd : bds)
    for (std::uint32_t w : bd.words) CHECK(w == 0x5A5A5A5Au);
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus, ok, 2) == AXI_DMA_OK);
  CHECK(hal.log().empty());
}

TEST_CASE(
    "axi_dma sg: start checks SGIncld and Halted, writes CURDESC, DMACR.RS, then TAILDESC, resume writes "
    "TAILDESC",
    "[axi_dma][sg]") {
  hal.reset();
  const axi_dma_t dma = make_dma();
  hal.script(kBase + 0x34, {kHalted | kSgIncld});
  REQUIRE(axi_dma_sg_start(&dma, AXI_DMA_S2MM, kBdsBus, kBdsBus + 192) == AXI_DMA_OK);
  REQUIRE(axi_dma_sg_resume(&dma, AXI_DMA_S2MM, kBdsBus + 64) == AXI_DMA_OK);
  std::vector<HalAccess> expected = {R(kBase + 0x34, kHalted | kSgIncld), W(kBase + 0x38, kBdsBus),
                                     W(kBase + 0x30, kRun), W(kBase + 0x40, kBdsBus + 192),
                                     W(kBase + 0x40, kBdsBus + 64)};
  CHECK(hal.log() == expected);

  // A 64-bit IP also writes the MSB halves (TAILDESC_MSB before TAILDESC).
  hal.reset();
  const axi_dma_t wide = make_dma(AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 1);
  hal.script(kBase + 0x04, {kHalted | kSgIncld});
  REQUIRE(axi_dma_sg_start(&wide, AXI_DMA_MM2S, 0x200000040ull, 0x300000080ull) == AXI_DMA_OK);
  expected = {R(kBase + 0x04, kHalted | kSgIncld),
              W(kBase + 0x08, 0x40),
              W(kBase + 0x0C, 2),
              W(kBase + 0x00, kRun),
              W(kBase + 0x14, 3),
              W(kBase + 0x10, 0x80)};
  CHECK(hal.log() == expected);

  // No SG engine, a running channel, misaligned BDs: nothing written.
  hal.reset();
  hal.script(kBase + 0x04, {kHalted, kSgIncld});
  CHECK(axi_dma_sg_start(&dma, AXI_DMA_MM2S, kBdsBus, kBdsBus) == AXI_DMA_NO_SG);
  CHECK(axi_dma_sg_start(&dma, AXI_DMA_MM2S, kBdsBus, kBdsBus) == AXI_DMA_NOT_HALTED);
  CHECK(axi_dma_sg_start(&dma, AXI_DMA_MM2S, kBdsBus + 8, kBdsBus) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_sg_resume(&dma, AXI_DMA_MM2S, kBdsBus + 32) == AXI_DMA_BAD_ARG);
  CHECK(hal.writes().empty());
}

TEST_CASE("axi_dma sg: BD STATUS and DMASR SG errors decode to results", "[axi_dma][sg]") {
  axi_dma_bd_t bd{};
  std::uint32_t bytes = 0;
  CHECK(axi_dma_sg_bd_result(&bd, &bytes) == AXI_DMA_BUSY);
  bd.words[AXI_DMA_BD_STATUS] = AXI_DMA_BD_STATUS_CMPLT | AXI_DMA_BD_SOF | AXI_DMA_BD_EOF | 403;
  CHECK(axi_dma_sg_bd_result(&bd, &bytes) == AXI_DMA_OK);
  CHECK(bytes == 403);
  bd.words[AXI_DMA_BD_STATUS] = AXI_DMA_BD_STATUS_DEC_ERR | AXI_DMA_BD_STATUS_SLV_ERR | 8;
  CHECK(axi_dma_sg_bd_result(&bd, nullptr) == AXI_DMA_ERR_DECODE);
  bd.words[AXI_DMA_BD_STATUS] = AXI_DMA_BD_STATUS_SLV_ERR;
  CHECK(axi_dma_sg_bd_result(&bd, nullptr) == AXI_DMA_ERR_SLAVE);
  bd.words[AXI_DMA_BD_STATUS] = AXI_DMA_BD_STATUS_INT_ERR | AXI_DMA_BD_STATUS_CMPLT;
  CHECK(axi_dma_sg_bd_result(&bd, nullptr) == AXI_DMA_ERR_INTERNAL);

  hal.reset();
  const axi_dma_t dma = make_dma();
  hal.script(kBase + 0x04,
             {kHalted | (1u << 10) | (1u << 4), kHalted | (1u << 9), kHalted | (1u << 8) | (1u << 6)});
  CHECK(axi_dma_poll(&dma, AXI_DMA_MM2S, nullptr) == AXI_DMA_ERR_SG_DECODE);
  CHECK(axi_dma_poll(&dma, AXI_DMA_MM2S, nullptr) == AXI_DMA_ERR_SG_SLAVE);
  CHECK(axi_dma_poll(&dma, AXI_DMA_MM2S, nullptr) == AXI_DMA_ERR_SG_INTERNAL);
  CHECK(hal.writes().empty());
}

TEST_CASE(
    "axi_dma: with a bus offset every address the DMA sees (transfer, BD buffer, BD link, CURDESC, TAILDESC) is "
    "the caller's plus the offset, and the 32-bit check applies to the sum",
    "[axi_dma][sg]") {
  // A Linux process's DMA buffer at physical 0x3F000000 holds the model's window from 0x81000000.
  constexpr std::uint64_t kOffset = 0x3F000000ull - 0x81000000ull;
  axi_dma_config_t cfg{kBase, AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 0, 0, 0, kOffset};
  axi_dma_t dma;
  REQUIRE(axi_dma_init(&dma, &cfg) == AXI_DMA_OK);
  hal.reset();
  REQUIRE(axi_dma_mm2s_start(&dma, 0x81003380u, 768) == AXI_DMA_OK);
  CHECK(hal.writes()[1] == W(kBase + 0x18, 0x3F003380u));

  axi_dma_bd_t bds[2];
  const axi_dma_piece_t pieces[2] = {{0x81100000u, 16}, {0x81100400u, 32}};
  REQUIRE(axi_dma_sg_build(&dma, bds, kBdsBus, pieces, 2) == AXI_DMA_OK);
  check_bd(bds[0], kBdsBus + kOffset + 64, 0x3F100000u, 16 | AXI_DMA_BD_SOF);
  check_bd(bds[1], kBdsBus + kOffset, 0x3F100400u, 32 | AXI_DMA_BD_EOF);
  REQUIRE(axi_dma_sg_build_strided(&dma, bds, kBdsBus, 0x81200000u, 8, 100, 2) == AXI_DMA_OK);
  check_bd(bds[1], kBdsBus + kOffset, 0x3F200064u, 8 | AXI_DMA_BD_EOF);

  hal.reset();
  hal.script(kBase + 0x34, {kHalted | kSgIncld});
  REQUIRE(axi_dma_sg_start(&dma, AXI_DMA_S2MM, kBdsBus, kBdsBus + 64) == AXI_DMA_OK);
  REQUIRE(axi_dma_sg_resume(&dma, AXI_DMA_S2MM, kBdsBus) == AXI_DMA_OK);
  const std::vector<HalAccess> expected = {R(kBase + 0x34, kHalted | kSgIncld), W(kBase + 0x38, kBdsBus + kOffset),
                                           W(kBase + 0x30, kRun), W(kBase + 0x40, kBdsBus + kOffset + 64),
                                           W(kBase + 0x40, kBdsBus + kOffset)};
  CHECK(hal.log() == expected);

  // An offset that carries a transfer past 4 GiB is refused on a 32-bit IP.
  cfg.bus_offset = 0x100000000ull;
  REQUIRE(axi_dma_init(&dma, &cfg) == AXI_DMA_OK);
  hal.reset();
  CHECK(axi_dma_mm2s_start(&dma, 0x81003380u, 768) == AXI_DMA_BAD_ARG);
  CHECK(axi_dma_sg_build(&dma, bds, kBdsBus, pieces, 2) == AXI_DMA_BAD_ARG);
  CHECK(hal.writes().empty());
}

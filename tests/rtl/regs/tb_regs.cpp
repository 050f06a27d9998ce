// dnn_regs: AXI4-Lite protocol under random channel ordering and back-pressure, every register's
// access rules (RW, RO, unmapped, partial strobes, misaligned -> SLVERR with no effect), PUSH with
// the queue full or a bad descriptor (a band beyond its storage, a REUSE with no tile before it), error
// causes, and 64-bit counters read consistently. Built with FoldMax = FOLD_MAX (4; Rows 8, Cols 16):
// FOLD.F 0, 1, 2 and 4 push on a dense convolution and 0, 1, 2 on a pool (F*Rows <= Cols); F 3 (not
// dividing Cols), F above FoldMax, F 4 on a pool and F > 1 on a grouped convolution are bad descriptors.
#include <cstdio>
#include <iterator>
#include <utility>

#include "Vdnn_regs.h"
#include "dnnvp_memory_map.hpp"
#include "tb.h"

namespace {

namespace reg = dnnvp::memory_map::engine;

// An offset inside the region that no register has.
constexpr std::uint32_t kHole = reg::kDescriptorLast + 0x10;
constexpr bool unmapped(std::uint32_t offset) {
  for (const auto& r : reg::kRegisters)
    if (r.offset == offset) return false;
  return true;
}
static_assert(unmapped(kHole) && kHole < reg::kSize);

struct Bench {
  VerilatedContext ctx;
  Vdnn_regs m{&ctx};
  tb::Random rnd{tb::seed()};
  int push_pulses = 0;

  void cycle() {
    m.clk_i = 0;
    m.eval();
    push_pulses += m.push_o;
    m.clk_i = 1;
    m.eval();
  }
  void reset() {
    m.rst_ni = 0;
    cycle();
    cycle();
    m.rst_ni = 1;
    cycle();
  }
  // AW and W offered in a random order and at random times; B accepted after a random delay.
  std::uint8_t write(std::uint32_t addr, std::uint32_t data, std::uint8_t strb = 0xF) {
    const int aw_delay = rnd.range(0, 3), w_delay = rnd.range(0, 3);
    bool aw_done = false, w_done = false;
    for (int t = 0; !aw_done || !w_done; ++t) {
      m.axil_awvalid_i = !aw_done && t >= aw_delay;
      m.axil_awaddr_i = addr;
      m.axil_wvalid_i = !w_done && t >= w_delay;
      m.axil_wdata_i = data;
      m.axil_wstrb_i = strb;
      m.clk_i = 0;
      m.eval();
      const bool aw = m.axil_awvalid_i && m.axil_awready_o, w = m.axil_wvalid_i && m.axil_wready_o;
      push_pulses += m.push_o;
      m.clk_i = 1;
      m.eval();
      aw_done |= aw;
      w_done |= w;
      TB_CHECK(t < 50, "write 0x%03X not accepted", addr);
    }
    m.axil_awvalid_i = m.axil_wvalid_i = 0;
    for (int t = 0; !m.axil_bvalid_o; ++t) {
      cycle();
      TB_CHECK(t < 50, "no write response for 0x%03X", addr);
    }
    for (int d = rnd.range(0, 3); d > 0; --d) {
      const std::uint8_t resp = m.axil_bresp_o;
      cycle();
      TB_CHECK(m.axil_bvalid_o && m.axil_bresp_o == resp, "B changed while stalled");
    }
    const std::uint8_t resp = m.axil_bresp_o;
    m.axil_bready_i = 1;
    cycle();
    m.axil_bready_i = 0;
    return resp;
  }
  std::uint32_t read(std::uint32_t addr, std::uint8_t* resp_out = nullptr) {
    m.axil_araddr_i = addr;
    m.axil_arvalid_i = 1;
    for (int t = 0;; ++t) {
      m.clk_i = 0;
      m.eval();
      const bool ar = m.axil_arready_o;
      cycle();
      if (ar) break;
      TB_CHECK(t < 50, "read 0x%03X not accepted", addr);
    }
    m.axil_arvalid_i = 0;
    for (int t = 0; !m.axil_rvalid_o; ++t) {
      cycle();
      TB_CHECK(t < 50, "no read data for 0x%03X", addr);
    }
    for (int d = rnd.range(0, 3); d > 0; --d) {
      const std::uint32_t v = m.axil_rdata_o;
      cycle();
      TB_CHECK(m.axil_rvalid_o && m.axil_rdata_o == v, "R changed while stalled");
    }
    const std::uint32_t data = m.axil_rdata_o;
    if (resp_out)
      *resp_out = m.axil_rresp_o;
    else
      TB_CHECK(m.axil_rresp_o == 0, "read 0x%03X answered SLVERR", addr);
    m.axil_rready_i = 1;
    cycle();
    m.axil_rready_i = 0;
    return data;
  }
};

constexpr std::uint8_t kSlvErr = 2;
constexpr std::uint32_t kInDepth = 1024;  // dnn_regs' default: input buffer words

// Writes PUSH and checks that the descriptor was taken, or refused as BAD_DESCRIPTOR; clears the error.
void push(Bench& b, bool accepted, const char* what) {
  const int before = b.push_pulses;
  b.write(reg::kCtrl, reg::kCtrlPushMask);
  const std::uint32_t cause = b.read(reg::kErrorCause);
  TB_CHECK(b.push_pulses == before + (accepted ? 1 : 0) &&
               cause == (accepted ? 0u : reg::kErrorCauseBadDescriptorMask),
           "%s: %s (error cause 0x%X)", what, accepted ? "not pushed" : "not refused", cause);
  b.write(reg::kCtrl, reg::kCtrlClearErrorMask);
}

}  // namespace

int main() {
  Bench b;
  b.reset();
  TB_CHECK(b.read(reg::kId) == reg::kIdReset, "ID");
  TB_CHECK(b.read(reg::kHwArray) == (16u << reg::kHwArrayColsShift | 8u << reg::kHwArrayRowsShift),
           "HW_ARRAY 0x%08X", b.read(reg::kHwArray));
  TB_CHECK(b.read(reg::kHwBits) == (8u << reg::kHwBitsStreamBytesShift | 32u << reg::kHwBitsAccBitsShift |
                                    8u << reg::kHwBitsWeightBitsShift | 8u << reg::kHwBitsActBitsShift),
           "HW_BITS");
  TB_CHECK((b.read(reg::kHwDepths) & reg::kHwDepthsAccDepthMask) >> reg::kHwDepthsAccDepthShift == 256,
           "HW_DEPTHS");

  // Every descriptor register holds what was written (random order, random values).
  constexpr int kWords = static_cast<int>(reg::kDescriptorWords);
  const auto word = [](int i) { return reg::kDescriptorFirst + 4u * static_cast<std::uint32_t>(i); };
  std::uint32_t desc[kWords];
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < kWords; ++i) {
      desc[i] = static_cast<std::uint32_t>(b.rnd.range(1, 1 << 30));
      TB_CHECK(b.write(word(i), desc[i]) == 0, "write desc %d", i);
    }
    for (int i = kWords - 1; i >= 0; --i) TB_CHECK(b.read(word(i)) == desc[i], "desc %d", i);
  }

  // Refused accesses answer SLVERR and change nothing.
  std::uint8_t resp = 0;
  TB_CHECK(b.write(reg::kId, 1) == kSlvErr, "write to ID");
  TB_CHECK(b.write(reg::kStatus, 1) == kSlvErr, "write to STATUS");
  TB_CHECK(b.write(kHole, 1) == kSlvErr, "write to a hole");
  TB_CHECK(b.write(reg::kInW + 2, 0xDEAD) == kSlvErr, "misaligned write");
  TB_CHECK(b.write(reg::kInW, 0xDEAD, 0x3) == kSlvErr, "partial strobe");
  TB_CHECK(b.read(reg::kInW) == desc[0], "refused writes left IN_W alone");
  b.read(kHole, &resp);
  TB_CHECK(resp == kSlvErr, "read of a hole");
  b.read(reg::kInH + 2, &resp);
  TB_CHECK(resp == kSlvErr, "misaligned read");

  // A valid descriptor pushes once; a full queue or a bad descriptor does not, and sets the error.
  const std::pair<std::uint32_t, std::uint32_t> good[] = {
      {reg::kInW, 16},
      {reg::kInH, 16},
      {reg::kInC, 8},
      {reg::kBandY0, 0},
      {reg::kBandPixels, 48},
      {reg::kWindow, 3u << reg::kWindowKhShift | 3u << reg::kWindowKwShift | 1u << reg::kWindowShShift |
                         1u << reg::kWindowSwShift},
      {reg::kPad, 1u << reg::kPadTopShift | 1u << reg::kPadLeftShift},
      {reg::kOutW, 16},
      {reg::kOutC, 8},
      {reg::kTileP0, 0},
      {reg::kTileP, 32},
      {reg::kQuant, 2u << reg::kQuantActivationShift | 8u << reg::kQuantLeakyShiftShift},
      {reg::kInZp, 0},
      {reg::kOutZp, 0},
      {reg::kBlocks, 1},
      {reg::kPasses, 9},
      {reg::kChunks, 2},
      {reg::kMode, 0},
      {reg::kGroup, 0},
      {reg::kClip, 0},
      {reg::kPoolCount, 0},
      {reg::kPoolMagic, 0},
      {reg::kElt, 0},
      {reg::kEltZ, 0},
      {reg::kEltMa, 0},
      {reg::kEltMb, 0},
      {reg::kEltShift, 0},
      {reg::kFold, 0},
      {reg::kBand, 0}};
  static_assert(std::size(good) == reg::kDescriptorWords);
  for (const auto& [offset, value] : good) b.write(offset, value);
  // The first tile after reset cannot reuse a band: there is none yet.
  b.write(reg::kBand, reg::kBandReuseMask);
  push(b, false, "REUSE as the first tile after reset");
  b.write(reg::kBand, 0);
  b.push_pulses = 0;
  TB_CHECK(b.write(reg::kCtrl, reg::kCtrlPushMask) == 0, "PUSH");
  TB_CHECK(b.push_pulses == 1, "push pulses %d", b.push_pulses);
  TB_CHECK((b.read(reg::kStatus) & reg::kStatusErrorMask) == 0, "no error after a good push");
  b.m.queue_full_i = 1;
  b.write(reg::kCtrl, reg::kCtrlPushMask);
  TB_CHECK(b.push_pulses == 1, "pushed into a full queue");
  constexpr std::uint32_t kFullAndError = reg::kStatusQueueFullMask | reg::kStatusErrorMask;
  TB_CHECK((b.read(reg::kStatus) & kFullAndError) == kFullAndError, "QUEUE_FULL and ERROR in STATUS");
  TB_CHECK(b.read(reg::kErrorCause) == reg::kErrorCausePushWhileFullMask, "cause: push while full");
  b.m.queue_full_i = 0;
  b.write(reg::kCtrl, reg::kCtrlClearErrorMask);
  TB_CHECK((b.read(reg::kStatus) & reg::kStatusErrorMask) == 0 && b.read(reg::kErrorCause) == 0,
           "error cleared");
  b.write(reg::kTileP, 0);
  b.write(reg::kCtrl, reg::kCtrlPushMask);
  TB_CHECK(b.push_pulses == 1 && b.read(reg::kErrorCause) == reg::kErrorCauseBadDescriptorMask,
           "bad descriptor refused");
  b.write(reg::kCtrl, reg::kCtrlClearErrorMask);
  b.write(reg::kTileP, 32);
  // MODE.OP 1 and 2 (the pools) push; OP 3 (depthwise) only on an engine with the depthwise feed.
  for (std::uint32_t op = 1; op <= 2; ++op) {
    b.write(reg::kMode, op << reg::kModeOpShift);
    b.write(reg::kCtrl, reg::kCtrlPushMask);
    TB_CHECK(b.push_pulses == 1 + static_cast<int>(op) && b.read(reg::kErrorCause) == 0, "MODE.OP %u pushes",
             op);
  }
  constexpr bool kDw = DW_LINE_PIXELS > 0;
  b.write(reg::kMode, 3u << reg::kModeOpShift);
  b.write(reg::kCtrl, reg::kCtrlPushMask);
  TB_CHECK(b.push_pulses == (kDw ? 4 : 3) &&
               b.read(reg::kErrorCause) == (kDw ? 0 : reg::kErrorCauseBadDescriptorMask),
           "MODE.OP 3 %s (DwLinePixels %d)", kDw ? "pushes" : "refused", DW_LINE_PIXELS);
  b.write(reg::kCtrl, reg::kCtrlClearErrorMask);
  // Depthwise has no groups: GROUP or MODE.GROUP_COLS set is a bad descriptor.
  for (const auto& [mode, group] : {std::pair{3u << reg::kModeOpShift, 1u << reg::kGroupChunkStepShift},
                                    std::pair{3u | 4u << reg::kModeGroupColsShift, 0u}}) {
    b.write(reg::kMode, mode);
    b.write(reg::kGroup, group);
    const int before = b.push_pulses;
    b.write(reg::kCtrl, reg::kCtrlPushMask);
    TB_CHECK(b.push_pulses == before && b.read(reg::kErrorCause) == reg::kErrorCauseBadDescriptorMask,
             "MODE.OP 3 with GROUP 0x%x, MODE 0x%x refused", group, mode);
    b.write(reg::kCtrl, reg::kCtrlClearErrorMask);
  }
  b.write(reg::kGroup, 0);
  b.write(reg::kMode, 0);
  // FOLD.F (docs/engine.md "Cin-fold").
  auto push_fold = [&](std::uint32_t f, std::uint32_t mode, std::uint32_t group) {
    b.write(reg::kFold, f << reg::kFoldFShift);
    b.write(reg::kMode, mode);
    b.write(reg::kGroup, group);
    const int before = b.push_pulses;
    b.write(reg::kCtrl, reg::kCtrlPushMask);
    const bool pushed = b.push_pulses == before + 1;
    const std::uint32_t cause = b.read(reg::kErrorCause);
    TB_CHECK(cause == (pushed ? 0 : reg::kErrorCauseBadDescriptorMask), "FOLD.F %u: cause 0x%x", f, cause);
    b.write(reg::kCtrl, reg::kCtrlClearErrorMask);
    return pushed;
  };
  for (std::uint32_t f = 0; f <= reg::kFoldFMask >> reg::kFoldFShift; ++f) {
    const bool legal = f <= 1 || (f <= FOLD_MAX && 16 % f == 0);
    const bool pool_legal = legal && f * 8 <= 16;
    TB_CHECK(push_fold(f, 0, 0) == legal, "FOLD.F %u on a dense convolution: %s", f,
             legal ? "pushes" : "refused");
    TB_CHECK(push_fold(f, 1u << reg::kModeOpShift, 0) == pool_legal, "FOLD.F %u on a max pool", f);
    TB_CHECK(push_fold(f, 2u << reg::kModeOpShift, 0) == pool_legal, "FOLD.F %u on an average pool", f);
    TB_CHECK(push_fold(f, 3u << reg::kModeOpShift, 0) == (kDw && pool_legal), "FOLD.F %u on a depthwise conv",
             f);
    TB_CHECK(push_fold(f, 4u << reg::kModeGroupColsShift, 1u << reg::kGroupGroupChunksShift) == (f <= 1),
             "FOLD.F %u on a grouped convolution", f);
  }
  b.write(reg::kFold, 0);
  b.write(reg::kMode, 0);
  b.write(reg::kGroup, 0);

  // A band's words (BAND_PIXELS * CHUNKS) fit an input half, or the whole buffer with BAND.WHOLE; a
  // REUSE tile loads nothing and is not checked.
  b.write(reg::kChunks, 2);
  b.write(reg::kBandPixels, kInDepth / 4);
  push(b, true, "a band of InDepth/2 words");
  b.write(reg::kBandPixels, kInDepth / 4 + 1);
  push(b, false, "a band of InDepth/2 + 2 words");
  b.write(reg::kBand, reg::kBandWholeMask);
  push(b, true, "a WHOLE band of InDepth/2 + 2 words");
  b.write(reg::kBandPixels, kInDepth / 2);
  push(b, true, "a WHOLE band of InDepth words");
  b.write(reg::kBandPixels, kInDepth / 2 + 1);
  push(b, false, "a WHOLE band of InDepth + 2 words");
  b.write(reg::kBand, reg::kBandReuseMask);
  push(b, true, "a REUSE tile whatever its BAND_PIXELS");
  b.write(reg::kBand, reg::kBandReuseMask | reg::kBandWholeMask);
  push(b, true, "a REUSE tile with WHOLE");
  // Factors whose low bits alone would make a small product.
  b.write(reg::kBand, reg::kBandWholeMask);
  b.write(reg::kBandPixels, 1u << 20);
  push(b, false, "BAND_PIXELS 2^20");
  b.write(reg::kBandPixels, 1);
  b.write(reg::kChunks, 4 * kInDepth + 1);
  push(b, false, "CHUNKS 4 InDepth + 1");
  b.write(reg::kChunks, kInDepth);
  push(b, true, "CHUNKS InDepth, one pixel, WHOLE");
  b.write(reg::kBand, 0);
  push(b, false, "CHUNKS InDepth, one pixel, in a half");
  b.write(reg::kChunks, 2);
  b.write(reg::kBandPixels, 48);

  b.m.err_input_len_i = 1;
  b.cycle();
  b.m.err_input_len_i = 0;
  b.m.err_weight_len_i = 1;
  b.cycle();
  b.m.err_weight_len_i = 0;
  b.m.err_residual_len_i = 1;
  b.cycle();
  b.m.err_residual_len_i = 0;
  TB_CHECK(b.read(reg::kErrorCause) == (reg::kErrorCauseInputLengthMask | reg::kErrorCauseWeightLengthMask |
                                        reg::kErrorCauseResidualLengthMask),
           "stream length errors");
  b.write(reg::kCtrl, reg::kCtrlClearErrorMask);

  // Tile-done interrupt: pending on a completed tile, a level while enabled, write 1 to clear.
  b.m.tile_done_i = 1;
  b.cycle();
  b.m.tile_done_i = 0;
  b.cycle();
  TB_CHECK(!b.m.irq_o && b.read(reg::kIrq) == reg::kIrqPendingMask, "pending but not enabled");
  b.write(reg::kIrq, reg::kIrqEnableMask);
  TB_CHECK(b.m.irq_o, "irq when enabled and pending");
  b.write(reg::kIrq, reg::kIrqEnableMask | reg::kIrqPendingMask);
  TB_CHECK(!b.m.irq_o && b.read(reg::kIrq) == reg::kIrqEnableMask, "pending cleared, still enabled");
  TB_CHECK((b.read(reg::kStatus) & reg::kStatusTilesDoneMask) >> reg::kStatusTilesDoneShift == 1,
           "one tile completed");

  // Counters: known numbers of strobes, read LO then HI.
  b.write(reg::kCtrl, reg::kCtrlClearCountersMask);
  int busy = 0, macs = 0, issue = 0;
  for (int i = 0; i < 3000; ++i) {
    b.m.busy_i = b.rnd.chance(0.7);
    b.m.issue_i = b.rnd.chance(0.5);
    b.m.macs_i = b.m.issue_i ? static_cast<std::uint8_t>(b.rnd.range(1, 128)) : 0;
    b.m.clk_i = 0;
    b.m.eval();
    busy += b.m.busy_i;
    issue += b.m.issue_i;
    macs += b.m.macs_i;
    b.m.clk_i = 1;
    b.m.eval();
  }
  b.m.busy_i = b.m.issue_i = 0;
  b.m.macs_i = 0;
  auto counter = [&](std::uint32_t lo_offset, std::uint32_t hi_offset) {
    const std::uint64_t lo = b.read(lo_offset);
    return lo | std::uint64_t{b.read(hi_offset)} << 32;
  };
  const std::uint64_t cycles = counter(reg::kCyclesLo, reg::kCyclesHi);
  TB_CHECK(cycles == static_cast<std::uint64_t>(busy), "CYCLES %llu vs %d", (unsigned long long)cycles, busy);
  TB_CHECK(counter(reg::kMacsLo, reg::kMacsHi) == static_cast<std::uint64_t>(macs), "MACS");
  TB_CHECK(counter(reg::kActiveLo, reg::kActiveHi) == static_cast<std::uint64_t>(issue), "ACTIVE");
  b.write(reg::kCtrl, reg::kCtrlClearCountersMask);
  TB_CHECK(counter(reg::kMacsLo, reg::kMacsHi) == 0, "counters cleared");
  std::printf("dnn_regs: register map, refusals, push/error rules and counters checked\n");
  return 0;
}

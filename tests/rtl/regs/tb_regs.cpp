// dnn_regs: AXI4-Lite protocol under random channel ordering and back-pressure, every register's
// access rules (RW, RO, unmapped, partial strobes, misaligned -> SLVERR with no effect), PUSH with
// the queue full or a bad descriptor, error causes, and 64-bit counters read consistently.
#include <cstdio>

#include "Vdnn_regs.h"
#include "tb.h"

namespace {

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
    if (resp_out) *resp_out = m.axil_rresp_o;
    else TB_CHECK(m.axil_rresp_o == 0, "read 0x%03X answered SLVERR", addr);
    m.axil_rready_i = 1;
    cycle();
    m.axil_rready_i = 0;
    return data;
  }
};

constexpr std::uint8_t kSlvErr = 2;

}  // namespace

int main() {
  Bench b;
  b.reset();
  TB_CHECK(b.read(0x000) == 0x444E4E45, "ID");
  TB_CHECK(b.read(0x004) == (16u << 16 | 8u), "HW_ARRAY 0x%08X", b.read(0x004));
  TB_CHECK(b.read(0x008) == (8u << 24 | 32u << 16 | 8u << 8 | 8u), "HW_BITS");
  TB_CHECK((b.read(0x00C) & 0xFFFF) == 256, "HW_DEPTHS");

  // Every descriptor register holds what was written (random order, random values).
  std::uint32_t desc[17];
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 17; ++i) {
      desc[i] = static_cast<std::uint32_t>(b.rnd.range(1, 1 << 30));
      TB_CHECK(b.write(0x020 + 4 * i, desc[i]) == 0, "write desc %d", i);
    }
    for (int i = 16; i >= 0; --i) TB_CHECK(b.read(0x020 + 4 * i) == desc[i], "desc %d", i);
  }

  // Refused accesses answer SLVERR and change nothing.
  std::uint8_t resp = 0;
  TB_CHECK(b.write(0x000, 1) == kSlvErr, "write to ID");
  TB_CHECK(b.write(0x014, 1) == kSlvErr, "write to STATUS");
  TB_CHECK(b.write(0x070, 1) == kSlvErr, "write to a hole");
  TB_CHECK(b.write(0x022, 0xDEAD) == kSlvErr, "misaligned write");
  TB_CHECK(b.write(0x020, 0xDEAD, 0x3) == kSlvErr, "partial strobe");
  TB_CHECK(b.read(0x020) == desc[0], "refused writes left IN_W alone");
  b.read(0x070, &resp);
  TB_CHECK(resp == kSlvErr, "read of a hole");
  b.read(0x026, &resp);
  TB_CHECK(resp == kSlvErr, "misaligned read");

  // A valid descriptor pushes once; a full queue or a bad descriptor does not, and sets the error.
  const std::uint32_t good[17] = {16, 16, 8, 0, 48, 0x01010303, 0x0101, 16, 8, 0, 32, 0x88, 0, 0, 1, 9, 2};
  for (int i = 0; i < 17; ++i) b.write(0x020 + 4 * i, good[i]);
  b.push_pulses = 0;
  TB_CHECK(b.write(0x010, 1) == 0, "PUSH");
  TB_CHECK(b.push_pulses == 1, "push pulses %d", b.push_pulses);
  TB_CHECK((b.read(0x014) & 4) == 0, "no error after a good push");
  b.m.queue_full_i = 1;
  b.write(0x010, 1);
  TB_CHECK(b.push_pulses == 1, "pushed into a full queue");
  TB_CHECK((b.read(0x014) & 6) == 6, "QUEUE_FULL and ERROR in STATUS");
  TB_CHECK(b.read(0x018) == 4, "cause: push while full");
  b.m.queue_full_i = 0;
  b.write(0x010, 4);  // CLEAR_ERROR
  TB_CHECK((b.read(0x014) & 4) == 0 && b.read(0x018) == 0, "error cleared");
  b.write(0x048, 0);  // TILE_P = 0
  b.write(0x010, 1);
  TB_CHECK(b.push_pulses == 1 && b.read(0x018) == 8, "bad descriptor refused");
  b.write(0x010, 4);
  b.m.err_input_len_i = 1;
  b.cycle();
  b.m.err_input_len_i = 0;
  b.m.err_weight_len_i = 1;
  b.cycle();
  b.m.err_weight_len_i = 0;
  TB_CHECK(b.read(0x018) == 3, "stream length errors");
  b.write(0x010, 4);

  // Tile-done interrupt: pending on a completed tile, a level while enabled, write 1 to clear.
  b.m.tile_done_i = 1;
  b.cycle();
  b.m.tile_done_i = 0;
  b.cycle();
  TB_CHECK(!b.m.irq_o && b.read(0x01C) == 1u << 16, "pending but not enabled");
  b.write(0x01C, 1);
  TB_CHECK(b.m.irq_o, "irq when enabled and pending");
  b.write(0x01C, 1u | 1u << 16);
  TB_CHECK(!b.m.irq_o && b.read(0x01C) == 1, "pending cleared, still enabled");
  TB_CHECK((b.read(0x014) >> 16) == 1, "one tile completed");

  // Counters: known numbers of strobes, read LO then HI.
  b.write(0x010, 2);  // CLEAR_COUNTERS
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
  auto counter = [&](int i) { const std::uint64_t lo = b.read(0x100 + 8 * i); return lo | std::uint64_t{b.read(0x104 + 8 * i)} << 32; };
  TB_CHECK(counter(0) == static_cast<std::uint64_t>(busy), "CYCLES %llu vs %d", (unsigned long long)counter(0), busy);
  TB_CHECK(counter(1) == static_cast<std::uint64_t>(macs), "MACS");
  TB_CHECK(counter(2) == static_cast<std::uint64_t>(issue), "ACTIVE");
  b.write(0x010, 2);
  TB_CHECK(counter(1) == 0, "counters cleared");
  std::printf("dnn_regs: register map, refusals, push/error rules and counters checked\n");
  return 0;
}

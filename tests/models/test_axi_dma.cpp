// The AXI DMA model (models/axi_dma.h) on the real Bus and Dram, driven through its registers the way
// firmware drives the Xilinx IP. One SystemC scenario per test case (ctest runs each in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "axi_dma.h"
#include "axis_channel.h"
#include "bus.h"
#include "dnnvp_memory_map.hpp"
#include "dram.h"
#include "sim_util.h"
#include "stats.h"

using namespace sc_core;
using dnnvp::AxiDma;
using dnnvp::AxiDmaConfig;
using dnnvp::AxiDmaFault;
using dnnvp::AxisBeat;
using dnnvp::AxisChannel;
using dnnvp::test::Initiator;
namespace mm = dnnvp::memory_map;
namespace reg = dnnvp::memory_map::dma0;

namespace {

constexpr std::uint64_t kDramBase = mm::dram::kBase;
constexpr std::uint64_t kDramBytes = 16u << 20;
const sc_time kDmaClock(10, SC_NS);  // 100 MHz

constexpr std::uint32_t kRs = reg::kMm2sDmacrRsMask;
constexpr std::uint32_t kReset = reg::kMm2sDmacrResetMask;
constexpr std::uint32_t kIocIrqEn = reg::kMm2sDmacrIocIrqEnMask;
constexpr std::uint32_t kErrIrqEn = reg::kMm2sDmacrErrIrqEnMask;
constexpr std::uint32_t kHalted = reg::kMm2sDmasrHaltedMask;
constexpr std::uint32_t kIdle = reg::kMm2sDmasrIdleMask;
constexpr std::uint32_t kIntErr = reg::kMm2sDmasrDmaIntErrMask;
constexpr std::uint32_t kSlvErr = reg::kMm2sDmasrDmaSlvErrMask;
constexpr std::uint32_t kDecErr = reg::kMm2sDmasrDmaDecErrMask;
constexpr std::uint32_t kIocIrq = reg::kMm2sDmasrIocIrqMask;
constexpr std::uint32_t kErrIrq = reg::kMm2sDmasrErrIrqMask;
constexpr std::uint32_t kErrors = kIntErr | kSlvErr | kDecErr;

// An SC_THREAD running a function (stream producers and consumers).
class Process : public sc_module {
 public:
  SC_HAS_PROCESS(Process);
  Process(const sc_module_name& name, std::function<void()> fn) : sc_module(name), fn_(std::move(fn)) {
    SC_THREAD(run);
  }

 private:
  void run() { fn_(); }
  std::function<void()> fn_;
};

AxiDmaConfig with_streams(AxiDmaConfig c, AxisChannel* mm2s, AxisChannel* s2mm) {
  c.mm2s = mm2s;
  c.s2mm = s2mm;
  return c;
}

dnnvp::BusConfig bus_config() {
  dnnvp::BusConfig c;
  c.initiators = {"cpu", "dma0", "dma1"};
  c.targets = {{"dma0", mm::dma0::kBase, mm::dma0::kSize},
               {"dma1", mm::dma1::kBase, mm::dma1::kSize},
               {"dram", kDramBase, kDramBytes}};
  return c;
}

// The slice of the SoC a DMA needs: bus, DDR4 DRAM, dma0 with an MM2S stream `x` and an S2MM stream `y`
// (or one loop-back stream), and dma1 with only an MM2S stream `w`.
struct Soc {
  explicit Soc(const AxiDmaConfig& config = {}, std::size_t beat_bytes = 8, std::size_t fifo_beats = 16,
               bool loopback = false)
      : bus("bus", bus_config(), &stats),
        dram("dram", kDramBytes, dnnvp::DramTiming::preset("ddr4-2400"), &stats),
        x("x", fifo_beats, beat_bytes),
        y("y", fifo_beats, beat_bytes),
        w("w", fifo_beats, beat_bytes),
        dma0("dma0", mm::region("dma0"), kDmaClock, with_streams(config, &x, loopback ? &x : &y), &stats),
        dma1("dma1", mm::region("dma1"), kDmaClock, with_streams(config, &w, nullptr), &stats) {
    dma0.mm_socket.bind(bus.initiator_socket("dma0"));
    dma1.mm_socket.bind(bus.initiator_socket("dma1"));
    bus.target_socket("dma0").bind(dma0.socket);
    bus.target_socket("dma1").bind(dma1.socket);
    bus.target_socket("dram").bind(dram.socket);
  }
  std::uint8_t* mem(std::uint64_t address, std::uint64_t length) {
    return dram.ptr(address - kDramBase, length);
  }
  dnnvp::Stats stats;
  dnnvp::Bus bus;
  dnnvp::Dram dram;
  AxisChannel x, y, w;
  AxiDma dma0, dma1;
};

// Firmware-style register access to one DMA through the bus.
struct Fw {
  Initiator& i;
  std::uint64_t base = mm::dma0::kBase;

  void w(std::uint32_t offset, std::uint32_t v) {
    CHECK(i.write32(base + offset, v).status == tlm::TLM_OK_RESPONSE);
  }
  std::uint32_t r(std::uint32_t offset) {
    std::uint32_t v = 0;
    CHECK(i.read32(base + offset, v).status == tlm::TLM_OK_RESPONSE);
    return v;
  }
  // The PG021 direct register mode sequence: RS (+ interrupt enables), address, LENGTH last.
  void mm2s(std::uint64_t src, std::uint32_t length, std::uint32_t cr = kRs | kIocIrqEn | kErrIrqEn) {
    w(reg::kMm2sDmacr, cr);
    w(reg::kMm2sSa, static_cast<std::uint32_t>(src));
    w(reg::kMm2sSaMsb, static_cast<std::uint32_t>(src >> 32));
    w(reg::kMm2sLength, length);
  }
  void s2mm(std::uint64_t dst, std::uint32_t length, std::uint32_t cr = kRs | kIocIrqEn | kErrIrqEn) {
    w(reg::kS2mmDmacr, cr);
    w(reg::kS2mmDa, static_cast<std::uint32_t>(dst));
    w(reg::kS2mmDaMsb, static_cast<std::uint32_t>(dst >> 32));
    w(reg::kS2mmLength, length);
  }
  // Polls a DMASR every `period` until Idle or one of `stop` (an error bit); returns the last value read.
  std::uint32_t wait(std::uint32_t dmasr, const sc_time& period = sc_time(20, SC_NS),
                     std::uint32_t stop = kErrors) {
    for (int n = 0; n < 1000000; ++n) {
      const std::uint32_t sr = r(dmasr);
      if (sr & (kIdle | stop)) return sr;
      sc_core::wait(period);
    }
    FAIL_CHECK("DMA never became idle");
    return 0;
  }
};

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

// Every beat full except the last; TLAST exactly on the last; the bytes concatenated.
void check_packet(const std::vector<AxisBeat>& beats, std::size_t beat_bytes, const std::uint8_t* expected,
                  std::size_t length) {
  REQUIRE(!beats.empty());
  std::vector<std::uint8_t> got;
  for (std::size_t k = 0; k < beats.size(); ++k) {
    const bool last = k + 1 == beats.size();
    INFO("beat " << k << " of " << beats.size());
    CHECK(beats[k].last == last);
    if (!last) CHECK(beats[k].data.size() == beat_bytes);
    got.insert(got.end(), beats[k].data.begin(), beats[k].data.end());
  }
  CHECK(beats.size() == (length + beat_bytes - 1) / beat_bytes);
  REQUIRE(got.size() == length);
  CHECK(std::memcmp(got.data(), expected, length) == 0);
}

// Pops one packet (up to TLAST) from `s`, waiting `per_beat` before each pop.
std::vector<AxisBeat> read_packet(AxisChannel& s, const sc_time& per_beat = SC_ZERO_TIME) {
  std::vector<AxisBeat> beats;
  do {
    if (per_beat != SC_ZERO_TIME) wait(per_beat);
    beats.push_back(s.read());
  } while (!beats.back().last);
  return beats;
}

void write_packet(AxisChannel& s, const std::uint8_t* data, std::size_t length) {
  const std::size_t bb = s.beat_bytes();
  for (std::size_t off = 0; off < length; off += bb) {
    AxisBeat b;
    const std::size_t n = std::min(bb, length - off);
    b.data.assign(data + off, data + off + n);
    b.last = off + n == length;
    s.write(std::move(b));
  }
}

}  // namespace

TEST_CASE("axi dma rejects a bad configuration", "[dma]") {
  dnnvp::test::one_simulation_per_process();
  AxisChannel s("s", 4, 8);
  AxiDmaConfig c;
  c.mm2s = &s;
  c.burst_bytes = 96;
  CHECK_THROWS_WITH(AxiDma("bad_burst", mm::region("dma0"), kDmaClock, c), Catch::Contains("power of two"));
  c.burst_bytes = 8192;
  CHECK_THROWS_WITH(AxiDma("big_burst", mm::region("dma0"), kDmaClock, c), Catch::Contains("power of two"));
  c.burst_bytes = 256;
  c.max_outstanding = 0;
  CHECK_THROWS_WITH(AxiDma("no_outstanding", mm::region("dma0"), kDmaClock, c),
                    Catch::Contains("max_outstanding"));
  AxisChannel zero("zero", 4, 0);
  c.max_outstanding = 4;
  c.mm2s = &zero;
  CHECK_THROWS_WITH(AxiDma("zero_beats", mm::region("dma0"), kDmaClock, c), Catch::Contains("0-byte beats"));
}

TEST_CASE("axi dma given a region without one of its registers names the region and the register", "[dma]") {
  dnnvp::test::one_simulation_per_process();
  const dnnvp::RegionInfo& dma0 = mm::region("dma0");
  const dnnvp::RegionInfo first_only{"dma0",         dma0.base, dma0.size,        false,
                                     dma0.registers, 1,         "MM2S_DMACR only"};
  CHECK_THROWS_AS(AxiDma("dma", first_only, kDmaClock, AxiDmaConfig{}), std::invalid_argument);
  CHECK_THROWS_WITH(AxiDma("dma_b", first_only, kDmaClock, AxiDmaConfig{}),
                    "region 'dma0' has no register 'MM2S_DMASR'");
}

TEST_CASE("axi dma takes its field positions from the region and names a missing or mismatched field",
          "[dma]") {
  dnnvp::test::one_simulation_per_process();
  const dnnvp::RegionInfo& dma0 = mm::region("dma0");
  std::vector<dnnvp::RegisterInfo> registers(dma0.registers, dma0.registers + dma0.register_count);
  dnnvp::RegisterInfo& s2mm_dmasr = registers[&dnnvp::find_register(dma0, "S2MM_DMASR") - dma0.registers];
  std::vector<dnnvp::FieldInfo> fields(s2mm_dmasr.fields, s2mm_dmasr.fields + s2mm_dmasr.field_count);
  s2mm_dmasr.fields = fields.data();
  const dnnvp::RegionInfo region{"dma0",           dma0.base,        dma0.size, false,
                                 registers.data(), registers.size(), "edited"};
  const auto ioc_irq =
      std::find_if(fields.begin(), fields.end(), [](const auto& f) { return f.name == "IOC_IRQ"; });
  REQUIRE(ioc_irq != fields.end());
  ioc_irq->lsb = 11;
  ioc_irq->mask = 1u << 11;
  CHECK_THROWS_WITH(AxiDma("moved", region, kDmaClock, AxiDmaConfig{}),
                    "region 'dma0': field IOC_IRQ of MM2S_DMASR and S2MM_DMASR differ");
  ioc_irq->name = "IOC";
  CHECK_THROWS_WITH(AxiDma("renamed", region, kDmaClock, AxiDmaConfig{}),
                    "region 'dma0': register 'S2MM_DMASR' has no field 'IOC_IRQ'");
}

TEST_CASE("axi dma registers: PG021 offsets, reset values, RS/Halted/Idle, IOC write-1-to-clear, reset",
          "[dma]") {
  dnnvp::test::one_simulation_per_process();
  // The map firmware is built against has the PG021 offsets.
  STATIC_REQUIRE(reg::kMm2sDmacr == 0x00);
  STATIC_REQUIRE(reg::kMm2sDmasr == 0x04);
  STATIC_REQUIRE(reg::kMm2sSa == 0x18);
  STATIC_REQUIRE(reg::kMm2sSaMsb == 0x1C);
  STATIC_REQUIRE(reg::kMm2sLength == 0x28);
  STATIC_REQUIRE(reg::kS2mmDmacr == 0x30);
  STATIC_REQUIRE(reg::kS2mmDmasr == 0x34);
  STATIC_REQUIRE(reg::kS2mmDa == 0x48);
  STATIC_REQUIRE(reg::kS2mmDaMsb == 0x4C);
  STATIC_REQUIRE(reg::kS2mmLength == 0x58);
  STATIC_REQUIRE(mm::dma1::kS2mmLength == 0x58);
  STATIC_REQUIRE(kIocIrq == 0x1000);
  STATIC_REQUIRE(kErrIrq == 0x4000);
  STATIC_REQUIRE((kIntErr | kSlvErr | kDecErr) == 0x70);

  Soc soc;
  const auto data = pattern(64, 1);
  std::memcpy(soc.mem(0x80001000, 64), data.data(), 64);
  struct {
    std::uint32_t cr, sr, s2mm_cr, s2mm_sr, dbg_sr;
    std::uint32_t sr_halted_length, length_readback, sr_running, sr_zero_length;
    std::uint32_t sr_done, sr_after_ro_w1c, sr_after_ioc_clear, sr_stopped;
    std::uint32_t cr_before_reset, cr_after_reset, sr_after_reset, s2mm_sr_after_reset, length_after_reset;
    bool irq_after_done = false, irq_after_clear = true;
    std::size_t beats_while_halted = 99;
  } s;
  std::vector<AxisBeat> beats;
  Process consumer("consumer", [&] { beats = read_packet(soc.x); });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    s.cr = fw.r(reg::kMm2sDmacr);
    s.sr = fw.r(reg::kMm2sDmasr);
    s.s2mm_cr = fw.r(reg::kS2mmDmacr);
    s.s2mm_sr = fw.r(reg::kS2mmDmasr);
    i.debug(tlm::TLM_READ_COMMAND, mm::dma0::kBase + reg::kMm2sDmasr, &s.dbg_sr, 4);
    // Halted (RS = 0): LENGTH has no effect (but reads back, reserved bits 31:26 as 0).
    fw.w(reg::kMm2sSa, 0x80001000);
    fw.w(reg::kMm2sLength, 0xFC000040);
    wait(1, SC_US);
    s.sr_halted_length = fw.r(reg::kMm2sDmasr);
    s.length_readback = fw.r(reg::kMm2sLength);
    s.beats_while_halted = soc.x.size();
    // RS = 1: running, not idle before the first transfer; LENGTH = 0 has no effect.
    fw.w(reg::kMm2sDmacr, kRs | kIocIrqEn);
    s.sr_running = fw.r(reg::kMm2sDmasr);
    fw.w(reg::kMm2sLength, 0);
    wait(1, SC_US);
    s.sr_zero_length = fw.r(reg::kMm2sDmasr);
    // A transfer: Idle and IOC_Irq at the end, the interrupt output follows IOC_Irq & IOC_IrqEn.
    fw.w(reg::kMm2sLength, 64);
    s.sr_done = fw.wait(reg::kMm2sDmasr);
    wait(SC_ZERO_TIME);
    s.irq_after_done = soc.dma0.mm2s_introut.read();
    // Writing 1s to the read-only bits changes nothing; writing IOC_Irq clears it.
    fw.w(reg::kMm2sDmasr, kHalted | kIdle | kErrors);
    s.sr_after_ro_w1c = fw.r(reg::kMm2sDmasr);
    fw.w(reg::kMm2sDmasr, kIocIrq);
    s.sr_after_ioc_clear = fw.r(reg::kMm2sDmasr);
    wait(SC_ZERO_TIME);
    wait(SC_ZERO_TIME);
    s.irq_after_clear = soc.dma0.mm2s_introut.read();
    // RS = 0 while idle: halted at once, Idle drops.
    fw.w(reg::kMm2sDmacr, 0);
    s.sr_stopped = fw.r(reg::kMm2sDmasr);
    // Soft reset through the S2MM register resets both channels.
    fw.w(reg::kMm2sDmacr, kRs | kIocIrqEn | kErrIrqEn | 0x00030000);
    fw.w(reg::kS2mmDmacr, kRs);
    s.cr_before_reset = fw.r(reg::kMm2sDmacr);
    fw.w(reg::kS2mmDmacr, kReset);
    s.cr_after_reset = fw.r(reg::kMm2sDmacr);
    s.sr_after_reset = fw.r(reg::kMm2sDmasr);
    s.s2mm_sr_after_reset = fw.r(reg::kS2mmDmasr);
    s.length_after_reset = fw.r(reg::kMm2sLength);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(s.cr == 0x00010002);
  CHECK(s.sr == kHalted);
  CHECK(s.s2mm_cr == 0x00010002);
  CHECK(s.s2mm_sr == kHalted);
  CHECK(s.dbg_sr == kHalted);
  CHECK(s.sr_halted_length == kHalted);
  CHECK(s.beats_while_halted == 0);
  CHECK(s.length_readback == 0x40);
  CHECK(s.sr_running == 0);
  CHECK(s.sr_zero_length == 0);
  CHECK(s.sr_done == (kIdle | kIocIrq));
  CHECK(s.irq_after_done);
  CHECK(s.sr_after_ro_w1c == (kIdle | kIocIrq));
  CHECK(s.sr_after_ioc_clear == kIdle);
  CHECK_FALSE(s.irq_after_clear);
  CHECK(s.sr_stopped == kHalted);
  CHECK(s.cr_before_reset == (kRs | kIocIrqEn | kErrIrqEn | 0x00030000 | 0x2));
  CHECK(s.cr_after_reset == 0x00010002);
  CHECK(s.sr_after_reset == kHalted);
  CHECK(s.s2mm_sr_after_reset == kHalted);
  CHECK(s.length_after_reset == 0);
  check_packet(beats, 8, data.data(), 64);
  CHECK(soc.dma0.counters(AxiDma::kMm2s).transfers == 1);
  CHECK(soc.dma0.fault_count() == 0);
}

TEST_CASE("axi dma status registers catch up with a temporally decoupled initiator's local time", "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc;
  std::uint32_t sr_early = 0, sr_late = 0;
  sc_time after_length_write, after_early, after_late, done;
  Process consumer("consumer", [&] { read_packet(soc.x); });
  Process irq("irq", [&] {
    wait(soc.dma0.mm2s_introut.posedge_event());
    done = sc_time_stamp();
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    // A CPU running 1 us ahead of simulated time, keeping its local offset as the RISC-V model does: the
    // offset goes in as the delay, the delay that comes back is the new offset.
    sc_time local(1, SC_US);
    local = i.write32(mm::dma0::kBase + reg::kMm2sDmacr, kRs | kIocIrqEn, local).delay;  // kSync: waits 1 us
    local = i.write32(mm::dma0::kBase + reg::kMm2sSa, 0x80001000, local).delay;          // no sync: +10 ns
    local = i.write32(mm::dma0::kBase + reg::kMm2sLength, 4096, local).delay;            // kSync: waits 20 ns
    after_length_write = sc_time_stamp();
    // Polls ahead of simulated time: before the end the channel is busy, after it idle, with no wait() by
    // the CPU itself: the register synchronises.
    local = i.read32(mm::dma0::kBase + reg::kMm2sDmasr, sr_early, local).delay;
    after_early = sc_time_stamp();
    i.read32(mm::dma0::kBase + reg::kMm2sDmasr, sr_late, local + sc_time(5, SC_US));
    after_late = sc_time_stamp();
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  // Each access costs 10 ns (one DMA clock); the kSync registers caught up with the offset first.
  CHECK(after_length_write == sc_time(1020, SC_NS));
  CHECK(sr_early == 0);  // running, busy
  CHECK(after_early == sc_time(1030, SC_NS));
  CHECK(sr_late == (kIdle | kIocIrq));
  CHECK(after_late == sc_time(6040, SC_NS));
  CHECK(done > after_length_write);
  CHECK(done < after_length_write + sc_time(1, SC_US));
  // The transfer started at the time of the LENGTH write.
  CHECK(soc.dma0.counters(AxiDma::kMm2s).busy == done - after_length_write);
}

TEST_CASE("axi dma mm2s streams a buffer beat by beat with TLAST, odd lengths and unaligned sources",
          "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc;
  const auto data = pattern(8192, 2);
  std::memcpy(soc.mem(0x80100000, data.size()), data.data(), data.size());
  struct Case {
    std::uint64_t src;
    std::uint32_t length;
    std::uint64_t bursts;  // of 256 bytes, aligned
  };
  const std::vector<Case> cases = {
      {0x80100000, 4096, 16},  // aligned
      {0x80100003, 1001, 4},   // unaligned start: 253 + 256 + 256 + 236; last beat 1 byte
      {0x801000FF, 1, 1},      // a single byte
      {0x80100101, 7, 1},      // shorter than a beat
      {0x801001F9, 16, 2},     // two full beats across a burst boundary
  };
  std::vector<std::vector<AxisBeat>> packets;
  std::vector<std::uint32_t> status, bursts;
  Process consumer("consumer", [&] {
    for (std::size_t k = 0; k < cases.size(); ++k) packets.push_back(read_packet(soc.x));
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    for (const Case& c : cases) {
      const std::uint64_t before = soc.dma0.counters(AxiDma::kMm2s).bursts;
      fw.mm2s(c.src, c.length);
      status.push_back(fw.wait(reg::kMm2sDmasr));
      fw.w(reg::kMm2sDmasr, kIocIrq);
      bursts.push_back(static_cast<std::uint32_t>(soc.dma0.counters(AxiDma::kMm2s).bursts - before));
    }
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  REQUIRE(packets.size() == cases.size());
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    INFO("case " << k);
    CHECK(status[k] == (kIdle | kIocIrq));
    CHECK(bursts[k] == cases[k].bursts);
    check_packet(packets[k], 8, data.data() + (cases[k].src - 0x80100000), cases[k].length);
    total += cases[k].length;
  }
  const auto& c = soc.dma0.counters(AxiDma::kMm2s);
  CHECK(c.transfers == cases.size());
  CHECK(c.bytes == total);
  CHECK(soc.dram.counters("dma0.mm2s").read_bytes == total);
  CHECK(soc.dram.counters("dma0.mm2s").transactions == 24);
}

TEST_CASE("axi dma s2mm writes a received packet to DRAM and LENGTH reads back the bytes received", "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc;
  const auto data = pattern(1003, 3);
  const std::uint64_t dst = 0x80200005;
  std::memset(soc.mem(dst - 16, 4096 + 32), 0xEE, 4096 + 32);
  std::uint32_t sr = 0, length = 0, sr_armed = 0;
  sc_time produced;
  Process producer("producer", [&] {
    wait(2, SC_US);  // the engine's outputs come later than the arming
    write_packet(soc.y, data.data(), data.size());
    produced = sc_time_stamp();
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    fw.s2mm(dst, 4096);  // buffer larger than the packet
    wait(1, SC_US);
    sr_armed = fw.r(reg::kS2mmDmasr);
    sr = fw.wait(reg::kS2mmDmasr);
    length = fw.r(reg::kS2mmLength);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(sr_armed == 0);  // running, not idle: waiting for the packet
  CHECK(sr == (kIdle | kIocIrq));
  CHECK(length == 1003);
  CHECK(std::memcmp(soc.mem(dst, data.size()), data.data(), data.size()) == 0);
  for (int k = 1; k <= 16; ++k) CHECK(soc.mem(dst - k, 1)[0] == 0xEE);
  for (int k = 0; k < 16; ++k) CHECK(soc.mem(dst + data.size() + k, 1)[0] == 0xEE);
  const auto& c = soc.dma0.counters(AxiDma::kS2mm);
  CHECK(c.transfers == 1);
  CHECK(c.bytes == 1003);
  CHECK(c.beats == 126);
  CHECK(c.bursts == 4);                   // 251 bytes to 0x...100, then 256, 256 and the 240-byte rest
  CHECK(c.stalled >= sc_time(1, SC_US));  // armed, waiting for beats
  CHECK(soc.dram.counters("dma0.s2mm").write_bytes == 1003);
  CHECK(soc.dram.counters("dma0.s2mm").read_bytes == 0);
  CHECK(soc.dram.counters("dma0.mm2s").read_bytes == 0);
}

TEST_CASE("axi dma loop-back mm2s -> stream -> s2mm copies memory exactly, dram and stats count per channel",
          "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc({}, 16, 32, /*loopback=*/true);
  const std::size_t n = 65536 + 13;
  const auto data = pattern(n, 4);
  const std::uint64_t src = 0x80300007, dst = 0x80400011;
  std::memcpy(soc.mem(src, n), data.data(), n);
  std::uint32_t mm2s_sr = 0, s2mm_sr = 0, length = 0;
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    fw.s2mm(dst, 1u << 20);
    fw.mm2s(src, static_cast<std::uint32_t>(n));
    mm2s_sr = fw.wait(reg::kMm2sDmasr);
    s2mm_sr = fw.wait(reg::kS2mmDmasr);
    length = fw.r(reg::kS2mmLength);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(mm2s_sr == (kIdle | kIocIrq));
  CHECK(s2mm_sr == (kIdle | kIocIrq));
  CHECK(length == n);
  CHECK(std::memcmp(soc.mem(dst, n), data.data(), n) == 0);
  CHECK(soc.dram.counters("dma0.mm2s").read_bytes == n);
  CHECK(soc.dram.counters("dma0.mm2s").write_bytes == 0);
  CHECK(soc.dram.counters("dma0.s2mm").write_bytes == n);
  CHECK(soc.dram.counters("dma0.s2mm").read_bytes == 0);
  CHECK(soc.dram.counters("dma0").transactions == 0);  // every DMA access carries its channel's tag
  const nlohmann::json j = soc.stats.to_json();
  CHECK(j["dram"]["dma0"]["mm2s"]["read_bytes"] == n);
  CHECK(j["dram"]["dma0"]["s2mm"]["write_bytes"] == n);
  CHECK(j["dma0"]["mm2s"]["bytes"] == n);
  CHECK(j["dma0"]["mm2s"]["transfers"] == 1);
  CHECK(j["dma0"]["mm2s"]["beats"] == (n + 15) / 16);
  CHECK(j["dma0"]["s2mm"]["bytes"] == n);
  CHECK(j["dma0"]["s2mm"]["beats"] == (n + 15) / 16);
  CHECK(j["dma0"]["s2mm"]["busy_ns"].get<double>() > 0);
  CHECK(j["dma0"]["faults"] == 0);
  CHECK(j["dma1"]["mm2s"]["transfers"] == 0);
  CHECK_FALSE(j["dma1"].contains("s2mm"));  // no stream, no statistics
}

TEST_CASE("axi dma bus errors set DMADecErr / Err_Irq, halt the channel and record a fault, a reset recovers",
          "[dma]") {
  dnnvp::test::one_simulation_per_process();
  AxiDmaConfig config;
  config.stop_on_fault = false;  // inspect the registers after each error
  Soc soc(config);
  const std::uint64_t dram_end = kDramBase + kDramBytes;
  const auto data = pattern(4096, 5);
  std::memcpy(soc.mem(dram_end - 100, 100), data.data(), 100);
  std::memcpy(soc.mem(0x80010000, 4096), data.data(), 4096);
  std::vector<std::string> printed;
  soc.dma0.on_fault([&](const AxiDmaFault& f) { printed.push_back(f.describe()); });
  struct {
    std::uint32_t sr_unmapped, cr_unmapped, sr_after_rs, sr_after_length, sr_after_reset, sr_good;
    std::uint32_t sr_tail, s2mm_sr, s2mm_length;
    std::size_t beats_after_unmapped;
    bool irq = false;
  } s;
  std::vector<AxisBeat> good;
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    // MM2S from an unmapped address.
    fw.mm2s(0x20000000, 4096);
    s.sr_unmapped = fw.wait(reg::kMm2sDmasr);
    s.cr_unmapped = fw.r(reg::kMm2sDmacr);
    wait(SC_ZERO_TIME);
    s.irq = soc.dma0.mm2s_introut.read();
    s.beats_after_unmapped = soc.x.size();
    // Only a reset restarts the channel: RS = 1 and LENGTH do nothing.
    fw.w(reg::kMm2sDmacr, kRs);
    s.sr_after_rs = fw.r(reg::kMm2sDmasr);
    fw.w(reg::kMm2sLength, 4096);
    wait(1, SC_US);
    s.sr_after_length = fw.r(reg::kMm2sDmasr);
    fw.w(reg::kMm2sDmacr, kReset);
    s.sr_after_reset = fw.r(reg::kMm2sDmasr);
    fw.mm2s(0x80010000, 128);  // 16 beats: fits the stream FIFO
    s.sr_good = fw.wait(reg::kMm2sDmasr);
    good = std::vector<AxisBeat>();
    while (!soc.x.empty()) good.push_back(soc.x.pop());
    // MM2S that runs off the end of the DRAM: 100 bytes stream, the burst after them fails.
    fw.w(reg::kMm2sDmacr, kReset);
    fw.mm2s(dram_end - 100, 600);
    s.sr_tail = fw.wait(reg::kMm2sDmasr);
    // S2MM to an unmapped destination.
    fw.s2mm(0x30000000, 256);
    write_packet(soc.y, data.data(), 64);
    s.s2mm_sr = fw.wait(reg::kS2mmDmasr);
    s.s2mm_length = fw.r(reg::kS2mmLength);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(s.sr_unmapped == (kHalted | kDecErr | kErrIrq));
  CHECK((s.cr_unmapped & kRs) == 0);  // the hardware clears RS on an error
  CHECK(s.irq);                       // Err_IrqEn was set
  CHECK(s.beats_after_unmapped == 0);
  CHECK(s.sr_after_rs == (kHalted | kDecErr | kErrIrq));
  CHECK(s.sr_after_length == (kHalted | kDecErr | kErrIrq));
  CHECK(s.sr_after_reset == kHalted);
  CHECK(s.sr_good == (kIdle | kIocIrq));
  check_packet(good, 8, data.data(), 128);
  CHECK(s.sr_tail == (kHalted | kDecErr | kErrIrq));
  CHECK(s.s2mm_sr == (kHalted | kDecErr | kErrIrq));
  CHECK(s.s2mm_length == 0);

  REQUIRE(soc.dma0.fault_count() == 3);
  const auto& f = soc.dma0.faults();
  CHECK(f[0].initiator == "dma0.mm2s");
  CHECK(f[0].kind == AxiDmaFault::Kind::kDecodeError);
  CHECK(f[0].address == 0x20000000);
  CHECK(f[0].length == 256);
  CHECK(f[0].response == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK_THAT(f[0].describe(), Catch::Contains("dma0.mm2s: decode error (DMADecErr) reading 256 bytes at "
                                              "0x20000000") &&
                                  Catch::Contains("TLM_ADDRESS_ERROR_RESPONSE"));
  // The failing burst is the one at the end of the DRAM.
  CHECK(f[1].kind == AxiDmaFault::Kind::kDecodeError);
  CHECK(f[1].address == dram_end);
  CHECK(f[1].transfer_address == dram_end - 100);
  CHECK(soc.x.size() == 12);  // the 100 good bytes: 12 full beats streamed, the 4-byte rest held back
  CHECK(f[2].initiator == "dma0.s2mm");
  CHECK(f[2].write);
  CHECK(f[2].address == 0x30000000);
  CHECK_THAT(f[2].describe(), Catch::Contains("writing 64 bytes at 0x30000000"));
  CHECK(printed.size() == 3);
  CHECK(soc.bus.fault_count() == 3);  // the bus saw the same three accesses
  CHECK(soc.dma0.counters(AxiDma::kMm2s).errors == 2);
  CHECK(soc.dma0.counters(AxiDma::kS2mm).errors == 1);
}

TEST_CASE(
    "axi dma to an unmapped address ends the simulation with the fault even if firmware polls only Idle",
    "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc;  // stop_on_fault: the default
  std::uint64_t polls = 0;
  sc_time started;
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    wait(3, SC_US);
    started = sc_time_stamp();
    fw.mm2s(0x40000000, 1024);  // below dma0: nothing mapped
    for (;;) {                  // naive firmware: waits for Idle, never looks at the error bits
      if (fw.r(reg::kMm2sDmasr) & kIdle) break;
      ++polls;
      wait(100, SC_NS);
    }
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start(sc_time(1, SC_SEC));  // the bound only guards the test: the fault stops the simulation first

  CHECK(sc_time_stamp() < started + sc_time(1, SC_US));
  REQUIRE(soc.dma0.fault_count() == 1);
  const AxiDmaFault& f = soc.dma0.faults()[0];
  CHECK(f.address == 0x40000000);
  CHECK(f.time >= started);
  CHECK(f.time <= sc_time_stamp());
  CHECK_THAT(f.describe(), Catch::Contains("0x40000000") && Catch::Contains("DMADecErr"));
  CHECK(polls < 10);
}

TEST_CASE(
    "axi dma s2mm packet longer than LENGTH sets DMAIntErr, LENGTH while busy and missing streams are faults",
    "[dma]") {
  dnnvp::test::one_simulation_per_process();
  AxiDmaConfig config;
  config.stop_on_fault = false;
  Soc soc(config);
  const auto data = pattern(1000, 6);
  const std::uint64_t dst = 0x80500000;
  std::memset(soc.mem(dst, 256), 0xEE, 256);
  std::memcpy(soc.mem(0x80600000, 1000), data.data(), 1000);
  struct {
    std::uint32_t long_sr, long_length, busy_sr, busy_length_readback, nostream_sr;
    std::uint32_t armed_sr, reset_sr, rearmed_sr, rearmed_length;
  } s{};
  std::vector<AxisBeat> beats;
  Process consumer("consumer", [&] {
    wait(5, SC_US);
    beats = read_packet(soc.x, sc_time(100, SC_NS));  // slow: the transfer is busy for a while
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    // A 100-byte packet into a 64-byte buffer.
    fw.s2mm(dst, 64);
    write_packet(soc.y, data.data(), 100);  // the 64th byte has no TLAST
    s.long_sr = fw.wait(reg::kS2mmDmasr);
    s.long_length = fw.r(reg::kS2mmLength);
    // LENGTH written again while an MM2S transfer runs: ignored, the transfer completes as programmed.
    fw.mm2s(0x80600000, 1000);
    wait(1, SC_US);
    fw.w(reg::kMm2sLength, 8);
    s.busy_length_readback = fw.r(reg::kMm2sLength);
    s.busy_sr = fw.wait(reg::kMm2sDmasr);
    // dma1 has no S2MM stream.
    Fw fw1{i, mm::dma1::kBase};
    fw1.s2mm(dst, 64);
    s.nostream_sr = fw1.wait(reg::kS2mmDmasr);
    // A reset abandons an armed S2MM (and clears the DMAIntErr above); the next packet is received.
    while (!soc.y.empty()) soc.y.pop();  // the rest of the 100-byte packet
    fw.w(reg::kS2mmDmacr, kReset);
    fw.s2mm(dst + 128, 64);
    wait(1, SC_US);
    s.armed_sr = fw.r(reg::kS2mmDmasr);
    fw.w(reg::kMm2sDmacr, kReset);
    wait(1, SC_US);
    s.reset_sr = fw.r(reg::kS2mmDmasr);
    fw.s2mm(dst + 128, 64);
    write_packet(soc.y, data.data() + 200, 40);
    s.rearmed_sr = fw.wait(reg::kS2mmDmasr);
    s.rearmed_length = fw.r(reg::kS2mmLength);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(s.long_sr == (kHalted | kIntErr | kErrIrq));
  CHECK(s.long_length == 64);
  CHECK(std::memcmp(soc.mem(dst, 64), data.data(), 64) == 0);
  CHECK(soc.mem(dst + 64, 1)[0] == 0xEE);
  CHECK(s.busy_length_readback == 1000);
  CHECK(s.busy_sr == (kIdle | kIocIrq));
  check_packet(beats, 8, data.data(), 1000);
  CHECK(s.nostream_sr == (kHalted | kIntErr | kErrIrq));
  CHECK(s.armed_sr == 0);
  CHECK(s.reset_sr == kHalted);
  CHECK(s.rearmed_sr == (kIdle | kIocIrq));
  CHECK(s.rearmed_length == 40);
  CHECK(std::memcmp(soc.mem(dst + 128, 40), data.data() + 200, 40) == 0);

  REQUIRE(soc.dma0.fault_count() == 2);
  CHECK(soc.dma0.faults()[0].kind == AxiDmaFault::Kind::kPacketTooLong);
  CHECK_THAT(soc.dma0.faults()[0].describe(), Catch::Contains("64-byte buffer at 0x80500000"));
  CHECK(soc.dma0.faults()[1].kind == AxiDmaFault::Kind::kLengthWhileBusy);
  CHECK(soc.dma0.faults()[1].written == 8);
  REQUIRE(soc.dma1.fault_count() == 1);
  CHECK(soc.dma1.faults()[0].kind == AxiDmaFault::Kind::kNoStream);
  CHECK_THAT(soc.dma1.faults()[0].describe(),
             Catch::Contains("dma1.s2mm") && Catch::Contains("no AXI-Stream"));
}

TEST_CASE("axi dma back-pressure: a slow consumer stalls mm2s, RS = 0 stops a transfer and halts", "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc({}, 8, 4);  // a 4-beat stream FIFO
  const auto data = pattern(4096, 7);
  std::memcpy(soc.mem(0x80700000, 4096), data.data(), 4096);
  const sc_time per_beat(100, SC_NS);
  sc_time start, done, consumer_end;
  std::uint32_t stop_sr = 0, after_stop_sr = 0, restart_sr = 0;
  std::vector<AxisBeat> beats, restart_beats;
  std::size_t beats_at_stop = 0;
  Process consumer("consumer", [&] {
    beats = read_packet(soc.x, per_beat);  // 512 bytes: 64 beats
    consumer_end = sc_time_stamp();
    // The second transfer is stopped; afterwards drain what was pushed before the stop, then take the
    // third transfer's packet.
    wait(20, SC_US);
    while (!soc.x.empty()) soc.x.pop();
    restart_beats = read_packet(soc.x);
  });
  Process irq("irq", [&] {
    wait(soc.dma0.mm2s_introut.posedge_event());
    done = sc_time_stamp();
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    start = sc_time_stamp();
    fw.mm2s(0x80700000, 512);
    fw.wait(reg::kMm2sDmasr);
    fw.w(reg::kMm2sDmasr, kIocIrq);
    wait(10, SC_US);
    // Nobody reads the stream now: the transfer blocks after 4 beats; RS = 0 stops it.
    fw.mm2s(0x80700000, 4096, kRs);
    wait(2, SC_US);
    beats_at_stop = soc.x.size();
    fw.w(reg::kMm2sDmacr, 0);
    stop_sr = fw.r(reg::kMm2sDmasr);  // read at the write's time: the channel stops at its next step
    wait(1, SC_US);
    after_stop_sr = fw.r(reg::kMm2sDmasr);
    wait(30, SC_US);
    // Restart: a fresh transfer runs to completion.
    fw.mm2s(0x80700000, 64);
    restart_sr = fw.wait(reg::kMm2sDmasr);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start(sc_time(1, SC_MS));

  check_packet(beats, 8, data.data(), 512);
  const auto& c = soc.dma0.counters(AxiDma::kMm2s);
  // The consumer takes a beat every 100 ns: the 64th beat can enter the 4-beat FIFO only after the
  // consumer has taken the 60th, at about 60 x 100 ns; the DMA is stalled nearly all that time.
  INFO("done " << done << ", consumer end " << consumer_end << ", stalled " << c.stalled);
  CHECK(done - start >= 60 * per_beat);
  CHECK(done - start <= 61 * per_beat);
  CHECK(consumer_end - start >= 64 * per_beat);
  CHECK(c.stalled > sc_time(5, SC_US));
  CHECK(beats_at_stop == 4);
  CHECK((stop_sr & kIdle) == 0);
  CHECK(after_stop_sr == kHalted);  // halted, not idle, no IOC
  CHECK(restart_sr == (kIdle | kIocIrq));
  check_packet(restart_beats, 8, data.data(), 64);
  CHECK(c.transfers == 2);
  CHECK(soc.dma0.fault_count() == 0);
}

TEST_CASE("axi dma timing: 64 KiB takes about size / DRAM bandwidth, mm_data_bytes caps the rate", "[dma]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc({}, 16, 64);
  // Two more DMAs on a second bus and DRAM, run one after the other: one capped at a 64-bit memory side
  // at 100 MHz (800 MB/s), one with a single burst in flight.
  AxiDmaConfig capped;
  capped.mm_data_bytes = 8;
  AxiDmaConfig blocking;
  blocking.max_outstanding = 1;
  AxisChannel w2("w2", 64, 16), w3("w3", 64, 16);
  AxiDma slow("slow", mm::region("dma1"), kDmaClock, with_streams(capped, &w2, nullptr));
  AxiDma single("single", mm::region("dma1"), kDmaClock, with_streams(blocking, &w3, nullptr));
  dnnvp::BusConfig bc;
  bc.initiators = {"cpu", "slow", "single"};
  bc.targets = {{"slow", mm::dma1::kBase, mm::dma1::kSize},
                {"single", mm::dma1::kBase + mm::dma1::kSize, 0x10000},
                {"dram", kDramBase, kDramBytes}};
  dnnvp::Bus bus2("bus2", bc);
  dnnvp::Dram dram2("dram2", kDramBytes, dnnvp::DramTiming::preset("ddr4-2400"));
  slow.mm_socket.bind(bus2.initiator_socket("slow"));
  single.mm_socket.bind(bus2.initiator_socket("single"));
  bus2.target_socket("slow").bind(slow.socket);
  bus2.target_socket("single").bind(single.socket);
  bus2.target_socket("dram").bind(dram2.socket);

  const std::uint32_t n = 65536;
  Process sink_x("sink_x", [&] {
    for (;;) soc.x.read();
  });
  Process sink_w2("sink_w2", [&] {
    for (;;) w2.read();
  });
  Process sink_w3("sink_w3", [&] {
    for (;;) w3.read();
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    fw.mm2s(0x80800000, n);
    fw.wait(reg::kMm2sDmasr, sc_time(100, SC_NS));
  });
  Initiator cpu2("cpu2", [&](Initiator& i) {
    Fw fw{i, mm::dma1::kBase};
    fw.mm2s(0x80800000, n);
    fw.wait(reg::kMm2sDmasr, sc_time(100, SC_NS));
    Fw fw3{i, mm::dma1::kBase + mm::dma1::kSize};
    fw3.mm2s(0x80900000, n);
    fw3.wait(reg::kMm2sDmasr, sc_time(100, SC_NS));
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  cpu2.socket.bind(bus2.initiator_socket("cpu"));
  sc_start();

  const double peak = soc.dram.timing().peak_bytes_per_second();  // 19.2 GB/s
  const double ideal = n / peak;
  const double fast = soc.dma0.counters(AxiDma::kMm2s).busy.to_seconds();
  const double capped_s = slow.counters(AxiDma::kMm2s).busy.to_seconds();
  const double single_s = single.counters(AxiDma::kMm2s).busy.to_seconds();
  INFO("ideal " << ideal * 1e6 << " us, dma " << fast * 1e6 << " us, capped " << capped_s * 1e6
                << " us, one burst in flight " << single_s * 1e6 << " us");
  CHECK(soc.dma0.counters(AxiDma::kMm2s).transfers == 1);
  CHECK(single.counters(AxiDma::kMm2s).transfers == 1);
  CHECK(fast >= ideal);
  CHECK(fast < 1.1 * ideal);  // 4 bursts of 256 bytes in flight keep the DDR4 data bus busy
  CHECK(capped_s == Approx(n / 800e6).epsilon(0.02));
  CHECK(single_s > 1.5 * fast);  // one burst at a time pays the CAS latency on every burst
  CHECK(single_s < 3 * fast);
}

// ---- scatter/gather (include_sg) ------------------------------------------------------------------------

namespace {

namespace bd = dnnvp::sg_bd;
constexpr std::uint32_t kSgIncld = reg::kMm2sDmasrSgIncldMask;
constexpr std::uint32_t kSgIntErr = reg::kMm2sDmasrSgIntErrMask;
constexpr std::uint32_t kSgDecErr = reg::kMm2sDmasrSgDecErrMask;
constexpr std::uint64_t kBds = 0x80300000;  // descriptor array, 64-byte aligned

AxiDmaConfig sg_config() {
  AxiDmaConfig c;
  c.include_sg = true;
  return c;
}

void put32(std::uint8_t* p, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) p[k] = static_cast<std::uint8_t>(v >> (8 * k));
}

std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

struct Piece {
  std::uint64_t address;
  std::uint32_t length;
  std::uint32_t flags;  // bd::kSof / bd::kEof (MM2S CONTROL)
};

// Descriptor k at kBds + 64 k, NXTDESC to k + 1 (the last back to the first), STATUS 0.
void write_chain(Soc& soc, const std::vector<Piece>& pieces) {
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    std::uint8_t* d = soc.mem(kBds + 64 * k, 64);
    std::memset(d, 0, 64);
    put32(d + bd::kNxtdesc, static_cast<std::uint32_t>(kBds + 64 * ((k + 1) % pieces.size())));
    put32(d + bd::kBufferAddress, static_cast<std::uint32_t>(pieces[k].address));
    put32(d + bd::kControl, pieces[k].length | pieces[k].flags);
  }
}

std::uint32_t bd_status(Soc& soc, std::size_t k) {
  return get32(soc.mem(kBds + 64 * k + bd::kStatus, 4));
}

// PG021 SG start on the channel whose registers start at `ch` (0 MM2S, 0x30 S2MM): CURDESC while halted,
// RS, then TAILDESC.
void sg_start(Fw& fw, std::uint32_t ch, std::uint64_t first, std::uint64_t tail) {
  fw.w(ch + reg::kMm2sCurdesc, static_cast<std::uint32_t>(first));
  fw.w(ch + reg::kMm2sDmacr, kRs | kIocIrqEn | kErrIrqEn);
  fw.w(ch + reg::kMm2sTaildescMsb, static_cast<std::uint32_t>(tail >> 32));
  fw.w(ch + reg::kMm2sTaildesc, static_cast<std::uint32_t>(tail));
}

}  // namespace

TEST_CASE(
    "axi dma sg mm2s: three descriptors TXSOF..TXEOF stream one packet with one TLAST, statuses written back",
    "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc(sg_config());
  const auto data = pattern(4096, 11);
  std::memcpy(soc.mem(0x80100000, data.size()), data.data(), data.size());
  // Odd lengths and an unaligned middle piece: beats are packed across the buffers.
  const std::vector<Piece> pieces = {
      {0x80100000, 13, bd::kSof}, {0x80100403, 250, 0}, {0x80100800, 1001, bd::kEof}};
  write_chain(soc, pieces);
  std::vector<AxisBeat> beats;
  std::uint32_t sr_reset = 0, sr = 0, curdesc = 0;
  Process consumer("consumer", [&] { beats = read_packet(soc.x); });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    sr_reset = fw.r(reg::kMm2sDmasr);
    sg_start(fw, 0, kBds, kBds + 128);
    sr = fw.wait(reg::kMm2sDmasr);
    curdesc = fw.r(reg::kMm2sCurdesc);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(sr_reset == (kHalted | kSgIncld));
  CHECK(sr == (kIdle | kIocIrq | kSgIncld));
  CHECK(curdesc == kBds + 128);
  std::vector<std::uint8_t> expected;
  for (const Piece& p : pieces)
    expected.insert(expected.end(), data.begin() + static_cast<std::ptrdiff_t>(p.address - 0x80100000),
                    data.begin() + static_cast<std::ptrdiff_t>(p.address - 0x80100000 + p.length));
  check_packet(beats, 8, expected.data(), expected.size());
  for (std::size_t k = 0; k < pieces.size(); ++k)
    CHECK(bd_status(soc, k) == (bd::kStatusCmplt | pieces[k].length));
  const auto& c = soc.dma0.counters(AxiDma::kMm2s);
  CHECK(c.transfers == 1);
  CHECK(c.descriptors == 3);
  CHECK(c.bytes == expected.size());
  // Three 32-byte descriptor reads and three 4-byte status writes go to DRAM like the data.
  CHECK(soc.dram.counters("dma0.mm2s").read_bytes == expected.size() + 3 * bd::kFetchBytes);
  CHECK(soc.dram.counters("dma0.mm2s").write_bytes == 3 * 4);
}

TEST_CASE("axi dma sg mm2s: a strided gather (one descriptor per row at a pitch) streams exactly those rows",
          "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc(sg_config());
  const auto data = pattern(8192, 12);
  std::memcpy(soc.mem(0x80100000, data.size()), data.data(), data.size());
  // The even rows of a 12-row, 200-byte-pitch image, 60 bytes of each: what a 1x1/2 conv reads.
  constexpr std::uint32_t kPitch = 2 * 200, kRow = 60, kRows = 6;
  std::vector<Piece> pieces;
  std::vector<std::uint8_t> expected;
  for (std::uint32_t r = 0; r < kRows; ++r) {
    const std::uint32_t offset = 7 + r * kPitch;
    pieces.push_back({0x80100000 + offset, kRow, (r == 0 ? bd::kSof : 0) | (r + 1 == kRows ? bd::kEof : 0)});
    expected.insert(expected.end(), data.begin() + offset, data.begin() + offset + kRow);
  }
  write_chain(soc, pieces);
  std::vector<AxisBeat> beats;
  Process consumer("consumer", [&] { beats = read_packet(soc.x); });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    sg_start(fw, 0, kBds, kBds + 64 * (kRows - 1));
    fw.wait(reg::kMm2sDmasr);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();
  check_packet(beats, 8, expected.data(), expected.size());
  CHECK(soc.dma0.counters(AxiDma::kMm2s).descriptors == kRows);
}

TEST_CASE("axi dma sg s2mm: a packet scatters over several descriptors, statuses carry bytes and RXSOF/RXEOF",
          "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc(sg_config());
  const auto first = pattern(1003, 13), second = pattern(50, 14);
  // 300-byte buffers are not whole beats: a beat straddles two buffers.
  const std::vector<Piece> pieces = {
      {0x80200000, 300, 0}, {0x80201001, 300, 0}, {0x80202000, 500, 0}, {0x80203000, 64, 0}};
  for (const Piece& p : pieces) std::memset(soc.mem(p.address, p.length + 16), 0xEE, p.length + 16);
  write_chain(soc, pieces);
  std::uint32_t sr = 0;
  Process producer("producer", [&] {
    wait(1, SC_US);
    write_packet(soc.y, first.data(), first.size());
    write_packet(soc.y, second.data(), second.size());
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    sg_start(fw, 0x30, kBds, kBds + 192);
    sr = fw.wait(reg::kS2mmDmasr);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(sr == (kIdle | kIocIrq | kSgIncld));
  CHECK(bd_status(soc, 0) == (bd::kStatusCmplt | bd::kSof | 300));
  CHECK(bd_status(soc, 1) == (bd::kStatusCmplt | 300));
  CHECK(bd_status(soc, 2) == (bd::kStatusCmplt | bd::kEof | 403));
  CHECK(bd_status(soc, 3) == (bd::kStatusCmplt | bd::kSof | bd::kEof | 50));
  CHECK(std::memcmp(soc.mem(0x80200000, 300), first.data(), 300) == 0);
  CHECK(std::memcmp(soc.mem(0x80201001, 300), first.data() + 300, 300) == 0);
  CHECK(std::memcmp(soc.mem(0x80202000, 403), first.data() + 600, 403) == 0);
  CHECK(std::memcmp(soc.mem(0x80203000, 50), second.data(), 50) == 0);
  for (const std::uint64_t end : {0x80200000 + 300, 0x80201001 + 300, 0x80202000 + 403, 0x80203000 + 50})
    CHECK(soc.mem(end, 1)[0] == 0xEE);
  const auto& c = soc.dma0.counters(AxiDma::kS2mm);
  CHECK(c.transfers == 2);
  CHECK(c.descriptors == 4);
  CHECK(c.bytes == first.size() + second.size());
}

TEST_CASE("axi dma sg: TAILDESC stops the chain there, writing it again resumes at the next descriptor",
          "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc(sg_config());
  const auto data = pattern(1024, 15);
  std::memcpy(soc.mem(0x80100000, data.size()), data.data(), data.size());
  std::vector<Piece> pieces;
  for (std::uint32_t k = 0; k < 4; ++k) pieces.push_back({0x80100000 + 100 * k, 100, bd::kSof | bd::kEof});
  write_chain(soc, pieces);
  std::vector<std::vector<AxisBeat>> packets;
  std::uint32_t sr_halted_tail = 0, sr_first = 0, status2_first = 0, curdesc_first = 0, sr_second = 0;
  Process consumer("consumer", [&] {
    for (int k = 0; k < 4; ++k) packets.push_back(read_packet(soc.x));
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    fw.w(reg::kMm2sCurdesc, static_cast<std::uint32_t>(kBds));
    fw.w(reg::kMm2sTaildesc, static_cast<std::uint32_t>(kBds + 64));  // halted: no effect (PG021)
    wait(1, SC_US);
    sr_halted_tail = fw.r(reg::kMm2sDmasr);
    fw.w(reg::kMm2sDmacr, kRs);
    fw.w(reg::kMm2sTaildesc, static_cast<std::uint32_t>(kBds + 64));
    sr_first = fw.wait(reg::kMm2sDmasr);
    fw.w(reg::kMm2sDmasr, kIocIrq);
    status2_first = bd_status(soc, 2);
    curdesc_first = fw.r(reg::kMm2sCurdesc);
    fw.w(reg::kMm2sTaildesc, static_cast<std::uint32_t>(kBds + 192));
    wait(20, SC_NS);
    sr_second = fw.wait(reg::kMm2sDmasr);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();

  CHECK(sr_halted_tail == (kHalted | kSgIncld));
  CHECK(soc.dma0.counters(AxiDma::kMm2s).descriptors == 4);
  CHECK(sr_first == (kIdle | kIocIrq | kSgIncld));
  CHECK(status2_first == 0);  // the chain stopped at the tail (descriptor 1)
  CHECK(curdesc_first == kBds + 64);
  CHECK(sr_second == (kIdle | kIocIrq | kSgIncld));
  REQUIRE(packets.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    INFO("packet " << k);
    check_packet(packets[k], 8, data.data() + 100 * k, 100);
    CHECK(bd_status(soc, k) == (bd::kStatusCmplt | 100));
  }
}

TEST_CASE("axi dma sg: descriptor errors set SGDecErr / SGIntErr / DMAIntErr, halt and name the descriptor",
          "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  AxiDmaConfig config = sg_config();
  config.stop_on_fault = false;
  Soc soc(config);
  write_chain(soc, {{0x80100000, 64, bd::kSof}, {0x80100100, 0, bd::kEof}});
  std::vector<std::uint32_t> sr;
  std::uint32_t sr_after_reset = 0;
  Process consumer("consumer", [&] {
    for (;;) soc.x.read();
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    // A descriptor where nothing is mapped.
    sg_start(fw, 0, 0x10000040, 0x10000040);
    sr.push_back(fw.wait(reg::kMm2sDmasr, sc_time(20, SC_NS), kHalted));
    fw.w(reg::kMm2sDmacr, kReset);
    sr_after_reset = fw.r(reg::kMm2sDmasr);
    // Buffer length 0 (descriptor 1) after a good descriptor 0.
    sg_start(fw, 0, kBds, kBds + 64);
    sr.push_back(fw.wait(reg::kMm2sDmasr, sc_time(20, SC_NS), kHalted));
    fw.w(reg::kMm2sDmacr, kReset);
    // Descriptor 0 again: its STATUS now has Cmplt (stale).
    sg_start(fw, 0, kBds, kBds + 64);
    sr.push_back(fw.wait(reg::kMm2sDmasr, sc_time(20, SC_NS), kHalted));
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start(100, SC_US);

  REQUIRE(sr.size() == 3);
  CHECK(sr[0] == (kHalted | kSgIncld | kSgDecErr | kErrIrq));
  CHECK(sr_after_reset == (kHalted | kSgIncld));
  CHECK(sr[1] == (kHalted | kSgIncld | kIntErr | kErrIrq));
  CHECK(sr[2] == (kHalted | kSgIncld | kSgIntErr | kErrIrq));
  const auto& f = soc.dma0.faults();
  REQUIRE(f.size() == 3);
  CHECK(f[0].kind == AxiDmaFault::Kind::kSgDecodeError);
  CHECK(f[0].descriptor == 0x10000040);
  CHECK_THAT(f[0].describe(),
             Catch::Contains("dma0.mm2s: decode error (SGDecErr) fetching the descriptor at 0x10000040"));
  CHECK(f[1].kind == AxiDmaFault::Kind::kSgZeroLength);
  CHECK_THAT(f[1].describe(),
             Catch::Contains("the descriptor at 0x80300040 has buffer length 0 (DMAIntErr)"));
  CHECK(f[2].kind == AxiDmaFault::Kind::kSgStale);
  CHECK_THAT(f[2].describe(), Catch::Contains("the descriptor at 0x80300000 with STATUS.Cmplt already set"));
  CHECK(soc.dma0.counters(AxiDma::kMm2s).errors == 3);
}

TEST_CASE("axi dma without include_sg reads SGIncld 0 and ignores TAILDESC", "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  Soc soc;
  write_chain(soc, {{0x80100000, 64, bd::kSof | bd::kEof}});
  std::uint32_t sr = 0;
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    sg_start(fw, 0, kBds, kBds);
    wait(5, SC_US);
    sr = fw.r(reg::kMm2sDmasr);
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();
  CHECK(sr == 0);  // running, never started
  CHECK(soc.dma0.counters(AxiDma::kMm2s).descriptors == 0);
  CHECK(bd_status(soc, 0) == 0);
}

namespace {

struct BandTimes {
  sc_time chain;  // one descriptor per even row (pitch 2 rows): scatter/gather
  sc_time same;   // the same bytes as one contiguous direct transfer (the lower bound)
  sc_time today;  // the contiguous band with the odd rows (2 rows - 1), direct
};

// A stride-2 band of `rows` rows of `row` bytes read three ways by dma0's MM2S in one simulation, each timed
// from its start write to Idle; the consumer takes a beat every `per_beat` (0: as fast as DRAM delivers).
BandTimes band_times(std::uint32_t rows, std::uint32_t row, const sc_time& per_beat) {
  Soc soc(sg_config(), 8, 64);
  std::vector<Piece> pieces;
  for (std::uint32_t r = 0; r < rows; ++r)
    pieces.push_back({0x80100000 + std::uint64_t{r} * 2 * row, row,
                      (r == 0 ? bd::kSof : 0) | (r + 1 == rows ? bd::kEof : 0)});
  write_chain(soc, pieces);
  BandTimes t;
  Process consumer("consumer", [&] {
    for (int k = 0; k < 3; ++k) read_packet(soc.x, per_beat);
  });
  Initiator cpu("cpu", [&](Initiator& i) {
    Fw fw{i};
    const auto timed = [&](const std::function<void()>& start) {
      const sc_time t0 = sc_time_stamp();
      start();
      fw.wait(reg::kMm2sDmasr, sc_time(1, SC_NS));
      fw.w(reg::kMm2sDmasr, kIocIrq);
      return sc_time_stamp() - t0;
    };
    t.chain = timed([&] { sg_start(fw, 0, kBds, kBds + 64 * (rows - 1)); });  // first: CURDESC needs halted
    t.same = timed([&] { fw.mm2s(0x80400000, rows * row); });
    t.today = timed([&] { fw.mm2s(0x80800000, (2 * rows - 1) * row); });
  });
  cpu.socket.bind(soc.bus.initiator_socket("cpu"));
  sc_start();
  return t;
}

// ResNet-50 layer2.0.downsample's band: 28 even rows of 56 x 256 bytes (8-bit), as the engine reads them.
constexpr std::uint32_t kBandRows = 28, kBandRow = 56 * 256;

}  // namespace

TEST_CASE("axi dma sg timing: every descriptor adds a fetch and a status write of DRAM time", "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  const BandTimes t = band_times(kBandRows, kBandRow, SC_ZERO_TIME);
  // DDR4-2400: 23.93 us against 21.62 us for the same bytes in one transfer, 82 ns per descriptor (a 32-byte
  // fetch and a 4-byte status write, each a DRAM round trip); still far below the 43.1 us of today's band.
  INFO("chain " << t.chain << ", same bytes direct " << t.same << ", today's band " << t.today);
  CHECK(t.chain > t.same + sc_time(40, SC_NS) * kBandRows);
  CHECK(t.chain < t.same + sc_time(200, SC_NS) * kBandRows);
  CHECK(t.chain < t.today * 0.6);
}

TEST_CASE("axi dma sg timing: at the engine's stream rate the stream FIFO hides the descriptor accesses",
          "[dma][sg]") {
  dnnvp::test::one_simulation_per_process();
  const BandTimes t = band_times(kBandRows, kBandRow, sc_time(4, SC_NS));  // 8 bytes per 250 MHz cycle
  // 200.71 us against 200.66 us: the 64-beat stream FIFO (256 ns of engine time) covers each descriptor's
  // fetch and status write, so the chain costs what its bytes cost and half of today's band (394.2 us).
  INFO("chain " << t.chain << ", same bytes direct " << t.same << ", today's band " << t.today);
  CHECK(t.chain < t.same + sc_time(5, SC_NS) * kBandRows);
  CHECK(t.chain < t.today * 0.55);
}

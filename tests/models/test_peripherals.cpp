#include <catch2/catch.hpp>

#include <sstream>

#include "dnnvp_memory_map.hpp"
#include "peripheral.h"
#include "sim_util.h"
#include "stats.h"
#include "sysctl.h"
#include "timer.h"
#include "uart.h"

using namespace sc_core;
using dnnvp::Peripheral;
using dnnvp::Register;
using dnnvp::test::Access;
using dnnvp::test::Initiator;
namespace mm = dnnvp::memory_map;

namespace {

class TestPeripheral : public Peripheral {
 public:
  TestPeripheral(const sc_module_name& name, dnnvp::Stats* stats)
      : Peripheral(name, sc_time(10, SC_NS), 2, stats) {
    cmd.on_write([this](std::uint32_t v) { commands.push_back(v); });
    count.on_read([this] { return ++reads_of_count; });
    count.on_debug_read([this] { return reads_of_count; });
  }
  Register ctrl{*this, "CTRL", 0x0, 0x5};
  Register status{*this, "STATUS", 0x4, 0xA, Register::kReadOnly};
  Register irq{*this, "IRQ", 0x8, 0x0, Register::kWriteOneToClear};
  Register cmd{*this, "CMD", 0xC, 0x0, Register::kWriteOnly};
  Register count{*this, "COUNT", 0x10, 0x0, Register::kReadOnly};
  Register done{*this, "DONE", 0x14, 0x1, Register::kReadOnly | Register::kSync};
  std::vector<std::uint32_t> commands;
  std::uint32_t reads_of_count = 0;
};

}  // namespace

TEST_CASE("register helper rejects misaligned, partial and unmapped accesses with error responses",
          "[registers]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::Stats stats;
  TestPeripheral p("p", &stats);
  std::vector<Access> r;
  std::uint32_t ctrl_value = 0;
  Initiator i("i", [&](Initiator& init) {
    unsigned char buf[8] = {};
    r.push_back(init.read32(0x0, ctrl_value));  // 0: ok
    r.push_back(init.read(0x2, buf, 4));        // 1: misaligned word
    r.push_back(init.read(0x0, buf, 1));        // 2: byte
    r.push_back(init.write(0x4, buf, 2));       // 3: halfword
    r.push_back(init.read(0x0, buf, 8));        // 4: two words (burst)
    r.push_back(init.read(0x18, buf, 4));       // 5: no register
    r.push_back(init.write32(0x4, 1));          // 6: read-only
    r.push_back(init.read(0xC, buf, 4));        // 7: write-only
    unsigned char be[4] = {0xFF, 0x00, 0xFF, 0xFF};
    r.push_back(init.access(tlm::TLM_WRITE_COMMAND, 0x0, buf, 4, SC_ZERO_TIME, be, 4));  // 8: byte enables
    r.push_back(init.access(tlm::TLM_READ_COMMAND, 0x1000, buf, 4, sc_time(1, SC_NS)));  // 9: beyond
  });
  i.socket.bind(p.socket);
  sc_start();

  REQUIRE(r.size() == 10);
  CHECK(r[0].status == tlm::TLM_OK_RESPONSE);
  CHECK(ctrl_value == 0x5);
  CHECK(r[1].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(r[2].status == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(r[3].status == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(r[4].status == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(r[5].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(r[6].status == tlm::TLM_COMMAND_ERROR_RESPONSE);
  CHECK(r[7].status == tlm::TLM_COMMAND_ERROR_RESPONSE);
  CHECK(r[8].status == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  CHECK(r[9].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  // Every access, error or not, costs the access latency: 2 cycles of 10 ns.
  CHECK(r[0].delay == sc_time(20, SC_NS));
  CHECK(r[9].delay == sc_time(21, SC_NS));
  CHECK(p.status.get() == 0xA);  // the rejected write changed nothing
  CHECK(p.ctrl.get() == 0x5);
  CHECK(stats.value("p.errors") == 9);
  CHECK(stats.value("p.reads") == 1);
}

TEST_CASE("the shared register access checks reject byte enables first, then the size, then the address",
          "[registers]") {
  unsigned char all_on[4] = {TLM_BYTE_ENABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED};
  unsigned char second_off[2] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
  struct Case {
    const char* what;
    std::uint64_t address;
    unsigned length, streaming_width;
    unsigned char* byte_enables;  // nullptr: none
    unsigned byte_enable_length;
    tlm::tlm_response_status expected;
  };
  const Case cases[] = {
      {"an aligned word", 0x10, 4, 4, nullptr, 0, tlm::TLM_OK_RESPONSE},
      {"every byte enabled", 0x10, 4, 4, all_on, 4, tlm::TLM_OK_RESPONSE},
      {"a halfword with a disabled byte", 0x10, 2, 2, second_off, 2, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE},
      {"byte enables of length 0", 0x10, 4, 4, all_on, 0, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE},
      {"a halfword", 0x10, 2, 2, all_on, 2, tlm::TLM_BURST_ERROR_RESPONSE},
      {"a streaming width of 2", 0x10, 4, 2, nullptr, 0, tlm::TLM_BURST_ERROR_RESPONSE},
      {"a misaligned halfword", 0x12, 2, 2, nullptr, 0, tlm::TLM_BURST_ERROR_RESPONSE},
      {"a misaligned word", 0x12, 4, 4, nullptr, 0, tlm::TLM_ADDRESS_ERROR_RESPONSE},
      {"the last word of the window", 0xFFC, 4, 4, nullptr, 0, tlm::TLM_OK_RESPONSE},
      {"a word beyond the window", 0x1000, 4, 4, nullptr, 0, tlm::TLM_ADDRESS_ERROR_RESPONSE},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    unsigned char data[4] = {};
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(c.address);
    t.set_data_ptr(data);
    t.set_data_length(c.length);
    t.set_streaming_width(c.streaming_width);
    t.set_byte_enable_ptr(c.byte_enables);
    t.set_byte_enable_length(c.byte_enable_length);
    CHECK(dnnvp::check_register_access(t, 0x1000) == c.expected);
  }
}

TEST_CASE("register helper applies flags and callbacks, and debug accesses have no side effects",
          "[registers]") {
  dnnvp::test::one_simulation_per_process();
  TestPeripheral p("p", nullptr);
  p.irq.set(0xF);
  std::uint32_t count1 = 0, count2 = 0, dbg_count = 0, done = 0;
  unsigned char dbg[8] = {};
  unsigned dbg_n = 0;
  sc_time done_delay, done_time;
  Initiator i("i", [&](Initiator& init) {
    init.write32(0x8, 0x5);  // W1C: clears bits 0 and 2
    init.write32(0xC, 42);   // write-only command: callback
    init.write32(0x0, 0x77);
    init.read32(0x10, count1);  // read callback with a side effect
    init.read32(0x10, count2);
    dbg_n = init.debug(tlm::TLM_READ_COMMAND, 0x0, dbg, 8);  // CTRL and STATUS, byte by byte
    init.debug(tlm::TLM_READ_COMMAND, 0x10, &dbg_count, 4);  // on_debug_read: no increment
    const std::uint32_t v = 0xDEADBEEF;
    init.debug(tlm::TLM_WRITE_COMMAND, 0xC, const_cast<std::uint32_t*>(&v), 4);  // no callback
    // A kSync register first catches up with the initiator's local time.
    const Access a = init.read32(0x14, done, sc_time(50, SC_NS));
    done_delay = a.delay;
    done_time = sc_time_stamp();
  });
  i.socket.bind(p.socket);
  sc_start();

  CHECK(p.irq.get() == 0xA);
  CHECK(p.commands == std::vector<std::uint32_t>{42});
  CHECK(p.cmd.get() == 0xDEADBEEF);  // the debug write stored the value without the callback
  CHECK(count1 == 1);
  CHECK(count2 == 2);
  CHECK(dbg_n == 8);
  CHECK(dbg[0] == 0x77);
  CHECK(dbg[4] == 0xA);
  CHECK(dbg_count == 2);
  CHECK(p.reads_of_count == 2);
  CHECK(done == 1);
  CHECK(done_time == sc_time(50, SC_NS));
  CHECK(done_delay == sc_time(20, SC_NS));
  p.reset_registers();
  CHECK(p.ctrl.get() == 0x5);
  CHECK(p.irq.get() == 0);
}

TEST_CASE("uart prints a line with its prefix and logs it", "[uart]") {
  dnnvp::test::one_simulation_per_process();
  std::ostringstream console, log, quiet_log;
  dnnvp::UartConfig config;
  config.console = &console;
  dnnvp::Stats stats;
  dnnvp::Uart uart("uart", mm::region("uart"), sc_time(10, SC_NS), log, config, &stats);
  dnnvp::UartConfig quiet = config;
  quiet.quiet = true;
  dnnvp::Uart silent("silent", mm::region("uart"), sc_time(10, SC_NS), quiet_log, quiet);
  std::uint32_t status = 0;
  tlm::tlm_response_status byte_store = tlm::TLM_OK_RESPONSE;
  std::string console_before_end;
  const auto say = [](Initiator& init, const std::string& text) {
    for (char c : text) init.write32(mm::uart::kTxData, static_cast<unsigned char>(c));
  };
  Initiator i("i", [&](Initiator& init) {
    init.read32(mm::uart::kStatus, status);
    say(init, "hello, world\r\n");
    say(init, "no newline");
    unsigned char c = 'x';
    byte_store = init.write(mm::uart::kTxData, &c, 1).status;  // firmware must use 32-bit stores
    wait(1, SC_NS);
    console_before_end = console.str();
    sc_stop();  // as the sysctl EXIT register does
  });
  Initiator j("j", [&](Initiator& init) { say(init, "quiet\n"); });
  i.socket.bind(uart.socket);
  j.socket.bind(silent.socket);
  sc_start();

  CHECK((status & mm::uart::kStatusTxReadyMask) != 0);
  CHECK(byte_store == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(console_before_end == "[uart] hello, world\n");
  // The partial line is flushed at the end of the simulation.
  CHECK(console.str() == "[uart] hello, world\n[uart] no newline\n");
  CHECK(log.str() == "hello, world\nno newline\n");
  CHECK(quiet_log.str() == "quiet\n");
  CHECK(stats.value("uart.tx_bytes") == 24);
  CHECK(stats.value("uart.lines") == 2);
}

TEST_CASE("timer counts cpu cycles including the initiator's delay offset", "[timer]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::Timer timer("timer", mm::region("timer"), sc_time(10, SC_NS));  // 100 MHz
  std::uint32_t lo = 0, hi = 0, hz = 0, lo2 = 0, hi2 = 0, dbg = 0;
  Initiator i("i", [&](Initiator& init) {
    init.read32(mm::timer::kClockHz, hz);
    wait(1, SC_US);                                             // cycle 100
    init.read32(mm::timer::kCyclesLo, lo, sc_time(35, SC_NS));  // 1035 ns: cycle 103
    init.read32(mm::timer::kCyclesHi, hi);
    init.debug(tlm::TLM_READ_COMMAND, mm::timer::kCyclesLo, &dbg, 4);
    wait(50, SC_SEC);  // 5e9 + 100 cycles: past 2^32
    init.read32(mm::timer::kCyclesLo, lo2);
    init.read32(mm::timer::kCyclesHi, hi2, sc_time(100, SC_SEC));  // still the value latched by the LO read
  });
  i.socket.bind(timer.socket);
  sc_start();

  CHECK(hz == 100000000u);
  CHECK(lo == 103);
  CHECK(hi == 0);
  CHECK(dbg == 100);  // debug reads see sc_time_stamp() and latch nothing
  const std::uint64_t expected = 5000000000ull + 100;
  CHECK(lo2 == static_cast<std::uint32_t>(expected));
  CHECK(hi2 == static_cast<std::uint32_t>(expected >> 32));
}

TEST_CASE("sysctl exit stops the simulation at the transaction time with the exit code", "[sysctl]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::Sysctl sysctl("sysctl", mm::region("sysctl"), sc_time(10, SC_NS), 0x80000000u, 512u << 20);
  std::uint32_t id = 0, base = 0, size = 0, scratch = 0;
  bool ran_past_exit = false;
  Initiator i("i", [&](Initiator& init) {
    init.read32(mm::sysctl::kId, id);
    init.read32(mm::sysctl::kDramBase, base);
    init.read32(mm::sysctl::kDramSize, size);
    init.write32(mm::sysctl::kScratch, 0x1234);
    init.read32(mm::sysctl::kScratch, scratch);
    wait(100, SC_NS);
    init.write32(mm::sysctl::kExit, 3, sc_time(40, SC_NS));  // at 140 ns
    init.write32(mm::sysctl::kExit, 5, sc_time(60, SC_NS));  // ignored: the first exit wins
    wait(1, SC_US);
    ran_past_exit = true;
  });
  i.socket.bind(sysctl.socket);
  sc_start();

  CHECK(id == 0x444E5650u);
  CHECK(base == 0x80000000u);
  CHECK(size == (512u << 20));
  CHECK(scratch == 0x1234);
  REQUIRE(sysctl.exit_requested());
  CHECK(*sysctl.exit_code() == 3);
  CHECK(sysctl.exit_time() == sc_time(140, SC_NS));
  CHECK(sc_time_stamp() == sc_time(140, SC_NS));
  CHECK_FALSE(ran_past_exit);
  CHECK(sc_get_status() == SC_STOPPED);
}

TEST_CASE("peripheral register maps are the ones in memory_map.yaml", "[registers]") {
  dnnvp::test::one_simulation_per_process();
  std::ostringstream log;
  dnnvp::UartConfig quiet;
  quiet.quiet = true;
  dnnvp::Uart uart("uart", mm::region("uart"), sc_time(10, SC_NS), log, quiet);
  dnnvp::Timer timer("timer", mm::region("timer"), sc_time(10, SC_NS));
  dnnvp::Sysctl sysctl("sysctl", mm::region("sysctl"), sc_time(10, SC_NS), 0x80000000u, 16u << 20);
  const std::vector<std::pair<std::string, const Peripheral*>> models{
      {"uart", &uart}, {"timer", &timer}, {"sysctl", &sysctl}};
  for (const auto& [region_name, model] : models) {
    INFO(region_name);
    const dnnvp::RegionInfo* region = mm::find_region(region_name);
    REQUIRE(region != nullptr);
    const auto regs = model->registers();
    REQUIRE(regs.size() == region->register_count);
    for (std::size_t k = 0; k < regs.size(); ++k) {
      const dnnvp::RegisterInfo* info = nullptr;
      for (std::size_t m = 0; m < region->register_count; ++m)
        if (region->registers[m].offset == regs[k]->offset()) info = &region->registers[m];
      REQUIRE(info != nullptr);
      CHECK(regs[k]->name() == info->name);
      CHECK((regs[k]->flags() & ~Register::kSync) == Register::flags_of(info->access));
    }
  }
}

TEST_CASE("a peripheral given a region without one of its registers names the region and the register",
          "[registers]") {
  dnnvp::test::one_simulation_per_process();
  const dnnvp::RegionInfo& uart = mm::region("uart");
  const dnnvp::RegisterInfo& tx_data = dnnvp::find_register(uart, "TX_DATA");
  const dnnvp::RegionInfo no_status{"uart", uart.base, uart.size, false, &tx_data, 1, "no STATUS"};
  const dnnvp::RegionInfo empty{"empty", 0x10000000u, 0x1000u, false, nullptr, 0, "no registers"};
  std::ostringstream log;
  CHECK_THROWS_AS(dnnvp::Uart("uart", no_status, sc_time(10, SC_NS), log), std::invalid_argument);
  CHECK_THROWS_WITH(dnnvp::Uart("uart2", no_status, sc_time(10, SC_NS), log),
                    "region 'uart' has no register 'STATUS'");
  CHECK_THROWS_WITH(dnnvp::Timer("timer", empty, sc_time(10, SC_NS)),
                    "region 'empty' has no register 'CYCLES_LO'");
  CHECK_THROWS_WITH(dnnvp::Sysctl("sysctl", empty, sc_time(10, SC_NS), 0x80000000u, 16u << 20),
                    "region 'empty' has no register 'ID'");
}

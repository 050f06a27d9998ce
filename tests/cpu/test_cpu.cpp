// The CPU model running firmware against test doubles. Every test case is one simulation (one process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "cpu_bench.h"
#include "hex.h"

using namespace sc_core;
using Catch::Matchers::Contains;
using dnnvp::cpu::FaultKind;
using dnnvp::cpu::HaltReason;
using dnnvp::cpu::RiscvCpu;

namespace {

// The same arithmetic as firmware/app/hello/main.c.
std::uint32_t mixed_arith(std::uint32_t n) {
  std::uint32_t acc = 1;
  std::int32_t s = -1000;
  for (std::uint32_t i = 1; i <= n; ++i) {
    acc = acc * 2654435761u + i;
    acc ^= acc / (i + 7u);
    acc += acc % (i * 3u + 1u);
    s = s * 3 / 2 + static_cast<std::int32_t>(acc % 17u) - 8;
    s %= 100003;
  }
  return acc ^ static_cast<std::uint32_t>(s);
}

std::uint32_t symbol(const RiscvCpu& cpu, const std::string& name) {
  REQUIRE(cpu.image() != nullptr);
  const auto a = cpu.image()->symbol(name);
  REQUIRE(a.has_value());
  return *a;
}

// Runs a firmware that must end with a fault; returns the fault.
dnnvp::cpu::CpuFault run_to_fault(cpu_test::Bench& b, const std::string& fw) {
  b.cpu.load_elf(cpu_test::firmware(fw));
  sc_start();
  INFO(b.cpu.summary());
  REQUIRE(b.cpu.halt_reason() == HaltReason::kFault);
  REQUIRE(b.cpu.fault().has_value());
  CHECK(b.cpu.exit_status() == 1);
  CHECK_FALSE(b.devices.exit_code.has_value());
  return *b.cpu.fault();
}

}  // namespace

TEST_CASE("hello prints its line and the computed value, reads the timer and exits 0", "[cpu][sim]") {
  cpu_test::Bench b;
  b.cpu.load_elf(cpu_test::firmware("hello"));
  sc_start();
  std::cout << b.devices.uart << b.cpu.summary() << "\n";

  CHECK_THAT(b.devices.uart, Contains("hello from dnn-vp firmware\n"));
  CHECK_THAT(b.devices.uart, Contains("mixed_arith(1000) = " + dnnvp::hex(mixed_arith(1000)) + "\n"));
  CHECK(b.devices.count(cpu_test::mm::timer::kBase + cpu_test::mm::timer::kCyclesLo) == 2);
  unsigned long timer_cycles = 0;
  const auto pos = b.devices.uart.find("timer: ");
  REQUIRE(pos != std::string::npos);
  std::istringstream(b.devices.uart.substr(pos + 7)) >> timer_cycles;
  CHECK(timer_cycles > 1000);  // a thousand loop iterations of several instructions each
  CHECK(timer_cycles < b.cpu.instructions());

  CHECK(b.cpu.halt_reason() == HaltReason::kExit);
  CHECK(b.cpu.exit_code() == 0);
  CHECK(b.cpu.exit_status() == 0);
  REQUIRE(b.devices.exit_code.has_value());
  CHECK(*b.devices.exit_code == 0);
  CHECK_FALSE(b.cpu.fault().has_value());
}

TEST_CASE("instructions are counted and cycles are instructions times the period (CPI 1)", "[cpu][sim]") {
  cpu_test::Bench b(sc_time(4, SC_NS), sc_time(2, SC_US));
  b.cpu.load_elf(cpu_test::firmware("hello"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  CHECK(b.cpu.instructions() > 10000);
  CHECK(b.cpu.cycles() == b.cpu.instructions());
  CHECK(b.cpu.busy_time() == sc_time(4, SC_NS) * static_cast<double>(b.cpu.instructions()));
  // Zero-latency devices: the CPU's time is exactly its instructions.
  CHECK(b.cpu.mmio_delay() == SC_ZERO_TIME);
  CHECK(b.cpu.halt_time() == b.cpu.busy_time());
  // The device saw the exit write at the CPU's time; simulation ended there.
  CHECK(b.devices.exit_time == b.cpu.halt_time());
  CHECK(sc_time_stamp() == b.cpu.halt_time());
  CHECK(b.cpu.mmio_writes() == b.devices.log.size() - b.cpu.mmio_reads());
  CHECK(b.cpu.host_mips() > 0);
}

TEST_CASE("exit code 3 from main propagates", "[cpu][sim]") {
  cpu_test::Bench b;
  b.cpu.load_elf(cpu_test::firmware("test_exit3"));
  sc_start();
  CHECK(b.devices.uart == "exiting with 3\n");
  CHECK(b.cpu.halt_reason() == HaltReason::kExit);
  CHECK(b.cpu.exit_code() == 3);
  CHECK(b.cpu.exit_status() == 3);
  REQUIRE(b.devices.exit_code.has_value());
  CHECK(*b.devices.exit_code == 3);
}

TEST_CASE("the startup code sets up .bss, constructors, TLS, errno, the heap and the stack", "[cpu][sim]") {
  cpu_test::Bench b;
  std::fill(b.dram.begin(), b.dram.end(), 0xA5);  // no help from zero-initialised memory
  b.cpu.load_elf(cpu_test::firmware("test_startup"));
  sc_start();
  INFO(b.devices.uart);
  CHECK(b.cpu.halt_reason() == HaltReason::kExit);
  CHECK(b.cpu.exit_code() == 0);
}

TEST_CASE("a store the bus rejects stops the CPU with a fault naming pc, address and size", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_fault");
  CHECK(b.devices.uart == "storing to 0x20000000\n");  // and not "not reached"
  CHECK(f.kind == FaultKind::kBusError);
  CHECK(f.pc == symbol(b.cpu, "fault_store"));
  CHECK(f.has_access);
  CHECK(f.address == 0x20000000u);
  CHECK(f.size == 4);
  CHECK(f.is_write);
  CHECK(f.response == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK_THAT(f.message(), Contains("write of 4 bytes to 0x20000000") && Contains("pc " + dnnvp::hex(f.pc)) &&
                              Contains("TLM_ADDRESS_ERROR_RESPONSE"));
  CHECK_THAT(b.cpu.summary(), Contains("fault"));
  // The CPU ended the simulation at its own time.
  CHECK(sc_time_stamp() == b.cpu.halt_time());
}

TEST_CASE("with explicit MMIO windows an access outside all of them is an unmapped fault", "[cpu][sim][fault]") {
  cpu_test::Bench b([](std::vector<std::uint8_t>& d) {
    auto c = cpu_test::default_config(d, sc_time(10, SC_NS), sc_time(1, SC_US));
    c.mmio = {{0x10000000, 0x3000}};  // UART, timer, sysctl
    return c;
  });
  const auto f = run_to_fault(b, "test_fault");
  CHECK(f.kind == FaultKind::kUnmapped);
  CHECK(f.pc == symbol(b.cpu, "fault_store"));
  CHECK(f.address == 0x20000000u);
  CHECK(f.size == 4);
  CHECK(f.is_write);
  CHECK_THAT(f.message(), Contains("unmapped access: write of 4 bytes to 0x20000000"));
}

TEST_CASE("a misaligned MMIO load faults without reaching the bus", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_misaligned");
  CHECK(f.kind == FaultKind::kMisaligned);
  CHECK(f.pc == symbol(b.cpu, "misaligned_load"));
  CHECK(f.address == 0x10000002u);
  CHECK(f.size == 4);
  CHECK_FALSE(f.is_write);
  CHECK(b.devices.log.empty());
}

TEST_CASE("a misaligned DRAM load runs by default", "[cpu][sim]") {
  cpu_test::Bench b;
  b.cpu.load_elf(cpu_test::firmware("test_misaligned_dram"));
  sc_start();
  CHECK(b.cpu.halt_reason() == HaltReason::kExit);
  CHECK(b.cpu.exit_code() == 0);  // the firmware returns the loaded word minus the expected 0x08070605
}

TEST_CASE("a misaligned DRAM load faults with strict DRAM alignment", "[cpu][sim][fault]") {
  cpu_test::Bench b([](std::vector<std::uint8_t>& d) {
    auto c = cpu_test::default_config(d, sc_time(10, SC_NS), sc_time(1, SC_US));
    c.strict_dram_alignment = true;
    return c;
  });
  const auto f = run_to_fault(b, "test_misaligned_dram");
  CHECK(f.kind == FaultKind::kMisaligned);
  CHECK(f.pc == symbol(b.cpu, "misaligned_load"));
  CHECK(f.address == symbol(b.cpu, "misaligned_word") + 1);
  CHECK(f.size == 4);
}

TEST_CASE("ebreak stops the CPU with a breakpoint fault at its pc", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_ebreak");
  CHECK(f.kind == FaultKind::kBreakpoint);
  CHECK(f.pc == symbol(b.cpu, "trap_insn"));
  CHECK_FALSE(f.has_access);
}

TEST_CASE("an illegal instruction stops the CPU with a fault naming pc and the instruction", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_illegal");
  CHECK(f.kind == FaultKind::kIllegalInstruction);
  CHECK(f.pc == symbol(b.cpu, "trap_insn"));
  CHECK_THAT(f.message(),
             Contains("illegal instruction at pc " + dnnvp::hex(f.pc)) && Contains("0xffffffff"));
}

TEST_CASE("ecall with a7 = 93 exits with a0 and the CPU ends the simulation", "[cpu][sim]") {
  cpu_test::Bench b;
  b.cpu.load_elf(cpu_test::firmware("test_ecall_exit"));
  sc_start();
  CHECK(b.cpu.halt_reason() == HaltReason::kExit);
  CHECK(b.cpu.exit_code() == 7);
  CHECK_FALSE(b.devices.exit_code.has_value());  // no sysctl write: the CPU stopped the simulation
  CHECK(sc_time_stamp() == b.cpu.halt_time());
  CHECK(sc_get_status() == SC_STOPPED);
}

TEST_CASE("any other ecall is a fault", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_ecall_other");
  CHECK(f.kind == FaultKind::kEcall);
  CHECK(f.pc == symbol(b.cpu, "trap_insn"));
  CHECK_THAT(f.message(), Contains("a7 = 64"));
}

TEST_CASE("a jump outside DRAM is a fetch fault at the target address", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_fetch");
  CHECK(f.kind == FaultKind::kFetch);
  CHECK(f.pc == 0x20000000u);
  CHECK_THAT(f.message(), Contains("last instruction executed at " + dnnvp::hex(symbol(b.cpu, "trap_insn"))));
}

TEST_CASE("running without a program is a fault", "[cpu][sim][fault]") {
  cpu_test::Bench b;
  sc_start();
  REQUIRE(b.cpu.fault().has_value());
  CHECK(b.cpu.fault()->kind == FaultKind::kNoProgram);
  CHECK(b.cpu.instructions() == 0);
}

TEST_CASE("with zero-latency devices the CPU syncs exactly at quantum boundaries", "[cpu][sim][timing]") {
  const sc_time period(10, SC_NS), quantum(1, SC_US);
  cpu_test::Bench b(period, quantum);
  b.cpu.load_elf(cpu_test::firmware("test_mmio_loop"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  std::vector<cpu_test::Devices::Access> w;
  for (const auto& a : b.devices.log)
    if (a.address == cpu_test::kScratchAddress) w.push_back(a);
  REQUIRE(w.size() == 2000);
  std::size_t steps = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    INFO("access " << i << " at " << w[i].stamp << " + " << w[i].delay_in);
    CHECK(w[i].value == i);
    CHECK(w[i].stamp.value() % quantum.value() == 0);  // simulated time only moves at quantum boundaries
    CHECK(w[i].delay_in <= quantum);  // never more than a quantum ahead (an access ends its instruction)
    if (i > 0) {
      CHECK(w[i].stamp + w[i].delay_in - (w[i - 1].stamp + w[i - 1].delay_in) == 3 * period);  // sw, addi, bne
      if (w[i].stamp != w[i - 1].stamp) {
        CHECK(w[i].stamp - w[i - 1].stamp == quantum);
        ++steps;
      }
    }
  }
  // 2000 iterations x 3 instructions x 10 ns = 60 us: about 60 quantum steps inside the loop.
  CHECK(steps >= 59);
  CHECK(steps <= 60);
  CHECK(b.cpu.quantum_syncs() >= b.cpu.halt_time() / quantum - 1);
}

TEST_CASE("MMIO accesses carry the CPU's offset and the targets' delays are kept", "[cpu][sim][timing]") {
  const sc_time period(10, SC_NS), quantum(1, SC_US), latency(25, SC_NS);
  cpu_test::Bench b(period, quantum);
  b.devices.latency = latency;
  b.cpu.load_elf(cpu_test::firmware("test_mmio_loop"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  std::vector<cpu_test::Devices::Access> w;
  for (const auto& a : b.devices.log)
    if (a.address == cpu_test::kScratchAddress) w.push_back(a);
  REQUIRE(w.size() == 2000);
  bool offsets_used = false;
  for (std::size_t i = 1; i < w.size(); ++i) {
    INFO("access " << i << " at " << w[i].stamp << " + " << w[i].delay_in);
    // Each loop iteration: three instructions plus the previous store's latency.
    CHECK(w[i].stamp + w[i].delay_in - (w[i - 1].stamp + w[i - 1].delay_in) == 3 * period + latency);
    CHECK(w[i].delay_in < quantum + latency);
    offsets_used |= w[i].delay_in > SC_ZERO_TIME;
  }
  CHECK(offsets_used);
  const auto accesses = static_cast<double>(b.devices.log.size());
  CHECK(b.cpu.mmio_delay() == latency * accesses);
  CHECK(b.cpu.halt_time() == b.cpu.busy_time() + latency * accesses);
  CHECK(sc_time_stamp() == b.cpu.halt_time());
}

TEST_CASE("a target that waits inside b_transport keeps the CPU's time consistent", "[cpu][sim][timing]") {
  const sc_time period(10, SC_NS), quantum(1, SC_US), latency(20, SC_NS);
  cpu_test::Bench b(period, quantum);
  b.devices.latency = latency;
  b.devices.sync_in_transport = true;
  b.cpu.load_elf(cpu_test::firmware("test_mmio_loop"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  std::vector<cpu_test::Devices::Access> w;
  for (const auto& a : b.devices.log)
    if (a.address == cpu_test::kScratchAddress) w.push_back(a);
  REQUIRE(w.size() == 2000);
  for (std::size_t i = 1; i < w.size(); ++i) {
    INFO("access " << i << " at " << w[i].stamp << " + " << w[i].delay_in);
    CHECK(w[i].stamp + w[i].delay_in - (w[i - 1].stamp + w[i - 1].delay_in) == 3 * period + latency);
  }
  const auto accesses = static_cast<double>(b.devices.log.size());
  CHECK(b.cpu.mmio_delay() == latency * accesses);
  CHECK(b.cpu.halt_time() == b.cpu.busy_time() + latency * accesses);
}

TEST_CASE("a device that stops the simulation inside the transport stops the CPU at once", "[cpu][sim]") {
  cpu_test::Bench b([](std::vector<std::uint8_t>& d) {
    auto c = cpu_test::default_config(d, sc_time(10, SC_NS), sc_time(1, SC_US));
    c.exit_address.reset();  // no exit snoop: the CPU must notice sc_stop()
    return c;
  });
  b.devices.stop_in_transport = true;
  b.cpu.load_elf(cpu_test::firmware("test_exit3"));
  sc_start();
  CHECK(b.cpu.halt_reason() == HaltReason::kSimulationStopped);
  REQUIRE(b.devices.exit_code.has_value());
  CHECK(*b.devices.exit_code == 3);
  // Halted right after the EXIT store: not one instruction of _exit's loop ran.
  CHECK(b.cpu.halt_time() == b.devices.exit_time);
}

TEST_CASE("without the exit snoop a device's annotated sc_stop still ends the run", "[cpu][sim]") {
  cpu_test::Bench b([](std::vector<std::uint8_t>& d) {
    auto c = cpu_test::default_config(d, sc_time(10, SC_NS), sc_time(1, SC_US));
    c.exit_address.reset();
    return c;
  });
  b.cpu.load_elf(cpu_test::firmware("test_exit3"));
  sc_start();
  CHECK(b.cpu.halt_reason() == HaltReason::kSimulationStopped);
  REQUIRE(b.devices.exit_code.has_value());
  CHECK(*b.devices.exit_code == 3);
  CHECK(sc_time_stamp() == b.devices.exit_time);  // the device stopped at the write's time
  CHECK(b.cpu.instructions() > 0);
}

namespace {

// The firmware's csr_values[] (firmware/tests/csr.c) after the run.
std::vector<std::uint32_t> csr_values(const cpu_test::Bench& b) {
  const std::uint32_t at = symbol(b.cpu, "csr_values");
  std::vector<std::uint32_t> v(10);
  std::memcpy(v.data(), &b.dram.at(at - cpu_test::kDramBase), v.size() * 4);
  return v;
}

}  // namespace

TEST_CASE("rdcycle, rdtime and rdinstret return simulated cycles and retired instructions", "[cpu][sim][csr]") {
  cpu_test::Bench b;  // zero-latency devices: cycles = instructions
  b.cpu.load_elf(cpu_test::firmware("test_csr1"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  const auto v = csr_values(b);
  // instret counts the instructions before the reading one; cycle and time are the cycle the reading
  // instruction completes in, so two instructions after an instret read, cycle reads instret + 3.
  CHECK(v[0] > 0);
  CHECK(v[0] < b.cpu.instructions());
  CHECK(v[1] == v[0] + 1);
  CHECK(v[2] == v[0] + 3);
  CHECK(v[3] == v[2] + 1);
  CHECK(v[4] == v[3] + 1);
  CHECK(v[5] == v[4] + 1);  // the timer's CYCLES_LO counts the same cycles
  CHECK(v[6] == v[5] + 1);
  CHECK(v[7] == 0);  // cycleh, timeh, instreth
  CHECK(v[8] == 0);
  CHECK(v[9] == 0);
}

TEST_CASE("cycle and time include MMIO latency and carry into cycleh and timeh", "[cpu][sim][csr]") {
  cpu_test::Bench b;
  const std::uint64_t latency_cycles = (std::uint64_t{1} << 32) + 5;
  b.devices.latency = b.cpu.clock_period() * static_cast<double>(latency_cycles);
  b.cpu.load_elf(cpu_test::firmware("test_csr1"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  const auto v = csr_values(b);
  CHECK(v[1] == v[0] + 1);
  CHECK(v[3] == v[2] + 1);
  CHECK(v[5] == v[4] + 1);
  CHECK(v[6] == static_cast<std::uint32_t>(v[5] + 1 + latency_cycles));  // the timer read's latency
  CHECK(v[7] >= 1);
  CHECK(v[8] == v[7]);
  CHECK(v[9] == 0);  // far fewer than 2^32 instructions
}

TEST_CASE("a counter write (csrw mcycle) is a fault naming the CSR and the pc", "[cpu][sim][fault][csr]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_csr2");
  CHECK(f.kind == FaultKind::kCsr);
  CHECK(f.pc == symbol(b.cpu, "trap_insn"));
  CHECK_THAT(f.message(), Contains("unsupported CSR access at pc " + dnnvp::hex(f.pc)) &&
                              Contains("write of mcycle by csrrw"));
}

TEST_CASE("a read of a CSR the ISS does not model (misa) is a fault naming it", "[cpu][sim][fault][csr]") {
  cpu_test::Bench b;
  const auto f = run_to_fault(b, "test_csr3");
  CHECK(f.kind == FaultKind::kCsr);
  CHECK(f.pc == symbol(b.cpu, "trap_insn"));
  CHECK_THAT(f.message(), Contains("read of misa by csrrs"));
}

TEST_CASE(
    "the machine trap CSRs keep what they model: mscratch all, mtvec's direct/vectored modes, mepc "
    "without bit 0, mstatus MIE/MPIE (MPP reads 3), mie MEIE, mip reads MEIP",
    "[cpu][sim][csr][irq]") {
  cpu_test::Bench b;
  b.cpu.load_elf(cpu_test::firmware("test_csr4"));
  sc_start();
  REQUIRE(b.cpu.halt_reason() == HaltReason::kExit);
  const auto v = csr_values(b);
  CHECK(v[0] == 0x12345678u);
  CHECK(v[1] == 0x80000100u);  // reserved mode 3 reads as direct
  CHECK(v[2] == 0x80000100u);
  CHECK(v[3] == 0x00001888u);
  CHECK(v[4] == 0x00000800u);
  CHECK(v[5] == 0u);                     // no interrupt input on this bench
  CHECK(b.cpu.interrupts_taken() == 0);  // MIE and MEIE set, but MEIP never rises
}

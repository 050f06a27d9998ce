// A minimal test platform for the CPU model: the CPU, a std::vector as DRAM and one TLM target standing in for
// the UART, timer and sysctl (its own tiny doubles, not the platform's models: the CPU is tested alone).
// SystemC cannot restart a simulation, so every test that calls sc_start() runs in its own process (ctest
// runs each Catch2 test case separately).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "dnnvp_memory_map.hpp"
#include "riscv_cpu.h"

namespace cpu_test {

namespace mm = dnnvp::memory_map;

#ifndef DNNVP_FIRMWARE_BIN_DIR
#error "DNNVP_FIRMWARE_BIN_DIR must name the directory of the built firmware"
#endif

inline std::string firmware(const std::string& name) { return std::string(DNNVP_FIRMWARE_BIN_DIR) + "/" + name + ".elf"; }

constexpr std::uint64_t kDramBase = mm::dram::kBase;
constexpr std::uint64_t kDramSize = 16u << 20;  // the firmware reservation: the stack sits at its top
constexpr std::uint64_t kExitAddress = mm::sysctl::kBase + mm::sysctl::kExit;
constexpr std::uint64_t kScratchAddress = mm::sysctl::kBase + mm::sysctl::kScratch;

// UART TX_DATA/STATUS, timer CYCLES_LO/HI/CLOCK_HZ, sysctl ID/EXIT/SCRATCH/DRAM_*; 32-bit accesses only;
// anything else answers TLM_ADDRESS_ERROR_RESPONSE. Adds `latency` to every access's delay.
struct Devices : sc_core::sc_module {
  struct Access {
    sc_core::sc_time stamp;     // sc_time_stamp() during b_transport
    sc_core::sc_time delay_in;  // the initiator's offset
    std::uint64_t address;
    bool write;
    std::uint32_t value;
  };

  tlm_utils::simple_target_socket<Devices> socket{"socket"};
  sc_core::sc_time period;
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;
  // false: sc_stop() at the EXIT write's annotated time from a method (as the platform's sysctl does);
  // true: sc_stop() inside b_transport.
  bool stop_in_transport = false;
  // true: wait() out the initiator's offset inside b_transport and return a zero delay (a target that
  // synchronises before answering, as polled status registers do).
  bool sync_in_transport = false;

  std::string uart;
  std::optional<std::uint32_t> exit_code;
  sc_core::sc_time exit_time;
  std::vector<Access> log;  // every access
  std::uint32_t scratch = 0;

  SC_HAS_PROCESS(Devices);
  Devices(sc_core::sc_module_name name, sc_core::sc_time clock_period) : sc_module(name), period(clock_period) {
    socket.register_b_transport(this, &Devices::b_transport);
    SC_METHOD(stop);
    sensitive << stop_event_;
    dont_initialize();
  }

  std::size_t count(std::uint64_t address) const {
    std::size_t n = 0;
    for (const Access& a : log) n += a.address == address;
    return n;
  }

 private:
  void stop() { sc_core::sc_stop(); }

  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
    const std::uint64_t a = t.get_address();
    std::uint32_t v = 0;
    if (t.get_data_length() != 4 || a % 4 || t.get_byte_enable_ptr()) {
      t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
      return;
    }
    const bool write = t.is_write();
    if (write) std::memcpy(&v, t.get_data_ptr(), 4);
    log.push_back({sc_core::sc_time_stamp(), delay, a, write, v});
    if (sync_in_transport) {
      sc_core::wait(delay);
      delay = sc_core::SC_ZERO_TIME;
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
    bool ok = true;
    std::uint32_t r = 0;
    if (a == mm::uart::kBase + mm::uart::kTxData && write) {
      uart.push_back(static_cast<char>(v & 0xFF));
    } else if (a == mm::uart::kBase + mm::uart::kStatus && !write) {
      r = 1;
    } else if (a == mm::timer::kBase + mm::timer::kCyclesLo && !write) {
      const std::uint64_t cycles = now.value() / period.value();
      hi_latch_ = static_cast<std::uint32_t>(cycles >> 32);
      r = static_cast<std::uint32_t>(cycles);
    } else if (a == mm::timer::kBase + mm::timer::kCyclesHi && !write) {
      r = hi_latch_;
    } else if (a == mm::timer::kBase + mm::timer::kClockHz && !write) {
      r = static_cast<std::uint32_t>(1.0 / period.to_seconds());
    } else if (a == mm::sysctl::kBase + mm::sysctl::kId && !write) {
      r = 0x444E5650;
    } else if (a == kExitAddress && write) {
      if (!exit_code) {
        exit_code = v;
        exit_time = now + latency;
        if (stop_in_transport)
          sc_core::sc_stop();
        else
          stop_event_.notify(exit_time - sc_core::sc_time_stamp());
      }
    } else if (a == kScratchAddress) {
      if (write) scratch = v; else r = scratch;
    } else if (a == mm::sysctl::kBase + mm::sysctl::kDramBase && !write) {
      r = static_cast<std::uint32_t>(kDramBase);
    } else if (a == mm::sysctl::kBase + mm::sysctl::kDramSize && !write) {
      r = static_cast<std::uint32_t>(kDramSize);
    } else {
      ok = false;
    }
    if (!ok) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (!write) std::memcpy(t.get_data_ptr(), &r, 4);
    delay += latency;
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  std::uint32_t hi_latch_ = 0;
  sc_core::sc_event stop_event_;
};

inline dnnvp::cpu::RiscvCpu::Config default_config(std::vector<std::uint8_t>& dram, sc_core::sc_time period,
                                                   sc_core::sc_time quantum) {
  dnnvp::cpu::RiscvCpu::Config c;
  c.clock_period = period;
  c.quantum = quantum;
  c.dram = {kDramBase, dram.data(), dram.size()};
  c.exit_address = kExitAddress;
  return c;
}

// The CPU, its DRAM and the devices, bound.
struct Bench {
  std::vector<std::uint8_t> dram;
  Devices devices;
  dnnvp::cpu::RiscvCpu cpu;

  explicit Bench(sc_core::sc_time period = sc_core::sc_time(10, sc_core::SC_NS),
                 sc_core::sc_time quantum = sc_core::sc_time(1, sc_core::SC_US))
      : Bench([&](std::vector<std::uint8_t>& d) { return default_config(d, period, quantum); }) {}

  template <typename MakeConfig, typename = decltype(std::declval<MakeConfig>()(
                                     std::declval<std::vector<std::uint8_t>&>()))>
  explicit Bench(MakeConfig make)
      : dram(kDramSize, 0),
        devices("devices", sc_core::sc_time(10, sc_core::SC_NS)),
        cpu("cpu", make(dram)) {
    devices.period = cpu.clock_period();
    cpu.socket.bind(devices.socket);
  }
};

}  // namespace cpu_test

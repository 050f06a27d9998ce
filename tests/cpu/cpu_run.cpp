// Runs one firmware on the CPU test bench and prints its UART output and the CPU's summary; the exit status
// is the CPU's. For manual runs and speed measurements (not a test):
//   cpu_run <firmware.elf> [period_ns = 10] [quantum_ns = 10000]
#include <cstdlib>
#include <iostream>

#include "cpu_bench.h"

extern "C" int sc_main(int argc, char* argv[]) {
  if (argc < 2) {
    std::cerr << "usage: cpu_run <firmware.elf> [period_ns] [quantum_ns]\n";
    return 2;
  }
  const sc_core::sc_time period(argc > 2 ? std::atof(argv[2]) : 10.0, sc_core::SC_NS);
  const sc_core::sc_time quantum(argc > 3 ? std::atof(argv[3]) : 10000.0, sc_core::SC_NS);
  try {
    cpu_test::Bench b(period, quantum);
    b.cpu.load_elf(argv[1]);
    sc_core::sc_start();
    std::cout << b.devices.uart << b.cpu.summary() << "\n"
              << "batches " << b.cpu.batches() << ", quantum syncs " << b.cpu.quantum_syncs() << ", host "
              << b.cpu.host_seconds() << " s\n";
    return b.cpu.exit_status();
  } catch (const std::exception& e) {
    std::cerr << "cpu_run: " << e.what() << "\n";
    return 1;
  }
}

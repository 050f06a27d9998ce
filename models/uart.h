// The UART: firmware's console. TX_DATA (write bits 7:0) appends a character to a line buffer; a '\n'
// (or flush(), which end_of_simulation and the destructor call) completes the line, which goes
//  - to the console (std::cout unless configured) with a prefix, unless quiet, and
//  - always to the log stream given at construction (no prefix), which is flushed per line.
// A '\r' is dropped. STATUS.TX_READY is always 1. Registers TX_DATA and STATUS: from the region given at
// construction (the platform's: memory_map.yaml, region uart).
#pragma once

#include <iostream>
#include <string>

#include "peripheral.h"

namespace dnnvp {

struct UartConfig {
  std::string prefix = "[uart] ";
  bool quiet = false;  // no console output (the log still gets every line)
  std::ostream* console = &std::cout;
  unsigned latency_cycles = 1;
};

class Uart : public Peripheral {
 public:
  // With `stats`: "<basename>.tx_bytes", ".lines" besides the Peripheral counters. Throws
  // std::invalid_argument if `region` lacks one of the registers.
  Uart(const sc_core::sc_module_name& name, const RegionInfo& region, const sc_core::sc_time& clock_period,
       std::ostream& log, const UartConfig& config = UartConfig(), Stats* stats = nullptr);
  ~Uart() override;

  void flush();  // completes a pending partial line
  std::uint64_t tx_bytes() const { return tx_bytes_; }
  std::uint64_t lines() const { return lines_; }

 protected:
  void end_of_simulation() override { flush(); }

 private:
  void put(char c);
  void emit();

  std::ostream& log_;
  UartConfig config_;
  std::string line_;
  bool pending_ = false;
  std::uint64_t tx_bytes_ = 0;
  std::uint64_t lines_ = 0;
  Register tx_data_;
  Register status_;
};

}  // namespace dnnvp

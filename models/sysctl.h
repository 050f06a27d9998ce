// System control: ID, EXIT, SCRATCH, the DRAM window, LAYER and REPORT (registers: from the region given at
// construction, the platform's: memory_map.yaml, region sysctl).
// Writing EXIT requests the end of the simulation with that exit code: sc_stop() runs at the transaction's
// time (sc_time_stamp() + the initiator's delay), from a method process, so the simulation ends exactly
// then however far ahead the writer's quantum is. The first EXIT write wins; later ones are ignored.
// The platform reads exit_code() after sc_start() returns. Debug writes to EXIT do not stop anything.
// LAYER first catches up with the writer's local time (so every DMA transfer the firmware waited for has
// been counted), then calls the layer handler with the value and the time. REPORT stores an address the
// platform reads after the run (report_address()).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "peripheral.h"

namespace dnnvp {

class Sysctl : public Peripheral {
 public:
  SC_HAS_PROCESS(Sysctl);
  // Throws std::invalid_argument for a DRAM window beyond 32 bits or if `region` lacks one of the registers.
  Sysctl(const sc_core::sc_module_name& name, const RegionInfo& region, const sc_core::sc_time& clock_period,
         std::uint64_t dram_base, std::uint64_t dram_size, unsigned latency_cycles = 1,
         Stats* stats = nullptr);

  bool exit_requested() const { return exit_code_.has_value(); }
  // The code written to EXIT (the full 32-bit value), if any.
  std::optional<std::uint32_t> exit_code() const { return exit_code_; }
  // When the simulation stops (valid once exit_requested()).
  sc_core::sc_time exit_time() const { return exit_time_; }

  // Called for every bus write to LAYER, at the writer's time (sc_time_stamp()).
  void on_layer(std::function<void(std::uint32_t value)> handler) { layer_handler_ = std::move(handler); }
  // The last address written to REPORT, if any.
  std::optional<std::uint32_t> report_address() const { return report_address_; }

 private:
  void stop();

  std::optional<std::uint32_t> exit_code_;
  sc_core::sc_time exit_time_;
  sc_core::sc_event stop_event_;
  std::function<void(std::uint32_t)> layer_handler_;
  std::optional<std::uint32_t> report_address_;
  Register id_;
  Register exit_;
  Register scratch_;
  Register dram_base_;
  Register dram_size_;
  Register layer_;
  Register report_;
};

}  // namespace dnnvp

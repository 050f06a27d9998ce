// The timer: a free-running 64-bit count of CPU clock cycles since time 0.
// CYCLES_LO returns bits 31:0 of floor(t / period) with t = sc_time_stamp() + the initiator's local time
// offset (the b_transport delay as it arrives), so a temporally decoupled CPU reads the cycle it is at,
// not the cycle of the last synchronisation; the read latches bits 63:32 into CYCLES_HI. CLOCK_HZ is the
// CPU clock frequency. Registers CYCLES_LO, CYCLES_HI and CLOCK_HZ: from the region given at construction
// (the platform's: memory_map.yaml, region timer).
#pragma once

#include "peripheral.h"

namespace dnnvp {

class Timer : public Peripheral {
 public:
  // Throws std::invalid_argument for a zero clock period or if `region` lacks one of the registers.
  Timer(const sc_core::sc_module_name& name, const RegionInfo& region,
        const sc_core::sc_time& cpu_clock_period, unsigned latency_cycles = 1, Stats* stats = nullptr);

  // The count at time t.
  std::uint64_t cycles_at(const sc_core::sc_time& t) const;

 private:
  Register cycles_lo_;
  Register cycles_hi_;
  Register clock_hz_;
};

}  // namespace dnnvp

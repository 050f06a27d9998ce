// The timer: a free-running 64-bit count of CPU clock cycles since time 0.
// CYCLES_LO returns bits 31:0 of floor(t / period) with t = sc_time_stamp() + the initiator's local time
// offset (the b_transport delay as it arrives), so a temporally decoupled CPU reads the cycle it is at,
// not the cycle of the last synchronisation; the read latches bits 63:32 into CYCLES_HI. CLOCK_HZ is the
// CPU clock frequency. Register offsets: memory_map.yaml (region timer).
#pragma once

#include "peripheral.h"

namespace dnnvp {

class Timer : public Peripheral {
 public:
  Timer(const sc_core::sc_module_name& name, const sc_core::sc_time& cpu_clock_period,
        unsigned latency_cycles = 1, Stats* stats = nullptr);

  // The count at time t.
  std::uint64_t cycles_at(const sc_core::sc_time& t) const;

 private:
  Register cycles_lo_{*this, map_register("timer", "CYCLES_LO")};
  Register cycles_hi_{*this, map_register("timer", "CYCLES_HI")};
  Register clock_hz_{*this, map_register("timer", "CLOCK_HZ")};
};

}  // namespace dnnvp

#include "timer.h"

#include <cmath>
#include <stdexcept>

namespace dnnvp {

Timer::Timer(const sc_core::sc_module_name& name, const RegionInfo& region,
             const sc_core::sc_time& cpu_clock_period, unsigned latency_cycles, Stats* stats)
    : Peripheral(name, cpu_clock_period, latency_cycles, stats),
      cycles_lo_(*this, find_register(region, "CYCLES_LO")),
      cycles_hi_(*this, find_register(region, "CYCLES_HI")),
      clock_hz_(*this, find_register(region, "CLOCK_HZ")) {
  if (cpu_clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument(std::string(this->name()) + ": zero clock period");
  const double hz = std::round(1.0 / cpu_clock_period.to_seconds());
  clock_hz_.set_reset_value(hz > 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(hz));
  cycles_lo_.on_read([this] {
    const std::uint64_t c = cycles_at(access_time());
    cycles_hi_.set(static_cast<std::uint32_t>(c >> 32));
    return static_cast<std::uint32_t>(c);
  });
  cycles_lo_.on_debug_read(
      [this] { return static_cast<std::uint32_t>(cycles_at(sc_core::sc_time_stamp())); });
}

std::uint64_t Timer::cycles_at(const sc_core::sc_time& t) const {
  return t.value() / clock_period().value();
}

}  // namespace dnnvp

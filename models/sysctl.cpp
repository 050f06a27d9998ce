#include "sysctl.h"

#include <stdexcept>

namespace dnnvp {

Sysctl::Sysctl(const sc_core::sc_module_name& name, const RegionInfo& region,
               const sc_core::sc_time& clock_period, std::uint64_t dram_base, std::uint64_t dram_size,
               unsigned latency_cycles, Stats* stats)
    : Peripheral(name, clock_period, latency_cycles, stats),
      id_(*this, find_register(region, "ID")),
      exit_(*this, find_register(region, "EXIT")),
      scratch_(*this, find_register(region, "SCRATCH")),
      dram_base_(*this, find_register(region, "DRAM_BASE")),
      dram_size_(*this, find_register(region, "DRAM_SIZE")),
      layer_(*this, find_register(region, "LAYER"), Register::kSync),
      report_(*this, find_register(region, "REPORT")) {
  if (dram_base > 0xFFFFFFFFu || dram_size > 0xFFFFFFFFu)
    throw std::invalid_argument(std::string(this->name()) + ": the DRAM window must fit 32-bit registers");
  dram_base_.set_reset_value(static_cast<std::uint32_t>(dram_base));
  dram_size_.set_reset_value(static_cast<std::uint32_t>(dram_size));
  exit_.on_write([this](std::uint32_t code) {
    if (exit_code_) return;
    exit_code_ = code;
    exit_time_ = access_time();
    stop_event_.notify(exit_time_ - sc_core::sc_time_stamp());
  });
  layer_.on_write([this](std::uint32_t value) {
    if (layer_handler_) layer_handler_(value);
  });
  report_.on_write([this](std::uint32_t address) { report_address_ = address; });
  SC_METHOD(stop);
  sensitive << stop_event_;
  dont_initialize();
}

void Sysctl::stop() {
  sc_core::sc_stop();
}

}  // namespace dnnvp

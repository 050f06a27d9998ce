#include "irq_ctrl.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "stats.h"

namespace dnnvp {

IrqCtrl::IrqCtrl(const sc_core::sc_module_name& name, const RegionInfo& region,
                 const sc_core::sc_time& clock_period, unsigned latency_cycles, Stats* stats)
    : Peripheral(name, clock_period, latency_cycles, stats),
      irq_out("irq_out"),
      pending_(*this, find_register(region, "PENDING"), Register::kSync),
      enable_(*this, find_register(region, "ENABLE"), Register::kSync),
      claim_(*this, find_register(region, "CLAIM"), Register::kSync) {
  pending_.on_read([this] { return pending(); }).on_debug_read([this] { return pending(); });
  const auto claim = [this]() -> std::uint32_t {
    const std::uint32_t active = pending() & enable_.get();
    for (unsigned line = 0; line < kLines; ++line)
      if (active & (1u << line)) return line;
    return 0xFFFFFFFFu;
  };
  claim_.on_read(claim).on_debug_read(claim);
  // irq_out has one writer, the update method.
  enable_.on_write([this](std::uint32_t) { update_event_.notify(sc_core::SC_ZERO_TIME); });
  if (stats != nullptr) {
    const std::string base = basename();
    stats->add(base + ".raises", [this]() -> nlohmann::json {
      nlohmann::json j = nlohmann::json::object();
      for (unsigned line = 0; line < kLines; ++line)
        if (raises_[line] != 0) j[std::to_string(line)] = raises_[line];
      return j;
    });
    stats->add(base + ".dropped", [this]() -> nlohmann::json { return dropped_.size(); });
  }
  SC_METHOD(update);
  sensitive << update_event_;
  dont_initialize();
}

void IrqCtrl::check_line(unsigned line) {
  if (line >= kLines)
    throw std::invalid_argument("interrupt line " + std::to_string(line) + " does not exist (0.." +
                                std::to_string(kLines - 1) + ")");
}

void IrqCtrl::connect(unsigned line, const sc_core::sc_signal_in_if<bool>& signal) {
  check_line(line);
  sc_core::sc_spawn_options options;
  options.spawn_method();
  options.set_sensitivity(&signal.value_changed_event());
  options.dont_initialize();
  sc_core::sc_spawn([this, line, &signal] { set_line(line, signal.read()); },
                    (std::string("line") + std::to_string(line)).c_str(), &options);
}

void IrqCtrl::set_line(unsigned line, bool level) {
  check_line(line);
  const std::uint32_t bit = 1u << line;
  if (level == ((levels_ & bit) != 0)) return;
  if (level) {
    levels_ |= bit;
    const std::uint64_t n = ++raises_[line];
    const auto it = std::find(drops_.begin(), drops_.end(), std::make_pair(line, n));
    if (it != drops_.end()) {
      drops_.erase(it);
      masked_ |= bit;
      dropped_.push_back({line, n, sc_core::sc_time_stamp()});
    }
  } else {
    levels_ &= ~bit;
    masked_ &= ~bit;
  }
  update_event_.notify(sc_core::SC_ZERO_TIME);
}

void IrqCtrl::drop(unsigned line, std::uint64_t nth_raise) {
  check_line(line);
  if (nth_raise == 0) throw std::invalid_argument("IrqCtrl::drop: rising edges count from 1");
  drops_.emplace_back(line, nth_raise);
}

void IrqCtrl::update() {
  irq_out.write((pending() & enable_.get()) != 0);
}

}  // namespace dnnvp

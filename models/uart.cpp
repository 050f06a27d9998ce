#include "uart.h"

#include "stats.h"

namespace dnnvp {

Uart::Uart(const sc_core::sc_module_name& name, const RegionInfo& region,
           const sc_core::sc_time& clock_period, std::ostream& log, const UartConfig& config, Stats* stats)
    : Peripheral(name, clock_period, config.latency_cycles, stats),
      log_(log),
      config_(config),
      tx_data_(*this, find_register(region, "TX_DATA")),
      status_(*this, find_register(region, "STATUS")) {
  tx_data_.on_write([this](std::uint32_t v) { put(static_cast<char>(v & 0xFF)); });
  // STATUS keeps its reset value: TX_READY, forever.
  if (stats != nullptr) {
    stats->add(std::string(basename()) + ".tx_bytes", tx_bytes_);
    stats->add(std::string(basename()) + ".lines", lines_);
  }
}

Uart::~Uart() {
  flush();
}

void Uart::put(char c) {
  ++tx_bytes_;
  if (c == '\r') return;
  if (c == '\n') {
    emit();
    return;
  }
  line_ += c;
  pending_ = true;
}

void Uart::emit() {
  ++lines_;
  if (!config_.quiet && config_.console != nullptr) *config_.console << config_.prefix << line_ << std::endl;
  log_ << line_ << std::endl;
  line_.clear();
  pending_ = false;
}

void Uart::flush() {
  if (pending_) emit();
}

}  // namespace dnnvp

#include "mock_hal.h"

#include "hex.h"

extern "C" {
#include "dnnvp_hal.h"
}

MockHal hal;

std::ostream& operator<<(std::ostream& os, const HalAccess& a) {
  return os << (a.write ? "W " : "R ") << dnnvp::hex(a.addr) << " = " << dnnvp::hex(a.value);
}

void MockHal::reset() {
  log_.clear();
  scripts_.clear();
  defaults_.clear();
  on_read = nullptr;
  on_write = nullptr;
}

void MockHal::write(std::uintptr_t addr, std::uint32_t value) {
  log_.push_back({true, addr, value});
  if (on_write) on_write(addr, value);
}

void MockHal::script(std::uintptr_t addr, std::vector<std::uint32_t> values) {
  auto& q = scripts_[addr];
  q.insert(q.end(), values.begin(), values.end());
}

std::size_t MockHal::unread(std::uintptr_t addr) const {
  auto it = scripts_.find(addr);
  return it == scripts_.end() ? 0 : it->second.size();
}

std::vector<HalAccess> MockHal::writes() const {
  std::vector<HalAccess> w;
  for (const auto& a : log_)
    if (a.write) w.push_back(a);
  return w;
}

std::size_t MockHal::reads_of(std::uintptr_t addr) const {
  std::size_t n = 0;
  for (const auto& a : log_) n += !a.write && a.addr == addr;
  return n;
}

std::uint32_t MockHal::read(std::uintptr_t addr) {
  std::uint32_t v = 0;
  if (on_read && on_read(addr, v)) {
    log_.push_back({false, addr, v});
    return v;
  }
  auto it = scripts_.find(addr);
  if (it != scripts_.end() && !it->second.empty()) {
    v = it->second.front();
    it->second.pop_front();
  } else {
    auto d = defaults_.find(addr);
    if (d != defaults_.end()) v = d->second;
  }
  log_.push_back({false, addr, v});
  return v;
}

extern "C" std::uint32_t hal_read32(std::uintptr_t addr) { return hal.read(addr); }
extern "C" void hal_write32(std::uintptr_t addr, std::uint32_t value) { hal.write(addr, value); }
// The host takes no interrupts: enabling them does nothing and a sleep returns at once (the runtime's
// next round polls again).
extern "C" void hal_irq_external(int) {}
extern "C" void hal_irq_wait() {}

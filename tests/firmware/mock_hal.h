// A fake register file behind the firmware's HAL (hal_read32 / hal_write32) for host tests: it records
// every access in order, answers reads from per-address scripts (consumed front first) and falls back
// to a per-address default value.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

struct HalAccess {
  bool write;
  std::uintptr_t addr;
  std::uint32_t value;
  bool operator==(const HalAccess& o) const { return write == o.write && addr == o.addr && value == o.value; }
};
std::ostream& operator<<(std::ostream& os, const HalAccess& a);

class MockHal {
 public:
  void reset();
  // Reads of addr return these values in order, then the default.
  void script(std::uintptr_t addr, std::vector<std::uint32_t> values);
  void set_default(std::uintptr_t addr, std::uint32_t value) { defaults_[addr] = value; }
  std::size_t unread(std::uintptr_t addr) const;  // scripted values not yet read

  const std::vector<HalAccess>& log() const { return log_; }
  std::vector<HalAccess> writes() const;
  std::size_t reads_of(std::uintptr_t addr) const;
  void clear_log() { log_.clear(); }

  std::uint32_t read(std::uintptr_t addr);
  void write(std::uintptr_t addr, std::uint32_t value);

  // Behavioural fakes: on_read may answer a read (return true and set the value) before the scripts;
  // on_write sees every write after it is logged. reset() removes them.
  std::function<bool(std::uintptr_t, std::uint32_t&)> on_read;
  std::function<void(std::uintptr_t, std::uint32_t)> on_write;

 private:
  std::vector<HalAccess> log_;
  std::map<std::uintptr_t, std::deque<std::uint32_t>> scripts_;
  std::map<std::uintptr_t, std::uint32_t> defaults_;
};

// The instance hal_read32 / hal_write32 use.
extern MockHal hal;

// Shorthand for expected sequences.
inline HalAccess W(std::uintptr_t addr, std::uint32_t value) { return {true, addr, value}; }
inline HalAccess R(std::uintptr_t addr, std::uint32_t value) { return {false, addr, value}; }

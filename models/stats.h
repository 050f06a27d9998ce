// The statistics registry: one place where every component registers its named counters, dumped once at
// the end of the simulation as one JSON object.
//
// Names are dotted paths ("dram.cpu.read_bytes"); the dump nests them ({"dram": {"cpu": {"read_bytes": N}}}).
// Counters stay cheap on the hot path: a component owns plain std::uint64_t / double members and
// registers them by reference once (the registry reads them only when it dumps), or asks the registry for
// a slot it owns (`counter()`), or registers a function evaluated at dump time for derived values.
// Registration checks the names: a name registered twice, or a name that is both a value and a group
// ("dram.cpu" and "dram.cpu.read_bytes"), throws std::invalid_argument naming both.
//
// Lifetime: registered references are read by to_json()/write(); dump while their owners are alive.
// Not thread-safe (SystemC runs one process at a time).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace dnnvp {

class Stats {
 public:
  Stats() = default;
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;

  // A counter the caller owns; read at dump time.
  void add(const std::string& name, const std::uint64_t& counter);
  void add(const std::string& name, const double& value);
  // A value computed at dump time (utilisation, a string such as a preset name, a whole sub-object).
  void add(const std::string& name, std::function<nlohmann::json()> value);
  // A counter the registry owns, zero-initialised; the reference stays valid for the registry's lifetime.
  std::uint64_t& counter(const std::string& name);

  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  std::size_t size() const { return entries_.size(); }

  // The current value of one registered name (as it would be dumped); throws std::out_of_range if absent.
  nlohmann::json value(const std::string& name) const;
  // Every registered name, nested by its dots.
  nlohmann::json to_json() const;
  // to_json() pretty-printed with a trailing newline; write(path) throws std::runtime_error if it cannot.
  void write(std::ostream& os, int indent = 2) const;
  void write(const std::string& path, int indent = 2) const;

  // Checks a name: non-empty segments of [A-Za-z0-9_-] separated by single dots. Throws
  // std::invalid_argument.
  static void check_name(const std::string& name);

 private:
  struct Entry {
    const std::uint64_t* u64 = nullptr;
    const double* f64 = nullptr;
    std::function<nlohmann::json()> fn;
  };
  void insert(const std::string& name, Entry e);
  static nlohmann::json read(const Entry& e);

  std::map<std::string, Entry> entries_;
  std::deque<std::uint64_t> owned_;  // deque: stable addresses as it grows
};

}  // namespace dnnvp

#include "log.h"

#include <iostream>
#include <map>
#include <mutex>

namespace dnnvp::log {
namespace {

// One lock for the thresholds and the sink: SystemC threads are cooperative, but vp_run's and the engine
// bridge's helper threads may write too, and a line must not interleave with another.
struct State {
  std::mutex mutex;
  Level global = Level::info;
  std::map<std::string, Level, std::less<>> components;
  std::ostream* sink = &std::cerr;
};

State& state() {
  static State s;
  return s;
}

Level threshold_locked(const State& s, const std::string& component) {
  const auto it = s.components.find(component);
  return it == s.components.end() ? s.global : it->second;
}

const char* prefix(Level level) {
  switch (level) {
    case Level::warning:
      return "warning: ";
    case Level::debug:
      return "debug: ";
    case Level::error:
    case Level::info:
      break;
  }
  return "";
}

}  // namespace

void set_threshold(Level level) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.global = level;
}

void set_threshold(const std::string& component, Level level) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.components[component] = level;
}

void clear_component_thresholds() {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.components.clear();
}

Level threshold(const std::string& component) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  return threshold_locked(s, component);
}

bool enabled(const std::string& component, Level level) {
  return level <= threshold(component);
}

void write(Level level, const std::string& component, const std::string& text) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (level > threshold_locked(s, component)) return;
  *s.sink << component << ": " << prefix(level) << text << '\n' << std::flush;
}

void write_report(Level level, const std::string& component, const std::string& report) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (level > threshold_locked(s, component)) return;
  *s.sink << report;
  if (report.empty() || report.back() != '\n') *s.sink << '\n';
  *s.sink << std::flush;
}

std::ostream& set_sink(std::ostream& sink) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  std::ostream& previous = *s.sink;
  s.sink = &sink;
  return previous;
}

}  // namespace dnnvp::log

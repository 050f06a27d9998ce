// The messages dnn-vp's C++ parts write to stderr, by component ("cpu", "bus", "vp_sim", ...) and level,
// one line each: "<component>: <text>", with "warning: " / "debug: " before the text of those levels (so
// errors and information read as the models always printed them).
//
// A message is written when its level is at or above the threshold of its component: the component's own
// (set_threshold(component, level)) or else the global one (set_threshold(level); Level::info unless
// set). vp_run and vp_sim set it from -q / -v (platform/run_options.h, apply_log_level).
#pragma once

#include <ostream>
#include <string>

namespace dnnvp::log {

// Most severe first: a threshold lets its own level and every level before it through.
enum class Level { error, warning, info, debug };

void set_threshold(Level level);
void set_threshold(const std::string& component, Level level);
// Drops every component's own threshold (back to the global one).
void clear_component_thresholds();
Level threshold(const std::string& component);
bool enabled(const std::string& component, Level level);

// Writes "<component>: [warning: |debug: ]<text>\n" to the sink (std::cerr unless set) if enabled.
void write(Level level, const std::string& component, const std::string& text);
inline void error(const std::string& component, const std::string& text) {
  write(Level::error, component, text);
}
inline void warning(const std::string& component, const std::string& text) {
  write(Level::warning, component, text);
}
inline void info(const std::string& component, const std::string& text) {
  write(Level::info, component, text);
}
inline void debug(const std::string& component, const std::string& text) {
  write(Level::debug, component, text);
}

// A multi-line report that already starts with "<component>: " (the text a run's outcome keeps, so it is
// written unchanged): written, with a final newline, if `level` is enabled for `component`.
void write_report(Level level, const std::string& component, const std::string& report);

// Where messages go (tests capture them); the stream must outlive its use. Returns the previous sink.
std::ostream& set_sink(std::ostream& sink);

}  // namespace dnnvp::log

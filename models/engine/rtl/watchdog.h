// The "rtl" engine's watchdog (docs/platform.md, "Watchdog"): counts the cycles the engine is armed (busy,
// or a register access in flight) without progress (a stream handshake, a register write, work issued to
// the PE array) and fires after the window. The clock thread judges armed and progress each cycle.
#pragma once

#include <algorithm>
#include <cstdint>

namespace dnnvp::rtl {

class ProgressWatchdog {
 public:
  // `window_cycles` 0: never fires (but still tracks the longest run). A window below `min_window`
  // counts as it. `longest` receives the longest run of armed cycles without progress.
  ProgressWatchdog(std::uint64_t window_cycles, std::uint64_t min_window, std::uint64_t& longest)
      : enabled_(window_cycles != 0), window_(std::max(window_cycles, min_window)), longest_(longest) {}

  // The clocked cycle that ended at engine cycle `cycle`. Returns true when the watchdog fires.
  bool step(std::uint64_t cycle, bool armed, bool progress) {
    if (!armed || progress || !enabled_) {
      last_progress_ = cycle;
    } else if (cycle - last_progress_ > longest_) {
      longest_ = cycle - last_progress_;
    }
    return armed && !progress && enabled_ && cycle - last_progress_ >= window_;
  }
  // Cycles skipped while the engine idled are no run without progress.
  void restart(std::uint64_t cycle) { last_progress_ = cycle; }
  std::uint64_t idle_cycles(std::uint64_t cycle) const { return cycle - last_progress_; }

 private:
  bool enabled_;
  std::uint64_t window_;
  std::uint64_t& longest_;
  std::uint64_t last_progress_ = 0;
};

}  // namespace dnnvp::rtl

// A run's settings, with their defaults written once here: the scenario's `run` section
// (generators/scenario.h), hw.json's and manifest.json's "run" (generators/manifest.h), the settings the
// simulator runs with once the command line's overrides are applied (platform/run_options.h) and the
// engine's part of them (models/engine/engine.h, EngineOptions::run). docs/platform.md, "Configuration".
#pragma once

#include <cstdint>

namespace dnnvp {

struct RunSettings {
  std::uint64_t max_cycles = 0;             // engine clock cycles; 0: unbounded (the watchdogs still apply)
  std::uint64_t watchdog_cycles = 1000000;  // engine clock cycles; 0: no watchdogs
  std::uint64_t stall_seed = 0;             // random stream stalls in the engine; 0: none
  double stall_probability = 0.25;          // of a stall per beat, when stall_seed is not 0

  // The JSON keys (hw.json's "run", report.json's "run"), for manifest.h's schema.
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("max_cycles", s.max_cycles), v("watchdog_cycles", s.watchdog_cycles), v("stall_seed", s.stall_seed),
        v("stall_probability", s.stall_probability);
  }
};

}  // namespace dnnvp

// The options of one platform run, shared by vp_run (which parses them, then hands them to the per-shape
// simulator) and vp_sim (the simulator itself). docs/platform.md, "vp_run".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

namespace dnnvp {

struct RunOptions {
  std::optional<std::uint64_t> max_cycles;       // overrides run.max_cycles (engine cycles; 0: unbounded)
  std::optional<std::uint64_t> stall_seed;       // overrides run.stall_seed (0: no stalls)
  std::optional<double> stall_probability;       // overrides run.stall_probability
  std::optional<std::uint64_t> watchdog_cycles;  // overrides run.watchdog_cycles (0: off)
  std::string trace_file;                        // FST of the engine
  std::string trace_window;                      // "A:B" engine cycles; empty: the whole run
  bool quiet = false;                            // no firmware console, no progress, summary only
  bool verbose = false;                          // progress lines and the statistics summary

  // Adds the options above to `desc`, storing into *this.
  void add_to(boost::program_options::options_description& desc);
  // Checks what parsing cannot (trace window syntax, -q with -v, probability range); throws
  // std::invalid_argument naming the option.
  void check() const;
  // The command-line arguments that reproduce these options.
  std::vector<std::string> to_args() const;
  // The window as [from, to); the whole run if empty.
  std::pair<std::uint64_t, std::uint64_t> window() const;
};

// The engine shape's cache key for a scenario's hardware object (hw.json), spelled as
// cmake/DnnvpEngineModel.cmake's dnnvp_engine_model_key() spells it: "r4c8s64a8w8acc32d1024i262144...".
std::string engine_model_key(const nlohmann::json& hardware, bool trace);

}  // namespace dnnvp

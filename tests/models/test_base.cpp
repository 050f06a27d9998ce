// models/base: hex() in every format the models and tools print, and the logger's levels, per-component
// thresholds and line format, and the threshold -q / -v ask for and the effective run settings
// (platform/run_options.h).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "hex.h"
#include "log.h"
#include "run_options.h"

using dnnvp::hex;
using dnnvp::HexCase;
namespace dlog = dnnvp::log;

TEST_CASE("hex pads to the digits asked for and never cuts a wider value", "[base][hex]") {
  CHECK(hex(0x1234) == "0x00001234");
  CHECK(hex(0) == "0x00000000");
  CHECK(hex(0x123456789ull) == "0x123456789");
  CHECK(hex(0xFFFFFFFFFFFFFFFFull) == "0xffffffffffffffff");
  CHECK(hex(0xabc, 0) == "0xabc");
  CHECK(hex(0, 0) == "0x0");
  CHECK(hex(0x305, 3) == "0x305");
  CHECK(hex(5, 3) == "0x005");
  CHECK(hex(0xab, 8, HexCase::upper) == "0x000000AB");
  CHECK(hex(0xab, 0, HexCase::upper) == "0xAB");
  CHECK(hex(1, 100) == "0x" + std::string(63, '0') + "1");  // clipped to 64 digits, no overrun
}

namespace {

// Captures the log and restores the sink and thresholds a test changed.
struct CapturedLog {
  std::ostringstream text;
  std::ostream& previous;
  CapturedLog() : previous(dlog::set_sink(text)) {}
  ~CapturedLog() {
    dlog::set_sink(previous);
    dlog::set_threshold(dlog::Level::info);
    dlog::clear_component_thresholds();
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
};

}  // namespace

TEST_CASE("log writes errors and information as 'component: text', warnings and debug with their level",
          "[base][log]") {
  CapturedLog out;
  dlog::set_threshold(dlog::Level::debug);
  dlog::error("cpu", "store access fault at pc 0x80000010");
  dlog::warning("vp_sim", "--trace-window 1000:5000 captured no engine layer");
  dlog::info("bus", "mapped");
  dlog::debug("dma0", "reset");
  CHECK(out.text.str() ==
        "cpu: store access fault at pc 0x80000010\n"
        "vp_sim: warning: --trace-window 1000:5000 captured no engine layer\n"
        "bus: mapped\n"
        "dma0: debug: reset\n");
}

TEST_CASE("log lets through the levels at or above the threshold, information by default", "[base][log]") {
  CapturedLog out;
  CHECK(dlog::threshold("cpu") == dlog::Level::info);
  dlog::debug("cpu", "hidden");
  dlog::info("cpu", "shown");
  dlog::set_threshold(dlog::Level::warning);
  dlog::info("cpu", "hidden");
  dlog::warning("cpu", "shown");
  dlog::set_threshold(dlog::Level::error);
  dlog::warning("cpu", "hidden");
  dlog::error("cpu", "shown");
  CHECK(out.text.str() == "cpu: shown\ncpu: warning: shown\ncpu: shown\n");
  CHECK_FALSE(dlog::enabled("cpu", dlog::Level::warning));
  CHECK(dlog::enabled("cpu", dlog::Level::error));
}

TEST_CASE("a component's own threshold overrides the global one, for that component only", "[base][log]") {
  CapturedLog out;
  dlog::set_threshold(dlog::Level::error);
  dlog::set_threshold("dma0", dlog::Level::debug);
  dlog::debug("dma0", "shown");
  dlog::debug("dma1", "hidden");
  dlog::warning("cpu", "hidden");
  CHECK(dlog::threshold("dma0") == dlog::Level::debug);
  CHECK(dlog::threshold("dma1") == dlog::Level::error);
  dlog::set_threshold("cpu", dlog::Level::error);
  dlog::set_threshold(dlog::Level::debug);
  dlog::info("cpu", "hidden");  // its own threshold still holds
  dlog::info("bus", "shown");
  dlog::clear_component_thresholds();
  dlog::info("cpu", "shown again");
  CHECK(out.text.str() == "dma0: debug: shown\nbus: shown\ncpu: shown again\n");
}

TEST_CASE("the log threshold of a run: errors and warnings with -q, debug too with -v, else information",
          "[base][log]") {
  CapturedLog out;
  dnnvp::RunOptions options;
  dnnvp::apply_log_level(options);
  CHECK(dlog::threshold("vp_sim") == dlog::Level::info);
  options.quiet = true;
  dnnvp::apply_log_level(options);
  CHECK(dlog::threshold("vp_sim") == dlog::Level::warning);
  options.quiet = false;
  options.verbose = true;
  dnnvp::apply_log_level(options);
  CHECK(dlog::threshold("vp_sim") == dlog::Level::debug);
}

TEST_CASE("the effective run settings are the scenario's with the given options applied and named",
          "[base][run]") {
  dnnvp::RunSettings scenario;
  scenario.max_cycles = 5000;
  scenario.stall_seed = 9;
  dnnvp::RunOptions options;
  dnnvp::EffectiveSettings s = dnnvp::effective_settings(scenario, options);
  CHECK(s.run.max_cycles == 5000);
  CHECK(s.run.watchdog_cycles == dnnvp::RunSettings{}.watchdog_cycles);
  CHECK(s.run.stall_seed == 9);
  CHECK(s.run.stall_probability == dnnvp::RunSettings{}.stall_probability);
  CHECK(s.overridden.empty());

  options.watchdog_cycles = 0;
  options.stall_probability = 0.5;
  s = dnnvp::effective_settings(scenario, options);
  CHECK(s.run.max_cycles == 5000);
  CHECK(s.run.watchdog_cycles == 0);
  CHECK(s.run.stall_seed == 9);
  CHECK(s.run.stall_probability == 0.5);
  CHECK(s.overridden == std::vector<std::string>{"watchdog_cycles", "stall_probability"});
  // report.json's "run": the settings under their keys, what was overridden and the trace (none here).
  CHECK(dnnvp::settings_json(s, options) ==
        nlohmann::json{{"max_cycles", 5000},
                       {"watchdog_cycles", 0},
                       {"stall_seed", 9},
                       {"stall_probability", 0.5},
                       {"overridden", {"watchdog_cycles", "stall_probability"}},
                       {"trace", nullptr}});
}

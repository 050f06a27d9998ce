#include "run_options.h"

#include <cstdio>
#include <limits>
#include <stdexcept>

namespace po = boost::program_options;

namespace dnnvp {
namespace {

// Boost's optional<T> support needs boost::optional; keep std::optional in the struct.
template <typename T>
po::typed_value<T>* into_optional(std::optional<T>& slot) {
  return po::value<T>()->notifier([&slot](const T& v) { slot = v; });
}

std::uint64_t parse_cycle(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("--trace-window: " + what + " '" + text + "' is not a cycle number");
  return std::stoull(text);
}

}  // namespace

void RunOptions::add_to(po::options_description& desc) {
  desc.add_options()  //
      ("max-cycles", into_optional(max_cycles),
       "stop after N engine cycles (overrides run.max_cycles; 0: no limit)")(
          "stall-seed", into_optional(stall_seed),
          "random valid/ready stalls on every engine stream from seed S (0: off)")(
          "stall-probability", into_optional(stall_probability),
          "probability of a stall per beat (run.stall_probability)")(
          "watchdog-cycles", into_optional(watchdog_cycles),
          "engine cycles without progress before the watchdog stops the run (0: off)")(
          "trace", po::value<std::string>(&trace_file), "write an FST waveform of the engine to FILE")(
          "trace-window", po::value<std::string>(&trace_window),
          "trace only engine cycles A:B (A inclusive, B exclusive)")(
          ",q", po::bool_switch(&quiet), "quiet: no firmware console output, no progress; the summary only")(
          ",v", po::bool_switch(&verbose), "verbose: progress lines every few seconds and the statistics");
}

void RunOptions::check() const {
  if (quiet && verbose) throw std::invalid_argument("-q and -v exclude each other");
  if (stall_probability && !(*stall_probability >= 0.0 && *stall_probability < 1.0))
    throw std::invalid_argument("--stall-probability must be in [0, 1)");
  if (!trace_window.empty() && trace_file.empty())
    throw std::invalid_argument("--trace-window needs --trace FILE");
  window();
}

std::pair<std::uint64_t, std::uint64_t> RunOptions::window() const {
  if (trace_window.empty()) return {0, std::numeric_limits<std::uint64_t>::max()};
  const std::size_t colon = trace_window.find(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("--trace-window: expected A:B, got '" + trace_window + "'");
  const std::uint64_t a = parse_cycle(trace_window.substr(0, colon), "start");
  const std::uint64_t b = parse_cycle(trace_window.substr(colon + 1), "end");
  if (b <= a)
    throw std::invalid_argument("--trace-window: the end must be after the start, got '" + trace_window +
                                "'");
  return {a, b};
}

std::vector<std::string> RunOptions::to_args() const {
  std::vector<std::string> a;
  if (max_cycles) a.insert(a.end(), {"--max-cycles", std::to_string(*max_cycles)});
  if (stall_seed) a.insert(a.end(), {"--stall-seed", std::to_string(*stall_seed)});
  if (stall_probability) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *stall_probability);
    a.insert(a.end(), {"--stall-probability", buf});
  }
  if (watchdog_cycles) a.insert(a.end(), {"--watchdog-cycles", std::to_string(*watchdog_cycles)});
  if (!trace_file.empty()) a.insert(a.end(), {"--trace", trace_file});
  if (!trace_window.empty()) a.insert(a.end(), {"--trace-window", trace_window});
  if (quiet) a.push_back("-q");
  if (verbose) a.push_back("-v");
  return a;
}

std::string engine_model_key(const nlohmann::json& hw, bool trace) {
  auto v = [&hw](const char* key) { return std::to_string(hw.at(key).get<long long>()); };
  return "r" + v("rows") + "c" + v("cols") + "s" + v("stream_bits") + "a" + v("activation_bits") + "w" +
         v("weight_bits") + "acc" + v("accumulator_bits") + "d" + v("accumulator_depth") + "i" +
         v("input_buffer_bytes") + "wb" + v("weight_buffer_bytes") + "o" + v("output_buffer_bytes") +
         (trace ? "-trace" : "");
}

}  // namespace dnnvp

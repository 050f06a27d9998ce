// Runs Conv/Dense layers of a scenario through the engine bridge (the test bench of test_engine_bridge)
// and prints per-layer results, the bridge summary and the engine cycles per wall-second.
//
//   engine_bridge_run SCENARIO [--engine rtl|fast] [--layer NAME]... [--stall-seed N] [--stall-probability P]
//                     [--max-batch N] [--starved-batch N] [--channel-beats N]
//                     [--producer-ns T] [--consumer-ns T] [--cpu-ns T] [--watchdog N] [--trace FILE
//                     --trace-window A:B]
//                     [--stats]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bridge_bench.h"

int sc_main(int argc, char** argv) {
  bridge_test::BenchOptions o;
  o.print = true;
  bool stats = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
        return argv[++i];
      };
      if (a == "--engine")
        o.engine = next();
      else if (a == "--layer")
        o.layers.push_back(next());
      else if (a == "--stall-seed")
        o.stall_seed = std::stoull(next());
      else if (a == "--stall-probability")
        o.stall_probability = std::stod(next());
      else if (a == "--max-batch")
        o.max_batch_cycles = std::stoull(next());
      else if (a == "--starved-batch")
        o.starved_batch_cycles = std::stoull(next());
      else if (a == "--channel-beats")
        o.x_capacity = o.w_capacity = o.y_capacity = std::stoull(next());
      else if (a == "--producer-ns")
        o.producer_beat_time = sc_core::sc_time(std::stod(next()), sc_core::SC_NS);
      else if (a == "--consumer-ns")
        o.consumer_beat_time = sc_core::sc_time(std::stod(next()), sc_core::SC_NS);
      else if (a == "--cpu-ns")
        o.cpu_access_time = sc_core::sc_time(std::stod(next()), sc_core::SC_NS);
      else if (a == "--watchdog")
        o.watchdog_cycles = std::stoull(next());
      else if (a == "--trace")
        o.trace_file = next();
      else if (a == "--trace-window") {
        const std::string w = next();
        const auto colon = w.find(':');
        if (colon == std::string::npos) throw std::invalid_argument("--trace-window takes A:B");
        o.trace_from = std::stoull(w.substr(0, colon));
        o.trace_to = std::stoull(w.substr(colon + 1));
      } else if (a == "--stats")
        stats = true;
      else if (o.scenario.empty())
        o.scenario = a;
      else
        throw std::invalid_argument("unexpected argument " + a);
    }
    if (o.scenario.empty()) throw std::invalid_argument("usage: engine_bridge_run SCENARIO [options]");
    const bridge_test::BenchResult r = bridge_test::run_bench(o);
    for (const std::string& e : r.errors) std::fprintf(stderr, "error: %s\n", e.c_str());
    if (r.watchdog) std::fprintf(stderr, "%s", r.watchdog_text.c_str());
    std::printf("%s\n", r.summary.c_str());
    const double sim_seconds = static_cast<double>(r.numbers.sim_time_ps) * 1e-12;
    std::printf(
        "%llu engine cycles (%llu clocked, %llu busy), simulated %.3f us; simulation wall %.3f s, eval %.3f "
        "s: "
        "%.0f clocked cycles per wall-second, %.0f per eval-second; %zu mismatches\n",
        static_cast<unsigned long long>(r.numbers.engine_cycles),
        static_cast<unsigned long long>(r.numbers.clocked), static_cast<unsigned long long>(r.numbers.busy),
        sim_seconds * 1e6, r.sim_wall_seconds, r.eval_seconds, r.numbers.clocked / r.sim_wall_seconds,
        r.eval_seconds > 0 ? r.numbers.clocked / r.eval_seconds : 0.0,
        static_cast<std::size_t>(r.numbers.mismatches));
    if (stats) std::printf("%s\n", r.stats_json.c_str());
    return (r.errors.empty() && r.numbers.mismatches == 0 && r.finished) ? r.exit_status : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_bridge_run: error: %s\n", e.what());
    return 1;
  }
}

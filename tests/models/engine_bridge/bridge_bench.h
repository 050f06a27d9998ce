// A SystemC test bench around the "rtl" engine: a CPU thread that programs the engine with the
// firmware's own driver (firmware/drivers/dnn_engine.c, its HAL implemented as b_transport calls through
// the platform bus), producer threads that feed input bands and weight blobs into the x / w channels as
// the DMAs would, and a consumer thread that collects the output packets from y. Runs Conv/Dense layers
// of a scenario and compares every output element with the golden model.
//
// One simulation per process: run_bench() elaborates and runs sc_start() once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "engine/engine.h"

namespace bridge_test {

struct BenchOptions {
  std::string scenario;             // YAML path; hardware must match engine_kind(engine).shape()
  std::string engine = "rtl";       // the engine_names() entry to run ("fast": any shape)
  std::vector<std::string> layers;  // engine layers to run, in order; empty: every Conv/Dense layer
  std::uint64_t stall_seed = 0;
  double stall_probability = 0.25;
  std::uint64_t watchdog_cycles = 200000;
  std::uint64_t max_batch_cycles = 0;                             // 0: bridge default
  std::uint64_t starved_batch_cycles = 0;                         // 0: bridge default
  std::size_t x_capacity = 16, w_capacity = 16, y_capacity = 16;  // channel depths in beats
  sc_core::sc_time producer_beat_time = sc_core::SC_ZERO_TIME;    // producers wait this per beat
  sc_core::sc_time consumer_beat_time = sc_core::SC_ZERO_TIME;    // the consumer waits this per beat
  // CPU time before each register access (instructions between two accesses, e.g. a polling loop's),
  // passed as the b_transport's local time offset like the CPU model does.
  sc_core::sc_time cpu_access_time = sc_core::SC_ZERO_TIME;
  bool withhold_first_band =
      false;  // watchdog test: push only tile 0 of the first layer, never send its band
  std::string trace_file;
  std::uint64_t trace_from = 0, trace_to = ~std::uint64_t{0};
  bool enable_irq = false;  // write IRQ = 1 (tile-done interrupt enabled) after init
  bool print = false;       // per-layer lines on stdout
};

struct LayerResult {
  std::string name;
  std::size_t tiles = 0;
  std::size_t elements = 0;
  std::size_t mismatches = 0;
  std::uint64_t layer_macs = 0;
  // The engine's own counters after the layer.
  std::uint64_t cycles = 0, macs = 0, active = 0, stall_input = 0, stall_weight = 0, stall_output = 0;
};

// Plain numbers (a child process sends them through a pipe in the determinism test).
struct BenchNumbers {
  std::uint64_t sim_time_ps = 0;
  std::uint64_t engine_cycles = 0, clocked = 0, skipped = 0, busy = 0;
  std::uint64_t beats_x = 0, beats_w = 0, beats_y = 0;
  std::uint64_t stalls_x = 0, stalls_y = 0, stalls_w = 0;
  std::uint64_t counter_cycles = 0, counter_macs = 0, counter_stall_input = 0, counter_stall_output = 0;
  std::uint64_t output_hash = 0;
  std::uint64_t mismatches = 0;
  std::uint64_t watchdog = 0;
};

struct BenchResult {
  std::vector<LayerResult> layers;
  std::vector<std::string> errors;  // driver failures, error responses, short packets
  BenchNumbers numbers;
  int exit_status = 0;
  bool watchdog = false;
  std::string watchdog_text;
  std::uint32_t watchdog_status = 0;
  bool finished = false;                        // the CPU thread ran to the end
  bool irq_before = false, irq_at_end = false;  // the bridge's irq_out after init, at the end
  double wall_seconds = 0;                      // the whole run_bench (scenario, synthesis, simulation)
  double sim_wall_seconds = 0;                  // sc_start() alone
  double eval_seconds = 0;                      // the bridge clocking the model
  std::string summary;
  std::string stats_json;
  std::uint64_t y_full_cycles = 0, x_waiting = 0;
};

BenchResult run_bench(const BenchOptions& options);

// EngineOptions' defaults with the platform's engine register region: what the tests create engines with.
dnnvp::EngineOptions engine_options();

}  // namespace bridge_test

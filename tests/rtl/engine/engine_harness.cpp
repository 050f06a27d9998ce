// Whole-engine harness: runs a scenario's network layer after layer, Conv/Dense layers on the
// Verilated engine (programmed by the firmware's own engine driver through an AXI4-Lite model,
// fed by AXI-Stream models with random idle and back-pressure) and the rest with the golden
// model, and compares every output element of every engine layer with the golden model. Prints
// per-layer cycles and PE utilisation from the engine's own counters next to the plan's bound.
// An Add the plan fuses into its producer (the scenario's mapping.fuse) runs on the engine, in that
// layer's output stream (docs/engine.md "Fused residual add"): the driver programs it from the Add's row
// (dnn_engine_set_add), the other operand streams in on s_axis_r tile by tile over the output's byte
// span, and the engine's packets are the add's output, compared with the add's golden output.
//
//   engine_harness_<shape> SCENARIO [--seed N] [--idle P] [--backpressure P] [--trace F [--trace-window A:B]]
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "command_line.h"
#include "engine_bench.h"
#include "engine_blob.h"
#include "engine_plan.h"
#include "engine_table.h"
#include "error.h"
#include "pack.h"
#include "scenario.h"
#include "synthesize.h"

extern "C" {
#include "dnn_engine.h"
#include "dnnvp_hal.h"
}

namespace {

EngineBench* g_bench = nullptr;  // the HAL's bus: the driver's register accesses land here

}  // namespace

extern "C" std::uint32_t hal_read32(uintptr_t addr) {
  return g_bench->read(static_cast<std::uint32_t>(addr));
}
extern "C" void hal_write32(uintptr_t addr, std::uint32_t value) {
  g_bench->write(static_cast<std::uint32_t>(addr), value);
}

namespace {

using namespace dnnvp;
namespace po = boost::program_options;

struct Options {
  std::string scenario;
  std::uint32_t seed = 1;
  double idle = 0.2;
  double backpressure = 0.2;
  std::string trace;
  std::uint64_t trace_from = 0, trace_to = 0;
};

constexpr int kExitUsage = 2;

// A probability of a stream handshake being withheld; 1 would stall the stream for ever.
double probability(const po::variables_map& vm, const char* key) {
  const double p = vm[key].as<double>();
  if (!(p >= 0.0 && p <= 0.95)) throw po::error(std::string("--") + key + ": must be 0..0.95");
  return p;
}

// Parses the command line; nullopt when it asked for help or the version (already printed).
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  std::string window;
  long long seed = 1;
  po::options_description visible(
      "Usage: engine_harness_<shape> SCENARIO [options]\n\n"
      "Runs the scenario's Conv/Dense layers on this Verilated engine shape, driven by the firmware's\n"
      "engine driver, and compares every output element with the golden model (exit 0: all bit-exact).\n\n"
      "Options");
  visible.add_options()("seed", po::value<long long>(&seed)->default_value(1),
                        "seed of the random stream stalls (0..4294967295)")(
      "idle", po::value<double>(&o.idle)->default_value(o.idle, "0.2"),
      "probability that an input stream (x, w) withholds TVALID in a cycle (0..0.95)")(
      "backpressure", po::value<double>(&o.backpressure)->default_value(o.backpressure, "0.2"),
      "probability that the output stream withholds TREADY in a cycle (0..0.95)")(
      "trace", po::value<std::string>(&o.trace), "write an FST waveform to this file")(
      "trace-window", po::value<std::string>(&window), "A:B: trace engine cycles A to B only (with --trace)");
  po::variables_map vm;
  if (!read_command_line("engine_harness", argc, argv, visible, vm, "scenario", &o.scenario))
    return std::nullopt;
  if (o.scenario.empty()) throw po::error("need a SCENARIO (see --help)");
  if (seed < 0 || seed > 0xFFFFFFFFLL) throw po::error("--seed: must be 0..4294967295");
  o.seed = static_cast<std::uint32_t>(seed);
  o.idle = probability(vm, "idle");
  o.backpressure = probability(vm, "backpressure");
  if (!window.empty()) {
    if (o.trace.empty()) throw po::error("--trace-window needs --trace");
    const auto colon = window.find(':');
    std::size_t end_a = 0, end_b = 0;
    try {
      if (colon == std::string::npos || window[0] == '-' || window[colon + 1] == '-')
        throw std::invalid_argument("");
      o.trace_from = std::stoull(window.substr(0, colon), &end_a);
      o.trace_to = std::stoull(window.substr(colon + 1), &end_b);
    } catch (const std::exception&) {
      throw po::error("--trace-window: must be A:B (engine cycles), got '" + window + "'");
    }
    if (end_a != colon || end_b != window.size() - colon - 1 || o.trace_to <= o.trace_from)
      throw po::error("--trace-window: must be A:B with A < B, got '" + window + "'");
  }
  return o;
}

// The scenario's folds must be ones the build takes (fold_max up to its FoldMax: a FoldMax-4 engine runs
// unfolded plans too).
void require_matching_hardware(const Scenario& s) {
  const auto& h = s.hardware;
  if (h.rows != ENGINE_ROWS || h.cols != ENGINE_COLS || h.stream_bits != ENGINE_STREAM_BITS ||
      h.activation_bits != ENGINE_ACT_BITS || h.weight_bits != ENGINE_WEIGHT_BITS ||
      h.accumulator_bits != ENGINE_ACC_BITS || h.accumulator_depth != ENGINE_ACC_DEPTH ||
      h.input_buffer_kib * 1024 != ENGINE_INPUT_BUFFER_BYTES ||
      h.output_buffer_kib * 1024 != ENGINE_OUTPUT_BUFFER_BYTES || h.fold_max > ENGINE_FOLD_MAX)
    throw Error(s.file + ": hardware: this harness is built for a " + std::to_string(ENGINE_ROWS) + "x" +
                std::to_string(ENGINE_COLS) + " engine (stream " + std::to_string(ENGINE_STREAM_BITS) +
                 " bits, buffers, widths and FoldMax as in tests/rtl/engine/CMakeLists.txt); the scenario differs");
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> parsed;
  try {
    parsed = parse(argc, argv);
    if (!parsed) return 0;
  } catch (const po::error& e) {
    std::fprintf(stderr, "engine_harness: %s\n", e.what());
    return kExitUsage;
  }
  try {
    const Options& opt = *parsed;
    const Scenario s = load_scenario(opt.scenario);
    require_matching_hardware(s);
    const NetworkPlan plan = plan_network(s);
    const SynthesizedModel sm = synthesize(s);
    const QuantizedModel& m = sm.model;
    const EngineConfig config = engine_config(s.hardware, s.quant);

    const auto wall_start = std::chrono::steady_clock::now();
    EngineBench bench(opt.seed, opt.idle, opt.backpressure,
                      static_cast<std::uint64_t>(s.run.watchdog_cycles));
    if (!opt.trace.empty()) bench.trace(opt.trace, opt.trace_from, opt.trace_to);
    g_bench = &bench;
    dnn_engine_t engine;
    if (dnn_engine_init(&engine, 0) != DNN_OK) throw Error("engine ID register mismatch");

    std::vector<Tensor> outputs;  // engine results where the engine ran, golden elsewhere
    std::vector<Tensor> fused_results(m.network.layers.size());  // of the fused adds, by add index
    int failures = 0;
    std::uint64_t total_macs = 0, total_cycles = 0;
    for (size_t i = 0; i < m.network.layers.size(); ++i) {
      const Layer& l = m.network.layers[i];
      if (!fused_results[i].data.empty()) {  // an add its producer ran
        outputs.push_back(std::move(fused_results[i]));
        continue;
      }
      if (!l.has_weights()) {
        outputs.push_back(run_layer(m, i, sm.input, outputs));
        continue;
      }
      const LayerPlan& lp = *plan.layers[i];
      // With a fused add the engine's output is the add's (its type, its golden); b is its other operand.
      const int add = lp.fused_add;
      const size_t result_layer = add >= 0 ? static_cast<size_t>(add) : i;
      std::vector<std::uint8_t> packed_b;
      std::uint32_t a_slot = 0;
      if (add >= 0) {
        const Layer& a = m.network.layers[static_cast<size_t>(add)];
        a_slot = a.input_ids[0] == static_cast<int>(i) ? 0 : 1;
        const int b = a.input_ids[1 - a_slot];
        const Tensor& operand = b < 0 ? sm.input : outputs[static_cast<size_t>(b)];
        packed_b = pack(operand.data, m.quant_of(b).type.bits);
      }
      const dnnvp_layer_t entry = engine_table_entry(m, i, lp);
      const Tensor& in = l.input_ids[0] < 0 ? sm.input : outputs[static_cast<size_t>(l.input_ids[0])];
      const std::vector<std::uint8_t> packed_in = pack(in.data, entry.in_q[0].bits);
      const std::vector<std::uint8_t> blob = engine_blob(l, m.params[i], config, lp.geometry.fold);

      dnn_engine_clear(&engine);
      if (dnn_engine_set_layer(&engine, &entry) != DNN_OK) throw Error(l.name + ": driver refused the layer");
      if (add >= 0) {
        const dnnvp_layer_t add_row = layer_table_row(m, static_cast<size_t>(add), nullptr);
        dnn_engine_set_add(&engine, &add_row, a_slot);
      } else {
        dnn_engine_set_add(&engine, nullptr, 0);  // writes nothing unless the last layer had an add
      }
      std::vector<dnn_tile_t> tiles(entry.num_tiles);
      for (std::uint32_t t = 0; t < entry.num_tiles; ++t) {
        dnn_engine_plan_tile(&entry, t, &tiles[t]);
        const Tile& want = lp.tiles[t];
        if (tiles[t].p0 != want.first_pixel || tiles[t].pixels != want.pixels ||
            tiles[t].band_y0 != static_cast<std::uint32_t>(want.band_y0) ||
            tiles[t].band_rows != static_cast<std::uint32_t>(want.band_rows) ||
            tiles[t].in_offset != want.band_offset || tiles[t].in_bytes != want.band_bytes ||
            tiles[t].out_offset != want.output_offset)
          throw Error(l.name + ": driver and generator disagree on tile " + std::to_string(t));
        if (dnn_engine_push_tile(&engine, &tiles[t], 1000000) != DNN_OK)
          throw Error(l.name + ": tile " + std::to_string(t) + " not accepted (error cause 0x" +
                      std::to_string(dnn_engine_error_cause(&engine)) + ")");
        bench.send_x({packed_in.begin() + tiles[t].in_offset,
                      packed_in.begin() + tiles[t].in_offset + tiles[t].in_bytes});
        bench.send_w(blob);
        if (add >= 0)
          bench.send_r({packed_b.begin() + tiles[t].out_offset,
                        packed_b.begin() + tiles[t].out_offset + tiles[t].out_bytes});
      }
      bench.run_until_idle();
      if (dnn_engine_wait_idle(&engine, 10) != DNN_OK)
        throw Error(l.name + ": engine error, cause " + std::to_string(dnn_engine_error_cause(&engine)));
      const auto packets = bench.take_packets();
      if (packets.size() != tiles.size())
        throw Error(l.name + ": " + std::to_string(packets.size()) + " output packets for " +
                    std::to_string(tiles.size()) + " tiles");
      // Each tile's bytes land where the S2MM writes them: a 4-bit tile that starts mid-byte rewrites
      // the byte it shares with the previous tile.
      std::vector<std::uint8_t> packed_out(packed_bytes(l.output_shape.elements(), entry.out_q.bits));
      for (size_t t = 0; t < tiles.size(); ++t) {
        if (packets[t].size() < tiles[t].out_bytes ||
            tiles[t].out_offset + tiles[t].out_bytes > packed_out.size())
          throw Error(l.name + ": output packet of tile " + std::to_string(t) + " does not match the tile");
        std::copy(packets[t].begin(), packets[t].begin() + tiles[t].out_bytes,
                  packed_out.begin() + static_cast<std::ptrdiff_t>(tiles[t].out_offset));
      }
      Tensor out(l.output_shape);
      out.data = unpack(packed_out, l.output_shape.elements(), m.params[result_layer].out.type);
      const Tensor& golden = sm.outputs[result_layer];
      int mismatches = 0;
      for (size_t k = 0; k < out.data.size(); ++k)
        if (out.data[k] != golden.data[k] && mismatches++ < 5)
          std::fprintf(stderr, "%s: element %zu: engine %d, golden %d\n", l.name.c_str(), k, out.data[k],
                       golden.data[k]);

      dnn_counters_t c;
      dnn_engine_read_counters(&engine, &c);
      const double util =
          static_cast<double>(c.macs) / (static_cast<double>(ENGINE_ROWS) * ENGINE_COLS * c.cycles);
      std::printf(
          "%-22s %-6s %5zu tiles %9llu cycles %10llu MACs  utilisation %5.1f%% (plan bound %5.1f%%)  "
          "stalls in/w/out %llu/%llu/%llu  %s%s%s\n",
          l.name.c_str(), to_string(l.type), tiles.size(), static_cast<unsigned long long>(c.cycles),
          static_cast<unsigned long long>(c.macs), 100 * util, 100 * lp.utilisation_bound,
          static_cast<unsigned long long>(c.stall_input), static_cast<unsigned long long>(c.stall_weight),
          static_cast<unsigned long long>(c.stall_output), mismatches ? "MISMATCH" : "bit-exact",
          add >= 0 ? " + fused " : "", add >= 0 ? m.network.layers[static_cast<size_t>(add)].name.c_str() : "");
      if (c.macs != static_cast<std::uint64_t>(l.macs())) {
        std::fprintf(stderr, "%s: MAC counter %llu, layer has %lld MACs\n", l.name.c_str(),
                     static_cast<unsigned long long>(c.macs), static_cast<long long>(l.macs()));
        ++failures;
      }
      failures += mismatches != 0;
      total_macs += c.macs;
      total_cycles += c.cycles;
      if (add >= 0) {
        // The conv's own output never leaves the engine; only the add reads it.
        outputs.push_back(sm.outputs[i]);
        fused_results[static_cast<size_t>(add)] = std::move(out);
      } else {
        outputs.push_back(std::move(out));
      }
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::printf(
        "%s: %d engine layer failure(s); %llu cycles, utilisation %.1f%%, %llu simulated cycles in %.2f s "
        "(%.0f cycles/s)\n",
        s.name.c_str(), failures, static_cast<unsigned long long>(total_cycles),
        total_cycles ? 100.0 * total_macs / (static_cast<double>(ENGINE_ROWS) * ENGINE_COLS * total_cycles)
                     : 0.0,
        static_cast<unsigned long long>(bench.cycles()), wall, bench.cycles() / wall);
    return failures ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_harness: error: %s\n", e.what());
    return 1;
  }
}

// Whole-engine harness: runs a scenario's network layer after layer, Conv/Dense layers on the
// Verilated engine (programmed by the firmware's own engine driver through an AXI4-Lite model,
// fed by AXI-Stream models with random idle and back-pressure) and the rest with the golden
// model, and compares every output element of every engine layer with the golden model. Prints
// per-layer cycles and PE utilisation from the engine's own counters next to the plan's bound.
// An Add the plan fuses into its producer (the scenario's mapping.fuse) runs on the engine, in that
// layer's output stream (docs/engine.md "Fused residual add"): the driver programs it from the Add's row
// (dnn_engine_set_add), the other operand streams in on s_axis_r tile by tile over the output's byte
// span, and the engine's packets are the add's output, compared with the add's golden output.
// Band options (docs/engine.md "Bands"): --whole plans every band with the whole input buffer and
// pushes it with BAND.WHOLE; --block-group G runs a dense convolution of more than G output blocks
// as block-group tiles: each pixel tile once per group of G blocks (OUT_C and BLOCKS of the group,
// the group's run of the blob), the later groups with BAND.REUSE (no band sent), each group's
// output (and a fused add's operand b) gathered at pitch Cout, as the runtime's scatter/gather does.
// --planner-bands plans with the planner's own DRAM options band_whole and block_group (where its byte
// model keeps them; row_step stays off: the harness gathers no rows).
//
//   engine_harness_<shape> SCENARIO [--seed N] [--idle P] [--backpressure P] [--whole] [--block-group G]
//                                   [--planner-bands] [--trace F [--trace-window A:B]]
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "command_line.h"
#include "engine_bench.h"
#include "engine_blob.h"
#include "engine_plan.h"
#include "engine_table.h"
#include "error.h"
#include "pack.h"
#include "scenario.h"
#include "stem.h"
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
  bool whole = false;
  int block_group = 0;
  bool planner_bands = false;
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
      "whole", po::bool_switch(&o.whole),
      "plan every band with the whole input buffer and push it with BAND.WHOLE")(
      "block-group", po::value<int>(&o.block_group)->default_value(0),
      "G > 0: dense convolutions of more than G output blocks run as tiles of G blocks, the later "
      "groups of a pixel tile with BAND.REUSE")(
      "planner-bands", po::bool_switch(&o.planner_bands),
      "plan with the planner's DRAM options band_whole and block_group (where it keeps them)")(
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
  if (o.block_group < 0) throw po::error("--block-group: must be 0 (off) or a block count");
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

// The scenario's folds and depthwise rows must be ones the build takes (fold_max up to its FoldMax: a
// FoldMax-4 engine runs unfolded plans too; likewise dw_line_pixels up to its DwLinePixels).
void require_matching_hardware(const Scenario& s) {
  const auto& h = s.hardware;
  if (h.rows != ENGINE_ROWS || h.cols != ENGINE_COLS || h.stream_bits != ENGINE_STREAM_BITS ||
      h.activation_bits != ENGINE_ACT_BITS || h.weight_bits != ENGINE_WEIGHT_BITS ||
      h.accumulator_bits != ENGINE_ACC_BITS || h.accumulator_depth != ENGINE_ACC_DEPTH ||
      h.input_buffer_kib * 1024 != ENGINE_INPUT_BUFFER_BYTES ||
      h.output_buffer_kib * 1024 != ENGINE_OUTPUT_BUFFER_BYTES || h.fold_max > ENGINE_FOLD_MAX ||
      h.dw_line_pixels > ENGINE_DW_LINE_PIXELS)
    throw Error(s.file + ": hardware: this harness is built for a " + std::to_string(ENGINE_ROWS) + "x" +
                std::to_string(ENGINE_COLS) + " engine (stream " + std::to_string(ENGINE_STREAM_BITS) +
                " bits, buffers, widths, FoldMax and DwLinePixels as in tests/rtl/engine/CMakeLists.txt); "
                "the scenario differs");
}

// One push of a layer: pixel tile `tile`, output channels c0 .. c0 + out_c - 1 in `blocks` blocks.
struct Push {
  std::uint32_t tile = 0;
  int c0 = 0, out_c = 0, blocks = 0;
};

// Storage width 4 packs two values a byte: a group's per-pixel run of output (or operand) values is
// whole bytes only when it is even.
bool whole_bytes(int bits, int values) {
  return bits > 4 || values % 2 == 0;
}

// Blocks per group of the layer's block-group tiles (0: a tile covers every block): the plan's
// block_group, or --block-group for a dense convolution with more blocks than that whose every group's
// runs are whole bytes at the widths given (output, fused add's y and operand b). cv: output channels
// per block (Cols / F).
int block_group(const Options& opt, const LayerPlan& lp, const dnnvp_layer_t& entry, int cv,
                std::initializer_list<int> bits) {
  const int g = opt.block_group;
  if (g == 0) return lp.block_group;
  if (entry.engine_op != 0 || entry.group_chunks != 0 || static_cast<int>(entry.blocks) <= g) return 0;
  const int cout = static_cast<int>(entry.out_shape.c);
  const int last = cout - (static_cast<int>(entry.blocks) - 1) / g * g * cv;
  for (int b : bits)
    if (!whole_bytes(b, g * cv) || !whole_bytes(b, last)) return 0;
  return g;
}

std::vector<Push> layer_pushes(const std::vector<dnn_tile_t>& tiles, const dnnvp_layer_t& entry, int cv,
                               int group) {
  const int cout = static_cast<int>(entry.out_shape.c);
  std::vector<Push> pushes;
  for (std::uint32_t t = 0; t < tiles.size(); ++t) {
    if (group == 0) {
      pushes.push_back({t, 0, cout, static_cast<int>(entry.blocks)});
      continue;
    }
    for (int c0 = 0; c0 < cout; c0 += group * cv) {
      const int out_c = std::min(group * cv, cout - c0);
      pushes.push_back({t, c0, out_c, (out_c + cv - 1) / cv});
    }
  }
  return pushes;
}

// The values of a tile's pixels in channels c0 .. c0 + count - 1 of an HWC tensor of `channels`.
std::vector<std::int32_t> gather(const Tensor& t, int channels, const dnn_tile_t& tile, int c0, int count) {
  std::vector<std::int32_t> v;
  for (std::uint32_t p = tile.p0; p < tile.p0 + tile.pixels; ++p)
    for (int c = c0; c < c0 + count; ++c) v.push_back(t.data[static_cast<size_t>(p) * channels + c]);
  return v;
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
    // --whole: every band may fill the input buffer, twice the half a band has otherwise.
    Scenario planned = s;
    if (opt.whole) planned.hardware.input_buffer_kib *= 2;
    const NetworkPlan plan =
        plan_network(planned, opt.planner_bands ? DramOptions{false, true, true} : dram_options(planned));
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
    // BAND beyond what the driver writes (the row's band_whole): the forced options and block groups'
    // REUSE. Like the driver, only when it differs from the value last written (engine.band), so
    // without them the register traffic is the driver's alone.
    auto set_band = [&](std::uint32_t value) {
      if (value != engine.band) hal_write32(engine.base + DNNVP_ENGINE_BAND_OFFSET, value);
      engine.band = value;
    };

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
      if (!plan.layers[i]) {  // not on the engine: the CPU's golden layer
        outputs.push_back(run_layer(m, i, sm.input, outputs));
        continue;
      }
      const LayerPlan& lp = *plan.layers[i];
      // With a fused add the engine's output is the add's (its type, its golden); b is its other operand.
      // With a folded clip it is the clip's.
      const int add = lp.fused_add;
      const size_t result_layer = static_cast<size_t>(lp.output_layer(static_cast<int>(i)));
      std::vector<std::uint8_t> packed_b;
      const Tensor* operand = nullptr;
      int b_bits = 8;
      std::uint32_t a_slot = 0;
      if (add >= 0) {
        const Layer& a = m.network.layers[static_cast<size_t>(add)];
        a_slot = a.input_ids[0] == static_cast<int>(i) ? 0 : 1;
        const int b = a.input_ids[1 - a_slot];
        operand = b < 0 ? &sm.input : &outputs[static_cast<size_t>(b)];
        b_bits = m.quant_of(b).type.bits;
        packed_b = pack(operand->data, b_bits);
      }
      const dnnvp_layer_t entry = engine_table_entry(m, i, lp);
      const QuantType result_type = m.params[result_layer].out.type;
      const int cout = l.output_shape.c;
      const int cv = ENGINE_COLS / lp.geometry.fold;
      const int group = block_group(opt, lp, entry, cv, {entry.out_q.bits, result_type.bits, b_bits});
      if (opt.whole && lp.band_whole)
        throw Error(l.name + ": --whole: the plan already gives this layer whole-buffer bands (band_whole)");
      const bool whole = opt.whole || lp.band_whole;
      // The input as DRAM holds it and the layer as the engine runs it (the kx-im2col stem: stem.h).
      const Tensor& in =
          l.input_ids[0] < 0 ? engine_input(sm.input, m, plan) : outputs[static_cast<size_t>(l.input_ids[0])];
      const std::vector<std::uint8_t> packed_in = pack(in.data, entry.in_q[0].bits);
      // A pool has no blob (the weight loader takes nothing for MODE.OP != 0).
      const std::vector<std::uint8_t> blob =
          l.has_weights() ? engine_blob(lp.engine_layer(l), m.params[i], config, lp.geometry.fold)
                          : std::vector<std::uint8_t>{};

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
      }
      const std::vector<Push> pushes = layer_pushes(tiles, entry, cv, group);
      // The blob is block-major, every block the same size: a group's blocks are one run of it.
      const size_t block_bytes = blob.size() / entry.blocks;
      for (const Push& push : pushes) {
        const dnn_tile_t& tile = tiles[push.tile];
        if (group != 0) {
          hal_write32(engine.base + DNNVP_ENGINE_OUT_C_OFFSET, static_cast<std::uint32_t>(push.out_c));
          hal_write32(engine.base + DNNVP_ENGINE_BLOCKS_OFFSET, static_cast<std::uint32_t>(push.blocks));
        }
        set_band((whole ? DNNVP_ENGINE_BAND_WHOLE_MASK : 0u) |
                 (push.c0 > 0 ? DNNVP_ENGINE_BAND_REUSE_MASK : 0u));
        if (dnn_engine_push_tile(&engine, &tile, 1000000) != DNN_OK)
          throw Error(l.name + ": tile " + std::to_string(push.tile) + " (channels from " +
                      std::to_string(push.c0) + ") not accepted (error cause 0x" +
                      std::to_string(dnn_engine_error_cause(&engine)) + ")");
        if (push.c0 == 0) {  // the band's runs as the runtime's DMA moves them (a row_step band: its rows)
          std::vector<std::uint8_t> x;
          for (const ByteSpan& run : band_runs(lp.tiles[push.tile]))
            x.insert(x.end(), packed_in.begin() + static_cast<std::ptrdiff_t>(run.offset),
                     packed_in.begin() + static_cast<std::ptrdiff_t>(run.offset + run.bytes));
          bench.send_x(x);
        }
        const auto run = blob.begin() + static_cast<std::ptrdiff_t>(push.c0 / cv * block_bytes);
        if (!blob.empty()) bench.send_w({run, run + static_cast<std::ptrdiff_t>(push.blocks * block_bytes)});
        if (add >= 0 && group == 0)
          bench.send_r(
              {packed_b.begin() + tile.out_offset, packed_b.begin() + tile.out_offset + tile.out_bytes});
        else if (add >= 0)
          bench.send_r(pack(gather(*operand, cout, tile, push.c0, push.out_c), b_bits));
      }
      bench.run_until_idle();
      if (dnn_engine_wait_idle(&engine, 10) != DNN_OK)
        throw Error(l.name + ": engine error, cause " + std::to_string(dnn_engine_error_cause(&engine)));
      const auto packets = bench.take_packets();
      if (packets.size() != pushes.size())
        throw Error(l.name + ": " + std::to_string(packets.size()) + " output packets for " +
                    std::to_string(pushes.size()) + " tiles");
      Tensor out(l.output_shape);
      if (group == 0) {
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
        out.data = unpack(packed_out, l.output_shape.elements(), result_type);
      } else {
        // A group's packet holds its channels of each pixel: they land at pitch Cout.
        out.data.assign(static_cast<size_t>(l.output_shape.elements()), 0);
        for (size_t k = 0; k < pushes.size(); ++k) {
          const dnn_tile_t& tile = tiles[pushes[k].tile];
          const std::int64_t count = std::int64_t{tile.pixels} * pushes[k].out_c;
          if (packets[k].size() < packed_bytes(count, result_type.bits))
            throw Error(l.name + ": output packet " + std::to_string(k) + " is shorter than its group tile");
          const std::vector<std::int32_t> v = unpack(packets[k], count, result_type);
          for (std::int64_t j = 0; j < count; ++j)
            out.data[static_cast<size_t>((tile.p0 + j / pushes[k].out_c) * cout + pushes[k].c0 +
                                         j % pushes[k].out_c)] = v[static_cast<size_t>(j)];
        }
      }
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
          "stalls in/w/out %llu/%llu/%llu  %s%s%s%s%s\n",
          l.name.c_str(), to_string(l.type), pushes.size(), static_cast<unsigned long long>(c.cycles),
          static_cast<unsigned long long>(c.macs), 100 * util, 100 * lp.utilisation_bound,
          static_cast<unsigned long long>(c.stall_input), static_cast<unsigned long long>(c.stall_weight),
          static_cast<unsigned long long>(c.stall_output), mismatches ? "MISMATCH" : "bit-exact",
          add >= 0 ? " + fused " : "",
          add >= 0 ? m.network.layers[static_cast<size_t>(add)].name.c_str() : "",
          group ? (" (block groups of " + std::to_string(group) + ")").c_str() : "",
          whole ? " (whole bands)" : "");
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

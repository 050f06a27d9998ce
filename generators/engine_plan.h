// How the engine (docs/engine.md) runs each Conv/Dense layer: the layer's shape on the array, the size
// of its weight blob, its tiles, and the performance arithmetic (issue cycles, utilisation bound, DRAM
// traffic). vp_gen plans every layer right after reading the scenario, so hardware that cannot hold a
// layer fails before anything is synthesised.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "network.h"
#include "scenario.h"

namespace dnnvp {

// Cycles a pass takes at least, whatever its pixel count: the accumulator read-modify-write latency.
inline constexpr std::int64_t kMinPassCycles = 4;
// Bytes of one output channel's params in the weight stream: bias (int32), multiplier (int32), shift.
inline constexpr std::uint64_t kParamBytesPerChannel = 9;
// DRAM bytes of one scatter/gather descriptor the DMA walks: its 32-byte fetch (the DMA model's
// sg_bd::kFetchBytes) and the 4-byte STATUS word it writes back.
inline constexpr std::uint64_t kDescriptorBytes = 36;
// Time the DMA spends on one scatter/gather descriptor besides its buffer: the fetch and the status write,
// each a DRAM access at full latency (the DMA model prefetches no descriptor; ~165 ns a pixel measured on
// 7x96 block-group outputs). A block group's S2MM walks one a pixel, so A needs the next group's compute
// per pixel (G * passes cycles) to cover it.
inline constexpr double kDescriptorNs = 200.0;

// The DRAM options (docs/engine.md "Tiling") the planner may use for a layer; each one it uses only
// where the byte model says it pays.
struct DramOptions {
  bool row_step = false;     // B: a 1x1 stride-s conv's bands hold only the rows it reads
  bool band_whole = false;   // F: a band may fill both input-buffer halves
  bool block_group = false;  // A: tiles of a pixel range x a group of output blocks
};
// The options the firmware and RTL on main run, so the ones vp_gen plans with: each turns on once its
// runtime and engine support is on main.
inline constexpr DramOptions kDramOptionsOnMain{true, true, true};
// The options a scenario plans with: kDramOptionsOnMain, each one the scenario's mapping sets replaced
// (mapping.row_step, band_whole, block_group: a throughput shape may trade DRAM bytes for cycles).
DramOptions dram_options(const Scenario& scenario);

// The engine parameters planning depends on (params.svh) and the widths the layers use.
struct EngineConfig {
  int rows = 8;
  int cols = 16;
  int stream_bits = 64;
  int accumulator_bits = 32;
  int accumulator_depth = 256;         // AccDepth: output pixels per tile at most
  std::int64_t input_half_words = 0;   // InHalfWords = InputBufferBytes / Rows / 2
  std::int64_t output_half_words = 0;  // OutHalfWords = OutputBufferBytes / Cols / 2
  int activation_bits = 8;             // of every activation tensor (quantization.activation_bits)
  int weight_bits = 8;                 // quantization.weight_bits
  int fold_max = 1;                    // the largest Cin-fold F the core runs (hardware.fold_max)
  int dw_line_pixels = 0;              // the depthwise feed's longest padded input row (0: no feed)
  double clock_mhz = HardwareConfig{}.clock_mhz;  // the engine's clock (kDescriptorNs in its cycles)
  DramOptions options = kDramOptionsOnMain;
};

EngineConfig engine_config(const HardwareConfig& hardware, const QuantConfig& quant);

// What the engine does with a layer: MODE.OP's values (docs/engine.md, "Modes").
enum class EngineOp { Conv = 0, MaxPool = 1, AvgPool = 2, Depthwise = 3 };

// The depthwise feed's largest kernel height and width (rtl/dnn_dw_feed.sv's window).
inline constexpr int kDwMaxKernel = 3;

// A depthwise layer's padded input row Wp = (OUT_W - 1) * SW + KW: the pixels the feed streams per input
// row and holds in each line buffer.
std::int64_t dw_padded_width(const Layer& layer);

// Whether the engine runs a layer as MODE.OP 3, depthwise taps on rows (docs/engine.md "Depthwise"):
// groups == Cin == Cout, a kernel within kDwMaxKernel, Wp <= dw_line_pixels (and Wp >= 2 when kh > 1) and
// an output row within AccDepth (tiles are whole output rows). Otherwise a grouped conv runs block-diagonal
// (OP 0).
bool runs_depthwise(const Layer& layer, const EngineConfig& config);

// Issue cycles of one depthwise sweep (a block's pass) over a tile of `out_rows` output rows: the feed
// streams Rin = (out_rows - 1) * SH + KH input rows of Wp pixels, one a cycle.
std::int64_t dw_sweep_cycles(const Layer& layer, std::int64_t out_rows);

// A layer's shape on the array; independent of tiling. Cin-fold F (docs/engine.md "Cin-fold") sees the
// array as (F * Rows) x Cv, Cv = Cols / F: a pass reads F consecutive input words of a pixel, column c
// multiplies word c / Cv of them and feeds output lane c % Cv. A pool at F reads F words per tap into
// F * Rows lanes (F * Rows <= Cols); so does a depthwise layer (OP 3), whose passes are its sweeps of
// Rows kernel taps, ceil(kh * kw / Rows) per block.
struct EngineGeometry {
  EngineOp op = EngineOp::Conv;
  int fold = 1;                          // F (1: no fold, always for grouped convs)
  int chunks = 0;                        // ceil(Cin / Rows) rounded up to a multiple of F: words per pixel
  int blocks = 0;                        // ceil(Cout / Cv), a pool's or dw chunks / F: output blocks
  int group_chunks = 0;                  // grouped conv: chunks each block's passes walk (0: all, dense)
  int chunk_step = 0;                    // grouped conv: block cb's first chunk is cb * chunk_step
  int group_cols = 0;                    // grouped conv: output channels per group (0: dense)
  std::int64_t passes = 0;               // per block: kh * kw * (group_chunks, or chunks / F when dense)
  std::int64_t weight_beats = 0;         // stream beats of one pass's weight block (a pool streams none)
  std::uint64_t params_block_bytes = 0;  // one block's bias | multiplier | shift, whole beats
  std::uint64_t weight_block_bytes = 0;  // one pass's Rows x Cols weights, whole beats
  std::uint64_t blob_bytes = 0;          // blocks * (params block + passes * weight block)
};

// The input chunks block cb's passes walk, F per pass: all of them for a dense conv, the block's own
// range for a grouped one.
struct PassChunks {
  int first = 0;
  int count = 0;
};
inline PassChunks pass_chunks(const EngineGeometry& g, int block) {
  return g.group_chunks == 0 ? PassChunks{0, g.chunks} : PassChunks{block * g.chunk_step, g.group_chunks};
}

// Whether the engine can run a pool (docs/engine.md, "Pools on the engine"): Rows <= Cols, a window the
// WINDOW register holds, and for an average one count for every window (no padding) and sums the
// accumulator holds (pool_sum_bits <= AccBits - 1).
bool engine_runs_pool(const Layer& layer, const EngineConfig& config);

// The divisor of an average pool the engine runs: every window's element count.
std::uint32_t engine_pool_count(const Layer& layer);

// Output channels per block: Cv = Cols / F of a conv, F * Rows of a pool or a depthwise layer.
inline int block_lanes(const EngineGeometry& g, const EngineConfig& c) {
  return g.op == EngineOp::Conv ? c.cols / g.fold : c.rows * g.fold;
}

// Whether the engine runs the layer at Cin-fold `fold` (FOLD.F's rule): F divides Cols, and F > 1 only
// for a dense Conv/Dense, or for a pool or depthwise layer whose F * Rows lanes fit the Cols of an output
// word.
bool fold_fits(const Layer& layer, const EngineConfig& config, int fold);

// The geometry at Cin-fold `fold`. Throws dnnvp::Error naming the layer when a grouped conv's blocks do
// not each need one uniform chunk range (docs/engine.md, "Grouped convolution"), or for a fold that does
// not fit (fold_fits).
EngineGeometry engine_geometry(const Layer& layer, const EngineConfig& config, int fold = 1);

// Bytes [offset, offset + bytes) of a packed tensor.
struct ByteSpan {
  std::uint64_t offset = 0, bytes = 0;
};

// P consecutive output pixels (raster order) and the DRAM runs they read and write.
struct Tile {
  std::int64_t first_pixel = 0;     // raster index of the tile's first output pixel (TILE_P0)
  std::int64_t pixels = 0;          // TILE_P; only the last tile may be shorter than tile_pixels
  int band_y0 = 0;                  // first input row of the band (BAND_Y0)
  int band_rows = 0;                // BAND_ROWS: every input row a pixel of the tile reads, all columns
  std::uint64_t band_offset = 0;    // of the band (its first row) in the packed input tensor
  std::uint64_t band_bytes = 0;     // every byte of the band
  std::uint64_t band_pitch = 0;     // row_step: bytes between its band_rows gathered rows (0: one run)
  std::uint64_t output_offset = 0;  // of the tile's pixels in the packed output tensor
  std::uint64_t output_bytes = 0;
};

struct DramBytes {
  std::uint64_t weights = 0;      // the blob, once per tile
  std::uint64_t input = 0;        // every tile's band (halo rows are read again), a fused add's operand
  std::uint64_t output = 0;       // the output tensor, once
  std::uint64_t descriptors = 0;  // kDescriptorBytes per scatter/gather descriptor (row_step, block_group)
  std::uint64_t lower_bound = 0;  // blob, every input row a tap reads, a fused add's operand, the output
  std::uint64_t total() const { return weights + input + output + descriptors; }
};

struct LayerPlan {
  EngineGeometry geometry;
  std::int64_t tile_pixels = 0;  // P
  std::vector<Tile> tiles;
  std::int64_t issue_cycles = 0;  // including passes starved by the weight stream
  std::int64_t macs = 0;
  double utilisation_bound = 0;  // macs / (Rows * Cols * issue_cycles)
  DramBytes dram;
  int fused_add = -1;    // the Add this layer computes on its output stream, writing the Add's output
  int folded_clip = -1;  // the Clip folded into this layer's output stage, writing the Clip's output
  // DRAM options (docs/engine.md "Tiling"; the row fields of the same names): 1, 0, false are today.
  int row_step = 1;         // B: the engine sees every row_step-th input row (tiles planned on those)
  int block_group = 0;      // A: output blocks per group tile (0: every tile covers all blocks)
  bool band_whole = false;  // F: bands fill the whole input buffer
  // The layer as the engine runs it when its input is laid out for it (the kx-im2col stem, stem.h): the
  // plan, the model.h row's window and input shape and the blob are this layer's.
  std::optional<Layer> engine_view;
  const Layer& engine_layer(const Layer& self) const { return engine_view ? *engine_view : self; }
  // The layer whose output tensor this one writes: a fused add's or folded clip's, else its own.
  int output_layer(int self) const {
    return fused_add >= 0 ? fused_add : folded_clip >= 0 ? folded_clip : self;
  }
};

// Cuts a Conv/Dense layer, or a pool the engine runs, at Cin-fold `fold` into as few tiles as the buffers
// allow, as even as that count allows (docs/engine.md, "Work unit", "Tiling"), with the DRAM options of
// config.options that pay.
// `residual`: the layer computes a fused add, whose operand b it reads in its output's runs. Throws
// dnnvp::Error "hardware.FIELD: layer 'NAME' needs ..." when not even one output row fits.
LayerPlan plan_layer_folded(const Layer& layer, const EngineConfig& config, int fold, bool residual = false);

// The plan at geometry g with exactly these DRAM options (row step 1: none; block groups of the most
// blocks the output buffer holds), or nothing when no P fits them or groups would not split the blocks
// (into whole bytes of the output). plan_layer_folded chooses among these.
std::optional<LayerPlan> plan_layer_with(const Layer& layer, const EngineConfig& config,
                                         const EngineGeometry& g, int row_step, bool band_whole,
                                         bool block_group, bool residual = false);

// plan_layer_folded at the Cin-fold F the layer runs: the F in 1 .. fold_max that fits (fold_fits) whose
// plan issues the fewest cycles (ties: the smaller F).
LayerPlan plan_layer(const Layer& layer, const EngineConfig& config, bool residual = false);

// The layer as the engine sees it at row step s (option B): input rows 0, s, 2s, ... as ceil(H / s) rows
// at vertical stride 1; the layer itself at s = 1.
Layer row_step_view(const Layer& layer, int row_step);

// The DRAM runs of a tile's band, in the order the engine receives them: one run, or a row_step band's
// rows at band_pitch (each a transfer of its own).
std::vector<ByteSpan> band_runs(const Tile& tile);

// Bytes of every input row some kernel tap reads, each once: the input part of the DRAM lower bound.
std::uint64_t input_read_bytes(const Layer& layer, const EngineConfig& config);

// The tiles of a layer for a given P (which must not exceed the layer's pixel count) and row step,
// unchecked.
std::vector<Tile> cut_tiles(const Layer& layer, const EngineConfig& config, std::int64_t tile_pixels,
                            int row_step = 1);

struct NetworkPlan {
  // One per layer: Conv/Dense, and with mapping.engine_pools the pools engine_runs_pool() accepts.
  std::vector<std::optional<LayerPlan>> layers;
  std::vector<int> fused_into;  // one per layer: the engine layer that runs it (mapping.fuse), or -1
  std::int64_t issue_cycles = 0;
  std::int64_t macs = 0;              // of the engine layers
  double utilisation_bound = 0;       // over all engine layers
  double conv_utilisation_bound = 0;  // over Conv layers only (Dense at batch 1 is weight-bound)
  DramBytes dram;
};

// Plans every engine layer of the scenario and, with mapping.fuse, which adds and clips the engine layers
// run (docs/engine.md, "Fusion"), with the DRAM options `options` (none: the scenario's, dram_options()).
// Errors start with the scenario file.
NetworkPlan plan_network(const Scenario& scenario, const std::optional<DramOptions>& options = std::nullopt);

}  // namespace dnnvp

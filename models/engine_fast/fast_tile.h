// The fast engine's tiles and units: a queued tile with what its units gave it (band, params and weight
// blocks, outputs), the state of each unit between two cycles, the shape's derived sizes, and the
// arithmetic of a tile (fast_tile.cpp, with models/arith/).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "axis_channel.h"
#include "engine_fast/fast_registers.h"
#include "engine_shape.h"

namespace dnnvp::fast {

// The cycle model's constants: measured on the "rtl" engine (docs/engine_model.md, "Timing"), in engine
// cycles. The rest of the timing follows from the descriptor, the shape and the streams.
struct Timing {
  int core_setup = 25;       // dnn_core: command to first issue slot (divider and products)
  int min_pass = 4;          // issue slots of a pass at least (dnn_core's MinPass)
  int pipeline = 7;          // issue slot to its output word written; +1 when FoldMax > 1
  int core_done = 2;         // last output write to the next command's set-up
  int loader_latency = 2;    // last word written to the band complete
  int drain_latency = 3;     // drain command to its first beat offered
  int eltwise_latency = 4;   // a fused add's pipeline: last a beat to last y beat
  int queue_depth = 4;       // dnn_engine's QueueDepth (HW_DEPTHS.QUEUE_DEPTH)
};

// The shape's sizes the units use.
struct Geometry {
  int rows = 0, cols = 0, acc_bits = 32, act_bits = 8, fold_max = 1;
  std::size_t beat_bytes = 8;
  std::uint64_t in_depth = 0;    // input buffer words
  std::uint64_t fifo_beats = 0;  // weight FIFO
  Timing timing;
  explicit Geometry(const EngineShape& s);
  Geometry() = default;
};

// One params block or weight block, as the weight loader assembled it from the stream.
using Block = std::vector<std::uint8_t>;

// What a tile's core needs from its band: x = q - IN_ZP, ChunksF words of Rows values a pixel.
struct Band {
  std::vector<std::int32_t> x;
  std::uint64_t chunks_f = 0;  // words a pixel (Chunks rounded up to the fold)
};

struct Tile {
  std::uint64_t seq = 0;  // pushes since reset
  Descriptor d;
  // Loader: where the band lives (0, 1: a half; 2: the whole buffer), whether it is in.
  int storage = 0;
  bool loading = false, loaded = false;
  std::shared_ptr<const Band> band;
  // Core: the params and weight blocks it took, in order; whether it has computed the tile.
  std::vector<std::shared_ptr<const Block>> blocks;
  bool computed = false;
  // The output values the drain sends (operand a), the previous tile's last value first when the tile
  // starts mid-byte.
  std::vector<std::int32_t> out;
  bool drained = false;
};

// Chunks a pixel holds in the input buffer at fold F: ceil(Cin / Rows) rounded up to F.
std::uint64_t pixel_words(const Descriptor& d, int rows);
// Lanes of a block's output word: Cols / F for a convolution, F * Rows for a pool.
int block_lanes(const Descriptor& d, const Geometry& g);
// The pass's kernel tap and first chunk (docs/engine.md "Loop nest", "Grouped convolution").
struct PassTap {
  unsigned ky = 0, kx = 0;
  std::uint64_t chunk = 0;
};
PassTap pass_tap(const Descriptor& d, const Geometry& g, std::uint32_t block, std::uint32_t pass);
// MACS counter per issued pixel of the pass (real input channels x the output channels they feed).
std::uint64_t pass_macs(const Descriptor& d, const Geometry& g, std::uint32_t block, std::uint32_t pass);
// Bytes of a params block and of a weight block on the stream (whole beats).
std::uint64_t params_beats(const Geometry& g);
std::uint64_t weight_beats(const Descriptor& d, const Geometry& g);
// Beats of the band packet, of the output packet (TKEEP aside), and whether a tile starts mid-byte.
bool band_skip(const Descriptor& d);
std::uint64_t band_beats(const Descriptor& d, const Geometry& g);
bool output_skip(const Descriptor& d);

// The band from its packet's bytes (missing values are 0).
Band load_band(const Descriptor& d, const Geometry& g, const std::vector<std::uint8_t>& bytes);
// The core and drain of a tile: the values the drain sends, after `carried` when the tile starts mid-byte.
std::vector<std::int32_t> compute_tile(const Tile& t, const Geometry& g, std::int32_t carried);
// The output packet's bytes of values `a` (the drain), or, with ELT, of y = add(a, b) with b unpacked
// from `b_bytes` (shorter: b = 0 beyond).
std::vector<std::uint8_t> output_bytes(const Descriptor& d, const std::vector<std::int32_t>& a,
                                       const std::vector<std::uint8_t>& b_bytes);

// Units between two cycles.
struct LoaderState {
  Tile* tile = nullptr;
  std::uint64_t beats_expected = 0, beats = 0;
  std::vector<std::uint8_t> bytes;
  std::uint64_t values_in = 0;  // band values received (beyond the dropped nibble)
  std::uint64_t words = 0, words_total = 0, values_used = 0;
  int finishing = -1;        // cycles left until the band is complete, -1: still loading
  bool discarding = false;   // the last packet had no TLAST where it should: drop beats up to one
};

struct WeightState {
  std::deque<AxisBeat> fifo;
  Tile* tile = nullptr;  // whose blob the assembler cuts
  std::uint32_t block = 0, pass = 0;  // pass 0xFFFFFFFF: the block's params
  Block item;
  std::uint64_t item_beats = 0, item_beats_left = 0;
  std::shared_ptr<const Block> ready;  // assembled, waiting for its shadow
  bool ready_params = false;
  std::shared_ptr<const Block> params_shadow, weight_shadow;
  bool discarding = false;
};

struct CoreState {
  enum Phase { kIdle, kSetup, kParams, kWeights, kIssue, kFlush, kDone } phase = kIdle;
  Tile* tile = nullptr;
  int countdown = 0;
  std::uint32_t block = 0, pass = 0;
  std::uint64_t slot = 0, slots = 0;
  std::uint64_t macs_per_pixel = 0;
};

struct DrainState {
  Tile* tile = nullptr;
  std::vector<std::uint8_t> a_bytes;  // the tile's output packet (a)
  std::vector<std::uint8_t> b_bytes;  // the residual packet so far
  std::uint64_t beats = 0, beat = 0;
  int countdown = 0;
  bool residual_done = false, discarding_r = false;
  bool have_carry = false;
  std::int32_t carry = 0;  // the last value (a) of the previous tile
};

}  // namespace dnnvp::fast

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
  // dnn_core's set-up: command to first issue slot = core_setup + the bit lengths of the shift-add
  // products' multipliers (fast_tile.cpp, setup_cycles(): a 16-step division, then two phases).
  int core_setup = 20;
  int min_pass = 4;              // issue slots of a pass at least (dnn_core's MinPass)
  int pipeline = 7;              // issue slot to its output word written; +1 when FoldMax > 1
  int done_visible = 2;          // a unit's last action to its done pointer seen by the others
  int params_free_visible = 3;   // a block's first slot to its params shadow free to the weight loader
  int weights_free_visible = 1;  // a pass's first slot to its weight shadow free to the weight loader
  int loader_latency = 1;        // last word written to the loader's done
  int drain_word_to_beat = 2;    // a word read by the drain to its beat offered on m_axis_y
  int drain_fifo_beats = 2;      // the drain's output FIFO
  int eltwise_latency = 4;       // a fused add's pipeline: a beat to its y beat
  int eltwise_b_beats = 4;       // operand b's FIFO
  int queue_depth = 4;           // dnn_engine's QueueDepth (HW_DEPTHS.QUEUE_DEPTH)
};

// A cycle stamp not reached yet.
inline constexpr std::uint64_t kNever = ~std::uint64_t{0};

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
  std::uint64_t seq = 0;        // pushes since reset
  std::uint64_t queued_at = 0;  // the cycle from which the units see it
  Descriptor d;
  // Loader: where the band lives (0, 1: a half; 2: the whole buffer), whether it is in.
  int storage = 0;
  std::shared_ptr<const Band> band;
  // Core: the params and weight blocks it took, in order.
  std::vector<std::shared_ptr<const Block>> blocks;
  // The output values the drain sends (operand a), the previous tile's last value first when the tile
  // starts mid-byte.
  std::vector<std::int32_t> out;
  // The cycles from which the other units see the band complete, the tile computed (its input storage
  // free, its outputs ready to drain) and drained (its output half free, its queue entry too).
  std::uint64_t loaded_at = kNever, computed_at = kNever, drained_at = kNever;
};

// Bits of v (0 for 0): the steps of the units' shift-add multiplications.
int bit_length(std::uint64_t v);

// dnn_core's set-up cycles for `d` (command taken to first issue slot).
int setup_cycles(const Descriptor& d, const Geometry& g);

// MODE.OP values (docs/engine.md "Modes").
enum Op : unsigned { kConv = 0, kMaxPool = 1, kAvgPool = 2, kDepthwise = 3 };
// Whether the tile streams a weight blob (params and weight blocks): convolutions, depthwise included.
inline bool has_blob(const Descriptor& d) {
  return d.op == kConv || d.op == kDepthwise;
}
// Depthwise: the tile's padded input window, walked one issue slot per position by each pass:
// Rin = (R - 1) * SH + KH rows of Wp = (OUT_W - 1) * SW + KW columns (R: the tile's output rows).
struct DwWindow {
  std::uint64_t rows = 0, cols = 0;
};
DwWindow dw_window(const Descriptor& d);
// Issue slots of a pass: max(P, MinPass), a depthwise pass max(Rin * Wp, MinPass).
std::uint64_t pass_slots(const Descriptor& d, const Geometry& g);
// The slots of a pass up to its last issued pixel: P, a depthwise pass Rin * Wp (the rest are bubbles).
std::uint64_t issue_slots(const Descriptor& d);

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
  int starting = 0;         // cycles left before the first beat (dnn_input_loader's StMul: pixels x Cin)
  int finishing = -1;       // cycles left until the band is complete, -1: still loading
  bool discarding = false;  // the last packet had no TLAST where it should: drop beats up to one
};

struct WeightState {
  std::deque<AxisBeat> fifo;
  Tile* tile = nullptr;               // whose blob the assembler cuts
  std::uint64_t run_from = 0;         // its first beat: a cycle after the command is taken
  std::uint32_t block = 0, pass = 0;  // pass 0xFFFFFFFF: the block's params
  Block item;
  std::uint64_t item_beats = 0, item_beats_left = 0;
  // dnn_weight_loader's output registers (assembled blocks waiting for the core's shadows), one per kind,
  // and dnn_core's shadows.
  std::shared_ptr<const Block> params_ready, weights_ready;
  std::shared_ptr<const Block> params_shadow, weight_shadow;
  // The cycle from which the loader sees a shadow the core emptied free (dnn_core's registered
  // params_ready_o / wblk_ready_o).
  std::uint64_t params_shadow_free_at = 0, weight_shadow_free_at = 0;
  bool discarding = false;
};

struct CoreState {
  enum Phase { kIdle, kSetup, kParams, kWeights, kIssue, kFlush } phase = kIdle;
  Tile* tile = nullptr;
  int countdown = 0;
  std::uint32_t block = 0, pass = 0;
  std::uint64_t slot = 0, slots = 0;
  std::uint64_t macs_per_pixel = 0;
  // Depthwise: the slot's window column, and the rows / columns still to wait before a slot issues
  // (dnn_core's dw_yw_q, dw_xw_q: a complete, stride-aligned window issues the next output pixel).
  std::uint64_t dw_cols = 0, dw_positions = 0;  // Wp, Rin * Wp
  std::uint64_t dw_col = 0;
  unsigned dw_yw = 0, dw_xw = 0;
};

struct DrainState {
  Tile* tile = nullptr;
  std::vector<std::uint8_t> a_bytes;        // the tile's output packet (a)
  std::vector<std::uint8_t> b_bytes;        // operand b as paired so far
  std::uint64_t words = 0, words_read = 0;  // output words of the tile, read so far
  std::uint64_t beats = 0, beats_sent = 0;  // of the output packet
  // The packer as dnn_output_buffer's registers: the word on the RAM's output (its nibbles, 0: none;
  // whether it is the tile's last), the residue's nibbles and whether the last word is in it.
  std::uint64_t s1_nibbles = 0, fill = 0;
  bool s1_last = false, tail = false;
  std::deque<std::uint64_t> formed_at;  // beats in the output FIFO: the cycle each can leave
  std::deque<std::uint64_t> y_at;       // a fused add's beats in its pipeline and y FIFO: likewise
  std::uint64_t free_at = 0;            // the drain takes its next command from this cycle
};

// dnn_eltwise's operand b side, which outlives a tile: its FIFO takes r beats whenever a fused tile is in
// flight (the next tile's packet too) or a flush reads b on to its TLAST.
struct ResidualState {
  struct Beat {
    std::vector<std::uint8_t> data;
    bool last = false;
    std::uint64_t at = 0;  // the cycle it came (its FIFO shows it from the next)
  };
  std::deque<Beat> fifo;
  bool busy = false;  // a fused tile is in flight, from `busy_from` to its last y beat
  std::uint64_t busy_from = 0;
  bool flush = false;  // a ended before b's TLAST: b is read on to it
  bool over = false;   // b ended before a: a pairs with 0
};

}  // namespace dnnvp::fast

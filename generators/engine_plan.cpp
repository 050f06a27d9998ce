#include "engine_plan.h"

#include <algorithm>
#include <array>

#include "dnnvp_memory_map.h"
#include "error.h"
#include "pack.h"
#include "pool_divider.h"
#include "stem.h"

namespace dnnvp {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

bool is_pool(const Layer& l) {
  return l.type == LayerType::MaxPool || l.type == LayerType::AvgPool;
}

// Input rows [y0, y0 + rows) that output pixels first .. first + count - 1 read (all columns).
struct Band {
  int y0 = 0;
  int rows = 0;
};

Band band_of(const Layer& l, std::int64_t first, std::int64_t count) {
  const int in_h = l.input_shapes.at(0).h;
  const int out_w = l.output_shape.w;
  const std::int64_t oy_first = first / out_w;
  const std::int64_t oy_last = (first + count - 1) / out_w;
  const std::int64_t y_lo = std::max<std::int64_t>(0, oy_first * l.stride_h - l.padding.top);
  const std::int64_t y_hi =
      std::min<std::int64_t>(in_h - 1, oy_last * l.stride_h - l.padding.top + l.kernel_h - 1);
  return {static_cast<int>(y_lo), static_cast<int>(y_hi - y_lo + 1)};
}

std::int64_t input_row_values(const Layer& l) {
  return std::int64_t{l.input_shapes.at(0).w} * l.input_shapes.at(0).c;
}

// Input rows some kernel tap reads: what the layer must fetch at least (a 1x1 stride-2 conv skips
// every other row, although its bands, being contiguous, include them).
std::int64_t rows_read(const Layer& l) {
  const int in_h = l.input_shapes.at(0).h;
  std::vector<bool> read(static_cast<size_t>(in_h), false);
  for (int oy = 0; oy < l.output_shape.h; ++oy)
    for (int ky = 0; ky < l.kernel_h; ++ky) {
      const int y = oy * l.stride_h - l.padding.top + ky;
      if (y >= 0 && y < in_h) read[static_cast<size_t>(y)] = true;
    }
  return std::count(read.begin(), read.end(), true);
}

// P is usable when every tile's band of the engine's view `v` fits `capacity` words and has at most
// `max_rows` rows (0: any). (P <= AccDepth and P * Blocks <= OutHalfWords are the caller's bounds.) 4-bit
// data sets no condition: a band or tile that starts in the high nibble of a byte is moved as whole bytes
// and the engine skips or repeats the low nibble (docs/engine.md "Nibble starts").
bool tiles_fit(const Layer& v, const EngineGeometry& g, std::int64_t tile_pixels, std::int64_t capacity,
               int max_rows) {
  const std::int64_t pixels = std::int64_t{v.output_shape.h} * v.output_shape.w;
  const int in_w = v.input_shapes.at(0).w;
  for (std::int64_t first = 0; first < pixels; first += tile_pixels) {
    const Band b = band_of(v, first, std::min(tile_pixels, pixels - first));
    if (std::int64_t{b.rows} * in_w * g.chunks > capacity || (max_rows > 0 && b.rows > max_rows))
      return false;
  }
  return true;
}

// The P that cuts the layer into as many tiles as the largest fitting P (`largest`) does, evenly: the
// smallest P that still gives that count, rounded up to whole output rows where that count stays. A short
// last tile would leave the next layer's first band too little time to load behind it (docs/engine.md
// "Work unit"), and tiles of whole rows read no boundary row twice; the issue cycles never grow.
std::int64_t even_tile_pixels(const Layer& v, const EngineGeometry& g, std::int64_t largest,
                              std::int64_t capacity, int max_rows) {
  const std::int64_t pixels = std::int64_t{v.output_shape.h} * v.output_shape.w;
  const std::int64_t even = ceil_div(pixels, ceil_div(pixels, largest));
  const std::int64_t rows = ceil_div(even, v.output_shape.w) * v.output_shape.w;
  for (const std::int64_t p : {rows, even})
    if (p <= largest && tiles_fit(v, g, p, capacity, max_rows)) return p;
  return largest;
}

// Whole bytes of `values` values at the activations' storage width.
bool whole_bytes(std::int64_t values, const EngineConfig& c) {
  return values * storage_bits(c.activation_bits) % 8 == 0;
}

// Option B applies: the layer reads only every stride_h-th input row (stride_h > 1, kernel height 1, no
// vertical padding), and its rows are whole bytes (each is gathered on its own).
bool rows_skippable(const Layer& l, const EngineConfig& c) {
  return l.stride_h > 1 && l.kernel_h == 1 && l.padding.top == 0 && l.padding.bottom == 0 &&
         whole_bytes(input_row_values(l), c);
}

// Cycles a plan's bands take to load, at one stream beat and at most one input word per cycle: what a
// whole-buffer band (option F) adds, as it loads only once the previous tile has finished.
std::int64_t band_load_cycles(const LayerPlan& p, const Layer& l, const EngineConfig& c) {
  const std::int64_t beat_bytes = c.stream_bits / 8;
  std::int64_t cycles = 0;
  for (const Tile& t : p.tiles)
    cycles += std::max(ceil_div(static_cast<std::int64_t>(t.band_bytes), beat_bytes),
                       std::int64_t{t.band_rows} * l.input_shapes.at(0).w * p.geometry.chunks);
  return cycles;
}

// Issue cycles of tile t: Blocks x Passes passes of one pixel (a depthwise sweep: one input pixel of its
// rows) per cycle, but never shorter than the accumulator latency, nor than the stream needs to bring the
// next pass's weights (a shorter pass starves the array). Block groups split a tile's blocks, so they issue
// the same passes.
std::int64_t tile_issue_cycles(const Layer& l, const EngineGeometry& g, const Tile& t) {
  const std::int64_t slots =
      g.op == EngineOp::Depthwise ? dw_sweep_cycles(l, t.pixels / l.output_shape.w) : t.pixels;
  return g.blocks * g.passes * std::max({slots, kMinPassCycles, g.weight_beats});
}

// A depthwise layer issues about as fast as the streams move its bytes (16 channels of a 3x3 layer per
// pixel in 2 sweeps on 8x16 at F 2: 8 output values a cycle, a 64-bit stream's rate), so its cycles are
// about the first band's load, per tile the longest of its issue cycles, the next band's load and the
// previous tile's drain (the buffers' other halves), and the last tile's drain.
std::int64_t dw_layer_cycles(const Layer& l, const EngineConfig& c, const EngineGeometry& g,
                             const std::vector<Tile>& tiles) {
  const std::int64_t beat_bytes = c.stream_bits / 8;
  const auto load = [&](const Tile& t) {
    return ceil_div(static_cast<std::int64_t>(t.band_bytes), beat_bytes);
  };
  const auto drain = [&](const Tile& t) {
    return ceil_div(static_cast<std::int64_t>(t.output_bytes), beat_bytes);
  };
  std::int64_t cycles = load(tiles.front()) + drain(tiles.back());
  for (size_t k = 0; k < tiles.size(); ++k) {
    std::int64_t step = tile_issue_cycles(l, g, tiles[k]);
    if (k + 1 < tiles.size()) step = std::max(step, load(tiles[k + 1]));
    if (k > 0) step = std::max(step, drain(tiles[k - 1]));
    cycles += step;
  }
  return cycles;
}

// Explains why no P works, naming the scenario field to change: even one output pixel's band or
// output does not fit its buffer.
[[noreturn]] void fail_without_tiles(const Layer& l, const EngineConfig& c, const EngineGeometry& g) {
  const Shape in = l.input_shapes.at(0);
  const int cout = l.output_shape.c;
  const std::string layer = "layer '" + l.name + "' ";
  int one_row_band = 0;
  for (std::int64_t oy = 0; oy < l.output_shape.h; ++oy)
    one_row_band = std::max(one_row_band, band_of(l, oy * l.output_shape.w, 1).rows);
  const std::int64_t padded_cin = std::int64_t{g.chunks} * c.rows;
  if (one_row_band * std::int64_t{in.w} * g.chunks > c.input_half_words) {
    const std::string channels =
        std::to_string(padded_cin) +
        (padded_cin != in.c
             ? " (" + std::to_string(in.c) + " channels in words of " + std::to_string(c.rows) + ")"
             : "");
    throw Error("hardware.input_buffer_kib: " + layer + "needs a band of " + std::to_string(one_row_band) +
                " rows x " + std::to_string(in.w) + " x " + channels + " = " +
                std::to_string(one_row_band * in.w * padded_cin) + " values; the input buffer half holds " +
                std::to_string(c.input_half_words * c.rows));
  }
  const std::int64_t padded_cout = std::int64_t{g.blocks} * c.cols;
  throw Error("hardware.output_buffer_kib: " + layer + "needs " + std::to_string(padded_cout) +
              " output values (" + std::to_string(cout) + " channels in words of " + std::to_string(c.cols) +
              ") for one pixel; the output buffer half holds " +
              std::to_string(c.output_half_words * c.cols));
}

// The values [first, first + count) of a packed tensor as whole bytes (the firmware driver's
// byte_span): at 4 bits an odd first value sits in the high nibble of its byte.
ByteSpan byte_span(std::int64_t first, std::int64_t count, int bits) {
  const std::int64_t mid = storage_bits(bits) == 4 ? first % 2 : 0;
  return {packed_bytes(first - mid, bits), packed_bytes(mid + count, bits)};
}

// A grouped conv's chunk range per block (docs/engine.md, "Grouped convolution"): block cb's output
// channels must need exactly the input chunks [cb * step, cb * step + count), whole chunks of real
// channels, so the engine walks no chunk twice per block and its MACS counter stays exact.
void place_groups(const Layer& l, const EngineConfig& c, EngineGeometry& g) {
  const int cin = l.input_shapes.at(0).c;
  const int cout = l.output_shape.c;
  const int cin_g = cin / l.groups;
  const int cout_g = cout / l.groups;
  const auto needed = [&](int cb) {  // input channels [first, end) of block cb's groups
    const int first_group = cb * c.cols / cout_g;
    const int last_group = (std::min(cout, (cb + 1) * c.cols) - 1) / cout_g;
    return std::pair<int, int>{first_group * cin_g, (last_group + 1) * cin_g};
  };
  g.group_cols = cout_g;
  g.group_chunks = static_cast<int>(ceil_div(needed(0).second, c.rows));
  g.chunk_step = g.blocks > 1 ? needed(1).first / c.rows : g.group_chunks;
  const std::string rule =
      "layer '" + l.name + "' (groups: " + std::to_string(l.groups) + ", " + std::to_string(cin) + " -> " +
      std::to_string(cout) + " channels) does not fit the " + std::to_string(c.rows) + "x" +
      std::to_string(c.cols) +
      " array: a grouped conv runs on the engine only when every block of cols output channels holds whole "
      "groups and needs whole input chunks of rows channels, cb * step .. cb * step + count - 1 for block cb "
      "(depthwise: cols a multiple of rows); ";
  if (g.blocks > 1 && c.cols % cout_g != 0)
    throw Error(rule + "cols " + std::to_string(c.cols) + " is not a multiple of the group's " +
                std::to_string(cout_g) + " output channels");
  for (int cb = 0; cb < g.blocks; ++cb) {
    const auto [first, end] = needed(cb);
    const int lo = cb * g.chunk_step;
    const int hi = lo + g.group_chunks;
    if (first != lo * c.rows || ceil_div(end, c.rows) != hi || (end % c.rows != 0 && end != cin))
      throw Error(rule + "block " + std::to_string(cb) + " needs input channels " + std::to_string(first) +
                  ".." + std::to_string(end - 1) + ", its passes would walk channels " +
                  std::to_string(lo * c.rows) + ".." + std::to_string(hi * c.rows - 1));
  }
}

}  // namespace

EngineConfig engine_config(const HardwareConfig& h, const QuantConfig& q) {
  EngineConfig c;
  c.rows = h.rows;
  c.cols = h.cols;
  c.stream_bits = h.stream_bits;
  c.accumulator_bits = h.accumulator_bits;
  c.accumulator_depth = h.accumulator_depth;
  c.input_half_words = std::int64_t{h.input_buffer_kib} * 1024 / h.rows / 2;
  c.output_half_words = std::int64_t{h.output_buffer_kib} * 1024 / h.cols / 2;
  c.activation_bits = q.activation_bits;
  c.weight_bits = q.weight_bits;
  c.fold_max = h.fold_max;
  c.dw_line_pixels = h.dw_line_pixels;
  c.clock_mhz = h.clock_mhz;
  return c;
}

bool engine_runs_pool(const Layer& l, const EngineConfig& c) {
  constexpr int kMaxWindow = DNNVP_ENGINE_WINDOW_KH_MASK >> DNNVP_ENGINE_WINDOW_KH_SHIFT;
  if (l.type != LayerType::MaxPool && l.type != LayerType::AvgPool) return false;
  const bool one_count = l.padding.top == 0 && l.padding.left == 0 && l.padding.bottom == 0 &&
                         l.padding.right == 0;  // floor output sizes keep every window in bounds
  // The core keeps an average pool's sum in the accumulator (signed AccBits).
  const auto sum_fits = [&] {
    return pool_sum_bits(static_cast<unsigned>(c.activation_bits), engine_pool_count(l)) <=
           static_cast<unsigned>(c.accumulator_bits) - 1;
  };
  return c.rows <= c.cols && std::max({l.kernel_h, l.kernel_w, l.stride_h, l.stride_w}) <= kMaxWindow &&
         (l.type == LayerType::MaxPool || (one_count && sum_fits()));
}

std::uint32_t engine_pool_count(const Layer& l) {
  return static_cast<std::uint32_t>(l.kernel_h * l.kernel_w);
}

std::int64_t dw_padded_width(const Layer& l) {
  return std::int64_t{l.output_shape.w - 1} * l.stride_w + l.kernel_w;
}

bool runs_depthwise(const Layer& l, const EngineConfig& c) {
  const int cin = l.input_shapes.at(0).c;
  // A line buffer of one pixel would be read and written at one address in one cycle (kh > 1, Wp 1).
  const std::int64_t wp = dw_padded_width(l);
  return l.type == LayerType::Conv && l.groups > 1 && l.groups == cin && l.output_shape.c == cin &&
         std::max(l.kernel_h, l.kernel_w) <= kDwMaxKernel && wp <= c.dw_line_pixels &&
         (l.kernel_h == 1 || wp >= 2) && l.output_shape.w <= c.accumulator_depth;
}

std::int64_t dw_sweep_cycles(const Layer& l, std::int64_t out_rows) {
  return ((out_rows - 1) * l.stride_h + l.kernel_h) * dw_padded_width(l);
}

bool fold_fits(const Layer& l, const EngineConfig& c, int fold) {
  const bool dense_conv = l.has_weights() && l.groups == 1;
  const bool lanes_fit = (is_pool(l) || runs_depthwise(l, c)) && fold * c.rows <= c.cols;
  return fold >= 1 && c.cols % fold == 0 && (fold == 1 || dense_conv || lanes_fit);
}

EngineGeometry engine_geometry(const Layer& l, const EngineConfig& c, int fold) {
  const bool pool = is_pool(l);
  if (!fold_fits(l, c, fold))
    throw Error("layer '" + l.name + "': Cin-fold " + std::to_string(fold) +
                " needs a dense convolution, or a pool or depthwise layer of fold x rows <= cols lanes, and "
                "a divisor of cols " +
                std::to_string(c.cols));
  EngineGeometry g;
  g.fold = fold;
  g.chunks = static_cast<int>(ceil_div(ceil_div(l.input_shapes.at(0).c, c.rows), fold) * fold);
  if (pool) {
    // Block cb reads chunks cb*F .. cb*F + F - 1 only and drains their F*Rows channels; no weights, no
    // params.
    g.op = l.type == LayerType::MaxPool ? EngineOp::MaxPool : EngineOp::AvgPool;
    g.blocks = g.chunks / fold;
    g.passes = std::int64_t{l.kernel_h} * l.kernel_w;
    return g;
  }
  const std::int64_t taps = std::int64_t{l.kernel_h} * l.kernel_w;
  if (runs_depthwise(l, c)) {
    // Block cb: channels of chunks cb*F .. cb*F + F - 1 on columns 0 .. F*Rows - 1, a pass per sweep of
    // Rows taps.
    g.op = EngineOp::Depthwise;
    g.blocks = g.chunks / fold;
    g.passes = ceil_div(taps, c.rows);
  } else {
    g.blocks = static_cast<int>(ceil_div(l.output_shape.c, block_lanes(g, c)));
    if (l.groups != 1) place_groups(l, c, g);
    g.passes = taps * (g.group_chunks != 0 ? g.group_chunks : g.chunks / fold);
  }
  const std::uint64_t beat_bytes = static_cast<std::uint64_t>(c.stream_bits) / 8;
  g.weight_beats = ceil_div(std::int64_t{c.rows} * c.cols * storage_bits(c.weight_bits), c.stream_bits);
  g.weight_block_bytes = static_cast<std::uint64_t>(g.weight_beats) * beat_bytes;
  g.params_block_bytes = static_cast<std::uint64_t>(ceil_div(
                             static_cast<std::int64_t>(kParamBytesPerChannel) * c.cols * 8, c.stream_bits)) *
                         beat_bytes;
  g.blob_bytes = static_cast<std::uint64_t>(g.blocks) *
                 (g.params_block_bytes + static_cast<std::uint64_t>(g.passes) * g.weight_block_bytes);
  return g;
}

Layer row_step_view(const Layer& l, int row_step) {
  Layer v = l;
  if (row_step > 1) {
    v.input_shapes.at(0).h = static_cast<int>(ceil_div(l.input_shapes.at(0).h, row_step));
    v.stride_h = 1;
  }
  return v;
}

std::vector<ByteSpan> band_runs(const Tile& t) {
  if (t.band_pitch == 0) return {{t.band_offset, t.band_bytes}};
  std::vector<ByteSpan> runs;
  const std::uint64_t rows = static_cast<std::uint64_t>(t.band_rows);
  for (std::uint64_t r = 0; r < rows; ++r)
    runs.push_back({t.band_offset + r * t.band_pitch, t.band_bytes / rows});
  return runs;
}

std::vector<Tile> cut_tiles(const Layer& l, const EngineConfig& c, std::int64_t tile_pixels, int row_step) {
  const Layer v = row_step_view(l, row_step);
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  const std::int64_t row_values = input_row_values(l);
  const int cout = l.output_shape.c;
  std::vector<Tile> tiles;
  for (std::int64_t first = 0; first < pixels; first += tile_pixels) {
    Tile t;
    t.first_pixel = first;
    t.pixels = std::min(tile_pixels, pixels - first);
    const Band b = band_of(v, first, t.pixels);
    t.band_y0 = b.y0;
    t.band_rows = b.rows;
    if (row_step > 1) {  // row y' of the view is DRAM row y' * row_step, whole bytes (gather_step)
      const std::uint64_t row_bytes = packed_bytes(row_values, c.activation_bits);
      t.band_offset = static_cast<std::uint64_t>(b.y0) * row_step * row_bytes;
      t.band_bytes = static_cast<std::uint64_t>(b.rows) * row_bytes;
      t.band_pitch = static_cast<std::uint64_t>(row_step) * row_bytes;
    } else {
      const ByteSpan band = byte_span(b.y0 * row_values, b.rows * row_values, c.activation_bits);
      t.band_offset = band.offset;
      t.band_bytes = band.bytes;
    }
    const ByteSpan out = byte_span(first * cout, t.pixels * cout, c.activation_bits);
    t.output_offset = out.offset;
    t.output_bytes = out.bytes;
    tiles.push_back(t);
  }
  return tiles;
}

std::optional<LayerPlan> plan_layer_with(const Layer& l, const EngineConfig& c, const EngineGeometry& g,
                                         int row_step, bool band_whole, bool group, bool residual) {
  if (row_step != 1 && (row_step != l.stride_h || !rows_skippable(l, c)))
    throw Error("layer '" + l.name + "': row step " + std::to_string(row_step) +
                " needs kernel height 1, no vertical padding, that vertical stride and rows of whole bytes");
  const Layer v = row_step_view(l, row_step);
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  // Groups leave the output buffer to the blocks of a group, so P is bound by the band and AccDepth.
  // (and the runtime's descriptor rings: DNNVP_BLOCK_GROUP_MAX_PIXELS).
  std::int64_t tile_pixels = std::min<std::int64_t>(
      {c.accumulator_depth, group ? DNNVP_BLOCK_GROUP_MAX_PIXELS : c.output_half_words / g.blocks, pixels});
  // The depthwise feed streams whole input rows: its tiles are whole output rows.
  const std::int64_t p_step = g.op == EngineOp::Depthwise ? l.output_shape.w : 1;
  tile_pixels -= tile_pixels % p_step;
  const std::int64_t capacity = c.input_half_words * (band_whole ? 2 : 1);
  const int max_rows = row_step > 1 ? DNNVP_ROW_STEP_MAX_BAND_ROWS : 0;
  while (tile_pixels > 0 && !tiles_fit(v, g, tile_pixels, capacity, max_rows)) tile_pixels -= p_step;
  if (tile_pixels == 0) return std::nullopt;
  if (g.op == EngineOp::Depthwise) {
    // Fewer rows a tile than fit, where the shorter first band and last drain gain more than the halo rows
    // cost (dw_layer_cycles); ties to the larger P.
    std::int64_t best = dw_layer_cycles(l, c, g, cut_tiles(l, c, tile_pixels, row_step));
    for (std::int64_t p = tile_pixels - p_step; p > 0; p -= p_step) {
      const std::int64_t cycles = dw_layer_cycles(l, c, g, cut_tiles(l, c, p, row_step));
      if (cycles < best) {
        best = cycles;
        tile_pixels = p;
      }
    }
  } else {
    tile_pixels = even_tile_pixels(v, g, tile_pixels, capacity, max_rows);
  }
  LayerPlan plan;
  plan.geometry = g;
  plan.tile_pixels = tile_pixels;
  plan.row_step = row_step;
  plan.band_whole = band_whole;
  const int cout = l.output_shape.c;
  if (group) {
    // A group's outputs are written per pixel at pitch Cout: every run must start on a byte.
    plan.block_group = static_cast<int>(std::min<std::int64_t>(g.blocks, c.output_half_words / tile_pixels));
    if (plan.block_group == 0 || plan.block_group >= g.blocks || !whole_bytes(cout, c) ||
        !whole_bytes(std::int64_t{plan.block_group} * block_lanes(g, c), c))
      return std::nullopt;
    // Its S2MM walks a descriptor a pixel while the next group computes G * passes cycles a pixel: A only
    // where that hides the walk (else the drains bound the layer, as with 7x96's one-block groups).
    if (static_cast<double>(plan.block_group) * g.passes < kDescriptorNs * c.clock_mhz / 1000.0)
      return std::nullopt;
  }
  plan.tiles = cut_tiles(l, c, tile_pixels, row_step);

  for (const Tile& t : plan.tiles) {
    plan.issue_cycles += tile_issue_cycles(l, g, t);
    plan.dram.input += t.band_bytes;
    if (row_step > 1) plan.dram.descriptors += static_cast<std::uint64_t>(t.band_rows) * kDescriptorBytes;
    if (residual) plan.dram.input += t.output_bytes;  // operand b, in the output's runs
  }
  plan.macs = l.macs();
  plan.utilisation_bound = static_cast<double>(plan.macs) /
                           (static_cast<double>(c.rows) * c.cols * static_cast<double>(plan.issue_cycles));
  plan.dram.weights = plan.tiles.size() * g.blob_bytes;  // each group's blob run once per pixel tile
  plan.dram.output = packed_bytes(l.output_shape.elements(), c.activation_bits);
  if (group) {  // one S2MM descriptor per pixel and group, and as many on dma2 for operand b
    const std::int64_t groups = ceil_div(g.blocks, plan.block_group);
    plan.dram.descriptors +=
        static_cast<std::uint64_t>(groups * pixels * (residual ? 2 : 1)) * kDescriptorBytes;
  }
  plan.dram.lower_bound = g.blob_bytes + input_read_bytes(l, c) + plan.dram.output;
  if (residual) plan.dram.lower_bound += plan.dram.output;
  return plan;
}

// Every combination of the enabled options is planned; an option counts only where it pays against the
// same plan without it: fewer DRAM bytes (descriptors included) and no more issue cycles, and for
// whole-buffer bands also fewer tiles and a band load under 2 % of the issue cycles (each such band waits
// for the previous tile). The cheapest plan in bytes wins, ties to the fewer options.
LayerPlan plan_layer_folded(const Layer& l, const EngineConfig& c, int fold, bool residual) {
  const EngineGeometry g = engine_geometry(l, c, fold);
  const int step = c.options.row_step && rows_skippable(l, c) ? l.stride_h : 1;
  const bool groups = c.options.block_group && g.op == EngineOp::Conv && g.group_chunks == 0;
  constexpr int kRowStep = 1, kWhole = 2, kGroup = 4;
  std::array<std::optional<LayerPlan>, 8> plans;
  for (int k = 0; k < 8; ++k) {
    if (((k & kRowStep) && step == 1) || ((k & kWhole) && !c.options.band_whole) || ((k & kGroup) && !groups))
      continue;
    plans[static_cast<size_t>(k)] =
        plan_layer_with(l, c, g, (k & kRowStep) ? step : 1, (k & kWhole) != 0, (k & kGroup) != 0, residual);
  }
  const auto pays = [&](int k) {
    const std::optional<LayerPlan>& p = plans[static_cast<size_t>(k)];
    if (!p) return false;
    for (const int option : {kRowStep, kWhole, kGroup}) {
      if ((k & option) == 0) continue;
      if (option == kWhole && 50 * band_load_cycles(*p, l, c) >= p->issue_cycles) return false;
      const std::optional<LayerPlan>& without = plans[static_cast<size_t>(k & ~option)];
      if (!without) continue;  // the option is what makes the layer fit
      if (p->dram.total() >= without->dram.total() || p->issue_cycles > without->issue_cycles ||
          (option == kWhole && p->tiles.size() >= without->tiles.size()))
        return false;
    }
    return true;
  };
  int best = -1;
  for (int k = 0; k < 8; ++k)
    if (pays(k) && (best < 0 || plans[static_cast<size_t>(k)]->dram.total() <
                                    plans[static_cast<size_t>(best)]->dram.total()))
      best = k;
  if (best < 0) fail_without_tiles(l, c, g);
  return std::move(*plans[static_cast<size_t>(best)]);
}

// Cin-fold trades padding: F words of a pixel per pass cut the passes to ceil(Cin/Rows)/F (rounded up)
// and multiply the blocks by about F (Cv = Cols/F lanes), so it pays where Cout leaves columns idle or Cin
// is short of whole words; a folded band holds more words per pixel, so its tiles may shrink.
LayerPlan plan_layer(const Layer& l, const EngineConfig& c, bool residual) {
  LayerPlan best = plan_layer_folded(l, c, 1, residual);
  for (int fold = 2; fold <= c.fold_max; ++fold) {
    if (!fold_fits(l, c, fold)) continue;
    try {
      LayerPlan folded = plan_layer_folded(l, c, fold, residual);
      if (folded.issue_cycles < best.issue_cycles) best = std::move(folded);
    } catch (const Error&) {  // the folded band or output of one row fits no buffer half: not a choice
    }
  }
  return best;
}

std::uint64_t input_read_bytes(const Layer& l, const EngineConfig& c) {
  return packed_bytes(rows_read(l) * input_row_values(l), c.activation_bits);
}

namespace {

// mapping.fuse (docs/engine.md, "Fusion"): an Add into the later of its producers when that is a Conv/Dense
// on the engine whose output only the Add reads; a Clip into an engine producer only it reads. All
// activations share quantization.activation_bits, so a, b and y always have one storage width. The fused
// add's operand b is read once per tile, in the output's byte spans.
void fuse(const Network& n, const EngineConfig& c, NetworkPlan& net) {
  std::vector<int> readers(n.layers.size(), 0);
  for (const Layer& l : n.layers)
    for (const int id : l.input_ids)
      if (id >= 0) ++readers[static_cast<size_t>(id)];
  for (size_t j = 0; j < n.layers.size(); ++j) {
    const Layer& l = n.layers[j];
    if (l.type != LayerType::Add && l.type != LayerType::Clip) continue;
    const int producer = *std::max_element(l.input_ids.begin(), l.input_ids.end());
    if (producer < 0 || readers[static_cast<size_t>(producer)] != 1) continue;
    std::optional<LayerPlan>& p = net.layers[static_cast<size_t>(producer)];
    if (!p) continue;
    if (l.type == LayerType::Add) {
      if (!n.layers[static_cast<size_t>(producer)].has_weights()) continue;
      // Operand b's reads change the layer's byte model (and so maybe its DRAM options): plan it again.
      p = plan_layer(n.layers[static_cast<size_t>(producer)], c, true);
      p->fused_add = static_cast<int>(j);
    } else {
      p->folded_clip = static_cast<int>(j);
    }
    net.fused_into[j] = producer;
  }
}

}  // namespace

DramOptions dram_options(const Scenario& s) {
  DramOptions o = kDramOptionsOnMain;
  o.row_step = s.mapping.row_step.value_or(o.row_step);
  o.band_whole = s.mapping.band_whole.value_or(o.band_whole);
  o.block_group = s.mapping.block_group.value_or(o.block_group);
  return o;
}

NetworkPlan plan_network(const Scenario& s, const std::optional<DramOptions>& options) {
  EngineConfig c = engine_config(s.hardware, s.quant);
  c.options = options.value_or(dram_options(s));
  NetworkPlan net;
  for (const Layer& l : s.network.layers) {
    net.layers.emplace_back();
    try {
      if (l.has_weights()) {
        std::optional<LayerPlan> stem = net.layers.size() == 1 ? plan_stem(s, c) : std::nullopt;
        net.layers.back() = stem ? std::move(stem) : plan_layer(l, c);
      } else if (s.mapping.engine_pools && engine_runs_pool(l, c)) {
        try {
          net.layers.back() = plan_layer(l, c);
        } catch (const Error&) {  // a pool whose band the buffers cannot hold stays on the CPU
        }
      }
    } catch (const Error& e) {
      throw Error(located(s.file, 0, "", e.what()));
    }
  }
  net.fused_into.assign(s.network.layers.size(), -1);
  if (s.mapping.fuse) fuse(s.network, c, net);

  std::int64_t conv_macs = 0;
  std::int64_t conv_cycles = 0;
  for (size_t i = 0; i < s.network.layers.size(); ++i) {
    if (!net.layers[i]) continue;
    const LayerPlan& p = *net.layers[i];
    net.issue_cycles += p.issue_cycles;
    net.macs += p.macs;
    net.dram.weights += p.dram.weights;
    net.dram.input += p.dram.input;
    net.dram.output += p.dram.output;
    net.dram.descriptors += p.dram.descriptors;
    net.dram.lower_bound += p.dram.lower_bound;
    if (s.network.layers[i].type == LayerType::Conv) {
      conv_macs += p.macs;
      conv_cycles += p.issue_cycles;
    }
  }
  const double slots = static_cast<double>(c.rows) * c.cols;
  if (net.issue_cycles > 0)
    net.utilisation_bound = static_cast<double>(net.macs) / (slots * net.issue_cycles);
  if (conv_cycles > 0) net.conv_utilisation_bound = static_cast<double>(conv_macs) / (slots * conv_cycles);
  return net;
}

}  // namespace dnnvp

#include "engine_plan.h"

#include <algorithm>

#include "error.h"
#include "pack.h"

namespace dnnvp {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
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

// P is usable when every tile's band fits an input-buffer half. (P <= AccDepth and P * Blocks <=
// OutHalfWords are the caller's bounds.) 4-bit data sets no condition: a band or tile that starts in
// the high nibble of a byte is moved as whole bytes and the engine skips or repeats the low nibble
// (docs/engine.md "Nibble starts").
bool tiles_fit(const Layer& l, const EngineConfig& c, const EngineGeometry& g, std::int64_t tile_pixels) {
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  const int in_w = l.input_shapes.at(0).w;
  for (std::int64_t first = 0; first < pixels; first += tile_pixels) {
    const Band b = band_of(l, first, std::min(tile_pixels, pixels - first));
    if (std::int64_t{b.rows} * in_w * g.chunks > c.input_half_words) return false;
  }
  return true;
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
struct ByteSpan {
  std::uint64_t offset = 0, bytes = 0;
};
ByteSpan byte_span(std::int64_t first, std::int64_t count, int bits) {
  const std::int64_t mid = storage_bits(bits) == 4 ? first % 2 : 0;
  return {packed_bytes(first - mid, bits), packed_bytes(mid + count, bits)};
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
  return c;
}

EngineGeometry engine_geometry(const Layer& l, const EngineConfig& c) {
  EngineGeometry g;
  g.chunks = static_cast<int>(ceil_div(l.input_shapes.at(0).c, c.rows));
  g.blocks = static_cast<int>(ceil_div(l.output_shape.c, c.cols));
  g.passes = std::int64_t{l.kernel_h} * l.kernel_w * g.chunks;
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

std::vector<Tile> cut_tiles(const Layer& l, const EngineConfig& c, std::int64_t tile_pixels) {
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  const std::int64_t row_values = input_row_values(l);
  const int cout = l.output_shape.c;
  std::vector<Tile> tiles;
  for (std::int64_t first = 0; first < pixels; first += tile_pixels) {
    Tile t;
    t.first_pixel = first;
    t.pixels = std::min(tile_pixels, pixels - first);
    const Band b = band_of(l, first, t.pixels);
    t.band_y0 = b.y0;
    t.band_rows = b.rows;
    const ByteSpan band = byte_span(b.y0 * row_values, b.rows * row_values, c.activation_bits);
    t.band_offset = band.offset;
    t.band_bytes = band.bytes;
    const ByteSpan out = byte_span(first * cout, t.pixels * cout, c.activation_bits);
    t.output_offset = out.offset;
    t.output_bytes = out.bytes;
    tiles.push_back(t);
  }
  return tiles;
}

LayerPlan plan_layer(const Layer& l, const EngineConfig& c) {
  // The array reduces over all input channels of a pixel; grouped weights would need their own blob
  // and pass layout (and no CPU path runs a conv instead).
  if (l.groups != 1)
    throw Error("layer '" + l.name + "' has groups: " + std::to_string(l.groups) +
                "; the engine runs only groups: 1 (grouped and depthwise convolution are not supported yet)");
  LayerPlan plan;
  plan.geometry = engine_geometry(l, c);
  const EngineGeometry& g = plan.geometry;
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  std::int64_t tile_pixels =
      std::min<std::int64_t>({c.accumulator_depth, c.output_half_words / g.blocks, pixels});
  while (tile_pixels > 0 && !tiles_fit(l, c, g, tile_pixels)) --tile_pixels;
  if (tile_pixels == 0) fail_without_tiles(l, c, g);
  plan.tile_pixels = tile_pixels;
  plan.tiles = cut_tiles(l, c, tile_pixels);

  // A pass is one pixel per cycle, but never shorter than the accumulator latency, nor than the
  // stream needs to bring the next pass's weights (a shorter pass starves the array).
  for (const Tile& t : plan.tiles) {
    plan.issue_cycles += g.blocks * g.passes * std::max({t.pixels, kMinPassCycles, g.weight_beats});
    plan.dram.input += t.band_bytes;
  }
  plan.macs = l.macs();
  plan.utilisation_bound = static_cast<double>(plan.macs) /
                           (static_cast<double>(c.rows) * c.cols * static_cast<double>(plan.issue_cycles));
  plan.dram.weights = plan.tiles.size() * g.blob_bytes;
  plan.dram.output = packed_bytes(l.output_shape.elements(), c.activation_bits);
  plan.dram.lower_bound =
      g.blob_bytes + packed_bytes(rows_read(l) * input_row_values(l), c.activation_bits) + plan.dram.output;
  return plan;
}

NetworkPlan plan_network(const Scenario& s) {
  const EngineConfig c = engine_config(s.hardware, s.quant);
  NetworkPlan net;
  std::int64_t conv_macs = 0;
  std::int64_t conv_cycles = 0;
  for (const Layer& l : s.network.layers) {
    if (!l.has_weights()) {
      net.layers.emplace_back();
      continue;
    }
    try {
      net.layers.emplace_back(plan_layer(l, c));
    } catch (const Error& e) {
      throw Error(located(s.file, 0, "", e.what()));
    }
    const LayerPlan& p = *net.layers.back();
    net.issue_cycles += p.issue_cycles;
    net.macs += p.macs;
    net.dram.weights += p.dram.weights;
    net.dram.input += p.dram.input;
    net.dram.output += p.dram.output;
    net.dram.lower_bound += p.dram.lower_bound;
    if (l.type == LayerType::Conv) {
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

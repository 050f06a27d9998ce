#include "engine_model.h"

#include <algorithm>
#include <optional>

#include "error.h"
#include "pack.h"

namespace dnnvp {

namespace {

// The weight stream of one tile: the blob, consumed in whole beats.
class WeightStream {
 public:
  WeightStream(const std::vector<std::uint8_t>& blob, int stream_bits)
      : blob_(blob), beat_bytes_(static_cast<std::uint64_t>(stream_bits) / 8) {}

  // The next `bytes` of the stream; the rest of their last beat is padding and is skipped.
  std::vector<std::uint8_t> take(std::uint64_t bytes) {
    const std::uint64_t span = (bytes + beat_bytes_ - 1) / beat_bytes_ * beat_bytes_;
    if (next_ + span > blob_.size()) throw Error("engine model: the weight blob ends early");
    const auto first = blob_.begin() + static_cast<std::ptrdiff_t>(next_);
    next_ += span;
    return {first, first + static_cast<std::ptrdiff_t>(bytes)};
  }
  bool finished() const { return next_ == blob_.size(); }

 private:
  const std::vector<std::uint8_t>& blob_;
  std::uint64_t beat_bytes_;
  std::uint64_t next_ = 0;
};

struct BlockParams {
  std::vector<std::int32_t> bias;
  std::vector<Requant> requant;
};

std::int32_t le32(const std::uint8_t* p) {
  return static_cast<std::int32_t>(std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 |
                                   std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
}

BlockParams read_params(WeightStream& stream, int cols) {
  const std::vector<std::uint8_t> bytes =
      stream.take(kParamBytesPerChannel * static_cast<std::uint64_t>(cols));
  BlockParams p;
  for (int c = 0; c < cols; ++c) {
    p.bias.push_back(le32(&bytes[4 * static_cast<size_t>(c)]));
    p.requant.push_back(
        {le32(&bytes[4 * static_cast<size_t>(cols + c)]), bytes[8 * static_cast<size_t>(cols) + c]});
  }
  return p;
}

// One pass's weights w[r][c] at index r * Cols + c.
std::vector<std::int32_t> read_weight_block(WeightStream& stream, const EngineConfig& config) {
  const std::int64_t count = std::int64_t{config.rows} * config.cols;
  return unpack(stream.take(packed_bytes(count, config.weight_bits)), count, {config.weight_bits, true});
}

// An accumulator register of `bits` wraps around like two's complement hardware.
std::int64_t wrap_to_bits(std::int64_t v, int bits) {
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  const std::uint64_t u = static_cast<std::uint64_t>(v) & mask;
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>(u ^ sign) - static_cast<std::int64_t>(sign);
}

// Loader: the tile's band minus the input zero point, each pixel as Chunks words of Rows values
// (channels beyond Cin are zero), as the input-buffer half holds it.
std::vector<std::int32_t> load_band(const Layer& l, const Tile& t, const EngineGeometry& g,
                                    const EngineConfig& config, const EngineLayerQuant& quant,
                                    const std::vector<std::uint8_t>& packed_input, const std::string& where) {
  const Shape in = l.input_shapes.at(0);
  const int chunks = g.chunks;
  const std::int64_t band_pixels = std::int64_t{t.band_rows} * in.w;
  if (band_pixels * chunks > config.input_half_words)
    throw Error(where + ": band exceeds the input buffer half");
  if (t.band_offset + t.band_bytes > packed_input.size())
    throw Error(where + ": band beyond the input tensor");
  // A 4-bit band whose first value has an odd index starts in the high nibble of its first byte:
  // the loader skips the low one (the engine derives this from BAND_Y0, W and Cin, as here).
  const int skip = storage_bits(quant.input.bits) == 4 && std::int64_t{t.band_y0} * in.w * in.c % 2 != 0;
  const auto band_first = packed_input.begin() + static_cast<std::ptrdiff_t>(t.band_offset);
  std::vector<std::int32_t> band =
      unpack({band_first, band_first + static_cast<std::ptrdiff_t>(t.band_bytes)}, skip + band_pixels * in.c,
             quant.input);
  band.erase(band.begin(), band.begin() + skip);
  const size_t pixel_values = static_cast<size_t>(chunks) * config.rows;
  std::vector<std::int32_t> words(static_cast<size_t>(band_pixels) * pixel_values, 0);
  for (std::int64_t pixel = 0; pixel < band_pixels; ++pixel)
    for (int ch = 0; ch < in.c; ++ch)
      words[static_cast<size_t>(pixel) * pixel_values + ch] =
          band[static_cast<size_t>(pixel * in.c + ch)] - quant.input_zero_point;
  return words;
}

// Core: per output block its params, then every pass (ky, kx, chunk) over the tile's pixels, one
// pixel per cycle, accumulating in the accumulator buffer; the last pass requantises into the
// output buffer, whose word p * Blocks + cb holds pixel p's block cb.
std::vector<std::int32_t> compute_tile(const Layer& l, const Tile& t, const LayerPlan& plan,
                                       const EngineConfig& config, const EngineLayerQuant& quant,
                                       const std::vector<std::uint8_t>& blob,
                                       const std::vector<std::int32_t>& input_buffer,
                                       const std::string& where, EngineCounters& counters) {
  const EngineGeometry& g = plan.geometry;
  const Shape in = l.input_shapes.at(0);
  const int rows = config.rows;
  const int cols = config.cols;
  if (t.pixels > config.accumulator_depth || t.pixels * g.blocks > config.output_half_words)
    throw Error(where + ": tile exceeds the accumulator or the output buffer half");
  const size_t pixel_values = static_cast<size_t>(g.chunks) * rows;
  const std::vector<std::int32_t> padding_word(static_cast<size_t>(rows), 0);
  std::vector<std::int64_t> accumulators(static_cast<size_t>(t.pixels) * cols, 0);
  std::vector<std::int32_t> output_buffer(static_cast<size_t>(t.pixels * g.blocks) * cols, 0);
  WeightStream stream(blob, config.stream_bits);
  const int cout = l.output_shape.c;
  for (int cb = 0; cb < g.blocks; ++cb) {
    const BlockParams params = read_params(stream, cols);
    const PassChunks walk = pass_chunks(g, cb);
    std::int64_t pass = 0;
    for (int ky = 0; ky < l.kernel_h; ++ky)
      for (int kx = 0; kx < l.kernel_w; ++kx)
        for (int chunk = walk.first; chunk < walk.first + walk.count; ++chunk, ++pass) {
          const std::vector<std::int32_t> weights = read_weight_block(stream, config);
          const bool first_pass = pass == 0;
          const bool last_pass = pass == g.passes - 1;
          // The MACS counter's lanes: real input channels by real columns, or by the group's columns.
          const std::int64_t real_rows = std::min(rows, in.c - chunk * rows);
          const std::int64_t fed_cols = g.group_cols != 0 ? g.group_cols : std::min(cols, cout - cb * cols);
          counters.macs += t.pixels * real_rows * fed_cols;
          counters.active += t.pixels;
          for (std::int64_t p = 0; p < t.pixels; ++p) {
            const std::int64_t pixel = t.first_pixel + p;
            const std::int64_t iy = pixel / l.output_shape.w * l.stride_h - l.padding.top + ky;
            const std::int64_t ix = pixel % l.output_shape.w * l.stride_w - l.padding.left + kx;
            const std::int32_t* x = padding_word.data();
            if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w) {
              if (iy < t.band_y0 || iy >= t.band_y0 + t.band_rows)
                throw Error(where + ": tap outside the band");
              x = &input_buffer[static_cast<size_t>((iy - t.band_y0) * in.w + ix) * pixel_values +
                                static_cast<size_t>(chunk) * rows];
            }
            for (int c = 0; c < cols; ++c) {
              std::int64_t column_sum = 0;  // the column's adder tree
              for (int r = 0; r < rows; ++r)
                column_sum += std::int64_t{x[r]} * weights[static_cast<size_t>(r) * cols + c];
              std::int64_t& acc = accumulators[static_cast<size_t>(p) * cols + c];
              acc = wrap_to_bits((first_pass ? params.bias[c] : acc) + column_sum, config.accumulator_bits);
              if (last_pass)
                output_buffer[static_cast<size_t>(p * g.blocks + cb) * cols + c] =
                    requantize(acc, params.requant[c], l.activation, l.leaky_shift, quant.output_zero_point,
                               quant.output, quant.rounding);
            }
          }
        }
  }
  if (!stream.finished()) throw Error(where + ": the weight blob is longer than the layer needs");
  return output_buffer;
}

// Drain: per pixel, every block's real channels, packed at the output width. A 4-bit tile whose
// first value has an odd index starts with the byte it shares with the previous tile, whose low
// nibble (`carried`, that tile's last value) the drain repeats.
std::vector<std::uint8_t> drain(const Layer& l, const Tile& t, const EngineGeometry& g,
                                const EngineConfig& config, const EngineLayerQuant& quant,
                                const std::vector<std::int32_t>& output_buffer,
                                std::optional<std::int32_t> carried) {
  const int cout = l.output_shape.c;
  const int blocks = g.blocks;
  std::vector<std::int32_t> values;
  values.reserve(static_cast<size_t>(t.pixels) * cout + 1);
  if (carried) values.push_back(*carried);
  for (std::int64_t p = 0; p < t.pixels; ++p)
    for (int cb = 0; cb < blocks; ++cb)
      for (int c = 0; c < std::min(config.cols, cout - cb * config.cols); ++c)
        values.push_back(output_buffer[static_cast<size_t>(p * blocks + cb) * config.cols + c]);
  return pack(values, quant.output.bits);
}

}  // namespace

EngineLayerRun run_engine_layer(const Layer& l, const LayerPlan& plan, const EngineConfig& config,
                                const EngineLayerQuant& quant, const std::vector<std::uint8_t>& blob,
                                const std::vector<std::uint8_t>& packed_input) {
  EngineLayerRun run;
  std::vector<std::uint8_t>& output = run.output;
  output.assign(packed_bytes(l.output_shape.elements(), quant.output.bits), 0);
  for (const Tile& t : plan.tiles) {
    const std::string where =
        "engine model: layer '" + l.name + "' tile at pixel " + std::to_string(t.first_pixel);
    const std::vector<std::int32_t> input_buffer =
        load_band(l, t, plan.geometry, config, quant, packed_input, where);
    const bool mid_byte = storage_bits(quant.output.bits) == 4 && t.first_pixel * l.output_shape.c % 2 != 0;
    const std::optional<std::int32_t> carried =
        mid_byte ? std::optional<std::int32_t>(output.at(t.output_offset) & 0xF) : std::nullopt;
    const std::vector<std::uint8_t> bytes =
        drain(l, t, plan.geometry, config, quant,
              compute_tile(l, t, plan, config, quant, blob, input_buffer, where, run.counters), carried);
    if (bytes.size() != t.output_bytes || t.output_offset + bytes.size() > output.size())
      throw Error(where + ": output run does not match the tile");
    std::copy(bytes.begin(), bytes.end(), output.begin() + static_cast<std::ptrdiff_t>(t.output_offset));
  }
  return run;
}

}  // namespace dnnvp

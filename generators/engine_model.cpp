#include "engine_model.h"

#include <algorithm>
#include <optional>

#include "error.h"
#include "pack.h"
#include "pool_divider.h"

namespace dnnvp {

namespace {

// The weight stream of one tile: the blob's bytes [first, end) (a block group's run, or all of it),
// consumed in whole beats.
class WeightStream {
 public:
  WeightStream(const std::vector<std::uint8_t>& blob, std::uint64_t first, std::uint64_t end, int stream_bits)
      : blob_(blob), beat_bytes_(static_cast<std::uint64_t>(stream_bits) / 8), next_(first), end_(end) {}

  // The next `bytes` of the stream; the rest of their last beat is padding and is skipped.
  std::vector<std::uint8_t> take(std::uint64_t bytes) {
    const std::uint64_t span = (bytes + beat_bytes_ - 1) / beat_bytes_ * beat_bytes_;
    if (next_ + span > end_) throw Error("engine model: the weight blob ends early");
    const auto first = blob_.begin() + static_cast<std::ptrdiff_t>(next_);
    next_ += span;
    return {first, first + static_cast<std::ptrdiff_t>(bytes)};
  }
  bool finished() const { return next_ == end_; }

 private:
  const std::vector<std::uint8_t>& blob_;
  std::uint64_t beat_bytes_;
  std::uint64_t next_;
  std::uint64_t end_;
};

// Output blocks first .. first + count - 1: a tile's (all of them) or a block group's.
struct BlockRange {
  int first = 0;
  int count = 0;
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

// Loader: the tile's band minus the input zero point, each pixel as Chunks words of Rows values
// (channels beyond Cin are zero), as the input-buffer half (both halves: band_whole) holds it. `v` is the
// layer as the engine sees it; a row_step band arrives as its rows gathered from DRAM one after the other.
std::vector<std::int32_t> load_band(const Layer& v, const Tile& t, const LayerPlan& plan,
                                    const EngineConfig& config, const EngineLayerQuant& quant,
                                    const std::vector<std::uint8_t>& packed_input, const std::string& where,
                                    DramBytes& dram) {
  const Shape in = v.input_shapes.at(0);
  const int chunks = plan.geometry.chunks;
  const std::int64_t band_pixels = std::int64_t{t.band_rows} * in.w;
  if (band_pixels * chunks > config.input_half_words * (plan.band_whole ? 2 : 1))
    throw Error(where + ": band exceeds the input buffer " + (plan.band_whole ? "" : "half"));
  std::vector<std::uint8_t> bytes;
  for (const ByteSpan& run : band_runs(t)) {
    if (run.offset + run.bytes > packed_input.size()) throw Error(where + ": band beyond the input tensor");
    const auto first = packed_input.begin() + static_cast<std::ptrdiff_t>(run.offset);
    bytes.insert(bytes.end(), first, first + static_cast<std::ptrdiff_t>(run.bytes));
    dram.input += run.bytes;
    if (t.band_pitch != 0) dram.descriptors += kDescriptorBytes;
  }
  // A 4-bit band whose first value has an odd index starts in the high nibble of its first byte:
  // the loader skips the low one (the engine derives this from BAND_Y0, W and Cin, as here; gathered
  // rows are whole bytes).
  const int skip = storage_bits(quant.input.bits) == 4 && std::int64_t{t.band_y0} * in.w * in.c % 2 != 0;
  std::vector<std::int32_t> band = unpack(bytes, skip + band_pixels * in.c, quant.input);
  band.erase(band.begin(), band.begin() + skip);
  const size_t pixel_values = static_cast<size_t>(chunks) * config.rows;
  std::vector<std::int32_t> words(static_cast<size_t>(band_pixels) * pixel_values, 0);
  for (std::int64_t pixel = 0; pixel < band_pixels; ++pixel)
    for (int ch = 0; ch < in.c; ++ch)
      words[static_cast<size_t>(pixel) * pixel_values + ch] =
          band[static_cast<size_t>(pixel * in.c + ch)] - quant.input_zero_point;
  return words;
}

// The output stage's saturation: the output type's range, narrowed by MODE.CLIP.
std::int32_t clipped(std::int32_t v, const EngineLayerQuant& quant) {
  return quant.clip ? std::clamp(v, quant.clip->first, quant.clip->second) : v;
}

// The input word of output pixel `pixel`'s tap (ky, kx) and chunk (a folded pass reads the F words from
// there on), or nullptr for a padding tap.
const std::int32_t* tap_word(const Layer& l, const Tile& t, const EngineGeometry& g,
                             const EngineConfig& config, const std::vector<std::int32_t>& input_buffer,
                             std::int64_t pixel, int ky, int kx, int chunk, const std::string& where) {
  const Shape in = l.input_shapes.at(0);
  const std::int64_t iy = pixel / l.output_shape.w * l.stride_h - l.padding.top + ky;
  const std::int64_t ix = pixel % l.output_shape.w * l.stride_w - l.padding.left + kx;
  if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) return nullptr;
  if (iy < t.band_y0 || iy >= t.band_y0 + t.band_rows) throw Error(where + ": tap outside the band");
  return &input_buffer[static_cast<size_t>(((iy - t.band_y0) * in.w + ix) * g.chunks + chunk) * config.rows];
}

// Core, convolution: per output block its params, then every pass (ky, kx, F chunks) over the block's
// chunks and the tile's pixels, one pixel per cycle, accumulating in the accumulator buffer; the last
// pass requantises into the output buffer, whose word p * Blocks + cb holds pixel p's block cb. At
// Cin-fold F, column c multiplies the pass's word c / Cv and output lane j sums the columns j, Cv + j, ...
std::vector<std::int32_t> convolve_tile(const Layer& l, const Tile& t, const LayerPlan& plan,
                                        const EngineConfig& config, const EngineLayerQuant& quant,
                                        WeightStream& stream, BlockRange blocks,
                                        const std::vector<std::int32_t>& input_buffer,
                                        const std::string& where, EngineCounters& counters) {
  const EngineGeometry& g = plan.geometry;
  const int cin = l.input_shapes.at(0).c;
  const int cout = l.output_shape.c;
  const int rows = config.rows;
  const int cols = config.cols;
  const int fold = g.fold;
  const int lanes = block_lanes(g, config);
  const std::vector<std::int32_t> padding_words(static_cast<size_t>(fold) * rows, 0);
  std::vector<std::int64_t> accumulators(static_cast<size_t>(t.pixels) * lanes, 0);
  std::vector<std::int32_t> output_buffer(static_cast<size_t>(t.pixels * blocks.count) * cols, 0);
  for (int cb = blocks.first; cb < blocks.first + blocks.count; ++cb) {
    const BlockParams params = read_params(stream, cols);
    const PassChunks walk = pass_chunks(g, cb);
    std::int64_t pass = 0;
    for (int ky = 0; ky < l.kernel_h; ++ky)
      for (int kx = 0; kx < l.kernel_w; ++kx)
        for (int chunk = walk.first; chunk < walk.first + walk.count; chunk += fold, ++pass) {
          const std::vector<std::int32_t> weights = read_weight_block(stream, config);
          const bool first_pass = pass == 0;
          const bool last_pass = pass == g.passes - 1;
          // The MACS counter's lanes: real input channels of the F words by real lanes, or by the group's
          // columns.
          const std::int64_t real_rows = std::clamp(cin - chunk * rows, 0, fold * rows);
          const std::int64_t fed_cols = g.group_cols != 0 ? g.group_cols : std::min(lanes, cout - cb * lanes);
          counters.macs += t.pixels * real_rows * fed_cols;
          counters.active += t.pixels;
          for (std::int64_t p = 0; p < t.pixels; ++p) {
            const std::int32_t* x =
                tap_word(l, t, g, config, input_buffer, t.first_pixel + p, ky, kx, chunk, where);
            if (x == nullptr) x = padding_words.data();
            for (int j = 0; j < lanes; ++j) {
              std::int64_t lane_sum = 0;  // the adder trees of columns j, Cv + j, ..., then the group sum
              for (int group = 0; group < fold; ++group)
                for (int r = 0; r < rows; ++r)
                  lane_sum += std::int64_t{x[group * rows + r]} *
                              weights[static_cast<size_t>(r) * cols + static_cast<size_t>(group * lanes + j)];
              std::int64_t& acc = accumulators[static_cast<size_t>(p) * lanes + j];
              acc = wrap_to_bits((first_pass ? params.bias[j] : acc) + lane_sum, config.accumulator_bits);
              if (last_pass)
                output_buffer[static_cast<size_t>(p * blocks.count + cb - blocks.first) * cols + j] =
                    clipped(requantize(acc, params.requant[j], l.activation, l.leaky_shift,
                                       quant.output_zero_point, quant.output, quant.rounding),
                            quant);
            }
          }
        }
  }
  return output_buffer;
}

// Core, depthwise taps on rows (OP 3; the tile is whole output rows): per block its params, then per
// sweep s the feed presents each output pixel's taps s*Rows .. s*Rows + Rows - 1 on the rows (zero beyond
// kh*kw and at padding), channel cb*Cv + c on column c < Cv; column c's tree sums its Rows taps into lane
// c, accumulated over the sweeps like a conv's passes.
std::vector<std::int32_t> depthwise_tile(const Layer& l, const Tile& t, const LayerPlan& plan,
                                         const EngineConfig& config, const EngineLayerQuant& quant,
                                         WeightStream& stream, const std::vector<std::int32_t>& input_buffer,
                                         const std::string& where, EngineCounters& counters) {
  const EngineGeometry& g = plan.geometry;
  const int channels = l.output_shape.c;
  const int rows = config.rows;
  const int cols = config.cols;
  const int lanes = block_lanes(g, config);
  const int taps = l.kernel_h * l.kernel_w;
  if (t.first_pixel % l.output_shape.w != 0 || t.pixels % l.output_shape.w != 0)
    throw Error(where + ": a depthwise tile is not whole output rows");
  std::vector<std::int64_t> accumulators(static_cast<size_t>(t.pixels) * lanes, 0);
  std::vector<std::int32_t> output_buffer(static_cast<size_t>(t.pixels * g.blocks) * cols, 0);
  for (int cb = 0; cb < g.blocks; ++cb) {
    const BlockParams params = read_params(stream, cols);
    const std::int64_t real_lanes = std::min(lanes, channels - cb * lanes);
    for (std::int64_t sweep = 0; sweep < g.passes; ++sweep) {
      const std::vector<std::int32_t> weights = read_weight_block(stream, config);
      const std::int64_t first_tap = sweep * rows;
      counters.macs += t.pixels * std::min<std::int64_t>(rows, taps - first_tap) * real_lanes;
      counters.active += t.pixels;
      for (std::int64_t p = 0; p < t.pixels; ++p) {
        std::vector<const std::int32_t*> x(static_cast<size_t>(rows), nullptr);  // row r's tap, or padding
        for (int r = 0; r < rows && first_tap + r < taps; ++r) {
          const int tap = static_cast<int>(first_tap + r);
          x[static_cast<size_t>(r)] = tap_word(l, t, g, config, input_buffer, t.first_pixel + p,
                                               tap / l.kernel_w, tap % l.kernel_w, cb * g.fold, where);
        }
        for (int j = 0; j < lanes; ++j) {
          std::int64_t lane_sum = 0;  // column j's adder tree
          for (int r = 0; r < rows; ++r)
            if (x[static_cast<size_t>(r)] != nullptr)
              lane_sum +=
                  std::int64_t{x[static_cast<size_t>(r)][j]} * weights[static_cast<size_t>(r) * cols + j];
          std::int64_t& acc = accumulators[static_cast<size_t>(p) * lanes + j];
          acc = wrap_to_bits((sweep == 0 ? params.bias[j] : acc) + lane_sum, config.accumulator_bits);
          if (sweep == g.passes - 1)
            output_buffer[static_cast<size_t>(p * g.blocks + cb) * cols + j] =
                clipped(requantize(acc, params.requant[j], l.activation, l.leaky_shift,
                                   quant.output_zero_point, quant.output, quant.rounding),
                        quant);
        }
      }
    }
  }
  return output_buffer;
}

// Core, pools: block cb reads chunks cb*F .. cb*F + F - 1 only, one pass per tap (ky, kx) over the tile's
// pixels; padding taps are skipped (never the maximum, not in the sum). The output word p * Blocks + cb
// holds F * Rows values.
std::vector<std::int32_t> pool_tile(const Layer& l, const Tile& t, const LayerPlan& plan,
                                    const EngineConfig& config, const EngineLayerQuant& quant,
                                    const std::vector<std::int32_t>& input_buffer, const std::string& where,
                                    EngineCounters& counters) {
  const EngineGeometry& g = plan.geometry;
  const int lanes = block_lanes(g, config);
  const bool max_pool = g.op == EngineOp::MaxPool;
  const std::uint32_t count = engine_pool_count(l);
  const PoolDivider divider =
      max_pool ? PoolDivider{}
               : pool_divider(count, pool_sum_bits(static_cast<unsigned>(quant.input.bits), count));
  std::vector<std::int32_t> output_buffer(static_cast<size_t>(t.pixels * g.blocks) * config.cols, 0);
  for (int cb = 0; cb < g.blocks; ++cb) {
    std::vector<std::optional<std::int64_t>> acc(static_cast<size_t>(t.pixels) * lanes);
    for (int ky = 0; ky < l.kernel_h; ++ky)
      for (int kx = 0; kx < l.kernel_w; ++kx) {
        counters.active += t.pixels;
        for (std::int64_t p = 0; p < t.pixels; ++p) {
          const std::int32_t* x =
              tap_word(l, t, g, config, input_buffer, t.first_pixel + p, ky, kx, cb * g.fold, where);
          if (x == nullptr) continue;
          for (int r = 0; r < lanes; ++r) {
            std::optional<std::int64_t>& a = acc[static_cast<size_t>(p) * lanes + r];
            a = !a ? x[r] : max_pool ? std::max<std::int64_t>(*a, x[r]) : *a + x[r];
          }
        }
      }
    for (std::int64_t p = 0; p < t.pixels; ++p)
      for (int r = 0; r < lanes; ++r) {
        const std::int64_t a = acc[static_cast<size_t>(p) * lanes + r].value();
        const std::int64_t x =
            max_pool ? a : divide_pool_sum(a, count, divider.magic, divider.shift, quant.rounding);
        output_buffer[static_cast<size_t>(p * g.blocks + cb) * config.cols + r] =
            clipped(saturate(x + quant.output_zero_point, quant.output), quant);
      }
  }
  return output_buffer;
}

// Drain: per pixel, every block's real channels (Cv of a conv's block, F * Rows of a pool's). A 4-bit tile
// whose first value has an odd index starts with the byte it shares with the previous tile, whose low
// nibble (`carried`, that tile's last value) the drain repeats.
std::vector<std::int32_t> drain(const Layer& l, const Tile& t, const EngineGeometry& g,
                                const EngineConfig& config, const std::vector<std::int32_t>& output_buffer,
                                BlockRange blocks, std::optional<std::int32_t> carried) {
  const int cout = l.output_shape.c;
  const int lanes = block_lanes(g, config);
  std::vector<std::int32_t> values;
  values.reserve(static_cast<size_t>(t.pixels) * cout + 1);
  if (carried) values.push_back(*carried);
  for (std::int64_t p = 0; p < t.pixels; ++p)
    for (int cb = blocks.first; cb < blocks.first + blocks.count; ++cb)
      for (int c = 0; c < std::min(lanes, cout - cb * lanes); ++c)
        values.push_back(
            output_buffer[static_cast<size_t>(p * blocks.count + cb - blocks.first) * config.cols + c]);
  return values;
}

// The ELT stage: each drained value a with the value b at the same place of the residual packet, the
// output run's bytes [offset, offset + bytes) of operand b (so a carried first value meets the previous
// tile's last b).
void add_residual(std::vector<std::int32_t>& values, std::uint64_t offset, std::uint64_t bytes,
                  const EngineLayerQuant& quant, const EngineResidual& r, const std::string& where) {
  if (offset + bytes > r.b.size()) throw Error(where + ": residual beyond operand b");
  const auto first = r.b.begin() + static_cast<std::ptrdiff_t>(offset);
  const std::vector<std::int32_t> b = unpack({first, first + static_cast<std::ptrdiff_t>(bytes)},
                                             static_cast<std::int64_t>(values.size()), r.b_type);
  for (size_t k = 0; k < values.size(); ++k)
    values[k] = add_elements(values[k], quant.output_zero_point, b[k], r.b_zero_point, r.params, r.activation,
                             r.leaky_shift, r.y_zero_point, r.y_type, r.rounding);
}

}  // namespace

EngineLayerRun run_engine_layer(const Layer& l, const LayerPlan& plan, const EngineConfig& config,
                                const EngineLayerQuant& quant, const std::vector<std::uint8_t>& blob,
                                const std::vector<std::uint8_t>& packed_input,
                                const std::optional<EngineResidual>& residual) {
  const EngineGeometry& g = plan.geometry;
  const Layer v = row_step_view(l, plan.row_step);
  const QuantType stored = residual ? residual->y_type : quant.output;
  const int cout = l.output_shape.c;
  EngineLayerRun run;
  run.output.assign(packed_bytes(l.output_shape.elements(), stored.bits), 0);
  const bool weighted = g.op == EngineOp::Conv || g.op == EngineOp::Depthwise;
  if (!weighted && !blob.empty()) throw Error("engine model: layer '" + l.name + "': a pool has no blob");
  // Block groups stream their run of the block-major blob: blob_bytes / blocks per block.
  const int group = plan.block_group == 0 ? g.blocks : plan.block_group;
  if (plan.block_group != 0 && blob.size() != g.blob_bytes)
    throw Error("engine model: layer '" + l.name + "': the weight blob has " + std::to_string(blob.size()) +
                " bytes, its block groups need " + std::to_string(g.blob_bytes));
  const std::uint64_t block_bytes =
      plan.block_group == 0 ? 0 : g.blob_bytes / static_cast<std::uint64_t>(g.blocks);
  std::optional<std::int32_t> last_value;  // the drain keeps the previous tile's last value (a, not y)
  for (const Tile& t : plan.tiles) {
    const std::string tile_where =
        "engine model: layer '" + l.name + "' tile at pixel " + std::to_string(t.first_pixel);
    const std::vector<std::int32_t> input_buffer =
        load_band(v, t, plan, config, quant, packed_input, tile_where, run.dram);
    for (int first_block = 0; first_block < g.blocks; first_block += group) {
      const BlockRange blocks{first_block, std::min(group, g.blocks - first_block)};
      const std::string where =
          plan.block_group == 0 ? tile_where : tile_where + ", blocks from " + std::to_string(first_block);
      if (t.pixels > config.accumulator_depth || t.pixels * blocks.count > config.output_half_words)
        throw Error(where + ": tile exceeds the accumulator or the output buffer half");
      std::vector<std::int32_t> output_buffer;
      if (weighted) {
        const std::uint64_t stream_first = first_block * block_bytes;
        const std::uint64_t stream_end =
            plan.block_group == 0 ? blob.size() : (first_block + blocks.count) * block_bytes;
        WeightStream stream(blob, stream_first, stream_end, config.stream_bits);
        output_buffer =
            g.op == EngineOp::Depthwise
                ? depthwise_tile(v, t, plan, config, quant, stream, input_buffer, where, run.counters)
                : convolve_tile(v, t, plan, config, quant, stream, blocks, input_buffer, where, run.counters);
        if (!stream.finished()) throw Error(where + ": the weight blob is longer than the layer needs");
        run.dram.weights += stream_end - stream_first;
      } else {
        output_buffer = pool_tile(v, t, plan, config, quant, input_buffer, where, run.counters);
      }
      if (plan.block_group == 0) {  // the tile's pixels, one run
        const bool mid_byte = storage_bits(stored.bits) == 4 && t.first_pixel * cout % 2 != 0;
        std::vector<std::int32_t> values =
            drain(v, t, g, config, output_buffer, blocks, mid_byte ? last_value : std::nullopt);
        last_value = values.back();
        if (residual) {
          add_residual(values, t.output_offset, t.output_bytes, quant, *residual, where);
          run.dram.input += t.output_bytes;
        }
        const std::vector<std::uint8_t> bytes = pack(values, stored.bits);
        if (bytes.size() != t.output_bytes || t.output_offset + bytes.size() > run.output.size())
          throw Error(where + ": output run does not match the tile");
        std::copy(bytes.begin(), bytes.end(),
                  run.output.begin() + static_cast<std::ptrdiff_t>(t.output_offset));
        run.dram.output += bytes.size();
        continue;
      }
      // A group's outputs: each pixel's OUT_C values at pitch Cout, whole bytes (the planner's rule).
      const std::vector<std::int32_t> values = drain(v, t, g, config, output_buffer, blocks, std::nullopt);
      const std::int64_t out_c = static_cast<std::int64_t>(values.size()) / t.pixels;
      const int bits = storage_bits(stored.bits);
      for (std::int64_t p = 0; p < t.pixels; ++p) {
        const std::int64_t first_value =
            (t.first_pixel + p) * cout + std::int64_t{first_block} * block_lanes(g, config);
        if (first_value * bits % 8 != 0 || out_c * bits % 8 != 0)
          throw Error(where + ": a block group's output run does not start and end on a byte");
        std::vector<std::int32_t> pixel(values.begin() + p * out_c, values.begin() + (p + 1) * out_c);
        const std::uint64_t offset = packed_bytes(first_value, stored.bits);
        const std::uint64_t bytes = packed_bytes(out_c, stored.bits);
        if (residual) {  // operand b's run on its own descriptor
          add_residual(pixel, offset, bytes, quant, *residual, where);
          run.dram.input += bytes;
          run.dram.descriptors += kDescriptorBytes;
        }
        const std::vector<std::uint8_t> packed = pack(pixel, stored.bits);
        run.dram.output += packed.size();
        run.dram.descriptors += kDescriptorBytes;
        std::copy(packed.begin(), packed.end(), run.output.begin() + static_cast<std::ptrdiff_t>(offset));
      }
    }
  }
  return run;
}

}  // namespace dnnvp

#include "fast_tile.h"

#include <algorithm>

#include "arith.h"
#include "pack.h"

namespace dnnvp::fast {

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

std::int32_t le32(const std::uint8_t* p) {
  return static_cast<std::int32_t>(std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 |
                                   std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
}

// Bytes of a params block: bias, multiplier (int32) and shift (uint8) per column.
constexpr std::uint64_t kParamBytesPerColumn = 9;

Activation activation_of(unsigned code) {
  return code == 1 ? Activation::Relu : code == 2 ? Activation::LeakyRelu : Activation::None;
}

Rounding rounding_of(bool even) {
  return even ? Rounding::HalfEven : Rounding::HalfUp;
}

// The output stage's range: the output type, narrowed by MODE.CLIP.
std::int32_t clipped(std::int32_t v, const Descriptor& d) {
  return d.clip ? std::clamp(v, d.clip_lo, d.clip_hi) : v;
}

// One issued pixel of a pass: lane j (< lanes) adds the products of the F*Rows values of x with column
// f*lanes + j's weights (w[r][c] at r*cols + c): the adder trees, then the fold's group sum. Zero values
// (padding, ReLU outputs) are skipped, which changes no sum.
template <class Sum>
inline __attribute__((always_inline)) void add_products(std::int64_t* acc, const std::int32_t* x,
                                                        const std::int32_t* w, unsigned fold, int rows,
                                                        int cols, int lanes, Sum* sums) {
  std::fill(sums, sums + lanes, Sum{0});
  for (unsigned f = 0; f < fold; ++f)
    for (int r = 0; r < rows; ++r) {
      const Sum v = x[f * static_cast<unsigned>(rows) + static_cast<unsigned>(r)];
      if (v == 0) continue;
      const std::int32_t* column =
          w + static_cast<std::ptrdiff_t>(r) * cols + static_cast<std::ptrdiff_t>(f) * lanes;
      for (int j = 0; j < lanes; ++j) sums[j] += v * column[j];
    }
  for (int j = 0; j < lanes; ++j) acc[j] += sums[j];
}

// The 32-bit sums' case, most of the fast engine's time: built also for AVX2 (chosen at load time where the
// host has it), whose 32-bit vector multiply the baseline x86-64 lacks (add_products is inlined into each).
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
void add_products32(std::int64_t* acc, const std::int32_t* x, const std::int32_t* w, unsigned fold, int rows,
                    int cols, int lanes, std::int32_t* sums) {
  add_products<std::int32_t>(acc, x, w, fold, rows, cols, lanes, sums);
}

}  // namespace

Geometry::Geometry(const EngineShape& s)
    : rows(s.rows),
      cols(s.cols),
      acc_bits(s.acc_bits),
      act_bits(s.act_bits),
      fold_max(s.fold_max),
      beat_bytes(static_cast<std::size_t>(s.stream_bits / 8)),
      in_depth(static_cast<std::uint64_t>(s.input_buffer_bytes / s.rows)),
      fifo_beats(static_cast<std::uint64_t>(s.weight_buffer_bytes) * 8 /
                 static_cast<std::uint64_t>(s.stream_bits)) {
  if (s.fold_max > 1) ++timing.pipeline;  // the PE array's group-sum stage
}

int bit_length(std::uint64_t v) {
  int n = 0;
  for (; v != 0; v >>= 1) ++n;
  return n;
}

int setup_cycles(const Descriptor& d, const Geometry& g) {
  // Phase 1 multiplies by Chunks, W, SW and the MAC counts' last input / output channels; phase 2 by
  // Chunks: each phase lasts its widest multiplier's bit length, plus the cycle that sees it done.
  const std::uint64_t frows = std::uint64_t{d.fold} * static_cast<std::uint64_t>(g.rows);
  const std::uint64_t cv = static_cast<std::uint64_t>(g.cols) / d.fold;
  const std::uint64_t chunks = ceil_div(d.in_c, frows) * d.fold;
  const std::uint64_t last_in = d.in_c % frows != 0 ? d.in_c % frows : frows;
  // Depthwise multiplies by the last block's channels and the last sweep's taps instead.
  const std::uint64_t taps = std::uint64_t{d.kh} * d.kw, rows = static_cast<std::uint64_t>(g.rows);
  const std::uint64_t last_out = d.op == kDepthwise                 ? taps - (ceil_div(taps, rows) - 1) * rows
                                 : d.op == 0 && d.group_chunks != 0 ? d.group_cols
                                                                    : (d.out_c % cv != 0 ? d.out_c % cv : cv);
  const int phase1 = std::max(
      {bit_length(chunks), bit_length(d.in_w), bit_length(d.sw), bit_length(last_in), bit_length(last_out)});
  return g.timing.core_setup + phase1 + bit_length(chunks);
}

DwWindow dw_window(const Descriptor& d) {
  const std::uint64_t out_rows = ceil_div(d.tile_p, d.out_w);
  return {(out_rows - 1) * d.sh + d.kh, (std::uint64_t{d.out_w} - 1) * d.sw + d.kw};
}

std::uint64_t issue_slots(const Descriptor& d) {
  if (d.op != kDepthwise) return d.tile_p;
  const DwWindow w = dw_window(d);
  return w.rows * w.cols;
}

std::uint64_t pass_slots(const Descriptor& d, const Geometry& g) {
  return std::max<std::uint64_t>(issue_slots(d), static_cast<std::uint64_t>(g.timing.min_pass));
}

std::uint64_t pixel_words(const Descriptor& d, int rows) {
  const std::uint64_t chunks = ceil_div(d.in_c, static_cast<std::uint64_t>(rows));
  return ceil_div(chunks, d.fold) * d.fold;
}

int block_lanes(const Descriptor& d, const Geometry& g) {
  return d.op == 0 ? g.cols / static_cast<int>(d.fold) : static_cast<int>(d.fold) * g.rows;
}

PassTap pass_tap(const Descriptor& d, const Geometry& g, std::uint32_t block, std::uint32_t pass) {
  const std::uint64_t first = d.group_chunks != 0 ? std::uint64_t{block} * d.chunk_step : 0;
  const std::uint64_t count = d.group_chunks != 0 ? d.group_chunks : pixel_words(d, g.rows);
  const std::uint64_t per_tap = d.op == 0 ? ceil_div(count, d.fold) : 1;
  const std::uint64_t tap = pass / per_tap;
  PassTap t;
  t.ky = static_cast<unsigned>(tap / d.kw);
  t.kx = static_cast<unsigned>(tap % d.kw);
  t.chunk = d.op == 0 ? first + pass % per_tap * d.fold : std::uint64_t{block} * d.fold;
  return t;
}

std::uint64_t pass_macs(const Descriptor& d, const Geometry& g, std::uint32_t block, std::uint32_t pass) {
  if (d.op == kDepthwise) {  // the sweep's real taps times the block's real channels
    const std::int64_t rows = g.rows, cv = block_lanes(d, g);
    const std::int64_t taps = std::clamp<std::int64_t>(std::int64_t{d.kh} * d.kw - pass * rows, 0, rows);
    const std::int64_t channels = std::clamp<std::int64_t>(std::int64_t{d.in_c} - block * cv, 0, cv);
    return static_cast<std::uint64_t>(taps * channels);
  }
  if (d.op != 0) return 0;
  const std::int64_t rows = g.rows;
  const std::int64_t chunk = static_cast<std::int64_t>(pass_tap(d, g, block, pass).chunk);
  const std::int64_t real_rows =
      std::clamp<std::int64_t>(std::int64_t{d.in_c} - chunk * rows, 0, d.fold * rows);
  const std::int64_t lanes = block_lanes(d, g);
  const std::int64_t fed = d.group_cols != 0
                               ? d.group_cols
                               : std::clamp<std::int64_t>(std::int64_t{d.out_c} - block * lanes, 0, lanes);
  return static_cast<std::uint64_t>(real_rows * fed);
}

std::uint64_t params_beats(const Geometry& g) {
  return ceil_div(kParamBytesPerColumn * static_cast<std::uint64_t>(g.cols), g.beat_bytes);
}

std::uint64_t weight_beats(const Descriptor& d, const Geometry& g) {
  return ceil_div(packed_bytes(std::int64_t{g.rows} * g.cols, static_cast<int>(d.weight_bits)), g.beat_bytes);
}

bool band_skip(const Descriptor& d) {
  return storage_bits(static_cast<int>(d.in_bits)) == 4 &&
         std::uint64_t{d.band_y0} * d.in_w * d.in_c % 2 != 0;
}

std::uint64_t band_beats(const Descriptor& d, const Geometry& g) {
  const std::uint64_t values = (band_skip(d) ? 1 : 0) + std::uint64_t{d.band_pixels} * d.in_c;
  return ceil_div(values * static_cast<std::uint64_t>(storage_bits(static_cast<int>(d.in_bits))),
                  g.beat_bytes * 8);
}

bool output_skip(const Descriptor& d) {
  return storage_bits(static_cast<int>(d.out_bits)) == 4 && std::uint64_t{d.tile_p0} * d.out_c % 2 != 0;
}

Band load_band(const Descriptor& d, const Geometry& g, const std::vector<std::uint8_t>& bytes) {
  const int skip = band_skip(d) ? 1 : 0;
  const std::int64_t values = skip + std::int64_t{d.band_pixels} * d.in_c;
  std::vector<std::uint8_t> whole = bytes;
  whole.resize(std::max<std::size_t>(whole.size(), packed_bytes(values, static_cast<int>(d.in_bits))), 0);
  const std::vector<std::int32_t> q = unpack(whole, values, {static_cast<int>(d.in_bits), d.in_signed});
  Band b;
  b.chunks_f = pixel_words(d, g.rows);
  const std::uint64_t pixel_values = b.chunks_f * static_cast<std::uint64_t>(g.rows);
  b.x.assign(d.band_pixels * pixel_values, 0);
  for (std::uint64_t p = 0; p < d.band_pixels; ++p)
    for (std::uint64_t c = 0; c < d.in_c; ++c)
      b.x[p * pixel_values + c] = q[static_cast<std::size_t>(skip + p * d.in_c + c)] - d.in_zp;
  return b;
}

std::vector<std::int32_t> compute_tile(const Tile& t, const Geometry& g, std::int32_t carried) {
  const Descriptor& d = t.d;
  const Band& band = *t.band;
  const int rows = g.rows, cols = g.cols;
  const int lanes = block_lanes(d, g);
  const QuantType out_type{static_cast<int>(d.out_bits), d.out_signed};
  const Rounding rounding = rounding_of(d.round_even);
  const std::uint64_t p_count = d.tile_p;
  // Output words, pixel-major: word p * Blocks + cb, `lanes` values each.
  std::vector<std::int32_t> words(p_count * d.blocks * static_cast<std::uint64_t>(lanes), 0);
  // The input values of output pixel p's tap (ky, kx) from chunk `chunk` on, or nullptr for padding.
  const auto tap = [&](std::uint64_t p, unsigned ky, unsigned kx,
                       std::uint64_t chunk) -> const std::int32_t* {
    const std::uint64_t pixel = d.tile_p0 + p;
    const std::int64_t iy = static_cast<std::int64_t>(pixel / d.out_w * d.sh) - d.pad_top + ky;
    const std::int64_t ix = static_cast<std::int64_t>(pixel % d.out_w * d.sw) - d.pad_left + kx;
    if (iy < 0 || iy >= d.in_h || ix < 0 || ix >= d.in_w) return nullptr;
    const std::int64_t row = iy - d.band_y0;
    const std::uint64_t at = (static_cast<std::uint64_t>(row * d.in_w + ix) * band.chunks_f + chunk) * rows;
    if (row < 0 || at + std::uint64_t{d.fold} * rows > band.x.size()) return nullptr;
    return &band.x[at];
  };
  if (d.op == 0) {
    const std::vector<std::int32_t> zeros(static_cast<std::size_t>(d.fold) * rows, 0);
    std::vector<std::int64_t> acc(p_count * static_cast<std::uint64_t>(lanes), 0);
    const QuantType weight_type{static_cast<int>(d.weight_bits), true};
    const std::int64_t weight_count = std::int64_t{rows} * cols;
    // A pass's sums fit 32 bits when (ActBits + 1) + WeightBits + the bits of the values a lane adds do.
    const bool narrow = g.act_bits + 1 + static_cast<int>(d.weight_bits) + 1 +
                            bit_length(std::uint64_t{d.fold} * static_cast<std::uint64_t>(rows)) <
                        31;
    std::vector<std::int32_t> sums32(static_cast<std::size_t>(lanes));
    std::vector<std::int64_t> sums64(static_cast<std::size_t>(lanes));
    std::size_t next = 0;  // the blocks the core took: per output block its params, then its passes
    for (std::uint32_t cb = 0; cb < d.blocks; ++cb) {
      const Block& params = *t.blocks.at(next++);
      std::vector<std::int64_t> bias(static_cast<std::size_t>(cols));
      std::vector<std::int32_t> mult(static_cast<std::size_t>(cols));
      std::vector<int> shift(static_cast<std::size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        bias[static_cast<std::size_t>(c)] = le32(&params[4 * static_cast<std::size_t>(c)]);
        mult[static_cast<std::size_t>(c)] = le32(&params[4 * static_cast<std::size_t>(cols + c)]);
        shift[static_cast<std::size_t>(c)] = params[8 * static_cast<std::size_t>(cols) + c];
      }
      for (std::uint32_t pass = 0; pass < d.passes; ++pass) {
        const std::vector<std::int32_t> w = unpack(*t.blocks.at(next++), weight_count, weight_type);
        const PassTap pt = pass_tap(d, g, cb, pass);
        for (std::uint64_t p = 0; p < p_count; ++p) {
          const std::int32_t* x = tap(p, pt.ky, pt.kx, pt.chunk);
          if (x == nullptr || pt.chunk >= band.chunks_f) x = zeros.data();
          std::int64_t* a = &acc[p * lanes];
          if (pass == 0) std::copy(bias.begin(), bias.begin() + lanes, a);
          if (narrow)
            add_products32(a, x, w.data(), d.fold, rows, cols, lanes, sums32.data());
          else
            add_products<std::int64_t>(a, x, w.data(), d.fold, rows, cols, lanes, sums64.data());
        }
      }
      // The accumulator register wraps at AccBits; wrapping once at the end gives the same bits.
      for (std::uint64_t p = 0; p < p_count; ++p)
        for (int j = 0; j < lanes; ++j)
          words[(p * d.blocks + cb) * lanes + j] =
              clipped(requantize(wrap_to_bits(acc[p * lanes + j], g.acc_bits),
                                 {mult[static_cast<std::size_t>(j)], shift[static_cast<std::size_t>(j)]},
                                 activation_of(d.activation), static_cast<int>(d.leaky_shift), d.out_zp,
                                 out_type, rounding),
                      d);
    }
  } else if (d.op == kDepthwise) {
    // Block cb: channels cb*Cv + c on lanes c < Cv; sweep s: PE (r, c) multiplies tap s*Rows + r
    // (t = ky*KW + kx) of the lane's channel by w[r][c]; a padded tap feeds zero.
    const QuantType weight_type{static_cast<int>(d.weight_bits), true};
    const std::int64_t weight_count = std::int64_t{rows} * cols;
    const unsigned taps = d.kh * d.kw;
    std::vector<std::int64_t> acc(p_count * static_cast<std::uint64_t>(lanes));
    std::size_t next = 0;
    for (std::uint32_t cb = 0; cb < d.blocks; ++cb) {
      const Block& params = *t.blocks.at(next++);
      for (std::uint64_t p = 0; p < p_count; ++p)
        for (int c = 0; c < lanes; ++c) acc[p * lanes + c] = le32(&params[4 * static_cast<std::size_t>(c)]);
      const std::uint64_t chunk = std::uint64_t{cb} * d.fold;
      for (std::uint32_t pass = 0; pass < d.passes; ++pass) {
        const std::vector<std::int32_t> w = unpack(*t.blocks.at(next++), weight_count, weight_type);
        for (int r = 0; r < rows; ++r) {
          const unsigned tp = pass * static_cast<unsigned>(rows) + static_cast<unsigned>(r);
          if (tp >= taps) break;
          const std::int32_t* wr = &w[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols)];
          for (std::uint64_t p = 0; p < p_count; ++p) {
            const std::int32_t* x = tap(p, tp / d.kw, tp % d.kw, chunk);
            if (x == nullptr || chunk >= band.chunks_f) continue;
            std::int64_t* a = &acc[p * lanes];
            for (int c = 0; c < lanes; ++c) a[c] += std::int64_t{x[c]} * wr[c];
          }
        }
      }
      for (std::uint64_t p = 0; p < p_count; ++p)
        for (int c = 0; c < lanes; ++c) {
          const auto k = static_cast<std::size_t>(c);
          words[(p * d.blocks + cb) * lanes + c] =
              clipped(requantize(wrap_to_bits(acc[p * lanes + c], g.acc_bits),
                                 {le32(&params[4 * (static_cast<std::size_t>(cols) + k)]),
                                  params[8 * static_cast<std::size_t>(cols) + k]},
                                 activation_of(d.activation), static_cast<int>(d.leaky_shift), d.out_zp,
                                 out_type, rounding),
                      d);
        }
    }
  } else {
    const bool max_pool = d.op == 1;
    const std::int64_t start = max_pool ? -(std::int64_t{1} << (g.acc_bits - 1)) : 0;
    for (std::uint32_t cb = 0; cb < d.blocks; ++cb) {
      std::vector<std::int64_t> acc(p_count * static_cast<std::uint64_t>(lanes), start);
      for (std::uint32_t pass = 0; pass < d.passes; ++pass) {
        const PassTap pt = pass_tap(d, g, cb, pass);
        for (std::uint64_t p = 0; p < p_count; ++p) {
          const std::int32_t* x = tap(p, pt.ky, pt.kx, pt.chunk);
          if (x == nullptr) continue;  // padding: never the maximum, not in the sum
          for (int r = 0; r < lanes; ++r) {
            std::int64_t& a = acc[p * lanes + r];
            a = max_pool ? std::max<std::int64_t>(a, x[r]) : a + x[r];
          }
        }
      }
      for (std::uint64_t p = 0; p < p_count; ++p)
        for (int r = 0; r < lanes; ++r) {
          const std::int64_t a = acc[p * lanes + r];
          const std::int64_t v =
              max_pool ? a : divide_pool_sum(a, d.pool_count, d.pool_magic, d.pool_shift, rounding);
          words[(p * d.blocks + cb) * lanes + r] = clipped(saturate(v + d.out_zp, out_type), d);
        }
    }
  }
  // The drain: per pixel, every block's real channels.
  std::vector<std::int32_t> values;
  values.reserve(p_count * d.out_c + 1);
  if (output_skip(d)) values.push_back(carried);
  for (std::uint64_t p = 0; p < p_count; ++p)
    for (std::uint32_t cb = 0; cb < d.blocks; ++cb) {
      const std::int64_t real =
          std::min<std::int64_t>(lanes, std::int64_t{d.out_c} - std::int64_t{cb} * lanes);
      for (std::int64_t c = 0; c < real; ++c) values.push_back(words[(p * d.blocks + cb) * lanes + c]);
    }
  return values;
}

std::vector<std::uint8_t> output_bytes(const Descriptor& d, const std::vector<std::int32_t>& a,
                                       const std::vector<std::uint8_t>& b_bytes) {
  if (!d.elt) return pack(a, static_cast<int>(d.out_bits));
  const auto n = static_cast<std::int64_t>(a.size());
  std::vector<std::uint8_t> b = b_bytes;
  b.resize(std::max<std::size_t>(b.size(), packed_bytes(n, static_cast<int>(d.b_bits))), 0);
  const std::vector<std::int32_t> bv = unpack(b, n, {static_cast<int>(d.b_bits), d.b_signed});
  const QuantType y_type{static_cast<int>(d.y_bits), d.y_signed};
  const AddParams params{d.elt_ma, d.elt_mb, static_cast<int>(d.elt_shift)};
  std::vector<std::int32_t> y(a.size());
  for (std::size_t k = 0; k < a.size(); ++k)
    y[k] = add_elements(a[k], d.out_zp, bv[k], d.elt_zb, params, activation_of(d.elt_activation),
                        static_cast<int>(d.elt_leaky_shift), d.elt_zy, y_type, rounding_of(d.elt_round_even));
  return pack(y, static_cast<int>(d.y_bits));
}

}  // namespace dnnvp::fast

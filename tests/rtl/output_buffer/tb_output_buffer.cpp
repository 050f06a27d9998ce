// dnn_output_buffer: random tiles (pixels 1..60, Cout 1..70 around multiples of Cols, output widths
// 2..min(8, ActBits), signed or unsigned, random values over the whole range of the type as the
// requantiser writes them: ActBits two's complement if signed, zero-extended if unsigned, so an
// unsigned value may set the top bit of a narrow ActBits; 4-bit tiles sometimes start mid-byte,
// so their stream begins with the previous tile's last nibble, and cmd_skip_i is also raised on
// 8-bit tiles, where it must change nothing) are written through wr_* in
// random order (the next tile into the other half while the current one drains), drained with a
// command per tile, alternating halves, and received under back-pressure phases 0 / 0.3 / 0.8 (one per
// tile). Checks, per tile: the byte stream against a reference packer, TKEEP (all ones but the last
// beat, which marks the bytes holding data), TLAST only on the last beat, unused bytes of the last beat
// zero, one done_o pulse right after the last beat; and without back-pressure, that the drain runs at
// one beat or one word per cycle (whichever is the bottleneck) plus a fixed latency. A third of the tiles
// have fewer values per word than Cols (cmd_word_values_i: a pool's Rows channels per word, a folded
// convolution's Cols/F), so each word p*Blocks + cb carries min(V, Cout - cb*V) values and the lanes
// past V are garbage the drain skips.
#include "Vdnn_output_buffer.h"
#include "tb.h"

#include <algorithm>
#include <type_traits>

namespace {

constexpr int kCols = OB_COLS;
constexpr int kActBits = OB_ACT_BITS;
constexpr int kStreamBytes = OB_STREAM_BITS / 8;
constexpr int kOutDepth = OB_OUT_DEPTH;
constexpr int kHalfWords = kOutDepth / 2;
constexpr int kWordBytes = (kCols * kActBits + 7) / 8;

struct Tile {
  int half = 0, pixels = 0, channels = 0, bits = 0, blocks = 0;
  int values = kCols;  // values per word (cmd_word_values_i)
  bool is_signed = false;
  bool skip_flag = false;                         // cmd_skip_i
  std::vector<std::vector<std::uint32_t>> words;  // [p*Blocks + cb][c], raw ActBits patterns
  std::vector<std::uint8_t> expect;               // packed stream bytes
  std::uint8_t last_nibble = 0;                   // the stream's last nibble holding data
  double backpressure = 0.0;
};

// What the stream must carry for a raw value: the value (ActBits two's complement if signed, else
// unsigned), truncated to the storage width (docs/formats.md).
std::uint32_t to_storage(std::uint32_t raw, bool is_signed, int storage) {
  std::int64_t v = raw;
  if (is_signed && (raw >> (kActBits - 1) & 1u)) v -= std::int64_t{1} << kActBits;
  return static_cast<std::uint32_t>(v) & ((1u << storage) - 1u);
}

// The reference packer: HWC values, little-endian, two nibbles per byte low first at width 4; a 4-bit
// tile that starts mid-byte first repeats the previous tile's last nibble.
std::vector<std::uint8_t> reference_pack(const Tile& t, std::uint8_t prev_nibble) {
  const int storage = t.bits <= 4 ? 4 : 8;
  std::vector<std::uint8_t> out;
  std::size_t nibbles = 0;
  if (t.skip_flag && storage == 4) {
    out.push_back(prev_nibble);
    nibbles = 1;
  }
  for (int p = 0; p < t.pixels; ++p)
    for (int cb = 0; cb < t.blocks; ++cb) {
      const int n = std::min(t.values, t.channels - cb * t.values);
      for (int c = 0; c < n; ++c) {
        const std::uint32_t s = to_storage(t.words[p * t.blocks + cb][c], t.is_signed, storage);
        if (storage == 8) {
          out.push_back(static_cast<std::uint8_t>(s));
          nibbles += 2;
        } else {
          if (nibbles % 2 == 0)
            out.push_back(static_cast<std::uint8_t>(s));
          else
            out.back() |= static_cast<std::uint8_t>(s << 4);
          ++nibbles;
        }
      }
    }
  return out;
}

std::vector<std::uint8_t> word_bytes(const std::vector<std::uint32_t>& vals) {
  std::vector<std::uint8_t> b(kWordBytes, 0);
  for (int c = 0; c < kCols; ++c)
    for (int j = 0; j < kActBits; ++j)
      if (vals[c] >> j & 1u) {
        const int bit = c * kActBits + j;
        b[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
      }
  return b;
}

Tile make_tile(tb::Random& rnd, int index, std::uint8_t prev_nibble) {
  static const double phases[] = {0.0, 0.3, 0.8};
  Tile t;
  t.half = index % 2;
  // Channel counts around the interesting points: below, at and just past Cols, multiples, the max.
  const int picks[] = {1,
                       kCols - 1,
                       kCols,
                       kCols + 1,
                       2 * kCols,
                       2 * kCols + 1,
                       70,
                       rnd.range(1, 70),
                       rnd.range(1, 70),
                       rnd.range(1, 70)};
  t.channels = std::clamp(picks[rnd.range(0, 9)], 1, 70);
  t.pixels = rnd.chance(0.1) ? 1 : rnd.range(1, 60);
  t.bits = rnd.range(2, std::min(8, kActBits));
  t.is_signed = rnd.chance(0.5);
  t.values = rnd.chance(0.33) ? rnd.range(1, kCols) : kCols;
  t.blocks = (t.channels + t.values - 1) / t.values;
  t.pixels = std::min(t.pixels, kHalfWords / t.blocks);  // few values per word: many words per pixel
  TB_CHECK(t.pixels * t.blocks <= kHalfWords, "tile of %d words does not fit a half", t.pixels * t.blocks);
  const std::uint32_t mask = (1u << kActBits) - 1u;
  const int lo = t.is_signed ? -(1 << (t.bits - 1)) : 0;
  const int hi = t.is_signed ? (1 << (t.bits - 1)) - 1 : (1 << t.bits) - 1;
  t.words.resize(static_cast<std::size_t>(t.pixels * t.blocks));
  for (std::size_t i = 0; i < t.words.size(); ++i) {
    auto& w = t.words[i];
    w.resize(kCols);
    // Values of the word that are real: below V and below Cout.
    const int real = std::min(t.values, t.channels - static_cast<int>(i) % t.blocks * t.values);
    for (int c = 0; c < kCols; ++c) {
      // Values past Cout are garbage on purpose: the drain must not send them. Real ones favour the
      // ends of the range, where extension and truncation go wrong.
      const int v = rnd.chance(0.3) ? (rnd.chance(0.5) ? lo : hi) : rnd.range(lo, hi);
      w[c] = c < real ? static_cast<std::uint32_t>(v) & mask
                      : static_cast<std::uint32_t>(rnd.range(0, 0x7fffffff)) & mask;
    }
  }
  t.skip_flag = rnd.chance(0.3);
  t.expect = reference_pack(t, prev_nibble);
  const bool odd = t.bits <= 4 && (t.pixels * t.channels + (t.skip_flag ? 1 : 0)) % 2 != 0;
  t.last_nibble = static_cast<std::uint8_t>(odd ? t.expect.back() & 0xF : t.expect.back() >> 4);
  t.backpressure = phases[index % 3];
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_output_buffer m(&ctx);
  tb::Random rnd(tb::seed());
  using TData = decltype(m.m_axis_tdata_o);
  tb::AxisSink<TData> sink(m.m_axis_tdata_o, m.m_axis_tvalid_o, m.m_axis_tready_i, &m.m_axis_tlast_o,
                           kStreamBytes, rnd, 0.0);
  std::vector<std::uint64_t> keeps;  // TKEEP of each received beat (AxisSink does not record it)

  const int kTiles = 60;
  std::vector<Tile> tiles;
  for (int i = 0; i < kTiles; ++i) tiles.push_back(make_tile(rnd, i, i ? tiles.back().last_nibble : 0));

  m.clk_i = 0;
  m.rst_ni = 0;
  m.wr_en_i = 0;
  m.cmd_valid_i = 0;
  m.m_axis_tready_i = 0;
  for (int i = 0; i < 4; ++i) {
    m.clk_i = !m.clk_i;
    m.eval();
  }
  m.rst_ni = 1;

  // Writer: one tile at a time, its words in random order at a random rate. Tile w may be written
  // once tile w-2 (the previous user of its half) is done, i.e. while tile w-1 drains.
  int writing = 0;
  std::vector<int> order;
  std::size_t order_pos = 0;
  std::vector<bool> written(kTiles, false);
  int issued = 0, done = 0, tlasts = 0;
  std::uint64_t cycle = 0, issue_cycle = 0;
  double write_rate = 1.0;
  bool last_beat_prev = false;
  int worst_slack = -1000000;  // measured drain cycles minus the ideal, over unthrottled tiles

  while (done < kTiles) {
    m.clk_i = 0;
    m.eval();
    // ---- sample before the rising edge
    const bool cmd_fire = m.cmd_valid_i && m.cmd_ready_o;
    // done_o pulses exactly in the cycle after the tile's last beat is accepted.
    TB_CHECK(m.done_o == last_beat_prev, "done_o %d in cycle %llu, a cycle after a last beat: %d", m.done_o,
             static_cast<unsigned long long>(cycle), last_beat_prev);
    const bool beat = m.m_axis_tvalid_o && m.m_axis_tready_i;
    last_beat_prev = beat && m.m_axis_tlast_o;
    if (beat) {
      keeps.push_back(static_cast<std::uint64_t>(m.m_axis_tkeep_o));
      if (m.m_axis_tlast_o) ++tlasts;
    }
    sink.before_edge();
    if (m.done_o) {
      ++done;
      const Tile& t = tiles[done - 1];
      if (t.backpressure == 0.0) {
        const int words = t.pixels * t.blocks;
        const int beats = static_cast<int>((t.expect.size() + kStreamBytes - 1) / kStreamBytes);
        const int took = static_cast<int>(cycle - issue_cycle);
        worst_slack = std::max(worst_slack, took - std::max(words, beats));
      }
    }
    if (cmd_fire) {
      TB_CHECK(issued == done && tlasts == done, "command accepted while tile %d drains", done);
      issue_cycle = cycle;
    }
    // ---- rising edge
    m.clk_i = 1;
    m.eval();
    ++cycle;
    TB_CHECK(cycle < 2000000, "stalled: %d of %d tiles done, %zu beats", done, kTiles, sink.beats.size());
    // ---- drive inputs for the next cycle
    sink.after_edge();
    if (cmd_fire) {
      m.cmd_valid_i = 0;
      sink.set_backpressure(tiles[issued].backpressure);  // the previous tile is complete
      ++issued;
    }
    m.wr_en_i = 0;
    if (writing < kTiles && done >= writing - 1) {
      const Tile& t = tiles[writing];
      if (order.empty()) {
        order.resize(t.words.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
        for (std::size_t i = order.size(); i > 1; --i)
          std::swap(order[i - 1], order[rnd.range(0, static_cast<int>(i - 1))]);
        order_pos = 0;
        write_rate = rnd.chance(0.5) ? 1.0 : 0.5;
      }
      if (rnd.chance(write_rate)) {
        const int w = order[order_pos++];
        m.wr_en_i = 1;
        m.wr_addr_i = static_cast<std::remove_reference_t<decltype(m.wr_addr_i)>>(t.half * kHalfWords + w);
        tb::set_bytes(m.wr_data_i, word_bytes(t.words[w]));
        if (order_pos == order.size()) {
          written[writing] = true;
          ++writing;
          order.clear();
        }
      }
    }
    // Commands: raised as soon as the tile is written (often while the previous one still drains, so
    // cmd_ready_o must hold it off and tiles run back to back), sometimes after a short gap.
    if (!m.cmd_valid_i && !cmd_fire && issued < kTiles && written[issued] && rnd.chance(0.7)) {
      const Tile& t = tiles[issued];
      m.cmd_valid_i = 1;
      m.cmd_half_i = static_cast<CData>(t.half);
      m.cmd_pixels_i = static_cast<SData>(t.pixels);
      m.cmd_channels_i = static_cast<SData>(t.channels);
      m.cmd_word_values_i = static_cast<SData>(t.values);
      m.cmd_bits_i = static_cast<CData>(t.bits);
      m.cmd_signed_i = t.is_signed;
      m.cmd_skip_i = t.skip_flag;
    }
  }
  // A few idle cycles: nothing more may come out.
  for (int i = 0; i < 20; ++i) {
    m.clk_i = 0;
    m.eval();
    TB_CHECK(!m.m_axis_tvalid_o && !m.done_o, "output after the last tile");
    m.clk_i = 1;
    m.eval();
  }

  // ---- compare, tile by tile
  std::size_t b = 0, bytes = 0;
  for (int i = 0; i < kTiles; ++i) {
    const Tile& t = tiles[i];
    const std::size_t nbeats = (t.expect.size() + kStreamBytes - 1) / kStreamBytes;
    TB_CHECK(b + nbeats <= sink.beats.size(), "tile %d: stream ended early", i);
    for (std::size_t j = 0; j < nbeats; ++j, ++b) {
      const tb::Beat& beat = sink.beats[b];
      const bool last = j + 1 == nbeats;
      TB_CHECK(beat.last == last, "tile %d (P=%d C=%d bits=%d) beat %zu of %zu: TLAST %d", i, t.pixels,
               t.channels, t.bits, j, nbeats, beat.last);
      const std::size_t valid = last ? t.expect.size() - j * kStreamBytes : kStreamBytes;
      for (int k = 0; k < kStreamBytes; ++k) {
        const bool kept = keeps[b] >> k & 1u;
        TB_CHECK(kept == (static_cast<std::size_t>(k) < valid),
                 "tile %d beat %zu: TKEEP 0x%llx, %zu bytes valid", i, j,
                 static_cast<unsigned long long>(keeps[b]), valid);
        const std::uint8_t want = kept ? t.expect[j * kStreamBytes + k] : 0;
        TB_CHECK(beat.data[k] == want,
                 "tile %d (P=%d C=%d bits=%d half=%d) beat %zu byte %d: got 0x%02x want 0x%02x", i, t.pixels,
                 t.channels, t.bits, t.half, j, k, beat.data[k], want);
      }
    }
    bytes += t.expect.size();
  }
  TB_CHECK(b == sink.beats.size(), "%zu extra beats", sink.beats.size() - b);
  const long narrow =
      std::count_if(tiles.begin(), tiles.end(), [](const Tile& t) { return t.values < kCols; });
  TB_CHECK(kCols == 1 || narrow > 0, "no tile with fewer values per word than Cols");
  // Unthrottled tiles: one beat or one word per cycle, plus the pipeline latency.
  TB_CHECK(worst_slack <= 5, "drain %d cycles slower than one beat/word per cycle", worst_slack);
  std::printf(
      "dnn_output_buffer Cols=%d ActBits=%d StreamBits=%d OutDepth=%d: %d tiles (%ld with fewer values per "
      "word than Cols), %zu beats, %zu bytes match in %llu cycles (unthrottled latency %+d cycles)\n",
      kCols, kActBits, kStreamBytes * 8, kOutDepth, kTiles, narrow, b, bytes,
      static_cast<unsigned long long>(cycle), worst_slack);
  return 0;
}

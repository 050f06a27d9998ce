// dnn_input_loader: random bands (channel counts around multiples of Rows, 4- and 8-bit storage,
// signed/unsigned, nonzero zero points, either half, 4-bit bands starting in the high nibble of their
// first byte, cmd_skip_i also raised for 8-bit bands where it must change nothing, a random fold
// F <= FoldMax whose padding words follow each pixel's chunks) are packed here from a reference model
// and driven under phases of source idle; every input-buffer word written is checked bit-exactly, in
// order, against the reference (up to FoldMax words a cycle, always a prefix of the write slots), as
// are the beat count consumed, done_o/len_error_o, and the throughput when the source never idles
// (one beat or FoldMax words a cycle). Early and missing TLAST are exercised between good bands.
#include "Vdnn_input_loader.h"
#include "tb.h"

#include <algorithm>
#include <cinttypes>

namespace {

constexpr int kRows = ROWS;
constexpr int kActBits = ACT_BITS;
constexpr int kStreamBits = STREAM_BITS;
constexpr int kInDepth = IN_DEPTH;
constexpr int kFoldMax = FOLD_MAX;
constexpr int kXBits = kActBits + 1;
constexpr int kBeatBytes = kStreamBits / 8;

enum class Kind { kGood, kEarly, kMissing };

struct Word {
  std::uint32_t addr;
  std::vector<std::uint32_t> lanes;  // XBits each
};

struct Command {
  int half = 0;
  std::uint32_t pixels = 0;
  int cin = 0;
  int fold = 1;
  int bits = 8;
  bool is_signed = false;
  int zp = 0;
  bool skip_flag = false;  // cmd_skip_i
  int skip = 0;            // nibbles before the first value (the flag at storage width 4)
  Kind kind = Kind::kGood;
  double idle = 0.0;
  std::vector<tb::Beat> beats;  // exactly what is sent
  std::vector<Word> words;      // exactly what must be written
  size_t band_beats = 0;        // beats of the correct packet
};

int storage_of(int bits) {
  return bits <= 4 ? 4 : 8;
}

// Reference: pack the band, cut it into beats, and list the words the loader must write.
Command make_command(tb::Random& rnd, Kind kind, double idle) {
  Command c;
  c.kind = kind;
  c.idle = idle;
  c.half = rnd.range(0, 1);
  const int choices[] = {1,
                         2,
                         3,
                         kRows - 1,
                         kRows,
                         kRows + 1,
                         2 * kRows,
                         2 * kRows + 1,
                         3 * kRows - 1,
                         4 * kRows,
                         rnd.range(1, 5 * kRows),
                         rnd.range(1, 40)};
  do {
    c.cin = choices[rnd.range(0, static_cast<int>(sizeof(choices) / sizeof(choices[0])) - 1)];
  } while (c.cin < 1);
  c.fold = rnd.range(1, kFoldMax);
  const int chunks = (c.cin + kRows - 1) / kRows;
  const int words_per_pixel = (chunks + c.fold - 1) / c.fold * c.fold;  // padded to a multiple of F
  const int max_pixels = std::max(1, (kInDepth / 2) / words_per_pixel);
  c.pixels =
      static_cast<std::uint32_t>(rnd.chance(0.1) ? max_pixels : rnd.range(1, std::min(max_pixels, 48)));
  c.bits = rnd.range(2, std::min(8, kActBits));
  c.is_signed = rnd.chance(0.5);
  const int lo = c.is_signed ? -(1 << (c.bits - 1)) : 0;
  const int hi = c.is_signed ? (1 << (c.bits - 1)) - 1 : (1 << c.bits) - 1;
  c.zp = rnd.chance(0.25) ? 0 : rnd.range(lo, hi);

  const int storage = storage_of(c.bits);
  c.skip_flag = rnd.chance(0.3);
  c.skip = c.skip_flag && storage == 4 ? 1 : 0;
  const size_t n = static_cast<size_t>(c.pixels) * c.cin;
  std::vector<int> v(n);
  for (auto& x : v) x = rnd.range(lo, hi);
  const size_t bytes = ((n + c.skip) * storage + 7) / 8;
  std::vector<std::uint8_t> packed(bytes, 0);
  if (c.skip) packed[0] = rnd.byte() & 0xF;  // the previous row's last value
  for (size_t i = 0; i < n; ++i) {
    const unsigned code = static_cast<unsigned>(v[i]) & ((1u << storage) - 1);
    const size_t at = i + static_cast<size_t>(c.skip);
    if (storage == 8)
      packed[at] = static_cast<std::uint8_t>(code);
    else
      packed[at / 2] |= static_cast<std::uint8_t>(code << (4 * (at % 2)));
  }
  // Padding of the last beat is garbage: the loader must ignore it. (An odd 4-bit count leaves
  // the high nibble 0, as the format says.)
  c.band_beats = (bytes + kBeatBytes - 1) / kBeatBytes;
  packed.resize(c.band_beats * kBeatBytes);
  for (size_t i = bytes; i < packed.size(); ++i) packed[i] = rnd.byte();

  std::vector<tb::Beat> band(c.band_beats);
  for (size_t b = 0; b < c.band_beats; ++b)
    band[b].data.assign(packed.begin() + b * kBeatBytes, packed.begin() + (b + 1) * kBeatBytes);

  size_t values_sent = n;  // values that reach the loader before TLAST
  if (kind == Kind::kEarly && c.band_beats < 2) kind = c.kind = Kind::kMissing;  // nothing to cut short
  if (kind == Kind::kGood) {
    c.beats = band;
    c.beats.back().last = true;
  } else if (kind == Kind::kEarly) {
    const size_t m = static_cast<size_t>(rnd.range(1, static_cast<int>(c.band_beats) - 1));
    c.beats.assign(band.begin(), band.begin() + m);
    c.beats.back().last = true;
    values_sent = m * (kStreamBits / storage) - static_cast<size_t>(c.skip);
  } else {
    c.beats = band;
    const int extra = rnd.range(1, 5);
    for (int e = 0; e < extra; ++e) {
      tb::Beat b;
      for (int i = 0; i < kBeatBytes; ++i) b.data.push_back(rnd.byte());
      c.beats.push_back(b);
    }
    c.beats.back().last = true;
  }

  const std::uint32_t xmask = (1u << kXBits) - 1;
  // A word is written once the values it holds were received; a padding word (k >= chunks, all 0)
  // once its pixel's channels were.
  for (std::uint32_t i = 0; i < c.pixels; ++i) {
    for (int k = 0; k < words_per_pixel; ++k) {
      const int used = std::max(0, std::min(kRows, c.cin - k * kRows));
      const size_t upto = k < chunks ? static_cast<size_t>(i) * c.cin + k * kRows + used
                                     : static_cast<size_t>(i + 1) * c.cin;
      if (upto > values_sent) break;
      Word w;
      w.addr = static_cast<std::uint32_t>(c.half * (kInDepth / 2) + i * words_per_pixel + k);
      for (int r = 0; r < kRows; ++r) {
        const int ch = k * kRows + r;
        w.lanes.push_back(ch < c.cin ? static_cast<std::uint32_t>(v[i * c.cin + ch] - c.zp) & xmask : 0u);
      }
      c.words.push_back(w);
    }
  }
  return c;
}

int bit_length(unsigned x) {
  int n = 0;
  while (x) {
    ++n;
    x >>= 1;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_input_loader m(&ctx);
  tb::Random rnd(tb::seed());
  using TData = decltype(m.s_axis_tdata_i);
  tb::AxisSource<TData> src(m.s_axis_tdata_i, m.s_axis_tvalid_i, m.s_axis_tready_o, &m.s_axis_tlast_i,
                            kBeatBytes, rnd, 0.0);

  // Commands: mostly good bands, with TLAST errors sprinkled in; source idle 0, 0.3, 0.8 by turns.
  const int num_commands = 3000;
  std::vector<Command> cmds;
  const double idles[] = {0.0, 0.3, 0.8};
  int n_early = 0, n_missing = 0;
  for (int i = 0; i < num_commands; ++i) {
    Kind kind = Kind::kGood;
    const int r = rnd.range(0, 19);
    if (r == 0) kind = Kind::kEarly;
    if (r == 1) kind = Kind::kMissing;
    Command c = make_command(rnd, kind, idles[(i / 7) % 3]);
    n_early += c.kind == Kind::kEarly;
    n_missing += c.kind == Kind::kMissing;
    cmds.push_back(std::move(c));
  }

  m.clk_i = 0;
  m.rst_ni = 0;
  m.cmd_valid_i = 0;
  m.s_axis_tvalid_i = 0;
  m.s_axis_tlast_i = 0;
  m.eval();
  for (int i = 0; i < 4; ++i) {
    m.clk_i = !m.clk_i;
    m.eval();
  }
  m.rst_ni = 1;

  size_t next_cmd = 0;     // next command to present
  long active = -1;        // accepted, not yet done
  size_t word_idx = 0;     // next expected write of the active command
  size_t beats_taken = 0;  // beats transferred for the active command
  std::uint64_t accept_cycle = 0;
  std::uint64_t cycle = 0, writes = 0, perf_checked = 0;
  long worst_slack = 1 << 30;
  size_t done_count = 0;

  while (done_count < cmds.size()) {
    // Clock low: the outputs show the state after the last edge.
    m.clk_i = 0;
    m.eval();

    const unsigned wr_en = m.wr_en_o;
    TB_CHECK((wr_en & (wr_en + 1)) == 0, "write slots 0x%x are not a prefix (cycle %" PRIu64 ")", wr_en, cycle);
    for (int s = 0; s < kFoldMax && ((wr_en >> s) & 1); ++s) {
      TB_CHECK(active >= 0, "write with no command active (cycle %" PRIu64 ")", cycle);
      const Command& c = cmds[active];
      const unsigned addr = (m.wr_addr_o + s) % kInDepth;
      TB_CHECK(word_idx < c.words.size(), "command %ld: extra write to %u", active, addr);
      const Word& w = c.words[word_idx];
      TB_CHECK(addr == w.addr, "command %ld word %zu (slot %d): address %u, expected %u", active, word_idx, s,
               addr, w.addr);
      for (int r = 0; r < kRows; ++r) {
        const std::uint64_t got = tb::get_bits(m.wr_data_o, (s * kRows + r) * kXBits, kXBits);
        TB_CHECK(got == w.lanes[r],
                 "command %ld (Cin %d F %d bits %d %s zp %d) word %zu lane %d: 0x%" PRIx64 ", expected 0x%x",
                 active, c.cin, c.fold, c.bits, c.is_signed ? "signed" : "unsigned", c.zp, word_idx, r, got,
                 w.lanes[r]);
      }
      ++word_idx;
      ++writes;
    }
    TB_CHECK(!m.len_error_o || m.done_o, "len_error_o without done_o");
    if (m.done_o) {
      TB_CHECK(active >= 0, "done_o with no command active");
      const Command& c = cmds[active];
      TB_CHECK(word_idx == c.words.size(), "command %ld done after %zu of %zu words", active, word_idx,
               c.words.size());
      TB_CHECK(beats_taken == c.beats.size(), "command %ld consumed %zu beats, expected %zu", active,
               beats_taken, c.beats.size());
      TB_CHECK(m.len_error_o == (c.kind != Kind::kGood), "command %ld: len_error_o %d", active,
               m.len_error_o);
      if (c.kind == Kind::kGood && c.idle == 0.0) {
        // Input-bound at one beat per cycle or output-bound at FoldMax words per cycle, plus the
        // multiply at command start and a few cycles of pipeline; with FoldMax > 1 one more: the
        // first beat may hold fewer than FoldMax words (a slot lost that the output-bound rest of the
        // band cannot make up).
        const size_t word_cycles = (c.words.size() + kFoldMax - 1) / kFoldMax;
        const long bound = static_cast<long>(std::max(c.beats.size(), word_cycles)) + bit_length(c.cin) + 3 +
                           (kFoldMax > 1 ? 1 : 0);
        const long took = static_cast<long>(cycle - accept_cycle);
        TB_CHECK(took <= bound,
                 "command %ld (Cin %d, %u pixels, bits %d): %ld cycles for %zu beats / %zu words", active,
                 c.cin, c.pixels, c.bits, took, c.beats.size(), c.words.size());
        worst_slack = std::min(worst_slack, bound - took);
        ++perf_checked;
      }
      active = -1;
      ++done_count;
    }

    // Present the next command at a random time (possibly while the loader is busy).
    if (!m.cmd_valid_i && next_cmd < cmds.size() && rnd.chance(0.3)) {
      const Command& c = cmds[next_cmd];
      m.cmd_valid_i = 1;
      m.cmd_half_i = c.half;
      m.cmd_pixels_i = c.pixels;
      m.cmd_channels_i = static_cast<SData>(c.cin);
      m.cmd_bits_i = static_cast<CData>(c.bits);
      m.cmd_signed_i = c.is_signed;
      m.cmd_zero_point_i = static_cast<SData>(static_cast<std::uint16_t>(c.zp));
      m.cmd_skip_i = c.skip_flag;
      m.cmd_fold_i = static_cast<CData>(c.fold);
      for (const auto& b : c.beats) src.push(b);
      ++next_cmd;
    }
    m.eval();
    const bool cmd_fire = m.cmd_valid_i && m.cmd_ready_o;
    const bool beat_fire = src.before_edge();
    if (beat_fire) {
      TB_CHECK(active >= 0, "beat accepted with no command active");
      ++beats_taken;
    }
    if (active >= 0) src.set_idle(cmds[active].idle);

    m.clk_i = 1;
    m.eval();
    ++cycle;
    src.after_edge(beat_fire);
    if (cmd_fire) {
      TB_CHECK(active < 0, "command accepted before done_o of the previous one");
      active = static_cast<long>(next_cmd - 1);
      word_idx = 0;
      beats_taken = 0;
      accept_cycle = cycle;
      m.cmd_valid_i = 0;
    }
    TB_CHECK(cycle < 5000000, "stalled: %zu of %zu commands done", done_count, cmds.size());
  }
  TB_CHECK(src.empty(), "beats left over");
  std::printf(
      "dnn_input_loader Rows %d ActBits %d StreamBits %d InDepth %d FoldMax %d: %zu bands (%d early TLAST, %d "
      "missing TLAST), "
      "%" PRIu64 " words checked in %" PRIu64 " cycles, %" PRIu64 " throughput checks (min slack %ld)\n",
      kRows, kActBits, kStreamBits, kInDepth, kFoldMax, cmds.size(), n_early, n_missing, writes, cycle,
      perf_checked, worst_slack);
  return 0;
}

// dnn_weight_loader: random blobs (channel blocks, passes, 2..8-bit weights) are laid out here
// from a reference model of the s_axis_w format and driven under phases of source idle and
// params/wblk back-pressure. Every params block (bias, multiplier, low 6 bits of shift) and every
// weight block (sign-extended to WeightBits) is checked bit-exactly and in order, outputs must hold
// still while stalled, done_o/len_error_o must come once per blob with the blocks it completed,
// with no idle and no back-pressure a blob must take no more cycles than beats (plus a small
// constant), and a bursty weight consumer must find the next block ready the cycle after taking one
// that had waited a block's worth of beats (it was assembled meanwhile). Early and missing TLAST
// are exercised between good blobs.
#include "Vdnn_weight_loader.h"
#include "tb.h"

#include <algorithm>
#include <cinttypes>

namespace {

constexpr int kRows = ROWS;
constexpr int kCols = COLS;
constexpr int kWeightBits = WEIGHT_BITS;
constexpr int kStreamBits = STREAM_BITS;
constexpr int kFifoBeats = FIFO_BEATS;
constexpr int kBeatBytes = kStreamBits / 8;

enum class Kind { kGood, kEarly, kMissing };

struct Params {
  std::vector<std::uint32_t> bias, mult, shift;  // shift: the 6 bits the loader must pass on
};
using Weights = std::vector<std::uint32_t>;  // Rows*Cols values of WeightBits, r-major

struct Command {
  int blocks = 0;
  std::uint32_t passes = 0;
  int bits = 8;
  Kind kind = Kind::kGood;
  double idle = 0.0, bp = 0.0;
  bool bursty = false;  // the weight consumer takes blocks in back-to-back pairs, 2*wbeats apart
  int wbeats = 1;       // beats of one weight block
  std::vector<tb::Beat> beats;  // exactly what is sent
  std::vector<Params> params;   // exactly what must come out
  std::vector<Weights> wblks;
  std::vector<bool> wblk_first;  // per delivered weight block: first of its channel block
  size_t blob_beats = 0;
};

// Appends `bytes` as whole beats, the padding of the last one garbage (the loader must ignore it).
void add_beats(std::vector<tb::Beat>& out, std::vector<std::uint8_t> bytes, tb::Random& rnd) {
  const size_t n = bytes.size();
  bytes.resize((n + kBeatBytes - 1) / kBeatBytes * kBeatBytes);
  for (size_t i = n; i < bytes.size(); ++i) bytes[i] = rnd.byte();
  for (size_t b = 0; b < bytes.size() / kBeatBytes; ++b) {
    tb::Beat beat;
    beat.data.assign(bytes.begin() + b * kBeatBytes, bytes.begin() + (b + 1) * kBeatBytes);
    out.push_back(beat);
  }
}

void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

Command make_command(tb::Random& rnd, Kind kind, double idle, double bp) {
  Command c;
  c.kind = kind;
  c.idle = idle;
  c.bp = bp;
  c.blocks = rnd.chance(0.02) ? 0 : rnd.range(1, 4);
  const std::uint32_t pass_choices[] = {1, 1, 2, 3, 4, 9, static_cast<std::uint32_t>(rnd.range(1, 12)), 0};
  c.passes = pass_choices[rnd.range(0, rnd.chance(0.9) ? 6 : 7)];
  c.bits = rnd.range(2, std::min(8, kWeightBits));
  const int storage = c.bits <= 4 ? 4 : 8;
  c.wbeats = (kRows * kCols * storage + kStreamBits - 1) / kStreamBits;
  c.bursty = idle == 0.0 && bp == 0.0 && rnd.chance(0.4);
  const std::uint32_t wmask = (1u << kWeightBits) - 1;

  // The blob, unit by unit, remembering after which beat each unit is complete.
  std::vector<tb::Beat> blob;
  std::vector<size_t> cblock_ends;  // beats up to and including each channel block's last
  struct Unit {
    bool is_params;
    size_t index;
    size_t end_beat;  // beats up to and including the unit's last
  };
  std::vector<Unit> units;
  std::vector<Params> all_params;
  std::vector<Weights> all_wblks;
  for (int cb = 0; cb < c.blocks; ++cb) {
    Params p;
    std::vector<std::uint8_t> bytes;
    for (int ch = 0; ch < kCols; ++ch) {
      p.bias.push_back(static_cast<std::uint32_t>(rnd.range(0, 0xFFFF)) << 16 | rnd.range(0, 0xFFFF));
      p.mult.push_back(static_cast<std::uint32_t>(rnd.range(0, 0x7FFF)) << 16 | rnd.range(0, 0xFFFF));
    }
    for (int ch = 0; ch < kCols; ++ch) put32(bytes, p.bias[ch]);
    for (int ch = 0; ch < kCols; ++ch) put32(bytes, p.mult[ch]);
    for (int ch = 0; ch < kCols; ++ch) {
      const std::uint8_t s = rnd.chance(0.5) ? static_cast<std::uint8_t>(rnd.range(0, 62)) : rnd.byte();
      bytes.push_back(s);
      p.shift.push_back(s & 63u);
    }
    add_beats(blob, bytes, rnd);
    units.push_back({true, all_params.size(), blob.size()});
    all_params.push_back(p);
    for (std::uint32_t pass = 0; pass < c.passes; ++pass) {
      Weights w;
      std::vector<std::uint8_t> packed((kRows * kCols * storage + 7) / 8, 0);
      for (int i = 0; i < kRows * kCols; ++i) {
        const int v = rnd.range(-(1 << (c.bits - 1)), (1 << (c.bits - 1)) - 1);
        const unsigned code = static_cast<unsigned>(v) & ((1u << storage) - 1);
        if (storage == 8)
          packed[i] = static_cast<std::uint8_t>(code);
        else
          packed[i / 2] |= static_cast<std::uint8_t>(code << (4 * (i % 2)));
        w.push_back(static_cast<std::uint32_t>(v) & wmask);
      }
      add_beats(blob, packed, rnd);
      units.push_back({false, all_wblks.size(), blob.size()});
      all_wblks.push_back(w);
    }
    cblock_ends.push_back(blob.size());
  }
  auto at_cblock_end = [&](size_t beats) {
    return std::find(cblock_ends.begin(), cblock_ends.end(), beats) != cblock_ends.end();
  };
  c.blob_beats = blob.size();
  if (c.kind == Kind::kEarly && blob.size() < 2) c.kind = Kind::kMissing;  // nothing to cut short
  if (blob.empty()) c.kind = Kind::kGood;                                  // no packet at all

  size_t sent = blob.size();
  if (c.kind == Kind::kEarly) {
    // An early TLAST anywhere but at a channel block's end (there it splits the blob into packets).
    std::vector<size_t> cuts;
    for (size_t b = 1; b < blob.size(); ++b)
      if (!at_cblock_end(b)) cuts.push_back(b);
    if (cuts.empty()) c.kind = Kind::kGood;
    else sent = cuts[static_cast<size_t>(rnd.range(0, static_cast<int>(cuts.size()) - 1))];
  }
  if (c.kind == Kind::kGood) {
    // Sometimes in several packets, split at channel-block boundaries (as a DMA with a short length
    // register sends a large blob).
    c.beats = blob;
    const bool split = rnd.chance(0.3);
    for (size_t b = 1; split && b < blob.size(); ++b)
      if (at_cblock_end(b) && rnd.chance(0.5)) c.beats[b - 1].last = true;
    if (!c.beats.empty()) c.beats.back().last = true;
  } else if (c.kind == Kind::kEarly) {
    c.beats.assign(blob.begin(), blob.begin() + sent);
    c.beats.back().last = true;
  } else {
    c.beats = blob;
    const int extra = rnd.range(1, 5);
    for (int e = 0; e < extra; ++e) {
      tb::Beat b;
      for (int i = 0; i < kBeatBytes; ++i) b.data.push_back(rnd.byte());
      c.beats.push_back(b);
    }
    c.beats.back().last = true;
  }
  bool first_after_params = false;
  for (const Unit& u : units) {
    if (u.end_beat > sent) break;
    if (u.is_params)
      c.params.push_back(all_params[u.index]);
    else
      c.wblks.push_back(all_wblks[u.index]);
    if (!u.is_params) c.wblk_first.push_back(first_after_params);
    first_after_params = u.is_params;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_weight_loader m(&ctx);
  tb::Random rnd(tb::seed());
  using TData = decltype(m.s_axis_tdata_i);
  tb::AxisSource<TData> src(m.s_axis_tdata_i, m.s_axis_tvalid_i, m.s_axis_tready_o, &m.s_axis_tlast_i, kBeatBytes,
                            rnd, 0.0);

  const int num_commands = COMMANDS;
  const double idles[] = {0.0, 0.3, 0.8};
  const double bps[] = {0.0, 0.3, 0.8, 0.0};
  std::vector<Command> cmds;
  int n_early = 0, n_missing = 0;
  for (int i = 0; i < num_commands; ++i) {
    const int r = rnd.range(0, 19);
    const Kind kind = r == 0 ? Kind::kEarly : r == 1 ? Kind::kMissing : Kind::kGood;
    cmds.push_back(make_command(rnd, kind, idles[(i / 5) % 3], bps[(i / 15) % 4]));
    n_early += cmds.back().kind == Kind::kEarly;
    n_missing += cmds.back().kind == Kind::kMissing;
  }

  m.clk_i = 0;
  m.rst_ni = 0;
  m.cmd_valid_i = 0;
  m.s_axis_tvalid_i = 0;
  m.s_axis_tlast_i = 0;
  m.params_ready_i = 0;
  m.wblk_ready_i = 0;
  m.eval();
  for (int i = 0; i < 4; ++i) {
    m.clk_i = !m.clk_i;
    m.eval();
  }
  m.rst_ni = 1;

  // Expected outputs in order over all commands, and how many each command ends with.
  std::vector<Params> exp_params;
  std::vector<Weights> exp_wblks;
  std::vector<size_t> cum_params, cum_wblks;
  std::vector<size_t> exp_wblk_cmd;  // the command each weight block belongs to
  std::vector<bool> exp_wblk_first;
  for (const Command& c : cmds) {
    exp_params.insert(exp_params.end(), c.params.begin(), c.params.end());
    exp_wblks.insert(exp_wblks.end(), c.wblks.begin(), c.wblks.end());
    exp_wblk_cmd.insert(exp_wblk_cmd.end(), c.wblks.size(), static_cast<size_t>(&c - cmds.data()));
    exp_wblk_first.insert(exp_wblk_first.end(), c.wblk_first.begin(), c.wblk_first.end());
    cum_params.push_back(exp_params.size());
    cum_wblks.push_back(exp_wblks.size());
  }

  const size_t params_bytes = (kCols * 32 + 7) / 8;
  const size_t wblk_bytes = (kRows * kCols * kWeightBits + 7) / 8;
  std::vector<std::uint8_t> held_params, held_wblk;  // payload while stalled
  bool params_stalled = false, wblk_stalled = false;
  size_t got_params = 0, got_wblks = 0;
  size_t next_cmd = 0, done_count = 0;
  long active = -1;
  std::uint64_t accept_cycle = 0, cycle = 0, perf_checked = 0;
  // The active blob started while a bursty consumer still held an earlier blob's weight block in the
  // output register (it waits 2*wbeats cycles, longer than a shallow buffer hides at large arrays).
  bool behind_burst = false;
  long worst_slack = 1 << 30;
  // Bursty weight consumer: cycles until it is ready again, and which block of a pair is next.
  int burst_wait = 0;
  bool burst_second = false;
  // When the block in the output register appeared, and whether the next must follow at once.
  std::uint64_t wblk_since = 0;
  bool wblk_prev_valid = false, wblk_took = false, expect_next = false;
  std::uint64_t burst_checked = 0;

  // Run until every blob is done and the last blocks have been taken from the output registers.
  while (done_count < cmds.size() || got_params < exp_params.size() || got_wblks < exp_wblks.size()) {
    m.clk_i = 0;
    m.eval();

    TB_CHECK(!m.len_error_o || m.done_o, "len_error_o without done_o");
    if (m.done_o) {
      TB_CHECK(active >= 0, "done_o with no command active");
      const Command& c = cmds[active];
      TB_CHECK(got_params + m.params_valid_o == cum_params[active],
               "blob %ld done with %zu+%d params blocks out, expected %zu", active, got_params, m.params_valid_o,
               cum_params[active]);
      TB_CHECK(got_wblks + m.wblk_valid_o == cum_wblks[active],
               "blob %ld done with %zu+%d weight blocks out, expected %zu", active, got_wblks, m.wblk_valid_o,
               cum_wblks[active]);
      TB_CHECK(m.len_error_o == (c.kind != Kind::kGood), "blob %ld: len_error_o %d", active, m.len_error_o);
      if (c.kind == Kind::kGood && c.idle == 0.0 && c.bp == 0.0 && !c.bursty && !behind_burst) {
        // One beat per cycle with a ready consumer: no bubbles between blocks.
        const long bound = static_cast<long>(c.blob_beats) + 2;
        const long took = static_cast<long>(cycle - accept_cycle);
        TB_CHECK(took <= bound, "blob %ld (%d blocks, %u passes, bits %d): %ld cycles for %zu beats", active,
                 c.blocks, c.passes, c.bits, took, c.blob_beats);
        worst_slack = std::min(worst_slack, bound - took);
        ++perf_checked;
      }
      active = -1;
      ++done_count;
    }

    // Present the next command at a random time (possibly while the loader is busy), its beats
    // queued behind the previous blob's.
    if (!m.cmd_valid_i && next_cmd < cmds.size() && rnd.chance(0.3)) {
      const Command& c = cmds[next_cmd];
      m.cmd_valid_i = 1;
      m.cmd_blocks_i = static_cast<SData>(c.blocks);
      m.cmd_passes_i = c.passes;
      m.cmd_bits_i = static_cast<CData>(c.bits);
      for (const auto& b : c.beats) src.push(b);
      ++next_cmd;
    }
    const double bp = active >= 0 ? cmds[active].bp : 0.2;
    if (active >= 0) src.set_idle(cmds[active].idle);
    m.params_ready_i = !rnd.chance(bp);
    m.wblk_ready_i = !rnd.chance(bp);
    // A bursty consumer (a core that wants two blocks in a row after a long pass) takes the blocks
    // of its command, even after done_o, in pairs of back-to-back cycles 2*wbeats cycles apart.
    const Command* wowner = got_wblks < exp_wblks.size() ? &cmds[exp_wblk_cmd[got_wblks]] : nullptr;
    if (wowner && wowner->bursty) m.wblk_ready_i = burst_wait == 0;
    m.eval();

    // Outputs: stable while stalled, checked in order when taken.
    if (m.params_valid_o) {
      std::vector<std::uint8_t> now = tb::get_bytes(m.params_bias_o, params_bytes);
      const auto mult = tb::get_bytes(m.params_mult_o, params_bytes);
      const auto shift = tb::get_bytes(m.params_shift_o, (kCols * 6 + 7) / 8);
      now.insert(now.end(), mult.begin(), mult.end());
      now.insert(now.end(), shift.begin(), shift.end());
      TB_CHECK(!params_stalled || now == held_params, "params changed while stalled");
      held_params = now;
      params_stalled = !m.params_ready_i;
      if (m.params_ready_i) {
        TB_CHECK(got_params < exp_params.size(), "extra params block");
        const Params& p = exp_params[got_params];
        for (int ch = 0; ch < kCols; ++ch) {
          const std::uint64_t bias = tb::get_bits(m.params_bias_o, ch * 32, 32);
          const std::uint64_t mul = tb::get_bits(m.params_mult_o, ch * 32, 32);
          const std::uint64_t sh = tb::get_bits(m.params_shift_o, ch * 6, 6);
          TB_CHECK(bias == p.bias[ch] && mul == p.mult[ch] && sh == p.shift[ch],
                   "params block %zu channel %d: bias 0x%" PRIx64 " mult 0x%" PRIx64 " shift %" PRIu64
                   ", expected 0x%x 0x%x %u",
                   got_params, ch, bias, mul, sh, p.bias[ch], p.mult[ch], p.shift[ch]);
        }
        ++got_params;
      }
    } else {
      TB_CHECK(!params_stalled, "params_valid_o dropped while stalled");
    }
    if (expect_next) {
      // The previous block sat in the output register for at least a block's beats minus one, so
      // the loader had assembled all but the last beat of this one behind it.
      TB_CHECK(m.wblk_valid_o, "weight block %zu not ready right after the previous one was taken", got_wblks);
      expect_next = false;
      ++burst_checked;
    }
    if (m.wblk_valid_o && (!wblk_prev_valid || wblk_took)) wblk_since = cycle;
    wblk_prev_valid = m.wblk_valid_o;
    wblk_took = m.wblk_valid_o && m.wblk_ready_i;
    if (m.wblk_valid_o) {
      const std::vector<std::uint8_t> now = tb::get_bytes(m.wblk_data_o, wblk_bytes);
      TB_CHECK(!wblk_stalled || now == held_wblk, "weight block changed while stalled");
      held_wblk = now;
      wblk_stalled = !m.wblk_ready_i;
      if (m.wblk_ready_i) {
        TB_CHECK(got_wblks < exp_wblks.size(), "extra weight block");
        const Weights& w = exp_wblks[got_wblks];
        for (int i = 0; i < kRows * kCols; ++i) {
          const std::uint64_t v = tb::get_bits(m.wblk_data_o, i * kWeightBits, kWeightBits);
          TB_CHECK(v == w[i], "weight block %zu w[%d][%d]: 0x%" PRIx64 ", expected 0x%x", got_wblks, i / kCols,
                   i % kCols, v, w[i]);
        }
        const size_t k = got_wblks;
        if (wowner->bursty) {
          burst_wait = burst_second ? 2 * wowner->wbeats : 1;
          burst_second = !burst_second;
          expect_next = wowner->kind == Kind::kGood && k + 1 < exp_wblks.size() &&
                        exp_wblk_cmd[k + 1] == exp_wblk_cmd[k] && !exp_wblk_first[k + 1] &&
                        cycle - wblk_since + 1 >= static_cast<std::uint64_t>(wowner->wbeats);
        }
        ++got_wblks;
      }
    } else {
      TB_CHECK(!wblk_stalled, "wblk_valid_o dropped while stalled");
    }

    if (burst_wait > 0) --burst_wait;
    const bool cmd_fire = m.cmd_valid_i && m.cmd_ready_o;
    const bool beat_fire = src.before_edge();
    m.clk_i = 1;
    m.eval();
    ++cycle;
    src.after_edge(beat_fire);
    if (cmd_fire) {
      TB_CHECK(active < 0, "command accepted before done_o of the previous one");
      active = static_cast<long>(next_cmd - 1);
      accept_cycle = cycle;
      behind_burst = got_wblks < exp_wblks.size() && cmds[exp_wblk_cmd[got_wblks]].bursty &&
                     exp_wblk_cmd[got_wblks] != static_cast<size_t>(active);
      m.cmd_valid_i = 0;
    }
    TB_CHECK(cycle < 5000000, "stalled: %zu of %zu blobs done", done_count, cmds.size());
  }
  TB_CHECK(got_params == exp_params.size() && got_wblks == exp_wblks.size(), "blocks missing at the end");
  TB_CHECK(src.empty(), "beats left over");
  std::printf(
      "dnn_weight_loader Rows %d Cols %d WeightBits %d StreamBits %d FifoBeats %d: %zu blobs (%d early TLAST, "
      "%d missing TLAST), %zu params + %zu weight blocks checked in %" PRIu64
      " cycles, %" PRIu64 " throughput checks (min slack %ld), %" PRIu64 " back-to-back block checks\n",
      kRows, kCols, kWeightBits, kStreamBits, kFifoBeats, cmds.size(), n_early, n_missing, got_params, got_wblks,
      cycle, perf_checked, worst_slack, burst_checked);
  return 0;
}

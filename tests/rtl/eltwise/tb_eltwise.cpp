// dnn_eltwise: random tiles through the fused residual add, every output value checked against
// generators/numerics.cpp add_elements(). Each fused tile draws its own command: storage width 8 or 4
// (a, b, y widths inside it), signed or unsigned a, b and y, random zero points (mostly inside the
// type's range, sometimes anywhere in 16 bits), multipliers around 2^30, powers of two (ties) or small
// (either sign), shifts 0..62 (with LeakyReLU shift + leaky_shift <= 62), none / ReLU / LeakyReLU, both
// roundings;
// 4-bit tiles with an odd value count end in a half-used byte whose high nibble y must leave 0. Values
// favour the ends of their range. Between fused tiles come bypass tiles (ENABLE = 0), whose stream must
// pass unchanged in the same cycle (a wire) without reading b. a and b are offered with random TVALID
// idles and y taken with random back-pressure, in phases; an unthrottled phase checks one beat per
// cycle. Also checked:
// TKEEP and TLAST of y are a's, one done_o pulse per tile right after its last beat, cmd_ready_o low
// while a fused tile is in flight, and at the end packets of b one beat short and one beat long: each
// pulses len_error_o once, and the next tile is still right.
#include "Vdnn_eltwise.h"
#include "numerics.h"
#include "tb.h"

#include <algorithm>
#include <deque>
#include <type_traits>

namespace {

constexpr int kStreamBytes = EW_STREAM_BITS / 8;

struct Tile {
  bool enable = true;
  int storage = 8;  // 4 or 8
  dnnvp::QuantType a_type, b_type, y_type;
  std::int32_t za = 0, zb = 0, zy = 0;
  dnnvp::AddParams p;
  dnnvp::Activation act = dnnvp::Activation::None;
  int leaky_shift = 0;
  dnnvp::Rounding rounding = dnnvp::Rounding::HalfUp;
  bool end_half = false;                 // storage 4, odd value count: last byte's high nibble unused
  std::vector<std::uint8_t> a, b, y;     // packed bytes (y: the expected stream)
  int b_beats_delta = 0;                 // a length error: b one beat shorter (-1) or longer (+1)
  double idle = 0.0, backpressure = 0.0;
};

int beats_of(std::size_t bytes) { return static_cast<int>((bytes + kStreamBytes - 1) / kStreamBytes); }

dnnvp::QuantType random_type(tb::Random& rnd, int storage) {
  dnnvp::QuantType t;
  t.bits = storage == 4 ? rnd.range(2, 4) : rnd.range(5, 8);
  t.is_signed = rnd.chance(0.5);
  return t;
}

std::int32_t random_value(tb::Random& rnd, dnnvp::QuantType t) {
  if (rnd.chance(0.3)) return rnd.chance(0.5) ? t.min() : t.max();
  return rnd.range(t.min(), t.max());
}

std::int32_t random_zero_point(tb::Random& rnd, dnnvp::QuantType t) {
  return rnd.chance(0.8) ? rnd.range(t.min(), t.max()) : rnd.range(-32768, 32767);
}

// Around 2^30 (the generator's), a power of two (power_of_two scales: ties at every odd value), or small.
std::int32_t random_multiplier(tb::Random& rnd) {
  const int kind = rnd.range(0, 2);
  const std::int32_t m = kind == 0   ? rnd.range(1 << 29, 0x7fffffff)
                         : kind == 1 ? std::int32_t{1} << rnd.range(24, 30)
                                     : rnd.range(0, 1000);
  return rnd.chance(0.15) ? -m : m;
}

// A stored value: two's complement truncated to the storage width (docs/formats.md).
std::uint8_t to_storage(std::int32_t v, int storage) {
  return static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) & ((1u << storage) - 1u));
}
std::int32_t from_storage(std::uint32_t s, dnnvp::QuantType t, int storage) {
  return t.is_signed ? static_cast<std::int32_t>(tb::sext(s, static_cast<unsigned>(storage)))
                     : static_cast<std::int32_t>(s);
}

void put(std::vector<std::uint8_t>& bytes, std::size_t i, std::uint8_t s, int storage) {
  if (storage == 8) {
    bytes[i] = s;
  } else {
    bytes[i / 2] = static_cast<std::uint8_t>(bytes[i / 2] | (s & 0xF) << (4 * (i % 2)));
  }
}
std::uint32_t get(const std::vector<std::uint8_t>& bytes, std::size_t i, int storage) {
  return storage == 8 ? bytes[i] : (bytes[i / 2] >> (4 * (i % 2))) & 0xFu;
}

Tile make_fused(tb::Random& rnd) {
  Tile t;
  t.storage = rnd.chance(0.5) ? 8 : 4;
  t.a_type = random_type(rnd, t.storage);
  t.b_type = random_type(rnd, t.storage);
  t.y_type = random_type(rnd, t.storage);
  t.za = random_zero_point(rnd, t.a_type);
  t.zb = random_zero_point(rnd, t.b_type);
  t.zy = random_zero_point(rnd, t.y_type);
  t.p.multiplier_a = random_multiplier(rnd);
  t.p.multiplier_b = random_multiplier(rnd);
  t.act = static_cast<dnnvp::Activation>(rnd.range(0, 2));
  t.leaky_shift = rnd.range(0, 15);
  const int max_shift = dnnvp::kMaxShift - (t.act == dnnvp::Activation::LeakyRelu ? t.leaky_shift : 0);
  // Shifts near 30 are the generator's; the rest of 0..62 checks the rounding datapath's ends.
  t.p.shift = rnd.chance(0.5) ? std::min(rnd.range(26, 34), max_shift) : rnd.range(0, max_shift);
  t.rounding = rnd.chance(0.5) ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp;

  const std::size_t values = static_cast<std::size_t>(rnd.chance(0.1) ? rnd.range(1, 3) : rnd.range(1, 300));
  const std::size_t bytes = t.storage == 8 ? values : (values + 1) / 2;
  t.end_half = t.storage == 4 && values % 2 != 0;
  t.a.assign(bytes, 0);
  t.y.assign(bytes, 0);
  // b comes from DRAM: the unused high nibble of a half-used last byte holds whatever is there.
  for (std::size_t i = 0; i < bytes; ++i) t.b.push_back(rnd.byte());
  if (t.storage == 4)
    for (std::size_t i = 0; i < values; ++i) t.b[i / 2] &= static_cast<std::uint8_t>(i % 2 ? 0x0F : 0xF0);
  for (std::size_t i = 0; i < values; ++i) {
    const std::int32_t a = random_value(rnd, t.a_type), b = random_value(rnd, t.b_type);
    put(t.a, i, to_storage(a, t.storage), t.storage);
    put(t.b, i, to_storage(b, t.storage), t.storage);
    // The reference reads the values back from storage, as the hardware does.
    const std::int32_t a_in = from_storage(get(t.a, i, t.storage), t.a_type, t.storage);
    const std::int32_t b_in = from_storage(get(t.b, i, t.storage), t.b_type, t.storage);
    TB_CHECK(a_in == a && b_in == b, "storage round trip");
    const std::int32_t y =
        dnnvp::add_elements(a, t.za, b, t.zb, t.p, t.act, t.leaky_shift, t.zy, t.y_type, t.rounding);
    put(t.y, i, to_storage(y, t.storage), t.storage);
  }
  return t;
}

Tile make_bypass(tb::Random& rnd) {
  Tile t;
  t.enable = false;
  t.a_type = random_type(rnd, 8);
  const std::size_t bytes = static_cast<std::size_t>(rnd.range(1, 200));
  for (std::size_t i = 0; i < bytes; ++i) t.a.push_back(rnd.byte());
  t.y = t.a;
  return t;
}

// A source with TKEEP (tb::AxisSource has none): TKEEP marks the bytes of the last beat that hold data.
template <typename TData, typename TKeep>
class KeepSource {
 public:
  KeepSource(TData& data, TKeep& keep, CData& valid, const CData& ready, CData& last, tb::Random& rnd)
      : data_(data), keep_(keep), valid_(valid), ready_(ready), last_(last), rnd_(rnd) {}
  void push_packet(const std::vector<std::uint8_t>& bytes) {
    for (std::size_t i = 0; i < bytes.size(); i += kStreamBytes) {
      tb::Beat b;
      b.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                    bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), i + kStreamBytes)));
      b.keep = b.data.size() == 32 ? 0xFFFFFFFFu : (1u << b.data.size()) - 1u;
      b.last = i + kStreamBytes >= bytes.size();
      queue_.push_back(std::move(b));
    }
  }
  void set_idle(double p) { idle_ = p; }
  bool empty() const { return queue_.empty() && !valid_; }
  bool before_edge() const { return valid_ && ready_; }
  void after_edge(bool transferred) {
    if (transferred) valid_ = 0;
    if (!valid_ && !queue_.empty() && !rnd_.chance(idle_)) {
      const tb::Beat& b = queue_.front();
      tb::set_bytes(data_, b.data);
      keep_ = static_cast<TKeep>(b.keep);
      last_ = b.last;
      valid_ = 1;
      queue_.pop_front();
    }
  }

 private:
  TData& data_;
  TKeep& keep_;
  CData& valid_;
  const CData& ready_;
  CData& last_;
  tb::Random& rnd_;
  double idle_ = 0.0;
  std::deque<tb::Beat> queue_;
};

// b's packet: the tile's bytes, in whole beats, one beat short or long for a length error.
std::vector<std::uint8_t> b_packet(const Tile& t, tb::Random& rnd) {
  std::vector<std::uint8_t> b = t.b;
  if (t.b_beats_delta < 0) b.resize(b.size() - kStreamBytes);
  for (int i = 0; i < kStreamBytes * t.b_beats_delta; ++i) b.push_back(rnd.byte());
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_eltwise m(&ctx);
  tb::Random rnd(tb::seed());
  using TData = decltype(m.s_a_tdata_i);
  using TKeep = std::remove_reference_t<decltype(m.s_a_tkeep_i)>;
  KeepSource<TData, TKeep> src_a(m.s_a_tdata_i, m.s_a_tkeep_i, m.s_a_tvalid_i, m.s_a_tready_o, m.s_a_tlast_i,
                                 rnd);
  tb::AxisSource<TData> src_b(m.s_b_tdata_i, m.s_b_tvalid_i, m.s_b_tready_o, &m.s_b_tlast_i, kStreamBytes,
                              rnd, 0.0);
  tb::AxisSink<TData> sink(m.m_y_tdata_o, m.m_y_tvalid_o, m.m_y_tready_i, &m.m_y_tlast_o, kStreamBytes, rnd,
                           0.0);
  std::vector<std::uint32_t> keeps;

  // Tiles: fused and bypass mixed; phases of stalls (none / some / heavy) per tile; the last three
  // are a b packet one beat short, one beat long, and a fused tile after them.
  std::vector<Tile> tiles;
  const int kRandomTiles = 400;
  for (int i = 0; i < kRandomTiles; ++i) {
    Tile t = rnd.chance(0.8) ? make_fused(rnd) : make_bypass(rnd);
    static const double idles[] = {0.0, 0.3, 0.7};
    t.idle = idles[i % 3];
    t.backpressure = idles[(i / 3) % 3];
    tiles.push_back(std::move(t));
  }
  for (int delta : {-1, +1, 0}) {
    Tile t;
    do t = make_fused(rnd);
    while (beats_of(t.a.size()) < 2);
    t.b_beats_delta = delta;
    tiles.push_back(std::move(t));
  }
  const int kTiles = static_cast<int>(tiles.size());

  m.clk_i = 0;
  m.rst_ni = 0;
  m.cmd_valid_i = 0;
  m.s_a_tvalid_i = 0;
  m.s_b_tvalid_i = 0;
  m.m_y_tready_i = 0;
  for (int i = 0; i < 4; ++i) {
    m.clk_i = !m.clk_i;
    m.eval();
  }
  m.rst_ni = 1;

  int issued = 0, done = 0, tlasts = 0, len_errors = 0, b_queued = 0;
  std::uint64_t cycle = 0, first_beat_cycle = 0;
  bool last_beat_prev = false, tile_started = false;
  int worst_slack = -1000000;  // unthrottled fused tiles: cycles beyond one beat per cycle

  auto drive_command = [&](const Tile& t) {
    const auto bits = [](dnnvp::QuantType q) { return static_cast<CData>(q.bits); };
    m.cmd_valid_i = 1;
    m.cmd_enable_i = t.enable;
    m.cmd_a_bits_i = t.enable ? bits(t.a_type) : 8;
    m.cmd_a_signed_i = t.a_type.is_signed;
    m.cmd_a_zp_i = static_cast<SData>(t.za);
    m.cmd_b_bits_i = bits(t.b_type);
    m.cmd_b_signed_i = t.b_type.is_signed;
    m.cmd_b_zp_i = static_cast<SData>(t.zb);
    m.cmd_y_bits_i = bits(t.y_type);
    m.cmd_y_signed_i = t.y_type.is_signed;
    m.cmd_y_zp_i = static_cast<SData>(t.zy);
    m.cmd_ma_i = static_cast<IData>(t.p.multiplier_a);
    m.cmd_mb_i = static_cast<IData>(t.p.multiplier_b);
    m.cmd_shift_i = static_cast<CData>(t.p.shift);
    m.cmd_act_i = static_cast<CData>(t.act);
    m.cmd_leaky_shift_i = static_cast<CData>(t.leaky_shift);
    m.cmd_round_even_i = t.rounding == dnnvp::Rounding::HalfEven;
    m.cmd_end_half_i = t.end_half;
  };

  while (done < kTiles) {
    m.clk_i = 0;
    m.eval();
    // ---- sample before the rising edge
    const bool cmd_fire = m.cmd_valid_i && m.cmd_ready_o;
    TB_CHECK(m.done_o == last_beat_prev, "done_o %d in cycle %llu, a cycle after a last beat: %d", m.done_o,
             static_cast<unsigned long long>(cycle), last_beat_prev);
    if (m.len_error_o) ++len_errors;
    const Tile* cur = done < issued ? &tiles[done] : nullptr;
    if (cur && !cur->enable) {
      // Bypass: y is a, combinationally, and b is not read.
      TB_CHECK(m.m_y_tvalid_o == m.s_a_tvalid_i && m.s_a_tready_o == m.m_y_tready_i,
               "bypass handshake differs from a wire in cycle %llu", static_cast<unsigned long long>(cycle));
      TB_CHECK(!m.s_b_tready_o, "b read during a bypass tile in cycle %llu", static_cast<unsigned long long>(cycle));
    }
    // A fused tile holds off the next command until its last beat has left.
    if (cur && cur->enable && !m.done_o) TB_CHECK(!m.cmd_ready_o, "command ready while tile %d is in flight", done);
    const bool beat = m.m_y_tvalid_o && m.m_y_tready_i;
    last_beat_prev = beat && m.m_y_tlast_o;
    if (beat) {
      keeps.push_back(static_cast<std::uint32_t>(m.m_y_tkeep_o));
      if (!tile_started) {
        tile_started = true;
        first_beat_cycle = cycle;
      }
      if (m.m_y_tlast_o) ++tlasts;
    }
    sink.before_edge();
    const bool a_xfer = src_a.before_edge(), b_xfer = src_b.before_edge();
    if (m.done_o) {
      const Tile& t = tiles[done];
      if (t.enable && t.idle == 0.0 && t.backpressure == 0.0 && t.b_beats_delta == 0)
        worst_slack = std::max(worst_slack, static_cast<int>(cycle - first_beat_cycle) - beats_of(t.a.size()));
      tile_started = false;
      ++done;
    }
    // ---- rising edge
    m.clk_i = 1;
    m.eval();
    ++cycle;
    TB_CHECK(cycle < 5000000, "stalled: %d of %d tiles done", done, kTiles);
    // ---- drive inputs for the next cycle
    sink.after_edge();
    src_a.after_edge(a_xfer);
    src_b.after_edge(b_xfer);
    if (cmd_fire) {
      // The tile's a follows its command (the drain starts with it); its stall phase begins.
      const Tile& t = tiles[issued];
      src_a.push_packet(t.a);
      src_a.set_idle(t.idle);
      src_b.set_idle(t.idle);
      sink.set_backpressure(t.backpressure);
      m.cmd_valid_i = 0;
      ++issued;
    }
    // b runs ahead of the commands (its DMA is independent), up to two tiles.
    while (b_queued < kTiles && b_queued < issued + 2) {
      const Tile& t = tiles[b_queued++];
      if (!t.enable) continue;
      const std::vector<std::uint8_t> bytes = b_packet(t, rnd);
      for (std::size_t i = 0; i < bytes.size(); i += kStreamBytes) {
        tb::Beat beat_b;
        beat_b.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                           bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), i + kStreamBytes)));
        beat_b.last = i + kStreamBytes >= bytes.size();
        src_b.push(std::move(beat_b));
      }
    }
    // The next command comes once the previous tile's a has been sent (the drain's order), often
    // while a fused tile is still in the pipeline, so cmd_ready_o must hold it off.
    if (!m.cmd_valid_i && !cmd_fire && issued < kTiles && src_a.empty() && rnd.chance(0.7))
      drive_command(tiles[issued]);
  }
  for (int i = 0; i < 20; ++i) {
    m.clk_i = 0;
    m.eval();
    TB_CHECK(!m.m_y_tvalid_o && !m.done_o, "output after the last tile");
    if (m.len_error_o) ++len_errors;
    m.clk_i = 1;
    m.eval();
  }

  // ---- compare, tile by tile, every byte
  std::size_t b = 0, checked = 0;
  for (int i = 0; i < kTiles; ++i) {
    const Tile& t = tiles[i];
    const int nbeats = beats_of(t.y.size());
    TB_CHECK(b + static_cast<std::size_t>(nbeats) <= sink.beats.size(), "tile %d: stream ended early", i);
    for (int j = 0; j < nbeats; ++j, ++b) {
      const tb::Beat& beat = sink.beats[b];
      const bool last = j + 1 == nbeats;
      TB_CHECK(beat.last == last, "tile %d beat %d of %d: TLAST %d", i, j, nbeats, beat.last);
      const std::size_t valid = last ? t.y.size() - static_cast<std::size_t>(j) * kStreamBytes : kStreamBytes;
      for (int k = 0; k < kStreamBytes; ++k) {
        const bool kept = keeps[b] >> k & 1u;
        TB_CHECK(kept == (static_cast<std::size_t>(k) < valid), "tile %d beat %d: TKEEP 0x%x", i, j, keeps[b]);
        // A b packet one beat short leaves a's last beat without b: only its framing is checked.
        if (!kept || (t.b_beats_delta < 0 && last)) continue;
        const std::uint8_t want = t.y[static_cast<std::size_t>(j) * kStreamBytes + k];
        TB_CHECK(beat.data[k] == want,
                 "tile %d (%s, storage %d, a %d%s zp %d, b %d%s zp %d, y %d%s zp %d, Ma %d Mb %d shift %d act %d "
                 "leaky %d %s) beat %d byte %d: got 0x%02x want 0x%02x (a 0x%02x b 0x%02x)",
                 i, t.enable ? "fused" : "bypass", t.storage, t.a_type.bits, t.a_type.is_signed ? "s" : "u", t.za,
                 t.b_type.bits, t.b_type.is_signed ? "s" : "u", t.zb, t.y_type.bits, t.y_type.is_signed ? "s" : "u",
                 t.zy, t.p.multiplier_a, t.p.multiplier_b, t.p.shift, static_cast<int>(t.act), t.leaky_shift,
                 dnnvp::to_string(t.rounding), j, k, beat.data[k], want,
                 t.a[static_cast<std::size_t>(j) * kStreamBytes + k],
                 t.enable ? t.b[static_cast<std::size_t>(j) * kStreamBytes + k] : 0);
        ++checked;
      }
    }
  }
  TB_CHECK(b == sink.beats.size(), "%zu extra beats", sink.beats.size() - b);
  TB_CHECK(len_errors == 2, "len_error_o pulsed %d times, want 2 (one short and one long b packet)", len_errors);
  TB_CHECK(worst_slack <= 5, "fused tiles run %d cycles slower than one beat per cycle", worst_slack);
  std::printf("dnn_eltwise StreamBits=%d: %d tiles, %zu beats, %zu bytes match (unthrottled latency %+d cycles)\n",
              kStreamBytes * 8, kTiles, b, checked, worst_slack);
  return 0;
}

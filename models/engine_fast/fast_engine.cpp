#include "fast_engine.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "pack.h"
#include "stats.h"

namespace dnnvp::fast {

namespace {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

// Cycles a register access takes on the AXI4-Lite port, as on dnn_regs (a read: AR, then R; a write:
// AW+W, the write, B).
constexpr int kReadCycles = 2, kWriteCycles = 3;
// Clocked cycles the engine stays quiet before it sleeps (as the "rtl" engine's settling).
constexpr unsigned kSettleCycles = 4;
constexpr unsigned kMaxDeltaYields = 16;
constexpr std::uint32_t kParamsItem = 0xFFFFFFFFu;
constexpr unsigned kDwDone = ~0u;  // CoreState::dw_yw past a depthwise pass's window

EngineShape checked_shape(const EngineOptions& o, const std::string& name) {
  check_engine_shape(o.shape, name);
  if (!o.trace_file.empty())
    throw std::invalid_argument(name + ": the fast engine has no waveforms (trace with --engine rtl)");
  return o.shape;
}

// The loader's words and the values they used after a cycle's writes: up to FoldMax words, each once the
// values it holds are in.
struct WordsWritten {
  std::uint64_t words, values_used;
};
WordsWritten words_written(const LoaderState& l, const Descriptor& d, const Geometry& g) {
  WordsWritten w{l.words, l.values_used};
  const std::uint64_t chunks_f = pixel_words(d, g.rows);
  for (int k = 0; k < g.fold_max && w.words < l.words_total; ++k) {
    const std::uint64_t pixel = w.words / chunks_f, word = w.words % chunks_f;
    const std::uint64_t need =
        pixel * d.in_c + std::min<std::uint64_t>(d.in_c, (word + 1) * static_cast<std::uint64_t>(g.rows));
    if (need > l.values_in) break;
    w.values_used = need;
    ++w.words;
  }
  return w;
}

// Values the loader's write port takes in a cycle (FoldMax words of Rows): it takes a beat while fewer wait.
std::uint64_t port_values(const Geometry& g) {
  return static_cast<std::uint64_t>(g.fold_max) * static_cast<std::uint64_t>(g.rows);
}

}  // namespace

FastEngine::FastEngine(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w, AxisChannel& r,
                       AxisChannel& y, const EngineOptions& options, Stats* stats)
    : Engine(name, checked_shape(options, static_cast<const char*>(name)), x, w, r, y, options),
      regs_(*options.region),
      watchdog_(options.run.watchdog_cycles, min_watchdog_cycles(shape()),
                metrics_.longest_no_progress_cycles),
      x_in_{"s_axis_x", 'x', x, metrics_.x},
      w_in_{"s_axis_w", 'w', w, metrics_.w},
      r_in_{"s_axis_r", 'r', r, metrics_.r},
      rnd_(options.run.stall_seed, options.run.stall_probability),
      stalls_(options.run.stall_seed != 0 && options.run.stall_probability > 0.0),
      period_(options.clock_period.value()),
      geo_(shape()) {
  descriptor_.assign(regs_.descriptor_words, 0);
  for (std::size_t i = 0; i < regs_.region().register_count; ++i) {
    const RegisterInfo& reg = regs_.region().registers[i];
    if (reg.block == "descriptor") descriptor_[(reg.offset - regs_.descriptor_first) / 4] = reg.reset;
  }
  counters_.assign(regs_.counters_words / 2, 0);
  SC_HAS_PROCESS(FastEngine);
  SC_THREAD(run);
  if (stats != nullptr) add_stats(*stats, stats_prefix());
}

FastEngine::~FastEngine() = default;

bool FastEngine::busy() const {
  return !queue_.empty();
}

// ---------------------------------------------------------------- registers

tlm::tlm_response_status FastEngine::register_access(bool write, std::uint32_t offset, std::uint32_t& data,
                                                     sc_core::sc_time& delay) {
  if (delay != SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = SC_ZERO_TIME;
  }
  Access a;
  a.write = write;
  a.offset = offset;
  a.data = data;
  accesses_.push_back(&a);
  arrival_.notify(SC_ZERO_TIME);
  while (!a.done) sc_core::wait(a.done_event);
  if (!write) data = a.data;
  return a.ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE;
}

std::uint32_t FastEngine::read_register(std::uint32_t offset, bool& ok) {
  const Registers& g = regs_;
  ok = offset % 4 == 0;
  if (offset >= g.descriptor_first && offset < g.descriptor_first + 4 * g.descriptor_words)
    return descriptor_[(offset - g.descriptor_first) / 4];
  if (offset >= g.counters_first && offset < g.counters_first + 4 * g.counters_words) {
    const std::uint32_t word = (offset - g.counters_first) / 4;
    const std::uint64_t v = counters_[word / 2];
    if (word % 2 == 1) return hi_latch_;
    hi_latch_ = static_cast<std::uint32_t>(v >> 32);
    return static_cast<std::uint32_t>(v);
  }
  const EngineShape& s = shape();
  if (offset == find_register(g.region(), "ID").offset) return g.id_reset;
  if (offset == g.hw_array)
    return g.hw_rows.put(static_cast<std::uint32_t>(s.rows)) |
           g.hw_cols.put(static_cast<std::uint32_t>(s.cols));
  if (offset == g.hw_bits)
    return g.hw_act_bits.put(static_cast<std::uint32_t>(s.act_bits)) |
           g.hw_weight_bits.put(static_cast<std::uint32_t>(s.weight_bits)) |
           g.hw_acc_bits.put(static_cast<std::uint32_t>(s.acc_bits)) |
           g.hw_stream_bytes.put(static_cast<std::uint32_t>(s.stream_bits / 8));
  if (offset == g.hw_depths)
    return g.hw_acc_depth.put(static_cast<std::uint32_t>(s.acc_depth)) |
           g.hw_queue_depth.put(static_cast<std::uint32_t>(geo_.timing.queue_depth));
  if (offset == g.status)
    return g.status_busy.put(busy()) | g.status_queue_full.put(queue_full()) | g.status_error.put(error_) |
           g.status_queued.put(static_cast<std::uint32_t>(queue_.size())) |
           g.status_tiles_done.put(tiles_done_);
  if (offset == g.error_cause) return error_cause_;
  if (offset == g.irq) return g.irq_enable.put(irq_enable_) | g.irq_pending.put(irq_pending_);
  ok = false;
  return 0;
}

void FastEngine::write_register(std::uint32_t offset, std::uint32_t value, bool& ok) {
  const Registers& g = regs_;
  ok = offset % 4 == 0;
  if (offset >= g.descriptor_first && offset < g.descriptor_first + 4 * g.descriptor_words) {
    descriptor_[(offset - g.descriptor_first) / 4] = value;
    return;
  }
  if (offset == g.irq) {
    irq_enable_ = g.irq_enable.get(value) != 0;
    if (g.irq_pending.get(value) != 0) irq_pending_ = false;
    return;
  }
  if (offset != g.ctrl) {
    ok = false;
    return;
  }
  if (g.ctrl_clear_counters.get(value) != 0) std::fill(counters_.begin(), counters_.end(), 0);
  if (g.ctrl_clear_error.get(value) != 0) error_ = false, error_cause_ = 0;
  if (g.ctrl_push.get(value) != 0) push_tile();
}

bool FastEngine::queue_full() const {
  return queue_.size() >= static_cast<std::size_t>(geo_.timing.queue_depth);
}

void FastEngine::flag(const Field& cause) {
  error_ = true;
  error_cause_ |= cause.put(1);
}

void FastEngine::push_tile() {
  if (queue_full()) return flag(regs_.cause_push_while_full);
  auto t = std::make_unique<Tile>();
  t->d = regs_.decode(descriptor_);
  if (!regs_.bad_descriptor(t->d, shape(), next_seq_ > 0).empty()) return flag(regs_.cause_bad_descriptor);
  t->seq = next_seq_++;
  t->queued_at = metrics_.cycles + 1;
  queue_.push_back(std::move(t));
}

// The units see a tile from the cycle after its PUSH (dnn_engine's registered write pointer).
Tile* FastEngine::tile_at(std::uint64_t seq) const {
  if (queue_.empty() || seq < queue_.front()->seq || seq > queue_.back()->seq) return nullptr;
  Tile* t = queue_[static_cast<std::size_t>(seq - queue_.front()->seq)].get();
  return t->queued_at <= metrics_.cycles ? t : nullptr;
}

// One cycle of the register port: the access in flight advances; its effect happens on the cycle dnn_regs
// performs it, its response on the last.
void FastEngine::step_registers(bool& progress, bool& answered) {
  if (access_ == nullptr) return;
  Access& a = *access_;
  const int total = a.write ? kWriteCycles : kReadCycles;
  // AR taken in the access's first cycle: the value is sampled from the state the last cycle left (the
  // units step after the registers). AW+W taken: the write happens in the second cycle, so the units see
  // it from then on, as dnn_regs' registered write.
  if (a.cycles_left == (a.write ? total - 1 : total)) {
    if (a.write)
      write_register(a.offset, a.data, a.ok);
    else
      a.data = read_register(a.offset, a.ok);
    if (!a.ok) ++metrics_.register_errors;
  }
  if (--a.cycles_left == 0) {
    answered = true;
    if (a.write) {
      ++metrics_.register_writes;
      progress = true;
    } else {
      ++metrics_.register_reads;
    }
  }
}

// ---------------------------------------------------------------- streams

// tvalid of an input stream this cycle: its front beat, unless a random stall withholds it.
bool FastEngine::show(InStream& s) {
  if (s.shown) return true;
  if (s.taken || s.ch.empty()) return false;
  if (stalls_ && rnd_.chance()) {
    ++s.metrics.stalls_injected;
    return false;
  }
  s.shown = true;
  return true;
}

AxisBeat FastEngine::take(InStream& s) {
  AxisBeat beat = s.ch.front();
  s.taken = true;
  s.shown = false;
  ++s.metrics.beats;
  s.metrics.bytes += beat.data.size();
  s.metrics.packets += beat.last;
  // Handshakes and issues reach an observer at the cycle count after their cycle, as the rtl engine's.
  if (observer_) observer_->beat(s.id, beat.last, metrics_.cycles + 1);
  return beat;
}

// The cycle's beats leave their channels in the rtl engine's order (x, w, r), so the producers' threads
// wake in the same order and meet the memory in the same order.
void FastEngine::pop_taken() {
  for (InStream* s : {&x_in_, &w_in_, &r_in_}) {
    if (!s->taken) continue;
    s->ch.pop();
    s->taken = false;
    if (s->ch.empty()) drained_ = true;  // the batch ends: the producer must run
  }
}

std::size_t FastEngine::y_room() const {
  const std::size_t used = y_.size() + staged_.size();
  return used >= y_.capacity() ? 0 : y_.capacity() - used;
}

// ---------------------------------------------------------------- loader

// The loader's next command, when it is idle: the next tile's band once its storage is free (a REUSE tile
// passes once its predecessor's band is in).
void FastEngine::start_band(bool& progress) {
  LoaderState& l = loader_;
  const std::uint64_t now = metrics_.cycles;
  Tile* t = tile_at(load_seq_);
  if (t == nullptr) {
    if (l.discarding && show(x_in_) && take(x_in_).last) l.discarding = false, progress = true;
    return;
  }
  if (t->d.reuse) {  // nothing loads: the predecessor's band, once it is in
    Tile* before = tile_at(t->seq - 1);
    if (before != nullptr && before->loaded_at > now) return;
    // dnn_regs refuses a REUSE before any tile, so a band was loaded; an empty one reads as zeros.
    t->band = last_band_ != nullptr ? last_band_ : std::make_shared<const Band>();
    t->storage = last_storage_;
    t->loaded_at = now + 1;
    ++load_seq_;
    return;
  }
  // The storage the band needs must be free: no tile loaded but not computed may hold any of it.
  const int storage = t->d.whole ? 2 : 1 - last_half_;
  if (storage_held_after(*t, storage) > now) return;
  if (l.discarding) {
    if (show(x_in_) && take(x_in_).last) l.discarding = false, progress = true;
    return;
  }
  t->storage = storage;
  if (storage != 2) last_half_ = storage;
  l = LoaderState{};
  l.tile = t;
  l.beats_expected = band_beats(t->d, geo_);
  l.words_total = t->d.band_pixels * pixel_words(t->d, geo_.rows);
  // The command is taken this cycle, then BAND_PIXELS x IN_C by shift-add over the bits of IN_C, then
  // the cycle that sees the multiplier done: the band's first beat comes the cycle after.
  l.starting = bit_length(t->d.in_c) + 1;
}

void FastEngine::step_loader(bool& progress) {
  LoaderState& l = loader_;
  const std::uint64_t now = metrics_.cycles;
  if (l.tile == nullptr) {
    start_band(progress);
    return;
  }
  Tile& t = *l.tile;
  if (l.starting > 0) {
    --l.starting;
    return;
  }
  if (l.finishing >= 0) {
    if (l.finishing-- > 0) return;
    auto band = std::make_shared<Band>(load_band(t.d, geo_, l.bytes));
    t.band = band;
    t.loaded_at = now + 1;
    last_band_ = band;
    last_storage_ = t.storage;
    ++load_seq_;
    l.tile = nullptr;
    progress = true;
    start_band(progress);  // idle again, dnn_input_loader takes its next command this cycle
    return;
  }
  const WordsWritten written = words_written(l, t.d, geo_);
  l.words = written.words;
  l.values_used = written.values_used;
  const std::uint64_t cin = t.d.in_c;
  if (l.words == l.words_total && l.beats >= l.beats_expected) {
    l.finishing = geo_.timing.loader_latency;
    return;
  }
  // A beat whenever fewer than FoldMax * Rows values wait.
  const std::uint64_t waiting = l.values_in - l.values_used;
  if (l.beats < l.beats_expected && waiting < port_values(geo_) && show(x_in_)) {
    AxisBeat b = take(x_in_);
    progress = true;
    const int storage = storage_bits(static_cast<int>(t.d.in_bits));
    l.bytes.insert(l.bytes.end(), b.data.begin(), b.data.end());
    ++l.beats;
    l.values_in = std::min<std::uint64_t>(
        t.d.band_pixels * cin,
        l.bytes.size() * 8 / static_cast<std::uint64_t>(storage) - (band_skip(t.d) ? 1 : 0));
    if (b.last && l.beats < l.beats_expected) {  // early TLAST: the band ends short
      flag(regs_.cause_input_length);
      l.beats = l.beats_expected;
      l.values_in = t.d.band_pixels * cin;
    } else if (!b.last && l.beats == l.beats_expected) {  // no TLAST: drop beats up to the next one
      flag(regs_.cause_input_length);
      l.discarding = true;
    }
  }
}

// The last cycle at which an earlier tile, loaded but not computed, holds storage `storage` (0, 1: a half;
// 2: the whole buffer) that tile `t`'s band needs; 0 when none does.
std::uint64_t FastEngine::storage_held_after(const Tile& t, int storage) const {
  std::uint64_t held = 0;
  for (const auto& q : queue_) {
    if (q->seq >= t.seq) break;
    if (q->storage == 2 || storage == 2 || q->storage == storage) held = std::max(held, q->computed_at);
  }
  return held;
}

// ---------------------------------------------------------------- weights

void FastEngine::step_weights(bool& progress) {
  WeightState& s = weights_;
  // The FIFO takes a beat whenever it has room.
  const bool fifo_take = s.fifo.size() < geo_.fifo_beats && show(w_in_);
  // The assembler: one beat a cycle from the FIFO into the block it cuts.
  const std::uint64_t now = metrics_.cycles;
  if (s.params_ready != nullptr && s.params_shadow == nullptr && s.params_shadow_free_at <= now)
    s.params_shadow = std::move(s.params_ready);
  if (s.weights_ready != nullptr && s.weight_shadow == nullptr && s.weight_shadow_free_at <= now)
    s.weight_shadow = std::move(s.weights_ready);
  if (s.tile == nullptr) {
    while (Tile* t = tile_at(weight_seq_)) {
      if (has_blob(t->d)) {
        s.tile = t;
        s.run_from = now + 1;
        s.block = 0;
        s.pass = kParamsItem;
        s.item_beats_left = 0;
        break;
      }
      ++weight_seq_;  // a pool streams no blob
    }
  }
  if (s.tile != nullptr && s.item_beats_left == 0) {
    s.item.clear();
    s.item_beats_left = s.pass == kParamsItem ? params_beats(geo_) : weight_beats(s.tile->d, geo_);
  }
  // A block's beats but its last are assembled while the previous block waits in the output register; the
  // last one only when that register is free.
  std::shared_ptr<const Block>& out = s.pass == kParamsItem ? s.params_ready : s.weights_ready;
  if (s.tile != nullptr && s.run_from <= now && !s.fifo.empty() &&
      (out == nullptr || s.item_beats_left > 1)) {
    const Descriptor& d = s.tile->d;
    AxisBeat b = std::move(s.fifo.front());
    s.fifo.pop_front();
    s.item.insert(s.item.end(), b.data.begin(), b.data.end());
    const bool item_end = --s.item_beats_left == 0;
    const bool block_end = item_end && s.pass != kParamsItem && s.pass + 1 == d.passes;
    const bool blob_end = block_end && s.block + 1 == d.blocks;
    if (b.last != blob_end && !(b.last && block_end)) {
      flag(regs_.cause_weight_length);
      if (b.last) {  // early TLAST: the blob ends here, the rest is zero
        s.item.resize(s.item.size() + s.item_beats_left * geo_.beat_bytes, 0);
        s.item_beats_left = 0;
      } else {
        s.discarding = true;
      }
    }
    if (s.item_beats_left == 0) {
      out = std::make_shared<const Block>(std::move(s.item));
      s.item = Block{};
      if (s.pass == kParamsItem) {
        s.pass = 0;
      } else if (++s.pass == d.passes) {
        s.pass = kParamsItem;
        if (++s.block == d.blocks) s.tile = nullptr, ++weight_seq_;
      }
    }
  } else if (s.tile == nullptr && s.discarding && !s.fifo.empty()) {
    if (s.fifo.front().last) s.discarding = false;
    s.fifo.pop_front();
  }
  if (fifo_take) {
    s.fifo.push_back(take(w_in_));
    progress = true;
  }
}

// ---------------------------------------------------------------- core

void FastEngine::start_pass(CoreState& c) const {
  const Descriptor& d = c.tile->d;
  c.slot = 0;
  c.macs_per_pixel = pass_macs(d, geo_, c.block, c.pass);
  if (d.op != kDepthwise) return;
  const DwWindow w = dw_window(d);
  c.dw_cols = w.cols;
  c.dw_positions = w.rows * w.cols;
  c.dw_col = 0;
  c.dw_yw = d.kh - 1;
  c.dw_xw = d.kw - 1;
}

// Whether the slot issues a pixel (then steps to the next slot): the first P slots of a pass, a depthwise
// pass's slots whose window is complete and stride-aligned (dnn_core's dw_out_slot) up to its P-th.
bool FastEngine::issues(CoreState& c) const {
  const Descriptor& d = c.tile->d;
  if (d.op != kDepthwise) return c.slot < d.tile_p;
  if (c.dw_yw == kDwDone) return false;  // MinPass bubbles after the window's last slot
  const bool issue = c.dw_yw == 0 && c.dw_xw == 0;
  if (c.dw_xw == 0 && c.dw_col + 1 == c.dw_cols) {  // the window row's last slot
    c.dw_col = 0;
    c.dw_xw = d.kw - 1;
    if (c.slot + 1 >= c.dw_positions)
      c.dw_yw = kDwDone;
    else
      c.dw_yw = c.dw_yw == 0 ? d.sh - 1 : c.dw_yw - 1;
  } else {
    ++c.dw_col;
    c.dw_xw = c.dw_xw == 0 ? d.sw - 1 : c.dw_xw - 1;
  }
  return issue;
}

void FastEngine::step_core(bool& progress) {
  CoreState& c = core_;
  std::vector<std::uint64_t>& k = counters_;
  const std::uint64_t now = metrics_.cycles;
  switch (c.phase) {
    case CoreState::kIdle: {
      Tile* t = tile_at(core_seq_);
      if (t == nullptr) return;
      if (t->loaded_at > now) {
        ++k[regs_.stall_input];
        return;
      }
      // Its output half (seq mod 2) is free once the tile two before has drained.
      if (t->seq >= 2) {
        const Tile* before = tile_at(t->seq - 2);
        if (before != nullptr && before->drained_at > now) {
          output_stalled_ = true;
          return;
        }
      }
      c = CoreState{};
      c.tile = t;
      c.phase = CoreState::kSetup;
      c.countdown = setup_cycles(t->d, geo_);
      return;
    }
    case CoreState::kSetup:
      if (--c.countdown > 0) return;
      c.block = 0;
      c.pass = 0;
      c.slots = pass_slots(c.tile->d, geo_);
      c.phase = has_blob(c.tile->d) ? CoreState::kParams : CoreState::kIssue;
      start_pass(c);
      return;
    case CoreState::kParams:
      if (weights_.params_shadow == nullptr) {
        ++k[regs_.stall_weight];
        return;
      }
      c.tile->blocks.push_back(std::move(weights_.params_shadow));
      weights_.params_shadow = nullptr;
      weights_.params_shadow_free_at = kNever;  // until the block's first slot (below)
      c.phase = CoreState::kWeights;
      [[fallthrough]];
    case CoreState::kWeights:
      if (weights_.weight_shadow == nullptr) {
        ++k[regs_.stall_weight];
        return;
      }
      c.tile->blocks.push_back(std::move(weights_.weight_shadow));
      weights_.weight_shadow = nullptr;
      weights_.weight_shadow_free_at = now + static_cast<std::uint64_t>(geo_.timing.weights_free_visible);
      // dnn_core frees the params shadow as the block's first slot reaches S2 (params_swap).
      if (c.pass == 0)
        weights_.params_shadow_free_at = now + static_cast<std::uint64_t>(geo_.timing.params_free_visible);
      c.phase = CoreState::kIssue;
      [[fallthrough]];
    case CoreState::kIssue: {
      const Descriptor& d = c.tile->d;
      if (issues(c)) {
        ++k[regs_.active];
        k[regs_.macs] += c.macs_per_pixel;
        progress = true;
        ++metrics_.compute_cycles;
        if (observer_) observer_->issue(metrics_.cycles + 1);
      }
      if (++c.slot < c.slots) return;
      if (++c.pass < d.passes) {
        if (has_blob(d)) c.phase = CoreState::kWeights;
        start_pass(c);
        return;
      }
      c.pass = 0;
      if (++c.block < d.blocks) {
        if (has_blob(d)) c.phase = CoreState::kParams;
        start_pass(c);
        return;
      }
      // The last output word is written `pipeline` cycles after the last issued pixel, which MinPass
      // bubbles may follow.
      c.phase = CoreState::kFlush;
      c.countdown = std::max<int>(
          1, geo_.timing.pipeline - static_cast<int>(c.slots - std::min(c.slots, issue_slots(d))));
      return;
    }
    case CoreState::kFlush:
      if (--c.countdown > 0) return;
      // The last output word is written: the core takes its next command from the next cycle; its done
      // pointer (input storage free, the drain's command) follows.
      c.tile->computed_at = now + static_cast<std::uint64_t>(geo_.timing.done_visible);
      c.phase = CoreState::kIdle;
      ++core_seq_;
      return;
  }
}

// ---------------------------------------------------------------- drain

// Whether dnn_eltwise takes r beats this cycle (its registered busy or flush), and whether its FIFO has room.
bool FastEngine::residual_wanted() const {
  const ResidualState& res = residual_;
  return (res.busy && res.busy_from <= metrics_.cycles) || res.flush;
}
bool FastEngine::r_ready() const {
  return residual_wanted() && residual_.fifo.size() < static_cast<std::size_t>(geo_.timing.eltwise_b_beats);
}

// The drain's next output beat on m_axis_y: operand a's bytes, or with a fused add y of a's and b's.
void FastEngine::send_output_beat() {
  DrainState& s = drain_;
  const Tile& t = *s.tile;
  const Descriptor& d = t.d;
  const std::size_t first = static_cast<std::size_t>(s.beats_sent) * geo_.beat_bytes;
  const std::size_t bytes = std::min(geo_.beat_bytes, s.a_bytes.size() - first);
  AxisBeat beat;
  if (d.elt) {
    // y of the beat's values from a's and b's same bytes (a, b and y share one storage width).
    const std::size_t per_byte = static_cast<std::size_t>(8 / storage_bits(static_cast<int>(d.out_bits)));
    const auto v0 = static_cast<std::ptrdiff_t>(first * per_byte);
    const auto v1 = static_cast<std::ptrdiff_t>(std::min(t.out.size(), (first + bytes) * per_byte));
    const std::size_t b0 = std::min(first, s.b_bytes.size()), b1 = std::min(first + bytes, s.b_bytes.size());
    beat.data = output_bytes(d, {t.out.begin() + v0, t.out.begin() + v1},
                             {s.b_bytes.begin() + static_cast<std::ptrdiff_t>(b0),
                              s.b_bytes.begin() + static_cast<std::ptrdiff_t>(b1)});
    beat.data.resize(bytes, 0);
  } else {
    beat.data.assign(s.a_bytes.begin() + static_cast<std::ptrdiff_t>(first),
                     s.a_bytes.begin() + static_cast<std::ptrdiff_t>(first + bytes));
  }
  beat.last = ++s.beats_sent == s.beats;
  ++metrics_.y.beats;
  metrics_.y.bytes += beat.data.size();
  metrics_.y.packets += beat.last;
  if (observer_) observer_->beat('y', beat.last, metrics_.cycles + 1);
  staged_.push_back(std::move(beat));
}

void FastEngine::step_drain(bool& progress) {
  DrainState& s = drain_;
  ResidualState& res = residual_;
  const std::uint64_t now = metrics_.cycles;
  const Timing& tm = geo_.timing;
  // Registered state as the cycle starts: dnn_eltwise's b FIFO, whether it takes r, flush and over.
  const std::size_t b_count = res.fifo.size();
  const bool b_wanted = residual_wanted();
  const bool b_valid = b_count > 0 && res.fifo.front().at < now;
  const bool flushing = res.flush, over = res.over;
  if (flushing && b_valid) {  // b read on to its TLAST, a beat a cycle
    res.flush = !res.fifo.front().last;
    res.fifo.pop_front();
    progress = true;
  }
  if (b_wanted && b_count < static_cast<std::size_t>(tm.eltwise_b_beats) && show(r_in_)) {
    AxisBeat r = take(r_in_);
    res.fifo.push_back({std::move(r.data), r.last, now});
    progress = true;
  }
  if (s.tile == nullptr) {
    // The drain and the eltwise stage take a tile's command together: neither busy nor flushing.
    Tile* t = tile_at(drain_seq_);
    if (t == nullptr || t->computed_at > now || s.free_at > now || res.busy || flushing) return;
    s.tile = t;
    t->out = compute_tile(*t, geo_, last_value_);
    last_value_ = t->out.empty() ? 0 : t->out.back();
    s.a_bytes = output_bytes(t->d, t->out, {});
    s.b_bytes.clear();
    s.words = std::uint64_t{t->d.tile_p} * t->d.blocks;
    s.words_read = 0;
    s.s1_nibbles = 0;
    s.s1_last = false;
    // A tile starting mid-byte begins with the previous tile's last nibble in the residue.
    s.fill = output_skip(t->d) ? 1 : 0;
    s.tail = false;
    s.beats = (s.a_bytes.size() + geo_.beat_bytes - 1) / geo_.beat_bytes;
    s.beats_sent = 0;
    s.formed_at.clear();
    s.y_at.clear();
    res.busy = t->d.elt && s.beats > 0;
    res.busy_from = now + 1;
    return;  // the command is taken this cycle; words are read from the next
  }
  Tile& t = *s.tile;
  const Descriptor& d = t.d;
  // The output FIFO's count as the cycle starts (it alone gates the packer) and, with a fused add, the
  // credits (beats in the add's pipeline and y FIFO).
  const std::size_t fifo_count = s.formed_at.size();
  const std::size_t credits = s.y_at.size();
  // m_axis_y: the output FIFO's head, or with a fused add the y FIFO's, leaves when the channel has room.
  std::deque<std::uint64_t>& y_source = d.elt ? s.y_at : s.formed_at;
  if (!y_source.empty() && y_source.front() <= now) {
    if (y_room() == 0) {
      output_stalled_ = true;
      ++metrics_.y.waiting_cycles;
    } else if (stalls_ && rnd_.chance()) {
      ++metrics_.y.stalls_injected;
      output_stalled_ = true;
    } else {
      y_source.pop_front();
      send_output_beat();
      progress = true;
    }
  }
  // A pair enters the add's pipeline when the output FIFO's head (a), b's FIFO head (or b ended short: a
  // pairs with 0) and a credit are there (dnn_eltwise: Latency + 1 beats in its pipeline and y FIFO), and
  // no flush is on; its y beat is in the y FIFO `eltwise_latency` cycles later. TLASTs that disagree flag
  // RESIDUAL_LENGTH: b ending first leaves the rest of a paired with 0, a ending first flushes b.
  if (d.elt && !s.formed_at.empty() && s.formed_at.front() <= now &&
      credits <= static_cast<std::size_t>(tm.eltwise_latency) && !flushing && (b_valid || over)) {
    s.formed_at.pop_front();
    const bool a_last = s.beats_sent + s.y_at.size() + 1 == s.beats;
    if (!over) {
      ResidualState::Beat& b = res.fifo.front();
      s.b_bytes.resize(static_cast<std::size_t>(s.beats_sent + s.y_at.size()) * geo_.beat_bytes, 0);
      s.b_bytes.insert(s.b_bytes.end(), b.data.begin(), b.data.end());
      if (a_last != b.last) flag(regs_.cause_residual_length);
      if (a_last && !b.last) res.flush = true;
      if (!a_last && b.last) res.over = true;
      res.fifo.pop_front();
    }
    if (a_last) res.over = false;
    s.y_at.push_back(now + static_cast<std::uint64_t>(tm.eltwise_latency));
    progress = true;
  }
  // The packer, register for register as dnn_output_buffer's: the word on the RAM's output is merged
  // into the residue when it fits; a beat is pushed whenever the residue holds one (or the tile's
  // tail), unless the FIFO is full, which holds the whole packer; the next word is read when the
  // output register is free or being emptied.
  const std::uint64_t beat_nibbles = 2 * geo_.beat_bytes;
  const std::uint64_t capacity =
      (std::max<std::uint64_t>(beat_nibbles, 2 * static_cast<std::uint64_t>(geo_.cols)) + beat_nibbles);
  const bool can_take = s.s1_nibbles != 0 && s.fill + s.s1_nibbles <= capacity;
  const std::uint64_t m_fill = can_take ? s.fill + s.s1_nibbles : s.fill;
  const bool m_tail = s.tail || (can_take && s.s1_last);
  const bool want_emit = m_fill >= beat_nibbles || (m_tail && m_fill != 0);
  const bool step = !want_emit || fifo_count < static_cast<std::size_t>(tm.drain_fifo_beats);
  const bool take_word = can_take && step;
  const bool read = s.words_read < s.words && (s.s1_nibbles == 0 || take_word);
  if (step && want_emit) {
    const bool m_last = m_tail && m_fill <= beat_nibbles;
    s.formed_at.push_back(now + static_cast<std::uint64_t>(tm.drain_word_to_beat - 1));
    s.fill = m_last ? 0 : m_fill - beat_nibbles;
    s.tail = m_tail && !m_last;
    progress = true;
  } else if (step) {
    s.fill = m_fill;
    s.tail = m_tail;
  }
  if (read) {
    const std::uint64_t lanes = static_cast<std::uint64_t>(block_lanes(d, geo_));
    const std::uint64_t cb = s.words_read % d.blocks;
    const std::uint64_t values =
        std::min<std::uint64_t>(lanes, d.out_c - std::min<std::uint64_t>(d.out_c, cb * lanes));
    s.s1_nibbles = values * (storage_bits(static_cast<int>(d.out_bits)) == 4 ? 1 : 2);
    s.s1_last = ++s.words_read == s.words;
    progress = true;
  } else if (take_word) {
    s.s1_nibbles = 0;
  }
  if (s.beats_sent < s.beats) return;
  // The tile's last beat left: the drain is free next cycle (the eltwise stage too), the tile done
  // (TILES_DONE, IRQ, its queue entry and output half free) a cycle later.
  res.busy = false;
  s.free_at = now + 1;
  t.drained_at = now + static_cast<std::uint64_t>(tm.done_visible);
  ++drain_seq_;
  s.tile = nullptr;
}

// Tiles whose drain is done leave the queue: TILES_DONE counts them, the interrupt is pending.
void FastEngine::retire_tiles() {
  const std::uint64_t now = metrics_.cycles;
  while (!queue_.empty() && queue_.front()->drained_at <= now) {
    ++tiles_done_;
    irq_pending_ = true;
    queue_.pop_front();
  }
}

// ---------------------------------------------------------------- skipping ahead

// How many of the next cycles only the core's issue counting would change anything: the core issues a
// dense pass's pixels and no other unit, the register port or the channels can act before the pass's last
// slot (the loader and the drain wait, the weight FIFO is full or its channel empty and the assembler waits
// for a shadow, no tile leaves the queue). 0: clock the next cycle.
std::uint64_t FastEngine::skippable() const {
  const CoreState& c = core_;
  if (c.phase != CoreState::kIssue || c.tile->d.op == kDepthwise || access_ != nullptr || stalls_ ||
      observer_ != nullptr || (!staged_.empty() && y_room() == 0))
    return 0;
  const std::uint64_t issuing = std::min<std::uint64_t>(c.tile->d.tile_p, c.slots - 1);
  if (c.slot + 1 >= issuing) return 0;
  const std::uint64_t k = issuing - 1 - c.slot;  // the pass's last issuing slot is clocked
  const std::uint64_t until = metrics_.cycles + k;
  if (!queue_.empty() && queue_.front()->drained_at <= until) return 0;
  // Drain: no tile to send, none computed before `until`.
  if (drain_.tile != nullptr || residual_.flush) return 0;
  if (const Tile* t = tile_at(drain_seq_); t != nullptr && t->computed_at <= until) return 0;
  // Loader: no band in flight, the next one's storage held beyond `until`.
  const LoaderState& l = loader_;
  if (l.tile != nullptr || l.discarding) return 0;
  if (const Tile* t = tile_at(load_seq_); t != nullptr) {
    if (t->d.reuse || storage_held_after(*t, t->d.whole ? 2 : 1 - last_half_) <= until) return 0;
  }
  // Weights: the FIFO takes nothing and the assembler waits for a shadow the core does not free meanwhile.
  const WeightState& w = weights_;
  if (!w_.empty() && w.fifo.size() < geo_.fifo_beats) return 0;
  if ((w.params_ready != nullptr && w.params_shadow == nullptr) ||
      (w.weights_ready != nullptr && w.weight_shadow == nullptr))
    return 0;
  const std::shared_ptr<const Block>& out = w.pass == kParamsItem ? w.params_ready : w.weights_ready;
  if (w.tile == nullptr) {
    if (tile_at(weight_seq_) != nullptr || (w.discarding && !w.fifo.empty())) return 0;
  } else if (w.item_beats_left == 0 || (!w.fifo.empty() && (out == nullptr || w.item_beats_left > 1))) {
    return 0;
  }
  return k;
}

// `k` cycles of the core issuing its pass's pixels, as cycle() would clock them.
void FastEngine::skip(std::uint64_t k) {
  EngineMetrics& m = metrics_;
  CoreState& c = core_;
  counters_[regs_.active] += k;
  counters_[regs_.macs] += k * c.macs_per_pixel;
  counters_[regs_.cycles] += k;
  m.compute_cycles += k;
  m.busy_cycles += k;
  if (w_.empty() && weights_.fifo.size() < geo_.fifo_beats) m.w.waiting_cycles += k;
  c.slot += k;
  m.cycles += k;
  m.cycles_clocked += k;
  quiet_run_ = 0;
  watchdog_.step(m.cycles, true, true);
}

// ---------------------------------------------------------------- the clock

bool FastEngine::cycle() {
  EngineMetrics& m = metrics_;
  bool progress = false, answered = false;
  // A busy cycle counts when the engine is busy as the cycle starts: a tile's drain done (it leaves the
  // queue) ends the count; a PUSH starts it from the next cycle (busy_o follows the register write).
  retire_tiles();
  const bool was_busy = busy();
  step_registers(progress, answered);
  step_drain(progress);
  step_core(progress);
  step_weights(progress);
  step_loader(progress);
  pop_taken();
  // STALL_OUTPUT counts a cycle once, whether the core waits for its output half, y is held, or both.
  if (output_stalled_) ++counters_[regs_.stall_output];
  output_stalled_ = false;
  if (was_busy) {
    ++m.busy_cycles;
    ++counters_[regs_.cycles];
    if (x_.empty() && loader_.tile != nullptr && loader_.finishing < 0) ++m.x.waiting_cycles;
    if (w_.empty() && weights_.fifo.size() < geo_.fifo_beats) ++m.w.waiting_cycles;
    if (r_.empty() && r_ready()) ++m.r.waiting_cycles;
  }
  ++m.cycles;
  ++m.cycles_clocked;
  bool stop = answered || drained_;
  drained_ = false;
  if (!staged_.empty() && y_room() == 0) stop = true;  // the consumer must run
  const bool armed = (busy() && (options().watchdog_counts_platform_waits || !starved())) ||
                     (access_ != nullptr && !answered);
  if (watchdog_.step(m.cycles, armed, progress)) {
    trip_watchdog();
    stop = true;
  }
  if (quiet()) {
    if (++quiet_run_ >= kSettleCycles && access_ == nullptr) stop = true;
  } else {
    quiet_run_ = 0;
  }
  return stop;
}

// Nothing happens until the platform acts: no tile, no beat the units could take. A register access does
// not disturb this (as the rtl engine's settling: a write's effect shows when it is performed, e.g. a PUSH's
// tile), so an idle engine sleeps again as soon as an access is answered.
bool FastEngine::quiet() const {
  // As the next cycle starts: the tiles drained by then have left the queue (busy_o low).
  const bool idle = queue_.empty() || queue_.back()->drained_at <= metrics_.cycles;
  return idle && (w_.empty() || weights_.fifo.size() >= geo_.fifo_beats) &&
         (x_.empty() || !loader_.discarding) && (r_.empty() || !residual_.flush);
}

// s_axis_x's tready: the loader would take a beat (as dnn_input_loader in StRun with room for one).
bool FastEngine::x_ready() const {
  const LoaderState& l = loader_;
  if (l.discarding) return true;
  if (l.tile == nullptr || l.starting > 0 || l.finishing >= 0 || l.beats >= l.beats_expected) return false;
  // The next cycle's words are written before it takes a beat (step_loader).
  return l.values_in - words_written(l, l.tile->d, geo_).values_used < port_values(geo_);
}

// The engine waits on the platform (the rtl engine's rule: an input channel empty while its tready is
// high, the weight FIFO's whenever it has room; the output channel full while a beat waits).
bool FastEngine::starved() const {
  return (x_.empty() && x_ready()) || (w_.empty() && weights_.fifo.size() < geo_.fifo_beats) ||
         (r_.empty() && r_ready()) ||
         (drain_.tile != nullptr && !drain_.formed_at.empty() &&
          drain_.formed_at.front() <= metrics_.cycles && y_room() == 0);
}

void FastEngine::idle_wait() {
  sleep_until_work(arrival_);
  watchdog_.restart(metrics_.cycles);
}

void FastEngine::run() {
  EngineMetrics& c = metrics_;
  for (;;) {
    for (unsigned i = 0; i < kMaxDeltaYields && sc_core::sc_pending_activity_at_current_time(); ++i)
      sc_core::wait(SC_ZERO_TIME);
    if (access_ == nullptr && !accesses_.empty()) {
      access_ = accesses_.front();
      accesses_.pop_front();
      access_->cycles_left = access_->write ? kWriteCycles : kReadCycles;
    }
    if (quiet() && quiet_run_ >= kSettleCycles && access_ == nullptr) {
      idle_wait();
      continue;
    }
    const bool registers_active = c.cycles - last_register_cycle_ < options().max_batch_cycles;
    const std::uint64_t limit =
        starved() || registers_active ? options().starved_batch_cycles : options().max_batch_cycles;
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t n = 0;
    bool stop = false;
    while (!stop && n < limit) {
      if (const std::uint64_t k = std::min(skippable(), limit - n - 1); k > 0) {
        skip(k);
        n += k;
      }
      stop = cycle();
      ++n;
    }
    c.eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++c.batches;
    sc_core::wait(sc_time::from_value(period_ * n));
    for (AxisBeat& beat : staged_) y_.push(std::move(beat));
    staged_.clear();
    const bool irq = irq_enable_ && irq_pending_;
    if (irq != irq_out.read()) irq_out.write(irq);
    if (watchdog_fired()) {
      report_watchdog();
      return;
    }
    if (access_ != nullptr && access_->cycles_left == 0) {
      access_->done = true;
      access_->done_event.notify(SC_ZERO_TIME);
      access_ = nullptr;
      last_register_cycle_ = c.cycles;
    }
  }
}

// ---------------------------------------------------------------- reports

std::string FastEngine::stream_line(const InStream& s) const {
  const EngineStreamMetrics& k = s.metrics;
  std::ostringstream o;
  o << "  " << s.name << ": tvalid=" << s.shown << ", channel '" << s.ch.name() << "' " << s.ch.size() << "/"
    << s.ch.capacity() << " beats queued, " << k.beats << " beats (" << k.packets << " packets) accepted, "
    << k.stalls_injected << " stalls injected\n";
  return o.str();
}

std::string FastEngine::stream_state() const {
  const EngineStreamMetrics& k = metrics_.y;
  std::ostringstream o;
  o << stream_line(x_in_) << stream_line(w_in_) << stream_line(r_in_);
  o << "  m_axis_y: channel '" << y_.name() << "' " << y_.size() << "/" << y_.capacity() << " beats queued, "
    << k.beats << " beats (" << k.packets << " packets) sent, " << k.stalls_injected << " stalls injected, "
    << k.waiting_cycles << " cycles held by a full channel\n";
  o << "  queue: " << queue_.size() << " tiles (loader at tile " << load_seq_ << ", weights " << weight_seq_
    << ", core " << core_seq_ << ", drain " << drain_seq_ << "), weight FIFO " << weights_.fifo.size() << "/"
    << geo_.fifo_beats << " beats\n";
  o << "  registers: " << (access_ != nullptr ? "an access in flight" : "idle") << ", " << accesses_.size()
    << " queued\n";
  return o.str();
}

std::string FastEngine::stop_report() {
  std::ostringstream o;
  bool ok = true;
  o << stream_state() << "  STATUS 0x" << std::hex << read_register(regs_.status, ok) << " ERROR_CAUSE 0x"
    << error_cause_ << std::dec << "\n";
  return o.str();
}

void FastEngine::report_watchdog() {
  const EngineMetrics& c = metrics_;
  EngineWatchdogReport rep;
  rep.cycle = c.cycles;
  rep.time = sc_core::sc_time_stamp();
  rep.idle_cycles = watchdog_.idle_cycles(c.cycles);
  bool ok = true;
  rep.status = read_register(regs_.status, ok);
  rep.error_cause = error_cause_;
  rep.registers_read = true;
  std::ostringstream o;
  o << name() << ": watchdog: no progress (stream handshake, register write or issued work) for "
    << rep.idle_cycles << " engine cycles, engine " << (busy() ? "busy" : "not busy") << ", at cycle "
    << rep.cycle << " (" << rep.time << ")\n";
  o << stop_report();
  rep.text = o.str();
  fire_watchdog(std::move(rep));
}

}  // namespace dnnvp::fast

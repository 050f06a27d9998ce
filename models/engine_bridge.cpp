// The engine bridge (engine_bridge.h, docs/platform.md "Engine bridge"). Compiled once per engine shape
// against that shape's Verilated model by dnnvp_engine_model() (cmake/DnnvpEngineModel.cmake), which
// defines DNNVP_ENGINE_* to the parameters the model was verilated with.
#include "engine_bridge.h"

// verilated.h sees SystemC and expects sc_time_stamp() in the global namespace (as <systemc.h> puts it);
// the model's $time is then SystemC time.
using sc_core::sc_time_stamp;
#include <verilated.h>
#if VM_TRACE
#include <verilated_fst_c.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "Vdnn_engine.h"
#include "Vdnn_engine___024root.h"
#include "stats.h"

#ifndef DNNVP_ENGINE_STREAM_BITS
#error "engine_bridge.cpp is built per engine shape by dnnvp_engine_model() (cmake/DnnvpEngineModel.cmake)"
#endif
#ifndef DNNVP_ENGINE_ASSERT
#define DNNVP_ENGINE_ASSERT 0
#endif

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "stream beats are copied as little-endian words");

namespace dnnvp {

namespace {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

constexpr std::size_t kBeatBytes = DNNVP_ENGINE_STREAM_BITS / 8;
constexpr std::size_t kKeepBytes = (kBeatBytes + 7) / 8;
// Clocked cycles the engine must stay quiescent before the bridge stops clocking it (its last
// registered updates settle).
constexpr unsigned kSettleCycles = 4;
// Clock cycles with rst_ni low before time 0 (not counted as engine cycles).
constexpr unsigned kResetCycles = 4;
// Delta cycles the bridge yields at most before a batch (a process that only ever waits for delta
// cycles must not stall the engine).
constexpr unsigned kMaxDeltaYields = 16;
// Cycles an internal register read (watchdog report) may take.
constexpr unsigned kInternalReadCycles = 32;

// The engine's ACTIVE counter (rtl/dnn_regs.sv counter 2: cycles a pixel was issued to the PE array),
// read from the model's state, not through the register slave (which would take cycles and latch _HI):
// a busy cycle that issues work is progress for the watchdog.
constexpr int kActiveCounter = 2;

// The shortest watchdog window: a healthy engine can go this long with neither a handshake nor work
// issued. It assembles a weight block (and a params block) from its FIFO one beat per cycle, which with
// short passes the core waits for, and a tile's set-up divides serially (about 40 cycles).
constexpr std::uint64_t kMinWatchdogCycles =
    256 + 4 * ((std::uint64_t{DNNVP_ENGINE_ROWS} * DNNVP_ENGINE_COLS * 8 + DNNVP_ENGINE_STREAM_BITS - 1) /
                   DNNVP_ENGINE_STREAM_BITS +
               (std::uint64_t{DNNVP_ENGINE_COLS} * 9 * 8 + DNNVP_ENGINE_STREAM_BITS - 1) /
                   DNNVP_ENGINE_STREAM_BITS);

// Register offsets used by the report (docs/engine.md).
constexpr std::uint32_t kRegStatus = 0x014;
constexpr std::uint32_t kRegErrorCause = 0x018;

// TDATA of any width from / to bytes (little-endian host: a Verilated word's bytes are the beat's).
// Bytes beyond n (a packet's short last beat) are zero.
template <typename T>
void put_bytes(T& sig, const std::uint8_t* p, std::size_t n) {
  T v = 0;
  if (n != 0) std::memcpy(&v, p, std::min(n, sizeof(T)));
  sig = v;
}
template <std::size_t N>
void put_bytes(VlWide<N>& sig, const std::uint8_t* p, std::size_t n) {
  std::memset(sig.data(), 0, sizeof(EData) * N);
  if (n != 0) std::memcpy(sig.data(), p, std::min(n, sizeof(EData) * N));
}
template <typename T>
void get_bytes(const T& sig, std::uint8_t* out, std::size_t n) {
  std::memcpy(out, &sig, std::min(n, sizeof(T)));
}
template <std::size_t N>
void get_bytes(const VlWide<N>& sig, std::uint8_t* out, std::size_t n) {
  std::memcpy(out, sig.data(), std::min(n, sizeof(EData) * N));
}

// The stall generator: splitmix64, so a seed gives the same stalls on every host and library.
class StallRandom {
 public:
  StallRandom(std::uint64_t seed, double probability)
      : state_(seed),
        threshold_(static_cast<std::uint64_t>(std::ldexp(std::clamp(probability, 0.0, 1.0), 32))) {}
  // True with the configured probability.
  bool chance() { return (next() >> 32) < threshold_; }

 private:
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
  std::uint64_t threshold_;
};

std::string hex(std::uint32_t v, int digits = 8) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%0*X", digits, v);
  return b;
}

}  // namespace

struct EngineBridge::Impl {
  // One register access of an initiator, waiting in b_transport for the clock thread.
  struct RegOp {
    bool write = false;
    std::uint32_t offset = 0;
    std::uint32_t wdata = 0;
    std::uint32_t rdata = 0;
    std::uint8_t resp = 0;
    bool done = false;
    sc_core::sc_event done_event;
  };

  struct InStream {
    const char* port;
    AxisChannel& ch;
    bool shown = false;  // tvalid is high with the channel's front beat
    std::uint64_t beats = 0, bytes = 0, packets = 0, stalls = 0, waiting = 0;
    explicit InStream(const char* p, AxisChannel& c) : port(p), ch(c) {}
  };

  Impl(EngineBridge& o, AxisChannel& x_ch, AxisChannel& w_ch, AxisChannel& y_ch, const EngineBridgeConfig& c)
      : owner(o),
        x("s_axis_x", x_ch),
        w("s_axis_w", w_ch),
        y(y_ch),
        cfg(c),
        rnd(c.stall_seed, c.stall_probability) {
    if (cfg.clock_period == SC_ZERO_TIME)
      throw std::invalid_argument(std::string(o.name()) + ": zero clock period");
    if (cfg.max_batch_cycles == 0 || cfg.starved_batch_cycles == 0)
      throw std::invalid_argument(std::string(o.name()) + ": batch limits must be at least one cycle");
    for (const AxisChannel* ch : {&x_ch, &w_ch, &y_ch})
      if (ch->beat_bytes() != kBeatBytes)
        throw std::invalid_argument(std::string(o.name()) + ": channel '" + ch->name() + "' carries " +
                                    std::to_string(ch->beat_bytes()) +
                                    "-byte beats; this engine's streams are " +
                                    std::to_string(DNNVP_ENGINE_STREAM_BITS) + " bits");
    stalls = cfg.stall_seed != 0 && cfg.stall_probability > 0.0;
    period = cfg.clock_period.value();
    ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(0, static_cast<const char**>(nullptr));
    if (!cfg.trace_file.empty()) {
#if VM_TRACE
      ctx->traceEverOn(true);
#else
      throw std::invalid_argument(std::string(o.name()) + ": trace requested, but the engine model (" +
                                  std::to_string(DNNVP_ENGINE_ROWS) + "x" +
                                  std::to_string(DNNVP_ENGINE_COLS) + ") was built without TRACE");
#endif
    }
    m = std::make_unique<Vdnn_engine>(ctx.get(), "TOP");
#if VM_TRACE
    if (!cfg.trace_file.empty()) {
      fst = std::make_unique<VerilatedFstC>();
      m->trace(fst.get(), 99);
      fst->open(cfg.trace_file.c_str());
      if (!fst->isOpen())
        throw std::invalid_argument(std::string(o.name()) + ": cannot open trace file " + cfg.trace_file);
      // Trace time stamps in the model's time precision: clock low at cycle * period, high half a
      // period later.
      const double units = cfg.clock_period.to_seconds() * std::pow(10.0, -ctx->timeprecision());
      trace_period = std::max<std::uint64_t>(2, static_cast<std::uint64_t>(std::llround(units)));
    }
#endif
  }

  ~Impl() {
#if VM_TRACE
    if (fst) fst->close();
#endif
    if (m) m->final();
  }

  // ------------------------------------------------------------------------------------------------
  // One clock cycle: drive the inputs, evaluate with the clock low, sample the handshakes, rising edge,
  // then account for what transferred. Returns true when the batch must end.
  bool cycle() {
    bool stop = false;
    present(x, m->s_axis_x_tdata_i, m->s_axis_x_tvalid_i, m->s_axis_x_tlast_i);
    present(w, m->s_axis_w_tdata_i, m->s_axis_w_tvalid_i, m->s_axis_w_tlast_i);
    bool ready = y_room() > 0;
    if (!ready) {
      if (m->m_axis_y_tvalid_o) ++y_full_cycles;
    } else if (stalls && m->m_axis_y_tvalid_o && rnd.chance()) {
      ready = false;
      ++y_stalls;
    }
    m->m_axis_y_tready_i = ready;

    m->clk_i = 0;
    m->eval();
    const bool busy_now = m->busy_o != 0;
    const bool hx = m->s_axis_x_tvalid_i && m->s_axis_x_tready_o;
    const bool hw = m->s_axis_w_tvalid_i && m->s_axis_w_tready_o;
    const bool hy = m->m_axis_y_tvalid_o && m->m_axis_y_tready_i;
    const bool aw = m->axil_awvalid_i && m->axil_awready_o;
    const bool wd = m->axil_wvalid_i && m->axil_wready_o;
    const bool b = m->axil_bvalid_o && m->axil_bready_i;
    const bool ar = m->axil_arvalid_i && m->axil_arready_o;
    const bool r = m->axil_rvalid_o && m->axil_rready_i;
    if (hy) {
      AxisBeat beat;
      std::uint8_t bytes[kBeatBytes];
      get_bytes(m->m_axis_y_tdata_o, bytes, kBeatBytes);
      // TKEEP is one bit per byte: a VlWide beyond 64 bits (1024-bit streams), so read it as bytes too.
      std::uint8_t keep[kKeepBytes] = {};
      get_bytes(m->m_axis_y_tkeep_o, keep, kKeepBytes);
      beat.data.reserve(kBeatBytes);
      for (std::size_t i = 0; i < kBeatBytes; ++i)
        if ((keep[i / 8] >> (i % 8)) & 1u) beat.data.push_back(bytes[i]);
      beat.last = m->m_axis_y_tlast_o != 0;
      staged.push_back(std::move(beat));
    }
    if (busy_now) {
      ++busy_cycles;
      if (x.ch.empty() && m->s_axis_x_tready_o) ++x.waiting;
      if (w.ch.empty() && m->s_axis_w_tready_o) ++w.waiting;
    }
    if (register_op) {
      if (b) register_op->resp = m->axil_bresp_o;
      if (r) {
        register_op->rdata = m->axil_rdata_o;
        register_op->resp = m->axil_rresp_o;
      }
    }
#if VM_TRACE
    const bool dump = fst && cycle_count >= cfg.trace_from && cycle_count < cfg.trace_to;
    if (dump) fst->dump(cycle_count * trace_period);
#endif
    m->clk_i = 1;
    m->eval();
#if VM_TRACE
    if (dump) fst->dump(cycle_count * trace_period + trace_period / 2);
#endif
    ++cycle_count;
    ++clocked;

    bool progress = false;
    if (hx) {
      if (accept(x, m->s_axis_x_tvalid_i)) stop = true, end = kEndInputDrained;
      progress = true;
    }
    if (hw) {
      if (accept(w, m->s_axis_w_tvalid_i)) stop = true, end = kEndInputDrained;
      progress = true;
    }
    if (hy) {
      const AxisBeat& beat = staged.back();
      ++y_beats;
      y_bytes += beat.data.size();
      y_packets += beat.last;
      progress = true;
      if (y_room() == 0) stop = true, end = kEndOutputFull;  // the consumer must run
    }
    if (register_op) {
      if (aw) m->axil_awvalid_i = 0;
      if (wd) m->axil_wvalid_i = 0;
      if (ar) m->axil_arvalid_i = 0;
      if (b || r) {
        m->axil_bready_i = 0;
        m->axil_rready_i = 0;
        register_done = true;
        if (register_op->resp != 0) ++reg_errors;
        if (b) {
          ++reg_writes;
          progress = true;  // a write may give the engine work; a read (polling) is no progress
        } else {
          ++reg_reads;
        }
        stop = true;
        end = kEndRegister;
      }
    }

    const std::uint64_t active = m->rootp->dnn_engine__DOT__u_regs__DOT__counter_q[kActiveCounter];
    if (active != last_active) {
      last_active = active;
      ++compute_cycles;
      progress = true;
    }

    // Watchdog: armed while the engine is busy (and, unless configured otherwise, not waiting on the
    // platform) or a register access is in flight.
    const bool armed =
        (m->busy_o && (cfg.watchdog_counts_platform_waits || !starved())) || (register_op && !register_done);
    if (!armed || progress || cfg.watchdog_cycles == 0) {
      last_progress = cycle_count;
    } else if (cycle_count - last_progress > longest_no_progress) {
      longest_no_progress = cycle_count - last_progress;
    }
    if (armed && !progress && cfg.watchdog_cycles != 0 &&
        cycle_count - last_progress >= std::max(cfg.watchdog_cycles, kMinWatchdogCycles)) {
      watchdog_fired = true;
      stop = true;
      end = kEndWatchdog;
    }

    if (engine_quiet()) {
      if (++quiet_run >= kSettleCycles && !register_op) stop = true, end = kEndIdle;
    } else {
      quiet_run = 0;
    }
    return stop;
  }

  template <typename T>
  void present(InStream& s, T& data, CData& valid, CData& last) {
    if (s.shown || s.ch.empty()) return;
    if (stalls && rnd.chance()) {
      ++s.stalls;
      return;
    }
    const AxisBeat& beat = s.ch.front();
    put_bytes(data, beat.data.data(), beat.data.size());
    last = beat.last;
    valid = 1;
    s.shown = true;
  }

  // The beat shown on `s` was taken on the last edge. Returns true if the channel ran empty.
  bool accept(InStream& s, CData& valid) {
    AxisBeat beat = s.ch.pop();
    valid = 0;
    s.shown = false;
    ++s.beats;
    s.bytes += beat.data.size();
    s.packets += beat.last;
    return s.ch.empty();
  }

  std::size_t y_room() const {
    const std::size_t used = y.size() + staged.size();
    return used >= y.capacity() ? 0 : y.capacity() - used;
  }

  // The engine does nothing until the platform acts: not busy, no output offered, no input beat it
  // could take. (A register access does not disturb this: a write's effect is visible when its
  // response arrives, e.g. busy_o after a PUSH.)
  bool engine_quiet() const {
    return !m->busy_o && !m->m_axis_y_tvalid_o && (x.ch.empty() || !m->s_axis_x_tready_o) &&
           (w.ch.empty() || !m->s_axis_w_tready_o);
  }
  // ... and has been for kSettleCycles clocked cycles, with no register access to perform: the bridge
  // stops clocking it.
  bool quiescent() const {
    return quiet_run >= kSettleCycles && !register_op && register_queue.empty() && engine_quiet();
  }

  // The engine waits on the platform: a batch should be short so new beats or space show up soon.
  bool starved() const {
    return (x.ch.empty() && m->s_axis_x_tready_o) || (w.ch.empty() && m->s_axis_w_tready_o) ||
           (m->m_axis_y_tvalid_o && y_room() == 0);
  }

  void start_register_op() {
    register_op = register_queue.front();
    register_queue.pop_front();
    register_done = false;
    if (register_op->write) {
      m->axil_awaddr_i = static_cast<SData>(register_op->offset);
      m->axil_awvalid_i = 1;
      m->axil_wdata_i = register_op->wdata;
      m->axil_wstrb_i = 0xF;
      m->axil_wvalid_i = 1;
      m->axil_bready_i = 1;
    } else {
      m->axil_araddr_i = static_cast<SData>(register_op->offset);
      m->axil_arvalid_i = 1;
      m->axil_rready_i = 1;
    }
  }

  void finish_register_op() {
    if (!register_op || !register_done) return;
    last_register_cycle = cycle_count;
    register_op->done = true;
    register_op->done_event.notify(SC_ZERO_TIME);
    register_op = nullptr;
    register_done = false;
  }

  void flush_outputs() {
    for (AxisBeat& beat : staged) y.push(std::move(beat));
    staged.clear();
  }

  void reset() {
    m->clk_i = 0;
    m->rst_ni = 0;
    m->axil_awaddr_i = 0, m->axil_awvalid_i = 0, m->axil_wdata_i = 0, m->axil_wstrb_i = 0;
    m->axil_wvalid_i = 0, m->axil_bready_i = 0, m->axil_araddr_i = 0, m->axil_arvalid_i = 0;
    m->axil_rready_i = 0;
    m->s_axis_x_tvalid_i = 0, m->s_axis_x_tlast_i = 0, m->s_axis_w_tvalid_i = 0, m->s_axis_w_tlast_i = 0;
    m->m_axis_y_tready_i = 0;
    const std::uint8_t zero[kBeatBytes] = {};
    put_bytes(m->s_axis_x_tdata_i, zero, kBeatBytes);
    put_bytes(m->s_axis_w_tdata_i, zero, kBeatBytes);
    for (unsigned i = 0; i < kResetCycles; ++i) {
      m->clk_i = 0;
      m->eval();
      m->clk_i = 1;
      m->eval();
    }
    m->rst_ni = 1;
    m->clk_i = 0;
    m->eval();
  }

  sc_time cycles_time(std::uint64_t n) const {
    return sc_time::from_value(period * n);
  }

  // Sleeps until a beat or a register access arrives, then waits for the next clock edge.
  void idle_wait() {
    ++idle_waits;
    sc_core::wait(x.ch.data_written_event() | w.ch.data_written_event() | register_event);
    const std::uint64_t now = sc_core::sc_time_stamp().value();
    const std::uint64_t next = (now + period - 1) / period;
    if (next * period > now) sc_core::wait(sc_time::from_value(next * period - now));
    if (next > cycle_count) {
      skipped += next - cycle_count;
      cycle_count = next;
    }
    last_progress = cycle_count;
  }

  void run() {
    reset();
    for (;;) {
      // Let everything else that can happen at this time happen first (the consumer draining the
      // outputs just pushed, producers refilling, the CPU issuing its next register access), so the
      // batch starts from the channels' and the register queue's state at this time.
      for (unsigned i = 0; i < kMaxDeltaYields && sc_core::sc_pending_activity_at_current_time(); ++i)
        sc_core::wait(SC_ZERO_TIME);
      if (!register_op && !register_queue.empty()) start_register_op();
      if (quiescent()) {
        idle_wait();
        continue;
      }
      // Short batches while the engine waits on the platform or the CPU is busy with its registers
      // (polling): a beat or a register access arriving during a batch waits for its end.
      const bool registers_active = cycle_count - last_register_cycle < cfg.max_batch_cycles;
      const std::uint64_t limit =
          starved() || registers_active ? cfg.starved_batch_cycles : cfg.max_batch_cycles;
      const auto start = std::chrono::steady_clock::now();
      std::uint64_t n = 0;
      bool stop = false;
      end = kEndLimit;
      while (!stop && n < limit) {
        stop = cycle();
        ++n;
      }
      ++batch_ends[end];
      eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++batches;
      sc_core::wait(cycles_time(n));
      flush_outputs();
      if ((m->irq_o != 0) != owner.irq_out.read()) owner.irq_out.write(m->irq_o != 0);
      if (watchdog_fired) {
        fire_watchdog();
        return;
      }
      finish_register_op();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Watchdog report.

  std::string stream_line(const InStream& s, bool valid, bool ready) const {
    std::ostringstream o;
    o << "  " << s.port << ": tvalid=" << valid << " tready=" << ready << ", channel '" << s.ch.name() << "' "
      << s.ch.size() << "/" << s.ch.capacity() << " beats queued, " << s.beats << " beats (" << s.packets
      << " packets) accepted, " << s.stalls << " stalls injected\n";
    return o.str();
  }

  // Every stream's port signals and channel, and the register interface (the watchdog report's body).
  std::string stream_state() const {
    std::ostringstream o;
    o << stream_line(x, m->s_axis_x_tvalid_i, m->s_axis_x_tready_o)
      << stream_line(w, m->s_axis_w_tvalid_i, m->s_axis_w_tready_o);
    o << "  m_axis_y: tvalid=" << static_cast<int>(m->m_axis_y_tvalid_o)
      << " tready=" << static_cast<int>(m->m_axis_y_tready_i) << ", channel '" << y.name() << "' " << y.size()
      << "/" << y.capacity() << " beats queued, " << y_beats << " beats (" << y_packets << " packets) sent, "
      << y_stalls << " stalls injected, " << y_full_cycles << " cycles held by a full channel\n";
    if (register_op)
      o << "  register access in flight: " << (register_op->write ? "write " : "read ")
        << hex(register_op->offset, 3) << "\n";
    if (!register_queue.empty()) o << "  register accesses waiting: " << register_queue.size() << "\n";
    return o.str();
  }

  // One clock cycle after the watchdog fired, streams frozen (no beat moves), for the bridge's own
  // register reads. Returns the AXI4-Lite response handshake: 0 none, 1 write response, 2 read data.
  int frozen_cycle(std::uint32_t& rdata, bool& ok) {
    m->s_axis_x_tvalid_i = 0;
    m->s_axis_w_tvalid_i = 0;
    m->m_axis_y_tready_i = 0;
    m->clk_i = 0;
    m->eval();
    const bool aw = m->axil_awvalid_i && m->axil_awready_o;
    const bool wd = m->axil_wvalid_i && m->axil_wready_o;
    const bool ar = m->axil_arvalid_i && m->axil_arready_o;
    const bool b = m->axil_bvalid_o && m->axil_bready_i;
    const bool r = m->axil_rvalid_o && m->axil_rready_i;
    rdata = m->axil_rdata_o;
    ok = (r ? m->axil_rresp_o : m->axil_bresp_o) == 0;
    m->clk_i = 1;
    m->eval();
    if (aw) m->axil_awvalid_i = 0;
    if (wd) m->axil_wvalid_i = 0;
    if (ar) m->axil_arvalid_i = 0;
    if (b || r) m->axil_bready_i = 0, m->axil_rready_i = 0;
    return r ? 2 : b ? 1 : 0;
  }

  // Lets an initiator's access that is half-way through the slave finish (its result is dropped: the
  // simulation stops), so the bridge can read registers itself.
  bool drain_register_op() {
    if (!register_op || register_done) return true;
    std::uint32_t data;
    bool ok;
    for (unsigned i = 0; i < kInternalReadCycles; ++i)
      if (frozen_cycle(data, ok) != 0) return true;
    return false;
  }

  bool internal_read(std::uint32_t offset, std::uint32_t& value) {
    m->axil_araddr_i = static_cast<SData>(offset);
    m->axil_arvalid_i = 1;
    m->axil_rready_i = 1;
    bool ok = false;
    for (unsigned i = 0; i < kInternalReadCycles; ++i)
      if (frozen_cycle(value, ok) == 2) return ok;
    m->axil_arvalid_i = 0;
    m->axil_rready_i = 0;
    return false;
  }

  // Lets a half-done register access finish, then reads STATUS and ERROR_CAUSE with the streams frozen:
  // the last line of a deadlock report. Only when the simulation stops right after.
  std::string frozen_status(EngineWatchdogReport& rep) {
    std::ostringstream o;
    std::uint32_t status = 0, cause = 0;
    rep.registers_read =
        drain_register_op() && internal_read(kRegStatus, status) && internal_read(kRegErrorCause, cause);
    if (rep.registers_read) {
      rep.status = status;
      rep.error_cause = cause;
      o << "  STATUS " << hex(status) << ": busy=" << (status & 1u) << " queue_full=" << ((status >> 1) & 1u)
        << " error=" << ((status >> 2) & 1u) << " queued tiles=" << ((status >> 8) & 0xFFu)
        << " tiles completed=" << (status >> 16) << "; ERROR_CAUSE " << hex(cause) << "\n";
    } else {
      o << "  STATUS: not readable (the register slave does not answer)\n";
    }
    return o.str();
  }

  void fire_watchdog() {
    EngineWatchdogReport& rep = report;
    rep.cycle = cycle_count;
    rep.time = sc_core::sc_time_stamp();
    rep.idle_cycles = cycle_count - last_progress;
    // Port states as they were when it fired, before the bridge's own register reads.
    const bool busy_now = m->busy_o;
    std::ostringstream o;
    o << owner.name() << ": watchdog: no progress (stream handshake, register write or issued work) for "
      << rep.idle_cycles << " engine cycles, engine " << (busy_now ? "busy" : "not busy") << ", at cycle "
      << rep.cycle << " (" << rep.time << ")\n";
    o << stream_state();
    o << frozen_status(rep);
    rep.text = o.str();
    if (watchdog_handler)
      watchdog_handler(rep);
    else
      std::cerr << rep.text << std::flush;
    sc_core::sc_stop();
  }

  // ------------------------------------------------------------------------------------------------
  EngineBridge& owner;
  InStream x, w;
  AxisChannel& y;
  EngineBridgeConfig cfg;
  StallRandom rnd;
  bool stalls = false;
  std::uint64_t period = 1;  // clock period in SystemC time resolution units

  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vdnn_engine> m;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> fst;
  std::uint64_t trace_period = 2;
#endif

  std::vector<AxisBeat> staged;  // outputs of the current batch, pushed into y at its end
  std::deque<RegOp*> register_queue;
  RegOp* register_op = nullptr;  // being performed on the AXI4-Lite ports
  bool register_done = false;    // its response handshake happened in the current batch
  sc_core::sc_event register_event;

  // Why batches ended.
  enum BatchEnd {
    kEndLimit,
    kEndInputDrained,
    kEndOutputFull,
    kEndRegister,
    kEndIdle,
    kEndWatchdog,
    kEndCount
  };
  BatchEnd end = kEndLimit;
  std::uint64_t batch_ends[kEndCount] = {};

  std::uint64_t cycle_count = 0, clocked = 0, skipped = 0, busy_cycles = 0, batches = 0, idle_waits = 0;
  std::uint64_t y_beats = 0, y_bytes = 0, y_packets = 0, y_stalls = 0, y_full_cycles = 0;
  std::uint64_t reg_reads = 0, reg_writes = 0, reg_errors = 0;
  double eval_seconds = 0;
  std::uint64_t last_progress = 0;
  std::uint64_t last_active = 0, compute_cycles = 0, longest_no_progress = 0;
  std::uint64_t last_register_cycle = 0;
  unsigned quiet_run = 0;
  bool watchdog_fired = false;
  EngineWatchdogReport report;
  std::function<void(const EngineWatchdogReport&)> watchdog_handler;
};

// --------------------------------------------------------------------------------------------------

EngineBridge::EngineBridge(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w,
                           AxisChannel& y, const EngineBridgeConfig& config, Stats* stats)
    : sc_core::sc_module(name),
      socket("socket"),
      irq_out("irq_out"),
      impl_(std::make_unique<Impl>(*this, x, w, y, config)) {
  socket.register_b_transport(this, &EngineBridge::b_transport);
  socket.register_transport_dbg(this, &EngineBridge::transport_dbg);
  SC_HAS_PROCESS(EngineBridge);
  SC_THREAD(run);
  // Verilated evaluation can use a deep stack for wide signals; virtual memory only.
  set_stack_size(8u << 20);

  if (stats != nullptr) {
    const std::string p = config.stats_prefix.empty() ? std::string(basename()) : config.stats_prefix;
    Impl& i = *impl_;
    stats->add(p + ".cycles", i.cycle_count);
    stats->add(p + ".cycles_clocked", i.clocked);
    stats->add(p + ".cycles_skipped", i.skipped);
    stats->add(p + ".busy_cycles", i.busy_cycles);
    stats->add(p + ".batches", i.batches);
    stats->add(p + ".idle_waits", i.idle_waits);
    const char* ends[] = {"limit", "input_drained", "output_full", "register", "idle", "watchdog"};
    for (int k = 0; k < Impl::kEndCount; ++k) stats->add(p + ".batch_ends." + ends[k], i.batch_ends[k]);
    stats->add(p + ".eval_seconds", i.eval_seconds);
    stats->add(p + ".cycles_per_eval_second", [&i]() -> nlohmann::json {
      return i.eval_seconds > 0 ? static_cast<double>(i.clocked) / i.eval_seconds : 0.0;
    });
    for (Impl::InStream* s : {&i.x, &i.w}) {
      const std::string q = p + "." + (s == &i.x ? "x" : "w");
      stats->add(q + ".beats", s->beats);
      stats->add(q + ".bytes", s->bytes);
      stats->add(q + ".packets", s->packets);
      stats->add(q + ".stalls_injected", s->stalls);
      stats->add(q + ".waiting_cycles", s->waiting);
    }
    stats->add(p + ".y.beats", i.y_beats);
    stats->add(p + ".y.bytes", i.y_bytes);
    stats->add(p + ".y.packets", i.y_packets);
    stats->add(p + ".y.stalls_injected", i.y_stalls);
    stats->add(p + ".y.full_cycles", i.y_full_cycles);
    stats->add(p + ".registers.reads", i.reg_reads);
    stats->add(p + ".registers.writes", i.reg_writes);
    stats->add(p + ".registers.errors", i.reg_errors);
    stats->add(p + ".watchdog", [&i]() -> nlohmann::json { return i.watchdog_fired ? 1 : 0; });
    stats->add(p + ".compute_cycles", i.compute_cycles);
    stats->add(p + ".longest_no_progress_cycles", i.longest_no_progress);
  }
}

EngineBridge::~EngineBridge() = default;

EngineShape EngineBridge::shape() {
  return {DNNVP_ENGINE_ROWS,
          DNNVP_ENGINE_COLS,
          DNNVP_ENGINE_STREAM_BITS,
          DNNVP_ENGINE_ACT_BITS,
          DNNVP_ENGINE_WEIGHT_BITS,
          DNNVP_ENGINE_ACC_BITS,
          DNNVP_ENGINE_ACC_DEPTH,
          DNNVP_ENGINE_INPUT_BUFFER_BYTES,
          DNNVP_ENGINE_WEIGHT_BUFFER_BYTES,
          DNNVP_ENGINE_OUTPUT_BUFFER_BYTES,
          VM_TRACE != 0,
          DNNVP_ENGINE_ASSERT != 0};
}

const EngineBridgeConfig& EngineBridge::config() const {
  return impl_->cfg;
}
std::uint64_t EngineBridge::cycles() const {
  return impl_->cycle_count;
}
std::uint64_t EngineBridge::cycles_clocked() const {
  return impl_->clocked;
}
std::uint64_t EngineBridge::cycles_skipped() const {
  return impl_->skipped;
}
std::uint64_t EngineBridge::busy_cycles() const {
  return impl_->busy_cycles;
}
std::uint64_t EngineBridge::compute_cycles() const {
  return impl_->compute_cycles;
}
std::uint64_t EngineBridge::min_watchdog_cycles() {
  return kMinWatchdogCycles;
}
std::uint64_t EngineBridge::longest_no_progress_cycles() const {
  return impl_->longest_no_progress;
}
std::string EngineBridge::stop_report() {
  EngineWatchdogReport scratch;
  return impl_->stream_state() + impl_->frozen_status(scratch);
}
std::uint64_t EngineBridge::tiles_completed() const {
  return impl_->y_packets;
}
double EngineBridge::eval_seconds() const {
  return impl_->eval_seconds;
}
bool EngineBridge::busy() const {
  return impl_->m->busy_o != 0;
}

std::string EngineBridge::stream_state() const {
  return impl_->stream_state();
}

bool EngineBridge::watchdog_fired() const {
  return impl_->watchdog_fired;
}
const EngineWatchdogReport& EngineBridge::watchdog_report() const {
  return impl_->report;
}
void EngineBridge::on_watchdog(std::function<void(const EngineWatchdogReport&)> handler) {
  impl_->watchdog_handler = std::move(handler);
}
int EngineBridge::exit_status() const {
  return impl_->watchdog_fired ? impl_->cfg.watchdog_exit_code : 0;
}

std::uint64_t EngineBridge::beats(char stream) const {
  switch (stream) {
    case 'x':
      return impl_->x.beats;
    case 'w':
      return impl_->w.beats;
    case 'y':
      return impl_->y_beats;
    default:
      throw std::invalid_argument("EngineBridge::beats: stream is 'x', 'w' or 'y'");
  }
}

std::uint64_t EngineBridge::stalls_injected(char stream) const {
  switch (stream) {
    case 'x':
      return impl_->x.stalls;
    case 'w':
      return impl_->w.stalls;
    case 'y':
      return impl_->y_stalls;
    default:
      throw std::invalid_argument("EngineBridge::stalls_injected: stream is 'x', 'w' or 'y'");
  }
}

std::string EngineBridge::summary() const {
  const Impl& i = *impl_;
  std::ostringstream o;
  o << name() << ": " << i.cycle_count << " cycles (" << i.clocked << " clocked, " << i.skipped
    << " skipped idle), " << i.busy_cycles << " busy; beats x/w/y " << i.x.beats << "/" << i.w.beats << "/"
    << i.y_beats << "; stalls injected x/w/y " << i.x.stalls << "/" << i.w.stalls << "/" << i.y_stalls << "; "
    << i.batches << " batches; eval " << i.eval_seconds << " s";
  if (i.eval_seconds > 0) o << " (" << static_cast<std::uint64_t>(i.clocked / i.eval_seconds) << " cycles/s)";
  return o.str();
}

void EngineBridge::run() {
  impl_->run();
}

void EngineBridge::end_of_simulation() {
#if VM_TRACE
  if (impl_->fst) impl_->fst->flush();
#endif
}

void EngineBridge::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm::tlm_command cmd = trans.get_command();
  if (cmd == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  auto reject = [&](tlm::tlm_response_status s) {
    ++impl_->reg_errors;
    trans.set_response_status(s);
  };
  if (trans.get_data_length() != 4 || trans.get_streaming_width() < 4)
    return reject(tlm::TLM_BURST_ERROR_RESPONSE);
  if (const unsigned char* be = trans.get_byte_enable_ptr()) {
    const unsigned n = trans.get_byte_enable_length();
    for (unsigned k = 0; k < 4; ++k)
      if (n == 0 || be[k % n] != TLM_BYTE_ENABLED) return reject(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  }
  const std::uint64_t address = trans.get_address();
  if (address % 4 != 0 || address > 0xFFC) return reject(tlm::TLM_ADDRESS_ERROR_RESPONSE);

  // The access happens at the initiator's local time.
  if (delay != SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = SC_ZERO_TIME;
  }
  Impl::RegOp op;
  op.write = cmd == tlm::TLM_WRITE_COMMAND;
  op.offset = static_cast<std::uint32_t>(address);
  if (op.write) std::memcpy(&op.wdata, trans.get_data_ptr(), 4);
  impl_->register_queue.push_back(&op);
  impl_->register_event.notify(SC_ZERO_TIME);
  while (!op.done) sc_core::wait(op.done_event);
  if (!op.write) std::memcpy(trans.get_data_ptr(), &op.rdata, 4);
  trans.set_response_status(op.resp == 0 ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

unsigned EngineBridge::transport_dbg(tlm::tlm_generic_payload&) {
  return 0;  // unsupported: register reads have side effects and take engine cycles
}

}  // namespace dnnvp

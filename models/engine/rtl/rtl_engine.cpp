#include "rtl_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "stats.h"

namespace dnnvp::rtl {

namespace {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

// Clocked cycles the engine must stay quiescent before it is no longer clocked (its last registered
// updates settle).
constexpr unsigned kSettleCycles = 4;
// Delta cycles the thread yields at most before a batch (a process that only ever waits for delta
// cycles must not stall the engine).
constexpr unsigned kMaxDeltaYields = 16;

}  // namespace

StallRandom::StallRandom(std::uint64_t seed, double probability)
    : state_(seed),
      threshold_(static_cast<std::uint64_t>(std::ldexp(std::clamp(probability, 0.0, 1.0), 32))) {}

RtlEngine::RtlEngine(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w, AxisChannel& r,
                     AxisChannel& y, const EngineOptions& options, Stats* stats)
    : Engine(name, linked_shape(), x, w, r, y, options),
      pins_(make_pins(this->name(), options)),
      registers_(*pins_, metrics_, *options.region),
      watchdog_(options.run.watchdog_cycles, min_watchdog_cycles(shape()),
                metrics_.longest_no_progress_cycles),
      x_in_{InPort::kX, "s_axis_x", x, metrics_.x},
      w_in_{InPort::kW, "s_axis_w", w, metrics_.w},
      r_in_{InPort::kR, "s_axis_r", r, metrics_.r},
      rnd_(options.run.stall_seed, options.run.stall_probability),
      stalls_(options.run.stall_seed != 0 && options.run.stall_probability > 0.0),
      period_(options.clock_period.value()) {
  SC_HAS_PROCESS(RtlEngine);
  SC_THREAD(run);
  // Verilated evaluation can use a deep stack for wide signals; virtual memory only.
  set_stack_size(8u << 20);
  if (stats != nullptr) {
    const std::string p = stats_prefix();
    add_stats(*stats, p);
    stats->add(p + ".idle_waits", idle_waits_);
    const char* ends[] = {"limit", "input_drained", "output_full", "register", "idle", "watchdog"};
    for (int k = 0; k < kEndCount; ++k) stats->add(p + ".batch_ends." + ends[k], batch_ends_[k]);
  }
}

RtlEngine::~RtlEngine() = default;

// One clock cycle: drive the inputs, clock the model, account for what transferred. Returns true when
// the batch must end.
bool RtlEngine::cycle() {
  EngineMetrics& c = metrics_;
  bool stop = false;
  present(x_in_);
  present(w_in_);
  present(r_in_);
  const bool offered = pins_->outputs().y_valid;
  bool ready = y_room() > 0;
  if (!ready) {
    if (offered) ++c.y.waiting_cycles;
  } else if (stalls_ && offered && rnd_.chance()) {
    ready = false;
    ++c.y.stalls_injected;
  }
  pins_->set_y_ready(ready);

  PinSample& s = pins_->clock(c.cycles, true);
  if (s.y_handshake) staged_.push_back(std::move(s.y_beat));
  if (s.out.busy) {
    ++c.busy_cycles;
    if (x_.empty() && s.out.x_ready) ++c.x.waiting_cycles;
    if (w_.empty() && s.out.w_ready) ++c.w.waiting_cycles;
    if (r_.empty() && s.out.r_ready) ++c.r.waiting_cycles;
  }
  ++c.cycles;
  ++c.cycles_clocked;

  bool progress = false;
  if (s.x_handshake) {
    if (accept(x_in_)) stop = true, end_ = kEndInputDrained;
    progress = true;
  }
  if (s.w_handshake) {
    if (accept(w_in_)) stop = true, end_ = kEndInputDrained;
    progress = true;
  }
  if (s.r_handshake) {
    if (accept(r_in_)) stop = true, end_ = kEndInputDrained;
    progress = true;
  }
  if (s.y_handshake) {
    const AxisBeat& beat = staged_.back();
    ++c.y.beats;
    c.y.bytes += beat.data.size();
    c.y.packets += beat.last;
    if (observer_) observer_->beat('y', beat.last, c.cycles);
    progress = true;
    if (y_room() == 0) stop = true, end_ = kEndOutputFull;  // the consumer must run
  }
  switch (registers_.observe(s)) {
    case RegisterTransactor::Response::kWrite:
      progress = true;  // a write may give the engine work; a read (polling) is no progress
      [[fallthrough]];
    case RegisterTransactor::Response::kRead:
      stop = true;
      end_ = kEndRegister;
      break;
    case RegisterTransactor::Response::kNone:
      break;
  }

  const PinOutputs& out = pins_->outputs();
  if (out.active != last_active_) {  // work issued to the PE array
    last_active_ = out.active;
    ++c.compute_cycles;
    if (observer_) observer_->issue(c.cycles);
    progress = true;
  }

  // Armed while the engine is busy (and, unless configured otherwise, not waiting on the platform) or a
  // register access is in flight.
  const bool armed = (out.busy && (options().watchdog_counts_platform_waits || !starved())) ||
                     (registers_.in_flight() && !registers_.answered());
  if (watchdog_.step(c.cycles, armed, progress)) {
    trip_watchdog();
    stop = true;
    end_ = kEndWatchdog;
  }

  if (engine_quiet()) {
    if (++quiet_run_ >= kSettleCycles && !registers_.in_flight()) stop = true, end_ = kEndIdle;
  } else {
    quiet_run_ = 0;
  }
  return stop;
}

void RtlEngine::present(InStream& s) {
  if (s.shown || s.ch.empty()) return;
  if (stalls_ && rnd_.chance()) {
    ++s.metrics.stalls_injected;
    return;
  }
  pins_->show(s.port, s.ch.front());
  s.shown = true;
}

// The beat shown on `s` was taken on the last edge. Returns true if the channel ran empty.
bool RtlEngine::accept(InStream& s) {
  const AxisBeat beat = s.ch.pop();
  pins_->hide(s.port);
  s.shown = false;
  ++s.metrics.beats;
  s.metrics.bytes += beat.data.size();
  s.metrics.packets += beat.last;
  if (observer_) observer_->beat("xwr"[static_cast<int>(s.port)], beat.last, metrics_.cycles);
  return s.ch.empty();
}

std::size_t RtlEngine::y_room() const {
  const std::size_t used = y_.size() + staged_.size();
  return used >= y_.capacity() ? 0 : y_.capacity() - used;
}

// The engine does nothing until the platform acts: not busy, no output offered, no input beat it could
// take. (A register access does not disturb this: a write's effect is visible when its response arrives,
// e.g. busy_o after a PUSH.)
bool RtlEngine::engine_quiet() const {
  const PinOutputs& o = pins_->outputs();
  return !o.busy && !o.y_valid && (x_.empty() || !o.x_ready) && (w_.empty() || !o.w_ready) &&
         (r_.empty() || !o.r_ready);
}

// ... and has been for kSettleCycles clocked cycles, with no register access to perform: it is no longer
// clocked.
bool RtlEngine::quiescent() const {
  return quiet_run_ >= kSettleCycles && !registers_.in_flight() && !registers_.waiting() && engine_quiet();
}

// The engine waits on the platform: a batch should be short so new beats or space show up soon.
bool RtlEngine::starved() const {
  const PinOutputs& o = pins_->outputs();
  return (x_.empty() && o.x_ready) || (w_.empty() && o.w_ready) || (r_.empty() && o.r_ready) ||
         (o.y_valid && y_room() == 0);
}

void RtlEngine::flush_outputs() {
  for (AxisBeat& beat : staged_) y_.push(std::move(beat));
  staged_.clear();
}

sc_time RtlEngine::cycles_time(std::uint64_t n) const {
  return sc_time::from_value(period_ * n);
}

// Sleeps until a beat or a register access arrives, then waits for the next clock edge.
void RtlEngine::idle_wait() {
  ++idle_waits_;
  sleep_until_work(registers_.arrival_event());
  watchdog_.restart(metrics_.cycles);
}

void RtlEngine::run() {
  EngineMetrics& c = metrics_;
  pins_->reset();
  for (;;) {
    // Let everything else that can happen at this time happen first (the consumer draining the
    // outputs just pushed, producers refilling, the CPU issuing its next register access), so the
    // batch starts from the channels' and the register queue's state at this time.
    for (unsigned i = 0; i < kMaxDeltaYields && sc_core::sc_pending_activity_at_current_time(); ++i)
      sc_core::wait(SC_ZERO_TIME);
    registers_.start_next();
    if (quiescent()) {
      idle_wait();
      continue;
    }
    // Short batches while the engine waits on the platform or the CPU is busy with its registers
    // (polling): a beat or a register access arriving during a batch waits for its end.
    const bool registers_active = c.cycles - last_register_cycle_ < options().max_batch_cycles;
    const std::uint64_t limit =
        starved() || registers_active ? options().starved_batch_cycles : options().max_batch_cycles;
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t n = 0;
    bool stop = false;
    end_ = kEndLimit;
    while (!stop && n < limit) {
      stop = cycle();
      ++n;
    }
    ++batch_ends_[end_];
    c.eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++c.batches;
    sc_core::wait(cycles_time(n));
    flush_outputs();
    if (pins_->outputs().irq != irq_out.read()) irq_out.write(pins_->outputs().irq);
    if (watchdog_fired()) {
      report_watchdog();
      return;
    }
    if (registers_.finish()) last_register_cycle_ = c.cycles;
  }
}

tlm::tlm_response_status RtlEngine::register_access(bool write, std::uint32_t offset, std::uint32_t& data,
                                                    sc_core::sc_time& delay) {
  // The access happens at the initiator's local time.
  if (delay != SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = SC_ZERO_TIME;
  }
  return registers_.perform(write, offset, data) == 0 ? tlm::TLM_OK_RESPONSE
                                                      : tlm::TLM_GENERIC_ERROR_RESPONSE;
}

void RtlEngine::end_of_simulation() {
  pins_->flush_trace();
}

std::string RtlEngine::stream_line(const InStream& s) const {
  const EngineStreamMetrics& k = s.metrics;
  const PinOutputs& out = pins_->outputs();
  const bool ready = s.port == InPort::kX ? out.x_ready : s.port == InPort::kW ? out.w_ready : out.r_ready;
  std::ostringstream o;
  o << "  " << s.name << ": tvalid=" << pins_->tvalid(s.port) << " tready=" << ready << ", channel '"
    << s.ch.name() << "' " << s.ch.size() << "/" << s.ch.capacity() << " beats queued, " << k.beats
    << " beats (" << k.packets << " packets) accepted, " << k.stalls_injected << " stalls injected\n";
  return o.str();
}

std::string RtlEngine::stream_state() const {
  const EngineStreamMetrics& k = metrics_.y;
  std::ostringstream o;
  o << stream_line(x_in_) << stream_line(w_in_) << stream_line(r_in_);
  o << "  m_axis_y: tvalid=" << pins_->outputs().y_valid << " tready=" << pins_->y_ready() << ", channel '"
    << y_.name() << "' " << y_.size() << "/" << y_.capacity() << " beats queued, " << k.beats << " beats ("
    << k.packets << " packets) sent, " << k.stalls_injected << " stalls injected, " << k.waiting_cycles
    << " cycles held by a full channel\n";
  o << registers_.state();
  return o.str();
}

std::string RtlEngine::stop_report() {
  EngineWatchdogReport scratch;
  return stream_state() + registers_.frozen_status(scratch);
}

void RtlEngine::report_watchdog() {
  const EngineMetrics& c = metrics_;
  EngineWatchdogReport rep;
  rep.cycle = c.cycles;
  rep.time = sc_core::sc_time_stamp();
  rep.idle_cycles = watchdog_.idle_cycles(c.cycles);
  std::ostringstream o;
  // Port states as they were when it fired, before the engine's own register reads.
  o << name() << ": watchdog: no progress (stream handshake, register write or issued work) for "
    << rep.idle_cycles << " engine cycles, engine " << (busy() ? "busy" : "not busy") << ", at cycle "
    << rep.cycle << " (" << rep.time << ")\n";
  o << stream_state();
  o << registers_.frozen_status(rep);
  rep.text = o.str();
  fire_watchdog(std::move(rep));
}

}  // namespace dnnvp::rtl

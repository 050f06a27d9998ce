#include "engine.h"

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "log.h"
#include "peripheral.h"
#include "stats.h"

namespace dnnvp {

std::uint64_t min_watchdog_cycles(const EngineShape& s) {
  const auto beats = [&s](std::uint64_t bits) {
    return (bits + static_cast<std::uint64_t>(s.stream_bits) - 1) / static_cast<std::uint64_t>(s.stream_bits);
  };
  // A weight block: Rows x Cols bytes; a params block: 9 bytes per column.
  return 256 + 4 * (beats(std::uint64_t{8} * s.rows * s.cols) + beats(std::uint64_t{9} * 8 * s.cols));
}

Engine::Engine(const sc_core::sc_module_name& name, const EngineShape& shape, AxisChannel& x, AxisChannel& w,
               AxisChannel& r, AxisChannel& y, const EngineOptions& options)
    : sc_core::sc_module(name),
      socket("socket"),
      irq_out("irq_out"),
      x_(x),
      w_(w),
      r_(r),
      y_(y),
      shape_(shape),
      options_(options) {
  if (options.region == nullptr)
    throw std::invalid_argument(std::string(this->name()) + ": no register region (EngineOptions::region)");
  if (options.clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument(std::string(this->name()) + ": zero clock period");
  if (options.max_batch_cycles == 0 || options.starved_batch_cycles == 0)
    throw std::invalid_argument(std::string(this->name()) + ": batch limits must be at least one cycle");
  for (const AxisChannel* ch : {&x, &w, &r, &y})
    if (ch->beat_bytes() != static_cast<std::size_t>(shape.stream_bits / 8))
      throw std::invalid_argument(std::string(this->name()) + ": channel '" + ch->name() + "' carries " +
                                  std::to_string(ch->beat_bytes()) +
                                  "-byte beats; this engine's streams are " +
                                  std::to_string(shape.stream_bits) + " bits");
  socket.register_b_transport(this, &Engine::b_transport);
  socket.register_transport_dbg(this, &Engine::transport_dbg);
}

Engine::~Engine() = default;

std::string Engine::stats_prefix() const {
  return options_.stats_prefix.empty() ? std::string(basename()) : options_.stats_prefix;
}

void Engine::add_stats(Stats& stats, const std::string& p) const {
  const EngineMetrics& c = metrics_;
  stats.add(p + ".cycles", c.cycles);
  stats.add(p + ".cycles_clocked", c.cycles_clocked);
  stats.add(p + ".cycles_skipped", c.cycles_skipped);
  stats.add(p + ".busy_cycles", c.busy_cycles);
  stats.add(p + ".batches", c.batches);
  stats.add(p + ".eval_seconds", c.eval_seconds);
  stats.add(p + ".cycles_per_eval_second", [&c]() -> nlohmann::json {
    return c.eval_seconds > 0 ? static_cast<double>(c.cycles_clocked) / c.eval_seconds : 0.0;
  });
  for (const char s : {'x', 'w', 'r', 'y'}) {
    const EngineStreamMetrics& k = stream(s);
    const std::string q = p + "." + s;
    stats.add(q + ".beats", k.beats);
    stats.add(q + ".bytes", k.bytes);
    stats.add(q + ".packets", k.packets);
    stats.add(q + ".stalls_injected", k.stalls_injected);
    stats.add(q + (s == 'y' ? ".full_cycles" : ".waiting_cycles"), k.waiting_cycles);
  }
  stats.add(p + ".registers.reads", c.register_reads);
  stats.add(p + ".registers.writes", c.register_writes);
  stats.add(p + ".registers.errors", c.register_errors);
  stats.add(p + ".watchdog", [this]() -> nlohmann::json { return watchdog_fired_ ? 1 : 0; });
  stats.add(p + ".compute_cycles", c.compute_cycles);
  stats.add(p + ".longest_no_progress_cycles", c.longest_no_progress_cycles);
}

const EngineStreamMetrics& Engine::stream(char name) const {
  switch (name) {
    case 'x':
      return metrics_.x;
    case 'w':
      return metrics_.w;
    case 'r':
      return metrics_.r;
    case 'y':
      return metrics_.y;
    default:
      throw std::invalid_argument(std::string("Engine::stream: '") + name +
                                  "' is no stream ('x', 'w', 'r' or 'y')");
  }
}

std::string Engine::summary() const {
  const EngineMetrics& c = metrics_;
  std::ostringstream o;
  o << name() << ": " << c.cycles << " cycles (" << c.cycles_clocked << " clocked, " << c.cycles_skipped
    << " skipped idle), " << c.busy_cycles << " busy; beats x/w/r/y " << c.x.beats << "/" << c.w.beats << "/"
    << c.r.beats << "/" << c.y.beats << "; stalls injected x/w/r/y " << c.x.stalls_injected << "/"
    << c.w.stalls_injected << "/" << c.r.stalls_injected << "/" << c.y.stalls_injected << "; " << c.batches << " batches; eval " << c.eval_seconds << " s";
  if (c.eval_seconds > 0)
    o << " (" << static_cast<std::uint64_t>(c.cycles_clocked / c.eval_seconds) << " cycles/s)";
  return o.str();
}

void Engine::sleep_until_work(const sc_core::sc_event& wake) {
  sc_core::wait(x_.data_written_event() | w_.data_written_event() | r_.data_written_event() | wake);
  const std::uint64_t period = options_.clock_period.value();
  const std::uint64_t now = sc_core::sc_time_stamp().value();
  const std::uint64_t next = (now + period - 1) / period;
  if (next * period > now) sc_core::wait(sc_core::sc_time::from_value(next * period - now));
  if (next > metrics_.cycles) {
    metrics_.cycles_skipped += next - metrics_.cycles;
    metrics_.cycles = next;
  }
}

void Engine::on_watchdog(std::function<void(const EngineWatchdogReport&)> handler) {
  watchdog_handler_ = std::move(handler);
}

int Engine::exit_status() const {
  return watchdog_fired_ ? options_.watchdog_exit_code : 0;
}

void Engine::fire_watchdog(EngineWatchdogReport report) {
  watchdog_fired_ = true;
  watchdog_report_ = std::move(report);
  if (watchdog_handler_)
    watchdog_handler_(watchdog_report_);
  else
    log::write_report(log::Level::error, name(), watchdog_report_.text);
  sc_core::sc_stop();
}

void Engine::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm::tlm_command cmd = trans.get_command();
  if (cmd == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (const tlm::tlm_response_status s = check_register_access(trans, options_.region->size);
      s != tlm::TLM_OK_RESPONSE) {
    ++metrics_.register_errors;
    trans.set_response_status(s);
    return;
  }
  const bool write = cmd == tlm::TLM_WRITE_COMMAND;
  std::uint32_t data = 0;
  if (write) std::memcpy(&data, trans.get_data_ptr(), 4);
  const tlm::tlm_response_status s =
      register_access(write, static_cast<std::uint32_t>(trans.get_address()), data, delay);
  if (!write) std::memcpy(trans.get_data_ptr(), &data, 4);
  trans.set_response_status(s);
}

unsigned Engine::transport_dbg(tlm::tlm_generic_payload&) {
  return 0;  // unsupported: register reads have side effects and take engine cycles
}

}  // namespace dnnvp

// The DNN engine as the platform sees it (docs/platform.md, "Engine"): a 4 KiB register window behind a
// TLM target socket, four AXI-Stream channels, an interrupt line, counters and a watchdog. The SoC, vp_sim
// and the report talk to this interface; engine_factory.h creates an implementation by name ("rtl": the
// Verilated engine, models/engine/rtl/; "fast": the C++ model of any shape, models/engine_fast/).
//
//   AxisChannel x, w, r, y;                       // x, w, r: from the MM2S DMAs; y: to the S2MM DMA
//   EngineOptions o;
//   o.region = &memory_map::region("engine");     // its registers, from the platform's map
//   o.clock_period = sc_time(4, SC_NS);           // hardware.clock_mhz = 250
//   o.run = scenario.run;                         // watchdog, random stalls
//   std::unique_ptr<Engine> engine = make_engine("rtl", "engine", x, w, r, y, o, &stats);
//   bus.target_socket("engine").bind(engine->socket);
//
// Registers: every b_transport first goes through check_register_access() (peripheral.h), the checks
// every register target shares: a bad length, byte enable or alignment, or an offset beyond the window,
// is answered as any peripheral answers it, before the implementation sees it. TLM_IGNORE_COMMAND -> OK.
// What the implementation answers (e.g. SLVERR for an unmapped offset) comes back as
// TLM_GENERIC_ERROR_RESPONSE. transport_dbg is not supported (returns 0 bytes): a register read has side
// effects (counter latching) and takes clock cycles. No DMI.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "axis_channel.h"
#include "engine_shape.h"
#include "register_spec.h"
#include "run_settings.h"

namespace dnnvp {

class Stats;

// The shortest window an engine watchdog uses (a smaller watchdog_cycles counts as this): 256 + 4 x the
// beats of a weight block and a params block, what a healthy engine may spend without a handshake or
// issued work (assembling a block from its FIFO one beat per cycle, a tile's serial set-up).
std::uint64_t min_watchdog_cycles(const EngineShape& shape);

struct EngineOptions {
  // The engine's register region, required and outliving the engine (the platform's
  // memory_map::region("engine")): its size is the register window; the registers the engine reads
  // itself (STATUS, ERROR_CAUSE, the ACTIVE counter) are found in it by name at construction.
  const RegionInfo* region = nullptr;
  // The shape asked for (the scenario's hardware): an engine of any shape ("fast") implements it; the
  // "rtl" engine implements the shape its model was verilated with (engine_kind().shape()).
  EngineShape shape;
  sc_core::sc_time clock_period = sc_core::sc_time(4, sc_core::SC_NS);  // 1 / hardware.clock_mhz
  // Longest run of cycles ahead of SystemC time between two synchronisations.
  std::uint64_t max_batch_cycles = 256;
  // The batch limit while the engine waits on the platform (an input channel empty while the engine
  // would take a beat, or the output channel full while it offers one): bounds how late a beat the
  // DMA produces becomes visible.
  std::uint64_t starved_batch_cycles = 32;
  // The scenario's run settings: watchdog_cycles (0 disables the watchdog), stall_seed and
  // stall_probability (random stream stalls; seed 0: none). The SoC, not the engine, applies max_cycles.
  RunSettings run;
  // Whether cycles the engine waits on the platform (an input channel empty while it would take a
  // beat, the output channel full) count towards the watchdog. Alone, the engine is the only judge; in
  // the SoC the system watchdog sees the DMAs and the CPU that should act and judges those waits.
  bool watchdog_counts_platform_waits = true;
  int watchdog_exit_code = 124;  // exit_status() after the watchdog fired
  // FST trace of engine cycles [trace_from, trace_to) (cycle 0 = the first clock edge after reset;
  // skipped idle cycles count). Empty: no trace. Needs a model built with TRACE.
  std::string trace_file;
  std::uint64_t trace_from = 0;
  std::uint64_t trace_to = std::numeric_limits<std::uint64_t>::max();
  std::string stats_prefix;  // default: the module's basename
};

// One AXI-Stream port's figures.
struct EngineStreamMetrics {
  std::uint64_t beats = 0, bytes = 0, packets = 0;  // handshakes, their bytes, TLAST handshakes
  std::uint64_t stalls_injected = 0;                // cycles tvalid (x, w) / tready (y) was withheld
  // x, w, r: busy cycles with the channel empty and tready high; y: cycles tready was low because the
  // channel was full while a beat was offered.
  std::uint64_t waiting_cycles = 0;
};

struct EngineMetrics {
  // Engine cycles since reset: clocked + skipped while idle (== simulated time / period at a batch
  // boundary).
  std::uint64_t cycles = 0, cycles_clocked = 0, cycles_skipped = 0;
  std::uint64_t busy_cycles = 0;     // clocked cycles with busy_o high
  std::uint64_t compute_cycles = 0;  // cycles the engine's ACTIVE counter advanced (work issued)
  // The longest run of armed cycles without progress so far (what a watchdog window must exceed).
  std::uint64_t longest_no_progress_cycles = 0;
  std::uint64_t batches = 0;  // synchronisations with SystemC time
  EngineStreamMetrics x, w, r, y;
  // Register accesses performed, and error responses (including those refused before the engine).
  std::uint64_t register_reads = 0, register_writes = 0, register_errors = 0;
  double eval_seconds = 0;  // host time spent clocking the engine
};

// What the watchdog saw when it fired.
struct EngineWatchdogReport {
  std::uint64_t cycle = 0;        // engine cycle it fired at
  sc_core::sc_time time;          // the same as simulated time
  std::uint64_t idle_cycles = 0;  // cycles since the last progress
  std::uint32_t status = 0;       // STATUS register (read after firing), 0 if unreadable
  std::uint32_t error_cause = 0;  // ERROR_CAUSE register
  bool registers_read = false;    // STATUS / ERROR_CAUSE could be read
  std::string text;               // multi-line report: streams, channels, STATUS, queue
};

// Observation points for a trace (platform/trace/): what the engine does, at the engine cycle it does it
// (cycles since reset, as EngineMetrics::cycles). The implementation calls them only when one is set.
class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  virtual void beat(char stream, bool last, std::uint64_t cycle) = 0;  // a handshake on x, w, r or y
  virtual void issue(std::uint64_t cycle) = 0;                         // work issued to the PE array
};

class Engine : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Engine> socket;  // 32-bit, the 4 KiB register window
  // The engine's interrupt (IRQ register: tile-done enabled and pending). The CPU takes no interrupts
  // (firmware polls); for platforms and tests.
  sc_core::sc_signal<bool> irq_out;

  ~Engine() override;

  // The parameters this engine implements.
  const EngineShape& shape() const { return shape_; }
  const EngineOptions& options() const { return options_; }
  const EngineMetrics& metrics() const { return metrics_; }

  std::uint64_t cycles() const { return metrics_.cycles; }
  std::uint64_t cycles_clocked() const { return metrics_.cycles_clocked; }
  std::uint64_t cycles_skipped() const { return metrics_.cycles_skipped; }
  std::uint64_t busy_cycles() const { return metrics_.busy_cycles; }
  std::uint64_t compute_cycles() const { return metrics_.compute_cycles; }
  std::uint64_t longest_no_progress_cycles() const { return metrics_.longest_no_progress_cycles; }
  std::uint64_t tiles_completed() const { return metrics_.y.packets; }  // m_axis_y packets
  double eval_seconds() const { return metrics_.eval_seconds; }
  // The figures of stream 'x', 'w', 'r' or 'y'; std::invalid_argument for another name.
  const EngineStreamMetrics& stream(char name) const;
  std::uint64_t beats(char name) const { return stream(name).beats; }
  std::uint64_t stalls_injected(char name) const { return stream(name).stalls_injected; }

  virtual bool busy() const = 0;  // busy_o after the last clock edge
  // Every stream (port signals, channel fill, beats, stalls) and the register interface, one line each:
  // the body of the watchdog report, for a platform's own deadlock report.
  virtual std::string stream_state() const = 0;
  // stream_state() plus STATUS and ERROR_CAUSE, read by the engine itself with the streams frozen (a
  // register access caught half-way is finished first): for a platform's deadlock report just before
  // it stops the simulation (the engine is clocked, so never in a run that goes on).
  virtual std::string stop_report() = 0;
  // One line: cycles, busy, beats, stalls, batches, eval time and engine cycles per eval-second.
  std::string summary() const;

  // Watchdog (when it fires: docs/platform.md, "Watchdog").
  bool watchdog_fired() const { return watchdog_fired_; }
  const EngineWatchdogReport& watchdog_report() const { return watchdog_report_; }
  // Called once when the watchdog fires, before sc_stop(); replaces the default (report on stderr).
  void on_watchdog(std::function<void(const EngineWatchdogReport&)> handler);
  // 0, or options().watchdog_exit_code after the watchdog fired.
  int exit_status() const;
  // The trace's observer (null, the default: none); it must outlive the run.
  void observe(EngineObserver* observer) { observer_ = observer; }

 protected:
  // x, w, r: input bands, weight blobs and the residual operand of fused adds (the engine pops them); y:
  // outputs (the engine pushes). Their beat_bytes() must be shape.stream_bits / 8. Throws
  // std::invalid_argument for a channel of another width, a zero clock period or batch limit, or no
  // register region.
  Engine(const sc_core::sc_module_name& name, const EngineShape& shape, AxisChannel& x, AxisChannel& w,
         AxisChannel& r, AxisChannel& y, const EngineOptions& options);
  // Registers the metrics as "<prefix>.*" (docs/platform.md): at the end of the implementation's
  // constructor, once nothing can throw any more.
  void add_stats(Stats& stats, const std::string& prefix) const;

  // A register access that passed check_register_access(): a 32-bit read (data out) or write (data in)
  // at `offset` in the window, `delay` the initiator's local time offset. Returns TLM_OK_RESPONSE or
  // TLM_GENERIC_ERROR_RESPONSE (the engine's SLVERR/DECERR).
  virtual tlm::tlm_response_status register_access(bool write, std::uint32_t offset, std::uint32_t& data,
                                                   sc_core::sc_time& delay) = 0;

  // While the engine is idle: sleeps until a beat arrives on x, w or r or `wake` is notified, then until
  // the next clock edge; the cycles slept count as skipped (EngineMetrics::cycles_skipped).
  void sleep_until_work(const sc_core::sc_event& wake);

  // The watchdog fired (watchdog_fired() is true from now on); its report follows with fire_watchdog(),
  // which records it, calls the handler (default: the report on stderr) and sc_stop().
  void trip_watchdog() { watchdog_fired_ = true; }
  void fire_watchdog(EngineWatchdogReport report);

  // The statistics prefix: options().stats_prefix, or the basename.
  std::string stats_prefix() const;

  AxisChannel &x_, &w_, &r_, &y_;
  EngineMetrics metrics_;  // the implementation keeps them current
  EngineObserver* observer_ = nullptr;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);

  EngineShape shape_;
  EngineOptions options_;
  bool watchdog_fired_ = false;
  EngineWatchdogReport watchdog_report_;
  std::function<void(const EngineWatchdogReport&)> watchdog_handler_;
};

}  // namespace dnnvp

// The engine bridge: the Verilated DNN engine (rtl/dnn_engine.sv, built with --cc) inside the SystemC
// platform, clocked from one SC_THREAD that calls eval() per clock edge (docs/platform.md, "Engine bridge").
//
//   AxisChannel x, w, y;                          // x, w: from the MM2S DMAs; y: to the S2MM DMA
//   EngineBridgeConfig c;
//   c.clock_period = sc_time(4, SC_NS);           // hardware.clock_mhz = 250
//   c.watchdog_cycles = scenario.run.watchdog_cycles;
//   c.stall_seed = scenario.run.stall_seed;       // 0: no random stalls
//   c.stall_probability = scenario.run.stall_probability;
//   EngineBridge engine("engine", x, w, y, c, &stats);
//   bus.target_socket("engine").bind(engine.socket);
//
// Streams: the front beat of x / w is presented on s_axis_*_tdata/tvalid/tlast and popped on the
// handshake; every m_axis_y handshake becomes one beat of y holding only the bytes TKEEP marks.
// m_axis_y_tready is low while y (plus the beats produced in the current batch) is full: real
// back-pressure. With a stall seed, tvalid is withheld at random before a beat is shown (once shown it
// stays until accepted) and tready at random while the engine offers a beat.
//
// Registers: `socket` is the engine's 4 KiB AXI4-Lite window (local offsets 0x000..0xFFF). An aligned
// 32-bit b_transport first waits for the initiator's local time offset (delay in, zero out), then becomes
// an AXI4-Lite read or write on the model's axil_* ports performed by the clock thread; b_transport
// returns when the response handshake has happened, so the access costs the engine cycles it really
// takes. The response: OKAY -> TLM_OK_RESPONSE; SLVERR/DECERR (unmapped offset, write to a read-only
// register) -> TLM_GENERIC_ERROR_RESPONSE. Rejected before the model sees them: length != 4 or
// streaming width < 4 -> TLM_BURST_ERROR_RESPONSE, byte enables that disable a byte ->
// TLM_BYTE_ENABLE_ERROR_RESPONSE, offset not a multiple of 4 or beyond 0xFFF ->
// TLM_ADDRESS_ERROR_RESPONSE. TLM_IGNORE_COMMAND -> OK. transport_dbg is not supported (returns 0
// bytes): a register read has side effects (counter latching) and takes clock cycles. No DMI.
//
// Time: the model runs ahead of SystemC time in batches and the thread wait()s once per batch
// (docs/platform.md has the rules and the accuracy trade-off). While the engine is idle (busy_o low,
// no beat it could take, no register access) it is not clocked at all; the thread sleeps until a beat
// or a register access arrives and the skipped cycles are counted.
//
// Watchdog: if the engine is busy (or a register access is in flight) and makes no progress (no stream
// handshake, no register write, no work issued to the PE array: the engine's ACTIVE counter) for
// `watchdog_cycles` engine cycles, the bridge reads STATUS and
// ERROR_CAUSE, records a report of every stream's state, calls the watchdog handler (default: print
// the report on stderr) and calls sc_stop(); exit_status() is then `watchdog_exit_code`.
//
// The header does not depend on the Verilated model: engine_bridge.cpp is compiled once per engine
// shape together with its model (cmake/DnnvpEngineModel.cmake, dnnvp_engine_model()), and one shape is
// linked into an executable. shape() reports the one linked.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "axis_channel.h"

namespace dnnvp {

class Stats;

// The parameters the linked model was verilated with (params of rtl/dnn_engine.sv).
struct EngineShape {
  int rows, cols, stream_bits, act_bits, weight_bits, acc_bits, acc_depth;
  int input_buffer_bytes, weight_buffer_bytes, output_buffer_bytes;
  bool trace;       // built with FST tracing
  bool assertions;  // built with --assert
};

struct EngineBridgeConfig {
  sc_core::sc_time clock_period = sc_core::sc_time(4, sc_core::SC_NS);  // 1 / hardware.clock_mhz
  // Longest run of cycles ahead of SystemC time between two synchronisations.
  std::uint64_t max_batch_cycles = 256;
  // The batch limit while the engine waits on the platform (an input channel empty while the engine
  // would take a beat, or the output channel full while it offers one): bounds how late a beat the
  // DMA produces becomes visible.
  std::uint64_t starved_batch_cycles = 32;
  std::uint64_t watchdog_cycles = 1000000;  // run.watchdog_cycles; 0 disables the watchdog
  // Whether cycles the engine waits on the platform (an input channel empty while it would take a
  // beat, the output channel full) count towards the watchdog. Alone, the bridge is the only judge; in
  // the SoC the system watchdog sees the DMAs and the CPU that should act and judges those waits.
  bool watchdog_counts_platform_waits = true;
  std::uint64_t stall_seed = 0;     // run.stall_seed; 0: no random stalls
  double stall_probability = 0.25;  // run.stall_probability
  int watchdog_exit_code = 124;     // exit_status() after the watchdog fired
  // FST trace of engine cycles [trace_from, trace_to) (cycle 0 = the first clock edge after reset;
  // skipped idle cycles count). Empty: no trace. Needs a model built with TRACE.
  std::string trace_file;
  std::uint64_t trace_from = 0;
  std::uint64_t trace_to = std::numeric_limits<std::uint64_t>::max();
  std::string stats_prefix;  // default: the module's basename
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

class EngineBridge : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<EngineBridge> socket;  // 32-bit, the 4 KiB AXI4-Lite window
  // The engine's interrupt (irq_o: IRQ register, tile-done enabled and pending), updated at batch
  // boundaries. The CPU takes no interrupts (firmware polls); for platforms and tests.
  sc_core::sc_signal<bool> irq_out;

  // x, w: input bands and weight blobs (the engine pops them); y: outputs (the engine pushes). Their
  // beat_bytes() must be StreamBits / 8 of the linked shape, else std::invalid_argument. With `stats`,
  // registers "<prefix>.*" (docs/platform.md). Throws std::invalid_argument for a zero clock period or
  // batch limit, a trace file with a model built without tracing, or a file that cannot be opened.
  EngineBridge(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w, AxisChannel& y,
               const EngineBridgeConfig& config = {}, Stats* stats = nullptr);
  ~EngineBridge() override;

  static EngineShape shape();
  // The shortest window the watchdog uses (a smaller watchdog_cycles counts as this): 256 + 4 x the
  // beats of a weight block and a params block, what a healthy engine may spend without a handshake or
  // issued work (assembling a block from its FIFO, a tile's serial set-up).
  static std::uint64_t min_watchdog_cycles();
  const EngineBridgeConfig& config() const;

  // Engine cycles since reset: clocked + skipped while idle (== simulated time / period at a batch
  // boundary).
  std::uint64_t cycles() const;
  std::uint64_t cycles_clocked() const;
  std::uint64_t cycles_skipped() const;
  std::uint64_t busy_cycles() const;     // clocked cycles with busy_o high
  std::uint64_t compute_cycles() const;  // cycles the engine's ACTIVE counter advanced
  // The longest run of armed cycles without progress so far (what a watchdog window must exceed).
  std::uint64_t longest_no_progress_cycles() const;
  std::uint64_t tiles_completed() const;             // m_axis_y packets (TLAST handshakes)
  std::uint64_t beats(char stream) const;            // handshakes on 'x', 'w' or 'y'
  std::uint64_t stalls_injected(char stream) const;  // cycles tvalid ('x', 'w') / tready ('y') withheld
  double eval_seconds() const;                       // host time spent clocking the model
  bool busy() const;                                 // busy_o after the last clock edge

  // Every stream (port signals, channel fill, beats, stalls) and the register interface, one line each:
  // the body of the watchdog report, for a platform's own deadlock report.
  std::string stream_state() const;

  // stream_state() plus STATUS and ERROR_CAUSE, read by the bridge itself with the streams frozen (a
  // register access caught half-way is finished first): for a platform's deadlock report just before
  // it stops the simulation (the model is clocked, so never in a run that goes on).
  std::string stop_report();

  // Watchdog.
  bool watchdog_fired() const;
  const EngineWatchdogReport& watchdog_report() const;
  // Called once when the watchdog fires, before sc_stop(); replaces the default (report on stderr).
  void on_watchdog(std::function<void(const EngineWatchdogReport&)> handler);
  // 0, or config().watchdog_exit_code after the watchdog fired.
  int exit_status() const;

  // One line: cycles, busy, beats, stalls, eval time and engine cycles per eval-second.
  std::string summary() const;

 private:
  struct Impl;  // the model, the clock thread's state (engine_bridge.cpp)
  void run();
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  void end_of_simulation() override;

  std::unique_ptr<Impl> impl_;
};

}  // namespace dnnvp

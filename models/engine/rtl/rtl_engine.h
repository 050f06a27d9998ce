// The "rtl" engine: the Verilated DNN engine (rtl/dnn_engine.sv, built with --cc) inside the SystemC
// platform, clocked from one SC_THREAD that evaluates the model per clock edge (docs/platform.md,
// "Engine"). This file is the clock thread: the streams and the time policy (batches ahead of SystemC
// time, idle skipping). The model's ports are EnginePins (the one part compiled per shape), the register
// port is RegisterTransactor, the watchdog ProgressWatchdog.
//
// Streams: the front beat of x / w / r is presented on s_axis_*_tdata/tvalid/tlast and popped on the
// handshake; every m_axis_y handshake becomes one beat of y holding only the bytes TKEEP marks.
// m_axis_y_tready is low while y (plus the beats produced in the current batch) is full: real
// back-pressure. With a stall seed, tvalid is withheld at random before a beat is shown (once shown it
// stays until accepted) and tready at random while the engine offers a beat.
//
// Registers: a checked access first waits for the initiator's local time offset (delay in, zero out),
// then is performed on the model's axil_* ports by the clock thread; it returns when the response
// handshake has happened, so the access costs the engine cycles it really takes.
//
// Time: the model runs ahead of SystemC time in batches and the thread wait()s once per batch. While the
// engine is idle (busy_o low, no beat it could take, no register access) it is not clocked at all; the
// thread sleeps until a beat or a register access arrives and the skipped cycles are counted.
//
// Watchdog: when it fires the engine reads STATUS and ERROR_CAUSE, reports every stream's state and stops
// the simulation (Engine::fire_watchdog()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine_pins.h"
#include "register_transactor.h"
#include "watchdog.h"

namespace dnnvp::rtl {

// The stall generator: splitmix64, so a seed gives the same stalls on every host and library.
class StallRandom {
 public:
  StallRandom(std::uint64_t seed, double probability);
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

class RtlEngine final : public Engine {
 public:
  // As Engine's constructor; also throws std::invalid_argument for a trace with a model built without
  // TRACE, or a trace file that cannot be opened.
  RtlEngine(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w, AxisChannel& r,
            AxisChannel& y, const EngineOptions& options, Stats* stats);
  ~RtlEngine() override;

  bool busy() const override { return pins_->outputs().busy; }
  std::string stream_state() const override;
  std::string stop_report() override;

 protected:
  tlm::tlm_response_status register_access(bool write, std::uint32_t offset, std::uint32_t& data,
                                           sc_core::sc_time& delay) override;

 private:
  struct InStream {
    InPort port;
    const char* name;
    AxisChannel& ch;
    EngineStreamMetrics& metrics;
    bool shown = false;  // tvalid is high with the channel's front beat
  };
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

  void end_of_simulation() override;
  void run();
  bool cycle();
  void present(InStream& s);
  bool accept(InStream& s);
  std::size_t y_room() const;
  bool engine_quiet() const;
  bool quiescent() const;
  bool starved() const;
  void flush_outputs();
  void idle_wait();
  sc_core::sc_time cycles_time(std::uint64_t n) const;
  void report_watchdog();
  std::string stream_line(const InStream& s) const;

  std::unique_ptr<EnginePins> pins_;
  RegisterTransactor registers_;
  ProgressWatchdog watchdog_;
  InStream x_in_, w_in_, r_in_;
  StallRandom rnd_;
  bool stalls_;
  std::uint64_t period_;  // clock period in SystemC time resolution units

  std::vector<AxisBeat> staged_;  // outputs of the current batch, pushed into y at its end
  BatchEnd end_ = kEndLimit;
  std::uint64_t batch_ends_[kEndCount] = {};
  std::uint64_t idle_waits_ = 0;
  std::uint64_t last_register_cycle_ = 0;  // when the last register access completed
  std::uint64_t last_active_ = 0;          // the engine's ACTIVE counter after the last cycle
  unsigned quiet_run_ = 0;                 // clocked cycles the engine has been quiet
};

}  // namespace dnnvp::rtl

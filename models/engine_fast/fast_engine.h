// The "fast" engine: a C++ model of the DNN engine of any shape (EngineOptions::shape), no Verilator, the
// second implementation of the Engine interface (docs/engine_model.md). The same register window (every
// offset and field looked up by name in the engine's region), the same descriptor queue and PUSH checks,
// the four streams with real valid/ready (one beat per cycle at most, back-pressure from AxisChannel,
// random stalls as the "rtl" engine injects them), the counters, the interrupt and the watchdog.
//
// Outputs are bit-exact: a tile's arithmetic is the reference integer arithmetic of models/arith/
// (requantize, the pool division, the add), applied to the band, the params and weight blocks and the
// residual operand exactly as they arrive on the streams. Cycles come from a cycle model of the units
// (fast_timing.h: loader, weight FIFO and assembler, the core's set-up, passes and pipeline, the drain),
// stepped one engine cycle at a time but without any datapath work per cycle, so it runs any shape from one
// binary at tens of millions of cycles per second.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/rtl/rtl_engine.h"
#include "engine/rtl/watchdog.h"
#include "engine_fast/fast_registers.h"
#include "engine_fast/fast_tile.h"

namespace dnnvp::fast {

class FastEngine final : public Engine {
 public:
  // As Engine's constructor; also throws std::invalid_argument for an invalid shape or a trace file
  // (the fast engine has no waveforms).
  FastEngine(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w, AxisChannel& r,
             AxisChannel& y, const EngineOptions& options, Stats* stats);
  ~FastEngine() override;

  bool busy() const override;
  std::string stream_state() const override;
  std::string stop_report() override;

 protected:
  tlm::tlm_response_status register_access(bool write, std::uint32_t offset, std::uint32_t& data,
                                           sc_core::sc_time& delay) override;

 private:
  struct InStream {
    const char* name;
    char id;  // 'x', 'w' or 'r'
    AxisChannel& ch;
    EngineStreamMetrics& metrics;
    bool shown = false;  // tvalid high with the channel's front beat
    bool taken = false;  // the front beat was taken this cycle (popped as the cycle ends)
  };
  // A register access of an initiator, performed by the clock thread.
  struct Access {
    bool write = false;
    std::uint32_t offset = 0;
    std::uint32_t data = 0;
    bool ok = true;
    int cycles_left = 0;  // until its response handshake
    bool done = false;
    sc_core::sc_event done_event;
  };

  void run();
  bool cycle();
  bool show(InStream& s);
  AxisBeat take(InStream& s);
  void pop_taken();
  std::size_t y_room() const;
  bool quiet() const;
  bool x_ready() const;
  bool residual_wanted() const;
  bool r_ready() const;
  bool starved() const;
  void idle_wait();
  void report_watchdog();
  std::string stream_line(const InStream& s) const;

  // The register window: an access's effect on the cycle dnn_regs performs it (ok false: SLVERR).
  std::uint32_t read_register(std::uint32_t offset, bool& ok);
  void write_register(std::uint32_t offset, std::uint32_t value, bool& ok);
  bool queue_full() const;
  // Units, each stepped once per cycle (fast_engine.cpp).
  void step_registers(bool& progress, bool& answered);
  void push_tile();
  void start_band(bool& progress);
  void step_loader(bool& progress);
  void step_weights(bool& progress);
  std::uint64_t storage_held_after(const Tile& t, int storage) const;
  std::uint64_t skippable() const;
  void skip(std::uint64_t k);
  void step_core(bool& progress);
  void start_pass(CoreState& c) const;
  bool issues(CoreState& c) const;
  void send_output_beat();
  void step_drain(bool& progress);
  void retire_tiles();
  Tile* tile_at(std::uint64_t seq) const;
  void flag(const Field& cause);  // sets STATUS.ERROR and the ERROR_CAUSE bit

  Registers regs_;
  rtl::ProgressWatchdog watchdog_;
  InStream x_in_, w_in_, r_in_;
  rtl::StallRandom rnd_;
  bool stalls_;
  std::uint64_t period_;
  Geometry geo_;  // the shape's derived sizes

  // Register state (dnn_regs).
  std::vector<std::uint32_t> descriptor_;  // the staged descriptor
  std::vector<std::uint64_t> counters_;    // CYCLES, MACS, ... by counter index
  std::uint32_t hi_latch_ = 0;             // a counter's HI word, latched by its LO read
  bool error_ = false, irq_enable_ = false, irq_pending_ = false;
  std::uint32_t error_cause_ = 0;
  std::uint32_t tiles_done_ = 0;

  // Tiles pushed and not yet drained, in order; seq numbers count pushes since reset.
  std::deque<std::unique_ptr<Tile>> queue_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t load_seq_ = 0, weight_seq_ = 0, core_seq_ = 0, drain_seq_ = 0;
  LoaderState loader_;
  WeightState weights_;
  CoreState core_;
  DrainState drain_;
  ResidualState residual_;
  int last_half_ = 1;  // the input half the last BAND = 0 band went to
  // The last band loaded and its storage (a REUSE tile's whose predecessor has left the queue).
  std::shared_ptr<const Band> last_band_;
  int last_storage_ = 0;
  std::int32_t last_value_ = 0;  // the drain's last value (a): the next tile's first when it starts mid-byte

  std::deque<Access*> accesses_;
  Access* access_ = nullptr;  // being performed
  sc_core::sc_event arrival_;
  std::vector<AxisBeat> staged_;  // y beats of the current batch
  std::uint64_t last_register_cycle_ = 0;
  unsigned quiet_run_ = 0;
  bool drained_ = false;         // an input channel ran empty this cycle
  bool output_stalled_ = false;  // the core waited for its output half or y was held this cycle
};

}  // namespace dnnvp::fast

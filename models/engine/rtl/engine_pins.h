// The Verilated engine's ports (rtl/dnn_engine.sv's top level), one clock cycle at a time: the only part of
// the "rtl" engine compiled per engine shape (verilated_pins.cpp, built by dnnvp_engine_model() in
// cmake/DnnvpEngineModel.cmake with DNNVP_ENGINE_* set to the shape). It drives what it is told and
// reports what the engine does; the stream, register and time logic is the clock thread's (rtl_engine.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "axis_channel.h"
#include "engine/engine.h"

namespace dnnvp::rtl {

// The engine's outputs as of the last evaluation of the model.
struct PinOutputs {
  bool busy = false;     // busy_o
  bool irq = false;      // irq_o
  bool x_ready = false;  // s_axis_x_tready_o
  bool w_ready = false;  // s_axis_w_tready_o
  bool r_ready = false;  // s_axis_r_tready_o
  bool y_valid = false;  // m_axis_y_tvalid_o
  // The engine's ACTIVE counter (cycles a pixel was issued to the PE array), read from the model's state,
  // not through the register slave (which would take cycles and latch _HI).
  std::uint64_t active = 0;
};

// One clock cycle, sampled with the clock low and the inputs applied: what the rising edge acts on.
struct PinSample {
  PinOutputs out;
  bool x_handshake = false, w_handshake = false, r_handshake = false, y_handshake = false;  // tvalid && tready
  bool aw = false, w = false, b = false, ar = false, r = false;        // AXI4-Lite handshakes
  std::uint32_t rdata = 0;
  std::uint8_t rresp = 0, bresp = 0;
  AxisBeat y_beat;  // with y_handshake: TDATA with TKEEP applied, TLAST
};

// The AXI4-Lite master's side of the register port (axil_*_i), held until changed.
struct AxilInputs {
  std::uint32_t awaddr = 0;
  bool awvalid = false;
  std::uint32_t wdata = 0;
  std::uint8_t wstrb = 0;
  bool wvalid = false, bready = false;
  std::uint32_t araddr = 0;
  bool arvalid = false, rready = false;
};

enum class InPort { kX, kW, kR };  // s_axis_x (input bands), s_axis_w (weight blobs), s_axis_r (residual)

class EnginePins {
 public:
  virtual ~EnginePins() = default;

  // Holds rst_ni low for a few clock cycles with every input idle, then releases it (clock low).
  virtual void reset() = 0;
  // An input stream's TDATA (a short beat zero-filled) and TLAST with TVALID high / TVALID low.
  virtual void show(InPort port, const AxisBeat& beat) = 0;
  virtual void hide(InPort port) = 0;
  virtual void set_y_ready(bool ready) = 0;
  virtual void drive_axil(const AxilInputs& in) = 0;
  // TVALID of every input stream and TREADY of the output low (nothing moves any more).
  virtual void freeze_streams() = 0;

  // One clock cycle: evaluate with the clock low, sample, rising edge. `cycle` is the engine cycle it is,
  // for the trace: with `traced`, a cycle inside the trace window is dumped. The sample stays valid (its
  // y_beat may be moved out) until the next clock().
  virtual PinSample& clock(std::uint64_t cycle, bool traced) = 0;
  virtual const PinOutputs& outputs() const = 0;
  // The inputs as driven now (for reports).
  virtual bool tvalid(InPort port) const = 0;
  virtual bool y_ready() const = 0;

  virtual void flush_trace() = 0;
};

// The shape the linked model was verilated with (defined per shape, verilated_pins.cpp).
EngineShape linked_shape();
// The linked model with `options`' trace; `owner` names the engine in errors. Throws
// std::invalid_argument for a trace with a model built without TRACE, a trace file that cannot be
// opened, or an options.region without the ACTIVE counter in its counters block.
std::unique_ptr<EnginePins> make_pins(const std::string& owner, const EngineOptions& options);

}  // namespace dnnvp::rtl

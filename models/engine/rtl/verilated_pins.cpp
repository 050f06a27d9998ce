// The Verilated engine's ports (engine_pins.h). Compiled once per engine shape against that shape's
// Verilated model by dnnvp_engine_model() (cmake/DnnvpEngineModel.cmake), which defines DNNVP_ENGINE_* to
// the parameters the model was verilated with.
#include "engine_pins.h"

// verilated.h sees SystemC and expects sc_time_stamp() in the global namespace (as <systemc.h> puts it);
// the model's $time is then SystemC time.
using sc_core::sc_time_stamp;
#include <verilated.h>
#if VM_TRACE
#include <verilated_fst_c.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "Vdnn_engine.h"
#include "Vdnn_engine___024root.h"

#ifndef DNNVP_ENGINE_STREAM_BITS
#error "verilated_pins.cpp is built per engine shape by dnnvp_engine_model() (cmake/DnnvpEngineModel.cmake)"
#endif
#ifndef DNNVP_ENGINE_ASSERT
#define DNNVP_ENGINE_ASSERT 0
#endif

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "stream beats are copied as little-endian words");

namespace dnnvp::rtl {

namespace {

constexpr std::size_t kBeatBytes = DNNVP_ENGINE_STREAM_BITS / 8;
constexpr std::size_t kKeepBytes = (kBeatBytes + 7) / 8;
// Clock cycles with rst_ni low before time 0 (not counted as engine cycles).
constexpr unsigned kResetCycles = 4;
// rtl/dnn_regs.sv's counter_q index of ACTIVE (cycles a pixel was issued to the PE array): the counters
// block of the engine's register region holds one _LO/_HI word pair per counter.
std::uint32_t active_counter(const std::string& owner, const RegionInfo& region) {
  const std::uint32_t first = block_start(region, "counters").offset;
  const std::uint32_t lo = find_register(region, "ACTIVE_LO").offset;
  if (find_register(region, "ACTIVE_HI").offset != lo + 4 || lo < first || (lo - first) % 8 != 0)
    throw std::invalid_argument(owner + ": region '" + std::string(region.name) +
                                "': ACTIVE_LO/ACTIVE_HI must be a _LO/_HI word pair of the counters block");
  return (lo - first) / 8;
}

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

class VerilatedPins final : public EnginePins {
 public:
  VerilatedPins(const std::string& owner, const EngineOptions& options)
      : active_counter_(active_counter(owner, *options.region)) {
    ctx_ = std::make_unique<VerilatedContext>();
    ctx_->commandArgs(0, static_cast<const char**>(nullptr));
    if (!options.trace_file.empty()) {
#if VM_TRACE
      ctx_->traceEverOn(true);
#else
      throw std::invalid_argument(owner + ": trace requested, but the engine model (" +
                                  std::to_string(DNNVP_ENGINE_ROWS) + "x" +
                                  std::to_string(DNNVP_ENGINE_COLS) + ") was built without TRACE");
#endif
    }
    m_ = std::make_unique<Vdnn_engine>(ctx_.get(), "TOP");
#if VM_TRACE
    if (!options.trace_file.empty()) {
      fst_ = std::make_unique<VerilatedFstC>();
      m_->trace(fst_.get(), 99);
      fst_->open(options.trace_file.c_str());
      if (!fst_->isOpen())
        throw std::invalid_argument(owner + ": cannot open trace file " + options.trace_file);
      // Trace time stamps in the model's time precision: clock low at cycle * period, high half a
      // period later.
      const double units = options.clock_period.to_seconds() * std::pow(10.0, -ctx_->timeprecision());
      trace_period_ = std::max<std::uint64_t>(2, static_cast<std::uint64_t>(std::llround(units)));
      trace_from_ = options.trace_from;
      trace_to_ = options.trace_to;
    }
#endif
  }

  ~VerilatedPins() override {
#if VM_TRACE
    if (fst_) fst_->close();
#endif
    if (m_) m_->final();
  }

  void reset() override {
    Vdnn_engine& m = *m_;
    m.clk_i = 0;
    m.rst_ni = 0;
    drive_axil(AxilInputs{});
    m.s_axis_x_tvalid_i = 0, m.s_axis_x_tlast_i = 0, m.s_axis_w_tvalid_i = 0, m.s_axis_w_tlast_i = 0;
    m.s_axis_r_tvalid_i = 0, m.s_axis_r_tlast_i = 0;
    m.m_axis_y_tready_i = 0;
    const std::uint8_t zero[kBeatBytes] = {};
    put_bytes(m.s_axis_x_tdata_i, zero, kBeatBytes);
    put_bytes(m.s_axis_w_tdata_i, zero, kBeatBytes);
    put_bytes(m.s_axis_r_tdata_i, zero, kBeatBytes);
    for (unsigned i = 0; i < kResetCycles; ++i) {
      m.clk_i = 0;
      m.eval();
      m.clk_i = 1;
      m.eval();
    }
    m.rst_ni = 1;
    m.clk_i = 0;
    m.eval();
    read_outputs(out_);
  }

  void show(InPort port, const AxisBeat& beat) override {
    switch (port) {
      case InPort::kX:
        put_bytes(m_->s_axis_x_tdata_i, beat.data.data(), beat.data.size());
        m_->s_axis_x_tlast_i = beat.last;
        break;
      case InPort::kW:
        put_bytes(m_->s_axis_w_tdata_i, beat.data.data(), beat.data.size());
        m_->s_axis_w_tlast_i = beat.last;
        break;
      case InPort::kR:
        put_bytes(m_->s_axis_r_tdata_i, beat.data.data(), beat.data.size());
        m_->s_axis_r_tlast_i = beat.last;
        break;
    }
    valid(*m_, port) = 1;
  }

  void hide(InPort port) override {
    valid(*m_, port) = 0;
  }

  void set_y_ready(bool ready) override {
    m_->m_axis_y_tready_i = ready;
  }

  void drive_axil(const AxilInputs& in) override {
    Vdnn_engine& m = *m_;
    m.axil_awaddr_i = static_cast<std::remove_reference_t<decltype(m.axil_awaddr_i)>>(in.awaddr);
    m.axil_awvalid_i = in.awvalid;
    m.axil_wdata_i = in.wdata;
    m.axil_wstrb_i = in.wstrb;
    m.axil_wvalid_i = in.wvalid;
    m.axil_bready_i = in.bready;
    m.axil_araddr_i = static_cast<std::remove_reference_t<decltype(m.axil_araddr_i)>>(in.araddr);
    m.axil_arvalid_i = in.arvalid;
    m.axil_rready_i = in.rready;
  }

  void freeze_streams() override {
    m_->s_axis_x_tvalid_i = 0;
    m_->s_axis_w_tvalid_i = 0;
    m_->s_axis_r_tvalid_i = 0;
    m_->m_axis_y_tready_i = 0;
  }

  PinSample& clock(std::uint64_t cycle, bool traced) override {
    Vdnn_engine& m = *m_;
    PinSample& s = sample_;
    m.clk_i = 0;
    m.eval();
    read_outputs(s.out);
    s.x_handshake = m.s_axis_x_tvalid_i && m.s_axis_x_tready_o;
    s.w_handshake = m.s_axis_w_tvalid_i && m.s_axis_w_tready_o;
    s.r_handshake = m.s_axis_r_tvalid_i && m.s_axis_r_tready_o;
    s.y_handshake = m.m_axis_y_tvalid_o && m.m_axis_y_tready_i;
    s.aw = m.axil_awvalid_i && m.axil_awready_o;
    s.w = m.axil_wvalid_i && m.axil_wready_o;
    s.b = m.axil_bvalid_o && m.axil_bready_i;
    s.ar = m.axil_arvalid_i && m.axil_arready_o;
    s.r = m.axil_rvalid_o && m.axil_rready_i;
    s.rdata = m.axil_rdata_o;
    s.rresp = m.axil_rresp_o;
    s.bresp = m.axil_bresp_o;
    if (s.y_handshake) {
      AxisBeat beat;
      std::uint8_t bytes[kBeatBytes];
      get_bytes(m.m_axis_y_tdata_o, bytes, kBeatBytes);
      // TKEEP is one bit per byte: a VlWide beyond 64 bits (1024-bit streams), so read it as bytes too.
      std::uint8_t keep[kKeepBytes] = {};
      get_bytes(m.m_axis_y_tkeep_o, keep, kKeepBytes);
      beat.data.reserve(kBeatBytes);
      for (std::size_t i = 0; i < kBeatBytes; ++i)
        if ((keep[i / 8] >> (i % 8)) & 1u) beat.data.push_back(bytes[i]);
      beat.last = m.m_axis_y_tlast_o != 0;
      s.y_beat = std::move(beat);
    }
#if VM_TRACE
    const bool dump = traced && fst_ && cycle >= trace_from_ && cycle < trace_to_;
    if (dump) fst_->dump(cycle * trace_period_);
#else
    (void)cycle, (void)traced;
#endif
    m.clk_i = 1;
    m.eval();
#if VM_TRACE
    if (dump) fst_->dump(cycle * trace_period_ + trace_period_ / 2);
#endif
    read_outputs(out_);
    return s;
  }

  const PinOutputs& outputs() const override {
    return out_;
  }
  bool tvalid(InPort port) const override {
    return valid(*m_, port) != 0;
  }
  bool y_ready() const override {
    return m_->m_axis_y_tready_i != 0;
  }

  void flush_trace() override {
#if VM_TRACE
    if (fst_) fst_->flush();
#endif
  }

 private:
  static CData& valid(Vdnn_engine& m, InPort port) {
    return port == InPort::kX ? m.s_axis_x_tvalid_i : port == InPort::kW ? m.s_axis_w_tvalid_i : m.s_axis_r_tvalid_i;
  }

  void read_outputs(PinOutputs& o) const {
    const Vdnn_engine& m = *m_;
    o.busy = m.busy_o != 0;
    o.irq = m.irq_o != 0;
    o.x_ready = m.s_axis_x_tready_o != 0;
    o.w_ready = m.s_axis_w_tready_o != 0;
    o.r_ready = m.s_axis_r_tready_o != 0;
    o.y_valid = m.m_axis_y_tvalid_o != 0;
    o.active = m.rootp->dnn_engine__DOT__u_regs__DOT__counter_q[active_counter_];
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vdnn_engine> m_;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> fst_;
  std::uint64_t trace_period_ = 2;
  std::uint64_t trace_from_ = 0, trace_to_ = 0;
#endif
  std::uint32_t active_counter_;
  PinOutputs out_;
  PinSample sample_;
};

}  // namespace

EngineShape linked_shape() {
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
          DNNVP_ENGINE_FOLD_MAX,
          DNNVP_ENGINE_DW_LINE_PIXELS,
          VM_TRACE != 0,
          DNNVP_ENGINE_ASSERT != 0};
}

std::unique_ptr<EnginePins> make_pins(const std::string& owner, const EngineOptions& options) {
  return std::make_unique<VerilatedPins>(owner, options);
}

}  // namespace dnnvp::rtl

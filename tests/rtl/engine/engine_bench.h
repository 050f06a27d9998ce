// Cycle-level bench around the Verilated dnn_engine: one clock loop that services the four
// AXI-Stream ports (random idle and back-pressure, seeded) and an AXI4-Lite master that the
// firmware engine driver reaches through the HAL. Optional FST trace over a window of cycles.
#pragma once

#include <verilated.h>
#if VM_TRACE  // the FAST build (tools/bench) has no tracing
#include <verilated_fst_c.h>
#endif

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vdnn_engine.h"
#include "dnnvp_memory_map.hpp"
#include "tb.h"

class EngineBench {
 public:
  static constexpr size_t kStreamBytes = ENGINE_STREAM_BITS / 8;

  EngineBench(std::uint32_t seed, double idle, double backpressure, std::uint64_t watchdog_cycles)
      : rnd_(seed),
        x_(m_.s_axis_x_tdata_i, m_.s_axis_x_tvalid_i, m_.s_axis_x_tready_o, &m_.s_axis_x_tlast_i, kStreamBytes,
           rnd_, idle),
        w_(m_.s_axis_w_tdata_i, m_.s_axis_w_tvalid_i, m_.s_axis_w_tready_o, &m_.s_axis_w_tlast_i, kStreamBytes,
           rnd_, idle),
        r_(m_.s_axis_r_tdata_i, m_.s_axis_r_tvalid_i, m_.s_axis_r_tready_o, &m_.s_axis_r_tlast_i, kStreamBytes,
           rnd_, idle),
        y_(m_.m_axis_y_tdata_o, m_.m_axis_y_tvalid_o, m_.m_axis_y_tready_i, &m_.m_axis_y_tlast_o, kStreamBytes,
           rnd_, backpressure),
        watchdog_(watchdog_cycles) {
    m_.rst_ni = 0;
    m_.s_axis_x_tvalid_i = 0;
    m_.s_axis_w_tvalid_i = 0;
    m_.s_axis_r_tvalid_i = 0;
    for (int i = 0; i < 4; ++i) half_cycle();
    m_.rst_ni = 1;
    half_cycle();
  }

#if VM_TRACE
  void trace(const std::string& path, std::uint64_t from, std::uint64_t to) {
    Verilated::traceEverOn(true);
    fst_ = std::make_unique<VerilatedFstC>();
    m_.trace(fst_.get(), 99);
    fst_->open(path.c_str());
    trace_from_ = from;
    trace_to_ = to;
  }
  ~EngineBench() {
    if (fst_) fst_->close();
  }
#else
  void trace(const std::string&, std::uint64_t, std::uint64_t) {
    throw std::runtime_error("this harness was built without tracing");
  }
#endif

  // Queues a packet on an input stream, TLAST on its last beat.
  void send_x(const std::vector<std::uint8_t>& bytes) { send(x_, bytes); }
  void send_w(const std::vector<std::uint8_t>& bytes) { send(w_, bytes); }
  void send_r(const std::vector<std::uint8_t>& bytes) { send(r_, bytes); }
  // The output packets received so far (whole beats; each ends with TLAST), oldest first.
  std::vector<std::vector<std::uint8_t>> take_packets() {
    std::vector<std::vector<std::uint8_t>> packets(1);
    for (const auto& b : y_.beats) {
      packets.back().insert(packets.back().end(), b.data.begin(), b.data.end());
      if (b.last) packets.emplace_back();
    }
    packets.pop_back();  // beats after the last TLAST belong to a packet still arriving
    y_.beats.clear();
    return packets;
  }

  std::uint32_t read(std::uint32_t addr) {
    m_.axil_araddr_i = addr & (dnnvp::memory_map::engine::kSize - 1);
    m_.axil_arvalid_i = 1;
    m_.axil_rready_i = 1;
    wait([&] { return m_.axil_arready_o != 0; }, "AR");
    cycle();
    m_.axil_arvalid_i = 0;
    wait([&] { return m_.axil_rvalid_o != 0; }, "R");
    const std::uint32_t data = m_.axil_rdata_o;
    if (m_.axil_rresp_o != 0) throw std::runtime_error("register read error at 0x" + hex(addr));
    cycle();
    m_.axil_rready_i = 0;
    return data;
  }

  void write(std::uint32_t addr, std::uint32_t data) {
    m_.axil_awaddr_i = addr & (dnnvp::memory_map::engine::kSize - 1);
    m_.axil_awvalid_i = 1;
    m_.axil_wdata_i = data;
    m_.axil_wstrb_i = 0xF;
    m_.axil_wvalid_i = 1;
    m_.axil_bready_i = 1;
    bool aw_done = false, w_done = false;
    const std::uint64_t start = cycle_;
    while (!aw_done || !w_done) {
      const bool aw = m_.axil_awvalid_i && m_.axil_awready_o;
      const bool w = m_.axil_wvalid_i && m_.axil_wready_o;
      cycle();
      if (aw) aw_done = true, m_.axil_awvalid_i = 0;
      if (w) w_done = true, m_.axil_wvalid_i = 0;
      if (cycle_ - start > watchdog_) throw std::runtime_error("watchdog: register write not accepted; " + stream_state());
    }
    wait([&] { return m_.axil_bvalid_o != 0; }, "B");
    if (m_.axil_bresp_o != 0) throw std::runtime_error("register write error at 0x" + hex(addr));
    cycle();
    m_.axil_bready_i = 0;
  }

  // Runs until the engine is idle and every queued input beat has been consumed.
  void run_until_idle() {
    wait([&] { return !m_.busy_o && x_.empty() && w_.empty() && r_.empty(); }, "engine idle");
  }

  std::uint64_t cycles() const { return cycle_; }

 private:
  template <typename Source>
  void send(Source& s, const std::vector<std::uint8_t>& bytes) {
    for (size_t i = 0; i < bytes.size(); i += kStreamBytes) {
      tb::Beat b;
      b.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                    bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), i + kStreamBytes)));
      b.last = i + kStreamBytes >= bytes.size();
      s.push(std::move(b));
    }
  }

  template <typename Cond>
  void wait(const Cond& done, const char* what) {
    const std::uint64_t start = cycle_;
    while (!done()) {
      cycle();
      if (cycle_ - start > watchdog_)
        throw std::runtime_error(std::string("watchdog: no progress waiting for ") + what + " after " +
                                 std::to_string(watchdog_) + " cycles; " + stream_state());
    }
  }
  std::string stream_state() const {
    auto s = [](const char* n, int v, int r) { return std::string(n) + " valid=" + std::to_string(v) + " ready=" + std::to_string(r); };
    return s("s_axis_x", m_.s_axis_x_tvalid_i, m_.s_axis_x_tready_o) + " (" + std::to_string(x_.pending()) +
           " beats queued), " + s("s_axis_w", m_.s_axis_w_tvalid_i, m_.s_axis_w_tready_o) + " (" +
           std::to_string(w_.pending()) + " beats queued), " + s("s_axis_r", m_.s_axis_r_tvalid_i, m_.s_axis_r_tready_o) +
           " (" + std::to_string(r_.pending()) + " beats queued), " +
           s("m_axis_y", m_.m_axis_y_tvalid_o, m_.m_axis_y_tready_i) +
           ", busy=" + std::to_string(m_.busy_o);
  }

  static std::string hex(std::uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "%03X", v);
    return b;
  }

  void half_cycle() {
    m_.clk_i = !m_.clk_i;
    m_.eval();
  }

  void cycle() {
    m_.clk_i = 0;
    m_.eval();
    const bool tx = x_.before_edge();
    const bool tw = w_.before_edge();
    const bool tr = r_.before_edge();
    y_.before_edge();
#if VM_TRACE
    if (fst_ && cycle_ >= trace_from_ && cycle_ < trace_to_) fst_->dump(2 * cycle_);
#endif
    m_.clk_i = 1;
    m_.eval();
#if VM_TRACE
    if (fst_ && cycle_ >= trace_from_ && cycle_ < trace_to_) fst_->dump(2 * cycle_ + 1);
#endif
    x_.after_edge(tx);
    w_.after_edge(tw);
    r_.after_edge(tr);
    y_.after_edge();
    ++cycle_;
  }

  Vdnn_engine m_;
  tb::Random rnd_;
  tb::AxisSource<decltype(Vdnn_engine::s_axis_x_tdata_i)> x_;
  tb::AxisSource<decltype(Vdnn_engine::s_axis_w_tdata_i)> w_;
  tb::AxisSource<decltype(Vdnn_engine::s_axis_r_tdata_i)> r_;
  tb::AxisSink<decltype(Vdnn_engine::m_axis_y_tdata_o)> y_;
  std::uint64_t watchdog_;
  std::uint64_t cycle_ = 0;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> fst_;
#endif
  std::uint64_t trace_from_ = 0, trace_to_ = 0;
};

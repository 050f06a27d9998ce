#include "bridge_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <tlm_utils/simple_initiator_socket.h>

#include "axis_channel.h"
#include "bus.h"
#include "dnnvp_memory_map.hpp"
#include "emit.h"
#include "engine/engine_factory.h"
#include "engine_blob.h"
#include "engine_plan.h"
#include "engine_table.h"
#include "error.h"
#include "golden.h"
#include "pack.h"
#include "scenario.h"
#include "stats.h"
#include "stem.h"
#include "synthesize.h"

extern "C" {
#include "dnn_engine.h"
#include "dnnvp_hal.h"
}

namespace bridge_test {

using namespace sc_core;
using dnnvp::AxisBeat;
using dnnvp::AxisChannel;

namespace {

namespace mm = dnnvp::memory_map;
constexpr std::uint64_t kEngineBase = mm::engine::kBase;

// Feeds packets into a channel beat by beat, as an MM2S DMA would.
class Producer : public sc_module {
 public:
  SC_HAS_PROCESS(Producer);
  Producer(const sc_module_name& name, AxisChannel& ch, const sc_time& beat_time)
      : sc_module(name), ch_(ch), beat_time_(beat_time) {
    SC_THREAD(run);
  }
  void send(std::vector<std::uint8_t> packet) {
    packets_.push_back(std::move(packet));
    queued_.notify(SC_ZERO_TIME);
  }

 private:
  void run() {
    for (;;) {
      while (packets_.empty()) wait(queued_);
      const std::vector<std::uint8_t> p = std::move(packets_.front());
      packets_.pop_front();
      const std::size_t n = ch_.beat_bytes();
      for (std::size_t i = 0; i < p.size(); i += n) {
        AxisBeat b;
        b.data.assign(p.begin() + static_cast<std::ptrdiff_t>(i),
                      p.begin() + static_cast<std::ptrdiff_t>(std::min(p.size(), i + n)));
        b.last = i + n >= p.size();
        if (beat_time_ != SC_ZERO_TIME) wait(beat_time_);
        ch_.write(std::move(b));
      }
    }
  }
  AxisChannel& ch_;
  sc_time beat_time_;
  std::deque<std::vector<std::uint8_t>> packets_;
  sc_event queued_;
};

// Collects output packets, as the S2MM DMA would.
class Consumer : public sc_module {
 public:
  SC_HAS_PROCESS(Consumer);
  Consumer(const sc_module_name& name, AxisChannel& ch, const sc_time& beat_time)
      : sc_module(name), ch_(ch), beat_time_(beat_time) {
    SC_THREAD(run);
  }
  std::vector<std::vector<std::uint8_t>> packets;
  sc_event packet_event;

 private:
  void run() {
    std::vector<std::uint8_t> current;
    for (;;) {
      AxisBeat b = ch_.read();
      if (beat_time_ != SC_ZERO_TIME) wait(beat_time_);
      current.insert(current.end(), b.data.begin(), b.data.end());
      if (b.last) {
        packets.push_back(std::move(current));
        current.clear();
        packet_event.notify(SC_ZERO_TIME);
      }
    }
  }
  AxisChannel& ch_;
  sc_time beat_time_;
};

class Cpu;
Cpu* g_cpu = nullptr;  // the HAL's bus master

// The CPU: runs `script` in an SC_THREAD; the driver's register accesses go out through `socket`.
class Cpu : public sc_module {
 public:
  SC_HAS_PROCESS(Cpu);
  tlm_utils::simple_initiator_socket<Cpu> socket;
  std::function<void()> script;
  std::vector<std::string> errors;
  sc_time access_time = SC_ZERO_TIME;

  explicit Cpu(const sc_module_name& name) : sc_module(name), socket("socket") { SC_THREAD(run); }

  std::uint32_t access(tlm::tlm_command cmd, std::uint64_t address, std::uint32_t value) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    t.set_data_length(4);
    t.set_streaming_width(4);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = access_time;
    socket->b_transport(t, delay);
    if (delay != SC_ZERO_TIME) wait(delay);
    if (t.get_response_status() != tlm::TLM_OK_RESPONSE) {
      char b[96];
      std::snprintf(b, sizeof b, "%s of 0x%08llX: %s", cmd == tlm::TLM_READ_COMMAND ? "read" : "write",
                    static_cast<unsigned long long>(address), t.get_response_string().c_str());
      errors.emplace_back(b);
    }
    return value;
  }

 private:
  void run() {
    g_cpu = this;
    script();
  }
};

std::uint64_t fnv1a(std::uint64_t h, const std::vector<std::uint8_t>& bytes) {
  for (std::uint8_t b : bytes) h = (h ^ b) * 0x100000001B3ull;
  return h;
}

// The scenario's engine shape; the engine must implement it.
dnnvp::EngineShape check_shape(const dnnvp::Scenario& s, const std::string& engine) {
  const dnnvp::EngineShape wanted =
      dnnvp::engine_shape_from_json(dnnvp::engine_shape_json(s.hardware), s.file);
  const dnnvp::EngineShape e = dnnvp::engine_kind(engine).shape(wanted);
  const auto& h = s.hardware;
  if (h.rows != e.rows || h.cols != e.cols || h.stream_bits != e.stream_bits ||
      h.activation_bits != e.act_bits || h.weight_bits != e.weight_bits || h.accumulator_bits != e.acc_bits ||
      h.accumulator_depth != e.acc_depth || h.input_buffer_kib * 1024 != e.input_buffer_bytes ||
      h.weight_buffer_kib * 1024 != e.weight_buffer_bytes ||
      h.output_buffer_kib * 1024 != e.output_buffer_bytes)
    throw dnnvp::Error(s.file + ": hardware differs from the linked engine model (" + std::to_string(e.rows) +
                       "x" + std::to_string(e.cols) + ")");
  return wanted;
}

}  // namespace

dnnvp::EngineOptions engine_options() {
  dnnvp::EngineOptions o;
  o.region = &mm::region("engine");
  return o;
}

BenchResult run_bench(const BenchOptions& opt) {
  const auto wall_start = std::chrono::steady_clock::now();
  BenchResult result;

  const dnnvp::Scenario s = dnnvp::load_scenario(opt.scenario);
  const dnnvp::EngineShape shape = check_shape(s, opt.engine);
  const dnnvp::NetworkPlan plan = dnnvp::plan_network(s);
  const dnnvp::SynthesizedModel sm = dnnvp::synthesize(s);
  const dnnvp::QuantizedModel& m = sm.model;
  const dnnvp::EngineConfig config = dnnvp::engine_config(s.hardware, s.quant);

  std::vector<std::size_t> layer_ids;
  for (std::size_t i = 0; i < m.network.layers.size(); ++i) {
    const dnnvp::Layer& l = m.network.layers[i];
    if (!l.has_weights()) continue;
    if (opt.layers.empty() || std::find(opt.layers.begin(), opt.layers.end(), l.name) != opt.layers.end())
      layer_ids.push_back(i);
  }
  if (layer_ids.empty()) throw std::invalid_argument("no engine layer selected");

  const std::size_t beat_bytes = static_cast<std::size_t>(s.hardware.stream_bits / 8);
  // r (the residual operand) stays idle: the bench runs no fused add.
  AxisChannel x("x", opt.x_capacity, beat_bytes), w("w", opt.w_capacity, beat_bytes),
      r("r", opt.x_capacity, beat_bytes), y("y", opt.y_capacity, beat_bytes);
  dnnvp::Stats stats;
  dnnvp::BusConfig bc;
  bc.initiators = {"cpu"};
  bc.targets = {{"engine", kEngineBase, mm::engine::kSize}};
  dnnvp::Bus bus("bus", bc, &stats);

  dnnvp::EngineOptions ec = engine_options();
  ec.shape = shape;
  ec.clock_period = sc_time(1000.0 / s.hardware.clock_mhz, SC_NS);
  ec.run.watchdog_cycles = opt.watchdog_cycles;
  ec.run.stall_seed = opt.stall_seed;
  ec.run.stall_probability = opt.stall_probability;
  if (opt.max_batch_cycles) ec.max_batch_cycles = opt.max_batch_cycles;
  if (opt.starved_batch_cycles) ec.starved_batch_cycles = opt.starved_batch_cycles;
  ec.trace_file = opt.trace_file;
  ec.trace_from = opt.trace_from;
  ec.trace_to = opt.trace_to;
  const std::unique_ptr<dnnvp::Engine> engine =
      dnnvp::make_engine(opt.engine, "engine", x, w, r, y, ec, &stats);
  engine->on_watchdog([&](const dnnvp::EngineWatchdogReport& r) {
    result.watchdog_text = r.text;
    result.watchdog_status = r.status;
  });

  Producer px("px", x, opt.producer_beat_time), pw("pw", w, opt.producer_beat_time);
  Consumer cy("cy", y, opt.consumer_beat_time);
  Cpu cpu("cpu");
  cpu.access_time = opt.cpu_access_time;
  cpu.socket.bind(bus.initiator_socket("cpu"));
  bus.target_socket("engine").bind(engine->socket);

  cpu.script = [&] {
    dnn_engine_t e;
    if (dnn_engine_init(&e, kEngineBase) != DNN_OK) {
      result.errors.push_back("dnn_engine_init: ID mismatch");
      return;
    }
    if (opt.enable_irq) hal_write32(kEngineBase + mm::engine::kIrq, mm::engine::kIrqEnableMask);  // tile-done
    wait(sc_time(100, SC_NS));
    result.irq_before = engine->irq_out.read();
    std::size_t packets_seen = 0;
    std::uint64_t hash = 0xCBF29CE484222325ull;
    for (std::size_t i : layer_ids) {
      const dnnvp::Layer& l = m.network.layers[i];
      const dnnvp::LayerPlan& lp = *plan.layers[i];
      const dnnvp_layer_t entry = dnnvp::engine_table_entry(m, i, lp);
      // The input as DRAM holds it and the layer as the engine runs it (the kx-im2col stem: stem.h).
      const dnnvp::Tensor& in = l.input_ids[0] < 0 ? dnnvp::engine_input(sm.input, m, plan)
                                                   : sm.outputs[static_cast<std::size_t>(l.input_ids[0])];
      const std::vector<std::uint8_t> packed_in = dnnvp::pack(in.data, entry.in_q[0].bits);
      const std::vector<std::uint8_t> blob =
          dnnvp::engine_blob(lp.engine_layer(l), m.params[i], config, lp.geometry.fold);

      dnn_engine_clear(&e);
      if (dnn_engine_set_layer(&e, &entry) != DNN_OK) {
        result.errors.push_back(l.name + ": driver refused the layer");
        return;
      }
      const std::uint32_t tiles = opt.withhold_first_band ? 1u : entry.num_tiles;
      std::vector<dnn_tile_t> tile(tiles);
      for (std::uint32_t t = 0; t < tiles; ++t) {
        dnn_engine_plan_tile(&entry, t, &tile[t]);
        if (dnn_engine_push_tile(&e, &tile[t], 1000000) != DNN_OK) {
          result.errors.push_back(l.name + ": tile " + std::to_string(t) + " not accepted");
          return;
        }
        if (!opt.withhold_first_band) {  // the band's runs as the runtime's DMA moves them (row_step: its
                                         // rows)
          std::vector<std::uint8_t> x;
          for (const dnnvp::ByteSpan& run : dnnvp::band_runs(lp.tiles[t]))
            x.insert(x.end(), packed_in.begin() + static_cast<std::ptrdiff_t>(run.offset),
                     packed_in.begin() + static_cast<std::ptrdiff_t>(run.offset + run.bytes));
          px.send(std::move(x));
        }
        pw.send(blob);
      }
      if (opt.withhold_first_band) {
        dnn_engine_wait_idle(&e, 0xFFFFFFFFu);  // polls until the watchdog stops the simulation
        result.errors.push_back("the engine went idle without its band");
        return;
      }
      while (cy.packets.size() < packets_seen + tiles) wait(cy.packet_event);
      if (dnn_engine_wait_idle(&e, 1000000) != DNN_OK) {
        result.errors.push_back(l.name + ": engine error, cause " +
                                std::to_string(dnn_engine_error_cause(&e)));
        return;
      }
      std::vector<std::uint8_t> packed_out;
      for (std::uint32_t t = 0; t < tiles; ++t) {
        const std::vector<std::uint8_t>& p = cy.packets[packets_seen + t];
        if (p.size() < tile[t].out_bytes) {
          result.errors.push_back(l.name + ": short output packet " + std::to_string(t));
          return;
        }
        packed_out.insert(packed_out.end(), p.begin(), p.begin() + tile[t].out_bytes);
      }
      packets_seen += tiles;
      hash = fnv1a(hash, packed_out);
      const std::vector<std::int32_t> out =
          dnnvp::unpack(packed_out, l.output_shape.elements(), m.params[i].out.type);
      const dnnvp::Tensor& golden = sm.outputs[i];
      LayerResult lr;
      lr.name = l.name;
      lr.tiles = tiles;
      lr.elements = out.size();
      lr.layer_macs = static_cast<std::uint64_t>(l.macs());
      for (std::size_t k = 0; k < out.size(); ++k)
        if (out[k] != golden.data[k] && lr.mismatches++ < 5)
          std::fprintf(stderr, "%s: element %zu: engine %d, golden %d\n", l.name.c_str(), k, out[k],
                       golden.data[k]);
      dnn_counters_t c;
      dnn_engine_read_counters(&e, &c);
      lr.cycles = c.cycles, lr.macs = c.macs, lr.active = c.active;
      lr.stall_input = c.stall_input, lr.stall_weight = c.stall_weight, lr.stall_output = c.stall_output;
      if (opt.print)
        std::printf(
            "%-12s %3zu tiles %8llu cycles %9llu MACs  stalls in/w/out %llu/%llu/%llu  %s\n", l.name.c_str(),
            lr.tiles, static_cast<unsigned long long>(lr.cycles), static_cast<unsigned long long>(lr.macs),
            static_cast<unsigned long long>(lr.stall_input), static_cast<unsigned long long>(lr.stall_weight),
            static_cast<unsigned long long>(lr.stall_output), lr.mismatches ? "MISMATCH" : "bit-exact");
      result.layers.push_back(lr);
    }
    result.numbers.output_hash = hash;
    result.finished = true;
  };

  const auto sim_start = std::chrono::steady_clock::now();
  sc_start();
  result.sim_wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sim_start).count();

  for (const std::string& err : cpu.errors) result.errors.push_back(err);
  result.irq_at_end = engine->irq_out.read();
  BenchNumbers& n = result.numbers;
  n.sim_time_ps = static_cast<std::uint64_t>(std::llround(sc_time_stamp().to_seconds() * 1e12));
  n.engine_cycles = engine->cycles();
  n.clocked = engine->cycles_clocked();
  n.skipped = engine->cycles_skipped();
  n.busy = engine->busy_cycles();
  n.beats_x = engine->beats('x'), n.beats_w = engine->beats('w'), n.beats_y = engine->beats('y');
  n.stalls_x = engine->stalls_injected('x'), n.stalls_w = engine->stalls_injected('w');
  n.stalls_y = engine->stalls_injected('y');
  for (const LayerResult& lr : result.layers) {
    n.counter_cycles += lr.cycles;
    n.counter_macs += lr.macs;
    n.counter_stall_input += lr.stall_input;
    n.counter_stall_output += lr.stall_output;
    n.mismatches += lr.mismatches;
  }
  n.watchdog = engine->watchdog_fired();
  result.watchdog = engine->watchdog_fired();
  result.exit_status = engine->exit_status();
  result.eval_seconds = engine->eval_seconds();
  result.summary = engine->summary();
  result.y_full_cycles = stats.value("engine.y.full_cycles").get<std::uint64_t>();
  result.x_waiting = stats.value("engine.x.waiting_cycles").get<std::uint64_t>();
  result.stats_json = stats.to_json().dump();
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace bridge_test

extern "C" std::uint32_t hal_read32(uintptr_t addr) {
  return bridge_test::g_cpu->access(tlm::TLM_READ_COMMAND, addr, 0);
}
extern "C" void hal_write32(uintptr_t addr, std::uint32_t value) {
  bridge_test::g_cpu->access(tlm::TLM_WRITE_COMMAND, addr, value);
}

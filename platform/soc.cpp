#include "soc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "dnnvp_memory_map.hpp"
#include "engine/engine_factory.h"
#include "faults/campaign.h"
#include "gdb_monitor.h"
#include "gdb_server.h"
#include "hex.h"
#include "log.h"
#include "manifest.h"

namespace dnnvp {
namespace {

namespace mm = memory_map;

sc_core::sc_time period_of(double mhz, const char* field) {
  if (!(mhz > 0.0) || !std::isfinite(mhz))
    throw std::invalid_argument(std::string(field) + " must be a positive frequency");
  // Whole picoseconds: SystemC's default resolution.
  return sc_core::sc_time(std::round(1e6 / mhz), sc_core::SC_PS);
}

// Sinks the UART log when the platform keeps none.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
};
NullBuffer null_buffer;
std::ostream null_stream(&null_buffer);

// The interrupt line a DMA channel's introut drives: the source named <dma>_<channel> in
// platform/memory_map.yaml.
unsigned irq_line(std::string_view dma, std::string_view channel) {
  const std::string name = std::string(dma) + "_" + std::string(channel);
  for (const mm::irq::Source& s : mm::irq::kSources)
    if (s.name == name) return s.line;
  throw std::logic_error("platform/memory_map.yaml: no interrupt source " + name);
}

// The shortest system watchdog window in CPU cycles (docs/platform.md, "Watchdogs").
constexpr std::uint64_t kMinWatchdogCpuCycles = 100000;

// The DMA / engine batch limit and quantum must be whole engine periods.
sc_core::sc_time whole_periods(const sc_core::sc_time& t, const sc_core::sc_time& period) {
  const double n = std::max(1.0, std::round(t / period));
  return period * n;
}

}  // namespace

const char* to_string(SocEnd end) {
  switch (end) {
    case SocEnd::kExit:
      return "exit";
    case SocEnd::kCpuFault:
      return "cpu_fault";
    case SocEnd::kDmaFault:
      return "dma_fault";
    case SocEnd::kWatchdog:
      return "watchdog";
    case SocEnd::kMaxCycles:
      return "max_cycles";
    case SocEnd::kStopped:
      return "stopped";
  }
  return "stopped";
}

std::uint64_t plan_cycle_bound(const Manifest& manifest, double stall_probability) {
  // CPU cycles, rounded up from measurements: start-up and the output check ~0.35 M (tiny_cnn,
  // jettagger), 3-30 k per layer, one element operation ~8-15 (adds, ResNet-50 and tiny_cnn; a pool's
  // window element ~9).
  constexpr double kCpuFixed = 1e6, kCpuPerLayer = 5e4, kCpuPerTile = 5e3, kCpuPerOperation = 15;
  const manifest::Hardware& hw = manifest.hardware;
  const manifest::EngineTotals& engine = manifest.totals.engine;
  double cpu = kCpuFixed;
  for (const manifest::LayerEntry& l : manifest.layers) {
    cpu += kCpuPerLayer;
    if (l.engine) {
      cpu += kCpuPerTile * static_cast<double>(l.engine->tiles);
      continue;
    }
    const manifest::Shape& shape = l.output_shape;
    double ops =
        static_cast<double>(shape[0]) * static_cast<double>(shape[1]) * static_cast<double>(shape[2]);
    if (l.window) {
      ops *= static_cast<double>(l.window->kernel[0]) * static_cast<double>(l.window->kernel[1]);
    } else {
      ops *= std::max<double>(1.0, static_cast<double>(l.inputs.size()));
    }
    cpu += kCpuPerOperation * ops;
  }
  cpu += kCpuPerOperation * static_cast<double>(manifest.result.elements);
  // A batch runs the network once per image, copying each image in and its output out (a word a few
  // operations); the start-up once.
  const double images = static_cast<double>(manifest.images.count);
  cpu += (images - 1) *
         (cpu - kCpuFixed +
          kCpuPerOperation * static_cast<double>(manifest.images.input_stride + manifest.result.bytes));
  const manifest::DramTraffic& bytes = engine.dram_bytes;
  const double dram = static_cast<double>(bytes.weights) + static_cast<double>(bytes.input) +
                      static_cast<double>(bytes.output);
  // The engine's data moves at one stream beat per cycle at best, and no faster than half the DRAM's
  // peak (a fast engine or a wide stream outruns the DRAM).
  const double clock_mhz = hw.clock_mhz;
  const double dram_per_cycle =
      0.5 * DramTiming::preset(hw.dram.preset).peak_bytes_per_second() / (clock_mhz * 1e6);
  const double bytes_per_cycle = std::min(static_cast<double>(hw.shape.stream_bits) / 8.0, dram_per_cycle);
  // Random stalls withhold a beat with the given probability: the engine's part takes 1 / (1 - p) longer.
  const double engine_cycles = images * (static_cast<double>(engine.issue_cycles) + dram / bytes_per_cycle) /
                                   (1.0 - std::clamp(stall_probability, 0.0, 0.999)) +
                               cpu * clock_mhz / hw.cpu_mhz;
  return static_cast<std::uint64_t>(std::ceil(4.0 * engine_cycles + 1e6));
}

const std::vector<std::string>& Soc::dram_initiators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"cpu"};
    for (const std::string_view dma : mm::streams::kDmas)
      for (const std::string_view channel : {"mm2s", "s2mm"})
        for (const mm::streams::Link& l : mm::streams::kLinks)
          if (l.dma == dma && l.channel == channel)
            n.push_back(std::string(dma) + "." + std::string(channel));
    return n;
  }();
  return names;
}

std::string Soc::stream_initiator(std::string_view stream) {
  const mm::streams::Link* l = mm::streams::find_link(stream);
  if (l == nullptr) throw std::logic_error("platform/memory_map.yaml names no stream " + std::string(stream));
  return std::string(l->dma) + "." + std::string(l->channel);
}

Soc::Soc(const sc_core::sc_module_name& name, const SocConfig& config)
    : sc_core::sc_module(name),
      config_(config),
      engine_period_(period_of(config.hardware.clock_mhz, "hardware.clock_mhz")),
      cpu_period_(period_of(config.hardware.cpu_mhz, "hardware.cpu_mhz")),
      beat_bytes_(
          static_cast<std::size_t>(engine_kind(config.engine).shape(config.hardware.shape).stream_bits / 8)),
      x_("x", config.stream_beats, beat_bytes_),
      w_("w", config.stream_beats, beat_bytes_),
      r_("r", config.stream_beats, beat_bytes_),
      y_("y", config.stream_beats, beat_bytes_) {
  const std::uint64_t dram_base = config.hardware.dram.base, dram_bytes = config.dram_bytes();
  if (dram_bytes % 4096 != 0 || dram_base % 4096 != 0)
    throw std::invalid_argument("dram: base and size must be multiples of 4 KiB");

  BusConfig bc;
  bc.initiators = {"cpu"};
  for (const std::string_view dma : mm::streams::kDmas) bc.initiators.emplace_back(dma);
  bc.targets = memory_map_targets(mm::kMap, dram_bytes, dram_base);
  bus_ = std::make_unique<Bus>("bus", bc, &stats_);
  bus_->on_fault([](const BusFault& f) {
    // DMA faults are reported by the DMA and CPU faults by the CPU, with more context; keep the
    // bus's own line for the log.
    log::error("bus", f.describe());
  });

  dram_ =
      std::make_unique<Dram>("dram", dram_bytes, DramTiming::preset(config.hardware.dram.preset), &stats_);

  cpu::RiscvCpu::Config cc;
  cc.clock_period = cpu_period_;
  cc.quantum = whole_periods(config.cpu_quantum, cpu_period_);
  cc.dram = {dram_base, dram_->data(), dram_bytes};
  cc.exit_address = mm::sysctl::kBase + mm::sysctl::kExit;
  cpu_ = std::make_unique<cpu::RiscvCpu>("cpu", cc);
  if (config.gdb_port) {
    try {
      gdb_ = std::make_unique<gdb::Server>(
          *config.gdb_port, *cpu_, [this](const std::string& c) { return gdb_monitor(*this, *cpu_, c); },
          config.interrupted);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(std::string("--gdb: ") + e.what());
    }
    cpu_->attach_gdb(*gdb_, config.gdb_wait);
    log::info("gdb", "listening on 127.0.0.1:" + std::to_string(gdb_->port()) +
                         " (gdb-multiarch ELF -ex 'target remote :" + std::to_string(gdb_->port()) + "')");
  }

  UartConfig uc;
  uc.quiet = !config.uart_console;
  uart_ = std::make_unique<Uart>("uart", mm::region("uart"), cpu_period_,
                                 config.uart_log ? *config.uart_log : null_stream, uc, &stats_);
  timer_ = std::make_unique<Timer>("timer", mm::region("timer"), cpu_period_, 1, &stats_);
  sysctl_ = std::make_unique<Sysctl>("sysctl", mm::region("sysctl"), cpu_period_, dram_base, dram_bytes, 1,
                                     &stats_);
  sysctl_->on_layer([this](std::uint32_t layer) { mark(layer); });

  AxiDmaConfig dc;
  dc.burst_bytes = config.dma_burst_bytes;
  dc.max_outstanding = config.dma_max_outstanding;
  // Every DMA has scatter/gather (docs/platform.md): the input bands' DMA gathers strided bands and
  // scatters outputs at a pitch, operand b's gathers a block-group tile's fused-add operand at pitch Cout.
  dc.include_sg = true;
  dc.stop_on_fault = config.stop_on_fault;
  // One DMA per region that moves a stream, its channels on the streams platform/memory_map.yaml names.
  for (const std::string_view dma : mm::streams::kDmas) {
    dc.mm2s = dc.s2mm = nullptr;
    for (const mm::streams::Link& l : mm::streams::kLinks)
      if (l.dma == dma) (l.channel == "mm2s" ? dc.mm2s : dc.s2mm) = &stream(l.name.front());
    dmas_.push_back(
        std::make_unique<AxiDma>(std::string(dma).c_str(), mm::region(dma), engine_period_, dc, &stats_));
    dmas_.back()->on_fault([](const AxiDmaFault& f) { log::error("dma", f.describe()); });
  }
  intc_ = std::make_unique<IrqCtrl>("intc", mm::region(mm::irq::kController), cpu_period_, 1, &stats_);

  EngineOptions ec;
  ec.region = &mm::region("engine");
  ec.shape = config.hardware.shape;
  ec.clock_period = engine_period_;
  ec.run = config.run;
  ec.watchdog_counts_platform_waits = false;  // the system watchdog judges those (supervise())
  ec.trace_file = config.trace_file;
  ec.trace_from = config.trace_from;
  ec.trace_to = config.trace_to;
  engine_ = make_engine(config.engine, "engine", x_, w_, r_, y_, ec, &stats_);
  engine_->on_watchdog([this](const EngineWatchdogReport& r) {
    watchdog_text_ = r.text + platform_state();  // r.text has the streams already
    log::write_report(log::Level::error, engine_->name(), watchdog_text_);
  });

  cpu_->socket.bind(bus_->initiator_socket("cpu"));
  for (std::size_t i = 0; i < dmas_.size(); ++i)
    dmas_[i]->mm_socket.bind(bus_->initiator_socket(std::string(mm::streams::kDmas[i])));
  bus_->target_socket("uart").bind(uart_->socket);
  bus_->target_socket("timer").bind(timer_->socket);
  bus_->target_socket("sysctl").bind(sysctl_->socket);
  for (std::size_t i = 0; i < dmas_.size(); ++i)
    bus_->target_socket(std::string(mm::streams::kDmas[i])).bind(dmas_[i]->socket);
  bus_->target_socket("engine").bind(engine_->socket);
  bus_->target_socket("dram").bind(dram_->socket);
  bus_->target_socket(std::string(mm::irq::kController)).bind(intc_->socket);
  // A DMA channel's introut drives the interrupt line named after it (dma0_mm2s, ...).
  for (std::size_t i = 0; i < dmas_.size(); ++i) {
    AxiDma& d = *dmas_[i];
    if (d.config().mm2s != nullptr) intc_->connect(irq_line(mm::streams::kDmas[i], "mm2s"), d.mm2s_introut);
    if (d.config().s2mm != nullptr) intc_->connect(irq_line(mm::streams::kDmas[i], "s2mm"), d.s2mm_introut);
  }
  intc_->connect(mm::irq::kEngine, engine_->irq_out);
  cpu_->meip.bind(intc_->irq_out);
  cpu_->on_wfi([this] { return wfi_check(); });

  // The CPU is no TLM-counted DRAM initiator (its DRAM accesses are DMI): its figures are its own.
  stats_.add("cpu.instructions", [this]() -> nlohmann::json { return cpu_->instructions(); });
  stats_.add("cpu.cycles", [this]() -> nlohmann::json { return cpu_->cycles(); });
  stats_.add("cpu.mmio_reads", [this]() -> nlohmann::json { return cpu_->mmio_reads(); });
  stats_.add("cpu.mmio_writes", [this]() -> nlohmann::json { return cpu_->mmio_writes(); });
  stats_.add("cpu.host_mips", [this]() -> nlohmann::json { return cpu_->host_mips(); });
  stats_.add("cpu.clock_mhz", [this]() -> nlohmann::json { return config_.hardware.cpu_mhz; });
  stats_.add("cpu.interrupts", [this]() -> nlohmann::json { return cpu_->interrupts_taken(); });
  stats_.add("cpu.wfi", [this]() -> nlohmann::json { return cpu_->wfi_count(); });
  stats_.add("cpu.wfi_cycles", [this]() -> nlohmann::json { return cpu_->wfi_time() / cpu_period_; });

  SC_THREAD(supervise);
  if (!config.faults.empty()) faults_ = std::make_unique<faults::Campaign>("faults", *this, config.faults);
}

Soc::~Soc() = default;

void Soc::claim(const std::string& what, std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return;
  for (const Claim& c : claims_)
    if (begin < c.end && c.begin < end)
      throw std::runtime_error(what + " [" + hex(begin) + ", " + hex(end) + ") overlaps " + c.what + " [" +
                               hex(c.begin) + ", " + hex(c.end) +
                               ") in DRAM: the firmware must be linked for the scenario's dram.firmware_mib "
                               "(tools/build_firmware.sh does; docs/platform.md, \"Memory layout\")");
  claims_.push_back({what, begin, end});
}

void Soc::load_firmware(const std::string& elf_path) {
  const cpu::ElfImage& image = cpu_->load_elf(elf_path);
  for (const cpu::ElfSegment& s : image.segments)
    claim("firmware segment " + hex(s.paddr) + " of " + elf_path, s.paddr,
          std::uint64_t{s.paddr} + s.mem_size);
  // dnnvp_fw.ld: the heap and the stack fill the reservation from the end of the image to __stack.
  std::uint64_t image_end = 0;
  for (const cpu::ElfSegment& s : image.segments)
    image_end = std::max(image_end, std::uint64_t{s.paddr} + s.mem_size);
  if (const std::optional<std::uint32_t> stack = image.symbol("__stack"))
    claim("firmware heap and stack", image_end, *stack);
}

void Soc::load_file(std::uint64_t address, const std::string& path) {
  const std::uint64_t base = config_.hardware.dram.base, end = base + config_.dram_bytes();
  if (address < base || address >= end)
    throw std::runtime_error(path + ": load address " + hex(address) + " is outside DRAM [" + hex(base) +
                             ", " + hex(end) + ")");
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec) claim(path, address, address + size);  // else Dram::load_file names the problem
  try {
    dram_->load_file(address - base, path);
  } catch (const std::out_of_range&) {
    throw std::runtime_error(path + ": does not fit DRAM at " + hex(address) + " (dram.size_mib)");
  }
}

const std::uint8_t* Soc::dram_at(std::uint64_t address, std::uint64_t length) const {
  if (address < config_.hardware.dram.base) throw std::out_of_range(hex(address) + " is below DRAM");
  return std::as_const(*dram_).ptr(address - config_.hardware.dram.base, length);
}

std::uint64_t Soc::engine_cycles_at(const sc_core::sc_time& t) const {
  return static_cast<std::uint64_t>(t / engine_period_);
}

void Soc::mark(std::uint32_t layer) {
  LayerMark m{layer, sc_core::sc_time_stamp(), {}, wall_seconds()};
  for (const std::string& i : dram_initiators()) m.dram.push_back(dram_->counters(i));
  marks_.push_back(std::move(m));
  for (const auto& observer : layer_observers_) observer(marks_.back());
}

std::string Soc::dma_state(const AxiDma& dma, const std::string& name) const {
  std::ostringstream o;
  for (const AxiDma::Channel c : {AxiDma::kMm2s, AxiDma::kS2mm}) {
    if ((c == AxiDma::kMm2s ? dma.config().mm2s : dma.config().s2mm) == nullptr) continue;
    const AxiDma::ChannelCounters& k = dma.counters(c);
    o << "  " << name << (c == AxiDma::kMm2s ? ".mm2s" : ".s2mm") << ": DMASR " << hex(dma.status(c))
      << (dma.halted(c) ? " halted" : "") << (dma.idle(c) ? " idle" : "") << (dma.busy(c) ? " busy" : "")
      << ", " << k.transfers << " transfers, " << k.bytes << " bytes, " << k.errors << " errors\n";
  }
  return o.str();
}

// A line can still rise while its device works: a DMA channel with a transfer in flight, the busy engine.
std::string Soc::wfi_check() const {
  const std::uint32_t enabled = intc_->enabled();
  struct Line {
    unsigned line;
    std::string name;
    bool can_rise;
  };
  std::vector<Line> lines;
  for (std::size_t i = 0; i < dmas_.size(); ++i)
    for (const AxiDma::Channel c : {AxiDma::kMm2s, AxiDma::kS2mm})
      if ((c == AxiDma::kMm2s ? dmas_[i]->config().mm2s : dmas_[i]->config().s2mm) != nullptr)
        lines.push_back({irq_line(mm::streams::kDmas[i], c == AxiDma::kMm2s ? "mm2s" : "s2mm"),
                         dmas_[i]->initiator_name(c), dmas_[i]->busy(c)});
  lines.push_back({mm::irq::kEngine, "engine", engine_->busy()});
  std::ostringstream o;
  for (const Line& l : lines) {
    if (!(enabled & (1u << l.line))) continue;
    if (l.can_rise) return "";
    o << (o.tellp() > 0 ? ", " : "") << l.name << " idle";
  }
  return "no enabled interrupt line can rise (intc ENABLE " + hex(enabled) +
         (o.tellp() > 0 ? ": " + o.str() : std::string(": no line enabled")) + ")";
}

double Soc::wall_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
}

std::string Soc::state_report() const {
  return engine_->stream_state() + platform_state();
}

std::string Soc::platform_state() const {
  std::ostringstream o;
  for (std::size_t i = 0; i < dmas_.size(); ++i)
    o << dma_state(*dmas_[i], std::string(mm::streams::kDmas[i]));
  o << "  cpu: " << cpu_->instructions() << " instructions, " << cpu_->mmio_reads() << " MMIO reads, "
    << cpu_->mmio_writes() << " MMIO writes" << (cpu_->halted() ? ", halted" : "") << "\n";
  if (!marks_.empty() && marks_.back().layer != 0xFFFFFFFFu)
    o << "  firmware: in layer " << marks_.back().layer << "\n";
  return o.str();
}

// The system watchdog (docs/platform.md, "Watchdogs"). It wakes every `step`: an eighth of the window,
// but at least two CPU quanta, because the CPU runs a quantum ahead and its counters move only when it
// synchronises (so every step holds at least one whole quantum of the CPU). A step is
// quiet when nothing outside the CPU moved (no stream byte, DMA byte, work issued by the engine, UART
// character, layer mark or MMIO write) and the CPU either executed nothing or its loop probe finds it
// waiting (a loop that repeats its state or only reads registers). It fires after quiet steps covering
// watchdog_cycles engine cycles, at least two steps and kMinWatchdogCpuCycles.
void Soc::supervise() {
  using Probe = cpu::RiscvCpu::LoopProbe;
  const std::uint64_t wd = config_.run.watchdog_cycles;
  const std::uint64_t step_cycles = wd != 0 ? std::max<std::uint64_t>(1, wd / 8) : 250000;
  sc_core::sc_time step = engine_period_ * static_cast<double>(step_cycles);
  if (wd != 0) step = std::max(step, 2 * cpu_->quantum());
  // Nor shorter than kMinWatchdogCpuCycles of the CPU: a short read loop (say, reading the engine's
  // counters) waits for nothing, yet looks like a poll while it runs.
  const sc_core::sc_time window = std::max({engine_period_ * static_cast<double>(wd), 2 * step,
                                            cpu_period_ * static_cast<double>(kMinWatchdogCpuCycles)});
  const auto wall_start = std::chrono::steady_clock::now();
  auto last_print = wall_start;

  auto fingerprint = [this]() {
    std::uint64_t f = x_.bytes_in() + w_.bytes_in() + r_.bytes_in() + y_.bytes_in() +
                      engine_->compute_cycles() + uart_->tx_bytes() + marks_.size() + cpu_->mmio_writes();
    for (const std::unique_ptr<AxiDma>& d : dmas_)
      f += d->counters(AxiDma::kMm2s).bytes + d->counters(AxiDma::kS2mm).bytes;
    return f;
  };
  std::uint64_t last_fp = fingerprint(), last_insns = cpu_->instructions();
  sc_core::sc_time quiet;
  cpu_->arm_loop_probe();

  for (;;) {
    sc_core::wait(step);
    if (cpu_->halted()) return;
    const std::uint64_t fp = fingerprint(), insns = cpu_->instructions();
    const Probe probe = cpu_->loop_probe();
    const bool cpu_stuck = insns == last_insns;
    if (fp != last_fp || (!cpu_stuck && probe == Probe::kWorking)) {
      quiet = sc_core::SC_ZERO_TIME;
      cpu_->arm_loop_probe();
    } else if (cpu_stuck || probe == Probe::kWaiting) {
      quiet += step;
    }  // else the probe has not decided yet: neither quiet nor progress
    last_fp = fp, last_insns = insns;
    if (wd != 0 && quiet >= window && !system_watchdog_fired_) {
      system_watchdog_fired_ = true;
      std::ostringstream o;
      o << name() << ": watchdog: no progress for " << engine_cycles_at(quiet) << " engine cycles at "
        << sc_core::sc_time_stamp() << ": ";
      if (cpu_stuck && cpu_->in_wfi())
        o << "the CPU sleeps in wfi (intc PENDING " << hex(intc_->pending()) << ", ENABLE "
          << hex(intc_->enabled()) << ")";
      else if (cpu_stuck)
        o << "the CPU executes nothing";
      else if (cpu_->loop_probe_polls())
        o << "the CPU only polls (a loop at PC " << hex(cpu_->loop_probe_pc())
          << " reads registers, nothing else)";
      else
        o << "the CPU spins in a loop at PC " << hex(cpu_->loop_probe_pc()) << " that changes nothing";
      o << "; no stream, DMA, engine work or UART activity; engine " << (engine_->busy() ? "busy" : "idle")
        << "\n"
        << engine_->stop_report() << platform_state();
      watchdog_text_ = o.str();
      log::write_report(log::Level::error, name(), watchdog_text_);
      sc_core::sc_stop();
      return;
    }
    if (config_.progress_seconds > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_print).count() >= config_.progress_seconds) {
        last_print = now;
        const double wall = std::chrono::duration<double>(now - wall_start).count();
        const std::uint64_t cycles = engine_cycles_at(sc_core::sc_time_stamp());
        std::ostringstream o;
        o << std::fixed << std::setprecision(1) << wall << " s: " << cycles << " engine cycles ("
          << std::setprecision(2) << cycles / wall / 1e6 << " M/s)";
        if (!marks_.empty() && marks_.back().layer != 0xFFFFFFFFu) o << ", layer " << marks_.back().layer;
        o << ", " << cpu_->instructions() << " instructions";
        log::info("vp", o.str());
      }
    }
  }
}

const SocOutcome& Soc::run() {
  if (ran_) throw std::logic_error("Soc::run() called twice");
  ran_ = true;
  if (config_.run.max_cycles != 0)
    sc_core::sc_start(engine_period_ * static_cast<double>(config_.run.max_cycles));
  else
    sc_core::sc_start();
  uart_->flush();

  SocOutcome& o = outcome_;
  o.time = sc_core::sc_time_stamp();
  o.cycles = engine_cycles_at(o.time);
  std::ostringstream msg;
  const bool dma_faults = std::any_of(dmas_.begin(), dmas_.end(),
                                      [](const std::unique_ptr<AxiDma>& d) { return d->fault_count() != 0; });
  if (dma_faults && config_.stop_on_fault) {
    o.end = SocEnd::kDmaFault;
    for (const std::unique_ptr<AxiDma>& d : dmas_)
      for (const AxiDmaFault& f : d->faults()) msg << "DMA fault: " << f.describe() << "\n";
  } else if (cpu_->fault()) {
    o.end = SocEnd::kCpuFault;
    msg << "CPU fault: " << cpu_->fault()->message() << "\n";
  } else if (engine_->watchdog_fired() || system_watchdog_fired_) {
    o.end = SocEnd::kWatchdog;
    msg << watchdog_text_;
  } else if (sysctl_->exit_requested()) {
    o.end = SocEnd::kExit;
    o.exit_code = static_cast<std::int32_t>(*sysctl_->exit_code());
  } else if (cpu_->halt_reason() == cpu::HaltReason::kExit) {
    o.end = SocEnd::kExit;
    o.exit_code = cpu_->exit_code();
  } else if (config_.run.max_cycles != 0 && o.cycles >= config_.run.max_cycles) {
    o.end = SocEnd::kMaxCycles;
    msg << "max cycles: the run reached " << config_.run.max_cycles << " engine cycles (--max-cycles / "
        << "run.max_cycles) without the firmware exiting\n"
        << state_report();
  } else {
    o.end = SocEnd::kStopped;
    msg << "the simulation stopped at " << o.time << " without the firmware exiting\n" << state_report();
  }
  // Without stop_on_fault the firmware saw these in DMASR (and Err_Irq): whatever it did, they happened.
  if (dma_faults && !config_.stop_on_fault)
    for (const std::unique_ptr<AxiDma>& d : dmas_)
      for (const AxiDmaFault& f : d->faults()) msg << "DMA error (DMASR, Err_Irq): " << f.describe() << "\n";
  o.message = msg.str();
  return o;
}

}  // namespace dnnvp

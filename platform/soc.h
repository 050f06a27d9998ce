// The dnn-vp SoC: the RISC-V CPU, the bus, the DRAM, UART, timer, sysctl, the interrupt controller, three
// AXI DMAs and the engine
// (SocConfig::engine names the implementation, models/engine/engine_factory.h), wired as
// platform/memory_map.yaml says (docs/platform.md, "The SoC"): each model gets its region of the generated
// table (memory_map::region("uart"), ...), the bus one target per region (memory_map::kMap).
//
//   cpu ──┐                         ┌── uart, timer, sysctl
//   dma0 ─┼── bus ──────────────────┼── dma0, dma1, dma2 registers, engine registers
//   dma1 ─┤                         └── dram
//   dma2 ─┘
//   dma0 MM2S ──x──▶ engine ──y──▶ dma0 S2MM          dma1 MM2S ──w──▶ engine
//   dma2 MM2S ──r──▶ engine (residual operand of fused adds)
//   dma0/1/2 introut, engine irq_out ──▶ intc ──▶ cpu.meip (lines: memory_map.yaml `interrupts:`)
//
// One Soc per process (SystemC elaborates once). Typical use:
//
//   dnnvp::Soc soc("soc", config);
//   soc.load_firmware("firmware.elf");
//   soc.load_file(0x81000000, "weights.bin");
//   const dnnvp::SocOutcome& o = soc.run();      // sc_start() until the firmware exits or something stops it
//
// The run ends with the first of: the firmware writing sysctl EXIT (or `ecall` exit), a CPU fault (a wfi
// that nothing can wake is one), a DMA fault with stop_on_fault (else a DMA error only sets DMASR's error
// bits and Err_Irq, as PG021 says, and the firmware handles it), the engine's watchdog (engine busy, no
// progress), the system watchdog (nothing but CPU polling or sleeping for watchdog_cycles), or
// max_cycles. Faults and watchdog reports are printed on stderr as they happen and kept in the outcome;
// DMA errors the firmware saw are listed in the outcome's message however the run ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "axi_dma.h"
#include "axis_channel.h"
#include "bus.h"
#include "dram.h"
#include "engine/engine.h"
#include "faults/fault_spec.h"
#include "irq_ctrl.h"
#include "manifest.h"
#include "riscv_cpu.h"
#include "run_settings.h"
#include "stats.h"
#include "sysctl.h"
#include "timer.h"
#include "uart.h"

namespace dnnvp {
namespace gdb {
class Server;
}
namespace faults {
class Campaign;
}

struct SocConfig {
  // The engine implementation (engine_names(), models/engine/engine_factory.h).
  std::string engine = "rtl";
  // The scenario's hardware (hw.json; no defaults here, a SoC is built from a scenario): clock_mhz (the
  // engine, the DMAs and the streams), cpu_mhz, dram (preset, base, size_mib). Its engine shape must be
  // the engine's own (vp_sim checks it); its quantization is the generators'.
  manifest::Hardware hardware;
  sc_core::sc_time cpu_quantum{10, sc_core::SC_US};
  std::size_t stream_beats = 64;  // capacity of each AXI-Stream channel (x, w, y)
  std::size_t dma_burst_bytes = 256;
  std::size_t dma_max_outstanding = 4;
  RunSettings run;         // the effective settings (run_options.h: the scenario's with the options applied)
  std::string trace_file;  // FST of the engine (needs a model built with tracing)
  std::uint64_t trace_from = 0, trace_to = ~std::uint64_t{0};
  bool uart_console = true;          // firmware output on stdout (the UART log gets it either way)
  std::ostream* uart_log = nullptr;  // null: no log
  double progress_seconds = 0;       // wall seconds between progress lines on stderr; 0: none
  // gdb (docs/debugging.md): serve gdb on this TCP port of 127.0.0.1 (0: any free port), the first
  // instruction waiting for it with gdb_wait; the layer names `monitor layer` shows (manifest order).
  std::optional<std::uint16_t> gdb_port;
  bool gdb_wait = false;
  std::vector<std::string> layer_names;
  // A DMA error stops the simulation at once (SocEnd::kDmaFault; vp_run --stop-on-fault).
  bool stop_on_fault = false;
  // Whether a signal asked the run to end (vp_sim's handler): the gdb server then lets go of gdb.
  std::function<bool()> interrupted;
  // Faults to inject (platform/faults/, docs/debugging.md "Fault injection"); empty: none, and no cost.
  std::vector<faults::Spec> faults;

  std::uint64_t dram_bytes() const { return hardware.dram.size_mib << 20; }
};

enum class SocEnd {
  kExit,       // the firmware exited (exit code in SocOutcome)
  kCpuFault,   // CPU fault (bus error, unmapped or misaligned access, illegal instruction, ...)
  kDmaFault,   // a DMA channel failed (decode/slave error, packet too long) with stop_on_fault
  kWatchdog,   // no progress (engine or system watchdog)
  kMaxCycles,  // max_cycles reached
  kStopped,    // the simulation stopped for another reason
};
const char* to_string(SocEnd end);

struct SocOutcome {
  SocEnd end = SocEnd::kStopped;
  std::optional<std::int32_t> exit_code;  // kExit
  std::string message;                    // one paragraph: what ended the run (fault, watchdog report)
  sc_core::sc_time time;                  // simulated time at the end
  std::uint64_t cycles = 0;               // the same in engine clock cycles
};

// A sysctl LAYER write: the time and the DRAM counters of each initiator at that moment.
struct LayerMark {
  std::uint32_t layer;  // model.h index, or 0xFFFFFFFF (done)
  sc_core::sc_time time;
  std::vector<DramCounters> dram;  // in Soc::dram_initiators() order
  double wall_seconds;             // host time since the SoC was constructed
};

// The default run bound in engine cycles, from the plan in a vp_gen manifest (manifest.json) and the
// stall probability; used when run.max_cycles is 0 and no --max-cycles is given, so a hung firmware stops.
// docs/platform.md, "Watchdogs and the run bound", gives the formula.
std::uint64_t plan_cycle_bound(const Manifest& manifest, double stall_probability = 0.0);

class Soc : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Soc);
  // Throws std::invalid_argument naming the problem for an impossible configuration (clock, DRAM size
  // or base, preset, an unknown engine).
  Soc(const sc_core::sc_module_name& name, const SocConfig& config);
  ~Soc() override;

  // Before run(): the firmware ELF (throws cpu::ElfError) and files copied into DRAM at bus addresses
  // (throws std::runtime_error naming the file and the address when it does not fit). Every loaded
  // region is claimed: the firmware's segments, its heap and stack (from the image's end to the linker's
  // __stack, when the ELF has it) and each file; a region that overlaps one claimed earlier throws
  // std::runtime_error naming both regions and their addresses (a firmware linked for a larger
  // dram.firmware_mib than the model leaves it would otherwise corrupt the model silently).
  void load_firmware(const std::string& elf_path);
  void load_file(std::uint64_t address, const std::string& path);

  // Runs the simulation to its end (see the file comment); call once.
  const SocOutcome& run();
  const SocOutcome& outcome() const { return outcome_; }

  const SocConfig& config() const { return config_; }
  Stats& stats() { return stats_; }
  const Dram& dram() const { return *dram_; }
  Dram& dram() { return *dram_; }
  // The engine stream 'x', 'w', 'r' or 'y'.
  AxisChannel& stream(char name) { return name == 'x' ? x_ : name == 'w' ? w_ : name == 'r' ? r_ : y_; }
  // The armed faults (SocConfig::faults), or null.
  const faults::Campaign* faults() const { return faults_.get(); }
  const cpu::RiscvCpu& cpu() const { return *cpu_; }
  const Engine& engine() const { return *engine_; }
  const Sysctl& sysctl() const { return *sysctl_; }
  const IrqCtrl& intc() const { return *intc_; }
  IrqCtrl& intc() { return *intc_; }
  // The DMAs, in the order of platform/memory_map.yaml's `streams` (memory_map::streams::kDmas).
  std::size_t dma_count() const { return dmas_.size(); }
  const AxiDma& dma(std::size_t index) const { return *dmas_.at(index); }
  // Observation points for traces (platform/trace/) and faults, set before run(): the models to hook, and
  // calls at every layer mark once it is recorded (each on_layer adds one; none by default).
  Bus& bus() { return *bus_; }
  cpu::RiscvCpu& cpu() { return *cpu_; }
  Engine& engine() { return *engine_; }
  AxiDma& dma(std::size_t index) { return *dmas_.at(index); }
  void on_layer(std::function<void(const LayerMark&)> observer) {
    layer_observers_.push_back(std::move(observer));
  }
  // The gdb server (SocConfig::gdb_port), or null.
  const gdb::Server* gdb_server() const { return gdb_.get(); }
  // Bytes of DRAM at a bus address (for reading results); throws std::out_of_range outside DRAM.
  const std::uint8_t* dram_at(std::uint64_t address, std::uint64_t length) const;

  // The initiators whose DRAM traffic is counted: "cpu", then each DMA channel ("dma0.mm2s", ...).
  static const std::vector<std::string>& dram_initiators();
  // The DMA channel that moves engine stream `stream` (x, w, r, y), as its DRAM initiator ("dma0.mm2s").
  static std::string stream_initiator(std::string_view stream);
  const std::vector<LayerMark>& layer_marks() const { return marks_; }

  sc_core::sc_time engine_period() const { return engine_period_; }
  std::uint64_t engine_cycles_at(const sc_core::sc_time& t) const;

  // The state of every stream and DMA channel, one line each (what the watchdogs print).
  std::string state_report() const;
  // Host seconds since construction.
  double wall_seconds() const;

 private:
  void supervise();  // system watchdog and progress lines
  std::string dma_state(const AxiDma& dma, const std::string& name) const;
  std::string platform_state() const;  // DMA channels, CPU, firmware layer
  std::string wfi_check() const;       // why no enabled interrupt line can rise ("" if one can)
  void mark(std::uint32_t layer);
  // Claims [begin, end) of DRAM for `what`; throws std::runtime_error if it overlaps a claimed region.
  void claim(const std::string& what, std::uint64_t begin, std::uint64_t end);

  SocConfig config_;
  sc_core::sc_time engine_period_, cpu_period_;
  Stats stats_;
  std::size_t beat_bytes_;  // of the engine's streams
  AxisChannel x_, w_, r_, y_;
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<Dram> dram_;
  std::unique_ptr<cpu::RiscvCpu> cpu_;
  std::unique_ptr<Uart> uart_;
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<Sysctl> sysctl_;
  std::unique_ptr<IrqCtrl> intc_;
  std::vector<std::unique_ptr<AxiDma>> dmas_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<gdb::Server> gdb_;
  std::unique_ptr<faults::Campaign> faults_;

  struct Claim {
    std::string what;
    std::uint64_t begin, end;
  };
  std::vector<Claim> claims_;  // DRAM regions loaded so far (firmware, stack, files)
  std::vector<LayerMark> marks_;
  std::vector<std::function<void(const LayerMark&)>> layer_observers_;
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
  bool system_watchdog_fired_ = false;
  std::string watchdog_text_;
  SocOutcome outcome_;
  bool ran_ = false;
};

}  // namespace dnnvp

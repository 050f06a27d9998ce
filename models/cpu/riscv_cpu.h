// RV32IMC instruction-set simulator: Unicorn 2 (UC_ARCH_RISCV, UC_MODE_RISCV32) wrapped as a TLM-2.0
// initiator with temporal decoupling (docs/platform.md, section "CPU").
//
//  * DRAM is mapped into Unicorn with uc_mem_map_ptr onto the DRAM model's own backing store: the CPU, the
//    DMAs and the engine see the same bytes. CPU accesses to DRAM are therefore NOT timed by the DRAM model
//    and cost no extra time: every instruction, load and store included, takes one clock period (CPI 1).
//  * Every other access goes out on `socket` as a blocking b_transport with the CPU's local-time offset as
//    the delay; the delay the target returns is kept (bus and peripheral latency adds to the CPU's time).
//  * The ISS runs in batches of n = ceil((time to the next quantum boundary) / period) instructions; the
//    quantum keeper syncs at quantum boundaries (the quantum must be a multiple of the period).
//  * CSRs: reads of the counters (cycle, time, instret, their high halves, mcycle, minstret) return
//    simulated values and mhartid reads 0; the machine trap CSRs (mstatus, mie, mip, mtvec, mscratch,
//    mepc, mcause, mtval) are modelled by the CPU itself; every other CSR access, and every write of a
//    counter, is a fault naming the CSR (Unicorn would return host clock ticks for the counters and
//    cannot raise RISC-V interrupts).
//  * Halts: an exit (a write to Config::exit_address, or `ecall` with a7 = 93 and the code in a0), a fault
//    (bus error response, access outside every mapped window, misaligned MMIO access, illegal instruction,
//    unsupported CSR access, fetch outside DRAM, `ebreak`, any other trap), or the simulation being stopped
//    by someone else.
//  * Interrupts (docs/platform.md, "Interrupts"): the machine external interrupt only, from the `meip`
//    port (the interrupt controller's output). Unicorn cannot raise RISC-V interrupts, so trap entry is
//    emulated between batches: when mstatus.MIE, mie.MEIE and mip.MEIP are set, mepc = the next PC,
//    mcause = 0x8000000B, mstatus.MPIE = MIE, MIE = 0, and the CPU goes on at mtvec (direct mode; vectored
//    mode: base + 4 * 11); `mret` returns. A batch ends after every write of mstatus or mie and after
//    mret, so an interrupt they unmask is taken at once; one raised while a batch runs waits for the
//    batch's end (at most a quantum). `wfi` ends the batch, lets simulated time catch up with the CPU and
//    sleeps until mip.MEIP & mie.MEIE (mstatus.MIE does not matter, as the privileged spec says); a wfi
//    that nothing can wake (mie.MEIE = 0, no interrupt input, or the platform's wfi check says no
//    enabled source can fire) is a kWfi fault, not a hang.
//  * gdb (docs/debugging.md): attach_gdb() makes the CPU the target of a gdb server (gdb_server.h); it
//    implements gdb::Target (registers, memory, breakpoints, watchpoints on its DRAM and MMIO accesses).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "elf_loader.h"
#include "gdb_protocol.h"

struct uc_struct;  // Unicorn's engine (uc_engine); kept out of this header

namespace dnnvp::gdb {
class Server;
}

namespace dnnvp::cpu {

// The DRAM the CPU maps directly: bus address base, the model's backing store and its size. Base and size
// must be multiples of 4 KiB (Unicorn's page size).
struct DramRegion {
  std::uint64_t base = 0;
  std::uint8_t* host = nullptr;
  std::uint64_t size = 0;
};

// An address window whose accesses go to the initiator socket (4 KiB aligned).
struct MmioWindow {
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

enum class HaltReason {
  kNone,               // not halted (not started yet, or running)
  kExit,               // exit code written to exit_address, or ecall exit
  kFault,              // see fault()
  kSimulationStopped,  // sc_stop() was called by another module while the CPU was running
};

enum class FaultKind {
  kBusError,            // the TLM target answered with an error response
  kUnmapped,            // load/store outside DRAM and outside every MMIO window
  kMisaligned,          // misaligned MMIO access (or DRAM access with Config::strict_dram_alignment)
  kFetch,               // instruction fetch outside DRAM
  kIllegalInstruction,  // undecodable or unsupported instruction
  kCsr,                 // a CSR access the CPU does not model (see the file comment)
  kBreakpoint,          // ebreak / c.ebreak
  kEcall,               // ecall other than exit (a7 = 93)
  kTrap,                // any other trap Unicorn reports
  kWfi,                 // wfi with nothing that can wake the CPU
  kNoProgram,           // the simulation started before load_elf()
  kInternal,            // Unicorn returned an unexpected error
};

const char* to_string(FaultKind kind);
const char* to_string(HaltReason reason);

struct CpuFault {
  FaultKind kind = FaultKind::kInternal;
  std::uint32_t pc = 0;            // the instruction that faulted (for kFetch: the address fetched)
  bool has_access = false;         // address/size/is_write/response are meaningful
  std::uint64_t address = 0;
  unsigned size = 0;               // bytes
  bool is_write = false;
  tlm::tlm_response_status response = tlm::TLM_OK_RESPONSE;  // for kBusError
  std::string detail;              // extra text (Unicorn error, trap cause, instruction word)
  sc_core::sc_time time;           // simulated time of the fault (CPU's local view)

  // One line, e.g. "bus error: write of 4 bytes to 0x20000000 at pc 0x80000124: TLM_ADDRESS_ERROR_RESPONSE".
  std::string message() const;
};

class RiscvCpu : public sc_core::sc_module, public gdb::Target {
 public:
  struct Config {
    sc_core::sc_time clock_period{10, sc_core::SC_NS};  // 100 MHz
    sc_core::sc_time quantum{10, sc_core::SC_US};       // multiple of clock_period
    DramRegion dram;
    // Windows forwarded to the socket. Empty: everything outside DRAM (the whole 32-bit space) is forwarded
    // and the bus decides (its address error becomes a kBusError fault).
    std::vector<MmioWindow> mmio;
    // A successful write here halts the CPU with kExit and the written value as exit code (the platform's
    // sysctl EXIT register; the write still reaches the bus, whose model ends the simulation).
    std::optional<std::uint64_t> exit_address;
    // After a halt (other than through exit_address, whose device stops the simulation itself) call
    // sc_stop(), after letting simulated time catch up with the CPU's local time.
    bool stop_simulation_on_halt = true;
    // Fault misaligned DRAM loads/stores too. Off by default: it needs a Unicorn memory hook on every
    // access (about a third slower); without it misaligned DRAM accesses are performed (as hardware with
    // misaligned support would). Misaligned MMIO accesses always fault.
    bool strict_dram_alignment = false;
    // Print a one-line report of a fault to stderr when it happens.
    bool report_faults = true;
    // Stack of the SC_THREAD that runs Unicorn (uc_emu_start nests deeply; SystemC's default stack is far
    // too small for it).
    std::size_t thread_stack_bytes = 16u << 20;
  };

  tlm_utils::simple_initiator_socket<RiscvCpu> socket;  // name "socket"
  // Machine external interrupt input, mip.MEIP (the interrupt controller's output); unbound: never set.
  sc_core::sc_port<sc_core::sc_signal_in_if<bool>, 1, sc_core::SC_ZERO_OR_MORE_BOUND> meip;

  SC_HAS_PROCESS(RiscvCpu);
  RiscvCpu(sc_core::sc_module_name name, const Config& config);
  // Convenience: the four essentials, the rest as in Config.
  RiscvCpu(sc_core::sc_module_name name, sc_core::sc_time clock_period, sc_core::sc_time quantum,
           DramRegion dram, std::vector<MmioWindow> mmio = {});
  ~RiscvCpu() override;
  RiscvCpu(const RiscvCpu&) = delete;
  RiscvCpu& operator=(const RiscvCpu&) = delete;

  // Parses, checks and copies the executable into DRAM (through the host pointer) and sets the PC to its
  // entry point. Call before sc_start(). Throws ElfError.
  const ElfImage& load_elf(const std::string& path);
  const ElfImage& load_elf(ElfImage image);
  const ElfImage* image() const { return image_ ? &*image_ : nullptr; }
  void set_pc(std::uint32_t pc);

  // Status.
  bool halted() const { return halt_ != HaltReason::kNone; }
  HaltReason halt_reason() const { return halt_; }
  // The exit code (kExit only).
  std::optional<std::int32_t> exit_code() const { return exit_code_; }
  const std::optional<CpuFault>& fault() const { return fault_; }
  // Process exit status for a platform: the exit code for kExit, 1 for a fault or no halt, 2 if stopped.
  int exit_status() const;

  // Statistics (plain counters; register them in a stats registry with these getters).
  std::uint64_t instructions() const { return instructions_; }   // retired (attempted, for a fault)
  std::uint64_t cycles() const { return instructions_; }         // CPI 1
  sc_core::sc_time busy_time() const { return clock_period_ * static_cast<double>(instructions_); }
  // Sum of the delay that targets added to MMIO accesses (bus and peripheral latency).
  sc_core::sc_time mmio_delay() const { return mmio_delay_; }
  std::uint64_t mmio_reads() const { return mmio_reads_; }
  std::uint64_t mmio_writes() const { return mmio_writes_; }
  std::uint64_t batches() const { return batches_; }            // uc_emu_start calls
  std::uint64_t quantum_syncs() const { return syncs_; }
  // Simulated time at which the CPU halted (its local view: may be ahead of sc_time_stamp()).
  sc_core::sc_time halt_time() const { return halt_time_; }
  double host_seconds() const { return host_seconds_; }        // wall time from start to halt (or last sync)
  double host_mips() const;                                    // instructions / host_seconds / 1e6
  std::string summary() const;                                 // one line: instructions, cycles, MIPS, halt

  // Loop probe, for a platform's watchdog (docs/platform.md, "Watchdogs"). arm_loop_probe() anchors on
  // the PC of the next instruction; each return to it closes an iteration, judged from the registers
  // x1..x31 there and the MMIO accesses since the last return: the same registers, or MMIO reads and no
  // MMIO write, is *waiting* (a spin, or a poll, also one counting down a budget); anything else is
  // work. kWaiting after two waiting iterations while the CPU stays in the loop; kWorking (and the probe
  // disarms) on a working iteration or when an iteration runs far longer than the last (the CPU left
  // the loop); kPending until then. Costs a comparison per instruction and a register read per
  // iteration while armed.
  enum class LoopProbe { kPending, kWaiting, kWorking };
  void arm_loop_probe();
  LoopProbe loop_probe() const { return probe_.result; }
  std::uint32_t loop_probe_pc() const { return probe_.pc; }  // the loop's anchor
  bool loop_probe_polls() const { return probe_.polls; }    // a waiting iteration read MMIO

  // Called after every batch of instructions with the PC the next one starts at and the CPU's local time
  // (platform/trace/ samples the PC so); null, the default: nothing is called.
  void on_batch(std::function<void(std::uint32_t pc, const sc_core::sc_time& time)> observer) {
    batch_observer_ = std::move(observer);
  }

  // Called when a wfi is about to sleep (mie.MEIE set, MEIP low), after simulated time has caught up
  // with the CPU: why no interrupt can come ("" if one can). A non-empty answer is a kWfi fault naming
  // it. Null, the default: the CPU sleeps.
  void on_wfi(std::function<std::string()> why_nothing_wakes) { wfi_check_ = std::move(why_nothing_wakes); }
  std::uint64_t interrupts_taken() const { return interrupts_; }
  std::uint64_t wfi_count() const { return wfis_; }
  sc_core::sc_time wfi_time() const { return wfi_time_; }  // simulated time slept in wfi
  bool in_wfi() const { return sleeping_; }

  // Architectural state (after a halt, or between simulation phases).
  std::uint32_t pc() const;
  std::uint32_t reg(unsigned index) const;  // x0..x31

  sc_core::sc_time clock_period() const { return clock_period_; }
  sc_core::sc_time quantum() const { return quantum_; }
  // The CPU's view of simulated time: sc_time_stamp() plus its local offset (up to a quantum ahead).
  sc_core::sc_time local_time() const { return qk_.get_current_time(); }

  // gdb (docs/debugging.md). Before sc_start(): the CPU serves `server` (which must outlive the run)
  // between batches of instructions. It stops at breakpoints, at watchpoints on its own DRAM and MMIO
  // accesses (before the accessing instruction, as gdb's RISC-V target expects), after a step, and on
  // Ctrl-C or a new connection; while stopped it blocks its thread in the server, so nothing in the
  // simulation moves. With wait_for_connection the first instruction waits for gdb. Detaching removes
  // every breakpoint and watchpoint, and the run goes on as if gdb had never been there.
  void attach_gdb(gdb::Server& server, bool wait_for_connection);
  // The last MMIO access the CPU made to the 32-bit word at `address` (kept while gdb is attached), or
  // null: what the platform's monitor commands show for registers the bus cannot read without side
  // effects, and what gdb reads there.
  struct MmioAccess {
    bool is_write = false;
    std::uint32_t value = 0;
    sc_core::sc_time time;
  };
  const MmioAccess* last_mmio(std::uint64_t address) const;

  // gdb::Target (called while stopped). Memory: DRAM directly; MMIO through the bus's debug transport
  // (no side effects, no time), else the last value the CPU's own access to that word carried; MMIO
  // writes are refused (a write acts at a simulated time, and time stands still).
  std::uint32_t read_register(unsigned index) override;
  void write_register(unsigned index, std::uint32_t value) override;
  bool read_memory(std::uint64_t address, std::size_t length, std::uint8_t* out) override;
  bool write_memory(std::uint64_t address, const std::uint8_t* data, std::size_t length) override;
  bool insert_point(gdb::PointType type, std::uint64_t address, std::size_t length) override;
  bool remove_point(gdb::PointType type, std::uint64_t address, std::size_t length) override;

 private:
  // The quantum keeper on the CPU's own quantum; exposes the time left to the next sync point.
  class QuantumKeeper : public tlm_utils::tlm_quantumkeeper {
   public:
    explicit QuantumKeeper(sc_core::sc_time q) : quantum_(q) {}
    sc_core::sc_time time_to_sync() const {
      const sc_core::sc_time now = get_current_time();
      return m_next_sync_point > now ? m_next_sync_point - now : sc_core::SC_ZERO_TIME;
    }

   protected:
    sc_core::sc_time compute_local_quantum() override;

   private:
    sc_core::sc_time quantum_;
  };

  void run();
  void end_of_simulation() override;
  void halt(HaltReason reason);
  void raise_fault(CpuFault f);
  void request_stop() { stop_at_ = batch_count_; }
  std::uint64_t instructions_to_sync() const;
  void fold_time();
  std::uint64_t bus_access(std::uint64_t address, unsigned size, bool is_write, std::uint64_t value);
  bool check_mmio_alignment(std::uint64_t address, unsigned size, bool is_write);
  void classify_stop_error(int err);
  void on_trap(std::uint32_t cause);
  void on_csr(std::uint32_t insn);
  void on_system(std::uint32_t insn);  // mret, wfi
  std::optional<std::uint32_t> read_trap_csr(std::uint32_t csr) const;
  bool write_trap_csr(std::uint32_t csr, std::uint32_t value);
  bool meip_level() const;
  void settle_lines();
  void take_interrupt();
  bool wait_for_interrupt();  // false: a kWfi fault (pending_halt_ set)
  std::uint64_t cycle_now() const;
  std::uint32_t read_insn(std::uint32_t pc, bool* ok) const;

  // Unicorn callbacks (static trampolines; user data is the RiscvCpu).
  static void on_code(uc_struct* uc, std::uint64_t address, std::uint32_t size, void* self);
  static void on_interrupt(uc_struct* uc, std::uint32_t intno, void* self);
  static bool on_unmapped(uc_struct* uc, int type, std::uint64_t address, int size, std::int64_t value, void* self);
  static void on_dram_access(uc_struct* uc, int type, std::uint64_t address, int size, std::int64_t value,
                             void* self);
  static std::uint64_t on_mmio_read(uc_struct* uc, std::uint64_t offset, unsigned size, void* window);
  static void on_mmio_write(uc_struct* uc, std::uint64_t offset, unsigned size, std::uint64_t value, void* window);

  struct MappedWindow {
    RiscvCpu* cpu;
    std::uint64_t base;
    std::uint64_t size;
  };

  Config config_;
  sc_core::sc_time clock_period_;
  sc_core::sc_time quantum_;
  QuantumKeeper qk_;
  uc_struct* uc_ = nullptr;
  std::vector<MappedWindow> windows_;  // stable addresses (reserved before mapping)
  std::optional<ElfImage> image_;
  std::uint32_t pc_ = 0;

  // Batch state, touched by the hooks.
  std::uint64_t batch_count_ = 0;   // instructions started in this batch
  std::uint64_t stop_at_ = 0;       // the code hook stops before instruction number stop_at_ + 1
  std::uint64_t folded_ = 0;        // instructions of this batch already added to the quantum keeper
  std::uint32_t last_pc_ = 0;       // address of the instruction executing now
  bool in_batch_ = false;
  bool pending_halt_ = false;
  HaltReason pending_reason_ = HaltReason::kNone;

  HaltReason halt_ = HaltReason::kNone;
  std::optional<std::int32_t> exit_code_;
  std::optional<CpuFault> fault_;
  bool exit_write_halt_ = false;

  struct Probe {
    bool armed = false, anchored = false, polls = false;
    std::uint32_t pc = 0;
    unsigned waiting = 0;                           // waiting iterations closed
    std::uint64_t at = 0, length = 0;               // instruction count at the last return; last length
    std::uint64_t reads = 0, writes = 0;            // MMIO counts at the last return
    std::uint32_t regs[31] = {};
    LoopProbe result = LoopProbe::kPending;
  };
  void probe_step(std::uint32_t pc);
  Probe probe_;

  // gdb state: active while a server is attached.
  struct Watch {
    gdb::PointType type;
    std::uint64_t address, length;
  };
  bool watch_hit(std::uint32_t pc);
  bool in_dram(std::uint64_t address, std::uint64_t length) const;
  bool serve_gdb(const gdb::Stop& stop);  // false: gdb killed the run
  void detach_gdb();
  gdb::Server* gdb_ = nullptr;
  bool gdb_wait_ = false;
  bool debugging_ = false;                         // breakpoints are checked before each instruction
  bool stepping_ = false, skip_break_ = false;     // one instruction; the first one runs even on a breakpoint
  std::uint64_t debug_limit_ = ~std::uint64_t{0};  // instructions the batch may run (1 while stepping)
  std::optional<gdb::Stop> debug_stop_;            // why the batch stopped for gdb
  std::unordered_map<std::uint32_t, bool> breakpoints_;  // address -> hardware
  std::vector<Watch> watches_;
  std::map<std::uint64_t, MmioAccess> mmio_seen_;  // by word address

  // Machine trap CSRs (M-mode only: mstatus.MPP reads 3).
  struct TrapCsrs {
    std::uint32_t mstatus = 0x1800, mie = 0, mtvec = 0, mscratch = 0, mepc = 0, mcause = 0, mtval = 0;
  };
  TrapCsrs csrs_;
  bool wfi_ = false;       // the batch ended on a wfi
  bool sleeping_ = false;  // waiting in wfi
  std::function<std::string()> wfi_check_;
  std::uint64_t interrupts_ = 0, wfis_ = 0;
  sc_core::sc_time wfi_time_;

  std::uint64_t instructions_ = 0;
  std::uint64_t mmio_reads_ = 0, mmio_writes_ = 0, batches_ = 0, syncs_ = 0;
  std::function<void(std::uint32_t, const sc_core::sc_time&)> batch_observer_;
  sc_core::sc_time mmio_delay_;
  sc_core::sc_time halt_time_;
  double host_seconds_ = 0;
  std::chrono::steady_clock::time_point host_start_;

  tlm::tlm_generic_payload trans_;
  std::uint8_t data_[8] = {};
};

}  // namespace dnnvp::cpu

#include "riscv_cpu.h"

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include <unicorn/unicorn.h>

#include "gdb_server.h"
#include "hex.h"
#include "log.h"

namespace dnnvp::cpu {
namespace {

constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 32;
constexpr std::uint64_t kPage = 0x1000;
// uc_emu_start's `until`: an odd address, which a RISC-V PC (2-byte aligned with C) never reaches.
constexpr std::uint64_t kNeverPc = 0xFFFFFFFFu;
// Linux/newlib exit system call number, used for `ecall` exits.
constexpr std::uint32_t kSysExit = 93;

const char* response_name(tlm::tlm_response_status r) {
  switch (r) {
    case tlm::TLM_OK_RESPONSE: return "TLM_OK_RESPONSE";
    case tlm::TLM_INCOMPLETE_RESPONSE: return "TLM_INCOMPLETE_RESPONSE";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "TLM_GENERIC_ERROR_RESPONSE";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "TLM_ADDRESS_ERROR_RESPONSE";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "TLM_COMMAND_ERROR_RESPONSE";
    case tlm::TLM_BURST_ERROR_RESPONSE: return "TLM_BURST_ERROR_RESPONSE";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "TLM_BYTE_ENABLE_ERROR_RESPONSE";
  }
  return "unknown TLM response";
}

std::uint32_t sext(std::uint32_t v, unsigned bits) {
  const std::uint32_t m = 1u << (bits - 1);
  return (v ^ m) - m;
}

// The access a load/store instruction makes: base register, offset, width, and whether it reads and/or
// writes. Only the RV32I and RVC integer loads/stores and the A-extension word atomics; anything else
// returns false.
struct MemOp {
  unsigned rs1 = 0;
  std::uint32_t offset = 0;
  unsigned width = 0;
  bool reads = true, writes = false;
};

bool decode_mem_op(std::uint32_t insn, MemOp* op) {
  if ((insn & 3) == 3) {
    const std::uint32_t opcode = insn & 0x7F, funct3 = (insn >> 12) & 7;
    op->rs1 = (insn >> 15) & 31;
    if (opcode == 0x03) {  // LOAD
      static const unsigned widths[8] = {1, 2, 4, 0, 1, 2, 0, 0};
      op->width = widths[funct3];
      op->offset = sext(insn >> 20, 12);
      return op->width != 0;
    }
    if (opcode == 0x23) {  // STORE
      if (funct3 > 2) return false;
      op->reads = false;
      op->writes = true;
      op->width = 1u << funct3;
      op->offset = sext(((insn >> 25) << 5) | ((insn >> 7) & 31), 12);
      return true;
    }
    if (opcode == 0x2F && funct3 == 2) {  // AMO.W / LR.W / SC.W
      const std::uint32_t funct5 = insn >> 27;
      op->reads = funct5 != 3;   // all but SC.W
      op->writes = funct5 != 2;  // all but LR.W
      op->width = 4;
      op->offset = 0;
      return true;
    }
    return false;
  }
  const std::uint32_t quadrant = insn & 3, funct3 = (insn >> 13) & 7;
  if (quadrant == 0 && (funct3 == 2 || funct3 == 6)) {  // c.lw / c.sw
    op->reads = funct3 == 2;
    op->writes = funct3 == 6;
    op->rs1 = 8 + ((insn >> 7) & 7);
    op->offset = (((insn >> 10) & 7) << 3) | (((insn >> 6) & 1) << 2) | (((insn >> 5) & 1) << 6);
    op->width = 4;
    return true;
  }
  if (quadrant == 2 && funct3 == 2) {  // c.lwsp
    op->rs1 = 2;
    op->offset = (((insn >> 12) & 1) << 5) | (((insn >> 4) & 7) << 2) | (((insn >> 2) & 3) << 6);
    op->width = 4;
    return true;
  }
  if (quadrant == 2 && funct3 == 6) {  // c.swsp
    op->reads = false;
    op->writes = true;
    op->rs1 = 2;
    op->offset = (((insn >> 9) & 15) << 2) | (((insn >> 7) & 3) << 6);
    op->width = 4;
    return true;
  }
  return false;
}

// CSR numbers the ISS models (reads only) and names the rest of the common ones in its faults.
constexpr std::uint32_t kCsrCycle = 0xC00, kCsrTime = 0xC01, kCsrInstret = 0xC02;
constexpr std::uint32_t kCsrCycleH = 0xC80, kCsrTimeH = 0xC81, kCsrInstretH = 0xC82;
constexpr std::uint32_t kCsrMcycle = 0xB00, kCsrMinstret = 0xB02, kCsrMcycleH = 0xB80, kCsrMinstretH = 0xB82;
constexpr std::uint32_t kCsrMhartid = 0xF14;
// The machine trap CSRs the CPU models (the privileged spec's numbers and bits).
constexpr std::uint32_t kCsrMstatus = 0x300, kCsrMie = 0x304, kCsrMtvec = 0x305, kCsrMscratch = 0x340;
constexpr std::uint32_t kCsrMepc = 0x341, kCsrMcause = 0x342, kCsrMtval = 0x343, kCsrMip = 0x344;
constexpr std::uint32_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMppMachine = 3u << 11;
constexpr std::uint32_t kMeip = 1u << 11;  // mip.MEIP, mie.MEIE
constexpr std::uint32_t kCauseMachineExternal = 0x8000000Bu;
constexpr std::uint32_t kInsnMret = 0x30200073u, kInsnWfi = 0x10500073u;

std::string csr_name(std::uint32_t csr) {
  switch (csr) {
    case 0x001: return "fflags";
    case 0x002: return "frm";
    case 0x003: return "fcsr";
    case 0x300: return "mstatus";
    case 0x301: return "misa";
    case 0x304: return "mie";
    case 0x305: return "mtvec";
    case 0x306: return "mcounteren";
    case 0x320: return "mcountinhibit";
    case 0x340: return "mscratch";
    case 0x341: return "mepc";
    case 0x342: return "mcause";
    case 0x343: return "mtval";
    case 0x344: return "mip";
    case 0xF11: return "mvendorid";
    case 0xF12: return "marchid";
    case 0xF13: return "mimpid";
    case kCsrMhartid: return "mhartid";
    case kCsrCycle: return "cycle";
    case kCsrTime: return "time";
    case kCsrInstret: return "instret";
    case kCsrCycleH: return "cycleh";
    case kCsrTimeH: return "timeh";
    case kCsrInstretH: return "instreth";
    case kCsrMcycle: return "mcycle";
    case kCsrMinstret: return "minstret";
    case kCsrMcycleH: return "mcycleh";
    case kCsrMinstretH: return "minstreth";
    default: break;
  }
  return "csr " + hex(csr, 3);
}

void check_uc(uc_err err, const std::string& what) {
  if (err != UC_ERR_OK) throw std::runtime_error(what + ": " + uc_strerror(err));
}

}  // namespace

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBusError: return "bus error";
    case FaultKind::kUnmapped: return "unmapped access";
    case FaultKind::kMisaligned: return "misaligned access";
    case FaultKind::kFetch: return "instruction fetch fault";
    case FaultKind::kIllegalInstruction: return "illegal instruction";
    case FaultKind::kCsr: return "unsupported CSR access";
    case FaultKind::kBreakpoint: return "breakpoint (ebreak)";
    case FaultKind::kEcall: return "unsupported ecall";
    case FaultKind::kTrap: return "trap";
    case FaultKind::kWfi: return "wfi that nothing can wake";
    case FaultKind::kNoProgram: return "no program loaded";
    case FaultKind::kInternal: return "ISS error";
  }
  return "fault";
}

const char* to_string(HaltReason reason) {
  switch (reason) {
    case HaltReason::kNone: return "running";
    case HaltReason::kExit: return "exit";
    case HaltReason::kFault: return "fault";
    case HaltReason::kSimulationStopped: return "simulation stopped";
  }
  return "?";
}

std::string CpuFault::message() const {
  std::ostringstream s;
  s << to_string(kind);
  if (has_access)
    s << ": " << (is_write ? "write" : "read") << " of " << size << (size == 1 ? " byte" : " bytes") << " to "
      << hex(address);
  s << " at pc " << hex(pc);
  if (kind == FaultKind::kBusError) s << ": " << response_name(response);
  if (!detail.empty()) s << " (" << detail << ")";
  return s.str();
}

// ---------------------------------------------------------------------------------------------------------

sc_core::sc_time RiscvCpu::QuantumKeeper::compute_local_quantum() {
  const std::uint64_t q = quantum_.value(), t = sc_core::sc_time_stamp().value();
  return sc_core::sc_time::from_value((t / q + 1) * q - t);
}

RiscvCpu::RiscvCpu(sc_core::sc_module_name name, sc_core::sc_time clock_period, sc_core::sc_time quantum,
                   DramRegion dram, std::vector<MmioWindow> mmio)
    : RiscvCpu(name, [&] {
        Config c;
        c.clock_period = clock_period;
        c.quantum = quantum;
        c.dram = dram;
        c.mmio = std::move(mmio);
        return c;
      }()) {}

RiscvCpu::RiscvCpu(sc_core::sc_module_name name, const Config& config)
    : sc_core::sc_module(name),
      socket("socket"),
      config_(config),
      clock_period_(config.clock_period),
      quantum_(config.quantum),
      qk_(config.quantum) {
  const std::string me = this->name();
  auto bad = [&](const std::string& what) { throw std::invalid_argument(me + ": " + what); };
  if (clock_period_ == sc_core::SC_ZERO_TIME) bad("clock period must be > 0");
  if (quantum_ == sc_core::SC_ZERO_TIME) bad("quantum must be > 0");
  if (quantum_.value() % clock_period_.value() != 0)
    bad("quantum " + quantum_.to_string() + " is not a multiple of the clock period " + clock_period_.to_string());
  const DramRegion& d = config_.dram;
  if (d.host == nullptr || d.size == 0) bad("DRAM region needs a host pointer and a size");
  if (d.base % kPage || d.size % kPage) bad("DRAM base and size must be multiples of 4 KiB");
  if (d.base + d.size > kAddressSpace) bad("DRAM must lie below 4 GiB");

  // The windows forwarded to the socket: the given list, or everything outside DRAM.
  std::vector<MmioWindow> windows = config_.mmio;
  if (windows.empty()) {
    if (d.base > 0) windows.push_back({0, d.base});
    if (d.base + d.size < kAddressSpace) windows.push_back({d.base + d.size, kAddressSpace - (d.base + d.size)});
  }
  for (const MmioWindow& w : windows) {
    if (w.size == 0 || w.base % kPage || w.size % kPage) bad("MMIO windows must be non-empty and 4 KiB aligned");
    if (w.base + w.size > kAddressSpace) bad("MMIO window " + hex(w.base) + " extends past 4 GiB");
    if (w.base < d.base + d.size && d.base < w.base + w.size) bad("MMIO window " + hex(w.base) + " overlaps DRAM");
  }

  uc_engine* uc = nullptr;
  check_uc(uc_open(UC_ARCH_RISCV, UC_MODE_RISCV32, &uc), me + ": uc_open");
  uc_ = uc;
  try {
    // SiFive E31: RV32IMAC, the closest Unicorn CPU to RV32IMC (no F/D, so stray FP code traps).
    check_uc(uc_ctl_set_cpu_model(uc, UC_CPU_RISCV32_SIFIVE_E31), me + ": CPU model");
    check_uc(uc_mem_map_ptr(uc, d.base, d.size, UC_PROT_ALL, d.host), me + ": mapping DRAM");
    windows_.reserve(windows.size());
    for (const MmioWindow& w : windows) {
      windows_.push_back({this, w.base, w.size});
      check_uc(uc_mmio_map(uc, w.base, w.size, &RiscvCpu::on_mmio_read, &windows_.back(), &RiscvCpu::on_mmio_write,
                           &windows_.back()),
               me + ": mapping MMIO window " + hex(w.base));
    }
    uc_hook h;
    check_uc(uc_hook_add(uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&RiscvCpu::on_code), this, 1, 0),
             me + ": code hook");
    check_uc(uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&RiscvCpu::on_interrupt), this, 1, 0),
             me + ": trap hook");
    check_uc(uc_hook_add(uc, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&RiscvCpu::on_unmapped), this, 1, 0),
             me + ": unmapped-access hook");
    if (config_.strict_dram_alignment)
      check_uc(uc_hook_add(uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                           reinterpret_cast<void*>(&RiscvCpu::on_dram_access), this, d.base, d.base + d.size - 1),
               me + ": DRAM alignment hook");
  } catch (...) {
    uc_close(uc);
    uc_ = nullptr;
    throw;
  }

  trans_.set_data_ptr(data_);
  trans_.set_byte_enable_ptr(nullptr);
  trans_.set_byte_enable_length(0);
  trans_.set_dmi_allowed(false);

  SC_THREAD(run);
  set_stack_size(config_.thread_stack_bytes);
}

RiscvCpu::~RiscvCpu() {
  if (uc_) uc_close(uc_);
}

const ElfImage& RiscvCpu::load_elf(const std::string& path) { return load_elf(read_elf(path)); }

const ElfImage& RiscvCpu::load_elf(ElfImage image) {
  const DramRegion& d = config_.dram;
  cpu::load_elf(image, d.base, d.host, d.size);
  image_ = std::move(image);
  for (int r = UC_RISCV_REG_X1; r <= UC_RISCV_REG_X31; ++r) {
    std::uint32_t zero = 0;
    uc_reg_write(uc_, r, &zero);
  }
  set_pc(image_->entry);
  return *image_;
}

void RiscvCpu::set_pc(std::uint32_t pc) {
  pc_ = pc;
  uc_reg_write(uc_, UC_RISCV_REG_PC, &pc_);
}

std::uint32_t RiscvCpu::pc() const {
  std::uint32_t v = 0;
  uc_reg_read(uc_, UC_RISCV_REG_PC, &v);
  return v;
}

std::uint32_t RiscvCpu::reg(unsigned index) const {
  if (index >= 32) throw std::out_of_range("register index " + std::to_string(index));
  std::uint32_t v = 0;
  if (index) uc_reg_read(uc_, UC_RISCV_REG_X0 + static_cast<int>(index), &v);
  return v;
}

int RiscvCpu::exit_status() const {
  switch (halt_) {
    case HaltReason::kExit: return *exit_code_;
    case HaltReason::kSimulationStopped: return 2;
    default: return 1;
  }
}

double RiscvCpu::host_mips() const {
  return host_seconds_ > 0 ? static_cast<double>(instructions_) / host_seconds_ / 1e6 : 0.0;
}

std::string RiscvCpu::summary() const {
  std::ostringstream s;
  s << name() << ": " << instructions_ << " instructions, " << cycles() << " cycles ("
    << busy_time().to_string() << " at " << std::setprecision(4) << 1e-6 / clock_period_.to_seconds() << " MHz), "
    << mmio_reads_ << " MMIO reads, " << mmio_writes_ << " MMIO writes, " << std::fixed << std::setprecision(1)
    << host_mips() << " MIPS host; " << to_string(halt_);
  if (halt_ == HaltReason::kExit) s << " " << *exit_code_;
  if (halt_ == HaltReason::kFault && fault_) s << ": " << fault_->message();
  return s.str();
}

// ---------------------------------------------------------------------------------------------------------
// The run loop.

std::uint64_t RiscvCpu::instructions_to_sync() const {
  const std::uint64_t left = qk_.time_to_sync().value(), period = clock_period_.value();
  return (left + period - 1) / period;
}

void RiscvCpu::fold_time() {
  if (batch_count_ > folded_) {
    qk_.inc(clock_period_ * static_cast<double>(batch_count_ - folded_));
    folded_ = batch_count_;
  }
}

void RiscvCpu::run() {
  host_start_ = std::chrono::steady_clock::now();
  qk_.reset();
  if (!image_) {
    CpuFault f;
    f.kind = FaultKind::kNoProgram;
    f.pc = pc_;
    f.detail = "call load_elf() before sc_start()";
    raise_fault(f);
    halt(pending_reason_);
    return;
  }
  if (gdb_ && gdb_wait_) {
    log::info(name(), "waiting for gdb: target remote :" + std::to_string(gdb_->port()));
    gdb_->wait_for_connection();
    if (!serve_gdb(gdb::Stop::trap())) return;
  }
  for (;;) {
    take_interrupt();
    batch_count_ = 0;
    folded_ = 0;
    stop_at_ = std::min(std::max<std::uint64_t>(1, instructions_to_sync()), debug_limit_);
    in_batch_ = true;
    const uc_err err = uc_emu_start(uc_, pc_, kNeverPc, 0, 0);
    in_batch_ = false;
    ++batches_;
    instructions_ += batch_count_;
    fold_time();
    uc_reg_read(uc_, UC_RISCV_REG_PC, &pc_);
    if (batch_observer_) batch_observer_(pc_, local_time());
    if (err != UC_ERR_OK && !pending_halt_) classify_stop_error(err);
    if (wfi_ && !pending_halt_) {
      wfi_ = false;
      wait_for_interrupt();
    }
    if (pending_halt_) {
      halt(pending_reason_);
      return;
    }
    if (sc_core::sc_get_simulator_status() == sc_core::SC_SIM_USER_STOP) {
      halt(HaltReason::kSimulationStopped);
      return;
    }
    if (gdb_) {
      std::optional<gdb::Stop> stop = std::move(debug_stop_);
      debug_stop_.reset();
      if (!stop && stepping_ && batch_count_ > 0) stop = gdb::Stop::trap();
      if (!stop && gdb_->stop_requested()) stop = gdb::Stop::interrupt();
      if (stop && !serve_gdb(*stop)) return;
    }
    if (qk_.need_sync()) {
      ++syncs_;
      host_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start_).count();
      qk_.sync();
    }
  }
}

void RiscvCpu::raise_fault(CpuFault f) {
  if (pending_halt_) return;  // the first reason wins
  f.time = qk_.get_current_time() + clock_period_ * static_cast<double>(batch_count_ - folded_);
  fault_ = std::move(f);
  pending_halt_ = true;
  pending_reason_ = HaltReason::kFault;
  request_stop();
}

void RiscvCpu::halt(HaltReason reason) {
  halt_ = reason;
  halt_time_ = qk_.get_current_time();
  host_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start_).count();
  if (reason == HaltReason::kFault && fault_ && config_.report_faults) log::error(name(), fault_->message());
  if (gdb_ && gdb_->connected()) {
    // A fault stops for gdb first (SIGSEGV for an access, SIGILL, SIGTRAP for ebreak), so the state can
    // be inspected; whatever gdb asks then, the run ends.
    const FaultKind k = fault_ ? fault_->kind : FaultKind::kInternal;
    const int signal = k == FaultKind::kIllegalInstruction || k == FaultKind::kCsr ? 4
                       : k == FaultKind::kBreakpoint                               ? 5
                                                                                   : 11;
    if (reason == HaltReason::kFault) gdb_->stopped({gdb::Stop::Kind::kSignal, signal});
    gdb_->ended(reason == HaltReason::kExit
                    ? gdb::Stop::exited(exit_code_.value_or(0))
                    : gdb::Stop::terminated(reason == HaltReason::kFault ? signal : 9));
  }
  if (sc_core::sc_get_simulator_status() == sc_core::SC_SIM_USER_STOP) return;
  // Let simulated time catch up with the CPU, then end the simulation (unless the exit register's device
  // does that itself at the write's time).
  ++syncs_;
  qk_.sync();
  if (config_.stop_simulation_on_halt && !exit_write_halt_ &&
      sc_core::sc_get_simulator_status() != sc_core::SC_SIM_USER_STOP)
    sc_core::sc_stop();
}

void RiscvCpu::end_of_simulation() {
  if (halted()) return;
  // Stopped by someone else while the CPU was between batches (waiting for a sync) or inside a transport.
  if (in_batch_) {
    instructions_ += batch_count_;
    in_batch_ = false;
  }
  halt_ = HaltReason::kSimulationStopped;
  halt_time_ = qk_.get_current_time();
  if (gdb_) gdb_->ended(gdb::Stop::terminated(9));  // stopped by another model (watchdog, run bound)
  host_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start_).count();
}

std::uint32_t RiscvCpu::read_insn(std::uint32_t pc, bool* ok) const {
  const DramRegion& d = config_.dram;
  *ok = false;
  if (pc < d.base || pc + 2 > d.base + d.size) return 0;
  const std::uint8_t* p = d.host + (pc - d.base);
  std::uint32_t insn = static_cast<std::uint32_t>(p[0] | (p[1] << 8));
  if ((insn & 3) == 3) {
    if (pc + 4 > d.base + d.size) return 0;
    insn |= static_cast<std::uint32_t>(p[2] | (p[3] << 8)) << 16;
  }
  *ok = true;
  return insn;
}

void RiscvCpu::classify_stop_error(int err) {
  CpuFault f;
  f.pc = pc_;
  bool ok = false;
  switch (err) {
    case UC_ERR_INSN_INVALID: {
      const std::uint32_t insn = read_insn(pc_, &ok);
      f.kind = (ok && (insn == 0x00100073u || insn == 0x9002u)) ? FaultKind::kBreakpoint
                                                                 : FaultKind::kIllegalInstruction;
      if (ok && f.kind == FaultKind::kIllegalInstruction) f.detail = "instruction word " + hex(insn);
      break;
    }
    case UC_ERR_FETCH_UNMAPPED:
    case UC_ERR_FETCH_PROT:
      f.kind = FaultKind::kFetch;
      f.detail = "outside DRAM; last instruction executed at " + hex(last_pc_);
      break;
    case UC_ERR_FETCH_UNALIGNED:
      f.kind = FaultKind::kFetch;
      f.detail = "misaligned fetch; last instruction executed at " + hex(last_pc_);
      break;
    case UC_ERR_READ_UNALIGNED:
    case UC_ERR_WRITE_UNALIGNED:
      f.kind = FaultKind::kMisaligned;
      f.pc = last_pc_;
      break;
    case UC_ERR_READ_UNMAPPED:
    case UC_ERR_WRITE_UNMAPPED:
      f.kind = FaultKind::kUnmapped;  // normally already reported with its address by on_unmapped
      f.pc = last_pc_;
      break;
    case UC_ERR_EXCEPTION:
      f.kind = FaultKind::kTrap;
      f.pc = last_pc_;
      f.detail = uc_strerror(static_cast<uc_err>(err));
      break;
    default:
      f.kind = FaultKind::kInternal;
      f.pc = last_pc_;
      f.detail = std::string("uc_emu_start: ") + uc_strerror(static_cast<uc_err>(err));
      break;
  }
  raise_fault(f);
}

void RiscvCpu::on_trap(std::uint32_t cause) {
  CpuFault f;
  f.pc = last_pc_;
  bool ok = false;
  switch (cause) {
    case 8: case 9: case 11: {  // ecall from U/S/M mode
      std::uint32_t a7 = 0, a0 = 0;
      uc_reg_read(uc_, UC_RISCV_REG_A7, &a7);
      uc_reg_read(uc_, UC_RISCV_REG_A0, &a0);
      if (a7 == kSysExit) {
        if (pending_halt_) return;
        exit_code_ = static_cast<std::int32_t>(a0);
        pending_halt_ = true;
        pending_reason_ = HaltReason::kExit;
        request_stop();
        return;
      }
      f.kind = FaultKind::kEcall;
      f.detail = "a7 = " + std::to_string(a7) + "; only a7 = 93 (exit, code in a0) is supported";
      break;
    }
    case 3:
      f.kind = FaultKind::kBreakpoint;
      break;
    case 2: {
      f.kind = FaultKind::kIllegalInstruction;
      const std::uint32_t insn = read_insn(last_pc_, &ok);
      if (ok) f.detail = "instruction word " + hex(insn);
      break;
    }
    case 0: case 1: case 12:
      f.kind = FaultKind::kFetch;
      f.detail = "trap cause " + std::to_string(cause);
      break;
    case 4: case 6:
      f.kind = FaultKind::kMisaligned;
      f.detail = "trap cause " + std::to_string(cause);
      break;
    default:
      f.kind = FaultKind::kTrap;
      f.detail = "trap cause " + std::to_string(cause) + " (no trap entry: Unicorn cannot model it)";
      break;
  }
  raise_fault(f);
}

// The CPU clock cycle the current instruction completes in (the timer's CYCLES at that point): simulated
// time, so MMIO latency counts.
std::uint64_t RiscvCpu::cycle_now() const {
  const std::uint64_t period = clock_period_.value();
  return qk_.get_current_time().value() / period + (batch_count_ - folded_);
}

// Called from the code hook before a CSR instruction (last_pc_, already counted) executes: performs a
// supported access itself and skips the instruction, or faults.
void RiscvCpu::on_csr(std::uint32_t insn) {
  const std::uint32_t funct3 = (insn >> 12) & 7, rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, csr = insn >> 20;
  // csrrw/csrrwi always write; the set/clear forms write unless their source is x0 / zero.
  const bool writes = (funct3 & 3) == 1 || rs1 != 0;
  const std::uint64_t retired = instructions_ + batch_count_ - 1;  // before this instruction
  std::optional<std::uint64_t> value = read_trap_csr(csr);
  const bool trap_csr = value.has_value();
  if (!writes && !trap_csr) {
    switch (csr) {
      case kCsrCycle: case kCsrTime: case kCsrMcycle: value = cycle_now(); break;
      case kCsrCycleH: case kCsrTimeH: case kCsrMcycleH: value = cycle_now() >> 32; break;
      case kCsrInstret: case kCsrMinstret: value = retired; break;
      case kCsrInstretH: case kCsrMinstretH: value = retired >> 32; break;
      case kCsrMhartid: value = 0; break;
      default: break;
    }
  }
  if (!value || (writes && !trap_csr)) {
    static const char* const mnemonics[8] = {"", "csrrw", "csrrs", "csrrc", "", "csrrwi", "csrrsi", "csrrci"};
    CpuFault f;
    f.kind = FaultKind::kCsr;
    f.pc = last_pc_;
    f.detail = std::string(writes ? "write of " : "read of ") + csr_name(csr) + " by " + mnemonics[funct3] +
               ": only reads of cycle, time, instret (and their high halves), mcycle, minstret (and theirs) "
               "and mhartid, and the machine trap CSRs mstatus, mie, mip, mtvec, mscratch, mepc, mcause "
               "and mtval are modelled";
    raise_fault(f);
    uc_emu_stop(uc_);  // the instruction does not execute
    return;
  }
  const std::uint32_t old = static_cast<std::uint32_t>(*value);
  if (writes) {
    std::uint32_t src = rs1;  // the immediate forms' zimm
    if (funct3 < 4 && rs1 != 0) uc_reg_read(uc_, UC_RISCV_REG_X0 + static_cast<int>(rs1), &src);
    const std::uint32_t op = funct3 & 3;
    const std::uint32_t next = op == 1 ? src : op == 2 ? (old | src) : (old & ~src);
    // An interrupt the write unmasks is taken before the next instruction: end the batch.
    if (write_trap_csr(csr, next)) stop_at_ = batch_count_;
  }
  if (rd) uc_reg_write(uc_, UC_RISCV_REG_X0 + static_cast<int>(rd), &old);
  // Writing the PC from a hook makes Unicorn leave the translation block and resume there.
  const std::uint32_t next_pc = last_pc_ + 4;
  uc_reg_write(uc_, UC_RISCV_REG_PC, &next_pc);
}

std::optional<std::uint32_t> RiscvCpu::read_trap_csr(std::uint32_t csr) const {
  switch (csr) {
    case kCsrMstatus: return csrs_.mstatus;
    case kCsrMie: return csrs_.mie;
    case kCsrMip: return meip_level() ? kMeip : 0u;
    case kCsrMtvec: return csrs_.mtvec;
    case kCsrMscratch: return csrs_.mscratch;
    case kCsrMepc: return csrs_.mepc;
    case kCsrMcause: return csrs_.mcause;
    case kCsrMtval: return csrs_.mtval;
    default: return std::nullopt;
  }
}

// WARL: only the bits the CPU models keep what is written. Returns whether the write may unmask an
// interrupt (mstatus, mie).
bool RiscvCpu::write_trap_csr(std::uint32_t csr, std::uint32_t value) {
  switch (csr) {
    case kCsrMstatus:
      csrs_.mstatus = (value & (kMstatusMie | kMstatusMpie)) | kMstatusMppMachine;
      return true;
    case kCsrMie:
      csrs_.mie = value & kMeip;
      return true;
    case kCsrMip: return false;  // MEIP is read-only (the controller's line)
    case kCsrMtvec:
      // MODE 0 direct, 1 vectored; the reserved modes read as direct.
      csrs_.mtvec = (value & ~3u) | ((value & 3u) == 1u ? 1u : 0u);
      return false;
    case kCsrMscratch: csrs_.mscratch = value; return false;
    case kCsrMepc: csrs_.mepc = value & ~1u; return false;  // IALIGN 16 (the C extension)
    case kCsrMcause: csrs_.mcause = value; return false;
    case kCsrMtval: csrs_.mtval = value; return false;
    default: return false;
  }
}

// mret and wfi, from the code hook (last_pc_, already counted): performed here, the instruction skipped.
void RiscvCpu::on_system(std::uint32_t insn) {
  std::uint32_t next = last_pc_ + 4;
  if (insn == kInsnMret) {
    const bool mpie = (csrs_.mstatus & kMstatusMpie) != 0;
    csrs_.mstatus = (mpie ? kMstatusMie : 0u) | kMstatusMpie | kMstatusMppMachine;
    next = csrs_.mepc;
  } else {
    wfi_ = true;  // run() sleeps after the batch
  }
  stop_at_ = batch_count_;
  uc_reg_write(uc_, UC_RISCV_REG_PC, &next);
}

bool RiscvCpu::meip_level() const {
  return meip.size() != 0 && meip->read();
}

// A source's line reaches mip.MEIP through a few delta cycles (its status method, its signal, the
// controller's): after the CPU's own register write has cleared a source, the line still reads high until
// they have run. Catches up with the CPU's local time and lets them run (boundedly: a model that keeps
// creating delta activity must not hold the CPU).
void RiscvCpu::settle_lines() {
  constexpr int kMaxDeltas = 16;
  ++syncs_;
  qk_.sync();
  for (int i = 0; i < kMaxDeltas && sc_core::sc_pending_activity_at_current_time(); ++i)
    sc_core::wait(sc_core::SC_ZERO_TIME);
}

// Between batches: trap entry for a pending, enabled machine external interrupt.
void RiscvCpu::take_interrupt() {
  if (!(csrs_.mstatus & kMstatusMie) || !(csrs_.mie & kMeip) || !meip_level()) return;
  settle_lines();
  if (!meip_level()) return;
  csrs_.mepc = pc_;
  csrs_.mcause = kCauseMachineExternal;
  csrs_.mtval = 0;
  csrs_.mstatus = kMstatusMpie | kMstatusMppMachine;  // MPIE = MIE (1), MIE = 0
  const std::uint32_t base = csrs_.mtvec & ~3u;
  pc_ = (csrs_.mtvec & 1u) ? base + 4 * (kCauseMachineExternal & 0x7FFFFFFFu) : base;
  ++interrupts_;
}

// After a batch that ended on wfi (the PC is past it): sleeps until mip.MEIP & mie.MEIE.
bool RiscvCpu::wait_for_interrupt() {
  ++wfis_;
  std::string why;
  if (!(csrs_.mie & kMeip))
    why = "mie.MEIE is 0: no interrupt can wake the CPU";
  else if (meip.size() == 0)
    why = "the CPU has no interrupt input";
  if (why.empty()) {
    settle_lines();  // the lines as they are at the CPU's time
    if (meip_level()) return true;
    if (wfi_check_) why = wfi_check_();
  }
  if (!why.empty()) {
    CpuFault f;
    f.kind = FaultKind::kWfi;
    f.pc = pc_ - 4;
    f.detail = why;
    raise_fault(f);
    return false;
  }
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  sleeping_ = true;
  while (!meip_level()) sc_core::wait(meip->value_changed_event());
  sleeping_ = false;
  wfi_time_ += sc_core::sc_time_stamp() - start;
  qk_.reset();  // the CPU's local time is now sc_time_stamp()
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// MMIO.

bool RiscvCpu::check_mmio_alignment(std::uint64_t address, unsigned size, bool is_write) {
  // QEMU splits a misaligned MMIO access into aligned pieces before calling back, so the callback's own
  // address and size look fine: decode the instruction for the access it really makes.
  std::uint64_t ea = address;
  unsigned width = size;
  bool ok = false;
  const std::uint32_t insn = read_insn(last_pc_, &ok);
  MemOp op;
  if (ok && decode_mem_op(insn, &op)) {
    std::uint32_t base = 0;
    if (op.rs1) uc_reg_read(uc_, UC_RISCV_REG_X0 + static_cast<int>(op.rs1), &base);
    ea = static_cast<std::uint32_t>(base + op.offset);
    width = op.width;
  }
  if (ea % width == 0 && address % size == 0) return true;
  CpuFault f;
  f.kind = FaultKind::kMisaligned;
  f.pc = last_pc_;
  f.has_access = true;
  f.address = ea;
  f.size = width;
  f.is_write = is_write;
  f.detail = "MMIO accesses must be naturally aligned";
  raise_fault(f);
  return false;
}

std::uint64_t RiscvCpu::bus_access(std::uint64_t address, unsigned size, bool is_write, std::uint64_t value) {
  fold_time();
  trans_.set_command(is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans_.set_address(address);
  trans_.set_data_length(size);
  trans_.set_streaming_width(size);
  trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  std::memset(data_, 0, sizeof data_);
  if (is_write) std::memcpy(data_, &value, size);  // host and target are little-endian

  const sc_core::sc_time before = sc_core::sc_time_stamp() + qk_.get_local_time();
  sc_core::sc_time delay = qk_.get_local_time();
  socket->b_transport(trans_, delay);
  qk_.set(delay);  // a target that waited inside b_transport returns a smaller delay: still correct
  const sc_core::sc_time after = sc_core::sc_time_stamp() + delay;
  if (after > before) mmio_delay_ += after - before;
  ++(is_write ? mmio_writes_ : mmio_reads_);

  std::uint64_t result = 0;
  if (trans_.is_response_error()) {
    CpuFault f;
    f.kind = FaultKind::kBusError;
    f.pc = last_pc_;
    f.has_access = true;
    f.address = address;
    f.size = size;
    f.is_write = is_write;
    f.response = trans_.get_response_status();
    raise_fault(f);
    return 0;
  }
  if (!is_write) std::memcpy(&result, data_, size);
  if (is_write && config_.exit_address && address == *config_.exit_address && !pending_halt_) {
    exit_code_ = static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
    exit_write_halt_ = true;
    pending_halt_ = true;
    pending_reason_ = HaltReason::kExit;
  }
  if (!pending_halt_ && sc_core::sc_get_simulator_status() == sc_core::SC_SIM_USER_STOP) {
    pending_halt_ = true;
    pending_reason_ = HaltReason::kSimulationStopped;
  }
  // The target's delay may have moved the next sync point closer: shorten the batch.
  stop_at_ = std::min(pending_halt_ ? batch_count_ : batch_count_ + instructions_to_sync(), debug_limit_);
  if (debugging_ && size == 4 && address % 4 == 0)
    mmio_seen_[address] = {is_write, static_cast<std::uint32_t>(is_write ? value : result), after};
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Unicorn callbacks.

void RiscvCpu::on_code(uc_struct* uc, std::uint64_t address, std::uint32_t size, void* self) {
  auto* cpu = static_cast<RiscvCpu*>(self);
  if (cpu->batch_count_ >= cpu->stop_at_) {
    uc_emu_stop(uc);  // this instruction does not execute; the PC stays on it
    return;
  }
  if (cpu->debugging_ && (cpu->skip_break_ || !cpu->breakpoints_.empty() || !cpu->watches_.empty())) {
    if (cpu->skip_break_) {
      cpu->skip_break_ = false;  // resuming from here: this instruction runs even if it has a breakpoint
    } else if (const auto b = cpu->breakpoints_.find(static_cast<std::uint32_t>(address));
               b != cpu->breakpoints_.end()) {
      cpu->debug_stop_ = gdb::Stop::breakpoint(b->second);
      uc_emu_stop(uc);
      return;
    } else if (!cpu->watches_.empty() && cpu->watch_hit(static_cast<std::uint32_t>(address))) {
      uc_emu_stop(uc);
      return;
    }
  }
  ++cpu->batch_count_;
  cpu->last_pc_ = static_cast<std::uint32_t>(address);
  if (cpu->probe_.armed) cpu->probe_step(cpu->last_pc_);
  // CSR instructions (SYSTEM opcode, funct3 other than 0 and 4): two byte tests per instruction.
  const DramRegion& d = cpu->config_.dram;
  if (size == 4 && address - d.base <= d.size - 4) {
    const std::uint8_t* p = d.host + (address - d.base);
    if ((p[0] & 0x7F) == 0x73) {
      const std::uint32_t insn =
          static_cast<std::uint32_t>(p[0] | (p[1] << 8) | (p[2] << 16)) | (std::uint32_t{p[3]} << 24);
      if (((p[1] >> 4) & 3) != 0)
        cpu->on_csr(insn);
      else if (insn == kInsnMret || insn == kInsnWfi)
        cpu->on_system(insn);
    }
  }
}

void RiscvCpu::arm_loop_probe() {
  probe_ = Probe{};
  probe_.armed = true;
}

// Before the instruction at `pc` executes, while the probe is armed.
void RiscvCpu::probe_step(std::uint32_t pc) {
  Probe& p = probe_;
  const std::uint64_t now = instructions_ + batch_count_;
  auto working = [&p]() {
    p.result = LoopProbe::kWorking;
    p.armed = false;
  };
  // An iteration much longer than the last (or than a poll could be): the CPU left the loop.
  if (p.anchored && now - p.at > std::max<std::uint64_t>(4 * p.length, 4096)) return working();
  if (p.anchored && pc != p.pc) return;
  std::uint32_t regs[31];
  int ids[31];
  void* ptrs[31];
  for (int i = 0; i < 31; ++i) ids[i] = UC_RISCV_REG_X1 + i, ptrs[i] = &regs[i];
  uc_reg_read_batch(uc_, ids, ptrs, 31);
  if (p.anchored) {
    const bool same = std::equal(regs, regs + 31, p.regs);
    const bool polled = mmio_reads_ != p.reads;
    if (mmio_writes_ != p.writes || !(same || polled)) return working();
    p.polls = p.polls || polled;
    p.length = now - p.at;
    if (++p.waiting >= 2) p.result = LoopProbe::kWaiting;
  }
  p.anchored = true;
  p.pc = pc;
  p.at = now;
  p.reads = mmio_reads_;
  p.writes = mmio_writes_;
  std::copy(regs, regs + 31, p.regs);
}

void RiscvCpu::on_interrupt(uc_struct* uc, std::uint32_t intno, void* self) {
  static_cast<RiscvCpu*>(self)->on_trap(intno);
  uc_emu_stop(uc);
}

bool RiscvCpu::on_unmapped(uc_struct*, int type, std::uint64_t address, int size, std::int64_t, void* self) {
  auto* cpu = static_cast<RiscvCpu*>(self);
  CpuFault f;
  if (type == UC_MEM_FETCH_UNMAPPED) {
    f.kind = FaultKind::kFetch;
    f.pc = static_cast<std::uint32_t>(address);
    f.detail = "outside DRAM; last instruction executed at " + hex(cpu->last_pc_);
  } else {
    f.kind = FaultKind::kUnmapped;
    f.pc = cpu->last_pc_;
    f.has_access = true;
    f.address = address;
    f.size = static_cast<unsigned>(size);
    f.is_write = type == UC_MEM_WRITE_UNMAPPED;
    f.detail = "outside DRAM and every MMIO window";
  }
  cpu->raise_fault(f);
  return false;
}

void RiscvCpu::on_dram_access(uc_struct*, int type, std::uint64_t address, int size, std::int64_t, void* self) {
  auto* cpu = static_cast<RiscvCpu*>(self);
  if (size <= 1 || address % static_cast<unsigned>(size) == 0) return;
  CpuFault f;
  f.kind = FaultKind::kMisaligned;
  f.pc = cpu->last_pc_;
  f.has_access = true;
  f.address = address;
  f.size = static_cast<unsigned>(size);
  f.is_write = type == UC_MEM_WRITE;
  f.detail = "strict DRAM alignment";
  cpu->raise_fault(f);
}

std::uint64_t RiscvCpu::on_mmio_read(uc_struct*, std::uint64_t offset, unsigned size, void* window) {
  auto* w = static_cast<MappedWindow*>(window);
  RiscvCpu* cpu = w->cpu;
  const std::uint64_t address = w->base + offset;
  if (cpu->pending_halt_ || !cpu->check_mmio_alignment(address, size, false)) return 0;
  return cpu->bus_access(address, size, false, 0);
}

void RiscvCpu::on_mmio_write(uc_struct*, std::uint64_t offset, unsigned size, std::uint64_t value, void* window) {
  auto* w = static_cast<MappedWindow*>(window);
  RiscvCpu* cpu = w->cpu;
  const std::uint64_t address = w->base + offset;
  if (cpu->pending_halt_ || !cpu->check_mmio_alignment(address, size, true)) return;
  cpu->bus_access(address, size, true, value);
}

// ---------------------------------------------------------------------------------------------------------
// gdb.

void RiscvCpu::attach_gdb(gdb::Server& server, bool wait_for_connection) {
  gdb_ = &server;
  gdb_wait_ = wait_for_connection;
  debugging_ = true;
}

// Serves gdb while the target is stopped; returns false when gdb killed the run (the CPU has halted).
bool RiscvCpu::serve_gdb(const gdb::Stop& stop) {
  stepping_ = false;
  switch (gdb_->stopped(stop)) {
    case gdb::Action::kContinue:
      break;
    case gdb::Action::kStep:
      stepping_ = true;
      break;
    case gdb::Action::kDetach:
      detach_gdb();
      break;
    case gdb::Action::kKill:
      detach_gdb();
      log::info(name(), "gdb killed the run");
      halt(HaltReason::kSimulationStopped);
      if (sc_core::sc_get_simulator_status() != sc_core::SC_SIM_USER_STOP) sc_core::sc_stop();
      return false;
  }
  skip_break_ = true;
  debug_limit_ = stepping_ ? 1 : ~std::uint64_t{0};
  return true;
}

// gdb left: no breakpoint or watchpoint stays, and the CPU runs as without a debugger (a later gdb may
// connect again: the server still listens).
void RiscvCpu::detach_gdb() {
  breakpoints_.clear();
  watches_.clear();
  stepping_ = false;
  debug_limit_ = ~std::uint64_t{0};
}

const RiscvCpu::MmioAccess* RiscvCpu::last_mmio(std::uint64_t address) const {
  const auto it = mmio_seen_.find(address & ~std::uint64_t{3});
  return it == mmio_seen_.end() ? nullptr : &it->second;
}

bool RiscvCpu::in_dram(std::uint64_t address, std::uint64_t length) const {
  const DramRegion& d = config_.dram;
  return address >= d.base && length <= d.size && address - d.base <= d.size - length;
}

std::uint32_t RiscvCpu::read_register(unsigned index) {
  if (index == gdb::kPcRegister) return pc_;
  return index < 32 ? reg(index) : 0;
}

void RiscvCpu::write_register(unsigned index, std::uint32_t value) {
  if (index == gdb::kPcRegister) {
    set_pc(value);
  } else if (index > 0 && index < 32) {
    uc_reg_write(uc_, UC_RISCV_REG_X0 + static_cast<int>(index), &value);
  }
}

bool RiscvCpu::read_memory(std::uint64_t address, std::size_t length, std::uint8_t* out) {
  if (in_dram(address, length)) {
    std::memcpy(out, config_.dram.host + (address - config_.dram.base), length);
    return true;
  }
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_address(address);
  t.set_data_ptr(out);
  t.set_data_length(static_cast<unsigned>(length));
  t.set_streaming_width(static_cast<unsigned>(length));
  if (socket->transport_dbg(t) == length) return true;
  // A register the bus cannot read without side effects (the engine's): the value the CPU's own last
  // access to that word carried.
  const MmioAccess* seen = last_mmio(address);
  const std::uint64_t word = address & ~std::uint64_t{3};
  if (!seen || address + length > word + 4) return false;
  for (std::size_t i = 0; i < length; ++i)
    out[i] = static_cast<std::uint8_t>(seen->value >> (8 * (address - word + i)));
  return true;
}

bool RiscvCpu::write_memory(std::uint64_t address, const std::uint8_t* data, std::size_t length) {
  if (!in_dram(address, length)) return false;
  std::memcpy(config_.dram.host + (address - config_.dram.base), data, length);
  uc_ctl_remove_cache(uc_, address, address + length);  // gdb may have rewritten code
  return true;
}

bool RiscvCpu::insert_point(gdb::PointType type, std::uint64_t address, std::size_t length) {
  using gdb::PointType;
  if (type == PointType::kSoftware || type == PointType::kHardware) {
    if (!in_dram(address, 2)) return false;  // code runs from DRAM only
    breakpoints_[static_cast<std::uint32_t>(address)] = type == PointType::kHardware;
    return true;
  }
  if (length == 0 || address + length > (std::uint64_t{1} << 32)) return false;
  watches_.push_back({type, address, length});
  return true;
}

bool RiscvCpu::remove_point(gdb::PointType type, std::uint64_t address, std::size_t length) {
  using gdb::PointType;
  if (type == PointType::kSoftware || type == PointType::kHardware)
    return breakpoints_.erase(static_cast<std::uint32_t>(address)) > 0;
  for (auto it = watches_.begin(); it != watches_.end(); ++it) {
    if (it->type != type || it->address != address || it->length != length) continue;
    watches_.erase(it);
    return true;
  }
  return false;
}

// Before the instruction at `pc` runs: whether its access (decoded from the instruction and the base
// register) meets a watchpoint. gdb's RISC-V target expects watchpoints to trigger before the access (it
// then steps over the instruction itself), and deciding before needs no Unicorn memory hook, which
// would slow every access down.
bool RiscvCpu::watch_hit(std::uint32_t pc) {
  bool ok = false;
  const std::uint32_t insn = read_insn(pc, &ok);
  MemOp op;
  if (!ok || !decode_mem_op(insn, &op)) return false;
  std::uint32_t base = 0;
  if (op.rs1) uc_reg_read(uc_, UC_RISCV_REG_X0 + static_cast<int>(op.rs1), &base);
  const std::uint64_t ea = static_cast<std::uint32_t>(base + op.offset);
  for (const Watch& w : watches_) {
    if (ea >= w.address + w.length || w.address >= ea + op.width) continue;
    const bool hit = w.type == gdb::PointType::kAccess  ? true
                     : w.type == gdb::PointType::kWrite ? op.writes
                                                        : op.reads;
    if (!hit) continue;
    debug_stop_ = gdb::Stop::watchpoint(w.type, std::max(ea, w.address));
    return true;
  }
  return false;
}

}  // namespace dnnvp::cpu

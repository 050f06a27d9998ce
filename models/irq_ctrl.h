// The interrupt controller: up to 32 level-sensitive interrupt lines to the CPU's machine external
// interrupt (docs/platform.md, "Interrupts"). Registers from the region given at construction (the
// platform's: memory_map.yaml, region intc; the line numbers are its `interrupts:` list):
//   PENDING (ro): bit N = line N is high. Level-sensitive: a source keeps its line high until its own
//            status register is cleared (a DMA's DMASR IOC_Irq/Err_Irq, the engine's IRQ.PENDING).
//   ENABLE  (rw): bit N = line N may interrupt the CPU.
//   CLAIM   (ro): the lowest line pending and enabled, 0xFFFFFFFF when none; reading it changes nothing.
// Output: irq_out = (PENDING & ENABLE) != 0, the CPU's mip.MEIP. Every register access first catches up
// with the initiator's local time (Register::kSync), so a temporally decoupled CPU sees the lines as
// they are at its own time.
// Lines are driven by connect()ed signals (a DMA's introut, the engine's irq_out) or set_line().
// Fault injection (platform/faults/): drop(line, n) loses the n-th rising edge of a line: the line reads
// low until it falls again (a lost edge-triggered interrupt); dropped() lists what was lost.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "peripheral.h"

namespace dnnvp {

class IrqCtrl : public Peripheral {
 public:
  static constexpr unsigned kLines = 32;

  sc_core::sc_signal<bool> irq_out;  // mip.MEIP

  SC_HAS_PROCESS(IrqCtrl);
  // Throws std::invalid_argument if `region` lacks one of the registers. With `stats`, registers
  // "<basename>.raises" (rising edges seen, per line, as an object keyed by line number) and ".dropped".
  IrqCtrl(const sc_core::sc_module_name& name, const RegionInfo& region, const sc_core::sc_time& clock_period,
          unsigned latency_cycles = 1, Stats* stats = nullptr);

  // During elaboration: line `line` follows `signal` (its value from the first delta cycle on).
  void connect(unsigned line, const sc_core::sc_signal_in_if<bool>& signal);
  // Drives a line directly (from a process, at sc_time_stamp()).
  void set_line(unsigned line, bool level);

  // Loses the nth (1-based) rising edge of `line` counted from the start of the simulation.
  void drop(unsigned line, std::uint64_t nth_raise);
  struct Dropped {
    unsigned line;
    std::uint64_t raise;  // which rising edge (1-based)
    sc_core::sc_time time;
  };
  const std::vector<Dropped>& dropped() const { return dropped_; }

  std::uint32_t pending() const { return levels_ & ~masked_; }
  std::uint32_t enabled() const { return enable_.get(); }
  std::uint64_t raises(unsigned line) const { return raises_.at(line); }

 private:
  void update();
  static void check_line(unsigned line);

  Register pending_;
  Register enable_;
  Register claim_;
  std::uint32_t levels_ = 0;
  std::uint32_t masked_ = 0;  // lines whose current high level was dropped
  std::array<std::uint64_t, kLines> raises_{};
  std::vector<std::pair<unsigned, std::uint64_t>> drops_;  // (line, nth raise) still to drop
  std::vector<Dropped> dropped_;
  sc_core::sc_event update_event_;
};

}  // namespace dnnvp

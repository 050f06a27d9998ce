// A DRAM part's timing and energy figures and the named presets (the scenario's dram.preset), as plain
// data: the DRAM model (models/dram.h) times accesses with them; the scenario reader takes the preset names
// from here. docs/platform.md, "DRAM", describes the figures and where they come from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dnnvp {

struct DramEnergy {
  double act_pre_pj;               // one ACT + its PRE, whole rank/channel
  double read_pj_per_byte;         // per byte of every read burst
  double write_pj_per_byte;        // per byte of every write burst
  double background_pj_per_cycle;  // active standby, per tCK of simulated time
  double refresh_pj;               // one all-bank refresh
};

struct DramTiming {
  std::string name;
  unsigned clock_mhz;     // tCK = 1 / clock_mhz (data rate = 2 x clock_mhz MT/s)
  unsigned cl;            // read latency, CAS -> first data
  unsigned wl;            // write latency, CAS -> first data
  unsigned trcd;          // ACT -> CAS
  unsigned trp;           // PRE -> ACT
  unsigned tras;          // ACT -> PRE
  unsigned trtp;          // read CAS -> PRE
  unsigned twr;           // end of write data -> PRE
  unsigned burst_length;  // BL, beats
  unsigned bus_bytes;     // data bus width
  unsigned banks;
  std::uint64_t page_bytes;  // row size of the rank/channel
  unsigned trefi;            // refresh interval (0: no refresh)
  unsigned trfc;             // refresh cycle time
  DramEnergy energy;

  std::uint64_t burst_bytes() const { return std::uint64_t{burst_length} * bus_bytes; }
  unsigned burst_cycles() const { return burst_length / 2; }  // DDR: two beats per tCK
  double peak_bytes_per_second() const { return 2.0 * bus_bytes * clock_mhz * 1e6; }

  // A preset by name (the scenario's dram.preset); throws std::invalid_argument naming the known ones.
  static DramTiming preset(const std::string& name);
  // The presets' names, in the table's order: what a scenario's dram.preset may be.
  static std::vector<std::string> preset_names();
};

// Counters of one initiator ("dram.<initiator>.<counter>" in the statistics).
}  // namespace dnnvp

// The DRAM: a TLM target with a backing store, a bank/row/data-bus timing model, per-initiator statistics
// and an energy estimate. docs/platform.md describes the model; the summary:
//
// Address mapping (local byte address a, page = row size of the whole rank/channel):
//   column = a % page_bytes;  bank = (a / page_bytes) % banks;  row = a / (page_bytes * banks)
// i.e. row:bank:column with the bank in the low row bits, so a sequential stream moves to the next bank
// after each page and its next activate overlaps the current page's transfers.
//
// Timing (open-page policy, in DRAM clock cycles tCK; the access is split into BL-beat bursts of
// burst_bytes = BL x bus_bytes, each aligned to burst_bytes):
//   row hit      CAS at max(request, bank's tRCD done)
//   empty bank   ACT at max(request, bank's refresh/tRP done); CAS tRCD later
//   row conflict PRE at max(request, tRAS after ACT, tRTP after the last read CAS, tWR after the last
//                write data); ACT tRP later; CAS tRCD later
//   data         starts CL (reads) / WL (writes) after CAS, or when the data bus is free if later, and
//                holds the bus BL/2 cycles (two beats per tCK)
// The b_transport delay returned is (end of the last burst's data) - sc_time_stamp(): queueing on the
// data bus + the row hit/miss latency + transfer time. Requests are served in call order (the LT rule):
// the model tracks when each bank and the data bus become free, so back-to-back streams see the bandwidth
// limit, but a request issued "earlier" than one already served still queues behind it.
// Not modelled: bank groups (tCCD_L: as if the controller interleaves bank groups in the column bits),
// tRRD/tFAW, read/write turnaround (tWTR/tRTW), command-bus conflicts, power-down.
// Refresh (simple): every tREFI all banks are precharged and no ACT may start for tRFC; applied when a
// request arrives after a tREFI boundary (a long transaction's bursts do not see refreshes inside it).
// Sequential streams: one large transaction (a DMA burst of >= 1 KiB) streams at close to the peak; a
// blocking initiator that waits for each 64-byte access pays CL every time. An initiator that keeps
// several accesses in flight issues them at the same local time and takes the latest completion.
//
// DMI (for the CPU's loads, stores and fetches) hands out the backing store itself. It is honest only
// about the bytes: DMI accesses bypass this timing model entirely (no bank/row state, no data-bus
// occupancy, no statistics, no energy); the DMI read/write latencies are the row-hit figures
// (CL or WL + BL/2 cycles) for the initiator's own timing. set_dmi_enabled(false) refuses DMI so every
// access is timed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "dram_timing.h"

namespace dnnvp {

class Stats;

// Energy per event, pJ (assumptions documented with the presets in models/base/dram_timing.cpp and docs/platform.md).
struct DramCounters {
  std::uint64_t transactions = 0;  // b_transport calls with a read or write (not DMI, not debug)
  std::uint64_t read_bytes = 0;    // bytes requested
  std::uint64_t write_bytes = 0;
  std::uint64_t bursts = 0;  // column accesses: row_hits + row_misses
  std::uint64_t row_hits = 0;
  std::uint64_t row_misses = 0;     // empty bank + row conflict
  std::uint64_t row_conflicts = 0;  // of which another row was open
  double energy_pj = 0;             // dynamic energy caused: activates, read and write bursts
};

struct DramEnergyReport {
  double activate_pj = 0, read_pj = 0, write_pj = 0, refresh_pj = 0, background_pj = 0;
  double total_pj() const { return activate_pj + read_pj + write_pj + refresh_pj + background_pj; }
};

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> socket;

  static constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 32;

  // `size_bytes` (1 .. 4 GiB) of zeroes; memory is committed only as it is touched. With `stats`, registers
  // "<basename>.<initiator>.*" for every initiator known at the end of elaboration (and any that appears
  // later), "<basename>.{activates,precharges,refreshes,busy_cycles,size_bytes,preset}" and
  // "<basename>.energy_pj.{activate,read,write,refresh,background,total}".
  Dram(const sc_core::sc_module_name& name, std::uint64_t size_bytes, const DramTiming& timing,
       Stats* stats = nullptr);
  ~Dram() override;
  Dram(const Dram&) = delete;
  Dram& operator=(const Dram&) = delete;

  // Direct access for loaders (firmware, weights, inputs) and checkers: untimed, uncounted.
  std::uint8_t* data() { return store_; }
  const std::uint8_t* data() const { return store_; }
  std::uint64_t size() const { return size_; }
  // data() + offset after checking that [offset, offset + length) lies inside; throws std::out_of_range.
  std::uint8_t* ptr(std::uint64_t offset, std::uint64_t length);
  const std::uint8_t* ptr(std::uint64_t offset, std::uint64_t length) const;
  void load(std::uint64_t offset, const void* bytes, std::uint64_t length);
  // Copies a whole file to `offset`; returns its size. Throws std::runtime_error naming the file.
  std::uint64_t load_file(std::uint64_t offset, const std::string& path);

  // Fault injection (platform/faults/): called for every timed access (b_transport) before it is served;
  // a status other than TLM_OK_RESPONSE fails the access with it (nothing read or written, nothing timed).
  // Null, the default: no call.
  using AccessFault = std::function<tlm::tlm_response_status(const tlm::tlm_generic_payload&)>;
  void inject_access_faults(AccessFault hook) { access_fault_ = std::move(hook); }

  void set_dmi_enabled(bool enabled);  // disabling invalidates DMI pointers handed out
  bool dmi_enabled() const { return dmi_enabled_; }

  const DramTiming& timing() const { return timing_; }
  // First DRAM clock edge at or after t, and the time of a clock edge (exact inverses).
  std::uint64_t time_to_cycle(const sc_core::sc_time& t) const;
  sc_core::sc_time cycle_to_time(std::uint64_t cycle) const;

  // Counters of an initiator by name ("unknown" for untagged transactions); all zero if never seen.
  DramCounters counters(const std::string& initiator) const;
  std::uint64_t activates() const { return activates_; }
  std::uint64_t precharges() const { return precharges_; }
  // Refreshes up to max(sc_time_stamp(), the last data transfer): they happen with or without traffic.
  std::uint64_t refreshes() const;
  std::uint64_t busy_cycles() const { return busy_cycles_; }  // data bus cycles carrying bursts
  // Energy so far; background counts up to max(sc_time_stamp(), the last data transfer).
  DramEnergyReport energy() const;
  // The busiest window of kBandwidthWindowCycles DRAM cycles (counted from cycle 0) that overlaps [from, to):
  // its bytes (each burst counted in the window its data starts in) per second. report.json's per-layer
  // peak bandwidth; 0 when no burst fell in those windows.
  static constexpr std::uint64_t kBandwidthWindowCycles = 1024;
  double peak_bytes_per_second(const sc_core::sc_time& from, const sc_core::sc_time& to) const;

 protected:
  void end_of_elaboration() override;

 private:
  struct Bank {
    bool open = false;
    std::uint64_t row = 0;
    std::uint64_t act_ok = 0;  // earliest ACT
    std::uint64_t cas_ok = 0;  // earliest CAS (tRCD after ACT)
    std::uint64_t pre_ok = 0;  // earliest PRE
  };

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  // Times the access; returns the cycle its last data beat ends.
  std::uint64_t schedule(std::uint64_t cycle, std::uint64_t address, std::uint64_t length, bool write,
                         DramCounters& c);
  void refresh_until(std::uint64_t cycle);
  std::uint64_t elapsed_cycles() const;  // max(now, last data transfer)
  DramCounters& counters_for(int initiator_id);
  void register_initiator(int initiator_id);

  DramTiming timing_;
  std::uint64_t size_;
  std::uint8_t* store_ = nullptr;
  bool dmi_enabled_ = true;
  AccessFault access_fault_;
  Stats* stats_;
  std::uint64_t units_per_us_;  // SystemC time units per microsecond

  std::vector<Bank> banks_;
  std::uint64_t bus_free_ = 0;  // first cycle the data bus is free
  std::uint64_t last_data_end_ = 0;
  std::uint64_t refresh_epoch_ = 0;  // tREFI intervals applied to the banks
  std::uint64_t activates_ = 0, precharges_ = 0, busy_cycles_ = 0;
  std::uint64_t read_bursts_ = 0, write_bursts_ = 0;
  std::vector<std::uint32_t> window_bytes_;  // per kBandwidthWindowCycles window

  std::deque<DramCounters> counter_store_;   // stable addresses for the statistics
  std::vector<DramCounters*> by_initiator_;  // index: InitiatorId + 1 (slot 0: unknown)
};

}  // namespace dnnvp

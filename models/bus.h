// The SoC interconnect: address decode from a table of target regions, global -> local address
// translation, one tagged port per initiator. One SystemC module with one job.
//
// Initiators (CPU, DMA channels) each bind to their own port `initiator_socket("cpu")` (a
// tlm_utils::simple_target_socket_tagged). Targets (DRAM, UART, ...) bind `target_socket("dram")` (a
// tlm_utils::simple_initiator_socket_tagged) to their target socket. Every port and target named in the
// BusConfig must be bound (SystemC checks at elaboration). All sockets have the TLM default bus width (32).
//
// b_transport: the whole access (address .. address + min(length, streaming width) - 1) must lie inside one
// target, else TLM_ADDRESS_ERROR_RESPONSE without forwarding. The target sees the local address (global -
// base); the payload's address is restored before returning. The bus tags the payload with the port's
// InitiatorId unless it already carries one (initiator_id.h), adds `latency` to the delay, and records a
// BusFault for every unmapped access and every error response a target returns.
// DMI: requests are translated and forwarded; the granted range is translated back to global addresses and
// clipped to the target's region; target invalidations are translated and broadcast to every initiator.
// An unmapped DMI request is refused with the unmapped gap as the range. transport_dbg: translated and
// forwarded, truncated at the end of the target; unmapped -> 0 bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "initiator_id.h"
#include "register_spec.h"

namespace dnnvp {

class Stats;

struct BusTarget {
  std::string name;    // also the socket's name: [A-Za-z0-9_]
  std::uint64_t base;  // global address of local address 0
  std::uint64_t size;  // bytes, > 0
};

struct BusConfig {
  std::vector<std::string> initiators;  // port names; each also becomes the port's InitiatorId name
  std::vector<BusTarget> targets;       // must not overlap
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // added to every forwarded b_transport
  std::size_t max_fault_records = 64;                // faults beyond this are counted but not kept
};

// One failed access, as the platform prints it.
struct BusFault {
  std::string initiator;  // port name, or the payload's InitiatorId name when it carried one
  std::string target;     // empty when no target is mapped there
  tlm::tlm_command command;
  std::uint64_t address;  // global
  unsigned length;
  tlm::tlm_response_status status;
  sc_core::sc_time time;  // sc_time_stamp() + the initiator's delay when it was issued
  std::string reason;     // "no target mapped", "crosses the end of dram", "target error"
  // "bus fault at 1.2 us: cpu write of 4 bytes at 0x20000000: no target mapped (TLM_ADDRESS_ERROR_RESPONSE)"
  std::string describe() const;
};

// One target per region of `map` (the platform's: memory_map::kMap), the scenario-sized region (the DRAM)
// getting `dram_bytes`. `dram_base` is the scenario's dram.base: it must equal the map's (firmware is built
// against the map). Throws std::invalid_argument naming the problem if it differs or a region would end
// beyond 4 GiB.
std::vector<BusTarget> memory_map_targets(const MemoryMapInfo& map, std::uint64_t dram_bytes,
                                          std::uint64_t dram_base);

// One access a target answered, as an observer sees it (platform/trace/: the bus trace).
struct BusAccess {
  std::string initiator;                  // the payload's InitiatorId name, else the port's
  const BusTarget* target;                // the region it reached
  const tlm::tlm_generic_payload* trans;  // global address, command, data, response (after the target)
  sc_core::sc_time time;                  // when issued: sc_time_stamp() + the initiator's delay
};

class Bus : public sc_core::sc_module {
 public:
  // With `stats`: "<basename>.<initiator>.transactions" and ".faults" per port, and "<basename>.faults".
  // Throws std::invalid_argument on overlapping or empty targets, or duplicate / invalid names.
  Bus(const sc_core::sc_module_name& name, const BusConfig& config, Stats* stats = nullptr);

  tlm_utils::simple_target_socket_tagged<Bus>& initiator_socket(const std::string& initiator);
  tlm_utils::simple_initiator_socket_tagged<Bus>& target_socket(const std::string& target);

  // The target containing [address, address + length), or -1.
  int decode(std::uint64_t address, std::uint64_t length = 1) const;
  const BusTarget& target(int index) const { return targets_[static_cast<std::size_t>(index)].region; }
  std::size_t target_count() const { return targets_.size(); }

  const std::vector<BusFault>& faults() const { return faults_; }
  std::uint64_t fault_count() const { return fault_count_; }
  // Called for every fault as it happens (e.g. to print it); the record is kept either way.
  void on_fault(std::function<void(const BusFault&)> handler) { fault_handler_ = std::move(handler); }
  // Called for every access a target answered (null, the default: no per-access work beyond the check).
  void on_access(std::function<void(const BusAccess&)> observer) { access_observer_ = std::move(observer); }

 private:
  struct Port {
    std::string name;
    InitiatorId tag;
    std::unique_ptr<tlm_utils::simple_target_socket_tagged<Bus>> socket;
    std::uint64_t transactions = 0;
    std::uint64_t faults = 0;
  };
  struct Target {
    BusTarget region;
    std::unique_ptr<tlm_utils::simple_initiator_socket_tagged<Bus>> socket;
  };

  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int port, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(int port, tlm::tlm_generic_payload& trans);
  void invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end);
  void record_fault(int port, int target, const tlm::tlm_generic_payload& trans,
                    const sc_core::sc_time& delay);

  std::vector<std::unique_ptr<Port>> ports_;
  std::vector<Target> targets_;  // sorted by base
  sc_core::sc_time latency_;
  std::size_t max_faults_;
  std::vector<BusFault> faults_;
  std::uint64_t fault_count_ = 0;
  std::function<void(const BusFault&)> fault_handler_;
  std::function<void(const BusAccess&)> access_observer_;
};

}  // namespace dnnvp

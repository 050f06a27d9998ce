#include "bus.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "hex.h"
#include "stats.h"

namespace dnnvp {

namespace {

constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 32;

void check_socket_name(const std::string& what, const std::string& name) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!ok) throw std::invalid_argument("bus: " + what + " name '" + name + "' must be [A-Za-z0-9_]+");
}

const char* command_name(tlm::tlm_command c) {
  switch (c) {
    case tlm::TLM_READ_COMMAND:
      return "read";
    case tlm::TLM_WRITE_COMMAND:
      return "write";
    default:
      return "ignore";
  }
}

}  // namespace

std::string BusFault::describe() const {
  tlm::tlm_generic_payload p;  // for its response-status names
  p.set_response_status(status);
  return "bus fault at " + time.to_string() + ": " + initiator + " " + command_name(command) + " of " +
         std::to_string(length) + " bytes at " + hex(address) + ": " + reason +
         (target.empty() ? "" : " [" + target + "]") + " (" + p.get_response_string() + ")";
}

std::vector<BusTarget> memory_map_targets(const MemoryMapInfo& map, std::uint64_t dram_bytes,
                                          std::uint64_t dram_base) {
  std::vector<BusTarget> out;
  for (std::size_t i = 0; i < map.region_count; ++i) {
    const RegionInfo& r = map.regions[i];
    if (r.sized_by_scenario && dram_base != r.base)
      throw std::invalid_argument("memory map: the scenario's dram.base " + hex(dram_base) +
                                  " differs from " + std::string(r.name) + " at " + hex(r.base) + " in " +
                                  std::string(map.source));
    const std::uint64_t size = r.sized_by_scenario ? dram_bytes : r.size;
    if (size == 0 || r.base + size > kAddressSpace)
      throw std::invalid_argument("memory map: region " + std::string(r.name) + " of " +
                                  std::to_string(size) + " bytes at " + hex(r.base) +
                                  " does not fit the 32-bit address space");
    out.push_back({std::string(r.name), r.base, size});
  }
  return out;
}

Bus::Bus(const sc_core::sc_module_name& name, const BusConfig& config, Stats* stats)
    : sc_core::sc_module(name), latency_(config.latency), max_faults_(config.max_fault_records) {
  for (std::size_t i = 0; i < config.initiators.size(); ++i) {
    const std::string& n = config.initiators[i];
    check_socket_name("initiator", n);
    for (const auto& p : ports_)
      if (p->name == n) throw std::invalid_argument("bus: initiator '" + n + "' given twice");
    auto port = std::make_unique<Port>();
    port->name = n;
    port->tag = InitiatorId(InitiatorId::allocate(n));
    port->socket = std::make_unique<tlm_utils::simple_target_socket_tagged<Bus>>(("initiator_" + n).c_str());
    const int tag = static_cast<int>(i);
    port->socket->register_b_transport(this, &Bus::b_transport, tag);
    port->socket->register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr, tag);
    port->socket->register_transport_dbg(this, &Bus::transport_dbg, tag);
    ports_.push_back(std::move(port));
  }

  std::vector<BusTarget> sorted = config.targets;
  std::sort(sorted.begin(), sorted.end(),
            [](const BusTarget& a, const BusTarget& b) { return a.base < b.base; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const BusTarget& t = sorted[i];
    check_socket_name("target", t.name);
    if (t.size == 0 || t.base + t.size < t.base)
      throw std::invalid_argument("bus: target '" + t.name + "' has a bad size");
    for (std::size_t j = 0; j < i; ++j)
      if (sorted[j].name == t.name) throw std::invalid_argument("bus: target '" + t.name + "' given twice");
    if (i > 0 && sorted[i - 1].base + sorted[i - 1].size > t.base)
      throw std::invalid_argument("bus: targets '" + sorted[i - 1].name + "' and '" + t.name +
                                  "' overlap at " + hex(t.base));
  }
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    Target t;
    t.region = sorted[i];
    t.socket =
        std::make_unique<tlm_utils::simple_initiator_socket_tagged<Bus>>(("target_" + t.region.name).c_str());
    t.socket->register_invalidate_direct_mem_ptr(this, &Bus::invalidate_direct_mem_ptr, static_cast<int>(i));
    targets_.push_back(std::move(t));
  }

  if (stats != nullptr) {
    const std::string p = basename();
    for (const auto& port : ports_) {
      stats->add(p + "." + port->name + ".transactions", port->transactions);
      stats->add(p + "." + port->name + ".faults", port->faults);
    }
    stats->add(p + ".faults", fault_count_);
  }
}

tlm_utils::simple_target_socket_tagged<Bus>& Bus::initiator_socket(const std::string& initiator) {
  for (auto& p : ports_)
    if (p->name == initiator) return *p->socket;
  throw std::invalid_argument(std::string(name()) + ": no initiator port '" + initiator + "'");
}

tlm_utils::simple_initiator_socket_tagged<Bus>& Bus::target_socket(const std::string& target) {
  for (auto& t : targets_)
    if (t.region.name == target) return *t.socket;
  throw std::invalid_argument(std::string(name()) + ": no target '" + target + "'");
}

int Bus::decode(std::uint64_t address, std::uint64_t length) const {
  if (length == 0) length = 1;
  // The last target whose base is <= address.
  const auto it = std::upper_bound(targets_.begin(), targets_.end(), address,
                                   [](std::uint64_t a, const Target& t) { return a < t.region.base; });
  if (it == targets_.begin()) return -1;
  const Target& t = *(it - 1);
  const std::uint64_t offset = address - t.region.base;
  if (offset >= t.region.size || length > t.region.size - offset) return -1;
  return static_cast<int>(it - 1 - targets_.begin());
}

void Bus::record_fault(int port, int target, const tlm::tlm_generic_payload& trans,
                       const sc_core::sc_time& delay) {
  ++fault_count_;
  ++ports_[static_cast<std::size_t>(port)]->faults;
  BusFault f;
  const int id = InitiatorId::of(trans);
  f.initiator =
      id != InitiatorId::kUnknown ? InitiatorId::name_of(id) : ports_[static_cast<std::size_t>(port)]->name;
  f.command = trans.get_command();
  f.address = trans.get_address();
  f.length = trans.get_data_length();
  f.status = trans.get_response_status();
  f.time = sc_core::sc_time_stamp() + delay;
  if (target >= 0) {
    f.target = targets_[static_cast<std::size_t>(target)].region.name;
    f.reason = "target error";
  } else if (const int start = decode(f.address); start >= 0) {
    f.target = targets_[static_cast<std::size_t>(start)].region.name;
    f.reason = "crosses the end of " + f.target;
  } else {
    f.reason = "no target mapped";
  }
  if (fault_handler_) fault_handler_(f);
  if (faults_.size() < max_faults_) faults_.push_back(std::move(f));
}

void Bus::b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  Port& p = *ports_[static_cast<std::size_t>(port)];
  ++p.transactions;
  const std::uint64_t address = trans.get_address();
  const std::uint64_t span = std::min<std::uint64_t>(trans.get_data_length(), trans.get_streaming_width());
  const int t = decode(address, span);
  if (t < 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    record_fault(port, -1, trans, delay);
    return;
  }
  const Target& target = targets_[static_cast<std::size_t>(t)];
  const sc_core::sc_time issued = delay;
  // The target may wait (a register catching up with the initiator's time): the issue time is now's.
  const sc_core::sc_time issued_at =
      access_observer_ ? sc_core::sc_time_stamp() + delay : sc_core::SC_ZERO_TIME;
  {
    ScopedInitiatorId tag(trans, p.tag);
    trans.set_address(address - target.region.base);
    delay += latency_;
    (*target.socket)->b_transport(trans, delay);
    trans.set_address(address);
    if (trans.is_response_error()) record_fault(port, t, trans, issued);
  }
  if (access_observer_) {
    const int id = InitiatorId::of(trans);
    access_observer_(
        {id != InitiatorId::kUnknown ? InitiatorId::name_of(id) : p.name, &target.region, &trans, issued_at});
  }
}

bool Bus::get_direct_mem_ptr(int port, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  const std::uint64_t address = trans.get_address();
  const int t = decode(address);
  if (t < 0) {
    // Refuse for the whole unmapped gap around the address.
    std::uint64_t lo = 0, hi = std::numeric_limits<std::uint64_t>::max();
    for (const Target& g : targets_) {
      if (g.region.base + g.region.size <= address) lo = std::max(lo, g.region.base + g.region.size);
      if (g.region.base > address) hi = std::min(hi, g.region.base - 1);
    }
    dmi.set_start_address(lo);
    dmi.set_end_address(hi);
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    return false;
  }
  const Target& target = targets_[static_cast<std::size_t>(t)];
  bool ok = false;
  {
    ScopedInitiatorId tag(trans, ports_[static_cast<std::size_t>(port)]->tag);
    trans.set_address(address - target.region.base);
    ok = (*target.socket)->get_direct_mem_ptr(trans, dmi);
    trans.set_address(address);
  }
  const std::uint64_t last = target.region.size - 1;
  dmi.set_start_address(target.region.base + std::min<std::uint64_t>(dmi.get_start_address(), last));
  dmi.set_end_address(target.region.base + std::min<std::uint64_t>(dmi.get_end_address(), last));
  return ok;
}

unsigned Bus::transport_dbg(int port, tlm::tlm_generic_payload& trans) {
  const std::uint64_t address = trans.get_address();
  const int t = decode(address);
  if (t < 0) return 0;
  const Target& target = targets_[static_cast<std::size_t>(t)];
  const unsigned length = trans.get_data_length();
  const std::uint64_t room = target.region.base + target.region.size - address;
  if (length > room) trans.set_data_length(static_cast<unsigned>(room));
  unsigned n = 0;
  {
    ScopedInitiatorId tag(trans, ports_[static_cast<std::size_t>(port)]->tag);
    trans.set_address(address - target.region.base);
    n = (*target.socket)->transport_dbg(trans);
    trans.set_address(address);
    trans.set_data_length(length);
  }
  return n;
}

void Bus::invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end) {
  const BusTarget& r = targets_[static_cast<std::size_t>(target)].region;
  const std::uint64_t last = r.size - 1;
  const std::uint64_t gs = r.base + std::min<std::uint64_t>(start, last);
  const std::uint64_t ge = r.base + std::min<std::uint64_t>(end, last);
  for (auto& p : ports_) (*p->socket)->invalidate_direct_mem_ptr(gs, ge);
}

}  // namespace dnnvp

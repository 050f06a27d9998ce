#include "dram.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "initiator_id.h"
#include "stats.h"

namespace dnnvp {

namespace {

__extension__ typedef unsigned __int128 u128;  // exact cycle <-> time conversions

std::uint64_t ceil_div(u128 a, u128 b) {
  return static_cast<std::uint64_t>((a + b - 1) / b);
}

}  // namespace

// Timing: JEDEC figures as DRAMSys's memspecs give them (design-notes.md's table). tRTP, tWR and tRFC are
// not in that table: they are the JEDEC values for 8 Gb dies (tRTP 7.5 ns, tWR 15 ns DDR4 / 18 ns LPDDR4,
// tRFC 350 ns DDR4 / tRFCab 280 ns LPDDR4), rounded up to whole cycles.
//
Dram::Dram(const sc_core::sc_module_name& name, std::uint64_t size_bytes, const DramTiming& timing,
           Stats* stats)
    : sc_core::sc_module(name), socket("socket"), timing_(timing), size_(size_bytes), stats_(stats) {
  if (size_ == 0 || size_ > kMaxSize)
    throw std::invalid_argument(std::string(this->name()) + ": size must be 1 byte .. 4 GiB, got " +
                                std::to_string(size_));
  if (timing_.clock_mhz == 0 || timing_.burst_length < 2 || timing_.burst_length % 2 != 0 ||
      timing_.bus_bytes == 0 || timing_.banks == 0 || timing_.page_bytes == 0 ||
      timing_.page_bytes % timing_.burst_bytes() != 0)
    throw std::invalid_argument(std::string(this->name()) + ": inconsistent timing '" + timing_.name + "'");
  // Anonymous private mapping: zero pages appear as they are touched, so a 1 GiB DRAM costs what is used.
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error(std::string(this->name()) + ": cannot reserve " + std::to_string(size_) +
                             " bytes");
  store_ = static_cast<std::uint8_t*>(p);
  units_per_us_ = sc_core::sc_time(1, sc_core::SC_US).value();
  banks_.resize(timing_.banks);
  by_initiator_.assign(1, nullptr);

  socket.register_b_transport(this, &Dram::b_transport);
  socket.register_get_direct_mem_ptr(this, &Dram::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &Dram::transport_dbg);

  if (stats_ != nullptr) {
    const std::string b = basename();
    stats_->add(b + ".activates", activates_);
    stats_->add(b + ".precharges", precharges_);
    stats_->add(b + ".refreshes", [this] { return refreshes(); });
    stats_->add(b + ".busy_cycles", busy_cycles_);
    stats_->add(b + ".size_bytes", size_);
    stats_->add(b + ".preset", [this] { return nlohmann::json(timing_.name); });
    stats_->add(b + ".energy_pj.activate", [this] { return energy().activate_pj; });
    stats_->add(b + ".energy_pj.read", [this] { return energy().read_pj; });
    stats_->add(b + ".energy_pj.write", [this] { return energy().write_pj; });
    stats_->add(b + ".energy_pj.refresh", [this] { return energy().refresh_pj; });
    stats_->add(b + ".energy_pj.background", [this] { return energy().background_pj; });
    stats_->add(b + ".energy_pj.total", [this] { return energy().total_pj(); });
  }
}

Dram::~Dram() {
  if (store_ != nullptr) munmap(store_, size_);
}

const std::uint8_t* Dram::ptr(std::uint64_t offset, std::uint64_t length) const {
  if (offset > size_ || length > size_ - offset)
    throw std::out_of_range(std::string(name()) + ": bytes " + std::to_string(offset) + " .. +" +
                            std::to_string(length) + " lie outside the " + std::to_string(size_) +
                            "-byte DRAM");
  return store_ + offset;
}

std::uint8_t* Dram::ptr(std::uint64_t offset, std::uint64_t length) {
  return const_cast<std::uint8_t*>(std::as_const(*this).ptr(offset, length));
}

void Dram::load(std::uint64_t offset, const void* bytes, std::uint64_t length) {
  if (length != 0) std::memcpy(ptr(offset, length), bytes, length);
}

std::uint64_t Dram::load_file(std::uint64_t offset, const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(path + ": cannot read the file");
  const auto length = static_cast<std::uint64_t>(in.tellg());
  if (offset > size_ || length > size_ - offset)
    throw std::runtime_error(path + ": " + std::to_string(length) + " bytes do not fit the DRAM at offset " +
                             std::to_string(offset) + " (size " + std::to_string(size_) + ")");
  in.seekg(0);
  if (length != 0 && !in.read(reinterpret_cast<char*>(store_ + offset), static_cast<std::streamsize>(length)))
    throw std::runtime_error(path + ": cannot read the file");
  return length;
}

void Dram::set_dmi_enabled(bool enabled) {
  const bool revoke = dmi_enabled_ && !enabled;
  dmi_enabled_ = enabled;
  if (revoke) socket->invalidate_direct_mem_ptr(0, size_ - 1);
}

std::uint64_t Dram::time_to_cycle(const sc_core::sc_time& t) const {
  // The first cycle c with cycle_to_time(c) >= t, i.e. ceil(c * u / f) >= v  <=>  c > (v - 1) * f / u.
  const std::uint64_t v = t.value();
  if (v == 0) return 0;
  return static_cast<std::uint64_t>(u128(v - 1) * timing_.clock_mhz / units_per_us_) + 1;
}

sc_core::sc_time Dram::cycle_to_time(std::uint64_t cycle) const {
  return sc_core::sc_time::from_value(ceil_div(u128(cycle) * units_per_us_, timing_.clock_mhz));
}

void Dram::end_of_elaboration() {
  for (int id = 0; id < InitiatorId::count(); ++id) register_initiator(id);
}

void Dram::register_initiator(int initiator_id) {
  const int slot_number = initiator_id + 1;  // slot 0: unknown
  const auto slot = static_cast<std::size_t>(slot_number);
  if (slot < by_initiator_.size() && by_initiator_[slot] != nullptr) return;
  if (slot >= by_initiator_.size()) by_initiator_.resize(slot + 1, nullptr);
  counter_store_.emplace_back();
  DramCounters& c = counter_store_.back();
  by_initiator_[slot] = &c;
  if (stats_ != nullptr) {
    const std::string p = std::string(basename()) + "." + InitiatorId::name_of(initiator_id) + ".";
    stats_->add(p + "transactions", c.transactions);
    stats_->add(p + "read_bytes", c.read_bytes);
    stats_->add(p + "write_bytes", c.write_bytes);
    stats_->add(p + "bursts", c.bursts);
    stats_->add(p + "row_hits", c.row_hits);
    stats_->add(p + "row_misses", c.row_misses);
    stats_->add(p + "row_conflicts", c.row_conflicts);
    stats_->add(p + "energy_pj", c.energy_pj);
  }
}

DramCounters& Dram::counters_for(int initiator_id) {
  if (initiator_id < InitiatorId::kUnknown || initiator_id >= InitiatorId::count())
    initiator_id = InitiatorId::kUnknown;
  const int slot_number = initiator_id + 1;
  const auto slot = static_cast<std::size_t>(slot_number);
  if (slot >= by_initiator_.size() || by_initiator_[slot] == nullptr) register_initiator(initiator_id);
  return *by_initiator_[slot];
}

DramCounters Dram::counters(const std::string& initiator) const {
  for (std::size_t slot = 0; slot < by_initiator_.size(); ++slot)
    if (by_initiator_[slot] != nullptr && InitiatorId::name_of(static_cast<int>(slot) - 1) == initiator)
      return *by_initiator_[slot];
  return {};
}

DramEnergyReport Dram::energy() const {
  const DramEnergy& e = timing_.energy;
  DramEnergyReport r;
  r.activate_pj = static_cast<double>(activates_) * e.act_pre_pj;
  r.read_pj = static_cast<double>(read_bursts_ * timing_.burst_bytes()) * e.read_pj_per_byte;
  r.write_pj = static_cast<double>(write_bursts_ * timing_.burst_bytes()) * e.write_pj_per_byte;
  r.refresh_pj = static_cast<double>(refreshes()) * e.refresh_pj;
  r.background_pj = static_cast<double>(elapsed_cycles()) * e.background_pj_per_cycle;
  return r;
}

std::uint64_t Dram::elapsed_cycles() const {
  return std::max(time_to_cycle(sc_core::sc_time_stamp()), last_data_end_);
}

std::uint64_t Dram::refreshes() const {
  return timing_.trefi == 0 ? 0 : std::max(refresh_epoch_, elapsed_cycles() / timing_.trefi);
}

double Dram::peak_bytes_per_second(const sc_core::sc_time& from, const sc_core::sc_time& to) const {
  const std::uint64_t first = time_to_cycle(from) / kBandwidthWindowCycles;
  const std::uint64_t last = std::min<std::uint64_t>(
      (time_to_cycle(to) + kBandwidthWindowCycles - 1) / kBandwidthWindowCycles, window_bytes_.size());
  std::uint32_t most = 0;
  for (std::uint64_t w = first; w < last; ++w) most = std::max(most, window_bytes_[w]);
  const double window_seconds = (cycle_to_time(kBandwidthWindowCycles) - cycle_to_time(0)).to_seconds();
  return static_cast<double>(most) / window_seconds;
}

void Dram::refresh_until(std::uint64_t cycle) {
  if (timing_.trefi == 0) return;
  const std::uint64_t epoch = cycle / timing_.trefi;
  if (epoch <= refresh_epoch_) return;
  refresh_epoch_ = epoch;
  const std::uint64_t done = epoch * timing_.trefi + timing_.trfc;
  for (Bank& b : banks_) {
    if (b.open) ++precharges_;
    b.open = false;
    b.act_ok = std::max(b.act_ok, done);
  }
}

std::uint64_t Dram::schedule(std::uint64_t cycle, std::uint64_t address, std::uint64_t length, bool write,
                             DramCounters& c) {
  const DramTiming& t = timing_;
  const std::uint64_t burst = t.burst_bytes();
  const unsigned latency = write ? t.wl : t.cl;
  const double burst_energy =
      static_cast<double>(burst) * (write ? t.energy.write_pj_per_byte : t.energy.read_pj_per_byte);
  std::uint64_t done = cycle;
  refresh_until(cycle);
  const std::uint64_t first = address / burst;
  const std::uint64_t last = (address + std::max<std::uint64_t>(length, 1) - 1) / burst;
  for (std::uint64_t b = first; b <= last; ++b) {
    const std::uint64_t a = b * burst;
    const std::uint64_t page = a / t.page_bytes;
    Bank& bank = banks_[page % t.banks];
    const std::uint64_t row = page / t.banks;
    ++c.bursts;
    if (bank.open && bank.row == row) {
      ++c.row_hits;
    } else {
      ++c.row_misses;
      std::uint64_t act = std::max(cycle, bank.act_ok);
      if (bank.open) {
        ++c.row_conflicts;
        ++precharges_;
        const std::uint64_t pre = std::max(cycle, bank.pre_ok);
        act = std::max(act, pre + t.trp);
      }
      bank.open = true;
      bank.row = row;
      bank.cas_ok = act + t.trcd;
      bank.pre_ok = act + t.tras;
      ++activates_;
      c.energy_pj += t.energy.act_pre_pj;
    }
    const std::uint64_t cas = std::max(cycle, bank.cas_ok);
    const std::uint64_t data_start = std::max(cas + latency, bus_free_);
    const std::uint64_t data_end = data_start + t.burst_cycles();
    bus_free_ = data_end;
    busy_cycles_ += t.burst_cycles();
    const std::uint64_t window = data_start / kBandwidthWindowCycles;
    if (window >= window_bytes_.size()) window_bytes_.resize(window + 1, 0);
    window_bytes_[window] += static_cast<std::uint32_t>(burst);
    if (write) {
      bank.pre_ok = std::max(bank.pre_ok, data_end + t.twr);
      ++write_bursts_;
    } else {
      bank.pre_ok = std::max(bank.pre_ok, data_start - latency + t.trtp);
      ++read_bursts_;
    }
    c.energy_pj += burst_energy;
    done = std::max(done, data_end);
  }
  last_data_end_ = std::max(last_data_end_, done);
  return done;
}

void Dram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm::tlm_command cmd = trans.get_command();
  const std::uint64_t address = trans.get_address();
  const std::uint64_t length = trans.get_data_length();
  if (cmd == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (trans.get_streaming_width() < length) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (address >= size_ || length > size_ - address) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (access_fault_) {
    const tlm::tlm_response_status injected = access_fault_(trans);
    if (injected != tlm::TLM_OK_RESPONSE) {
      trans.set_response_status(injected);
      return;
    }
  }
  const bool write = cmd == tlm::TLM_WRITE_COMMAND;
  unsigned char* data = trans.get_data_ptr();
  std::uint8_t* mem = store_ + address;
  const unsigned char* be = trans.get_byte_enable_ptr();
  const unsigned be_length = trans.get_byte_enable_length();
  if (be == nullptr) {
    if (write)
      std::memcpy(mem, data, length);
    else
      std::memcpy(data, mem, length);
  } else {
    if (be_length == 0) {
      trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    for (std::uint64_t i = 0; i < length; ++i) {
      if (be[i % be_length] != TLM_BYTE_ENABLED) continue;
      if (write)
        mem[i] = data[i];
      else
        data[i] = mem[i];
    }
  }

  DramCounters& c = counters_for(InitiatorId::of(trans));
  ++c.transactions;
  (write ? c.write_bytes : c.read_bytes) += length;
  const sc_core::sc_time& now = sc_core::sc_time_stamp();
  const std::uint64_t done = schedule(time_to_cycle(now + delay), address, length, write, c);
  delay = cycle_to_time(done) - now;
  trans.set_dmi_allowed(dmi_enabled_);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Dram::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  (void)trans;
  dmi.set_start_address(0);
  dmi.set_end_address(size_ - 1);
  if (!dmi_enabled_) {
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    return false;
  }
  dmi.set_dmi_ptr(store_);
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
  dmi.set_read_latency(cycle_to_time(timing_.cl + timing_.burst_cycles()));
  dmi.set_write_latency(cycle_to_time(timing_.wl + timing_.burst_cycles()));
  return true;
}

unsigned Dram::transport_dbg(tlm::tlm_generic_payload& trans) {
  const std::uint64_t address = trans.get_address();
  if (address >= size_) return 0;
  const auto n = static_cast<unsigned>(std::min<std::uint64_t>(trans.get_data_length(), size_ - address));
  if (trans.is_read())
    std::memcpy(trans.get_data_ptr(), store_ + address, n);
  else if (trans.is_write())
    std::memcpy(store_ + address, trans.get_data_ptr(), n);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return n;
}

}  // namespace dnnvp

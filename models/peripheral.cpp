#include "peripheral.h"

#include <cstring>
#include <stdexcept>

#include "stats.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the register helper copies words in host order: it assumes a little-endian host, like RISC-V"
#endif

namespace dnnvp {

Register::Register(Peripheral& owner, std::string name, std::uint32_t offset, std::uint32_t reset,
                   unsigned flags)
    : name_(std::move(name)), offset_(offset), reset_(reset), flags_(flags), value_(reset) {
  if ((flags_ & kReadOnly) && (flags_ & kWriteOnly))
    throw std::logic_error("register " + name_ + ": both read-only and write-only");
  owner.add(this);
}

Register::Register(Peripheral& owner, const RegisterInfo& info, unsigned extra_flags)
    : Register(owner, std::string(info.name), info.offset, info.reset, flags_of(info.access) | extra_flags) {}

unsigned Register::flags_of(RegisterAccess access) {
  switch (access) {
    case RegisterAccess::kReadOnly:
      return kReadOnly;
    case RegisterAccess::kWriteOnly:
      return kWriteOnly;
    case RegisterAccess::kWriteOneToClear:
      return kWriteOneToClear;
    case RegisterAccess::kReadWrite:
      break;
  }
  return kReadWrite;
}

Register& Register::on_read(ReadFn fn) {
  on_read_ = std::move(fn);
  return *this;
}

Register& Register::on_write(WriteFn fn) {
  on_write_ = std::move(fn);
  return *this;
}

Register& Register::on_debug_read(ReadFn fn) {
  on_debug_read_ = std::move(fn);
  return *this;
}

void Register::bus_write(std::uint32_t v) {
  if (flags_ & kWriteOneToClear)
    value_ &= ~v;
  else
    value_ = v;
  if (on_write_) on_write_(v);
}

Peripheral::Peripheral(const sc_core::sc_module_name& name, const sc_core::sc_time& clock_period,
                       unsigned latency_cycles, Stats* stats)
    : sc_core::sc_module(name),
      socket("socket"),
      clock_period_(clock_period),
      latency_(clock_period * static_cast<double>(latency_cycles)) {
  socket.register_b_transport(this, &Peripheral::b_transport);
  socket.register_transport_dbg(this, &Peripheral::transport_dbg);
  if (stats != nullptr) {
    const std::string p = basename();
    stats->add(p + ".reads", reads_);
    stats->add(p + ".writes", writes_);
    stats->add(p + ".errors", errors_);
  }
}

void Peripheral::add(Register* reg) {
  if (reg->offset() % 4 != 0)
    throw std::logic_error(std::string(name()) + ": register " + reg->name() + " at an unaligned offset");
  const auto [it, fresh] = registers_.emplace(reg->offset(), reg);
  if (!fresh)
    throw std::logic_error(std::string(name()) + ": registers " + it->second->name() + " and " + reg->name() +
                           " share an offset");
}

void Peripheral::reset_registers() {
  for (auto& [offset, reg] : registers_) reg->reset();
}

std::vector<const Register*> Peripheral::registers() const {
  std::vector<const Register*> out;
  for (const auto& [offset, reg] : registers_) out.push_back(reg);
  return out;
}

const Register* Peripheral::find(std::uint32_t offset) const {
  const auto it = registers_.find(offset);
  return it == registers_.end() ? nullptr : it->second;
}

sc_core::sc_time Peripheral::access_time() const {
  return current_delay_ != nullptr ? sc_core::sc_time_stamp() + *current_delay_ : sc_core::sc_time_stamp();
}

tlm::tlm_response_status check_register_access(const tlm::tlm_generic_payload& trans,
                                               std::uint64_t window_bytes) {
  if (const unsigned char* be = trans.get_byte_enable_ptr(); be != nullptr) {
    const unsigned n = trans.get_byte_enable_length();
    for (unsigned i = 0; i < trans.get_data_length(); ++i)
      if (n == 0 || be[i % n] != TLM_BYTE_ENABLED) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  }
  if (trans.get_data_length() != 4 || trans.get_streaming_width() < 4) return tlm::TLM_BURST_ERROR_RESPONSE;
  const sc_dt::uint64 address = trans.get_address();
  if (address % 4 != 0 || address >= window_bytes) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  return tlm::TLM_OK_RESPONSE;
}

tlm::tlm_response_status Peripheral::access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm::tlm_command cmd = trans.get_command();
  if (cmd == tlm::TLM_IGNORE_COMMAND) return tlm::TLM_OK_RESPONSE;
  // Register offsets are 32-bit: the window is the whole offset space.
  if (const tlm::tlm_response_status s = check_register_access(trans, std::uint64_t{1} << 32);
      s != tlm::TLM_OK_RESPONSE)
    return s;
  const sc_dt::uint64 address = trans.get_address();
  const auto it = registers_.find(static_cast<std::uint32_t>(address));
  if (it == registers_.end()) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  Register& reg = *it->second;
  if ((cmd == tlm::TLM_READ_COMMAND && !reg.readable()) || (cmd == tlm::TLM_WRITE_COMMAND && !reg.writable()))
    return tlm::TLM_COMMAND_ERROR_RESPONSE;

  if (reg.flags() & Register::kSync) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  current_ = &trans;
  current_delay_ = &delay;
  struct Clear {
    Peripheral* p;
    ~Clear() {
      p->current_ = nullptr;
      p->current_delay_ = nullptr;
    }
  } clear{this};
  if (cmd == tlm::TLM_READ_COMMAND) {
    const std::uint32_t v = reg.bus_read();
    std::memcpy(trans.get_data_ptr(), &v, 4);
    ++reads_;
  } else {
    std::uint32_t v = 0;
    std::memcpy(&v, trans.get_data_ptr(), 4);
    reg.bus_write(v);
    ++writes_;
  }
  return tlm::TLM_OK_RESPONSE;
}

void Peripheral::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm::tlm_response_status status = access(trans, delay);
  if (status != tlm::TLM_OK_RESPONSE) ++errors_;
  trans.set_response_status(status);
  delay += latency_;
}

unsigned Peripheral::transport_dbg(tlm::tlm_generic_payload& trans) {
  const unsigned length = trans.get_data_length();
  unsigned char* data = trans.get_data_ptr();
  const sc_dt::uint64 address = trans.get_address();
  for (unsigned i = 0; i < length; ++i) {
    const sc_dt::uint64 at = address + i;
    const unsigned shift = 8 * static_cast<unsigned>(at % 4);
    const auto it = registers_.find(static_cast<std::uint32_t>(at - at % 4));
    Register* reg = at - at % 4 <= 0xFFFFFFFFu && it != registers_.end() ? it->second : nullptr;
    if (trans.is_read()) {
      data[i] = reg != nullptr ? static_cast<unsigned char>(reg->debug_read() >> shift) : 0;
    } else if (trans.is_write() && reg != nullptr) {
      reg->set((reg->get() & ~(0xFFu << shift)) | (static_cast<std::uint32_t>(data[i]) << shift));
    }
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return length;
}

}  // namespace dnnvp

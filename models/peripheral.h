// Memory-mapped registers, the VCML way, and the peripheral base class that decodes TLM accesses to them.
//
// A Register is a 32-bit word at an offset with a reset value, access flags and optional callbacks; it is
// declared as a member of a Peripheral, which it joins on construction:
//
//   class Uart : public Peripheral {
//     Uart(name, const RegionInfo& region, ...)   // the region its builder passes (register_spec.h)
//         : Peripheral(...), tx_data_(*this, find_register(region, "TX_DATA")) {   // name, offset, reset,
//       tx_data_.on_write([this](std::uint32_t v) { put(char(v)); });           // access from the region
//     }
//     Register tx_data_;
//
// Peripheral (an sc_module with one tlm_utils::simple_target_socket `socket`) answers b_transport:
//
//   | access                                            | response                          |
//   |---------------------------------------------------|-----------------------------------|
//   | TLM_IGNORE_COMMAND                                | TLM_OK_RESPONSE, nothing happens  |
//   | byte enables that disable any byte                | TLM_BYTE_ENABLE_ERROR_RESPONSE    |
//   | data length != 4 (byte/halfword/burst) or
//   | streaming width < 4                               | TLM_BURST_ERROR_RESPONSE          |
//   | address not a multiple of 4, or no register there | TLM_ADDRESS_ERROR_RESPONSE        |
//   | write to a read-only / read of a write-only reg.  | TLM_COMMAND_ERROR_RESPONSE        |
//   | otherwise                                         | TLM_OK_RESPONSE                   |
//
// The first three error rows are check_register_access(), which every register target shares (the
// engine's too), so the same bad access gets the same response from any of them.
//
// and adds `latency_cycles` clock periods to the delay of every access (errors included). A register with
// the kSync flag first catches up with the initiator's local time (wait(delay), delay = 0): use it on
// status registers that firmware polls for work done by SC_THREADs, or a large quantum hides completion.
// transport_dbg reads and writes the stored values byte by byte with no callbacks (on_debug_read aside),
// no latency and no side effects; bytes outside any register read as 0 and ignore writes.
// Data is little-endian (RISC-V and the host).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "register_spec.h"

namespace dnnvp {

class Peripheral;
class Stats;

class Register {
 public:
  enum Flags : unsigned {
    kReadWrite = 0,
    kReadOnly = 1u << 0,         // bus writes answer TLM_COMMAND_ERROR_RESPONSE
    kWriteOnly = 1u << 1,        // bus reads answer TLM_COMMAND_ERROR_RESPONSE
    kWriteOneToClear = 1u << 2,  // a bus write clears the bits written as 1 (interrupt/status bits)
    kSync = 1u << 3,             // wait for the initiator's local time before the access
  };
  using ReadFn = std::function<std::uint32_t()>;
  using WriteFn = std::function<void(std::uint32_t)>;

  Register(Peripheral& owner, std::string name, std::uint32_t offset, std::uint32_t reset = 0,
           unsigned flags = kReadWrite);
  // Name, offset, reset value and access from a register description; `extra_flags` adds e.g. kSync.
  Register(Peripheral& owner, const RegisterInfo& info, unsigned extra_flags = 0);
  Register(const Register&) = delete;
  Register& operator=(const Register&) = delete;

  // The value a bus read returns (default: the stored value). May have side effects (latching, clearing).
  Register& on_read(ReadFn fn);
  // Called after a bus write has updated the stored value (stored = written, or cleared bits for W1C),
  // with the value written. The callback may set() something else.
  Register& on_write(WriteFn fn);
  // The value a debug read returns (default: the stored value); must have no side effects.
  Register& on_debug_read(ReadFn fn);

  std::uint32_t get() const { return value_; }
  void set(std::uint32_t v) { value_ = v; }
  void reset() { value_ = reset_; }
  // Changes the reset value and the current value (configuration known only at construction: clock, sizes).
  void set_reset_value(std::uint32_t v) { reset_ = value_ = v; }

  const std::string& name() const { return name_; }
  std::uint32_t offset() const { return offset_; }
  std::uint32_t reset_value() const { return reset_; }
  unsigned flags() const { return flags_; }
  bool readable() const { return (flags_ & kWriteOnly) == 0; }
  bool writable() const { return (flags_ & kReadOnly) == 0; }

  static unsigned flags_of(RegisterAccess access);

 private:
  friend class Peripheral;
  std::uint32_t bus_read() { return on_read_ ? on_read_() : value_; }
  void bus_write(std::uint32_t v);
  std::uint32_t debug_read() const { return on_debug_read_ ? on_debug_read_() : value_; }

  std::string name_;
  std::uint32_t offset_;
  std::uint32_t reset_;
  unsigned flags_;
  std::uint32_t value_;
  ReadFn on_read_;
  WriteFn on_write_;
  ReadFn on_debug_read_;
};

// The checks of a register access before any register is decoded, in this order: byte enables that
// disable a byte -> TLM_BYTE_ENABLE_ERROR_RESPONSE; data length != 4 or streaming width < 4 ->
// TLM_BURST_ERROR_RESPONSE; an address not a multiple of 4 or not below `window_bytes` ->
// TLM_ADDRESS_ERROR_RESPONSE; else TLM_OK_RESPONSE. (TLM_IGNORE_COMMAND is the caller's: it is OK
// before any check.)
tlm::tlm_response_status check_register_access(const tlm::tlm_generic_payload& trans,
                                               std::uint64_t window_bytes);

class Peripheral : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Peripheral> socket;

  // `clock_period`: the peripheral's (bus) clock; every access costs `latency_cycles` of it. With `stats`,
  // registers "<basename>.reads", ".writes" and ".errors" (error responses).
  Peripheral(const sc_core::sc_module_name& name, const sc_core::sc_time& clock_period,
             unsigned latency_cycles = 1, Stats* stats = nullptr);

  // All registers to their reset values.
  void reset_registers();
  // Registers ordered by offset.
  std::vector<const Register*> registers() const;
  const Register* find(std::uint32_t offset) const;

  const sc_core::sc_time& clock_period() const { return clock_period_; }
  sc_core::sc_time access_latency() const { return latency_; }

  // Inside a register callback: the simulated time of the access, sc_time_stamp() plus the initiator's
  // local time offset (the b_transport delay as it arrived). Elsewhere: sc_time_stamp().
  sc_core::sc_time access_time() const;
  // Inside a register callback: the transaction being served (for its InitiatorId); else nullptr.
  const tlm::tlm_generic_payload* current_transaction() const { return current_; }

  std::uint64_t reads() const { return reads_; }
  std::uint64_t writes() const { return writes_; }
  std::uint64_t errors() const { return errors_; }

 protected:
  virtual void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  virtual unsigned transport_dbg(tlm::tlm_generic_payload& trans);

 private:
  friend class Register;
  void add(Register* reg);
  tlm::tlm_response_status access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  sc_core::sc_time clock_period_;
  sc_core::sc_time latency_;
  std::map<std::uint32_t, Register*> registers_;
  const tlm::tlm_generic_payload* current_ = nullptr;
  const sc_core::sc_time* current_delay_ = nullptr;
  std::uint64_t reads_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t errors_ = 0;
};

}  // namespace dnnvp

// Helpers for the SystemC tests: a scripted initiator, a recording target, and the one-simulation-per-
// process guard (SystemC cannot restart: ctest runs every test case in its own process).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <catch2/catch.hpp>
#include <systemc>
#include <tlm>

#include "initiator_id.h"

namespace dnnvp::test {

// Call first in every SystemC test case.
inline void one_simulation_per_process() {
  static bool used = false;
  if (used) FAIL("SystemC cannot restart: run one SystemC test case per process (ctest does)");
  used = true;
}

struct Access {
  tlm::tlm_response_status status;
  sc_core::sc_time delay;  // as returned (includes the delay passed in)
};

// Runs `script` in an SC_THREAD; the script issues accesses through `socket`.
class Initiator : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Initiator);
  tlm_utils::simple_initiator_socket<Initiator> socket;
  std::function<void(Initiator&)> script;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> invalidations;

  Initiator(const sc_core::sc_module_name& name, std::function<void(Initiator&)> s)
      : sc_core::sc_module(name), socket("socket"), script(std::move(s)) {
    socket.register_invalidate_direct_mem_ptr(this, &Initiator::invalidate);
    SC_THREAD(run);
  }

  Access access(tlm::tlm_command cmd, std::uint64_t address, void* data, unsigned length,
                sc_core::sc_time delay = sc_core::SC_ZERO_TIME, unsigned char* byte_enables = nullptr,
                unsigned byte_enable_length = 0, InitiatorId* extension = nullptr) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(length);
    t.set_streaming_width(length);
    t.set_byte_enable_ptr(byte_enables);
    t.set_byte_enable_length(byte_enable_length);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (extension != nullptr) t.set_extension(extension);
    socket->b_transport(t, delay);
    if (extension != nullptr) t.clear_extension(extension);
    REQUIRE(t.get_address() == address);  // interconnects restore the address
    return {t.get_response_status(), delay};
  }
  Access read(std::uint64_t address, void* data, unsigned length,
              const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
    return access(tlm::TLM_READ_COMMAND, address, data, length, delay);
  }
  Access write(std::uint64_t address, const void* data, unsigned length,
               const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
    return access(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), length, delay);
  }
  Access read32(std::uint64_t address, std::uint32_t& value,
                const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
    return read(address, &value, 4, delay);
  }
  Access write32(std::uint64_t address, std::uint32_t value,
                 const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
    return write(address, &value, 4, delay);
  }
  // Read/write through transport_dbg; returns the byte count.
  unsigned debug(tlm::tlm_command cmd, std::uint64_t address, void* data, unsigned length) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(length);
    t.set_streaming_width(length);
    return socket->transport_dbg(t);
  }
  bool dmi(std::uint64_t address, tlm::tlm_dmi& out, tlm::tlm_command cmd = tlm::TLM_READ_COMMAND) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    return socket->get_direct_mem_ptr(t, out);
  }

 private:
  void run() { script(*this); }
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.emplace_back(start, end); }
};

// A target that records what reaches it and answers OK after `latency` (or an error for `error_address`).
class RecordingTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<RecordingTarget> socket;
  struct Seen {
    tlm::tlm_command command;
    std::uint64_t address;
    unsigned length;
    std::string initiator;
  };
  std::vector<Seen> seen;
  std::vector<std::uint64_t> debug_addresses;
  std::vector<std::uint64_t> dmi_addresses;
  std::vector<unsigned char> memory;
  sc_core::sc_time latency;
  std::uint64_t error_address = ~std::uint64_t{0};

  RecordingTarget(const sc_core::sc_module_name& name, std::size_t size, const sc_core::sc_time& lat)
      : sc_core::sc_module(name), socket("socket"), memory(size), latency(lat) {
    socket.register_b_transport(this, &RecordingTarget::b_transport);
    socket.register_transport_dbg(this, &RecordingTarget::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &RecordingTarget::get_direct_mem_ptr);
  }
  void invalidate(std::uint64_t start, std::uint64_t end) { socket->invalidate_direct_mem_ptr(start, end); }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
    seen.push_back(
        {t.get_command(), t.get_address(), t.get_data_length(), InitiatorId::name_of(InitiatorId::of(t))});
    delay += latency;
    t.set_response_status(t.get_address() == error_address ? tlm::TLM_GENERIC_ERROR_RESPONSE
                                                           : tlm::TLM_OK_RESPONSE);
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& t) {
    debug_addresses.push_back(t.get_address());
    return t.get_data_length();
  }
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
    dmi_addresses.push_back(t.get_address());
    dmi.set_dmi_ptr(memory.data());
    dmi.set_start_address(0);
    dmi.set_end_address(memory.size() - 1);
    dmi.allow_read_write();
    return true;
  }
};

}  // namespace dnnvp::test

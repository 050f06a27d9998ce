// The "rtl" engine's register port: an AXI4-Lite master on the Verilated model's axil_* pins. Initiators'
// accesses (b_transport, already checked) queue here and block until the clock thread has performed them
// on the pins: a read takes 2 engine cycles (AR, then R), a write 3 (AW+W, the write, B). After the engine
// stopped it also reads STATUS and ERROR_CAUSE itself for a deadlock report (their offsets and STATUS's
// fields: from the engine's register region, looked up once at construction).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <systemc>

#include "engine/engine.h"
#include "engine_pins.h"

namespace dnnvp::rtl {

class RegisterTransactor {
 public:
  // Throws std::invalid_argument if `region` lacks STATUS, ERROR_CAUSE or a STATUS field the report names.
  RegisterTransactor(EnginePins& pins, EngineMetrics& metrics, const RegionInfo& region);

  // An initiator's access (in its thread): queues it, wakes the clock thread and blocks until it has
  // completed. Returns the AXI response (0 OKAY); a read's data in `data`.
  std::uint8_t perform(bool write, std::uint32_t offset, std::uint32_t& data);
  // Notified when an access is queued.
  const sc_core::sc_event& arrival_event() const { return arrival_; }

  // The clock thread's side.
  bool waiting() const { return !queue_.empty(); }           // accesses queued, not started
  bool in_flight() const { return op_ != nullptr; }          // one on the pins
  bool answered() const { return op_ != nullptr && done_; }  // ... whose response handshake happened
  void start_next();  // puts the next queued access on the pins if none is in flight
  enum class Response { kNone, kRead, kWrite };
  // After each clock cycle: takes the response, drops every valid/ready whose handshake happened and
  // counts a completed access. Returns which response handshake happened.
  Response observe(const PinSample& s);
  // Completes an answered access: its initiator resumes. Returns whether there was one.
  bool finish();

  // The register port's lines of a stream report (the access in flight, the queue).
  std::string state() const;
  // With the streams frozen, lets an access caught half-way in the register slave finish (its result is
  // dropped), then reads STATUS and ERROR_CAUSE into `report`: the last line of a deadlock report. Only
  // when the simulation stops right after.
  std::string frozen_status(EngineWatchdogReport& report);

 private:
  // A STATUS field as the deadlock report names it.
  struct StatusField {
    const char* label;
    std::uint32_t mask;
    unsigned shift;
  };
  struct Op {
    bool write = false;
    std::uint32_t offset = 0;
    std::uint32_t wdata = 0;
    std::uint32_t rdata = 0;
    std::uint8_t resp = 0;
    bool done = false;
    sc_core::sc_event done_event;
  };
  // One clock cycle with the streams frozen. Returns the response handshake: 0 none, 1 write, 2 read.
  int frozen_cycle(std::uint32_t& rdata, bool& ok);
  bool drain();
  bool internal_read(std::uint32_t offset, std::uint32_t& value);
  void drop_handshaken(const PinSample& s);

  EnginePins& pins_;
  EngineMetrics& metrics_;
  std::uint32_t status_offset_;
  std::uint32_t error_cause_offset_;
  std::vector<StatusField> status_fields_;
  AxilInputs in_;  // what the pins are driven with
  std::deque<Op*> queue_;
  Op* op_ = nullptr;   // on the pins
  bool done_ = false;  // its response handshake happened in the current batch
  sc_core::sc_event arrival_;
};

}  // namespace dnnvp::rtl

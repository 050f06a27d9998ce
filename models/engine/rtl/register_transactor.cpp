#include "register_transactor.h"

#include <sstream>

#include "hex.h"

namespace dnnvp::rtl {

namespace {

// Cycles an internal register access may take.
constexpr unsigned kInternalAccessCycles = 32;

// The STATUS fields the deadlock report names (docs/engine.md, "AXI4-Lite registers"): label, field.
constexpr const char* kReportedStatusFields[][2] = {
    {"busy", "BUSY"},           {"queue_full", "QUEUE_FULL"},      {"error", "ERROR"},
    {"queued tiles", "QUEUED"}, {"tiles completed", "TILES_DONE"},
};

}  // namespace

RegisterTransactor::RegisterTransactor(EnginePins& pins, EngineMetrics& metrics, const RegionInfo& region)
    : pins_(pins),
      metrics_(metrics),
      status_offset_(find_register(region, "STATUS").offset),
      error_cause_offset_(find_register(region, "ERROR_CAUSE").offset) {
  const RegisterInfo& status = find_register(region, "STATUS");
  for (const auto& [label, field] : kReportedStatusFields) {
    const FieldInfo& f = find_field(region, status, field);
    status_fields_.push_back({label, f.mask, f.lsb});
  }
}

std::uint8_t RegisterTransactor::perform(bool write, std::uint32_t offset, std::uint32_t& data) {
  Op op;
  op.write = write;
  op.offset = offset;
  op.wdata = data;
  queue_.push_back(&op);
  arrival_.notify(sc_core::SC_ZERO_TIME);
  while (!op.done) sc_core::wait(op.done_event);
  data = op.rdata;
  return op.resp;
}

void RegisterTransactor::start_next() {
  if (op_ != nullptr || queue_.empty()) return;
  op_ = queue_.front();
  queue_.pop_front();
  done_ = false;
  if (op_->write) {
    in_.awaddr = op_->offset;
    in_.awvalid = true;
    in_.wdata = op_->wdata;
    in_.wstrb = 0xF;
    in_.wvalid = true;
    in_.bready = true;
  } else {
    in_.araddr = op_->offset;
    in_.arvalid = true;
    in_.rready = true;
  }
  pins_.drive_axil(in_);
}

void RegisterTransactor::drop_handshaken(const PinSample& s) {
  if (!(s.aw || s.w || s.ar || s.b || s.r)) return;
  if (s.aw) in_.awvalid = false;
  if (s.w) in_.wvalid = false;
  if (s.ar) in_.arvalid = false;
  if (s.b || s.r) in_.bready = false, in_.rready = false;
  pins_.drive_axil(in_);
}

RegisterTransactor::Response RegisterTransactor::observe(const PinSample& s) {
  if (op_ == nullptr) return Response::kNone;
  if (s.b) op_->resp = s.bresp;
  if (s.r) {
    op_->rdata = s.rdata;
    op_->resp = s.rresp;
  }
  drop_handshaken(s);
  if (!(s.b || s.r)) return Response::kNone;
  done_ = true;
  if (op_->resp != 0) ++metrics_.register_errors;
  if (s.b) {
    ++metrics_.register_writes;
    return Response::kWrite;
  }
  ++metrics_.register_reads;
  return Response::kRead;
}

bool RegisterTransactor::finish() {
  if (op_ == nullptr || !done_) return false;
  op_->done = true;
  op_->done_event.notify(sc_core::SC_ZERO_TIME);
  op_ = nullptr;
  done_ = false;
  return true;
}

std::string RegisterTransactor::state() const {
  std::ostringstream o;
  if (op_ != nullptr)
    o << "  register access in flight: " << (op_->write ? "write " : "read ")
      << hex(op_->offset, 3, HexCase::upper) << "\n";
  if (!queue_.empty()) o << "  register accesses waiting: " << queue_.size() << "\n";
  return o.str();
}

int RegisterTransactor::frozen_cycle(std::uint32_t& rdata, bool& ok) {
  pins_.freeze_streams();
  const PinSample& s = pins_.clock(0, false);
  rdata = s.rdata;
  ok = (s.r ? s.rresp : s.bresp) == 0;
  drop_handshaken(s);
  return s.r ? 2 : s.b ? 1 : 0;
}

bool RegisterTransactor::drain() {
  if (op_ == nullptr || done_) return true;
  std::uint32_t data;
  bool ok;
  for (unsigned i = 0; i < kInternalAccessCycles; ++i)
    if (frozen_cycle(data, ok) != 0) return true;
  return false;
}

bool RegisterTransactor::internal_read(std::uint32_t offset, std::uint32_t& value) {
  in_.araddr = offset;
  in_.arvalid = true;
  in_.rready = true;
  pins_.drive_axil(in_);
  bool ok = false;
  for (unsigned i = 0; i < kInternalAccessCycles; ++i)
    if (frozen_cycle(value, ok) == 2) return ok;
  in_.arvalid = false;
  in_.rready = false;
  pins_.drive_axil(in_);
  return false;
}

std::string RegisterTransactor::frozen_status(EngineWatchdogReport& rep) {
  std::ostringstream o;
  std::uint32_t status = 0, cause = 0;
  rep.registers_read =
      drain() && internal_read(status_offset_, status) && internal_read(error_cause_offset_, cause);
  if (rep.registers_read) {
    rep.status = status;
    rep.error_cause = cause;
    o << "  STATUS " << hex(status, 8, HexCase::upper) << ":";
    for (const StatusField& f : status_fields_) o << " " << f.label << "=" << ((status & f.mask) >> f.shift);
    o << "; ERROR_CAUSE " << hex(cause, 8, HexCase::upper) << "\n";
  } else {
    o << "  STATUS: not readable (the register slave does not answer)\n";
  }
  return o.str();
}

}  // namespace dnnvp::rtl

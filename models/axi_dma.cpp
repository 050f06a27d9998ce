#include "axi_dma.h"

#include <algorithm>
#include <stdexcept>

#include "hex.h"
#include "stats.h"

namespace dnnvp {

namespace {

// DMACR bit 1 reads 1 (PG021; no field of the register map).
constexpr std::uint32_t kReserved1 = 1u << 1;

std::string response_name(tlm::tlm_response_status s) {
  tlm::tlm_generic_payload p;
  p.set_response_status(s);
  return p.get_response_string();
}

}  // namespace

std::string AxiDmaFault::describe() const {
  const std::string at = " at " + time.to_string();
  const std::string what = write ? "to " : "from ";
  const std::string transfer =
      " (transfer of " + std::to_string(transfer_length) + " bytes " + what + hex(transfer_address) + ")";
  switch (kind) {
    case Kind::kDecodeError:
    case Kind::kSlaveError:
      return initiator + ": " +
             (kind == Kind::kDecodeError ? "decode error (DMADecErr) " : "slave error (DMASlvErr) ") +
             (write ? "writing " : "reading ") + std::to_string(length) + " bytes at " + hex(address) + at +
             transfer + ": " + response_name(response) + "; channel halted";
    case Kind::kPacketTooLong:
      return initiator + ": packet longer than the " + std::to_string(transfer_length) + "-byte buffer at " +
             hex(transfer_address) + " (DMAIntErr)" + at + ": no TLAST within LENGTH; channel halted";
    case Kind::kNoStream:
      return initiator + ": transfer of " + std::to_string(transfer_length) + " bytes " + what +
             hex(transfer_address) + " started but no AXI-Stream is connected (DMAIntErr)" + at +
             "; channel halted";
    case Kind::kLengthWhileBusy:
      return initiator + ": LENGTH written (" + std::to_string(written) + ") while the" + transfer +
             " is in progress" + at + "; write ignored";
  }
  return initiator + ": fault";
}

AxiDma::Fields AxiDma::fields_of(const RegionInfo& region) {
  // One mask per field name, the same in the MM2S and the S2MM register of each pair.
  const auto mask = [&region](const char* reg, const char* field) {
    const std::string r = reg;
    const RegisterInfo& mm2s = find_register(region, "MM2S_" + r);
    const RegisterInfo& s2mm = find_register(region, "S2MM_" + r);
    const std::uint32_t m = find_field(region, mm2s, field).mask;
    if (find_field(region, s2mm, field).mask != m)
      throw std::invalid_argument("region '" + std::string(region.name) + "': field " + field + " of MM2S_" +
                                  r + " and S2MM_" + r + " differ");
    return m;
  };
  Fields f;
  f.rs = mask("DMACR", "RS");
  f.reset = mask("DMACR", "RESET");
  f.ioc_irq_en = mask("DMACR", "IOC_IRQ_EN");
  f.dly_irq_en = mask("DMACR", "DLY_IRQ_EN");
  f.err_irq_en = mask("DMACR", "ERR_IRQ_EN");
  f.irq_threshold_delay = mask("DMACR", "IRQ_THRESHOLD") | mask("DMACR", "IRQ_DELAY");
  f.halted = mask("DMASR", "HALTED");
  f.idle = mask("DMASR", "IDLE");
  f.dma_int_err = mask("DMASR", "DMA_INT_ERR");
  f.dma_slv_err = mask("DMASR", "DMA_SLV_ERR");
  f.dma_dec_err = mask("DMASR", "DMA_DEC_ERR");
  f.ioc_irq = mask("DMASR", "IOC_IRQ");
  f.dly_irq = mask("DMASR", "DLY_IRQ");
  f.err_irq = mask("DMASR", "ERR_IRQ");
  f.length = mask("LENGTH", "LENGTH");
  return f;
}

AxiDma::AxiDma(const sc_core::sc_module_name& name, const RegionInfo& region,
               const sc_core::sc_time& clock_period, const AxiDmaConfig& config, Stats* stats)
    : Peripheral(name, clock_period, config.latency_cycles, stats),
      mm_socket("mm_socket"),
      mm2s_introut("mm2s_introut"),
      s2mm_introut("s2mm_introut"),
      config_(config),
      mm2s_dmacr_(*this, find_register(region, "MM2S_DMACR"), Register::kSync),
      mm2s_dmasr_(*this, find_register(region, "MM2S_DMASR"), Register::kSync),
      mm2s_sa_(*this, find_register(region, "MM2S_SA")),
      mm2s_sa_msb_(*this, find_register(region, "MM2S_SA_MSB")),
      mm2s_length_(*this, find_register(region, "MM2S_LENGTH"), Register::kSync),
      s2mm_dmacr_(*this, find_register(region, "S2MM_DMACR"), Register::kSync),
      s2mm_dmasr_(*this, find_register(region, "S2MM_DMASR"), Register::kSync),
      s2mm_da_(*this, find_register(region, "S2MM_DA")),
      s2mm_da_msb_(*this, find_register(region, "S2MM_DA_MSB")),
      s2mm_length_(*this, find_register(region, "S2MM_LENGTH"), Register::kSync),
      bits_(fields_of(region)) {
  const std::string me = this->name();
  const std::size_t b = config_.burst_bytes;
  if (b < 4 || b > 4096 || (b & (b - 1)) != 0)
    throw std::invalid_argument(me + ": burst_bytes must be a power of two in 4 .. 4096, got " +
                                std::to_string(b));
  if (config_.max_outstanding == 0) throw std::invalid_argument(me + ": max_outstanding must be >= 1");
  if (clock_period == sc_core::SC_ZERO_TIME) throw std::invalid_argument(me + ": zero clock period");
  for (const AxisChannel* s : {config_.mm2s, config_.s2mm})
    if (s != nullptr && s->beat_bytes() == 0)
      throw std::invalid_argument(me + ": stream '" + s->name() + "' has 0-byte beats");

  const std::string base = basename();
  setup_channel(channels_[kMm2s], kMm2s, config_.mm2s,
                config_.mm2s_initiator.empty() ? base + ".mm2s" : config_.mm2s_initiator, mm2s_dmacr_,
                mm2s_dmasr_, mm2s_sa_, mm2s_sa_msb_, mm2s_length_);
  setup_channel(channels_[kS2mm], kS2mm, config_.s2mm,
                config_.s2mm_initiator.empty() ? base + ".s2mm" : config_.s2mm_initiator, s2mm_dmacr_,
                s2mm_dmasr_, s2mm_da_, s2mm_da_msb_, s2mm_length_);

  if (stats != nullptr) {
    for (ChannelState& ch : channels_) {
      if (ch.stream == nullptr) continue;
      const std::string p = base + (ch.which == kMm2s ? ".mm2s." : ".s2mm.");
      ChannelCounters& c = ch.counters;
      stats->add(p + "transfers", c.transfers);
      stats->add(p + "bytes", c.bytes);
      stats->add(p + "bursts", c.bursts);
      stats->add(p + "beats", c.beats);
      stats->add(p + "errors", c.errors);
      stats->add(p + "busy_ns", [&c] { return c.busy.to_seconds() * 1e9; });
      stats->add(p + "stalled_ns", [&c] { return c.stalled.to_seconds() * 1e9; });
    }
    stats->add(base + ".faults", fault_count_);
  }

  SC_THREAD(mm2s_thread);
  SC_THREAD(s2mm_thread);
  SC_METHOD(update_interrupts);
  sensitive << irq_event_;
  dont_initialize();
  SC_METHOD(stop_simulation);
  sensitive << stop_event_;
  dont_initialize();
}

void AxiDma::setup_channel(ChannelState& ch, Channel which, AxisChannel* stream, const std::string& initiator,
                           Register& dmacr, Register& dmasr, Register& addr, Register& addr_msb,
                           Register& length) {
  ch.which = which;
  ch.stream = stream;
  ch.initiator = initiator;
  ch.tag = InitiatorId(InitiatorId::allocate(initiator));
  ch.dmacr = &dmacr;
  ch.dmasr = &dmasr;
  ch.addr = &addr;
  ch.addr_msb = &addr_msb;
  ch.length = &length;
  dmacr.on_write([this, &ch](std::uint32_t v) { write_dmacr(ch, v); });
  dmasr.on_write([this, &ch](std::uint32_t v) { write_dmasr(ch, v); });
  length.on_write([this, &ch](std::uint32_t v) { write_length(ch, v); });
  dmasr.set(status(which));  // elaboration: no event yet
}

std::uint32_t AxiDma::status(Channel c) const {
  const ChannelState& ch = channels_[c];
  return (ch.halted ? bits_.halted : 0) | (ch.idle ? bits_.idle : 0) | ch.errors | ch.irq;
}

bool AxiDma::interrupt(Channel c) const {
  const ChannelState& ch = channels_[c];
  const std::uint32_t cr = ch.dmacr->get();
  return ((ch.irq & bits_.ioc_irq) && (cr & bits_.ioc_irq_en)) ||
         ((ch.irq & bits_.dly_irq) && (cr & bits_.dly_irq_en)) ||
         ((ch.irq & bits_.err_irq) && (cr & bits_.err_irq_en));
}

void AxiDma::refresh(ChannelState& ch) {
  ch.dmasr->set(status(ch.which));
  irq_event_.notify(sc_core::SC_ZERO_TIME);
}

void AxiDma::update_interrupts() {
  mm2s_introut.write(interrupt(kMm2s));
  s2mm_introut.write(interrupt(kS2mm));
}

void AxiDma::stop_simulation() {
  sc_core::sc_stop();
}

// ---- registers ------------------------------------------------------------------------------------------

void AxiDma::write_dmacr(ChannelState& ch, std::uint32_t value) {
  if (value & bits_.reset) {
    soft_reset();
    return;
  }
  const std::uint32_t stored =
      bits_.rs | bits_.ioc_irq_en | bits_.dly_irq_en | bits_.err_irq_en | bits_.irq_threshold_delay;
  ch.dmacr->set((value & stored) | kReserved1);
  if (value & bits_.rs) {
    // After an error the channel stays halted until a reset.
    if (ch.halted && ch.errors == 0) ch.halted = false;
  } else if (ch.busy) {
    // Stop: the transfer is abandoned at its next step, then the channel halts.
    ch.stop_requested = true;
    control_event_.notify(sc_core::SC_ZERO_TIME);
  } else {
    ch.halted = true;
    ch.idle = false;
  }
  refresh(ch);
}

void AxiDma::write_dmasr(ChannelState& ch, std::uint32_t value) {
  ch.irq &= ~(value & (bits_.ioc_irq | bits_.dly_irq | bits_.err_irq));
  refresh(ch);  // the stored value follows the state: only bits 14:12 are write-1-to-clear
}

void AxiDma::write_length(ChannelState& ch, std::uint32_t value) {
  const std::uint32_t length = value & bits_.length;
  if (ch.busy) {
    ch.length->set(ch.job_length);
    AxiDmaFault f;
    f.initiator = ch.initiator;
    f.kind = AxiDmaFault::Kind::kLengthWhileBusy;
    f.write = ch.which == kS2mm;
    f.address = ch.job_address;
    f.transfer_address = ch.job_address;
    f.transfer_length = ch.job_length;
    f.written = value;
    record(std::move(f), access_time());
    return;
  }
  ch.length->set(length);
  if (length == 0 || ch.halted) return;  // PG021: no effect
  ch.busy = true;
  ch.pending = true;
  ch.idle = false;
  ch.job_address = (std::uint64_t{ch.addr_msb->get()} << 32) | ch.addr->get();
  ch.job_length = length;
  ch.job_start = access_time();
  refresh(ch);
  ch.start_event.notify(ch.job_start - sc_core::sc_time_stamp());
}

void AxiDma::soft_reset() {
  ++generation_;
  const sc_core::sc_time& now = sc_core::sc_time_stamp();
  for (ChannelState& ch : channels_) {
    if (ch.busy && !ch.pending && now > ch.job_start) ch.counters.busy += now - ch.job_start;
    ch.busy = ch.pending = ch.stop_requested = false;
    ch.halted = true;
    ch.idle = false;
    ch.errors = ch.irq = 0;
  }
  reset_registers();
  for (ChannelState& ch : channels_) refresh(ch);
  control_event_.notify(sc_core::SC_ZERO_TIME);
}

// ---- data path ------------------------------------------------------------------------------------------

void AxiDma::mm2s_thread() {
  channel_loop(channels_[kMm2s]);
}

void AxiDma::s2mm_thread() {
  channel_loop(channels_[kS2mm]);
}

void AxiDma::channel_loop(ChannelState& ch) {
  for (;;) {
    while (!ch.pending) sc_core::wait(ch.start_event);
    const std::uint64_t generation = generation_;
    if (!wait_until(ch, generation, ch.job_start)) {
      abandon(ch, generation);
      continue;
    }
    ch.pending = false;
    if (ch.stream == nullptr) {
      fail(ch, AxiDmaFault::Kind::kNoStream, nullptr);
      continue;
    }
    if (ch.which == kMm2s)
      run_mm2s(ch, generation);
    else
      run_s2mm(ch, generation);
  }
}

bool AxiDma::aborted(const ChannelState& ch, std::uint64_t generation) const {
  return generation != generation_ || ch.stop_requested;
}

void AxiDma::abandon(ChannelState& ch, std::uint64_t generation) {
  if (generation != generation_) return;  // the reset has set everything
  const sc_core::sc_time& now = sc_core::sc_time_stamp();
  if (now > ch.job_start) ch.counters.busy += now - ch.job_start;
  ch.busy = ch.pending = ch.stop_requested = false;
  ch.halted = (ch.dmacr->get() & bits_.rs) == 0;  // RS written back to 1 meanwhile: running, not idle
  ch.idle = false;
  refresh(ch);
}

bool AxiDma::wait_until(ChannelState& ch, std::uint64_t generation, const sc_core::sc_time& t) {
  while (!aborted(ch, generation) && sc_core::sc_time_stamp() < t)
    sc_core::wait(t - sc_core::sc_time_stamp(), control_event_);
  return !aborted(ch, generation);
}

void AxiDma::transport(ChannelState& ch, tlm::tlm_command cmd, Burst& b) {
  tlm::tlm_generic_payload t;
  t.set_command(cmd);
  t.set_address(b.address);
  t.set_data_ptr(b.data.data());
  t.set_data_length(b.length);
  t.set_streaming_width(b.length);
  t.set_byte_enable_ptr(nullptr);
  t.set_byte_enable_length(0);
  t.set_dmi_allowed(false);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  {
    ScopedInitiatorId scope(t, ch.tag);
    mm_socket->b_transport(t, delay);
  }
  const sc_core::sc_time& now = sc_core::sc_time_stamp();
  b.done = now + delay;
  if (config_.mm_data_bytes != 0) {
    const std::uint64_t cycles = (b.length + config_.mm_data_bytes - 1) / config_.mm_data_bytes;
    const sc_core::sc_time data_done =
        std::max(now, ch.mm_free) + clock_period() * static_cast<double>(cycles);
    b.done = std::max(b.done, data_done);
    ch.mm_free = b.done;
  }
  b.response = t.get_response_status();
  ++ch.counters.bursts;
}

void AxiDma::run_mm2s(ChannelState& ch, std::uint64_t generation) {
  AxisChannel& stream = *ch.stream;
  const std::size_t beat_bytes = stream.beat_bytes();
  const std::uint64_t burst = config_.burst_bytes;
  std::uint64_t address = ch.job_address;
  std::uint64_t to_issue = ch.job_length;
  std::uint64_t to_stream = ch.job_length;
  bool issue_error = false;
  std::deque<Burst> in_flight;
  AxisBeat beat;
  beat.data.reserve(beat_bytes);
  for (;;) {
    if (aborted(ch, generation)) return abandon(ch, generation);
    // Keep up to max_outstanding reads in flight; stop issuing after an error response.
    while (in_flight.size() < config_.max_outstanding && to_issue > 0 && !issue_error) {
      Burst b;
      b.address = address;
      b.length = static_cast<std::uint32_t>(std::min(to_issue, burst - address % burst));
      b.data.resize(b.length);
      transport(ch, tlm::TLM_READ_COMMAND, b);
      address += b.length;
      to_issue -= b.length;
      issue_error = b.response != tlm::TLM_OK_RESPONSE;
      in_flight.push_back(std::move(b));
    }
    const Burst& b = in_flight.front();
    if (!wait_until(ch, generation, b.done)) return abandon(ch, generation);
    if (b.response != tlm::TLM_OK_RESPONSE)
      return fail(ch,
                  b.response == tlm::TLM_ADDRESS_ERROR_RESPONSE ? AxiDmaFault::Kind::kDecodeError
                                                                : AxiDmaFault::Kind::kSlaveError,
                  &b);
    // Stream the burst's bytes as beats; every beat is full except the transfer's last (TLAST).
    std::size_t offset = 0;
    while (offset < b.length) {
      const std::size_t n = std::min<std::size_t>(beat_bytes - beat.data.size(), b.length - offset);
      beat.data.insert(beat.data.end(), b.data.begin() + static_cast<std::ptrdiff_t>(offset),
                       b.data.begin() + static_cast<std::ptrdiff_t>(offset + n));
      offset += n;
      to_stream -= n;
      if (beat.data.size() < beat_bytes && to_stream > 0) continue;
      beat.last = to_stream == 0;
      if (stream.full()) {
        // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): a copy, the kernel time moves on
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        while (stream.full() && !aborted(ch, generation))
          sc_core::wait(stream.data_read_event() | control_event_);
        ch.counters.stalled += sc_core::sc_time_stamp() - t0;
        if (aborted(ch, generation)) return abandon(ch, generation);
      }
      ch.counters.bytes += beat.data.size();
      ++ch.counters.beats;
      stream.push(std::move(beat));
      beat = AxisBeat{};
      beat.data.reserve(beat_bytes);
    }
    in_flight.pop_front();
    if (to_stream == 0) return complete(ch);
  }
}

void AxiDma::run_s2mm(ChannelState& ch, std::uint64_t generation) {
  AxisChannel& stream = *ch.stream;
  const std::uint64_t burst = config_.burst_bytes;
  const std::uint64_t base = ch.job_address;
  const std::uint64_t capacity = ch.job_length;
  std::uint64_t received = 0;         // bytes taken from the stream
  std::uint64_t issued = 0;           // bytes whose write has been issued (they start at base)
  std::uint64_t written = 0;          // bytes whose write has completed without error
  std::vector<std::uint8_t> pending;  // received, not yet issued
  std::deque<Burst> in_flight;
  bool too_long = false;

  // Waits for the oldest write; false if the transfer ended (abort or error).
  const auto retire = [&]() {
    const Burst& b = in_flight.front();
    if (!wait_until(ch, generation, b.done)) {
      abandon(ch, generation);
      return false;
    }
    if (b.response != tlm::TLM_OK_RESPONSE) {
      ch.length->set(static_cast<std::uint32_t>(written));
      fail(ch,
           b.response == tlm::TLM_ADDRESS_ERROR_RESPONSE ? AxiDmaFault::Kind::kDecodeError
                                                         : AxiDmaFault::Kind::kSlaveError,
           &b);
      return false;
    }
    written += b.length;
    ch.counters.bytes += b.length;
    in_flight.pop_front();
    return true;
  };

  for (;;) {
    if (stream.empty()) {
      // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): a copy, the kernel time moves on
      const sc_core::sc_time t0 = sc_core::sc_time_stamp();
      while (stream.empty() && !aborted(ch, generation))
        sc_core::wait(stream.data_written_event() | control_event_);
      ch.counters.stalled += sc_core::sc_time_stamp() - t0;
    }
    if (aborted(ch, generation)) return abandon(ch, generation);
    AxisBeat beat = stream.pop();
    ++ch.counters.beats;
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(beat.data.size(), capacity - received));
    pending.insert(pending.end(), beat.data.begin(), beat.data.begin() + static_cast<std::ptrdiff_t>(take));
    received += take;
    // Longer than LENGTH: bytes that did not fit, or LENGTH reached on a beat without TLAST.
    too_long = take < beat.data.size() || (!beat.last && received == capacity);
    const bool end = beat.last || too_long;
    // Write whole bursts as they fill (aligned to burst_bytes), the rest at the end of the packet.
    std::size_t consumed = 0;
    while (consumed < pending.size()) {
      const std::uint64_t address = base + issued;
      const std::uint64_t room = burst - address % burst;
      const std::size_t available = pending.size() - consumed;
      if (available < room && !end) break;
      if (in_flight.size() >= config_.max_outstanding && !retire()) return;
      Burst b;
      b.address = address;
      b.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(room, available));
      b.data.assign(pending.begin() + static_cast<std::ptrdiff_t>(consumed),
                    pending.begin() + static_cast<std::ptrdiff_t>(consumed + b.length));
      transport(ch, tlm::TLM_WRITE_COMMAND, b);
      consumed += b.length;
      issued += b.length;
      const bool error = b.response != tlm::TLM_OK_RESPONSE;
      in_flight.push_back(std::move(b));
      if (error) {
        // Report it when it completes, after the writes before it.
        while (!in_flight.empty())
          if (!retire()) return;
      }
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(consumed));
    if (end) break;
  }
  while (!in_flight.empty())
    if (!retire()) return;
  ch.length->set(static_cast<std::uint32_t>(written));
  if (too_long) return fail(ch, AxiDmaFault::Kind::kPacketTooLong, nullptr);
  complete(ch);
}

void AxiDma::complete(ChannelState& ch) {
  ch.counters.busy += sc_core::sc_time_stamp() - ch.job_start;
  ++ch.counters.transfers;
  ch.busy = false;
  ch.idle = true;
  ch.irq |= bits_.ioc_irq;
  refresh(ch);
}

void AxiDma::fail(ChannelState& ch, AxiDmaFault::Kind kind, const Burst* burst) {
  const sc_core::sc_time& now = sc_core::sc_time_stamp();
  if (now > ch.job_start) ch.counters.busy += now - ch.job_start;
  ++ch.counters.errors;
  ch.busy = ch.pending = ch.stop_requested = false;
  ch.halted = true;
  ch.idle = false;
  ch.irq |= bits_.err_irq;
  switch (kind) {
    case AxiDmaFault::Kind::kDecodeError:
      ch.errors |= bits_.dma_dec_err;
      break;
    case AxiDmaFault::Kind::kSlaveError:
      ch.errors |= bits_.dma_slv_err;
      break;
    default:
      ch.errors |= bits_.dma_int_err;
      break;
  }
  ch.dmacr->set(ch.dmacr->get() & ~bits_.rs);  // PG021: the hardware clears RS on an error
  refresh(ch);

  AxiDmaFault f;
  f.initiator = ch.initiator;
  f.kind = kind;
  f.write = ch.which == kS2mm;
  f.address = burst != nullptr ? burst->address : ch.job_address;
  f.length = burst != nullptr ? burst->length : 0;
  f.response = burst != nullptr ? burst->response : tlm::TLM_OK_RESPONSE;
  f.transfer_address = ch.job_address;
  f.transfer_length = ch.job_length;
  record(std::move(f), now);
}

void AxiDma::record(AxiDmaFault fault, const sc_core::sc_time& at) {
  fault.time = at;
  ++fault_count_;
  if (fault_handler_) fault_handler_(fault);
  if (config_.stop_on_fault) stop_event_.notify(at - sc_core::sc_time_stamp());
  if (faults_.size() < 64) faults_.push_back(std::move(fault));
}

}  // namespace dnnvp

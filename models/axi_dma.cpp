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

std::uint32_t load32(const std::vector<std::uint8_t>& d, std::uint32_t offset) {
  return std::uint32_t{d[offset]} | std::uint32_t{d[offset + 1]} << 8 | std::uint32_t{d[offset + 2]} << 16 |
         std::uint32_t{d[offset + 3]} << 24;
}

std::uint64_t load64(const std::vector<std::uint8_t>& d, std::uint32_t offset) {
  return std::uint64_t{load32(d, offset + 4)} << 32 | load32(d, offset);
}

std::uint64_t descriptor_pointer(std::uint64_t p) {
  return p & ~std::uint64_t{sg_bd::kAlign - 1};
}

}  // namespace

std::string AxiDmaFault::describe() const {
  const std::string at = " at " + time.to_string();
  const std::string what = write ? "to " : "from ";
  const std::string transfer = sg ? " (scatter/gather descriptor at " + hex(descriptor) + ")"
                                  : " (transfer of " + std::to_string(transfer_length) + " bytes " + what +
                                        hex(transfer_address) + ")";
  const std::string descriptor_at = " the descriptor at " + hex(descriptor);
  switch (kind) {
    case Kind::kDecodeError:
    case Kind::kSlaveError:
      return initiator + ": " +
             (kind == Kind::kDecodeError ? "decode error (DMADecErr) " : "slave error (DMASlvErr) ") +
             (write ? "writing " : "reading ") + std::to_string(length) + " bytes at " + hex(address) + at +
             transfer + ": " + response_name(response) + "; channel halted";
    case Kind::kSgDecodeError:
    case Kind::kSgSlaveError:
      return initiator + ": " +
             (kind == Kind::kSgDecodeError ? "decode error (SGDecErr) " : "slave error (SGSlvErr) ") +
             (write ? "writing the status of" : "fetching") + descriptor_at + " (" + std::to_string(length) +
             " bytes at " + hex(address) + ")" + at + ": " + response_name(response) + "; channel halted";
    case Kind::kSgStale:
      return initiator + ": fetched" + descriptor_at +
             " with STATUS.Cmplt already set (SGIntErr: stale descriptor)" + at + "; channel halted";
    case Kind::kSgZeroLength:
      return initiator + ":" + descriptor_at + " has buffer length 0 (DMAIntErr)" + at + "; channel halted";
    case Kind::kSgNoEndOfPacket:
      return initiator + ": the chain reached TAILDESC at" + descriptor_at + " inside a packet (" +
             (write ? "no TLAST received" : "no TXEOF") + ") (DMAIntErr)" + at + "; channel halted";
    case Kind::kTailWhileBusy:
      return initiator + ": TAILDESC written (" + hex(written) + ") while the" + transfer +
             " is in progress" + at + "; write ignored";
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
  f.sg_incld = mask("DMASR", "SG_INCLD");
  f.sg_int_err = mask("DMASR", "SG_INT_ERR");
  f.sg_slv_err = mask("DMASR", "SG_SLV_ERR");
  f.sg_dec_err = mask("DMASR", "SG_DEC_ERR");
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
      mm2s_curdesc_(*this, find_register(region, "MM2S_CURDESC"), Register::kSync),
      mm2s_curdesc_msb_(*this, find_register(region, "MM2S_CURDESC_MSB"), Register::kSync),
      mm2s_taildesc_(*this, find_register(region, "MM2S_TAILDESC"), Register::kSync),
      mm2s_taildesc_msb_(*this, find_register(region, "MM2S_TAILDESC_MSB")),
      s2mm_curdesc_(*this, find_register(region, "S2MM_CURDESC"), Register::kSync),
      s2mm_curdesc_msb_(*this, find_register(region, "S2MM_CURDESC_MSB"), Register::kSync),
      s2mm_taildesc_(*this, find_register(region, "S2MM_TAILDESC"), Register::kSync),
      s2mm_taildesc_msb_(*this, find_register(region, "S2MM_TAILDESC_MSB")),
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
                config_.mm2s_initiator.empty() ? base + ".mm2s" : config_.mm2s_initiator,
                {mm2s_dmacr_, mm2s_dmasr_, mm2s_sa_, mm2s_sa_msb_, mm2s_length_, mm2s_curdesc_,
                 mm2s_curdesc_msb_, mm2s_taildesc_, mm2s_taildesc_msb_});
  setup_channel(channels_[kS2mm], kS2mm, config_.s2mm,
                config_.s2mm_initiator.empty() ? base + ".s2mm" : config_.s2mm_initiator,
                {s2mm_dmacr_, s2mm_dmasr_, s2mm_da_, s2mm_da_msb_, s2mm_length_, s2mm_curdesc_,
                 s2mm_curdesc_msb_, s2mm_taildesc_, s2mm_taildesc_msb_});

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
                           const ChannelRegisters& regs) {
  ch.which = which;
  ch.stream = stream;
  ch.initiator = initiator;
  ch.tag = InitiatorId(InitiatorId::allocate(initiator));
  ch.dmacr = &regs.dmacr;
  ch.dmasr = &regs.dmasr;
  ch.addr = &regs.addr;
  ch.addr_msb = &regs.addr_msb;
  ch.length = &regs.length;
  ch.curdesc = &regs.curdesc;
  ch.curdesc_msb = &regs.curdesc_msb;
  ch.taildesc = &regs.taildesc;
  ch.taildesc_msb = &regs.taildesc_msb;
  regs.dmacr.on_write([this, &ch](std::uint32_t v) { write_dmacr(ch, v); });
  regs.dmasr.on_write([this, &ch](std::uint32_t v) { write_dmasr(ch, v); });
  regs.length.on_write([this, &ch](std::uint32_t v) { write_length(ch, v); });
  regs.curdesc.on_write([this, &ch](std::uint32_t) { write_curdesc(ch); });
  regs.curdesc_msb.on_write([this, &ch](std::uint32_t) { write_curdesc(ch); });
  regs.taildesc.on_write([this, &ch](std::uint32_t v) { write_taildesc(ch, v); });
  regs.dmasr.set(status(which));  // elaboration: no event yet
}

std::uint32_t AxiDma::status(Channel c) const {
  const ChannelState& ch = channels_[c];
  return (ch.halted ? bits_.halted : 0) | (ch.idle ? bits_.idle : 0) |
         (config_.include_sg ? bits_.sg_incld : 0) | ch.errors | ch.irq;
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
    f.sg = ch.sg_job;
    f.descriptor = ch.sg_desc;
    record(std::move(f), access_time());
    return;
  }
  ch.length->set(length);
  if (length == 0 || ch.halted) return;  // PG021: no effect
  ch.busy = true;
  ch.pending = true;
  ch.sg_job = false;
  ch.idle = false;
  ch.job_address = (std::uint64_t{ch.addr_msb->get()} << 32) | ch.addr->get();
  ch.job_length = length;
  ch.job_start = access_time();
  refresh(ch);
  ch.start_event.notify(ch.job_start - sc_core::sc_time_stamp());
}

void AxiDma::set_curdesc(ChannelState& ch, std::uint64_t address) {
  ch.curdesc->set(static_cast<std::uint32_t>(address));
  ch.curdesc_msb->set(static_cast<std::uint32_t>(address >> 32));
}

void AxiDma::write_curdesc(ChannelState& ch) {
  // PG021: CURDESC is written while halted; the hardware ignores bits 5:0. Written while running: ignored.
  const std::uint64_t address =
      descriptor_pointer((std::uint64_t{ch.curdesc_msb->get()} << 32) | ch.curdesc->get());
  if (!config_.include_sg || !ch.halted) {
    set_curdesc(ch, ch.sg_desc);
    return;
  }
  set_curdesc(ch, address);
  ch.sg_next = ch.sg_desc = address;
}

void AxiDma::write_taildesc(ChannelState& ch, std::uint32_t value) {
  ch.taildesc->set(static_cast<std::uint32_t>(descriptor_pointer(value)));
  // Halted: no effect (PG021); a chain in progress picks the new tail up after its current descriptor.
  if (!config_.include_sg || ch.halted || (ch.busy && ch.sg_job)) return;
  if (ch.busy) {
    AxiDmaFault f;
    f.initiator = ch.initiator;
    f.kind = AxiDmaFault::Kind::kTailWhileBusy;
    f.write = ch.which == kS2mm;
    f.address = ch.job_address;
    f.transfer_address = ch.job_address;
    f.transfer_length = ch.job_length;
    f.written = value;
    record(std::move(f), access_time());
    return;
  }
  ch.busy = true;
  ch.pending = true;
  ch.sg_job = true;
  ch.idle = false;
  ch.job_address = ch.sg_next;
  ch.job_length = 0;
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
    ch.sg_job = false;
    ch.sg_next = ch.sg_desc = 0;
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
    if (ch.sg_job)
      run_sg(ch, generation);
    else if (ch.which == kMm2s)
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

bool AxiDma::wait_for_stream(ChannelState& ch, std::uint64_t generation) {
  AxisChannel& stream = *ch.stream;
  const bool mm2s = ch.which == kMm2s;
  const auto blocked = [&] { return mm2s ? stream.full() : stream.empty(); };
  if (blocked()) {
    // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): a copy, the kernel time moves on
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    while (blocked() && !aborted(ch, generation))
      sc_core::wait((mm2s ? stream.data_read_event() : stream.data_written_event()) | control_event_);
    ch.counters.stalled += sc_core::sc_time_stamp() - t0;
  }
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
  b.write = cmd == tlm::TLM_WRITE_COMMAND;
  ++ch.counters.bursts;
}

AxiDmaFault::Kind AxiDma::bus_error_kind(const Burst& b) {
  return b.response == tlm::TLM_ADDRESS_ERROR_RESPONSE ? AxiDmaFault::Kind::kDecodeError
                                                       : AxiDmaFault::Kind::kSlaveError;
}

void AxiDma::run_mm2s(ChannelState& ch, std::uint64_t generation) {
  AxisBeat beat;
  Burst error;
  switch (stream_from_memory(ch, generation, ch.job_address, ch.job_length, true, beat, error)) {
    case Step::kDone:
      if (transfer_observer_)
        transfer_observer_(
            {ch.initiator, ch.job_address, ch.job_length, ch.job_start, sc_core::sc_time_stamp(), {}});
      return complete(ch);
    case Step::kAborted:
      return;
    case Step::kBusError:
      return fail(ch, bus_error_kind(error), &error);
  }
}

AxiDma::Step AxiDma::stream_from_memory(ChannelState& ch, std::uint64_t generation, std::uint64_t address,
                                        std::uint64_t length, bool last, AxisBeat& beat, Burst& error) {
  AxisChannel& stream = *ch.stream;
  const std::size_t beat_bytes = stream.beat_bytes();
  const std::uint64_t burst = config_.burst_bytes;
  std::uint64_t to_issue = length;
  std::uint64_t to_stream = length;
  bool issue_error = false;
  std::deque<Burst> in_flight;
  beat.data.reserve(beat_bytes);
  for (;;) {
    if (aborted(ch, generation)) {
      abandon(ch, generation);
      return Step::kAborted;
    }
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
    if (!wait_until(ch, generation, b.done)) {
      abandon(ch, generation);
      return Step::kAborted;
    }
    if (b.response != tlm::TLM_OK_RESPONSE) {
      error = b;
      return Step::kBusError;
    }
    // Stream the burst's bytes as beats; every beat is full except the packet's last (TLAST).
    std::size_t offset = 0;
    while (offset < b.length) {
      const std::size_t n = std::min<std::size_t>(beat_bytes - beat.data.size(), b.length - offset);
      beat.data.insert(beat.data.end(), b.data.begin() + static_cast<std::ptrdiff_t>(offset),
                       b.data.begin() + static_cast<std::ptrdiff_t>(offset + n));
      offset += n;
      to_stream -= n;
      const bool packet_end = last && to_stream == 0;
      if (beat.data.size() < beat_bytes && !packet_end) continue;
      beat.last = packet_end;
      if (!wait_for_stream(ch, generation)) {
        abandon(ch, generation);
        return Step::kAborted;
      }
      ch.counters.bytes += beat.data.size();
      ++ch.counters.beats;
      stream.push(std::move(beat));
      beat = AxisBeat{};
      beat.data.reserve(beat_bytes);
    }
    in_flight.pop_front();
    if (to_stream == 0) return Step::kDone;
  }
}

void AxiDma::run_s2mm(ChannelState& ch, std::uint64_t generation) {
  Received r;
  Burst error;
  const Step step = receive_to_memory(ch, generation, ch.job_address, ch.job_length, nullptr, r, error);
  if (step == Step::kAborted) return;
  ch.length->set(static_cast<std::uint32_t>(r.written));
  if (step == Step::kBusError) return fail(ch, bus_error_kind(error), &error);
  if (r.too_long) return fail(ch, AxiDmaFault::Kind::kPacketTooLong, nullptr);
  if (transfer_observer_)
    transfer_observer_({ch.initiator, ch.job_address, r.written, ch.job_start, sc_core::sc_time_stamp(), {}});
  complete(ch);
}

AxiDma::Step AxiDma::receive_to_memory(ChannelState& ch, std::uint64_t generation, std::uint64_t base,
                                       std::uint64_t capacity, AxisBeat* carry, Received& out, Burst& error) {
  AxisChannel& stream = *ch.stream;
  const std::uint64_t burst = config_.burst_bytes;
  std::uint64_t received = 0;         // bytes taken from the stream
  std::uint64_t issued = 0;           // bytes whose write has been issued (they start at base)
  std::vector<std::uint8_t> pending;  // received, not yet issued
  std::deque<Burst> in_flight;
  bool end = false;

  // Waits for the oldest write; kDone if it completed without error.
  const auto retire = [&]() {
    const Burst& b = in_flight.front();
    if (!wait_until(ch, generation, b.done)) {
      abandon(ch, generation);
      return Step::kAborted;
    }
    if (b.response != tlm::TLM_OK_RESPONSE) {
      error = b;
      return Step::kBusError;
    }
    out.written += b.length;
    ch.counters.bytes += b.length;
    in_flight.pop_front();
    return Step::kDone;
  };

  while (!end) {
    AxisBeat beat;
    if (carry != nullptr && !carry->data.empty()) {
      beat = std::move(*carry);  // the previous buffer's overflow comes first
      *carry = AxisBeat{};
    } else {
      if (!wait_for_stream(ch, generation)) {
        abandon(ch, generation);
        return Step::kAborted;
      }
      beat = stream.pop();
      ++ch.counters.beats;
    }
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(beat.data.size(), capacity - received));
    pending.insert(pending.end(), beat.data.begin(), beat.data.begin() + static_cast<std::ptrdiff_t>(take));
    received += take;
    out.last = beat.last && take == beat.data.size();
    if (carry != nullptr) {
      // Chained: a full buffer ends this descriptor; what did not fit goes to the next one.
      end = out.last || received == capacity;
      if (take < beat.data.size()) {
        carry->data.assign(beat.data.begin() + static_cast<std::ptrdiff_t>(take), beat.data.end());
        carry->last = beat.last;
      }
    } else {
      // Longer than LENGTH: bytes that did not fit, or LENGTH reached on a beat without TLAST.
      out.too_long = take < beat.data.size() || (!beat.last && received == capacity);
      end = beat.last || out.too_long;
    }
    // Write whole bursts as they fill (aligned to burst_bytes), the rest at the end of the buffer.
    std::size_t consumed = 0;
    while (consumed < pending.size()) {
      const std::uint64_t address = base + issued;
      const std::uint64_t room = burst - address % burst;
      const std::size_t available = pending.size() - consumed;
      if (available < room && !end) break;
      if (in_flight.size() >= config_.max_outstanding) {
        const Step step = retire();
        if (step != Step::kDone) return step;
      }
      Burst b;
      b.address = address;
      b.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(room, available));
      b.data.assign(pending.begin() + static_cast<std::ptrdiff_t>(consumed),
                    pending.begin() + static_cast<std::ptrdiff_t>(consumed + b.length));
      transport(ch, tlm::TLM_WRITE_COMMAND, b);
      consumed += b.length;
      issued += b.length;
      const bool bus_error = b.response != tlm::TLM_OK_RESPONSE;
      in_flight.push_back(std::move(b));
      if (bus_error) {
        // Report it when it completes, after the writes before it.
        while (!in_flight.empty()) {
          const Step step = retire();
          if (step != Step::kDone) return step;
        }
      }
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(consumed));
  }
  while (!in_flight.empty()) {
    const Step step = retire();
    if (step != Step::kDone) return step;
  }
  return Step::kDone;
}

bool AxiDma::descriptor_access(ChannelState& ch, std::uint64_t generation, tlm::tlm_command cmd, Burst& b) {
  transport(ch, cmd, b);
  if (!wait_until(ch, generation, b.done)) {
    abandon(ch, generation);
    return false;
  }
  if (b.response == tlm::TLM_OK_RESPONSE) return true;
  fail(ch,
       b.response == tlm::TLM_ADDRESS_ERROR_RESPONSE ? AxiDmaFault::Kind::kSgDecodeError
                                                     : AxiDmaFault::Kind::kSgSlaveError,
       &b);
  return false;
}

void AxiDma::run_sg(ChannelState& ch, std::uint64_t generation) {
  const bool mm2s = ch.which == kMm2s;
  AxisBeat beat;   // MM2S: a partial beat carried across the buffers of a packet
  AxisBeat carry;  // S2MM: stream bytes a full buffer did not take
  bool in_packet = false;
  for (;;) {
    const sc_core::sc_time fetched = sc_core::sc_time_stamp();
    ch.sg_desc = ch.sg_next;
    set_curdesc(ch, ch.sg_desc);
    Burst d;
    d.address = ch.sg_desc;
    d.length = sg_bd::kFetchBytes;
    d.data.resize(d.length);
    if (!descriptor_access(ch, generation, tlm::TLM_READ_COMMAND, d)) return;
    const std::uint32_t control = load32(d.data, sg_bd::kControl);
    if (load32(d.data, sg_bd::kStatus) & sg_bd::kStatusCmplt)
      return fail(ch, AxiDmaFault::Kind::kSgStale, nullptr);
    const std::uint64_t buffer = load64(d.data, sg_bd::kBufferAddress);
    const std::uint32_t length = control & bits_.length;
    if (length == 0) return fail(ch, AxiDmaFault::Kind::kSgZeroLength, nullptr);

    std::uint32_t status = 0;
    Burst error;
    Step step;
    bool packet_end;
    if (mm2s) {
      packet_end = (control & sg_bd::kEof) != 0;
      step = stream_from_memory(ch, generation, buffer, length, packet_end, beat, error);
      if (step == Step::kDone) status = length;
    } else {
      Received r;
      step = receive_to_memory(ch, generation, buffer, length, &carry, r, error);
      packet_end = r.last;
      status =
          static_cast<std::uint32_t>(r.written) | (in_packet ? 0 : sg_bd::kSof) | (r.last ? sg_bd::kEof : 0);
      in_packet = !r.last;
    }
    if (step == Step::kAborted) return;
    if (step == Step::kBusError)
      status =
          (status & sg_bd::kLengthMask) |
          (error.response == tlm::TLM_ADDRESS_ERROR_RESPONSE ? sg_bd::kStatusDecErr : sg_bd::kStatusSlvErr);
    else
      status |= sg_bd::kStatusCmplt;
    Burst w;
    w.address = ch.sg_desc + sg_bd::kStatus;
    w.length = 4;
    w.data = {static_cast<std::uint8_t>(status), static_cast<std::uint8_t>(status >> 8),
              static_cast<std::uint8_t>(status >> 16), static_cast<std::uint8_t>(status >> 24)};
    if (!descriptor_access(ch, generation, tlm::TLM_WRITE_COMMAND, w)) return;
    if (step == Step::kBusError) return fail(ch, bus_error_kind(error), &error);
    ++ch.counters.descriptors;
    if (transfer_observer_)
      transfer_observer_(
          {ch.initiator, buffer, status & sg_bd::kLengthMask, fetched, sc_core::sc_time_stamp(), ch.sg_desc});
    if (packet_end) {
      ++ch.counters.transfers;
      ch.irq |= bits_.ioc_irq;
      refresh(ch);
    }
    ch.sg_next = descriptor_pointer(load64(d.data, sg_bd::kNxtdesc));
    const std::uint64_t tail = (std::uint64_t{ch.taildesc_msb->get()} << 32) | ch.taildesc->get();
    if (ch.sg_desc == tail) {
      if (!packet_end && (mm2s || in_packet)) return fail(ch, AxiDmaFault::Kind::kSgNoEndOfPacket, nullptr);
      return finish_chain(ch);
    }
  }
}

void AxiDma::finish_chain(ChannelState& ch) {
  ch.counters.busy += sc_core::sc_time_stamp() - ch.job_start;
  ch.busy = false;
  ch.idle = true;
  refresh(ch);
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
    case AxiDmaFault::Kind::kSgDecodeError:
      ch.errors |= bits_.sg_dec_err;
      break;
    case AxiDmaFault::Kind::kSgSlaveError:
      ch.errors |= bits_.sg_slv_err;
      break;
    case AxiDmaFault::Kind::kSgStale:
      ch.errors |= bits_.sg_int_err;
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
  f.write = burst != nullptr ? burst->write : ch.which == kS2mm;
  f.address = burst != nullptr ? burst->address : ch.job_address;
  f.length = burst != nullptr ? burst->length : 0;
  f.response = burst != nullptr ? burst->response : tlm::TLM_OK_RESPONSE;
  f.transfer_address = ch.job_address;
  f.transfer_length = ch.job_length;
  f.sg = ch.sg_job;
  f.descriptor = ch.sg_desc;
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

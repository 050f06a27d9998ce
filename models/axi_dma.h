// The Xilinx AXI DMA (PG021) in direct register mode and, where the instance includes it (C_INCLUDE_SG),
// scatter/gather mode: one MM2S channel (memory -> AXI-Stream) and one S2MM channel (AXI-Stream -> memory),
// register-compatible with the IP so Zynq-style firmware runs unchanged.
// docs/platform.md ("DMA") describes the model; the summary:
//
// Registers (offsets, reset values and the DMACR, DMASR and LENGTH field positions from the region given at
// construction, the platform's: memory_map.yaml, region dma0 or dma1, which share the list):
//   MM2S_DMACR 0x00, MM2S_DMASR 0x04, MM2S_SA 0x18, MM2S_SA_MSB 0x1C, MM2S_LENGTH 0x28,
//   S2MM_DMACR 0x30, S2MM_DMASR 0x34, S2MM_DA 0x48, S2MM_DA_MSB 0x4C, S2MM_LENGTH 0x58;
//   scatter/gather: MM2S_CURDESC(_MSB) 0x08/0x0C, MM2S_TAILDESC(_MSB) 0x10/0x14, S2MM 0x30 higher.
//   DMACR: RS (0), Reset (2, resets both channels), IOC_IrqEn (12), Dly_IrqEn (13), Err_IrqEn (14),
//   IRQThreshold/IRQDelay (23:16, 31:24; stored, unused); bit 1 reads 1. Reset value 0x00010002.
//   DMASR: Halted (0), Idle (1), SGIncld (3) = include_sg, DMAIntErr (4), DMASlvErr (5), DMADecErr (6),
//   SGIntErr (8), SGSlvErr (9), SGDecErr (10), IOC_Irq (12), Dly_Irq (13), Err_Irq (14); writing 1 clears
//   bits 12..14 only. Reset value 0x00000001 (halted; | SGIncld).
//   DMACR, DMASR and LENGTH catch up with the initiator's local time before an access (Register::kSync).
// A channel runs after RS = 1 (Halted -> 0). Writing a non-zero LENGTH while running starts a transfer
// (MM2S: LENGTH bytes from SA; S2MM: a packet of up to LENGTH bytes to DA) at the write's time; Idle = 0
// until it ends, then Idle = 1 and IOC_Irq = 1; S2MM_LENGTH then reads the bytes received. LENGTH = 0 and
// LENGTH written while halted have no effect (PG021); LENGTH written while a transfer runs is ignored and
// recorded as a fault. SA/DA may have any byte alignment (the IP with its realignment engine, DRE).
//
// Data path: a SC_THREAD per channel moves data through `mm_socket` (bind it to the bus port, e.g.
// bus.initiator_socket("dma0")) in bursts: one b_transport of up to `burst_bytes`, aligned to burst_bytes in
// the address space (the first and last burst of an unaligned transfer are shorter), tagged with the
// channel's own InitiatorId ("dma0.mm2s", "dma0.s2mm"). Up to `max_outstanding` bursts are in flight per
// channel: they are issued at the same simulated time and each completes at the time its returned delay
// says, so the DRAM's bandwidth and latency set the pace. MM2S splits the bytes into AXI-Stream beats of
// the stream's beat_bytes() (every beat full but the last, which carries TLAST) and blocks while the
// stream is full (back-pressure); S2MM pops beats and writes them out, ending at TLAST. Optionally
// `mm_data_bytes` caps the memory-side throughput at that many bytes per DMA clock.
//
// Errors (the channel halts: RS = 0, Halted = 1, Idle = 0, Err_Irq = 1; only a reset restarts it):
//   TLM_ADDRESS_ERROR_RESPONSE (no target: AXI DECERR) -> DMADecErr; any other error response -> DMASlvErr;
//   S2MM packet longer than LENGTH (LENGTH bytes taken without TLAST) -> DMAIntErr; a transfer on a channel
//   without a stream -> DMAIntErr. Every error, and a LENGTH write while busy, is recorded as an
//   AxiDmaFault (address, channel, response, time) and reported to the on_fault handler; with
//   `stop_on_fault` (default; the SoC's only with vp_run --stop-on-fault) the simulation stops at that
//   time, so firmware polling Idle never hangs.
// Scatter/gather (include_sg; PG021 "Scatter Gather Mode"): write CURDESC while halted, RS = 1, then
// TAILDESC starts the channel, which walks the chain from CURDESC: fetch a descriptor (sg_bd layout below,
// 64-byte aligned: address bits 5:0 are ignored) with one bus read, move its buffer, write its STATUS word
// back with one bus write (Cmplt | transferred bytes; S2MM also RXSOF/RXEOF), follow NXTDESC. CURDESC reads
// the descriptor in progress. At TAILDESC (after its status write) the channel goes Idle; writing TAILDESC
// again resumes at the tail's NXTDESC. MM2S: the buffers from a TXSOF descriptor to the next TXEOF one form
// one packet (one TLAST, beats packed across buffers). S2MM: a packet fills the chain's buffers in order
// (every status gets its transferred bytes, the first RXSOF, the one that took TLAST RXEOF); RXSOF/RXEOF in
// CONTROL are ignored. IOC_Irq at each packet end (IRQThreshold/IRQDelay are stored, not modelled).
// Errors (channel halts as above; the fault names the descriptor address): descriptor read or status write
// answered DECERR -> SGDecErr, other error -> SGSlvErr; a fetched descriptor with Cmplt already set ->
// SGIntErr (stale); buffer length 0, or the chain ending at TAILDESC inside a packet (MM2S: no TXEOF yet;
// S2MM: no TLAST yet) -> DMAIntErr; a buffer access error -> DMADecErr / DMASlvErr, and that descriptor's
// STATUS gets the error bit (no Cmplt). Descriptor fetches and status writes go through mm_socket like data
// bursts (same DRAM time), one after the other with the buffer moves (no descriptor prefetch).
// With include_sg a LENGTH write still starts a direct transfer (the IP would ignore it: a VP superset, so
// one instance serves direct-mode and SG firmware); TAILDESC while a direct transfer runs, like LENGTH
// while a chain runs, is ignored and recorded as a fault. Not modelled: multichannel, keyhole, 2-D (cyclic
// BD) mode, the APP words / status-control streams, descriptor prefetch queues.
// Interrupts: mm2s_introut / s2mm_introut = (IOC_Irq & IOC_IrqEn) | (Err_Irq & Err_IrqEn); the platform
// wires them to its interrupt controller (models/irq_ctrl.h).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "axis_channel.h"
#include "dnnvp_axi_dma_bd.h"
#include "initiator_id.h"
#include "peripheral.h"

namespace dnnvp {

class Stats;

// PG021 scatter/gather descriptor (non-multichannel) in byte offsets and CONTROL/STATUS fields, from the
// layout the firmware driver shares (firmware/abi/dnnvp_axi_dma_bd.h).
namespace sg_bd {
constexpr std::uint32_t kAlign = AXI_DMA_BD_ALIGN;
constexpr std::uint32_t kNxtdesc = 4 * AXI_DMA_BD_NXTDESC, kBufferAddress = 4 * AXI_DMA_BD_BUFFER_ADDRESS;
constexpr std::uint32_t kControl = 4 * AXI_DMA_BD_CONTROL, kStatus = 4 * AXI_DMA_BD_STATUS;
constexpr std::uint32_t kFetchBytes = 4 * AXI_DMA_BD_FETCH_WORDS;
constexpr std::uint32_t kLengthMask = AXI_DMA_BD_LENGTH_MASK;
constexpr std::uint32_t kEof = AXI_DMA_BD_EOF;
constexpr std::uint32_t kSof = AXI_DMA_BD_SOF;
constexpr std::uint32_t kStatusSlvErr = AXI_DMA_BD_STATUS_SLV_ERR;
constexpr std::uint32_t kStatusDecErr = AXI_DMA_BD_STATUS_DEC_ERR;
constexpr std::uint32_t kStatusCmplt = AXI_DMA_BD_STATUS_CMPLT;
}  // namespace sg_bd

struct AxiDmaConfig {
  std::size_t burst_bytes = 256;    // bytes per memory burst: a power of two, 4 .. 4096
  std::size_t max_outstanding = 4;  // bursts in flight per channel, >= 1
  unsigned mm_data_bytes = 0;       // memory-side bytes per DMA clock; 0: no limit (DRAM-bound)
  AxisChannel* mm2s = nullptr;      // stream the MM2S channel writes (null: channel unused)
  AxisChannel* s2mm = nullptr;      // stream the S2MM channel reads (null: channel unused)
  std::string mm2s_initiator;       // InitiatorId name; default "<basename>.mm2s"
  std::string s2mm_initiator;       // default "<basename>.s2mm"
  unsigned latency_cycles = 1;      // register access latency, DMA clocks
  bool stop_on_fault = true;        // sc_stop() at the time of every fault
  bool include_sg = false;          // C_INCLUDE_SG: the scatter/gather engine (DMASR.SGIncld reads it)
};

struct AxiDmaFault {
  enum class Kind {
    kDecodeError,      // DMADecErr: the memory side answered TLM_ADDRESS_ERROR_RESPONSE (nothing mapped)
    kSlaveError,       // DMASlvErr: any other error response
    kPacketTooLong,    // DMAIntErr: S2MM packet longer than LENGTH
    kNoStream,         // DMAIntErr: transfer started on a channel without an AXI-Stream connection
    kLengthWhileBusy,  // LENGTH written while a transfer runs: ignored (no status bit)
    kTailWhileBusy,    // TAILDESC written while a direct transfer runs: ignored (no status bit)
    kSgDecodeError,    // SGDecErr: descriptor fetch or status write answered DECERR
    kSgSlaveError,     // SGSlvErr: descriptor fetch or status write answered another error
    kSgStale,          // SGIntErr: fetched descriptor already had STATUS.Cmplt set
    kSgZeroLength,     // DMAIntErr: descriptor buffer length 0
    kSgNoEndOfPacket,  // DMAIntErr: the chain reached TAILDESC inside a packet
  };
  std::string initiator;  // the channel's InitiatorId name, "dma0.mm2s"
  Kind kind = Kind::kDecodeError;
  bool write = false;         // memory side: false = read (MM2S), true = write (S2MM)
  std::uint64_t address = 0;  // the failing burst (bus errors), else the transfer's SA/DA
  std::uint32_t length = 0;   // bytes of the failing burst (bus errors)
  tlm::tlm_response_status response = tlm::TLM_OK_RESPONSE;  // bus errors only
  std::uint64_t transfer_address = 0;                        // SA / DA of the transfer
  std::uint32_t transfer_length = 0;                         // LENGTH of the transfer
  std::uint32_t written = 0;                                 // kLengthWhileBusy: the value written
  bool sg = false;                                           // scatter/gather chain (not LENGTH)
  std::uint64_t descriptor = 0;                              // sg: the descriptor in progress
  sc_core::sc_time time;
  // "dma0.mm2s: decode error (DMADecErr) reading 256 bytes at 0x20000000 at 1 us (transfer of 4096 bytes
  // from 0x20000000): TLM_ADDRESS_ERROR_RESPONSE; channel halted"
  std::string describe() const;
};

// One buffer a channel moved (a direct-mode transfer, or one scatter/gather descriptor's buffer), as an
// observer sees it (platform/trace/).
struct AxiDmaTransfer {
  const std::string& initiator;  // the channel's InitiatorId name, "dma0.mm2s"
  std::uint64_t address = 0;     // the buffer
  std::uint64_t bytes = 0;       // moved (S2MM: received)
  sc_core::sc_time start, end;   // LENGTH write / descriptor fetch .. the buffer's end (and status write)
  std::optional<std::uint64_t> descriptor;  // scatter/gather: the descriptor's address
};

class AxiDma : public Peripheral {
 public:
  enum Channel { kMm2s = 0, kS2mm = 1 };

  struct ChannelCounters {
    std::uint64_t transfers = 0;    // completed (IOC)
    std::uint64_t bytes = 0;        // MM2S: bytes streamed; S2MM: bytes written to memory
    std::uint64_t bursts = 0;       // b_transport calls
    std::uint64_t beats = 0;        // AXI-Stream beats pushed / popped
    std::uint64_t errors = 0;       // transfers ended by an error
    std::uint64_t descriptors = 0;  // scatter/gather descriptors completed (status written)
    sc_core::sc_time busy;          // from each start (LENGTH write) to its end
    sc_core::sc_time stalled;       // MM2S: blocked on a full stream; S2MM: waiting for beats while armed
  };

  tlm_utils::simple_initiator_socket<AxiDma> mm_socket;  // memory side (both channels)
  sc_core::sc_signal<bool> mm2s_introut;
  sc_core::sc_signal<bool> s2mm_introut;

  SC_HAS_PROCESS(AxiDma);
  // `clock_period`: the DMA's clock (register latency, mm_data_bytes). With `stats`, registers
  // "<basename>.{mm2s,s2mm}.{transfers,bytes,bursts,beats,errors,busy_ns,stalled_ns}" for the channels
  // that have a stream, and "<basename>.faults". Throws std::invalid_argument on a bad configuration or if
  // `region` lacks one of the registers.
  AxiDma(const sc_core::sc_module_name& name, const RegionInfo& region, const sc_core::sc_time& clock_period,
         const AxiDmaConfig& config, Stats* stats = nullptr);

  const AxiDmaConfig& config() const { return config_; }
  const std::vector<AxiDmaFault>& faults() const { return faults_; }  // the first 64
  std::uint64_t fault_count() const { return fault_count_; }
  // Called for every fault as it is recorded (e.g. to print it).
  void on_fault(std::function<void(const AxiDmaFault&)> handler) { fault_handler_ = std::move(handler); }
  // Called for every buffer moved without error (null, the default: nothing is called).
  void on_transfer(std::function<void(const AxiDmaTransfer&)> observer) {
    transfer_observer_ = std::move(observer);
  }

  const ChannelCounters& counters(Channel c) const { return channels_[c].counters; }
  bool busy(Channel c) const { return channels_[c].busy; }
  bool halted(Channel c) const { return channels_[c].halted; }
  bool idle(Channel c) const { return channels_[c].idle; }
  std::uint32_t status(Channel c) const;  // the DMASR value
  bool interrupt(Channel c) const;        // the introut level
  const std::string& initiator_name(Channel c) const { return channels_[c].initiator; }

 private:
  struct ChannelState {
    Channel which = kMm2s;
    AxisChannel* stream = nullptr;
    std::string initiator;
    InitiatorId tag;
    Register* dmacr = nullptr;
    Register* dmasr = nullptr;
    Register* addr = nullptr;
    Register* addr_msb = nullptr;
    Register* length = nullptr;
    Register* curdesc = nullptr;
    Register* curdesc_msb = nullptr;
    Register* taildesc = nullptr;
    Register* taildesc_msb = nullptr;
    bool halted = true;
    bool idle = false;
    bool busy = false;            // a transfer accepted and not yet ended
    bool pending = false;         // accepted, thread not started on it yet
    bool stop_requested = false;  // RS = 0 during a transfer
    std::uint32_t errors = 0;     // DMASR bits 6:4
    std::uint32_t irq = 0;        // DMASR bits 14:12
    std::uint64_t job_address = 0;
    std::uint32_t job_length = 0;
    bool sg_job = false;        // the accepted job is a descriptor chain (TAILDESC), not LENGTH
    std::uint64_t sg_next = 0;  // descriptor the chain fetches next (CURDESC, then NXTDESC)
    std::uint64_t sg_desc = 0;  // descriptor in progress
    sc_core::sc_time job_start;
    sc_core::sc_time mm_free;  // memory-side data channel busy until (mm_data_bytes)
    sc_core::sc_event start_event;
    ChannelCounters counters;
  };
  struct Burst {
    std::uint64_t address = 0;
    std::uint32_t length = 0;
    std::vector<std::uint8_t> data;
    sc_core::sc_time done;
    tlm::tlm_response_status response = tlm::TLM_OK_RESPONSE;
    bool write = false;
  };

  struct ChannelRegisters {
    Register &dmacr, &dmasr, &addr, &addr_msb, &length, &curdesc, &curdesc_msb, &taildesc, &taildesc_msb;
  };
  void setup_channel(ChannelState& ch, Channel which, AxisChannel* stream, const std::string& initiator,
                     const ChannelRegisters& regs);
  void write_dmacr(ChannelState& ch, std::uint32_t value);
  void write_dmasr(ChannelState& ch, std::uint32_t value);
  void write_length(ChannelState& ch, std::uint32_t value);
  void write_curdesc(ChannelState& ch);
  void write_taildesc(ChannelState& ch, std::uint32_t value);
  void set_curdesc(ChannelState& ch, std::uint64_t address);
  void soft_reset();
  void refresh(ChannelState& ch);

  void mm2s_thread();
  void s2mm_thread();
  void channel_loop(ChannelState& ch);
  void run_mm2s(ChannelState& ch, std::uint64_t generation);
  void run_s2mm(ChannelState& ch, std::uint64_t generation);
  void run_sg(ChannelState& ch, std::uint64_t generation);

  // How a buffer move ended: done, aborted (reset or stop; abandon() has run), or a bus error (`error`).
  enum class Step { kDone, kAborted, kBusError };
  // MM2S: streams [address, address + length) through `beat` (a partial beat carries over to the next
  // call); the last byte gets TLAST when `last`.
  Step stream_from_memory(ChannelState& ch, std::uint64_t generation, std::uint64_t address,
                          std::uint64_t length, bool last, AxisBeat& beat, Burst& error);
  struct Received {
    std::uint64_t written = 0;  // bytes written without error
    bool last = false;          // the buffer took the packet's TLAST
    bool too_long = false;      // direct mode: the packet did not fit
  };
  // S2MM: receives into [base, base + capacity). Direct mode (carry null): up to TLAST, too_long when the
  // packet does not fit. Chained (carry set): up to TLAST or a full buffer; bytes of a beat that do not
  // fit stay in *carry for the next buffer (which takes them first).
  Step receive_to_memory(ChannelState& ch, std::uint64_t generation, std::uint64_t base,
                         std::uint64_t capacity, AxisBeat* carry, Received& out, Burst& error);
  // One timed descriptor access (fetch or status write) through mm_socket; false if aborted or failed.
  bool descriptor_access(ChannelState& ch, std::uint64_t generation, tlm::tlm_command cmd, Burst& b);
  static AxiDmaFault::Kind bus_error_kind(const Burst& b);
  // One burst through mm_socket; sets b.done and b.response.
  void transport(ChannelState& ch, tlm::tlm_command cmd, Burst& b);
  bool aborted(const ChannelState& ch, std::uint64_t generation) const;
  // After aborted(): a stop request halts the channel; a reset has already reset it.
  void abandon(ChannelState& ch, std::uint64_t generation);
  // Waits until `t` (or an abort); false if aborted.
  bool wait_until(ChannelState& ch, std::uint64_t generation, const sc_core::sc_time& t);
  // Waits while the channel's stream blocks it (MM2S: full; S2MM: empty), counting the time as stalled;
  // false if aborted.
  bool wait_for_stream(ChannelState& ch, std::uint64_t generation);
  void complete(ChannelState& ch);
  void fail(ChannelState& ch, AxiDmaFault::Kind kind, const Burst* burst);
  void finish_chain(ChannelState& ch);
  void record(AxiDmaFault fault, const sc_core::sc_time& at);

  void update_interrupts();
  void stop_simulation();

  // The masks of the DMACR, DMASR and LENGTH fields the model acts on, from the region (by name, once).
  struct Fields {
    std::uint32_t rs, reset, ioc_irq_en, dly_irq_en, err_irq_en, irq_threshold_delay;
    std::uint32_t halted, idle, sg_incld, dma_int_err, dma_slv_err, dma_dec_err, sg_int_err, sg_slv_err,
        sg_dec_err, ioc_irq, dly_irq, err_irq;
    std::uint32_t length;
  };
  static Fields fields_of(const RegionInfo& region);

  AxiDmaConfig config_;
  Register mm2s_dmacr_;
  Register mm2s_dmasr_;
  Register mm2s_sa_;
  Register mm2s_sa_msb_;
  Register mm2s_length_;
  Register s2mm_dmacr_;
  Register s2mm_dmasr_;
  Register s2mm_da_;
  Register s2mm_da_msb_;
  Register s2mm_length_;
  Register mm2s_curdesc_;
  Register mm2s_curdesc_msb_;
  Register mm2s_taildesc_;
  Register mm2s_taildesc_msb_;
  Register s2mm_curdesc_;
  Register s2mm_curdesc_msb_;
  Register s2mm_taildesc_;
  Register s2mm_taildesc_msb_;
  Fields bits_;  // after the registers: a missing register is named before a missing field
  ChannelState channels_[2];
  std::uint64_t generation_ = 0;     // incremented by every soft reset
  sc_core::sc_event control_event_;  // reset or stop request: wakes blocked channel threads
  sc_core::sc_event irq_event_;
  sc_core::sc_event stop_event_;
  std::vector<AxiDmaFault> faults_;
  std::uint64_t fault_count_ = 0;
  std::function<void(const AxiDmaFault&)> fault_handler_;
  std::function<void(const AxiDmaTransfer&)> transfer_observer_;
};

}  // namespace dnnvp

// An AXI-Stream link between two SystemC components (a DMA channel and the engine bridge): a bounded
// FIFO of beats with events, so the producer and the consumer each run in their own thread and
// block only when the FIFO is full or empty. Beats carry their bytes (TDATA with TKEEP applied:
// a short last beat simply has fewer bytes) and TLAST.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <systemc>

namespace dnnvp {

struct AxisBeat {
  std::vector<std::uint8_t> data;  // at most beat_bytes(); fewer only on a packet's last beat
  bool last = false;
};

class AxisChannel {
 public:
  AxisChannel(std::string name, std::size_t capacity_beats, std::size_t beat_bytes)
      : name_(std::move(name)), capacity_(capacity_beats), beat_bytes_(beat_bytes) {}

  const std::string& name() const { return name_; }
  std::size_t beat_bytes() const { return beat_bytes_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return beats_.size(); }
  bool full() const { return beats_.size() >= capacity_; }
  // Also true while a stall injected with hold_until() lasts: the consumer sees no beat.
  bool empty() const { return beats_.empty() || (held_ && still_held()); }

  // Non-blocking; call only when !full() / !empty(). Each notifies the other side.
  void push(AxisBeat beat) {
    bytes_in_ += beat.data.size();
    packets_in_ += beat.last;
    beats_.push_back(std::move(beat));
    written_.notify(sc_core::SC_ZERO_TIME);
  }
  const AxisBeat& front() const { return beats_.front(); }
  AxisBeat pop() {
    AxisBeat b = std::move(beats_.front());
    beats_.pop_front();
    read_.notify(sc_core::SC_ZERO_TIME);
    return b;
  }

  // Blocking forms for SC_THREADs.
  void write(AxisBeat beat) {
    while (full()) sc_core::wait(read_);
    push(std::move(beat));
  }
  AxisBeat read() {
    while (empty()) sc_core::wait(written_);
    return pop();
  }

  const sc_core::sc_event& data_written_event() const { return written_; }
  const sc_core::sc_event& data_read_event() const { return read_; }

  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t packets_in() const { return packets_in_; }

  // Fault injection (platform/faults/): until `until` the consumer sees the channel empty, as if the
  // producer held TVALID low; the producer still fills it up to its capacity. The injector calls release()
  // at `until` to wake a consumer that waits for a beat (a timed notification here could be cancelled by
  // an earlier one of push()).
  void hold_until(const sc_core::sc_time& until) {
    held_ = true;
    held_until_ = until;
  }
  void release() { written_.notify(sc_core::SC_ZERO_TIME); }

 private:
  std::string name_;
  std::size_t capacity_;
  std::size_t beat_bytes_;
  std::deque<AxisBeat> beats_;
  sc_core::sc_event written_, read_;
  std::uint64_t bytes_in_ = 0, packets_in_ = 0;
  bool held_ = false;  // a stall was injected (without one, empty() costs one flag test more)
  sc_core::sc_time held_until_;

  bool still_held() const { return sc_core::sc_time_stamp() < held_until_; }
};

}  // namespace dnnvp

// Shared pieces of the Verilator test benches: clocking, seeded randomness, byte access to
// Verilated signals of any width, and AXI-Stream sources/sinks with random idle and back-pressure.
#pragma once

#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tb {

// Seed from $DNNVP_SEED (printed, so a failing run can be repeated), else a fixed default.
inline std::uint32_t seed() {
  static const std::uint32_t s = [] {
    const char* env = std::getenv("DNNVP_SEED");
    const std::uint32_t v = env ? static_cast<std::uint32_t>(std::strtoul(env, nullptr, 0)) : 1u;
    std::printf("seed %u (set DNNVP_SEED to repeat)\n", v);
    return v;
  }();
  return s;
}

class Random {
 public:
  explicit Random(std::uint32_t s) : gen_(s) {}
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_) < p; }
  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  std::uint8_t byte() { return static_cast<std::uint8_t>(range(0, 255)); }

 private:
  std::mt19937 gen_;
};

// Byte-wise access to a Verilated signal of any width (CData..QData or VlWide).
template <typename T>
void set_bytes(T& sig, const std::vector<std::uint8_t>& bytes) {
  sig = 0;
  for (size_t i = 0; i < bytes.size() && i < sizeof(T); ++i) sig |= static_cast<T>(T{bytes[i]} << (8 * i));
}
template <std::size_t N>
void set_bytes(VlWide<N>& sig, const std::vector<std::uint8_t>& bytes) {
  for (std::size_t w = 0; w < N; ++w) sig[w] = 0;
  for (size_t i = 0; i < bytes.size() && i < 4 * N; ++i) sig[i / 4] |= static_cast<EData>(bytes[i]) << (8 * (i % 4));
}
template <typename T>
std::vector<std::uint8_t> get_bytes(const T& sig, size_t n) {
  std::vector<std::uint8_t> out(n);
  for (size_t i = 0; i < n && i < sizeof(T); ++i) out[i] = static_cast<std::uint8_t>(sig >> (8 * i));
  return out;
}
template <std::size_t N>
std::vector<std::uint8_t> get_bytes(const VlWide<N>& sig, size_t n) {
  std::vector<std::uint8_t> out(n);
  for (size_t i = 0; i < n && i < 4 * N; ++i) out[i] = static_cast<std::uint8_t>(sig[i / 4] >> (8 * (i % 4)));
  return out;
}

struct Beat {
  std::vector<std::uint8_t> data;
  bool last = false;
  std::uint32_t keep = 0;  // byte enables, where the stream has TKEEP
};

// Drives an AXI-Stream slave port. TVALID is raised at random (idle probability) and, once raised,
// held with a stable payload until the handshake, as the protocol requires.
template <typename TData>
class AxisSource {
 public:
  AxisSource(TData& data, CData& valid, const CData& ready, CData* last, size_t bytes, Random& rnd,
             double idle)
      : data_(data), valid_(valid), ready_(ready), last_(last), bytes_(bytes), rnd_(rnd), idle_(idle) {}

  void push(Beat b) { queue_.push_back(std::move(b)); }
  bool empty() const { return queue_.empty() && !valid_; }
  size_t pending() const { return queue_.size(); }
  void set_idle(double p) { idle_ = p; }

  // Call with the clock low, before the rising edge: returns true if a beat transfers on it.
  bool before_edge() const { return valid_ && ready_; }
  // Call after the rising edge with what before_edge() returned.
  void after_edge(bool transferred) {
    if (transferred) valid_ = 0;
    if (!valid_ && !queue_.empty() && !rnd_.chance(idle_)) {
      const Beat& b = queue_.front();
      set_bytes(data_, b.data);
      if (last_) *last_ = b.last;
      valid_ = 1;
      queue_.pop_front();
    }
  }

 private:
  TData& data_;
  CData& valid_;
  const CData& ready_;
  CData* last_;
  size_t bytes_;
  Random& rnd_;
  double idle_;
  std::deque<Beat> queue_;
};

// Receives from an AXI-Stream master port with random back-pressure.
template <typename TData>
class AxisSink {
 public:
  AxisSink(const TData& data, const CData& valid, CData& ready, const CData* last, size_t bytes, Random& rnd,
           double backpressure)
      : data_(data), valid_(valid), ready_(ready), last_(last), bytes_(bytes), rnd_(rnd), bp_(backpressure) {}

  std::vector<Beat> beats;
  void set_backpressure(double p) { bp_ = p; }

  // Call with the clock low, before the rising edge: captures a beat that transfers on it.
  void before_edge() {
    if (valid_ && ready_) beats.push_back({get_bytes(data_, bytes_), last_ ? *last_ != 0 : false, 0});
  }
  // Call after the rising edge: chooses TREADY for the next cycle.
  void after_edge() { ready_ = !rnd_.chance(bp_); }

 private:
  const TData& data_;
  const CData& valid_;
  CData& ready_;
  const CData* last_;
  size_t bytes_;
  Random& rnd_;
  double bp_;
};

// Fails the test with a message (Catch-free, so a bench is one small main()).
#define TB_CHECK(cond, ...)                                                   \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                      \
      std::fprintf(stderr, "\n");                                             \
      std::exit(1);                                                           \
    }                                                                         \
  } while (0)

// Bits [lsb, lsb + width) of a Verilated signal of any width, width <= 64 (zero-extended).
template <typename T>
std::uint64_t get_bits(const T& sig, size_t lsb, size_t width) {
  const std::vector<std::uint8_t> bytes = get_bytes(sig, (lsb + width + 7) / 8);
  std::uint64_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= static_cast<std::uint64_t>((bytes[(lsb + i) / 8] >> ((lsb + i) % 8)) & 1u) << i;
  return v;
}

// Sign-extends the low `bits` bits of v.
inline std::int64_t sext(std::uint64_t v, unsigned bits) {
  const std::uint64_t m = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  v &= m;
  return bits < 64 && (v >> (bits - 1)) & 1u ? static_cast<std::int64_t>(v | ~m) : static_cast<std::int64_t>(v);
}

// The outputs a pipeline of fixed latency without back-pressure owes (dnn_requant, dnn_pool_out): each
// is due `latency` cycles after its input; a valid output with none due, early or late fails.
class FixedLatency {
 public:
  explicit FixedLatency(std::uint64_t latency) : latency_(latency) {}
  // An input taken in this cycle, whose output must be `value`.
  void expect(std::int64_t value) { due_.push_back({cycle_ + latency_, value}); }
  // After the clock edge, with the output's valid: the value the output must carry when valid.
  std::int64_t step(bool valid) {
    ++cycle_;
    if (!valid) {
      TB_CHECK(due_.empty() || due_.front().first > cycle_, "missing output due at cycle %llu",
               static_cast<unsigned long long>(due_.front().first));
      return 0;
    }
    TB_CHECK(!due_.empty(), "valid output with nothing due at cycle %llu",
             static_cast<unsigned long long>(cycle_));
    TB_CHECK(due_.front().first == cycle_, "latency: due at cycle %llu, out at %llu",
             static_cast<unsigned long long>(due_.front().first), static_cast<unsigned long long>(cycle_));
    const std::int64_t value = due_.front().second;
    due_.pop_front();
    ++checked_;
    return value;
  }
  bool empty() const { return due_.empty(); }
  long checked() const { return checked_; }

 private:
  std::uint64_t latency_;
  std::uint64_t cycle_ = 0;
  long checked_ = 0;
  std::deque<std::pair<std::uint64_t, std::int64_t>> due_;  // (cycle due, value)
};

}  // namespace tb

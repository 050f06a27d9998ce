// One fault to inject into a run (docs/debugging.md, "Fault injection"): the scenario's `faults:` list and
// vp_run's `--inject SPEC` share this grammar, so one parser checks both:
//
//   SPEC  := KIND ':' KEY '=' VALUE { ',' KEY '=' VALUE }
//   dram_flip:addr=A[..B],bits=N[,seed=S][,at=WHEN]    N random distinct bits of bytes A..B flipped
//   dram_flip:list=A.BIT[/A.BIT...][,at=WHEN]          the listed bits (BIT 0..7 of the byte at A)
//   stream_stall:stream=x|w|r|y,cycles=N[,at=WHEN]     the stream's beats reach no consumer for N cycles
//   dma_error:channel=dmaD.mm2s|dmaD.s2mm[,nth=N][,response=slave|decode]
//                                                      the memory side answers the Nth transfer with an error
//   irq_lost:source=NAME[,nth=N]                       the Nth raise of an interrupt source never reaches the
//   CPU WHEN  := start | cycle:N | layer:INDEX | layer:NAME | tile:K   (default start)
//
// Numbers are decimal or 0x-hex. Parsing checks the syntax and ranges only; what depends on the platform
// (an address in DRAM, a layer name, an interrupt source) is checked when the SoC arms the fault.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dnnvp::faults {

enum class Kind { kDramFlip, kStreamStall, kDmaError, kIrqLost };
const char* to_string(Kind kind);

// When a timed fault (dram_flip, stream_stall) acts.
struct When {
  enum class Kind { kStart, kCycle, kLayer, kTile };
  Kind kind = Kind::kStart;
  std::uint64_t value = 0;  // the engine cycle, the layer index or the tile count
  std::string layer;        // layer:NAME (value unused until the SoC resolves it)
  std::string text = "start";
};

struct Spec {
  std::string text;  // as written
  Kind kind = Kind::kDramFlip;
  When at;
  // dram_flip: the byte range and a random count, or the listed (address, bit) pairs.
  std::uint64_t first = 0, last = 0;
  std::uint64_t bits = 0;
  std::uint64_t seed = 1;
  std::vector<std::pair<std::uint64_t, unsigned>> listed;
  // stream_stall
  char stream = 'x';
  std::uint64_t cycles = 0;
  // dma_error: <dma>.<channel> (the DMA's region), the transfer (from 1) and the response; irq_lost: the
  // source and its raise (from 1).
  std::string dma;
  bool s2mm = false;
  bool decode = false;
  std::string source;
  std::uint64_t nth = 1;
};

// A spec that does not parse: `key` is the key at fault ("" for the kind or the form), `what` the reason.
class SpecError : public std::invalid_argument {
 public:
  SpecError(std::string key, const std::string& message)
      : std::invalid_argument((key.empty() ? "" : key + ": ") + message),
        key_(std::move(key)),
        message_(message) {}
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  std::string key_, message_;
};

// Throws SpecError.
Spec parse(const std::string& text);

// The stream's role ("input", "weights", "operand", "output") for the letter x, w, r, y.
const char* stream_role(char stream);

}  // namespace dnnvp::faults

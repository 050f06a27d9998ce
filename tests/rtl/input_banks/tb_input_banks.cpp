// dnn_input_banks: random multi-word writes (any enable mask over FoldMax consecutive words) and
// reads of FoldMax consecutive words at random addresses, at random idle, against a C++ model of a
// Depth-word memory: every read word below Depth is compared the cycle after rd_en_i (read before a
// same-cycle write), and the read data is held while rd_en_i is low. Phases hammer a small address
// window (bank conflicts would show) and the end of the memory (rows that wrap).
#include <cinttypes>
#include <cstdint>
#include <vector>

#include "Vdnn_input_banks.h"
#include "tb.h"

namespace {

constexpr int kWidth = WIDTH;
constexpr int kDepth = DEPTH;
constexpr int kFoldMax = FOLD_MAX;
constexpr std::uint64_t kMask = kWidth >= 64 ? ~0ull : (1ull << kWidth) - 1;

void put_bits(std::vector<std::uint8_t>& bytes, int pos, int width, std::uint64_t v) {
  for (int i = 0; i < width; ++i) {
    const int bit = pos + i;
    if ((v >> i) & 1) bytes[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
  }
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_input_banks m(&ctx);
  tb::Random rnd(tb::seed());
  auto word = [&] {
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v = v << 8 | rnd.byte();
    return v & kMask;
  };

  std::vector<std::uint64_t> mem(kDepth, 0);
  std::vector<bool> known(kDepth, false);
  const int bytes = (kFoldMax * kWidth + 7) / 8;
  // The read in flight: words expected on rd_data_o after the edge (-1: not written yet).
  std::vector<long long> want(kFoldMax, -1);
  bool have_read = false;
  long reads = 0, words_checked = 0, writes = 0;

  m.clk_i = 0;
  m.wr_en_i = 0;
  m.rd_en_i = 0;
  m.eval();
  const long cycles = 200000;
  for (long i = 0; i < cycles; ++i) {
    // Phases: anywhere, a window of 3*FoldMax words, the last 2*FoldMax words.
    const int phase = static_cast<int>((i / 5000) % 3);
    auto addr = [&]() -> int {
      if (phase == 1) return rnd.range(0, std::min(kDepth, 3 * kFoldMax) - 1);
      if (phase == 2) return rnd.range(std::max(0, kDepth - 2 * kFoldMax), kDepth - 1);
      return rnd.range(0, kDepth - 1);
    };
    const bool wr = rnd.chance(0.6);
    const bool rd = rnd.chance(0.6);
    const int wa = addr();
    const int ra = addr();
    unsigned en = 0;
    std::vector<std::uint8_t> wb(bytes, 0);
    std::vector<std::uint64_t> wdata(kFoldMax);
    for (int k = 0; k < kFoldMax; ++k) {
      wdata[k] = word();
      put_bits(wb, k * kWidth, kWidth, wdata[k]);
      if (wr && wa + k < kDepth && rnd.chance(0.8)) en |= 1u << k;
    }
    m.wr_en_i = static_cast<CData>(en);
    m.wr_addr_i = static_cast<SData>(wa);
    tb::set_bytes(m.wr_data_i, wb);
    m.rd_en_i = rd;
    m.rd_addr_i = static_cast<SData>(ra);

    if (rd) {  // the read sees the memory before this cycle's write
      for (int k = 0; k < kFoldMax; ++k)
        want[k] = ra + k < kDepth && known[ra + k] ? static_cast<long long>(mem[ra + k]) : -1;
      have_read = true;
      ++reads;
    }
    for (int k = 0; k < kFoldMax; ++k) {
      if ((en >> k) & 1) {
        mem[wa + k] = wdata[k];
        known[wa + k] = true;
        ++writes;
      }
    }

    m.clk_i = 1;
    m.eval();
    m.clk_i = 0;
    m.eval();
    if (have_read) {  // checked every cycle: held while rd_en_i is low
      for (int k = 0; k < kFoldMax; ++k) {
        if (want[k] < 0) continue;
        const std::uint64_t got = tb::get_bits(m.rd_data_o, k * kWidth, kWidth);
        TB_CHECK(got == static_cast<std::uint64_t>(want[k]),
                 "cycle %ld read %ld word %d: 0x%" PRIx64 ", expected 0x%llx", i, reads, k, got, want[k]);
        ++words_checked;
      }
    }
  }
  TB_CHECK(words_checked > cycles * kFoldMax / 2, "only %ld words checked", words_checked);
  std::printf("dnn_input_banks Width %d Depth %d FoldMax %d: %ld reads, %ld words written, %ld read words match\n",
              kWidth, kDepth, kFoldMax, reads, writes, words_checked);
  return 0;
}

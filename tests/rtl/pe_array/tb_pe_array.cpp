// dnn_pe_array: random weight blocks loaded into the shadow registers and swapped in at random
// cycles (also while x flows, and together with a load), random x words with random idle and, with
// FoldMax > 1, a random legal fold F per x (F divides Cols); every output lane is compared with a
// C++ model of the shadow/active weights and the group sums (lanes beyond Cols/F must be 0), and the
// latency is fixed (2, or 3 with FoldMax > 1).
#include <cstdint>
#include <deque>
#include <vector>

#include "Vdnn_pe_array.h"
#include "tb.h"

namespace {

constexpr int kLatency = FOLD_MAX > 1 ? 3 : 2;
constexpr int kSumBits = X_BITS + W_BITS + [] {
  int b = 0;
  while ((1 << b) < ROWS * FOLD_MAX) ++b;
  return b;
}();

void put_bits(std::vector<std::uint8_t>& bytes, int pos, int width, std::int64_t v) {
  for (int i = 0; i < width; ++i) {
    const int bit = pos + i;
    if ((v >> i) & 1) bytes[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
  }
}

std::int64_t get_bits(const std::vector<std::uint8_t>& bytes, int pos, int width) {
  std::int64_t v = 0;
  for (int i = 0; i < width; ++i) {
    const int bit = pos + i;
    if ((bytes[bit / 8] >> (bit % 8)) & 1) v |= std::int64_t{1} << i;
  }
  if ((v >> (width - 1)) & 1) v -= std::int64_t{1} << width;  // signed
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_pe_array m(&ctx);
  tb::Random rnd(tb::seed());

  const int wbytes = (ROWS * COLS * W_BITS + 7) / 8;
  const int xbytes = (FOLD_MAX * ROWS * X_BITS + 7) / 8;
  std::vector<int> folds;  // the legal F
  for (int f = 1; f <= FOLD_MAX; ++f)
    if (COLS % f == 0) folds.push_back(f);
  std::vector<long> sums_per_fold(FOLD_MAX + 1, 0);
  int fold = 1;
  const int sbytes = (COLS * kSumBits + 7) / 8;
  using Block = std::vector<std::int64_t>;  // w[r*COLS + c]
  Block shadow(ROWS * COLS, 0), active(ROWS * COLS, 0);
  bool shadow_known = false, active_known = false;

  auto tick = [&] {
    m.clk_i = 0;
    m.eval();
    m.clk_i = 1;
    m.eval();
  };
  m.rst_ni = 0;
  m.load_valid_i = 0;
  m.swap_i = 0;
  m.x_valid_i = 0;
  m.fold_i = 1;
  tick();
  tick();
  m.rst_ni = 1;

  const std::int64_t wmax = (1 << (W_BITS - 1)) - 1, wmin = -(1 << (W_BITS - 1));
  const std::int64_t xmax = (1 << (X_BITS - 1)) - 1, xmin = -(1 << (X_BITS - 1));
  auto rand_val = [&](std::int64_t lo, std::int64_t hi) -> std::int64_t {
    if (rnd.chance(0.15)) return rnd.chance(0.5) ? lo : hi;  // extremes: the widest product
    return rnd.range(static_cast<int>(lo), static_cast<int>(hi));
  };

  std::deque<std::pair<std::uint64_t, std::vector<std::int64_t>>> expected;
  std::uint64_t cycle = 0;
  long sums = 0, swaps = 0, loads = 0;
  const long cycles = 60000;
  for (long i = 0; i < cycles; ++i) {
    // Phases: long passes (rare swaps), short passes (frequent swaps), all extremes.
    const int phase = static_cast<int>((i / 2000) % 3);
    const double p_swap = phase == 0 ? 0.01 : 0.25;
    const bool load = rnd.chance(phase == 0 ? 0.02 : 0.3);
    const bool swap = shadow_known && rnd.chance(p_swap);
    const bool xv = active_known && !rnd.chance(0.2);

    Block blk(ROWS * COLS);
    std::vector<std::uint8_t> wb(wbytes, 0), xb(xbytes, 0);
    for (int k = 0; k < ROWS * COLS; ++k) {
      blk[k] = phase == 2 ? (rnd.chance(0.5) ? wmin : wmax) : rand_val(wmin, wmax);
      put_bits(wb, k * W_BITS, W_BITS, blk[k]);
    }
    // The fold changes rarely in long passes, often otherwise (each x carries its own).
    if (rnd.chance(phase == 0 ? 0.01 : 0.3)) fold = folds[rnd.range(0, static_cast<int>(folds.size()) - 1)];
    std::vector<std::int64_t> x(FOLD_MAX * ROWS);  // x[g*ROWS + r]
    for (int i = 0; i < FOLD_MAX * ROWS; ++i) {
      x[i] = phase == 2 ? (rnd.chance(0.5) ? xmin : xmax) : rand_val(xmin, xmax);
      put_bits(xb, i * X_BITS, X_BITS, x[i]);
    }
    m.load_valid_i = load;
    tb::set_bytes(m.load_data_i, wb);
    m.swap_i = swap;
    m.x_valid_i = xv;
    tb::set_bytes(m.x_i, xb);
    m.fold_i = static_cast<CData>(fold);

    if (xv) {  // this cycle's x uses the weights active before any swap of this cycle
      const int cv = COLS / fold;
      std::vector<std::int64_t> s(COLS, 0);
      for (int c = 0; c < COLS; ++c) {
        const int g = c / cv;
        std::int64_t tree = 0;
        for (int r = 0; r < ROWS; ++r) tree += x[g * ROWS + r] * active[r * COLS + c];
        s[c % cv] += tree;
      }
      expected.push_back({cycle + kLatency, s});
      ++sums_per_fold[fold];
    }
    if (swap) {
      active = shadow;
      active_known = true;
      ++swaps;
    }
    if (load) {
      shadow = blk;
      shadow_known = true;
      ++loads;
    }

    tick();
    ++cycle;
    if (m.sum_valid_o) {
      TB_CHECK(!expected.empty() && expected.front().first == cycle, "unexpected sum at cycle %llu",
               (unsigned long long)cycle);
      const auto out = tb::get_bytes(m.sum_o, sbytes);
      for (int c = 0; c < COLS; ++c) {
        const std::int64_t got = get_bits(out, c * kSumBits, kSumBits);
        TB_CHECK(got == expected.front().second[c], "sum %ld column %d: got %lld, want %lld", sums, c,
                 (long long)got, (long long)expected.front().second[c]);
      }
      expected.pop_front();
      ++sums;
    } else {
      TB_CHECK(expected.empty() || expected.front().first > cycle, "missing sum due at cycle %llu",
               (unsigned long long)expected.front().first);
    }
  }
  for (int f : folds) TB_CHECK(sums_per_fold[f] > 1000, "fold %d: only %ld sums", f, sums_per_fold[f]);
  std::printf("dnn_pe_array %dx%d FoldMax %d (x %d bits, w %d bits, sum %d bits): %ld sum words match, %ld loads, "
              "%ld swaps\n",
              ROWS, COLS, FOLD_MAX, X_BITS, W_BITS, kSumBits, sums, loads, swaps);
  return 0;
}

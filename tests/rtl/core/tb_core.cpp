// dnn_core: random small Conv layers (Cin 1..20, Cout 1..40, kernels 1..5 incl. non-square,
// strides 1..3, padding, inputs up to 12x12, Dense-like 1x1 layers), cut into tiles of random size
// (tiles starting mid-row, partial last tiles, bands starting below row 0 of the input, both buffer
// halves). The bench answers the core's input-buffer reads from a C++ model of the RAM (one cycle
// latency) holding the band exactly as dnn_input_loader stores it (value minus zero point, Chunks
// words per pixel, zero channels beyond Cin; every other word is garbage), supplies params and
// weight blocks as dnn_weight_loader does (random idle on both), captures the output-buffer writes
// and compares every element of every tile with the golden model (generators/golden.h accumulate +
// requantize). It also checks:
//   - every read lies inside the tile's band in the tile's input half, every write inside the tile's
//     output half, each output word is written exactly once, done_o follows the last write;
//   - sum of macs_o over a tile = P * kh * kw * Cin * Cout (and the layer's Layer::macs() overall);
//   - issue count = Blocks * kh * kw * Chunks * P;
//   - with params and weights always ready: no stall_weight_o cycle, and the issues of a tile span
//     exactly Blocks * kh * kw * Chunks * max(P, MinPass) - (max(P, MinPass) - P) cycles, i.e. no
//     bubble between passes. Utilisation figures are printed.
// Each layer rounds its output stage in a random mode (half_up or half_even, QUANT.ROUND_EVEN).
// Besides dense convolutions, the random layers are (docs/engine.md "Modes"): grouped and depthwise
// convolutions that the generator can place (generators/engine_plan.h engine_geometry gives their chunk
// range; block-diagonal weight blocks; MACs = the layer's), max pools (with padding) and average pools
// (constant count: no padding; global ones too) against the golden max_pool / avg_pool (no params or
// weight blocks: the next layer's blob is queued during a layer's last tile, so a pool runs with the
// shadows full and must leave them to the next convolution; output words hold Rows channels; 0 MACs),
// and any of them with a folded Clip (random limits) against the golden clamp.
// With FoldMax > 1 (docs/engine.md "Cin-fold") dense convolutions take a random fold F (1 .. FoldMax,
// dividing Cols): each pixel holds ceil(Cin/Rows) words padded with zero words to a multiple of F, the
// core reads F words at once (the read returns FoldMax words; those past F are garbage), blocks are
// Cv = Cols/F output channels, the blob is folded as engine_blob lays it out, and every check above
// holds with Chunks/F passes per tap. Pools take a random fold with F*Rows <= Cols too: block cb pools
// the F*Rows channels of chunk group cb, and its output word holds them.
// With DwLinePixels > 0 (docs/engine.md "Depthwise", MODE.OP 3) depthwise convolutions run on the feed
// too: C channels (not a multiple of Rows), kernels 1x1 .. 3x3, strides 1 and 2, padding, a random fold
// with F*Rows <= Cols, whole-row tiles; blocks of F*Rows channels (CHUNKS/F), S = ceil(KH*KW/Rows)
// sweeps per block whose weight block s holds tap s*Rows + r on row r; MACs = taps x channels per pixel,
// and with weights ready the issues span exactly the posted formula (passes of max(Rin*Wp, MinPass)
// slots, the first issue at the first complete window).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "Vdnn_core.h"
#include "engine_plan.h"
#include "error.h"
#include "golden.h"
#include "numerics.h"
#include "pool_divider.h"
#include "tb.h"

namespace {

constexpr int kRows = ROWS;
constexpr int kCols = COLS;
constexpr int kActBits = ACT_BITS;
constexpr int kWeightBits = WEIGHT_BITS;
constexpr int kAccBits = ACC_BITS;
constexpr int kInDepth = IN_DEPTH;
constexpr int kOutDepth = OUT_DEPTH;
constexpr int kAccDepth = ACC_DEPTH;
constexpr int kFoldMax = FOLD_MAX;
constexpr int kDwLinePixels = DW_LINE_PIXELS;
constexpr int kXBits = kActBits + 1;
constexpr int kMinPass = 4;

using Bytes = std::vector<std::uint8_t>;

void put_bits(Bytes& bytes, int pos, int width, std::int64_t v) {
  for (int i = 0; i < width; ++i) {
    const int bit = pos + i;
    if ((v >> i) & 1) bytes[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
  }
}

std::int64_t get_bits(const Bytes& bytes, int pos, int width, bool is_signed) {
  std::int64_t v = 0;
  for (int i = 0; i < width; ++i) {
    const int bit = pos + i;
    if ((bytes[bit / 8] >> (bit % 8)) & 1) v |= std::int64_t{1} << i;
  }
  if (is_signed && ((v >> (width - 1)) & 1)) v -= std::int64_t{1} << width;
  return v;
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

constexpr int kOpConv = 0, kOpMax = 1, kOpAvg = 2, kOpDw = 3;  // MODE.OP

// One random layer with its quantisation, golden output and the engine's view of it.
struct TestLayer {
  dnnvp::Layer layer;
  dnnvp::LayerParams params;
  dnnvp::Tensor input, expected;
  dnnvp::QuantType in_type;
  std::int32_t in_zp = 0;
  int chunks = 0, blocks = 0;  // chunks: words per pixel (a multiple of fold)
  int fold = 1;                // Cin-fold F
  int oh = 0, ow = 0;
  int op = kOpConv;
  int group_chunks = 0, chunk_step = 0, group_cols = 0;  // grouped convolution (0: dense)
  dnnvp::PoolDivider divider{0, 0};                      // average pool
  bool clip = false;
  std::int32_t clip_lo = 0, clip_hi = 0;
  bool pool() const { return op == kOpMax || op == kOpAvg; }
  bool dw() const { return op == kOpDw; }
  int taps() const { return layer.kernel_h * layer.kernel_w; }
  int sweeps() const { return (taps() + kRows - 1) / kRows; }  // depthwise passes per block
  int passes_per_block() const {
    if (dw()) return sweeps();
    return taps() * (pool() ? 1 : group_chunks != 0 ? group_chunks : chunks / fold);
  }
  int cv() const { return kCols / fold; }                                   // output lanes of a block
  int word_values() const { return pool() || dw() ? fold * kRows : cv(); }  // channels per output word
};

int bits_for(std::int64_t v) {  // bits of |v|
  int b = 0;
  while (b < 62 && (std::int64_t{1} << b) <= v) ++b;
  return b;
}

enum class Kind { Random, Steady, Big };

// The layer's input type (any width up to ActBits, signed or unsigned, a zero point in range) and data;
// true when the data (and then the weights too) are all at the ends of their ranges.
bool random_input(tb::Random& rnd, TestLayer& t) {
  t.in_type = dnnvp::QuantType{rnd.chance(0.5) ? kActBits : rnd.range(2, kActBits), rnd.chance(0.5)};
  t.in_zp = rnd.chance(0.5) ? 0 : rnd.range(t.in_type.min(), t.in_type.max());
  const bool extremes = rnd.chance(0.1);
  t.input = dnnvp::Tensor(t.layer.input_shapes[0]);
  for (auto& v : t.input.data)
    v = extremes ? (rnd.chance(0.5) ? t.in_type.min() : t.in_type.max())
                 : rnd.range(t.in_type.min(), t.in_type.max());
  return extremes;
}

// A folded Clip (random limits inside the output type, lo <= hi as the generator's) on the golden output.
void add_clip(tb::Random& rnd, TestLayer& t) {
  const dnnvp::QuantType type = t.params.out.type;
  t.clip = true;
  t.clip_lo = rnd.range(type.min(), type.max());
  t.clip_hi = rnd.range(t.clip_lo, type.max());
  for (auto& v : t.expected.data) v = std::clamp(v, t.clip_lo, t.clip_hi);
}

// The legal folds of a convolution (conv) or a pool (F*Rows <= Cols: a lane per input value).
std::vector<int> legal_folds(bool conv) {
  std::vector<int> folds;
  for (int f = 1; f <= kFoldMax; ++f)
    if (kCols % f == 0 && (conv || f * kRows <= kCols)) folds.push_back(f);
  return folds;
}
int random_fold(tb::Random& rnd, bool conv) {
  const std::vector<int> folds = legal_folds(conv);
  return folds[rnd.range(0, static_cast<int>(folds.size()) - 1)];
}

// A max or average pool of C channels on a random input (average: no padding, so every window counts
// kh * kw values; sometimes global). Its output keeps the input's type and zero point.
TestLayer make_pool(tb::Random& rnd, int op) {
  TestLayer t;
  dnnvp::Layer& l = t.layer;
  t.op = op;
  if (kFoldMax > 1) t.fold = random_fold(rnd, false);
  l.type = op == kOpMax ? dnnvp::LayerType::MaxPool : dnnvp::LayerType::AvgPool;
  int in_h, in_w, c;
  do {  // the whole input fits an input half, so one output row's band does (as vp_gen requires)
    in_h = rnd.range(1, 12);
    in_w = rnd.range(1, 12);
    c = rnd.range(1, 20);
  } while (in_h * in_w * ceil_div(ceil_div(c, kRows), t.fold) * t.fold > kInDepth / 2);
  if (op == kOpAvg && rnd.chance(0.2)) {
    l.kernel_h = in_h;
    l.kernel_w = in_w;
  } else {
    l.kernel_h = rnd.range(1, std::min(5, in_h + (op == kOpMax ? 2 : 0)));
    l.kernel_w = rnd.range(1, std::min(5, in_w + (op == kOpMax ? 2 : 0)));
  }
  l.stride_h = rnd.range(1, 3);
  l.stride_w = rnd.chance(0.7) ? l.stride_h : rnd.range(1, 3);
  l.padding = {};
  if (op == kOpMax) {
    // Each side below the kernel, so every window keeps an in-bounds position (numerics.md "Pooling
    // windows"), and at least one output.
    auto pad = [&](int k) { return rnd.chance(0.4) ? 0 : rnd.range(0, k - 1); };
    do {
      l.padding = {pad(l.kernel_h), pad(l.kernel_w), pad(l.kernel_h), pad(l.kernel_w)};
    } while (in_h + l.padding.top + l.padding.bottom < l.kernel_h ||
             in_w + l.padding.left + l.padding.right < l.kernel_w);
  }
  t.oh = (in_h + l.padding.top + l.padding.bottom - l.kernel_h) / l.stride_h + 1;
  t.ow = (in_w + l.padding.left + l.padding.right - l.kernel_w) / l.stride_w + 1;
  l.filters = c;
  l.input_shapes = {dnnvp::Shape{in_h, in_w, c}};
  l.output_shape = dnnvp::Shape{t.oh, t.ow, c};
  t.chunks = ceil_div(ceil_div(c, kRows), t.fold) * t.fold;
  t.blocks = t.chunks / t.fold;
  random_input(rnd, t);
  t.params.out.type = t.in_type;
  t.params.out.zero_point = t.in_zp;
  t.params.rounding = rnd.chance(0.5) ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp;
  if (op == kOpMax) {
    t.expected = dnnvp::max_pool(l, t.input);
  } else {
    const auto count = static_cast<std::uint32_t>(l.kernel_h * l.kernel_w);
    t.divider = dnnvp::pool_divider(count, dnnvp::pool_sum_bits(t.in_type.bits, count));
    t.expected = dnnvp::avg_pool(l, t.input, t.in_zp, t.params.rounding);
  }
  return t;
}

// Weights (symmetric, as generated; sometimes the most negative value too) and bias within vp_gen's
// accumulator bound, the output type and requantisation aimed at the output range; fills t.expected.
void quantise_conv(tb::Random& rnd, TestLayer& t, bool extremes);

// A depthwise convolution on the feed (MODE.OP 3): C channels, groups = C, KH, KW <= 3, stride 1 or 2,
// a window row Wp within the line buffers (and of two pixels at least when KH > 1). Steady: 3x3, pad 1,
// on 12x12 with C = 2*F*Rows at the widest fold, every column carrying a channel.
TestLayer make_dw(tb::Random& rnd, bool steady = false) {
  TestLayer t;
  dnnvp::Layer& l = t.layer;
  l.type = dnnvp::LayerType::Conv;
  t.op = kOpDw;
  t.fold = steady ? legal_folds(false).back() : random_fold(rnd, false);
  int in_h, in_w, c;
  for (;;) {
    if (steady) {
      in_h = in_w = 12;
      c = 2 * t.fold * kRows;
      l.kernel_h = l.kernel_w = 3;
      l.stride_h = l.stride_w = 1;
      l.padding = {1, 1, 1, 1};
      t.oh = t.ow = 12;
      break;
    }
    in_h = rnd.range(1, 12);
    in_w = rnd.range(1, 12);
    c = rnd.range(1, 20);
    l.kernel_h = rnd.chance(0.5) ? 3 : rnd.chance(0.5) ? 1 : rnd.range(1, 3);
    l.kernel_w = rnd.chance(0.7) ? l.kernel_h : rnd.range(1, 3);
    l.stride_h = rnd.range(1, 2);
    l.stride_w = rnd.chance(0.8) ? l.stride_h : rnd.range(1, 2);
    auto pad = [&](int k) { return rnd.chance(0.3) ? 0 : rnd.range(0, k - 1); };
    l.padding = {pad(l.kernel_h), pad(l.kernel_w), pad(l.kernel_h), pad(l.kernel_w)};
    if (in_h + l.padding.top + l.padding.bottom < l.kernel_h ||
        in_w + l.padding.left + l.padding.right < l.kernel_w)
      continue;
    t.oh = (in_h + l.padding.top + l.padding.bottom - l.kernel_h) / l.stride_h + 1;
    t.ow = (in_w + l.padding.left + l.padding.right - l.kernel_w) / l.stride_w + 1;
    const int wp = (t.ow - 1) * l.stride_w + l.kernel_w;
    if (wp > kDwLinePixels || (l.kernel_h > 1 && wp < 2)) continue;
    const int chunks = ceil_div(ceil_div(c, kRows), t.fold) * t.fold;
    if (std::min(in_h, l.kernel_h) * in_w * chunks > kInDepth / 2) continue;
    break;
  }
  l.groups = c;
  l.filters = c;
  l.input_shapes = {dnnvp::Shape{in_h, in_w, c}};
  l.output_shape = dnnvp::Shape{t.oh, t.ow, c};
  l.activation = static_cast<dnnvp::Activation>(rnd.range(0, 2));
  l.leaky_shift = rnd.range(0, 15);
  t.chunks = ceil_div(ceil_div(c, kRows), t.fold) * t.fold;
  t.blocks = t.chunks / t.fold;
  quantise_conv(rnd, t, random_input(rnd, t));
  if (!steady && rnd.chance(0.3)) add_clip(rnd, t);
  return t;
}

// A grouped convolution the engine can place: Cin, Cout and groups tried at random until
// engine_geometry accepts them (nullopt after many tries: the array has no such shape).
std::optional<std::pair<int, int>> grouped_channels(tb::Random& rnd, dnnvp::Layer& l,
                                                    dnnvp::EngineGeometry& g) {
  dnnvp::EngineConfig config;
  config.rows = kRows;
  config.cols = kCols;
  for (int attempt = 0; attempt < 500; ++attempt) {
    const bool depthwise = rnd.chance(0.5);
    l.groups = depthwise ? kCols * rnd.range(1, 3) / rnd.range(1, 2) : rnd.range(2, 6);
    const int cin_g = depthwise ? 1 : rnd.range(1, 2 * kRows);
    const int cout_g = depthwise ? rnd.range(1, 2) : rnd.range(1, kCols);
    const int cin = l.groups * cin_g, cout = l.groups * cout_g;
    if (cin > 48 || cout > 64) continue;
    l.input_shapes[0].c = cin;
    l.output_shape.c = cout;
    l.filters = cout;
    try {
      g = dnnvp::engine_geometry(l, config);
    } catch (const dnnvp::Error&) {
      continue;
    }
    return std::pair<int, int>{cin, cout};
  }
  return std::nullopt;
}

// Steady: a 3x3 convolution, pad 1, on a 12x12 input with Cin = 2*Rows and Cout = 2*Cols, so every
// PE carries a real channel: the utilisation figure of a layer the array fits (at fold F:
// Cin = 2*F*Rows, Cout = 2*Cols/F).
// Big: an output of more than 2^16 pixels (a tall, narrow 3x3 convolution), so tile_p0 and the
// band's first row use their high bits; only some of its tiles run.
TestLayer make_layer(tb::Random& rnd, Kind kind = Kind::Random, int steady_fold = 1) {
  if (kDwLinePixels > 0 && kind == Kind::Random && rnd.chance(0.3)) return make_dw(rnd);
  if (kind == Kind::Random && rnd.chance(0.3)) {
    TestLayer t = make_pool(rnd, rnd.chance(0.5) ? kOpMax : kOpAvg);
    if (rnd.chance(0.3)) add_clip(rnd, t);
    return t;
  }
  TestLayer t;
  dnnvp::Layer& l = t.layer;
  l.type = dnnvp::LayerType::Conv;
  const bool steady = kind == Kind::Steady;
  const bool dense = kind == Kind::Random && rnd.chance(0.08);
  const bool grouped = kind == Kind::Random && !dense && rnd.chance(0.25);
  if (steady) t.fold = steady_fold;
  if (kFoldMax > 1 && kind == Kind::Random && !grouped) t.fold = random_fold(rnd, true);
  int in_h, in_w, cin;
  for (;;) {
    if (kind == Kind::Big) {
      cin = rnd.range(1, kRows);
      in_w = std::min(100, kInDepth / 2 / 4);  // tiles of up to two output rows: four input rows
      in_h = 70000 / in_w + 1;
      l.kernel_h = l.kernel_w = 3;
      l.stride_h = l.stride_w = 1;
      l.padding = {1, 1, 1, 1};
    } else if (steady) {
      in_h = in_w = 12;
      cin = 2 * kRows * t.fold;
      l.kernel_h = l.kernel_w = 3;
      l.stride_h = l.stride_w = 1;
      l.padding = {1, 1, 1, 1};
    } else if (dense) {
      in_h = in_w = 1;
      cin = rnd.range(1, 40);
      l.kernel_h = l.kernel_w = 1;
      l.stride_h = l.stride_w = 1;
      l.padding = {};
    } else {
      in_h = rnd.range(1, 12);
      in_w = rnd.range(1, 12);
      cin = rnd.range(1, 20);
      l.kernel_h = rnd.range(1, 5);
      l.kernel_w = rnd.chance(0.6) ? l.kernel_h : rnd.range(1, 5);
      l.stride_h = rnd.range(1, 3);
      l.stride_w = rnd.chance(0.7) ? l.stride_h : rnd.range(1, 3);
      auto pad = [&](int k) { return rnd.chance(0.3) ? 0 : rnd.range(0, k - 1); };
      l.padding = {pad(l.kernel_h), pad(l.kernel_w), pad(l.kernel_h), pad(l.kernel_w)};
    }
    t.oh = (in_h + l.padding.top + l.padding.bottom - l.kernel_h) / l.stride_h + 1;
    t.ow = (in_w + l.padding.left + l.padding.right - l.kernel_w) / l.stride_w + 1;
    if (in_h + l.padding.top + l.padding.bottom < l.kernel_h || in_w + l.padding.left + l.padding.right < l.kernel_w)
      continue;
    // A single output row must fit an input half (as vp_gen requires).
    const int chunks = ceil_div(ceil_div(cin, kRows), t.fold) * t.fold;
    if (std::min(in_h, l.kernel_h) * in_w * chunks > kInDepth / 2) continue;
    break;
  }
  l.filters = steady ? 2 * t.cv() : kind == Kind::Big ? rnd.range(1, kCols + 2) : rnd.range(1, 40);
  l.input_shapes = {dnnvp::Shape{in_h, in_w, cin}};
  l.output_shape = dnnvp::Shape{t.oh, t.ow, l.filters};
  if (grouped) {
    dnnvp::EngineGeometry g;
    const auto channels = grouped_channels(rnd, l, g);
    if (channels && std::min(in_h, l.kernel_h) * in_w * g.chunks <= kInDepth / 2) {
      cin = channels->first;
      t.group_chunks = g.group_chunks;
      t.chunk_step = g.chunk_step;
      t.group_cols = g.group_cols;
    } else {
      l.groups = 1;
      l.filters = l.output_shape.c = rnd.range(1, 40);
      l.input_shapes[0].c = cin;
    }
  }
  l.activation = static_cast<dnnvp::Activation>(rnd.range(0, 2));
  l.leaky_shift = rnd.range(0, 15);
  t.chunks = ceil_div(ceil_div(cin, kRows), t.fold) * t.fold;
  t.blocks = ceil_div(l.filters, t.cv());
  quantise_conv(rnd, t, random_input(rnd, t));
  if (kind == Kind::Random && rnd.chance(0.3)) add_clip(rnd, t);
  return t;
}

void quantise_conv(tb::Random& rnd, TestLayer& t, bool extremes) {
  dnnvp::Layer& l = t.layer;
  const int cin = l.input_shapes[0].c, cout = l.filters;
  dnnvp::LayerParams& p = t.params;
  const int wmax = (1 << (kWeightBits - 1)) - 1;
  const int wmin = rnd.chance(0.2) ? -(1 << (kWeightBits - 1)) : -wmax;
  p.weight_type = dnnvp::QuantType{kWeightBits, true};
  p.weights.resize(static_cast<size_t>(cout) * l.kernel_h * l.kernel_w * (cin / l.groups));
  for (auto& w : p.weights) w = extremes ? (rnd.chance(0.5) ? wmin : wmax) : rnd.range(wmin, wmax);
  // Accumulator bound of vp_gen: K * max|x - zx| * max|w| + max|bias| must fit AccBits.
  const std::int64_t xmax = std::max<std::int64_t>(t.in_type.max() - t.in_zp, t.in_zp - t.in_type.min());
  const std::int64_t k = std::int64_t{l.kernel_h} * l.kernel_w * (cin / l.groups);
  const std::int64_t acc_limit = (std::int64_t{1} << (kAccBits - 1)) - 1;
  const std::int64_t sum_bound = k * xmax * (-wmin);
  if (sum_bound > acc_limit) throw std::runtime_error("layer exceeds the accumulator: bench parameters");
  const std::int64_t bias_bound = std::min<std::int64_t>(acc_limit - sum_bound, std::max<std::int64_t>(1, sum_bound / 4 + 16));
  p.bias.resize(cout);
  for (auto& b : p.bias)
    b = static_cast<std::int32_t>(rnd.chance(0.05) ? (rnd.chance(0.5) ? bias_bound : -bias_bound)
                                                   : rnd.range(static_cast<int>(-bias_bound), static_cast<int>(bias_bound)));

  const dnnvp::Tensor acc = dnnvp::accumulate(l, t.input, t.in_zp, p);

  // Output type and requantisation aimed at the output range (with some saturation).
  p.out.type = dnnvp::QuantType{rnd.chance(0.4) ? kActBits : rnd.chance(0.5) ? std::min(4, kActBits)
                                                                               : rnd.range(2, kActBits),
                                l.activation == dnnvp::Activation::Relu ? !rnd.chance(0.8) : rnd.chance(0.7)};
  p.out.zero_point = rnd.chance(0.5) ? 0 : rnd.range(-3, 3);
  p.rounding = rnd.chance(0.5) ? dnnvp::Rounding::HalfEven : dnnvp::Rounding::HalfUp;
  p.requant.resize(cout);
  for (int o = 0; o < cout; ++o) {
    std::int64_t maxabs = 1;
    for (size_t i = o; i < acc.data.size(); i += cout) maxabs = std::max<std::int64_t>(maxabs, std::abs(acc.data[i]));
    dnnvp::Requant rq;
    rq.multiplier = rnd.chance(0.1) ? static_cast<std::int32_t>(dnnvp::kMaxMultiplier)
                                    : rnd.range(1 << 30, static_cast<int>(dnnvp::kMaxMultiplier));
    const int extra = l.activation == dnnvp::Activation::LeakyRelu ? l.leaky_shift : 0;
    rq.shift = std::clamp(31 + bits_for(maxabs) - p.out.type.bits + rnd.range(-1, 1), 0, dnnvp::kMaxShift - extra);
    if (rnd.chance(0.05)) rq = dnnvp::Requant{1, 0};  // power of two / identity case
    dnnvp::check_requant(rq, l.activation, l.leaky_shift);
    p.requant[o] = rq;
  }
  t.expected = dnnvp::requantize(l, acc, p);
}

// A valid/ready source holding a wide payload stable until it is taken.
struct Source {
  std::deque<Bytes> queue;
  bool valid = false;
  Bytes current;
  double idle = 0.0;
  // After the rising edge: the beat taken on it leaves; maybe present the next.
  bool step(bool taken, tb::Random& rnd) {
    if (taken) valid = false;
    if (!valid && !queue.empty() && !rnd.chance(idle)) {
      current = std::move(queue.front());
      queue.pop_front();
      valid = true;
      return true;  // payload changed
    }
    return false;
  }
};

struct Totals {
  long layers = 0, tiles = 0, ready_tiles = 0, elements = 0;
  std::int64_t macs = 0, cycles = 0, issues = 0, issue_span = 0, ready_cycles = 0, ready_macs = 0;
  std::int64_t stall_weight = 0;
  long tiles_p_lt_minpass = 0, tiles_mid_row = 0, tiles_band_y0 = 0;
  std::int64_t setup_min = 1 << 30, setup_max = 0, setup_sum = 0, drain_max = 0;  // ready tiles
  long dense = 0, grouped = 0, max_pools = 0, avg_pools = 0, clipped = 0;         // layers
  std::vector<long> folds = std::vector<long>(kFoldMax + 1, 0);       // convolutions per F
  std::vector<long> pool_folds = std::vector<long>(kFoldMax + 1, 0);  // pools per F
  long dw = 0;                                                        // depthwise layers
  int dw_kernels = 0, dw_strides = 0;  // bits: 3x3 (1), 1x1 (2); stride_h 1 (1), 2 (2)
  std::vector<long> dw_folds = std::vector<long>(kFoldMax + 1, 0);
};

class Bench {
 public:
  explicit Bench(std::uint32_t seed) : rnd_(seed), in_ram_(kInDepth), out_ram_(kOutDepth) {
    m_.rst_ni = 0;
    m_.clk_i = 0;
    m_.cmd_valid_i = 0;
    m_.params_valid_i = 0;
    m_.wblk_valid_i = 0;
    m_.eval();
    for (int i = 0; i < 3; ++i) tick_raw();
    m_.rst_ni = 1;
    m_.eval();
    for (auto& w : in_ram_) w = random_word(in_word_bytes_);
  }

  // The layer's blob (the same for every tile; none for a pool): per block its params, then its passes'
  // weight blocks. The next tile's blob is queued as soon as a tile starts, so the core may take its
  // first params and weight block while finishing the current tile. Grouped: block cb's passes walk
  // its chunk range, and PE (r, c) holds the weight only where input channel and filter share a group.
  // Folded (contract: docs/engine.md "Cin-fold"): block cb holds channels cb*Cv .., and PE (r, c) of
  // chunk group j multiplies output channel cb*Cv + c % Cv by input channel (j*F + c / Cv)*Rows + r.
  void push_blob(const TestLayer& t) {
    if (t.pool()) return;
    const dnnvp::Layer& l = t.layer;
    const int cin = l.input_shapes[0].c, cout = l.filters;
    const int cin_g = cin / l.groups, cout_g = cout / l.groups;
    const int cv = t.dw() ? t.word_values() : t.cv(), f = t.fold;
    for (int cb = 0; cb < t.blocks; ++cb) {
      Bytes bias(kCols * 4, 0), mult(kCols * 4, 0), shift((kCols * 6 + 7) / 8, 0);
      for (int c = 0; c < cv; ++c) {
        const int o = cb * cv + c;
        if (o >= cout) continue;
        put_bits(bias, c * 32, 32, t.params.bias[o]);
        put_bits(mult, c * 32, 32, t.params.requant[o].multiplier);
        put_bits(shift, c * 6, 6, t.params.requant[o].shift);
      }
      Bytes pb = bias;
      pb.insert(pb.end(), mult.begin(), mult.end());
      pb.insert(pb.end(), shift.begin(), shift.end());
      params_.queue.push_back(pb);
      if (t.dw()) {  // sweep s: PE (r, c) holds tap s*Rows + r of channel cb*Cv + c
        for (int s = 0; s < t.sweeps(); ++s) {
          Bytes wb((kRows * kCols * kWeightBits + 7) / 8, 0);
          for (int r = 0; r < kRows; ++r)
            for (int c = 0; c < cv; ++c) {
              const int o = cb * cv + c, tap = s * kRows + r;
              if (o >= cout || tap >= t.taps()) continue;
              put_bits(wb, (r * kCols + c) * kWeightBits, kWeightBits,
                       t.params.weights[static_cast<size_t>(o) * t.taps() + tap]);
            }
          wblk_.queue.push_back(wb);
        }
        continue;
      }
      const int first = t.group_chunks != 0 ? cb * t.chunk_step : 0;
      const int count = t.group_chunks != 0 ? t.group_chunks : t.chunks / f;
      for (int ky = 0; ky < l.kernel_h; ++ky)
        for (int kx = 0; kx < l.kernel_w; ++kx)
          for (int k = first; k < first + count; ++k) {
            Bytes wb((kRows * kCols * kWeightBits + 7) / 8, 0);
            for (int r = 0; r < kRows; ++r)
              for (int c = 0; c < kCols; ++c) {
                const int o = cb * cv + c % cv, ci = (k * f + c / cv) * kRows + r;
                if (o >= cout || ci >= cin || ci / cin_g != o / cout_g) continue;
                const size_t wi = ((static_cast<size_t>(o) * l.kernel_h + ky) * l.kernel_w + kx) * cin_g +
                                  ci - (o / cout_g) * cin_g;
                put_bits(wb, (r * kCols + c) * kWeightBits, kWeightBits, t.params.weights[wi]);
              }
            wblk_.queue.push_back(wb);
          }
    }
  }

  // Runs every tile of t (some of a big one); `next` is the layer after it, whose blob is queued during
  // t's last tile.
  void run_layer(const TestLayer& t, const TestLayer* next, Totals& tot, Kind kind = Kind::Random) {
    const bool steady = kind == Kind::Steady;
    const dnnvp::Layer& l = t.layer;
    const int cin = l.input_shapes[0].c, cout = l.filters;
    const int in_h = l.input_shapes[0].h, in_w = l.input_shapes[0].w;
    const int pixels = t.oh * t.ow;
    // Largest tile the buffers allow (vp_gen's rule), then a random size at most that.
    auto band_rows = [&](int p0, int p) {
      const int oy_first = p0 / t.ow, oy_last = (p0 + p - 1) / t.ow;
      const int y_lo = std::max(0, oy_first * l.stride_h - l.padding.top);
      const int y_hi = std::min(in_h - 1, oy_last * l.stride_h - l.padding.top + l.kernel_h - 1);
      return std::make_pair(y_lo, std::max(0, y_hi - y_lo + 1));
    };
    auto fits = [&](int p) {
      if (p > kAccDepth || p * t.blocks > kOutDepth / 2) return false;
      for (int p0 = 0; p0 < pixels; p0 += p)
        if (band_rows(p0, std::min(p, pixels - p0)).second * in_w * t.chunks > kInDepth / 2) return false;
      return true;
    };
    // A depthwise tile is whole output rows.
    const int p_step = t.dw() ? t.ow : 1;
    int pmax = std::min(pixels, kAccDepth) / p_step * p_step;
    while (pmax > p_step && !fits(pmax)) pmax -= p_step;
    if (pmax == 0 || !fits(pmax))
      throw std::runtime_error("bench: even one pixel (row) per tile does not fit");
    // Mostly large tiles; some of 1..3 pixels (shorter than MinPass).
    int p_tile = kind != Kind::Random || rnd_.chance(0.3) ? pmax
                 : rnd_.chance(0.1)         ? rnd_.range(1, std::min(pmax, kMinPass - 1))
                                            : rnd_.range(std::min(pmax, kMinPass), pmax);
    p_tile = std::max(p_step, p_tile / p_step * p_step);
    while (!fits(p_tile)) p_tile -= p_step;  // a smaller tile may straddle one more input row
    const double idle = kind != Kind::Random || rnd_.chance(0.4) ? 0.0 : rnd_.chance(0.5) ? 0.3 : 0.85;
    params_.idle = idle;
    wblk_.idle = idle;

    // The layer's blob, unless the previous layer's last tile queued it already.
    if (!next_blob_queued_) push_blob(t);
    next_blob_queued_ = false;

    std::int64_t layer_macs = 0, layer_cycles = 0;
    // The tiles to run: all of them, or for a big layer the first two, the one holding pixel 2^16,
    // some beyond it and the (partial) last one.
    std::vector<int> starts;
    for (int p0 = 0; p0 < pixels; p0 += p_tile)
      if (kind != Kind::Big || p0 < 2 * p_tile || p0 + p_tile >= pixels || (p0 <= 65536 && 65536 < p0 + p_tile) ||
          (p0 > 65536 && rnd_.chance(0.1)))
        starts.push_back(p0);
    for (size_t ti = 0; ti < starts.size(); ++ti) {
      const int p0 = starts[ti];
      const int p = std::min(p_tile, pixels - p0);
      const int half = (half_toggle_++) & 1;
      const auto [band_y0, rows] = band_rows(p0, p);

      // Input half: the band as the loader stores it; everything else garbage.
      for (auto& w : in_ram_) w = random_word(in_word_bytes_);
      const int in_base = half * (kInDepth / 2);
      const int band_words = rows * in_w * t.chunks;
      for (int y = 0; y < rows; ++y)
        for (int x = 0; x < in_w; ++x)
          for (int k = 0; k < t.chunks; ++k) {
            Bytes word(in_word_bytes_, 0);
            for (int r = 0; r < kRows; ++r) {
              const int c = k * kRows + r;
              const std::int64_t v = c < cin ? t.input.at(band_y0 + y, x, c) - t.in_zp : 0;
              put_bits(word, r * kXBits, kXBits, v);
            }
            in_ram_[in_base + (y * in_w + x) * t.chunks + k] = word;
          }

      // Descriptor.
      while (!m_.cmd_ready_o || rnd_.chance(0.3)) tick();
      m_.cmd_valid_i = 1;
      m_.cmd_in_w_i = in_w;
      m_.cmd_in_h_i = in_h;
      m_.cmd_in_c_i = cin;
      m_.cmd_band_y0_i = band_y0;
      m_.cmd_kh_i = l.kernel_h;
      m_.cmd_kw_i = l.kernel_w;
      m_.cmd_sh_i = l.stride_h;
      m_.cmd_sw_i = l.stride_w;
      m_.cmd_pad_top_i = l.padding.top;
      m_.cmd_pad_left_i = l.padding.left;
      m_.cmd_out_w_i = t.ow;
      m_.cmd_out_c_i = cout;
      m_.cmd_tile_p0_i = p0;
      m_.cmd_tile_p_i = p;
      m_.cmd_activation_i = static_cast<int>(l.activation);
      m_.cmd_leaky_shift_i = l.leaky_shift;
      m_.cmd_out_zp_i = static_cast<std::uint16_t>(t.params.out.zero_point);
      m_.cmd_out_signed_i = t.params.out.type.is_signed;
      m_.cmd_out_bits_i = t.params.out.type.bits;
      m_.cmd_round_even_i = t.params.rounding == dnnvp::Rounding::HalfEven;
      m_.cmd_op_i = t.op;
      m_.cmd_group_chunks_i = t.group_chunks;
      m_.cmd_chunk_step_i = t.chunk_step;
      m_.cmd_group_cols_i = t.group_cols;
      m_.cmd_clip_i = t.clip;
      m_.cmd_clip_lo_i = static_cast<std::uint16_t>(t.clip_lo);
      m_.cmd_clip_hi_i = static_cast<std::uint16_t>(t.clip_hi);
      // An average pool's divider; a max pool ignores these (random).
      m_.cmd_pool_count_i = t.op == kOpAvg ? l.kernel_h * l.kernel_w : rnd_.range(0, 65535);
      m_.cmd_pool_magic_i =
          t.op == kOpAvg ? t.divider.magic : static_cast<std::uint32_t>(rnd_.range(0, 1 << 30));
      m_.cmd_pool_shift_i = t.op == kOpAvg ? t.divider.shift : rnd_.range(0, 63);
      m_.cmd_fold_i = t.fold;
      m_.cmd_in_half_i = half;
      m_.cmd_out_half_i = half;

      // Run the tile.
      const int out_base = half * (kOutDepth / 2);
      for (auto& w : out_ram_) w.clear();
      std::vector<int> writes(kOutDepth, 0);
      std::int64_t macs = 0, issues = 0, stalls = 0, first_issue = -1, last_issue = -1, cycles = 0;
      bool accepted = false, done = false, wrote_last = false;
      while (!done) {
        m_.clk_i = 0;
        m_.eval();
        const bool cmd_take = m_.cmd_valid_i && m_.cmd_ready_o;
        const bool rd = m_.in_rd_en_o;
        const int rd_addr = m_.in_rd_addr_o;
        const bool p_take = m_.params_valid_i && m_.params_ready_o;
        const bool w_take = m_.wblk_valid_i && m_.wblk_ready_o;
        if (accepted) {
          ++cycles;
          if (m_.issue_o) {
            ++issues;
            macs += m_.macs_o;
            if (first_issue < 0) first_issue = cycles;
            last_issue = cycles;
          } else {
            TB_CHECK(m_.macs_o == 0, "macs_o without issue");
          }
          stalls += m_.stall_weight_o;
          if (rd) {
            TB_CHECK(rd_addr >= in_base && rd_addr + t.fold <= in_base + band_words,
                     "read of %d words at %d outside the band [%d, %d)", t.fold, rd_addr, in_base,
                     in_base + band_words);
            TB_CHECK(rd_addr % t.fold == in_base % t.fold, "read at %d not at a chunk group", rd_addr);
          }
          if (m_.out_wr_en_o) {
            const int a = m_.out_wr_addr_o;
            TB_CHECK(a >= out_base && a < out_base + p * t.blocks, "write at %d outside [%d, %d)", a, out_base,
                     out_base + p * t.blocks);
            TB_CHECK(++writes[a] == 1, "word %d written twice", a);
            out_ram_[a] = tb::get_bytes(m_.out_wr_data_o, out_word_bytes_);
            wrote_last = true;
            for (int i = out_base; i < out_base + p * t.blocks; ++i) wrote_last = wrote_last && writes[i] == 1;
          }
          if (m_.done_o) {
            TB_CHECK(wrote_last, "done_o before every output word was written");
            done = true;
          }
        } else {
          TB_CHECK(!m_.done_o && !m_.issue_o && !m_.out_wr_en_o, "activity without a command");
        }
        if (cmd_take) {
          accepted = true;
          if (ti + 1 < starts.size()) {
            push_blob(t);
          } else if (next != nullptr) {
            push_blob(*next);
            next_blob_queued_ = true;
          }
        }
        m_.clk_i = 1;
        m_.eval();
        ctx_.timeInc(1);
        if (cmd_take) m_.cmd_valid_i = 0;
        if (rd) tb::set_bytes(m_.in_rd_data_i, read_words(rd_addr, t.fold));
        drive_sources(p_take, w_take);
        TB_CHECK(cycles < 2000000, "tile stuck (issued %lld)", (long long)issues);
      }
      // Done pulses in the cycle after the last write; the core is idle again.
      TB_CHECK(m_.cmd_ready_o, "core not idle after done");

      // Every output element of the tile against the golden model.
      const auto& type = t.params.out.type;
      for (int i = 0; i < p; ++i) {
        const int q = p0 + i, oy = q / t.ow, ox = q % t.ow;
        for (int cb = 0; cb < t.blocks; ++cb) {
          const Bytes& word = out_ram_[out_base + i * t.blocks + cb];
          const int vals = t.word_values();
          for (int c = 0; c < vals && cb * vals + c < cout; ++c) {
            const int o = cb * vals + c;
            const std::int64_t got = get_bits(word, c * kActBits, kActBits, type.is_signed);
            const std::int32_t want = t.expected.at(oy, ox, o);
            if (got != want) {
              std::fprintf(stderr,
                           "layer %ld: in %dx%dx%d k %dx%d s %dx%d pad t%d l%d b%d r%d out %dx%dx%d act %d "
                           "leaky %d out %d-bit %s zp %d %s; tile p0 %d P %d band_y0 %d half %d\n",
                           tot.layers, in_h, in_w, cin, l.kernel_h, l.kernel_w, l.stride_h, l.stride_w,
                           l.padding.top, l.padding.left, l.padding.bottom, l.padding.right, t.oh, t.ow, cout,
                           static_cast<int>(l.activation), l.leaky_shift, type.bits,
                           type.is_signed ? "signed" : "unsigned", t.params.out.zero_point,
                           dnnvp::to_string(t.params.rounding), p0, p, band_y0, half);
              TB_CHECK(false, "pixel %d (y %d x %d) channel %d: got %lld, want %d", q, oy, ox, o,
                       static_cast<long long>(got), want);
            }
            ++tot.elements;
          }
        }
      }

      const std::int64_t passes = std::int64_t{t.blocks} * t.passes_per_block();
      const std::int64_t tile_macs = l.macs() / pixels * p;  // a pool's: 0
      TB_CHECK(macs == tile_macs, "MACs %lld, want %lld", (long long)macs, (long long)tile_macs);
      TB_CHECK(issues == passes * p, "issues %lld, want %lld", (long long)issues, (long long)(passes * p));
      // The issue slots of a pass and where in the first / last pass the first / last issue lies. A
      // depthwise pass walks the tile's input window (Rin rows of Wp): its first issue completes the
      // first window, its last is the window's last slot.
      std::int64_t pass_slots = std::max(p, kMinPass), first_at = 0, last_at = p - 1;
      if (t.dw()) {
        const int wp = (t.ow - 1) * l.stride_w + l.kernel_w;
        const int rin = (ceil_div(p, t.ow) - 1) * l.stride_h + l.kernel_h;
        pass_slots = std::max(rin * wp, kMinPass);
        first_at = (l.kernel_h - 1) * wp + l.kernel_w - 1;
        last_at = rin * wp - 1;
      }
      const std::int64_t want_span = (passes - 1) * pass_slots + last_at - first_at + 1;
      const std::int64_t span = last_issue - first_issue + 1;
      TB_CHECK(span >= want_span, "issue span %lld below the minimum %lld", (long long)span,
               (long long)want_span);
      if (idle == 0.0) {
        TB_CHECK(stalls == 0, "%lld weight stalls with weights always ready (P %d)", (long long)stalls, p);
        TB_CHECK(span == want_span, "bubbles: issues span %lld cycles, want %lld (P %d)", (long long)span,
                 (long long)want_span, p);
        ++tot.ready_tiles;
        // Setup: command accepted (cycle 0) to first issue; drain: last issue to done.
        tot.setup_min = std::min(tot.setup_min, first_issue - 1);
        tot.setup_max = std::max(tot.setup_max, first_issue - 1);
        tot.setup_sum += first_issue - 1;
        tot.drain_max = std::max(tot.drain_max, cycles - last_issue);
        tot.ready_cycles += cycles;
        tot.ready_macs += macs;
        tot.issues += issues;
        tot.issue_span += span;
      }
      layer_macs += macs;
      layer_cycles += cycles;
      tot.macs += macs;
      tot.cycles += cycles;
      tot.stall_weight += stalls;
      ++tot.tiles;
      if (p < kMinPass) ++tot.tiles_p_lt_minpass;
      if (p0 % t.ow != 0) ++tot.tiles_mid_row;
      if (band_y0 > 0) ++tot.tiles_band_y0;
    }
    if (steady) {
      std::printf(
          "  steady %s layer %dx%dx%d -> %dx%dx%d, 3x3, fold %d, tiles of %d pixels, weights always ready: "
          "%lld MACs in %lld cycles (command to done, all tiles): PE utilisation %.1f %%\n",
          t.dw() ? "depthwise" : "dense", in_h, in_w, cin, t.oh, t.ow, cout, t.fold, p_tile,
          (long long)layer_macs, (long long)layer_cycles,
          100.0 * layer_macs / (double(kRows) * kCols * layer_cycles));
    }
    if (kind == Kind::Big) {
      std::printf("  big layer %dx%dx%d -> %dx%dx%d: %zu tiles up to pixel %d (band row %d) match\n", in_h, in_w,
                  cin, t.oh, t.ow, cout, starts.size(), starts.back(), band_rows(starts.back(), 1).first);
    } else {
      TB_CHECK(layer_macs == l.macs(), "layer MACs %lld, Layer::macs() %lld", (long long)layer_macs,
               (long long)l.macs());
    }
    if (!next_blob_queued_)
      TB_CHECK(params_.queue.empty() && !params_.valid && wblk_.queue.empty() && !wblk_.valid,
               "params or weight blocks left over");
    ++tot.layers;
    tot.dense += t.op == kOpConv && t.group_chunks == 0;
    if (t.dw()) {
      ++tot.dw;
      tot.dw_kernels |=
          (l.kernel_h == 3 && l.kernel_w == 3 ? 1 : 0) | (l.kernel_h == 1 && l.kernel_w == 1 ? 2 : 0);
      tot.dw_strides |= 1 << (l.stride_h - 1);
      tot.dw_folds[t.fold] += 1;
    }
    tot.grouped += t.group_chunks != 0;
    tot.max_pools += t.op == kOpMax;
    tot.avg_pools += t.op == kOpAvg;
    tot.clipped += t.clip;
    if (!t.dw()) ++(t.pool() ? tot.pool_folds : tot.folds)[t.fold];
  }

 private:
  void tick_raw() {
    m_.clk_i = 0;
    m_.eval();
    m_.clk_i = 1;
    m_.eval();
    ctx_.timeInc(1);
  }
  // An idle cycle between tiles (sources keep running: the core may take the next blob early).
  void tick() {
    m_.clk_i = 0;
    m_.eval();
    const bool p_take = m_.params_valid_i && m_.params_ready_o;
    const bool w_take = m_.wblk_valid_i && m_.wblk_ready_o;
    TB_CHECK(!m_.issue_o && !m_.out_wr_en_o && !m_.in_rd_en_o, "activity while idle");
    m_.clk_i = 1;
    m_.eval();
    ctx_.timeInc(1);
    drive_sources(p_take, w_take);
  }
  void drive_sources(bool p_take, bool w_take) {
    if (params_.step(p_take, rnd_)) {
      const Bytes& b = params_.current;
      tb::set_bytes(m_.params_bias_i, Bytes(b.begin(), b.begin() + kCols * 4));
      tb::set_bytes(m_.params_mult_i, Bytes(b.begin() + kCols * 4, b.begin() + kCols * 8));
      tb::set_bytes(m_.params_shift_i, Bytes(b.begin() + kCols * 8, b.end()));
    }
    m_.params_valid_i = params_.valid;
    if (wblk_.step(w_take, rnd_)) tb::set_bytes(m_.wblk_data_i, wblk_.current);
    m_.wblk_valid_i = wblk_.valid;
  }
  // The input banks' read of FoldMax words from addr: the fold's words from the RAM model, garbage after.
  Bytes read_words(int addr, int fold) {
    Bytes out((kFoldMax * kRows * kXBits + 7) / 8, 0);
    for (int i = 0; i < kFoldMax; ++i) {
      const Bytes word = i < fold ? in_ram_[addr + i] : random_word(in_word_bytes_);
      for (int b = 0; b < kRows * kXBits; ++b)
        if ((word[b / 8] >> (b % 8)) & 1) put_bits(out, i * kRows * kXBits + b, 1, 1);
    }
    return out;
  }
  Bytes random_word(int bytes) {
    Bytes b(bytes);
    for (auto& x : b) x = rnd_.byte();
    return b;
  }

  VerilatedContext ctx_;
  Vdnn_core m_{&ctx_};
  tb::Random rnd_;
  const int in_word_bytes_ = (kRows * kXBits + 7) / 8;
  const int out_word_bytes_ = (kCols * kActBits + 7) / 8;
  std::vector<Bytes> in_ram_, out_ram_;
  Source params_, wblk_;
  int half_toggle_ = 0;
  bool next_blob_queued_ = false;  // the previous layer's last tile queued this layer's blob
};

}  // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  const std::uint32_t seed = tb::seed();
  tb::Random rnd(seed ^ 0x5eed);
  Bench bench(seed);
  Totals tot;
  const int layers = LAYERS;
  TestLayer layer = make_layer(rnd);
  for (int i = 0; i < layers; ++i) {
    const TestLayer next = make_layer(rnd);
    bench.run_layer(layer, i + 1 < layers ? &next : nullptr, tot);
    layer = next;
  }
  std::printf("dnn_core %dx%d act %d w %d acc %d: %ld layers, %ld tiles (%ld with P < MinPass, %ld starting "
              "mid-row, %ld with band_y0 > 0), %ld output values match the golden model\n",
              kRows, kCols, kActBits, kWeightBits, kAccBits, tot.layers, tot.tiles, tot.tiles_p_lt_minpass,
              tot.tiles_mid_row, tot.tiles_band_y0, tot.elements);
  std::printf(
      "  layers: %ld dense, %ld grouped convolutions, %ld max pools, %ld average pools; %ld with a clip\n",
      tot.dense, tot.grouped, tot.max_pools, tot.avg_pools, tot.clipped);
  TB_CHECK(tot.grouped > 0 && tot.max_pools > 0 && tot.avg_pools > 0 && tot.clipped > 0,
           "a mode was not run");
  if (kDwLinePixels > 0) {
    std::printf("  %ld depthwise convolutions on the feed (F:", tot.dw);
    for (const int f : legal_folds(false)) {
      std::printf(" %d: %ld", f, tot.dw_folds[f]);
      TB_CHECK(tot.dw_folds[f] > 0, "no depthwise convolution ran at F = %d", f);
    }
    std::printf(")\n");
    TB_CHECK(tot.dw_kernels == 3 && tot.dw_strides == 3,
             "depthwise: 3x3 and 1x1 kernels, strides 1 and 2 not all run");
  }
  if (kFoldMax > 1) {
    for (const bool conv : {true, false}) {
      std::printf("  %s per Cin-fold F:", conv ? "convolutions" : "pools");
      for (const int f : legal_folds(conv)) {
        const long n = (conv ? tot.folds : tot.pool_folds)[f];
        std::printf(" F=%d: %ld", f, n);
        TB_CHECK(n > 0, "no %s ran at F = %d", conv ? "convolution" : "pool", f);
      }
      std::printf("\n");
    }
  }
  std::printf("  all tiles: %lld MACs in %lld cycles (command to done): PE utilisation %.1f %%, %lld weight-stall cycles\n",
              (long long)tot.macs, (long long)tot.cycles, 100.0 * tot.macs / (double(kRows) * kCols * tot.cycles),
              (long long)tot.stall_weight);
  std::printf("  %ld tiles with weights always ready: %lld issues over %lld issue-span cycles (%.1f %% of slots, "
              "the rest MinPass padding only: 0 bubbles between passes); PE utilisation %.1f %% incl. setup and drain\n",
              tot.ready_tiles, (long long)tot.issues, (long long)tot.issue_span,
              tot.issue_span ? 100.0 * tot.issues / tot.issue_span : 0.0,
              tot.ready_cycles ? 100.0 * tot.ready_macs / (double(kRows) * kCols * tot.ready_cycles) : 0.0);
  std::printf("  per tile with weights ready: setup (command to first issue) %lld..%lld cycles, mean %.1f; "
              "last issue to done %lld cycles\n",
              (long long)tot.setup_min, (long long)tot.setup_max,
              tot.ready_tiles ? double(tot.setup_sum) / tot.ready_tiles : 0.0, (long long)tot.drain_max);
  Totals extra;
  bench.run_layer(make_layer(rnd, Kind::Steady), nullptr, extra, Kind::Steady);
  if (kFoldMax > 1) {  // the largest fold the array takes
    int fold = 1;
    for (int f = 2; f <= kFoldMax; ++f)
      if (kCols % f == 0) fold = f;
    bench.run_layer(make_layer(rnd, Kind::Steady, fold), nullptr, extra, Kind::Steady);
  }
  if (kDwLinePixels > 0) bench.run_layer(make_dw(rnd, true), nullptr, extra, Kind::Steady);
  bench.run_layer(make_layer(rnd, Kind::Big), nullptr, extra, Kind::Big);
  return 0;
}

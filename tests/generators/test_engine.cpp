// The engine plan (tiles, P, performance arithmetic), the weight blob and the engine reference model:
// the model, fed the blob and the packed input, reproduces the golden model element for element on
// several arrays, widths and layer shapes; tiles cover the output and their bands what they read.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "engine_blob.h"
#include "engine_model.h"
#include "engine_plan.h"
#include "engine_table.h"
#include "error.h"
#include "inline_scenario.h"
#include "layer_kind.h"
#include "layout.h"
#include "network_yaml.h"
#include "pack.h"
#include "pool_divider.h"
#include "scenario.h"
#include "stem.h"
#include "synthesize.h"

using namespace dnnvp;

namespace {

const std::string kSource = DNNVP_SOURCE_DIR;

struct Array {
  int rows;
  int cols;
  int stream_bits;
};

Scenario tiny_cnn_on(Array a, int bits) {
  Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  s.hardware.rows = a.rows;
  s.hardware.cols = a.cols;
  s.hardware.stream_bits = a.stream_bits;
  s.quant.activation_bits = bits;
  s.quant.weight_bits = bits;
  return s;
}

Layer conv(const std::string& name, int filters, int kernel, int stride, int pad,
           Activation act = Activation::Relu) {
  Layer l;
  l.name = name;
  l.type = LayerType::Conv;
  l.filters = filters;
  l.kernel_h = l.kernel_w = kernel;
  l.stride_h = l.stride_w = stride;
  l.padding = {pad, pad, pad, pad};
  l.batchnorm_folded = true;
  l.activation = act;
  return l;
}

Layer dense(const std::string& name, int units) {
  Layer l;
  l.name = name;
  l.type = LayerType::Dense;
  l.filters = units;
  l.bias = true;
  return l;
}

Layer global_average(const std::string& name) {
  Layer l;
  l.name = name;
  l.type = LayerType::AvgPool;
  l.global = true;
  return l;
}

Layer pool(const std::string& name, LayerType type, int kernel, int stride, int pad) {
  Layer l;
  l.name = name;
  l.type = type;
  l.kernel_h = l.kernel_w = kernel;
  l.stride_h = l.stride_w = stride;
  l.padding = {pad, pad, pad, pad};
  return l;
}

Layer add(const std::string& name, const std::string& a, const std::string& b) {
  Layer l;
  l.name = name;
  l.type = LayerType::Add;
  l.inputs = {a, b};
  return l;
}

Layer clip(const std::string& name, double min, double max) {
  Layer l;
  l.name = name;
  l.type = LayerType::Clip;
  set_clip_range(l, min, max);
  return l;
}

const LayerPlan& plan_of(const NetworkPlan& plan, const Scenario& s, const std::string& layer) {
  return *plan.layers.at(static_cast<size_t>(s.network.find_layer(layer)));
}

// Runs every engine layer of `plan` (by default the scenario's) through the engine model, from its blob,
// its golden input packed and, for a fused add, the golden operand b packed, with the registers its
// model.h row gives; checks the result element for element against the golden output of the layer whose
// output it writes (a fused add's or a folded clip's), the MACS and ACTIVE counters, and that the DRAM
// bytes the model's tiles move are the plan's. Returns how many layers ran in more than one tile.
int check_engine_equals_golden(const Scenario& s, const std::optional<NetworkPlan>& given = std::nullopt) {
  const SynthesizedModel m = synthesize(s);
  const EngineConfig config = engine_config(s.hardware, s.quant);
  const NetworkPlan plan = given ? *given : plan_network(s);
  int tiled_layers = 0;
  for (size_t i = 0; i < s.network.layers.size(); ++i) {
    if (!plan.layers[i]) continue;
    const Layer& l = s.network.layers[i];
    const LayerParams& p = m.model.params[i];
    const LayerPlan& lp = *plan.layers[i];
    const dnnvp_layer_t row = layer_table_row(m.model, i, &lp);
    auto tensor_of = [&](int id) -> const Tensor& {
      return id < 0 ? m.input : m.outputs[static_cast<size_t>(id)];
    };
    const int producer = l.input_ids[0];
    const TensorQuant& in_q = m.model.quant_of(producer);
    EngineLayerQuant q{in_q.type, in_q.zero_point, p.out.type, p.out.zero_point, p.rounding, std::nullopt};
    if (row.clip) q.clip = std::pair<std::int32_t, std::int32_t>{row.clip_lo, row.clip_hi};
    std::optional<EngineResidual> residual;
    if (lp.fused_add >= 0) {
      const Layer& a = s.network.layers[static_cast<size_t>(lp.fused_add)];
      const LayerParams& ap = m.model.params[static_cast<size_t>(lp.fused_add)];
      const int slot = a.input_ids[0] == static_cast<int>(i) ? 0 : 1;  // the conv's operand
      const int other = a.input_ids[static_cast<size_t>(1 - slot)];
      const TensorQuant& b_q = m.model.quant_of(other);
      AddParams elt = ap.add;
      if (slot == 1) std::swap(elt.multiplier_a, elt.multiplier_b);
      residual = EngineResidual{pack(tensor_of(other).data, b_q.type.bits),
                                b_q.type,
                                b_q.zero_point,
                                elt,
                                a.activation,
                                a.leaky_shift,
                                ap.out.type,
                                ap.out.zero_point,
                                ap.rounding};
    }
    // The layer as the engine runs it, on the input as DRAM holds it (the kx-im2col stem: stem.h).
    const Layer& e = lp.engine_layer(l);
    const std::vector<std::uint8_t> blob =
        l.has_weights() ? engine_blob(e, p, config, lp.geometry.fold) : std::vector<std::uint8_t>{};
    const Tensor& input = producer < 0 ? engine_input(m.input, m.model, plan) : tensor_of(producer);
    const EngineLayerRun run =
        run_engine_layer(e, lp, config, q, blob, pack(input.data, in_q.type.bits), residual);
    const size_t written = static_cast<size_t>(lp.output_layer(static_cast<int>(i)));
    const QuantType stored = m.model.params[written].out.type;
    const std::vector<std::int32_t> values = unpack(run.output, l.output_shape.elements(), stored);
    const std::vector<std::int32_t>& golden = m.outputs[written].data;
    REQUIRE(values.size() == golden.size());
    const auto first_difference = std::mismatch(values.begin(), values.end(), golden.begin()).first;
    INFO(s.name << " " << s.hardware.rows << "x" << s.hardware.cols << "/" << s.hardware.stream_bits << ", "
                << s.quant.activation_bits << "-bit, layer " << l.name << " writing "
                << s.network.layers[written].name << ", P " << lp.tile_pixels
                << ", first difference at element " << first_difference - values.begin());
    CHECK(first_difference == values.end());
    // The counters: the layer's MACs exactly (grouped too, none for a pool), one cycle per pixel of every
    // pass.
    CHECK(run.counters.macs == l.macs());
    std::int64_t issued = 0;
    for (const Tile& t : lp.tiles) issued += lp.geometry.blocks * lp.geometry.passes * t.pixels;
    CHECK(run.counters.active == issued);
    CHECK(run.dram.weights == lp.dram.weights);
    CHECK(run.dram.input == lp.dram.input);
    CHECK(run.dram.descriptors == lp.dram.descriptors);
    // 4-bit tiles that start mid-byte rewrite the byte they share, which the plan counts once.
    if (storage_bits(stored.bits) == 8) CHECK(run.dram.output == lp.dram.output);
    CHECK(row.fold == lp.geometry.fold);
    tiled_layers += lp.tiles.size() > 1;
  }
  return tiled_layers;
}

// Shrinks the input buffer to the smallest that runs the network, so bands limit the tiles.
void use_smallest_input_buffer(Scenario& s) {
  for (s.hardware.input_buffer_kib = 1;; ++s.hardware.input_buffer_kib) {
    try {
      plan_network(s);
      return;
    } catch (const Error&) {
    }
  }
}

// Rows [lo, hi] of the input that the pixels of a tile read, by walking every pixel and tap.
std::pair<int, int> rows_read_by(const Layer& l, std::int64_t first, std::int64_t count) {
  int lo = l.input_shapes[0].h;
  int hi = -1;
  for (std::int64_t pixel = first; pixel < first + count; ++pixel)
    for (int ky = 0; ky < l.kernel_h; ++ky) {
      const int y = static_cast<int>(pixel / l.output_shape.w) * l.stride_h - l.padding.top + ky;
      if (y < 0 || y >= l.input_shapes[0].h) continue;
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  return {lo, hi};
}

// Whether tiles of P pixels fit the engine with the DRAM options `plan` uses, by the rules of
// docs/engine.md ("Work unit", "Tiling: DRAM options"), independently of the planner.
bool fits(const Layer& l, const EngineConfig& c, std::int64_t p, const LayerPlan& plan) {
  const Shape in = l.input_shapes[0];
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  const std::int64_t chunks = (in.c + c.rows - 1) / c.rows;
  // A pool's block is one chunk of Rows channels; a conv's Cols output channels. Block groups take
  // what the output buffer holds of them, so only AccDepth and the band bound P.
  const std::int64_t blocks =
      l.has_weights() ? (l.output_shape.c + c.cols - 1) / c.cols : (l.output_shape.c + c.rows - 1) / c.rows;
  if (p > c.accumulator_depth || (plan.block_group == 0 && p * blocks > c.output_half_words) ||
      (plan.block_group != 0 && p > DNNVP_BLOCK_GROUP_MAX_PIXELS))  // the runtime's descriptor rings
    return false;
  const int s = plan.row_step;  // band rows are every s-th input row
  for (std::int64_t first = 0; first < pixels; first += p) {
    const auto [lo, hi] = rows_read_by(l, first, std::min(p, pixels - first));
    const std::int64_t rows = hi / s - lo / s + 1;
    if (rows * in.w * chunks > c.input_half_words * (plan.band_whole ? 2 : 1) ||
        (s > 1 && rows > DNNVP_ROW_STEP_MAX_BAND_ROWS))
      return false;
  }
  return true;
}

void check_tiles(const Layer& l, const EngineConfig& c, const LayerPlan& plan) {
  INFO("layer " << l.name << ", P " << plan.tile_pixels);
  const Shape in = l.input_shapes[0];
  const std::int64_t pixels = std::int64_t{l.output_shape.h} * l.output_shape.w;
  const int storage = c.activation_bits <= 4 ? 4 : 8;
  std::int64_t next = 0;
  for (const Tile& t : plan.tiles) {
    CHECK(t.first_pixel == next);  // every pixel once, in raster order
    CHECK((t.pixels == plan.tile_pixels || (t.pixels < plan.tile_pixels && &t == &plan.tiles.back())));
    next += t.pixels;
    // The band holds every row a tap of the tile reads and nothing above or below them; with row_step
    // s (every s-th row read) its rows are the engine's: input row y is band row y / s.
    const int s = plan.row_step;
    const auto [lo, hi] = rows_read_by(l, t.first_pixel, t.pixels);
    CHECK(t.band_y0 == lo / s);
    CHECK(t.band_y0 + t.band_rows - 1 == hi / s);
    const std::int64_t row_values = std::int64_t{in.w} * in.c;
    if (s > 1) {  // its rows gathered, whole bytes each
      const std::uint64_t row_bytes = static_cast<std::uint64_t>(row_values * storage / 8);
      CHECK(t.band_offset == static_cast<std::uint64_t>(t.band_y0) * s * row_bytes);
      CHECK(t.band_pitch == s * row_bytes);
      CHECK(t.band_bytes == static_cast<std::uint64_t>(t.band_rows) * row_bytes);
    } else {
      // Byte runs: from the byte holding the first value (at 4 bits possibly in its high nibble) to the
      // byte holding the last.
      const std::int64_t band_first = std::int64_t{t.band_y0} * row_values;
      const std::int64_t band_last = band_first + std::int64_t{t.band_rows} * row_values - 1;
      CHECK(t.band_offset == static_cast<std::uint64_t>(band_first * storage / 8));
      CHECK(t.band_offset + t.band_bytes == static_cast<std::uint64_t>(band_last * storage / 8 + 1));
    }
    const std::int64_t out_first = t.first_pixel * l.output_shape.c;
    const std::int64_t out_last = out_first + t.pixels * l.output_shape.c - 1;
    CHECK(t.output_offset == static_cast<std::uint64_t>(out_first * storage / 8));
    CHECK(t.output_offset + t.output_bytes == static_cast<std::uint64_t>(out_last * storage / 8 + 1));
  }
  CHECK(next == pixels);
  CHECK(fits(l, c, plan.tile_pixels, plan));
  // As many tiles as the largest P that fits gives, as even as that count allows: the fewest pixels
  // giving it, rounded up to whole output rows where those fit (a short last tile would hide too little
  // of the next layer's first band).
  std::int64_t largest = std::min<std::int64_t>(c.accumulator_depth, pixels);
  while (largest > 1 && !fits(l, c, largest, plan)) --largest;
  const std::int64_t count = (pixels + largest - 1) / largest;
  const std::int64_t even = (pixels + count - 1) / count;
  const std::int64_t rows = (even + l.output_shape.w - 1) / l.output_shape.w * l.output_shape.w;
  CHECK(plan.tiles.size() == static_cast<size_t>(count));
  CHECK(plan.tile_pixels == (rows <= largest && fits(l, c, rows, plan) ? rows
                             : fits(l, c, even, plan)                  ? even
                                                                       : largest));
}

std::string plan_error(const Scenario& s, const DramOptions& options = kDramOptionsOnMain) {
  try {
    plan_network(s, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("the engine model computes every tiny_cnn conv and dense layer exactly as the golden model",
          "[engine]") {
  for (const Array a : {Array{4, 8, 64}, Array{3, 5, 32}, Array{8, 16, 128}, Array{7, 12, 64}})
    for (const int bits : {8, 4}) {
      Scenario s = tiny_cnn_on(a, bits);
      s.mapping = MappingConfig{false, false};  // Conv/Dense alone, whatever the default
      check_engine_equals_golden(s);
      // Small buffers: many tiles, partial rows, bands with halo rows.
      s.hardware.accumulator_depth = 13;
      use_smallest_input_buffer(s);
      CHECK(check_engine_equals_golden(s) == 6);  // all but the dense layer
    }
}

TEST_CASE("tiny_cnn with mapping on runs its pools and its two fused adds (ReLU, operand a second) as golden",
          "[engine]") {
  for (const Array a : {Array{4, 8, 64}, Array{3, 5, 32}, Array{8, 16, 128}})
    for (const int bits : {8, 4}) {
      Scenario s = tiny_cnn_on(a, bits);
      s.mapping.engine_pools = s.mapping.fuse = true;
      const NetworkPlan plan = plan_network(s);
      CHECK(plan.layers[static_cast<size_t>(s.network.find_layer("res1.conv2"))]->fused_add ==
            s.network.find_layer("res1.add"));
      CHECK(plan.layers[static_cast<size_t>(s.network.find_layer("shortcut"))]->fused_add ==
            s.network.find_layer("add2"));
      check_engine_equals_golden(s);
      s.hardware.accumulator_depth = 13;
      use_smallest_input_buffer(s);
      CHECK(check_engine_equals_golden(s) >= 6);
    }
}

TEST_CASE("ResNet-50 and AlexNet layer shapes run on the engine exactly as the golden model", "[engine]") {
  // ResNet-50's 7x7 stride-2 stem on a cropped input, a 3x3, a 1x1 stride-2 downsample and the fc.
  const Scenario resnet =
      inline_scenario({32, 32, 3}, {conv("conv1", 64, 7, 2, 3), conv("layer1.conv2", 64, 3, 1, 1),
                                    conv("layer2.downsample", 256, 1, 2, 0, Activation::None),
                                    global_average("avgpool"), dense("fc", 10)});
  // AlexNet's 11x11 stride-4 first layer.
  const Scenario alexnet = inline_scenario({39, 39, 3}, {conv("features.0", 64, 11, 4, 2)});
  // fold_max 4 at 7x12 and 7x96: the layers the planner folds run folded (rows, blobs, the model).
  for (const Array a : {Array{8, 16, 64}, Array{7, 12, 64}, Array{7, 96, 256}})
    for (const Scenario* base : {&resnet, &alexnet}) {
      Scenario s = *base;
      s.hardware.rows = a.rows;
      s.hardware.cols = a.cols;
      s.hardware.stream_bits = a.stream_bits;
      s.hardware.fold_max = a.rows == 7 ? 4 : 1;
      check_engine_equals_golden(s);
      const NetworkPlan plan = plan_network(s);  // the 64-channel ResNet layers fold on 7-row arrays
      if (base == &resnet)
        CHECK(std::any_of(plan.layers.begin(), plan.layers.end(), [](const auto& p) {
                return p && p->geometry.fold > 1;
              }) == (s.hardware.fold_max > 1));
      s.hardware.accumulator_depth = 40;
      use_smallest_input_buffer(s);
      CHECK(check_engine_equals_golden(s) >= 1);
    }
}

TEST_CASE("input and output zero points are applied as the golden model applies them", "[engine]") {
  Layer l = conv("c", 11, 3, 2, 1, Activation::LeakyRelu);
  l.leaky_shift = 2;
  l.input_shapes = {{9, 7, 10}};
  l.output_shape = {5, 4, 11};
  std::mt19937 gen(5);
  auto random = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  LayerParams p;
  p.weight_type = {8, true};
  p.out = {{8, true}, -3, 1.0};
  for (std::int64_t i = 0; i < l.weight_count(); ++i) p.weights.push_back(random(-127, 127));
  for (int o = 0; o < l.filters; ++o) {
    p.bias.push_back(random(-3000, 3000));
    p.requant.push_back({random(1 << 20, 1 << 30), random(20, 30)});
  }
  Tensor x(l.input_shapes[0]);
  for (auto& v : x.data) v = random(0, 255);
  const std::int32_t input_zero_point = 17;
  const Tensor golden = requantize(l, accumulate(l, x, input_zero_point, p), p);

  HardwareConfig h;
  h.rows = 4;
  h.cols = 3;
  h.accumulator_depth = 7;
  const EngineConfig c = engine_config(h, QuantConfig{});
  const LayerPlan plan = plan_layer(l, c);
  const auto out =
      run_engine_layer(l, plan, c,
                       {{8, false}, input_zero_point, p.out.type, p.out.zero_point, p.rounding, std::nullopt},
                       engine_blob(l, p, c), pack(x.data, 8))
          .output;
  CHECK(unpack(out, golden.data.size(), p.out.type) == golden.data);
}

TEST_CASE("4-bit bands and tiles may start mid-byte: odd widths and channel counts plan as at 8 bits",
          "[engine]") {
  // c2 reads rows of 7 x 5 values (odd) and writes 3 channels (odd): with P = 7 some bands start on
  // odd rows and some tiles at odd values, in the high nibble of a byte. The plan is the 8-bit one.
  Scenario s = inline_scenario({9, 9, 2}, {conv("c1", 5, 3, 1, 0), conv("c2", 3, 3, 1, 0, Activation::None)});
  s.hardware.accumulator_depth = 7;
  CHECK(plan_of(plan_network(s), s, "c2").tile_pixels == 7);
  check_engine_equals_golden(s);
  for (const int bits : {2, 3, 4}) {
    INFO(bits << "-bit");
    s.quant.activation_bits = s.quant.weight_bits = bits;
    const NetworkPlan plan = plan_network(s);
    CHECK(plan_of(plan, s, "c1").tile_pixels == 7);
    const LayerPlan& c2 = plan_of(plan, s, "c2");
    CHECK(c2.tile_pixels == 7);
    CHECK(std::any_of(c2.tiles.begin(), c2.tiles.end(), [](const Tile& t) { return t.band_y0 % 2 != 0; }));
    CHECK(
        std::any_of(c2.tiles.begin(), c2.tiles.end(), [](const Tile& t) { return t.first_pixel % 2 != 0; }));
    check_engine_equals_golden(s);
  }
}

TEST_CASE("a one-pixel output with an odd channel count plans at 2..4 bits as at 8", "[engine]") {
  // The jet tagger's shape: dense layers into 5 or 3 units (one pixel, an odd number of 4-bit values).
  Scenario s = inline_scenario({1, 1, 16}, {dense("fc1", 5), dense("fc2", 3)});
  for (const int bits : {8, 4, 3, 2}) {
    INFO(bits << "-bit");
    s.quant.activation_bits = s.quant.weight_bits = bits;
    CHECK(plan_of(plan_network(s), s, "fc2").tile_pixels == 1);
    check_engine_equals_golden(s);
  }
}

TEST_CASE("every zoo network that plans at 8 bits plans at 2..7 bits with the same tiles", "[engine]") {
  for (const char* name : {"tiny_cnn", "jettagger", "alexnet", "resnet18", "resnet50", "vgg16"}) {
    Scenario s = load_scenario(kSource + "/scenarios/" + name + ".yaml");
    const NetworkPlan at8 = plan_network(s);
    for (int bits = 2; bits <= 7; ++bits) {
      INFO(name << " at " << bits << " bits");
      s.quant.activation_bits = bits;
      const NetworkPlan plan = plan_network(s);
      for (size_t i = 0; i < plan.layers.size(); ++i)
        if (plan.layers[i]) CHECK(plan.layers[i]->tile_pixels == at8.layers[i]->tile_pixels);
    }
  }
}

TEST_CASE(
    "every shipped scenario plans and lays out with mapping on, a fused layer's output where its producer "
    "writes",
    "[engine]") {
  for (const char* name : {"tiny_cnn", "jettagger", "alexnet", "resnet18", "resnet50", "resnet50_7x96",
                           "vgg16", "mobilenet_v2"}) {
    INFO(name);
    Scenario s = load_scenario(kSource + "/scenarios/" + name + ".yaml");
    s.mapping.engine_pools = s.mapping.fuse = true;
    const NetworkPlan plan = plan_network(s);
    const MemoryLayout lay = plan_layout(s, plan);
    for (size_t i = 0; i < s.network.layers.size(); ++i) {
      INFO(s.network.layers[i].name);
      CHECK(lay.layers[i].output.addr != 0);
      // A layer another one runs shares its producer's output; every other output is its own.
      const int producer = plan.fused_into[i];
      if (producer >= 0)
        CHECK(lay.layers[static_cast<size_t>(producer)].output.addr == lay.layers[i].output.addr);
    }
  }
}

TEST_CASE("tiles cover every output pixel once and bands hold every input row a tile reads", "[engine]") {
  std::vector<Scenario> scenarios;
  for (const Array a : {Array{4, 8, 64}, Array{7, 12, 64}}) {
    Scenario s = tiny_cnn_on(a, 8);
    s.hardware.accumulator_depth = 13;
    use_smallest_input_buffer(s);
    scenarios.push_back(s);
  }
  scenarios.push_back(load_scenario(kSource + "/scenarios/resnet50.yaml"));
  scenarios.push_back(scenarios.back());
  scenarios.back().hardware.rows = 7;
  scenarios.back().hardware.cols = 96;
  scenarios.back().hardware.stream_bits = 256;
  Scenario alexnet = load_scenario(kSource + "/scenarios/alexnet.yaml");
  alexnet.quant.activation_bits = alexnet.quant.weight_bits = 4;
  scenarios.push_back(alexnet);
  for (const Scenario& s : scenarios)
    for (const DramOptions options : {DramOptions{}, DramOptions{true, true, true}}) {
      INFO(s.name << " on " << s.hardware.rows << "x" << s.hardware.cols << ", DRAM options "
                  << options.row_step << options.band_whole << options.block_group);
      const EngineConfig c = engine_config(s.hardware, s.quant);
      const NetworkPlan plan = plan_network(s, options);
      for (size_t i = 0; i < plan.layers.size(); ++i)
        if (plan.layers[i])
          check_tiles(plan.layers[i]->engine_layer(s.network.layers[i]), c, *plan.layers[i]);
    }
}

TEST_CASE("even tiles: at 7x96 a bottleneck's conv1 reads only the first of its producer's two tiles",
          "[engine]") {
  // layer3.1.conv3's output buffer allows P 124 and layer3.2.conv1's band P 126 of 196 pixels: as the
  // largest P both would end tile 0 mid-row 8, and conv1's first band would need conv3's last tile. Even
  // tiles of 7 whole rows let that band load while conv3's last tile computes (the runtime's overlap).
  const Scenario s = load_scenario(kSource + "/scenarios/resnet50_7x96.yaml");
  const NetworkPlan plan = plan_network(s);
  const LayerPlan& conv3 = plan_of(plan, s, "layer3.1.conv3");
  const LayerPlan& conv1 = plan_of(plan, s, "layer3.2.conv1");
  CHECK(conv3.tiles.size() == 2);
  CHECK(conv3.tile_pixels == 98);
  CHECK(conv1.tiles.size() == 2);
  CHECK(conv1.tile_pixels == 98);
  CHECK(conv1.tiles[0].band_offset + conv1.tiles[0].band_bytes <= conv3.tiles.back().output_offset);
}

TEST_CASE("mapping's DRAM option keys replace the planner's defaults, and an explicit choice replaces them",
          "[engine][dram]") {
  // resnet50_7x96 turns block groups off (its group tiles would break the layer chains it runs for fps).
  const Scenario s = load_scenario(kSource + "/scenarios/resnet50_7x96.yaml");
  REQUIRE(s.mapping.block_group == false);
  CHECK(!s.mapping.row_step);
  CHECK(!s.mapping.band_whole);
  const DramOptions o = dram_options(s);
  CHECK(!o.block_group);
  CHECK(o.row_step == kDramOptionsOnMain.row_step);
  CHECK(o.band_whole == kDramOptionsOnMain.band_whole);
  const auto groups = [](const NetworkPlan& plan) {
    return std::count_if(plan.layers.begin(), plan.layers.end(),
                         [](const std::optional<LayerPlan>& p) { return p && p->block_group > 0; });
  };
  const auto gathers = [](const NetworkPlan& plan) {
    return std::count_if(plan.layers.begin(), plan.layers.end(),
                         [](const std::optional<LayerPlan>& p) { return p && p->row_step > 1; });
  };
  const NetworkPlan own = plan_network(s);
  CHECK(groups(own) == 0);
  CHECK(gathers(own) > 0);
  CHECK(groups(plan_network(s, DramOptions{true, true, true})) > 0);
  Scenario rows = s;
  rows.mapping.row_step = false;
  CHECK(gathers(plan_network(rows)) == 0);
}

TEST_CASE("issue cycles, utilisation and DRAM traffic follow the performance arithmetic", "[engine]") {
  HardwareConfig h;  // 8x16 array, 64-bit stream: a pass's weights take 8*16*8/64 = 16 beats
  const EngineConfig c = engine_config(h, QuantConfig{});
  CHECK(c.input_half_words == 256 * 1024 / 8 / 2);
  CHECK(c.output_half_words == 256 * 1024 / 16 / 2);

  // 3x3 conv, 8x8x16 -> 8x8x32: one tile of 64 pixels, 2 blocks x 18 passes of 64 cycles.
  Layer l = conv("c", 32, 3, 1, 1);
  l.input_shapes = {{8, 8, 16}};
  l.output_shape = {8, 8, 32};
  const LayerPlan p = plan_layer(l, c);
  CHECK(p.geometry.chunks == 2);
  CHECK(p.geometry.blocks == 2);
  CHECK(p.geometry.passes == 18);
  CHECK(p.geometry.params_block_bytes == 144);  // 16 x (4 + 4 + 1) bytes = 18 beats
  CHECK(p.geometry.weight_block_bytes == 128);
  CHECK(p.geometry.blob_bytes == 2 * (144 + 18 * 128));
  CHECK(p.tile_pixels == 64);
  CHECK(p.issue_cycles == 2 * 18 * 64);
  CHECK(p.utilisation_bound == Approx(1.0));
  CHECK(p.dram.weights == p.geometry.blob_bytes);
  CHECK(p.dram.input == 8 * 8 * 16);
  CHECK(p.dram.output == 8 * 8 * 32);
  CHECK(p.dram.lower_bound == p.geometry.blob_bytes + 8 * 8 * 16 + 8 * 8 * 32);

  // Tiles of 10 pixels: passes shorter than the 16 beats of their weights starve; halo rows are re-read.
  HardwareConfig shallow = h;
  shallow.accumulator_depth = 10;
  const LayerPlan starved = plan_layer(l, engine_config(shallow, QuantConfig{}));
  CHECK(starved.tiles.size() == 7);
  CHECK(starved.issue_cycles == 7 * 2 * 18 * 16);
  CHECK(starved.utilisation_bound == Approx(64.0 / (7 * 16)));
  CHECK(starved.dram.weights == 7 * starved.geometry.blob_bytes);
  CHECK(starved.dram.input > p.dram.input);
  std::uint64_t band_bytes = 0;
  for (const Tile& t : starved.tiles) band_bytes += t.band_bytes;
  CHECK(starved.dram.input == band_bytes);

  // Dense 64 -> 32 is one pixel: each pass lasts the 16 beats of its weights.
  Layer d = dense("d", 32);
  d.input_shapes = {{1, 1, 64}};
  d.output_shape = {1, 1, 32};
  const LayerPlan dp = plan_layer(d, c);
  CHECK(dp.issue_cycles == 2 * 8 * 16);
  CHECK(dp.utilisation_bound == Approx(64.0 * 32 / (128 * 256)));

  // A 1x1 stride-2 conv's contiguous bands include rows no tap reads; the lower bound does not. With
  // row_step its band is the 4 rows read, a descriptor each.
  Layer down = conv("down", 16, 1, 2, 0);
  down.input_shapes = {{8, 8, 8}};
  down.output_shape = {4, 4, 16};
  EngineConfig contiguous = c;
  contiguous.options = DramOptions{};
  const LayerPlan dn = plan_layer(down, contiguous);
  CHECK(dn.dram.input == 7 * 8 * 8);
  CHECK(dn.dram.descriptors == 0);
  CHECK(dn.dram.lower_bound == dn.geometry.blob_bytes + 4 * 8 * 8 + 4 * 4 * 16);
  EngineConfig gathered = c;
  gathered.options.row_step = true;
  const LayerPlan dg = plan_layer(down, gathered);
  CHECK(dg.row_step == 2);
  CHECK(dg.dram.input == 4 * 8 * 8);
  CHECK(dg.dram.descriptors == 4 * kDescriptorBytes);
  CHECK(dg.dram.lower_bound == dn.dram.lower_bound);
}

namespace {

// Params whose values name their place: weight i of output o is 10o + i + 1, bias 1000 + o, multiplier
// 2000 + o, shift 20 + o.
LayerParams counting_params(int outputs, int weights_per_output) {
  LayerParams p;
  p.weight_type = {8, true};
  for (int o = 0; o < outputs; ++o) {
    for (int i = 0; i < weights_per_output; ++i) p.weights.push_back(10 * o + i + 1);
    p.bias.push_back(1000 + o);
    p.requant.push_back({2000 + o, 20 + o});
  }
  return p;
}

// The little-endian int32 of a blob's params at byte `at`.
std::int32_t le32_at(const std::vector<std::uint8_t>& blob, size_t at) {
  return static_cast<std::int32_t>(std::uint32_t{blob[at]} | std::uint32_t{blob[at + 1]} << 8 |
                                   std::uint32_t{blob[at + 2]} << 16 | std::uint32_t{blob[at + 3]} << 24);
}

}  // namespace

TEST_CASE("the blob streams each block's params, then every pass's Rows x Cols weights, beat-padded",
          "[engine]") {
  // Dense 3 -> 5 on a 2x4 array with a 32-bit stream: 2 chunks, 2 blocks.
  Layer l = dense("d", 5);
  l.input_shapes = {{1, 1, 3}};
  l.output_shape = {1, 1, 5};
  LayerParams p = counting_params(5, 3);  // w[o][i] = 10o + i + 1
  HardwareConfig h;
  h.rows = 2;
  h.cols = 4;
  h.stream_bits = 32;
  EngineConfig c = engine_config(h, QuantConfig{});
  const std::vector<std::uint8_t> blob = engine_blob(l, p, c);
  // Per block: params 4 x 9 = 36 bytes (9 beats), 2 passes of 2 x 4 bytes (2 beats each).
  REQUIRE(blob.size() == 2 * (36 + 2 * 8));
  REQUIRE(blob.size() == engine_geometry(l, c).blob_bytes);
  const auto le32 = [&](size_t at) { return le32_at(blob, at); };
  CHECK(le32(4) == 1001);   // bias of channel 1
  CHECK(le32(16) == 2000);  // multiplier of channel 0
  CHECK(blob[35] == 23);    // shift of channel 3
  // Pass 0 of block 0: w[r][c] = weights[channel c][input r], r-major.
  const std::vector<std::uint8_t> pass0(blob.begin() + 36, blob.begin() + 44);
  CHECK(pass0 == std::vector<std::uint8_t>{1, 11, 21, 31, 2, 12, 22, 32});
  // Pass 1: input 2, then the missing input 3 as zeros.
  const std::vector<std::uint8_t> pass1(blob.begin() + 44, blob.begin() + 52);
  CHECK(pass1 == std::vector<std::uint8_t>{3, 13, 23, 33, 0, 0, 0, 0});
  // Block 1 holds channel 4 only; channels 5..7 are zero.
  CHECK(le32(52) == 1004);
  CHECK(le32(56) == 0);
  const std::vector<std::uint8_t> block1_pass0(blob.begin() + 88, blob.begin() + 96);
  CHECK(block1_pass0 == std::vector<std::uint8_t>{41, 0, 0, 0, 42, 0, 0, 0});

  // At 4 bits two weights share a byte, low nibble first; one 32-bit beat per pass.
  for (auto& w : p.weights) w = w % 8 - 4;
  c.weight_bits = 4;
  const std::vector<std::uint8_t> nibbles = engine_blob(l, p, c);
  REQUIRE(nibbles.size() == 2 * (36 + 2 * 4));
  const auto nibble = [](int v) { return static_cast<std::uint8_t>(v & 0xF); };
  CHECK(nibbles[36] == (nibble(p.weights[0]) | nibble(p.weights[3]) << 4));  // w[0][0], w[0][1]

  // A blob of the wrong length is refused by the engine model.
  const LayerPlan plan = plan_layer(l, c);
  const EngineLayerQuant q{{8, false}, 0, {8, true}, 0, Rounding::HalfUp, std::nullopt};
  std::vector<std::uint8_t> short_blob(nibbles.begin(), nibbles.end() - 4);
  CHECK_THROWS_WITH(run_engine_layer(l, plan, c, q, short_blob, {1, 2, 3}), Catch::Contains("ends early"));
  std::vector<std::uint8_t> long_blob = nibbles;
  long_blob.resize(long_blob.size() + 4);
  CHECK_THROWS_WITH(run_engine_layer(l, plan, c, q, long_blob, {1, 2, 3}), Catch::Contains("longer"));
}

TEST_CASE("the grouped conv blob is block-diagonal over each block's own chunk range", "[engine]") {
  // Depthwise 2x1 kernel, 8 channels on a 2x4 array: block cb walks chunks 2cb, 2cb + 1.
  Layer l = conv("dw", 8, 1, 1, 0, Activation::None);
  l.kernel_h = 2;
  l.groups = 8;
  l.input_shapes = {{3, 3, 8}};
  l.output_shape = {2, 3, 8};
  LayerParams p;
  p.weight_type = {8, true};
  for (std::int64_t i = 0; i < l.weight_count(); ++i) p.weights.push_back(static_cast<std::int32_t>(i + 1));
  for (int o = 0; o < 8; ++o) p.requant.push_back({1 << 30, 31});
  HardwareConfig h;
  h.rows = 2;
  h.cols = 4;
  h.stream_bits = 64;
  const EngineConfig c = engine_config(h, QuantConfig{});
  const EngineGeometry g = engine_geometry(l, c);
  CHECK(g.chunks == 4);
  CHECK(g.blocks == 2);
  CHECK(g.group_chunks == 2);
  CHECK(g.chunk_step == 2);
  CHECK(g.group_cols == 1);
  CHECK(g.passes == 4);  // kh * kw * group_chunks
  const std::vector<std::uint8_t> blob = engine_blob(l, p, c);
  REQUIRE(blob.size() == g.blob_bytes);
  // Per block: params (4 x 9 bytes in 5 beats), then passes (ky, chunk) of 8 weights in one beat each.
  for (int cb = 0; cb < 2; ++cb)
    for (int ky = 0; ky < 2; ++ky)
      for (int j = 0; j < 2; ++j) {
        const size_t at = static_cast<size_t>(cb) * (40 + 4 * 8) + 40 + (static_cast<size_t>(ky) * 2 + j) * 8;
        std::vector<int> want(8, 0);  // PE(r, c) at r * 4 + c: channel (2cb + j) * 2 + r feeds column c
        for (int r = 0; r < 2; ++r) {
          const int channel = (2 * cb + j) * 2 + r;
          want[static_cast<size_t>(r) * 4 + (channel - 4 * cb)] = channel * 2 + ky + 1;  // w[o][ky][0][0]
        }
        INFO("block " << cb << " ky " << ky << " chunk " << j);
        CHECK(std::vector<int>(blob.begin() + static_cast<std::ptrdiff_t>(at),
                               blob.begin() + static_cast<std::ptrdiff_t>(at + 8)) == want);
      }
}

TEST_CASE(
    "a Cin-fold blob holds in PE (r, c) the weight of lane c mod Cv from word c / Cv of the pass's F words",
    "[engine][fold]") {
  // 2x2 conv, Cin 5 (3 words of 2), Cout 7 on a 2x12 array: F 2, 3, 4 give Cv 6, 4, 3.
  Layer l = conv("c", 7, 2, 1, 0);
  l.input_shapes = {{4, 4, 5}};
  l.output_shape = {3, 3, 7};
  LayerParams p;
  p.weight_type = {8, true};
  for (std::int64_t i = 0; i < l.weight_count(); ++i)
    p.weights.push_back(static_cast<std::int32_t>(i % 251 - 125));
  for (int o = 0; o < 7; ++o) {
    p.bias.push_back(1000 + o);
    p.requant.push_back({2000 + o, 20 + o});
  }
  HardwareConfig h;
  h.rows = 2;
  h.cols = 12;
  h.stream_bits = 64;  // a weight block is 24 bytes = 3 beats, a params block 108 bytes in 14 beats (112)
  const EngineConfig c = engine_config(h, QuantConfig{});
  for (const int fold : {2, 3, 4}) {
    INFO("F " << fold);
    const int cv = 12 / fold;
    const int words = (3 + fold - 1) / fold * fold;
    const int blocks = (7 + cv - 1) / cv;
    const int passes = 4 * words / fold;
    const EngineGeometry g = engine_geometry(l, c, fold);
    CHECK(g.fold == fold);
    CHECK(g.chunks == words);
    CHECK(g.blocks == blocks);
    CHECK(g.passes == passes);
    const size_t block_bytes = 112 + static_cast<size_t>(passes) * 24;
    REQUIRE(g.blob_bytes == blocks * block_bytes);
    // Every weight scattered to its place: output o is lane o % Cv of block o / Cv; input channel i is row
    // i % Rows of word i / Rows, which pass i / Rows / F of its tap reads as column group i / Rows % F.
    std::vector<std::uint8_t> want(g.blob_bytes, 0);
    auto put32 = [&](size_t at, std::int32_t v) {
      for (int b = 0; b < 4; ++b)
        want[at + b] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) >> (8 * b));
    };
    for (int o = 0; o < 7; ++o) {
      const size_t block = static_cast<size_t>(o / cv) * block_bytes;
      const size_t lane = static_cast<size_t>(o % cv);
      put32(block + 4 * lane, p.bias[static_cast<size_t>(o)]);
      put32(block + 48 + 4 * lane, p.requant[static_cast<size_t>(o)].multiplier);
      want[block + 96 + lane] = static_cast<std::uint8_t>(p.requant[static_cast<size_t>(o)].shift);
      for (int ky = 0; ky < 2; ++ky)
        for (int kx = 0; kx < 2; ++kx)
          for (int i = 0; i < 5; ++i) {
            const int word = i / 2;
            const size_t pass = static_cast<size_t>((ky * 2 + kx) * (words / fold) + word / fold);
            const size_t column = static_cast<size_t>(word % fold * cv) + lane;
            want[block + 112 + pass * 24 + static_cast<size_t>(i % 2) * 12 + column] =
                static_cast<std::uint8_t>(p.weights[static_cast<size_t>(((o * 2 + ky) * 2 + kx) * 5 + i)]);
          }
    }
    CHECK(engine_blob(l, p, c, fold) == want);
  }
  // Only a dense conv folds, and only by a divisor of Cols.
  CHECK_THROWS_WITH(engine_geometry(l, c, 5), Catch::Contains("Cin-fold 5"));
  Layer dw = conv("dw", 4, 3, 1, 1);
  dw.groups = 4;
  dw.input_shapes = {{4, 4, 4}};
  dw.output_shape = {4, 4, 4};
  CHECK_THROWS_WITH(engine_geometry(dw, c, 2), Catch::Contains("layer 'dw': Cin-fold 2"));
}

namespace {

// A conv on input `in` (the layer gets its shapes) with random `bits`-wide weights, bias and requantisation,
// a random input and input zero point, and the golden output.
struct RandomConv {
  LayerParams params;
  Tensor input;
  std::int32_t input_zero_point = 0;
  Tensor golden;
  // Layer l (unsigned `bits`-wide input) through the engine model as `plan` tiles it.
  EngineLayerRun run(const Layer& l, const LayerPlan& plan, const EngineConfig& c, int bits) const {
    return run_engine_layer(l, plan, c,
                            {{bits, false},
                             input_zero_point,
                             params.out.type,
                             params.out.zero_point,
                             params.rounding,
                             std::nullopt},
                            engine_blob(l, params, c, plan.geometry.fold), pack(input.data, bits));
  }
};
RandomConv random_conv(Layer& l, Shape in, int bits, std::mt19937& gen) {
  auto random = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  l.input_shapes = {in};
  l.output_shape = {(in.h + l.padding.top + l.padding.bottom - l.kernel_h) / l.stride_h + 1,
                    (in.w + l.padding.left + l.padding.right - l.kernel_w) / l.stride_w + 1, l.filters};
  const int top = (1 << (bits - 1)) - 1;
  LayerParams p;
  p.weight_type = {bits, true};
  p.out = {{bits, false}, random(0, 3), 1.0};
  for (std::int64_t i = 0; i < l.weight_count(); ++i) p.weights.push_back(random(-top, top));
  for (int o = 0; o < l.filters; ++o) {
    p.bias.push_back(random(-3000, 3000));
    p.requant.push_back({random(1 << 20, 1 << 30), random(14, 22)});
  }
  Tensor x(in);
  for (auto& v : x.data) v = random(0, 2 * top + 1);
  const std::int32_t input_zero_point = random(0, top);
  Tensor golden = requantize(l, accumulate(l, x, input_zero_point, p), p);
  return {std::move(p), std::move(x), input_zero_point, std::move(golden)};
}

// A 3-row engine with a 32-bit stream for `bits`-wide data.
EngineConfig three_row_engine(int cols, int accumulator_depth, int bits) {
  HardwareConfig h;
  h.rows = 3;
  h.cols = cols;
  h.stream_bits = 32;
  h.accumulator_depth = accumulator_depth;
  QuantConfig q;
  q.activation_bits = q.weight_bits = bits;
  return engine_config(h, q);
}

}  // namespace

TEST_CASE("the engine model at Cin-fold 1..4 computes random layers exactly as the golden model",
          "[engine][fold]") {
  std::mt19937 gen(12);
  auto random = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  for (int trial = 0; trial < 12; ++trial) {
    // Cin and Cout rarely multiples of Rows or Cv, padding and stride 2 mixed, a few tiles per layer.
    const int kernel = random(0, 2) * 2 + 1;
    const int stride = random(1, 2);
    Layer l = conv("c", random(1, 30), kernel, stride, random(0, kernel / 2), Activation::Relu);
    const Shape in{random(kernel, 9), random(kernel, 9), random(1, 20)};
    const int bits = trial % 3 == 2 ? 4 : 8;
    const RandomConv data = random_conv(l, in, bits, gen);

    const EngineConfig c = three_row_engine(12, random(4, 20), bits);
    for (int fold = 1; fold <= 4; ++fold) {
      INFO("trial " << trial << ": " << in.str() << " -> " << l.output_shape.str() << ", " << kernel << "x"
                    << kernel << "/" << stride << " pad " << l.padding.top << ", " << bits << " bits, F "
                    << fold);
      const LayerPlan plan = plan_layer_folded(l, c, fold);
      const int words = (in.c + 2) / 3;
      CHECK(plan.geometry.chunks == (words + fold - 1) / fold * fold);
      CHECK(plan.geometry.blocks == (l.filters + 12 / fold - 1) / (12 / fold));
      CHECK(plan.geometry.passes == kernel * kernel * plan.geometry.chunks / fold);
      const EngineLayerRun run = data.run(l, plan, c, bits);
      const std::vector<std::int32_t> values =
          unpack(run.output, data.golden.data.size(), data.params.out.type);
      CHECK(values == data.golden.data);
      // MACS: real input channels of a pass's F words by the block's real lanes, so the layer's MACs.
      CHECK(run.counters.macs == l.macs());
      std::int64_t issued = 0;
      for (const Tile& t : plan.tiles) issued += plan.geometry.blocks * plan.geometry.passes * t.pixels;
      CHECK(run.counters.active == issued);
    }
  }
}

TEST_CASE("the engine model at fold 1..4 runs max and average pools exactly as the golden model",
          "[engine][fold]") {
  // C 19 on 3 rows: 7 words; at F 4 one block takes 4 words (12 lanes of the 3x12 array).
  Scenario s = inline_scenario({9, 8, 5}, {conv("c", 19, 3, 1, 1), pool("max", LayerType::MaxPool, 3, 2, 1),
                                           pool("avg", LayerType::AvgPool, 2, 1, 0)});
  s.hardware.rows = 3;
  s.hardware.cols = 12;
  s.mapping.engine_pools = true;
  for (const int bits : {8, 4}) {
    s.quant.activation_bits = s.quant.weight_bits = bits;
    const SynthesizedModel m = synthesize(s);
    const EngineConfig c = engine_config(s.hardware, s.quant);
    for (const int i : {1, 2}) {
      const Layer& l = s.network.layers[static_cast<size_t>(i)];
      const TensorQuant& in_q = m.model.quant_of(i - 1);
      const LayerParams& p = m.model.params[static_cast<size_t>(i)];
      for (int fold = 1; fold <= 4; ++fold) {
        INFO(l.name << ", " << bits << " bits, F " << fold);
        const LayerPlan plan = plan_layer_folded(l, c, fold);
        CHECK(plan.geometry.chunks == (7 + fold - 1) / fold * fold);
        CHECK(plan.geometry.blocks == plan.geometry.chunks / fold);
        CHECK(plan.geometry.passes == l.kernel_h * l.kernel_w);
        const EngineLayerRun run = run_engine_layer(
            l, plan, c, {in_q.type, in_q.zero_point, p.out.type, p.out.zero_point, p.rounding, std::nullopt},
            {}, pack(m.outputs[static_cast<size_t>(i - 1)].data, bits));
        CHECK(unpack(run.output, l.output_shape.elements(), p.out.type) ==
              m.outputs[static_cast<size_t>(i)].data);
      }
    }
  }
  // F * Rows lanes must fit the Cols of the output word.
  CHECK_THROWS_WITH(plan_layer_folded(s.network.layers[1], engine_config(s.hardware, s.quant), 6),
                    Catch::Contains("layer 'max': Cin-fold 6"));
}

TEST_CASE(
    "the planner folds a dense conv or a pool at the F with the fewest issue cycles, ties to the smaller F",
    "[engine][fold]") {
  // 7x96 at 256 bits: a pass's weights take 7*96*8/256 = 21 beats; 14x14 outputs fit one tile of 196.
  HardwareConfig h;
  h.rows = 7;
  h.cols = 96;
  h.stream_bits = 256;
  EngineConfig c = engine_config(h, QuantConfig{});
  auto one_by_one = [](int cin, int cout) {
    Layer l = conv("c", cout, 1, 1, 0);
    l.input_shapes = {{14, 14, cin}};
    l.output_shape = {14, 14, cout};
    return l;
  };
  // Cin 64 (10 words), Cout 64: F 1: 1 block x 10 passes; F 2: 2 x 5; F 3: 2 x 4 (12 words); F 4: 3 x 3
  // (12 words); F 6: 4 x 2 (12 words); F 8: 6 x 2 (16 words).
  const Layer c64 = one_by_one(64, 64);
  const std::vector<std::pair<int, std::int64_t>> cycles{{1, 10}, {2, 10}, {3, 8}, {4, 9}, {6, 8}, {8, 12}};
  for (const auto& [fold, passes] : cycles)
    CHECK(plan_layer_folded(c64, c, fold).issue_cycles == passes * 196);
  CHECK(plan_layer(c64, c).geometry.fold == 1);  // fold_max 1: no fold
  c.fold_max = 4;
  CHECK(plan_layer(c64, c).geometry.fold == 3);
  CHECK(plan_layer(c64, c).issue_cycles == 8 * 196);
  c.fold_max = 8;  // F 6 ties with F 3; 5 and 7 do not divide 96
  CHECK(plan_layer(c64, c).geometry.fold == 3);
  c.fold_max = 4;
  // Cin 14 (2 words), Cout 96: F 1 and F 2 both 2 x 196 cycles (1 block x 2 passes, 2 x 1), F 3 and 4 more.
  const LayerPlan c96 = plan_layer(one_by_one(14, 96), c);
  CHECK(c96.geometry.fold == 1);
  CHECK(c96.issue_cycles == 2 * 196);
  // Dense 70 -> 10 (one pixel, passes of 21 beats): 10, 5, 4, 3 passes of one block -> F 4.
  Layer d = dense("d", 10);
  d.input_shapes = {{1, 1, 70}};
  d.output_shape = {1, 1, 10};
  const LayerPlan dp = plan_layer(d, c);
  CHECK(dp.geometry.fold == 4);
  CHECK(dp.issue_cycles == 3 * 21);
  // Max pool 3x3/2 to 7x7x64 (one tile of 49 pixels, 9 passes a block): 10 words in 10, 5, 4 (12 words)
  // and 3 (12 words) blocks at F 1..4 -> F 4.
  Layer mp = pool("mp", LayerType::MaxPool, 3, 2, 1);
  mp.input_shapes = {{14, 14, 64}};
  mp.output_shape = {7, 7, 64};
  const LayerPlan mpp = plan_layer(mp, c);
  CHECK(mpp.geometry.fold == 4);
  CHECK(mpp.issue_cycles == 3 * 9 * 49);
  // On 8x16 a pool's F * 8 lanes fit 16 columns up to F 2: 8 words in 4 blocks.
  h.rows = 8;
  h.cols = 16;
  h.stream_bits = 64;
  EngineConfig narrow = engine_config(h, QuantConfig{});
  narrow.fold_max = 4;
  CHECK(!fold_fits(mp, narrow, 4));
  const LayerPlan narrow_mp = plan_layer(mp, narrow);
  CHECK(narrow_mp.geometry.fold == 2);
  CHECK(narrow_mp.issue_cycles == 4 * 9 * 49);
}

TEST_CASE("grouped and depthwise convs run on the engine exactly as the golden model", "[engine]") {
  // Depthwise (strided, padded, partial last chunk), groups of 2 filters over 4 channels, and groups
  // whose block spans several groups; on arrays where each places.
  struct Case {
    Array array;
    Shape input;
    int filters, groups, kernel, stride;
  };
  for (const Case& k :
       {Case{{8, 16, 64}, {9, 11, 32}, 32, 32, 3, 1}, Case{{8, 16, 64}, {10, 9, 48}, 48, 48, 3, 2},
        Case{{4, 8, 32}, {7, 6, 24}, 24, 24, 3, 1}, Case{{8, 8, 64}, {7, 6, 20}, 20, 20, 3, 1},
        Case{{4, 8, 64}, {6, 7, 16}, 16, 4, 3, 1}, Case{{8, 16, 128}, {5, 5, 24}, 12, 3, 1, 1},
        Case{{2, 4, 32}, {6, 5, 8}, 8, 8, 5, 2}})
    for (const int bits : {8, 4}) {
      Layer dw = conv("grouped", k.filters, k.kernel, k.stride, k.kernel / 2);
      dw.groups = k.groups;
      Scenario s =
          inline_scenario(k.input, {conv("stem", k.input.c, 1, 1, 0), dw, conv("after", 8, 1, 1, 0)});
      s.hardware.rows = k.array.rows;
      s.hardware.cols = k.array.cols;
      s.hardware.stream_bits = k.array.stream_bits;
      s.quant.activation_bits = s.quant.weight_bits = bits;
      INFO("Cin " << k.input.c << " groups " << k.groups << " on " << k.array.rows << "x" << k.array.cols);
      check_engine_equals_golden(s);
      s.hardware.accumulator_depth = 5;
      use_smallest_input_buffer(s);
      CHECK(check_engine_equals_golden(s) == 3);
    }
}

TEST_CASE("a grouped conv whose blocks need no uniform chunk range is refused, naming the layer and the rule",
          "[engine]") {
  const std::string rule =
      " array: a grouped conv runs on the engine only when every block of cols output channels holds whole "
      "groups and needs whole input chunks of rows channels, cb * step .. cb * step + count - 1 for block cb "
      "(depthwise: cols a multiple of rows); ";
  Layer dw = conv("features.1.dw", 32, 3, 1, 1);
  dw.groups = 32;
  Scenario s = inline_scenario({16, 16, 32}, {dw});
  s.hardware.rows = 16;
  s.hardware.cols = 8;  // a block needs half a chunk
  CHECK(plan_error(s) ==
        "inline.yaml: layer 'features.1.dw' (groups: 32, 32 -> 32 channels) does not fit the 16x8" + rule +
            "block 0 needs input channels 0..7, its passes would walk channels 0..15");
  s.hardware.rows = 8;
  s.hardware.cols = 12;  // a block needs a chunk and a half
  CHECK(plan_error(s) ==
        "inline.yaml: layer 'features.1.dw' (groups: 32, 32 -> 32 channels) does not fit the 8x12" + rule +
            "block 0 needs input channels 0..11, its passes would walk channels 0..15");
  Layer g = conv("g", 30, 1, 1, 0);
  g.groups = 3;  // 10 filters a group: 16 columns split a group
  CHECK(plan_error(inline_scenario({4, 4, 24}, {g})) ==
        "inline.yaml: layer 'g' (groups: 3, 24 -> 30 channels) does not fit the 8x16" + rule +
            "cols 16 is not a multiple of the group's 10 output channels");
  Layer last = conv("last", 40, 3, 1, 1);
  last.groups = 40;  // block 2 (channels 32..39) needs one chunk, the others two
  CHECK(plan_error(inline_scenario({4, 4, 40}, {last})) ==
        "inline.yaml: layer 'last' (groups: 40, 40 -> 40 channels) does not fit the 8x16" + rule +
            "block 2 needs input channels 32..39, its passes would walk channels 32..47");
}

TEST_CASE("MobileNetV2 plans every layer on the default array, its depthwise convs one chunk range a block",
          "[engine]") {
  Scenario mobilenet;
  mobilenet.file = "inline.yaml";
  mobilenet.network = load_zoo_network("mobilenet_v2", "test", 0, "network.zoo");
  const NetworkPlan plan = plan_network(mobilenet);
  int depthwise = 0;
  for (size_t i = 0; i < mobilenet.network.layers.size(); ++i) {
    const Layer& l = mobilenet.network.layers[i];
    if (l.groups == 1) continue;
    ++depthwise;
    const EngineGeometry& g = plan.layers[i]->geometry;
    INFO(l.name);
    CHECK(g.group_chunks == 2);  // 16 columns = 16 channels = 2 chunks of 8
    CHECK(g.chunk_step == 2);
    CHECK(g.group_cols == 1);
    CHECK(g.passes == 9 * 2);
  }
  CHECK(depthwise == 17);
  CHECK(plan.macs == mobilenet.network.macs());
}

TEST_CASE(
    "MobileNetV2 with mapping on folds its 35 ReLU6 clips, fuses its 10 adds and runs exactly as golden",
    "[engine]") {
  Scenario s;
  s.file = "inline.yaml";
  s.name = "mobilenet_v2";
  s.network = load_zoo_network("mobilenet_v2", "test", 0, "network.zoo");
  s.mapping.engine_pools = s.mapping.fuse = true;
  const NetworkPlan full = plan_network(s);
  int clips = 0, adds = 0;
  for (size_t i = 0; i < s.network.layers.size(); ++i) {
    const LayerType type = s.network.layers[i].type;
    if (type != LayerType::Clip && type != LayerType::Add) continue;
    INFO(s.network.layers[i].name);
    CHECK(full.fused_into[i] >= 0);
    (type == LayerType::Clip ? clips : adds) += 1;
  }
  CHECK(clips == 35);
  CHECK(adds == 10);
  CHECK(full.layers[static_cast<size_t>(s.network.find_layer("avgpool"))]);
  // The whole network through the engine model on a 32x32 input (the same layers, smaller maps).
  s.network.input_shape = {32, 32, 3};
  s.network.infer_shapes();
  check_engine_equals_golden(s);
}

TEST_CASE("buffers too small for one output row are named in the error", "[engine]") {
  Scenario vgg = load_scenario(kSource + "/scenarios/vgg16.yaml");
  vgg.hardware.input_buffer_kib = 64;
  CHECK(plan_error(vgg) ==
        vgg.file +
            ": hardware.input_buffer_kib: layer 'features.2' needs a band of 3 rows x 224 x 64 "
            "= 43008 values; the input buffer half holds 32768");
  Scenario stem = inline_scenario({64, 64, 3}, {conv("conv1", 8, 7, 2, 3)});
  stem.hardware.input_buffer_kib = 1;
  CHECK(
      plan_error(stem) ==
      "inline.yaml: hardware.input_buffer_kib: layer 'conv1' needs a band of 7 rows x 64 x 8 (3 channels in "
      "words of 8) = 3584 values; the input buffer half holds 512");

  Scenario fc = inline_scenario({1, 1, 64}, {dense("fc", 1000)});
  fc.hardware.output_buffer_kib = 1;
  CHECK(plan_error(fc) == "no error");  // block groups (A): the pixel's 63 blocks in groups of 32
  CHECK(plan_error(fc, DramOptions{true, true, false}) ==
        "inline.yaml: hardware.output_buffer_kib: layer 'fc' needs 1008 output values (1000 channels in "
        "words of "
        "16) for one pixel; the output buffer half holds 512");

  // An odd number of 4-bit channels in one-pixel tiles is no error: every other tile starts mid-byte.
  Scenario odd = inline_scenario({4, 4, 2}, {conv("c", 3, 1, 1, 0)});
  odd.quant.activation_bits = 4;
  odd.hardware.accumulator_depth = 1;
  CHECK(plan_error(odd) == "no error");
  check_engine_equals_golden(odd);
}

namespace {

// Every engine mode in one network (mapping on): a clip folded into a conv, a padded max pool, a residual
// add fused into its later producer (operand b a pool's output), an unpadded and a global average pool,
// a padded average pool (whose window count varies: CPU), a clip folded into a pool, and a dense layer.
// Odd channel counts give 4-bit tiles that start mid-byte.
Scenario every_mode(Array a, int bits) {
  Layer avg_padded = pool("avg_padded", LayerType::AvgPool, 3, 1, 1);
  Layer global = pool("global", LayerType::AvgPool, 1, 1, 0);
  global.global = true;
  Layer c2 = conv("c2", 7, 3, 1, 1, Activation::None);
  Scenario s =
      inline_scenario({9, 11, 5}, {conv("stem", 7, 3, 1, 1), clip("stem.clip", 0.05, 6),
                                   pool("max", LayerType::MaxPool, 3, 2, 1), conv("c1", 7, 1, 1, 0), c2,
                                   add("res", "c2", "max"), pool("avg", LayerType::AvgPool, 2, 2, 0),
                                   avg_padded, global, clip("global.clip", -0.5, 0.5), dense("fc", 5)});
  s.hardware.rows = a.rows;
  s.hardware.cols = a.cols;
  s.hardware.stream_bits = a.stream_bits;
  s.quant.activation_bits = s.quant.weight_bits = bits;
  s.mapping.engine_pools = s.mapping.fuse = true;
  return s;
}

}  // namespace

TEST_CASE("pools, folded clips and fused adds run on the engine exactly as the golden model", "[engine]") {
  for (const Array a : {Array{4, 8, 64}, Array{3, 5, 32}, Array{8, 16, 128}, Array{7, 12, 64}})
    for (const int bits : {8, 4}) {
      Scenario s = every_mode(a, bits);
      const NetworkPlan plan = plan_network(s);
      for (const char* name : {"stem", "max", "c1", "c2", "avg", "global", "fc"}) {
        INFO(name);
        CHECK(plan.layers[static_cast<size_t>(s.network.find_layer(name))]);
      }
      CHECK_FALSE(plan.layers[static_cast<size_t>(s.network.find_layer("avg_padded"))]);
      check_engine_equals_golden(s);
      s.hardware.accumulator_depth = 5;
      use_smallest_input_buffer(s);
      CHECK(check_engine_equals_golden(s) >= 5);
    }
}

TEST_CASE("the engine takes pools only with mapping.engine_pools, Rows <= Cols and one window count",
          "[engine]") {
  HardwareConfig h;
  const EngineConfig c = engine_config(h, QuantConfig{});
  Scenario s = inline_scenario(
      {8, 8, 16}, {pool("max_padded", LayerType::MaxPool, 3, 2, 1), pool("avg", LayerType::AvgPool, 2, 2, 0),
                   pool("avg_padded", LayerType::AvgPool, 3, 1, 1)});
  const auto& layers = s.network.layers;
  CHECK(engine_runs_pool(layers[0], c));
  CHECK(engine_runs_pool(layers[1], c));
  CHECK_FALSE(engine_runs_pool(layers[2], c));  // the padded edges' windows count fewer values
  CHECK(engine_pool_count(layers[1]) == 4);
  for (const bool on : {false, true}) {
    s.mapping.engine_pools = on;
    const NetworkPlan plan = plan_network(s);
    CHECK(plan.layers[0].has_value() == on);
    CHECK(plan.layers[1].has_value() == on);
    CHECK_FALSE(plan.layers[2]);
  }
  s.hardware.rows = 16;
  s.hardware.cols = 8;  // a pool drains Rows values a word into Cols-wide output words
  CHECK_FALSE(plan_network(s).layers[0]);
  // A pool plan: Blocks = Chunks = ceil(C / Rows), a pass per tap, no weights.
  s.hardware.rows = 3;
  s.hardware.cols = 5;
  const LayerPlan p = *plan_network(s).layers[0];
  CHECK(p.geometry.op == EngineOp::MaxPool);
  CHECK(p.geometry.chunks == 6);
  CHECK(p.geometry.blocks == 6);
  CHECK(p.geometry.passes == 9);
  CHECK(p.geometry.blob_bytes == 0);
  CHECK(p.dram.weights == 0);
  CHECK(p.macs == 0);
  std::int64_t cycles = 0;
  for (const Tile& t : p.tiles) cycles += 6 * 9 * std::max(t.pixels, kMinPassCycles);
  CHECK(p.issue_cycles == cycles);
}

TEST_CASE("an average pool runs on the engine only when the accumulator holds its sums", "[engine]") {
  // 8-bit data: a sum of count values needs pool_sum_bits(8, count) = 8 + (bit width of count) bits, signed
  // in AccBits: at AccBits 16, 121 taps (15 bits) fit and 144 (16 bits) do not; a max pool forms no sum.
  Scenario s = inline_scenario({36, 36, 8}, {pool("max144", LayerType::MaxPool, 12, 1, 0),
                                             pool("avg144", LayerType::AvgPool, 12, 1, 0),
                                             pool("avg121", LayerType::AvgPool, 11, 1, 0)});
  s.mapping.engine_pools = true;
  s.quant.activation_bits = 8;
  s.hardware.activation_bits = 8;
  s.hardware.accumulator_bits = 16;
  NetworkPlan plan = plan_network(s);
  CHECK(plan.layers[0]);
  CHECK_FALSE(plan.layers[1]);
  CHECK(plan.layers[2]);
  check_engine_equals_golden(s);
  s.hardware.accumulator_bits = 17;
  plan = plan_network(s);
  CHECK(plan.layers[1]);
}

TEST_CASE("mapping.fuse fuses an add into its later engine producer and a clip into its only producer",
          "[engine]") {
  Scenario s = every_mode({8, 16, 64}, 8);
  const auto index = [&](const char* name) { return s.network.find_layer(name); };
  const NetworkPlan plan = plan_network(s);
  const auto& layer = [&](const char* name) -> const LayerPlan& {
    return *plan.layers[static_cast<size_t>(index(name))];
  };
  CHECK(layer("stem").folded_clip == index("stem.clip"));
  CHECK(layer("c2").fused_add == index("res"));
  CHECK(layer("max").fused_add == -1);  // the earlier producer is operand b
  CHECK(layer("global").folded_clip == index("global.clip"));
  std::vector<int> fused(s.network.layers.size(), -1);
  fused[static_cast<size_t>(index("stem.clip"))] = index("stem");
  fused[static_cast<size_t>(index("res"))] = index("c2");
  fused[static_cast<size_t>(index("global.clip"))] = index("global");
  CHECK(plan.fused_into == fused);

  // Operand b is read once per tile in the output's spans, and counted once in the lower bound.
  Scenario unfused = s;
  unfused.mapping.fuse = false;
  const NetworkPlan unfused_plan = plan_network(unfused);
  const LayerPlan& alone = *unfused_plan.layers[static_cast<size_t>(index("c2"))];
  std::uint64_t spans = 0;
  for (const Tile& t : alone.tiles) spans += t.output_bytes;
  CHECK(layer("c2").dram.input == alone.dram.input + spans);
  CHECK(layer("c2").dram.lower_bound == alone.dram.lower_bound + 5 * 6 * 7);  // res: 5x6x7 at 8 bits
  CHECK(layer("c2").dram.output == alone.dram.output);

  // The fused producers write the add's and the clips' outputs; their own tensors take no DRAM.
  const MemoryLayout lay = plan_layout(s, plan);
  const MemoryLayout apart = plan_layout(unfused, plan_network(unfused));
  const auto output_of = [&](const MemoryLayout& l, const char* name) {
    return l.layers[static_cast<size_t>(index(name))].output;
  };
  CHECK(output_of(lay, "c2").addr == output_of(lay, "res").addr);
  CHECK(output_of(lay, "stem").addr == output_of(lay, "stem.clip").addr);
  CHECK(output_of(lay, "global").addr == output_of(lay, "global.clip").addr);
  CHECK(lay.end < apart.end);
  CHECK(output_of(apart, "c2").addr != output_of(apart, "res").addr);

  // Not fused: a producer another layer reads too, a CPU producer, an add whose later producer is a pool.
  Scenario shared = inline_scenario(
      {6, 6, 8}, {conv("a", 8, 1, 1, 0), conv("b", 8, 1, 1, 0), add("sum", "b", "a"), clip("b.clip", 0, 6),
                  pool("p", LayerType::MaxPool, 1, 1, 0), add("late_pool", "sum", "p")});
  shared.network.layers[3].inputs = {"b"};  // b is read by the add and the clip
  shared.network.infer_shapes();
  shared.mapping.fuse = true;
  const NetworkPlan none = plan_network(shared);  // pools stay on the CPU: "p" has no plan
  CHECK(none.fused_into == std::vector<int>(6, -1));
  shared.mapping.engine_pools = true;
  CHECK(plan_network(shared).fused_into == std::vector<int>(6, -1));
}

TEST_CASE("model.h rows carry the engine op, the pool divider, the clip limits and the fused add",
          "[engine]") {
  const Scenario s = every_mode({8, 16, 64}, 8);
  const SynthesizedModel m = synthesize(s);
  const NetworkPlan plan = plan_network(s);
  const auto row = [&](const char* name) {
    const size_t i = static_cast<size_t>(s.network.find_layer(name));
    return layer_table_row(m.model, i, plan.layers[i] ? &*plan.layers[i] : nullptr);
  };
  CHECK(row("stem").engine_op == 0);
  CHECK(row("max").engine_op == 1);
  CHECK(row("avg").engine_op == 2);
  CHECK(row("avg").pool_count == 4);
  CHECK(row("avg").pool_magic == 1);  // a power of two divides by its shift alone
  CHECK(row("avg").pool_shift == 2);
  CHECK(row("global").pool_count == 2 * 3);  // the whole 2x3 input of avg_padded
  const PoolDivider d = pool_divider(6, pool_sum_bits(8, 6));
  CHECK(row("global").pool_magic == d.magic);
  CHECK(row("global").pool_shift == d.shift);
  const dnnvp_layer_t stem_clip = row("stem.clip");
  CHECK(row("stem").clip == 1);  // a positive lower limit
  CHECK(row("stem").clip_lo == stem_clip.param[0]);
  CHECK(row("stem").clip_hi == stem_clip.param[1]);
  CHECK(row("c2").fused_add == s.network.find_layer("res"));
  CHECK(row("max").fused_add == DNNVP_NO_LAYER);
  CHECK(row("max").blob_bytes == 0);
  // A clip whose limits lie beyond the type's range is dropped: its producer saturates there anyway.
  Scenario wide = every_mode({8, 16, 64}, 8);
  set_clip_range(wide.network.layers[static_cast<size_t>(wide.network.find_layer("global.clip"))], -1e6, 1e6);
  const SynthesizedModel wm = synthesize(wide);
  const NetworkPlan wp = plan_network(wide);
  const size_t g = static_cast<size_t>(wide.network.find_layer("global"));
  CHECK(wp.layers[g]->folded_clip == wide.network.find_layer("global.clip"));
  CHECK(layer_table_row(wm.model, g, &*wp.layers[g]).clip == 0);
}

TEST_CASE("ResNet-50 1x1/2 downsamples gather only the rows they read: fewer tiles", "[engine][dram]") {
  const Scenario s = load_scenario(kSource + "/scenarios/resnet50.yaml");
  const EngineConfig c = engine_config(s.hardware, s.quant);
  const NetworkPlan today = plan_network(s, DramOptions{});
  const NetworkPlan gathered = plan_network(s, DramOptions{true, false, false});
  struct Expected {
    const char* layer;
    size_t tiles_today, tiles;
  };
  for (const Expected e : {Expected{"layer2.0.downsample", 6, 4}, Expected{"layer3.0.downsample", 3, 2},
                           Expected{"layer4.0.downsample", 2, 1}}) {
    INFO(e.layer);
    const Layer& l = s.network.layers[static_cast<size_t>(s.network.find_layer(e.layer))];
    const LayerPlan& before = plan_of(today, s, e.layer);
    const LayerPlan& p = plan_of(gathered, s, e.layer);
    CHECK(before.row_step == 1);
    CHECK(before.tiles.size() == e.tiles_today);
    CHECK(p.row_step == 2);
    CHECK(p.tiles.size() == e.tiles);
    const std::uint64_t row_bytes =
        std::uint64_t{static_cast<unsigned>(l.input_shapes[0].w)} * l.input_shapes[0].c;
    std::uint64_t band_bytes = 0;
    std::uint64_t descriptors = 0;
    for (const Tile& t : p.tiles) {
      // Band row y' is input row 2y': the output rows of the tile, one descriptor each.
      const std::int64_t first_row = t.first_pixel / l.output_shape.w;
      CHECK(t.band_y0 == first_row);
      CHECK(t.band_rows == (t.first_pixel + t.pixels - 1) / l.output_shape.w - first_row + 1);
      CHECK(t.band_rows <= DNNVP_ROW_STEP_MAX_BAND_ROWS);
      CHECK(std::int64_t{t.band_rows} * l.input_shapes[0].w * p.geometry.chunks <= c.input_half_words);
      CHECK(t.band_offset == 2 * row_bytes * static_cast<std::uint64_t>(t.band_y0));
      CHECK(t.band_pitch == 2 * row_bytes);
      CHECK(t.band_bytes == row_bytes * static_cast<std::uint64_t>(t.band_rows));
      band_bytes += t.band_bytes;
      descriptors += kDescriptorBytes * static_cast<std::uint64_t>(t.band_rows);
    }
    CHECK(band_bytes == row_bytes * static_cast<std::uint64_t>(l.output_shape.h));  // each read row once
    CHECK(p.dram.descriptors == descriptors);
    CHECK(p.dram.weights == p.tiles.size() * p.geometry.blob_bytes);
    CHECK(p.dram.lower_bound == before.dram.lower_bound);
    CHECK(p.dram.total() < before.dram.total());
  }
  // Every row a 3x3 stride-2 conv's taps read is in its band: nothing to skip.
  CHECK(plan_of(gathered, s, "layer2.0.conv2").row_step == 1);
  CHECK(gathered.dram.total() < today.dram.total());
}

TEST_CASE("row_step takes 1x1 stride-s convs, no vertical padding, rows of whole bytes", "[engine][dram]") {
  HardwareConfig h;
  h.rows = 4;
  h.cols = 4;
  QuantConfig q;
  EngineConfig c = engine_config(h, q);
  c.options.row_step = true;
  // Rows of 512 bytes: the 4 skipped rows outweigh the 5 gathered rows' descriptors.
  Layer l = conv("d", 8, 1, 2, 0);
  l.input_shapes = {{9, 16, 32}};
  l.output_shape = {5, 8, 8};
  CHECK(plan_layer(l, c).row_step == 2);
  // Rows of 30 bytes: 4 x 30 skipped bytes cost 5 x 36 descriptor bytes.
  Layer narrow = l;
  narrow.input_shapes = {{9, 5, 6}};
  narrow.output_shape = {5, 3, 8};
  CHECK(plan_layer(narrow, c).row_step == 1);
  REQUIRE(plan_layer_with(narrow, c, engine_geometry(narrow, c), 2, false, false));
  // At 4 bits a row of 5 x 3 values ends mid-byte: no gather.
  Layer odd = l;
  odd.input_shapes = {{9, 5, 3}};
  odd.output_shape = {5, 3, 8};
  q.activation_bits = 4;
  EngineConfig c4 = engine_config(h, q);
  c4.options.row_step = true;
  CHECK(plan_layer(odd, c4).row_step == 1);
  CHECK_THROWS_WITH(plan_layer_with(odd, c4, engine_geometry(odd, c4), 2, false, false),
                    Catch::Contains("row step 2 needs kernel height 1"));
  // A 3x3 stride-2 conv reads every row.
  Layer wide = conv("w", 8, 3, 2, 1);
  wide.input_shapes = {{9, 5, 6}};
  wide.output_shape = {5, 3, 8};
  CHECK(plan_layer(wide, c).row_step == 1);
  CHECK_THROWS(plan_layer_with(wide, c, engine_geometry(wide, c), 2, false, false));
  // The model.h row says so (1 today, 0 without a plan).
  Scenario s = inline_scenario({9, 16, 32}, {conv("d", 8, 1, 2, 0), conv("w", 8, 3, 2, 1)});
  s.hardware.rows = s.hardware.cols = 4;
  s.mapping = MappingConfig{false, false};
  const SynthesizedModel m = synthesize(s);
  const NetworkPlan gathered = plan_network(s, DramOptions{true, false, false});
  CHECK(layer_table_row(m.model, 0, &*gathered.layers[0]).row_step == 2);
  CHECK(layer_table_row(m.model, 1, &*gathered.layers[1]).row_step == 1);
  CHECK(layer_table_row(m.model, 0, nullptr).row_step == 0);
}

TEST_CASE("VGG-16 features.19: whole-buffer bands and block groups, 2 tiles for 4", "[engine][dram]") {
  const Scenario s = load_scenario(kSource + "/scenarios/vgg16.yaml");
  const EngineConfig c = engine_config(s.hardware, s.quant);
  const NetworkPlan before = plan_network(s, DramOptions{});
  const LayerPlan& today = plan_of(before, s, "features.19");
  const NetworkPlan all = plan_network(s, DramOptions{true, true, true});
  const LayerPlan& p = plan_of(all, s, "features.19");
  CHECK(today.tiles.size() == 4);
  CHECK(!today.band_whole);
  CHECK(p.band_whole);
  CHECK(p.block_group == 20);  // 8192 output words / 392 pixels (2 tiles of 14 whole rows)
  CHECK(p.tile_pixels == 392);
  CHECK(p.tiles.size() == 2);
  const Layer& l = s.network.layers[static_cast<size_t>(s.network.find_layer("features.19"))];
  bool beyond_half = false;
  for (const Tile& t : p.tiles) {
    const std::int64_t words = std::int64_t{t.band_rows} * l.input_shapes[0].w * p.geometry.chunks;
    CHECK(words <= 2 * c.input_half_words);
    beyond_half = beyond_half || words > c.input_half_words;
  }
  CHECK(beyond_half);
  CHECK(p.dram.weights == 2 * p.geometry.blob_bytes);
  CHECK(p.dram.total() < today.dram.total());
  // Whole-buffer bands wait for the previous tile, so only where their load is under 2 % of the issue
  // cycles: ResNet-50's layer3.0.conv1 (1x1, 512 channels) would halve its tiles but load for 6 %.
  const Scenario r = load_scenario(kSource + "/scenarios/resnet50.yaml");
  const Layer& conv1 = r.network.layers[static_cast<size_t>(r.network.find_layer("layer3.0.conv1"))];
  EngineConfig rc = engine_config(r.hardware, r.quant);
  rc.options = DramOptions{true, true, true};
  const LayerPlan chosen = plan_layer(conv1, rc);
  const std::optional<LayerPlan> whole = plan_layer_with(conv1, rc, chosen.geometry, 1, true, false);
  REQUIRE(whole);
  CHECK(whole->tiles.size() < chosen.tiles.size());
  CHECK(!chosen.band_whole);
}

TEST_CASE("ResNet-50 conv3 in block groups: one pixel tile, the blob read once", "[engine][dram]") {
  const Scenario s = load_scenario(kSource + "/scenarios/resnet50.yaml");
  const NetworkPlan before = plan_network(s, DramOptions{});
  const LayerPlan& today = plan_of(before, s, "layer3.1.conv3");
  const NetworkPlan grouped = plan_network(s, DramOptions{false, false, true});
  const LayerPlan& p = plan_of(grouped, s, "layer3.1.conv3");  // 14x14x256 -> 1024, a fused add
  CHECK(today.tiles.size() == 2);
  CHECK(today.block_group == 0);
  REQUIRE(p.fused_add >= 0);
  CHECK(p.block_group == 41);  // 8192 output words / 196 pixels, of 64 blocks: groups of 41 and 23
  CHECK(p.tile_pixels == 196);
  CHECK(p.tiles.size() == 1);
  CHECK(p.issue_cycles == today.issue_cycles);
  CHECK(p.dram.weights == p.geometry.blob_bytes);
  // A descriptor per pixel and group for the outputs and as many for operand b.
  CHECK(p.dram.descriptors == 2 * 196 * 2 * kDescriptorBytes);
  CHECK(p.dram.input == today.dram.input);  // today's two tiles are whole rows: no row is read twice
  CHECK(p.dram.total() < today.dram.total());
  // Where one tile holds every pixel already, groups gain nothing.
  CHECK(plan_of(grouped, s, "layer3.1.conv2").block_group == 0);
  CHECK(plan_of(grouped, s, "layer4.1.conv3").block_group == 0);
}

TEST_CASE("the engine model runs random layers with each DRAM option as golden", "[engine][dram]") {
  std::mt19937 gen(7);
  auto random = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  int ran[3] = {0, 0, 0};  // plans run with row_step, band_whole, block_group
  for (int trial = 0; trial < 16; ++trial) {
    const bool pointwise = trial % 2 == 0;
    const int kernel = pointwise ? 1 : 3;
    const int stride = pointwise ? random(2, 3) : random(1, 2);
    Layer l = conv("c", random(5, 40), kernel, stride, pointwise ? 0 : 1, Activation::Relu);
    const Shape in{random(3, 12), random(2, 9), random(1, 14)};
    const int bits = trial % 4 == 3 ? 4 : 8;
    const RandomConv data = random_conv(l, in, bits, gen);

    EngineConfig c = three_row_engine(4, random(4, 40), bits);
    // Buffers of a few rows and a few pixels' blocks, so every option has work.
    const EngineGeometry g = engine_geometry(l, c);
    c.input_half_words = std::int64_t{random(2, 4)} * in.w * g.chunks;
    c.output_half_words = std::int64_t{random(1, 6)} * g.blocks;
    const bool gathers = pointwise && std::int64_t{in.w} * in.c * bits % 8 == 0;
    for (int k = 0; k < 8; ++k) {
      const int row_step = (k & 1) ? stride : 1;
      if ((k & 1) && !gathers) continue;
      const std::optional<LayerPlan> plan = plan_layer_with(l, c, g, row_step, (k & 2) != 0, (k & 4) != 0);
      if (!plan) continue;
      INFO("trial " << trial << ": " << in.str() << " -> " << l.output_shape.str() << ", " << kernel << "x"
                    << kernel << "/" << stride << ", " << bits << " bits, row_step " << row_step
                    << ", band_whole " << plan->band_whole << ", block_group " << plan->block_group << ", P "
                    << plan->tile_pixels);
      const EngineLayerRun run = data.run(l, *plan, c, bits);
      CHECK(unpack(run.output, data.golden.data.size(), data.params.out.type) == data.golden.data);
      CHECK(run.counters.macs == l.macs());
      CHECK(run.dram.weights == plan->dram.weights);
      CHECK(run.dram.input == plan->dram.input);
      CHECK(run.dram.descriptors == plan->dram.descriptors);
      ran[0] += row_step > 1;
      ran[1] += plan->band_whole;
      ran[2] += plan->block_group > 0;
    }
  }
  CHECK(ran[0] > 0);
  CHECK(ran[1] > 0);
  CHECK(ran[2] > 0);
}

TEST_CASE("a fused add in block groups reads operand b per pixel, as golden", "[engine][dram]") {
  for (const int bits : {8, 4}) {
    // c2's 24 channels are 6 blocks of 4: groups of 4 and 2 blocks, the add's operand b is c1's output.
    Scenario s = inline_scenario(
        {6, 5, 6},
        {conv("c1", 24, 3, 1, 1), conv("c2", 24, 3, 1, 1, Activation::None), add("res", "c2", "c1")});
    s.hardware.rows = s.hardware.cols = 4;
    s.hardware.output_buffer_kib = 1;  // 128 output words: 21 pixels of all blocks, 30 of 4 blocks
    s.quant.activation_bits = s.quant.weight_bits = bits;
    s.mapping = MappingConfig{false, true};
    NetworkPlan plan = plan_network(s, DramOptions{});
    std::optional<LayerPlan>& c2 = plan.layers[1];
    REQUIRE(c2->fused_add == 2);
    CHECK(c2->tiles.size() == 2);
    const EngineConfig c = engine_config(s.hardware, s.quant);
    std::optional<LayerPlan> grouped =
        plan_layer_with(s.network.layers[1], c, c2->geometry, 1, false, true, true);
    REQUIRE(grouped);
    CHECK(grouped->block_group == 4);
    CHECK(grouped->tiles.size() == 1);
    grouped->fused_add = c2->fused_add;
    c2 = grouped;
    check_engine_equals_golden(s, plan);
  }
}

TEST_CASE("a depthwise conv runs as OP 3 only when the feed holds its padded row and its kernel",
          "[engine][depthwise]") {
  // Issue cycles of a 3x3 plan on 8x16: per tile of R rows, blocks x 2 sweeps of Rin = (R - 1) * stride + 3
  // input rows of Wp pixels.
  const auto sweeps = [](const LayerPlan& p, int stride, std::int64_t wp, int out_w) {
    std::int64_t cycles = 0;
    for (const Tile& t : p.tiles)
      cycles += p.geometry.blocks * 2 * ((t.pixels / out_w - 1) * stride + 3) * wp;
    return cycles;
  };
  // 8x16: C 48 (6 words), 3x3/1 pad 1 on 14x14: Wp = 16.
  Layer dw = conv("dw", 48, 3, 1, 1);
  dw.groups = 48;
  dw.input_shapes = {{14, 14, 48}};
  dw.output_shape = {14, 14, 48};
  EngineConfig c = engine_config(HardwareConfig{}, QuantConfig{});
  CHECK(dw_padded_width(dw) == 16);
  CHECK(!runs_depthwise(dw, c));  // no feed: block-diagonal
  c.dw_line_pixels = 15;
  CHECK(!runs_depthwise(dw, c));
  CHECK(plan_layer(dw, c).geometry.op == EngineOp::Conv);
  c.dw_line_pixels = 16;
  REQUIRE(runs_depthwise(dw, c));
  const LayerPlan p = plan_layer(dw, c);
  CHECK(p.geometry.op == EngineOp::Depthwise);
  CHECK(p.geometry.fold == 1);  // fold_max 1
  CHECK(p.geometry.chunks == 6);
  CHECK(p.geometry.blocks == 6);
  CHECK(p.geometry.passes == 2);  // 9 taps in sweeps of 8 + 1
  CHECK(p.geometry.group_chunks == 0);
  CHECK(p.issue_cycles == sweeps(p, 1, 16, 14));
  // F 2 (16 channels a block on 16 columns): 3 blocks and fewer cycles; F 4 would need 32 lanes.
  c.fold_max = 4;
  CHECK(fold_fits(dw, c, 2));
  CHECK(!fold_fits(dw, c, 4));
  const LayerPlan f2 = plan_layer(dw, c);
  CHECK(f2.geometry.fold == 2);
  CHECK(f2.geometry.chunks == 6);
  CHECK(f2.geometry.blocks == 3);
  CHECK(f2.issue_cycles == sweeps(f2, 1, 16, 14));
  CHECK(f2.issue_cycles < p.issue_cycles);
  // Stride 2 on 15x15 (pad 1): 8x8 outputs, Wp = 7 * 2 + 3 = 17.
  Layer s2 = dw;
  s2.stride_h = s2.stride_w = 2;
  s2.input_shapes = {{15, 15, 48}};
  s2.output_shape = {8, 8, 48};
  CHECK(dw_padded_width(s2) == 17);
  CHECK(!runs_depthwise(s2, c));
  c.dw_line_pixels = 17;
  const LayerPlan s2p = plan_layer(s2, c);
  CHECK(s2p.issue_cycles == sweeps(s2p, 2, 17, 8));
  // Not OP 3: a 5x5 kernel (beyond the feed's window), a channel multiplier, a grouped conv.
  Layer k5 = dw;
  k5.kernel_h = k5.kernel_w = 5;
  k5.padding = {2, 2, 2, 2};
  c.dw_line_pixels = 1000;
  CHECK(!runs_depthwise(k5, c));
  Layer multiplier = dw;
  multiplier.output_shape.c = 96;
  CHECK(!runs_depthwise(multiplier, c));
  Layer grouped = dw;
  grouped.groups = 24;
  CHECK(!runs_depthwise(grouped, c));
  // C 40 has no uniform chunk range per 16-channel block (block-diagonal refuses it), OP 3 runs it.
  Layer c40 = dw;
  c40.groups = 40;
  c40.input_shapes = {{14, 14, 40}};
  c40.output_shape = {14, 14, 40};
  CHECK(plan_layer(c40, c).geometry.op == EngineOp::Depthwise);
  c.dw_line_pixels = 0;
  CHECK_THROWS_WITH(plan_layer(c40, c), Catch::Contains("block 2 needs input channels 32..39"));
  c.dw_line_pixels = 1000;
  // A 3x1 kernel on a one-pixel-wide output: Wp 1, a line buffer of one pixel (the feed cannot); 1x3 can.
  Layer column = dw;
  column.kernel_w = 1;
  column.padding = {1, 0, 1, 0};
  column.input_shapes = {{14, 1, 48}};
  column.output_shape = {14, 1, 48};
  CHECK(dw_padded_width(column) == 1);
  CHECK(!runs_depthwise(column, c));
  Layer row = dw;
  row.kernel_h = 1;
  row.padding = {0, 1, 0, 1};
  row.input_shapes = {{1, 1, 48}};
  row.output_shape = {1, 1, 48};
  CHECK(runs_depthwise(row, c));
  // An output row beyond AccDepth cannot be a tile.
  c.accumulator_depth = 13;
  CHECK(!runs_depthwise(dw, c));
}

TEST_CASE("depthwise tiles are whole output rows within AccDepth, the output buffer and the band",
          "[engine][depthwise]") {
  Layer dw = conv("dw", 24, 3, 2, 1);
  dw.groups = 24;
  dw.input_shapes = {{21, 21, 24}};
  dw.output_shape = {11, 11, 24};
  EngineConfig c = engine_config(HardwareConfig{}, QuantConfig{});
  c.dw_line_pixels = 23;
  c.accumulator_depth = 40;  // 3 rows of 11
  const LayerPlan p = plan_layer(dw, c);
  REQUIRE(p.geometry.op == EngineOp::Depthwise);
  CHECK(p.tile_pixels == 33);
  REQUIRE(p.tiles.size() == 4);
  std::int64_t cycles = 0;
  for (const Tile& t : p.tiles) {
    CHECK(t.first_pixel % 11 == 0);
    CHECK(t.pixels % 11 == 0);
    cycles += 3 * 2 * ((t.pixels / 11 - 1) * 2 + 3) * 23;  // 3 blocks, 2 sweeps, Rin rows of Wp
  }
  CHECK(p.tiles.back().pixels == 22);
  CHECK(p.issue_cycles == cycles);
  // A band of 2 output rows (5 input rows x 21 pixels x 3 words) bounds P to 22.
  c.input_half_words = 5 * 21 * 3;
  CHECK(plan_layer(dw, c).tile_pixels == 22);
}

TEST_CASE("a depthwise layer takes fewer rows a tile than fit where its first band and last drain cost more",
          "[engine][depthwise]") {
  // MobileNetV2's features.8.dw on 8x16 at F 2: 14x14x384, 24 blocks of 16 channels, 2 sweeps. One tile of
  // 14 rows fits (16 band rows x 14 x 48 words), but its 75 KB band and 75 KB of outputs would move at
  // 8 bytes a cycle before and after its 12,288 issue cycles (about 31 k cycles); tiles of 4 rows issue
  // 16,896 cycles (halo rows) and overlap all but the first band and the last 2 rows' drain (about 22 k).
  Layer dw = conv("dw", 384, 3, 1, 1);
  dw.groups = 384;
  dw.input_shapes = {{14, 14, 384}};
  dw.output_shape = {14, 14, 384};
  HardwareConfig h;
  h.dw_line_pixels = 128;
  h.fold_max = 2;
  const EngineConfig c = engine_config(h, QuantConfig{});
  const LayerPlan p = plan_layer(dw, c);
  REQUIRE(p.geometry.op == EngineOp::Depthwise);
  CHECK(p.geometry.fold == 2);
  CHECK(p.tile_pixels == 4 * 14);
  CHECK(p.tiles.size() == 4);
  CHECK(p.issue_cycles == 24 * 2 * (3 * 6 + 4) * 16);
  // A 512-bit stream moves them 8 times faster, so halo rows cost more than they save: one tile.
  h.stream_bits = 512;
  CHECK(plan_layer(dw, engine_config(h, QuantConfig{})).tiles.size() == 1);
}

TEST_CASE(
    "the depthwise blob holds per block its params, then per sweep tap s*Rows + r of channel c at (r, c)",
    "[engine][depthwise]") {
  // C 6, 3x3 on a 4x8 array with a 32-bit stream: Cv 4, 2 blocks, 3 sweeps (taps 0-3, 4-7, 8).
  Layer l = conv("dw", 6, 3, 1, 1, Activation::None);
  l.groups = 6;
  l.input_shapes = {{5, 5, 6}};
  l.output_shape = {5, 5, 6};
  const LayerParams p = counting_params(6, 9);  // w[o][tap t] = 10o + t + 1
  HardwareConfig h;
  h.rows = 4;
  h.cols = 8;
  h.stream_bits = 32;
  h.dw_line_pixels = 7;
  const EngineConfig c = engine_config(h, QuantConfig{});
  const std::vector<std::uint8_t> blob = engine_blob(l, p, c);
  // Per block: params 8 x 9 = 72 bytes (18 beats), 3 sweeps of 4 x 8 bytes.
  REQUIRE(blob.size() == 2 * (72 + 3 * 32));
  REQUIRE(blob.size() == engine_geometry(l, c).blob_bytes);
  const auto le32 = [&](size_t at) { return le32_at(blob, at); };
  CHECK(le32(12) == 1003);  // bias of channel 3
  CHECK(le32(16) == 0);     // column 4: beyond Cv
  CHECK(le32(32) == 2000);  // multiplier of channel 0
  auto block = [&](size_t at) {
    return std::vector<std::uint8_t>(blob.begin() + at, blob.begin() + at + 32);
  };
  // Block 0 sweep 0: row r = tap r of channels 0..3, columns 4..7 zero.
  CHECK(block(72) == std::vector<std::uint8_t>{1, 11, 21, 31, 0, 0, 0, 0, 2, 12, 22, 32, 0, 0, 0, 0,
                                               3, 13, 23, 33, 0, 0, 0, 0, 4, 14, 24, 34, 0, 0, 0, 0});
  // Block 0 sweep 2: tap 8 on row 0, rows 1..3 beyond the taps.
  std::vector<std::uint8_t> last(32, 0);
  for (int col = 0; col < 4; ++col) last[static_cast<size_t>(col)] = static_cast<std::uint8_t>(10 * col + 9);
  CHECK(block(72 + 64) == last);
  // Block 1: channels 4 and 5, the rest zero.
  CHECK(le32(168) == 1004);
  CHECK(le32(176) == 0);
  CHECK(block(168 + 72) == std::vector<std::uint8_t>{41, 51, 0, 0, 0, 0, 0, 0, 42, 52, 0, 0, 0, 0, 0, 0,
                                                     43, 53, 0, 0, 0, 0, 0, 0, 44, 54, 0, 0, 0, 0, 0, 0});
}

TEST_CASE(
    "depthwise layers run as OP 3 on the engine exactly as the golden model: strides, padding, F, clips",
    "[engine][depthwise]") {
  struct Case {
    Array array;
    Shape input;
    int kernel, stride, pad, fold_max, fold;
  };
  // C rarely a multiple of Rows or Cv; 9 taps in 2, 3 or 5 sweeps, 4 taps in 1; F 1, 2 and 4.
  for (const Case& k :
       {Case{{8, 16, 64}, {9, 11, 20}, 3, 1, 1, 1, 1}, Case{{8, 16, 64}, {10, 9, 20}, 3, 2, 1, 2, 2},
        Case{{4, 8, 32}, {7, 6, 13}, 3, 1, 1, 2, 2}, Case{{4, 12, 32}, {8, 7, 10}, 3, 2, 0, 1, 1},
        Case{{2, 4, 32}, {6, 5, 7}, 3, 1, 1, 2, 2}, Case{{4, 8, 32}, {6, 6, 9}, 2, 2, 0, 2, 2},
        Case{{3, 12, 32}, {5, 7, 11}, 3, 1, 1, 4, 4}})
    for (const int bits : {8, 4}) {
      // ReLU6 as a clip folded into the depthwise layer (mapping.fuse), which has no activation of its own.
      Layer dw = conv("dw", k.input.c, k.kernel, k.stride, k.pad, Activation::None);
      dw.groups = k.input.c;
      Scenario s = inline_scenario(
          k.input, {conv("stem", k.input.c, 1, 1, 0), dw, clip("dw.clip", 0, 6), conv("after", 8, 1, 1, 0)});
      s.hardware.rows = k.array.rows;
      s.hardware.cols = k.array.cols;
      s.hardware.stream_bits = k.array.stream_bits;
      s.hardware.fold_max = k.fold_max;
      s.hardware.dw_line_pixels = 64;
      s.mapping.fuse = true;
      s.quant.activation_bits = s.quant.weight_bits = bits;
      INFO("C " << k.input.c << " " << k.kernel << "x" << k.kernel << "/" << k.stride << " pad " << k.pad
                << " on " << k.array.rows << "x" << k.array.cols << ", " << bits << " bits");
      const NetworkPlan plan = plan_network(s);
      const LayerPlan& p = plan_of(plan, s, "dw");
      REQUIRE(p.geometry.op == EngineOp::Depthwise);
      CHECK(p.geometry.fold == k.fold);
      CHECK(p.folded_clip == s.network.find_layer("dw.clip"));
      const SynthesizedModel m = synthesize(s);
      const dnnvp_layer_t row = layer_table_row(m.model, 1, &p);
      CHECK(row.engine_op == 3);
      CHECK(row.passes ==
            static_cast<std::uint32_t>((k.kernel * k.kernel + k.array.rows - 1) / k.array.rows));
      CHECK(row.blocks == row.chunks / row.fold);
      CHECK(row.clip == 1);
      check_engine_equals_golden(s);
      // Several whole-row tiles, bands bounded by the smallest input buffer.
      s.hardware.accumulator_depth = 2 * s.network.layers[1].output_shape.w;
      use_smallest_input_buffer(s);
      CHECK(check_engine_equals_golden(s) >= 1);
    }
}

TEST_CASE("MobileNetV2 with the depthwise feed runs its 17 depthwise convs as OP 3, exactly as golden",
          "[engine][depthwise]") {
  Scenario s;
  s.file = "inline.yaml";
  s.name = "mobilenet_v2";
  s.network = load_zoo_network("mobilenet_v2", "test", 0, "network.zoo");
  s.mapping.engine_pools = s.mapping.fuse = true;
  const NetworkPlan block_diagonal = plan_network(s);
  s.hardware.dw_line_pixels = 114;  // the 112-wide 3x3/1 layers' padded rows
  s.hardware.fold_max = 2;
  const NetworkPlan plan = plan_network(s);
  std::int64_t before = 0, after = 0;
  int depthwise = 0;
  for (size_t i = 0; i < s.network.layers.size(); ++i) {
    if (s.network.layers[i].groups == 1) continue;
    INFO(s.network.layers[i].name);
    CHECK(plan.layers[i]->geometry.op == EngineOp::Depthwise);
    CHECK(plan.layers[i]->geometry.fold == 2);
    before += block_diagonal.layers[i]->issue_cycles;
    after += plan.layers[i]->issue_cycles;
    ++depthwise;
  }
  CHECK(depthwise == 17);
  CHECK(plan.macs == s.network.macs());
  // The depthwise layers' issue cycles drop 2.59 M -> 0.56 M (45 % of the array at stride 1, 13 % at
  // stride 2, where the feed streams about 4 input pixels per output pixel).
  INFO("depthwise issue cycles " << before << " -> " << after << ", whole bound "
                                 << block_diagonal.utilisation_bound << " -> " << plan.utilisation_bound);
  CHECK(after * 4 < before);
  CHECK(plan.utilisation_bound > 0.6);
  // The whole network through the engine model on a 32x32 input (the same layers, smaller maps).
  s.network.input_shape = {32, 32, 3};
  s.network.infer_shapes();
  check_engine_equals_golden(s);
}

TEST_CASE("Block-group tiles have at most the runtime's descriptor rings' pixels", "[engine][dram]") {
  // 64x64 pixels of a 1x1 conv: AccDepth 4096 and the band (32 rows of 64 pixels x 8 chunks fill a half)
  // would allow 2048-pixel tiles; the runtime scatters a tile's output with one descriptor per pixel.
  Scenario s = inline_scenario({64, 64, 64}, {conv("c1", 256, 1, 1, 0)});
  s.hardware.accumulator_depth = 4096;
  const EngineConfig c = engine_config(s.hardware, s.quant);
  const Layer& l = s.network.layers[0];
  const std::optional<LayerPlan> grouped = plan_layer_with(l, c, engine_geometry(l, c, 1), 1, false, true);
  REQUIRE(grouped);
  CHECK(grouped->tile_pixels == DNNVP_BLOCK_GROUP_MAX_PIXELS);
  CHECK(grouped->block_group == 8);  // 8192 output words / 1024 pixels, of 16 blocks
}

TEST_CASE(
    "the depthwise harness scenario runs its depthwise convs as OP 3 in whole-row tiles, exactly as golden",
    "[engine][depthwise]") {
  const Scenario s = load_scenario(kSource + "/tests/rtl/engine/scenarios/dw_mobilenet_block_4x8.yaml");
  const NetworkPlan plan = plan_network(s);
  for (const char* name : {"b1.dw", "b2.dw", "b3.dw"}) {
    INFO(name);
    const LayerPlan& p = plan_of(plan, s, name);
    CHECK(p.geometry.op == EngineOp::Depthwise);
    CHECK(p.geometry.fold == 2);
  }
  CHECK(plan_of(plan, s, "b1.dw").tiles.size() == 4);  // 4 rows of 13 pixels a tile
  CHECK(plan_of(plan, s, "b2.dw").tiles.size() == 2);  // 6 rows of 7
  CHECK(plan_of(plan, s, "b1.dw").folded_clip == s.network.find_layer("b1.dw.relu6"));
  CHECK(plan_of(plan, s, "b1.project").fused_add == s.network.find_layer("b1.add"));
  CHECK(check_engine_equals_golden(s) >= 3);
}

TEST_CASE("Block groups are planned only where a group's compute per pixel hides its descriptor walk",
          "[engine][dram]") {
  // A 1x1 conv of one chunk (1 pass) into 32 blocks on 32x32 pixels: groups of 8 blocks compute 8 cycles
  // a pixel, far less than the S2MM's descriptor per pixel (kDescriptorNs: 50 cycles at 250 MHz).
  Scenario s = inline_scenario({32, 32, 8}, {conv("c1", 512, 1, 1, 0)});
  EngineConfig c = engine_config(s.hardware, s.quant);
  const Layer& l = s.network.layers[0];
  const EngineGeometry g = engine_geometry(l, c, 1);
  REQUIRE(g.passes == 1);
  CHECK(!plan_layer_with(l, c, g, 1, false, true));
  c.clock_mhz = 25;  // 5 cycles a descriptor: hidden
  const std::optional<LayerPlan> grouped = plan_layer_with(l, c, g, 1, false, true);
  REQUIRE(grouped);
  CHECK(grouped->block_group == 8);  // 8192 output words / 1024 pixels
}

// The kx-im2col stem (generators/stem.h, docs/engine.md "Stem"): X' element by element, which first layers
// get the layout, what the plan and the model.h row say about them, and that the engine model running the
// 7x1 view on X' gives the original layer's golden output.
#include <catch2/catch.hpp>

#include <random>

#include "engine_blob.h"
#include "engine_model.h"
#include "engine_table.h"
#include "inline_scenario.h"
#include "pack.h"
#include "stem.h"
#include "synthesize.h"

using namespace dnnvp;

namespace {

Layer conv_layer(const std::string& name, int filters, int kh, int kw, int sh, int sw, Padding pad) {
  Layer l;
  l.name = name;
  l.type = LayerType::Conv;
  l.filters = filters;
  l.kernel_h = kh;
  l.kernel_w = kw;
  l.stride_h = sh;
  l.stride_w = sw;
  l.padding = pad;
  l.bias = true;
  l.activation = Activation::Relu;
  return l;
}

// ResNet-50's stem alone: 7x7/2, padding 3, 3 -> 64 channels on a 224 x 224 image.
Scenario resnet_stem(int rows, int cols, int stream_bits) {
  Scenario s = inline_scenario({224, 224, 3}, {conv_layer("conv1", 64, 7, 7, 2, 2, {3, 3, 3, 3})});
  s.hardware.rows = rows;
  s.hardware.cols = cols;
  s.hardware.stream_bits = stream_bits;
  return s;
}

struct RandomStem {
  std::mt19937 gen{12};
  int operator()(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  // A first conv of random window, stride 1 or 2, asymmetric padding and 1 or 3 input channels.
  Scenario next() {
    const int cin = (*this)(0, 1) == 0 ? 1 : 3;
    const int kh = (*this)(1, 7);
    const int kw = (*this)(2, 7);
    const Padding pad{(*this)(0, kh - 1), (*this)(0, kw - 1), (*this)(0, kh - 1), (*this)(0, kw - 1)};
    const int h = (*this)(std::max(1, kh - pad.top - pad.bottom), 13);
    const int w = (*this)(std::max(1, kw - pad.left - pad.right), 13);
    const int stride = (*this)(1, 2);
    return inline_scenario({h, w, cin}, {conv_layer("c", (*this)(1, 20), kh, kw, stride, stride, pad)});
  }
};

}  // namespace

TEST_CASE("X' holds, for every output column and tap kx, the image's pixel or the zero point", "[stem]") {
  RandomStem random;
  for (int trial = 0; trial < 200; ++trial) {
    const Scenario s = random.next();
    const Layer& l = s.network.layers[0];
    const Shape in = l.input_shapes[0];
    const int ow = l.output_shape.w;
    INFO("trial " << trial << ": " << in.str() << ", kernel " << l.kernel_h << "x" << l.kernel_w
                  << ", stride " << l.stride_w << ", pad left " << l.padding.left << " right "
                  << l.padding.right);
    Tensor x(in);
    for (auto& v : x.data) v = random(-128, 127);
    const std::int32_t zero_point = random(-5, 5);
    const Tensor xp = stem_im2col_input(x, l, zero_point);
    REQUIRE(xp.shape == Shape{in.h, ow, l.kernel_w * in.c});
    std::int64_t outside = 0;
    for (int y = 0; y < in.h; ++y)
      for (int ox = 0; ox < ow; ++ox)
        for (int kx = 0; kx < l.kernel_w; ++kx)
          for (int c = 0; c < in.c; ++c) {
            const int ix = ox * l.stride_w + kx - l.padding.left;
            const bool inside = ix >= 0 && ix < in.w;
            outside += !inside;
            const std::size_t at = ((static_cast<std::size_t>(y) * ow + ox) * l.kernel_w + kx) * in.c + c;
            const std::size_t from = (static_cast<std::size_t>(y) * in.w + ix) * in.c + c;
            CHECK(xp.data[at] == (inside ? x.data[from] : zero_point));
          }
    CHECK((outside > 0) ==
          (l.padding.left > 0 || (ow - 1) * l.stride_w + l.kernel_w - l.padding.left > in.w));
  }
}

TEST_CASE("the engine model runs the kh x 1 view on X' exactly as the golden model runs the layer",
          "[stem]") {
  RandomStem random;
  int stems = 0;
  for (int trial = 0; trial < 60; ++trial) {
    Scenario s = random.next();
    s.hardware.rows = random(0, 1) == 0 ? 4 : 8;
    s.hardware.cols = 8;
    s.hardware.accumulator_depth = random(3, 40);
    s.quant.activation_bits = s.quant.weight_bits = random(0, 1) == 0 ? 4 : 8;
    const Layer& l = s.network.layers[0];
    const EngineConfig c = engine_config(s.hardware, s.quant);
    const std::optional<LayerPlan> plan = plan_stem(s, c);
    const int cin = l.input_shapes[0].c;
    const bool packs_fewer =
        (l.kernel_w * cin + c.rows - 1) / c.rows < l.kernel_w * ((cin + c.rows - 1) / c.rows);
    CHECK(plan.has_value() == packs_fewer);
    if (!plan) continue;
    ++stems;
    INFO("trial " << trial << ": " << l.input_shapes[0].str() << ", kernel " << l.kernel_h << "x"
                  << l.kernel_w << ", stride " << l.stride_h << ", " << s.quant.activation_bits << "-bit on "
                  << c.rows << "x" << c.cols << ", P " << plan->tile_pixels);
    const SynthesizedModel m = synthesize(s);
    const LayerParams& p = m.model.params[0];
    NetworkPlan net;
    net.layers = {plan};
    const Tensor xp = engine_input(m.input, m.model, net);
    const Layer& view = plan->engine_layer(l);
    const EngineLayerRun run =
        run_engine_layer(view, *plan, c,
                         {m.model.input.type, m.model.input.zero_point, p.out.type, p.out.zero_point,
                          p.rounding, std::nullopt},
                         engine_blob(view, p, c), pack(xp.data, m.model.input.type.bits));
    CHECK(unpack(run.output, l.output_shape.elements(), p.out.type) == m.outputs[0].data);
    CHECK(run.counters.macs == l.macs());
  }
  CHECK(stems > 20);
}

TEST_CASE("ResNet-50's stem runs as a 7x1 stride-(2, 1) conv on 21 channels, its row and plan say so",
          "[stem]") {
  for (const auto& [rows, cols, stream] : {std::tuple{8, 16, 64}, std::tuple{7, 96, 256}}) {
    INFO(rows << "x" << cols);
    Scenario s = resnet_stem(rows, cols, stream);
    const NetworkPlan on = plan_network(s);
    s.mapping.stem_im2col = false;
    const NetworkPlan off = plan_network(s);
    REQUIRE(on.layers[0]->engine_view);
    CHECK_FALSE(off.layers[0]->engine_view);
    const Layer& v = *on.layers[0]->engine_view;
    CHECK(v.input_shapes[0] == Shape{224, 112, 21});
    CHECK(v.output_shape == Shape{112, 112, 64});
    CHECK(v.macs() == s.network.layers[0].macs());
    CHECK(on.layers[0]->geometry.chunks == (21 + rows - 1) / rows);
    CHECK(on.layers[0]->geometry.passes == 7 * on.layers[0]->geometry.chunks);
    CHECK(on.issue_cycles < off.issue_cycles);
    CHECK(engine_input_shape(s.network, on) == Shape{224, 112, 21});
    CHECK(engine_input_shape(s.network, off) == Shape{224, 224, 3});

    // DRAM: the bands move X' (each row 112 x 21 values instead of 224 x 3); the lower bound still counts
    // the image once.
    const DramBytes& d_on = on.layers[0]->dram;
    const DramBytes& d_off = off.layers[0]->dram;
    CHECK(d_on.input * 224 * 3 == d_off.input * 112 * 21);
    CHECK(d_on.lower_bound - on.layers[0]->geometry.blob_bytes ==
          d_off.lower_bound - off.layers[0]->geometry.blob_bytes);

    const SynthesizedModel m = synthesize(s);
    const dnnvp_layer_t row = layer_table_row(m.model, 0, &*on.layers[0]);
    CHECK(std::tuple{row.kernel_h, row.kernel_w, row.stride_h, row.stride_w} == std::tuple{7, 1, 2, 1});
    CHECK(std::tuple{row.pad_top, row.pad_left, row.pad_bottom, row.pad_right} == std::tuple{3, 0, 3, 0});
    CHECK(std::tuple{row.in_shape.h, row.in_shape.w, row.in_shape.c} == std::tuple{224u, 112u, 21u});
    CHECK(std::tuple{row.out_shape.h, row.out_shape.w, row.out_shape.c} == std::tuple{112u, 112u, 64u});
    CHECK(row.macs == static_cast<std::uint64_t>(s.network.layers[0].macs()));
  }
}

TEST_CASE("only a dense first conv that alone reads the input and packs fewer words gets the layout",
          "[stem]") {
  const auto stem_of = [](const Scenario& s) {
    return plan_stem(s, engine_config(s.hardware, s.quant)).has_value();
  };
  Scenario s = resnet_stem(8, 16, 64);
  CHECK(stem_of(s));
  s.mapping.stem_im2col = false;
  CHECK_FALSE(stem_of(s));
  // 3x3 on 3 channels: 9 channels are 3 words of 4 rows, as many as 3 taps of one word.
  Scenario narrow = inline_scenario({16, 16, 3}, {conv_layer("c", 8, 3, 3, 1, 1, {1, 1, 1, 1})});
  narrow.hardware.rows = 4;
  narrow.hardware.cols = 8;
  CHECK_FALSE(stem_of(narrow));
  narrow.hardware.rows = 8;
  CHECK(stem_of(narrow));
  // 16 channels fill whole words already.
  CHECK_FALSE(stem_of(inline_scenario({16, 16, 16}, {conv_layer("c", 8, 3, 3, 1, 1, {1, 1, 1, 1})})));
  CHECK_FALSE(stem_of(inline_scenario({16, 16, 3}, {conv_layer("c", 8, 3, 1, 1, 1, {1, 0, 1, 0})})));  // kw 1
  Layer grouped = conv_layer("c", 3, 3, 3, 1, 1, {1, 1, 1, 1});
  grouped.groups = 3;
  CHECK_FALSE(stem_of(inline_scenario({16, 16, 3}, {grouped})));
  // A second reader of the input (a shortcut) would need the image itself.
  Layer shortcut = conv_layer("shortcut", 8, 1, 1, 1, 1, {});
  shortcut.inputs = {"input"};
  CHECK_FALSE(
      stem_of(inline_scenario({16, 16, 3}, {conv_layer("c", 8, 3, 3, 1, 1, {1, 1, 1, 1}), shortcut})));
}

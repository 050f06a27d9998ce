// What the importer makes of each form (QDQ, QOperator, QONNX) and of the scenario keys around it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "error.h"
#include "golden.h"
#include "image_batch.h"
#include "model_builder.h"
#include "npy.h"
#include "onnx_model.h"
#include "scenario.h"
#include "synthesize.h"

namespace {

namespace fs = std::filesystem;
using dnnvp::ImportedModel;
using dnnvp::LayerType;
using dnnvp::Tensor;
using onnx_test::attr;
using onnx_test::attr_float;
using onnx_test::ModelBuilder;
using T = onnx::TensorProto;

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "onnx_forms" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("onnx import: the QDQ model becomes conv, maxpool, conv, add, flatten, dense named by its nodes",
          "[onnx]") {
  const ImportedModel m = dnnvp::import_onnx(onnx_test::qdq_model().model, "dir/my model.onnx");
  const auto& layers = m.model.network.layers;
  REQUIRE(layers.size() == 6);
  const LayerType types[] = {LayerType::Conv, LayerType::MaxPool, LayerType::Conv,
                             LayerType::Add,  LayerType::Flatten, LayerType::Dense};
  const char* names[] = {"features_conv.1", "pool", "conv2", "residual", "flatten", "classifier"};
  for (size_t i = 0; i < layers.size(); ++i) {
    CHECK(layers[i].type == types[i]);
    CHECK(layers[i].name == names[i]);
    CHECK(m.model.params[i].rounding == dnnvp::Rounding::HalfEven);
  }
  CHECK(layers[0].activation == dnnvp::Activation::Relu);
  CHECK(m.model.network.name == "my_model");
  CHECK(m.model.network.input_shape == dnnvp::Shape{6, 6, 3});
  CHECK(m.input_dims == std::vector<std::int64_t>{-1, 3, 6, 6});
  CHECK(m.float_input);
  CHECK(m.input.scale(0) == Approx(0.02));
  CHECK(m.input.zero_point(0) == 128);
  CHECK(m.output.zero_point(0) == 3);
  CHECK(m.output.type.is_signed);
  // The int32 bias is taken as stored; the float one quantised with the accumulator scale, ties to even.
  CHECK(m.model.params[0].bias == std::vector<std::int32_t>{300, -200, 100, -50});
  const double acc2 = static_cast<double>(0.03f) * static_cast<double>(0.01f);
  CHECK(m.model.params[2].bias[0] ==
        static_cast<std::int32_t>(std::nearbyint(static_cast<double>(0.1f) / acc2)));
  // Each multiplier/shift pair approximates its float ratio, and the error is reported per channel.
  for (int o = 0; o < 4; ++o) {
    const double r = static_cast<double>(0.02f) *
                     static_cast<double>(std::vector<float>{0.004f, 0.006f, 0.005f, 0.007f}[o]) /
                     static_cast<double>(0.03f);
    const dnnvp::Requant rq = m.model.params[0].requant[o];
    CHECK(rq.multiplier == dnnvp::requant_for_scale(r, false).multiplier);
    CHECK(rq.shift == dnnvp::requant_for_scale(r, false).shift);
    CHECK(m.multiplier_error[0][o] == std::fabs(std::ldexp(rq.multiplier, -rq.shift) - r) / r);
    CHECK(m.multiplier_error[0][o] < 1e-9);
  }
  CHECK(m.multiplier_error[3].size() == 2);  // the add's two operands
  CHECK(m.multiplier_error[1].empty());
}

TEST_CASE("onnx import: a dense layer after a flatten reads ONNX's CHW order from the engine's HWC tensor",
          "[onnx]") {
  // x [1, 2, 2, 2] -> identity Gemm after Flatten: y[k] must be x's k-th value in CHW order.
  ModelBuilder b;
  b.input("x", T::INT8, {1, 2, 2, 2});
  b.output("y");
  b.quant("a", 1.0f, T::INT8, 0);
  b.node("DequantizeLinear", {"x", "a_s", "a_z"}, {"xd"}, "in_dq");
  b.node("Flatten", {"xd"}, {"f"}, "flat");
  std::vector<std::int32_t> eye(64, 0);
  for (int k = 0; k < 8; ++k) eye[static_cast<size_t>(k * 8 + k)] = 1;
  b.ints("w", T::INT8, {8, 8}, eye);
  b.quant("w", 1.0f, T::INT8, 0);
  b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "w_dq");
  attr(b.node("Gemm", {"f", "wd"}, {"g"}, "fc"), "transB", 1);
  b.node("QuantizeLinear", {"g", "a_s", "a_z"}, {"y"}, "out_q");
  const ImportedModel m = dnnvp::import_onnx(b.model, "chw.onnx");
  Tensor in(m.model.network.input_shape);
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<std::int32_t>(i) * 3 - 10;
  const Tensor out = dnnvp::run_network(m.model, in).back();
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) {
        INFO("c " << c << " y " << y << " x " << x);
        CHECK(out.at(0, 0, (c * 2 + y) * 2 + x) == in.at(y, x, c));
      }
}

TEST_CASE("onnx import: uint8 weights with a zero point are folded into signed weights", "[onnx]") {
  ModelBuilder b(10);
  b.input("x", T::UINT8, {1, 2, 3, 3});
  b.output("y");
  b.quant("x", 0.1f, T::UINT8, 100);
  b.quant("w", 0.05f, T::UINT8, 128);
  b.quant("y", 0.2f, T::UINT8, 7);
  const std::vector<std::int32_t> w = onnx_test::pattern(3 * 2 * 2 * 2, 1, 255, 9);
  b.ints("w", T::UINT8, {3, 2, 2, 2}, w);
  b.node("QLinearConv", {"x", "x_s", "x_z", "w", "w_s", "w_z", "y_s", "y_z"}, {"y"}, "qconv");
  const ImportedModel m = dnnvp::import_onnx(b.model, "fold.onnx");
  const auto& p = m.model.params.at(0);
  CHECK(p.weight_type.is_signed);
  CHECK(p.weight_type.bits == 8);
  CHECK(m.weight_bits == 8);
  // OIHW -> OHWI, minus the zero point.
  for (int o = 0; o < 3; ++o)
    for (int c = 0; c < 2; ++c)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x)
          CHECK(p.weights[static_cast<size_t>(((o * 2 + y) * 2 + x) * 2 + c)] ==
                w[static_cast<size_t>(((o * 2 + c) * 2 + y) * 2 + x)] - 128);
  CHECK(m.model.input.zero_point == 100);
  CHECK(p.out.zero_point == 7);
}

TEST_CASE(
    "onnx import: ConvInteger + Cast + Mul + QuantizeLinear is a conv whose ratio is the Mul's scale over "
    "y's",
    "[onnx]") {
  ModelBuilder b(13);
  b.input("x", T::UINT8, {1, 1, 4, 4});
  b.output("y");
  b.ints("w", T::INT8, {2, 1, 2, 2}, {1, -2, 3, -4, 5, 6, -7, 8});
  b.ints("xz", T::UINT8, {}, {5});
  b.node("ConvInteger", {"x", "w", "xz"}, {"acc"}, "ci");
  attr(b.node("Cast", {"acc"}, {"accf"}, "cast"), "to", static_cast<std::int64_t>(T::FLOAT));
  b.floats("m", {}, {0.0123f});
  b.node("Mul", {"accf", "m"}, {"real"}, "scale");
  b.node("Relu", {"real"}, {"act"}, "relu");
  b.quant("y", 0.05f, T::UINT8, 0);
  b.node("QuantizeLinear", {"act", "y_s", "y_z"}, {"y"}, "q");
  const ImportedModel m = dnnvp::import_onnx(b.model, "ci.onnx");
  REQUIRE(m.model.network.layers.size() == 1);
  CHECK_FALSE(m.output_is_accumulator);
  CHECK(m.model.network.layers[0].activation == dnnvp::Activation::Relu);
  const dnnvp::Requant want =
      dnnvp::requant_for_scale(static_cast<double>(0.0123f) / static_cast<double>(0.05f), false);
  CHECK(m.model.params[0].requant[0].multiplier == want.multiplier);
  CHECK(m.model.params[0].requant[0].shift == want.shift);
  CHECK(m.model.input.zero_point == 5);
}

TEST_CASE("onnx import: BatchNormalization after a Conv folds into its scale and bias", "[onnx]") {
  ModelBuilder b(13);
  b.input("x", T::FLOAT, {1, 1, 3, 3});
  b.output("y");
  b.quant("a", 0.1f, T::INT8, 0);
  const std::string x = b.qdq("x", "a");
  b.ints("w", T::INT8, {2, 1, 1, 1}, {10, -20});
  b.quant("w", 0.02f, T::INT8, 0);
  b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "w_dq");
  b.node("Conv", {x, "wd"}, {"c"}, "conv");
  b.floats("gamma", {2}, {2.0f, 0.5f});
  b.floats("beta", {2}, {0.3f, -0.1f});
  b.floats("mean", {2}, {0.1f, 0.2f});
  b.floats("var", {2}, {4.0f, 1.0f});
  auto& bn = b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"n"}, "bn");
  attr_float(bn, "epsilon", 0.0f);
  b.quant("y", 0.05f, T::INT8, 1);
  b.node("QuantizeLinear", {"n", "y_s", "y_z"}, {"y"}, "q");
  const ImportedModel m = dnnvp::import_onnx(b.model, "bn.onnx");
  const auto& l = m.model.network.layers.at(0);
  CHECK(l.batchnorm_folded);
  const double gammas[] = {2.0, 0.5}, betas[] = {0.3f, -0.1f}, means[] = {0.1f, 0.2f}, vars[] = {4.0, 1.0};
  for (int o = 0; o < 2; ++o) {
    const double a = gammas[o] / std::sqrt(vars[o]);
    const double acc = static_cast<double>(0.1f) * static_cast<double>(0.02f) * a;
    const dnnvp::Requant want = dnnvp::requant_for_scale(acc / static_cast<double>(0.05f), false);
    CHECK(m.model.params[0].requant[o].multiplier == want.multiplier);
    CHECK(m.model.params[0].bias[o] ==
          static_cast<std::int32_t>(std::nearbyint((betas[o] - a * means[o]) / acc)));
  }
}

TEST_CASE("onnx import: QONNX Quant at 4 bits with a narrow range keeps its limits through a clip layer",
          "[onnx]") {
  ModelBuilder b(13);
  b.input("x", T::FLOAT, {1, 2, 3, 3});
  b.output("y");
  const std::string dom = "qonnx.custom_op.general";
  auto quant = [&](const std::string& x, const std::string& out, const std::string& scale, int bits,
                   bool is_signed, bool narrow) {
    b.floats(out + "_bw", {}, {static_cast<float>(bits)});
    b.floats(out + "_zp", {}, {0.0f});
    auto& n = b.node("Quant", {x, scale, out + "_zp", out + "_bw"}, {out}, out + "_node", dom);
    attr(n, "signed", std::int64_t{is_signed});
    attr(n, "narrow", std::int64_t{narrow});
    auto* mode = n.add_attribute();
    mode->set_name("rounding_mode");
    mode->set_type(onnx::AttributeProto::STRING);
    mode->set_s("ROUND");
  };
  b.floats("sx", {}, {1.0f / 16});
  quant("x", "xq", "sx", 8, true, false);
  b.floats("wf", {3, 2, 1, 1}, {0.5f, -0.25f, 1.0f, 0.75f, -1.0f, 0.125f});
  b.floats("sw", {3, 1, 1, 1}, {1.0f / 8, 1.0f / 8, 1.0f / 4});
  quant("wf", "wq", "sw", 4, true, true);
  b.node("Conv", {"xq", "wq"}, {"c"}, "conv");
  b.floats("sy", {}, {0.125f});
  quant("c", "cq", "sy", 4, true, true);
  b.node("Identity", {"cq"}, {"y"}, "out");
  const ImportedModel m = dnnvp::import_onnx(b.model, "qonnx.onnx");
  const auto& layers = m.model.network.layers;
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].type == LayerType::Conv);
  CHECK(layers[1].type == LayerType::Clip);
  CHECK(layers[1].name == "conv_clip");
  CHECK(m.activation_bits == 8);  // the input's width; the 4-bit output is stored in 8 bits
  CHECK(m.weight_bits == 4);
  CHECK(m.output.min == -7);
  CHECK(m.output.max == 7);
  // Weights quantised per output channel: round(w / s) clamped to the narrow 4-bit range [-7, 7].
  CHECK(m.model.params[0].weights == std::vector<std::int32_t>{4, -2, 7, 6, -4, 0});
  Tensor in(m.model.network.input_shape);
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<std::int32_t>(i * 37 % 255) - 127;
  const auto outs = dnnvp::run_network(m.model, in);
  bool clipped = false;
  for (size_t i = 0; i < outs[1].data.size(); ++i) {
    CHECK(outs[1].data[i] == std::clamp(outs[0].data[i], -7, 7));
    clipped = clipped || outs[0].data[i] != outs[1].data[i];
  }
  CHECK(clipped);
}

TEST_CASE("onnx scenario: network.onnx imports the model relative to the scenario file", "[onnx]") {
  const fs::path dir = scratch_dir("scenario");
  onnx_test::qdq_model().save((dir / "net.onnx").string());
  std::ofstream(dir / "s.yaml") << "network: {onnx: net.onnx}\nhardware: {rows: 4, cols: 8}\n";
  const dnnvp::Scenario s = dnnvp::load_scenario((dir / "s.yaml").string());
  CHECK(s.onnx == (dir / "net.onnx").string());
  CHECK(s.network.layers.size() == 6);
  CHECK(s.network.name == "net");
  CHECK(s.quant.activation_bits == 8);
  CHECK(s.hardware.rows == 4);
  CHECK_FALSE(s.input.is_signed);  // the input's QuantizeLinear is uint8
}

TEST_CASE(
    "onnx scenario: layers beside onnx, quantization keys and input.shape are errors at file:line:field",
    "[onnx]") {
  const fs::path dir = scratch_dir("scenario_errors");
  onnx_test::qdq_model().save((dir / "net.onnx").string());
  auto error_of = [&](const std::string& text) {
    std::ofstream(dir / "bad.yaml") << text;
    try {
      dnnvp::load_scenario((dir / "bad.yaml").string());
    } catch (const dnnvp::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string file = (dir / "bad.yaml").string();
  CHECK_THAT(error_of("network: {onnx: net.onnx, layers: []}\n"),
             Catch::Contains(file + ":1: network: give exactly one of zoo, file, layers or onnx"));
  CHECK_THAT(error_of("network: {onnx: net.onnx}\nquantization: {weight_bits: 4}\n"),
             Catch::Contains(file + ":2: quantization.weight_bits: not used with network.onnx"));
  CHECK_THAT(error_of("network: {onnx: net.onnx}\ninput: {shape: [6, 6, 3]}\n"),
             Catch::Contains(file + ":2: input.shape: given by the model"));
  CHECK_THAT(error_of("network: {onnx: absent.onnx}\n"),
             Catch::Contains(file + ":1: network.onnx: no such file"));
  CHECK_THAT(error_of("network: {onnx: net.onnx}\nhardware: {activation_bits: 4}\n"),
             Catch::Contains("hardware.activation_bits: must be at least the model's activation_bits (8)"));
  std::ofstream(dir / "broken.onnx") << "not a model";
  CHECK_THAT(error_of("name: x\nnetwork:\n  onnx: broken.onnx\n"),
             Catch::Contains(file + ":3: network.onnx: ") && Catch::Contains("does not parse"));
}

TEST_CASE(
    "onnx scenario: vp_gen --onnx's scenario takes its name from the model and its hardware from a file",
    "[onnx]") {
  const fs::path dir = scratch_dir("cli");
  onnx_test::qdq_model().save((dir / "my-net.onnx").string());
  std::ofstream(dir / "hw.yaml") << "hardware: {rows: 4, cols: 8}\ndram: {size_mib: 64}\n";
  const dnnvp::Scenario s =
      dnnvp::load_onnx_scenario((dir / "my-net.onnx").string(), (dir / "hw.yaml").string());
  CHECK(s.name == "my-net");
  CHECK(s.hardware.cols == 8);
  CHECK(s.dram.size_mib == 64);
  CHECK(s.network.layers.size() == 6);
  const dnnvp::Scenario plain = dnnvp::load_onnx_scenario((dir / "my-net.onnx").string(), "");
  CHECK(plain.hardware.rows == dnnvp::HardwareConfig{}.rows);
  std::ofstream(dir / "bad_hw.yaml") << "hardware: {rows: 0}\n";
  CHECK_THROWS_WITH(dnnvp::load_onnx_scenario((dir / "my-net.onnx").string(), (dir / "bad_hw.yaml").string()),
                    Catch::Contains("bad_hw.yaml:1: hardware.rows"));
}

TEST_CASE("onnx scenario: the imported model's golden outputs and per-channel multiplier errors", "[onnx]") {
  const fs::path dir = scratch_dir("synth");
  onnx_test::qdq_model().save((dir / "net.onnx").string());
  const dnnvp::Scenario s = dnnvp::load_onnx_scenario((dir / "net.onnx").string(), "");
  const dnnvp::SynthesizedModel sm = dnnvp::synthesize_imported(s);
  REQUIRE(sm.outputs.size() == 6);
  const auto golden = dnnvp::run_network(sm.model, sm.input);
  for (size_t i = 0; i < golden.size(); ++i) CHECK(golden[i].data == sm.outputs[i].data);
  CHECK(sm.stats[0].multiplier_error.size() == 4);
  CHECK(sm.stats[0].accumulator_bits_needed > 0);
}

namespace {

// x [1, 2, 4, 4] uint8 input (scale 0.5, zero point 3) -> DQ -> `op` nodes appended by `body` -> the
// output named "y".
ImportedModel import_small(const std::function<void(ModelBuilder&, const std::string&)>& body) {
  ModelBuilder b(13);
  b.input("x", T::UINT8, {1, 2, 4, 4});
  b.output("y");
  b.quant("a", 0.5f, T::UINT8, 3);
  b.node("DequantizeLinear", {"x", "a_s", "a_z"}, {"xd"}, "in_dq");
  body(b, "xd");
  return dnnvp::import_onnx(b.model, "small.onnx");
}

}  // namespace

TEST_CASE("onnx import: a Relu on a dequantised tensor is a clip layer from its zero point", "[onnx]") {
  const ImportedModel m = import_small([](ModelBuilder& b, const std::string& x) {
    b.node("Relu", {x}, {"r"}, "act");
    b.node("QuantizeLinear", {"r", "a_s", "a_z"}, {"y"}, "q");
  });
  REQUIRE(m.model.network.layers.size() == 1);
  CHECK(m.model.network.layers[0].type == LayerType::Clip);
  Tensor in(m.model.network.input_shape);
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<std::int32_t>(i % 8);
  const Tensor out = dnnvp::run_network(m.model, in).back();
  for (size_t i = 0; i < in.data.size(); ++i) CHECK(out.data[i] == std::max(in.data[i], 3));
}

TEST_CASE("onnx import: pools keep the input's quantisation, AveragePool with another scale is refused",
          "[onnx]") {
  const ImportedModel m = import_small([](ModelBuilder& b, const std::string& x) {
    auto& avg = b.node("AveragePool", {x}, {"p"}, "avg");
    attr(avg, "kernel_shape", std::vector<std::int64_t>{2, 2});
    attr(avg, "strides", std::vector<std::int64_t>{2, 2});
    b.quant("p", 0.5f, T::UINT8, 3);
    b.qdq("p", "p");
    b.node("GlobalAveragePool", {"p_dq"}, {"g"}, "gap");
    b.node("QuantizeLinear", {"g", "a_s", "a_z"}, {"y"}, "q");
  });
  REQUIRE(m.model.network.layers.size() == 2);
  CHECK(m.model.network.layers[0].kernel_h == 2);
  CHECK(m.model.network.layers[1].global);
  CHECK_THROWS_WITH(import_small([](ModelBuilder& b, const std::string& x) {
                      b.node("GlobalAveragePool", {x}, {"g"}, "gap");
                      b.quant("o", 0.25f, T::UINT8, 3);
                      b.node("QuantizeLinear", {"g", "o_s", "o_z"}, {"y"}, "q");
                    }),
                    Catch::Contains("node 'q' (QuantizeLinear, domain ai.onnx): requantises"));
}

TEST_CASE("onnx import: LeakyRelu needs a slope of 2^-k", "[onnx]") {
  auto model = [](float alpha) {
    return [alpha](ModelBuilder& b, const std::string& x) {
      b.ints("w", T::INT8, {2, 2, 1, 1}, {1, 2, 3, 4});
      b.quant("w", 0.1f, T::INT8, 0);
      b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "w_dq");
      b.node("Conv", {x, "wd"}, {"c"}, "conv");
      attr_float(b.node("LeakyRelu", {"c"}, {"l"}, "leaky"), "alpha", alpha);
      b.node("QuantizeLinear", {"l", "a_s", "a_z"}, {"y"}, "q");
    };
  };
  const ImportedModel m = import_small(model(0.125f));
  CHECK(m.model.network.layers[0].activation == dnnvp::Activation::LeakyRelu);
  CHECK(m.model.network.layers[0].leaky_shift == 3);
  CHECK_THROWS_WITH(import_small(model(0.1f)),
                    Catch::Contains("node 'leaky' (LeakyRelu") && Catch::Contains("2^-k"));
}

TEST_CASE("onnx import: node names become valid unique layer names, a trailing Softmax and dead branches go",
          "[onnx]") {
  const ImportedModel m = import_small([](ModelBuilder& b, const std::string& x) {
    auto pool = [&](const std::string& in, const std::string& out, const std::string& name, std::int64_t k) {
      attr(b.node("MaxPool", {in}, {out}, name), "kernel_shape", std::vector<std::int64_t>{k, k});
    };
    pool(x, "p1", "a/b", 1);
    pool("p1", "p2", "a:b", 1);
    pool("p2", "p3", "input", 1);
    pool("p2", "dead", "unused_branch", 2);
    b.node("Softmax", {"p3"}, {"y"}, "softmax");
  });
  const auto& layers = m.model.network.layers;
  REQUIRE(layers.size() == 3);
  CHECK(layers[0].name == "a_b");
  CHECK(layers[1].name == "a_b_2");
  CHECK(layers[2].name == "input_2");
  CHECK(m.output.zero_point(0) == 3);
}

TEST_CASE("onnx scenario: an accumulator output, too-wide weights and a model without layers are refused",
          "[onnx]") {
  const fs::path dir = scratch_dir("adopt");
  auto error_of = [&](const ModelBuilder& b) {
    b.save((dir / "m.onnx").string());
    try {
      dnnvp::load_onnx_scenario((dir / "m.onnx").string(), "");
    } catch (const dnnvp::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ModelBuilder acc(10);
  acc.input("x", T::UINT8, {1, 1, 3, 3});
  acc.output("y");
  acc.ints("w", T::INT8, {1, 1, 2, 2}, {1, 2, 3, 4});
  acc.node("ConvInteger", {"x", "w"}, {"y"}, "ci");
  CHECK_THAT(error_of(acc), Catch::Contains("int32 accumulator"));
  ModelBuilder wide(10);
  wide.input("x", T::UINT8, {1, 1, 3, 3});
  wide.output("y");
  wide.quant("q", 0.1f, T::UINT8, 0);
  wide.ints("w", T::UINT8, {1, 1, 1, 1}, {0});
  wide.ints("wz", T::UINT8, {}, {255});
  wide.node("QLinearConv", {"x", "q_s", "q_z", "w", "q_s", "wz", "q_s", "q_z"}, {"y"}, "wide_conv");
  CHECK_THAT(error_of(wide), Catch::Contains("layer 'wide_conv' needs 9-bit weights"));
  ModelBuilder none(13);
  none.input("x", T::UINT8, {1, 1, 3, 3});
  none.output("y");
  none.quant("q", 0.1f, T::UINT8, 0);
  none.node("DequantizeLinear", {"x", "q_s", "q_z"}, {"y"}, "dq");
  CHECK_THAT(error_of(none), Catch::Contains("no layer to run"));
}

TEST_CASE("onnx import: PyTorch's export forms (Constant nodes, ConstantOfShape, Casts) import as plain QDQ",
          "[onnx]") {
  // The same conv twice: with initializers, and as torch.ao's export writes it.
  auto build = [](bool torch_style) {
    ModelBuilder b(13);
    b.input("x", T::FLOAT, {1, 2, 3, 3});
    b.output("y");
    b.quant("a", 0.1f, T::UINT8, 120);
    b.node("QuantizeLinear", {"x", "a_s", "a_z"}, {"xq"}, "q_in");
    std::string xq = "xq";
    if (torch_style) {
      attr(b.node("Cast", {"xq"}, {"xq_cast"}, "cast_in"), "to", static_cast<std::int64_t>(T::UINT8));
      xq = "xq_cast";
    }
    b.node("DequantizeLinear", {xq, "a_s", "a_z"}, {"xd"}, "dq_in");
    b.ints("w", T::INT8, {2, 2, 1, 1}, {5, -7, 9, 11});
    b.quant("w", 0.05f, T::INT8, 0);
    b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "dq_w");
    b.ints("bias", T::INT32, {2}, {40, -30});
    b.floats("bias_s", {}, {0.1f * 0.05f});
    if (torch_style) {
      b.int64s("bias_shape", {1}, {1});
      b.node("ConstantOfShape", {"bias_shape"}, {"bias_z0"}, "zeros");
      attr(b.node("Cast", {"bias_z0"}, {"bias_z"}, "cast_z"), "to", static_cast<std::int64_t>(T::INT32));
    } else {
      b.ints("bias_z", T::INT32, {}, {0});
    }
    b.node("DequantizeLinear", {"bias", "bias_s", "bias_z"}, {"bd"}, "dq_b");
    b.node("Conv", {"xd", "wd", "bd"}, {"c"}, "conv");
    b.quant("o", 0.2f, T::UINT8, 0);
    b.node("QuantizeLinear", {"c", "o_s", "o_z"}, {"y"}, "q_out");
    return dnnvp::import_onnx(b.model, "torch.onnx");
  };
  const ImportedModel plain = build(false);
  const ImportedModel torch = build(true);
  REQUIRE(torch.model.network.layers.size() == 1);
  CHECK(torch.model.params[0].weights == plain.model.params[0].weights);
  CHECK(torch.model.params[0].bias == std::vector<std::int32_t>{40, -30});
  CHECK(torch.model.params[0].requant[0].multiplier == plain.model.params[0].requant[0].multiplier);
  CHECK(torch.model.params[0].requant[1].shift == plain.model.params[0].requant[1].shift);
}

TEST_CASE("onnx import: onnxruntime's QLinearAdd and QLinearGlobalAveragePool (com.microsoft)", "[onnx]") {
  ModelBuilder b(13);
  auto* ms = b.model.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  b.input("x", T::UINT8, {1, 2, 3, 3});
  b.output("y");
  b.quant("x", 0.1f, T::UINT8, 10);
  b.quant("c", 0.3f, T::UINT8, 4);
  b.node("QLinearAdd", {"x", "x_s", "x_z", "x", "x_s", "x_z", "c_s", "c_z"}, {"sum"}, "add", "com.microsoft");
  b.node("QLinearGlobalAveragePool", {"sum", "c_s", "c_z", "c_s", "c_z"}, {"y"}, "gap", "com.microsoft");
  const ImportedModel m = dnnvp::import_onnx(b.model, "ms.onnx");
  const auto& layers = m.model.network.layers;
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].type == LayerType::Add);
  CHECK(layers[1].type == LayerType::AvgPool);
  CHECK(layers[1].global);
  CHECK(m.model.params[0].add.shift > 0);
  CHECK(m.output.zero_point(0) == 4);
}

namespace {

// A batched MatMulInteger: uint8 A [2, 3, 4] (`rows`: [N, 4]) times a uint8 B [2, 4, 3] whose slices are
// equal (`rows`: [4, 3]), zero points per tensor (A) and per column (B); `requantise`: then Cast, Mul by a
// per-column scale, Add a bias, Relu and QuantizeLinear (onnxruntime's pattern), else the int32 output.
ModelBuilder matmul_integer_model(bool rows, bool requantise) {
  ModelBuilder b(13);
  if (rows)
    b.input("a", T::UINT8, {-1, 4});
  else
    b.input("a", T::UINT8, {2, 3, 4});
  b.output("y");
  b.matrix("b", T::UINT8, 4, 3, onnx_test::pattern(12, 0, 255, 21), rows ? 0 : 2);
  b.ints("az", T::UINT8, {}, {100});
  b.ints("bz", T::UINT8, {3}, {120, 128, 135});
  b.node("MatMulInteger", {"a", "b", "az", "bz"}, {requantise ? "acc" : "y"}, "mmi");
  if (requantise) {
    attr(b.node("Cast", {"acc"}, {"accf"}, "cast"), "to", static_cast<std::int64_t>(T::FLOAT));
    b.floats("m", {3}, {0.0001f, 0.00012f, 0.00009f});
    b.node("Mul", {"accf", "m"}, {"real"}, "scale");
    b.floats("bias", {3}, {0.5f, -0.25f, 0.125f});
    b.node("Add", {"real", "bias"}, {"biased"}, "bias_add");
    b.node("Relu", {"biased"}, {"act"}, "relu");
    b.quant("y", 0.02f, T::UINT8, 0);
    b.node("QuantizeLinear", {"act", "y_s", "y_z"}, {"y"}, "q");
  }
  return b;
}

// Stored values of a uint8 [2, 3, 4] input: every row different.
Tensor batched_input(std::uint32_t seed) {
  Tensor in(dnnvp::Shape{2, 3, 4});
  in.data = onnx_test::pattern(in.data.size(), 0, 255, seed);
  return in;
}

// A rank-3 model's golden output, every element, against the rows model (its 2-D form, rows as a batch)
// run on each row [1, K] of the input on its own: what ONNX's batched MatMul means.
void require_rows_equal(const ImportedModel& batched, const ImportedModel& rows, const Tensor& in) {
  const Tensor out = dnnvp::run_network(batched.model, in).back();
  REQUIRE(out.shape.h == in.shape.h);
  REQUIRE(out.shape.w == in.shape.w);
  size_t compared = 0;
  std::set<std::int32_t> distinct;
  for (int y = 0; y < in.shape.h; ++y)
    for (int x = 0; x < in.shape.w; ++x) {
      Tensor row(dnnvp::Shape{1, 1, in.shape.c});
      for (int c = 0; c < in.shape.c; ++c) row.at(0, 0, c) = in.at(y, x, c);
      const Tensor want = dnnvp::run_network(rows.model, row).back();
      REQUIRE(want.shape == dnnvp::Shape{1, 1, out.shape.c});
      for (int c = 0; c < out.shape.c; ++c, ++compared) {
        INFO("slice " << y << " row " << x << " column " << c);
        CHECK(out.at(y, x, c) == want.at(0, 0, c));
        distinct.insert(out.at(y, x, c));
      }
    }
  CHECK(compared == out.data.size());
  CHECK(distinct.size() > out.data.size() / 2);  // not a saturated or constant output
}

}  // namespace

TEST_CASE("onnx import: a QDQ MatMul on [b, M, K] is a 1x1 conv over H = b, W = M, each row is ONNX's",
          "[onnx]") {
  const ImportedModel m = dnnvp::import_onnx(onnx_test::qdq_matmul3d_model().model, "qdq3d.onnx");
  const ImportedModel rows = dnnvp::import_onnx(onnx_test::qdq_matmul3d_model(true).model, "rows.onnx");
  const auto& layers = m.model.network.layers;
  REQUIRE(layers.size() == 2);
  CHECK(m.input_dims == std::vector<std::int64_t>{2, 3, 4});
  CHECK(m.model.network.input_shape == dnnvp::Shape{2, 3, 4});
  for (const auto& l : layers) {
    CHECK(l.type == LayerType::Conv);
    CHECK(l.kernel_h == 1);
    CHECK(l.kernel_w == 1);
  }
  CHECK(layers[0].activation == dnnvp::Activation::Relu);
  CHECK(layers[1].output_shape == dnnvp::Shape{2, 3, 3});
  // The 1x1 kernel's OHWI weights are the matrix transposed, as the dense layer's are.
  CHECK(m.model.params[0].weights == rows.model.params[0].weights);
  CHECK(m.model.params[1].weights == rows.model.params[1].weights);
  require_rows_equal(m, rows, batched_input(31));
}

TEST_CASE("onnx import: a batched MatMulInteger with its requantisation, and as the int32 output", "[onnx]") {
  const ImportedModel m = dnnvp::import_onnx(matmul_integer_model(false, true).model, "mmi3d.onnx");
  const ImportedModel rows = dnnvp::import_onnx(matmul_integer_model(true, true).model, "mmi_rows.onnx");
  REQUIRE(m.model.network.layers.size() == 1);
  CHECK(m.model.network.layers[0].type == LayerType::Conv);
  require_rows_equal(m, rows, batched_input(32));
  // The accumulator: sum over k of (a - 100) * (b - zb[n]), every element.
  const ImportedModel acc = dnnvp::import_onnx(matmul_integer_model(false, false).model, "acc3d.onnx");
  REQUIRE(acc.output_is_accumulator);
  const Tensor in = batched_input(33);
  const Tensor got =
      dnnvp::accumulate(acc.model.network.layers[0], in, acc.model.input.zero_point, acc.model.params[0]);
  REQUIRE(got.shape == dnnvp::Shape{2, 3, 3});
  const std::vector<std::int32_t> w = onnx_test::pattern(12, 0, 255, 21);
  const std::int32_t zb[] = {120, 128, 135};
  for (int s = 0; s < 2; ++s)
    for (int r = 0; r < 3; ++r)
      for (int n = 0; n < 3; ++n) {
        std::int32_t want = 0;
        for (int k = 0; k < 4; ++k)
          want += (in.at(s, r, k) - 100) * (w[static_cast<size_t>(k * 3 + n)] - zb[n]);
        INFO("slice " << s << " row " << r << " column " << n);
        CHECK(got.at(s, r, n) == want);
      }
}

TEST_CASE("onnx import: a batched MatMul whose B slices differ is refused naming the node and why",
          "[onnx]") {
  ModelBuilder b = matmul_integer_model(false, true);
  for (auto& init : *b.model.mutable_graph()->mutable_initializer())
    if (init.name() == "b") init.set_int32_data(12 + 7, (init.int32_data(12 + 7) + 1) % 256);
  CHECK_THROWS_WITH(dnnvp::import_onnx(b.model, "differ.onnx"),
                    Catch::Contains("node 'mmi' (MatMulInteger, domain ai.onnx): B's batch slice 1 differs "
                                    "from slice 0; the engine's layer has one weight matrix"));
  // A 3-D B on a vector input is not a batch of matrices.
  ModelBuilder vec(13);
  vec.input("a", T::UINT8, {1, 4});
  vec.output("y");
  vec.ints("b", T::UINT8, {2, 4, 3}, onnx_test::pattern(24, 0, 255, 5));
  vec.node("MatMulInteger", {"a", "b"}, {"y"}, "vm");
  CHECK_THROWS_WITH(
      dnnvp::import_onnx(vec.model, "vec.onnx"),
      Catch::Contains("node 'vm' (MatMulInteger") && Catch::Contains("a 3-D B needs a rank-3 A"));
}

TEST_CASE("onnx import: ops that would see a rank-3 tensor's layout differently are refused, named",
          "[onnx]") {
  ModelBuilder b(13);
  b.input("x", T::UINT8, {2, 3, 4});
  b.output("y");
  b.quant("a", 0.5f, T::UINT8, 3);
  b.node("DequantizeLinear", {"x", "a_s", "a_z"}, {"xd"}, "in_dq");
  b.node("Flatten", {"xd"}, {"f"}, "flat");
  b.node("QuantizeLinear", {"f", "a_s", "a_z"}, {"y"}, "q");
  b.node("Softmax", {"xd"}, {"sm"}, "soft");
  attr(b.node("MaxPool", {"xd"}, {"mp"}, "pool"), "kernel_shape", std::vector<std::int64_t>{2, 2});
  b.ints("w", T::INT8, {4, 3}, onnx_test::pattern(12, -100, 100, 4));
  b.quant("w", 0.01f, T::INT8, 0);
  b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "w_dq");
  b.node("Gemm", {"xd", "wd"}, {"g"}, "gemm");
  // BatchNormalization's channels are axis 1: the rows of a [b, M, N] result.
  b.node("MatMul", {"xd", "wd"}, {"mm"}, "mm");
  for (const char* p : {"bn_scale", "bn_b", "bn_mean", "bn_var"}) b.floats(p, {3}, {1.0f, 1.0f, 1.0f});
  b.node("BatchNormalization", {"mm", "bn_scale", "bn_b", "bn_mean", "bn_var"}, {"bn"}, "bn");
  // A bias of shape [3, 1] broadcasts along the rows M (3) of [2, 3, 3], not along the columns.
  b.node("MatMul", {"xd", "wd"}, {"mm2"}, "mm2");
  b.floats("rows_bias", {3, 1}, {0.1f, 0.2f, 0.3f});
  b.node("Add", {"mm2", "rows_bias"}, {"mm2b"}, "rows_bias_add");
  CHECK_THROWS_WITH(
      dnnvp::import_onnx(b.model, "r3.onnx"),
      Catch::Contains("6 unsupported node(s)") &&
          Catch::Contains("node 'flat' (Flatten, domain ai.onnx): reads a rank-3 [b, M, K] tensor") &&
          Catch::Contains("node 'soft' (Softmax, domain ai.onnx): reads a rank-3") &&
          Catch::Contains("node 'pool' (MaxPool, domain ai.onnx): reads a rank-3") &&
          Catch::Contains("node 'gemm' (Gemm, domain ai.onnx): reads a rank-3") &&
          Catch::Contains("node 'bn' (BatchNormalization, domain ai.onnx): reads a rank-3") &&
          Catch::Contains("only MatMul, Add, Relu, Clip, LeakyRelu and Quantize/DequantizeLinear") &&
          Catch::Contains("node 'rows_bias_add' (Add, domain ai.onnx): bias 'rows_bias' varies along an axis "
                          "other than the last of a rank-3 [b, M, N] result"));
  // B quantised per batch slice (axis 0) is not one weight matrix's per-column quantisation.
  ModelBuilder per_slice(13);
  per_slice.input("x", T::UINT8, {2, 3, 4});
  per_slice.output("y");
  per_slice.quant("a", 0.5f, T::UINT8, 3);
  per_slice.node("DequantizeLinear", {"x", "a_s", "a_z"}, {"xd"}, "in_dq");
  per_slice.matrix("w", T::INT8, 4, 3, onnx_test::pattern(12, -100, 100, 4), 2);
  per_slice.floats("w_s", {2}, {0.01f, 0.02f});
  per_slice.ints("w_z", T::INT8, {2}, {0, 0});
  attr(per_slice.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "w_dq"), "axis", 0);
  per_slice.node("MatMul", {"xd", "wd"}, {"mm"}, "slice_scaled");
  per_slice.node("QuantizeLinear", {"mm", "a_s", "a_z"}, {"y"}, "q");
  CHECK_THROWS_WITH(
      dnnvp::import_onnx(per_slice.model, "per_slice.onnx"),
      Catch::Contains("node 'slice_scaled' (MatMul, domain ai.onnx): weights quantised per slice "
                      "along axis 0, not per output column (axis 2)"));
  // A rank-3 input has no batch dimension: every dimension is fixed.
  ModelBuilder dynamic(13);
  dynamic.input("x", T::UINT8, {-1, 3, 4});
  dynamic.output("y");
  CHECK_THROWS_WITH(dnnvp::import_onnx(dynamic.model, "dyn.onnx"),
                    Catch::Contains("graph input 'x': dimension 0 is dynamic or unknown"));
}

TEST_CASE(
    "onnx scenario: a rank-3 model's input.file is [b, M, K] or [N, b, M, K], read as H = b, W = M, C = K",
    "[onnx]") {
  const fs::path dir = scratch_dir("rank3_file");
  onnx_test::qdq_matmul3d_model().save((dir / "m3.onnx").string());
  const Tensor first = batched_input(34);
  const Tensor second = batched_input(35);
  std::vector<std::int32_t> both = first.data;
  both.insert(both.end(), second.data.begin(), second.data.end());
  dnnvp::write_npy_int32((dir / "one.npy").string(), first.data, {2, 3, 4});
  dnnvp::write_npy_int32((dir / "two.npy").string(), both, {2, 2, 3, 4});
  dnnvp::write_npy_int32((dir / "chw.npy").string(), first.data, {4, 2, 3});
  auto scenario = [&](const std::string& file) {
    std::ofstream(dir / "s.yaml") << "network: {onnx: m3.onnx}\ninput: {file: " << file << "}\n";
    return dnnvp::load_scenario((dir / "s.yaml").string());
  };
  const dnnvp::Scenario one = scenario("one.npy");
  CHECK_FALSE(one.input.file_chw);  // [b, M, K] is already HWC
  CHECK(dnnvp::image_count(one) == 1);
  const dnnvp::SynthesizedModel sm = dnnvp::synthesize_imported(scenario("two.npy"));
  REQUIRE(sm.batch.images.size() == 2);
  CHECK(sm.batch.images[0].data == first.data);  // [b, M, K] in C order is HWC with H = b, W = M
  CHECK(sm.batch.images[1].data == second.data);
  for (size_t i = 0; i < 2; ++i)
    CHECK(sm.batch.outputs[i].data == dnnvp::run_network(sm.model, sm.batch.images[i]).back().data);
  CHECK_THROWS_WITH(dnnvp::image_count(scenario("chw.npy")),
                    Catch::Contains("chw.npy: shape (4, 2, 3) is neither the network's input"));
}

TEST_CASE("onnx import: Conv's group attribute becomes groups, each filter's OIHW slice read per group",
          "[onnx]") {
  struct Case {
    int channels, outputs, group;
  };
  for (const Case k : {Case{4, 4, 4}, Case{4, 6, 2}}) {  // depthwise; two groups of 2 inputs, 3 outputs
    INFO("group " << k.group);
    const int cin_g = k.channels / k.group;
    ModelBuilder b(13);
    b.input("x", T::FLOAT, {1, k.channels, 4, 4});
    b.output("y");
    b.quant("a", 0.1f, T::UINT8, 120);
    const std::string x = b.qdq("x", "a");
    const std::vector<std::int32_t> w =
        onnx_test::pattern(static_cast<size_t>(k.outputs * cin_g * 4), -90, 90, 7);
    b.ints("w", T::INT8, {k.outputs, cin_g, 2, 2}, w);
    b.quant("w", 0.05f, T::INT8, 0);
    b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "dq_w");
    attr(b.node("Conv", {x, "wd"}, {"c"}, "conv"), "group", k.group);
    b.quant("y", 0.2f, T::UINT8, 10);
    b.node("QuantizeLinear", {"c", "y_s", "y_z"}, {"y"}, "q");
    const ImportedModel m = dnnvp::import_onnx(b.model, "grouped.onnx");
    REQUIRE(m.model.network.layers.size() == 1);
    const auto& l = m.model.network.layers[0];
    CHECK(l.groups == k.group);
    CHECK(l.output_shape == dnnvp::Shape{3, 3, k.outputs});
    const auto& weights = m.model.params[0].weights;
    REQUIRE(weights.size() == w.size());
    for (int o = 0; o < k.outputs; ++o)  // OHWI over the group's channels <- OIHW
      for (int y = 0; y < 2; ++y)
        for (int xx = 0; xx < 2; ++xx)
          for (int c = 0; c < cin_g; ++c)
            CHECK(weights[static_cast<size_t>(((o * 2 + y) * 2 + xx) * cin_g + c)] ==
                  w[static_cast<size_t>(((o * cin_g + c) * 2 + y) * 2 + xx)]);
  }
  ModelBuilder bad(13);
  bad.input("x", T::FLOAT, {1, 4, 4, 4});
  bad.output("y");
  bad.quant("a", 0.1f, T::UINT8, 120);
  const std::string x = bad.qdq("x", "a");
  bad.ints("w", T::INT8, {4, 4, 1, 1}, onnx_test::pattern(16, -90, 90, 8));
  bad.quant("w", 0.05f, T::INT8, 0);
  bad.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"wd"}, "dq_w");
  attr(bad.node("Conv", {x, "wd"}, {"c"}, "conv"), "group", 2);  // weights for 4 inputs a group, not 2
  bad.quant("y", 0.2f, T::UINT8, 10);
  bad.node("QuantizeLinear", {"c", "y_s", "y_z"}, {"y"}, "q");
  CHECK_THROWS_WITH(dnnvp::import_onnx(bad.model, "bad.onnx"),
                    Catch::Contains("node 'conv' (Conv, domain ai.onnx): weights for 4 input channels, the "
                                    "input has 4 in 2 groups"));
}

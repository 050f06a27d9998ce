// Imported average pools with an odd zero point: the golden model's integers are ONNX's at every tie.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "avgpool_ties_model.h"
#include "golden.h"
#include "onnx_model.h"

TEST_CASE("onnx import: AveragePool and GlobalAveragePool with an odd zero point round ties as ONNX does",
          "[onnx]") {
  using onnx_test::kTiesChannels;
  using onnx_test::kTiesSize;
  using onnx_test::kTiesZeroPoint;
  const dnnvp::ImportedModel m = dnnvp::import_onnx(onnx_test::avgpool_ties_model().model, "ties.onnx");
  REQUIRE(m.model.network.layers.size() == 2);
  const std::vector<std::int32_t> x = onnx_test::avgpool_ties_input();
  dnnvp::Tensor in(m.model.network.input_shape);
  for (int c = 0; c < kTiesChannels; ++c)
    for (int y = 0; y < kTiesSize; ++y)
      for (int i = 0; i < kTiesSize; ++i)
        in.at(y, i, c) = x[static_cast<size_t>((c * kTiesSize + y) * kTiesSize + i)];
  const auto outs = dnnvp::run_network(m.model, in);
  REQUIRE(outs[0].shape == dnnvp::Shape{2, 2, kTiesChannels});
  REQUIRE(outs[1].shape == dnnvp::Shape{1, 1, kTiesChannels});
  int ties = 0;
  for (int c = 0; c < kTiesChannels; ++c) {
    std::vector<std::int32_t> pooled;
    for (int wy = 0; wy < 2; ++wy)
      for (int wx = 0; wx < 2; ++wx) {
        std::vector<std::int32_t> window;
        for (int y = 2 * wy; y < 2 * wy + 2; ++y)
          for (int i = 2 * wx; i < 2 * wx + 2; ++i) window.push_back(in.at(y, i, c));
        const std::int32_t want = onnx_test::onnx_average(window);
        INFO("channel " << c << " window " << wy << "," << wx);
        CHECK(outs[0].at(wy, wx, c) == want);
        pooled.push_back(want);
        double sum = 0;
        for (const std::int32_t v : window) sum += v;
        ties += std::fmod(std::fabs(sum), 4.0) == 2.0;
      }
    INFO("channel " << c << " global");
    CHECK(outs[1].at(0, 0, c) == onnx_test::onnx_average(pooled));
  }
  CHECK(ties == 8);  // every window is a tie: the inputs test the rounding they are meant to
  // The values spelled out: z + (0, 2, 2, 2) / 4 -> 3 + 2 and z + (0, -2, -2, -2) / 4 -> 3 - 2.
  CHECK(outs[1].data == std::vector<std::int32_t>{kTiesZeroPoint + 2, kTiesZeroPoint - 2});
}

TEST_CASE(
    "onnx import: QLinearGlobalAveragePool (com.microsoft) with an odd zero point rounds ties as ONNX does",
    "[onnx]") {
  using onnx_test::kTiesZeroPoint;
  using T = onnx::TensorProto;
  onnx_test::ModelBuilder b;
  auto* ms = b.model.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  b.input("x", T::UINT8, {1, 2, 2, 2});
  b.output("y");
  b.quant("x", 0.5f, T::UINT8, kTiesZeroPoint);
  b.node("QLinearGlobalAveragePool", {"x", "x_s", "x_z", "x_s", "x_z"}, {"y"}, "gap", "com.microsoft");
  const dnnvp::ImportedModel m = dnnvp::import_onnx(b.model, "gap.onnx");
  // Channel 0: q - z {0, 0, 1, 1}, mean 1/2 -> 0; channel 1: {-2, -2, -1, -1}, -3/2 -> -2.
  const std::vector<std::vector<std::int32_t>> q = {{3, 3, 4, 4}, {1, 1, 2, 2}};
  dnnvp::Tensor in(m.model.network.input_shape);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 4; ++i) in.at(i / 2, i % 2, c) = q[static_cast<size_t>(c)][static_cast<size_t>(i)];
  const dnnvp::Tensor out = dnnvp::run_network(m.model, in).back();
  CHECK(out.data == std::vector<std::int32_t>{onnx_test::onnx_average(q[0]), onnx_test::onnx_average(q[1])});
  CHECK(out.data == std::vector<std::int32_t>{kTiesZeroPoint, kTiesZeroPoint - 2});
}

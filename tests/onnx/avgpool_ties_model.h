// A QDQ model whose averages are all ties with an odd zero point, where ONNX's rule (round the mean of
// q - z to even, add z) and rounding the mean of the stored values q to even disagree: uint8 x [1, 2, 4, 4]
// (scale 0.5, zero point 3) -> DQ -> AveragePool 2x2 / 2 -> Q -> DQ -> GlobalAveragePool -> Q (uint8 y).
// Shared by tests/onnx (the golden model) and tests/platform (vp_run).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "model_builder.h"

namespace onnx_test {

inline constexpr std::int32_t kTiesZeroPoint = 3;
inline constexpr int kTiesChannels = 2, kTiesSize = 4;

inline ModelBuilder avgpool_ties_model() {
  using T = onnx::TensorProto;
  ModelBuilder b;
  b.input("x", T::UINT8, {1, kTiesChannels, kTiesSize, kTiesSize});
  b.output("y");
  b.quant("a", 0.5f, T::UINT8, kTiesZeroPoint);
  b.node("DequantizeLinear", {"x", "a_s", "a_z"}, {"xd"}, "in_dq");
  auto& avg = b.node("AveragePool", {"xd"}, {"p"}, "avg");
  attr(avg, "kernel_shape", std::vector<std::int64_t>{2, 2});
  attr(avg, "strides", std::vector<std::int64_t>{2, 2});
  b.node("QuantizeLinear", {"p", "a_s", "a_z"}, {"p_q"}, "p_quant");
  b.node("DequantizeLinear", {"p_q", "a_s", "a_z"}, {"p_dq"}, "p_dequant");
  b.node("GlobalAveragePool", {"p_dq"}, {"g"}, "gap");
  b.node("QuantizeLinear", {"g", "a_s", "a_z"}, {"y"}, "y_quant");
  return b;
}

// x in NCHW order: window (wy, wx) of channel c holds z + d in its top row and z + d + 1 in its bottom row,
// so the mean of q - z is d + 1/2. Channel 0's d {0, 1, 2, 1} give pooled q - z {0, 2, 2, 2}, a mean of
// 3/2 for the global pool; channel 1's {-1, -2, -3, -2} give {0, -2, -2, -2}, -3/2.
inline std::vector<std::int32_t> avgpool_ties_input() {
  const int d[kTiesChannels][2][2] = {{{0, 1}, {2, 1}}, {{-1, -2}, {-3, -2}}};
  std::vector<std::int32_t> x;
  for (int c = 0; c < kTiesChannels; ++c)
    for (int y = 0; y < kTiesSize; ++y)
      for (int i = 0; i < kTiesSize; ++i) x.push_back(kTiesZeroPoint + d[c][y / 2][i / 2] + y % 2);
  return x;
}

// ONNX's result of an average of stored values with zero point z: QuantizeLinear(mean(DequantizeLinear(q)))
// = z + round_half_even(mean(q - z)) (scale 0.5 keeps every step exact; nearbyint rounds ties to even).
inline std::int32_t onnx_average(const std::vector<std::int32_t>& q) {
  double sum = 0;
  for (const std::int32_t v : q) sum += v - kTiesZeroPoint;
  return kTiesZeroPoint + static_cast<std::int32_t>(std::nearbyint(sum / static_cast<double>(q.size())));
}

}  // namespace onnx_test

// A reference model of the engine (docs/engine.md): computes a Conv/Dense layer (dense, grouped or
// depthwise taps on rows) or a pool from the bytes the engine receives, the layer's weight blob, its packed
// input tensor and a fused add's operand, walking tiles, output blocks, passes and pixels in the engine's
// loop order with explicit accumulators. It shares only the output stage (numerics.h) and the packing
// (pack.h) with the golden model, so the two checking each other checks the blob order, the tiling and the
// engine's arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "engine_plan.h"
#include "numerics.h"

namespace dnnvp {

// What the layer's QUANT, IN_ZP, OUT_ZP and CLIP registers hold.
struct EngineLayerQuant {
  QuantType input;
  std::int32_t input_zero_point = 0;
  QuantType output;
  std::int32_t output_zero_point = 0;
  Rounding rounding = Rounding::HalfUp;
  std::optional<std::pair<std::int32_t, std::int32_t>> clip;  // MODE.CLIP's stored limits [lo, hi]
};

// A fused residual add (the ELT registers): y = add(a, b) with a the layer's own output (docs/numerics.md,
// "Add"), b read from `b`, the packed other operand, in the output's byte spans.
struct EngineResidual {
  std::vector<std::uint8_t> b;
  QuantType b_type;
  std::int32_t b_zero_point = 0;
  AddParams params;  // multiplier_a: the layer's output's
  Activation activation = Activation::None;
  int leaky_shift = 0;
  QuantType y_type;
  std::int32_t y_zero_point = 0;
  Rounding rounding = Rounding::HalfUp;
};

// The engine's MACS and ACTIVE counters (docs/engine.md, registers) over a layer's tiles.
struct EngineCounters {
  std::int64_t macs = 0;    // per issued pixel: real input channels x the output channels they feed
  std::int64_t active = 0;  // cycles the core issued a pixel
};

struct EngineLayerRun {
  std::vector<std::uint8_t> output;  // the packed output tensor
  EngineCounters counters;
  // What the tiles moved, transfer by transfer as the runtime's DMAs move them: blob runs, band runs,
  // operand b's runs and output runs, and a descriptor per gathered or scattered run (no lower bound).
  DramBytes dram;
};

// The layer's packed output tensor (a fused add's y), as the engine's tiles leave it in DRAM, and the
// counters. Throws dnnvp::Error when the blob is shorter or longer than the layer needs, or a tile does
// not fit the engine's buffers.
EngineLayerRun run_engine_layer(const Layer& layer, const LayerPlan& plan, const EngineConfig& config,
                                const EngineLayerQuant& quant, const std::vector<std::uint8_t>& blob,
                                const std::vector<std::uint8_t>& packed_input,
                                const std::optional<EngineResidual>& residual = std::nullopt);

}  // namespace dnnvp

// A reference model of the engine (docs/engine.md): computes a Conv/Dense layer from the bytes the
// engine receives, the layer's weight blob and its packed input tensor, walking tiles, output
// blocks, passes and pixels in the engine's loop order with explicit accumulators. It shares only
// the output stage (numerics.h) and the packing (pack.h) with the golden model, so the two checking
// each other checks the blob order, the tiling and the engine's arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "engine_plan.h"
#include "numerics.h"

namespace dnnvp {

// What the layer's QUANT, IN_ZP and OUT_ZP registers hold.
struct EngineLayerQuant {
  QuantType input;
  std::int32_t input_zero_point = 0;
  QuantType output;
  std::int32_t output_zero_point = 0;
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
};

// The layer's packed output tensor, as the engine's tiles leave it in DRAM, and the counters. Throws
// dnnvp::Error when the blob is shorter or longer than the layer needs, or a tile does not fit the
// engine's buffers.
EngineLayerRun run_engine_layer(const Layer& layer, const LayerPlan& plan, const EngineConfig& config,
                                const EngineLayerQuant& quant, const std::vector<std::uint8_t>& blob,
                                const std::vector<std::uint8_t>& packed_input);

}  // namespace dnnvp

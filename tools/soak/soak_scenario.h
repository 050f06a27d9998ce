// Random valid scenarios for the soak (docs/soak.md): a network of every layer type, quantisation, engine
// shape and run options drawn from one seed, built so that it obeys every rule of docs/scenarios.md
// (shape inference, the engine plan's buffer and accumulator checks). A scenario vp_gen rejects is
// therefore a finding: a generator bug, or this generator breaking a documented rule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario.h"

namespace dnnvp::soak {

// An engine shape: the hardware fields that select a simulator build (generators' engine_shape_json());
// the soak draws the clocks per scenario, not per shape.
using EngineShape = HardwareConfig;

// The simulator cache key vp_run uses for this shape (build/vp_sim/<key>).
std::string shape_key(const EngineShape& shape);

// The shapes the main build already has simulators for: tiny_cnn's (scenarios/tiny_cnn.yaml under
// `source_dir`) and the default hardware.
std::vector<EngineShape> prebuilt_shapes(const std::string& source_dir);

// `count` random shapes, the same for the same seed (small arrays, for speed: docs/soak.md).
std::vector<EngineShape> random_shapes(std::uint64_t seed, int count);

struct RandomScenario {
  std::uint64_t seed = 0;
  EngineShape shape;
  std::string yaml;     // the scenario file's text
  std::string summary;  // one line: layers, bit widths, shape (also the scenario's description)
};

// The scenario drawn from `seed` on `shape`; the same seed and shape always give the same text.
RandomScenario random_scenario(std::uint64_t seed, const EngineShape& shape);

}  // namespace dnnvp::soak

// Where every artefact lives: offsets in weights.bin and addresses in the platform's DRAM.
#pragma once

#include <cstdint>
#include <vector>

#include "scenario.h"

namespace dnnvp {

inline constexpr std::uint32_t kAlignment = 64;  // every block starts on a cache-line/burst boundary

struct Block {
  std::uint64_t offset = 0;  // in its file
  std::uint64_t bytes = 0;
  std::uint32_t addr = 0;  // in DRAM
};

struct LayerLayout {
  Block blob;    // Conv/Dense: the engine's weight stream (engine_blob.h) in weights.bin
  Block output;  // the layer's output activations (Flatten aliases its input)
};

struct MemoryLayout {
  Block weights_file;  // all of weights.bin
  Block input;         // input.bin
  Block expected;      // expected.bin: the network's final output
  std::vector<LayerLayout> layers;
  std::uint64_t end = 0;  // first free address after the model (may be exactly 4 GiB)
};

// Lays the model out from DRAM base + firmware reservation upwards, from shapes, widths and the
// engine's array alone (so a model that does not fit fails before any weights are made). Throws dnnvp::Error
// naming dram.size_mib when it does not fit.
MemoryLayout plan_layout(const Scenario& s);

}  // namespace dnnvp

// Where every artefact lives: offsets in weights.bin and addresses in the platform's DRAM.
#pragma once

#include <cstdint>
#include <vector>

#include "engine_plan.h"
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
  Block output;  // the layer's output activations (Flatten aliases its input; a layer that runs a fused
                 // add or a folded clip writes, and so aliases, that layer's output)
};

struct MemoryLayout {
  Block weights_file;  // all of weights.bin
  // A batch of `images` (docs/firmware.md, "Batches"): image i's input, expected output and output as the
  // run left it at addr + i * stride of input, expected and results; one image: no padding after it.
  std::uint64_t images = 1;
  std::uint64_t input_image_bytes = 0, output_image_bytes = 0;  // one image's packed input and output
  std::uint64_t input_stride = 0, output_stride = 0;            // those rounded up to kAlignment
  Block input;     // input.bin; image 0's place is the network's input
  Block expected;  // expected.bin: the network's final output of each image
  Block results;   // a batch: a block of its own the firmware copies each output to; one image: the last
                   // layer's output
  std::vector<LayerLayout> layers;
  std::uint64_t end = 0;  // first free address after the model (may be exactly 4 GiB)
};

// Lays the model out from DRAM base + firmware reservation upwards, from shapes, widths, the number of
// images (image_count()) and the engine's array alone (so a model that does not fit fails before any weights
// are made). Throws dnnvp::Error naming dram.size_mib when it does not fit.
MemoryLayout plan_layout(const Scenario& s, const NetworkPlan& plan);
// The same for the scenario's own plan (plan_network()).
MemoryLayout plan_layout(const Scenario& s);

}  // namespace dnnvp

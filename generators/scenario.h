// A scenario: the network, its input, quantisation, the accelerator hardware, DRAM and run options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dnnvp_memory_map.hpp"
#include "engine_shape.h"
#include "sizing.h"
#include "network.h"
#include "numerics.h"
#include "run_settings.h"

namespace dnnvp {

enum class RequantMode { PerChannel, PerTensor, PowerOfTwo };
const char* to_string(RequantMode mode);

// The network's input: a synthetic image (seed, is_signed) or images from a file, with their labels and
// the float model's predictions (docs/scenarios.md, "input"). Paths are resolved against the scenario's
// directory; empty: not given.
struct InputConfig {
  std::uint64_t seed = 1;
  bool is_signed = false;
  std::string file;
  std::size_t count = 0;  // input.count: the first `count` images of the file (0: all of them)
  std::string labels;
  std::string reference;
  // The layout of input.file's images, set from the network, not a scenario key: CHW for an ONNX model's
  // NCHW input; HWC (the engine's) for a YAML network and for an ONNX model's rank-3 input [b, M, K]
  // (docs/onnx.md), whose order is already HWC.
  bool file_chw = false;
};

struct QuantConfig {
  int activation_bits = 8;
  int weight_bits = 8;
  RequantMode requant = RequantMode::PerChannel;
  double calibration_percentile = 99.99;  // of |activation| mapped to the top of the range
  std::uint64_t weight_seed = 1;
  Rounding rounding = Rounding::HalfUp;  // every layer's (docs/numerics.md, "Rounding")
};

// The engine fields default to the default engine shape (models/base/engine_shape.h).
struct HardwareConfig {
  int rows = EngineShape{}.rows;
  int cols = EngineShape{}.cols;
  int activation_bits = EngineShape{}.act_bits;
  int weight_bits = EngineShape{}.weight_bits;
  int accumulator_bits = EngineShape{}.acc_bits;
  int stream_bits = EngineShape{}.stream_bits;
  int input_buffer_kib = EngineShape{}.input_buffer_bytes / 1024;
  int weight_buffer_kib = EngineShape{}.weight_buffer_bytes / 1024;
  int output_buffer_kib = EngineShape{}.output_buffer_bytes / 1024;
  int accumulator_depth = EngineShape{}.acc_depth;
  int fold_max = EngineShape{}.fold_max;
  int dw_line_pixels = EngineShape{}.dw_line_pixels;
  double clock_mhz = 250.0;
  double cpu_mhz = 1000.0;  // the CPU that runs the firmware (ISS: one instruction per cycle)
};

struct DramConfig {
  std::string preset = "ddr4-2400";
  std::uint32_t base = memory_map::dram::kBase;  // the only base the platform has
  int size_mib = 512;
  int firmware_mib = 16;  // reserved at the bottom of DRAM for code, data and stack
};

// Which layers the engine takes over beyond Conv/Dense and how the first reads the input (docs/scenarios.md,
// "mapping"), on by default; grouped convs run on the engine regardless (they have no CPU path).
struct MappingConfig {
  bool engine_pools = true;  // max pools, and average pools with one window count, on the engine
  bool fuse = true;          // a residual add into its later engine producer, a clip into its producer
  bool stem_im2col = true;   // the first conv reads its input laid out kx-im2col (generators/stem.h)
  // The DRAM options the planner may use (docs/engine.md "Tiling: DRAM options"); unset: its defaults,
  // kDramOptionsOnMain (engine_plan.h dram_options()).
  std::optional<bool> row_step, band_whole, block_group;
};

// How the firmware waits for the DMAs and the engine (docs/firmware.md, "Waiting"): model.h's
// DNNVP_WAIT_INTERRUPT.
struct FirmwareConfig {
  bool wait_interrupt = false;  // wait: interrupt (sleep in wfi); poll, the default
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  Network network;
  std::string onnx;  // network.onnx: the model the network is imported from (empty: network.layers)
  InputConfig input;
  QuantConfig quant;
  HardwareConfig hardware;  // after sizing (hardware.fpga / hardware.asic): the chosen engine
  std::optional<SizingRequest> sizing_request;
  std::optional<SizingOutcome> sizing;  // what the sizer chose and why (hw.json "sizing")
  DramConfig dram;
  MappingConfig mapping;
  RunSettings run;
  // The `faults:` list: each entry a fault spec (platform/faults/fault_spec.h, checked when read) that
  // vp_run hands to the simulator as --inject.
  std::vector<std::string> faults;
  FirmwareConfig firmware;
};

// Reads and validates a scenario. Throws dnnvp::Error ("file:line: field: message").
Scenario load_scenario(const std::string& path);
// The same for a document already read (vp_sweep: a base scenario with some fields replaced); `path` names
// it in errors and anchors its relative paths.
Scenario load_scenario(const std::string& path, const YAML::Node& document);
// vp_gen --onnx: the model's scenario, named after its file, with the `hardware` (and `dram`, `mapping`,
// `run`) sections of `hardware_path` (none: the defaults).
Scenario load_onnx_scenario(const std::string& onnx_path, const std::string& hardware_path);

}  // namespace dnnvp

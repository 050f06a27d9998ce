// Writes vp_gen's artefacts (docs/formats.md) into an output directory.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine_plan.h"
#include "layout.h"
#include "scenario.h"
#include "synthesize.h"

namespace dnnvp {

struct EmitOptions {
  bool dump_layers = false;  // per-layer .npy files under layers/
  bool resources = false;    // run the Yosys resource estimate when it is not cached (docs/fpga.md)
  bool asic = false;         // run the OSU 0.18 um area/timing flow when it is not cached (docs/asic.md)
};

void write_artifacts(const Scenario& s, const SynthesizedModel& model, const MemoryLayout& layout,
                     const NetworkPlan& plan, const std::string& dir, const EmitOptions& options);

// The whole flow for one scenario: plan (hardware that cannot run a layer fails before anything is
// synthesised), lay out, synthesise, write. Returns the layout (for a summary). Throws dnnvp::Error.
MemoryLayout generate(const Scenario& s, const std::string& dir, const EmitOptions& options);

// The hardware fields that select an engine build (the simulator cache key's inputs), as hw.json
// spells them: rows, cols, widths, buffer bytes, accumulator depth. Clocks do not select a build.
nlohmann::json engine_shape_json(const HardwareConfig& h);

}  // namespace dnnvp

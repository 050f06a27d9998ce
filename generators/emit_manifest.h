// The JSON documents of vp_gen's output directory (docs/formats.md): manifest.json, what the platform reads,
// and hw.json, the scenario's hardware and run settings; both filled into manifest.h's schema.
#pragma once

#include <nlohmann/json.hpp>

#include "engine_plan.h"
#include "layout.h"
#include "scenario.h"
#include "synthesize.h"

namespace dnnvp {

nlohmann::json manifest_json(const Scenario& s, const SynthesizedModel& model, const MemoryLayout& layout,
                             const NetworkPlan& plan);
nlohmann::json hardware_json(const Scenario& s);

}  // namespace dnnvp

// report.json's `asic` section (docs/asic.md): the engine's area and timing on the OSU 0.18 um cells from
// tools/flows/asic/asic_flow.py (Yosys, qflow's blifFanout, OpenSTA; minutes at 8x16), cached per shape
// and RTL revision in the flow cache (flow_cache.h, flow "asic-osu018").
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine_shape.h"
#include "flow_cache.h"

namespace dnnvp::flows {

inline constexpr const char* kAsicFlow = "asic-osu018";

// asic_flow.py's --params for a shape: every RTL parameter, "Rows 8 Cols 16 ...".
std::string asic_flow_params(const EngineShape& shape);
// The cached figures, if any.
std::optional<nlohmann::json> cached_asic(const FlowCache& cache, const EngineShape& shape);
// The cached figures, or runs asic_flow.py (its output and logs in <cache entry>.work/) and caches them.
// Throws std::runtime_error naming the log when the flow fails.
nlohmann::json estimate_asic(const FlowCache& cache, const EngineShape& shape);

// The report's section of the flow's figures: what contract §C and vp_sweep name (area_um2, area_mm2,
// cells, fmax_mhz, critical_path_ns, library) and the rest of asic.json but its per-cell counts.
nlohmann::json asic_report_json(const nlohmann::json& figures);

// The figures for vp_gen's OUT/asic/osu018.json: the flow cache's for the shape, or with `run` the flow's
// (estimate_asic); nothing when not cached and not asked.
std::optional<nlohmann::json> shape_asic(const EngineShape& shape, bool run);
// OUT/asic/osu018.json if vp_gen wrote one (vp_run adds it to report.json as "asic").
std::optional<nlohmann::json> read_asic_json(const std::string& out_dir);
// One console line: area, cells, fmax and the critical path.
std::string asic_summary(const nlohmann::json& figures);

}  // namespace dnnvp::flows

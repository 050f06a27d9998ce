// FPGA resources of an engine shape: Yosys synth_xilinx of rtl/ at the shape's parameters, its cells
// counted as Vivado counts them (LUT, FF, DSP, 36 Kb block RAMs, UltraRAMs), cached per shape and RTL
// revision (flow_cache.h) and checked against a part's budget (fpga_parts.yaml). docs/fpga.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine_shape.h"
#include "flow_cache.h"
#include "fpga_parts.h"

namespace dnnvp::flows {

struct FpgaResources {
  std::string family;  // synth_xilinx -family: xc7 | xcup
  std::int64_t lut = 0, ff = 0, dsp = 0, uram = 0;
  double bram36 = 0;                          // a RAMB18 counts half
  std::map<std::string, std::int64_t> cells;  // every mapped cell type and its count
};

// The flow cache's name of the estimate for a family: "yosys-xilinx-<family>".
std::string resources_flow(const std::string& family);
// The Yosys script: read rtl/ (rtl/dnn_engine.f), set the shape's parameters, synth_xilinx out of context
// (no I/O or clock buffers), write `stat -json` to `stat_file`.
std::string yosys_xilinx_script(const EngineShape& shape, const std::string& family,
                                const std::string& stat_file);
// Counts the cells of Yosys's `stat -json` output (its top module). Throws std::runtime_error for output
// without one.
FpgaResources resources_from_stat(const nlohmann::json& stat, const std::string& family);

// The cached estimate, if any.
std::optional<FpgaResources> cached_resources(const FlowCache& cache, const EngineShape& shape,
                                              const std::string& family);
// The cached estimate, or runs Yosys (minutes for a large shape; its log goes to <cache entry>.log) and
// caches it. Throws std::runtime_error when yosys is missing or fails (naming the log).
FpgaResources estimate_resources(const FlowCache& cache, const EngineShape& shape, const std::string& family);

// How an estimate compares with a part's budget.
struct FitCheck {
  bool fits = false;
  std::string binding;  // the resource with the highest utilisation: lut, ff, dsp, bram36 or uram
  std::map<std::string, double> utilisation;  // used / available (infinity when the part has none)
};
FitCheck check_fit(const FpgaResources& r, const FpgaPart& part);

// {lut, ff, dsp, bram36, uram, family, tool} and, with a part, {part, device, fits, binding, utilisation}:
// resources.json and report.json's "resources".
nlohmann::json resources_json(const FpgaResources& r, const FpgaPart* part = nullptr);
FpgaResources resources_from_json(const nlohmann::json& j);

}  // namespace dnnvp::flows

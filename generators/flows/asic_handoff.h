// The ASIC hand-off vp_gen writes into OUT/asic/ (docs/asic.md, "Hand-off"): Cadence Genus/Innovus scripts
// (syn.tcl, pnr.tcl, constraint.sdc, dnnvp_flow.tcl: tools/flows/asic/handoff/, compiled in), which read the
// engine's parameters and clock from OUT/config.tcl when they run, and an OpenROAD-flow-scripts design
// config (config.mk) with the parameters written in.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dnnvp {

struct HandoffFile {
  std::string name;  // in OUT/asic/
  std::string text;
};

// `rtl_parameters`: config.tcl's (name, value) settings (the engine's parameters; ClockKhz, not one of
// dnn_engine's, is left out of config.mk).
std::vector<HandoffFile> asic_handoff_files(
    const std::vector<std::pair<std::string, std::int64_t>>& rtl_parameters);

}  // namespace dnnvp

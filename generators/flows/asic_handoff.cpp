#include "asic_handoff.h"

#include <sstream>

namespace dnnvp {

namespace embedded {
// tools/flows/asic/handoff/'s files (CMakeLists.txt, dnnvp_embed_text).
extern const char* const syn_tcl;
extern const char* const pnr_tcl;
extern const char* const constraint_sdc;
extern const char* const dnnvp_flow_tcl;
}  // namespace embedded

namespace {

// OpenROAD-flow-scripts' design config: `make DESIGN_CONFIG=OUT/asic/config.mk DNNVP_RTL=<dnn-vp>/rtl`.
std::string config_mk(const std::vector<std::pair<std::string, std::int64_t>>& rtl_parameters) {
  std::ostringstream o;
  o << "# OpenROAD-flow-scripts design config for the engine at this scenario's shape, written by vp_gen\n"
       "# (docs/asic.md, \"Hand-off\"). From the flow directory:\n"
       "#   make DESIGN_CONFIG=<OUT>/asic/config.mk DNNVP_RTL=<dnn-vp>/rtl "
       "[PLATFORM=sky130hd|gf180|asap7|nangate45]\n"
       "export DESIGN_NAME = dnn_engine\n"
       "export DESIGN_NICKNAME = dnnvp_engine\n"
       "export PLATFORM ?= sky130hd\n"
       "DNNVP_HERE := $(dir $(lastword $(MAKEFILE_LIST)))\n"
       "# The sources in rtl/dnn_engine.f's order (the one file list).\n"
       "export VERILOG_FILES = $(addprefix $(DNNVP_RTL)/,$(shell grep -v -e '^//' -e '^[[:space:]]*$$' "
       "$(DNNVP_RTL)/dnn_engine.f))\n"
       "export VERILOG_INCLUDE_DIRS = $(DNNVP_RTL)\n"
       "export VERILOG_TOP_PARAMS =";
  for (const auto& [name, value] : rtl_parameters)
    if (name != "ClockKhz") o << " " << name << " " << value;
  o << "\n"
       "# The clock from config.tcl (ClockMhz) through the shared constraints.\n"
       "export SDC_FILE = $(DNNVP_HERE)constraint.sdc\n"
       "export CORE_UTILIZATION ?= 40\n"
       "export PLACE_DENSITY ?= 0.6\n"
       "# The buffers are inferred memories: give the platform's SRAM macros here (ADDITIONAL_LEFS,\n"
       "# ADDITIONAL_LIBS) or let synthesis build them from flip-flops up to this many bits.\n"
       "export SYNTH_MEMORY_MAX_BITS ?= 4194304\n";
  return o.str();
}

}  // namespace

std::vector<HandoffFile> asic_handoff_files(
    const std::vector<std::pair<std::string, std::int64_t>>& rtl_parameters) {
  return {{"syn.tcl", embedded::syn_tcl},
          {"pnr.tcl", embedded::pnr_tcl},
          {"constraint.sdc", embedded::constraint_sdc},
          {"dnnvp_flow.tcl", embedded::dnnvp_flow_tcl},
          {"config.mk", config_mk(rtl_parameters)}};
}

}  // namespace dnnvp

# Cadence Genus synthesis of the engine at a scenario's shape (docs/asic.md, "Hand-off"), written by vp_gen
# into OUT/asic/ beside OUT/config.tcl, whose parameters and clock it reads:
#   cd OUT/asic && DNNVP_RTL=<dnn-vp>/rtl DNNVP_LIB=<your .lib> genus -files syn.tcl
# Outputs: dnn_engine.syn.v, dnn_engine.sdc, reports/. The SRAM buffers are inferred memories: replace them
# with your memory compiler's macros (docs/asic.md lists them and their sizes for the shape).
set here [file dirname [file normalize [info script]]]
namespace eval dnnvp { source [file join $here .. config.tcl] }
source [file join $here dnnvp_flow.tcl]

set_db init_lib_search_path [file dirname $::env(DNNVP_LIB)]
set_db library $::env(DNNVP_LIB)
set_db init_hdl_search_path $::env(DNNVP_RTL)
read_hdl -sv [dnnvp::rtl_sources $::env(DNNVP_RTL)]
elaborate dnn_engine -parameters [dnnvp::rtl_parameters]
check_design -unresolved
read_sdc [file join $here constraint.sdc]
syn_generic
syn_map
syn_opt
file mkdir reports
report_area > reports/area.rpt
report_timing > reports/timing.rpt
report_gates > reports/gates.rpt
write_hdl > dnn_engine.syn.v
write_sdc > dnn_engine.sdc

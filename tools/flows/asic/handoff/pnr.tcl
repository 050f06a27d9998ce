# Cadence Innovus place and route of syn.tcl's netlist (docs/asic.md, "Hand-off"), from OUT/asic/:
#   DNNVP_LEF="tech.lef cells.lef" DNNVP_LIB=<your .lib> innovus -files pnr.tcl
# Outputs: dnn_engine.gds, dnn_engine.pnr.v, reports/. Core utilisation and aspect ratio are the
# variables below; the clock comes from config.tcl through constraint.sdc.
set here [file dirname [file normalize [info script]]]
namespace eval dnnvp { source [file join $here .. config.tcl] }
source [file join $here dnnvp_flow.tcl]
set core_utilisation 0.6
set aspect_ratio 1.0

set_db init_power_nets VDD
set_db init_ground_nets VSS
read_mmmc [dnnvp::write_mmmc [file join $here mmmc.tcl] $::env(DNNVP_LIB) [file join $here constraint.sdc]]
read_physical -lef $::env(DNNVP_LEF)
read_netlist dnn_engine.syn.v -top dnn_engine
init_design
create_floorplan -core_density_size $aspect_ratio $core_utilisation 10 10 10 10
add_rings -nets {VDD VSS} -width 2 -spacing 1 -layer {top M1 bottom M1 left M2 right M2}
route_special -nets {VDD VSS}
place_design
ccopt_design
route_design
opt_design -post_route
file mkdir reports
time_design -post_route -report_dir reports
check_drc -out_file reports/drc.rpt
write_netlist dnn_engine.pnr.v
write_stream dnn_engine.gds

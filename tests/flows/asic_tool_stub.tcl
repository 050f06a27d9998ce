# Stubs of the Cadence Genus / Innovus and SDC commands the ASIC hand-off scripts use (tests/flows/
# test_asic_handoff.py): each records its call as one tab-separated line `CALL name args...` on stdout. A
# command the scripts use but this file does not define fails the run ("invalid command name"). read_sdc
# and read_mmmc source the file they are given, create_constraint_mode its SDC files, as the tools do, so
# their commands are checked too.
#   tclsh asic_tool_stub.tcl SCRIPT
proc record {name args} { puts [join [list CALL $name {*}$args] \t] }
foreach name {
  set_db read_hdl elaborate check_design syn_generic syn_map syn_opt report_area report_timing report_gates
  write_hdl write_sdc read_physical read_netlist init_design create_floorplan add_rings route_special
  place_design ccopt_design route_design opt_design time_design check_drc write_netlist write_stream
  create_clock set_input_delay set_output_delay set_false_path
  create_library_set create_timing_condition create_rc_corner create_delay_corner
  create_analysis_view set_analysis_view
} {
  proc $name {args} "record $name {*}\$args"
}
proc get_ports {pattern} { record get_ports $pattern; return [list port:$pattern] }
proc all_inputs {} { return {port:clk_i port:rst_ni port:s_axis_x_tvalid_i} }
proc all_outputs {} { return {port:s_axis_x_tready_o} }
proc read_sdc {file} { record read_sdc $file; uplevel #0 [list source $file] }
proc read_mmmc {file} { record read_mmmc $file; uplevel #0 [list source $file] }
proc create_constraint_mode {args} {
  record create_constraint_mode {*}$args
  foreach file [dict get $args -sdc_files] { uplevel #0 [list source $file] }
}
set argv0 [lindex $argv 0]
source [lindex $argv 0]

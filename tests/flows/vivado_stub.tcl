# A stub of the Vivado Tcl commands a generated vivado.tcl uses (generators/flows/vivado_tcl.cpp), for
# tclsh: every call is appended to RECORD as one line, the command and its arguments separated by tabs,
# and getters return the names they were given, so the script runs as it would in Vivado. A command the
# stub does not define fails the script, like an unknown command or a syntax error.
#   tclsh vivado_stub.tcl SCRIPT RECORD
lassign $argv script record
namespace eval ipx {}
set dnnvp_record [open $record w]
proc dnnvp_call {cmd args} {
  puts $::dnnvp_record [join [linsert $args 0 $cmd] "\t"]
  flush $::dnnvp_record
}
# Commands whose result the script uses: the object they name (a getter's last argument, a creator's name).
foreach cmd {get_bd_cells get_bd_intf_pins get_bd_pins get_bd_addr_spaces get_bd_addr_segs get_files
             ipx::get_bus_interfaces ipx::get_bus_parameters ipx::get_memory_maps} {
  proc $cmd {args} "dnnvp_call $cmd {*}\$args; return \[lindex \$args end\]"
}
foreach cmd {ipx::add_bus_interface ipx::add_port_map ipx::add_bus_parameter ipx::add_memory_map
             ipx::add_address_block} {
  proc $cmd {args} "dnnvp_call $cmd {*}\$args; return \[lindex \$args 0\]"
}
proc current_fileset {args} { dnnvp_call current_fileset {*}$args; return sources_1 }
proc current_project {args} { dnnvp_call current_project {*}$args; return project_1 }
proc ipx::current_core {args} { dnnvp_call ipx::current_core {*}$args; return core }
proc make_wrapper {args} { dnnvp_call make_wrapper {*}$args; return dnnvp_wrapper.v }
# Commands that only act.
foreach cmd {create_project add_files set_property close_project update_ip_catalog create_bd_design
             create_bd_cell connect_bd_intf_net connect_bd_net assign_bd_address validate_bd_design
             save_bd_design launch_runs wait_on_run write_hw_platform ipx::package_project
             ipx::create_xgui_files ipx::update_checksums ipx::save_core} {
  proc $cmd {args} "dnnvp_call $cmd {*}\$args"
}
set argv {}
set argc 0
source $script
close $dnnvp_record

# The engine's clock at the scenario's clock_mhz (config.tcl ClockMhz); read by syn.tcl, pnr.tcl (through
# the MMMC view) and OpenROAD flows (config.mk's SDC_FILE). I/O delays: a fifth of the period each side.
set here [file dirname [file normalize [info script]]]
namespace eval dnnvp { source [file join $here .. config.tcl] }
set period [expr {1000.0 / $dnnvp::ClockMhz}]
create_clock -name clk -period $period [get_ports clk_i]
set io [lsearch -all -inline -not -exact [all_inputs] [get_ports clk_i]]
set_input_delay [expr {0.2 * $period}] -clock clk $io
set_output_delay [expr {0.2 * $period}] -clock clk [all_outputs]
set_false_path -from [get_ports rst_ni]

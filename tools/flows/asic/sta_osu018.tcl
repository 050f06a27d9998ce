# OpenSTA (sta -exit) timing of the netlist synth_osu018.tcl mapped, run by asic_flow.py:
#   ASIC_LIBERTY  the standard cells' liberty file
#   ASIC_NETLIST  netlist.v
#   ASIC_PERIOD_NS  the clock period the slack is measured against
# The clock is clk_i; every other port (the engine's AXI ports and the SRAM macros' ports that synthesis
# exposed) is timed as an ideal register: input and output delay 0, so the worst path is register (or
# macro) to register (or macro) through the engine's own logic. Pre-layout: no wire load, no clock skew.
read_liberty $::env(ASIC_LIBERTY)
read_verilog $::env(ASIC_NETLIST)
link_design dnn_engine
create_clock -name clk -period $::env(ASIC_PERIOD_NS) [get_ports clk_i]
set inputs [lsearch -all -inline -not -exact [all_inputs] [get_ports clk_i]]
set_input_delay 0 -clock clk $inputs
set_output_delay 0 -clock clk [all_outputs]
# The reset is synchronised outside the engine (one register): not a path of the engine's clock.
set_false_path -from [get_ports rst_ni]
report_checks -path_delay max -digits 3 -fields {fanout}
report_worst_slack -digits 3

# Yosys (yosys -c): the buffered BLIF asic_flow.py made from synth_osu018.tcl's to the netlist OpenSTA
# reads, with its cell area:
#   ASIC_LIBERTY  the standard cells' liberty file
#   ASIC_BLIF     the buffered netlist (blifFanout's output)
#   ASIC_OUT      output directory: stat.txt, netlist.v
set out $::env(ASIC_OUT)
yosys read_liberty -lib $::env(ASIC_LIBERTY)
yosys read_blif $::env(ASIC_BLIF)
yosys hierarchy -top dnn_engine
# Flip-flops named after their output wire: OpenSTA's critical path then names RTL registers.
yosys rename -wire t:DFF*
yosys tee -q -o $out/stat.txt stat -liberty $::env(ASIC_LIBERTY)
yosys write_verilog -noattr -noexpr -nohex -nodec $out/netlist.v

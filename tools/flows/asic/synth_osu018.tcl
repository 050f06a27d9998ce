# Yosys (yosys -c) synthesis of the engine at one shape onto the OSU 0.18 um standard cells (Debian's
# qflow-tech-osu018), run by asic_flow.py, which passes everything through the environment:
#   ASIC_RTL      rtl/ (dnn_engine.f lists the sources)
#   ASIC_PARAMS   "Rows 4 Cols 8 ..." (the engine's RTL parameters)
#   ASIC_LIBERTY  the standard cells' liberty file
#   ASIC_PERIOD_PS  the clock period ABC maps for
#   ASIC_MACRO_MIN_WORDS  memories of at least this many words become SRAM macros (asic_tech.json)
#   ASIC_BUFFER   the buffer cell, its input and output pin (asic_tech.json)
#   ASIC_OUT      output directory: macros.txt (the memories taken out), mapped.blif
# Buffers are not synthesised to flip-flops: every memory of at least ASIC_MACRO_MIN_WORDS words is taken
# out after memory inference and its ports become the netlist's ports (inputs: the macro's read data;
# outputs: its address, data and enables), so the logic around it stays and OpenSTA times the paths to and
# from it. asic_flow.py adds the macros' area from the SRAM model.
set rtl $::env(ASIC_RTL)
set out $::env(ASIC_OUT)
set liberty $::env(ASIC_LIBERTY)
set sources {}
set f [open $rtl/dnn_engine.f]
foreach line [split [read $f] "\n"] {
  set line [string trim $line]
  if {$line ne "" && ![string match "//*" $line]} { lappend sources $rtl/$line }
}
close $f
set chparams {}
foreach {name value} $::env(ASIC_PARAMS) { lappend chparams -chparam $name $value }

yosys read_verilog -sv -I$rtl {*}$sources
yosys hierarchy -check -top dnn_engine {*}$chparams
# Up to memory inference (proc, flatten, opt, wreduce, alumacc, memory -nomap): memories are $mem_v2 cells.
yosys synth -top dnn_engine -flatten -run :fine
yosys select -set macros t:\$mem_v2 r:SIZE>=$::env(ASIC_MACRO_MIN_WORDS) %i
yosys tee -q -o $out/macros.txt dump @macros
yosys select -set macro_in @macros %ci1:+\[WR_ADDR,WR_DATA,WR_EN,RD_ADDR,RD_EN\] w:* %i
yosys select -set macro_out @macros %co1:+\[RD_DATA\] w:* %i
yosys expose @macro_in
yosys delete @macros
yosys expose -input @macro_out
yosys synth -top dnn_engine -run fine:check -noabc
yosys dfflibmap -liberty $liberty
# Delay-driven mapping: ABC sizes gates and buffers the nets inside the logic it maps.
yosys abc -liberty $liberty -D $::env(ASIC_PERIOD_PS)
yosys setundef -zero
yosys splitnets -ports
yosys opt_clean
# BLIF for qflow's blifFanout (asic_flow.py buffers the high-fanout nets, flip-flop outputs included, which
# ABC cannot see), then netlist_osu018.tcl gives the area and the netlist OpenSTA reads.
yosys write_blif -gates -buf {*}$::env(ASIC_BUFFER) $out/mapped.blif

// The engine's SystemVerilog sources in compile order (packages first), relative to this file: the one list
// the build (cmake/DnnvpEngineModel.cmake), the RTL benches, tools/rtl_lint.sh and tools/rtl_synth.sh read.
// Verilator takes it as is (-F rtl/dnn_engine.f); lint waivers are rtl/lint_waivers.vlt.
dnn_regs_pkg.sv
dnn_fifo.sv
dnn_ram_1r1w.sv
dnn_input_banks.sv
dnn_regs.sv
dnn_input_loader.sv
dnn_weight_loader.sv
dnn_pe_array.sv
dnn_dw_feed.sv
dnn_out_range.sv
dnn_requant.sv
dnn_pool_out.sv
dnn_core.sv
dnn_output_buffer.sv
dnn_eltwise.sv
dnn_engine.sv

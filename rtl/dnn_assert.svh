// Assertion macros shared by every engine module, so the checking style lives in one place.
// Active in simulation (Verilator --assert); synthesis (SYNTHESIS defined) sees none of them.
`ifndef DNN_ASSERT_SVH
`define DNN_ASSERT_SVH

`ifndef SYNTHESIS
// A property that must hold on every clock edge out of reset.
`define DNN_ASSERT(__name, __prop, __clk, __rst_n) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) (__prop)) \
    else $error("assertion %s failed", `"__name`");

// AXI-Stream handshake: once TVALID is high it stays high, with stable payload, until TREADY.
`define DNN_ASSERT_STREAM_STABLE(__name, __valid, __ready, __payload, __clk, __rst_n) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) \
    ((__valid) && !(__ready)) |=> ((__valid) && $stable(__payload))) \
    else $error("stream %s changed while stalled", `"__name`");

// A control signal never carries X/Z out of reset (meaningful in 4-state simulators).
`define DNN_ASSERT_KNOWN(__name, __sig, __clk, __rst_n) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) !$isunknown(__sig)) \
    else $error("%s is unknown", `"__name`");
`else
`define DNN_ASSERT(__name, __prop, __clk, __rst_n)
`define DNN_ASSERT_STREAM_STABLE(__name, __valid, __ready, __payload, __clk, __rst_n)
`define DNN_ASSERT_KNOWN(__name, __sig, __clk, __rst_n)
`endif

`endif  // DNN_ASSERT_SVH

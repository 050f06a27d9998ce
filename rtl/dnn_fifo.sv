// Synchronous FIFO with valid/ready on both sides. Output is registered from storage, so no
// combinational path runs from in_valid_i to out_valid_o or from out_ready_i to in_ready_o.
`include "dnn_assert.svh"

module dnn_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned CountBits = $clog2(Depth + 1)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic [Width-1:0]     in_data_i,
  input  logic                 in_valid_i,
  output logic                 in_ready_o,
  output logic [Width-1:0]     out_data_o,
  output logic                 out_valid_o,
  input  logic                 out_ready_i,
  output logic [CountBits-1:0] count_o
);
  localparam int unsigned PtrBits = Depth > 1 ? $clog2(Depth) : 1;
  localparam logic [PtrBits-1:0] LastPtr = PtrBits'(Depth - 1);
  localparam logic [CountBits-1:0] Full = CountBits'(Depth);

  logic [Width-1:0]     mem_q [Depth];
  logic [PtrBits-1:0]   rd_ptr_q, wr_ptr_q;
  logic [CountBits-1:0] count_q;

  wire push = in_valid_i && in_ready_o;
  wire pop  = out_valid_o && out_ready_i;

  assign in_ready_o  = count_q != Full;
  assign out_valid_o = count_q != '0;
  assign out_data_o  = mem_q[rd_ptr_q];
  assign count_o     = count_q;

  function automatic logic [PtrBits-1:0] next_ptr(input logic [PtrBits-1:0] ptr);
    next_ptr = ptr == LastPtr ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q <= '0;
      wr_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      if (push) wr_ptr_q <= next_ptr(wr_ptr_q);
      if (pop) rd_ptr_q <= next_ptr(rd_ptr_q);
      if (push != pop) count_q <= push ? count_q + 1'b1 : count_q - 1'b1;
    end
  end

  // Storage has no reset: it is only read where count says it was written.
  always_ff @(posedge clk_i) begin
    if (push) mem_q[wr_ptr_q] <= in_data_i;
  end

  `DNN_ASSERT_STREAM_STABLE(FifoOutStable, out_valid_o, out_ready_i, out_data_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(FifoOutValidKnown, out_valid_o, clk_i, rst_ni)
endmodule

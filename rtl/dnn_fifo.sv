// Synchronous first-word-fall-through FIFO with valid/ready on both sides. No combinational path runs
// from in_valid_i to out_valid_o or from out_ready_i to in_ready_o.
//
// Storage is read through a registered read port (like dnn_ram_1r1w), so synthesis maps a deep FIFO
// onto block RAM (and a shallow one onto LUT RAM or flip-flops) instead of a flip-flop array with a
// read multiplexer. The ports behave as a FIFO whose head is visible the cycle after it was written:
// the head is held in an output register, filled from the input (bypass) when the word being written
// becomes the head, else read from storage when the head is popped. The word read then was written
// at least a cycle earlier and is never the one being written (that one is Depth-1 or fewer places
// behind), so the RAM's read-during-write behaviour never matters.
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
  localparam logic [CountBits-1:0] One = CountBits'(1);

  logic [Width-1:0]     mem_q [Depth];
  logic [PtrBits-1:0]   rd_ptr_q, wr_ptr_q;
  logic [CountBits-1:0] count_q;
  logic [Width-1:0]     bypass_q, read_q;  // the head: the word written last into an empty FIFO, or read
  logic                 head_read_q;       // the head is read_q

  wire push = in_valid_i && in_ready_o;
  wire pop  = out_valid_o && out_ready_i;
  // The word written now becomes the head: the FIFO is empty, or its only word leaves.
  wire head_bypass = push && (count_q == '0 || (count_q == One && pop));
  // The next word, already in storage, becomes the head.
  wire head_read = pop && count_q != One;  // pop: count_q is not 0

  assign in_ready_o  = count_q != Full;
  assign out_valid_o = count_q != '0;
  assign out_data_o  = head_read_q ? read_q : bypass_q;
  assign count_o     = count_q;

  function automatic logic [PtrBits-1:0] next_ptr(input logic [PtrBits-1:0] ptr);
    next_ptr = ptr == LastPtr ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q    <= '0;
      wr_ptr_q    <= '0;
      count_q     <= '0;
      head_read_q <= 1'b0;
    end else begin
      if (push) wr_ptr_q <= next_ptr(wr_ptr_q);
      if (pop) rd_ptr_q <= next_ptr(rd_ptr_q);
      if (push != pop) count_q <= push ? count_q + 1'b1 : count_q - 1'b1;
      if (head_bypass) head_read_q <= 1'b0;
      else if (head_read) head_read_q <= 1'b1;
    end
  end

  // Storage and the head registers have no reset: they are only read where count says they were
  // written.
  always_ff @(posedge clk_i) begin
    if (push) mem_q[wr_ptr_q] <= in_data_i;
    if (head_read) read_q <= mem_q[next_ptr(rd_ptr_q)];
    if (head_bypass) bypass_q <= in_data_i;
  end

  `DNN_ASSERT_STREAM_STABLE(FifoOutStable, out_valid_o, out_ready_i, out_data_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(FifoOutValidKnown, out_valid_o, clk_i, rst_ni)
  // The word read is never the one written in the same cycle (see above).
  `DNN_ASSERT(FifoReadNotWritten, !(head_read && push) || next_ptr(rd_ptr_q) != wr_ptr_q, clk_i, rst_ni)
endmodule

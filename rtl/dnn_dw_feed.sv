// The depthwise feed (docs/engine.md "Depthwise"): a sliding KHxKW window over the input vectors the
// core reads in raster order, so that a depthwise convolution puts its kernel taps on the PE rows and
// its channels on the columns (MODE.OP 3). The core streams a tile's input window row by row, one
// slot per input position (a vector of Lanes channels: the F words of a chunk group, zero for a
// padded position); the feed keeps the last KH-1 rows in line buffers and the last KW-1 columns of
// the window in registers, so at the slot of a window's bottom-right tap all KH*KW tap vectors are
// there. Tap t = ky*KW + kx goes to PE row r = t - s*Rows in sweep s (rows of taps >= KH*KW get zero),
// channel c of the vector to column c.
//
// Timing (the core's stages): S0 slot_valid_i with the slot's flags, the line buffers are read;
// S1 the slot's vector vec_i arrives and taps_o holds that slot's window (combinational from the
// window registers, the line buffers' read data and vec_i); the line buffers and window registers
// take the slot's column at the end of S1. Which slots complete a stride-aligned window is the
// core's business: it issues those to the array and ignores taps_o otherwise.
//
// Limits: KH, KW <= MaxKernel (3); the window row Wp <= LinePixels; a window row of one pixel needs
// KH = 1 (else a slot's line-buffer read would meet the previous slot's write to the same address).
//
// Ports
//   kh_i, kw_i [1:0]                        kernel (1 .. MaxKernel), constant during a tile
//   slot_valid_i                            S0: a slot of the window (one input position)
//   slot_row_first_i                        S0: the slot is the first of a window row
//   slot_sweep_i[SweepBits-1:0]             S0: the pass's sweep s (taps s*Rows ..)
//   vec_i[FoldMax*Rows*XBits-1:0]           S1: the slot's input vector (the input buffer's read, zero
//                                           when padded); channel c at [c*XBits +: XBits], c < Lanes
//   taps_o[Rows*Cols*XBits-1:0]             S1: PE (r, c) at [(r*Cols + c)*XBits +: XBits]
`include "dnn_assert.svh"

module dnn_dw_feed #(
  parameter int unsigned Rows       = 4,
  parameter int unsigned Cols       = 8,
  parameter int unsigned XBits      = 9,
  parameter int unsigned FoldMax    = 1,
  parameter int unsigned LinePixels = 32,
  localparam int unsigned MaxKernel = 3,
  localparam int unsigned MaxTaps   = MaxKernel * MaxKernel,
  // Sweeps of MaxTaps taps on Rows rows.
  localparam int unsigned SweepBits = $clog2((MaxTaps + Rows - 1) / Rows + 1),
  // Channels of a vector: F*Rows <= Cols for a legal fold (dnn_regs).
  localparam int unsigned Lanes     = FoldMax * Rows <= Cols ? FoldMax * Rows : Cols
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic [1:0]                    kh_i,
  input  logic [1:0]                    kw_i,
  input  logic                          slot_valid_i,
  input  logic                          slot_row_first_i,
  input  logic [SweepBits-1:0]          slot_sweep_i,
  input  logic [FoldMax*Rows*XBits-1:0] vec_i,
  output logic [Rows*Cols*XBits-1:0]    taps_o
);
  localparam int unsigned VecBits   = Lanes * XBits;
  localparam int unsigned Lines     = MaxKernel - 1;
  localparam int unsigned LineBits  = LinePixels > 1 ? $clog2(LinePixels) : 1;
  // Rows that ever get a tap: taps s*Rows + r < MaxTaps.
  localparam int unsigned TapRows   = Rows < MaxTaps ? Rows : MaxTaps;
  localparam logic [3:0]  NoTap     = 4'd15;
  localparam logic [LineBits-1:0] LastPixel = LineBits'(LinePixels - 1);

  // ---------------------------------------------------------------- S0: line-buffer read
  logic [LineBits-1:0] col_q;  // the previous slot's column in the window row
  wire  [LineBits-1:0] col_w = slot_row_first_i ? '0 : col_q + 1'b1;
  logic                s1_valid_q;
  logic [LineBits-1:0] s1_col_q;
  logic [TapRows*4-1:0] sel_q;  // S1: row r's window position dy*3 + dx, or NoTap

  // The window position of tap t = ky*KW + kx: dy = KH-1-ky rows and dx = KW-1-kx columns back from
  // the newest (the slot's own position), as dy*3 + dx; NoTap when t >= KH*KW.
  // (No multipliers: ky*KW is a sum of ky KWs, dy*3 a shift and an add.)
  function automatic logic [3:0] tap_position(int unsigned t, logic [1:0] kh, logic [1:0] kw);
    logic [3:0] row_start, dy, dx;
    tap_position = NoTap;
    row_start = '0;  // ky * KW
    for (int unsigned ky = 0; ky < MaxKernel; ky++) begin
      for (int unsigned kx = 0; kx < MaxKernel; kx++) begin
        dy = 4'(kh) - 4'd1 - 4'(ky);
        dx = 4'(kw) - 4'd1 - 4'(kx);
        if (4'(ky) < 4'(kh) && 4'(kx) < 4'(kw) && 32'(row_start) + kx == t) tap_position = (dy << 1) + dy + dx;
      end
      row_start = row_start + 4'(kw);
    end
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) s1_valid_q <= 1'b0;
    else s1_valid_q <= slot_valid_i;
  end
  always_ff @(posedge clk_i) begin
    if (slot_valid_i) begin
      col_q    <= col_w;
      s1_col_q <= col_w;
      for (int unsigned r = 0; r < TapRows; r++) begin
        sel_q[r*4 +: 4] <= NoTap;
        for (int unsigned s = 0; s < MaxTaps; s++) begin
          if (s * Rows + r < MaxTaps && 32'(slot_sweep_i) == s) sel_q[r*4 +: 4] <= tap_position(s * Rows + r, kh_i, kw_i);
        end
      end
    end
  end

  // ---------------------------------------------------------------- line buffers
  // Line 0 holds the row above the slot's, line 1 the one above that: a slot reads both at its column
  // and writes {line 0's value, its own vector} back, so each row moves down a line.
  logic [Lines*VecBits-1:0] lines_rd;
  wire  [VecBits-1:0] vec = vec_i[VecBits-1:0];
  dnn_ram_1r1w #(.Width(Lines * VecBits), .Depth(LinePixels)) u_lines (
    .clk_i,
    .wr_en_i(s1_valid_q), .wr_addr_i(s1_col_q), .wr_data_i({lines_rd[0 +: VecBits], vec}),
    .rd_en_i(slot_valid_i), .rd_addr_i(col_w), .rd_data_o(lines_rd)
  );

  // ---------------------------------------------------------------- window
  // Column dx = 0 is the slot's own (vec_i, line 0, line 1 for dy = 0, 1, 2); dx = 1, 2 are registers.
  logic [MaxKernel*VecBits-1:0] win1_q, win2_q;  // dy at [dy*VecBits +: VecBits]
  wire  [MaxKernel*VecBits-1:0] win0 = {lines_rd, vec};
  always_ff @(posedge clk_i) begin
    if (s1_valid_q) begin
      win1_q <= win0;
      win2_q <= win1_q;
    end
  end
  wire [MaxTaps*VecBits-1:0] window;  // position dy*3 + dx at [(dy*3 + dx)*VecBits +: VecBits]
  for (genvar dy = 0; dy < MaxKernel; dy++) begin : g_window
    assign window[(dy*3 + 0)*VecBits +: VecBits] = win0[dy*VecBits +: VecBits];
    assign window[(dy*3 + 1)*VecBits +: VecBits] = win1_q[dy*VecBits +: VecBits];
    assign window[(dy*3 + 2)*VecBits +: VecBits] = win2_q[dy*VecBits +: VecBits];
  end

  // ---------------------------------------------------------------- taps on rows
  for (genvar r = 0; r < Rows; r++) begin : g_row
    logic [VecBits-1:0] tap;
    if (r < TapRows) begin : g_tap
      always_comb begin
        tap = '0;
        for (int unsigned p = 0; p < MaxTaps; p++) begin
          if (32'(sel_q[r*4 +: 4]) == p) tap = window[p*VecBits +: VecBits];
        end
      end
    end else begin : g_no_tap
      assign tap = '0;
    end
    assign taps_o[r*Cols*XBits +: VecBits] = tap;
    if (Cols > Lanes) begin : g_idle_cols
      assign taps_o[r*Cols*XBits + VecBits +: (Cols - Lanes)*XBits] = '0;
    end
  end

  if (FoldMax * Rows > Lanes) begin : g_unused
    logic unused_vec_hi;  // words beyond Cols lanes: a fold that wide is refused (F*Rows <= Cols)
    assign unused_vec_hi = ^vec_i[FoldMax*Rows*XBits-1:VecBits];
  end

  // ---------------------------------------------------------------- checks
  `DNN_ASSERT(DwFeedKernel, !slot_valid_i || (kh_i != '0 && kw_i != '0), clk_i, rst_ni)
  // The window row fits the line buffers (the planner's Wp <= DwLinePixels).
  `DNN_ASSERT(DwFeedLineFits, !slot_valid_i || slot_row_first_i || col_q != LastPixel, clk_i, rst_ni)
  // A slot's line-buffer read never meets the previous slot's write (a one-pixel row needs KH = 1).
  `DNN_ASSERT(DwFeedNoCollision, !(slot_valid_i && s1_valid_q && col_w == s1_col_q && kh_i != 2'd1),
              clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(DwFeedValidKnown, slot_valid_i, clk_i, rst_ni)
endmodule

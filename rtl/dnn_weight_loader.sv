// Weight loader: s_axis_w -> weight buffer (a FifoBeats-deep dnn_fifo) -> per output-channel block
// one params block (bias, multiplier, shift of Cols channels) and cmd_passes_i weight blocks
// (Rows x Cols weights), each presented on its own valid/ready port from an output register.
//
// Stream layout per block cb (docs/engine.md, "s_axis_w"): params block of Cols*9 bytes, then the
// pass weight blocks of Rows*Cols values at the storage width (4 if cmd_bits_i <= 4, else 8), each
// block zero-padded to a whole beat. So a block always starts on a beat and its beat count is a
// constant: ParamBeats, W4Beats or W8Beats.
//
// Assembly: the beats of a block but its last shift into an assembly register (a shift register,
// so the first beat of a block of n beats ends up n-1 slots below the top, a constant position per
// block kind). The last beat is popped only when the block's output register is free (or being
// emptied this cycle) and goes straight into it together with the assembled beats, so a block
// can be assembled while the previous one waits on its ready, and a ready consumer gets one block
// every W4Beats/W8Beats beats without bubbles.
//
// Lengths: beats are counted per block (no multiplier): the blob's last beat is the last beat of
// the last weight block of the last channel block. TLAST there ends the command. A blob may arrive
// as several packets split at channel-block boundaries (a DMA's length register caps one transfer):
// TLAST on the last beat of an earlier channel block continues the command. Any other earlier
// TLAST ends it after that beat (a block completed by it is still delivered) with len_error_o; a
// missing TLAST flags len_error_o and drops beats up to and including the next TLAST. done_o
// pulses once the last beat is consumed, len_error_o in the same cycle.
`include "dnn_assert.svh"

module dnn_weight_loader #(
  parameter int unsigned Rows       = 8,
  parameter int unsigned Cols       = 16,
  parameter int unsigned WeightBits = 8,
  parameter int unsigned StreamBits = 64,
  parameter int unsigned FifoBeats  = 16
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  // Command: one blob.
  input  logic                             cmd_valid_i,
  output logic                             cmd_ready_o,
  input  logic [15:0]                      cmd_blocks_i,
  input  logic [31:0]                      cmd_passes_i,
  input  logic [3:0]                       cmd_bits_i,
  // Weight stream.
  input  logic [StreamBits-1:0]            s_axis_tdata_i,
  input  logic                             s_axis_tvalid_i,
  output logic                             s_axis_tready_o,
  input  logic                             s_axis_tlast_i,
  // Params of one block.
  output logic                             params_valid_o,
  input  logic                             params_ready_i,
  output logic [Cols*32-1:0]               params_bias_o,
  output logic [Cols*32-1:0]               params_mult_o,
  output logic [Cols*6-1:0]                params_shift_o,
  // Weights of one pass.
  output logic                             wblk_valid_o,
  input  logic                             wblk_ready_i,
  output logic [Rows*Cols*WeightBits-1:0]  wblk_data_o,
  output logic                             done_o,
  output logic                             len_error_o
);
  localparam int unsigned Values     = Rows * Cols;
  localparam int unsigned ParamBeats = (Cols * 72 + StreamBits - 1) / StreamBits;
  localparam int unsigned W8Beats    = (Values * 8 + StreamBits - 1) / StreamBits;
  localparam int unsigned W4Beats    = (Values * 4 + StreamBits - 1) / StreamBits;
  localparam int unsigned MaxBeats   = ParamBeats > W8Beats ? ParamBeats : W8Beats;
  // Beats held in the assembly register: all of a block but the last.
  localparam int unsigned AsmSlots   = MaxBeats > 1 ? MaxBeats - 1 : 1;
  localparam int unsigned IdxBits    = MaxBeats > 1 ? $clog2(MaxBeats) : 1;
  localparam int unsigned BlkBits    = Values * WeightBits;
  localparam int unsigned FifoCntBits = $clog2(FifoBeats + 1);

  localparam logic [IdxBits-1:0] ParamLast = IdxBits'(ParamBeats - 1);
  localparam logic [IdxBits-1:0] W8Last    = IdxBits'(W8Beats - 1);
  localparam logic [IdxBits-1:0] W4Last    = IdxBits'(W4Beats - 1);

  localparam logic [1:0] StIdle    = 2'd0;
  localparam logic [1:0] StRun     = 2'd1;
  localparam logic [1:0] StDiscard = 2'd2;  // missing TLAST: dropping beats up to the next TLAST

  // ---------------------------------------------------------------------------------------------
  // Weight buffer
  logic [StreamBits:0]   fifo_out;
  logic [StreamBits-1:0] f_data;
  logic                  f_last, f_valid, f_ready;
  logic [FifoCntBits-1:0] unused_fifo_count;

  dnn_fifo #(
    .Width(StreamBits + 1),
    .Depth(FifoBeats)
  ) u_weight_buffer (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_data_i  ({s_axis_tlast_i, s_axis_tdata_i}),
    .in_valid_i (s_axis_tvalid_i),
    .in_ready_o (s_axis_tready_o),
    .out_data_o (fifo_out),
    .out_valid_o(f_valid),
    .out_ready_i(f_ready),
    .count_o    (unused_fifo_count)
  );
  assign f_data = fifo_out[StreamBits-1:0];
  assign f_last = fifo_out[StreamBits];

  // ---------------------------------------------------------------------------------------------
  // State
  logic [1:0]              state_q, state_d;
  logic                    st4_q, st4_d;            // weights at storage width 4
  logic [31:0]             passes_q, passes_d;
  logic [15:0]             blk_left_q, blk_left_d;  // channel blocks left, this one included
  logic [31:0]             pass_left_q, pass_left_d;  // weight blocks left in this channel block
  logic                    phase_w_q, phase_w_d;    // 0: params block, 1: weight block
  logic [IdxBits-1:0]      idx_q, idx_d;            // beat within the block
  logic                    done_q, done_d;
  logic                    len_error_q, len_error_d;
  logic [AsmSlots*StreamBits-1:0] asm_q, asm_d;

  logic                    params_valid_q, params_valid_d;
  logic [Cols*32-1:0]      params_bias_q, params_mult_q;
  logic [Cols*6-1:0]       params_shift_q;
  logic                    wblk_valid_q, wblk_valid_d;
  logic [BlkBits-1:0]      wblk_data_q;

  // ---------------------------------------------------------------------------------------------
  // Beat handling
  logic               run, pop, blk_end, cblk_last, cblk_end, final_blk, final_beat, out_free;
  logic               params_load, wblk_load, asm_shift;
  logic [IdxBits-1:0] blk_last_idx;

  assign run          = state_q == StRun;
  assign blk_last_idx = !phase_w_q ? ParamLast : st4_q ? W4Last : W8Last;
  assign blk_end      = idx_q == blk_last_idx;
  // The block in flight is the last of its channel block; its last beat may end a packet.
  assign cblk_last    = phase_w_q ? pass_left_q == 32'd1 : passes_q == '0;
  assign cblk_end     = blk_end && cblk_last;
  assign final_blk    = blk_left_q == 16'd1 && cblk_last;
  assign final_beat   = blk_end && final_blk;
  assign out_free     = phase_w_q ? !wblk_valid_q || wblk_ready_i : !params_valid_q || params_ready_i;
  // A block's last beat waits in the weight buffer until its output register can take it.
  assign f_ready      = (run && (!blk_end || out_free)) || state_q == StDiscard;
  assign pop          = f_valid && f_ready;
  assign asm_shift    = run && pop && !blk_end;
  assign params_load  = run && pop && blk_end && !phase_w_q;
  assign wblk_load    = run && pop && blk_end && phase_w_q;

  assign cmd_ready_o = state_q == StIdle;

  always_comb begin
    state_d     = state_q;
    st4_d       = st4_q;
    passes_d    = passes_q;
    blk_left_d  = blk_left_q;
    pass_left_d = pass_left_q;
    phase_w_d   = phase_w_q;
    idx_d       = idx_q;
    done_d      = 1'b0;
    len_error_d = 1'b0;

    unique case (state_q)
      StIdle: begin
        if (cmd_valid_i) begin
          st4_d      = cmd_bits_i <= 4'd4;
          passes_d   = cmd_passes_i;
          blk_left_d = cmd_blocks_i;
          phase_w_d  = 1'b0;
          idx_d      = '0;
          if (cmd_blocks_i == '0) begin
            done_d = 1'b1;  // empty blob: nothing to receive
          end else begin
            state_d = StRun;
          end
        end
      end
      StRun: begin
        if (pop) begin
          if (!blk_end) begin
            idx_d = idx_q + 1'b1;
          end else begin
            idx_d = '0;
            if (!phase_w_q) begin
              if (passes_q == '0) begin
                blk_left_d = blk_left_q - 1'b1;
              end else begin
                phase_w_d   = 1'b1;
                pass_left_d = passes_q;
              end
            end else if (pass_left_q == 32'd1) begin
              phase_w_d  = 1'b0;
              blk_left_d = blk_left_q - 1'b1;
            end else begin
              pass_left_d = pass_left_q - 1'b1;
            end
          end
          if (final_beat && !f_last) begin
            state_d = StDiscard;
          end else if (final_beat || (f_last && !cblk_end)) begin
            state_d     = StIdle;
            done_d      = 1'b1;
            len_error_d = !final_beat;
          end
        end
      end
      StDiscard: begin
        if (pop && f_last) begin
          state_d     = StIdle;
          done_d      = 1'b1;
          len_error_d = 1'b1;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  // Assembly shift register: the newest beat enters at the top.
  always_comb begin
    asm_d = asm_q;
    for (int b = 0; b + 1 < AsmSlots; b++) asm_d[b*StreamBits +: StreamBits] = asm_q[(b+1)*StreamBits +: StreamBits];
    asm_d[(AsmSlots-1)*StreamBits +: StreamBits] = f_data;
  end

  // Whole blocks, as they stand when their last beat is popped: the assembled beats are the top
  // slots of the assembly register, the last beat is the one at the buffer's head.
  logic [ParamBeats*StreamBits-1:0] full_p;
  logic [W8Beats*StreamBits-1:0]    full_w8;
  logic [W4Beats*StreamBits-1:0]    full_w4;
  always_comb begin
    for (int b = 0; b + 1 < ParamBeats; b++)
      full_p[b*StreamBits +: StreamBits] = asm_q[(AsmSlots-ParamBeats+1+b)*StreamBits +: StreamBits];
    full_p[(ParamBeats-1)*StreamBits +: StreamBits] = f_data;
    for (int b = 0; b + 1 < W8Beats; b++)
      full_w8[b*StreamBits +: StreamBits] = asm_q[(AsmSlots-W8Beats+1+b)*StreamBits +: StreamBits];
    full_w8[(W8Beats-1)*StreamBits +: StreamBits] = f_data;
    for (int b = 0; b + 1 < W4Beats; b++)
      full_w4[b*StreamBits +: StreamBits] = asm_q[(AsmSlots-W4Beats+1+b)*StreamBits +: StreamBits];
    full_w4[(W4Beats-1)*StreamBits +: StreamBits] = f_data;
  end
  // Padding bytes and the top two bits of each shift byte carry nothing.
  logic unused_full;
  assign unused_full = ^{full_p, full_w8, full_w4};

  // Weights, sign-extended from the storage width (truncated when WeightBits is narrower). The loop
  // sets every bit of wblk_d, so it gets no '0 default: Verilator rejects fills wider than 8192 bits
  // (WIDTHCONCAT), which a 32x33 array at 8 bits already needs.
  logic [BlkBits-1:0] wblk_d;
  logic [15:0]        w8_ext, w4_ext;
  logic               unused_w_hi;
  always_comb begin
    w8_ext      = '0;
    w4_ext      = '0;
    unused_w_hi = 1'b0;
    for (int i = 0; i < Values; i++) begin
      w8_ext = {{8{full_w8[i*8+7]}}, full_w8[i*8 +: 8]};
      w4_ext = {{12{full_w4[i*4+3]}}, full_w4[i*4 +: 4]};
      wblk_d[i*WeightBits +: WeightBits] = st4_q ? w4_ext[WeightBits-1:0] : w8_ext[WeightBits-1:0];
      unused_w_hi = unused_w_hi ^ (^w8_ext[15:WeightBits]) ^ (^w4_ext[15:WeightBits]);
    end
  end

  // Output register handshakes.
  always_comb begin
    params_valid_d = params_valid_q;
    if (params_ready_i) params_valid_d = 1'b0;
    if (params_load) params_valid_d = 1'b1;
    wblk_valid_d = wblk_valid_q;
    if (wblk_ready_i) wblk_valid_d = 1'b0;
    if (wblk_load) wblk_valid_d = 1'b1;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q        <= StIdle;
      st4_q          <= 1'b0;
      passes_q       <= '0;
      blk_left_q     <= '0;
      pass_left_q    <= '0;
      phase_w_q      <= 1'b0;
      idx_q          <= '0;
      done_q         <= 1'b0;
      len_error_q    <= 1'b0;
      params_valid_q <= 1'b0;
      wblk_valid_q   <= 1'b0;
    end else begin
      state_q        <= state_d;
      st4_q          <= st4_d;
      passes_q       <= passes_d;
      blk_left_q     <= blk_left_d;
      pass_left_q    <= pass_left_d;
      phase_w_q      <= phase_w_d;
      idx_q          <= idx_d;
      done_q         <= done_d;
      len_error_q    <= len_error_d;
      params_valid_q <= params_valid_d;
      wblk_valid_q   <= wblk_valid_d;
    end
  end

  // Data registers need no reset: the valid flags say when they are meaningful.
  always_ff @(posedge clk_i) begin
    if (asm_shift) asm_q <= asm_d;
    if (params_load) begin
      for (int c = 0; c < Cols; c++) begin
        params_bias_q[c*32 +: 32] <= full_p[c*32 +: 32];
        params_mult_q[c*32 +: 32] <= full_p[(Cols+c)*32 +: 32];
        params_shift_q[c*6 +: 6]  <= full_p[Cols*64 + c*8 +: 6];
      end
    end
    if (wblk_load) wblk_data_q <= wblk_d;
  end

  assign params_valid_o = params_valid_q;
  assign params_bias_o  = params_bias_q;
  assign params_mult_o  = params_mult_q;
  assign params_shift_o = params_shift_q;
  assign wblk_valid_o   = wblk_valid_q;
  assign wblk_data_o    = wblk_data_q;
  assign done_o         = done_q;
  assign len_error_o    = len_error_q;

  `DNN_ASSERT_STREAM_STABLE(WLoaderParamsStable, params_valid_o, params_ready_i,
                            {params_bias_o, params_mult_o, params_shift_o}, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(WLoaderWblkStable, wblk_valid_o, wblk_ready_i, wblk_data_o, clk_i, rst_ni)
  `DNN_ASSERT(WLoaderNoErrorWithoutDone, !len_error_o || done_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(WLoaderParamsValidKnown, params_valid_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(WLoaderWblkValidKnown, wblk_valid_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(WLoaderDoneKnown, done_o, clk_i, rst_ni)
endmodule

// The engine's compute core (docs/engine.md "Loop nest of one tile", "dnn_core"): the sequencer,
// the PE array, the accumulator RAM and Cols requantisers. It takes one tile descriptor, reads
// input words from the input buffer, takes params and weight blocks from the weight loader and
// writes output words into the output buffer:
//
//   for cb in 0 .. Blocks-1:                          # params block: bias, multiplier, shift
//     for ky, kx, chunk (chunk innermost):            # one pass: one weight block
//       for p in 0 .. P-1 (then bubbles up to MinPass):
//         acc[p] = (first pass ? bias : acc[p]) + sum_r x[r] * w[r][c]
//         last pass: out[half*OutDepth/2 + p*Blocks + cb] = requantize(acc[p])
//
// Cin-fold F = cmd_fold_i (docs/engine.md "Cin-fold"; F = 1 is the loop above): a pixel holds
// Chunks = ceil(Cin/(F*Rows))*F words, a pass reads the F words of a chunk group in one read and the
// array works as (F*Rows) x Cv, Cv = Cols/F: Blocks = ceil(Cout/Cv) blocks of Cv output channels,
// kh*kw*Chunks/F passes per block; the accumulator, requantisers and output word use lanes 0..Cv-1.
//
// Modes (docs/engine.md "Modes", cmd_op_i and the GROUP fields):
//   dense convolution    chunk group in 0 .. Chunks/F-1 for every block (GROUP_CHUNKS 0); MACs count
//                        real input channels of the group times real output lanes of the block
//   grouped convolution  (F = 1) block cb walks chunks cb*CHUNK_STEP .. + GROUP_CHUNKS-1 (a chunk index
//                        past Chunks-1 reads nothing and feeds zero); MACs count real input channels
//                        times GROUP_COLS
//   max / average pool   Blocks = Chunks/F, block cb walks chunk group cb only (F*Rows channels, F*Rows
//                        <= Cols); no params or weights; the PE array is bypassed: lane l of the
//                        accumulator takes input value l of the F words, starting from -2^(AccBits-1)
//                        (max) or 0 (sum); padded taps never win and add nothing; the last pass goes
//                        through min(FoldMax*Rows, Cols) dnn_pool_out (same latency as dnn_requant);
//                        MACs 0
//   depthwise            (DwLinePixels > 0) Blocks = Chunks/F blocks of F*Rows channels (chunk group cb),
//                        S = ceil(kh*kw/Rows) passes (sweeps) per block; a pass walks the tile's input
//                        window in raster order, one slot and one read per input position, through
//                        dnn_dw_feed; a slot completing a stride-aligned window issues the next output
//                        pixel with PE (r, c) on tap s*Rows + r of channel c; MACs count the sweep's
//                        real taps times the block's real channels
//   clip                 (any mode) the output stages saturate to the type range narrowed by CLIP
//
// Ports
//   cmd_valid_i, cmd_ready_o                      descriptor handshake (ready only when idle)
//   cmd_in_w_i[15:0], cmd_in_h_i[15:0]            input width W, height H (padding bounds)
//   cmd_in_c_i[15:0]                              input channels Cin (>= 1)
//   cmd_band_y0_i[15:0]                           input row held in the band's first row
//   cmd_kh_i, cmd_kw_i, cmd_sh_i, cmd_sw_i [7:0]  kernel and stride (>= 1)
//   cmd_pad_top_i, cmd_pad_left_i [7:0]           padding before the first row / column
//   cmd_out_w_i[15:0], cmd_out_c_i[15:0]          output width, output channels Cout (>= 1)
//   cmd_tile_p0_i[31:0]                           first output pixel (raster index; row < 65536)
//   cmd_tile_p_i[15:0]                            pixels in the tile P (1 .. AccDepth)
//   cmd_activation_i[1:0], cmd_leaky_shift_i[3:0] 0 none, 1 ReLU, 2 LeakyReLU; its slope shift
//   cmd_out_zp_i[15:0], cmd_out_signed_i, cmd_out_bits_i[3:0]   output type (out_bits 2..ActBits)
//   cmd_round_even_i                                          output stage ties: 1 to even, 0 toward +inf
//   cmd_op_i[1:0]                                 0 convolution, 1 max pool, 2 average pool, 3 depthwise
//   cmd_group_chunks_i, cmd_chunk_step_i, cmd_group_cols_i [15:0]   grouped convolution (0: dense)
//   cmd_clip_i, cmd_clip_lo_i, cmd_clip_hi_i [15:0]                 folded Clip limits
//   cmd_pool_count_i[15:0], cmd_pool_magic_i[31:0], cmd_pool_shift_i[5:0]   average pool divider
//   cmd_fold_i[$clog2(FoldMax+1)-1:0]             Cin-fold F (1 .. FoldMax, dividing Cols)
//   cmd_in_half_i, cmd_out_half_i                 input / output buffer halves of this tile
//   in_rd_en_o, in_rd_addr_o[$clog2(InDepth)-1:0], in_rd_data_i[FoldMax*Rows*XBits-1:0]
//                                                 input-buffer read of FoldMax consecutive words (word i
//                                                 at [i*Rows*XBits +: Rows*XBits]); data the cycle after
//   params_valid_i, params_ready_o, params_bias_i[Cols*32-1:0], params_mult_i[Cols*32-1:0],
//   params_shift_i[Cols*6-1:0]                    one block's output stage (channel c at c*32 / c*6)
//   wblk_valid_i, wblk_ready_o, wblk_data_i[Rows*Cols*WeightBits-1:0]   one pass's weights
//   out_wr_en_o, out_wr_addr_o[$clog2(OutDepth)-1:0], out_wr_data_o[Cols*ActBits-1:0]
//   done_o                                        pulses the cycle after the tile's last output write
//   issue_o, macs_o[$clog2(Rows*Cols+1)-1:0]      a pixel was issued this cycle; its useful MACs
//   stall_weight_o                                inside a tile, waiting for params or a weight block
//
// Pipeline (stage 0 = issue): S0 input read; S1 input words (zero for a padded tap) into the PE
// array; SA = S(1 + ArrayLatency) column sums + (bias | accumulator read issued in SR = SA-1) ->
// accumulator write, or on the last pass into the requantisers; output write 4 cycles after SA;
// done_o one cycle later. ArrayLatency is the PE array's: 2 (SA = S3, output write in S7), or 3 with
// FoldMax > 1 (its group-sum stage: SA = S4, output write in S8).
//
// Bubbles: none between passes while weights and params are ready (the next weight block is loaded
// into the PE array's shadow registers during the current pass, the next params into a shadow set
// emptied when the block's first pixel reaches S2). A pass occupies max(P, MinPass) issue slots
// (MinPass = 4 as in docs/engine.md): the accumulator read of pass k+1 (SR) must come after the
// write of pass k (SA), which needs only 2 slots; refilling the weight shadow also takes 2.
//
// Address arithmetic has no multipliers or dividers: per command a short setup (a 16-step restoring
// division for the chunk groups, Blocks and the tile's first (oy, ox), then two shift-add phases that stop as
// soon as their multipliers are used up: about 25 cycles for typical sizes, at most 52) computes the
// strides; during the tile every address and coordinate is updated by additions. Input addresses are
// computed modulo 2^$clog2(InDepth), which is exact for every tap that is read; padded taps read
// nothing and feed zero. The only multipliers are the PE array's Rows*Cols, the requantisers' Cols
// and the pool output stages' two per lane (the divider's; rtl/README.md).
//
// Params and weight blocks are taken whenever the corresponding shadow is empty, also between
// tiles (the weight stream carries the next tile's blob in the same order).
`include "dnn_assert.svh"

module dnn_core #(
  parameter int unsigned Rows       = 4,
  parameter int unsigned Cols       = 4,
  parameter int unsigned ActBits    = 8,
  parameter int unsigned WeightBits = 8,
  parameter int unsigned AccBits    = 32,
  parameter int unsigned InDepth    = 1024,
  parameter int unsigned OutDepth   = 1024,
  parameter int unsigned AccDepth   = 64,
  parameter int unsigned FoldMax    = 1,  // input words per read: the largest Cin-fold F
  parameter int unsigned DwLinePixels = 0,  // the depthwise feed's line buffers (0: none)
  localparam int unsigned XBits       = ActBits + 1,
  localparam int unsigned FoldBits    = $clog2(FoldMax + 1),
  localparam int unsigned InAddrBits  = $clog2(InDepth),
  localparam int unsigned OutAddrBits = $clog2(OutDepth),
  localparam int unsigned MacsBits    = $clog2(Rows * Cols + 1)
) (
  input  logic                           clk_i,
  input  logic                           rst_ni,
  // Tile descriptor
  input  logic                           cmd_valid_i,
  output logic                           cmd_ready_o,
  input  logic [15:0]                    cmd_in_w_i,
  input  logic [15:0]                    cmd_in_h_i,
  input  logic [15:0]                    cmd_in_c_i,
  input  logic [15:0]                    cmd_band_y0_i,
  input  logic [7:0]                     cmd_kh_i,
  input  logic [7:0]                     cmd_kw_i,
  input  logic [7:0]                     cmd_sh_i,
  input  logic [7:0]                     cmd_sw_i,
  input  logic [7:0]                     cmd_pad_top_i,
  input  logic [7:0]                     cmd_pad_left_i,
  input  logic [15:0]                    cmd_out_w_i,
  input  logic [15:0]                    cmd_out_c_i,
  input  logic [31:0]                    cmd_tile_p0_i,
  input  logic [15:0]                    cmd_tile_p_i,
  input  logic [1:0]                     cmd_activation_i,
  input  logic [3:0]                     cmd_leaky_shift_i,
  input  logic [15:0]                    cmd_out_zp_i,
  input  logic                           cmd_out_signed_i,
  input  logic [3:0]                     cmd_out_bits_i,
  input  logic                           cmd_round_even_i,
  input  logic [1:0]                     cmd_op_i,
  input  logic [15:0]                    cmd_group_chunks_i,
  input  logic [15:0]                    cmd_chunk_step_i,
  input  logic [15:0]                    cmd_group_cols_i,
  input  logic                           cmd_clip_i,
  input  logic [15:0]                    cmd_clip_lo_i,
  input  logic [15:0]                    cmd_clip_hi_i,
  input  logic [15:0]                    cmd_pool_count_i,
  input  logic [31:0]                    cmd_pool_magic_i,
  input  logic [5:0]                     cmd_pool_shift_i,
  input  logic [FoldBits-1:0]            cmd_fold_i,
  input  logic                           cmd_in_half_i,
  input  logic                           cmd_out_half_i,
  // Input buffer read port
  output logic                           in_rd_en_o,
  output logic [InAddrBits-1:0]          in_rd_addr_o,
  input  logic [FoldMax*Rows*XBits-1:0]  in_rd_data_i,
  // Params of one block of Cols output channels
  input  logic                           params_valid_i,
  output logic                           params_ready_o,
  input  logic [Cols*32-1:0]             params_bias_i,
  input  logic [Cols*32-1:0]             params_mult_i,
  input  logic [Cols*6-1:0]              params_shift_i,
  // Weight block of one pass
  input  logic                           wblk_valid_i,
  output logic                           wblk_ready_o,
  input  logic [Rows*Cols*WeightBits-1:0] wblk_data_i,
  // Output buffer write port
  output logic                           out_wr_en_o,
  output logic [OutAddrBits-1:0]         out_wr_addr_o,
  output logic [Cols*ActBits-1:0]        out_wr_data_o,
  // Status and performance strobes
  output logic                           done_o,
  output logic                           issue_o,
  output logic [MacsBits-1:0]            macs_o,
  output logic                           stall_weight_o
);
  localparam int unsigned SumBits     = XBits + WeightBits + $clog2(Rows * FoldMax);  // dnn_pe_array's
  localparam int unsigned ArrayLatency = FoldMax > 1 ? 3 : 2;  // dnn_pe_array's (CoreArrayAligned)
  localparam int unsigned AccAddrBits = AccDepth > 1 ? $clog2(AccDepth) : 1;
  localparam int unsigned A           = InAddrBits;  // input-address arithmetic is modulo 2^A
  // Exact input coordinates: oy*sh + ky < 2^16 * 2^8 + 2^8, minus a pad below 2^8, signed.
  localparam int unsigned CoordBits   = 26;
  localparam int unsigned MinPass     = 4;
  localparam int unsigned RequantLatency = 4;  // dnn_requant's and dnn_pool_out's
  // Pool lanes: a pool at fold F takes F*Rows values per read; the generator places pools only when
  // F*Rows <= Cols (checked below).
  localparam int unsigned PoolLanes = Rows * FoldMax <= Cols ? Rows * FoldMax : Cols;
  localparam logic [1:0] OpConv = 2'd0;
  localparam logic [1:0] OpMax  = 2'd1;
  localparam logic [1:0] OpAvg  = 2'd2;
  localparam logic [1:0] OpDw   = 2'd3;
  localparam bit         Dw     = DwLinePixels > 0;  // the depthwise feed is built (MODE.OP 3)
  localparam int unsigned DwSweepBits = $clog2((9 + Rows - 1) / Rows + 1);  // dnn_dw_feed's
  localparam logic [AccBits-1:0] MinAcc = {1'b1, {(AccBits-1){1'b0}}};  // -2^(AccBits-1): max's start

  localparam logic [15:0]           RowsW      = 16'(Rows);
  localparam logic [MacsBits-1:0]   FullMacs   = MacsBits'(Rows * Cols);
  localparam logic [15:0]           MinPassM1  = 16'(MinPass - 1);
  localparam logic [A-1:0]          InHalfBase = A'(InDepth / 2);
  localparam logic [OutAddrBits-1:0] OutHalfBase = OutAddrBits'(OutDepth / 2);

  localparam logic [2:0] StIdle = 3'd0;
  localparam logic [2:0] StDiv  = 3'd1;  // Chunks, Blocks, (oy0, ox0); sh * W; oy0 * sh
  localparam logic [2:0] StMul1 = 3'd2;  // strides times Chunks; row offset times W; ox0 * sw; MACs
  localparam logic [2:0] StMul2 = 3'd3;  // the tile's first address times Chunks
  localparam logic [2:0] StBase = 3'd4;  // first pass set up
  localparam logic [2:0] StInit = 3'd5;  // first pass loaded into the issue registers
  localparam logic [2:0] StRun  = 3'd6;
  localparam logic [2:0] StDrain = 3'd7;

  logic [2:0] state_q;

  // ---------------------------------------------------------------- descriptor
  logic [15:0] in_w_q, in_h_q, band_y0_q, out_w_q, out_c_q, tile_p_q;
  logic [7:0]  kh_q, kw_q, sh_q, sw_q, pad_top_q, pad_left_q;
  logic [1:0]  activation_q;
  logic [3:0]  leaky_shift_q, out_bits_q;
  logic [15:0] out_zp_q;
  logic        out_signed_q, round_even_q, in_half_q, out_half_q;
  logic [1:0]  op_q;
  logic [15:0] group_chunks_q, chunk_step_q, group_cols_q, clip_lo_q, clip_hi_q, pool_count_q;
  logic        clip_q;
  logic [31:0] pool_magic_q;
  logic [5:0]  pool_shift_q;
  logic [FoldBits-1:0] fold_q;  // F
  logic [15:0] frows_q, cv_q;   // F*Rows input channels per pass and Cv = Cols/F output lanes

  // F*Rows and Cols/F for a legal fold F (F = 1 otherwise; dnn_pe_array asserts legality).
  function automatic logic [15:0] fold_rows(logic [FoldBits-1:0] f);
    fold_rows = RowsW;
    for (int unsigned g = 2; g <= FoldMax; g++) if (32'(f) == g && Cols % g == 0) fold_rows = 16'(g * Rows);
  endfunction
  function automatic logic [15:0] fold_cols(logic [FoldBits-1:0] f);
    fold_cols = 16'(Cols);
    for (int unsigned g = 2; g <= FoldMax; g++) if (32'(f) == g && Cols % g == 0) fold_cols = 16'(Cols / g);
  endfunction
  // Depthwise MACs of a full sweep on a full block: Rows taps times F*Rows channels.
  function automatic logic [MacsBits-1:0] dw_full_macs(logic [FoldBits-1:0] f);
    dw_full_macs = '0;
    for (int unsigned b = 0; b < FoldBits; b++) if (f[b]) dw_full_macs = dw_full_macs + MacsBits'(Rows * Rows << b);
  endfunction
  logic [MacsBits-1:0] dw_full_q;
  // v * F by shift-add over F's bits (F <= FoldMax: a few adders).
  function automatic logic [15:0] times_fold(logic [15:0] v, logic [FoldBits-1:0] f);
    times_fold = '0;
    for (int unsigned b = 0; b < FoldBits; b++) if (f[b]) times_fold = times_fold + (v << b);
  endfunction

  wire cmd_take = cmd_valid_i && cmd_ready_o;
  assign cmd_ready_o = state_q == StIdle;

  always_ff @(posedge clk_i) begin
    if (cmd_take) begin
      in_w_q        <= cmd_in_w_i;
      in_h_q        <= cmd_in_h_i;
      band_y0_q     <= cmd_band_y0_i;
      kh_q          <= cmd_kh_i;
      kw_q          <= cmd_kw_i;
      sh_q          <= cmd_sh_i;
      sw_q          <= cmd_sw_i;
      pad_top_q     <= cmd_pad_top_i;
      pad_left_q    <= cmd_pad_left_i;
      out_w_q       <= cmd_out_w_i;
      out_c_q       <= cmd_out_c_i;
      tile_p_q      <= cmd_tile_p_i;
      activation_q  <= cmd_activation_i;
      leaky_shift_q <= cmd_leaky_shift_i;
      out_zp_q      <= cmd_out_zp_i;
      out_signed_q  <= cmd_out_signed_i;
      out_bits_q    <= cmd_out_bits_i;
      round_even_q  <= cmd_round_even_i;
      in_half_q     <= cmd_in_half_i;
      out_half_q    <= cmd_out_half_i;
      op_q          <= cmd_op_i;
      group_chunks_q <= cmd_group_chunks_i;
      chunk_step_q  <= cmd_chunk_step_i;
      group_cols_q  <= cmd_group_cols_i;
      clip_q        <= cmd_clip_i;
      clip_lo_q     <= cmd_clip_lo_i;
      clip_hi_q     <= cmd_clip_hi_i;
      pool_count_q  <= cmd_pool_count_i;
      pool_magic_q  <= cmd_pool_magic_i;
      pool_shift_q  <= cmd_pool_shift_i;
      fold_q        <= cmd_fold_i;
      frows_q       <= fold_rows(cmd_fold_i);
      dw_full_q     <= dw_full_macs(cmd_fold_i);
      cv_q          <= fold_cols(cmd_fold_i);
    end
  end
  wire pool    = op_q == OpMax || op_q == OpAvg;
  wire dw      = Dw && op_q == OpDw;  // constant 0 without the feed
  wire grouped = !pool && !dw && group_chunks_q != '0;

  // Depthwise: T = KH*KW taps (KH, KW <= 3), S = ceil(T/Rows) sweeps, the last one with lt taps.
  wire [3:0] dw_taps = (kw_q[1] ? 4'(kh_q[1:0]) << 1 : 4'd0) + (kw_q[0] ? 4'(kh_q[1:0]) : 4'd0);
  logic [15:0] dw_sweeps_w;
  logic [MacsBits-1:0] dw_last_taps_w;
  always_comb begin
    dw_sweeps_w    = '0;
    dw_last_taps_w = '0;
    for (int unsigned s = 0; s < 9; s++) begin
      if (s * Rows < 32'(dw_taps)) begin
        dw_sweeps_w    = 16'(s + 1);
        dw_last_taps_w = MacsBits'(32'(dw_taps) - s * Rows);
      end
    end
  end

  // ---------------------------------------------------------------- setup: division
  // Three restoring divisions with 16 quotient bits each, in parallel: Cin / (F*Rows), Cout / Cv and
  // tile_p0 / out_w (the quotient, the tile's first output row, is below 2^16). Meanwhile sh * W by
  // shift-add and oy0 * sh by Horner's rule on the quotient bits as they appear.
  logic [3:0]  div_cnt_q;
  logic [15:0] dci_rem_q, dci_dq_q, dco_rem_q, dco_dq_q, dp_rem_q, dp_dq_q;
  logic [15:0] dci_rem_d, dci_dq_d, dco_rem_d, dco_dq_d, dp_rem_d, dp_dq_d;
  logic [16:0] dci_t, dco_t, dp_t;
  logic [CoordBits-1:0] oysh_q, oysh_d;  // oy0 * sh
  logic [A-1:0] shw_q, shw_d, mc_shw0_q; // sh * W (mod 2^A) and its shifted multiplicand
  logic [7:0]   m_sh_q;

  always_comb begin
    dci_t = {dci_rem_q, dci_dq_q[15]};
    dco_t = {dco_rem_q, dco_dq_q[15]};
    dp_t  = {dp_rem_q, dp_dq_q[15]};
    dci_rem_d = dci_t[15:0];
    dci_dq_d  = {dci_dq_q[14:0], 1'b0};
    dco_rem_d = dco_t[15:0];
    dco_dq_d  = {dco_dq_q[14:0], 1'b0};
    dp_rem_d  = dp_t[15:0];
    dp_dq_d   = {dp_dq_q[14:0], 1'b0};
    oysh_d    = oysh_q << 1;
    if (dci_t >= {1'b0, frows_q}) begin
      dci_rem_d = dci_t[15:0] - frows_q;  // the difference is below the divisor: 16 bits
      dci_dq_d[0] = 1'b1;
    end
    if (dco_t >= {1'b0, cv_q}) begin
      dco_rem_d = dco_t[15:0] - cv_q;
      dco_dq_d[0] = 1'b1;
    end
    if (dp_t >= {1'b0, out_w_q}) begin
      dp_rem_d = dp_t[15:0] - out_w_q;
      dp_dq_d[0] = 1'b1;
      oysh_d = oysh_d + {{(CoordBits-8){1'b0}}, sh_q};
    end
    shw_d = m_sh_q[0] ? shw_q + mc_shw0_q : shw_q;
  end

  // Division results, valid in the last division step (from the _d values). A pass reads a chunk
  // group, F consecutive words of a pixel: Groups = ceil(Cin/(F*Rows)) of them, so a pixel occupies
  // Chunks = Groups*F words (the loader's padding); F = 1 for pools and grouped convolutions.
  wire [15:0] groups_w   = dci_dq_d + {15'b0, dci_rem_d != '0};
  wire [15:0] chunks_w   = times_fold(groups_w, fold_q);
  wire [15:0] blocks_w   = dco_dq_d + {15'b0, dco_rem_d != '0};
  wire [15:0] ox0_w      = dp_rem_d;
  // Channels in the last chunk group / block (at most F*Rows / Cv, so they fit MacsBits).
  wire [MacsBits-1:0] last_in_w  = dci_rem_d != '0 ? MacsBits'(dci_rem_d) : MacsBits'(frows_q);
  wire [MacsBits-1:0] last_out_w = dco_rem_d != '0 ? MacsBits'(dco_rem_d) : MacsBits'(cv_q);
  // Chunk groups each block's passes walk, minus one; the step of a block's first chunk; and the
  // address step from a pass's last group to the next tap's first (kx*Chunks + chunk: F when dense).
  // Depthwise: a block's passes are its sweeps, all over the block's chunk group (as a pool's).
  wire [15:0] gc_m1_w    = pool ? 16'd0 : dw ? dw_sweeps_w - 16'd1 : grouped ? group_chunks_q - 16'd1 : groups_w - 16'd1;
  wire [15:0] step_w     = pool || dw ? 16'd1 : grouped ? chunk_step_q : 16'd0;
  wire [15:0] step_a_w   = pool || dw ? 16'(fold_q) : step_w;  // block cb reads chunk group cb
  wire [15:0] kx_step_w  = pool || grouped ? chunks_w - gc_m1_w : 16'(fold_q);
  // Zero-extended operands; address arithmetic uses their low A bits.
  wire [CoordBits-1:0] blocks_c  = {{(CoordBits-16){1'b0}}, blocks_w};
  wire [CoordBits-1:0] groups_c  = {{(CoordBits-16){1'b0}}, groups_w};
  wire [CoordBits-1:0] cmd_w_c   = {{(CoordBits-16){1'b0}}, cmd_in_w_i};
  wire [CoordBits-1:0] step_c    = {{(CoordBits-16){1'b0}}, step_a_w};
  wire [CoordBits-1:0] kx_step_c = {{(CoordBits-16){1'b0}}, kx_step_w};
  wire [CoordBits-1:0] gcols_c   = {{(CoordBits-16){1'b0}}, group_cols_q};

  // ---------------------------------------------------------------- setup: products
  // Shift-add: each step adds a multiplicand where its multiplier's low bit is set, then shifts
  // both; a phase ends as soon as every multiplier is zero (a few cycles for small operands).
  logic [15:0] chunks_q, m_chunks_q;        // Chunks; multiplier of every "times Chunks" product
  wire  [CoordBits-1:0] chunks_c = {{(CoordBits-16){1'b0}}, chunks_q};  // depthwise: a column's step
  logic [15:0] groups_q;                    // chunk groups of a pixel (Chunks when F = 1)
  logic [15:0] m_w_q;                       // multiplier W (row offset times W)
  logic [7:0]  m_sw_q;                      // multiplier sw (ox0 * sw)
  logic [MacsBits-1:0] m_lo_q, m_li_q;      // multipliers last_out, last_in (MAC counts)
  logic [A-1:0] wc_q, swc_q, shwc_q;        // W*Chunks, sw*Chunks, sh*W*Chunks (mod 2^A)
  logic [A-1:0] mc_w_q, mc_sw_q, mc_shw_q;  // their shifted multiplicands
  logic [A-1:0] yw_q, mc_y_q;               // (oy0*sh - pad_top - band_y0) * W (mod 2^A)
  logic [CoordBits-1:0] oxsw_q, mc_ox_q;    // ox0 * sw (exact)
  logic [MacsBits-1:0] mac_rl_q, mac_ll_q, mac_lc_q;  // F*Rows*last_out, last_in*last_out, last_in*Cv
  logic [MacsBits-1:0] mc_rows_q, mc_li_q, mc_cols_q;
  logic [A-1:0] sc_q, mc_s_q, oxswc_q, mc_oxsw_q;     // phase 2: S*Chunks, ox0*sw*Chunks
  logic [15:0]  ox0_q;
  logic [OutAddrBits-1:0] blocks_q;
  logic [15:0]  gc_m1_q, step_k_q, blk_w_q;  // chunks per block - 1; block chunk step; block width
  logic [A-1:0] step_a_q, kx_step_q;        // the same steps as input addresses
  logic [15:0]  p_last_q;                   // last issue slot of a pass: max(P, MinPass) - 1

  wire mul1_done = m_chunks_q == '0 && m_w_q == '0 && m_sw_q == '0 && m_lo_q == '0 && m_li_q == '0;
  wire mul2_done = m_chunks_q == '0;

  wire [CoordBits-1:0] pad_top_c  = {{(CoordBits-8){1'b0}}, pad_top_q};
  wire [CoordBits-1:0] pad_left_c = {{(CoordBits-8){1'b0}}, pad_left_q};
  wire [CoordBits-1:0] band_y0_c  = {{(CoordBits-16){1'b0}}, band_y0_q};
  wire [CoordBits-1:0] yrow_w     = oysh_d - pad_top_c - band_y0_c;  // in the last division step
  wire [CoordBits-1:0] s_w        = {{(CoordBits-A){1'b0}}, yw_q} + oxsw_q - pad_left_c;
  wire [CoordBits-1:0] sw_c       = {{(CoordBits-8){1'b0}}, sw_q};
  wire [CoordBits-1:0] in_w_c     = {{(CoordBits-16){1'b0}}, in_w_q};
  wire [CoordBits-1:0] in_h_c     = {{(CoordBits-16){1'b0}}, in_h_q};

  always_ff @(posedge clk_i) begin
    unique case (state_q)
      StIdle: begin
        div_cnt_q <= '0;
        dci_rem_q <= '0;
        dci_dq_q  <= cmd_in_c_i;
        dco_rem_q <= '0;
        dco_dq_q  <= cmd_out_c_i;
        dp_rem_q  <= cmd_tile_p0_i[31:16];
        dp_dq_q   <= cmd_tile_p0_i[15:0];
        oysh_q    <= '0;
        shw_q     <= '0;
        mc_shw0_q <= cmd_w_c[A-1:0];
        m_sh_q    <= cmd_sh_i;
        p_last_q  <= cmd_tile_p_i > MinPassM1 ? cmd_tile_p_i - 16'd1 : MinPassM1;
      end
      StDiv: begin
        div_cnt_q <= div_cnt_q + 4'd1;
        dci_rem_q <= dci_rem_d;
        dci_dq_q  <= dci_dq_d;
        dco_rem_q <= dco_rem_d;
        dco_dq_q  <= dco_dq_d;
        dp_rem_q  <= dp_rem_d;
        dp_dq_q   <= dp_dq_d;
        oysh_q    <= oysh_d;
        shw_q     <= shw_d;
        mc_shw0_q <= mc_shw0_q << 1;
        m_sh_q    <= m_sh_q >> 1;
        if (div_cnt_q == 4'd15) begin
          // Load phase 1 from the division results (sh is at most 8 bits: shw_d is complete).
          chunks_q   <= chunks_w;
          groups_q   <= groups_w;
          // A pool's blocks are its chunk groups: F*Rows channels each.
          blocks_q   <= pool || dw ? groups_c[OutAddrBits-1:0] : blocks_c[OutAddrBits-1:0];
          blk_w_q    <= pool || dw ? frows_q : cv_q;
          gc_m1_q    <= gc_m1_w;
          step_k_q   <= step_w;
          step_a_q   <= step_c[A-1:0];
          kx_step_q  <= kx_step_c[A-1:0];
          ox0_q      <= ox0_w;
          m_chunks_q <= chunks_w;
          m_w_q      <= in_w_q;
          m_sw_q     <= sw_q;
          // Grouped: a chunk's MACs are its real input channels times GROUP_COLS (<= Cols).
          // Depthwise: mac_rl = Rows*lc, mac_ll = lt*lc, mac_lc = lt*F*Rows (lc: channels of the last
          // block, lt: taps of the last sweep).
          m_lo_q     <= grouped ? gcols_c[MacsBits-1:0] : dw ? last_in_w : last_out_w;
          m_li_q     <= dw ? dw_last_taps_w : last_in_w;
          wc_q       <= '0;
          swc_q      <= '0;
          shwc_q     <= '0;
          mc_w_q     <= in_w_c[A-1:0];
          mc_sw_q    <= sw_c[A-1:0];
          mc_shw_q   <= shw_d;
          yw_q       <= '0;
          mc_y_q     <= yrow_w[A-1:0];
          oxsw_q     <= '0;
          mc_ox_q    <= {{(CoordBits-16){1'b0}}, ox0_w};
          mac_rl_q   <= '0;
          mac_ll_q   <= '0;
          mac_lc_q   <= '0;
          mc_rows_q  <= dw ? MacsBits'(Rows) : MacsBits'(frows_q);
          mc_li_q    <= dw ? dw_last_taps_w : last_in_w;
          mc_cols_q  <= dw ? MacsBits'(frows_q) : MacsBits'(cv_q);
        end
      end
      StMul1: begin
        if (mul1_done) begin
          // Phase 2: S = (oy0*sh - pad_top - band_y0)*W + ox0*sw - pad_left, times Chunks; and
          // ox0*sw times Chunks.
          m_chunks_q <= chunks_q;
          sc_q       <= '0;
          oxswc_q    <= '0;
          mc_s_q     <= s_w[A-1:0];
          mc_oxsw_q  <= oxsw_q[A-1:0];
        end else begin
          m_chunks_q <= m_chunks_q >> 1;
          m_w_q      <= m_w_q >> 1;
          m_sw_q     <= m_sw_q >> 1;
          m_lo_q     <= m_lo_q >> 1;
          m_li_q     <= m_li_q >> 1;
          if (m_chunks_q[0]) begin
            wc_q   <= wc_q + mc_w_q;
            swc_q  <= swc_q + mc_sw_q;
            shwc_q <= shwc_q + mc_shw_q;
          end
          mc_w_q   <= mc_w_q << 1;
          mc_sw_q  <= mc_sw_q << 1;
          mc_shw_q <= mc_shw_q << 1;
          if (m_w_q[0]) yw_q <= yw_q + mc_y_q;
          mc_y_q <= mc_y_q << 1;
          if (m_sw_q[0]) oxsw_q <= oxsw_q + mc_ox_q;
          mc_ox_q <= mc_ox_q << 1;
          if (m_lo_q[0]) begin
            mac_rl_q <= mac_rl_q + mc_rows_q;
            mac_ll_q <= mac_ll_q + mc_li_q;
          end
          mc_rows_q <= mc_rows_q << 1;
          mc_li_q   <= mc_li_q << 1;
          if (m_li_q[0]) mac_lc_q <= mac_lc_q + mc_cols_q;
          mc_cols_q <= mc_cols_q << 1;
        end
      end
      StMul2: begin
        m_chunks_q <= m_chunks_q >> 1;
        if (m_chunks_q[0]) begin
          sc_q    <= sc_q + mc_s_q;
          oxswc_q <= oxswc_q + mc_oxsw_q;
        end
        mc_s_q    <= mc_s_q << 1;
        mc_oxsw_q <= mc_oxsw_q << 1;
      end
      default: ;
    endcase
  end

  // The tile's first pixel, tap (0, 0), chunk 0: input-buffer address and that of its row's
  // column 0 (both modulo 2^A), and its input coordinates.
  wire [A-1:0] in_half_a = in_half_q ? InHalfBase : '0;
  wire [A-1:0] fold_a    = A'(fold_q);
  wire [A-1:0] tb_ps_w   = in_half_a + sc_q;
  wire [A-1:0] tb_rs_w   = tb_ps_w - oxswc_q;
  wire [CoordBits-1:0] iy0_w   = oysh_q - pad_top_c;
  wire [CoordBits-1:0] ix0_w   = oxsw_q - pad_left_c;
  wire [CoordBits-1:0] ixrs0_w = -pad_left_c;
  logic [CoordBits-1:0] iy0_q, ix0_q;

  // ---------------------------------------------------------------- pass sequencing
  // "Next pass" registers (np_*) describe the pass after the one being issued, so starting a pass
  // only copies registers. The pass registers (cp_*) and pixel registers (px_*) describe the slot
  // being issued.
  logic        np_valid_q, np_first_q;
  logic [15:0] np_out_rem_q;                // Cout - cb*Cv (pool: C - cb*Rows)
  logic [15:0] np_j_q, np_k_q, np_blk_k_q;  // chunk (group) within the block's range; chunk; the range's first
  logic [7:0]  np_kx_q, np_ky_q;
  logic [CoordBits-1:0] np_iy_q, np_ix_q, np_ixrs_q;
  logic [A-1:0] np_a_q, np_ars_q, np_ky_a_q, np_ky_ars_q, np_blk_a_q, np_blk_ars_q;
  logic [OutAddrBits-1:0] np_obase_q;

  wire np_last_chunk = np_j_q == gc_m1_q;
  wire np_last_kx    = dw || np_kx_q == kw_q - 8'd1;  // a depthwise pass covers every tap
  wire np_last_ky    = dw || np_ky_q == kh_q - 8'd1;
  wire np_last_pass  = np_last_chunk && np_last_kx && np_last_ky;  // of its block
  wire np_last_block = np_out_rem_q <= blk_w_q;
  wire np_real_last  = np_k_q == groups_q - 16'd1;  // the input's last chunk group (last_in real rows)
  wire np_beyond     = np_k_q >= groups_q;          // grouped: past the pixel's words
  logic [MacsBits-1:0] np_macs;
  always_comb begin
    if (pool || np_beyond) np_macs = '0;
    else if (dw) np_macs = np_last_chunk ? (np_last_block ? mac_ll_q : mac_lc_q) : (np_last_block ? mac_rl_q : dw_full_q);
    else if (grouped) np_macs = np_real_last ? mac_ll_q : mac_rl_q;
    else if (np_real_last) np_macs = np_last_block ? mac_ll_q : mac_lc_q;
    else np_macs = np_last_block ? mac_rl_q : FullMacs;
  end

  logic        cp_first_q, cp_last_q, cp_tile_last_q, cp_beyond_q;
  logic [MacsBits-1:0] cp_macs_q;
  logic [CoordBits-1:0] cp_ixrs_q;

  logic [15:0] px_p_q, px_ox_q;
  logic [CoordBits-1:0] px_iy_q, px_ix_q;
  logic [A-1:0] px_a_q, px_ars_q;
  logic [OutAddrBits-1:0] px_oaddr_q;

  logic w_full_q, p_full_q, p_taken_q;  // weight shadow / params shadow loaded; params claimed

  // ---------------------------------------------------------------- issue
  // Depthwise slots (docs/engine.md "Depthwise"): a pass walks the tile's input window in raster order,
  // one slot per input position; a slot whose window is complete and stride-aligned (dw_xw_q and
  // dw_yw_q, the columns / rows still to wait, both 0) issues the next output pixel. The pass ends at
  // its P-th pixel (the window's last slot), after at least MinPass slots.
  logic [7:0]  dw_xw_q, dw_yw_q;
  logic [1:0]  dw_slots_q;  // slots of the pass so far, saturating at MinPass - 1
  logic        dw_row_first_q;
  logic [DwSweepBits-1:0] cp_sweep_q;
  wire dw_out_slot = dw_xw_q == '0 && dw_yw_q == '0;
  wire dw_row_last = dw_xw_q == '0 && px_ox_q == out_w_q - 16'd1;

  wire run       = state_q == StRun;
  wire slot0     = dw ? dw_slots_q == '0 : px_p_q == '0;
  // Pools take no weights or params.
  wire can_start = pool || (w_full_q && (!cp_first_q || (p_full_q && !p_taken_q)));
  wire fire      = run && (!slot0 || can_start);  // this issue slot proceeds
  wire real_px   = px_p_q < tile_p_q;             // a pixel (depthwise: one to come), not a MinPass bubble
  wire live      = fire && real_px;               // a slot that reads its input
  wire issue     = live && (!dw || dw_out_slot);
  wire dw_done   = px_p_q == tile_p_q || (issue && px_p_q == tile_p_q - 16'd1);
  wire last_slot = dw ? dw_slots_q == 2'(MinPass - 1) && dw_done : px_p_q == p_last_q;
  wire row_wrap  = px_ox_q == out_w_q - 16'd1;
  wire pass_swap = fire && slot0 && !pool;        // the pass's weights go live for its first x
  wire new_pass  = (state_q == StInit) || (fire && last_slot && np_valid_q);

  wire pad = px_iy_q[CoordBits-1] || px_ix_q[CoordBits-1] || px_iy_q >= in_h_c || px_ix_q >= in_w_c ||
             cp_beyond_q;

  assign in_rd_en_o     = live && !pad;
  assign in_rd_addr_o   = px_a_q;
  assign issue_o        = issue;
  assign macs_o         = issue ? cp_macs_q : '0;
  assign stall_weight_o = run && slot0 && !can_start;
  assign params_ready_o = !p_full_q;
  assign wblk_ready_o   = !w_full_q;

  // Sequencer datapath (no reset: loaded in StBase / StInit before use).
  always_ff @(posedge clk_i) begin
    if (state_q == StBase) begin
      iy0_q        <= iy0_w;
      ix0_q        <= ix0_w;
      // Pass 0 of block 0.
      np_valid_q   <= 1'b1;
      np_first_q   <= 1'b1;
      np_out_rem_q <= out_c_q;
      np_j_q       <= '0;
      np_k_q       <= '0;
      np_blk_k_q   <= '0;
      np_blk_a_q   <= tb_ps_w;
      np_blk_ars_q <= tb_rs_w;
      np_kx_q      <= '0;
      np_ky_q      <= '0;
      np_iy_q      <= iy0_w;
      np_ix_q      <= ix0_w;
      np_ixrs_q    <= ixrs0_w;
      np_a_q       <= tb_ps_w;
      np_ars_q     <= tb_rs_w;
      np_ky_a_q    <= tb_ps_w;
      np_ky_ars_q  <= tb_rs_w;
      np_obase_q   <= out_half_q ? OutHalfBase : '0;
    end
    if (new_pass) begin
      // The next pass becomes the current one...
      px_p_q         <= '0;
      px_ox_q        <= ox0_q;
      px_iy_q        <= np_iy_q;
      px_ix_q        <= np_ix_q;
      px_a_q         <= np_a_q;
      px_ars_q       <= np_ars_q;
      px_oaddr_q     <= np_obase_q;
      cp_first_q     <= np_first_q;
      cp_last_q      <= np_last_pass;
      cp_tile_last_q <= np_last_pass && np_last_block;
      cp_macs_q      <= np_macs;
      cp_ixrs_q      <= np_ixrs_q;
      cp_beyond_q    <= np_beyond;
      cp_sweep_q     <= DwSweepBits'(np_j_q);
      dw_xw_q        <= kw_q - 8'd1;
      dw_yw_q        <= kh_q - 8'd1;
      dw_slots_q     <= '0;
      dw_row_first_q <= 1'b1;
      // ... and the one after it is prepared: chunk innermost, then kx, ky, block.
      np_first_q <= 1'b0;
      if (!np_last_chunk) begin
        np_j_q      <= np_j_q + 16'd1;
        if (!dw) begin  // a depthwise block's sweeps all read its chunk group
          np_k_q    <= np_k_q + 16'd1;
          np_a_q    <= np_a_q + fold_a;  // the next chunk group: F words on
          np_ars_q  <= np_ars_q + fold_a;
        end
      end else if (!np_last_kx) begin
        np_j_q      <= '0;
        np_k_q      <= np_blk_k_q;
        np_kx_q     <= np_kx_q + 8'd1;
        // kx*Chunks + chunk from the range's last chunk to its first at the next kx (1 when dense).
        np_a_q      <= np_a_q + kx_step_q;
        np_ars_q    <= np_ars_q + kx_step_q;
        np_ix_q     <= np_ix_q + 1'b1;
        np_ixrs_q   <= np_ixrs_q + 1'b1;
      end else if (!np_last_ky) begin
        np_j_q      <= '0;
        np_k_q      <= np_blk_k_q;
        np_kx_q     <= '0;
        np_ky_q     <= np_ky_q + 8'd1;
        np_ky_a_q   <= np_ky_a_q + wc_q;
        np_ky_ars_q <= np_ky_ars_q + wc_q;
        np_a_q      <= np_ky_a_q + wc_q;
        np_ars_q    <= np_ky_ars_q + wc_q;
        np_iy_q     <= np_iy_q + 1'b1;
        np_ix_q     <= ix0_q;
        np_ixrs_q   <= ixrs0_w;
      end else if (!np_last_block) begin
        // The next block's range starts CHUNK_STEP chunks on (grouped), one on (pool), or at 0.
        np_first_q   <= 1'b1;
        np_out_rem_q <= np_out_rem_q - blk_w_q;
        np_j_q       <= '0;
        np_k_q       <= np_blk_k_q + step_k_q;
        np_blk_k_q   <= np_blk_k_q + step_k_q;
        np_blk_a_q   <= np_blk_a_q + step_a_q;
        np_blk_ars_q <= np_blk_ars_q + step_a_q;
        np_kx_q      <= '0;
        np_ky_q      <= '0;
        np_ky_a_q    <= np_blk_a_q + step_a_q;
        np_ky_ars_q  <= np_blk_ars_q + step_a_q;
        np_a_q       <= np_blk_a_q + step_a_q;
        np_ars_q     <= np_blk_ars_q + step_a_q;
        np_iy_q      <= iy0_q;
        np_ix_q      <= ix0_q;
        np_ixrs_q    <= ixrs0_w;
        np_obase_q   <= np_obase_q + 1'b1;
      end else begin
        np_valid_q <= 1'b0;
      end
    end else if (fire && dw) begin
      // Next slot of the window: one input column to the right, or the first of the next input row.
      if (issue) begin
        px_p_q     <= px_p_q + 16'd1;
        px_oaddr_q <= px_oaddr_q + blocks_q;
      end
      if (dw_slots_q != 2'(MinPass - 1)) dw_slots_q <= dw_slots_q + 2'd1;
      dw_row_first_q <= dw_row_last;
      if (dw_row_last) begin
        px_ox_q  <= '0;
        dw_xw_q  <= kw_q - 8'd1;
        dw_yw_q  <= dw_yw_q == '0 ? sh_q - 8'd1 : dw_yw_q - 8'd1;
        px_iy_q  <= px_iy_q + 1'b1;
        px_ix_q  <= cp_ixrs_q;
        px_ars_q <= px_ars_q + wc_q;
        px_a_q   <= px_ars_q + wc_q;
      end else begin
        if (dw_xw_q == '0) begin
          px_ox_q <= px_ox_q + 16'd1;
          dw_xw_q <= sw_q - 8'd1;
        end else begin
          dw_xw_q <= dw_xw_q - 8'd1;
        end
        px_ix_q <= px_ix_q + 1'b1;
        px_a_q  <= px_a_q + chunks_c[A-1:0];
      end
    end else if (fire) begin
      // Next pixel (or MinPass bubble) of the current pass: one output column to the right, or the
      // first column of the next output row.
      px_p_q     <= px_p_q + 16'd1;
      px_oaddr_q <= px_oaddr_q + blocks_q;
      if (row_wrap) begin
        px_ox_q  <= '0;
        px_iy_q  <= px_iy_q + {{(CoordBits-8){1'b0}}, sh_q};
        px_ix_q  <= cp_ixrs_q;
        px_ars_q <= px_ars_q + shwc_q;
        px_a_q   <= px_ars_q + shwc_q;
      end else begin
        px_ox_q <= px_ox_q + 16'd1;
        px_ix_q <= px_ix_q + {{(CoordBits-8){1'b0}}, sw_q};
        px_a_q  <= px_a_q + swc_q;
      end
    end
  end

  // ---------------------------------------------------------------- sequencer state
  logic tile_done_write;  // the tile's last output word is written this cycle

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      done_o  <= 1'b0;
    end else begin
      done_o <= 1'b0;
      unique case (state_q)
        StIdle:  if (cmd_take) state_q <= StDiv;
        StDiv:   if (div_cnt_q == 4'd15) state_q <= StMul1;
        StMul1:  if (mul1_done) state_q <= StMul2;
        StMul2:  if (mul2_done) state_q <= StBase;
        StBase:  state_q <= StInit;
        StInit:  state_q <= StRun;
        StRun:   if (fire && last_slot && !np_valid_q) state_q <= StDrain;
        StDrain: if (tile_done_write) begin
          state_q <= StIdle;
          done_o  <= 1'b1;
        end
        default: state_q <= StIdle;
      endcase
    end
  end

  // ---------------------------------------------------------------- shadows of weights and params
  localparam int unsigned ParamBits = Cols * (AccBits + 32 + 6);
  logic [Cols*AccBits-1:0] bias_sh_q, bias_q;  // int32 bias at accumulator width (AccBits <= 32)
  logic [Cols*32-1:0] mult_sh_q, mult_q;
  logic [Cols*6-1:0]  shift_sh_q, shift_q;
  wire params_take = params_valid_i && params_ready_o;
  wire wblk_take   = wblk_valid_i && wblk_ready_o;

  // Pipeline control after the issue (stage 0): S1 registers, then stages 2 .. SA = 1 + ArrayLatency
  // (entry i of the s*_q shift registers is stage i + 2); SR = SA - 1 reads the accumulator. The
  // pixel's input word (a pool's, which bypasses the array) travels along to reach SA with the column
  // sums' timing. bstart: the first pixel of a block, whose params leave the shadow in S2; depthwise:
  // the block's first slot (issued or not), so the shadow frees as early as a convolution's even when
  // the first complete window comes late in the pass.
  localparam int unsigned Sr = ArrayLatency - 2, Sa = ArrayLatency - 1;  // entries of SR, SA
  logic s1_valid_q, s1_pad_q, s1_first_q, s1_last_q, s1_bstart_q, s1_tlast_q;
  logic [AccAddrBits-1:0] s1_p_q;
  logic [OutAddrBits-1:0] s1_oaddr_q;
  logic [ArrayLatency-1:0] sv_q, spad_q, sfirst_q, slast_q, sbstart_q, stlast_q;
  logic [ArrayLatency*AccAddrBits-1:0] sp_q;      // entry i at [i*AccAddrBits +: AccAddrBits]
  logic [ArrayLatency*OutAddrBits-1:0] soaddr_q;  // likewise
  logic [ArrayLatency*PoolLanes*XBits-1:0] sx_q;  // likewise
  wire sr_valid = sv_q[Sr];
  wire sr_first = sfirst_q[Sr];
  wire [AccAddrBits-1:0] sr_p = sp_q[Sr*AccAddrBits +: AccAddrBits];
  wire sa_valid = sv_q[Sa];
  wire sa_pad   = spad_q[Sa];
  wire sa_first = sfirst_q[Sa];
  wire sa_last  = slast_q[Sa];
  wire sa_tlast = stlast_q[Sa];
  wire [AccAddrBits-1:0] sa_p     = sp_q[Sa*AccAddrBits +: AccAddrBits];
  wire [OutAddrBits-1:0] sa_oaddr = soaddr_q[Sa*OutAddrBits +: OutAddrBits];
  wire [PoolLanes*XBits-1:0] sa_x = sx_q[Sa*PoolLanes*XBits +: PoolLanes*XBits];
  wire params_swap = (sv_q[0] || dw) && sbstart_q[0];  // S2: the shadow is free again

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_full_q  <= 1'b0;
      p_full_q  <= 1'b0;
      p_taken_q <= 1'b0;
    end else begin
      if (wblk_take) w_full_q <= 1'b1;
      else if (pass_swap) w_full_q <= 1'b0;
      if (params_take) p_full_q <= 1'b1;
      else if (params_swap) p_full_q <= 1'b0;
      if (pass_swap && cp_first_q) p_taken_q <= 1'b1;
      else if (params_swap) p_taken_q <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (params_take) begin
      for (int c = 0; c < Cols; c++) bias_sh_q[c*AccBits +: AccBits] <= params_bias_i[c*32 +: AccBits];
      mult_sh_q  <= params_mult_i;
      shift_sh_q <= params_shift_i;
    end
  end
  // The block's params leave the shadow in S2 and go live in SR, so the pixels still ahead of the
  // block's first one use the previous block's. With the array's group-sum stage (ArrayLatency 3) SR
  // is S3 and the params wait a cycle in a staged set: the shadow is freed in S2 as without it, so
  // the weight loader's next params block is taken just as early.
  if (ArrayLatency == 2) begin : g_params_live
    always_ff @(posedge clk_i) begin
      if (params_swap) {bias_q, mult_q, shift_q} <= {bias_sh_q, mult_sh_q, shift_sh_q};
    end
  end else begin : g_params_staged
    logic [ParamBits-1:0] staged_q;
    always_ff @(posedge clk_i) begin
      if (params_swap) staged_q <= {bias_sh_q, mult_sh_q, shift_sh_q};
      if ((sr_valid || dw) && sbstart_q[Sr]) {bias_q, mult_q, shift_q} <= staged_q;
    end
    if (ArrayLatency != 3) begin : g_check
      $error("dnn_core: the params are staged for an array latency of 2 or 3");
    end
  end

  // ---------------------------------------------------------------- datapath pipeline
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      sv_q       <= '0;
    end else begin
      s1_valid_q <= issue;
      sv_q       <= {sv_q[ArrayLatency-2:0], s1_valid_q};
    end
  end

  // S1: the input words (zero for a padded tap) enter the array; weights swapped in at S0. A pool
  // bypasses the array: word 0 reaches the accumulator in SA, with the column sums' timing.
  wire [FoldMax*Rows*XBits-1:0] x_word = s1_pad_q ? '0 : in_rd_data_i;

  // Depthwise: the feed takes every live slot's vector and presents the window's taps of the sweep at
  // S1; the array multiplies them per PE and sums the taps in its column trees (fold 1: lane c = column c).
  localparam int unsigned DwXBits = Dw ? Rows * Cols * XBits : 1;  // dnn_pe_array's xdw_i
  logic [DwXBits-1:0] dw_taps_x;
  if (Dw) begin : g_dw_feed
    dnn_dw_feed #(
      .Rows(Rows), .Cols(Cols), .XBits(XBits), .FoldMax(FoldMax), .LinePixels(DwLinePixels)
    ) u_dw_feed (
      .clk_i, .rst_ni,
      .kh_i(kh_q[1:0]), .kw_i(kw_q[1:0]),
      .slot_valid_i(live && dw), .slot_row_first_i(dw_row_first_q), .slot_sweep_i(cp_sweep_q),
      .vec_i(x_word), .taps_o(dw_taps_x)
    );
  end else begin : g_no_dw_feed
    assign dw_taps_x = '0;
    logic unused_dw;
    assign unused_dw = ^{dw_xw_q, dw_yw_q, dw_row_first_q, cp_sweep_q, dw_taps};
  end
  wire [FoldBits-1:0] array_fold = dw ? FoldBits'(1) : fold_q;

  always_ff @(posedge clk_i) begin
    s1_pad_q    <= pad;
    s1_first_q  <= cp_first_q;
    s1_last_q   <= cp_last_q;
    s1_bstart_q <= cp_first_q && slot0 && !pool && (!dw || fire);
    s1_tlast_q  <= cp_tile_last_q && px_p_q == tile_p_q - 16'd1;
    s1_p_q      <= px_p_q[AccAddrBits-1:0];
    s1_oaddr_q  <= px_oaddr_q;
    spad_q      <= {spad_q[ArrayLatency-2:0], s1_pad_q};
    sfirst_q    <= {sfirst_q[ArrayLatency-2:0], s1_first_q};
    slast_q     <= {slast_q[ArrayLatency-2:0], s1_last_q};
    sbstart_q   <= {sbstart_q[ArrayLatency-2:0], s1_bstart_q};
    stlast_q    <= {stlast_q[ArrayLatency-2:0], s1_tlast_q};
    sp_q        <= {sp_q[(ArrayLatency-1)*AccAddrBits-1:0], s1_p_q};
    soaddr_q    <= {soaddr_q[(ArrayLatency-1)*OutAddrBits-1:0], s1_oaddr_q};
    sx_q        <= {sx_q[(ArrayLatency-1)*PoolLanes*XBits-1:0], x_word[PoolLanes*XBits-1:0]};
  end
  logic                 sum_valid;
  logic [Cols*SumBits-1:0] sums;

  dnn_pe_array #(
    .Rows(Rows), .Cols(Cols), .XBits(XBits), .WeightBits(WeightBits), .FoldMax(FoldMax), .SumBits(SumBits),
    .DwFeed(Dw)
  ) u_pe_array (
    .clk_i, .rst_ni,
    .load_valid_i(wblk_take), .load_data_i(wblk_data_i),
    .swap_i(pass_swap),
    .x_valid_i(s1_valid_q), .x_i(x_word), .fold_i(array_fold), .dw_i(dw), .xdw_i(dw_taps_x),
    .sum_valid_o(sum_valid), .sum_o(sums)
  );

  // SR: read the pixel's partial sums (later passes); SA: add, write back or requantise.
  logic [Cols*AccBits-1:0] acc_rd, acc_new;
  dnn_ram_1r1w #(.Width(Cols * AccBits), .Depth(AccDepth)) u_acc (
    .clk_i,
    .wr_en_i(sa_valid && !sa_last), .wr_addr_i(sa_p), .wr_data_i(acc_new),
    .rd_en_i(sr_valid && !sr_first), .rd_addr_i(sr_p), .rd_data_o(acc_rd)
  );

  // Sums and bias are added modulo 2^AccBits: the final value is exact, since vp_gen proves the
  // accumulator (of which every partial sum is a smaller case) fits AccBits.
  for (genvar c = 0; c < Cols; c++) begin : g_acc
    logic [AccBits-1:0] sum_acc;  // the column sum at accumulator width (sign-extended or wrapped)
    if (SumBits > AccBits) begin : g_wrap
      logic unused_sum_hi;  // dropped bits: sums wrap like the accumulator (see above)
      assign sum_acc       = sums[c*SumBits +: AccBits];
      assign unused_sum_hi = ^sums[c*SumBits + AccBits +: SumBits - AccBits];
    end else if (SumBits == AccBits) begin : g_same
      assign sum_acc = sums[c*SumBits +: SumBits];
    end else begin : g_extend
      assign sum_acc = {{(AccBits-SumBits){sums[c*SumBits + SumBits - 1]}}, sums[c*SumBits +: SumBits]};
    end
    wire [AccBits-1:0] acc_old = acc_rd[c*AccBits +: AccBits];
    if (c < PoolLanes) begin : g_pool_lane
      // Pool: input value c; a sum starts from 0, a maximum from MinAcc, and a padded tap (x = 0)
      // takes part in neither.
      wire [AccBits-1:0] x_acc = {{(AccBits-XBits){sa_x[c*XBits + XBits - 1]}}, sa_x[c*XBits +: XBits]};
      wire [AccBits-1:0] cand  = sa_pad ? MinAcc : x_acc;
      wire [AccBits-1:0] mbase = sa_first ? MinAcc : acc_old;
      wire [AccBits-1:0] base  = sa_first ? (pool ? '0 : bias_q[c*AccBits +: AccBits]) : acc_old;
      wire [AccBits-1:0] add   = pool ? x_acc : sum_acc;
      wire               win   = $signed(cand) > $signed(mbase);
      assign acc_new[c*AccBits +: AccBits] = op_q == OpMax ? (win ? cand : mbase) : base + add;
    end else begin : g_conv_lane
      wire [AccBits-1:0] base = sa_first ? bias_q[c*AccBits +: AccBits] : acc_old;
      assign acc_new[c*AccBits +: AccBits] = base + sum_acc;
    end
  end

  // Requantisers and pool output stages (latency RequantLatency both) and the output write.
  logic [Cols-1:0] rq_valid;
  logic [Cols*ActBits-1:0] rq_y;
  for (genvar c = 0; c < Cols; c++) begin : g_requant
    dnn_requant #(.AccBits(AccBits), .ActBits(ActBits)) u_requant (
      .clk_i, .rst_ni,
      .valid_i(sa_valid && sa_last && !pool),
      .acc_i(acc_new[c*AccBits +: AccBits]),
      .mult_i(mult_q[c*32 +: 32]),
      .shift_i(shift_q[c*6 +: 6]),
      .act_i(activation_q),
      .leaky_shift_i(leaky_shift_q),
      .out_zp_i(out_zp_q),
      .out_bits_i(out_bits_q),
      .out_signed_i(out_signed_q),
      .round_even_i(round_even_q),
      .clip_i(clip_q),
      .clip_lo_i(clip_lo_q),
      .clip_hi_i(clip_hi_q),
      .valid_o(rq_valid[c]),
      .y_o(rq_y[c*ActBits +: ActBits])
    );
  end

  logic [PoolLanes-1:0] po_valid;
  logic [PoolLanes*ActBits-1:0] po_y;
  for (genvar r = 0; r < PoolLanes; r++) begin : g_pool_out
    dnn_pool_out #(.AccBits(AccBits), .ActBits(ActBits)) u_pool_out (
      .clk_i, .rst_ni,
      .valid_i(sa_valid && sa_last && pool),
      .acc_i(acc_new[r*AccBits +: AccBits]),
      .avg_i(op_q != OpMax),
      .count_i(pool_count_q),
      .magic_i(pool_magic_q),
      .shift_i(pool_shift_q),
      .round_even_i(round_even_q),
      .out_zp_i(out_zp_q),
      .out_bits_i(out_bits_q),
      .out_signed_i(out_signed_q),
      .clip_i(clip_q),
      .clip_lo_i(clip_lo_q),
      .clip_hi_i(clip_hi_q),
      .valid_o(po_valid[r]),
      .y_o(po_y[r*ActBits +: ActBits])
    );
  end
  // A pool's word: F*Rows values (the output buffer drains only those); a convolution's: Cv.
  assign out_wr_data_o[PoolLanes*ActBits-1:0] = pool ? po_y : rq_y[PoolLanes*ActBits-1:0];
  if (Cols > PoolLanes) begin : g_conv_only
    assign out_wr_data_o[Cols*ActBits-1:PoolLanes*ActBits] = rq_y[Cols*ActBits-1:PoolLanes*ActBits];
  end

  logic [RequantLatency-1:0] rq_valid_q, rq_tlast_q;
  logic [RequantLatency*OutAddrBits-1:0] rq_oaddr_q;  // entry i at [i*OutAddrBits +: OutAddrBits]
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rq_valid_q <= '0;
    end else begin
      rq_valid_q <= {rq_valid_q[RequantLatency-2:0], sa_valid && sa_last};
    end
  end
  always_ff @(posedge clk_i) begin
    rq_tlast_q    <= {rq_tlast_q[RequantLatency-2:0], sa_tlast};
    rq_oaddr_q    <= {rq_oaddr_q[(RequantLatency-1)*OutAddrBits-1:0], sa_oaddr};
  end

  assign out_wr_en_o     = rq_valid_q[RequantLatency-1];
  assign out_wr_addr_o   = rq_oaddr_q[(RequantLatency-1)*OutAddrBits +: OutAddrBits];
  assign tile_done_write = out_wr_en_o && rq_tlast_q[RequantLatency-1];

  // The requantisers' and pool stages' own valids duplicate rq_valid_q (checked below).
  logic unused_rq_valid, unused_po_valid, unused_sum_valid, unused_hi_bits, unused_bias, unused_sa_bstart;
  assign unused_sa_bstart = sbstart_q[Sa];  // the params went live in SR
  assign unused_bias      = ^params_bias_i;  // bits above AccBits: vp_gen keeps the bias inside it
  assign unused_rq_valid  = ^rq_valid;
  assign unused_po_valid  = ^po_valid;
  assign unused_sum_valid = sum_valid;
  // Wide intermediates of which the address arithmetic keeps the low bits.
  assign unused_hi_bits   = ^{blocks_c, groups_c, cmd_w_c, yrow_w, s_w, sw_c, in_w_c, step_c, kx_step_c, gcols_c,
                              chunks_c};

  // ---------------------------------------------------------------- checks
  `DNN_ASSERT(CoreRequantAligned, rq_valid == {Cols{out_wr_en_o && !pool}}, clk_i, rst_ni)
  `DNN_ASSERT(CorePoolOutAligned, po_valid == {PoolLanes{out_wr_en_o && pool}}, clk_i, rst_ni)
  // Pools need a lane per input value (the generator places them only when F*Rows <= Cols).
  `DNN_ASSERT(CorePoolFits, !cmd_take || cmd_op_i == OpConv || 32'(fold_rows(cmd_fold_i)) <= Cols, clk_i, rst_ni)
  // MODE.OP 3 needs the feed (dnn_regs refuses it otherwise), a kernel within it and whole output rows.
  `DNN_ASSERT(CoreOpKnown, !cmd_take || cmd_op_i != OpDw || Dw, clk_i, rst_ni)
  `DNN_ASSERT(CoreDwKernel, !cmd_take || cmd_op_i != OpDw || (cmd_kh_i <= 8'd3 && cmd_kw_i <= 8'd3), clk_i,
              rst_ni)
  `DNN_ASSERT(CoreDwWholeRows, !(dw && state_q == StDiv && div_cnt_q == 4'd15) || dp_rem_d == '0, clk_i, rst_ni)
  // F in 1 .. FoldMax dividing Cols; folds > 1 only for dense convolutions and pools (dnn_regs refuses
  // others).
  `DNN_ASSERT(CoreFoldLegal, !cmd_take || (cmd_fold_i != '0 && 32'(cmd_fold_i) <= FoldMax &&
              Cols % 32'(cmd_fold_i) == 0), clk_i, rst_ni)
  `DNN_ASSERT(CoreFoldDense, !cmd_take || cmd_fold_i == FoldBits'(1) || cmd_op_i != OpConv ||
              cmd_group_chunks_i == '0, clk_i, rst_ni)
  `DNN_ASSERT(CoreArrayAligned, sum_valid == sa_valid, clk_i, rst_ni)
  `DNN_ASSERT(CoreCmdSane, !cmd_take || (cmd_in_c_i != '0 && cmd_out_c_i != '0 && cmd_kh_i != '0 &&
              cmd_kw_i != '0 && cmd_sh_i != '0 && cmd_sw_i != '0 && cmd_out_w_i != '0 &&
              cmd_tile_p_i != '0 && 32'(cmd_tile_p_i) <= AccDepth &&
              cmd_tile_p0_i[31:16] < cmd_out_w_i), clk_i, rst_ni)
  `DNN_ASSERT(CoreReadInRange, !in_rd_en_o || 32'(in_rd_addr_o) < InDepth, clk_i, rst_ni)
  `DNN_ASSERT(CoreWriteInRange, !out_wr_en_o || 32'(out_wr_addr_o) < OutDepth, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(CoreDoneKnown, done_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(CoreIssueKnown, issue_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(CoreOutWrKnown, out_wr_en_o, clk_i, rst_ni)
endmodule

// Fused residual add on the output stream (docs/engine.md "Fused residual add"): between the output
// buffer's drain (operand a, the tile's packed output) and m_axis_y, with operand b arriving on its
// own stream (s_axis_r, through a small FIFO) as exactly the same byte span. Per value, bit for bit
// the add_elements() of generators/numerics.cpp (docs/numerics.md "Add"):
//
//   v = (a - za) * Ma + (b - zb) * Mb;  relu && v < 0: v = 0;  leaky && v < 0: s = s + leaky_shift
//   y = saturate(zy + round_shift(v, s), y_bits, y_signed)
//
// with round_shift as in dnn_requant (one adder: addend 2^(s-1) or 2^(s-1) - 1, carry in bit s of v
// for ties to even). v is formed as a*Ma + b*Mb - K with the tile's constant K = za*Ma + zb*Mb
// computed once at the command, so each lane multiplies a stored value (9 bits) by a 32-bit
// multiplier: the products and the sum are exact (|v| < 2^48), as the numerics' 64-bit ones.
//
// Lanes: StreamBits/4, one per nibble of a beat; at storage width 8 the low StreamBits/8 lanes take
// one byte each. a, b and y share the storage width (the generator fuses only then), so a beat of a
// and a beat of b give one beat of y with a's TKEEP and TLAST. Lanes outside the data (bytes past
// TKEEP; at storage width 4 the unused high nibble of a tile's last byte, cmd_end_half_i) give 0, as
// the drain leaves them. A tile that starts in a high nibble needs nothing special: its first byte's
// low nibble holds the previous tile's last a and b, and recomputing y gives the byte already written.
//
// Pipeline (Latency 4, one beat per cycle): 1 products, 2 sum, activation and shift, 3 rounding
// shift, 4 zero point, saturation and packing into the output FIFO. The pipeline never stalls: a pair
// of beats is accepted only while the beats in flight plus those in the FIFO leave it room (a credit
// count of registers), so no ready path runs from m_y_tready_i to s_a_tready_o / s_b_tready_o.
// cmd_enable_i = 0 (today's layers): m_y is s_a, a wire, and b is not read (s_b_tready_o is high only
// while a fused tile is in flight); the stage adds no cycle.
//
// Commands: one per tile, given together with the drain's. A fused tile holds cmd_ready_o low until its
// last y beat has left, so the next tile's beats never meet its parameters in the pipeline.
// Length check: a's and b's TLAST must fall on the same beat. If b ends first the rest of a is paired
// with b = 0; if a ends first b is read on to its TLAST before the next tile; either way len_error_o
// pulses once and the stream stays in step.
`include "dnn_assert.svh"

module dnn_eltwise #(
  parameter int unsigned StreamBits = 64,
  parameter int unsigned BFifoBeats = 4,
  localparam int unsigned KeepBits = StreamBits / 8
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // Command: one per tile (quasi-static while the tile passes).
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  logic                  cmd_enable_i,
  input  logic [3:0]            cmd_a_bits_i,     // a: the tile's output type (QUANT.OUT_*)
  input  logic                  cmd_a_signed_i,
  input  logic [15:0]           cmd_a_zp_i,       // OUT_ZP
  input  logic [3:0]            cmd_b_bits_i,
  input  logic                  cmd_b_signed_i,
  input  logic [15:0]           cmd_b_zp_i,
  input  logic [3:0]            cmd_y_bits_i,
  input  logic                  cmd_y_signed_i,
  input  logic [15:0]           cmd_y_zp_i,
  input  logic [31:0]           cmd_ma_i,         // signed
  input  logic [31:0]           cmd_mb_i,         // signed
  input  logic [5:0]            cmd_shift_i,
  input  logic [1:0]            cmd_act_i,        // 0 none, 1 ReLU, 2 LeakyReLU
  input  logic [3:0]            cmd_leaky_shift_i,
  input  logic                  cmd_round_even_i,
  input  logic                  cmd_end_half_i,   // storage 4: the tile's last byte holds one value
  // Operand a: the drain's packed output.
  input  logic [StreamBits-1:0] s_a_tdata_i,
  input  logic [KeepBits-1:0]   s_a_tkeep_i,
  input  logic                  s_a_tvalid_i,
  output logic                  s_a_tready_o,
  input  logic                  s_a_tlast_i,
  // Operand b: the residual stream (s_axis_r).
  input  logic [StreamBits-1:0] s_b_tdata_i,
  input  logic                  s_b_tvalid_i,
  output logic                  s_b_tready_o,
  input  logic                  s_b_tlast_i,
  // Result y.
  output logic [StreamBits-1:0] m_y_tdata_o,
  output logic [KeepBits-1:0]   m_y_tkeep_o,
  output logic                  m_y_tvalid_o,
  input  logic                  m_y_tready_i,
  output logic                  m_y_tlast_o,
  // One cycle after each tile's last y beat left; one cycle per length mismatch.
  output logic                  done_o,
  output logic                  len_error_o
);
  localparam int unsigned Lanes     = StreamBits / 4;
  localparam int unsigned Latency   = 4;
  // Beats in flight (pipeline) plus queued (FIFO): one beat per cycle needs Latency + 1 (a credit
  // returns the cycle after its beat leaves).
  localparam int unsigned FifoDepth = Latency + 1;
  localparam int unsigned CreditBits = $clog2(FifoDepth + 1);
  localparam int unsigned ValBits   = 9;                 // a stored value, signed or unsigned
  localparam int unsigned ProdBits  = ValBits + 32;      // value x 32-bit multiplier
  localparam int unsigned KBits     = 16 + 32 + 1;       // za*Ma + zb*Mb
  localparam int unsigned VBits     = KBits + 1;         // a*Ma + b*Mb - K
  localparam int unsigned RoundBits = VBits + 1;         // + the rounding constant
  localparam int unsigned ZyBits    = RoundBits + 1;     // + the 16-bit zero point
  localparam logic [6:0]  MaxShift  = 7'(VBits);
  localparam int unsigned RangeBits = 18;                // dnn_out_range's bounds
  localparam logic signed [RoundBits-1:0] One  = 1;
  localparam int unsigned YFifoBits = StreamBits + KeepBits + 1;
  localparam logic [CreditBits-1:0] Credits = CreditBits'(FifoDepth);

  // ---------------------------------------------------------------- command
  logic                     en_q, busy_q, mode4_q, a_signed_q, b_signed_q;
  logic                     round_even_q, end_half_q;
  logic signed [31:0]       ma_q, mb_q;
  logic signed [15:0]       zy_q;
  logic signed [KBits-1:0]  k_q;
  // The tile's rounding shift and its constants, for v >= 0 (pos) and v < 0 (neg: LeakyReLU adds its
  // shift), and y's range: formed once per tile, not per lane.
  logic [6:0]                  sh_pos_q, sh_neg_q;
  logic [RoundBits-1:0]        half_pos_q, half_neg_q, below_pos_q, below_neg_q;
  logic signed [RangeBits-1:0] y_max_q, y_min_q;
  logic                        relu_q;
  logic                     b_flush_q, b_over_q;   // length-mismatch recovery (see the header)

  wire cmd_fire = cmd_valid_i && cmd_ready_o;
  assign cmd_ready_o = !busy_q && !b_flush_q;

  // Operands widened to KBits first, so the products are exact.
  wire signed [KBits-1:0] za_cmd = {{(KBits - 16){cmd_a_zp_i[15]}}, cmd_a_zp_i};
  wire signed [KBits-1:0] zb_cmd = {{(KBits - 16){cmd_b_zp_i[15]}}, cmd_b_zp_i};
  wire signed [KBits-1:0] ma_cmd = {{(KBits - 32){cmd_ma_i[31]}}, cmd_ma_i};
  wire signed [KBits-1:0] mb_cmd = {{(KBits - 32){cmd_mb_i[31]}}, cmd_mb_i};
  wire signed [KBits-1:0] k_cmd = za_cmd * ma_cmd + zb_cmd * mb_cmd;

  // Shifting by the width of v or more already gives the exact result (0): the shifts are clamped
  // there, so the rounding constant stays inside the datapath.
  logic [6:0]           sh_pos_cmd, sh_neg_cmd;
  logic [RoundBits-1:0] half_pos_cmd, half_neg_cmd, below_pos_cmd, below_neg_cmd;
  logic signed [RangeBits-1:0] y_max_cmd, y_min_cmd;
  always_comb begin
    sh_pos_cmd = {1'b0, cmd_shift_i};
    sh_neg_cmd = sh_pos_cmd;
    if (cmd_act_i == 2'd2) sh_neg_cmd = {1'b0, cmd_shift_i} + {3'b0, cmd_leaky_shift_i};
    if (sh_pos_cmd > MaxShift) sh_pos_cmd = MaxShift;
    if (sh_neg_cmd > MaxShift) sh_neg_cmd = MaxShift;
    half_pos_cmd  = (sh_pos_cmd == '0) ? '0 : One <<< (sh_pos_cmd - 7'd1);
    half_neg_cmd  = (sh_neg_cmd == '0) ? '0 : One <<< (sh_neg_cmd - 7'd1);
    below_pos_cmd = (sh_pos_cmd == '0) ? '0 : ~('1 <<< (sh_pos_cmd - 7'd1));  // 2^(s-1) - 1
    below_neg_cmd = (sh_neg_cmd == '0) ? '0 : ~('1 <<< (sh_neg_cmd - 7'd1));
  end

  // y's range.
  dnn_out_range #(.Bits(RangeBits)) u_y_range (
    .out_bits_i(cmd_y_bits_i), .out_signed_i(cmd_y_signed_i), .clip_i(1'b0), .clip_lo_i(16'd0),
    .clip_hi_i(16'd0), .lo_o(y_min_cmd), .hi_o(y_max_cmd)
  );

  logic y_last_fire;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      en_q          <= 1'b0;
      busy_q        <= 1'b0;
      mode4_q       <= 1'b0;
      a_signed_q    <= 1'b0;
      b_signed_q    <= 1'b0;
      round_even_q  <= 1'b0;
      end_half_q    <= 1'b0;
      sh_pos_q      <= '0;
      sh_neg_q      <= '0;
      half_pos_q    <= '0;
      half_neg_q    <= '0;
      below_pos_q   <= '0;
      below_neg_q   <= '0;
      y_max_q       <= '0;
      y_min_q       <= '0;
      relu_q        <= 1'b0;
      ma_q          <= '0;
      mb_q          <= '0;
      zy_q          <= '0;
      k_q           <= '0;
    end else if (cmd_fire) begin
      en_q          <= cmd_enable_i;
      busy_q        <= cmd_enable_i;
      mode4_q       <= cmd_a_bits_i <= 4'd4;
      a_signed_q    <= cmd_a_signed_i;
      b_signed_q    <= cmd_b_signed_i;
      round_even_q  <= cmd_round_even_i;
      end_half_q    <= cmd_end_half_i;
      sh_pos_q      <= sh_pos_cmd;
      sh_neg_q      <= sh_neg_cmd;
      half_pos_q    <= half_pos_cmd;
      half_neg_q    <= half_neg_cmd;
      below_pos_q   <= below_pos_cmd;
      below_neg_q   <= below_neg_cmd;
      y_max_q       <= y_max_cmd;
      y_min_q       <= y_min_cmd;
      relu_q        <= cmd_act_i == 2'd1;
      ma_q          <= cmd_ma_i;
      mb_q          <= cmd_mb_i;
      zy_q          <= cmd_y_zp_i;
      k_q           <= k_cmd;
    end else if (y_last_fire) begin
      busy_q <= 1'b0;
    end
  end

  // ---------------------------------------------------------------- operand b FIFO
  // b is taken only while a fused tile is in flight (or its surplus is being dropped): a tile
  // without the add reads nothing from s_axis_r. The tile's first b beat still arrives before its
  // first a beat (the drain needs three cycles from the command to its first beat).
  logic [StreamBits-1:0] b_data;
  logic                  b_valid, b_last, b_pop, b_fifo_ready;
  logic [$clog2(BFifoBeats + 1)-1:0] unused_b_count;
  wire b_wanted = busy_q || b_flush_q;
  assign s_b_tready_o = b_fifo_ready && b_wanted;

  dnn_fifo #(.Width(StreamBits + 1), .Depth(BFifoBeats)) u_b_fifo (
    .clk_i, .rst_ni,
    .in_data_i  ({s_b_tlast_i, s_b_tdata_i}),
    .in_valid_i (s_b_tvalid_i && b_wanted),
    .in_ready_o (b_fifo_ready),
    .out_data_o ({b_last, b_data}),
    .out_valid_o(b_valid),
    .out_ready_i(b_pop),
    .count_o    (unused_b_count)
  );

  // ---------------------------------------------------------------- acceptance (credits)
  logic [CreditBits-1:0] credits_q;   // beats in the pipeline and the FIFO
  logic                  y_valid, y_fire;
  wire room = credits_q < Credits;
  // A pair is taken when a, b (unless b already ended) and room are there; while b is flushed to
  // its TLAST, a waits.
  wire pair_ok = en_q && room && !b_flush_q && (b_valid || b_over_q);
  wire a_fire  = s_a_tvalid_i && s_a_tready_o;
  wire take    = en_q && a_fire;
  assign b_pop = (take && !b_over_q) || b_flush_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      credits_q   <= '0;
      b_flush_q   <= 1'b0;
      b_over_q    <= 1'b0;
      len_error_o <= 1'b0;
    end else begin
      if (take != y_fire) credits_q <= take ? credits_q + 1'b1 : credits_q - 1'b1;
      len_error_o <= take && !b_over_q && s_a_tlast_i != b_last;
      if (take && s_a_tlast_i && !b_over_q && !b_last) b_flush_q <= 1'b1;
      else if (b_flush_q && b_valid && b_last) b_flush_q <= 1'b0;
      if (take && !s_a_tlast_i && !b_over_q && b_last) b_over_q <= 1'b1;
      else if (take && s_a_tlast_i) b_over_q <= 1'b0;
    end
  end

  // ---------------------------------------------------------------- lanes
  // Lane validity at the input: byte lanes by TKEEP; nibble lanes by their byte's TKEEP, except
  // the high nibble of a tile's half-used last byte.
  logic [Lanes-1:0] lane_on;
  for (genvar i = 0; i < Lanes; i++) begin : g_on
    localparam int unsigned Byte = i / 2;
    wire last_byte = s_a_tkeep_i[Byte] && (Byte + 1 == KeepBits || !s_a_tkeep_i[(Byte + 1) % KeepBits]);
    wire dead_nib  = (i % 2 == 1) && s_a_tlast_i && end_half_q && last_byte;
    wire on4 = s_a_tkeep_i[Byte] && !dead_nib;
    if (i < KeepBits) begin : g_both
      assign lane_on[i] = mode4_q ? on4 : s_a_tkeep_i[i];
    end else begin : g_nib
      assign lane_on[i] = mode4_q && on4;
    end
  end

  // Stage 1: products. Stage 2: sum, activation, shift. Stage 3: rounding shift. Stage 4: y.
  logic [Latency-2:0]   vld_q, last_q;
  logic [KeepBits-1:0]  keep_q [Latency-1];
  logic [Lanes-1:0]     on_q [Latency-1];
  logic [7:0]           lane_y [Lanes];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vld_q <= '0;
    end else begin
      vld_q <= {vld_q[Latency-3:0], take};
    end
  end
  always_ff @(posedge clk_i) begin
    last_q    <= {last_q[Latency-3:0], s_a_tlast_i};
    keep_q[0] <= s_a_tkeep_i;
    on_q[0]   <= lane_on;
    for (int s = 1; s < Latency - 1; s++) begin
      keep_q[s] <= keep_q[s-1];
      on_q[s]   <= on_q[s-1];
    end
  end

  for (genvar i = 0; i < Lanes; i++) begin : g_lane
    // The lane's stored values, extended to 9 bits by their signedness.
    logic [7:0] a_raw, b_raw;
    if (i < KeepBits) begin : g_byte
      assign a_raw = mode4_q ? {4'd0, s_a_tdata_i[i*4 +: 4]} : s_a_tdata_i[i*8 +: 8];
      assign b_raw = mode4_q ? {4'd0, b_data[i*4 +: 4]} : b_data[i*8 +: 8];
    end else begin : g_nibble
      assign a_raw = {4'd0, s_a_tdata_i[i*4 +: 4]};
      assign b_raw = {4'd0, b_data[i*4 +: 4]};
    end
    wire a_top = mode4_q ? a_raw[3] : a_raw[7];
    wire b_top = mode4_q ? b_raw[3] : b_raw[7];
    wire signed [ValBits-1:0] a_val =
      mode4_q ? {{5{a_signed_q && a_top}}, a_raw[3:0]} : {a_signed_q && a_top, a_raw};
    // b after its packet ended early (a length error) counts as 0.
    wire signed [ValBits-1:0] b_val = b_over_q ? '0 :
      mode4_q ? {{5{b_signed_q && b_top}}, b_raw[3:0]} : {b_signed_q && b_top, b_raw};

    // ---- stage 1 (operands widened to ProdBits by the assignment: exact products)
    wire signed [ProdBits-1:0] pa = a_val * ma_q, pb = b_val * mb_q;
    logic signed [ProdBits-1:0] pa_q, pb_q;
    always_ff @(posedge clk_i) begin
      pa_q <= pa;
      pb_q <= pb;
    end

    // ---- stage 2: the sum and ReLU (a negative v under ReLU is 0, whatever its shift)
    logic signed [VBits-1:0] v, v_q;
    always_comb begin
      v = {{(VBits - ProdBits){pa_q[ProdBits-1]}}, pa_q} + {{(VBits - ProdBits){pb_q[ProdBits-1]}}, pb_q} -
          {k_q[KBits-1], k_q};
      if (v[VBits-1] && relu_q) v = '0;
    end
    always_ff @(posedge clk_i) begin
      v_q <= v;
    end

    // ---- stage 3: round_shift (the pattern of dnn_requant's stage 3), the shift by v's sign
    logic signed [RoundBits-1:0] v_ext, half, addend, carry, biased, r_q;
    logic [6:0]                  sh;
    logic                        floor_lsb;
    always_comb begin
      v_ext     = {v_q[VBits-1], v_q};
      sh        = v_q[VBits-1] ? sh_neg_q : sh_pos_q;
      half      = v_q[VBits-1] ? half_neg_q : half_pos_q;
      floor_lsb = |(v_ext & (half <<< 1));  // bit s of v (0 for s = 0)
      addend    = round_even_q ? (v_q[VBits-1] ? below_neg_q : below_pos_q) : half;
      carry     = {{(RoundBits - 1){1'b0}}, round_even_q & floor_lsb};
      biased    = v_ext + addend + carry;   // |v| < 2^(VBits-1): no overflow
    end
    always_ff @(posedge clk_i) begin
      r_q <= biased >>> sh;
    end

    // ---- stage 4: zero point and saturation (combinational into the output FIFO)
    logic signed [ZyBits-1:0] with_zy, y_max, y_min;
    logic [7:0]               y8;
    always_comb begin
      with_zy = {r_q[RoundBits-1], r_q} + {{(ZyBits - 16){zy_q[15]}}, zy_q};
      y_max   = {{(ZyBits - RangeBits){y_max_q[RangeBits-1]}}, y_max_q};
      y_min   = {{(ZyBits - RangeBits){y_min_q[RangeBits-1]}}, y_min_q};
      if (!on_q[Latency-2][i]) y8 = '0;
      else if (with_zy > y_max) y8 = y_max_q[7:0];
      else if (with_zy < y_min) y8 = y_min_q[7:0];
      else y8 = with_zy[7:0];
    end
    assign lane_y[i] = y8;
  end

  // Packing at the storage width: lane i is nibble i, or at width 8 byte i.
  logic [StreamBits-1:0] y_beat;
  always_comb begin
    y_beat = '0;
    if (mode4_q) for (int i = 0; i < Lanes; i++) y_beat[i*4 +: 4] = lane_y[i][3:0];
    else for (int i = 0; i < KeepBits; i++) y_beat[i*8 +: 8] = lane_y[i];
  end

  // ---------------------------------------------------------------- output FIFO
  logic [YFifoBits-1:0]  y_fifo_out;
  logic [CreditBits-1:0] unused_y_count;
  logic                  y_fifo_ready;

  dnn_fifo #(.Width(YFifoBits), .Depth(FifoDepth)) u_y_fifo (
    .clk_i, .rst_ni,
    .in_data_i  ({last_q[Latency-2], keep_q[Latency-2], y_beat}),
    .in_valid_i (vld_q[Latency-2]),
    .in_ready_o (y_fifo_ready),
    .out_data_o (y_fifo_out),
    .out_valid_o(y_valid),
    .out_ready_i(en_q && m_y_tready_i),
    .count_o    (unused_y_count)
  );

  // ---------------------------------------------------------------- output select
  assign s_a_tready_o = en_q ? pair_ok : m_y_tready_i;
  assign m_y_tvalid_o = en_q ? y_valid : s_a_tvalid_i;
  assign m_y_tdata_o  = en_q ? y_fifo_out[StreamBits-1:0] : s_a_tdata_i;
  assign m_y_tkeep_o  = en_q ? y_fifo_out[StreamBits +: KeepBits] : s_a_tkeep_i;
  assign m_y_tlast_o  = en_q ? y_fifo_out[YFifoBits-1] : s_a_tlast_i;
  assign y_fire       = en_q && y_valid && m_y_tready_i;
  assign y_last_fire  = m_y_tvalid_o && m_y_tready_i && m_y_tlast_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) done_o <= 1'b0;
    else done_o <= y_last_fire;
  end

  `DNN_ASSERT_STREAM_STABLE(EltBStable, s_b_tvalid_i, s_b_tready_o, {s_b_tdata_i, s_b_tlast_i}, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(EltYStable, m_y_tvalid_o, m_y_tready_i, {m_y_tdata_o, m_y_tkeep_o, m_y_tlast_o},
                            clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(EltYValidKnown, m_y_tvalid_o, clk_i, rst_ni)
  // The credits keep the FIFO from overflowing: the pipeline never has to stall.
  `DNN_ASSERT(EltYFifoRoom, !vld_q[Latency-2] || y_fifo_ready, clk_i, rst_ni)
  // a, b and y share one storage width (4 if bits <= 4, else 8), and y is 2..8 bits.
  `DNN_ASSERT(EltStorageWidths, !(cmd_fire && cmd_enable_i) ||
              ((cmd_a_bits_i <= 4'd4) == (cmd_b_bits_i <= 4'd4) &&
               (cmd_a_bits_i <= 4'd4) == (cmd_y_bits_i <= 4'd4) &&
               cmd_y_bits_i >= 4'd2 && cmd_y_bits_i <= 4'd8), clk_i, rst_ni)
  // A new tile's command never arrives while a fused tile's beats are in flight.
  `DNN_ASSERT(EltIdleAtCommand, !cmd_fire || credits_q == '0, clk_i, rst_ni)
endmodule

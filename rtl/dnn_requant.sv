// Output stage of one output channel (docs/numerics.md "Output stage"), bit for bit the
// requantize() of generators/numerics.cpp:
//
//   v = acc;  relu && v < 0: v = 0;  leaky && v < 0: s = s + leaky_shift
//   y = saturate(zero_point + round_shift(v * multiplier, s), out_bits, out_signed, clip)
//   round_shift(x, s) = s == 0 ? x : (x + 2^(s-1)) >>> s            ties toward +inf (round_even_i 0)
//                     = s == 0 ? x : (x + 2^(s-1) - 1 + x[s]) >>> s   ties to even (round_even_i 1)
// Both are the same one adder: the addend is 2^(s-1) or 2^(s-1) - 1, and x[s] (the lowest bit of
// floor(x / 2^s), which makes a tie go up exactly when that floor is odd) its carry in.
//
// Pipeline: fixed latency Latency = 4 cycles from valid_i to valid_o, no stalls (it sits inside the
// core's pipeline, which never stalls once a pixel is issued).
//   1. activation (relu zeroes, leaky widens the shift); register v, multiplier, shift
//   2. product v * multiplier (AccBits x 31 bits, exact), registered
//   3. rounding add and arithmetic right shift, registered
//   4. + zero point, saturation to the out_bits range (narrowed by a folded Clip), registered output
//
// Multipliers: rtl/README.md says the PE array's Rows x Cols products are the only `*` on data.
// The requantiser's product (one per column, so Cols in the core) is the other, deliberate exception:
// it is the per-channel multiplier of the numerics. The synthesis cell report of dnn_core therefore
// shows Rows*Cols + Cols $mul cells.
//
// Ports (per element, sampled with valid_i): acc_i, mult_i (0..2^31-1; bit 31 must be 0 and is
// ignored), shift_i (0..62), act_i (0 none, 1 ReLU, 2 LeakyReLU, 3 = none), leaky_shift_i.
// Quasi-static (a layer's constants; must be stable from valid_i until the matching valid_o, as
// the core holds them for a whole tile): out_zp_i (signed), out_bits_i (2..ActBits), out_signed_i,
// round_even_i (1: ties to even, 0: toward +inf), clip_i, clip_lo_i, clip_hi_i (MODE.CLIP, CLIP.LO/HI:
// saturate to [max(type min, lo), min(type max, hi)], dnn_out_range).
// y_o: the saturated value in ActBits bits, two's complement if out_signed_i (sign-extended from
// out_bits to ActBits), else unsigned (zero-extended); its range is that of out_bits, so the low
// out_bits bits are the packed value.
// Shifts beyond the product width (only reachable when shift + leaky_shift > 62, outside the
// numerics' range) are still exact: the result is the true rounded value, 0.
`include "dnn_assert.svh"

module dnn_requant #(
  parameter int unsigned AccBits = 32,
  parameter int unsigned ActBits = 8
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               valid_i,
  input  logic [AccBits-1:0] acc_i,
  input  logic [31:0]        mult_i,
  input  logic [5:0]         shift_i,
  input  logic [1:0]         act_i,
  input  logic [3:0]         leaky_shift_i,
  input  logic [15:0]        out_zp_i,
  input  logic [3:0]         out_bits_i,
  input  logic               out_signed_i,
  input  logic               round_even_i,
  input  logic               clip_i,
  input  logic [15:0]        clip_lo_i,
  input  logic [15:0]        clip_hi_i,
  output logic               valid_o,
  output logic [ActBits-1:0] y_o
);
  // Product of a signed AccBits value and a 31-bit unsigned multiplier: AccBits + 31 signed bits.
  localparam int unsigned ProdBits  = AccBits + 31;
  // After adding the rounding constant (at most 2^(ProdBits-1)) one more bit.
  localparam int unsigned RoundBits = ProdBits + 1;
  // After adding the 16-bit zero point one more again.
  localparam int unsigned ZpBits    = RoundBits + 1;
  localparam logic [6:0]  MaxShift  = 7'(ProdBits);
  localparam logic signed [RoundBits-1:0] One = 1;

  // ---------------------------------------------------------------- stage 1: activation
  logic                      s1_valid_q;
  logic signed [AccBits-1:0] s1_v_q;
  logic [30:0]               s1_mult_q;
  logic [6:0]                s1_shift_q;

  wire acc_neg = acc_i[AccBits-1];
  logic [6:0] shift_act;
  always_comb begin
    shift_act = {1'b0, shift_i};
    if (acc_neg && act_i == 2'd2) shift_act = {1'b0, shift_i} + {3'b0, leaky_shift_i};
    // Shifting by the product width or more already gives the exact result (0): clamp so the
    // rounding constant below stays inside the datapath.
    if (shift_act > MaxShift) shift_act = MaxShift;
  end

  always_ff @(posedge clk_i) begin
    s1_v_q     <= (acc_neg && act_i == 2'd1) ? '0 : acc_i;
    s1_mult_q  <= mult_i[30:0];
    s1_shift_q <= shift_act;
  end

  // ---------------------------------------------------------------- stage 2: product
  logic                       s2_valid_q;
  logic signed [ProdBits-1:0] s2_prod_q;
  logic [6:0]                 s2_shift_q;
  wire signed [31:0] mult_s = $signed({1'b0, s1_mult_q});

  always_ff @(posedge clk_i) begin
    s2_prod_q  <= s1_v_q * mult_s;  // both operands signed, extended to ProdBits: exact
    s2_shift_q <= s1_shift_q;
  end

  // ---------------------------------------------------------------- stage 3: rounding shift
  logic                        s3_valid_q;
  logic signed [RoundBits-1:0] s3_round_q;
  logic signed [RoundBits-1:0] prod_ext, half, below_half, addend, carry, biased;
  logic                        floor_lsb;

  always_comb begin
    prod_ext   = {s2_prod_q[ProdBits-1], s2_prod_q};
    half       = (s2_shift_q == '0) ? '0 : One <<< (s2_shift_q - 7'd1);
    below_half = (s2_shift_q == '0) ? '0 : ~('1 <<< (s2_shift_q - 7'd1));  // 2^(s-1) - 1
    floor_lsb  = |(prod_ext & (half <<< 1));  // bit s of the product (0 for s = 0)
    addend     = round_even_i ? below_half : half;
    carry      = {{(RoundBits - 1){1'b0}}, round_even_i & floor_lsb};
    // One adder, the tie bit its carry in; cannot overflow: |prod| < 2^(ProdBits-1).
    biased     = prod_ext + addend + carry;
  end

  always_ff @(posedge clk_i) begin
    s3_round_q <= biased >>> s2_shift_q;  // arithmetic shift: floor
  end

  // ---------------------------------------------------------------- stage 4: zero point, saturation
  logic signed [ZpBits-1:0]  sat_max, sat_min;
  dnn_out_range #(.Bits(ZpBits)) u_range (
    .out_bits_i, .out_signed_i, .clip_i, .clip_lo_i, .clip_hi_i, .lo_o(sat_min), .hi_o(sat_max)
  );

  logic signed [ZpBits-1:0]  round_ext, zp_ext, with_zp;
  logic [ActBits-1:0]        y_d;

  always_comb begin
    round_ext = {s3_round_q[RoundBits-1], s3_round_q};
    zp_ext    = {{(ZpBits-16){out_zp_i[15]}}, out_zp_i};
    with_zp   = round_ext + zp_ext;
    if (with_zp > sat_max) y_d = sat_max[ActBits-1:0];
    else if (with_zp < sat_min) y_d = sat_min[ActBits-1:0];
    else y_d = with_zp[ActBits-1:0];
  end

  always_ff @(posedge clk_i) begin
    y_o <= y_d;
  end

  // ---------------------------------------------------------------- valid pipeline
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
      valid_o    <= 1'b0;
    end else begin
      s1_valid_q <= valid_i;
      s2_valid_q <= s1_valid_q;
      s3_valid_q <= s2_valid_q;
      valid_o    <= s3_valid_q;
    end
  end

  // The multiplier is 0..2^31-1 (numerics.md); bit 31 is not part of the datapath.
  logic unused_mult_msb;
  assign unused_mult_msb = mult_i[31];

  `DNN_ASSERT(RequantMultRange, !valid_i || !mult_i[31], clk_i, rst_ni)
  `DNN_ASSERT(RequantOutBits, !valid_i || (out_bits_i >= 4'd2 && 32'(out_bits_i) <= ActBits), clk_i,
              rst_ni)
  `DNN_ASSERT_KNOWN(RequantValidKnown, valid_o, clk_i, rst_ni)
endmodule

// Output stage of one pooling lane (docs/engine.md "Modes", docs/numerics.md "MaxPool", "AvgPool"):
//
//   max (avg_i 0):  y = sat(acc + zero_point)                  acc: the window's largest x = q - z
//   avg (avg_i 1):  y = sat(round(acc / count) + zero_point)   acc: the sum of the window's x
//
// where round is numerics.md "Divisions": q = floor(acc / count) (floor division for negative sums),
// r = acc - q*count in 0..count-1, half_up y = q + (2r >= count), half_even q + 1 if 2r > count, q if
// 2r < count, q + (q mod 2) on a tie. sat is the output type's range narrowed by a folded Clip
// (dnn_out_range). The quotient comes from the generator's divider (generators/pool_divider.h): for
// u = |acc| (acc >= 0) or u = |acc| - 1 = ~acc (acc < 0), floor(u / count) = (u * magic) >> shift, and
// for a negative acc floor(acc / count) = -(floor(~acc / count) + 1) = ~floor(~acc / count) with
// remainder count - 1 - (~acc mod count). The maximum is the same datapath dividing by 1 (magic 1,
// shift 0, count 1), so both modes share the pipeline.
//
// Pipeline: fixed latency Latency = 4 cycles from valid_i to valid_o (dnn_requant's: the core's output
// pipeline has no back-pressure and selects between the two per lane), no stalls.
//   1. u = acc ^ sign, product u * magic (AccBits-1 x 32 bits), registered
//   2. quotient of u: the product shifted right by shift, registered
//   3. remainder of u: u - quotient * count; signed quotient q and remainder r of acc, registered
//   4. rounding, + zero point, saturation, registered output
// Multipliers: two per lane (the divider's u * magic and the remainder's quotient * count; see
// dnn_requant on why the core has multipliers outside the PE array).
//
// Ports (per element, sampled with valid_i): acc_i (signed AccBits). Quasi-static (a layer's constants,
// stable from valid_i until the matching valid_o): avg_i, count_i (1..65535), magic_i, shift_i (the
// divider of count_i for the layer's sums), round_even_i, out_zp_i (signed), out_bits_i (2..ActBits),
// out_signed_i, clip_i, clip_lo_i, clip_hi_i. y_o as dnn_requant's: the saturated value in ActBits bits.
`include "dnn_assert.svh"

module dnn_pool_out #(
  parameter int unsigned AccBits = 32,
  parameter int unsigned ActBits = 8
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               valid_i,
  input  logic [AccBits-1:0] acc_i,
  input  logic               avg_i,
  input  logic [15:0]        count_i,
  input  logic [31:0]        magic_i,
  input  logic [5:0]         shift_i,
  input  logic               round_even_i,
  input  logic [15:0]        out_zp_i,
  input  logic [3:0]         out_bits_i,
  input  logic               out_signed_i,
  input  logic               clip_i,
  input  logic [15:0]        clip_lo_i,
  input  logic [15:0]        clip_hi_i,
  output logic               valid_o,
  output logic [ActBits-1:0] y_o
);
  // |acc| - (acc < 0) fits AccBits - 1 unsigned bits.
  localparam int unsigned UBits    = AccBits - 1;
  localparam int unsigned ProdBits = UBits + 32;
  localparam int unsigned RemBits  = UBits + 16;
  // Rounded quotient (AccBits signed, +1) plus the 16-bit zero point (AccBits >= 16).
  localparam int unsigned ZBits    = AccBits + 2;
  localparam logic signed [ZBits-1:0] OneZ = 1;

  // Max divides by 1.
  wire [15:0] count = avg_i ? count_i : 16'd1;
  wire [31:0] magic = avg_i ? magic_i : 32'd1;
  wire [5:0]  shift = avg_i ? shift_i : 6'd0;

  // ---------------------------------------------------------------- stage 1: u and u * magic
  logic                s1_neg_q;
  logic [UBits-1:0]    s1_u_q;
  logic [ProdBits-1:0] s1_prod_q;

  wire             acc_neg = acc_i[AccBits-1];
  wire [UBits-1:0] u       = acc_i[UBits-1:0] ^ {UBits{acc_neg}};

  always_ff @(posedge clk_i) begin
    s1_neg_q  <= acc_neg;
    s1_u_q    <= u;
    s1_prod_q <= {32'b0, u} * {{UBits{1'b0}}, magic};
  end

  // ---------------------------------------------------------------- stage 2: quotient of u
  logic             s2_neg_q;
  logic [UBits-1:0] s2_u_q, s2_qu_q;
  wire [ProdBits-1:0] prod_shifted = s1_prod_q >> shift;

  always_ff @(posedge clk_i) begin
    s2_neg_q <= s1_neg_q;
    s2_u_q   <= s1_u_q;
    s2_qu_q  <= prod_shifted[UBits-1:0];  // floor(u / count) < 2^UBits
  end

  // Bits of the shifted product above the quotient are zero for the divider's magic and shift.
  logic unused_prod_hi;
  assign unused_prod_hi = ^prod_shifted[ProdBits-1:UBits];

  // ---------------------------------------------------------------- stage 3: remainder, signed q and r
  logic signed [AccBits-1:0] s3_q_q;
  logic [15:0]               s3_r_q;
  wire [RemBits-1:0] qd    = {16'b0, s2_qu_q} * {{UBits{1'b0}}, count};
  wire [RemBits-1:0] rem_w = {16'b0, s2_u_q} - qd;
  wire [15:0]        rem_u = rem_w[15:0];  // 0 .. count-1

  always_ff @(posedge clk_i) begin
    s3_q_q <= s2_neg_q ? ~{1'b0, s2_qu_q} : {1'b0, s2_qu_q};
    s3_r_q <= s2_neg_q ? count - 16'd1 - rem_u : rem_u;
  end

  logic unused_rem_hi;
  assign unused_rem_hi = ^rem_w[RemBits-1:16];

  // ---------------------------------------------------------------- stage 4: round, zero point, saturate
  logic signed [ZBits-1:0] sat_lo, sat_hi;
  dnn_out_range #(.Bits(ZBits)) u_range (
    .out_bits_i, .out_signed_i, .clip_i, .clip_lo_i, .clip_hi_i, .lo_o(sat_lo), .hi_o(sat_hi)
  );

  logic [16:0] twice_r;
  logic        up;
  logic signed [ZBits-1:0] with_zp;
  logic [ActBits-1:0] y_d;

  always_comb begin
    twice_r = {s3_r_q, 1'b0};
    if (twice_r > {1'b0, count}) up = 1'b1;
    else if (twice_r < {1'b0, count}) up = 1'b0;
    else up = !round_even_i || s3_q_q[0];  // a tie: toward +inf, or to the even neighbour
    with_zp = {{2{s3_q_q[AccBits-1]}}, s3_q_q} + (up ? OneZ : '0) +
              {{(ZBits-16){out_zp_i[15]}}, out_zp_i};
    if (with_zp > sat_hi) y_d = sat_hi[ActBits-1:0];
    else if (with_zp < sat_lo) y_d = sat_lo[ActBits-1:0];
    else y_d = with_zp[ActBits-1:0];
  end

  always_ff @(posedge clk_i) begin
    y_o <= y_d;
  end

  // ---------------------------------------------------------------- valid pipeline
  logic s1_valid_q, s2_valid_q, s3_valid_q;
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

  `DNN_ASSERT(PoolOutCount, !valid_i || !avg_i || count_i != '0, clk_i, rst_ni)
  `DNN_ASSERT(PoolOutBits, !valid_i || (out_bits_i >= 4'd2 && 32'(out_bits_i) <= ActBits), clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(PoolOutValidKnown, valid_o, clk_i, rst_ni)
endmodule

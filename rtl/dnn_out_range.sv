// The range an output stage saturates to (docs/numerics.md "Values", "Clip"): the output type's
// [min, max], narrowed to [max(min, clip_lo), min(max, clip_hi)] when a Clip is folded into the layer
// (MODE.CLIP). Combinational on a layer's constants; dnn_requant and dnn_pool_out both use it, so the
// rule lives here once.
//
// Parameter Bits: signed width of the bounds, the width the user compares at (> 17: an unsigned 16-bit
// type's max needs 17 bits). Ports: out_bits_i (2..16), out_signed_i; clip_i, clip_lo_i, clip_hi_i
// (signed stored values of the output type); lo_o, hi_o: the bounds.
module dnn_out_range #(
  parameter int unsigned Bits = 18
) (
  input  logic [3:0]             out_bits_i,
  input  logic                   out_signed_i,
  input  logic                   clip_i,
  input  logic [15:0]            clip_lo_i,
  input  logic [15:0]            clip_hi_i,
  output logic signed [Bits-1:0] lo_o,
  output logic signed [Bits-1:0] hi_o
);
  localparam logic signed [Bits-1:0] One = 1;

  logic signed [Bits-1:0] type_min, type_max, clip_lo, clip_hi;

  always_comb begin
    // numerics.h QuantType: signed -2^(b-1) .. 2^(b-1)-1, unsigned 0 .. 2^b-1.
    if (out_signed_i) begin
      type_max = (One <<< (out_bits_i - 4'd1)) - One;
      type_min = -(One <<< (out_bits_i - 4'd1));
    end else begin
      type_max = (One <<< out_bits_i) - One;
      type_min = '0;
    end
    clip_lo = {{(Bits-16){clip_lo_i[15]}}, clip_lo_i};
    clip_hi = {{(Bits-16){clip_hi_i[15]}}, clip_hi_i};
    lo_o = type_min;
    hi_o = type_max;
    if (clip_i && clip_lo > type_min) lo_o = clip_lo;
    if (clip_i && clip_hi < type_max) hi_o = clip_hi;
  end
endmodule

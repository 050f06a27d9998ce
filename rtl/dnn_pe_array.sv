// Rows x Cols weight-stationary PE array (docs/engine.md "Why this dataflow").
//
// PE (r, c) holds one weight w[r][c] in an active register and the next pass's weight in a shadow
// register, so a new weight block can be loaded while the current pass runs and switched in
// without a bubble:
//   load_valid_i: shadow <= load_data_i (a whole weight block, w[r][c] at
//                 [(r*Cols + c)*WeightBits +: WeightBits], signed)
//   swap_i:       active <= shadow. The x presented in the same cycle as swap_i still uses the old
//                 weights; x from the next cycle on uses the new ones. A load in the same cycle as a
//                 swap writes the shadow after the swap took the old shadow.
// Each cycle one input word x (Rows signed values of XBits, x[r] at [r*XBits +: XBits]) is broadcast
// along the rows; column c outputs sum[c] = sum_r x[r] * w[r][c] (signed, SumBits, at
// [c*SumBits +: SumBits]).
//
// Pipeline: fixed latency Latency = 2 from x_valid_i to sum_valid_o, no stalls:
//   1. Rows*Cols products, registered (these are the only data multipliers of the array: the
//      synthesis cell report shows exactly Rows*Cols $mul cells, before alumacc turns them into $macc)
//   2. Cols adder trees over the Rows products, registered
// A row mask is not needed: channels beyond Cin are zero in the input words and in the weight
// blocks, and the core feeds zero for padded taps.
`include "dnn_assert.svh"

module dnn_pe_array #(
  parameter int unsigned Rows       = 4,
  parameter int unsigned Cols       = 4,
  parameter int unsigned XBits      = 9,
  parameter int unsigned WeightBits = 8,
  // Exact for any inputs: a product needs XBits + WeightBits bits, a sum of Rows of them clog2(Rows)
  // more.
  parameter int unsigned SumBits    = XBits + WeightBits + $clog2(Rows)
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             load_valid_i,
  input  logic [Rows*Cols*WeightBits-1:0]  load_data_i,
  input  logic                             swap_i,
  input  logic                             x_valid_i,
  input  logic [Rows*XBits-1:0]            x_i,
  output logic                             sum_valid_o,
  output logic [Cols*SumBits-1:0]          sum_o
);
  localparam int unsigned ProdBits = XBits + WeightBits;
  localparam int unsigned Pes      = Rows * Cols;

  logic [Pes*WeightBits-1:0] w_shadow_q, w_active_q;
  logic [Pes*ProdBits-1:0]   prod_q;
  logic                      prod_valid_q;

  // Weight registers have no reset: a pass only starts after its block was loaded and swapped in.
  always_ff @(posedge clk_i) begin
    if (load_valid_i) w_shadow_q <= load_data_i;
    if (swap_i) w_active_q <= w_shadow_q;
  end

  // ---------------------------------------------------------------- stage 1: products
  for (genvar r = 0; r < Rows; r++) begin : g_row
    for (genvar c = 0; c < Cols; c++) begin : g_col
      wire signed [XBits-1:0]      x = $signed(x_i[r*XBits +: XBits]);
      wire signed [WeightBits-1:0] w = $signed(w_active_q[(r*Cols + c)*WeightBits +: WeightBits]);
      wire signed [ProdBits-1:0]   p = x * w;  // exact: operands extended to ProdBits
      always_ff @(posedge clk_i) begin
        if (x_valid_i) prod_q[(r*Cols + c)*ProdBits +: ProdBits] <= p;
      end
    end
  end

  // ---------------------------------------------------------------- stage 2: column sums
  // Each product sign-extended to SumBits, then summed per column (a multi-operand add that
  // synthesis maps to an adder tree).
  logic [Pes*SumBits-1:0]  prod_ext;
  logic [Cols*SumBits-1:0] sum_d;
  always_comb begin
    for (int i = 0; i < Pes; i++) begin
      prod_ext[i*SumBits +: SumBits] = {{(SumBits-ProdBits){prod_q[i*ProdBits + ProdBits - 1]}},
                                        prod_q[i*ProdBits +: ProdBits]};
    end
    sum_d = '0;
    for (int c = 0; c < Cols; c++) begin
      for (int r = 0; r < Rows; r++) begin
        sum_d[c*SumBits +: SumBits] = sum_d[c*SumBits +: SumBits] + prod_ext[(r*Cols + c)*SumBits +: SumBits];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (prod_valid_q) sum_o <= sum_d;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prod_valid_q <= 1'b0;
      sum_valid_o  <= 1'b0;
    end else begin
      prod_valid_q <= x_valid_i;
      sum_valid_o  <= prod_valid_q;
    end
  end

  `DNN_ASSERT_KNOWN(PeSumValidKnown, sum_valid_o, clk_i, rst_ni)
endmodule

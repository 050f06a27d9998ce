// Rows x Cols weight-stationary PE array (docs/engine.md "Why this dataflow"), optionally folded along
// Cin for wide arrays (docs/engine.md "Cin-fold").
//
// PE (r, c) holds one weight w[r][c] in an active register and the next pass's weight in a shadow
// register, so a new weight block can be loaded while the current pass runs and switched in
// without a bubble:
//   load_valid_i: shadow <= load_data_i (a whole weight block, w[r][c] at
//                 [(r*Cols + c)*WeightBits +: WeightBits], signed)
//   swap_i:       active <= shadow. The x presented in the same cycle as swap_i still uses the old
//                 weights; x from the next cycle on uses the new ones. A load in the same cycle as a
//                 swap writes the shadow after the swap took the old shadow.
// Each cycle FoldMax input words x_i (word g at [g*Rows*XBits +: Rows*XBits], Rows signed values of
// XBits each, x[g][r] at [(g*Rows + r)*XBits +: XBits]) arrive with the fold F = fold_i; the array
// is then used as (F*Rows) x Cv, Cv = Cols / F: column c multiplies word g(c) = c / Cv, so column
// group g (columns g*Cv .. g*Cv+Cv-1) takes word g, and output lane j < Cv is the group sum
//   sum[j] = sum_{g < F} tree[g*Cv + j],  tree[c] = sum_r x[g(c)][r] * w[r][c]
// (signed, SumBits, at [j*SumBits +: SumBits]); lanes j >= Cv are 0. F = 1 is the plain array:
// sum[c] = tree[c] from word 0. F must divide Cols and be at most FoldMax (asserted).
//
// Pipeline: fixed latency Latency = 2 (FoldMax = 1) or 3 (FoldMax > 1) from x_valid_i to
// sum_valid_o, no stalls:
//   1. Rows*Cols products, registered (these are the only data multipliers of the array: the
//      synthesis cell report shows exactly Rows*Cols $mul cells, before alumacc turns them into $macc);
//      with FoldMax > 1 each column's x word comes through a FoldMax:1 mux on F
//   2. Cols adder trees over the Rows products, registered
//   3. (FoldMax > 1 only) the group sums: lane j adds up to FoldMax-1 more trees, registered
// A row mask is not needed: channels beyond Cin are zero in the input words and in the weight
// blocks, and the core feeds zero for padded taps.
//
// Depthwise (DwFeed, docs/engine.md "Depthwise"): with dw_i (and fold_i = 1) PE (r, c) multiplies its
// own value xdw_i[(r*Cols + c)*XBits +: XBits] (the feed's tap r, channel c) instead of its column's
// word: a 2:1 mux per PE, generated only with DwFeed.
`include "dnn_assert.svh"

module dnn_pe_array #(
  parameter int unsigned Rows       = 4,
  parameter int unsigned Cols       = 4,
  parameter int unsigned XBits      = 9,
  parameter int unsigned WeightBits = 8,
  parameter int unsigned FoldMax    = 1,
  parameter bit          DwFeed     = 1'b0,  // a per-PE x input for the depthwise feed
  // Exact for any inputs: a product needs XBits + WeightBits bits, a sum of Rows*FoldMax of them
  // clog2(Rows*FoldMax) more.
  parameter int unsigned SumBits    = XBits + WeightBits + $clog2(Rows * FoldMax),
  localparam int unsigned FoldBits  = $clog2(FoldMax + 1),
  localparam int unsigned DwXBits   = DwFeed ? Rows * Cols * XBits : 1
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             load_valid_i,
  input  logic [Rows*Cols*WeightBits-1:0]  load_data_i,
  input  logic                             swap_i,
  input  logic                             x_valid_i,
  input  logic [FoldMax*Rows*XBits-1:0]    x_i,
  input  logic [FoldBits-1:0]              fold_i,
  input  logic                             dw_i,
  input  logic [DwXBits-1:0]               xdw_i,  // a 1-bit stub without DwFeed
  output logic                             sum_valid_o,
  output logic [Cols*SumBits-1:0]          sum_o
);
  localparam int unsigned ProdBits = XBits + WeightBits;
  localparam int unsigned Pes      = Rows * Cols;
  localparam int unsigned WordBits = Rows * XBits;

  // Column c's group at fold f (0 where f is not a legal fold; never selected then).
  function automatic int unsigned group_of(int unsigned c, int unsigned f);
    group_of = (f >= 1 && Cols % f == 0) ? c / (Cols / f) : 0;
  endfunction

  logic [Pes*WeightBits-1:0] w_shadow_q, w_active_q;
  logic [Pes*ProdBits-1:0]   prod_q;
  logic                      prod_valid_q;
  logic [Cols*SumBits-1:0]   tree_q;
  logic                      tree_valid_q;

  // Weight registers have no reset: a pass only starts after its block was loaded and swapped in.
  always_ff @(posedge clk_i) begin
    if (load_valid_i) w_shadow_q <= load_data_i;
    if (swap_i) w_active_q <= w_shadow_q;
  end

  // ---------------------------------------------------------------- stage 1: products
  for (genvar c = 0; c < Cols; c++) begin : g_col
    logic [WordBits-1:0] xc;  // the word column c multiplies
    if (FoldMax == 1) begin : g_plain
      assign xc = x_i;
    end else begin : g_fold
      always_comb begin
        xc = x_i[0 +: WordBits];
        for (int unsigned f = 2; f <= FoldMax; f++) begin
          if (Cols % f == 0 && 32'(fold_i) == f) xc = x_i[group_of(c, f)*WordBits +: WordBits];
        end
      end
    end
    for (genvar r = 0; r < Rows; r++) begin : g_row
      logic signed [XBits-1:0]     x;
      if (DwFeed) begin : g_dw
        assign x = dw_i ? $signed(xdw_i[(r*Cols + c)*XBits +: XBits]) : $signed(xc[r*XBits +: XBits]);
      end else begin : g_plain_x
        assign x = $signed(xc[r*XBits +: XBits]);
      end
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
  logic [Cols*SumBits-1:0] tree_d;
  always_comb begin
    for (int i = 0; i < Pes; i++) begin
      prod_ext[i*SumBits +: SumBits] = {{(SumBits-ProdBits){prod_q[i*ProdBits + ProdBits - 1]}},
                                        prod_q[i*ProdBits +: ProdBits]};
    end
    tree_d = '0;
    for (int c = 0; c < Cols; c++) begin
      for (int r = 0; r < Rows; r++) begin
        tree_d[c*SumBits +: SumBits] = tree_d[c*SumBits +: SumBits] + prod_ext[(r*Cols + c)*SumBits +: SumBits];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (prod_valid_q) tree_q <= tree_d;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prod_valid_q <= 1'b0;
      tree_valid_q <= 1'b0;
    end else begin
      prod_valid_q <= x_valid_i;
      tree_valid_q <= prod_valid_q;
    end
  end

  // ---------------------------------------------------------------- stage 3: group sums
  if (FoldMax == 1) begin : g_no_fold
    assign sum_o       = tree_q;
    assign sum_valid_o = tree_valid_q;
    logic unused_fold;
    assign unused_fold = ^fold_i;
  end else begin : g_group_sum
    // The fold travels with its x to the stage that needs it.
    logic [FoldBits-1:0]     fold_prod_q, fold_tree_q;
    logic [Cols*SumBits-1:0] group_d;
    logic                    group_valid_q;
    always_ff @(posedge clk_i) begin
      if (x_valid_i) fold_prod_q <= fold_i;
      if (prod_valid_q) fold_tree_q <= fold_prod_q;
      if (tree_valid_q) sum_o <= group_d;
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) group_valid_q <= 1'b0;
      else group_valid_q <= tree_valid_q;
    end
    // Lane j: tree[j] plus, for g = 1 .. F-1, tree[g*Cv + j] (muxed on F); 0 beyond Cv.
    always_comb begin
      group_d = tree_q;
      for (int unsigned f = 2; f <= FoldMax; f++) begin
        if (Cols % f == 0 && 32'(fold_tree_q) == f) begin
          for (int unsigned j = 0; j < Cols; j++) begin
            if (j >= Cols / f) group_d[j*SumBits +: SumBits] = '0;
            for (int unsigned g = 1; g < f; g++) begin
              if (j < Cols / f) begin
                group_d[j*SumBits +: SumBits] = group_d[j*SumBits +: SumBits] +
                                                tree_q[(g*(Cols/f) + j)*SumBits +: SumBits];
              end
            end
          end
        end
      end
    end
    assign sum_valid_o = group_valid_q;

    `DNN_ASSERT(PeFoldLegal, !x_valid_i || (fold_i >= FoldBits'(1) && 32'(fold_i) <= FoldMax &&
                                            Cols % 32'(fold_i) == 0), clk_i, rst_ni)
  end

  if (!DwFeed) begin : g_no_dw
    logic unused_dw;
    assign unused_dw = ^{dw_i, xdw_i};
  end

  `DNN_ASSERT_KNOWN(PeSumValidKnown, sum_valid_o, clk_i, rst_ni)
endmodule

// The input buffer as FoldMax banks interleaved by word address (word a in bank a mod FoldMax, row
// a / FoldMax), so any FoldMax consecutive words sit in distinct banks: one cycle reads them all
// (the core's Cin-fold reads F <= FoldMax consecutive words of a pixel) and one cycle writes up to
// FoldMax of them (the loader's multi-word writes). docs/engine.md "Cin-fold".
//
// Write: word i of wr_data_i ([i*Width +: Width]) goes to address wr_addr_i + i where wr_en_i[i].
// Read: rd_en_i reads words rd_addr_i .. rd_addr_i + FoldMax-1; word i is at [i*Width +: Width]
// of rd_data_o the cycle after rd_en_i, held until the next read (as dnn_ram_1r1w). A read and a
// write of the same word in one cycle read the old value.
// Addresses past the last bank row wrap to row 0; only words below Depth carry meaning (a read near
// the end returns other words in the lanes the reader ignores).
// FoldMax = 1 is exactly dnn_ram_1r1w (Width, Depth). FoldMax is a power of two, so the bank of a
// word is its address's low bits; the folds the core uses (2, 3, 4 at FoldMax 4) are any F <= FoldMax.
module dnn_input_banks #(
  parameter int unsigned Width   = 8,
  parameter int unsigned Depth   = 16,
  parameter int unsigned FoldMax = 1,
  localparam int unsigned AddrBits = Depth > 1 ? $clog2(Depth) : 1
) (
  input  logic                     clk_i,
  input  logic [FoldMax-1:0]       wr_en_i,
  input  logic [AddrBits-1:0]      wr_addr_i,
  input  logic [FoldMax*Width-1:0] wr_data_i,
  input  logic                     rd_en_i,
  input  logic [AddrBits-1:0]      rd_addr_i,
  output logic [FoldMax*Width-1:0] rd_data_o
);
  if (FoldMax == 1) begin : g_one
    dnn_ram_1r1w #(.Width(Width), .Depth(Depth)) u_ram (
      .clk_i,
      .wr_en_i, .wr_addr_i, .wr_data_i,
      .rd_en_i, .rd_addr_i, .rd_data_o
    );
  end else begin : g_banks
    localparam int unsigned BankBits  = $clog2(FoldMax);
    localparam int unsigned BankDepth = (Depth + FoldMax - 1) / FoldMax;
    localparam int unsigned RowBits   = BankDepth > 1 ? $clog2(BankDepth) : 1;
    // Addresses a + i with a < Depth, i < FoldMax: one bit more than AddrBits, and below twice the
    // banks' words, so one subtraction wraps them.
    localparam int unsigned SumBits   = AddrBits + 1;
    localparam logic [SumBits-1:0] Words = SumBits'(BankDepth * FoldMax);

    if ((1 << BankBits) != FoldMax || Depth < FoldMax) begin : g_check
      $error("dnn_input_banks: FoldMax must be a power of two, Depth at least FoldMax");
    end

    // The bank row of word a + i, for bank b that holds it (i = (b - a) mod FoldMax).
    function automatic logic [RowBits-1:0] row_of(logic [AddrBits-1:0] a, logic [BankBits-1:0] b);
      logic [BankBits-1:0] i;
      logic [SumBits-1:0]  s;
      i = b - a[BankBits-1:0];
      s = SumBits'(a) + SumBits'(i);
      if (s >= Words) s = s - Words;
      row_of = RowBits'(s >> BankBits);
    endfunction

    logic [BankBits-1:0] rd_rot_q;  // bank of the first word read
    logic [FoldMax*Width-1:0] bank_rd;
    always_ff @(posedge clk_i) begin
      if (rd_en_i) rd_rot_q <= rd_addr_i[BankBits-1:0];
    end

    for (genvar b = 0; b < FoldMax; b++) begin : g_bank
      // Bank b takes write word (b - wr_addr) mod FoldMax.
      logic [BankBits-1:0] wi;
      assign wi = BankBits'(b) - wr_addr_i[BankBits-1:0];
      dnn_ram_1r1w #(.Width(Width), .Depth(BankDepth)) u_ram (
        .clk_i,
        .wr_en_i(wr_en_i[wi]), .wr_addr_i(row_of(wr_addr_i, BankBits'(b))), .wr_data_i(wr_data_i[wi*Width +: Width]),
        .rd_en_i, .rd_addr_i(row_of(rd_addr_i, BankBits'(b))), .rd_data_o(bank_rd[b*Width +: Width])
      );
    end

    // Rotate: word i of the read comes from bank (first + i) mod FoldMax.
    always_comb begin
      for (int unsigned i = 0; i < FoldMax; i++) begin
        rd_data_o[i*Width +: Width] = bank_rd[BankBits'(rd_rot_q + BankBits'(i))*Width +: Width];
      end
    end
  end
endmodule

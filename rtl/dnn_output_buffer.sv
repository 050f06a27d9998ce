// Output buffer: the output RAM (two halves, ping-pong between the core and the drain) and the drain,
// which reads one tile's words in order and packs their values into m_axis_y (docs/engine.md).
//
// Drain pipeline, one word per cycle:
//   read     address counter (half base + 1 per word; word p*Blocks + cb is simply the next one) and a
//            channel countdown that yields each word's value count min(V, Cout - cb*V), so no
//            multiply or divide is needed (V = cmd_word_values_i: Cols/F for a convolution at Cin-fold F,
//            Rows for a pool, whose words hold Rows channels);
//   word     the RAM's registered output (s1): the word's values are truncated/extended to the storage
//            width and compacted (4 bits: value c at nibble c; 8 bits: at byte c), values past the count
//            cleared;
//   pack     the compacted word is ORed into a residue register at its nibble fill level; whenever a
//            full beat (or the tile's tail) is present it is pushed into a 2-beat output FIFO.
// Nibble start: at storage width 4 a tile may start in the high nibble of a byte (the tiles before
// it hold an odd number of values). DMAs move whole bytes, so such a tile (cmd_skip_i) is sent from
// that byte on: its low nibble repeats the previous tile's last value, which the drain keeps, and
// the S2MM rewrites the byte whole.
// A word is taken whenever the merged data fits, and a beat leaves every cycle it is available, so the
// packer sustains one beat per cycle when the words carry enough data (and one word per cycle when
// they carry less than a beat). The FIFO drives m_axis_y from registers: TVALID never depends on TREADY
// and the payload holds while stalled; only the FIFO's registered count gates the packer.
`include "dnn_assert.svh"

module dnn_output_buffer #(
  parameter int unsigned Cols = 16,
  parameter int unsigned ActBits = 8,
  parameter int unsigned StreamBits = 64,
  parameter int unsigned OutDepth = 2048,
  localparam int unsigned AddrBits = $clog2(OutDepth)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // Output-buffer write port (from the core).
  input  logic                    wr_en_i,
  input  logic [AddrBits-1:0]     wr_addr_i,
  input  logic [Cols*ActBits-1:0] wr_data_i,
  // Drain command: one tile.
  input  logic                    cmd_valid_i,
  output logic                    cmd_ready_o,
  input  logic                    cmd_half_i,
  input  logic [15:0]             cmd_pixels_i,
  input  logic [15:0]             cmd_channels_i,
  input  logic [15:0]             cmd_word_values_i, // values per word V: 1..Cols
  input  logic [3:0]              cmd_bits_i,
  input  logic                    cmd_signed_i,
  input  logic                    cmd_skip_i,       // storage width 4: start at the high nibble
  // Output stream.
  output logic [StreamBits-1:0]   m_axis_tdata_o,
  output logic [StreamBits/8-1:0] m_axis_tkeep_o,
  output logic                    m_axis_tvalid_o,
  input  logic                    m_axis_tready_i,
  output logic                    m_axis_tlast_o,
  output logic                    done_o
);
  localparam int unsigned WordBits = Cols * ActBits;
  localparam int unsigned KeepBits = StreamBits / 8;
  // A compacted word: at most Cols values of at most 8 bits.
  localparam int unsigned PackBits = 8 * Cols;
  localparam int unsigned BeatNib  = StreamBits / 4;
  // The residue holds what is left after a beat leaves: less than a beat, or up to a word's worth.
  localparam int unsigned ResBits  = StreamBits > PackBits ? StreamBits : PackBits;
  localparam int unsigned MrgBits  = ResBits + StreamBits;
  localparam int unsigned CapNib   = MrgBits / 4;
  localparam int unsigned FillBits = $clog2(CapNib + 1);
  localparam int unsigned SumBits  = FillBits + 1;
  localparam int unsigned NBits    = $clog2(Cols + 1);
  localparam int unsigned KBits    = NBits + 1;
  localparam int unsigned FifoBits = StreamBits + KeepBits + 1;

  localparam logic [AddrBits-1:0]   HalfBase = AddrBits'(OutDepth / 2);
  localparam logic [FillBits-1:0]   BeatFill = FillBits'(BeatNib);
  localparam logic [FillBits:0]     CapSum   = SumBits'(CapNib);

  // ------------------------------------------------------------------ output RAM
  logic                rd_en;
  logic [AddrBits-1:0] rd_addr_q;
  logic [WordBits-1:0] rd_data;

  dnn_ram_1r1w #(.Width(WordBits), .Depth(OutDepth)) u_ram (
    .clk_i,
    .wr_en_i,
    .wr_addr_i,
    .wr_data_i,
    .rd_en_i  (rd_en),
    .rd_addr_i(rd_addr_q),
    .rd_data_o(rd_data)
  );

  // ------------------------------------------------------------------ command and read sequencing
  logic        busy_q, done_q, mode4_q, signed_q;
  logic        rd_pend_q;          // words of the tile still to be read
  logic [15:0] chan_q;             // Cout of the tile
  logic [15:0] vals_q;             // values per word
  logic [15:0] rem_q;              // channels left in the current pixel, from the current block on
  logic [15:0] pix_q;              // pixels left to read, the current one included
  logic        s1_valid_q;         // the RAM output holds a word not yet packed
  logic [NBits-1:0] s1_n_q;        // its value count
  logic        s1_last_q;          // it is the tile's last word
  logic        take;               // the packer consumes the s1 word this cycle

  wire cmd_fire  = cmd_valid_i && cmd_ready_o;
  wire cmd_empty = cmd_pixels_i == '0 || cmd_channels_i == '0;
  wire last_blk  = rem_q <= vals_q;
  wire rd_last   = last_blk && pix_q == 16'd1;
  // The RAM output register is the s1 stage: read only when it is free or being emptied, so an
  // unconsumed word simply stays on rd_data (the RAM holds it while rd_en is low).
  assign rd_en = rd_pend_q && (!s1_valid_q || take);

  logic beat_done;                 // the tile's last beat is accepted downstream
  assign cmd_ready_o = !busy_q;
  assign done_o      = done_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q     <= 1'b0;
      done_q     <= 1'b0;
      mode4_q    <= 1'b0;
      signed_q   <= 1'b0;
      rd_pend_q  <= 1'b0;
      rd_addr_q  <= '0;
      chan_q     <= '0;
      vals_q     <= '0;
      rem_q      <= '0;
      pix_q      <= '0;
      s1_valid_q <= 1'b0;
      s1_n_q     <= '0;
      s1_last_q  <= 1'b0;
    end else begin
      // A degenerate (empty) tile has no beats: it completes at once.
      done_q <= beat_done || (cmd_fire && cmd_empty);
      if (cmd_fire) begin
        busy_q    <= !cmd_empty;
        rd_pend_q <= !cmd_empty;
        mode4_q   <= cmd_bits_i <= 4'd4;
        signed_q  <= cmd_signed_i;
        rd_addr_q <= cmd_half_i ? HalfBase : '0;
        chan_q    <= cmd_channels_i;
        vals_q    <= cmd_word_values_i;
        rem_q     <= cmd_channels_i;
        pix_q     <= cmd_pixels_i;
      end else if (beat_done) begin
        busy_q <= 1'b0;
      end
      if (rd_en) begin
        rd_addr_q <= rd_addr_q + 1'b1;
        s1_n_q    <= last_blk ? rem_q[NBits-1:0] : vals_q[NBits-1:0];
        s1_last_q <= rd_last;
        if (last_blk) begin
          rem_q <= chan_q;
          pix_q <= pix_q - 1'b1;
        end else begin
          rem_q <= rem_q - vals_q;
        end
        if (rd_last) rd_pend_q <= 1'b0;
      end
      if (rd_en) s1_valid_q <= 1'b1;
      else if (take) s1_valid_q <= 1'b0;
    end
  end

  // ------------------------------------------------------------------ word stage: compaction
  // Each value is brought to the storage width: truncated when ActBits is wider (two's complement
  // stays correct), extended when narrower: sign-extended if the layer's output is signed,
  // zero-extended if unsigned (an unsigned value may use all ActBits bits, e.g. 0..63 at ActBits 6,
  // so its top bit is not a sign).
  logic [PackBits-1:0] pack4, pack8, word;
  for (genvar c = 0; c < Cols; c++) begin : g_val
    localparam logic [NBits-1:0] Idx = NBits'(c);
    wire              en  = Idx < s1_n_q;
    localparam int unsigned Top = c * ActBits + ActBits - 1;  // the value's top bit
    logic [7:0] v8;
    logic [3:0] v4;
    if (ActBits >= 8) begin : g_wide
      assign v8 = rd_data[c*ActBits +: 8];
      assign v4 = rd_data[c*ActBits +: 4];
    end else begin : g_narrow
      wire ext = signed_q && rd_data[Top];
      assign v8 = {{(8 - ActBits){ext}}, rd_data[c*ActBits +: ActBits]};
      if (ActBits >= 4) begin : g_trunc4
        assign v4 = rd_data[c*ActBits +: 4];
      end else begin : g_ext4
        assign v4 = {{(4 - ActBits){ext}}, rd_data[c*ActBits +: ActBits]};
      end
    end
    assign pack8[c*8 +: 8] = en ? v8 : 8'd0;
    assign pack4[c*4 +: 4] = en ? v4 : 4'd0;
  end
  assign pack4[PackBits-1:4*Cols] = '0;
  assign word = mode4_q ? pack4 : pack8;

  // Bits of wide values above the storage width are dropped on purpose, and values as wide as a
  // byte need no extension, so their signedness is not needed either.
  logic unused_rd_data;
  assign unused_rd_data = ^rd_data;
  if (ActBits >= 8) begin : g_unused_signed
    logic unused_signed;
    assign unused_signed = signed_q;
  end

  // Nibbles the word contributes.
  logic [KBits-1:0]    k;
  logic [FillBits:0]   k_sum;
  assign k = mode4_q ? {1'b0, s1_n_q} : {s1_n_q, 1'b0};
  always_comb begin
    k_sum = '0;
    k_sum[KBits-1:0] = k;
  end

  // ------------------------------------------------------------------ pack stage
  logic [ResBits-1:0]  res_q;      // packed data not yet sent; bits at and above fill_q are zero
  logic [FillBits-1:0] fill_q;     // nibbles in res_q
  logic                tail_q;     // the tile's last word is already in res_q
  logic [3:0]          last_nib_q; // the last nibble sent (the last value of a 4-bit tile)
  logic [3:0]          end_nib;    // the last nibble of the beat being pushed

  logic [MrgBits-1:0]  word_m, res_m, shifted, merged;
  logic [FillBits:0]   sum;
  logic [FillBits-1:0] m_fill;
  logic                can_take, m_tail, want_emit, step, m_last;
  logic [KeepBits-1:0] m_keep;
  logic                fifo_ready;

  assign word_m  = {{(MrgBits - PackBits){1'b0}}, word};
  assign res_m   = {{(MrgBits - ResBits){1'b0}}, res_q};
  assign shifted = word_m << {fill_q, 2'b00};
  assign sum     = {1'b0, fill_q} + k_sum;

  assign can_take  = s1_valid_q && sum <= CapSum;
  assign merged    = can_take ? (res_m | shifted) : res_m;
  // sum <= CapNib when can_take, so it fits in FillBits.
  assign m_fill    = can_take ? sum[FillBits-1:0] : fill_q;
  assign m_tail    = tail_q || (can_take && s1_last_q);
  assign want_emit = m_fill >= BeatFill || (m_tail && m_fill != '0);
  assign m_last    = m_tail && m_fill <= BeatFill;
  // The state advances unless a beat must leave and the FIFO is full.
  assign step      = !want_emit || fifo_ready;
  assign take      = can_take && step;

  // Byte i is kept when its low nibble holds data (a final half-used byte counts).
  for (genvar i = 0; i < KeepBits; i++) begin : g_keep
    localparam logic [FillBits-1:0] Nib = FillBits'(2 * i);
    assign m_keep[i] = m_fill > Nib;
  end

  logic unused_sum;
  assign unused_sum = sum[FillBits];

  always_comb begin
    end_nib = '0;
    for (int i = 0; i < BeatNib; i++)
      if (m_fill == FillBits'(i + 1)) end_nib = merged[i*4 +: 4];
  end

  // A tile starting mid-byte begins with the kept nibble in the residue (the packer is empty
  // between tiles, and no word reaches it before the command's first read).
  wire start_mid_byte = cmd_fire && !cmd_empty && cmd_skip_i && cmd_bits_i <= 4'd4;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      res_q      <= '0;
      fill_q     <= '0;
      tail_q     <= 1'b0;
      last_nib_q <= '0;
    end else if (start_mid_byte) begin
      res_q  <= ResBits'(last_nib_q);
      fill_q <= FillBits'(1);
    end else if (step) begin
      if (want_emit) begin
        res_q  <= merged[MrgBits-1:StreamBits];
        fill_q <= m_last ? '0 : m_fill - BeatFill;
        tail_q <= m_tail && !m_last;
        if (m_last) last_nib_q <= end_nib;
      end else begin
        res_q  <= merged[ResBits-1:0];
        fill_q <= m_fill;
        tail_q <= m_tail;
      end
    end
  end

  // ------------------------------------------------------------------ output FIFO
  logic [FifoBits-1:0] fifo_out;
  logic [1:0]          unused_count;

  dnn_fifo #(.Width(FifoBits), .Depth(2)) u_out_fifo (
    .clk_i,
    .rst_ni,
    .in_data_i  ({m_last, m_keep, merged[StreamBits-1:0]}),
    .in_valid_i (want_emit),
    .in_ready_o (fifo_ready),
    .out_data_o (fifo_out),
    .out_valid_o(m_axis_tvalid_o),
    .out_ready_i(m_axis_tready_i),
    .count_o    (unused_count)
  );

  assign m_axis_tdata_o = fifo_out[StreamBits-1:0];
  assign m_axis_tkeep_o = fifo_out[StreamBits +: KeepBits];
  assign m_axis_tlast_o = fifo_out[FifoBits-1];
  assign beat_done      = m_axis_tvalid_o && m_axis_tready_i && m_axis_tlast_o;

  `DNN_ASSERT_STREAM_STABLE(OutDataStable, m_axis_tvalid_o, m_axis_tready_i, m_axis_tdata_o, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(OutKeepStable, m_axis_tvalid_o, m_axis_tready_i, m_axis_tkeep_o, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(OutLastStable, m_axis_tvalid_o, m_axis_tready_i, m_axis_tlast_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(OutValidKnown, m_axis_tvalid_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(DoneKnown, done_o, clk_i, rst_ni)
  // The residue never holds more than it was sized for.
  `DNN_ASSERT(ResidueBound, 32'(fill_q) <= ResBits / 4, clk_i, rst_ni)
  `DNN_ASSERT(WordValuesRange, !cmd_fire || (cmd_word_values_i != '0 && 32'(cmd_word_values_i) <= Cols),
              clk_i, rst_ni)
  // Beats of a tile only leave while it is being drained.
  `DNN_ASSERT(BeatsOnlyWhenBusy, !m_axis_tvalid_o || busy_q, clk_i, rst_ni)
endmodule

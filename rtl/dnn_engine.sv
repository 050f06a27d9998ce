// The DNN engine (docs/engine.md): AXI4-Lite registers, four AXI-Stream ports, and the scheduling
// of the loader, core and drain over a queue of tile descriptors so consecutive tiles overlap:
// the loader fills one input half while the core computes from the other, and the drain empties
// one output half while the core fills the other. A tile's band may instead fill the whole input
// buffer, or reuse its predecessor's (BAND, docs/engine.md "Bands").
`include "dnn_assert.svh"

module dnn_engine #(
  parameter int unsigned Rows              = 8,
  parameter int unsigned Cols              = 16,
  parameter int unsigned ActBits           = 8,
  parameter int unsigned WeightBits        = 8,
  parameter int unsigned AccBits           = 32,
  parameter int unsigned StreamBits        = 64,
  parameter int unsigned InputBufferBytes  = 131072,
  parameter int unsigned WeightBufferBytes = 16384,
  parameter int unsigned OutputBufferBytes = 65536,
  parameter int unsigned AccDepth          = 256,
  // Input-buffer words the loader writes and the banks read per cycle, and the largest Cin-fold F of
  // the core (docs/engine.md "Cin-fold").
  parameter int unsigned FoldMax           = 1,
  // Pixels of each line buffer of the depthwise feed (MODE.OP 3, docs/engine.md "Depthwise"); 0 builds
  // no feed and the registers refuse OP 3.
  parameter int unsigned DwLinePixels      = 0,
  localparam int unsigned XBits    = ActBits + 1,
  localparam int unsigned InDepth  = InputBufferBytes / Rows,
  localparam int unsigned OutDepth = OutputBufferBytes / Cols,
  localparam int unsigned MacsBits = $clog2(Rows * Cols + 1)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // AXI4-Lite registers
  input  logic [dnn_regs_pkg::AddrBits-1:0] axil_awaddr_i,
  input  logic                    axil_awvalid_i,
  output logic                    axil_awready_o,
  input  logic [31:0]             axil_wdata_i,
  input  logic [3:0]              axil_wstrb_i,
  input  logic                    axil_wvalid_i,
  output logic                    axil_wready_o,
  output logic [1:0]              axil_bresp_o,
  output logic                    axil_bvalid_o,
  input  logic                    axil_bready_i,
  input  logic [dnn_regs_pkg::AddrBits-1:0] axil_araddr_i,
  input  logic                    axil_arvalid_i,
  output logic                    axil_arready_o,
  output logic [31:0]             axil_rdata_o,
  output logic [1:0]              axil_rresp_o,
  output logic                    axil_rvalid_o,
  input  logic                    axil_rready_i,
  // Input bands
  input  logic [StreamBits-1:0]   s_axis_x_tdata_i,
  input  logic                    s_axis_x_tvalid_i,
  output logic                    s_axis_x_tready_o,
  input  logic                    s_axis_x_tlast_i,
  // Weight blobs
  input  logic [StreamBits-1:0]   s_axis_w_tdata_i,
  input  logic                    s_axis_w_tvalid_i,
  output logic                    s_axis_w_tready_o,
  input  logic                    s_axis_w_tlast_i,
  // Residual operand b of a fused add (ELT.ENABLE): one packet per fused tile, its output's byte span
  input  logic [StreamBits-1:0]   s_axis_r_tdata_i,
  input  logic                    s_axis_r_tvalid_i,
  output logic                    s_axis_r_tready_o,
  input  logic                    s_axis_r_tlast_i,
  // Outputs
  output logic [StreamBits-1:0]   m_axis_y_tdata_o,
  output logic [StreamBits/8-1:0] m_axis_y_tkeep_o,
  output logic                    m_axis_y_tvalid_o,
  input  logic                    m_axis_y_tready_i,
  output logic                    m_axis_y_tlast_o,
  // Level: work queued or in flight
  output logic                    busy_o,
  // Level: a tile completed and the interrupt is enabled (IRQ register)
  output logic                    irq_o
);
  localparam int unsigned QueueDepth = 4;
  localparam int unsigned DescBits = dnn_regs_pkg::DescriptorWords * 32;
  localparam int unsigned QueuedBits = dnn_regs_pkg::StatusQueuedWidth;
  localparam int unsigned InAddrBits = $clog2(InDepth);
  localparam int unsigned FifoBeats = WeightBufferBytes * 8 / StreamBits;

  // ---------------------------------------------------------------- registers
  logic [DescBits-1:0] staged_desc;
  logic                push;
  logic                queue_full, busy;
  logic [QueuedBits-1:0] queue_count;
  logic                tile_done, err_input_len, err_weight_len, err_residual_len;
  logic                core_issue_strobe, core_stall_weight;
  logic [MacsBits-1:0] core_macs;
  logic                stall_input, stall_output;

  dnn_regs #(
    .Rows(Rows), .Cols(Cols), .ActBits(ActBits), .WeightBits(WeightBits), .AccBits(AccBits),
    .StreamBits(StreamBits), .AccDepth(AccDepth), .InDepth(InDepth), .QueueDepth(QueueDepth),
    .FoldMax(FoldMax), .DwLinePixels(DwLinePixels)
  ) u_regs (
    .clk_i, .rst_ni,
    .axil_awaddr_i, .axil_awvalid_i, .axil_awready_o, .axil_wdata_i, .axil_wstrb_i, .axil_wvalid_i,
    .axil_wready_o, .axil_bresp_o, .axil_bvalid_o, .axil_bready_i, .axil_araddr_i, .axil_arvalid_i,
    .axil_arready_o, .axil_rdata_o, .axil_rresp_o, .axil_rvalid_o, .axil_rready_i,
    .desc_o(staged_desc), .push_o(push), .irq_o, .queue_full_i(queue_full), .queue_count_i(queue_count),
    .busy_i(busy), .tile_done_i(tile_done), .err_input_len_i(err_input_len),
    .err_weight_len_i(err_weight_len), .err_residual_len_i(err_residual_len), .issue_i(core_issue_strobe), .macs_i(core_macs),
    .stall_input_i(stall_input), .stall_weight_i(core_stall_weight), .stall_output_i(stall_output)
  );

  // ---------------------------------------------------------------- descriptor queue
  // Pointers count tiles modulo 8; the queue index is the low two bits. An entry is freed when
  // its outputs have been drained.
  logic [DescBits-1:0] queue_q [QueueDepth];
  logic [2:0] wr_ptr_q, load_issue_q, load_done_q, weight_issue_q, core_issue_q, core_done_q,
              drain_issue_q, drain_done_q;

  wire [2:0] in_flight = wr_ptr_q - drain_done_q;
  assign queue_count = {{(QueuedBits - 3){1'b0}}, in_flight};
  assign queue_full  = in_flight == 3'(QueueDepth);
  assign busy        = wr_ptr_q != drain_done_q;
  assign busy_o      = busy;

  always_ff @(posedge clk_i) begin
    if (push) queue_q[wr_ptr_q[1:0]] <= staged_desc;
  end

  // Bit offsets of the descriptor registers (word i of the descriptor block) inside a queue entry.
  localparam int unsigned FInW = dnn_regs_pkg::InWIndex * 32, FInH = dnn_regs_pkg::InHIndex * 32,
                          FInC = dnn_regs_pkg::InCIndex * 32, FBandY0 = dnn_regs_pkg::BandY0Index * 32,
                          FBandPixels = dnn_regs_pkg::BandPixelsIndex * 32,
                          FWindow = dnn_regs_pkg::WindowIndex * 32, FPad = dnn_regs_pkg::PadIndex * 32,
                          FOutW = dnn_regs_pkg::OutWIndex * 32, FOutC = dnn_regs_pkg::OutCIndex * 32,
                          FTileP0 = dnn_regs_pkg::TileP0Index * 32, FTileP = dnn_regs_pkg::TilePIndex * 32,
                          FQuant = dnn_regs_pkg::QuantIndex * 32, FInZp = dnn_regs_pkg::InZpIndex * 32,
                          FOutZp = dnn_regs_pkg::OutZpIndex * 32, FBlocks = dnn_regs_pkg::BlocksIndex * 32,
                          FPasses = dnn_regs_pkg::PassesIndex * 32, FElt = dnn_regs_pkg::EltIndex * 32,
                          FEltZ = dnn_regs_pkg::EltZIndex * 32, FEltMa = dnn_regs_pkg::EltMaIndex * 32,
                          FEltMb = dnn_regs_pkg::EltMbIndex * 32, FEltShift = dnn_regs_pkg::EltShiftIndex * 32;
  // QUANT's fields inside a queue entry.
  localparam int unsigned FInSigned = FQuant + dnn_regs_pkg::QuantInSignedLsb,
                          FOutSigned = FQuant + dnn_regs_pkg::QuantOutSignedLsb,
                          FActivation = FQuant + dnn_regs_pkg::QuantActivationLsb,
                          FLeakyShift = FQuant + dnn_regs_pkg::QuantLeakyShiftLsb,
                          FInBits = FQuant + dnn_regs_pkg::QuantInBitsLsb,
                          FOutBits = FQuant + dnn_regs_pkg::QuantOutBitsLsb,
                          FWeightBits = FQuant + dnn_regs_pkg::QuantWeightBitsLsb,
                          FRoundEven = FQuant + dnn_regs_pkg::QuantRoundEvenLsb;

  wire [DescBits-1:0] load_desc = queue_q[load_issue_q[1:0]];
  wire [DescBits-1:0] weight_desc = queue_q[weight_issue_q[1:0]];
  wire [DescBits-1:0] core_desc = queue_q[core_issue_q[1:0]];
  wire [DescBits-1:0] drain_desc = queue_q[drain_issue_q[1:0]];

  // ---------------------------------------------------------------- input storage
  // Each tile's band lives in input half 0 or 1, or in the whole buffer (BAND.WHOLE); a REUSE tile
  // loads nothing and reads its predecessor's storage. in_use_q records a queued tile's storage (bit h:
  // half h) from its load on, and a band loads only into storage that no loaded, not yet computed tile
  // holds. Half-size bands alternate halves; with BAND = 0 that is the tile parity, so tile t loads
  // into half t mod 2 once tile t-2 has computed, as before BAND existed.
  localparam int unsigned FBand = dnn_regs_pkg::BandIndex * 32;
  logic [1:0] in_use_q [QueueDepth];
  logic [1:0] last_use_q;  // storage of the last band loaded: a REUSE tile's, and the loader's now
  logic       next_half_q;  // the half the next half-size band loads into
  wire load_pending = load_issue_q != wr_ptr_q;
  wire load_reuse = load_desc[FBand + dnn_regs_pkg::BandReuseLsb];
  wire [1:0] load_use = load_desc[FBand + dnn_regs_pkg::BandWholeLsb] ? 2'b11 : next_half_q ? 2'b10 : 2'b01;
  wire [2:0] load_ahead = load_issue_q - core_done_q;
  wire [2:0] band_ahead = load_done_q - core_done_q;
  // Storage of the tiles loaded or reused and not yet computed (held), and of those whose band is
  // complete (band_held: what no write of the loader may touch).
  logic [1:0] held, band_held;
  logic [2:0] held_ptr;
  always_comb begin
    held      = '0;
    band_held = '0;
    held_ptr  = core_done_q;
    for (int unsigned i = 0; i < QueueDepth; i++) begin
      if (3'(i) < load_ahead) held = held | in_use_q[held_ptr[1:0]];
      if (3'(i) < band_ahead) band_held = band_held | in_use_q[held_ptr[1:0]];
      held_ptr = held_ptr + 3'd1;
    end
  end
  logic load_cmd_ready, load_done;
  wire load_cmd_valid = load_pending && !load_reuse && (held & load_use) == 2'b00;
  // A REUSE tile passes the loader once every earlier band is complete: its predecessor's is then in.
  wire load_reuse_step = load_pending && load_reuse && load_done_q == load_issue_q;
  wire load_step = (load_cmd_valid && load_cmd_ready) || load_reuse_step;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < QueueDepth; i++) in_use_q[i] <= '0;
      last_use_q  <= '0;
      next_half_q <= 1'b0;
    end else if (load_step) begin
      in_use_q[load_issue_q[1:0]] <= load_reuse ? last_use_q : load_use;
      if (!load_reuse) last_use_q <= load_use;
      if (!load_reuse && load_use != 2'b11) next_half_q <= !next_half_q;
    end
  end

  // ---------------------------------------------------------------- input loader + buffer
  logic [FoldMax-1:0] in_wr_en;
  logic in_rd_en;
  logic [InAddrBits-1:0] in_wr_addr, in_rd_addr;
  logic [FoldMax*Rows*XBits-1:0] in_wr_data, in_rd_data;
  localparam int unsigned FoldBits = $clog2(FoldMax + 1);
  // FOLD.F of a queue entry, 0 meaning 1 (dnn_regs refuses anything but 0 .. FoldMax, dividing Cols,
  // and F > 1 on anything but a dense convolution).
  localparam int unsigned FFold = dnn_regs_pkg::FoldIndex * 32 + dnn_regs_pkg::FoldFLsb;
  localparam int unsigned FoldFWidth = dnn_regs_pkg::FoldFWidth;
  function automatic logic [FoldBits-1:0] fold_of(logic [FoldFWidth-1:0] f);
    fold_of = f == '0 ? FoldBits'(1) : FoldBits'(f);
  endfunction

  // At storage width 4 a band whose first value has an odd index in the tensor (BAND_Y0 * W * Cin
  // odd: all three odd) starts in the high nibble of its first byte; the loader drops the low one.
  wire band_mid_byte = load_desc[FBandY0] && load_desc[FInW] && load_desc[FInC];

  dnn_input_loader #(
    .Rows(Rows), .ActBits(ActBits), .StreamBits(StreamBits), .InDepth(InDepth), .FoldMax(FoldMax)
  ) u_input_loader (
    .clk_i, .rst_ni,
    .cmd_valid_i(load_cmd_valid), .cmd_ready_o(load_cmd_ready), .cmd_half_i(load_use == 2'b10),
    .cmd_pixels_i(load_desc[FBandPixels +: 32]), .cmd_channels_i(load_desc[FInC +: 16]),
    .cmd_bits_i(load_desc[FInBits +: 4]), .cmd_signed_i(load_desc[FInSigned]),
    .cmd_zero_point_i(load_desc[FInZp +: 16]), .cmd_skip_i(band_mid_byte), .cmd_fold_i(fold_of(load_desc[FFold +: FoldFWidth])),
    .s_axis_tdata_i(s_axis_x_tdata_i), .s_axis_tvalid_i(s_axis_x_tvalid_i),
    .s_axis_tready_o(s_axis_x_tready_o), .s_axis_tlast_i(s_axis_x_tlast_i),
    .wr_en_o(in_wr_en), .wr_addr_o(in_wr_addr), .wr_data_o(in_wr_data),
    .done_o(load_done), .len_error_o(err_input_len)
  );

  dnn_input_banks #(.Width(Rows * XBits), .Depth(InDepth), .FoldMax(FoldMax)) u_input_buffer (
    .clk_i,
    .wr_en_i(in_wr_en), .wr_addr_i(in_wr_addr), .wr_data_i(in_wr_data),
    .rd_en_i(in_rd_en), .rd_addr_i(in_rd_addr), .rd_data_o(in_rd_data)
  );

  // ---------------------------------------------------------------- weight loader
  // A pool's entry has no blob (MODE.OP 1, 2): the weight loader steps past it without a command.
  wire [1:0] weight_op = weight_desc[dnn_regs_pkg::ModeIndex * 32 + dnn_regs_pkg::ModeOpLsb +: 2];
  wire weight_skip = weight_op == 2'd1 || weight_op == 2'd2;
  wire weight_cmd_valid = weight_issue_q != wr_ptr_q && !weight_skip;
  logic weight_cmd_ready;
  logic params_valid, params_ready, wblk_valid, wblk_ready;
  logic [Cols*32-1:0] params_bias, params_mult;
  logic [Cols*6-1:0] params_shift;
  logic [Rows*Cols*WeightBits-1:0] wblk_data;

  dnn_weight_loader #(
    .Rows(Rows), .Cols(Cols), .WeightBits(WeightBits), .StreamBits(StreamBits), .FifoBeats(FifoBeats)
  ) u_weight_loader (
    .clk_i, .rst_ni,
    .cmd_valid_i(weight_cmd_valid), .cmd_ready_o(weight_cmd_ready),
    .cmd_blocks_i(weight_desc[FBlocks +: 16]), .cmd_passes_i(weight_desc[FPasses +: 32]),
    .cmd_bits_i(weight_desc[FWeightBits +: 4]),
    .s_axis_tdata_i(s_axis_w_tdata_i), .s_axis_tvalid_i(s_axis_w_tvalid_i),
    .s_axis_tready_o(s_axis_w_tready_o), .s_axis_tlast_i(s_axis_w_tlast_i),
    .params_valid_o(params_valid), .params_ready_i(params_ready), .params_bias_o(params_bias),
    .params_mult_o(params_mult), .params_shift_o(params_shift),
    .wblk_valid_o(wblk_valid), .wblk_ready_i(wblk_ready), .wblk_data_o(wblk_data),
    .done_o(), .len_error_o(err_weight_len)
  );

  // ---------------------------------------------------------------- core
  wire [2:0] core_out_ahead = core_issue_q - drain_done_q;
  wire core_has_tile = core_issue_q != wr_ptr_q;
  wire core_band_ready = load_done_q != core_issue_q;
  wire core_out_free = core_out_ahead < 3'd2;
  wire core_cmd_valid = core_has_tile && core_band_ready && core_out_free;
  logic core_cmd_ready, core_done;
  logic out_wr_en;
  logic [$clog2(OutDepth)-1:0] out_wr_addr;
  logic [Cols*ActBits-1:0] out_wr_data;

  // The mode words of issue 12 inside a queue entry (docs/engine.md "Modes").
  localparam int unsigned FMode = dnn_regs_pkg::ModeIndex * 32, FGroup = dnn_regs_pkg::GroupIndex * 32,
                          FClip = dnn_regs_pkg::ClipIndex * 32, FPoolCount = dnn_regs_pkg::PoolCountIndex * 32,
                          FPoolMagic = dnn_regs_pkg::PoolMagicIndex * 32;
  // Values per output word: a pool's F*Rows channels, a convolution's Cv = Cols/F.
  function automatic logic [15:0] word_values(logic [1:0] op, logic [FoldFWidth-1:0] fold);
    word_values = op != 2'd0 ? 16'(Rows) : 16'(Cols);
    for (int unsigned f = 2; f <= FoldMax; f++) begin
      if (32'(fold_of(fold)) == f && Cols % f == 0) word_values = op != 2'd0 ? 16'(f * Rows) : 16'(Cols / f);
    end
  endfunction

  dnn_core #(
    .Rows(Rows), .Cols(Cols), .ActBits(ActBits), .WeightBits(WeightBits), .AccBits(AccBits),
    .InDepth(InDepth), .OutDepth(OutDepth), .AccDepth(AccDepth), .FoldMax(FoldMax),
    .DwLinePixels(DwLinePixels)
  ) u_core (
    .clk_i, .rst_ni,
    .cmd_valid_i(core_cmd_valid), .cmd_ready_o(core_cmd_ready),
    .cmd_in_half_i(in_use_q[core_issue_q[1:0]] == 2'b10), .cmd_out_half_i(core_issue_q[0]),
    .cmd_in_w_i(core_desc[FInW +: 16]), .cmd_in_h_i(core_desc[FInH +: 16]),
    .cmd_in_c_i(core_desc[FInC +: 16]), .cmd_band_y0_i(core_desc[FBandY0 +: 16]),
    .cmd_kh_i(core_desc[FWindow + dnn_regs_pkg::WindowKhLsb +: 8]),
    .cmd_kw_i(core_desc[FWindow + dnn_regs_pkg::WindowKwLsb +: 8]),
    .cmd_sh_i(core_desc[FWindow + dnn_regs_pkg::WindowShLsb +: 8]),
    .cmd_sw_i(core_desc[FWindow + dnn_regs_pkg::WindowSwLsb +: 8]),
    .cmd_pad_top_i(core_desc[FPad + dnn_regs_pkg::PadTopLsb +: 8]),
    .cmd_pad_left_i(core_desc[FPad + dnn_regs_pkg::PadLeftLsb +: 8]),
    .cmd_out_w_i(core_desc[FOutW +: 16]), .cmd_out_c_i(core_desc[FOutC +: 16]),
    .cmd_tile_p0_i(core_desc[FTileP0 +: 32]), .cmd_tile_p_i(core_desc[FTileP +: 16]),
    .cmd_activation_i(core_desc[FActivation +: 2]), .cmd_leaky_shift_i(core_desc[FLeakyShift +: 4]),
    .cmd_out_zp_i(core_desc[FOutZp +: 16]), .cmd_out_signed_i(core_desc[FOutSigned]),
    .cmd_out_bits_i(core_desc[FOutBits +: 4]), .cmd_round_even_i(core_desc[FRoundEven]),
    .cmd_op_i(core_desc[FMode + dnn_regs_pkg::ModeOpLsb +: 2]),
    .cmd_group_chunks_i(core_desc[FGroup + dnn_regs_pkg::GroupGroupChunksLsb +: 16]),
    .cmd_chunk_step_i(core_desc[FGroup + dnn_regs_pkg::GroupChunkStepLsb +: 16]),
    .cmd_group_cols_i(core_desc[FMode + dnn_regs_pkg::ModeGroupColsLsb +: 16]),
    .cmd_clip_i(core_desc[FMode + dnn_regs_pkg::ModeClipLsb]),
    .cmd_clip_lo_i(core_desc[FClip + dnn_regs_pkg::ClipLoLsb +: 16]),
    .cmd_clip_hi_i(core_desc[FClip + dnn_regs_pkg::ClipHiLsb +: 16]),
    .cmd_pool_count_i(core_desc[FPoolCount + dnn_regs_pkg::PoolCountCountLsb +: 16]),
    .cmd_pool_magic_i(core_desc[FPoolMagic +: 32]),
    .cmd_pool_shift_i(core_desc[FMode + dnn_regs_pkg::ModePoolShiftLsb +: 6]),
    .cmd_fold_i(fold_of(core_desc[FFold +: FoldFWidth])),
    .in_rd_en_o(in_rd_en), .in_rd_addr_o(in_rd_addr), .in_rd_data_i(in_rd_data),
    .params_valid_i(params_valid), .params_ready_o(params_ready), .params_bias_i(params_bias),
    .params_mult_i(params_mult), .params_shift_i(params_shift),
    .wblk_valid_i(wblk_valid), .wblk_ready_o(wblk_ready), .wblk_data_i(wblk_data),
    .out_wr_en_o(out_wr_en), .out_wr_addr_o(out_wr_addr), .out_wr_data_o(out_wr_data),
    .done_o(core_done), .issue_o(core_issue_strobe), .macs_o(core_macs),
    .stall_weight_o(core_stall_weight)
  );

  // ---------------------------------------------------------------- output buffer and drain
  // The drain and the eltwise stage take each tile's command together (the eltwise stage holds it off
  // while a fused tile is still in its pipeline).
  wire drain_cmd_valid = drain_issue_q != core_done_q;
  logic drain_cmd_ready, elt_cmd_ready;
  wire drain_cmd_fire = drain_cmd_valid && drain_cmd_ready && elt_cmd_ready;
  // The drain's packed output: operand a of a fused add, else m_axis_y itself.
  logic [StreamBits-1:0]   a_tdata;
  logic [StreamBits/8-1:0] a_tkeep;
  logic                    a_tvalid, a_tready, a_tlast;

  // Likewise a tile whose first output value has an odd index (TILE_P0 * Cout odd) starts in the
  // high nibble of a byte at storage width 4; the drain sends that byte whole.
  wire tile_mid_byte = drain_desc[FTileP0] && drain_desc[FOutC];

  dnn_output_buffer #(
    .Cols(Cols), .ActBits(ActBits), .StreamBits(StreamBits), .OutDepth(OutDepth)
  ) u_output_buffer (
    .clk_i, .rst_ni,
    .wr_en_i(out_wr_en), .wr_addr_i(out_wr_addr), .wr_data_i(out_wr_data),
    .cmd_valid_i(drain_cmd_valid && elt_cmd_ready), .cmd_ready_o(drain_cmd_ready),
    .cmd_half_i(drain_issue_q[0]),
    .cmd_pixels_i(drain_desc[FTileP +: 16]), .cmd_channels_i(drain_desc[FOutC +: 16]),
    .cmd_word_values_i(word_values(drain_desc[FMode + dnn_regs_pkg::ModeOpLsb +: 2], drain_desc[FFold +: FoldFWidth])),
    .cmd_bits_i(drain_desc[FOutBits +: 4]), .cmd_signed_i(drain_desc[FOutSigned]),
    .cmd_skip_i(tile_mid_byte),
    .m_axis_tdata_o(a_tdata), .m_axis_tkeep_o(a_tkeep), .m_axis_tvalid_o(a_tvalid),
    .m_axis_tready_i(a_tready), .m_axis_tlast_o(a_tlast), .done_o()
  );

  // ---------------------------------------------------------------- fused residual add
  // A 4-bit tile whose values end at an odd index ((TILE_P0 + TILE_P) * Cout odd) ends in the low
  // nibble of a byte: the high one stays 0.
  wire tile_end_half = (drain_desc[FTileP0] ^ drain_desc[FTileP]) && drain_desc[FOutC];

  dnn_eltwise #(.StreamBits(StreamBits)) u_eltwise (
    .clk_i, .rst_ni,
    .cmd_valid_i(drain_cmd_valid && drain_cmd_ready), .cmd_ready_o(elt_cmd_ready),
    .cmd_enable_i(drain_desc[FElt + dnn_regs_pkg::EltEnableLsb]),
    .cmd_a_bits_i(drain_desc[FOutBits +: 4]), .cmd_a_signed_i(drain_desc[FOutSigned]),
    .cmd_a_zp_i(drain_desc[FOutZp +: 16]),
    .cmd_b_bits_i(drain_desc[FElt + dnn_regs_pkg::EltBBitsLsb +: 4]),
    .cmd_b_signed_i(drain_desc[FElt + dnn_regs_pkg::EltBSignedLsb]),
    .cmd_b_zp_i(drain_desc[FEltZ + dnn_regs_pkg::EltZZbLsb +: 16]),
    .cmd_y_bits_i(drain_desc[FElt + dnn_regs_pkg::EltYBitsLsb +: 4]),
    .cmd_y_signed_i(drain_desc[FElt + dnn_regs_pkg::EltYSignedLsb]),
    .cmd_y_zp_i(drain_desc[FEltZ + dnn_regs_pkg::EltZZyLsb +: 16]),
    .cmd_ma_i(drain_desc[FEltMa +: 32]), .cmd_mb_i(drain_desc[FEltMb +: 32]),
    .cmd_shift_i(drain_desc[FEltShift + dnn_regs_pkg::EltShiftShiftLsb +: 6]),
    .cmd_act_i(drain_desc[FElt + dnn_regs_pkg::EltActivationLsb +: 2]),
    .cmd_leaky_shift_i(drain_desc[FElt + dnn_regs_pkg::EltLeakyShiftLsb +: 4]),
    .cmd_round_even_i(drain_desc[FElt + dnn_regs_pkg::EltRoundEvenLsb]),
    .cmd_end_half_i(tile_end_half),
    .s_a_tdata_i(a_tdata), .s_a_tkeep_i(a_tkeep), .s_a_tvalid_i(a_tvalid), .s_a_tready_o(a_tready),
    .s_a_tlast_i(a_tlast),
    .s_b_tdata_i(s_axis_r_tdata_i), .s_b_tvalid_i(s_axis_r_tvalid_i), .s_b_tready_o(s_axis_r_tready_o),
    .s_b_tlast_i(s_axis_r_tlast_i),
    .m_y_tdata_o(m_axis_y_tdata_o), .m_y_tkeep_o(m_axis_y_tkeep_o), .m_y_tvalid_o(m_axis_y_tvalid_o),
    .m_y_tready_i(m_axis_y_tready_i), .m_y_tlast_o(m_axis_y_tlast_o),
    .done_o(tile_done), .len_error_o(err_residual_len)
  );

  // ---------------------------------------------------------------- pointers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q       <= '0;
      load_issue_q   <= '0;
      load_done_q    <= '0;
      weight_issue_q <= '0;
      core_issue_q   <= '0;
      core_done_q    <= '0;
      drain_issue_q  <= '0;
      drain_done_q   <= '0;
    end else begin
      if (push) wr_ptr_q <= wr_ptr_q + 1'b1;
      if (load_step) load_issue_q <= load_issue_q + 1'b1;
      if (load_done || load_reuse_step) load_done_q <= load_done_q + 1'b1;
      if ((weight_cmd_valid && weight_cmd_ready) || (weight_issue_q != wr_ptr_q && weight_skip))
        weight_issue_q <= weight_issue_q + 1'b1;
      if (core_cmd_valid && core_cmd_ready) core_issue_q <= core_issue_q + 1'b1;
      if (core_done) core_done_q <= core_done_q + 1'b1;
      if (drain_cmd_fire) drain_issue_q <= drain_issue_q + 1'b1;
      if (tile_done) drain_done_q <= drain_done_q + 1'b1;
    end
  end

  // ---------------------------------------------------------------- stall attribution
  wire core_idle_with_work = core_cmd_ready && core_has_tile;
  assign stall_input  = core_idle_with_work && !core_band_ready;
  assign stall_output = (core_idle_with_work && core_band_ready && !core_out_free) ||
                        (m_axis_y_tvalid_o && !m_axis_y_tready_i);

  `DNN_ASSERT(EngineQueueNotOverrun, !(push && queue_full), clk_i, rst_ni)
  // The input halves the loader writes this cycle: only its own band's storage, never one a queued
  // tile still needs (the band of a tile loaded earlier and not yet computed).
  logic [1:0] in_wr_use;
  always_comb begin
    in_wr_use = '0;
    for (int unsigned s = 0; s < FoldMax; s++)
      if (in_wr_en[s]) in_wr_use = in_wr_use | (32'(in_wr_addr) + s >= InDepth / 2 ? 2'b10 : 2'b01);
  end
  `DNN_ASSERT(EngineBandWritesItsStorage, (in_wr_use & ~last_use_q) == 2'b00, clk_i, rst_ni)
  `DNN_ASSERT(EngineBandSparesQueuedBands, (in_wr_use & band_held) == 2'b00, clk_i, rst_ni)
  // The upstream DMAs must obey AXI-Stream too: a beat once offered is held until taken.
  `DNN_ASSERT_STREAM_STABLE(EngineInputBandStable, s_axis_x_tvalid_i, s_axis_x_tready_o,
                            {s_axis_x_tdata_i, s_axis_x_tlast_i}, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(EngineWeightStable, s_axis_w_tvalid_i, s_axis_w_tready_o,
                            {s_axis_w_tdata_i, s_axis_w_tlast_i}, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(EngineResidualStable, s_axis_r_tvalid_i, s_axis_r_tready_o,
                            {s_axis_r_tdata_i, s_axis_r_tlast_i}, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(EngineInputValidKnown, s_axis_x_tvalid_i, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(EngineWeightValidKnown, s_axis_w_tvalid_i, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(EngineResidualValidKnown, s_axis_r_tvalid_i, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(EngineOutputValidKnown, m_axis_y_tvalid_o, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(EngineOutputStable, m_axis_y_tvalid_o, m_axis_y_tready_i,
                            {m_axis_y_tdata_o, m_axis_y_tkeep_o, m_axis_y_tlast_o}, clk_i, rst_ni)
endmodule

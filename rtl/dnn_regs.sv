// AXI4-Lite register slave of the engine (docs/engine.md "AXI4-Lite registers"): identification,
// control and status, the staged tile descriptor that PUSH appends to the queue, and the 64-bit
// performance counters. Accesses must be whole 32-bit words: partial strobes, unmapped offsets
// and writes to read-only registers get SLVERR and change nothing. Offsets, field positions and the
// descriptor and counter blocks come from dnn_regs_pkg (generated from platform/memory_map.yaml).
`include "dnn_assert.svh"

module dnn_regs #(
  parameter int unsigned Rows       = 8,
  parameter int unsigned Cols       = 16,
  parameter int unsigned ActBits    = 8,
  parameter int unsigned WeightBits = 8,
  parameter int unsigned AccBits    = 32,
  parameter int unsigned StreamBits = 64,
  parameter int unsigned AccDepth   = 256,
  parameter int unsigned InDepth    = 1024,  // input buffer words (a band's BAND_PIXELS * CHUNKS)
  parameter int unsigned QueueDepth = 4,
  parameter int unsigned FoldMax    = 1,  // the largest Cin-fold F (docs/engine.md "Cin-fold")
  parameter int unsigned DwLinePixels = 0,  // the depthwise feed's line buffers; 0: none, MODE.OP 3 refused
  parameter int unsigned MacsBits   = $clog2(Rows * Cols + 1),
  localparam int unsigned DescWords = dnn_regs_pkg::DescriptorWords,
  localparam int unsigned DescBits  = DescWords * 32,
  localparam int unsigned AddrBits  = dnn_regs_pkg::AddrBits
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // AXI4-Lite slave
  input  logic [AddrBits-1:0] axil_awaddr_i,
  input  logic                axil_awvalid_i,
  output logic                axil_awready_o,
  input  logic [31:0]         axil_wdata_i,
  input  logic [3:0]          axil_wstrb_i,
  input  logic                axil_wvalid_i,
  output logic                axil_wready_o,
  output logic [1:0]          axil_bresp_o,
  output logic                axil_bvalid_o,
  input  logic                axil_bready_i,
  input  logic [AddrBits-1:0] axil_araddr_i,
  input  logic                axil_arvalid_i,
  output logic                axil_arready_o,
  output logic [31:0]         axil_rdata_o,
  output logic [1:0]          axil_rresp_o,
  output logic                axil_rvalid_o,
  input  logic                axil_rready_i,
  // Staged descriptor (word i = register DescriptorFirst + 4i) and queue control
  output logic [DescBits-1:0] desc_o,
  output logic                push_o,
  output logic                irq_o,
  input  logic                queue_full_i,
  input  logic [dnn_regs_pkg::StatusQueuedWidth-1:0] queue_count_i,
  input  logic                busy_i,
  input  logic                tile_done_i,
  input  logic                err_input_len_i,
  input  logic                err_weight_len_i,
  input  logic                err_residual_len_i,
  // Performance strobes, one cycle each
  input  logic                issue_i,
  input  logic [MacsBits-1:0] macs_i,
  input  logic                stall_input_i,
  input  logic                stall_weight_i,
  input  logic                stall_output_i
);
  localparam logic [1:0] RespOkay = 2'b00;
  localparam logic [1:0] RespSlvErr = 2'b10;
  localparam logic [AddrBits-1:0] DescFirst = dnn_regs_pkg::DescriptorFirst;
  localparam logic [AddrBits-1:0] DescLast = dnn_regs_pkg::DescriptorLast;
  localparam int unsigned DescIndexBits = $clog2(DescWords);
  // The counters block is LO/HI word pairs of 64-bit counters (memory_map.yaml).
  localparam logic [AddrBits-1:0] CounterFirst = dnn_regs_pkg::CountersFirst;
  localparam logic [AddrBits-1:0] CounterLast = dnn_regs_pkg::CountersLast;
  localparam int unsigned NumCounters = dnn_regs_pkg::CountersWords / 2;
  localparam int unsigned CounterWordBits = $clog2(dnn_regs_pkg::CountersWords);
  localparam logic [31:0] HwArray =
    ((Rows << dnn_regs_pkg::HwArrayRowsLsb) & dnn_regs_pkg::HwArrayRowsMask) |
    ((Cols << dnn_regs_pkg::HwArrayColsLsb) & dnn_regs_pkg::HwArrayColsMask);
  localparam logic [31:0] HwBits =
    ((ActBits << dnn_regs_pkg::HwBitsActBitsLsb) & dnn_regs_pkg::HwBitsActBitsMask) |
    ((WeightBits << dnn_regs_pkg::HwBitsWeightBitsLsb) & dnn_regs_pkg::HwBitsWeightBitsMask) |
    ((AccBits << dnn_regs_pkg::HwBitsAccBitsLsb) & dnn_regs_pkg::HwBitsAccBitsMask) |
    (((StreamBits / 8) << dnn_regs_pkg::HwBitsStreamBytesLsb) & dnn_regs_pkg::HwBitsStreamBytesMask);
  localparam logic [31:0] HwDepths =
    ((AccDepth << dnn_regs_pkg::HwDepthsAccDepthLsb) & dnn_regs_pkg::HwDepthsAccDepthMask) |
    ((QueueDepth << dnn_regs_pkg::HwDepthsQueueDepthLsb) & dnn_regs_pkg::HwDepthsQueueDepthMask);

  // ---------------------------------------------------------------- write channel
  // Address and data are captured independently (AXI allows either first); the write happens
  // when both are held and the previous response has been taken.
  logic        aw_held_q, w_held_q;
  logic [AddrBits-1:0] aw_addr_q;
  logic [31:0] w_data_q;
  logic [3:0]  w_strb_q;
  logic        bvalid_q;
  logic [1:0]  bresp_q;

  assign axil_awready_o = !aw_held_q;
  assign axil_wready_o  = !w_held_q;
  assign axil_bvalid_o  = bvalid_q;
  assign axil_bresp_o   = bresp_q;

  wire do_write = aw_held_q && w_held_q && !bvalid_q;
  wire write_whole_word = w_strb_q == 4'hF && aw_addr_q[1:0] == 2'b00;
  wire write_desc = aw_addr_q >= DescFirst && aw_addr_q <= DescLast;
  wire write_ctrl = aw_addr_q == dnn_regs_pkg::CtrlOffset;
  wire write_irq = aw_addr_q == dnn_regs_pkg::IrqOffset;
  wire write_ok = write_whole_word && (write_desc || write_ctrl || write_irq);

  logic [31:0] desc_q [DescWords];
  logic        error_q;
  logic [31:0] error_cause_q;
  logic [dnn_regs_pkg::StatusTilesDoneWidth-1:0] tiles_done_q;

  // Descriptor word index = (address - DescFirst) / 4, computed on the low bits (the difference of
  // an address inside the block is below DescWords).
  wire [DescIndexBits-1:0] write_index = aw_addr_q[2 +: DescIndexBits] - DescFirst[2 +: DescIndexBits];
  wire ctrl_write = do_write && write_ok && write_ctrl;
  wire ctrl_push  = ctrl_write && w_data_q[dnn_regs_pkg::CtrlPushLsb];
  wire ctrl_clear_counters = ctrl_write && w_data_q[dnn_regs_pkg::CtrlClearCountersLsb];
  wire ctrl_clear_error = ctrl_write && w_data_q[dnn_regs_pkg::CtrlClearErrorLsb];

  // A descriptor the units could not run (zero sizes, a tile beyond the accumulator, MODE.OP 3 without
  // a depthwise feed or with GROUP fields, a fold the core cannot do, a band larger than its storage, a
  // REUSE with no band before it) is refused.
  wire desc_tile_bad = desc_q[dnn_regs_pkg::TilePIndex] == '0 || desc_q[dnn_regs_pkg::TilePIndex] > AccDepth;
  wire [31:0] window = desc_q[dnn_regs_pkg::WindowIndex];
  wire desc_window_bad = window[dnn_regs_pkg::WindowKhLsb +: dnn_regs_pkg::WindowKhWidth] == '0 ||
                         window[dnn_regs_pkg::WindowKwLsb +: dnn_regs_pkg::WindowKwWidth] == '0 ||
                         window[dnn_regs_pkg::WindowShLsb +: dnn_regs_pkg::WindowShWidth] == '0 ||
                         window[dnn_regs_pkg::WindowSwLsb +: dnn_regs_pkg::WindowSwWidth] == '0;
  wire desc_sizes_bad = desc_q[dnn_regs_pkg::InWIndex] == '0 || desc_q[dnn_regs_pkg::InCIndex] == '0 ||
                        desc_q[dnn_regs_pkg::BandPixelsIndex] == '0 ||
                        desc_q[dnn_regs_pkg::OutWIndex] == '0 || desc_q[dnn_regs_pkg::OutCIndex] == '0 ||
                        desc_q[dnn_regs_pkg::BlocksIndex] == '0 || desc_q[dnn_regs_pkg::PassesIndex] == '0 ||
                        desc_q[dnn_regs_pkg::ChunksIndex] == '0;
  // Depthwise (MODE.OP 3): only with the feed, on channel blocks of F*Rows <= Cols lanes, no GROUP fields.
  localparam logic [dnn_regs_pkg::ModeOpWidth-1:0] OpDepthwise = 3;
  wire desc_dw =
    desc_q[dnn_regs_pkg::ModeIndex][dnn_regs_pkg::ModeOpLsb +: dnn_regs_pkg::ModeOpWidth] == OpDepthwise;
  wire desc_op_bad = desc_dw && (DwLinePixels == 0 || Rows > Cols || desc_q[dnn_regs_pkg::GroupIndex] != '0 ||
    desc_q[dnn_regs_pkg::ModeIndex][dnn_regs_pkg::ModeGroupColsLsb +: dnn_regs_pkg::ModeGroupColsWidth] != '0);
  // FOLD.F: 0 or 1; or 2 .. FoldMax dividing Cols, on a dense convolution (MODE.OP 0, GROUP_CHUNKS 0)
  // or on a pool or depthwise convolution with F*Rows <= Cols (a lane per input value).
  wire [dnn_regs_pkg::FoldFWidth-1:0] fold_f =
    desc_q[dnn_regs_pkg::FoldIndex][dnn_regs_pkg::FoldFLsb +: dnn_regs_pkg::FoldFWidth];
  wire fold_conv =
    desc_q[dnn_regs_pkg::ModeIndex][dnn_regs_pkg::ModeOpLsb +: dnn_regs_pkg::ModeOpWidth] == '0;
  wire fold_dense =
    desc_q[dnn_regs_pkg::GroupIndex][dnn_regs_pkg::GroupGroupChunksLsb +: dnn_regs_pkg::GroupGroupChunksWidth] == '0;
  logic desc_fold_bad;
  always_comb begin
    desc_fold_bad = 32'(fold_f) > 1;
    for (int unsigned f = 2; f <= FoldMax; f++) begin
      if (32'(fold_f) == f && Cols % f == 0 && (fold_conv ? fold_dense : f * Rows <= Cols)) desc_fold_bad = 1'b0;
    end
  end
  // A band's words (BAND_PIXELS * CHUNKS) must fit its storage: an input half, or the whole buffer
  // with BAND.WHOLE. A REUSE tile loads nothing: it is its predecessor's band, so it needs a tile
  // pushed since reset. The product is of the low bits (either factor beyond InDepth is too big
  // anyway) and registered: PUSH's register write comes at least two cycles after the last
  // descriptor write (AXI4-Lite: a write takes a cycle, its response another).
  localparam int unsigned FitBits = $clog2(InDepth + 1);
  localparam logic [31:0] InDepthW = 32'(InDepth);
  wire [31:0] band_pixels = desc_q[dnn_regs_pkg::BandPixelsIndex];
  wire [31:0] chunks = desc_q[dnn_regs_pkg::ChunksIndex];
  logic [2*FitBits-1:0] band_words_q;
  logic                 band_factor_big_q, pushed_q;
  wire band_reuse = desc_q[dnn_regs_pkg::BandIndex][dnn_regs_pkg::BandReuseLsb];
  localparam logic [2*FitBits-1:0] WholeWords = (2*FitBits)'(InDepth);
  wire [2*FitBits-1:0] band_limit =
    desc_q[dnn_regs_pkg::BandIndex][dnn_regs_pkg::BandWholeLsb] ? WholeWords : WholeWords >> 1;
  wire desc_band_bad = band_reuse ? !pushed_q : band_factor_big_q || band_words_q > band_limit;
  wire desc_bad = desc_tile_bad || desc_window_bad || desc_sizes_bad || desc_op_bad || desc_fold_bad ||
                  desc_band_bad;

  assign push_o = ctrl_push && !queue_full_i && !desc_bad;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      band_words_q      <= '0;
      band_factor_big_q <= 1'b0;
      pushed_q          <= 1'b0;
    end else begin
      band_words_q      <= (2*FitBits)'(band_pixels[FitBits-1:0]) * (2*FitBits)'(chunks[FitBits-1:0]);
      band_factor_big_q <= band_pixels > InDepthW || chunks > InDepthW;
      if (push_o) pushed_q <= 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_held_q <= 1'b0;
      w_held_q  <= 1'b0;
      aw_addr_q <= '0;
      w_data_q  <= '0;
      w_strb_q  <= '0;
      bvalid_q  <= 1'b0;
      bresp_q   <= RespOkay;
      for (int i = 0; i < DescWords; i++) desc_q[i] <= '0;
    end else begin
      if (axil_awvalid_i && axil_awready_o) begin
        aw_held_q <= 1'b1;
        aw_addr_q <= axil_awaddr_i;
      end
      if (axil_wvalid_i && axil_wready_o) begin
        w_held_q <= 1'b1;
        w_data_q <= axil_wdata_i;
        w_strb_q <= axil_wstrb_i;
      end
      if (do_write) begin
        aw_held_q <= 1'b0;
        w_held_q  <= 1'b0;
        bvalid_q  <= 1'b1;
        bresp_q   <= write_ok ? RespOkay : RespSlvErr;
        if (write_ok && write_desc) desc_q[write_index] <= w_data_q;
      end else if (bvalid_q && axil_bready_i) begin
        bvalid_q <= 1'b0;
      end
    end
  end

  for (genvar i = 0; i < DescWords; i++) begin : g_desc
    assign desc_o[i*32 +: 32] = desc_q[i];
  end

  // ---------------------------------------------------------------- interrupt
  // IRQ: ENABLE enables the tile-done interrupt; PENDING is set by every completed tile and cleared
  // by writing 1 to it. irq_o is a level: enabled and pending.
  logic irq_enable_q, irq_pending_q;
  wire  irq_write = do_write && write_ok && write_irq;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      irq_enable_q  <= 1'b0;
      irq_pending_q <= 1'b0;
    end else begin
      if (irq_write) irq_enable_q <= w_data_q[dnn_regs_pkg::IrqEnableLsb];
      if (tile_done_i) irq_pending_q <= 1'b1;
      else if (irq_write && w_data_q[dnn_regs_pkg::IrqPendingLsb]) irq_pending_q <= 1'b0;
    end
  end
  assign irq_o = irq_enable_q && irq_pending_q;

  // ---------------------------------------------------------------- status and errors
  logic [31:0] cause_set;
  always_comb begin
    cause_set = '0;
    cause_set[dnn_regs_pkg::ErrorCauseInputLengthLsb] = err_input_len_i;
    cause_set[dnn_regs_pkg::ErrorCauseWeightLengthLsb] = err_weight_len_i;
    cause_set[dnn_regs_pkg::ErrorCauseResidualLengthLsb] = err_residual_len_i;
    cause_set[dnn_regs_pkg::ErrorCausePushWhileFullLsb] = ctrl_push && queue_full_i;
    cause_set[dnn_regs_pkg::ErrorCauseBadDescriptorLsb] = ctrl_push && desc_bad;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      error_q       <= 1'b0;
      error_cause_q <= '0;
      tiles_done_q  <= '0;
    end else begin
      if (tile_done_i) tiles_done_q <= tiles_done_q + 1'b1;
      if (ctrl_clear_error) begin
        error_q       <= 1'b0;
        error_cause_q <= '0;
      end
      if (cause_set != '0) begin
        error_q <= 1'b1;
        error_cause_q <= error_cause_q | cause_set;
      end
    end
  end

  // ---------------------------------------------------------------- counters
  logic [63:0] counter_q [NumCounters];
  logic [31:0] hi_latch_q;
  wire [63:0] increment [NumCounters];
  assign increment[dnn_regs_pkg::CyclesLoIndex / 2] = {63'd0, busy_i};
  assign increment[dnn_regs_pkg::MacsLoIndex / 2] = {{(64 - MacsBits){1'b0}}, macs_i};
  assign increment[dnn_regs_pkg::ActiveLoIndex / 2] = {63'd0, issue_i};
  assign increment[dnn_regs_pkg::StallInputLoIndex / 2] = {63'd0, stall_input_i};
  assign increment[dnn_regs_pkg::StallWeightLoIndex / 2] = {63'd0, stall_weight_i};
  assign increment[dnn_regs_pkg::StallOutputLoIndex / 2] = {63'd0, stall_output_i};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < NumCounters; i++) counter_q[i] <= '0;
    end else begin
      for (int i = 0; i < NumCounters; i++)
        counter_q[i] <= ctrl_clear_counters ? 64'd0 : counter_q[i] + increment[i];
    end
  end

  // ---------------------------------------------------------------- read channel
  logic        rvalid_q;
  logic [31:0] rdata_q;
  logic [1:0]  rresp_q;
  assign axil_arready_o = !rvalid_q;
  assign axil_rvalid_o  = rvalid_q;
  assign axil_rdata_o   = rdata_q;
  assign axil_rresp_o   = rresp_q;

  logic [31:0] read_value;
  logic        read_ok;
  wire  [AddrBits-1:0] ra = axil_araddr_i;
  wire  [DescIndexBits-1:0] read_index = ra[2 +: DescIndexBits] - DescFirst[2 +: DescIndexBits];
  // Word of the counters block: counter = word / 2, HI word = word bit 0.
  wire  [CounterWordBits-1:0] counter_word = ra[2 +: CounterWordBits] - CounterFirst[2 +: CounterWordBits];
  wire  [CounterWordBits-2:0] counter_index = counter_word[CounterWordBits-1:1];
  wire  counter_hi = counter_word[0];
  always_comb begin
    read_value = '0;
    read_ok    = ra[1:0] == 2'b00;
    if (ra >= DescFirst && ra <= DescLast) begin
      read_value = desc_q[read_index];
    end else if (ra >= CounterFirst && ra <= CounterLast) begin
      read_value = counter_hi ? hi_latch_q : counter_q[counter_index][31:0];
    end else begin
      case (ra)
        dnn_regs_pkg::IdOffset: read_value = dnn_regs_pkg::IdReset;
        dnn_regs_pkg::HwArrayOffset: read_value = HwArray;
        dnn_regs_pkg::HwBitsOffset: read_value = HwBits;
        dnn_regs_pkg::HwDepthsOffset: read_value = HwDepths;
        dnn_regs_pkg::StatusOffset: begin
          read_value[dnn_regs_pkg::StatusBusyLsb] = busy_i;
          read_value[dnn_regs_pkg::StatusQueueFullLsb] = queue_full_i;
          read_value[dnn_regs_pkg::StatusErrorLsb] = error_q;
          read_value[dnn_regs_pkg::StatusQueuedLsb +: dnn_regs_pkg::StatusQueuedWidth] = queue_count_i;
          read_value[dnn_regs_pkg::StatusTilesDoneLsb +: dnn_regs_pkg::StatusTilesDoneWidth] = tiles_done_q;
        end
        dnn_regs_pkg::ErrorCauseOffset: read_value = error_cause_q;
        dnn_regs_pkg::IrqOffset: begin
          read_value[dnn_regs_pkg::IrqEnableLsb] = irq_enable_q;
          read_value[dnn_regs_pkg::IrqPendingLsb] = irq_pending_q;
        end
        default: read_ok = 1'b0;
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rvalid_q   <= 1'b0;
      rdata_q    <= '0;
      rresp_q    <= RespOkay;
      hi_latch_q <= '0;
    end else if (axil_arvalid_i && axil_arready_o) begin
      rvalid_q <= 1'b1;
      rdata_q  <= read_ok ? read_value : 32'd0;
      rresp_q  <= read_ok ? RespOkay : RespSlvErr;
      // Reading a counter's low word freezes its high word for the following read.
      if (read_ok && ra >= CounterFirst && ra <= CounterLast && !counter_hi)
        hi_latch_q <= counter_q[counter_index][63:32];
    end else if (rvalid_q && axil_rready_i) begin
      rvalid_q <= 1'b0;
    end
  end

  `DNN_ASSERT_STREAM_STABLE(RegsReadStable, axil_rvalid_o, axil_rready_i, {axil_rdata_o, axil_rresp_o}, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(RegsWriteRespStable, axil_bvalid_o, axil_bready_i, axil_bresp_o, clk_i, rst_ni)
endmodule

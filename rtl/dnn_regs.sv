// AXI4-Lite register slave of the engine (docs/engine.md "AXI4-Lite registers"): identification,
// control and status, the staged tile descriptor that PUSH appends to the queue, and the 64-bit
// performance counters. Accesses must be whole 32-bit words: partial strobes, unmapped offsets
// and writes to read-only registers get SLVERR and change nothing.
`include "dnn_assert.svh"

module dnn_regs #(
  parameter int unsigned Rows       = 8,
  parameter int unsigned Cols       = 16,
  parameter int unsigned ActBits    = 8,
  parameter int unsigned WeightBits = 8,
  parameter int unsigned AccBits    = 32,
  parameter int unsigned StreamBits = 64,
  parameter int unsigned AccDepth   = 256,
  parameter int unsigned QueueDepth = 4,
  parameter int unsigned MacsBits   = $clog2(Rows * Cols + 1),
  localparam int unsigned DescWords = 17,
  localparam int unsigned DescBits  = DescWords * 32
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // AXI4-Lite slave
  input  logic [11:0]         axil_awaddr_i,
  input  logic                axil_awvalid_i,
  output logic                axil_awready_o,
  input  logic [31:0]         axil_wdata_i,
  input  logic [3:0]          axil_wstrb_i,
  input  logic                axil_wvalid_i,
  output logic                axil_wready_o,
  output logic [1:0]          axil_bresp_o,
  output logic                axil_bvalid_o,
  input  logic                axil_bready_i,
  input  logic [11:0]         axil_araddr_i,
  input  logic                axil_arvalid_i,
  output logic                axil_arready_o,
  output logic [31:0]         axil_rdata_o,
  output logic [1:0]          axil_rresp_o,
  output logic                axil_rvalid_o,
  input  logic                axil_rready_i,
  // Staged descriptor (word i = register 0x020 + 4i) and queue control
  output logic [DescBits-1:0] desc_o,
  output logic                push_o,
  output logic                irq_o,
  input  logic                queue_full_i,
  input  logic [7:0]          queue_count_i,
  input  logic                busy_i,
  input  logic                tile_done_i,
  input  logic                err_input_len_i,
  input  logic                err_weight_len_i,
  // Performance strobes, one cycle each
  input  logic                issue_i,
  input  logic [MacsBits-1:0] macs_i,
  input  logic                stall_input_i,
  input  logic                stall_weight_i,
  input  logic                stall_output_i
);
  localparam logic [31:0] IdValue = 32'h444E_4E45;  // "DNNE"
  localparam logic [1:0] RespOkay = 2'b00;
  localparam logic [1:0] RespSlvErr = 2'b10;
  localparam int unsigned NumCounters = 6;  // cycles, macs, active, stall input/weight/output
  localparam logic [11:0] DescFirst = 12'h020;
  localparam logic [11:0] DescLast = 12'h060;
  localparam logic [11:0] CounterFirst = 12'h100;
  localparam logic [11:0] CounterLast = 12'h12C;

  // ---------------------------------------------------------------- write channel
  // Address and data are captured independently (AXI allows either first); the write happens
  // when both are held and the previous response has been taken.
  logic        aw_held_q, w_held_q;
  logic [11:0] aw_addr_q;
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
  wire write_ctrl = aw_addr_q == 12'h010;
  wire write_irq = aw_addr_q == 12'h01C;
  wire write_ok = write_whole_word && (write_desc || write_ctrl || write_irq);

  logic [31:0] desc_q [DescWords];
  logic        error_q;
  logic [3:0]  error_cause_q;
  logic [15:0] tiles_done_q;

  // Descriptor registers 0x020..0x060: word index = address[6:2] - 8.
  wire [4:0] write_index = aw_addr_q[6:2] - 5'd8;
  wire ctrl_push  = do_write && write_ok && write_ctrl && w_data_q[0];
  wire ctrl_clear_counters = do_write && write_ok && write_ctrl && w_data_q[1];
  wire ctrl_clear_error = do_write && write_ok && write_ctrl && w_data_q[2];

  // A descriptor the units could not run (zero sizes, a tile beyond the accumulator) is refused.
  wire desc_tile_bad = desc_q[10] == '0 || desc_q[10] > AccDepth;  // TILE_P
  wire desc_window_bad = desc_q[5][7:0] == '0 || desc_q[5][15:8] == '0 || desc_q[5][23:16] == '0 ||
                         desc_q[5][31:24] == '0;  // kh, kw, sh, sw
  wire desc_sizes_bad = desc_q[0] == '0 || desc_q[2] == '0 || desc_q[4] == '0 || desc_q[7] == '0 ||
                        desc_q[8] == '0 || desc_q[14] == '0 || desc_q[15] == '0 || desc_q[16] == '0;
  wire desc_bad = desc_tile_bad || desc_window_bad || desc_sizes_bad;

  assign push_o = ctrl_push && !queue_full_i && !desc_bad;

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
  // IRQ (0x01C): bit 0 enables the tile-done interrupt; bit 16 is pending, set by every completed
  // tile and cleared by writing 1 to it. irq_o is a level: enabled and pending.
  logic irq_enable_q, irq_pending_q;
  wire  irq_write = do_write && write_ok && write_irq;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      irq_enable_q  <= 1'b0;
      irq_pending_q <= 1'b0;
    end else begin
      if (irq_write) irq_enable_q <= w_data_q[0];
      if (tile_done_i) irq_pending_q <= 1'b1;
      else if (irq_write && w_data_q[16]) irq_pending_q <= 1'b0;
    end
  end
  assign irq_o = irq_enable_q && irq_pending_q;

  // ---------------------------------------------------------------- status and errors
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
      if (err_input_len_i || err_weight_len_i || (ctrl_push && (queue_full_i || desc_bad))) begin
        error_q <= 1'b1;
        error_cause_q <= error_cause_q | {ctrl_push && desc_bad, ctrl_push && queue_full_i,
                                          err_weight_len_i, err_input_len_i};
      end
    end
  end

  // ---------------------------------------------------------------- counters
  logic [63:0] counter_q [NumCounters];
  logic [31:0] hi_latch_q;
  wire [63:0] increment [NumCounters];
  assign increment[0] = {63'd0, busy_i};
  assign increment[1] = {{(64 - MacsBits){1'b0}}, macs_i};
  assign increment[2] = {63'd0, issue_i};
  assign increment[3] = {63'd0, stall_input_i};
  assign increment[4] = {63'd0, stall_weight_i};
  assign increment[5] = {63'd0, stall_output_i};

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
  wire  [11:0] ra = axil_araddr_i;
  wire  [4:0]  read_index = ra[6:2] - 5'd8;
  wire  [2:0]  counter_index = ra[5:3];  // counters at 0x100 + 8i
  always_comb begin
    read_value = '0;
    read_ok    = ra[1:0] == 2'b00;
    if (ra >= DescFirst && ra <= DescLast) begin
      read_value = desc_q[read_index];
    end else if (ra >= CounterFirst && ra <= CounterLast) begin
      read_value = ra[2] ? hi_latch_q : counter_q[counter_index][31:0];
    end else begin
      case (ra)
        12'h000: read_value = IdValue;
        12'h004: read_value = {16'(Cols), 16'(Rows)};
        12'h008: read_value = {8'(StreamBits / 8), 8'(AccBits), 8'(WeightBits), 8'(ActBits)};
        12'h00C: read_value = {16'(QueueDepth), 16'(AccDepth)};
        12'h014: read_value = {tiles_done_q, queue_count_i, 5'd0, error_q, queue_full_i, busy_i};
        12'h018: read_value = {28'd0, error_cause_q};
        12'h01C: read_value = {15'd0, irq_pending_q, 15'd0, irq_enable_q};
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
      if (read_ok && ra >= CounterFirst && ra <= CounterLast && !ra[2])
        hi_latch_q <= counter_q[counter_index][63:32];
    end else if (rvalid_q && axil_rready_i) begin
      rvalid_q <= 1'b0;
    end
  end

  `DNN_ASSERT_STREAM_STABLE(RegsReadStable, axil_rvalid_o, axil_rready_i, {axil_rdata_o, axil_rresp_o}, clk_i, rst_ni)
  `DNN_ASSERT_STREAM_STABLE(RegsWriteRespStable, axil_bvalid_o, axil_bready_i, axil_bresp_o, clk_i, rst_ni)
endmodule

// Input loader: receives one input band per command on s_axis_x, unpacks the packed values,
// subtracts the input zero point and writes input-buffer words of Rows values of XBits. Each pixel
// is Chunks = ceil(Cin/Rows) words (channels >= Cin are 0) followed by zero words up to a multiple
// of the fold F = cmd_fold_i (docs/engine.md "Cin-fold": the core then reads F consecutive words
// at once): pixel i's word k at half*InDepth/2 + i*ChunksF + k, ChunksF = ceil(Chunks/F)*F.
//
// Datapath: an element buffer of Cap = FoldMax*Rows-1 + StreamBits/4 raw storage values (8 bits
// each, a 4-bit value is held zero-extended) kept aligned so that the oldest value is element 0.
// Each cycle it may
//   - emit up to FoldMax consecutive words (write slots 0..FoldMax-1): slot s emits when the slots
//     before it did and the buffer holds the `need` values of its word after theirs (need = Rows,
//     Cin mod Rows for the last chunk of a pixel, 0 for a padding word); its elements are converted
//     (sign/zero extension from cmd_bits_i, minus the zero point) into the registered write port,
//     and the buffer shifts down by the values emitted;
//   - append one beat behind what remains after the emission.
// A beat is accepted only if what remains after this cycle's emission is at most FoldMax*Rows-1
// values, so the buffer never overflows. If more remains, FoldMax whole words are already waiting
// and the write port (FoldMax words per cycle) is the bottleneck anyway, so a beat that yields at
// most FoldMax words streams at one beat per cycle. s_axis_tready_o is a function of registered
// state only. FoldMax = 1 is one word per cycle (the input buffer's single write port).
//
// Nibble start: at storage width 4 a band may start in the high nibble of its first byte (the
// tensor's rows hold an odd number of values, so an odd row starts mid-byte, and DMAs move whole
// bytes). cmd_skip_i says so: the first beat's first nibble belongs to the previous row and is
// dropped, so that beat carries one value less.
//
// Lengths: the beat count is checked by counting down the band's values (pixels * Cin, formed by a
// short shift-and-add at command start, so there is no multiplier): the beat that takes the
// remaining count to <= values-per-beat is the expected last beat. The words are counted with a
// pixel counter and a remaining-channels counter; the address is a plain incrementing counter
// because consecutive words of a band are consecutive addresses.
//
// Errors: on an early TLAST the command ends after writing the words that are complete within
// the beats received; on a missing TLAST all words are written and further beats are dropped up to
// and including the next TLAST. In both cases len_error_o pulses in the same cycle as done_o.
`include "dnn_assert.svh"

module dnn_input_loader #(
  parameter int unsigned Rows       = 8,
  parameter int unsigned ActBits    = 8,
  parameter int unsigned StreamBits = 64,
  parameter int unsigned InDepth    = 1024,
  parameter int unsigned FoldMax    = 1,
  localparam int unsigned XBits     = ActBits + 1,
  localparam int unsigned AddrBits  = InDepth > 1 ? $clog2(InDepth) : 1,
  localparam int unsigned FoldBits  = $clog2(FoldMax + 1)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // Command: one band.
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  logic                  cmd_half_i,
  input  logic [31:0]           cmd_pixels_i,
  input  logic [15:0]           cmd_channels_i,
  input  logic [3:0]            cmd_bits_i,
  input  logic                  cmd_signed_i,
  input  logic [15:0]           cmd_zero_point_i,
  input  logic                  cmd_skip_i,        // storage width 4: drop the first nibble
  input  logic [FoldBits-1:0]   cmd_fold_i,        // F, 1 .. FoldMax: words per pixel a multiple of F
  // Band stream.
  input  logic [StreamBits-1:0] s_axis_tdata_i,
  input  logic                  s_axis_tvalid_i,
  output logic                  s_axis_tready_o,
  input  logic                  s_axis_tlast_i,
  // Input-buffer write port: word s (at [s*Rows*XBits +: Rows*XBits]) to wr_addr_o + s where
  // wr_en_o[s]; the enabled words are always slots 0 .. n-1.
  output logic [FoldMax-1:0]            wr_en_o,
  output logic [AddrBits-1:0]           wr_addr_o,
  output logic [FoldMax*Rows*XBits-1:0] wr_data_o,
  output logic                  done_o,
  output logic                  len_error_o
);
  // Values per beat at storage width 8 and 4.
  localparam int unsigned Vpb8     = StreamBits / 8;
  localparam int unsigned Vpb4     = StreamBits / 4;
  // Values one cycle's write slots can take at most.
  localparam int unsigned Take     = FoldMax * Rows;
  // Element buffer: up to Take-1 left over plus one whole beat.
  localparam int unsigned Cap      = Take - 1 + Vpb4;
  localparam int unsigned CntBits  = $clog2(Cap + 1);
  localparam int unsigned NeedBits = $clog2(Rows + 1);
  localparam int unsigned PosBits  = Take > 1 ? $clog2(Take) : 1;
  localparam int unsigned PhBits   = FoldMax > 1 ? $clog2(FoldMax) : 1;
  localparam int unsigned WordBits = Rows * XBits;
  localparam int unsigned RemBits  = 48;  // pixels (32 bits) * channels (16 bits)

  localparam logic [CntBits-1:0]  CapCnt    = CntBits'(Cap);
  localparam logic [CntBits-1:0]  MaxLeft   = CntBits'(Take - 1);
  localparam logic [CntBits-1:0]  Vpb8Cnt   = CntBits'(Vpb8);
  localparam logic [CntBits-1:0]  Vpb4Cnt   = CntBits'(Vpb4);
  localparam logic [RemBits-1:0]  Vpb8Rem   = RemBits'(Vpb8);
  localparam logic [RemBits-1:0]  Vpb4Rem   = RemBits'(Vpb4);
  localparam logic [15:0]         RowsCh    = 16'(Rows);
  localparam logic [NeedBits-1:0] RowsNeed  = NeedBits'(Rows);
  localparam logic [AddrBits-1:0] HalfBase  = AddrBits'(InDepth / 2);

  localparam logic [1:0] StIdle = 2'd0;  // waiting for a command
  localparam logic [1:0] StMul  = 2'd1;  // forming pixels * Cin
  localparam logic [1:0] StRun  = 2'd2;  // receiving the band

  // ---------------------------------------------------------------------------------------------
  // State
  logic [1:0]            state_q, state_d;
  // Command, as latched.
  logic                  st4_q, st4_d;          // storage width 4
  logic                  sgn_q, sgn_d;
  logic                  skip_q, skip_d;        // the next beat is the first and starts mid-byte
  logic [7:0]            vmask_q, vmask_d;      // value bits within a storage element
  logic [7:0]            smask_q, smask_d;      // the value's sign bit
  logic [15:0]           zp_q, zp_d;
  logic [15:0]           chan_q, chan_d;
  // Pixels * Cin: shift-and-add operands; rem_q is then the values still to be received.
  logic [RemBits-1:0]    mul_a_q, mul_a_d;
  logic [15:0]           mul_b_q, mul_b_d;
  logic [RemBits-1:0]    rem_q, rem_d;
  // Input side.
  logic                  in_end_q, in_end_d;    // no more beats for this command
  logic                  discard_q, discard_d;  // dropping beats up to TLAST
  logic                  err_q, err_d;
  // Output side.
  logic [31:0]           pix_left_q, pix_left_d;
  logic [15:0]           ch_left_q, ch_left_d;  // channels of the current pixel not yet written
  logic                  last_chunk_q, last_chunk_d;
  logic [NeedBits-1:0]   need_q, need_d;        // values in the current word
  logic [PhBits-1:0]     phase_q, phase_d;      // words of the current pixel written, mod F
  logic [FoldBits-1:0]   fold_q, fold_d;        // F
  logic                  out_done_q, out_done_d;
  logic [AddrBits-1:0]   addr_q, addr_d;
  // Element buffer.
  logic [CntBits-1:0]    cnt_q, cnt_d;
  logic [Cap*8-1:0]      buf_q, buf_d;
  // Outputs.
  logic [FoldMax-1:0]    wr_en_q, wr_en_d;
  logic [AddrBits-1:0]   wr_addr_q, wr_addr_d;
  logic [FoldMax*WordBits-1:0] wr_data_q, wr_data_d;
  logic                  done_q, done_d;
  logic                  len_error_q, len_error_d;

  // ---------------------------------------------------------------------------------------------
  // Handshakes and per-cycle decisions (all from registered state)
  logic                  run;
  logic [FoldMax-1:0]    emit;         // write slots that emit a word this cycle (a prefix)
  logic [CntBits-1:0]    need_cnt;
  logic [CntBits-1:0]    cnt_left;     // elements left after this cycle's emission
  logic                  accept;       // a beat transfers this cycle
  logic                  append;       // ... and its values enter the buffer
  logic                  beat_last;    // the accepted beat is the expected last one
  logic [RemBits-1:0]    vpb_rem;
  logic [CntBits-1:0]    vpb_cnt;
  logic                  finish;
  logic [3:0]            bits_clamped;

  assign run      = state_q == StRun;
  always_comb begin
    need_cnt = '0;
    need_cnt[NeedBits-1:0] = need_q;
  end

  // Write slots: slot s sees the output state after slots 0..s-1 emitted (slot 0: the registers),
  // and the values they took. Stepping past a word: the next chunk of the pixel, or after its last
  // chunk padding words (need 0) until the pixel's word count is a multiple of F, then the next
  // pixel. With F = 1 the phase is always 0 and no padding word occurs.
  logic [FoldMax*CntBits-1:0]  slot_off;   // slot s's: values taken by the slots before
  logic [FoldMax*NeedBits-1:0] slot_need;
  // The state after the emitting slots, for the registers.
  logic [15:0]          fin_ch;
  logic                 fin_last;
  logic [NeedBits-1:0]  fin_need;
  logic [PhBits-1:0]    fin_phase;
  logic [31:0]          fin_pix;
  logic                 fin_done;
  logic [CntBits-1:0]   fin_off;
  logic [AddrBits-1:0]  fin_addr;
  logic                 prev;         // the slots before emitted
  logic [PhBits-1:0]    phase_next;
  always_comb begin
    fin_ch    = ch_left_q;
    fin_last  = last_chunk_q;
    fin_need  = need_q;
    fin_phase = phase_q;
    fin_pix   = pix_left_q;
    fin_done  = out_done_q;
    fin_off   = '0;
    fin_addr  = addr_q;
    prev      = run;
    phase_next = '0;
    for (int unsigned s = 0; s < FoldMax; s++) begin
      slot_off[s*CntBits +: CntBits]    = fin_off;
      slot_need[s*NeedBits +: NeedBits] = fin_need;
      emit[s]      = prev && !fin_done && {1'b0, cnt_q} >= {1'b0, fin_off} + (CntBits+1)'(fin_need);
      prev         = emit[s];
      if (emit[s]) begin
        phase_next = 32'(fin_phase) + 1 >= 32'(fold_q) ? '0 : fin_phase + 1'b1;
        fin_phase  = phase_next;
        fin_off    = fin_off + CntBits'(fin_need);
        fin_addr   = fin_addr + 1'b1;
        if (!fin_last) begin
          fin_ch = fin_ch - RowsCh;
        end else if (phase_next == '0) begin
          fin_ch  = chan_q;
          if (fin_pix == 32'd1) fin_done = 1'b1;
          fin_pix = fin_pix - 1'b1;
        end else begin
          fin_ch = '0;  // a padding word
        end
        fin_last = fin_ch <= RowsCh;
        fin_need = fin_ch <= RowsCh ? fin_ch[NeedBits-1:0] : RowsNeed;
      end
    end
  end
  assign cnt_left = cnt_q - fin_off;
  // Values in the next beat: one less in a first beat that starts mid-byte.
  assign vpb_rem  = st4_q ? Vpb4Rem - RemBits'(skip_q) : Vpb8Rem;
  assign vpb_cnt  = st4_q ? Vpb4Cnt - CntBits'(skip_q) : Vpb8Cnt;

  assign cmd_ready_o     = state_q == StIdle;
  assign s_axis_tready_o = run && !in_end_q && (discard_q || cnt_left <= MaxLeft);
  assign accept          = s_axis_tvalid_i && s_axis_tready_o;
  assign append          = accept && !discard_q;
  assign beat_last       = rem_q <= vpb_rem;
  assign finish          = run && in_end_q && (out_done_q || cnt_q < need_cnt);
  assign bits_clamped    = cmd_bits_i > 4'd8 ? 4'd8 : cmd_bits_i;

  // ---------------------------------------------------------------------------------------------
  // Beat unpacking into storage elements (a 4-bit value zero-extended to 8 bits); a first nibble
  // to skip is shifted out.
  logic [Vpb4*8-1:0] beat_elems;
  always_comb begin
    beat_elems = '0;
    for (int j = 0; j < Vpb4; j++) begin
      if (st4_q) begin
        beat_elems[j*8 +: 8] = {4'b0, s_axis_tdata_i[j*4 +: 4]};
      end else if (j < Vpb8) begin
        beat_elems[j*8 +: 8] = s_axis_tdata_i[j*8 +: 8];
      end
    end
    if (skip_q) beat_elems = beat_elems >> 8;
  end

  // Buffer update: shift the emitted words out (barrel shifter over the bits of the values taken),
  // then put the beat at element cnt_left (barrel shifter over the bits of cnt_left, which is
  // < FoldMax*Rows whenever a beat is appended).
  logic [Cap*8-1:0]      shifted, placed;
  logic [Cap-1:0]        keep;          // elements below cnt_left
  assign keep  = ~({Cap{1'b1}} << cnt_left);
  always_comb begin
    shifted = buf_q;
    for (int s = 0; s < CntBits; s++) begin
      if (fin_off[s]) shifted = shifted >> (8 << s);
    end
    placed = '0;
    placed[Vpb4*8-1:0] = beat_elems;
    for (int s = 0; s < PosBits; s++) begin
      if (cnt_left[s]) placed = placed << (8 << s);
    end
    buf_d = shifted;
    if (append) begin
      for (int j = 0; j < Cap; j++) begin
        if (!keep[j]) buf_d[j*8 +: 8] = placed[j*8 +: 8];
      end
    end
  end

  // Word conversion, per write slot from the buffer shifted past the slots before it: extension
  // from the value width, minus the zero point, XBits two's complement; elements at or beyond the
  // slot's need (channels >= Cin, padding words) are 0.
  logic [Rows-1:0]  lane_on;
  logic [Cap*8-1:0] slot_buf;
  logic [7:0]       raw;
  logic             neg;
  // The difference is formed at 16 bits, or at XBits where the datapath is wider (ActBits 16), and
  // truncated (vp_gen keeps it within XBits).
  localparam int unsigned DiffBits = XBits > 16 ? XBits : 16;
  logic [15:0]         ext;
  logic [DiffBits-1:0] diff;
  logic                unused_diff_hi;
  always_comb begin
    wr_data_d      = '0;
    unused_diff_hi = 1'b0;
    lane_on        = '0;
    slot_buf       = '0;
    raw            = '0;
    neg            = 1'b0;
    ext            = '0;
    diff           = '0;
    for (int unsigned s = 0; s < FoldMax; s++) begin
      slot_buf = buf_q;
      for (int b = 0; b < CntBits; b++) begin
        if (slot_off[s*CntBits + b]) slot_buf = slot_buf >> (8 << b);
      end
      lane_on = ~({Rows{1'b1}} << slot_need[s*NeedBits +: NeedBits]);
      for (int r = 0; r < Rows; r++) begin
        raw  = slot_buf[r*8 +: 8];
        neg  = sgn_q && |(raw & smask_q);
        ext  = {{8{neg}}, (raw & vmask_q) | ({8{neg}} & ~vmask_q)};
        diff = DiffBits'($signed(ext)) - DiffBits'($signed(zp_q));
        if (lane_on[r]) wr_data_d[s*WordBits + r*XBits +: XBits] = diff[XBits-1:0];
        unused_diff_hi = unused_diff_hi ^ (^(diff >> XBits));  // empty when XBits = DiffBits
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Control
  always_comb begin
    state_d      = state_q;
    st4_d        = st4_q;
    sgn_d        = sgn_q;
    skip_d       = skip_q;
    vmask_d      = vmask_q;
    smask_d      = smask_q;
    zp_d         = zp_q;
    chan_d       = chan_q;
    mul_a_d      = mul_a_q;
    mul_b_d      = mul_b_q;
    rem_d        = rem_q;
    in_end_d     = in_end_q;
    discard_d    = discard_q;
    err_d        = err_q;
    pix_left_d   = pix_left_q;
    ch_left_d    = ch_left_q;
    last_chunk_d = last_chunk_q;
    need_d       = need_q;
    phase_d      = phase_q;
    fold_d       = fold_q;
    out_done_d   = out_done_q;
    addr_d       = addr_q;
    cnt_d        = cnt_q;
    wr_en_d      = '0;
    wr_addr_d    = addr_q;
    done_d       = 1'b0;
    len_error_d  = 1'b0;

    unique case (state_q)
      StIdle: begin
        if (cmd_valid_i) begin
          state_d      = StMul;
          st4_d        = cmd_bits_i <= 4'd4;
          sgn_d        = cmd_signed_i;
          skip_d       = cmd_skip_i && cmd_bits_i <= 4'd4;
          vmask_d      = ~(8'hFF << bits_clamped);
          smask_d      = ~(8'hFF << bits_clamped) ^ (~(8'hFF << bits_clamped) >> 1);
          zp_d         = cmd_zero_point_i;
          chan_d       = cmd_channels_i;
          mul_a_d      = {16'b0, cmd_pixels_i};
          mul_b_d      = cmd_channels_i;
          rem_d        = '0;
          in_end_d     = 1'b0;
          discard_d    = 1'b0;
          err_d        = 1'b0;
          pix_left_d   = cmd_pixels_i;
          ch_left_d    = cmd_channels_i;
          last_chunk_d = cmd_channels_i <= RowsCh;
          need_d       = cmd_channels_i <= RowsCh ? cmd_channels_i[NeedBits-1:0] : RowsNeed;
          out_done_d   = 1'b0;
          addr_d       = cmd_half_i ? HalfBase : '0;
          phase_d      = '0;
          fold_d       = cmd_fold_i;
          cnt_d        = '0;
        end
      end
      StMul: begin
        if (mul_b_q == '0) begin
          if (rem_q == '0) begin
            // Empty band: nothing to receive.
            state_d = StIdle;
            done_d  = 1'b1;
          end else begin
            state_d = StRun;
          end
        end else begin
          if (mul_b_q[0]) rem_d = rem_q + mul_a_q;
          mul_a_d = mul_a_q << 1;
          mul_b_d = mul_b_q >> 1;
        end
      end
      StRun: begin
        // Input side.
        if (accept) begin
          skip_d = 1'b0;
          if (discard_q) begin
            if (s_axis_tlast_i) begin
              discard_d = 1'b0;
              in_end_d  = 1'b1;
            end
          end else begin
            rem_d = rem_q - vpb_rem;
            if (beat_last) begin
              if (s_axis_tlast_i) begin
                in_end_d = 1'b1;
              end else begin
                discard_d = 1'b1;
                err_d     = 1'b1;
              end
            end else if (s_axis_tlast_i) begin
              in_end_d = 1'b1;
              err_d    = 1'b1;
            end
          end
        end
        cnt_d = cnt_left + (append ? vpb_cnt : '0);
        // Output side.
        wr_en_d      = emit;
        addr_d       = fin_addr;
        ch_left_d    = fin_ch;
        pix_left_d   = fin_pix;
        out_done_d   = fin_done;
        last_chunk_d = fin_last;
        need_d       = fin_need;
        phase_d      = fin_phase;
        if (finish) begin
          state_d     = StIdle;
          done_d      = 1'b1;
          len_error_d = err_q;
          cnt_d       = '0;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      st4_q        <= 1'b0;
      sgn_q        <= 1'b0;
      skip_q       <= 1'b0;
      vmask_q      <= '0;
      smask_q      <= '0;
      zp_q         <= '0;
      chan_q       <= '0;
      mul_a_q      <= '0;
      mul_b_q      <= '0;
      rem_q        <= '0;
      in_end_q     <= 1'b0;
      discard_q    <= 1'b0;
      err_q        <= 1'b0;
      pix_left_q   <= '0;
      ch_left_q    <= '0;
      last_chunk_q <= 1'b0;
      need_q       <= '0;
      phase_q      <= '0;
      fold_q       <= '0;
      out_done_q   <= 1'b0;
      addr_q       <= '0;
      cnt_q        <= '0;
      wr_en_q      <= '0;
      wr_addr_q    <= '0;
      done_q       <= 1'b0;
      len_error_q  <= 1'b0;
    end else begin
      state_q      <= state_d;
      st4_q        <= st4_d;
      sgn_q        <= sgn_d;
      skip_q       <= skip_d;
      vmask_q      <= vmask_d;
      smask_q      <= smask_d;
      zp_q         <= zp_d;
      chan_q       <= chan_d;
      mul_a_q      <= mul_a_d;
      mul_b_q      <= mul_b_d;
      rem_q        <= rem_d;
      in_end_q     <= in_end_d;
      discard_q    <= discard_d;
      err_q        <= err_d;
      pix_left_q   <= pix_left_d;
      ch_left_q    <= ch_left_d;
      last_chunk_q <= last_chunk_d;
      need_q       <= need_d;
      phase_q      <= phase_d;
      fold_q       <= fold_d;
      out_done_q   <= out_done_d;
      addr_q       <= addr_d;
      cnt_q        <= cnt_d;
      wr_en_q      <= wr_en_d;
      wr_addr_q    <= wr_addr_d;
      done_q       <= done_d;
      len_error_q  <= len_error_d;
    end
  end

  // Data registers need no reset: cnt_q and wr_en_q say what is meaningful.
  always_ff @(posedge clk_i) begin
    buf_q <= buf_d;
    if (emit[0]) wr_data_q <= wr_data_d;
  end

  assign wr_en_o     = wr_en_q;
  assign wr_addr_o   = wr_addr_q;
  assign wr_data_o   = wr_data_q;
  assign done_o      = done_q;
  assign len_error_o = len_error_q;

  `DNN_ASSERT(InLoaderCntInRange, cnt_q <= CapCnt, clk_i, rst_ni)
  `DNN_ASSERT(InLoaderNoErrorWithoutDone, !len_error_o || done_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(InLoaderReadyKnown, s_axis_tready_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(InLoaderWrEnKnown, wr_en_o, clk_i, rst_ni)
  `DNN_ASSERT_KNOWN(InLoaderDoneKnown, done_o, clk_i, rst_ni)
endmodule

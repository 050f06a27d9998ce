#include "fast_registers.h"

#include <algorithm>

namespace dnnvp::fast {

namespace {

Field field(const RegionInfo& region, std::string_view reg, std::string_view name) {
  const RegisterInfo& r = find_register(region, reg);
  const FieldInfo& f = find_field(region, r, name);
  return {r.offset, f.lsb, f.width};
}

Field whole(const RegionInfo& region, std::string_view reg) {
  return {find_register(region, reg).offset, 0, 32};
}

std::uint32_t words_of(const RegionInfo& region, std::string_view block) {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < region.register_count; ++i) n += region.registers[i].block == block;
  return n;
}

// The bits rtl/dnn_regs.sv forms the band's word count on: clog2(InDepth + 1).
unsigned fit_bits(std::uint64_t in_depth) {
  unsigned b = 0;
  while ((std::uint64_t{1} << b) < in_depth + 1) ++b;
  return b;
}

}  // namespace

Registers::Registers(const RegionInfo& region) : region_(region) {
  const RegionInfo& g = region;
  id_reset = find_register(g, "ID").reset;
  hw_array = find_register(g, "HW_ARRAY").offset;
  hw_bits = find_register(g, "HW_BITS").offset;
  hw_depths = find_register(g, "HW_DEPTHS").offset;
  ctrl = find_register(g, "CTRL").offset;
  status = find_register(g, "STATUS").offset;
  error_cause = find_register(g, "ERROR_CAUSE").offset;
  irq = find_register(g, "IRQ").offset;
  hw_rows = field(g, "HW_ARRAY", "ROWS");
  hw_cols = field(g, "HW_ARRAY", "COLS");
  hw_act_bits = field(g, "HW_BITS", "ACT_BITS");
  hw_weight_bits = field(g, "HW_BITS", "WEIGHT_BITS");
  hw_acc_bits = field(g, "HW_BITS", "ACC_BITS");
  hw_stream_bytes = field(g, "HW_BITS", "STREAM_BYTES");
  hw_acc_depth = field(g, "HW_DEPTHS", "ACC_DEPTH");
  hw_queue_depth = field(g, "HW_DEPTHS", "QUEUE_DEPTH");
  ctrl_push = field(g, "CTRL", "PUSH");
  ctrl_clear_counters = field(g, "CTRL", "CLEAR_COUNTERS");
  ctrl_clear_error = field(g, "CTRL", "CLEAR_ERROR");
  status_busy = field(g, "STATUS", "BUSY");
  status_queue_full = field(g, "STATUS", "QUEUE_FULL");
  status_error = field(g, "STATUS", "ERROR");
  status_queued = field(g, "STATUS", "QUEUED");
  status_tiles_done = field(g, "STATUS", "TILES_DONE");
  cause_input_length = field(g, "ERROR_CAUSE", "INPUT_LENGTH");
  cause_weight_length = field(g, "ERROR_CAUSE", "WEIGHT_LENGTH");
  cause_push_while_full = field(g, "ERROR_CAUSE", "PUSH_WHILE_FULL");
  cause_bad_descriptor = field(g, "ERROR_CAUSE", "BAD_DESCRIPTOR");
  cause_residual_length = field(g, "ERROR_CAUSE", "RESIDUAL_LENGTH");
  irq_enable = field(g, "IRQ", "ENABLE");
  irq_pending = field(g, "IRQ", "PENDING");
  descriptor_first = block_start(g, "descriptor").offset;
  descriptor_words = words_of(g, "descriptor");
  counters_first = block_start(g, "counters").offset;
  counters_words = words_of(g, "counters");
  const auto counter = [&](std::string_view lo) {
    return (find_register(g, lo).offset - counters_first) / 8;
  };
  cycles = counter("CYCLES_LO");
  macs = counter("MACS_LO");
  active = counter("ACTIVE_LO");
  stall_input = counter("STALL_INPUT_LO");
  stall_weight = counter("STALL_WEIGHT_LO");
  stall_output = counter("STALL_OUTPUT_LO");

  DescriptorFields& d = f_;
  d.in_w = whole(g, "IN_W");
  d.in_h = whole(g, "IN_H");
  d.in_c = whole(g, "IN_C");
  d.band_y0 = whole(g, "BAND_Y0");
  d.band_pixels = whole(g, "BAND_PIXELS");
  d.kh = field(g, "WINDOW", "KH");
  d.kw = field(g, "WINDOW", "KW");
  d.sh = field(g, "WINDOW", "SH");
  d.sw = field(g, "WINDOW", "SW");
  d.pad_top = field(g, "PAD", "TOP");
  d.pad_left = field(g, "PAD", "LEFT");
  d.out_w = whole(g, "OUT_W");
  d.out_c = whole(g, "OUT_C");
  d.tile_p0 = whole(g, "TILE_P0");
  d.tile_p = whole(g, "TILE_P");
  d.in_signed = field(g, "QUANT", "IN_SIGNED");
  d.out_signed = field(g, "QUANT", "OUT_SIGNED");
  d.activation = field(g, "QUANT", "ACTIVATION");
  d.leaky_shift = field(g, "QUANT", "LEAKY_SHIFT");
  d.in_bits = field(g, "QUANT", "IN_BITS");
  d.out_bits = field(g, "QUANT", "OUT_BITS");
  d.weight_bits = field(g, "QUANT", "WEIGHT_BITS");
  d.round_even = field(g, "QUANT", "ROUND_EVEN");
  d.in_zp = whole(g, "IN_ZP");
  d.out_zp = whole(g, "OUT_ZP");
  d.blocks = whole(g, "BLOCKS");
  d.passes = whole(g, "PASSES");
  d.chunks = whole(g, "CHUNKS");
  d.op = field(g, "MODE", "OP");
  d.clip = field(g, "MODE", "CLIP");
  d.pool_shift = field(g, "MODE", "POOL_SHIFT");
  d.group_cols = field(g, "MODE", "GROUP_COLS");
  d.group_chunks = field(g, "GROUP", "GROUP_CHUNKS");
  d.chunk_step = field(g, "GROUP", "CHUNK_STEP");
  d.clip_lo = field(g, "CLIP", "LO");
  d.clip_hi = field(g, "CLIP", "HI");
  d.pool_count = field(g, "POOL_COUNT", "COUNT");
  d.pool_magic = whole(g, "POOL_MAGIC");
  d.elt_enable = field(g, "ELT", "ENABLE");
  d.elt_activation = field(g, "ELT", "ACTIVATION");
  d.elt_leaky_shift = field(g, "ELT", "LEAKY_SHIFT");
  d.elt_round_even = field(g, "ELT", "ROUND_EVEN");
  d.y_bits = field(g, "ELT", "Y_BITS");
  d.y_signed = field(g, "ELT", "Y_SIGNED");
  d.b_bits = field(g, "ELT", "B_BITS");
  d.b_signed = field(g, "ELT", "B_SIGNED");
  d.elt_zb = field(g, "ELT_Z", "ZB");
  d.elt_zy = field(g, "ELT_Z", "ZY");
  d.elt_ma = whole(g, "ELT_MA");
  d.elt_mb = whole(g, "ELT_MB");
  d.elt_shift = field(g, "ELT_SHIFT", "SHIFT");
  d.fold = field(g, "FOLD", "F");
  d.reuse = field(g, "BAND", "REUSE");
  d.whole = field(g, "BAND", "WHOLE");
}

Descriptor Registers::decode(const std::vector<std::uint32_t>& w) const {
  const DescriptorFields& f = f_;
  const auto u = [&](const Field& x) { return x.get(word(w, x)); };
  const auto s = [&](const Field& x) { return x.get_signed(word(w, x)); };
  Descriptor d;
  d.in_w = u(f.in_w), d.in_h = u(f.in_h), d.in_c = u(f.in_c), d.band_y0 = u(f.band_y0);
  d.band_pixels = u(f.band_pixels);
  d.kh = u(f.kh), d.kw = u(f.kw), d.sh = u(f.sh), d.sw = u(f.sw), d.pad_top = u(f.pad_top);
  d.pad_left = u(f.pad_left);
  d.out_w = u(f.out_w), d.out_c = u(f.out_c), d.tile_p0 = u(f.tile_p0), d.tile_p = u(f.tile_p);
  d.in_signed = u(f.in_signed), d.out_signed = u(f.out_signed), d.round_even = u(f.round_even);
  d.activation = u(f.activation), d.leaky_shift = u(f.leaky_shift), d.in_bits = u(f.in_bits);
  d.out_bits = u(f.out_bits), d.weight_bits = u(f.weight_bits);
  d.in_zp = s(f.in_zp), d.out_zp = s(f.out_zp);
  d.blocks = u(f.blocks), d.passes = u(f.passes), d.chunks = u(f.chunks);
  d.op = u(f.op), d.pool_shift = u(f.pool_shift), d.clip = u(f.clip);
  d.group_cols = u(f.group_cols), d.group_chunks = u(f.group_chunks), d.chunk_step = u(f.chunk_step);
  d.clip_lo = s(f.clip_lo), d.clip_hi = s(f.clip_hi);
  d.pool_count = u(f.pool_count), d.pool_magic = u(f.pool_magic);
  d.elt = u(f.elt_enable), d.elt_round_even = u(f.elt_round_even), d.y_signed = u(f.y_signed);
  d.b_signed = u(f.b_signed), d.elt_activation = u(f.elt_activation),
  d.elt_leaky_shift = u(f.elt_leaky_shift);
  d.y_bits = u(f.y_bits), d.b_bits = u(f.b_bits), d.elt_shift = u(f.elt_shift);
  d.elt_zb = s(f.elt_zb), d.elt_zy = s(f.elt_zy), d.elt_ma = s(f.elt_ma), d.elt_mb = s(f.elt_mb);
  d.fold = std::max(1u, u(f.fold));
  d.reuse = u(f.reuse), d.whole = u(f.whole);
  return d;
}

std::string Registers::bad_descriptor(const Descriptor& d, const EngineShape& shape, bool pushed) const {
  if (d.tile_p == 0 || d.tile_p > static_cast<std::uint32_t>(shape.acc_depth))
    return "TILE_P 0 or above AccDepth";
  if (d.kh == 0 || d.kw == 0 || d.sh == 0 || d.sw == 0) return "a zero kernel or stride";
  if (d.in_w == 0 || d.in_c == 0 || d.band_pixels == 0 || d.out_w == 0 || d.out_c == 0 || d.blocks == 0 ||
      d.passes == 0 || d.chunks == 0)
    return "a zero size or count";
  if (d.op == 3 && (shape.dw_line_pixels == 0 || shape.rows > shape.cols || d.group_chunks != 0 ||
                    d.chunk_step != 0 || d.group_cols != 0))
    return "MODE.OP 3 without the depthwise feed, on Rows > Cols or with GROUP fields";
  if (d.fold > 1) {
    const bool conv = d.op == 0;
    const bool fits = d.fold <= static_cast<unsigned>(shape.fold_max) && shape.cols % d.fold == 0 &&
                      (conv ? d.group_chunks == 0 : d.fold * shape.rows <= static_cast<unsigned>(shape.cols));
    if (!fits) return "FOLD.F " + std::to_string(d.fold) + " the core cannot run";
  }
  if (d.reuse) return pushed ? "" : "BAND.REUSE before any tile";
  const std::uint64_t in_depth = static_cast<std::uint64_t>(shape.input_buffer_bytes / shape.rows);
  const unsigned bits = fit_bits(in_depth);
  const std::uint64_t low = (std::uint64_t{1} << bits) - 1;
  if (d.band_pixels > in_depth || d.chunks > in_depth) return "a band beyond the input buffer";
  const std::uint64_t band_words = (d.band_pixels & low) * (d.chunks & low);
  if (band_words > (d.whole ? in_depth : in_depth / 2)) return "a band beyond its storage";
  return "";
}

}  // namespace dnnvp::fast

// The fast engine's register window (docs/engine.md, "AXI4-Lite registers"), every offset and field looked
// up by name in the engine's region (platform/memory_map.yaml through the platform's tables), and the
// decoding of a staged descriptor into a tile's command, with the PUSH checks of rtl/dnn_regs.sv.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine_shape.h"
#include "register_spec.h"

namespace dnnvp::fast {

// One field of a register: its word offset and bits.
struct Field {
  std::uint32_t offset = 0;
  unsigned lsb = 0, width = 32;
  std::uint32_t get(std::uint32_t word) const {
    return width >= 32 ? word : (word >> lsb) & ((std::uint32_t{1} << width) - 1);
  }
  std::int32_t get_signed(std::uint32_t word) const {
    const std::uint32_t v = get(word);
    if (width >= 32) return static_cast<std::int32_t>(v);
    const std::uint32_t sign = std::uint32_t{1} << (width - 1);
    return static_cast<std::int32_t>(v ^ sign) - static_cast<std::int32_t>(sign);
  }
  std::uint32_t put(std::uint32_t value) const {
    return width >= 32 ? value : (value & ((std::uint32_t{1} << width) - 1)) << lsb;
  }
};

// A tile's command: the descriptor words decoded (the units' cmd_* fields).
struct Descriptor {
  std::uint32_t in_w = 0, in_h = 0, in_c = 0, band_y0 = 0, band_pixels = 0;
  unsigned kh = 0, kw = 0, sh = 0, sw = 0, pad_top = 0, pad_left = 0;
  std::uint32_t out_w = 0, out_c = 0, tile_p0 = 0, tile_p = 0;
  bool in_signed = false, out_signed = false, round_even = false;
  unsigned activation = 0, leaky_shift = 0, in_bits = 8, out_bits = 8, weight_bits = 8;
  std::int32_t in_zp = 0, out_zp = 0;
  std::uint32_t blocks = 0, passes = 0, chunks = 0;
  unsigned op = 0, pool_shift = 0;
  bool clip = false;
  std::uint32_t group_cols = 0, group_chunks = 0, chunk_step = 0;
  std::int32_t clip_lo = 0, clip_hi = 0;
  std::uint32_t pool_count = 0, pool_magic = 0;
  bool elt = false, elt_round_even = false, y_signed = false, b_signed = false;
  unsigned elt_activation = 0, elt_leaky_shift = 0, y_bits = 8, b_bits = 8, elt_shift = 0;
  std::int32_t elt_zb = 0, elt_zy = 0, elt_ma = 0, elt_mb = 0;
  unsigned fold = 1;  // FOLD.F, 0 read as 1
  bool reuse = false, whole = false;
};

class Registers {
 public:
  // Throws std::invalid_argument naming the region and the register or field it lacks.
  explicit Registers(const RegionInfo& region);

  const RegionInfo& region() const { return region_; }
  std::uint32_t id_reset = 0;
  std::uint32_t hw_array = 0, hw_bits = 0, hw_depths = 0, ctrl = 0, status = 0, error_cause = 0, irq = 0;
  Field hw_rows, hw_cols, hw_act_bits, hw_weight_bits, hw_acc_bits, hw_stream_bytes, hw_acc_depth,
      hw_queue_depth;
  Field ctrl_push, ctrl_clear_counters, ctrl_clear_error;
  Field status_busy, status_queue_full, status_error, status_queued, status_tiles_done;
  Field cause_input_length, cause_weight_length, cause_push_while_full, cause_bad_descriptor,
      cause_residual_length;
  Field irq_enable, irq_pending;
  std::uint32_t descriptor_first = 0, descriptor_words = 0;
  std::uint32_t counters_first = 0, counters_words = 0;
  // Counter index (counters block word / 2) of each counter.
  unsigned cycles = 0, macs = 0, active = 0, stall_input = 0, stall_weight = 0, stall_output = 0;

  // The staged descriptor words decoded.
  Descriptor decode(const std::vector<std::uint32_t>& words) const;
  // Why rtl/dnn_regs.sv refuses a PUSH of `d` (BAD_DESCRIPTOR), or "" when it runs; `pushed`: a tile was
  // pushed since reset. The band check uses the low bits of each factor as the RTL does.
  std::string bad_descriptor(const Descriptor& d, const EngineShape& shape, bool pushed) const;

 private:
  const RegionInfo& region_;
  std::uint32_t word(const std::vector<std::uint32_t>& words, const Field& f) const {
    return words[(f.offset - descriptor_first) / 4];
  }
  struct DescriptorFields {
    Field in_w, in_h, in_c, band_y0, band_pixels, kh, kw, sh, sw, pad_top, pad_left, out_w, out_c, tile_p0,
        tile_p, in_signed, out_signed, activation, leaky_shift, in_bits, out_bits, weight_bits, round_even,
        in_zp, out_zp, blocks, passes, chunks, op, clip, pool_shift, group_cols, group_chunks, chunk_step,
        clip_lo, clip_hi, pool_count, pool_magic, elt_enable, elt_activation, elt_leaky_shift, elt_round_even,
        y_bits, y_signed, b_bits, b_signed, elt_zb, elt_zy, elt_ma, elt_mb, elt_shift, fold, reuse, whole;
  } f_;
};

}  // namespace dnnvp::fast

#include "dnn_engine.h"

#include <stddef.h>

#include "dnnvp_hal.h"

static void write_reg(const dnn_engine_t *e, uint32_t offset, uint32_t value) {
  hal_write32(e->base + offset, value);
}

static uint32_t read_reg(const dnn_engine_t *e, uint32_t offset) { return hal_read32(e->base + offset); }

/* A field value placed in its register word, and read back: FIELD(WINDOW_KH, 3). Values are not masked:
 * model.h's fit their fields, and a mask would cost instructions in every tile's set-up. */
#define FIELD(name, value) ((uint32_t)(value) << DNNVP_ENGINE_##name##_SHIFT)
#define GET_FIELD(name, word) (((word) & DNNVP_ENGINE_##name##_MASK) >> DNNVP_ENGINE_##name##_SHIFT)

/* Bytes holding `count` values of `bits` (two per byte up to 4 bits). */
static uint32_t packed_bytes(uint32_t count, uint32_t bits) {
  return bits <= 4u ? (count + 1u) / 2u : count;
}

/* The values [first, first + count) of a packed tensor as whole bytes: offset and length. At 4 bits
 * an odd first value sits in the high nibble of its byte; the transfer starts at that byte (the
 * engine knows to skip or repeat the low nibble: docs/engine.md "Nibble starts"). */
static void byte_span(uint32_t first, uint32_t count, uint32_t bits, uint32_t *offset, uint32_t *bytes) {
  const uint32_t mid = bits <= 4u ? first & 1u : 0u;
  *offset = packed_bytes(first - mid, bits);
  *bytes = packed_bytes(mid + count, bits);
}

/* Where each mode word goes, in the order of dnn_engine_t::mode. */
static const uint32_t mode_offsets[DNN_ENGINE_MODE_WORDS] = {
    DNNVP_ENGINE_MODE_OFFSET,       DNNVP_ENGINE_GROUP_OFFSET, DNNVP_ENGINE_CLIP_OFFSET,
    DNNVP_ENGINE_POOL_COUNT_OFFSET, DNNVP_ENGINE_POOL_MAGIC_OFFSET, DNNVP_ENGINE_ELT_OFFSET,
    DNNVP_ENGINE_ELT_Z_OFFSET,      DNNVP_ENGINE_ELT_MA_OFFSET, DNNVP_ENGINE_ELT_MB_OFFSET,
    DNNVP_ENGINE_ELT_SHIFT_OFFSET};

dnn_status_t dnn_engine_init(dnn_engine_t *e, uintptr_t base) {
  e->base = base;
  if (read_reg(e, DNNVP_ENGINE_ID_OFFSET) != DNNVP_ENGINE_ID_RESET) return DNN_ERR_NOT_FOUND;
  const uint32_t array = read_reg(e, DNNVP_ENGINE_HW_ARRAY_OFFSET);
  e->rows = GET_FIELD(HW_ARRAY_ROWS, array);
  e->cols = GET_FIELD(HW_ARRAY_COLS, array);
  e->acc_depth = GET_FIELD(HW_DEPTHS_ACC_DEPTH, read_reg(e, DNNVP_ENGINE_HW_DEPTHS_OFFSET));
  e->stream_bytes = GET_FIELD(HW_BITS_STREAM_BYTES, read_reg(e, DNNVP_ENGINE_HW_BITS_OFFSET));
  /* The mode words at their reset values (a dense convolution): written only when a layer needs others,
   * so a network without modes costs no register access more than before they existed. */
  for (uint32_t i = 0; i < DNN_ENGINE_MODE_WORDS; ++i) e->mode[i] = 0u;
  e->row_modes_set = e->add_set = 0;
  e->fold = e->band = 0u;
  return DNN_OK;
}

/* Option B (row_step s > 1, a 1-row kernel with stride s): the engine sees every s-th input row only,
 * H' = ceil(H / s) rows at stride 1; the runtime gathers them (docs/firmware.md "Row-skipping bands"). */
static uint32_t row_step(const dnnvp_layer_t *l) { return l->row_step > 1u ? l->row_step : 1u; }

/* Writes mode words [first, first + count) that differ from the last values written. */
static void write_modes(dnn_engine_t *e, uint32_t first, uint32_t count, const uint32_t *w) {
  for (uint32_t i = 0; i < count; ++i) {
    if (w[i] == e->mode[first + i]) continue;
    write_reg(e, mode_offsets[first + i], w[i]);
    e->mode[first + i] = w[i];
  }
}

dnn_status_t dnn_engine_set_layer(dnn_engine_t *e, const dnnvp_layer_t *l) {
  /* A CPU layer's row has no plan (tile_pixels 0), so this also refuses every layer that does not run on
   * the engine; testing the type as well would cost every engine layer the instructions that writing
   * QUANT.ROUND_EVEN costs (the zoo's reports fix them cycle for cycle). */
  if (l->tile_pixels == 0u || l->tile_pixels > e->acc_depth) return DNN_ERR_BAD_LAYER;
  const uint32_t s = row_step(l);
  write_reg(e, DNNVP_ENGINE_IN_W_OFFSET, l->in_shape.w);
  write_reg(e, DNNVP_ENGINE_IN_H_OFFSET, (l->in_shape.h + s - 1u) / s);
  write_reg(e, DNNVP_ENGINE_IN_C_OFFSET, l->in_shape.c);
  write_reg(e, DNNVP_ENGINE_WINDOW_OFFSET, FIELD(WINDOW_KH, l->kernel_h) | FIELD(WINDOW_KW, l->kernel_w) |
                                               FIELD(WINDOW_SH, s > 1u ? 1u : l->stride_h) |
                                               FIELD(WINDOW_SW, l->stride_w));
  write_reg(e, DNNVP_ENGINE_PAD_OFFSET, FIELD(PAD_TOP, l->pad_top) | FIELD(PAD_LEFT, l->pad_left));
  write_reg(e, DNNVP_ENGINE_OUT_W_OFFSET, l->out_shape.w);
  write_reg(e, DNNVP_ENGINE_OUT_C_OFFSET, l->out_shape.c);
  write_reg(e, DNNVP_ENGINE_QUANT_OFFSET,
            FIELD(QUANT_IN_SIGNED, l->in_q[0].is_signed) | FIELD(QUANT_OUT_SIGNED, l->out_q.is_signed) |
                FIELD(QUANT_ACTIVATION, l->activation) | FIELD(QUANT_LEAKY_SHIFT, l->leaky_shift) |
                FIELD(QUANT_IN_BITS, l->in_q[0].bits) | FIELD(QUANT_OUT_BITS, l->out_q.bits) |
                FIELD(QUANT_WEIGHT_BITS, l->weight_q.bits) | FIELD(QUANT_ROUND_EVEN, l->rounding));
  write_reg(e, DNNVP_ENGINE_IN_ZP_OFFSET, (uint32_t)(int32_t)l->in_q[0].zero_point);
  write_reg(e, DNNVP_ENGINE_OUT_ZP_OFFSET, (uint32_t)(int32_t)l->out_q.zero_point);
  write_reg(e, DNNVP_ENGINE_BLOCKS_OFFSET, l->blocks);
  write_reg(e, DNNVP_ENGINE_PASSES_OFFSET, l->passes);
  write_reg(e, DNNVP_ENGINE_CHUNKS_OFFSET, l->chunks);
  /* FOLD only when it changes (0 and 1 both mean no fold): an unfolded network writes what it wrote
   * before the register existed. */
  const uint32_t fold = l->fold > 1u ? l->fold : 0u;
  if (fold != e->fold) {
    write_reg(e, DNNVP_ENGINE_FOLD_OFFSET, FIELD(FOLD_F, fold));
    e->fold = fold;
  }
  /* BAND.WHOLE for every tile of a band_whole layer (option F), likewise only when it changes. */
  const uint32_t band = FIELD(BAND_WHOLE, l->band_whole != 0u);
  if (band != e->band) {
    write_reg(e, DNNVP_ENGINE_BAND_OFFSET, band);
    e->band = band;
  }
  /* A dense convolution after dense convolutions: nothing to write, and no words to compute (the CPU's
   * time before the first push is part of every layer's). */
  const int plain = (l->engine_op | l->clip | l->group_chunks | l->chunk_step | l->group_cols | l->pool_count |
                     l->pool_shift | l->pool_magic) == 0u;
  if (plain && !e->row_modes_set) return DNN_OK;
  e->row_modes_set = !plain;
  const uint32_t w[DNN_ENGINE_ROW_MODE_WORDS] = {
      FIELD(MODE_OP, l->engine_op) | FIELD(MODE_CLIP, l->clip) | FIELD(MODE_POOL_SHIFT, l->pool_shift) |
          FIELD(MODE_GROUP_COLS, l->group_cols),
      FIELD(GROUP_GROUP_CHUNKS, l->group_chunks) | FIELD(GROUP_CHUNK_STEP, l->chunk_step),
      /* The limits are signed 16-bit fields. */
      FIELD(CLIP_LO, (uint16_t)l->clip_lo) | FIELD(CLIP_HI, (uint16_t)l->clip_hi),
      FIELD(POOL_COUNT_COUNT, l->pool_count), l->pool_magic};
  write_modes(e, 0u, DNN_ENGINE_ROW_MODE_WORDS, w);
  return DNN_OK;
}

void dnn_engine_set_add(dnn_engine_t *e, const dnnvp_layer_t *add, uint32_t a_slot) {
  if (add == NULL && !e->add_set) return;
  e->add_set = add != NULL;
  uint32_t w[DNN_ENGINE_MODE_WORDS - DNN_ENGINE_ROW_MODE_WORDS] = {0u, 0u, 0u, 0u, 0u};
  if (add != NULL) {
    const uint32_t b = 1u - a_slot;
    w[0] = FIELD(ELT_ENABLE, 1u) | FIELD(ELT_ACTIVATION, add->activation) |
           FIELD(ELT_LEAKY_SHIFT, add->leaky_shift) | FIELD(ELT_ROUND_EVEN, add->rounding) |
           FIELD(ELT_Y_BITS, add->out_q.bits) | FIELD(ELT_Y_SIGNED, add->out_q.is_signed) |
           FIELD(ELT_B_BITS, add->in_q[b].bits) | FIELD(ELT_B_SIGNED, add->in_q[b].is_signed);
    w[1] = FIELD(ELT_Z_ZB, (uint16_t)add->in_q[b].zero_point) | FIELD(ELT_Z_ZY, (uint16_t)add->out_q.zero_point);
    w[2] = (uint32_t)add->param[a_slot];
    w[3] = (uint32_t)add->param[b];
    w[4] = FIELD(ELT_SHIFT_SHIFT, add->add_shift);
  }
  write_modes(e, DNN_ENGINE_ROW_MODE_WORDS, DNN_ENGINE_MODE_WORDS - DNN_ENGINE_ROW_MODE_WORDS, w);
}

void dnn_engine_plan_tile(const dnnvp_layer_t *l, uint32_t t, dnn_tile_t *tile) {
  const uint32_t out_pixels = l->out_shape.h * l->out_shape.w;
  tile->p0 = t * l->tile_pixels;
  tile->pixels = out_pixels - tile->p0 < l->tile_pixels ? out_pixels - tile->p0 : l->tile_pixels;
  /* Input rows the tile's first and last output rows touch, clipped to the image. */
  /* With row_step s the rows are the engine's (every s-th input row, stride 1). */
  const uint32_t s = row_step(l);
  const int32_t stride = s > 1u ? 1 : (int32_t)l->stride_h;
  const int32_t in_h = (int32_t)((l->in_shape.h + s - 1u) / s);
  const int32_t oy_first = (int32_t)(tile->p0 / l->out_shape.w);
  const int32_t oy_last = (int32_t)((tile->p0 + tile->pixels - 1u) / l->out_shape.w);
  int32_t y_lo = oy_first * stride - (int32_t)l->pad_top;
  int32_t y_hi = oy_last * stride - (int32_t)l->pad_top + (int32_t)l->kernel_h - 1;
  if (y_lo < 0) y_lo = 0;
  if (y_hi > in_h - 1) y_hi = in_h - 1;
  tile->band_y0 = (uint32_t)y_lo;
  tile->band_rows = (uint32_t)(y_hi - y_lo + 1);
  tile->band_pixels = tile->band_rows * l->in_shape.w;
  const uint32_t row_values = l->in_shape.w * l->in_shape.c;
  /* in_offset: the band's first row in DRAM; in_bytes: what the engine receives (gathered rows). */
  byte_span(tile->band_y0 * s * row_values, tile->band_rows * row_values, l->in_q[0].bits, &tile->in_offset,
            &tile->in_bytes);
  byte_span(tile->p0 * l->out_shape.c, tile->pixels * l->out_shape.c, l->out_q.bits, &tile->out_offset,
            &tile->out_bytes);
}

/* Output channels per block: Cols / F. */
static uint32_t block_lanes(const dnn_engine_t *e, const dnnvp_layer_t *l) {
  return e->cols / (l->fold > 1u ? l->fold : 1u);
}

uint32_t dnn_engine_groups(const dnnvp_layer_t *l) {
  return l->block_group != 0u ? (l->blocks + l->block_group - 1u) / l->block_group : 1u;
}

void dnn_engine_plan_group(const dnn_engine_t *e, const dnnvp_layer_t *l, uint32_t g, dnn_group_t *group) {
  if (l->block_group == 0u) {
    group->c0 = group->blob_offset = 0u;
    group->out_c = l->out_shape.c;
    group->blocks = l->blocks;
    group->blob_bytes = l->blob_bytes;
    return;
  }
  const uint32_t lanes = block_lanes(e, l);
  const uint32_t block_bytes = l->blob_bytes / l->blocks;
  const uint32_t first = g * l->block_group;
  const uint32_t left = l->out_shape.c - first * lanes;
  group->c0 = first * lanes;
  group->out_c = left < l->block_group * lanes ? left : l->block_group * lanes;
  group->blocks = (group->out_c + lanes - 1u) / lanes;
  group->blob_offset = first * block_bytes;
  group->blob_bytes = group->blocks * block_bytes;
}

void dnn_engine_set_group(dnn_engine_t *e, const dnnvp_layer_t *l, const dnn_group_t *group, uint32_t g) {
  write_reg(e, DNNVP_ENGINE_OUT_C_OFFSET, group->out_c);
  write_reg(e, DNNVP_ENGINE_BLOCKS_OFFSET, group->blocks);
  const uint32_t band = FIELD(BAND_WHOLE, l->band_whole != 0u) | FIELD(BAND_REUSE, g != 0u);
  if (band != e->band) {
    write_reg(e, DNNVP_ENGINE_BAND_OFFSET, band);
    e->band = band;
  }
}

dnn_status_t dnn_engine_push_tile(const dnn_engine_t *e, const dnn_tile_t *tile, uint32_t max_polls) {
  uint32_t polls = 0;
  uint32_t status;
  while ((status = read_reg(e, DNNVP_ENGINE_STATUS_OFFSET)) & DNNVP_ENGINE_STATUS_QUEUE_FULL_MASK) {
    if (++polls > max_polls) return DNN_ERR_TIMEOUT;
  }
  if (status & DNNVP_ENGINE_STATUS_ERROR_MASK) return DNN_ERR_ENGINE;
  write_reg(e, DNNVP_ENGINE_TILE_P0_OFFSET, tile->p0);
  write_reg(e, DNNVP_ENGINE_TILE_P_OFFSET, tile->pixels);
  write_reg(e, DNNVP_ENGINE_BAND_Y0_OFFSET, tile->band_y0);
  write_reg(e, DNNVP_ENGINE_BAND_PIXELS_OFFSET, tile->band_pixels);
  write_reg(e, DNNVP_ENGINE_CTRL_OFFSET, DNNVP_ENGINE_CTRL_PUSH_MASK);
  return (read_reg(e, DNNVP_ENGINE_STATUS_OFFSET) & DNNVP_ENGINE_STATUS_ERROR_MASK) ? DNN_ERR_ENGINE : DNN_OK;
}

dnn_status_t dnn_engine_wait_idle(const dnn_engine_t *e, uint32_t max_polls) {
  for (uint32_t polls = 0; polls <= max_polls; ++polls) {
    const uint32_t status = read_reg(e, DNNVP_ENGINE_STATUS_OFFSET);
    if (status & DNNVP_ENGINE_STATUS_ERROR_MASK) return DNN_ERR_ENGINE;
    if (!(status & DNNVP_ENGINE_STATUS_BUSY_MASK)) return DNN_OK;
  }
  return DNN_ERR_TIMEOUT;
}

uint32_t dnn_engine_error_cause(const dnn_engine_t *e) {
  return read_reg(e, DNNVP_ENGINE_ERROR_CAUSE_OFFSET);
}

void dnn_engine_clear(const dnn_engine_t *e) {
  write_reg(e, DNNVP_ENGINE_CTRL_OFFSET,
            DNNVP_ENGINE_CTRL_CLEAR_COUNTERS_MASK | DNNVP_ENGINE_CTRL_CLEAR_ERROR_MASK);
}

void dnn_engine_irq_enable(const dnn_engine_t *e, int on) {
  write_reg(e, DNNVP_ENGINE_IRQ_OFFSET, on ? DNNVP_ENGINE_IRQ_ENABLE_MASK : 0u);
}

void dnn_engine_irq_clear(const dnn_engine_t *e) {
  write_reg(e, DNNVP_ENGINE_IRQ_OFFSET, DNNVP_ENGINE_IRQ_ENABLE_MASK | DNNVP_ENGINE_IRQ_PENDING_MASK);
}

void dnn_engine_read_counters(const dnn_engine_t *e, dnn_counters_t *c) {
  /* The counters block holds LO/HI pairs in the order of dnn_counters_t. */
  enum {
    STRIDE = DNNVP_ENGINE_MACS_LO_OFFSET - DNNVP_ENGINE_CYCLES_LO_OFFSET,
    HI = DNNVP_ENGINE_CYCLES_HI_OFFSET - DNNVP_ENGINE_CYCLES_LO_OFFSET
  };
  uint64_t *fields[] = {&c->cycles, &c->macs, &c->active, &c->stall_input, &c->stall_weight, &c->stall_output};
  for (uint32_t i = 0; i < DNNVP_ENGINE_COUNTERS_WORDS / 2u; ++i) {
    const uint32_t lo = read_reg(e, DNNVP_ENGINE_CYCLES_LO_OFFSET + STRIDE * i); /* latches the high word */
    const uint32_t hi = read_reg(e, DNNVP_ENGINE_CYCLES_LO_OFFSET + STRIDE * i + HI);
    *fields[i] = (uint64_t)hi << 32 | lo;
  }
}

uint64_t dnn_engine_read_macs(const dnn_engine_t *e) {
  const uint32_t lo = read_reg(e, DNNVP_ENGINE_MACS_LO_OFFSET); /* latches the high word */
  return (uint64_t)read_reg(e, DNNVP_ENGINE_MACS_HI_OFFSET) << 32 | lo;
}

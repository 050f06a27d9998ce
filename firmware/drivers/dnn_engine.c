#include "dnn_engine.h"

#include "dnnvp_hal.h"

static void write_reg(const dnn_engine_t *e, uint32_t offset, uint32_t value) {
  hal_write32(e->base + offset, value);
}

static uint32_t read_reg(const dnn_engine_t *e, uint32_t offset) { return hal_read32(e->base + offset); }

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

dnn_status_t dnn_engine_init(dnn_engine_t *e, uintptr_t base) {
  e->base = base;
  if (read_reg(e, DNN_REG_ID) != DNN_ENGINE_ID) return DNN_ERR_NOT_FOUND;
  const uint32_t array = read_reg(e, DNN_REG_HW_ARRAY);
  e->rows = array & 0xFFFFu;
  e->cols = array >> 16;
  e->acc_depth = read_reg(e, DNN_REG_HW_DEPTHS) & 0xFFFFu;
  e->stream_bytes = read_reg(e, DNN_REG_HW_BITS) >> 24;
  return DNN_OK;
}

dnn_status_t dnn_engine_set_layer(const dnn_engine_t *e, const dnnvp_layer_t *l) {
  if (!dnnvp_layer_on_engine(l->type)) return DNN_ERR_BAD_LAYER;
  if (l->tile_pixels == 0u || l->tile_pixels > e->acc_depth) return DNN_ERR_BAD_LAYER;
  write_reg(e, DNN_REG_IN_W, l->in_shape.w);
  write_reg(e, DNN_REG_IN_H, l->in_shape.h);
  write_reg(e, DNN_REG_IN_C, l->in_shape.c);
  write_reg(e, DNN_REG_WINDOW, (uint32_t)l->kernel_h | (uint32_t)l->kernel_w << 8 |
                                   (uint32_t)l->stride_h << 16 | (uint32_t)l->stride_w << 24);
  write_reg(e, DNN_REG_PAD, (uint32_t)l->pad_top | (uint32_t)l->pad_left << 8);
  write_reg(e, DNN_REG_OUT_W, l->out_shape.w);
  write_reg(e, DNN_REG_OUT_C, l->out_shape.c);
  write_reg(e, DNN_REG_QUANT, (uint32_t)l->in_q[0].is_signed | (uint32_t)l->out_q.is_signed << 1 |
                                  (uint32_t)l->activation << 2 | (uint32_t)l->leaky_shift << 4 |
                                  (uint32_t)l->in_q[0].bits << 8 | (uint32_t)l->out_q.bits << 12 |
                                  (uint32_t)l->weight_q.bits << 16);
  write_reg(e, DNN_REG_IN_ZP, (uint32_t)(int32_t)l->in_q[0].zero_point);
  write_reg(e, DNN_REG_OUT_ZP, (uint32_t)(int32_t)l->out_q.zero_point);
  write_reg(e, DNN_REG_BLOCKS, l->blocks);
  write_reg(e, DNN_REG_PASSES, l->passes);
  write_reg(e, DNN_REG_CHUNKS, l->chunks);
  return DNN_OK;
}

void dnn_engine_plan_tile(const dnnvp_layer_t *l, uint32_t t, dnn_tile_t *tile) {
  const uint32_t out_pixels = l->out_shape.h * l->out_shape.w;
  tile->p0 = t * l->tile_pixels;
  tile->pixels = out_pixels - tile->p0 < l->tile_pixels ? out_pixels - tile->p0 : l->tile_pixels;
  /* Input rows the tile's first and last output rows touch, clipped to the image. */
  const int32_t oy_first = (int32_t)(tile->p0 / l->out_shape.w);
  const int32_t oy_last = (int32_t)((tile->p0 + tile->pixels - 1u) / l->out_shape.w);
  int32_t y_lo = oy_first * (int32_t)l->stride_h - (int32_t)l->pad_top;
  int32_t y_hi = oy_last * (int32_t)l->stride_h - (int32_t)l->pad_top + (int32_t)l->kernel_h - 1;
  if (y_lo < 0) y_lo = 0;
  if (y_hi > (int32_t)l->in_shape.h - 1) y_hi = (int32_t)l->in_shape.h - 1;
  tile->band_y0 = (uint32_t)y_lo;
  tile->band_rows = (uint32_t)(y_hi - y_lo + 1);
  tile->band_pixels = tile->band_rows * l->in_shape.w;
  const uint32_t row_values = l->in_shape.w * l->in_shape.c;
  byte_span(tile->band_y0 * row_values, tile->band_rows * row_values, l->in_q[0].bits, &tile->in_offset,
            &tile->in_bytes);
  byte_span(tile->p0 * l->out_shape.c, tile->pixels * l->out_shape.c, l->out_q.bits, &tile->out_offset,
            &tile->out_bytes);
}

dnn_status_t dnn_engine_push_tile(const dnn_engine_t *e, const dnn_tile_t *tile, uint32_t max_polls) {
  uint32_t polls = 0;
  uint32_t status;
  while ((status = read_reg(e, DNN_REG_STATUS)) & DNN_STATUS_QUEUE_FULL) {
    if (++polls > max_polls) return DNN_ERR_TIMEOUT;
  }
  if (status & DNN_STATUS_ERROR) return DNN_ERR_ENGINE;
  write_reg(e, DNN_REG_TILE_P0, tile->p0);
  write_reg(e, DNN_REG_TILE_P, tile->pixels);
  write_reg(e, DNN_REG_BAND_Y0, tile->band_y0);
  write_reg(e, DNN_REG_BAND_PIXELS, tile->band_pixels);
  write_reg(e, DNN_REG_CTRL, DNN_CTRL_PUSH);
  return (read_reg(e, DNN_REG_STATUS) & DNN_STATUS_ERROR) ? DNN_ERR_ENGINE : DNN_OK;
}

dnn_status_t dnn_engine_wait_idle(const dnn_engine_t *e, uint32_t max_polls) {
  for (uint32_t polls = 0; polls <= max_polls; ++polls) {
    const uint32_t status = read_reg(e, DNN_REG_STATUS);
    if (status & DNN_STATUS_ERROR) return DNN_ERR_ENGINE;
    if (!(status & DNN_STATUS_BUSY)) return DNN_OK;
  }
  return DNN_ERR_TIMEOUT;
}

uint32_t dnn_engine_error_cause(const dnn_engine_t *e) { return read_reg(e, DNN_REG_ERROR_CAUSE); }

void dnn_engine_clear(const dnn_engine_t *e) {
  write_reg(e, DNN_REG_CTRL, DNN_CTRL_CLEAR_COUNTERS | DNN_CTRL_CLEAR_ERROR);
}

void dnn_engine_read_counters(const dnn_engine_t *e, dnn_counters_t *c) {
  uint64_t *fields[] = {&c->cycles, &c->macs, &c->active, &c->stall_input, &c->stall_weight, &c->stall_output};
  for (uint32_t i = 0; i < 6u; ++i) {
    const uint32_t lo = read_reg(e, DNN_REG_COUNTERS + 8u * i); /* latches the high word */
    const uint32_t hi = read_reg(e, DNN_REG_COUNTERS + 8u * i + 4u);
    *fields[i] = (uint64_t)hi << 32 | lo;
  }
}

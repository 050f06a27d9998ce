/* Driver of the DNN engine (docs/engine.md): layer configuration, tile planning and the tile
 * queue. DMA transfers of bands, weight blobs and outputs are the caller's (runtime's) job; this
 * driver tells it what each tile needs. C11, freestanding, no allocation. */
#ifndef DNN_ENGINE_H
#define DNN_ENGINE_H

#include <stdint.h>

/* The engine's registers: DNNVP_ENGINE_<REGISTER>_OFFSET, _<FIELD>_SHIFT/_MASK, generated from
 * platform/memory_map.yaml (docs/engine.md "AXI4-Lite registers"). dnn_engine_error_cause() returns
 * ERROR_CAUSE, whose bits are DNNVP_ENGINE_ERROR_CAUSE_*_MASK. */
#include "dnnvp_memory_map.h"
#include "dnnvp_model_types.h"

typedef enum {
  DNN_OK = 0,
  DNN_ERR_NOT_FOUND,     /* no engine at the base address (ID mismatch) */
  DNN_ERR_TIMEOUT,       /* the engine did not make progress within the polling budget */
  DNN_ERR_ENGINE,        /* the engine flagged an error; see dnn_engine_error_cause() */
  DNN_ERR_BAD_LAYER      /* the layer has no engine plan (a CPU layer's row) or tiles too long */
} dnn_status_t;

/* The descriptor words of the engine's modes (MODE, GROUP, CLIP, POOL_COUNT, POOL_MAGIC from the layer's
 * row; ELT, ELT_Z, ELT_MA, ELT_MB, ELT_SHIFT of a fused Add); all 0 is a dense convolution. */
#define DNN_ENGINE_MODE_WORDS 10u
#define DNN_ENGINE_ROW_MODE_WORDS 5u

typedef struct {
  uintptr_t base;
  uint32_t rows, cols, acc_depth, stream_bytes;
  /* The mode words as last written: set_layer writes only those that change, so a network of dense
   * convolutions writes exactly the registers it wrote before the modes existed. */
  uint32_t mode[DNN_ENGINE_MODE_WORDS];
  uint8_t row_modes_set, add_set; /* some row / Add word of mode[] is not 0 */
  uint32_t fold;                   /* FOLD.F as last written (0: no fold, its reset value) */
  uint32_t band;                   /* BAND as last written (0: its reset value) */
} dnn_engine_t;

/* One tile: which output pixels, which input rows, and where their bytes live relative to the
 * start of the input and output tensors. Input rows are the engine's: with row_step s > 1 band row k is
 * DRAM row (band_y0 + k) * s, in_offset the first one's offset and in_bytes the gathered rows' bytes. */
typedef struct {
  uint32_t p0, pixels;
  uint32_t band_y0, band_rows, band_pixels;
  uint32_t in_offset, in_bytes;
  uint32_t out_offset, out_bytes;
} dnn_tile_t;

typedef struct {
  uint64_t cycles, macs, active, stall_input, stall_weight, stall_output;
} dnn_counters_t;

/* Checks the ID and reads the array's parameters. The mode words are taken to hold their reset values
 * (0: a dense convolution); the driver is their only writer. */
dnn_status_t dnn_engine_init(dnn_engine_t *e, uintptr_t base);
/* Writes the registers every tile of the layer shares (QUANT.ROUND_EVEN: the row's rounding; IN_H and
 * WINDOW.SH of a row_step layer: ceil(H / row_step) rows at stride 1; FOLD.F: the row's fold; BAND.WHOLE:
 * the row's band_whole) and the
 * mode words of the row (MODE .. POOL_MAGIC from engine_op, clip*, group_*, pool_*). */
dnn_status_t dnn_engine_set_layer(dnn_engine_t *e, const dnnvp_layer_t *layer);
/* The fused Add the layer runs on its output stream (ELT .. ELT_SHIFT), from the Add's row: operand a,
 * the layer's own output, is the Add's input a_slot (0 or 1), operand b the other. add NULL: none (the
 * stage passes the output unchanged). Call it after set_layer, before the layer's first push. */
void dnn_engine_set_add(dnn_engine_t *e, const dnnvp_layer_t *add, uint32_t a_slot);
/* Tile t (0 .. layer->num_tiles - 1) of the layer. */
void dnn_engine_plan_tile(const dnnvp_layer_t *layer, uint32_t t, dnn_tile_t *tile);
/* Block-group tiles (a row with block_group G > 0, docs/firmware.md "Block-group tiles"): group g of a
 * pixel tile covers output channels c0 .. c0 + out_c - 1 in `blocks` blocks of Cols / F channels, and its
 * weights are the blob's run of those blocks (`blob_offset`, `blob_bytes`: the blob is block-major). */
typedef struct {
  uint32_t c0, out_c, blocks;
  uint32_t blob_offset, blob_bytes;
} dnn_group_t;

/* The number of groups of the row's pixel tiles (1 without block_group). */
uint32_t dnn_engine_groups(const dnnvp_layer_t *layer);
/* Group g (0 .. dnn_engine_groups - 1). */
void dnn_engine_plan_group(const dnn_engine_t *e, const dnnvp_layer_t *layer, uint32_t g, dnn_group_t *group);
/* Before pushing group g of a pixel tile: OUT_C and BLOCKS of the group, and BAND.REUSE for g > 0 (the
 * group computes on the band its pixel tile's group 0 loaded; BAND written only when it changes). The next
 * set_layer writes OUT_C, BLOCKS and BAND back to the layer's. */
void dnn_engine_set_group(dnn_engine_t *e, const dnnvp_layer_t *layer, const dnn_group_t *group, uint32_t g);
/* Queues a tile; polls at most max_polls times for a free queue slot. */
dnn_status_t dnn_engine_push_tile(const dnn_engine_t *e, const dnn_tile_t *tile, uint32_t max_polls);
dnn_status_t dnn_engine_wait_idle(const dnn_engine_t *e, uint32_t max_polls);
uint32_t dnn_engine_error_cause(const dnn_engine_t *e);
void dnn_engine_clear(const dnn_engine_t *e);
/* The tile-done interrupt (IRQ.ENABLE; the line stays high while IRQ.PENDING is set). */
void dnn_engine_irq_enable(const dnn_engine_t *e, int on);
/* Clears IRQ.PENDING (write 1), keeping IRQ.ENABLE. */
void dnn_engine_irq_clear(const dnn_engine_t *e);
void dnn_engine_read_counters(const dnn_engine_t *e, dnn_counters_t *c);
/* The MACS counter alone (two register reads instead of twelve). */
uint64_t dnn_engine_read_macs(const dnn_engine_t *e);

#endif /* DNN_ENGINE_H */

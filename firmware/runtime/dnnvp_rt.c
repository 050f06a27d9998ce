/* The dnn-vp runtime (dnnvp_rt.h). Engine layers are streamed tile by tile with the DMAs kept busy;
 * CPU layers call the operations in ops/. See docs/firmware.md for the tile pipeline and why it cannot
 * deadlock.
 *
 * dnnvp_rt_irq.c compiles this file a second time with DNNVP_RT_SLEEP 1: the tile loop then ends a round
 * without progress in wfi, and the run it serves is dnnvp_rt_run_irq (the functions outside the run are
 * this translation unit's only). The polling build's preprocessed text is the same as before interrupts
 * existed, so it compiles to exactly the same instructions (the zoo's reports fix its cycles). */
#ifndef DNNVP_RT_SLEEP
#define DNNVP_RT_SLEEP 0
#endif
#if DNNVP_RT_SLEEP
#define dnnvp_rt_run dnnvp_rt_run_irq
#endif
#include "dnnvp_rt.h"

#include <stddef.h>

#include "dnnvp_hal.h"
#include "dnnvp_ops.h"

/* Idle iterations of the tile loop between two checks of the engine's error flag. */
#define ENGINE_CHECK_INTERVAL 1024u

static dnnvp_rt_status_t fail(dnnvp_rt_t *rt, dnnvp_rt_status_t status, uint32_t tile, const char *what,
                              uint32_t detail) {
  if (rt->error == DNNVP_RT_OK) {
    rt->error = status;
    rt->error_tile = tile;
    rt->error_what = what;
    rt->error_detail = detail;
  }
  return status;
}

/* Tells the platform which layer starts (config.layer_mark_addr). */
static void mark(const dnnvp_rt_t *rt, uint32_t value) {
  if (rt->config.layer_mark_addr != 0u) hal_write32(rt->config.layer_mark_addr, value);
}

static uint8_t *cpu_ptr(const dnnvp_rt_t *rt, uint32_t addr) {
  return (uint8_t *)((uintptr_t)addr + rt->config.cpu_offset);
}

#if !DNNVP_RT_SLEEP
uint64_t dnnvp_rt_cycles(const dnnvp_rt_t *rt) {
  if (rt->config.timer_base == 0u) return 0u;
  const uint32_t lo = hal_read32(rt->config.timer_base); /* latches HI */
  const uint32_t hi = hal_read32(rt->config.timer_base + 4u);
  return (uint64_t)hi << 32 | lo;
}

dnnvp_rt_status_t dnnvp_rt_init(dnnvp_rt_t *rt, const dnnvp_rt_config_t *cfg) {
  if (rt == NULL || cfg == NULL) return DNNVP_RT_ERR_ARG;
  rt->config = *cfg;
  rt->error = DNNVP_RT_OK;
  rt->error_layer = -1;
  rt->error_tile = 0;
  rt->error_what = "";
  rt->error_detail = 0;
  if ((cfg->dma_x.channels & (AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM)) != (AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM) ||
      (cfg->dma_w.channels & AXI_DMA_HAS_MM2S) == 0u)
    return fail(rt, DNNVP_RT_ERR_ARG, 0, "config", 0);
  axi_dma_result_t r = axi_dma_init(&rt->dma_x, &cfg->dma_x);
  if (r != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_ARG, 0, "band/output DMA config", (uint32_t)r);
  r = axi_dma_init(&rt->dma_w, &cfg->dma_w);
  if (r != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_ARG, 0, "blob DMA config", (uint32_t)r);
  rt->dma_r.base = 0;
  if (cfg->dma_r.base != 0u) {
    if ((cfg->dma_r.channels & AXI_DMA_HAS_MM2S) == 0u) return fail(rt, DNNVP_RT_ERR_ARG, 0, "config", 0);
    r = axi_dma_init(&rt->dma_r, &cfg->dma_r);
    if (r != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_ARG, 0, "residual DMA config", (uint32_t)r);
  }

  if (dnn_engine_init(&rt->engine, cfg->engine_base) != DNN_OK)
    return fail(rt, DNNVP_RT_ERR_NO_ENGINE, 0, "engine",
                hal_read32(cfg->engine_base + DNNVP_ENGINE_ID_OFFSET));
  uint32_t depth = (hal_read32(cfg->engine_base + DNNVP_ENGINE_HW_DEPTHS_OFFSET) &
                    DNNVP_ENGINE_HW_DEPTHS_QUEUE_DEPTH_MASK) >>
                   DNNVP_ENGINE_HW_DEPTHS_QUEUE_DEPTH_SHIFT;
  if (depth == 0u) depth = 1u;
  if (depth > DNNVP_RT_MAX_INFLIGHT) depth = DNNVP_RT_MAX_INFLIGHT;
  rt->queue_depth = depth;

  r = axi_dma_reset(&rt->dma_x, cfg->poll_budget);
  if (r != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_TIMEOUT, 0, "band/output DMA reset", (uint32_t)r);
  r = axi_dma_reset(&rt->dma_w, cfg->poll_budget);
  if (r != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_TIMEOUT, 0, "blob DMA reset", (uint32_t)r);
  if (rt->dma_r.base != 0u) {
    r = axi_dma_reset(&rt->dma_r, cfg->poll_budget);
    if (r != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_TIMEOUT, 0, "residual DMA reset", (uint32_t)r);
  }
  return DNNVP_RT_OK;
}
#endif

/* A DMA call's failure: errors carry the channel's DMASR. */
static dnnvp_rt_status_t dma_fail(dnnvp_rt_t *rt, axi_dma_result_t r, uint32_t tile, const char *what,
                                  uint32_t status) {
  if (r == AXI_DMA_BAD_ARG) return fail(rt, DNNVP_RT_ERR_BAD_LAYER, tile, what, (uint32_t)r);
  return fail(rt, DNNVP_RT_ERR_DMA, tile, what, status);
}

/* Option B: a row_step layer's band is every row_step-th DRAM row from the band's first: one MM2S
 * scatter/gather descriptor per row in the runtime's ring, one packet. The channel is halted first: the
 * IP takes CURDESC only while halted (the previous band, direct or gathered, has completed). */
static axi_dma_result_t gather_band(dnnvp_rt_t *rt, const dnnvp_layer_t *l, const dnn_tile_t *t) {
  const uint32_t row_bytes = t->in_bytes / t->band_rows;
  const uint64_t bus = (uint64_t)((uintptr_t)rt->band_bds - rt->config.cpu_offset);
  const axi_dma_result_t r =
      axi_dma_sg_build_strided(&rt->dma_x, rt->band_bds, bus, (uint64_t)l->in_addr[0] + t->in_offset, row_bytes,
                               (uint64_t)row_bytes * l->row_step, t->band_rows);
  if (r != AXI_DMA_OK) return r;
  hal_write32(rt->dma_x.base + AXI_DMA_MM2S_DMACR, 0u);
  return axi_dma_sg_start(&rt->dma_x, AXI_DMA_MM2S, bus, bus + (uint64_t)(t->band_rows - 1u) * AXI_DMA_BD_ALIGN);
}

/* Option A: group g's channels of a block-group tile's pixels in the tensor at `addr` (pitch Cout, whole
 * bytes: engine_run_init checks), one scatter/gather descriptor per pixel in `bds`, one packet: the
 * tile's output (S2MM) or a fused add's operand b (MM2S). The channel is halted first, as for a band. */
static axi_dma_result_t scatter_group(const dnnvp_rt_t *rt, const axi_dma_t *dma, axi_dma_channel_t ch,
                                      axi_dma_bd_t *bds, const dnnvp_layer_t *l, uint32_t addr, const dnn_tile_t *t,
                                      const dnn_group_t *g) {
  const uint32_t bits = l->out_q.bits;
  const uint64_t bus = (uint64_t)((uintptr_t)bds - rt->config.cpu_offset);
  const axi_dma_result_t r = axi_dma_sg_build_strided(
      dma, bds, bus, (uint64_t)addr + dnnvp_packed_bytes(t->p0 * l->out_shape.c + g->c0, bits),
      dnnvp_packed_bytes(g->out_c, bits), dnnvp_packed_bytes(l->out_shape.c, bits), t->pixels);
  if (r != AXI_DMA_OK) return r;
  hal_write32(dma->base + (ch == AXI_DMA_S2MM ? AXI_DMA_S2MM_DMACR : AXI_DMA_MM2S_DMACR), 0u);
  return axi_dma_sg_start(dma, ch, bus, bus + (uint64_t)(t->pixels - 1u) * AXI_DMA_BD_ALIGN);
}

/* The Add a layer runs on its output (its row's fused_add) and which of the Add's inputs is the layer's
 * own output; *add stays NULL when there is none. The rows must point at each other. */
static dnnvp_rt_status_t fused_add_of(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count, uint32_t index,
                                      const dnnvp_layer_t **add, uint32_t *a_slot) {
  const int32_t k = layers[index].fused_add;
  *add = NULL;
  if (k == DNNVP_NO_LAYER) return DNNVP_RT_OK;
  const dnnvp_layer_t *a = k > (int32_t)index && (uint32_t)k < count ? &layers[k] : NULL;
  if (a == NULL || a->type != DNNVP_LAYER_ADD || a->num_inputs != 2u || a->fused_into != (int32_t)index)
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "fused add", (uint32_t)k);
  for (uint32_t s = 0; s < 2u; ++s) {
    if (a->input_layer[s] != (int32_t)index) continue;
    *add = a;
    *a_slot = s;
    return DNNVP_RT_OK;
  }
  return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "fused add", (uint32_t)k);
}

/* One engine layer of a run of consecutive engine layers (run_engine_layers). */
typedef struct {
  const dnnvp_layer_t *l;
  const dnnvp_layer_t *add; /* its fused Add (NULL: none) */
  uint32_t a_slot;          /* the Add's input that is the layer's own output */
  uint32_t index;           /* the layer's row */
  /* The layer's tiles: `groups` per pixel tile (block_group; else 1), k = pixel tile * groups + group. */
  uint32_t groups, tiles;
  dnn_tile_t ring[DNNVP_RT_MAX_INFLIGHT]; /* tiles outs .. pushed-1 (their pixel tiles), planned when pushed */
  uint32_t pushed, bands, blobs, residuals, outs; /* tiles done per channel (a channel without work: all) */
  uint32_t blob_sent; /* bytes of tile `blobs`'s blob run already started (it goes in pieces) */
  uint32_t max_piece; /* longest blob piece: whole channel blocks within the DMA's LENGTH */
  int staged;         /* its registers are written (the queue takes them with each push) */
} engine_run_t;

/* S2MM for tile k's output: its pixel tile's span, or a block-group tile's channels at pitch Cout. */
static axi_dma_result_t arm_output(dnnvp_rt_t *rt, const engine_run_t *r, uint32_t k) {
  const dnn_tile_t *t = &r->ring[k % DNNVP_RT_MAX_INFLIGHT];
  if (r->groups == 1u) return axi_dma_s2mm_start(&rt->dma_x, (uint64_t)r->l->out_addr + t->out_offset, t->out_bytes);
  dnn_group_t g;
  dnn_engine_plan_group(&rt->engine, r->l, k % r->groups, &g);
  return scatter_group(rt, &rt->dma_x, AXI_DMA_S2MM, rt->out_bds, r->l, r->l->out_addr, t, &g);
}

/* Whether tile k's output brought exactly its bytes (*received: what it brought). A block-group tile's
 * packet must end (RXEOF) in its last pixel's descriptor, filling it. */
static int output_complete(const dnnvp_rt_t *rt, const engine_run_t *r, uint32_t k, uint32_t *received) {
  const dnn_tile_t *t = &r->ring[k % DNNVP_RT_MAX_INFLIGHT];
  if (r->groups == 1u) {
    (void)axi_dma_s2mm_received(&rt->dma_x, received);
    return *received == t->out_bytes;
  }
  dnn_group_t g;
  dnn_engine_plan_group(&rt->engine, r->l, k % r->groups, &g);
  const uint32_t pixel_bytes = dnnvp_packed_bytes(g.out_c, r->l->out_q.bits);
  *received = 0;
  for (uint32_t p = 0; p < t->pixels; ++p) {
    uint32_t bytes = 0;
    if (axi_dma_sg_bd_result(&rt->out_bds[p], &bytes) == AXI_DMA_OK) *received += bytes;
  }
  const uint32_t last = ((const volatile uint32_t *)rt->out_bds[t->pixels - 1u].words)[AXI_DMA_BD_STATUS];
  return *received == t->pixels * pixel_bytes && (last & AXI_DMA_BD_EOF) != 0u;
}

/* Checks row `index`'s plan against this engine and starts its bookkeeping. */
static dnnvp_rt_status_t engine_run_init(dnnvp_rt_t *rt, engine_run_t *r, const dnnvp_layer_t *layers,
                                         uint32_t count, uint32_t index) {
  const dnn_engine_t *e = &rt->engine;
  const dnnvp_layer_t *l = &layers[index];
  const uint32_t tiles = l->num_tiles;
  /* A convolution streams a weight blob, a pool (MODE.OP 1, 2) none (the engine reads no weights for it);
   * a depthwise layer (OP 3, taps on rows) lays its channels out as a pool's, one pass per sweep of Rows
   * taps, in tiles of whole output rows. */
  const int pool = l->engine_op == 1u || l->engine_op == 2u;
  const int dw = l->engine_op == 3u;
  if (tiles == 0u || (l->blob_bytes == 0u) != pool) return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "layer plan", 0);
  /* The plan (and the blob's layout) must be for this engine's array: a model generated for other
   * rows/cols would stream garbage. A pool's blocks are its chunks (Rows channels each) and its passes
   * the window's taps; a grouped convolution's passes walk group_chunks chunks per block. */
  if (e->rows == 0u || e->cols == 0u)
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "model planned for another engine array", 0);
  /* A Cin-fold F (F | Cols; not a grouped convolution) reads F chunks at a time, chunks rounded up to a
   * multiple of F: a dense convolution into blocks of Cols / F channels with passes over chunks / F, a
   * pool into F * Rows (<= Cols) lanes, a block per F chunks. */
  const uint32_t fold = l->fold > 1u ? l->fold : 1u;
  if (fold > 1u && (l->group_chunks != 0u || e->cols % fold != 0u || ((pool || dw) && fold * e->rows > e->cols)))
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "fold", fold);
  if (dw && (l->group_chunks != 0u || l->in_shape.c != l->out_shape.c || l->tile_pixels % l->out_shape.w != 0u))
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "depthwise", l->tile_pixels);
  const uint32_t chunks = ((l->in_shape.c + e->rows - 1u) / e->rows + fold - 1u) / fold * fold;
  const uint32_t lanes = e->cols / fold;
  const uint32_t taps = (uint32_t)l->kernel_h * l->kernel_w;
  const uint32_t walked = pool ? 1u : l->group_chunks != 0u ? l->group_chunks : chunks / fold;
  if (l->chunks != chunks ||
      l->blocks != (pool || dw ? chunks / fold : (l->out_shape.c + lanes - 1u) / lanes) ||
      l->passes != (dw ? (taps + e->rows - 1u) / e->rows : taps * walked))
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "model planned for another engine array",
                e->rows << DNNVP_ENGINE_HW_ARRAY_ROWS_SHIFT | e->cols << DNNVP_ENGINE_HW_ARRAY_COLS_SHIFT);
  /* Row-skipping bands (row_step s > 1): a 1-row kernel at stride s without vertical padding, whose rows
   * are whole bytes (each is one descriptor). */
  if (l->row_step > 1u && (l->kernel_h != 1u || l->stride_h != l->row_step || l->pad_top != 0u ||
                           l->pad_bottom != 0u || (l->in_q[0].bits <= 4u && (l->in_shape.w * l->in_shape.c) % 2u)))
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "row_step", l->row_step);
  const dnnvp_rt_status_t s = fused_add_of(rt, layers, count, index, &r->add, &r->a_slot);
  if (s != DNNVP_RT_OK) return s;
  if (r->add != NULL && rt->dma_r.base == 0u)
    return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "fused add without a residual DMA", 0);
  /* Block-group tiles (option A): a dense convolution of more than G blocks whose pixel tiles fit the
   * descriptor rings and whose groups' channel runs (G * Cv, the last group's, Cout) are whole bytes. */
  r->groups = dnn_engine_groups(l);
  if (l->block_group != 0u) {
    const uint32_t last = l->out_shape.c - (r->groups - 1u) * l->block_group * lanes;
    if (pool || l->group_chunks != 0u || l->block_group >= l->blocks ||
        l->tile_pixels > DNNVP_BLOCK_GROUP_MAX_PIXELS ||
        (l->out_q.bits <= 4u && ((l->block_group * lanes) % 2u || last % 2u || l->out_shape.c % 2u)))
      return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "block_group", l->block_group);
  }
  r->tiles = tiles * r->groups;
  r->max_piece = 0;
  if (!pool) {
    const uint32_t block_bytes = l->blob_bytes / l->blocks;
    r->max_piece = rt->dma_w.max_length / block_bytes * block_bytes;
    if (r->max_piece == 0u)
      return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "channel block longer than the blob DMA's LENGTH", block_bytes);
  }
  r->l = l;
  r->index = index;
  r->pushed = r->bands = r->outs = r->blob_sent = 0;
  r->blobs = pool ? r->tiles : 0u;
  r->residuals = r->add != NULL ? 0u : r->tiles;
  r->staged = 0;
  return DNNVP_RT_OK;
}

/* The DRAM bytes tile t's band reads, from in_addr[0] + in_offset (a row_step band: its first row to the
 * end of its last). */
static uint32_t band_extent(const dnnvp_layer_t *l, const dnn_tile_t *t) {
  if (l->row_step <= 1u) return t->in_bytes;
  const uint32_t row_bytes = t->in_bytes / t->band_rows;
  return (t->band_rows - 1u) * l->row_step * row_bytes + row_bytes;
}

/* Whether `bytes` at `addr` may be read while `prev` (every tile pushed) is unfinished: they hold nothing
 * of prev's output that has not drained yet. Tiles drain in order, so everything before the first
 * undrained tile's out_offset is written (at 4 bits that tile may share its first byte with the one
 * before: the byte counts as undrained). */
static int drained(const engine_run_t *prev, uint32_t addr, uint32_t bytes) {
  const dnn_tile_t *last = &prev->ring[(prev->tiles - 1u) % DNNVP_RT_MAX_INFLIGHT];
  const uint32_t lo = prev->l->out_addr + prev->ring[prev->outs % DNNVP_RT_MAX_INFLIGHT].out_offset;
  const uint32_t hi = prev->l->out_addr + last->out_offset + last->out_bytes;
  return addr + bytes <= lo || addr >= hi;
}

/* The engine's counters' increase since *before (then *before = now): a layer's share. */
static void take_counters(const dnnvp_rt_t *rt, dnnvp_rt_layer_stats_t *st, dnn_counters_t *before,
                          const uint64_t *macs) {
  dnn_counters_t now;
  dnn_engine_read_counters(&rt->engine, &now);
  if (macs != NULL) now.macs = *macs; /* MACS as read at the split (later ones are the next layer's) */
  st->engine.cycles = now.cycles - before->cycles;
  st->engine.macs = now.macs - before->macs;
  st->engine.active = now.active - before->active;
  st->engine.stall_input = now.stall_input - before->stall_input;
  st->engine.stall_weight = now.stall_weight - before->stall_weight;
  st->engine.stall_output = now.stall_output - before->stall_output;
  *before = now;
}

/* A layer's tiles and timer cycles (since *t0, then *t0 = now) at its end. */
static void finish_stats(const dnnvp_rt_t *rt, dnnvp_rt_layer_stats_t *st, uint32_t tiles, uint64_t *t0) {
  st->tiles = tiles;
  const uint64_t t1 = dnnvp_rt_cycles(rt);
  st->cycles = t1 - *t0;
  *t0 = t1;
}

/* The next row after `k` that runs itself (rows fused into a layer are its producer's), or `end`. */
static uint32_t next_running_row(const dnnvp_layer_t *layers, uint32_t k, uint32_t end) {
  do ++k;
  while (k < end && layers[k].fused_into != DNNVP_NO_LAYER);
  return k;
}

/* The engine layers among rows first .. end-1 (every row there has an engine plan or is fused into one)
 * as one tile stream: the next layer's descriptors, bands, blobs and residuals start while the previous
 * layer's last tiles compute (docs/firmware.md "Cross-layer overlap"). Each queue entry carries its
 * layer's whole configuration, so a layer's registers are written (set_layer, set_add) once the previous
 * layer's last tile is pushed. Two layers are open at a time: `cur` (the oldest unfinished) and `nxt`.
 * The loop never blocks on one unit; each round it
 *   1. polls S2MM and, as soon as the oldest tile's output has arrived, re-arms it for the next tile
 *      (first thing in the round: the engine's drain waits for it); cur's last output finishes cur
 *      (statistics, the next layer's mark) and nxt becomes cur;
 *   2. pushes descriptors (cur's, then nxt's once every transfer of cur has started: nxt's ~20 register
 *      writes would otherwise delay cur's last DMAs) while fewer than queue_depth tiles are in flight
 *      (pushed, output not yet received), so a push never waits for a slot only a later round frees;
 *   3. arms S2MM if it is idle and a queued tile has no output yet (the first tile);
 *   4. polls the band channel (DMA x MM2S) and starts the next band when it is free (a row_step band is
 *      gathered, gather_band) and, for nxt's tiles, when it reads nothing of cur's output that has not
 *      drained yet (`drained`);
 *   5. the same for the blob channel (DMA w MM2S), nxt's only once cur's counters are taken; a blob
 *      longer than the DMA's LENGTH register goes in several transfers of whole channel blocks (the
 *      engine takes TLAST at a channel block's end as a packet boundary); a pool has no blob;
 *   6. with a fused Add, the same for the residual channel (DMA r MM2S): operand b of each tile, the
 *      tile's output byte span on res_addr (the engine consumes it as it drains the tile), for nxt's
 *      tiles only once that span holds nothing of cur's undrained output (operand b may be cur's output).
 * Each channel handles tiles in order (cur's before nxt's) and only tiles whose descriptor is queued.
 * The oldest unfinished tile always has its descriptor queued, its band, blob and residual in flight or
 * delivered and S2MM armed for it, and everything the engine holds for it (input half, output half,
 * weight FIFO) is freed by older tiles that have already completed; a transfer held back by `drained`
 * waits only for older tiles. So no cycle of waits exists (docs/firmware.md). S2MM writes nxt's output
 * only after cur's last output, when every band and residual of cur has been read.
 * Statistics (stats[k - first] for row k): a layer's timer cycles run from the previous layer's end (or
 * the run's start) to its last output; the engine's counters are cleared once and each layer gets their
 * increase up to its last MAC (see `handed`; MACs exactly, the other counters as read just after the next
 * blob has started, `split`; a pool's up to its last output, the next blob held until then). On failure
 * *failed is the row concerned. */
static dnnvp_rt_status_t run_engine_layers(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count,
                                           uint32_t first, uint32_t end, dnnvp_rt_layer_stats_t *stats,
                                           uint32_t *failed) {
  dnn_engine_t *e = &rt->engine;
  const uint32_t depth = rt->queue_depth;
  engine_run_t runs[2];
  engine_run_t *cur = &runs[0], *nxt = NULL, *spare = &runs[1];
  *failed = first;
  /* (The timer before the clear: the engine's CYCLES count from the clear.) */
  uint64_t t0 = dnnvp_rt_cycles(rt);
  dnnvp_rt_status_t s = engine_run_init(rt, cur, layers, count, first);
  if (s != DNNVP_RT_OK) return s;
  dnn_engine_clear(e);
  dnn_counters_t before = {0, 0, 0, 0, 0, 0};
  uint32_t k_next = next_running_row(layers, first, end); /* nxt's row (end: none) */
  int open_next = k_next < end;                            /* nxt still to set up (end of this round) */
  int finished = 0;                                        /* a layer has just finished: mark still to do */
  int handed = 0;  /* cur's counters are taken (or need not be before nxt's blob): nxt's blob may move */
  int counted = 0; /* cur's counters are taken */
  int band_busy = 0, blob_busy = 0, res_busy = 0, out_armed = 0;
  uint32_t band_k = first, band_t = 0, blob_k = first, blob_t = 0, res_k = first, res_t = 0; /* in flight */
  uint32_t idle = 0;
  uint32_t status;
  axi_dma_result_t r;

  for (;;) {
    const uint32_t tiles = cur->tiles;
    int progress = 0;
    *failed = cur->index;

    /* 1. The oldest tile's output; S2MM re-armed at once for the next. */
    if (out_armed) {
      r = axi_dma_poll(&rt->dma_x, AXI_DMA_S2MM, &status);
      if (r == AXI_DMA_OK) {
        uint32_t received = 0;
        if (!output_complete(rt, cur, cur->outs, &received))
          return fail(rt, DNNVP_RT_ERR_LENGTH, cur->outs, "output DMA", received);
        out_armed = 0;
        ++cur->outs;
        progress = 1;
      } else if (r != AXI_DMA_BUSY) {
        return dma_fail(rt, r, cur->outs, "output DMA", status);
      }
    }
    /* cur is finished at its last output; the run's last layer also waits for its channels. */
    const int last = k_next >= end;
    if (cur->outs == tiles && (last ? !band_busy && !blob_busy && !res_busy : nxt != NULL)) {
      dnnvp_rt_layer_stats_t *st = stats != NULL ? &stats[cur->index - first] : NULL;
      if (last) {
        /* Every output has arrived: the engine is idle (or a few cycles from it). */
        const dnn_status_t ws = dnn_engine_wait_idle(e, rt->config.poll_budget);
        if (ws == DNN_ERR_ENGINE) return fail(rt, DNNVP_RT_ERR_ENGINE, tiles, "engine", dnn_engine_error_cause(e));
        if (ws != DNN_OK) return fail(rt, DNNVP_RT_ERR_TIMEOUT, tiles, "engine idle", 0);
        if (st != NULL) {
          take_counters(rt, st, &before, NULL);
          finish_stats(rt, st, tiles, &t0);
        }
        return DNNVP_RT_OK;
      }
      if (!counted && st != NULL) take_counters(rt, st, &before, NULL);
      handed = counted = 0;
      finished = 1;
      spare = cur;
      cur = nxt;
      nxt = NULL;
      k_next = next_running_row(layers, cur->index, end);
      open_next = k_next < end;
      continue;
    }
    if (!out_armed && cur->outs < cur->pushed) {
      r = arm_output(rt, cur, cur->outs);
      if (r != AXI_DMA_OK) return dma_fail(rt, r, cur->outs, "output DMA", 0);
      out_armed = 1;
      progress = 1;
    }
    /* 2. Descriptors: cur's, then nxt's once every transfer of cur has started. */
    const int cur_sent = cur->bands == tiles && cur->blobs == tiles && cur->residuals == tiles;
    engine_run_t *p = cur->pushed < tiles ? cur : cur_sent ? nxt : NULL;
    while (p != NULL && p->pushed < p->tiles &&
           (cur->pushed - cur->outs) + (p != cur ? p->pushed : 0u) < depth) {
      *failed = p->index;
      if (!p->staged) {
        const dnn_status_t ds = dnn_engine_set_layer(e, p->l);
        if (ds != DNN_OK) return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "layer plan", (uint32_t)ds);
        dnn_engine_set_add(e, p->add, p->a_slot);
        p->staged = 1;
      }
      dnn_tile_t *t = &p->ring[p->pushed % DNNVP_RT_MAX_INFLIGHT];
      dnn_engine_plan_tile(p->l, p->pushed / p->groups, t);
      if (p->groups > 1u) {
        const uint32_t g = p->pushed % p->groups;
        dnn_group_t group;
        dnn_engine_plan_group(e, p->l, g, &group);
        dnn_engine_set_group(e, p->l, &group, g);
      }
      const dnn_status_t ps = dnn_engine_push_tile(e, t, 0u);
      if (ps == DNN_ERR_TIMEOUT) break; /* slot not yet freed: next round */
      if (ps != DNN_OK) return fail(rt, DNNVP_RT_ERR_ENGINE, p->pushed, "engine", dnn_engine_error_cause(e));
      ++p->pushed;
      progress = 1;
    }
    *failed = cur->index;
    /* 3. S2MM for the first tile (before its band moves). */
    if (!out_armed && cur->outs < cur->pushed) {
      r = arm_output(rt, cur, cur->outs);
      if (r != AXI_DMA_OK) return dma_fail(rt, r, cur->outs, "output DMA", 0);
      out_armed = 1;
      progress = 1;
    }
    /* 4. Input bands. */
    if (band_busy) {
      r = axi_dma_poll(&rt->dma_x, AXI_DMA_MM2S, &status);
      if (r == AXI_DMA_OK) {
        band_busy = 0;
        progress = 1;
      } else if (r != AXI_DMA_BUSY) {
        *failed = band_k;
        return dma_fail(rt, r, band_t, "band DMA", status);
      }
    }
    engine_run_t *b = cur->bands < tiles ? cur : nxt;
    if (!band_busy && b != NULL && b->bands < b->pushed) {
      const dnn_tile_t *t = &b->ring[b->bands % DNNVP_RT_MAX_INFLIGHT];
      const uint32_t from = b->l->in_addr[0] + t->in_offset;
      const int reuse = b->bands % b->groups != 0u; /* a later group computes on its group 0's band */
      if (reuse || b == cur || drained(cur, from, band_extent(b->l, t))) {
        if (!reuse && t->in_bytes != 0u) { /* (a band is never empty while padding < kernel) */
          band_k = b->index;
          band_t = b->bands;
          if (b->l->row_step <= 1u) {
            r = axi_dma_mm2s_start(&rt->dma_x, from, t->in_bytes);
          } else {
            *failed = band_k;
            if (t->band_rows > DNNVP_ROW_STEP_MAX_BAND_ROWS)
              return fail(rt, DNNVP_RT_ERR_BAD_LAYER, band_t, "row_step band longer than the descriptor ring",
                          t->band_rows);
            r = gather_band(rt, b->l, t);
          }
          if (r != AXI_DMA_OK) {
            *failed = band_k;
            return dma_fail(rt, r, band_t, "band DMA",
                            r == AXI_DMA_BAD_ARG ? 0u : axi_dma_status(&rt->dma_x, AXI_DMA_MM2S));
          }
          band_busy = 1;
        }
        ++b->bands;
        progress = 1;
      }
    }
    /* 5. Weight blobs. cur's counters are taken when the MACS counter shows its last MAC, before nxt's
     *    blob moves: nxt cannot compute without its first weight block, so the counters split exactly
     *    between the layers. A pool shows no MACs: nxt's blob waits for its last output, when its
     *    counters are taken. */
    if (blob_busy) {
      r = axi_dma_poll(&rt->dma_w, AXI_DMA_MM2S, &status);
      if (r == AXI_DMA_OK) {
        blob_busy = 0;
        progress = 1;
      } else if (r != AXI_DMA_BUSY) {
        *failed = blob_k;
        return dma_fail(rt, r, blob_t, "blob DMA", status);
      }
    }
    int split = 0; /* cur's last MAC seen this round: its counters are taken once nxt's blob has started */
    uint64_t split_macs = 0;
    if (nxt != NULL && !handed && cur_sent && (stats == NULL || cur->l->macs != 0u)) {
      if (stats == NULL) {
        handed = 1;
      } else {
        split_macs = dnn_engine_read_macs(e);
        if (split_macs - before.macs >= cur->l->macs) handed = split = progress = 1;
      }
    }
    engine_run_t *w = cur->blobs < tiles ? cur : handed ? nxt : NULL;
    if (!blob_busy && w != NULL && w->blobs < w->pushed) {
      dnn_group_t g; /* the tile's run of the blob: all of it, or its group's blocks */
      dnn_engine_plan_group(e, w->l, w->blobs % w->groups, &g);
      const uint32_t left = g.blob_bytes - w->blob_sent;
      const uint32_t piece = left < w->max_piece ? left : w->max_piece;
      blob_k = w->index;
      blob_t = w->blobs;
      r = axi_dma_mm2s_start(&rt->dma_w, (uint64_t)w->l->blob_addr + g.blob_offset + w->blob_sent, piece);
      if (r != AXI_DMA_OK) {
        *failed = blob_k;
        return dma_fail(rt, r, blob_t, "blob DMA", 0);
      }
      blob_busy = 1;
      w->blob_sent += piece;
      if (w->blob_sent == g.blob_bytes) {
        w->blob_sent = 0;
        ++w->blobs;
      }
      progress = 1;
    }
    if (split) { /* (after nxt's blob has started: reading the counters would delay it) */
      take_counters(rt, &stats[cur->index - first], &before, &split_macs);
      counted = 1;
    }
    /* 6. Residual operand b: the tile's output byte span on the other operand's address. */
    if (res_busy) {
      r = axi_dma_poll(&rt->dma_r, AXI_DMA_MM2S, &status);
      if (r == AXI_DMA_OK) {
        res_busy = 0;
        progress = 1;
      } else if (r != AXI_DMA_BUSY) {
        *failed = res_k;
        return dma_fail(rt, r, res_t, "residual DMA", status);
      }
    }
    engine_run_t *q = cur->residuals < tiles ? cur : nxt;
    if (!res_busy && q != NULL && q->residuals < q->pushed) {
      const dnn_tile_t *t = &q->ring[q->residuals % DNNVP_RT_MAX_INFLIGHT];
      const uint32_t from = q->l->res_addr + t->out_offset;
      if (q == cur || drained(cur, from, t->out_bytes)) {
        res_k = q->index;
        res_t = q->residuals;
        if (q->groups == 1u) {
          r = axi_dma_mm2s_start(&rt->dma_r, from, t->out_bytes);
        } else {
          dnn_group_t g;
          dnn_engine_plan_group(e, q->l, q->residuals % q->groups, &g);
          r = scatter_group(rt, &rt->dma_r, AXI_DMA_MM2S, rt->res_bds, q->l, q->l->res_addr, t, &g);
        }
        if (r != AXI_DMA_OK) {
          *failed = res_k;
          return dma_fail(rt, r, res_t, "residual DMA", 0);
        }
        res_busy = 1;
        ++q->residuals;
        progress = 1;
      }
    }

    /* The finished layer's bookkeeping (a dozen engine register reads) and the next layer's set-up, once
     * this round's DMAs have started. */
    if (finished) {
      finished = 0;
      if (stats != NULL) finish_stats(rt, &stats[spare->index - first], spare->tiles, &t0);
      mark(rt, cur->index);
      progress = 1;
    }
    if (open_next) {
      open_next = 0;
      *failed = k_next;
      s = engine_run_init(rt, spare, layers, count, k_next);
      if (s != DNNVP_RT_OK) return s;
      nxt = spare;
      progress = 1;
    }

    if (progress) {
      idle = 0;
    } else {
      ++idle;
      if (idle % ENGINE_CHECK_INTERVAL == 0u || idle > rt->config.poll_budget) {
        const uint32_t es = hal_read32(e->base + DNNVP_ENGINE_STATUS_OFFSET);
        if (es & DNNVP_ENGINE_STATUS_ERROR_MASK)
          return fail(rt, DNNVP_RT_ERR_ENGINE, cur->outs, "engine", dnn_engine_error_cause(e));
        if (idle > rt->config.poll_budget) {
          const char *what = out_armed    ? "output DMA"
                             : band_busy  ? "band DMA"
                             : blob_busy  ? "blob DMA"
                             : res_busy   ? "residual DMA"
                                          : "engine";
          return fail(rt, DNNVP_RT_ERR_TIMEOUT, cur->outs, what, es);
        }
      }
#if DNNVP_RT_SLEEP
      /* Sleep until a DMA channel or the engine interrupts. The engine's error flag raises no
       * interrupt: read it first. The engine's tile-done interrupt is cleared on waking (axi_dma_poll
       * clears a DMA's IOC_Irq as it reports the completion). */
      if (hal_read32(e->base + DNNVP_ENGINE_STATUS_OFFSET) & DNNVP_ENGINE_STATUS_ERROR_MASK)
        return fail(rt, DNNVP_RT_ERR_ENGINE, cur->outs, "engine", dnn_engine_error_cause(e));
      hal_irq_wait();
      dnn_engine_irq_clear(e);
#endif
    }
  }
}

/* A case per CPU type of the list (DNNVP_LAYER_TYPES): its parameters from the row, its operation
 * (dnnvp_ops.h). */
static dnnvp_rt_status_t run_cpu_layer(dnnvp_rt_t *rt, const dnnvp_layer_t *l) {
  const dnnvp_tensor_t out = {cpu_ptr(rt, l->out_addr), l->out_shape, l->out_q};
  const dnnvp_tensor_t in0 = {cpu_ptr(rt, l->in_addr[0]), l->in_shape, l->in_q[0]};
  dnnvp_op_status_t s;
  switch (l->type) {
    case DNNVP_LAYER_MAXPOOL:
    case DNNVP_LAYER_AVGPOOL: {
      const dnnvp_pool_params_t p = {l->kernel_h, l->kernel_w, l->stride_h, l->stride_w,
                                     l->pad_top,   l->pad_left,  l->rounding};
      s = l->type == DNNVP_LAYER_MAXPOOL ? dnnvp_op_maxpool(&p, &in0, &out) : dnnvp_op_avgpool(&p, &in0, &out);
      break;
    }
    case DNNVP_LAYER_ADD: {
      if (l->num_inputs != 2u) return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "add inputs", l->num_inputs);
      /* Both inputs have the layer's input shape. */
      const dnnvp_tensor_t in1 = {cpu_ptr(rt, l->in_addr[1]), l->in_shape, l->in_q[1]};
      const dnnvp_add_params_t p = {{l->param[0], l->param[1]}, l->add_shift, l->activation, l->leaky_shift,
                                    l->rounding};
      s = dnnvp_op_add(&p, &in0, &in1, &out);
      break;
    }
    case DNNVP_LAYER_FLATTEN: {
      /* HWC is already flattened order: the output must alias the input. */
      const uint32_t in_n = l->in_shape.h * l->in_shape.w * l->in_shape.c;
      const uint32_t out_n = l->out_shape.h * l->out_shape.w * l->out_shape.c;
      if (l->out_addr != l->in_addr[0] || in_n != out_n)
        return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "flatten does not alias its input", l->out_addr);
      return DNNVP_RT_OK;
    }
    default: {
      /* Clip is the default's, not a case of its own: another case value changes GCC's compare tree and
       * with it every CPU layer's instruction count, which the zoo's reports fix cycle for cycle. */
      if (l->type != DNNVP_LAYER_CLIP) return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "layer type", l->type);
      const dnnvp_clip_params_t p = {l->param[0], l->param[1]};
      s = dnnvp_op_clip(&p, &in0, &out);
      break;
    }
  }
  return s == DNNVP_OP_OK ? DNNVP_RT_OK : fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "operation arguments", (uint32_t)s);
}

/* Rows first .. end-1: an engine layer followed by engine layers and rows fused into them (one tile
 * stream), or a single row. stats[k - first] for row k (NULL: none). On failure *failed is the row. */
static dnnvp_rt_status_t run_rows(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count, uint32_t first,
                                  uint32_t end, dnnvp_rt_layer_stats_t *stats, uint32_t *failed) {
  for (uint32_t k = first; k < end; ++k) {
    const dnnvp_layer_t *l = &layers[k];
    /* A row runs on the engine when it has a plan; a fused row where its producer, an earlier row, ran. */
    const int fused = l->fused_into != DNNVP_NO_LAYER;
    if (fused && (l->fused_into < 0 || (uint32_t)l->fused_into >= k)) {
      *failed = k;
      return fail(rt, DNNVP_RT_ERR_BAD_LAYER, 0, "fused_into", (uint32_t)l->fused_into);
    }
    if (stats == NULL) continue;
    dnnvp_rt_layer_stats_t *st = &stats[k - first];
    st->name = l->name;
    st->type = l->type;
    st->on_engine = (uint8_t)((fused ? layers[l->fused_into].tile_pixels : l->tile_pixels) != 0u);
    st->fused_into = l->fused_into;
    st->tiles = 0;
    st->cycles = 0;
    st->macs = l->macs;
    st->engine.cycles = st->engine.macs = st->engine.active = 0;
    st->engine.stall_input = st->engine.stall_weight = st->engine.stall_output = 0;
  }
  *failed = first;
  const dnnvp_layer_t *l = &layers[first];
  if (l->fused_into != DNNVP_NO_LAYER) return DNNVP_RT_OK; /* its producer ran it */
  if (l->tile_pixels != 0u) return run_engine_layers(rt, layers, count, first, end, stats, failed);
  const uint64_t t0 = dnnvp_rt_cycles(rt);
  const dnnvp_rt_status_t s = run_cpu_layer(rt, l);
  if (stats != NULL) stats->cycles = dnnvp_rt_cycles(rt) - t0;
  return s;
}

#if !DNNVP_RT_SLEEP
dnnvp_rt_status_t dnnvp_rt_run_layer(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count, uint32_t index,
                                     dnnvp_rt_layer_stats_t *stats) {
  if (rt == NULL || layers == NULL || index >= count) return DNNVP_RT_ERR_ARG;
  uint32_t failed;
  return run_rows(rt, layers, count, index, index + 1u, stats, &failed);
}
#endif

/* Whether engine layer b should join engine layer a's tile stream: b's first band reads nothing of a's
 * last tile's output. Otherwise b's first band waits for a's whole output, and what is left to overlap
 * (the pushes, the blob) does not pay for the counters' hand-over (polling MACS, holding b's blob back). */
static int worth_overlapping(const dnnvp_layer_t *a, const dnnvp_layer_t *b) {
  if (a->num_tiles == 0u || b->num_tiles == 0u) return 0; /* (refused when it runs) */
  /* The common cases without planning: b reads another tensor (a live tensor shares no byte with a's
   * output), or a single-tile a's output from its start. */
  if (b->in_addr[0] != a->out_addr) return 1;
  if (a->num_tiles == 1u) return 0;
  dnn_tile_t last, t0;
  dnn_engine_plan_tile(a, a->num_tiles - 1u, &last);
  dnn_engine_plan_tile(b, 0, &t0);
  const uint32_t lo = a->out_addr + last.out_offset, x = b->in_addr[0] + t0.in_offset;
  return x + band_extent(b, &t0) <= lo || x >= lo + last.out_bytes;
}

dnnvp_rt_status_t dnnvp_rt_run(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count,
                               dnnvp_rt_layer_stats_t *stats) {
  if (rt == NULL || (layers == NULL && count != 0u)) return DNNVP_RT_ERR_ARG;
  for (uint32_t i = 0; i < count;) {
    const dnnvp_layer_t *l = &layers[i];
    const int runs_itself = l->fused_into == DNNVP_NO_LAYER;
    /* Consecutive engine layers (with the rows fused into them) run as one tile stream
     * (run_engine_layers marks all but the first). A fused row's time is its producer's: no mark. */
    uint32_t end = i + 1u;
    if (runs_itself && l->tile_pixels != 0u) {
      const dnnvp_layer_t *prev = l;
      while (end < count) {
        const dnnvp_layer_t *n = &layers[end];
        if (n->fused_into == DNNVP_NO_LAYER) {
          if (n->tile_pixels == 0u || !worth_overlapping(prev, n)) break;
          prev = n;
        }
        ++end;
      }
    }
    if (runs_itself) mark(rt, i);
    uint32_t failed = i;
    const dnnvp_rt_status_t s = run_rows(rt, layers, count, i, end, stats != NULL ? &stats[i] : NULL, &failed);
    if (s != DNNVP_RT_OK) {
      if (s == DNNVP_RT_ERR_DMA) dnnvp_rt_dma_recover(rt);
      rt->error_layer = (int32_t)failed;
      mark(rt, DNNVP_RT_MARK_DONE);
      return s;
    }
    i = end;
  }
  mark(rt, DNNVP_RT_MARK_DONE);
  return DNNVP_RT_OK;
}

#if !DNNVP_RT_SLEEP
void dnnvp_rt_publish(const dnnvp_rt_t *rt, const dnnvp_rt_layer_stats_t *stats, uint32_t count,
                      dnnvp_rt_status_t status, uint32_t outputs_checked, uint32_t mismatches,
                      dnnvp_report_header_t *header, dnnvp_report_layer_t *records) {
  if (rt == NULL || header == NULL || (count != 0u && (stats == NULL || records == NULL))) return;
  for (uint32_t i = 0; i < count; ++i) {
    const dnnvp_rt_layer_stats_t *s = &stats[i];
    dnnvp_report_layer_t *r = &records[i];
    r->index = i;
    r->on_engine = s->on_engine;
    r->tiles = s->tiles;
    r->fused_into = s->fused_into;
    r->cpu_cycles = s->cycles;
    r->engine_cycles = s->engine.cycles;
    r->engine_macs = s->engine.macs;
    r->engine_active = s->engine.active;
    r->stall_input = s->engine.stall_input;
    r->stall_weight = s->engine.stall_weight;
    r->stall_output = s->engine.stall_output;
  }
  header->magic = DNNVP_REPORT_MAGIC;
  header->version = DNNVP_REPORT_VERSION;
  header->layer_count = count;
  header->status = (uint32_t)status;
  header->outputs_checked = outputs_checked;
  header->mismatches = mismatches;
  header->image_count = header->image_offset = 0;
  if (rt->config.report_addr != 0u)
    hal_write32(rt->config.report_addr, (uint32_t)((uintptr_t)header - rt->config.cpu_offset));
}

const char *dnnvp_rt_status_str(dnnvp_rt_status_t s) {
  switch (s) {
    case DNNVP_RT_OK: return "ok";
    case DNNVP_RT_ERR_ARG: return "bad argument";
    case DNNVP_RT_ERR_NO_ENGINE: return "no engine";
    case DNNVP_RT_ERR_BAD_LAYER: return "bad layer";
    case DNNVP_RT_ERR_ENGINE: return "engine error";
    case DNNVP_RT_ERR_DMA: return "DMA error";
    case DNNVP_RT_ERR_LENGTH: return "output length mismatch";
    case DNNVP_RT_ERR_TIMEOUT: return "timeout";
  }
  return "unknown";
}

/* Out of line: the application's per-layer print calls it, an instruction count the reports fix. */
const char *dnnvp_rt_layer_type_str(uint8_t type) { return dnnvp_layer_type_name(type); }
#endif

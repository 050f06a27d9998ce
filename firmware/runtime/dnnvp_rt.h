/* The dnn-vp runtime: runs a network described by a model.h layer table (docs/formats.md) layer by
 * layer. A row with an engine plan (tile_pixels != 0: convolutions, dense layers, pools the generator
 * placed there) goes to the engine (drivers/dnn_engine.h) with its tiles streamed by AXI DMAs
 * (drivers/dif_axi_dma.h): DMA "x" MM2S sends input bands and its S2MM receives outputs, DMA "w" MM2S
 * sends weight blobs, DMA "r" MM2S sends a fused Add's other operand. The other rows run on the CPU, each
 * through its type's operation (dnnvp_ops.h); Flatten only checks that its output aliases its input. A
 * row fused into another (fused_into: an Add or Clip its producer ran) is skipped. Per-layer statistics
 * go to a caller-supplied array.
 *
 * The runtime does not include model.h (that header defines the table as a static array): the
 * application passes dnnvp_layers / DNNVP_NUM_LAYERS in. See docs/firmware.md.
 * C11, freestanding, no allocation; all register accesses through the HAL. */
#ifndef DNNVP_RT_H
#define DNNVP_RT_H

#include <stdint.h>

#include "dif_axi_dma.h"
#include "dnn_engine.h"
#include "dnnvp_model_types.h"
#include "dnnvp_report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  DNNVP_RT_OK = 0,
  DNNVP_RT_ERR_ARG,        /* bad configuration or arguments */
  DNNVP_RT_ERR_NO_ENGINE,  /* no engine (ID mismatch) at engine_base */
  DNNVP_RT_ERR_BAD_LAYER,  /* a layer the runtime cannot run (type, plan, Flatten that does not alias) */
  DNNVP_RT_ERR_ENGINE,     /* the engine raised its error flag (detail: ERROR_CAUSE) */
  DNNVP_RT_ERR_DMA,        /* a DMA reported an error (detail: its DMASR) */
  DNNVP_RT_ERR_LENGTH,     /* S2MM received a different number of bytes than the tile's output */
  DNNVP_RT_ERR_TIMEOUT     /* no progress within the polling budget */
} dnnvp_rt_status_t;

/* Where the hardware is and how long to wait for it. */
typedef struct {
  uintptr_t engine_base;
  axi_dma_config_t dma_x; /* MM2S -> s_axis_x (bands), S2MM <- m_axis_y (outputs) */
  axi_dma_config_t dma_w; /* MM2S -> s_axis_w (weight blobs) */
  axi_dma_config_t dma_r; /* MM2S -> s_axis_r (a fused Add's operand b); base 0: none, fused adds refused */
  uintptr_t timer_base;   /* 64-bit cycle counter (CYCLES_LO at +0, CYCLES_HI at +4, LO latches HI);
                           * 0: no timer, cycles are reported as 0 */
  uint32_t poll_budget;   /* consecutive polls without progress before DNNVP_RT_ERR_TIMEOUT */
  /* CPU view of DRAM: a model address A is at CPU pointer (uint8_t *)(A + cpu_offset). 0 on the VP
   * and on bare-metal boards; set it when DRAM is mapped elsewhere (e.g. a host test). */
  uintptr_t cpu_offset;
  /* Platform hooks (0: none). layer_mark_addr: a register the runtime writes each layer's index to
   * as it starts and DNNVP_RT_MARK_DONE after the last (the VP's sysctl LAYER). report_addr: a register
   * dnnvp_rt_publish() writes the report's DRAM address to (the VP's sysctl REPORT). */
  uintptr_t layer_mark_addr;
  uintptr_t report_addr;
} dnnvp_rt_config_t;

#define DNNVP_RT_MARK_DONE 0xFFFFFFFFu

/* What one layer cost. */
typedef struct {
  const char *name;
  uint8_t type;           /* dnnvp_layer_type_t */
  uint8_t on_engine;      /* 1: engine (the row has a plan, or its producer ran it there), 0: CPU */
  int16_t fused_into;     /* the layer that ran this one (model.h fused_into; DNNVP_NO_LAYER: itself) */
  uint32_t tiles;         /* engine tiles run */
  uint64_t cycles;        /* CPU timer cycles from the layer's first register write to its last output */
  uint64_t macs;          /* the layer's MACs (model.h) */
  dnn_counters_t engine;  /* engine performance counters over the layer (zero for CPU layers) */
} dnnvp_rt_layer_stats_t;

/* Runtime state. Fields after `error` describe the first failure. */
typedef struct {
  /* Descriptor rings: the DMAs read them at their addresses less config.cpu_offset, so the state must
   * live in memory the DMAs see (first: their 64-byte alignment costs no padding). A row_step band's,
   * one descriptor per band row: */
  axi_dma_bd_t band_bds[DNNVP_ROW_STEP_MAX_BAND_ROWS];
  /* A block-group tile's output (dma_x S2MM) and fused add's operand b (dma_r MM2S) at pitch Cout, one
   * descriptor per pixel. */
  axi_dma_bd_t out_bds[DNNVP_BLOCK_GROUP_MAX_PIXELS];
  axi_dma_bd_t res_bds[DNNVP_BLOCK_GROUP_MAX_PIXELS];
  dnnvp_rt_config_t config;
  dnn_engine_t engine;
  axi_dma_t dma_x, dma_w, dma_r; /* dma_r.base 0: no residual DMA */
  uint32_t queue_depth;   /* tiles the runtime keeps in flight: min(engine queue depth, DNNVP_RT_MAX_INFLIGHT) */
  dnnvp_rt_status_t error;
  int32_t error_layer;    /* index into the layer table, -1 before any layer */
  uint32_t error_tile;
  const char *error_what; /* which unit: "engine", "band DMA", "blob DMA", "output DMA", ... */
  uint32_t error_detail;  /* engine ERROR_CAUSE, DMASR, received byte count, or the driver's result */
  /* After DNNVP_RT_ERR_DMA (dnnvp_rt_dma_recover): the DMA (base; 0: no channel had error bits) and
   * channel whose DMASR holds error bits, and the result of the soft reset it got (AXI_DMA_OK: ready). */
  uintptr_t error_dma;
  uint8_t error_channel; /* axi_dma_channel_t */
  uint8_t error_reset;   /* axi_dma_result_t */
  /* dnnvp_rt_use_interrupts: the interrupt controller and the lines it enabled there. */
  uintptr_t intc_base;
  uint32_t irq_lines;
} dnnvp_rt_t;

/* Where an application puts its dnnvp_rt_t (bare-metal builds with the dnn-vp linker script): the
 * section .noinit, which start-up does not clear. dnnvp_rt_init sets every field the runtime reads and
 * each descriptor ring is built before a DMA reads it; clearing the rings (130 KiB) byte by byte took
 * ~0.5 ms of start-up. */
#define DNNVP_RT_NOINIT __attribute__((section(".noinit")))

/* Tiles in flight at most (ring of planned tiles). */
#define DNNVP_RT_MAX_INFLIGHT 8u

/* Fills cfg for the dnn-vp platform (dnnvp_memory_map.h). */
void dnnvp_rt_config_vp(dnnvp_rt_config_t *cfg);

/* Checks the engine's ID, reads its parameters, resets the DMAs. */
dnnvp_rt_status_t dnnvp_rt_init(dnnvp_rt_t *rt, const dnnvp_rt_config_t *cfg);

/* Runs layers[0 .. count-1] in order, filling stats[0 .. count-1] (may be NULL). Stops at the first
 * failure (rt->error*, the return value). A row fused into another costs nothing and gets no layer mark:
 * its statistics are zero, its time is its producer's. Waits by polling the DMAs and the engine. */
dnnvp_rt_status_t dnnvp_rt_run(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count,
                               dnnvp_rt_layer_stats_t *stats);

/* Interrupt-driven waiting (docs/firmware.md, "Waiting"). The interrupt controller and the lines of the
 * runtime's DMA channels and the engine on it (dnnvp_irq.h). */
typedef struct {
  uintptr_t intc_base;
  uint32_t lines;
} dnnvp_rt_irq_t;
/* The dnn-vp platform's (dnnvp_memory_map.h: region intc, DNNVP_IRQ_*). */
void dnnvp_rt_irq_vp(dnnvp_rt_irq_t *irq);
/* After dnnvp_rt_init: the DMAs interrupt on completion and error (DMACR IOC_IrqEn, Err_IrqEn), the
 * engine on every tile (IRQ.ENABLE), the controller passes their lines, mie.MEIE is set (mstatus.MIE
 * stays 0: wfi wakes on a pending interrupt without a trap). */
dnnvp_rt_status_t dnnvp_rt_use_interrupts(dnnvp_rt_t *rt, const dnnvp_rt_irq_t *irq);
/* dnnvp_rt_run, but a round of the tile loop in which nothing moved sleeps in wfi until an interrupt
 * instead of polling again (after dnnvp_rt_use_interrupts). A separate entry rather than a flag, so
 * polling firmware runs exactly the instructions it always did (the zoo's reports fix its cycles): the
 * same source compiled twice (dnnvp_rt_irq.c). */
dnnvp_rt_status_t dnnvp_rt_run_irq(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count,
                                   dnnvp_rt_layer_stats_t *stats);

/* After DNNVP_RT_ERR_DMA: finds the channel whose DMASR has error bits (PG021: it has halted), records it
 * (error_dma, error_channel) and soft-resets that DMA (error_reset). dnnvp_rt_run and dnnvp_rt_run_irq
 * call it on a DMA error; a caller of dnnvp_rt_run_layer calls it itself. */
void dnnvp_rt_dma_recover(dnnvp_rt_t *rt);

/* The process exit code for a run's status: 0 for DNNVP_RT_OK, else DNNVP_RT_EXIT_BASE + status (a DMA
 * error exits with 21). An output mismatch exits with 1 (the application's check). */
#define DNNVP_RT_EXIT_BASE 16
int dnnvp_rt_exit_code(dnnvp_rt_status_t s);

/* Layer `index` of the table layers[0 .. count-1] (the table: a fused Add's row is read by its
 * producer); stats may be NULL. */
dnnvp_rt_status_t dnnvp_rt_run_layer(dnnvp_rt_t *rt, const dnnvp_layer_t *layers, uint32_t count, uint32_t index,
                                     dnnvp_rt_layer_stats_t *stats);

/* Fills the layer report (dnnvp_report.h) from stats[0 .. count-1], the run's status and the output
 * check, and writes the header's DRAM address to config.report_addr (if set). `records` holds `count`
 * entries; header and records must be in DRAM the platform can read. */
void dnnvp_rt_publish(const dnnvp_rt_t *rt, const dnnvp_rt_layer_stats_t *stats, uint32_t count,
                      dnnvp_rt_status_t status, uint32_t outputs_checked, uint32_t mismatches,
                      dnnvp_report_header_t *header, dnnvp_report_layer_t *records);

/* The timer's cycle count (0 without a timer). */
uint64_t dnnvp_rt_cycles(const dnnvp_rt_t *rt);

const char *dnnvp_rt_status_str(dnnvp_rt_status_t s);
/* The layer type's name (dnnvp_layer_type_name). */
const char *dnnvp_rt_layer_type_str(uint8_t type);

#ifdef __cplusplus
}
#endif

#endif /* DNNVP_RT_H */

/* The layer report the firmware leaves in DRAM for the platform (docs/firmware.md, "Report"): a header
 * followed by one record per layer run, each holding the engine's performance counters over that layer
 * as the firmware read them (summed over the images of a batch), and a batch's per-image records. The
 * application writes the header's address to sysctl REPORT before it exits; vp_run reads the table and puts
 * it into report.json.
 *
 * Fixed-width fields at natural alignment: the layout is the same for RV32 (ilp32) and a 64-bit host,
 * so the platform includes this header too. Little-endian. */
#ifndef DNNVP_REPORT_H
#define DNNVP_REPORT_H

#include <stdint.h>

#define DNNVP_REPORT_MAGIC 0x54525044u /* "DPRT" */
#define DNNVP_REPORT_VERSION 3u

typedef struct {
  uint32_t magic;           /* DNNVP_REPORT_MAGIC */
  uint32_t version;         /* DNNVP_REPORT_VERSION */
  uint32_t layer_count;     /* records that follow: the layers that ran */
  uint32_t status;          /* dnnvp_rt_status_t of the run (0: every layer ran) */
  uint32_t outputs_checked; /* output elements compared with expected.bin (0: not compared) */
  uint32_t mismatches;      /* of which differed */
  uint32_t image_count;     /* image records (0: none; a single-image run writes none) */
  uint32_t image_offset;    /* bytes from the header's start to the first image record */
} dnnvp_report_header_t;

typedef struct {
  uint32_t index;     /* model.h layer index */
  uint32_t on_engine;  /* 1: engine, 0: CPU (a fused layer: where its producer ran) */
  uint32_t tiles;      /* engine tiles */
  int32_t fused_into;  /* the layer that ran this one as part of its own (DNNVP_NO_LAYER, -1: none) */
  uint64_t cpu_cycles; /* timer cycles the layer took, as the firmware measured them */
  /* Engine counters over the layer (docs/engine.md, COUNTERS); zero for CPU layers. */
  uint64_t engine_cycles, engine_macs, engine_active;
  uint64_t stall_input, stall_weight, stall_output;
} dnnvp_report_layer_t;

/* One image of a batch, in the order of input.bin. */
typedef struct {
  uint32_t index;      /* the image's place in the batch */
  uint32_t predicted;  /* argmax of its output (the first of equal elements) */
  uint32_t mismatches; /* output elements that differed from its expected output */
  uint32_t reserved;
  uint64_t cycles; /* timer cycles the network took for it */
} dnnvp_report_image_t;

#ifdef __cplusplus
static_assert(sizeof(dnnvp_report_header_t) == 32, "report header layout");
static_assert(sizeof(dnnvp_report_layer_t) == 72, "report record layout");
static_assert(sizeof(dnnvp_report_image_t) == 24, "report image record layout");
#else
_Static_assert(sizeof(dnnvp_report_header_t) == 32, "report header layout");
_Static_assert(sizeof(dnnvp_report_layer_t) == 72, "report record layout");
_Static_assert(sizeof(dnnvp_report_image_t) == 24, "report image record layout");
#endif

#endif /* DNNVP_REPORT_H */

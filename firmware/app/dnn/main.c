/* dnn-vp application: runs the scenario's network on the engine and the CPU (runtime/) for each image
 * of input.bin, checks every element of the last layer's output against the image's in expected.bin,
 * prints per-layer statistics (summed over the images) and PASS or FAIL. Exit code 0 for PASS, 1 for
 * FAIL. A batch (DNNVP_NUM_IMAGES > 1, docs/firmware.md "Batches") also takes each image's predicted
 * class, copies its output to the results block and reports per image; what only a batch needs is
 * compiled only into a batch's build, so a single image runs exactly the instructions it always ran.
 * The scenario's firmware.wait (model.h DNNVP_WAIT_INTERRUPT) chooses how the runtime waits for the
 * DMAs and the engine: polling, or sleeping in wfi until they interrupt (docs/firmware.md, "Waiting");
 * again only the build that sleeps has the code for it. A runtime error exits with
 * dnnvp_rt_exit_code() (16 + the status: 21 for a DMA error), naming the unit, and for a DMA error the
 * channel, its DMASR and the reset the runtime gave it.
 *
 * Compiled per scenario: model.h (from `vp_gen SCENARIO -o DIR`) must be on the include path
 * (docs/firmware.md). */
#include <stdint.h>
#include <stdio.h>

#include "dnnvp_ops.h"
#include "dnnvp_rt.h"
#include "model.h"

/* How many mismatching elements are printed. */
#define MAX_MISMATCHES_SHOWN 8u

#define BATCH (DNNVP_NUM_IMAGES > 1u)

#if DNNVP_WAIT_INTERRUPT
#define RUN_NETWORK dnnvp_rt_run_irq
#else
#define RUN_NETWORK dnnvp_rt_run
#endif

static dnnvp_rt_t rt DNNVP_RT_NOINIT;
static dnnvp_rt_layer_stats_t stats[DNNVP_NUM_LAYERS]; /* a batch: summed over its images */
#if DNNVP_NUM_IMAGES > 1u
static dnnvp_rt_layer_stats_t image_stats[DNNVP_NUM_LAYERS]; /* the image running */
#endif
/* The report the platform reads (dnnvp_report.h). */
static struct {
  dnnvp_report_header_t header;
  dnnvp_report_layer_t layers[DNNVP_NUM_LAYERS];
#if DNNVP_NUM_IMAGES > 1u
  dnnvp_report_image_t images[DNNVP_NUM_IMAGES];
#endif
} report;

/* Decimal text of a 64-bit value (picolibc's printf may be built without long long). */
static const char *u64(char buf[21], uint64_t v) {
  char *p = buf + 20;
  *p = '\0';
  do {
    *--p = (char)('0' + (unsigned)(v % 10u));
    v /= 10u;
  } while (v != 0u);
  return p;
}

/* Element i of a packed tensor of type q, as an integer. */
static int32_t element(const uint8_t *data, uint32_t i, const dnnvp_qtype_t *q) {
  const uint32_t raw = q->bits <= 4u ? dnnvp_nibble_get(data, i) : data[i];
  const uint32_t flip = dnnvp_sign_flip(q);
  return (int32_t)(raw ^ flip) - (int32_t)flip;
}

/* Utilisation of Rows x Cols PEs over `cycles`, in tenths of a percent. */
static uint32_t permille(uint64_t macs, uint64_t cycles) {
  const uint64_t slots = (uint64_t)rt.engine.rows * rt.engine.cols * cycles;
  return slots == 0u ? 0u : (uint32_t)(macs * 1000u / slots);
}

/* "layer  0 conv1            conv    engine      4711 cycles      55296 MACs    1 tiles  engine 5234 cycles
 *  util 33.0% stall in/w/out 612/90/0" (one line); CPU layers, and layers fused into another ("fused",
 * their cost is their producer's), end after the MACs. */
static void print_layer(uint32_t i, const dnnvp_rt_layer_stats_t *s) {
  char b0[21], b1[21];
  const int fused = s->fused_into != DNNVP_NO_LAYER;
  printf("layer %2lu %-16s %-7s %-6s %10s cycles %10s MACs", (unsigned long)i, s->name, dnnvp_rt_layer_type_str(s->type),
         fused ? "fused" : s->on_engine ? "engine" : "cpu", u64(b0, s->cycles), u64(b1, s->macs));
  if (s->on_engine && !fused) {
    char b2[21], b3[21], b4[21], b5[21];
    const uint32_t u = permille(s->engine.macs, s->engine.cycles);
    printf(" %4lu tiles  engine %s cycles util %lu.%lu%% stall in/w/out %s/%s/%s", (unsigned long)s->tiles,
           u64(b2, s->engine.cycles), (unsigned long)(u / 10u), (unsigned long)(u % 10u), u64(b3, s->engine.stall_input),
           u64(b4, s->engine.stall_weight), u64(b5, s->engine.stall_output));
  }
  printf("\n");
}

/* Compares every element of the output with image img's expected output, printing the first
 * mismatches of the run (`before`: found in earlier images); the number that differ. */
static uint32_t check_output(uint32_t img, uint32_t before) {
  const dnnvp_qtype_t *q = &dnnvp_layers[DNNVP_NUM_LAYERS - 1u].out_q;
  const uint8_t *got = (const uint8_t *)(uintptr_t)DNNVP_OUTPUT_ADDR;
  const uint8_t *want = (const uint8_t *)(uintptr_t)(DNNVP_EXPECTED_ADDR + img * DNNVP_OUTPUT_STRIDE);
  uint32_t mismatches = 0;
  for (uint32_t i = 0; i < DNNVP_OUTPUT_ELEMENTS; ++i) {
    const int32_t g = element(got, i, q), w = element(want, i, q);
    if (g != w) {
      if (before + mismatches < MAX_MISMATCHES_SHOWN) {
        if (BATCH) printf("image %lu: ", (unsigned long)img);
        printf("mismatch: output[%lu] = %ld, expected %ld\n", (unsigned long)i, (long)g, (long)w);
      }
      ++mismatches;
    }
  }
  return mismatches;
}

#if DNNVP_NUM_IMAGES > 1u
/* Copies `bytes` rounded up to whole words: every block of a batch starts on a 64-byte boundary and
 * its images are 64-byte strides apart, so the last word stays within the stride (docs/firmware.md). */
static void copy_words(uintptr_t to, uintptr_t from, uint32_t bytes) {
  uint32_t *t = (uint32_t *)to;
  const uint32_t *f = (const uint32_t *)from;
  for (uint32_t k = 0; k < (bytes + 3u) / 4u; ++k) t[k] = f[k];
}

/* The output's predicted class: the index of its largest element, the first of equal ones (stored
 * values order as the real ones, the scale being positive). */
static uint32_t predicted_class(void) {
  const dnnvp_qtype_t *q = &dnnvp_layers[DNNVP_NUM_LAYERS - 1u].out_q;
  const uint8_t *out = (const uint8_t *)(uintptr_t)DNNVP_OUTPUT_ADDR;
  uint32_t best = 0;
  for (uint32_t i = 1; i < DNNVP_OUTPUT_ELEMENTS; ++i)
    if (element(out, i, q) > element(out, best, q)) best = i;
  return best;
}

/* Adds one image's layer statistics into the batch's. */
static void add_stats(const dnnvp_rt_layer_stats_t *one, uint32_t img) {
  for (uint32_t i = 0; i < DNNVP_NUM_LAYERS; ++i) {
    dnnvp_rt_layer_stats_t *sum = &stats[i];
    if (img == 0u) {
      *sum = one[i];
      continue;
    }
    sum->tiles += one[i].tiles;
    sum->cycles += one[i].cycles;
    sum->macs += one[i].macs;
    sum->engine.cycles += one[i].engine.cycles;
    sum->engine.macs += one[i].engine.macs;
    sum->engine.active += one[i].engine.active;
    sum->engine.stall_input += one[i].engine.stall_input;
    sum->engine.stall_weight += one[i].engine.stall_weight;
    sum->engine.stall_output += one[i].engine.stall_output;
  }
}

/* Runs the network for every image of input.bin, checking each output, taking its predicted class and
 * leaving it in the results block (docs/firmware.md, "Batches"). Stops at the first failure; *img: the
 * image that ran last, *mismatches: over the images checked. */
static dnnvp_rt_status_t run_batch(uint32_t *img, uint32_t *mismatches) {
  for (*img = 0; *img < DNNVP_NUM_IMAGES; ++*img) {
    const uint32_t i = *img;
    /* Image 0 is in place already; image i comes from its place in input.bin. */
    if (i > 0u) copy_words(DNNVP_INPUT_ADDR, DNNVP_INPUT_ADDR + i * DNNVP_INPUT_STRIDE, DNNVP_INPUT_BYTES);
    const uint64_t start = dnnvp_rt_cycles(&rt);
    const dnnvp_rt_status_t s = RUN_NETWORK(&rt, dnnvp_layers, DNNVP_NUM_LAYERS, image_stats);
    if (s != DNNVP_RT_OK) {
      if (i == 0u) add_stats(image_stats, 0u); /* the layers that ran, for the error report */
      return s;
    }
    dnnvp_report_image_t *r = &report.images[i];
    r->cycles = dnnvp_rt_cycles(&rt) - start;
    add_stats(image_stats, i);
    r->index = i;
    r->mismatches = check_output(i, *mismatches);
    r->predicted = predicted_class();
    r->reserved = 0;
    *mismatches += r->mismatches;
    copy_words(DNNVP_RESULTS_ADDR + i * DNNVP_OUTPUT_STRIDE, DNNVP_OUTPUT_ADDR, DNNVP_OUTPUT_BYTES);
  }
  return DNNVP_RT_OK;
}
#endif

int main(void) {
  char b0[21], b1[21], b2[21];
  printf("dnn-vp: %s, %lu layers\n", DNNVP_MODEL_NAME, (unsigned long)DNNVP_NUM_LAYERS);
  if (BATCH) printf("batch: %lu images\n", (unsigned long)DNNVP_NUM_IMAGES);

  dnnvp_rt_config_t cfg;
  dnnvp_rt_config_vp(&cfg);
  dnnvp_rt_status_t s = dnnvp_rt_init(&rt, &cfg);
  if (s == DNNVP_RT_OK) {
    printf("engine: %lux%lu array, accumulator depth %lu, queue %lu tiles\n", (unsigned long)rt.engine.rows,
           (unsigned long)rt.engine.cols, (unsigned long)rt.engine.acc_depth, (unsigned long)rt.queue_depth);
  }
#if DNNVP_WAIT_INTERRUPT
  if (s == DNNVP_RT_OK) {
    dnnvp_rt_irq_t irq;
    dnnvp_rt_irq_vp(&irq);
    s = dnnvp_rt_use_interrupts(&rt, &irq);
    printf("wait: interrupt (wfi; intc lines 0x%08lx)\n", (unsigned long)irq.lines);
  }
#endif

  const uint64_t t0 = dnnvp_rt_cycles(&rt);
  uint32_t mismatches = 0, img = 0;
#if DNNVP_NUM_IMAGES > 1u
  if (s == DNNVP_RT_OK) s = run_batch(&img, &mismatches);
#else
  if (s == DNNVP_RT_OK) s = RUN_NETWORK(&rt, dnnvp_layers, DNNVP_NUM_LAYERS, stats);
#endif
  const uint64_t total = dnnvp_rt_cycles(&rt) - t0;

  /* After a failure: the sums over the images before the failed one, or the layers of the first that ran. */
  const uint32_t ran = s == DNNVP_RT_OK || (BATCH && img > 0u)
                           ? DNNVP_NUM_LAYERS
                           : (rt.error_layer < 0 ? 0u : (uint32_t)rt.error_layer);
  uint64_t engine_cycles = 0, engine_macs = 0, cpu_cycles = 0;
  for (uint32_t i = 0; i < ran; ++i) {
    print_layer(i, &stats[i]);
    if (stats[i].on_engine) {
      engine_cycles += stats[i].engine.cycles;
      engine_macs += stats[i].engine.macs;
    } else {
      cpu_cycles += stats[i].cycles;
    }
  }
  if (s != DNNVP_RT_OK) {
    if (BATCH) printf("image %lu: ", (unsigned long)img);
    printf("error: %s in layer %ld (%s), tile %lu, %s, detail 0x%08lx\n", dnnvp_rt_status_str(s),
           (long)rt.error_layer, rt.error_layer >= 0 ? dnnvp_layers[rt.error_layer].name : "-",
           (unsigned long)rt.error_tile, rt.error_what, (unsigned long)rt.error_detail);
    if (s == DNNVP_RT_ERR_DMA)
      printf("DMA error: %s channel of the DMA at 0x%08lx, DMASR 0x%08lx; DMA reset: %s\n",
             rt.error_channel == AXI_DMA_S2MM ? "S2MM" : "MM2S", (unsigned long)rt.error_dma,
             (unsigned long)rt.error_detail, axi_dma_result_str((axi_dma_result_t)rt.error_reset));
    dnnvp_rt_publish(&rt, stats, ran, s, 0u, 0u, &report.header, report.layers);
    printf("FAIL\n");
    return dnnvp_rt_exit_code(s);
  }

#if DNNVP_NUM_IMAGES == 1u
  mismatches = check_output(0u, 0u);
#endif
  const uint32_t u = permille(engine_macs, engine_cycles);
  printf("engine: %s MACs in %s engine cycles, utilisation %lu.%lu%%; CPU layers %s cycles\n", u64(b0, engine_macs),
         u64(b1, engine_cycles), (unsigned long)(u / 10u), (unsigned long)(u % 10u), u64(b2, cpu_cycles));
  printf("total: %s cycles\n", u64(b0, total));
  const uint32_t checked = DNNVP_OUTPUT_ELEMENTS * DNNVP_NUM_IMAGES;
  dnnvp_rt_publish(&rt, stats, ran, s, checked, mismatches, &report.header, report.layers);
#if DNNVP_NUM_IMAGES > 1u
  report.header.image_count = DNNVP_NUM_IMAGES;
  report.header.image_offset = (uint32_t)((uintptr_t)report.images - (uintptr_t)&report.header);
#endif
  if (mismatches != 0u) {
    printf("%lu of %lu output elements differ\n", (unsigned long)mismatches, (unsigned long)checked);
    printf("FAIL\n");
    return 1;
  }
  printf("%lu output elements match expected.bin\n", (unsigned long)checked);
  printf("PASS\n");
  return 0;
}

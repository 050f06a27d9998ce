/* dnn-vp application: runs the scenario's network once on the engine and the CPU (runtime/), checks
 * every element of the last layer's output against expected.bin, prints per-layer statistics and
 * PASS or FAIL. Exit code 0 for PASS, 1 for FAIL.
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

static dnnvp_rt_t rt;
static dnnvp_rt_layer_stats_t stats[DNNVP_NUM_LAYERS];
/* The layer report the platform reads (dnnvp_report.h). */
static struct {
  dnnvp_report_header_t header;
  dnnvp_report_layer_t layers[DNNVP_NUM_LAYERS];
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
 *  util 33.0% stall in/w/out 612/90/0" (one line); CPU layers end after the MACs. */
static void print_layer(uint32_t i, const dnnvp_rt_layer_stats_t *s) {
  char b0[21], b1[21];
  printf("layer %2lu %-16s %-7s %-6s %10s cycles %10s MACs", (unsigned long)i, s->name, dnnvp_rt_layer_type_str(s->type),
         s->on_engine ? "engine" : "cpu", u64(b0, s->cycles), u64(b1, s->macs));
  if (s->on_engine) {
    char b2[21], b3[21], b4[21], b5[21];
    const uint32_t u = permille(s->engine.macs, s->engine.cycles);
    printf(" %4lu tiles  engine %s cycles util %lu.%lu%% stall in/w/out %s/%s/%s", (unsigned long)s->tiles,
           u64(b2, s->engine.cycles), (unsigned long)(u / 10u), (unsigned long)(u % 10u), u64(b3, s->engine.stall_input),
           u64(b4, s->engine.stall_weight), u64(b5, s->engine.stall_output));
  }
  printf("\n");
}

int main(void) {
  char b0[21], b1[21], b2[21];
  printf("dnn-vp: %s, %lu layers\n", DNNVP_MODEL_NAME, (unsigned long)DNNVP_NUM_LAYERS);

  dnnvp_rt_config_t cfg;
  dnnvp_rt_config_vp(&cfg);
  dnnvp_rt_status_t s = dnnvp_rt_init(&rt, &cfg);
  if (s == DNNVP_RT_OK) {
    printf("engine: %lux%lu array, accumulator depth %lu, queue %lu tiles\n", (unsigned long)rt.engine.rows,
           (unsigned long)rt.engine.cols, (unsigned long)rt.engine.acc_depth, (unsigned long)rt.queue_depth);
  }

  const uint64_t t0 = dnnvp_rt_cycles(&rt);
  if (s == DNNVP_RT_OK) s = dnnvp_rt_run(&rt, dnnvp_layers, DNNVP_NUM_LAYERS, stats);
  const uint64_t total = dnnvp_rt_cycles(&rt) - t0;

  const uint32_t ran = s == DNNVP_RT_OK ? DNNVP_NUM_LAYERS : (rt.error_layer < 0 ? 0u : (uint32_t)rt.error_layer);
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
    printf("error: %s in layer %ld (%s), tile %lu, %s, detail 0x%08lx\n", dnnvp_rt_status_str(s),
           (long)rt.error_layer, rt.error_layer >= 0 ? dnnvp_layers[rt.error_layer].name : "-",
           (unsigned long)rt.error_tile, rt.error_what, (unsigned long)rt.error_detail);
    dnnvp_rt_publish(&rt, stats, ran, s, 0u, 0u, &report.header, report.layers);
    printf("FAIL\n");
    return 1;
  }

  /* Compare every output element with expected.bin. */
  const dnnvp_qtype_t *q = &dnnvp_layers[DNNVP_NUM_LAYERS - 1u].out_q;
  const uint8_t *got = (const uint8_t *)(uintptr_t)DNNVP_OUTPUT_ADDR;
  const uint8_t *want = (const uint8_t *)(uintptr_t)DNNVP_EXPECTED_ADDR;
  uint32_t mismatches = 0;
  for (uint32_t i = 0; i < DNNVP_OUTPUT_ELEMENTS; ++i) {
    const int32_t g = element(got, i, q), w = element(want, i, q);
    if (g != w) {
      if (mismatches < MAX_MISMATCHES_SHOWN)
        printf("mismatch: output[%lu] = %ld, expected %ld\n", (unsigned long)i, (long)g, (long)w);
      ++mismatches;
    }
  }
  const uint32_t u = permille(engine_macs, engine_cycles);
  printf("engine: %s MACs in %s engine cycles, utilisation %lu.%lu%%; CPU layers %s cycles\n", u64(b0, engine_macs),
         u64(b1, engine_cycles), (unsigned long)(u / 10u), (unsigned long)(u % 10u), u64(b2, cpu_cycles));
  printf("total: %s cycles\n", u64(b0, total));
  dnnvp_rt_publish(&rt, stats, ran, s, DNNVP_OUTPUT_ELEMENTS, mismatches, &report.header, report.layers);
  if (mismatches != 0u) {
    printf("%lu of %lu output elements differ\n", (unsigned long)mismatches, (unsigned long)DNNVP_OUTPUT_ELEMENTS);
    printf("FAIL\n");
    return 1;
  }
  printf("%lu output elements match expected.bin\n", (unsigned long)DNNVP_OUTPUT_ELEMENTS);
  printf("PASS\n");
  return 0;
}

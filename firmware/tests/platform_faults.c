/* Firmware faults and deadlocks the platform must end cleanly (tests/platform): FAULT selects one.
 *   1  DMA from an unmapped address: the DMA reports a decode error naming 0x20000000; with
 *      --stop-on-fault the run stops there.
 *   2  misaligned engine register read: the CPU faults with the address and the size.
 *   3  engine starved: a tile of tiny_cnn's first layer is queued but no DMA feeds the engine; the
 *      firmware polls the engine forever: the system watchdog (the engine waits on the platform, the
 *      CPU only polls) reports every stream and the engine's STATUS.
 *   4  DMA never completes: dma0 S2MM armed with nothing to receive, polled forever: the system
 *      watchdog (only CPU polling) reports every stream and DMA channel.
 * Built against tiny_cnn's model.h (for FAULT 3). */
#include <stdint.h>
#include <stdio.h>

#include "dif_axi_dma.h"
#include "dnn_engine.h"
#include "dnnvp_hal.h"
#include "dnnvp_memory_map.h"
#include "model.h"

#if FAULT == 1 || FAULT == 4
static axi_dma_t dma0(void) {
  axi_dma_config_t c = {DNNVP_DMA0_BASE, AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 26, 0, 0};
  axi_dma_t d;
  axi_dma_init(&d, &c);
  return d;
}
#endif

int main(void) {
  printf("platform fault %d\n", FAULT);
#if FAULT == 1
  const axi_dma_t d = dma0();
  axi_dma_mm2s_start(&d, 0x20000000u, 256u);
  axi_dma_wait(&d, AXI_DMA_MM2S, 0xFFFFFFFFu, NULL);
#elif FAULT == 2
  (void)hal_read32(DNNVP_ENGINE_BASE + 2u);
#elif FAULT == 3
  dnn_engine_t e;
  dnn_engine_init(&e, DNNVP_ENGINE_BASE);
  dnn_engine_set_layer(&e, &dnnvp_layers[0]);
  dnn_tile_t t;
  dnn_engine_plan_tile(&dnnvp_layers[0], 0u, &t);
  dnn_engine_push_tile(&e, &t, 1000u);
  for (;;) (void)dnn_engine_wait_idle(&e, 0xFFFFFFFFu);
#elif FAULT == 4
  const axi_dma_t d = dma0();
  axi_dma_s2mm_start(&d, DNNVP_OUTPUT_ADDR, 64u);
  for (;;) (void)axi_dma_wait(&d, AXI_DMA_S2MM, 0xFFFFFFFFu, NULL);
#endif
  printf("not reached\n");
  return 0;
}

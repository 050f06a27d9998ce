/* The runtime's DMA error path (tests/platform/test_irq.cpp): tiny_cnn with its first layer's input at an
 * unmapped address (0x20000000), so the first band's MM2S transfer ends in a decode error. The runtime
 * sees DMASR's DMADecErr (polling, or woken by Err_Irq with WAIT 1), resets the DMA and returns
 * DNNVP_RT_ERR_DMA; this firmware prints the diagnosis and exits with dnnvp_rt_exit_code() (21). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnnvp_rt.h"
#include "model.h"

static dnnvp_rt_t rt DNNVP_RT_NOINIT;
static dnnvp_layer_t layers[DNNVP_NUM_LAYERS];

int main(void) {
  memcpy(layers, dnnvp_layers, sizeof layers);
  layers[0].in_addr[0] = 0x20000000u;
  dnnvp_rt_config_t cfg;
  dnnvp_rt_config_vp(&cfg);
  dnnvp_rt_status_t s = dnnvp_rt_init(&rt, &cfg);
#if WAIT
  dnnvp_rt_irq_t irq;
  dnnvp_rt_irq_vp(&irq);
  if (s == DNNVP_RT_OK) s = dnnvp_rt_use_interrupts(&rt, &irq);
  if (s == DNNVP_RT_OK) s = dnnvp_rt_run_irq(&rt, layers, DNNVP_NUM_LAYERS, NULL);
#else
  if (s == DNNVP_RT_OK) s = dnnvp_rt_run(&rt, layers, DNNVP_NUM_LAYERS, NULL);
#endif
  printf("error: %s in layer %ld, tile %lu, %s\n", dnnvp_rt_status_str(s), (long)rt.error_layer,
         (unsigned long)rt.error_tile, rt.error_what);
  if (s == DNNVP_RT_ERR_DMA)
    printf("DMA error: %s channel of the DMA at 0x%08lx, DMASR 0x%08lx; DMA reset: %s\n",
           rt.error_channel == AXI_DMA_S2MM ? "S2MM" : "MM2S", (unsigned long)rt.error_dma,
           (unsigned long)rt.error_detail, axi_dma_result_str((axi_dma_result_t)rt.error_reset));
  return dnnvp_rt_exit_code(s);
}

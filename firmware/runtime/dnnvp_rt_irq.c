/* The runtime's parts outside dnnvp_rt.c's translation unit, so that its polling build compiles to
 * exactly the instructions it always did: the sleeping build of the tile loop (dnnvp_rt_run_irq, see
 * dnnvp_rt.c), the interrupt set-up, the DMA recovery after an error and the exit codes
 * (docs/firmware.md, "Waiting"). */
#define DNNVP_RT_SLEEP 1
#include "dnnvp_rt.c"

#include "dnnvp_irq.h"

dnnvp_rt_status_t dnnvp_rt_use_interrupts(dnnvp_rt_t *rt, const dnnvp_rt_irq_t *irq) {
  if (rt == NULL || irq == NULL || irq->intc_base == 0u) return DNNVP_RT_ERR_ARG;
  /* The handles' DMACR value (written as each transfer starts) gets IOC_IrqEn and Err_IrqEn. */
  axi_dma_t *dmas[3] = {&rt->dma_x, &rt->dma_w, &rt->dma_r};
  const axi_dma_config_t *cfgs[3] = {&rt->config.dma_x, &rt->config.dma_w, &rt->config.dma_r};
  for (uint32_t i = 0; i < 3u; ++i) {
    if (dmas[i]->base == 0u) continue; /* no residual DMA */
    axi_dma_config_t c = *cfgs[i];
    c.irq_enable = 1;
    if (axi_dma_init(dmas[i], &c) != AXI_DMA_OK) return fail(rt, DNNVP_RT_ERR_ARG, 0, "DMA interrupts", i);
  }
  rt->intc_base = irq->intc_base;
  rt->irq_lines = irq->lines;
  dnn_engine_irq_enable(&rt->engine, 1);
  irq_lines_enable(irq->intc_base, irq->lines);
  hal_irq_external(1);
  return DNNVP_RT_OK;
}

void dnnvp_rt_dma_recover(dnnvp_rt_t *rt) {
  const axi_dma_t *dmas[4] = {&rt->dma_x, &rt->dma_x, &rt->dma_w, &rt->dma_r};
  const axi_dma_channel_t channels[4] = {AXI_DMA_MM2S, AXI_DMA_S2MM, AXI_DMA_MM2S, AXI_DMA_MM2S};
  rt->error_dma = 0;
  for (uint32_t i = 0; i < 4u; ++i) {
    if (dmas[i]->base == 0u) continue;
    if ((axi_dma_status(dmas[i], channels[i]) & AXI_DMA_DMASR_ERRORS) == 0u) continue;
    rt->error_dma = dmas[i]->base;
    rt->error_channel = (uint8_t)channels[i];
    rt->error_reset = (uint8_t)axi_dma_reset(dmas[i], rt->config.poll_budget);
    return;
  }
}

int dnnvp_rt_exit_code(dnnvp_rt_status_t s) {
  return s == DNNVP_RT_OK ? 0 : DNNVP_RT_EXIT_BASE + (int)s;
}

/* Runtime configuration of the dnn-vp platform, from the generated memory map
 * (platform/memory_map.yaml -> dnnvp_memory_map.h). A board supplies its own dnnvp_rt_config_t. */
#include "dnnvp_memory_map.h"
#include "dnnvp_rt.h"

/* The runtime moves x and y with one DMA's MM2S and S2MM channels, w and r each with a DMA's MM2S. */
#if DNNVP_STREAM_Y_DMA_BASE != DNNVP_STREAM_X_DMA_BASE || !DNNVP_STREAM_X_MM2S || DNNVP_STREAM_Y_MM2S || \
    !DNNVP_STREAM_W_MM2S || !DNNVP_STREAM_R_MM2S
#error "platform/memory_map.yaml streams: the runtime needs x and y on one DMA, w and r on MM2S channels"
#endif

void dnnvp_rt_config_vp(dnnvp_rt_config_t* cfg) {
  cfg->engine_base = DNNVP_ENGINE_BASE;
  cfg->dma_x.base = DNNVP_STREAM_X_DMA_BASE;
  cfg->dma_x.channels = AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM;
  cfg->dma_x.length_bits = 26;
  cfg->dma_x.addr_64 = 0;
  cfg->dma_x.irq_enable = 0;
  cfg->dma_x.bus_offset = 0;
  cfg->dma_w = cfg->dma_x;
  cfg->dma_w.base = DNNVP_STREAM_W_DMA_BASE;
  cfg->dma_w.channels = AXI_DMA_HAS_MM2S;
  cfg->dma_r = cfg->dma_w;
  cfg->dma_r.base = DNNVP_STREAM_R_DMA_BASE;
  cfg->timer_base = DNNVP_TIMER_BASE + DNNVP_TIMER_CYCLES_LO_OFFSET;
  cfg->poll_budget = 20000000u;
  cfg->cpu_offset = 0;
  cfg->layer_mark_addr = DNNVP_SYSCTL_BASE + DNNVP_SYSCTL_LAYER_OFFSET;
  cfg->report_addr = DNNVP_SYSCTL_BASE + DNNVP_SYSCTL_REPORT_OFFSET;
}

void dnnvp_rt_irq_vp(dnnvp_rt_irq_t* irq) {
  irq->intc_base = DNNVP_INTC_BASE;
  irq->lines = 1u << DNNVP_STREAM_X_IRQ | 1u << DNNVP_STREAM_Y_IRQ | 1u << DNNVP_STREAM_W_IRQ |
               1u << DNNVP_STREAM_R_IRQ | 1u << DNNVP_IRQ_ENGINE;
}

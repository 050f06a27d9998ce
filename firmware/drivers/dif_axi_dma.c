#include "dif_axi_dma.h"

#include <stddef.h>

#include "dnnvp_hal.h"

/* Register offset of a channel's register (the S2MM block mirrors the MM2S one 0x30 higher). */
static uintptr_t reg(const axi_dma_t *dma, axi_dma_channel_t channel, uint32_t mm2s_offset) {
  return dma->base + mm2s_offset + (channel == AXI_DMA_S2MM ? AXI_DMA_S2MM_OFFSET : 0u);
}

static int has_channel(const axi_dma_t *dma, axi_dma_channel_t channel) {
  return (dma->channels & (channel == AXI_DMA_S2MM ? AXI_DMA_HAS_S2MM : AXI_DMA_HAS_MM2S)) != 0u;
}

axi_dma_result_t axi_dma_init(axi_dma_t *dma, const axi_dma_config_t *config) {
  if (dma == NULL || config == NULL) return AXI_DMA_BAD_ARG;
  const uint32_t bits = config->length_bits == 0u ? 26u : config->length_bits;
  if (bits < 8u || bits > 26u) return AXI_DMA_BAD_ARG;
  if ((config->channels & (AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM)) == 0u) return AXI_DMA_BAD_ARG;
  dma->base = config->base;
  dma->max_length = (1u << bits) - 1u;
  dma->dmacr = AXI_DMA_DMACR_RS | AXI_DMA_DMACR_IRQ_THRESHOLD_1 |
               (config->irq_enable ? AXI_DMA_DMACR_IOC_IRQ_EN | AXI_DMA_DMACR_ERR_IRQ_EN : 0u);
  dma->channels = config->channels & (AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM);
  dma->addr_64 = config->addr_64 ? 1u : 0u;
  return AXI_DMA_OK;
}

axi_dma_result_t axi_dma_reset(const axi_dma_t *dma, uint32_t max_polls) {
  if (dma == NULL) return AXI_DMA_BAD_ARG;
  /* Either channel's Reset bit resets the whole core. */
  const uintptr_t dmacr = reg(dma, has_channel(dma, AXI_DMA_MM2S) ? AXI_DMA_MM2S : AXI_DMA_S2MM, AXI_DMA_MM2S_DMACR);
  hal_write32(dmacr, AXI_DMA_DMACR_RESET);
  for (uint32_t polls = 0;; ++polls) {
    if ((hal_read32(dmacr) & AXI_DMA_DMACR_RESET) == 0u) return AXI_DMA_OK;
    if (polls >= max_polls) return AXI_DMA_TIMEOUT;
  }
}

axi_dma_result_t axi_dma_start(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t addr, uint32_t length) {
  if (dma == NULL || !has_channel(dma, channel)) return AXI_DMA_BAD_ARG;
  if (length == 0u || length > dma->max_length) return AXI_DMA_BAD_ARG;
  if (!dma->addr_64 && (addr >> 32) != 0u) return AXI_DMA_BAD_ARG;
  hal_write32(reg(dma, channel, AXI_DMA_MM2S_DMACR), dma->dmacr);
  hal_write32(reg(dma, channel, AXI_DMA_MM2S_SA), (uint32_t)addr);
  if (dma->addr_64) hal_write32(reg(dma, channel, AXI_DMA_MM2S_SA_MSB), (uint32_t)(addr >> 32));
  hal_write32(reg(dma, channel, AXI_DMA_MM2S_LENGTH), length); /* last: starts the transfer */
  return AXI_DMA_OK;
}

axi_dma_result_t axi_dma_poll(const axi_dma_t *dma, axi_dma_channel_t channel, uint32_t *status_out) {
  if (dma == NULL || !has_channel(dma, channel)) return AXI_DMA_BAD_ARG;
  const uintptr_t dmasr = reg(dma, channel, AXI_DMA_MM2S_DMASR);
  const uint32_t status = hal_read32(dmasr);
  if (status_out != NULL) *status_out = status;
  if (status & AXI_DMA_DMASR_ERRORS) {
    if (status & AXI_DMA_DMASR_DEC_ERR) return AXI_DMA_ERR_DECODE;
    if (status & AXI_DMA_DMASR_SLV_ERR) return AXI_DMA_ERR_SLAVE;
    return AXI_DMA_ERR_INTERNAL;
  }
  if (status & AXI_DMA_DMASR_IOC_IRQ) {
    hal_write32(dmasr, AXI_DMA_DMASR_IOC_IRQ); /* write 1 to clear, ready for the next transfer */
    return AXI_DMA_OK;
  }
  return (status & AXI_DMA_DMASR_IDLE) ? AXI_DMA_OK : AXI_DMA_BUSY;
}

axi_dma_result_t axi_dma_wait(const axi_dma_t *dma, axi_dma_channel_t channel, uint32_t max_polls,
                              uint32_t *status_out) {
  for (uint32_t polls = 0;; ++polls) {
    const axi_dma_result_t r = axi_dma_poll(dma, channel, status_out);
    if (r != AXI_DMA_BUSY) return r;
    if (polls >= max_polls) return AXI_DMA_TIMEOUT;
  }
}

uint32_t axi_dma_status(const axi_dma_t *dma, axi_dma_channel_t channel) {
  if (dma == NULL || !has_channel(dma, channel)) return 0u;
  return hal_read32(reg(dma, channel, AXI_DMA_MM2S_DMASR));
}

axi_dma_result_t axi_dma_s2mm_received(const axi_dma_t *dma, uint32_t *bytes) {
  if (dma == NULL || bytes == NULL || !has_channel(dma, AXI_DMA_S2MM)) return AXI_DMA_BAD_ARG;
  *bytes = hal_read32(dma->base + AXI_DMA_S2MM_LENGTH) & dma->max_length;
  return AXI_DMA_OK;
}

const char *axi_dma_result_str(axi_dma_result_t r) {
  switch (r) {
    case AXI_DMA_OK: return "ok";
    case AXI_DMA_BUSY: return "busy";
    case AXI_DMA_BAD_ARG: return "bad argument";
    case AXI_DMA_TIMEOUT: return "timeout";
    case AXI_DMA_ERR_INTERNAL: return "DMA internal error";
    case AXI_DMA_ERR_SLAVE: return "DMA slave error";
    case AXI_DMA_ERR_DECODE: return "DMA decode error";
  }
  return "unknown";
}

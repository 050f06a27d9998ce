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
  dma->bus_offset = config->bus_offset;
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
  addr += dma->bus_offset;
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
    if (status & AXI_DMA_DMASR_SG_DEC_ERR) return AXI_DMA_ERR_SG_DECODE;
    if (status & AXI_DMA_DMASR_SG_SLV_ERR) return AXI_DMA_ERR_SG_SLAVE;
    if (status & AXI_DMA_DMASR_SG_INT_ERR) return AXI_DMA_ERR_SG_INTERNAL;
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

/* Writes one BD (no checks: the builders check every piece before writing any). */
static void put_bd(axi_dma_bd_t *bd, uint64_t next_bus, uint64_t addr, uint32_t control) {
  for (uint32_t w = 0; w < 16u; ++w) bd->words[w] = 0u;
  bd->words[AXI_DMA_BD_NXTDESC] = (uint32_t)next_bus;
  bd->words[AXI_DMA_BD_NXTDESC_MSB] = (uint32_t)(next_bus >> 32);
  bd->words[AXI_DMA_BD_BUFFER_ADDRESS] = (uint32_t)addr;
  bd->words[AXI_DMA_BD_BUFFER_ADDRESS_MSB] = (uint32_t)(addr >> 32);
  bd->words[AXI_DMA_BD_CONTROL] = control;
}

static uint32_t packet_flags(uint32_t k, uint32_t count) {
  return (k == 0u ? AXI_DMA_BD_SOF : 0u) | (k + 1u == count ? AXI_DMA_BD_EOF : 0u);
}

/* The checks common to both builders: the BD array's placement. */
static int bds_ok(const axi_dma_t *dma, const axi_dma_bd_t *bds, uint64_t bds_bus, uint32_t count) {
  if (dma == NULL || bds == NULL || count == 0u) return 0;
  if (bds_bus % AXI_DMA_BD_ALIGN != 0u) return 0;
  const uint64_t end = bds_bus + (uint64_t)count * AXI_DMA_BD_ALIGN - 1u;
  return dma->addr_64 || (end >> 32) == 0u;
}

static int piece_ok(const axi_dma_t *dma, uint64_t addr, uint32_t length) {
  if (length == 0u || length > dma->max_length) return 0;
  return dma->addr_64 || ((addr + length - 1u) >> 32) == 0u;
}

axi_dma_result_t axi_dma_sg_build(const axi_dma_t *dma, axi_dma_bd_t *bds, uint64_t bds_bus,
                                  const axi_dma_piece_t *pieces, uint32_t count) {
  if (dma == NULL) return AXI_DMA_BAD_ARG;
  bds_bus += dma->bus_offset;
  if (!bds_ok(dma, bds, bds_bus, count) || pieces == NULL) return AXI_DMA_BAD_ARG;
  for (uint32_t k = 0; k < count; ++k)
    if (!piece_ok(dma, pieces[k].addr + dma->bus_offset, pieces[k].length)) return AXI_DMA_BAD_ARG;
  for (uint32_t k = 0; k < count; ++k)
    put_bd(&bds[k], bds_bus + (uint64_t)((k + 1u) % count) * AXI_DMA_BD_ALIGN, pieces[k].addr + dma->bus_offset,
           pieces[k].length | packet_flags(k, count));
  return AXI_DMA_OK;
}

axi_dma_result_t axi_dma_sg_build_strided(const axi_dma_t *dma, axi_dma_bd_t *bds, uint64_t bds_bus, uint64_t addr,
                                          uint32_t row_bytes, uint64_t pitch, uint32_t rows) {
  if (dma == NULL) return AXI_DMA_BAD_ARG;
  bds_bus += dma->bus_offset;
  addr += dma->bus_offset;
  if (!bds_ok(dma, bds, bds_bus, rows)) return AXI_DMA_BAD_ARG;
  if (!piece_ok(dma, addr + (uint64_t)(rows - 1u) * pitch, row_bytes) || !piece_ok(dma, addr, row_bytes))
    return AXI_DMA_BAD_ARG;
  for (uint32_t k = 0; k < rows; ++k)
    put_bd(&bds[k], bds_bus + (uint64_t)((k + 1u) % rows) * AXI_DMA_BD_ALIGN, addr + (uint64_t)k * pitch,
           row_bytes | packet_flags(k, rows));
  return AXI_DMA_OK;
}

/* tail_bus: the DMA's view (bus_offset added). */
static axi_dma_result_t write_tail(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t tail_bus) {
  if (dma->addr_64) hal_write32(reg(dma, channel, AXI_DMA_MM2S_TAILDESC_MSB), (uint32_t)(tail_bus >> 32));
  hal_write32(reg(dma, channel, AXI_DMA_MM2S_TAILDESC), (uint32_t)tail_bus); /* last: starts the chain */
  return AXI_DMA_OK;
}

static int desc_ok(const axi_dma_t *dma, uint64_t bus) {
  return bus % AXI_DMA_BD_ALIGN == 0u && (dma->addr_64 || (bus >> 32) == 0u);
}

axi_dma_result_t axi_dma_sg_start(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t first_bus,
                                  uint64_t tail_bus) {
  if (dma == NULL || !has_channel(dma, channel)) return AXI_DMA_BAD_ARG;
  first_bus += dma->bus_offset;
  tail_bus += dma->bus_offset;
  if (!desc_ok(dma, first_bus) || !desc_ok(dma, tail_bus)) return AXI_DMA_BAD_ARG;
  const uint32_t status = hal_read32(reg(dma, channel, AXI_DMA_MM2S_DMASR));
  if ((status & AXI_DMA_DMASR_SG_INCLD) == 0u) return AXI_DMA_NO_SG;
  if ((status & AXI_DMA_DMASR_HALTED) == 0u) return AXI_DMA_NOT_HALTED;
  hal_write32(reg(dma, channel, AXI_DMA_MM2S_CURDESC), (uint32_t)first_bus); /* only taken while halted */
  if (dma->addr_64) hal_write32(reg(dma, channel, AXI_DMA_MM2S_CURDESC_MSB), (uint32_t)(first_bus >> 32));
  hal_write32(reg(dma, channel, AXI_DMA_MM2S_DMACR), dma->dmacr);
  return write_tail(dma, channel, tail_bus);
}

axi_dma_result_t axi_dma_sg_resume(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t tail_bus) {
  if (dma == NULL || !has_channel(dma, channel)) return AXI_DMA_BAD_ARG;
  tail_bus += dma->bus_offset;
  if (!desc_ok(dma, tail_bus)) return AXI_DMA_BAD_ARG;
  return write_tail(dma, channel, tail_bus);
}

axi_dma_result_t axi_dma_sg_bd_result(const axi_dma_bd_t *bd, uint32_t *bytes) {
  if (bd == NULL) return AXI_DMA_BAD_ARG;
  /* The DMA writes STATUS behind the compiler's back. */
  const uint32_t status = ((const volatile uint32_t *)bd->words)[AXI_DMA_BD_STATUS];
  if (status & AXI_DMA_BD_STATUS_DEC_ERR) return AXI_DMA_ERR_DECODE;
  if (status & AXI_DMA_BD_STATUS_SLV_ERR) return AXI_DMA_ERR_SLAVE;
  if (status & AXI_DMA_BD_STATUS_INT_ERR) return AXI_DMA_ERR_INTERNAL;
  if ((status & AXI_DMA_BD_STATUS_CMPLT) == 0u) return AXI_DMA_BUSY;
  if (bytes != NULL) *bytes = status & AXI_DMA_BD_LENGTH_MASK;
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
    case AXI_DMA_ERR_SG_INTERNAL: return "DMA scatter/gather internal error (stale descriptor)";
    case AXI_DMA_ERR_SG_SLAVE: return "DMA scatter/gather slave error";
    case AXI_DMA_ERR_SG_DECODE: return "DMA scatter/gather decode error";
    case AXI_DMA_NOT_HALTED: return "DMA channel not halted";
    case AXI_DMA_NO_SG: return "DMA has no scatter/gather engine";
  }
  return "unknown";
}

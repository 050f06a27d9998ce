/* Driver of a Xilinx AXI DMA (PG021) in direct register mode, and in scatter/gather mode on an IP built
 * with C_INCLUDE_SG = 1 (see "Scatter/gather" below): one MM2S and one S2MM channel, each doing one
 * transfer (or one descriptor chain) at a time. The same driver runs on the VP (models of the IP,
 * platform/memory_map.yaml regions dma0/dma1) and on a Zynq/ZynqMP board with the real IP.
 *
 * OpenTitan DIF style: a handle with the base address and the build-time options of the IP, every call
 * returns a result code, registers are touched only through the HAL (hal_read32/hal_write32).
 * C11, freestanding, no allocation, no interrupts (completion is polled).
 *
 * Transfer sequence (PG021 "Direct Register Mode"): DMACR.RS = 1 (IRQThreshold kept at its reset value
 * 1, interrupt enables as configured), then the address (SA / DA; the _MSB
 * half only when the IP was built with addresses wider than 32 bits), then LENGTH, which starts the
 * transfer and must be written last. Completion: DMASR.IOC_Irq (write 1 to clear; the driver clears it
 * when it reports completion) or DMASR.Idle. Errors: DMASR.DMAIntErr / DMASlvErr / DMADecErr; the
 * channel halts and only a reset (axi_dma_reset) recovers it. */
#ifndef DIF_AXI_DMA_H
#define DIF_AXI_DMA_H

#include <stdint.h>

#include "dnnvp_axi_dma_bd.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  AXI_DMA_OK = 0,
  AXI_DMA_BUSY,          /* axi_dma_poll: the transfer is still running (not an error) */
  AXI_DMA_BAD_ARG,       /* null handle, channel the IP does not have, address beyond 32 bits on a
                          * 32-bit IP, length 0 or wider than the LENGTH register */
  AXI_DMA_TIMEOUT,       /* the polling budget ran out (reset still in progress / transfer not done) */
  AXI_DMA_ERR_INTERNAL,  /* DMASR.DMAIntErr (e.g. S2MM packet longer than LENGTH, LENGTH 0) */
  AXI_DMA_ERR_SLAVE,     /* DMASR.DMASlvErr: the memory answered with SLVERR */
  AXI_DMA_ERR_DECODE,    /* DMASR.DMADecErr: no memory at the address */
  AXI_DMA_ERR_SG_INTERNAL, /* DMASR.SGIntErr: a fetched descriptor already had STATUS.Cmplt (stale) */
  AXI_DMA_ERR_SG_SLAVE,    /* DMASR.SGSlvErr: SLVERR fetching a descriptor or writing its status */
  AXI_DMA_ERR_SG_DECODE,   /* DMASR.SGDecErr: no memory at a descriptor address */
  AXI_DMA_NOT_HALTED,      /* axi_dma_sg_start: the channel runs (CURDESC would be ignored); reset it first */
  AXI_DMA_NO_SG            /* axi_dma_sg_start: DMASR.SGIncld = 0, the IP has no scatter/gather engine */
} axi_dma_result_t;

typedef enum { AXI_DMA_MM2S = 0, AXI_DMA_S2MM = 1 } axi_dma_channel_t;

/* Register offsets (PG021; CURDESC/TAILDESC: scatter/gather mode). */
enum {
  AXI_DMA_MM2S_DMACR = 0x00, AXI_DMA_MM2S_DMASR = 0x04, AXI_DMA_MM2S_CURDESC = 0x08,
  AXI_DMA_MM2S_CURDESC_MSB = 0x0C, AXI_DMA_MM2S_TAILDESC = 0x10, AXI_DMA_MM2S_TAILDESC_MSB = 0x14,
  AXI_DMA_MM2S_SA = 0x18, AXI_DMA_MM2S_SA_MSB = 0x1C,
  AXI_DMA_MM2S_LENGTH = 0x28,
  AXI_DMA_S2MM_DMACR = 0x30, AXI_DMA_S2MM_DMASR = 0x34, AXI_DMA_S2MM_DA = 0x48, AXI_DMA_S2MM_DA_MSB = 0x4C,
  AXI_DMA_S2MM_LENGTH = 0x58
};
/* S2MM registers are the MM2S ones plus this. */
#define AXI_DMA_S2MM_OFFSET 0x30u

#define AXI_DMA_DMACR_RS (1u << 0)
#define AXI_DMA_DMACR_RESET (1u << 2)
#define AXI_DMA_DMACR_IOC_IRQ_EN (1u << 12)
#define AXI_DMA_DMACR_ERR_IRQ_EN (1u << 14)
#define AXI_DMA_DMACR_IRQ_THRESHOLD_1 (1u << 16) /* IRQThreshold = 1, its reset value (unused here) */
#define AXI_DMA_DMASR_HALTED (1u << 0)
#define AXI_DMA_DMASR_IDLE (1u << 1)
#define AXI_DMA_DMASR_SG_INCLD (1u << 3)
#define AXI_DMA_DMASR_INT_ERR (1u << 4)
#define AXI_DMA_DMASR_SLV_ERR (1u << 5)
#define AXI_DMA_DMASR_DEC_ERR (1u << 6)
#define AXI_DMA_DMASR_SG_INT_ERR (1u << 8)
#define AXI_DMA_DMASR_SG_SLV_ERR (1u << 9)
#define AXI_DMA_DMASR_SG_DEC_ERR (1u << 10)
#define AXI_DMA_DMASR_IOC_IRQ (1u << 12)
#define AXI_DMA_DMASR_DLY_IRQ (1u << 13)
#define AXI_DMA_DMASR_ERR_IRQ (1u << 14)
#define AXI_DMA_DMASR_ERRORS                                                                          \
  (AXI_DMA_DMASR_INT_ERR | AXI_DMA_DMASR_SLV_ERR | AXI_DMA_DMASR_DEC_ERR | AXI_DMA_DMASR_SG_INT_ERR | \
   AXI_DMA_DMASR_SG_SLV_ERR | AXI_DMA_DMASR_SG_DEC_ERR)

/* Channel bits of axi_dma_config_t.channels. */
#define AXI_DMA_HAS_MM2S 1u
#define AXI_DMA_HAS_S2MM 2u

/* Build-time options of the IP instance (Vivado customisation / memory_map.yaml). */
typedef struct {
  uintptr_t base;       /* AXI4-Lite base address */
  uint8_t channels;     /* AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM: the driver never touches an absent one */
  uint8_t length_bits;  /* "Width of Buffer Length Register", 8..26 (0 = 26, the VP's width) */
  uint8_t addr_64;      /* address width > 32: write SA_MSB / DA_MSB too */
  uint8_t irq_enable;   /* set IOC_IrqEn and Err_IrqEn in DMACR (interrupt-driven callers; the driver polls) */
  /* The DMA sees an address A the caller passes (transfer, buffer or descriptor) at A + bus_offset
   * (modulo 2^64): 0 on the VP and bare-metal boards; a Linux process whose DMA buffer is not at the
   * model's addresses sets it (firmware/linux). */
  uint64_t bus_offset;
} axi_dma_config_t;

typedef struct {
  uintptr_t base;
  uint32_t max_length; /* largest LENGTH the register holds */
  uint32_t dmacr;      /* DMACR value written when a transfer starts (RS, IRQThreshold 1, IRQ enables) */
  uint64_t bus_offset;
  uint8_t channels;
  uint8_t addr_64;
} axi_dma_t;

/* Fills the handle; no register access. */
axi_dma_result_t axi_dma_init(axi_dma_t *dma, const axi_dma_config_t *config);

/* Soft reset of the whole IP (both channels) through DMACR.Reset of the first channel present; polls
 * DMACR until the Reset bit reads 0, at most max_polls + 1 reads. Both channels are halted afterwards
 * (RS = 0): the next start sets RS again. */
axi_dma_result_t axi_dma_reset(const axi_dma_t *dma, uint32_t max_polls);

/* Starts a transfer on a channel: DMACR (RS = 1), SA/DA (+ _MSB on a 64-bit IP), LENGTH. For S2MM,
 * length is the buffer size: the received packet may be shorter (axi_dma_s2mm_received), not longer.
 * The caller makes sure the channel is not busy (one transfer at a time per channel). */
axi_dma_result_t axi_dma_start(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t addr, uint32_t length);
static inline axi_dma_result_t axi_dma_mm2s_start(const axi_dma_t *dma, uint64_t src, uint32_t length) {
  return axi_dma_start(dma, AXI_DMA_MM2S, src, length);
}
static inline axi_dma_result_t axi_dma_s2mm_start(const axi_dma_t *dma, uint64_t dst, uint32_t length) {
  return axi_dma_start(dma, AXI_DMA_S2MM, dst, length);
}

/* One read of DMASR: AXI_DMA_OK when the transfer has completed (IOC_Irq, which is then cleared with a
 * write of 1, or Idle), AXI_DMA_BUSY while it runs, AXI_DMA_ERR_* when an error bit is set (SG decode,
 * slave, internal, then decode before slave before internal). status_out (optional) receives the DMASR
 * value read. In scatter/gather mode IOC_Irq marks a packet's end and Idle the chain's (at TAILDESC). */
axi_dma_result_t axi_dma_poll(const axi_dma_t *dma, axi_dma_channel_t channel, uint32_t *status_out);

/* axi_dma_poll until it is not AXI_DMA_BUSY, at most max_polls + 1 times (then AXI_DMA_TIMEOUT). */
axi_dma_result_t axi_dma_wait(const axi_dma_t *dma, axi_dma_channel_t channel, uint32_t max_polls,
                              uint32_t *status_out);

/* Raw DMASR of a channel (0 for a channel the IP does not have). */
uint32_t axi_dma_status(const axi_dma_t *dma, axi_dma_channel_t channel);

/* Bytes the last completed S2MM transfer actually wrote (S2MM_LENGTH read back). */
axi_dma_result_t axi_dma_s2mm_received(const axi_dma_t *dma, uint32_t *bytes);

/* ---- Scatter/gather (PG021 "Scatter Gather Mode", "Scatter Gather Descriptor") ----------------------
 * A chain of buffer descriptors (BDs) in memory, each 64-byte aligned (16 words; the IP ignores pointer
 * bits 5:0), moves several buffers as one AXI-Stream packet: MM2S reads the buffers of a TXSOF..TXEOF run
 * as one packet (one TLAST), e.g. the rows of a band at a pitch; S2MM writes one packet over the chain's
 * buffers in order (each BD's STATUS gets the bytes written, RXSOF on the first, RXEOF on the one that
 * took TLAST). The caller owns the BD array (no allocation); the DMA reads and writes it over the bus, so
 * it must be memory the DMA sees at bds_bus (and uncached on a board with caches).
 * Sequence: axi_dma_sg_build* (links the BDs, zeroes STATUS), axi_dma_sg_start (channel halted: after
 * axi_dma_reset) with the first and the tail BD, axi_dma_wait, axi_dma_sg_bd_result per BD. The chain is
 * a ring (the last BD links to the first): to run it again, rebuild it (STATUS must be 0 again, else the
 * IP flags SGIntErr) and axi_dma_sg_resume with the tail. */

/* The BD layout (word indices, CONTROL/STATUS bits, alignment): dnnvp_axi_dma_bd.h, shared with the model. */
#ifdef __cplusplus
#define AXI_DMA_BD_ALIGNAS alignas(AXI_DMA_BD_ALIGN) /* the host tests include this header from C++ */
#else
#define AXI_DMA_BD_ALIGNAS _Alignas(AXI_DMA_BD_ALIGN)
#endif
typedef struct {
  /* the IP reads the first AXI_DMA_BD_FETCH_WORDS; the rest pad to the alignment */
  AXI_DMA_BD_ALIGNAS uint32_t words[AXI_DMA_BD_ALIGN / 4u];
} axi_dma_bd_t;

/* One buffer of a chain. */
typedef struct {
  uint64_t addr;
  uint32_t length; /* 1 .. max_length */
} axi_dma_piece_t;

/* Fills bds[0..count-1] with one packet: BD k holds pieces[k] and links to k + 1 (the last to the first),
 * TXSOF on the first, TXEOF on the last, STATUS 0. bds_bus: the address the DMA sees bds[0] at, a
 * multiple of AXI_DMA_BD_ALIGN. AXI_DMA_BAD_ARG (nothing written) for count 0, a misaligned bds_bus, a
 * length 0 or above max_length, or an address above 32 bits on a 32-bit IP. No register access. */
axi_dma_result_t axi_dma_sg_build(const axi_dma_t *dma, axi_dma_bd_t *bds, uint64_t bds_bus,
                                  const axi_dma_piece_t *pieces, uint32_t count);

/* The same for `rows` pieces of row_bytes each, the first at addr, then every pitch bytes: a strided
 * band (e.g. the even input rows of a stride-2 conv) or a 2-D output (pixels x a channel group). */
axi_dma_result_t axi_dma_sg_build_strided(const axi_dma_t *dma, axi_dma_bd_t *bds, uint64_t bds_bus, uint64_t addr,
                                          uint32_t row_bytes, uint64_t pitch, uint32_t rows);

/* Starts a chain on a halted channel: CURDESC (+ _MSB on a 64-bit IP) = first, DMACR (RS = 1), then
 * TAILDESC (_MSB first), which starts it. One DMASR read first: AXI_DMA_NO_SG when SGIncld is 0,
 * AXI_DMA_NOT_HALTED when the channel runs. first and tail must be AXI_DMA_BD_ALIGN-aligned. */
axi_dma_result_t axi_dma_sg_start(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t first_bus,
                                  uint64_t tail_bus);

/* Runs a stopped-at-tail chain on from the tail's next BD up to tail_bus (a TAILDESC write). */
axi_dma_result_t axi_dma_sg_resume(const axi_dma_t *dma, axi_dma_channel_t channel, uint64_t tail_bus);

/* A BD's outcome from its STATUS word: AXI_DMA_OK (Cmplt; *bytes = transferred bytes, optional),
 * AXI_DMA_BUSY (not processed yet), AXI_DMA_ERR_* from its error bits. Reads memory only. */
axi_dma_result_t axi_dma_sg_bd_result(const axi_dma_bd_t *bd, uint32_t *bytes);

/* Human-readable name of a result code. */
const char *axi_dma_result_str(axi_dma_result_t r);

#ifdef __cplusplus
}
#endif

#endif /* DIF_AXI_DMA_H */

/* The scatter/gather buffer descriptor (BD) of the Xilinx AXI DMA (PG021 "Scatter Gather Descriptor",
 * non-multichannel): its layout in memory, defined once for the two sides that read and write it, the
 * firmware driver (firmware/drivers/dif_axi_dma.h builds BDs) and the DMA model (models/axi_dma.h fetches
 * them and writes their STATUS back). Plain C constants, so both C and C++ include it. */
#ifndef DNNVP_AXI_DMA_BD_H
#define DNNVP_AXI_DMA_BD_H

#define AXI_DMA_BD_ALIGN 64u      /* BDs are 16-word aligned: the IP ignores pointer bits 5:0 */
#define AXI_DMA_BD_FETCH_WORDS 8u /* the words the IP reads (no APP words: no control stream) */

/* Word indices in a BD (NXTDESC and BUFFER_ADDRESS: low word, then _MSB). */
enum {
  AXI_DMA_BD_NXTDESC = 0, AXI_DMA_BD_NXTDESC_MSB = 1, AXI_DMA_BD_BUFFER_ADDRESS = 2,
  AXI_DMA_BD_BUFFER_ADDRESS_MSB = 3, AXI_DMA_BD_CONTROL = 6, AXI_DMA_BD_STATUS = 7
};

#define AXI_DMA_BD_LENGTH_MASK 0x03FFFFFFu /* CONTROL buffer length, STATUS transferred bytes (25:0) */
#define AXI_DMA_BD_EOF (1u << 26)          /* CONTROL TXEOF; STATUS RXEOF */
#define AXI_DMA_BD_SOF (1u << 27)          /* CONTROL TXSOF; STATUS RXSOF */
#define AXI_DMA_BD_STATUS_INT_ERR (1u << 28)
#define AXI_DMA_BD_STATUS_SLV_ERR (1u << 29)
#define AXI_DMA_BD_STATUS_DEC_ERR (1u << 30)
#define AXI_DMA_BD_STATUS_CMPLT (1u << 31)

#endif

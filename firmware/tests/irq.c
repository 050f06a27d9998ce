/* Interrupts on the platform (tests/platform/test_irq.cpp), one case per build, chosen by IRQ:
 * 1 a trap handler (mtvec direct mode, __attribute__((interrupt)) so it returns with mret) takes dma0
 *   MM2S's IOC interrupt: the handler records mcause, mepc and the controller's CLAIM, clears IOC_Irq;
 *   the main loop sleeps in wfi with mstatus.MIE 0 and opens MIE after each wake-up (no race); prints
 *   "irq: cause 0x8000000b claim 0 count 1 mepc ok" and exits 0 (1..4: which check failed).
 * 2 wfi with the dma0 MM2S line enabled but no transfer running: nothing can wake the CPU (a fault).
 * 3 wfi with mie.MEIE 0 (a fault).
 * 4 Err_Irq: dma0 MM2S from an unmapped address with Err_IrqEn; wfi wakes on the error; the firmware
 *   reads DMASR (DMADecErr, halted), resets the DMA and exits 21 after printing the channel and DMASR.
 * Built against tiny_cnn's model.h (the platform's fault firmwares are). */
#include <stdint.h>
#include <stdio.h>

#include "dif_axi_dma.h"
#include "dnnvp_hal.h"
#include "dnnvp_irq.h"
#include "dnnvp_memory_map.h"

#if IRQ != 3
static axi_dma_t dma0(uint8_t irq_enable) {
  axi_dma_config_t c = {DNNVP_DMA0_BASE, AXI_DMA_HAS_MM2S | AXI_DMA_HAS_S2MM, 26, 0, irq_enable};
  axi_dma_t d;
  axi_dma_init(&d, &c);
  return d;
}
#endif

#if IRQ == 1
static volatile uint32_t count, cause, epc, claim;
static const uint8_t source[64] = {1, 2, 3, 4, 5, 6, 7, 8};

/* mtvec's two low bits are its mode: the handler must be 4-byte aligned (RVC code need not be). */
__attribute__((interrupt("machine"), aligned(4))) static void handler(void) {
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, mcause\ncsrr %1, mepc\n.option pop"
                   : "=r"(cause), "=r"(epc));
  claim = irq_claim(DNNVP_INTC_BASE);
  hal_write32(DNNVP_DMA0_BASE + AXI_DMA_MM2S_DMASR, AXI_DMA_DMASR_IOC_IRQ); /* lowers the line */
  ++count;
}
#endif

int main(void) {
#if IRQ == 1
  const axi_dma_t d = dma0(1);
  irq_set_vector(handler);
  irq_lines_enable(DNNVP_INTC_BASE, 1u << DNNVP_IRQ_DMA0_MM2S);
  hal_irq_external(1);
  axi_dma_mm2s_start(&d, (uintptr_t)source, sizeof source);
  while (count == 0u) {
    hal_irq_wait();
    irq_cpu_enable(1); /* the pending interrupt is taken here */
    irq_cpu_enable(0);
  }
  const int mepc_ok = epc >= (uintptr_t)main && epc < (uintptr_t)main + 0x400u;
  printf("irq: cause 0x%08lx claim %lu count %lu mepc %s\n", (unsigned long)cause, (unsigned long)claim,
         (unsigned long)count, mepc_ok ? "ok" : "wrong");
  if (cause != IRQ_MCAUSE_MACHINE_EXTERNAL) return 1;
  if (claim != DNNVP_IRQ_DMA0_MM2S) return 2;
  if (!mepc_ok) return 3;
  if (irq_pending(DNNVP_INTC_BASE) != 0u) return 4;
  return 0;
#elif IRQ == 2
  (void)dma0(1);
  irq_lines_enable(DNNVP_INTC_BASE, 1u << DNNVP_IRQ_DMA0_MM2S);
  hal_irq_external(1);
  hal_irq_wait();
  printf("not reached\n");
  return 0;
#elif IRQ == 3
  hal_irq_wait();
  printf("not reached\n");
  return 0;
#elif IRQ == 4
  const axi_dma_t d = dma0(1);
  irq_lines_enable(DNNVP_INTC_BASE, 1u << DNNVP_IRQ_DMA0_MM2S);
  hal_irq_external(1);
  axi_dma_mm2s_start(&d, 0x20000000u, 256u);
  hal_irq_wait();
  const uint32_t status = axi_dma_status(&d, AXI_DMA_MM2S);
  const axi_dma_result_t reset = axi_dma_reset(&d, 1000u);
  printf("DMA error: MM2S channel of the DMA at 0x%08lx, DMASR 0x%08lx; DMA reset: %s\n",
         (unsigned long)DNNVP_DMA0_BASE, (unsigned long)status, axi_dma_result_str(reset));
  const uint32_t want = AXI_DMA_DMASR_HALTED | AXI_DMA_DMASR_DEC_ERR | AXI_DMA_DMASR_ERR_IRQ;
  return (status & want) == want && reset == AXI_DMA_OK ? 21 : 1;
#else
#error "define IRQ"
#endif
}

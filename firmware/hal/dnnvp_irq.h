/* Interrupts for firmware: the interrupt controller (platform/memory_map.yaml region intc; its lines are
 * the map's `interrupts:` list, DNNVP_IRQ_<SOURCE> in dnnvp_memory_map.h) and the RISC-V machine
 * external interrupt (docs/platform.md, "Interrupts").
 *
 * The controller is level-sensitive: PENDING bit N is line N's level, which the source's own status
 * register clears (a DMA's DMASR IOC_Irq/Err_Irq, write 1; the engine's IRQ.PENDING, write 1). The CPU's
 * mip.MEIP = (PENDING & ENABLE) != 0.
 *
 * Two ways to use it:
 *  - sleep and poll: irq_lines_enable(), hal_irq_external(1) with mstatus.MIE left 0, then hal_irq_wait()
 *    whenever there is nothing to do. wfi wakes on a pending enabled interrupt whatever mstatus.MIE says,
 *    and with MIE 0 no trap is taken, so checking the work and sleeping cannot race (the runtime does this).
 *  - a trap handler: irq_set_vector(handler) (direct mode; handler declared
 *    __attribute__((interrupt("machine"))) so it saves what it uses and returns with mret), then
 *    irq_cpu_enable(1). The handler reads irq_claim() and clears the source.
 * Machine mode only; registers through the HAL. */
#ifndef DNNVP_IRQ_H
#define DNNVP_IRQ_H

#include <stdint.h>

#include "dnnvp_hal.h"
#include "dnnvp_memory_map.h"

#define IRQ_MSTATUS_MIE (1u << 3)
#define IRQ_MCAUSE_MACHINE_EXTERNAL 0x8000000Bu
#define IRQ_CLAIM_NONE 0xFFFFFFFFu

/* Controller registers. */
static inline uint32_t irq_pending(uintptr_t intc) { return hal_read32(intc + DNNVP_INTC_PENDING_OFFSET); }
static inline uint32_t irq_enabled(uintptr_t intc) { return hal_read32(intc + DNNVP_INTC_ENABLE_OFFSET); }
static inline void irq_lines_enable(uintptr_t intc, uint32_t mask) {
  hal_write32(intc + DNNVP_INTC_ENABLE_OFFSET, irq_enabled(intc) | mask);
}
/* The lowest line pending and enabled, IRQ_CLAIM_NONE when none. */
static inline uint32_t irq_claim(uintptr_t intc) { return hal_read32(intc + DNNVP_INTC_CLAIM_OFFSET); }

/* CPU side: mie.MEIE is hal_irq_external(), wfi hal_irq_wait() (dnnvp_hal.h). */
/* mstatus.MIE: traps on (1) or off (0) (Binutils wants Zicsr named for CSR instructions). */
static inline void irq_cpu_enable(int on) {
  if (on)
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrs mstatus, %0\n.option pop" : : "r"(IRQ_MSTATUS_MIE) : "memory");
  else
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrc mstatus, %0\n.option pop" : : "r"(IRQ_MSTATUS_MIE) : "memory");
}
/* mtvec in direct mode (the handler must be 4-byte aligned, as GCC aligns functions on RV32). */
static inline void irq_set_vector(void (*handler)(void)) {
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw mtvec, %0\n.option pop" : : "r"(handler));
}

#endif /* DNNVP_IRQ_H */

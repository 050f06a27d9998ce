/* Hardware access layer: the only way firmware touches registers and the CPU's interrupt state. Each
 * target supplies these functions: hal_mmio.c for the VP and boards (volatile accesses, RISC-V CSRs), a
 * mock or a bus-functional model for host tests. */
#ifndef DNNVP_HAL_H
#define DNNVP_HAL_H

#include <stdint.h>

uint32_t hal_read32(uintptr_t addr);
void hal_write32(uintptr_t addr, uint32_t value);
/* Interrupts (dnnvp_irq.h): the CPU's machine external interrupt enable (mie.MEIE) on or off, and a
 * sleep until an enabled interrupt is pending (wfi). */
void hal_irq_external(int on);
void hal_irq_wait(void);

#endif /* DNNVP_HAL_H */

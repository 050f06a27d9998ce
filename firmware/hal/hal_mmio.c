/* Memory-mapped register access for the VP and for boards, and the RISC-V machine interrupt state. */
#include "dnnvp_hal.h"

uint32_t hal_read32(uintptr_t addr) { return *(volatile const uint32_t *)addr; }

void hal_write32(uintptr_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }

/* mie.MEIE is bit 11 (Binutils wants Zicsr named for CSR instructions). */
void hal_irq_external(int on) {
  const uint32_t meie = 1u << 11;
  if (on)
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrs mie, %0\n.option pop" : : "r"(meie) : "memory");
  else
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrc mie, %0\n.option pop" : : "r"(meie) : "memory");
}

void hal_irq_wait(void) { __asm__ volatile("wfi" ::: "memory"); }

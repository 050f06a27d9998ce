/* A misaligned 32-bit load from the UART (0x10000002): a fault naming that address and size 4. */
#include <stdint.h>

int main(void) {
  const uintptr_t addr = 0x10000002u;
  uint32_t v;
  __asm__ volatile(".globl misaligned_load\nmisaligned_load: lw %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
  return (int)v;
}

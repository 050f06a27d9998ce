/* Stores to 0x20000000, where nothing is mapped: the bus answers with an address error and the CPU must
 * stop with a fault naming the store's PC (symbol fault_store), the address and the size (4). */
#include <stdint.h>
#include <stdio.h>

int main(void) {
  printf("storing to 0x20000000\n");
  const uintptr_t addr = 0x20000000u;
  const uint32_t value = 0xDEADBEEFu;
  __asm__ volatile(".globl fault_store\nfault_store: sw %0, 0(%1)" : : "r"(value), "r"(addr) : "memory");
  printf("not reached\n");
  return 0;
}
